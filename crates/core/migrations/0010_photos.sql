-- Photos (model/photo.rs, store/photos.rs): the record, like any other, and its bytes apart.
CREATE TABLE IF NOT EXISTS photos (
    id            TEXT PRIMARY KEY,
    version       INTEGER NOT NULL DEFAULT 0,
    household_id  TEXT NOT NULL REFERENCES households (id),
    visit_id      TEXT REFERENCES visits (id),
    concern_id    TEXT REFERENCES concerns (id),
    sha256        TEXT NOT NULL,
    thumb_sha256  TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    caption       TEXT NOT NULL DEFAULT '',
    taken_at      TEXT NOT NULL,
    location      TEXT NOT NULL DEFAULT '',
    deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS photos_household ON photos (household_id);
CREATE INDEX IF NOT EXISTS photos_visit ON photos (visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS photos_concern ON photos (concern_id) WHERE concern_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS photos_sha256 ON photos (sha256);
CREATE INDEX IF NOT EXISTS photos_thumb_sha256 ON photos (thumb_sha256);

-- The bytes, addressed by their SHA-256: inside the (SQLCipher-encrypted) database like
-- everything else, and stored once however many records name them. `own`: written on this laptop
-- (kept until deleted); otherwise fetched from the station and dropped first when photos outgrow
-- their space budget, by `used_at`.
CREATE TABLE IF NOT EXISTS blobs (
    sha256   TEXT PRIMARY KEY,
    bytes    BLOB NOT NULL,
    size     INTEGER NOT NULL,
    own      INTEGER NOT NULL,
    used_at  INTEGER NOT NULL
);

-- The upload queue: each blob this laptop wrote goes to the station in chunks, each acknowledged
-- (`sent` is the station's received offset), retried with back-off from `next_try_ms` — by a timer,
-- not only by the next write — and independently of every other blob.
CREATE TABLE IF NOT EXISTS blob_uploads (
    sha256       TEXT PRIMARY KEY,
    sent         INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try_ms  INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT ''
);

-- Photos are tombstoned like every record (a deletion syncs); only a record taken off the laptop
-- (see 0005) goes for real.
CREATE TRIGGER IF NOT EXISTS photos_are_tombstoned BEFORE DELETE ON photos WHEN NOT EXISTS (SELECT 1 FROM purging)
BEGIN SELECT RAISE(ABORT, 'photos are tombstoned, not deleted'); END;
