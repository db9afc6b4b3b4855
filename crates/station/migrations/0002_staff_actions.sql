-- Every decision staff make (resolving a conflict, later merging duplicates and assigning tasks),
-- append-only: who, when, what. Part of the station's audit trail with the changes themselves.
CREATE TABLE staff_actions (
    id         INTEGER PRIMARY KEY,
    staff      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    details    TEXT NOT NULL,                 -- JSON
    version    INTEGER,                       -- the station version it produced, if any
    created_at TEXT NOT NULL
);
CREATE TRIGGER staff_actions_are_never_edited BEFORE UPDATE ON staff_actions
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER staff_actions_are_never_removed BEFORE DELETE ON staff_actions
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

ALTER TABLE conflicts ADD COLUMN resolved_by TEXT;
ALTER TABLE conflicts ADD COLUMN resolved_at TEXT;
ALTER TABLE conflicts ADD COLUMN resolution TEXT;  -- JSON: the value staff chose
