-- A record that leaves a beat (its household moved to another) is remembered here with the version
-- at which it left, so that the old beat's laptops are told to drop it on their next pull.
CREATE TABLE scope_exits (
    beat    TEXT NOT NULL,
    entity  TEXT NOT NULL,
    id      TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (beat, entity, id)
) WITHOUT ROWID;
CREATE INDEX scope_exits_by_version ON scope_exits (beat, version);
CREATE INDEX scope_exits_by_record ON scope_exits (entity, id);

-- A household's residents, concerns and tasks, found by index when it moves (visits have theirs).
CREATE INDEX records_child_household ON records (json_extract(fields, '$.household_id'))
    WHERE entity IN ('resident', 'concern', 'task');
