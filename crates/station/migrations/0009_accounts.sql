-- Accounts and roles replace the single station password; laptops enrol with one-time codes and
-- sync with a credential of their own; every security-relevant event goes into an append-only audit
-- table. Secrets (passwords, session tokens, codes, device credentials) are never stored: passwords
-- as Argon2id hashes, the random tokens as SHA-256 digests.

CREATE TABLE accounts (
    id                  TEXT PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name        TEXT NOT NULL,
    roles               TEXT NOT NULL,            -- JSON list: officer, staff, chief, admin
    beats               TEXT NOT NULL DEFAULT '[]', -- JSON list: an officer's beats
    password_hash       TEXT NOT NULL,            -- Argon2id, PHC string
    active              INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    csrf         TEXT NOT NULL,
    created_unix INTEGER NOT NULL,
    seen_unix    INTEGER NOT NULL                 -- sessions expire after a while unused, and absolutely
);

CREATE TABLE login_failures (
    username TEXT NOT NULL COLLATE NOCASE,
    at_unix  INTEGER NOT NULL
);
CREATE INDEX login_failures_by_name ON login_failures (username, at_unix);

CREATE TABLE enrollment_codes (
    code_hash    TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    issued_by    TEXT NOT NULL,
    issued_at    TEXT NOT NULL,
    expires_unix INTEGER NOT NULL,
    used_at      TEXT,
    device_id    TEXT
);

ALTER TABLE devices ADD COLUMN account_id TEXT REFERENCES accounts (id);
ALTER TABLE devices ADD COLUMN credential_hash TEXT;
ALTER TABLE devices ADD COLUMN revoked_at TEXT;
ALTER TABLE devices ADD COLUMN wipe INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN wiped_at TEXT;
CREATE UNIQUE INDEX devices_by_credential ON devices (credential_hash);

-- Security events and administrator actions: sign-ins, refusals, enrolments, revocations, account
-- changes, reads of confidential concerns.
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,                    -- username, or what the party claimed to be
    device_id TEXT,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL DEFAULT '',
    outcome   TEXT NOT NULL,                    -- ok, refused
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at);
CREATE TRIGGER audit_is_never_edited BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_is_never_removed BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

-- The whole trail as staff read it: security events, staff decisions, and every change received
-- (which fields it set, never their values: a change may carry a confidential reporter).
CREATE VIEW audit_trail AS
    SELECT 'security' AS source, id, at, actor, device_id, action, target, outcome, detail FROM audit
    UNION ALL
    SELECT 'staff', id, created_at, staff, NULL, action, entity || ':' || entity_id, 'ok', details FROM staff_actions
    UNION ALL
    SELECT 'change', c.seq, c.received_at, d.officer_name, c.device_id, 'change', c.entity || ':' || c.entity_id, c.status,
           (SELECT group_concat(key, ',') FROM json_each(c.fields))
    FROM changes c JOIN devices d ON d.device_id = c.device_id;
