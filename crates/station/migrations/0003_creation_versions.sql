-- Who created each record and at which version. A field never changed since creation needs no row
-- of its own in field_versions: its version, device and clock are the creation's. This keeps the
-- common case (new records) to one row per record instead of one per field.
ALTER TABLE records ADD COLUMN created_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN created_device TEXT NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000';
ALTER TABLE records ADD COLUMN created_hlc_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN created_hlc_counter INTEGER NOT NULL DEFAULT 0;
