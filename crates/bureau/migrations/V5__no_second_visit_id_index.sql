-- Visits by (station, id) are found through their primary key (station_id, id, visited_at), whose
-- first columns these are: the second index only cost every visit written an entry more.
DROP INDEX visits_by_id;
