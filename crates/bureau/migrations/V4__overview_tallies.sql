-- The city overview's figures, kept at ingest (src/store/tallies.rs) so that a request sums a few
-- thousand small rows instead of reading every household, visit, concern and task of every station
-- (3 s at 100k households and 2M visits). Filled, and filled again whenever the visit policy or the
-- bureau's time zone changes, by `tallies::rebuild_if_stale` at start.

-- What a household's due date is worked out from, as columns (they were only in `fields`).
ALTER TABLE households ADD COLUMN registered_at timestamptz, ADD COLUMN interval_days integer;

-- Each live household: its beat, its last visit and when the next is due (the core's visit policy:
-- an interval after the last visit, or the registration for a household never visited; NULL when
-- there is nothing to go by, counted as covered). Replaces last_visits.
CREATE TABLE household_status (
    station_id    integer NOT NULL REFERENCES stations (id),
    household_id  text NOT NULL,
    beat          text NOT NULL,
    last_visit_at timestamptz,
    due           timestamptz,
    PRIMARY KEY (station_id, household_id)
) PARTITION BY LIST (station_id);

DO $$
DECLARE s integer;
BEGIN
    FOR s IN SELECT id FROM stations LOOP
        EXECUTE format('CREATE TABLE IF NOT EXISTS household_status_s%s PARTITION OF household_status FOR VALUES IN (%s)', s, s);
    END LOOP;
END $$;

DROP TABLE last_visits;

-- Ratings of live visits per beat and local month.
CREATE TABLE rating_tallies (
    station_id integer NOT NULL REFERENCES stations (id),
    beat       text NOT NULL,
    month      date NOT NULL,
    rating     text NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (station_id, beat, month, rating)
);
CREATE INDEX rating_tallies_by_month ON rating_tallies (month);

-- Open (not closed, not deleted) concerns per beat and category.
CREATE TABLE open_concern_tallies (
    station_id integer NOT NULL REFERENCES stations (id),
    beat       text NOT NULL,
    category   text NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (station_id, beat, category)
);

-- Open (open or in progress, not deleted) tasks per beat and due date ('infinity' for none,
-- never overdue: a key column cannot be NULL).
CREATE TABLE open_task_tallies (
    station_id integer NOT NULL REFERENCES stations (id),
    beat       text NOT NULL,
    due_date   date NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (station_id, beat, due_date)
);

-- What the tallies were worked out under (the visit policy and the time zone's offset): when it
-- differs from the running bureau's, they are worked out again from the records.
CREATE TABLE tally_basis (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    basis text NOT NULL
);
