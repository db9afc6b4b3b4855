-- The station's own keys that are not its TLS certificate: the bundle key laptops encrypt their
-- bundles for sync by USB stick to (an age X25519 secret key). Kept in the database so a backup
-- and a restore carry it; made on first need.
CREATE TABLE station_keys (
    name       TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
