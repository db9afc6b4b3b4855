-- A candidate pair is looked for before it is queued (either way round), once for every candidate a
-- pushed household or resident turns up: by this index, not by reading every pair ever queued,
-- which made each candidate cost as much as all before it.
CREATE INDEX duplicates_pair ON duplicates (entity, first_id, second_id);
