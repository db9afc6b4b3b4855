-- The monthly summary's visited households kept on the write path (tallies.rs), so that a month's
-- summary no longer looks every household of the station up in household_months (0.4 s at 100,000
-- households):
-- - household_status.vulnerable: the household has one of the tags the summary counts apart;
-- - month_households: per local month and beat, the live households visited that month, and the
--   vulnerable ones among them. A household's first visit of a month adds it, its last one taken
--   away removes it, and a change of its beat, tags or deletion moves its months.
-- Both are filled by the migration's hook, with what 0026 keeps.
ALTER TABLE household_status ADD COLUMN vulnerable INTEGER NOT NULL DEFAULT 0;
-- One index the overview, the overdue list and the summary read whole, without the table's rows
-- (each carries its visit days): it replaces 0026's on beat and due date.
DROP INDEX household_status_due;
CREATE INDEX household_status_live ON household_status (beat, due_on, vulnerable) WHERE deleted = 0;
-- The overview's open concerns counted in the index's order (no sort of every open concern), and
-- the last 90 days' closures read from the index alone.
CREATE INDEX concern_status_open ON concern_status (beat, category, urgency, status, feedback_at)
    WHERE deleted = 0 AND status <> 'closed';
CREATE INDEX concern_status_closures ON concern_status (closed_at, raised_at) WHERE deleted = 0;
CREATE INDEX household_months_by_household ON household_months (household_id);
CREATE TABLE month_households (
    month              TEXT NOT NULL,
    beat               TEXT NOT NULL,
    visited            INTEGER NOT NULL,
    vulnerable_visited INTEGER NOT NULL,
    PRIMARY KEY (month, beat)
) WITHOUT ROWID;
