-- Today lists the households with values left to check (store/queries.rs, to_check_items): found
-- through these partial indexes, which hold only the few records that have any, instead of a pass
-- over every household and resident of the beat.
CREATE INDEX IF NOT EXISTS households_to_check ON households (id) WHERE to_check <> '[]';
CREATE INDEX IF NOT EXISTS residents_to_check ON residents (household_id) WHERE to_check <> '[]';
