-- A task's person responsible is the station's account, not a name (two officers may share one):
-- the laptop keeps its own account and the station's officers, taken at every sync.
ALTER TABLE device ADD COLUMN account_id TEXT;
CREATE TABLE officers (
    account_id TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    beats      TEXT NOT NULL DEFAULT '[]'
);
