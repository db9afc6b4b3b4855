//! Photos' bytes, synced apart from the records (which name them and go first, in the push):
//! each blob this laptop wrote goes up in chunks of [`limits::BLOB_CHUNK`], each acknowledged, so a
//! cut resumes at the last acknowledged chunk; a blob that fails waits its own back-off while the
//! others go on, and is tried again by the next sync or by the desktop's timer (not only after the
//! next local write, the bug of PowerSync's attachment queue). Then thumbnails of other officers'
//! photos come down; a whole photo only when it is opened ([`fetch_blob`]).

use crate::{Client, SyncError};
use doorstep_core::Store;
use doorstep_protocol::{BlobStatus, limits};
use serde::Serialize;

/// What a station link offers for photos' bytes.
pub trait BlobLink {
    fn blob_status(&self, sha256: &str, size: i64) -> Result<BlobStatus, SyncError>;
    fn put_chunk(
        &self,
        sha256: &str,
        size: i64,
        offset: i64,
        chunk: &[u8],
    ) -> Result<BlobStatus, SyncError>;
    fn get_blob(&self, sha256: &str) -> Result<Vec<u8>, SyncError>;
}

impl BlobLink for Client {
    fn blob_status(&self, sha256: &str, size: i64) -> Result<BlobStatus, SyncError> {
        self.get(
            &format!("blobs/{sha256}/status"),
            &[("size", size.to_string())],
        )
    }

    fn put_chunk(
        &self,
        sha256: &str,
        size: i64,
        offset: i64,
        chunk: &[u8],
    ) -> Result<BlobStatus, SyncError> {
        let result = self
            .agent
            .put(&self.url(&format!("blobs/{sha256}")))
            .header(
                "Authorization",
                &format!("Bearer {}", self.link.device_credential),
            )
            .header("Content-Type", "application/octet-stream")
            .query("size", size.to_string())
            .query("offset", offset.to_string())
            .send(chunk);
        self.answer(result)
    }

    fn get_blob(&self, sha256: &str) -> Result<Vec<u8>, SyncError> {
        let result = self
            .agent
            .get(&self.url(&format!("blobs/{sha256}")))
            .header(
                "Authorization",
                &format!("Bearer {}", self.link.device_credential),
            )
            .call();
        let mut response = result.map_err(|e| self.transport_error(e))?;
        if response.status().as_u16() >= 400 {
            return self.answer(Ok(response));
        }
        response
            .body_mut()
            .with_config()
            .limit(limits::MAX_BLOB_BYTES as u64)
            .read_to_vec()
            .map_err(|e| self.transport_error(e))
    }
}

/// What the photo step of a sync did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PhotoReport {
    /// Blobs (photos and thumbnails) the station now holds whole from this laptop.
    pub sent: u32,
    #[ts(type = "number")]
    pub bytes_sent: i64,
    /// Blobs still to send (waiting their back-off, or cut off).
    pub waiting: u32,
    /// Thumbnails of other officers' photos received.
    pub thumbs: u32,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Sends every blob whose try is due, then fetches the thumbnails this laptop lacks. A blob the
/// station refuses waits its back-off and the rest go on; a link that goes down ends the step
/// (what was acknowledged stays acknowledged), and the sync it is part of still succeeded.
pub fn send_and_fetch(
    store: &mut Store,
    link: &dyn BlobLink,
    mut progress: impl FnMut(u32, u32),
) -> Result<PhotoReport, SyncError> {
    let mut report = PhotoReport::default();
    let due = store.uploads_due(now_ms())?;
    let total = due.len() as u32;
    let mut offline = false;
    for upload in due {
        // A link that broke this upload before is likely to break again: smaller chunks then.
        let chunk = if upload.attempts > 0 {
            limits::BLOB_CHUNK_AFTER_CUT
        } else {
            limits::BLOB_CHUNK
        };
        match send_one(store, link, &upload.sha256, upload.size, chunk, &mut report) {
            Ok(()) => report.sent += 1,
            Err(e) => {
                let down = matches!(e, SyncError::Unreachable(_));
                store.upload_failed(&upload.sha256, &e.to_string(), now_ms())?;
                if down {
                    offline = true;
                    break;
                }
                // The station said no to this one (and why): it waits; the others go on.
                if matches!(e, SyncError::Revoked | SyncError::WipeOrdered) {
                    return Err(e);
                }
            }
        }
        progress(report.sent, total);
    }
    if !offline {
        for sha in store.thumbs_wanted()? {
            match link.get_blob(&sha) {
                Ok(bytes) => {
                    // Bytes that are not what their address says are not kept (asked again later).
                    if store.keep_fetched_blob(&sha, &bytes).is_ok() {
                        report.thumbs += 1;
                    }
                }
                Err(SyncError::Unreachable(_)) => break,
                // Not at the station yet (its laptop is still sending it), or not for us.
                Err(_) => {}
            }
        }
    }
    report.waiting = store.photo_space()?.uploads;
    Ok(report)
}

/// Sends one blob from where the station's copy ends, chunk by chunk.
fn send_one(
    store: &Store,
    link: &dyn BlobLink,
    sha256: &str,
    size: i64,
    chunk_size: usize,
    report: &mut PhotoReport,
) -> Result<(), SyncError> {
    // The station says where it stands (it may hold more than this laptop heard acknowledged:
    // the answer to the last chunk was lost), so nothing it holds is sent again.
    let mut status = link.blob_status(sha256, size)?;
    let mut realigned = false;
    while !status.complete {
        store.upload_progress(sha256, status.received)?;
        let chunk = store.blob_chunk(sha256, status.received, chunk_size as i64)?;
        if chunk.is_empty() {
            return Err(SyncError::Protocol(format!(
                "the station holds {} of {size} bytes but the laptop has no more",
                status.received
            )));
        }
        match link.put_chunk(sha256, size, status.received, &chunk) {
            Ok(next) => {
                report.bytes_sent += chunk.len() as i64;
                status = next;
                realigned = false;
            }
            // Another offset than the station's (a retried request that had landed): ask where
            // it stands and go on from there, once.
            Err(SyncError::Refused { status: 409, .. }) if !realigned => {
                status = link.blob_status(sha256, size)?;
                realigned = true;
            }
            Err(e) => return Err(e),
        }
    }
    store.upload_finished(sha256)?;
    Ok(())
}

/// The station's copy of one blob (a whole photo, when the officer opens it), kept within the
/// photos' space budget.
pub fn fetch_blob(store: &mut Store, sha256: &str) -> Result<Vec<u8>, SyncError> {
    if let Some(bytes) = store.blob(sha256)? {
        return Ok(bytes);
    }
    let client = crate::client_of(store)?;
    let bytes = client.get_blob(sha256)?;
    store.keep_fetched_blob(sha256, &bytes)?;
    Ok(bytes)
}

/// Only the photo step: for the desktop's timer, when an upload's back-off has passed.
pub fn send_due(store: &mut Store) -> Result<PhotoReport, SyncError> {
    let client = crate::client_of(store)?;
    send_and_fetch(store, &client, |_, _| {})
}
