-- Doorstep field database, first schema.
-- Records are never removed: a delete is a tombstone (deleted = 1), so every edit stays explainable
-- and sync can tell a deletion from a record it never saw. The change log is append-only.

CREATE TABLE device (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id    TEXT NOT NULL,
    officer_id   TEXT NOT NULL,
    officer_name TEXT NOT NULL,
    beats        TEXT NOT NULL,            -- JSON list of beat names this officer works
    hlc_ms       INTEGER NOT NULL DEFAULT 0,
    hlc_counter  INTEGER NOT NULL DEFAULT 0,
    acked_seq    INTEGER NOT NULL DEFAULT 0, -- highest device_seq the station has durably stored
    last_sync_at TEXT,
    created_at   TEXT NOT NULL
);

CREATE TABLE households (
    seq           INTEGER PRIMARY KEY,     -- stable row number, used as the search index's rowid
    id            TEXT NOT NULL UNIQUE,
    version       INTEGER NOT NULL DEFAULT 0,
    beat          TEXT NOT NULL,
    address       TEXT NOT NULL,
    address_norm  TEXT NOT NULL DEFAULT '', -- derived from address, for duplicate detection and import
    kind          TEXT NOT NULL,
    tags          TEXT NOT NULL DEFAULT '[]',
    contact_name  TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    notes         TEXT NOT NULL DEFAULT '',
    registered_at TEXT NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX households_beat ON households (beat, deleted);
CREATE INDEX households_address_norm ON households (address_norm);

CREATE TABLE residents (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    version      INTEGER NOT NULL DEFAULT 0,
    household_id TEXT NOT NULL REFERENCES households (id),
    name         TEXT NOT NULL,
    sex          TEXT,
    birth_date   TEXT,
    phone        TEXT NOT NULL DEFAULT '',
    id_number    TEXT NOT NULL DEFAULT '',
    relation     TEXT,
    tags         TEXT NOT NULL DEFAULT '[]',
    notes        TEXT NOT NULL DEFAULT '',
    deleted      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX residents_household ON residents (household_id);
CREATE INDEX residents_id_number ON residents (id_number) WHERE id_number <> '';

CREATE TABLE visits (
    id            TEXT PRIMARY KEY,
    version       INTEGER NOT NULL DEFAULT 0,
    household_id  TEXT NOT NULL REFERENCES households (id),
    visited_at    TEXT NOT NULL,
    officers      TEXT NOT NULL DEFAULT '[]',
    purposes      TEXT NOT NULL DEFAULT '[]',
    met           TEXT NOT NULL DEFAULT '[]',
    notes         TEXT NOT NULL DEFAULT '',
    inquiry_areas TEXT NOT NULL DEFAULT '[]',
    rating        TEXT,
    opinions      TEXT NOT NULL DEFAULT '',
    location      TEXT NOT NULL DEFAULT '',
    deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX visits_household ON visits (household_id, visited_at);

CREATE TABLE concerns (
    id              TEXT PRIMARY KEY,
    version         INTEGER NOT NULL DEFAULT 0,
    household_id    TEXT NOT NULL REFERENCES households (id),
    visit_id        TEXT REFERENCES visits (id),
    raised_at       TEXT NOT NULL,
    category        TEXT NOT NULL,
    urgency         TEXT NOT NULL,
    summary         TEXT NOT NULL,
    reporter_id     TEXT REFERENCES residents (id),
    reporter_name   TEXT NOT NULL DEFAULT '',
    confidential    INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL,
    feedback_at     TEXT,
    feedback_method TEXT,
    feedback_note   TEXT NOT NULL DEFAULT '',
    closed_at       TEXT,
    deleted         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX concerns_household ON concerns (household_id);
CREATE INDEX concerns_status ON concerns (status, deleted);

CREATE TABLE tasks (
    id              TEXT PRIMARY KEY,
    version         INTEGER NOT NULL DEFAULT 0,
    household_id    TEXT NOT NULL REFERENCES households (id),
    concern_id      TEXT REFERENCES concerns (id),
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    assignee        TEXT NOT NULL,
    due_date        TEXT NOT NULL,
    status          TEXT NOT NULL,
    result          TEXT NOT NULL DEFAULT '',
    feedback_at     TEXT,
    feedback_method TEXT,
    feedback_note   TEXT NOT NULL DEFAULT '',
    deleted         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tasks_household ON tasks (household_id);
CREATE INDEX tasks_due ON tasks (status, due_date);
CREATE INDEX tasks_concern ON tasks (concern_id);

-- Every local write appends one change here, in the same transaction as the row it changes.
CREATE TABLE changes (
    device_seq   INTEGER PRIMARY KEY,      -- dense 1, 2, 3 ... (nothing is ever removed)
    change_id    TEXT NOT NULL UNIQUE,
    device_id    TEXT NOT NULL,
    officer_id   TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    fields       TEXT NOT NULL,            -- JSON object: field name -> new value
    base_version INTEGER NOT NULL,         -- the record's version on this device before the edit
    hlc_ms       INTEGER NOT NULL,
    hlc_counter  INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX changes_entity ON changes (entity, entity_id);

CREATE TRIGGER changes_are_never_edited BEFORE UPDATE ON changes
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
CREATE TRIGGER changes_are_never_removed BEFORE DELETE ON changes
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
CREATE TRIGGER households_are_tombstoned BEFORE DELETE ON households
BEGIN SELECT RAISE(ABORT, 'records are never removed; mark them deleted'); END;
CREATE TRIGGER residents_are_tombstoned BEFORE DELETE ON residents
BEGIN SELECT RAISE(ABORT, 'records are never removed; mark them deleted'); END;
CREATE TRIGGER visits_are_tombstoned BEFORE DELETE ON visits
BEGIN SELECT RAISE(ABORT, 'records are never removed; mark them deleted'); END;
CREATE TRIGGER concerns_are_tombstoned BEFORE DELETE ON concerns
BEGIN SELECT RAISE(ABORT, 'records are never removed; mark them deleted'); END;
CREATE TRIGGER tasks_are_tombstoned BEFORE DELETE ON tasks
BEGIN SELECT RAISE(ABORT, 'records are never removed; mark them deleted'); END;

-- Search over residents' names (characters and pinyin) and households' addresses. The text is
-- pre-split by the core (one token per Chinese character), so a phrase query is a substring match.
CREATE VIRTUAL TABLE resident_search USING fts5 (chars, pinyin, tokenize = 'unicode61', prefix = '1 2 3');
CREATE VIRTUAL TABLE household_search USING fts5 (chars, tokenize = 'unicode61', prefix = '1 2');

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL                    -- JSON
);

-- Unfinished forms, saved as the officer types. Not records: no change log, never synced.
CREATE TABLE drafts (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
