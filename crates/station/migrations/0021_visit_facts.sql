-- The visits as the monthly summary reads them (store/summary.rs): one narrow row per live visit,
-- clustered by its time, so that a month of a station's visits is one range of this table instead
-- of 170,000 visits' JSON parsed. Kept by tallies.rs with every write, as the tallies of 0007.
CREATE TABLE visit_facts (
    visited_at   TEXT NOT NULL,
    id           TEXT NOT NULL,
    beat         TEXT NOT NULL,
    household_id TEXT NOT NULL,
    purposes     TEXT NOT NULL, -- JSON array, as in the record
    rating       TEXT,
    areas        TEXT NOT NULL, -- the five inquiry areas the opinions touch, JSON array
    opinions     TEXT,          -- NULL when there are none
    PRIMARY KEY (visited_at, id)
) WITHOUT ROWID;

INSERT INTO visit_facts (visited_at, id, beat, household_id, purposes, rating, areas, opinions)
SELECT json_extract(fields, '$.visited_at'), id, beat, coalesce(json_extract(fields, '$.household_id'), ''),
       coalesce(json_extract(fields, '$.purposes'), '[]'), json_extract(fields, '$.rating'),
       coalesce(json_extract(fields, '$.inquiry_areas'), '[]'),
       nullif(trim(coalesce(json_extract(fields, '$.opinions'), '')), '')
FROM records
WHERE entity = 'visit' AND deleted = 0 AND json_extract(fields, '$.visited_at') IS NOT NULL;
