-- Coverage kept on the write path (store/coverage.rs): each household's due date, and per beat and
-- day how many households begin (+) or stop (-) being covered and how many were registered, so that
-- coverage on any day is a sum of rows up to it. Replaces `coverage_days`, the coverage remembered
-- per day once worked out from every household's visit days (the first overview of a day took
-- seconds) and forgotten by any late visit. Filled from `household_status` by the hook of 0027.
ALTER TABLE household_status ADD COLUMN due_on TEXT;
DROP INDEX household_status_beat;
CREATE INDEX household_status_due ON household_status (beat, due_on) WHERE deleted = 0;
CREATE TABLE coverage_changes (
    beat       TEXT NOT NULL,
    day        TEXT NOT NULL,
    covered    INTEGER NOT NULL,
    households INTEGER NOT NULL,
    PRIMARY KEY (beat, day)
) WITHOUT ROWID;
DROP TABLE coverage_days;
