-- What the overview and the monthly summary read, kept up to date by triggers on `records` in the
-- same transaction as every write (pushes, merges, staff edits alike), so that reports never parse
-- two million visits' JSON:
-- - household_status: each household's beat, tags, registration and last visit (UTC dates, as the
--   laptops count due dates);
-- - visit_tally: visits per local day, beat, officer ('' for the beat's own total) and rating;
-- - concern_status: each concern's beat, category, urgency, status and times.

CREATE TABLE household_status (
    id            TEXT PRIMARY KEY,
    beat          TEXT NOT NULL,
    tags          TEXT NOT NULL,
    registered_on TEXT,
    last_visit_on TEXT,
    deleted       INTEGER NOT NULL
);
CREATE INDEX household_status_beat ON household_status (beat) WHERE deleted = 0;

CREATE TABLE visit_tally (
    day     TEXT NOT NULL,
    beat    TEXT NOT NULL,
    officer TEXT NOT NULL,
    rating  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (day, beat, officer, rating)
) WITHOUT ROWID;

CREATE TABLE concern_status (
    id          TEXT PRIMARY KEY,
    beat        TEXT NOT NULL,
    category    TEXT NOT NULL,
    urgency     TEXT NOT NULL,
    status      TEXT NOT NULL,
    raised_at   TEXT NOT NULL,
    feedback_at TEXT,
    closed_at   TEXT,
    deleted     INTEGER NOT NULL
);
CREATE INDEX concern_status_raised ON concern_status (raised_at);
CREATE INDEX concern_status_closed ON concern_status (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX concern_status_feedback ON concern_status (feedback_at) WHERE feedback_at IS NOT NULL;

-- A visit's household and time, indexed: for recomputing a household's last visit, for merges
-- re-pointing a household's visits, and for the month's visits in the summary.
CREATE INDEX records_visit_household ON records (json_extract(fields, '$.household_id')) WHERE entity = 'visit';
CREATE INDEX records_visit_at ON records (json_extract(fields, '$.visited_at')) WHERE entity = 'visit';

-- Households.
CREATE TRIGGER household_status_insert AFTER INSERT ON records WHEN NEW.entity = 'household'
BEGIN
    INSERT INTO household_status (id, beat, tags, registered_on, deleted)
    VALUES (NEW.id, NEW.beat, coalesce(json_extract(NEW.fields, '$.tags'), '[]'),
            substr(json_extract(NEW.fields, '$.registered_at'), 1, 10), NEW.deleted)
    ON CONFLICT (id) DO UPDATE SET beat = excluded.beat, tags = excluded.tags,
        registered_on = excluded.registered_on, deleted = excluded.deleted;
END;
CREATE TRIGGER household_status_update AFTER UPDATE ON records WHEN NEW.entity = 'household'
BEGIN
    UPDATE household_status SET beat = NEW.beat, tags = coalesce(json_extract(NEW.fields, '$.tags'), '[]'),
        registered_on = substr(json_extract(NEW.fields, '$.registered_at'), 1, 10), deleted = NEW.deleted
    WHERE id = NEW.id;
END;

-- A new visit can only make a household's last visit later.
CREATE TRIGGER visit_last_insert AFTER INSERT ON records WHEN NEW.entity = 'visit' AND NEW.deleted = 0
BEGIN
    UPDATE household_status
    SET last_visit_on = max(coalesce(last_visit_on, ''), substr(json_extract(NEW.fields, '$.visited_at'), 1, 10))
    WHERE id = json_extract(NEW.fields, '$.household_id');
END;
-- An edited, moved or deleted visit: both households' last visits are worked out again.
CREATE TRIGGER visit_last_update AFTER UPDATE ON records WHEN NEW.entity = 'visit'
BEGIN
    UPDATE household_status
    SET last_visit_on = (
        SELECT max(substr(json_extract(v.fields, '$.visited_at'), 1, 10)) FROM records v
        WHERE v.entity = 'visit' AND v.deleted = 0
          AND json_extract(v.fields, '$.household_id') = household_status.id)
    WHERE id IN (json_extract(OLD.fields, '$.household_id'), json_extract(NEW.fields, '$.household_id'));
END;

-- Visit tallies: +1 for the beat ('' officer) and each officer on a new visit; on an edit the old
-- visit's counts come off and the new one's go on.
CREATE TRIGGER visit_tally_insert AFTER INSERT ON records WHEN NEW.entity = 'visit' AND NEW.deleted = 0
BEGIN
    INSERT INTO visit_tally (day, beat, officer, rating, n)
    SELECT date(json_extract(NEW.fields, '$.visited_at'), 'localtime'), NEW.beat, o.value,
           coalesce(json_extract(NEW.fields, '$.rating'), ''), 1
    FROM (SELECT '' AS value UNION ALL SELECT value FROM json_each(NEW.fields, '$.officers')) AS o WHERE true
    ON CONFLICT (day, beat, officer, rating) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER visit_tally_update AFTER UPDATE ON records WHEN NEW.entity = 'visit'
BEGIN
    UPDATE visit_tally SET n = n - 1
    WHERE OLD.deleted = 0 AND day = date(json_extract(OLD.fields, '$.visited_at'), 'localtime') AND beat = OLD.beat
      AND rating = coalesce(json_extract(OLD.fields, '$.rating'), '')
      AND officer IN (SELECT '' UNION ALL SELECT value FROM json_each(OLD.fields, '$.officers'));
    INSERT INTO visit_tally (day, beat, officer, rating, n)
    SELECT date(json_extract(NEW.fields, '$.visited_at'), 'localtime'), NEW.beat, o.value,
           coalesce(json_extract(NEW.fields, '$.rating'), ''), 1
    FROM (SELECT '' AS value UNION ALL SELECT value FROM json_each(NEW.fields, '$.officers')) AS o
    WHERE NEW.deleted = 0
    ON CONFLICT (day, beat, officer, rating) DO UPDATE SET n = n + 1;
END;

-- Concerns.
CREATE TRIGGER concern_status_insert AFTER INSERT ON records WHEN NEW.entity = 'concern'
BEGIN
    INSERT OR REPLACE INTO concern_status (id, beat, category, urgency, status, raised_at, feedback_at, closed_at, deleted)
    VALUES (NEW.id, NEW.beat, json_extract(NEW.fields, '$.category'), json_extract(NEW.fields, '$.urgency'),
            json_extract(NEW.fields, '$.status'), json_extract(NEW.fields, '$.raised_at'),
            json_extract(NEW.fields, '$.feedback_at'), json_extract(NEW.fields, '$.closed_at'), NEW.deleted);
END;
CREATE TRIGGER concern_status_update AFTER UPDATE ON records WHEN NEW.entity = 'concern'
BEGIN
    INSERT OR REPLACE INTO concern_status (id, beat, category, urgency, status, raised_at, feedback_at, closed_at, deleted)
    VALUES (NEW.id, NEW.beat, json_extract(NEW.fields, '$.category'), json_extract(NEW.fields, '$.urgency'),
            json_extract(NEW.fields, '$.status'), json_extract(NEW.fields, '$.raised_at'),
            json_extract(NEW.fields, '$.feedback_at'), json_extract(NEW.fields, '$.closed_at'), NEW.deleted);
END;

-- What the station already holds.
INSERT INTO household_status (id, beat, tags, registered_on, deleted)
SELECT id, beat, coalesce(json_extract(fields, '$.tags'), '[]'), substr(json_extract(fields, '$.registered_at'), 1, 10), deleted
FROM records WHERE entity = 'household';
UPDATE household_status SET last_visit_on = (
    SELECT max(substr(json_extract(v.fields, '$.visited_at'), 1, 10)) FROM records v
    WHERE v.entity = 'visit' AND v.deleted = 0 AND json_extract(v.fields, '$.household_id') = household_status.id);
INSERT INTO visit_tally (day, beat, officer, rating, n)
SELECT day, beat, officer, rating, count(*) FROM (
    SELECT date(json_extract(fields, '$.visited_at'), 'localtime') AS day, beat, '' AS officer,
           coalesce(json_extract(fields, '$.rating'), '') AS rating
    FROM records WHERE entity = 'visit' AND deleted = 0
    UNION ALL
    SELECT date(json_extract(r.fields, '$.visited_at'), 'localtime'), r.beat, j.value, coalesce(json_extract(r.fields, '$.rating'), '')
    FROM records r, json_each(r.fields, '$.officers') j WHERE r.entity = 'visit' AND r.deleted = 0)
GROUP BY day, beat, officer, rating;
INSERT INTO concern_status (id, beat, category, urgency, status, raised_at, feedback_at, closed_at, deleted)
SELECT id, beat, json_extract(fields, '$.category'), json_extract(fields, '$.urgency'), json_extract(fields, '$.status'),
       json_extract(fields, '$.raised_at'), json_extract(fields, '$.feedback_at'), json_extract(fields, '$.closed_at'), deleted
FROM records WHERE entity = 'concern';

-- The station's coverage on days already worked out (the overview's history), per beat.
CREATE TABLE coverage_days (
    day        TEXT NOT NULL,
    beat       TEXT NOT NULL,
    covered    INTEGER NOT NULL,
    households INTEGER NOT NULL,
    PRIMARY KEY (day, beat)
) WITHOUT ROWID;
