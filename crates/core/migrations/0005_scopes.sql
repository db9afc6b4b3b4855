-- What the laptop downloads comes in scopes, each with a cursor of its own: one per beat of the
-- officer's ('beat:NAME') and the tasks assigned to them elsewhere ('tasks'). A beat given to the
-- officer later starts at 0 and downloads in full. The single cursor before this carries over.
CREATE TABLE pull_cursors (
    scope  TEXT PRIMARY KEY,
    cursor INTEGER NOT NULL
);
INSERT INTO pull_cursors (scope, cursor)
SELECT 'beat:' || b.value, d.pull_cursor FROM device d, json_each(d.beats) b WHERE d.pull_cursor > 0;
INSERT INTO pull_cursors (scope, cursor) SELECT 'tasks', pull_cursor FROM device WHERE pull_cursor > 0;

-- Records that left the officer's scope while this laptop held unsent edits to them: kept (the
-- edits are still sent) and taken off once the station has them.
CREATE TABLE departed (
    entity  TEXT NOT NULL,
    id      TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (entity, id)
);

-- Records are never removed by an edit (a delete is a tombstone); the one exception is taking a
-- record that is no longer the officer's off the laptop, done with a row in `purging` for the length
-- of that transaction.
CREATE TABLE purging (singleton INTEGER PRIMARY KEY CHECK (singleton = 1));
DROP TRIGGER households_are_tombstoned;
DROP TRIGGER residents_are_tombstoned;
DROP TRIGGER visits_are_tombstoned;
DROP TRIGGER concerns_are_tombstoned;
DROP TRIGGER tasks_are_tombstoned;
CREATE TRIGGER households_are_tombstoned BEFORE DELETE ON households WHEN NOT EXISTS (SELECT 1 FROM purging)
BEGIN SELECT RAISE(ABORT, 'records are never removed; mark them deleted'); END;
CREATE TRIGGER residents_are_tombstoned BEFORE DELETE ON residents WHEN NOT EXISTS (SELECT 1 FROM purging)
BEGIN SELECT RAISE(ABORT, 'records are never removed; mark them deleted'); END;
CREATE TRIGGER visits_are_tombstoned BEFORE DELETE ON visits WHEN NOT EXISTS (SELECT 1 FROM purging)
BEGIN SELECT RAISE(ABORT, 'records are never removed; mark them deleted'); END;
CREATE TRIGGER concerns_are_tombstoned BEFORE DELETE ON concerns WHEN NOT EXISTS (SELECT 1 FROM purging)
BEGIN SELECT RAISE(ABORT, 'records are never removed; mark them deleted'); END;
CREATE TRIGGER tasks_are_tombstoned BEFORE DELETE ON tasks WHEN NOT EXISTS (SELECT 1 FROM purging)
BEGIN SELECT RAISE(ABORT, 'records are never removed; mark them deleted'); END;
