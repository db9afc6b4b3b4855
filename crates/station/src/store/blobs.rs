//! Photos' bytes at the station: received from the laptop that took the photo in acknowledged
//! chunks (a cut resumes at the last one), checked against their SHA-256 when whole, kept as files
//! named by it under the data folder's `blobs/`, and handed to those who may see the photo.
//!
//! The photo's record arrives by the push like any record and may come before its bytes: the
//! station shows it as "photo pending" until they are whole. Who may read the bytes follows the
//! record: its beat, and for a photo of a confidential concern only the concern's recording officer,
//! the photo's own officer and the chief (see `confidential::visible_fields`). Because photos are
//! content-addressed, naming a hash must never be enough to read it: bytes go out only through a
//! photo whose creating laptop sent those bytes whole itself (`blob_holders`).

use super::{Principal, Result, StationError, StationStore, confidential, exec, now};
use doorstep_core::ids::DeviceId;
use doorstep_core::photo::is_sha256_hex;
use doorstep_protocol::{BlobStatus, limits};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{Read, Write};
use std::path::PathBuf;

/// A photo as the staff pages list it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct PhotoView {
    pub id: String,
    pub household_id: String,
    pub visit_id: Option<String>,
    pub concern_id: Option<String>,
    pub caption: String,
    pub taken_at: String,
    pub width: u32,
    pub height: u32,
    /// The record is here but its bytes are not whole yet (the laptop is still sending them).
    pub pending: bool,
    /// A photo of a confidential concern, withheld from this reader.
    pub withheld: bool,
}

/// Which of a photo's two blobs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PhotoPart {
    Thumb,
    Full,
}

/// A photo record naming a blob, as one viewer may see it.
struct Naming {
    /// Its fields as visible to the viewer (a withheld photo's addresses blanked).
    fields: Map<String, Value>,
    beat: String,
    /// Created by a laptop that sent the bytes whole.
    vouched: bool,
}

fn blob_error(code: &'static str, message: impl Into<String>) -> StationError {
    StationError::Blob {
        code,
        message: message.into(),
        status: None,
    }
}

impl StationStore {
    fn partial_path(&self, sha256: &str, device: DeviceId) -> PathBuf {
        self.blob_dir
            .join("partial")
            .join(format!("{sha256}.{device}"))
    }

    fn blob_path(&self, sha256: &str) -> PathBuf {
        self.blob_dir.join(&sha256[..2]).join(sha256)
    }

