-- Which station each record belongs to, claimed by its first batch: a batch naming a record another
-- station holds is refused. One index for all stations: asking every station's partition by id
-- instead cost a probe per partition and record, and ingest slowed as stations were added.
CREATE TABLE record_owners (
    entity     text NOT NULL,
    id         text NOT NULL,
    station_id integer NOT NULL REFERENCES stations (id),
    PRIMARY KEY (entity, id)
);
INSERT INTO record_owners (entity, id, station_id)
    SELECT 'household', id, station_id FROM households
    UNION ALL SELECT 'resident', id, station_id FROM residents
    UNION ALL SELECT DISTINCT 'visit', id, station_id FROM visits
    UNION ALL SELECT 'concern', id, station_id FROM concerns
    UNION ALL SELECT 'task', id, station_id FROM tasks
ON CONFLICT DO NOTHING;

DROP INDEX households_by_id;
DROP INDEX residents_by_id;
DROP INDEX concerns_by_id;
DROP INDEX tasks_by_id;
DROP INDEX visits_by_bare_id;
