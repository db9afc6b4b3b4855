-- The station's link to its bureau (one at most): where it is, the certificate pinned at enrolment
-- (hex DER), and the station's credential there. Where the upward replication stands (the cursors
-- the bureau last answered), and the inspectors' flags this station applied (each once).

CREATE TABLE bureau_link (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    url          TEXT NOT NULL,
    certificate  TEXT NOT NULL,
    credential   TEXT NOT NULL,
    station_name TEXT NOT NULL,
    bureau_name  TEXT NOT NULL,
    enrolled_at  TEXT NOT NULL
);

CREATE TABLE bureau_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    records         INTEGER NOT NULL DEFAULT 0,
    staff           INTEGER NOT NULL DEFAULT 0,
    audit           INTEGER NOT NULL DEFAULT 0,
    last_sent_at    TEXT,
    last_attempt_at TEXT,
    last_error      TEXT
);

CREATE TABLE bureau_flags (
    flag_id    INTEGER PRIMARY KEY,
    entity     TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    flagged_by TEXT NOT NULL,
    flagged_at TEXT NOT NULL,
    task_id    TEXT NOT NULL,             -- '' when the record is not at this station
    applied_at TEXT NOT NULL
);