    /// The size the photo records of `device` give the blob (`None` for a thumbnail, whose size
    /// no record holds), or why the laptop may not send it: no photo of its own names it.
    fn upload_target(&self, device: DeviceId, sha256: &str) -> Result<Option<i64>> {
        if !is_sha256_hex(sha256) {
            return Err(StationError::Invalid(
                "a photo is named by its SHA-256 in lowercase hex".into(),
            ));
        }
        let named: Option<(String, i64)> = self
            .conn
            .prepare_cached(
                "SELECT json_extract(fields, '$.sha256'), json_extract(fields, '$.bytes') FROM records
                 WHERE entity = 'photo' AND created_device = ?2
                   AND (json_extract(fields, '$.sha256') = ?1 OR json_extract(fields, '$.thumb_sha256') = ?1)
                 LIMIT 1",
            )?
            .query_row(params![sha256, device], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match named {
            Some((full, bytes)) if full == sha256 => Ok(Some(bytes)),
            Some(_) => Ok(None),
            None => Err(blob_error(
                "unknown_photo",
                "no photo this laptop sent names these bytes: push the photo's record first",
            )),
        }
    }

    fn holds(&self, sha256: &str, device: DeviceId) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM blob_holders WHERE sha256 = ?1 AND device_id = ?2")?
            .query_row(params![sha256, device], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn check_size(expected: Option<i64>, size: i64) -> Result<()> {
        if !(1..=limits::MAX_BLOB_BYTES).contains(&size) {
            return Err(blob_error(
                "size",
                format!(
                    "a photo is 1 byte to {} MB",
                    limits::MAX_BLOB_BYTES / (1024 * 1024)
                ),
            ));
        }
        if expected.is_some_and(|e| e != size) {
            return Err(blob_error(
                "size",
                format!(
                    "the photo's record says {} bytes, not {size}",
                    expected.unwrap_or_default()
                ),
            ));
        }
        Ok(())
    }

    /// Where the upload of `device` of the blob `sha256` of `size` bytes stands.
    pub fn blob_status(&self, device: DeviceId, sha256: &str, size: i64) -> Result<BlobStatus> {
        let expected = self.upload_target(device, sha256)?;
        Self::check_size(expected, size)?;
        let complete = self.holds(sha256, device)?;
        let received = if complete {
            size
        } else {
            fs::metadata(self.partial_path(sha256, device))
                .map(|m| m.len() as i64)
                .unwrap_or(0)
        };
        Ok(BlobStatus {
            sha256: sha256.to_string(),
            size,
            received,
            complete,
        })
    }

    /// Takes one chunk of an upload, at `offset` (which must be where the station's copy ends:
    /// otherwise the answer says where that is), durably before it is acknowledged. The last chunk
    /// makes the blob whole: its SHA-256 is checked, and bytes that do not match are thrown away.
    pub fn put_blob_chunk(
        &mut self,
        device: DeviceId,
        sha256: &str,
        size: i64,
        offset: i64,
        chunk: &[u8],
    ) -> Result<BlobStatus> {
        let status = self.blob_status(device, sha256, size)?;
        if status.complete {
            return Ok(status);
        }
        if offset != status.received {
            return Err(StationError::Blob {
                code: "offset",
                message: format!(
                    "the station holds {} bytes of this photo; send from there, not from {offset}",
                    status.received
                ),
                status: Some(status),
            });
        }
        let end = offset + chunk.len() as i64;
        if chunk.is_empty() || end > size {
            return Err(blob_error(
                "size",
                format!(
                    "a chunk from {offset} of {} bytes runs past the photo's {size} bytes",
                    chunk.len()
                ),
            ));
        }
        let partial = self.partial_path(sha256, device);
        let io = |e: std::io::Error| StationError::Internal(format!("photo file: {e}"));
        fs::create_dir_all(partial.parent().unwrap_or(&self.blob_dir)).map_err(io)?;
        let mut file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&partial)
            .map_err(io)?;
        file.write_all(chunk).map_err(io)?;
        file.sync_data().map_err(io)?;
        drop(file);
        if end < size {
            return Ok(BlobStatus {
                received: end,
                ..status
            });
        }
        if sha256_of_file(&partial).map_err(io)? != sha256 {
            let _ = fs::remove_file(&partial);
            return Err(StationError::Blob {
                code: "checksum",
                message: "the photo's bytes do not match its SHA-256: they were thrown away; send it again from the start".into(),
                status: Some(BlobStatus {
                    received: 0,
                    ..status
                }),
            });
        }
        let path = self.blob_path(sha256);
        if path.exists() {
            fs::remove_file(&partial).map_err(io)?;
        } else {
            let dir = path.parent().unwrap_or(&self.blob_dir);
            fs::create_dir_all(dir).map_err(io)?;
            fs::rename(&partial, &path).map_err(io)?;
            fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        let tx = self.conn.transaction()?;
        exec(
            &tx,
            "INSERT OR IGNORE INTO blobs (sha256, size, stored_at) VALUES (?1, ?2, ?3)",
            params![sha256, size, now()],
        )?;
        exec(
            &tx,
            "INSERT OR IGNORE INTO blob_holders (sha256, device_id) VALUES (?1, ?2)",
            params![sha256, device],
        )?;
        tx.commit()?;
        Ok(BlobStatus {
            received: size,
            complete: true,
            ..status
        })
    }

    /// Drops the bytes no photo needs any more: named by no live photo, nor by a deleted one
    /// whose deletion is still an open conflict (staff may keep it). The rows go in one
    /// transaction, the files after it commits (a file is never gone while a row names it).
    /// Returns how many blobs went. Run after a push that deleted a photo, and at start.
    pub fn sweep_blobs(&mut self) -> Result<usize> {
        let needed = |column: &str| {
            format!(
                "EXISTS (SELECT 1 FROM records r WHERE r.entity = 'photo' AND json_extract(r.fields, '$.{column}') = b.sha256
                   AND (r.deleted = 0 OR EXISTS (SELECT 1 FROM conflicts c WHERE c.status = 'open'
                                                   AND c.entity = 'photo' AND c.entity_id = r.id)))"
            )
        };
        let tx = self.conn.transaction()?;
        let unneeded: Vec<String> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT b.sha256 FROM blobs b WHERE NOT {} AND NOT {}",
                needed("sha256"),
                needed("thumb_sha256")
            ))?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for sha in &unneeded {
            exec(&tx, "DELETE FROM blob_holders WHERE sha256 = ?1", [sha])?;
            exec(&tx, "DELETE FROM blobs WHERE sha256 = ?1", [sha])?;
        }
        tx.commit()?;
        for sha in &unneeded {
            if let Err(e) = fs::remove_file(self.blob_path(sha))
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(sha, error = %e, "a photo file no photo needs could not be deleted");
            }
        }
        Ok(unneeded.len())
    }

    /// After a restore: forgets the blobs the database says it holds whole but whose files the
    /// backup did not carry (`present` are those it did), so the laptops that took those photos
    /// are told to send them again instead of being told the station has them. Returns how many.
    pub fn forget_blobs_not_in(
        &mut self,
        present: &std::collections::HashSet<String>,
    ) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let held: Vec<String> = {
            let mut stmt = tx.prepare("SELECT DISTINCT sha256 FROM blob_holders")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut forgotten = 0;
        for sha in held.iter().filter(|s| !present.contains(*s)) {
            exec(&tx, "DELETE FROM blob_holders WHERE sha256 = ?1", [sha])?;
            exec(&tx, "DELETE FROM blobs WHERE sha256 = ?1", [sha])?;
            forgotten += 1;
        }
        tx.commit()?;
        Ok(forgotten)
    }

    /// The photos naming `sha256` as `viewer` may see them.
    fn photos_naming(&self, sha256: &str, viewer: &Principal) -> Result<Vec<Naming>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {}, r.beat,
                    EXISTS (SELECT 1 FROM blob_holders b WHERE b.sha256 = ?1 AND b.device_id = r.created_device)
             FROM records r
             WHERE r.entity = 'photo' AND r.deleted = 0
               AND (json_extract(r.fields, '$.sha256') = ?1 OR json_extract(r.fields, '$.thumb_sha256') = ?1)",
            confidential::visible_fields("r", "?2")
        ))?;
        let rows = stmt.query_map(params![sha256, confidential::viewer_key(viewer)], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (fields, beat, vouched) = row?;
            out.push(Naming {
                fields: serde_json::from_str(&fields)?,
                beat,
                vouched,
            });
        }
        Ok(out)
    }

    /// The bytes of a blob for `viewer`, if a photo they may see names it (see the module).
    pub fn blob_for(&self, sha256: &str, viewer: &Principal) -> Result<Vec<u8>> {
        if !is_sha256_hex(sha256) {
            return Err(StationError::Invalid(
                "a photo is named by its SHA-256 in lowercase hex".into(),
            ));
        }
        let names = |fields: &Map<String, Value>| {
            ["sha256", "thumb_sha256"]
                .iter()
                .any(|k| fields.get(*k).and_then(Value::as_str) == Some(sha256))
        };
        let readable = self
            .photos_naming(sha256, viewer)?
            .into_iter()
            .any(|p| p.vouched && viewer.may_read_beat(&p.beat) && names(&p.fields));
        if !readable {
            return Err(StationError::NotPermitted(
                "no photo this account may see has these bytes".into(),
            ));
        }
        self.read_blob(sha256)
    }

    /// A blob's bytes from disk, checked against its address (a damaged file is not handed out).
    fn read_blob(&self, sha256: &str) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        fs::File::open(self.blob_path(sha256))
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|_| {
                StationError::NotFound("the photo's bytes have not reached the station yet".into())
            })?;
        if doorstep_core::photo::sha256_hex(&bytes) != sha256 {
            tracing::error!(sha256, "a photo's file no longer matches its SHA-256");
            return Err(StationError::Internal(format!(
                "the photo file {sha256} is damaged"
            )));
        }
        Ok(bytes)
    }

    /// The photos of a household, a visit or a concern (`field` names which), for the staff pages.
    pub fn photos_of(&self, field: &str, id: &str, viewer: &Principal) -> Result<Vec<PhotoView>> {
        let field = match field {
            "household" => "household_id",
            "visit" => "visit_id",
            "concern" => "concern_id",
            other => {
                return Err(StationError::Invalid(format!(
                    "photos are of a household, a visit or a concern, not {other:?}"
                )));
            }
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT r.id, r.beat, {}, r.fields,
                    EXISTS (SELECT 1 FROM blob_holders b WHERE b.sha256 = json_extract(r.fields, '$.sha256')
                                                          AND b.device_id = r.created_device)
             FROM records r WHERE r.entity = 'photo' AND r.deleted = 0 AND json_extract(r.fields, '$.{field}') = ?1
             ORDER BY json_extract(r.fields, '$.taken_at') DESC",
            confidential::visible_fields("r", "?2")
        ))?;
        let rows = stmt.query_map(params![id, confidential::viewer_key(viewer)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })?;
        let mut photos = Vec::new();
        for row in rows {
            let (photo_id, beat, visible, stored, vouched) = row?;
            if !viewer.may_read_beat(&beat) {
                continue;
            }
            let visible: Map<String, Value> = serde_json::from_str(&visible)?;
            let stored: Map<String, Value> = serde_json::from_str(&stored)?;
            let text = |m: &Map<String, Value>, k: &str| {
                m.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let number = |k: &str| stored.get(k).and_then(Value::as_u64).unwrap_or(0) as u32;
            let withheld = text(&visible, "sha256").is_empty();
            let optional = |k: &str| stored.get(k).and_then(Value::as_str).map(str::to_string);
            photos.push(PhotoView {
                id: photo_id,
                household_id: text(&stored, "household_id"),
                visit_id: optional("visit_id"),
                concern_id: optional("concern_id"),
                caption: if withheld {
                    String::new()
                } else {
                    text(&stored, "caption")
                },
                taken_at: text(&stored, "taken_at"),
                width: number("width"),
                height: number("height"),
                pending: !withheld && !vouched,
                withheld,
            });
        }
        Ok(photos)
    }

    /// One part of a photo for a staff page, by the photo's id.
    pub fn photo_part(&self, id: &str, part: PhotoPart, viewer: &Principal) -> Result<Vec<u8>> {
        let key = match part {
            PhotoPart::Thumb => "$.thumb_sha256",
            PhotoPart::Full => "$.sha256",
        };
        let sha: Option<String> = self
            .conn
            .prepare_cached("SELECT json_extract(fields, ?2) FROM records WHERE entity = 'photo' AND id = ?1 AND deleted = 0")?
            .query_row(params![id, key], |r| r.get(0))
            .optional()?
            .flatten();
        let sha = sha.ok_or_else(|| StationError::NotFound(format!("no photo {id}")))?;
        self.blob_for(&sha, viewer)
    }
}

fn sha256_of_file(path: &std::path::Path) -> std::io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
