-- Changes the station refused (outside the officer's beats, a confidential reporter, ...): kept here
-- with the station's reason until the officer has seen them. A refused edit's record is set back to
-- the station's copy; a refused new record stays, marked, for the officer to correct or discard.
CREATE TABLE refusals (
    change_id   TEXT PRIMARY KEY,
    device_seq  INTEGER NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    reason      TEXT NOT NULL,               -- outside_beats, confidential, base_ahead, unknown_record, invalid
    message     TEXT NOT NULL,               -- the station's words (English)
    restored    INTEGER NOT NULL,            -- 1: the record was set back to the station's copy
    refused_at  TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' -- open, corrected (saved again), discarded, dismissed
);
CREATE INDEX refusals_record ON refusals (entity, entity_id);

-- A laptop restored from a backup numbers new changes with sequences the station already holds for
-- others; the station says so and the laptop moves its *unsent* changes past the station's
-- numbers. Nothing else about a change is ever edited, and sent changes keep their numbers.
DROP TRIGGER changes_are_never_edited;
CREATE TRIGGER changes_are_never_edited BEFORE UPDATE OF change_id, device_id, officer_id, entity, entity_id,
    fields, base_version, hlc_ms, hlc_counter, created_at ON changes
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
CREATE TRIGGER sent_changes_keep_their_number BEFORE UPDATE OF device_seq ON changes
WHEN OLD.device_seq <= (SELECT acked_seq FROM device WHERE singleton = 1) OR NEW.device_seq <= OLD.device_seq
BEGIN SELECT RAISE(ABORT, 'only unsent changes are renumbered, and only forwards'); END;
