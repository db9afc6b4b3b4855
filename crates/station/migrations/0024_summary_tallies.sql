-- What the monthly summary reads besides visit_tally (visits and ratings per local day and beat),
-- kept with every write by tallies.rs, so that a month's summary sums a few hundred rows instead of
-- reading its visits (0.86 s for a month of 170,000):
-- - purpose_tally: visits per local month, beat and purpose;
-- - household_months: visits per local month and household (a household visited that month has a
--   row).
CREATE TABLE purpose_tally (
    month   TEXT NOT NULL,
    beat    TEXT NOT NULL,
    purpose TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (month, beat, purpose)
) WITHOUT ROWID;

CREATE TABLE household_months (
    month        TEXT NOT NULL,
    household_id TEXT NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (month, household_id)
) WITHOUT ROWID;

-- A month's opinions without reading its other visits.
CREATE INDEX visit_facts_opinions ON visit_facts (visited_at) WHERE opinions IS NOT NULL;

INSERT INTO purpose_tally (month, beat, purpose, n)
SELECT substr(date(f.visited_at, 'localtime'), 1, 7), f.beat, p.value, count(DISTINCT f.id)
FROM visit_facts f, json_each(f.purposes) p
WHERE date(f.visited_at, 'localtime') IS NOT NULL AND p.type = 'text'
GROUP BY 1, 2, 3;

INSERT INTO household_months (month, household_id, n)
SELECT substr(date(visited_at, 'localtime'), 1, 7), household_id, count(*) FROM visit_facts
WHERE date(visited_at, 'localtime') IS NOT NULL
GROUP BY 1, 2;
