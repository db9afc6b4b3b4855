-- Today's figures count, household by household of the beat, its visits this week and month and its
-- open concerns. With the household's id in the beat's index those counts read only indexes; before,
-- each of the beat's households was read from the table to learn its id (the benchmark's beat of
-- 69,444 households, 16 MB page cache: the two counts 281 ms before, 67–77 ms after).
DROP INDEX IF EXISTS households_beat;
CREATE INDEX IF NOT EXISTS households_beat_id ON households (beat, deleted, id);
DROP INDEX IF EXISTS concerns_household;
CREATE INDEX IF NOT EXISTS concerns_household_status ON concerns (household_id, status, deleted);
