-- The station's database has a lineage: a restore from a backup starts a new one (store::lineage).
-- Laptops remember the lineage they synced with; when it changes they send again what the station
-- acknowledged after the backup was taken and download their beats afresh.
INSERT INTO meta (key, value) VALUES ('lineage', abs(random()));

-- Versions the station handed out after a backup was taken, lost when it was restored. A restore
-- moves the version counter past them, so laptops that saw those versions still base their edits on
-- something the station can tell apart from a forged base.
CREATE TABLE lost_versions (
    from_version INTEGER NOT NULL,
    to_version   INTEGER NOT NULL,
    restored_at  TEXT NOT NULL
);

-- After a restore, a change about a record the station lost (another laptop's, not sent again yet)
-- waits for it instead of being refused: status 'awaiting', the record's kind and id in
-- `awaits_entity` and `awaits`. It is decided when that record arrives.
ALTER TABLE changes ADD COLUMN awaits_entity TEXT;
ALTER TABLE changes ADD COLUMN awaits TEXT;
CREATE INDEX changes_awaiting ON changes (awaits) WHERE status = 'awaiting';
