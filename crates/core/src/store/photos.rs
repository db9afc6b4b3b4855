//! Photos on the laptop: attaching one (its record saved and logged like any edit, its JPEG and
//! thumbnail stored as blobs in the same transaction), the upload queue that sends each blob to the
//! station in acknowledged chunks, the blobs fetched from the station for other officers' photos
//! (thumbnails first, a full photo when it is opened, within a space budget), and dropping bytes no
//! record names any more.
//!
//! Blobs live in the database, so they are encrypted with it (SQLCipher) and backed up with it;
//! addressed by SHA-256, the same photo attached twice is kept once.

use super::Store;
use super::records::save_in;
use crate::error::{Error, ErrorCode, Result};
use crate::ids::{ConcernId, HouseholdId, PhotoId, VisitId};
use crate::model::{Concern, Photo, Visit};
use crate::photo::{self, PhotoOptions};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a photo is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
#[ts(export)]
pub enum PhotoOf {
    Household(HouseholdId),
    Visit(VisitId),
    Concern(ConcernId),
}

/// A photo as lists show it: the record and which of its bytes this laptop holds.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PhotoEntry {
    pub photo: Photo,
    pub has_thumb: bool,
    pub has_full: bool,
    /// Its bytes are still to reach the station (written here, not yet all acknowledged).
    pub uploading: bool,
    /// Why the last try to send it failed, if it did (it is tried again on its own).
    pub upload_error: String,
}

/// One blob to send: where the station's acknowledgement stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub sha256: String,
    pub sent: i64,
    pub size: i64,
    pub attempts: i64,
}

/// What photos take on this laptop, for Settings and the sync progress.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PhotoSpace {
    pub photos: u32,
    /// Bytes of every blob held (photos and thumbnails).
    #[ts(type = "number")]
    pub bytes: i64,
    /// Of them, fetched from the station (dropped first when over the budget).
    #[ts(type = "number")]
    pub fetched_bytes: i64,
    /// Blobs still to send, and their bytes not yet acknowledged.
    pub uploads: u32,
    #[ts(type = "number")]
    pub upload_bytes: i64,
    /// The budget for fetched photos, in MB.
    pub budget_mb: u32,
    /// New photos are kept at their own size, not shrunk (see `PhotoOptions::full_size`).
    pub keep_full_size: bool,
}

const BUDGET_KEY: &str = "photo_budget_mb";
const FULL_SIZE_KEY: &str = "photo_keep_full_size";
/// Fetched photos may take this much unless Settings say otherwise.
pub const DEFAULT_BUDGET_MB: u32 = 500;

/// The wait before the next try of an upload that failed `attempts` times: 5 s doubling to 10 min,
/// so a station that is down is not hammered and one that is back is found within minutes.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 8) - 1;
    (5_000i64 << exp).min(600_000)
}

impl Store {
    /// Checks and shrinks `bytes` (see [`crate::photo`]) and attaches the photo to `of`: the record,
    /// its two blobs and their place in the upload queue, in one transaction.
    pub fn attach_photo(
        &mut self,
        of: PhotoOf,
        bytes: &[u8],
        caption: &str,
        options: PhotoOptions,
    ) -> Result<Photo> {
        let (household_id, visit_id, concern_id) = match of {
            PhotoOf::Household(h) => (h, None, None),
            PhotoOf::Visit(v) => (self.get::<Visit>(v.0)?.household_id, Some(v), None),
            PhotoOf::Concern(c) => (self.get::<Concern>(c.0)?.household_id, None, Some(c)),
        };
        let options = PhotoOptions {
            full_size: options.full_size || self.photo_keep_full_size()?,
            ..options
        };
        let prepared = photo::prepare(bytes, options)?;
        let sha256 = photo::sha256_hex(&prepared.full);
        let thumb_sha256 = photo::sha256_hex(&prepared.thumb);
        let record = Photo {
            id: PhotoId::new(),
            version: 0,
            household_id,
            visit_id,
            concern_id,
            sha256: sha256.clone(),
            thumb_sha256: thumb_sha256.clone(),
            bytes: prepared.full.len() as i64,
            width: prepared.width,
            height: prepared.height,
            caption: caption.trim().to_string(),
            taken_at: crate::time::now(),
            location: prepared.location,
            deleted: false,
        };
        let errors = crate::model::Record::validate(&record, crate::time::local_today());
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        self.with_tx(|tx, device| {
            for (sha, blob) in [(&sha256, &prepared.full), (&thumb_sha256, &prepared.thumb)] {
                put_blob(tx, sha, blob, true)?;
                tx.execute(
                    "INSERT OR IGNORE INTO blob_uploads (sha256) VALUES (?1)",
                    [sha],
                )?;
            }
            save_in(tx, device, &record)?;
            Ok(())
        })?;
        Ok(record)
    }

