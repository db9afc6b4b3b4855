-- A pull reads one beat's records above a cursor. By `records_version` alone it read every
-- record of the station written since then and kept its beat's: with hundreds of laptops syncing,
-- each pull read everyone's edits (the load command's knee). By beat and version it reads its own.
CREATE INDEX records_beat_version ON records (beat, version);
