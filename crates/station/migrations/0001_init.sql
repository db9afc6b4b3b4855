-- The station's store. Every change a device pushes is kept (whatever its outcome); records hold the
-- merged current state, field_versions who last set each field (what the merge rules read), and the
-- merge queue what staff must decide.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('version', 0);

CREATE TABLE devices (
    device_id      TEXT PRIMARY KEY,
    officer_id     TEXT NOT NULL,
    officer_name   TEXT NOT NULL,
    beats          TEXT NOT NULL,             -- JSON list
    contiguous_seq INTEGER NOT NULL DEFAULT 0, -- every change up to here is stored
    enrolled_at    TEXT NOT NULL,
    last_seen_at   TEXT
);

CREATE TABLE changes (
    seq          INTEGER PRIMARY KEY,         -- arrival order
    change_id    TEXT NOT NULL UNIQUE,
    device_id    TEXT NOT NULL REFERENCES devices (device_id),
    device_seq   INTEGER NOT NULL,
    officer_id   TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    fields       TEXT NOT NULL,
    base_version INTEGER NOT NULL,
    hlc_ms       INTEGER NOT NULL,
    hlc_counter  INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    status       TEXT NOT NULL,               -- pending (waiting for earlier ones), applied, conflict
    version      INTEGER,                     -- the station version it produced, if any
    UNIQUE (device_id, device_seq)
);
CREATE INDEX changes_pending ON changes (device_id, device_seq) WHERE status = 'pending';

CREATE TABLE records (
    entity  TEXT NOT NULL,
    id      TEXT NOT NULL,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    beat    TEXT NOT NULL,
    fields  TEXT NOT NULL,                    -- JSON object, the merged current values
    PRIMARY KEY (entity, id)
);
CREATE INDEX records_version ON records (version);

CREATE TABLE field_versions (
    entity      TEXT NOT NULL,
    id          TEXT NOT NULL,
    field       TEXT NOT NULL,
    version     INTEGER NOT NULL,
    device_id   TEXT NOT NULL,
    hlc_ms      INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    PRIMARY KEY (entity, id, field)
);

CREATE TABLE conflicts (
    id             INTEGER PRIMARY KEY,
    entity         TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    field          TEXT NOT NULL,
    base_version   INTEGER NOT NULL,
    station_value  TEXT NOT NULL,             -- JSON
    incoming_value TEXT NOT NULL,             -- JSON
    applied        TEXT NOT NULL,             -- 'station' or 'incoming': the provisional winner
    station_change TEXT,                      -- device of the station's value
    incoming_seq   INTEGER NOT NULL REFERENCES changes (seq),
    status         TEXT NOT NULL DEFAULT 'open',
    created_at     TEXT NOT NULL
);
CREATE INDEX conflicts_open ON conflicts (status);

CREATE TRIGGER changes_keep_their_content BEFORE UPDATE OF change_id, device_id, device_seq, fields, base_version ON changes
BEGIN SELECT RAISE(ABORT, 'received changes are never edited'); END;
CREATE TRIGGER changes_are_never_removed BEFORE DELETE ON changes
BEGIN SELECT RAISE(ABORT, 'received changes are never removed'); END;
