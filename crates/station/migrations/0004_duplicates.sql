-- Duplicates: two records the station believes are one real household (the same normalised address
-- in one beat). Staff merge them (the loser becomes a redirect and its children move to the
-- survivor) or dismiss them; a merge can be undone.
ALTER TABLE records ADD COLUMN address_norm TEXT;
CREATE INDEX records_household_address ON records (beat, address_norm) WHERE entity = 'household';

CREATE TABLE duplicates (
    id         INTEGER PRIMARY KEY,
    entity     TEXT NOT NULL,
    first_id   TEXT NOT NULL,              -- the record the station already had
    second_id  TEXT NOT NULL,              -- the newcomer that looks the same
    reason     TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'open', -- open, merged, undone
    survivor   TEXT,
    loser      TEXT,
    moved      TEXT,                       -- JSON list of [entity, id] re-pointed by the merge
    decided_by TEXT,
    decided_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX duplicates_status ON duplicates (status);

-- A merged loser answers for its survivor: late changes naming it are re-routed.
CREATE TABLE redirects (
    entity   TEXT NOT NULL,
    id       TEXT NOT NULL,
    survivor TEXT NOT NULL,
    PRIMARY KEY (entity, id)
);
