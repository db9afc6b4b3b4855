-- An open conflict follows later writes of its field (see follow_open_conflicts in store/mod.rs):
-- its applied side takes the new value, and these say whose write that was and when, for the
-- merge queue to name the right officer.
ALTER TABLE conflicts ADD COLUMN current_device TEXT;
ALTER TABLE conflicts ADD COLUMN current_at TEXT;
