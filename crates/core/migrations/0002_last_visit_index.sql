-- The last visit of every household is read by Today and the household list (due dates). A partial
-- index over live visits answers it from the index alone, in one ordered pass; it also serves a
-- household's visit history, so the older full index goes.
CREATE INDEX visits_live ON visits (household_id, visited_at) WHERE deleted = 0;
DROP INDEX visits_household;
