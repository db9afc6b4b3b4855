-- Values from an imported ledger that could not be taken as typed (model/to_check.rs), kept beside
-- the record for an officer to check: a JSON list, merged as a set by the sync like tags.
ALTER TABLE households ADD COLUMN to_check TEXT NOT NULL DEFAULT '[]';
ALTER TABLE residents ADD COLUMN to_check TEXT NOT NULL DEFAULT '[]';
