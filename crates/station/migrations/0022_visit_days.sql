-- Each household's visit days (UTC dates, as due dates are counted), oldest first, comma-separated:
-- what the overview's coverage on a past day needs (the last visit on or before it). Kept with
-- every write by tallies.rs, so that a past day's coverage is worked out from one short row per
-- household instead of every visit's JSON.
ALTER TABLE household_status ADD COLUMN visit_days TEXT NOT NULL DEFAULT '';
UPDATE household_status SET visit_days = coalesce((
    SELECT group_concat(d, ',' ORDER BY d) FROM (
        SELECT DISTINCT substr(json_extract(v.fields, '$.visited_at'), 1, 10) AS d FROM records v
        WHERE v.entity = 'visit' AND v.deleted = 0 AND json_extract(v.fields, '$.household_id') = household_status.id
        ORDER BY d)), '');
-- Coverage remembered on past days was kept as first worked out, missing visits synced later (a
-- late laptop's): from now on a write that changes a past day's coverage forgets that day, and it
-- is worked out again. What was remembered before is worked out again once.
DELETE FROM coverage_days;