    /// The photos of a household (with its visits' and concerns'), newest first; or of one visit or
    /// concern.
    pub fn photos(&self, of: PhotoOf) -> Result<Vec<PhotoEntry>> {
        let (condition, id) = match of {
            PhotoOf::Household(h) => ("household_id = ?1", h.0),
            PhotoOf::Visit(v) => ("visit_id = ?1", v.0),
            PhotoOf::Concern(c) => ("concern_id = ?1", c.0),
        };
        let photos: Vec<Photo> = self.select(
            &format!("{condition} AND deleted = 0 ORDER BY taken_at DESC, id"),
            [id.hyphenated().to_string()],
        )?;
        photos.into_iter().map(|p| self.entry(p)).collect()
    }

    /// One photo with what this laptop holds of it.
    pub fn photo(&self, id: PhotoId) -> Result<PhotoEntry> {
        let photo: Photo = self.get(id.0)?;
        self.entry(photo)
    }

    fn entry(&self, photo: Photo) -> Result<PhotoEntry> {
        let has = |sha: &str| -> Result<bool> {
            Ok(self
                .conn
                .prepare_cached("SELECT 1 FROM blobs WHERE sha256 = ?1")?
                .query_row([sha], |_| Ok(()))
                .optional()?
                .is_some())
        };
        let upload: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT group_concat(last_error, '; ') FROM blob_uploads WHERE sha256 IN (?1, ?2)
                 HAVING count(*) > 0",
            )?
            .query_row(params![photo.sha256, photo.thumb_sha256], |r| {
                Ok(r.get::<_, Option<String>>(0)?.unwrap_or_default())
            })
            .optional()?;
        Ok(PhotoEntry {
            has_thumb: has(&photo.thumb_sha256)?,
            has_full: has(&photo.sha256)?,
            uploading: upload.is_some(),
            upload_error: upload
                .unwrap_or_default()
                .trim_matches([';', ' '])
                .to_string(),
            photo,
        })
    }

    /// The bytes of a blob, if this laptop holds them (and notes they were used, for the budget).
    pub fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let bytes: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT bytes FROM blobs WHERE sha256 = ?1")?
            .query_row([sha256], |r| r.get(0))
            .optional()?;
        if bytes.is_some() {
            self.conn.execute(
                "UPDATE blobs SET used_at = ?2 WHERE sha256 = ?1",
                params![sha256, now_ms()],
            )?;
        }
        Ok(bytes)
    }

    /// Deletes a photo (a tombstone, synced like any deletion); its bytes go once no record names
    /// them.
    pub fn delete_photo(&mut self, id: PhotoId) -> Result<()> {
        self.delete::<Photo>(id.0)?;
        self.with_tx(|tx, _| collect_blobs(tx))
    }

    /// Edits a photo's caption.
    pub fn caption_photo(&mut self, id: PhotoId, caption: &str) -> Result<Photo> {
        let seen: Photo = self.get(id.0)?;
        if seen.withheld() {
            return Err(Error::invalid("caption", ErrorCode::UnknownValue));
        }
        let mut edited = seen.clone();
        edited.caption = caption.trim().to_string();
        self.save_edit(&seen, &edited)?;
        self.get(id.0)
    }

    /// The blobs waiting to be sent whose next try is due at `now_ms`, oldest first.
    pub fn uploads_due(&self, now_ms: i64) -> Result<Vec<Upload>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT u.sha256, u.sent, b.size, u.attempts FROM blob_uploads u JOIN blobs b USING (sha256)
             WHERE u.next_try_ms <= ?1 ORDER BY u.rowid",
        )?;
        let rows = stmt.query_map([now_ms], |r| {
            Ok(Upload {
                sha256: r.get(0)?,
                sent: r.get(1)?,
                size: r.get(2)?,
                attempts: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// When the next upload waiting on its back-off is due (none: nothing waits).
    pub fn next_upload_ms(&self) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row("SELECT min(next_try_ms) FROM blob_uploads", [], |r| {
                r.get(0)
            })?)
    }

    /// `len` bytes of a blob from `offset` (fewer at its end).
    pub fn blob_chunk(&self, sha256: &str, offset: i64, len: i64) -> Result<Vec<u8>> {
        Ok(self
            .conn
            .prepare_cached("SELECT substr(bytes, ?2 + 1, ?3) FROM blobs WHERE sha256 = ?1")?
            .query_row(params![sha256, offset, len], |r| r.get(0))?)
    }

    /// The station acknowledged `sent` bytes of a blob: a cut from here resumes there. Progress
    /// clears the back-off (the link works); the same offset again does not, so an upload whose
    /// every try breaks still backs off.
    pub fn upload_progress(&self, sha256: &str, sent: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE blob_uploads SET
                 attempts = CASE WHEN ?2 > sent THEN 0 ELSE attempts END,
                 last_error = CASE WHEN ?2 > sent THEN '' ELSE last_error END,
                 sent = ?2
             WHERE sha256 = ?1",
            params![sha256, sent],
        )?;
        Ok(())
    }

    /// The station holds the whole blob.
    pub fn upload_finished(&self, sha256: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM blob_uploads WHERE sha256 = ?1", [sha256])?;
        Ok(())
    }

    /// A try failed: the blob waits its back-off, the others go on.
    pub fn upload_failed(&self, sha256: &str, error: &str, now_ms: i64) -> Result<()> {
        let attempts: Option<i64> = self
            .conn
            .query_row(
                "SELECT attempts + 1 FROM blob_uploads WHERE sha256 = ?1",
                [sha256],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(attempts) = attempts {
            self.conn.execute(
                "UPDATE blob_uploads SET attempts = ?2, last_error = ?3, next_try_ms = ?4 WHERE sha256 = ?1",
                params![sha256, attempts, error, now_ms + backoff_ms(attempts)],
            )?;
        }
        Ok(())
    }

    /// The station lost what it had acknowledged of a blob (it was restored from a backup): send
    /// it again, whole, now.
    pub fn upload_again(&self, sha256: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO blob_uploads (sha256) SELECT ?1 WHERE EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1)
             ON CONFLICT (sha256) DO UPDATE SET sent = 0, next_try_ms = 0",
            [sha256],
        )?;
        Ok(())
    }

    /// Every blob this laptop wrote is sent again, whole (the station went back to a backup).
    pub fn upload_all_again(&self) -> Result<()> {
        self.conn.execute(
            "INSERT INTO blob_uploads (sha256) SELECT sha256 FROM blobs WHERE own = 1
             ON CONFLICT (sha256) DO UPDATE SET sent = 0, next_try_ms = 0",
            [],
        )?;
        Ok(())
    }

    /// The thumbnails of photos this laptop shows but does not hold (photos of other officers,
    /// pulled from the station): fetched after each sync.
    pub fn thumbs_wanted(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT thumb_sha256 FROM photos p WHERE deleted = 0 AND sha256 <> ''
               AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = p.thumb_sha256)",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Keeps a blob fetched from the station, if its bytes are what its address says (anything
    /// else is refused, never stored), then drops the least recently used fetched photos beyond the
    /// budget.
    pub fn keep_fetched_blob(&mut self, sha256: &str, bytes: &[u8]) -> Result<()> {
        if photo::sha256_hex(bytes) != sha256 {
            return Err(Error::invalid("sha256", ErrorCode::UnknownValue));
        }
        let budget = i64::from(self.photo_budget_mb()?) * 1024 * 1024;
        self.with_tx(|tx, _| {
            put_blob(tx, sha256, bytes, false)?;
            // Thumbnails stay (they are small and every list shows them); full photos fetched
            // from the station go, oldest use first, until the fetched ones fit.
            let mut fetched: i64 = tx.query_row(
                "SELECT coalesce(sum(size), 0) FROM blobs WHERE own = 0",
                [],
                |r| r.get(0),
            )?;
            let mut stmt = tx.prepare(
                "SELECT b.sha256, b.size FROM blobs b WHERE b.own = 0 AND b.sha256 <> ?1
                   AND EXISTS (SELECT 1 FROM photos p WHERE p.sha256 = b.sha256)
                 ORDER BY b.used_at",
            )?;
            let candidates: Vec<(String, i64)> = stmt
                .query_map([sha256], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (sha, size) in candidates {
                if fetched <= budget {
                    break;
                }
                tx.execute("DELETE FROM blobs WHERE sha256 = ?1", [&sha])?;
                fetched -= size;
            }
            Ok(())
        })
    }

    pub fn photo_budget_mb(&self) -> Result<u32> {
        Ok(super::settings::text(&self.conn, BUDGET_KEY)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_BUDGET_MB))
    }

    pub fn set_photo_budget_mb(&mut self, mb: u32) -> Result<()> {
        if !(10..=100_000).contains(&mb) {
            return Err(Error::invalid("photo_budget_mb", ErrorCode::UnknownValue));
        }
        super::settings::put_text(&self.conn, BUDGET_KEY, &mb.to_string())
    }

    /// Whether new photos are kept at their own size (off: shrunk to a 2,048-pixel long edge).
    pub fn photo_keep_full_size(&self) -> Result<bool> {
        Ok(super::settings::text(&self.conn, FULL_SIZE_KEY)?.as_deref() == Some("1"))
    }

    pub fn set_photo_keep_full_size(&mut self, keep: bool) -> Result<()> {
        super::settings::put_text(&self.conn, FULL_SIZE_KEY, if keep { "1" } else { "0" })
    }

    /// What photos take here.
    pub fn photo_space(&self) -> Result<PhotoSpace> {
        let (photos,): (u32,) =
            self.conn
                .query_row("SELECT count(*) FROM photos WHERE deleted = 0", [], |r| {
                    Ok((r.get(0)?,))
                })?;
        let (bytes, fetched_bytes): (i64, i64) = self.conn.query_row(
            "SELECT coalesce(sum(size), 0), coalesce(sum(CASE WHEN own = 0 THEN size END), 0) FROM blobs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (uploads, upload_bytes): (u32, i64) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(b.size - u.sent), 0) FROM blob_uploads u JOIN blobs b USING (sha256)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(PhotoSpace {
            photos,
            bytes,
            fetched_bytes,
            uploads,
            upload_bytes,
            budget_mb: self.photo_budget_mb()?,
            keep_full_size: self.photo_keep_full_size()?,
        })
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn put_blob(tx: &Transaction<'_>, sha256: &str, bytes: &[u8], own: bool) -> Result<()> {
    tx.execute(
        "INSERT INTO blobs (sha256, bytes, size, own, used_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (sha256) DO UPDATE SET own = max(own, excluded.own), used_at = excluded.used_at",
        params![sha256, bytes, bytes.len() as i64, own, now_ms()],
    )?;
    Ok(())
}

