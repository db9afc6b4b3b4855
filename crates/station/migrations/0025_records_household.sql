-- The household a record belongs to, as a real column (every record but a household names one),
-- instead of three partial indexes on json_extract(fields, '$.household_id'). Profiled at ingest
-- (docs/perf/README.md): each new record evaluated those expressions, and the one limited to
-- `entity IN ('resident', 'concern', 'task')` built a temporary table for its IN list on every
-- insert; and the look-ups that named other sets of entities (a household's children when it moves
-- beat or is merged: every kind but households) could use none of them and read every record.
-- Kept by records.rs with the other columns derived from a record's values.
ALTER TABLE records ADD COLUMN household_id TEXT;
UPDATE records SET household_id = json_extract(fields, '$.household_id') WHERE entity <> 'household';
DROP INDEX records_visit_household;
DROP INDEX records_child_household;
DROP INDEX records_photo_of;
CREATE INDEX records_by_household ON records (household_id, entity) WHERE household_id IS NOT NULL;
