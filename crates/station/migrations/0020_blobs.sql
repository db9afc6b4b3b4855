-- Photos' bytes (store/blobs.rs). The files are under the data folder's `blobs/`, named by their
-- SHA-256 (checked when the last chunk arrives); this table says which are whole.
CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    stored_at  TEXT NOT NULL
);
-- The laptops that sent a blob whole. Bytes are handed out only through a photo whose creating
-- laptop is one of them: a laptop that merely names a hash it learned (a photo record forged
-- around another officer's confidential photo) gets nothing for it.
CREATE TABLE blob_holders (
    sha256     TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    PRIMARY KEY (sha256, device_id)
) WITHOUT ROWID;
CREATE INDEX records_photo_sha ON records (json_extract(fields, '$.sha256')) WHERE entity = 'photo';
CREATE INDEX records_photo_thumb ON records (json_extract(fields, '$.thumb_sha256')) WHERE entity = 'photo';
CREATE INDEX records_photo_of ON records (json_extract(fields, '$.household_id')) WHERE entity = 'photo';