/// Drops the bytes (and queued uploads) no live photo names, inside the caller's transaction: a
/// deleted photo's, or a departed household's.
pub(crate) fn collect_blobs(tx: &Transaction<'_>) -> Result<()> {
    let unnamed = "NOT EXISTS (SELECT 1 FROM photos p WHERE p.deleted = 0 AND p.sha256 = {t}.sha256)
                   AND NOT EXISTS (SELECT 1 FROM photos p WHERE p.deleted = 0 AND p.thumb_sha256 = {t}.sha256)";
    // An upload of a photo deleted before it was sent is dropped with it; the tombstone syncs.
    tx.execute(
        &format!(
            "DELETE FROM blob_uploads WHERE {}",
            unnamed.replace("{t}", "blob_uploads")
        ),
        [],
    )?;
    tx.execute(
        &format!(
            "DELETE FROM blobs WHERE {}",
            unnamed.replace("{t}", "blobs")
        ),
        [],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Household, HouseholdKind};
    use crate::photo::tests::{camera_jpeg, with_exif_gps};

    fn laptop_with_visit() -> (Store, Household, Visit) {
        let mut store = Store::open_in_memory().unwrap();
        store.init_device("张警官", &["幸福社区".into()]).unwrap();
        let household = Household::new("幸福社区", "幸福路1号", HouseholdKind::Residence);
        store.save(&household).unwrap();
        let visit = Visit {
            id: VisitId::new(),
            version: 0,
            household_id: household.id,
            visited_at: crate::time::now(),
            officers: vec!["张警官".into()],
            purposes: vec![crate::model::Purpose::Warmth],
            met: vec![],
            notes: String::new(),
            inquiry_areas: vec![],
            rating: None,
            opinions: String::new(),
            location: String::new(),
            deleted: false,
        };
        store.save(&visit).unwrap();
        (store, household, visit)
    }

    #[test]
    fn a_photo_is_kept_with_its_visit_and_queued_for_the_station_and_twice_is_stored_once() {
        let (mut store, household, visit) = laptop_with_visit();
        let bytes = with_exif_gps(&camera_jpeg(3000, 2000), false);
        let photo = store
            .attach_photo(
                PhotoOf::Visit(visit.id),
                &bytes,
                " 门锁损坏 ",
                PhotoOptions::default(),
            )
            .unwrap();
        assert_eq!(photo.household_id, household.id);
        assert_eq!(photo.caption, "门锁损坏");
        assert_eq!((photo.width, photo.height), (2048, 1365));
        let listed = store.photos(PhotoOf::Household(household.id)).unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].has_full && listed[0].has_thumb && listed[0].uploading);
        let full = store.blob(&photo.sha256).unwrap().unwrap();
        assert_eq!(crate::photo::sha256_hex(&full), photo.sha256);
        // The record is in the change log like any other.
        let logged: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM changes WHERE entity = 'photo'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(logged, 1);

        let again = store
            .attach_photo(
                PhotoOf::Visit(visit.id),
                &bytes,
                "",
                PhotoOptions::default(),
            )
            .unwrap();
        assert_eq!(again.sha256, photo.sha256);
        let space = store.photo_space().unwrap();
        assert_eq!(space.photos, 2);
        assert_eq!(
            space.uploads, 2,
            "one photo and one thumbnail, however often"
        );
        assert_eq!(
            space.bytes,
            photo.bytes + store.blob(&photo.thumb_sha256).unwrap().unwrap().len() as i64
        );
    }

    #[test]
    fn with_the_full_size_setting_on_new_photos_keep_their_pixels_and_the_setting_persists() {
        let (mut store, household, _) = laptop_with_visit();
        assert!(
            !store.photo_space().unwrap().keep_full_size,
            "off by default"
        );
        let bytes = camera_jpeg(3000, 2000);
        let of = PhotoOf::Household(household.id);
        let small = store
            .attach_photo(of, &bytes, "", PhotoOptions::default())
            .unwrap();
        assert_eq!((small.width, small.height), (2048, 1365));
        store.set_photo_keep_full_size(true).unwrap();
        assert!(store.photo_space().unwrap().keep_full_size);
        let large = store
            .attach_photo(of, &bytes, "", PhotoOptions::default())
            .unwrap();
        assert_eq!((large.width, large.height), (3000, 2000));
        assert_eq!(
            store.blob(&large.sha256).unwrap().unwrap().len() as i64,
            large.bytes
        );
        store.set_photo_keep_full_size(false).unwrap();
        let again = store
            .attach_photo(of, &bytes, "", PhotoOptions::default())
            .unwrap();
        assert_eq!(again.sha256, small.sha256, "shrunk again, the same bytes");
    }

    #[test]
    fn a_bad_photo_is_refused_before_anything_is_stored() {
        let (mut store, _, visit) = laptop_with_visit();
        let err = store
            .attach_photo(
                PhotoOf::Visit(visit.id),
                b"not a photo",
                "",
                PhotoOptions::default(),
            )
            .unwrap_err();
        assert!(matches!(err, Error::Photo(_)), "{err}");
        assert_eq!(
            store.photo_space().unwrap(),
            PhotoSpace {
                budget_mb: DEFAULT_BUDGET_MB,
                ..PhotoSpace::default()
            }
        );
    }

    #[test]
    fn deleting_a_photo_drops_its_bytes_only_when_no_other_photo_names_them() {
        let (mut store, household, visit) = laptop_with_visit();
        let bytes = camera_jpeg(100, 80);
        let first = store
            .attach_photo(
                PhotoOf::Visit(visit.id),
                &bytes,
                "",
                PhotoOptions::default(),
            )
            .unwrap();
        let second = store
            .attach_photo(
                PhotoOf::Household(household.id),
                &bytes,
                "",
                PhotoOptions::default(),
            )
            .unwrap();
        store.delete_photo(first.id).unwrap();
        assert!(store.blob(&second.sha256).unwrap().is_some());
        assert_eq!(
            store
                .photos(PhotoOf::Household(household.id))
                .unwrap()
                .len(),
            1
        );
        store.delete_photo(second.id).unwrap();
        assert!(store.blob(&second.sha256).unwrap().is_none());
        assert_eq!(store.photo_space().unwrap().uploads, 0);
        let tombstones: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM changes WHERE entity = 'photo' AND json_extract(fields, '$.deleted') = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tombstones, 2);
    }

    #[test]
    fn only_progress_clears_the_back_off_so_an_upload_whose_every_try_breaks_waits_longer() {
        let (mut store, _, visit) = laptop_with_visit();
        let photo = store
            .attach_photo(
                PhotoOf::Visit(visit.id),
                &camera_jpeg(400, 300),
                "",
                PhotoOptions::default(),
            )
            .unwrap();
        let attempts = |store: &Store| -> i64 {
            store
                .conn
                .query_row(
                    "SELECT attempts FROM blob_uploads WHERE sha256 = ?1",
                    [&photo.sha256],
                    |r| r.get(0),
                )
                .unwrap()
        };
        // Each try: the station's status read (no progress), then the chunk cut.
        for n in 1..=3 {
            store.upload_progress(&photo.sha256, 0).unwrap();
            store.upload_failed(&photo.sha256, "cut", now_ms()).unwrap();
            assert_eq!(attempts(&store), n, "try {n}");
        }
        store.upload_progress(&photo.sha256, 4096).unwrap();
        assert_eq!(
            attempts(&store),
            0,
            "a chunk acknowledged: the link works again"
        );
    }

    #[test]
    fn an_upload_resumes_where_it_was_acknowledged_and_backs_off_after_failures() {
        let (mut store, _, visit) = laptop_with_visit();
        let photo = store
            .attach_photo(
                PhotoOf::Visit(visit.id),
                &camera_jpeg(400, 300),
                "",
                PhotoOptions::default(),
            )
            .unwrap();
        store.upload_progress(&photo.sha256, 1000).unwrap();
        let due = store.uploads_due(now_ms()).unwrap();
        let upload = due.iter().find(|u| u.sha256 == photo.sha256).unwrap();
        assert_eq!(upload.sent, 1000);
        let full = store.blob(&photo.sha256).unwrap().unwrap();
        assert_eq!(
            store.blob_chunk(&photo.sha256, 1000, 500).unwrap(),
            full[1000..1500]
        );
        let now = now_ms();
        store.upload_failed(&photo.sha256, "cut", now).unwrap();
        assert!(
            !store
                .uploads_due(now)
                .unwrap()
                .iter()
                .any(|u| u.sha256 == photo.sha256),
            "waits its back-off"
        );
        assert!(
            store
                .uploads_due(now)
                .unwrap()
                .iter()
                .any(|u| u.sha256 == photo.thumb_sha256),
            "the others go on"
        );
        assert!(
            store
                .uploads_due(now + backoff_ms(1))
                .unwrap()
                .iter()
                .any(|u| u.sha256 == photo.sha256)
        );
        assert_eq!(backoff_ms(1), 5_000);
        assert_eq!(backoff_ms(100), 600_000);
        store.upload_finished(&photo.sha256).unwrap();
        store.upload_finished(&photo.thumb_sha256).unwrap();
        assert_eq!(store.next_upload_ms().unwrap(), None);
    }

    #[test]
    fn fetched_blobs_must_match_their_address_and_full_photos_fit_the_budget() {
        let (mut store, _, _) = laptop_with_visit();
        let bytes = vec![7u8; 10];
        assert!(
            store
                .keep_fetched_blob(&crate::photo::sha256_hex(b"other"), &bytes)
                .is_err()
        );
        store
            .keep_fetched_blob(&crate::photo::sha256_hex(&bytes), &bytes)
            .unwrap();
        assert!(
            store
                .blob(&crate::photo::sha256_hex(&bytes))
                .unwrap()
                .is_some()
        );
        assert!(store.set_photo_budget_mb(1).is_err());
        store.set_photo_budget_mb(10).unwrap();
        assert_eq!(store.photo_space().unwrap().budget_mb, 10);
    }
}
