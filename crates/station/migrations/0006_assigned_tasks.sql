-- Officers receive, besides their beats, the tasks assigned to them in other beats, with the
-- household and concern each is about. A row stays after the task is re-assigned to someone else, so
-- that the officer's laptop also learns it is no longer theirs.
CREATE TABLE assigned (
    assignee     TEXT NOT NULL,               -- the officer's name, as devices enrol with it
    task_id      TEXT NOT NULL,
    household_id TEXT NOT NULL,
    concern_id   TEXT,
    PRIMARY KEY (assignee, task_id)
);
INSERT OR IGNORE INTO assigned (assignee, task_id, household_id, concern_id)
SELECT json_extract(fields, '$.assignee'), id, json_extract(fields, '$.household_id'), json_extract(fields, '$.concern_id')
FROM records WHERE entity = 'task' AND json_extract(fields, '$.assignee') IS NOT NULL;
