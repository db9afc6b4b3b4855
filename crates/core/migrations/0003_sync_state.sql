-- Where this device stands with its station: the pull cursor (the station version up to which its
-- beats' records have been received). The push side's `acked_seq` is already on the device row.
ALTER TABLE device ADD COLUMN pull_cursor INTEGER NOT NULL DEFAULT 0;
