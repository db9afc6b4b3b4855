-- The report tallies are kept by the station's own code now (store/tallies.rs), from the values it
-- writes, instead of by triggers re-reading each record's JSON: the same tables, at less cost per
-- change taken in.
DROP TRIGGER household_status_insert;
DROP TRIGGER household_status_update;
DROP TRIGGER visit_last_insert;
DROP TRIGGER visit_last_update;
DROP TRIGGER visit_tally_insert;
DROP TRIGGER visit_tally_update;
DROP TRIGGER concern_status_insert;
DROP TRIGGER concern_status_update;
