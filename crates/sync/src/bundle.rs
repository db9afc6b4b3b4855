//! Sync by USB stick, the laptop's side: writing a bundle of everything the station has not
//! acknowledged, and taking the station's answer bundle as if it had been a sync.
//!
//! Taking an answer runs the sync itself ([`sync_over`]) over the answer as its link: the push finds
//! the station's answer to each batch it would send, the pull the pages the station wrote from this
//! laptop's cursors. So an answer does exactly what the network sync would have done, and nothing
//! where the laptop has moved on since: a batch or a page the answer does not hold for where the
//! laptop stands now is simply not there (the next bundle or sync brings it). An answer taken
//! twice, or an older answer after a newer one or after a network sync, changes nothing.

use crate::{Progress, SyncError, SyncReport, Transport, sync_over};
use doorstep_core::Store;
use doorstep_core::ids::DeviceId;
use doorstep_protocol::bundle::{self, AnswerBundle, BundleBlob, BundleError, Kind, PushBundle};
use doorstep_protocol::{PullResponse, PushRequest, PushResponse, Scopes};
use serde::Serialize;
use std::cell::RefCell;

/// What writing a bundle put in it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct BundleWritten {
    /// Changes in the bundle (every one the station has not acknowledged).
    pub changes: u32,
    pub bytes: u32,
    /// A file name for the stick.
    pub file_name: String,
}

/// What taking an answer bundle did: the sync's report, and whether the answer was news.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AnswerTaken {
    pub report: SyncReport,
    /// The answer was older than what this laptop has since heard from its station (an answer
    /// taken before, or a sync since): nothing in it was needed.
    pub out_of_date: bool,
}

/// Writes a bundle of this laptop's unacknowledged changes and download cursors, for its station.
pub fn export(store: &mut Store) -> Result<(Vec<u8>, BundleWritten), SyncError> {
    let mut link = store
        .station()?
        .filter(|l| !l.device_credential.is_empty())
        .ok_or(SyncError::NotEnrolled)?;
    if link.bundle_recipient.is_empty() {
        return Err(SyncError::Bundle(BundleError::NoStationKey));
    }
    let answer_to = match bundle::public_of(&link.answer_key) {
        Some(public) => public,
        None => {
            let (secret, public) = bundle::new_key();
            link.answer_key = secret;
            store.set_station(&link)?;
            public
        }
    };
    let device = store.device()?;
    let acked_seq = store.acked_seq()?;
    let changes = store.changes_after(acked_seq, u32::MAX)?;
    let request = PushBundle {
        bundle_id: bundle::new_bundle_id(),
        device_id: device.device_id,
        written_at: doorstep_core::time::format(&chrono::Utc::now()),
        acked_seq,
        cursors: store.scope_cursors()?,
        answer_to,
        changes,
        blobs: unsent_blobs(store)?,
    };
    let key = bundle::credential_digest(&link.device_credential);
    let bytes = bundle::seal(
        Kind::Push,
        device.device_id,
        &request,
        &key,
        &link.bundle_recipient,
    )
    .map_err(SyncError::Bundle)?;
    let written = BundleWritten {
        changes: request.changes.len() as u32,
        bytes: bytes.len() as u32,
        file_name: format!(
            "doorstep-{}-{}.{}",
            short(device.device_id),
            chrono::Local::now().format("%Y%m%d-%H%M%S"),
            bundle::EXTENSION
        ),
    };
    Ok((bytes, written))
}

/// The photos' bytes still to reach the station, whole (the station takes each as a complete
/// upload), up to half a bundle's limit; the rest go in the next bundle or sync.
fn unsent_blobs(store: &Store) -> Result<Vec<BundleBlob>, SyncError> {
    let mut blobs = Vec::new();
    let mut total = 0usize;
    for upload in store.uploads_due(i64::MAX)? {
        if total + upload.size as usize > bundle::MAX_BYTES / 2 {
            break;
        }
        if let Some(bytes) = store.blob(&upload.sha256)? {
            total += bytes.len();
            blobs.push(BundleBlob::new(&upload.sha256, &bytes));
        }
    }
    Ok(blobs)
}

fn short(device: DeviceId) -> String {
    device.to_string().chars().take(8).collect()
}

/// Takes the station's answer to one of this laptop's bundles, as a sync.
pub fn import_answer(
    store: &mut Store,
    bytes: &[u8],
    progress: impl FnMut(Progress),
) -> Result<AnswerTaken, SyncError> {
    let link = store
        .station()?
        .filter(|l| !l.device_credential.is_empty())
        .ok_or(SyncError::NotEnrolled)?;
    if link.answer_key.is_empty() {
        return Err(SyncError::Bundle(BundleError::NotAddressedHere("laptop")));
    }
    let opened = bundle::open(bytes, &link.answer_key, "laptop").map_err(SyncError::Bundle)?;
    let device = store.device()?.device_id;
    if opened.device_id() != device {
        return Err(SyncError::Bundle(BundleError::NotAddressedHere("laptop")));
    }
    let key = bundle::credential_digest(&link.device_credential);
    let answer: AnswerBundle = opened
        .verify(Kind::Answer, &key)
        .map_err(SyncError::Bundle)?;
    if answer.device_id != device {
        return Err(SyncError::Bundle(BundleError::NotAddressedHere("laptop")));
    }
    if answer.station_time_ms <= store.station_heard_ms()? {
        return Ok(AnswerTaken {
            report: SyncReport {
                acked_seq: store.acked_seq()?,
                ..Default::default()
            },
            out_of_date: true,
        });
    }
    if !answer.bundle_recipient.is_empty() && answer.bundle_recipient != link.bundle_recipient {
        let mut link = link;
        link.bundle_recipient = answer.bundle_recipient.clone();
        store.set_station(&link)?;
    }
    let heard = answer.station_time_ms;
    let report = sync_over(store, &Answer::new(answer), progress)?;
    store.heard_from_station(heard)?;
    Ok(AnswerTaken {
        report,
        out_of_date: false,
    })
}

/// An answer bundle as the link a sync runs over. Each batch's answer is given once, for the batch
/// that starts where it started; each page for the scope and cursor it was read from. The
/// station's clock in them is from when the answer was written, not now: it is not observed.
struct Answer {
    stored_blobs: std::collections::BTreeSet<String>,
    thumbs: std::collections::BTreeMap<String, Vec<u8>>,
    scopes: Scopes,
    batches: RefCell<Vec<Option<(i64, PushResponse)>>>,
    pages: Vec<(String, i64, PullResponse)>,
}

impl Answer {
    fn new(answer: AnswerBundle) -> Answer {
        Answer {
            stored_blobs: answer.stored_blobs.into_iter().collect(),
            thumbs: answer
                .thumbs
                .iter()
                .filter_map(|t| Some((t.sha256.clone(), t.bytes()?)))
                .collect(),
            scopes: answer.scopes,
            batches: RefCell::new(
                answer
                    .batches
                    .into_iter()
                    .map(|mut b| {
                        b.answer.station_time_ms = 0;
                        Some((b.first_seq, b.answer))
                    })
                    .collect(),
            ),
            pages: answer
                .pages
                .into_iter()
                .map(|mut p| {
                    p.page.station_time_ms = 0;
                    (p.scope, p.from_cursor, p.page)
                })
                .collect(),
        }
    }
}

/// An answer carries no upload: it says which of the bundle's photos the station now holds whole,
/// and brings the thumbnails of the beat's photos. What it does not name waits for the next sync.
impl crate::photos::BlobLink for Answer {
    fn blob_status(
        &self,
        sha256: &str,
        size: i64,
    ) -> Result<doorstep_protocol::BlobStatus, SyncError> {
        if self.stored_blobs.contains(sha256) {
            return Ok(doorstep_protocol::BlobStatus {
                sha256: sha256.to_string(),
                size,
                received: size,
                complete: true,
            });
        }
        Err(not_in_answer())
    }

    fn put_chunk(
        &self,
        _sha256: &str,
        _size: i64,
        _offset: i64,
        _chunk: &[u8],
    ) -> Result<doorstep_protocol::BlobStatus, SyncError> {
        Err(not_in_answer())
    }

    fn get_blob(&self, sha256: &str) -> Result<Vec<u8>, SyncError> {
        self.thumbs.get(sha256).cloned().ok_or_else(not_in_answer)
    }
}

fn not_in_answer() -> SyncError {
    SyncError::Refused {
        status: 404,
        message: "not in this answer bundle: it goes with the next bundle or sync".into(),
    }
}

impl Transport for Answer {
    fn blobs(&self) -> Option<&dyn crate::photos::BlobLink> {
        Some(self)
    }

    fn push(&self, request: &PushRequest) -> Result<Option<PushResponse>, SyncError> {
        let Some(first) = request.changes.first().map(|c| c.device_seq) else {
            return Ok(None);
        };
        let mut batches = self.batches.borrow_mut();
        let found = batches
            .iter_mut()
            .find(|b| b.as_ref().is_some_and(|(seq, _)| *seq == first))
            .and_then(Option::take);
        // An answer that acknowledges nothing new (changes held at the station for earlier ones)
        // ends the push here rather than failing the sync: the next bundle carries them again.
        Ok(found
            .map(|(_, answer)| answer)
            .filter(|a| a.sequence_reused.is_some() || a.acked_seq >= first))
    }

    fn scopes(&self) -> Result<Scopes, SyncError> {
        Ok(self.scopes.clone())
    }

    fn pull(
        &self,
        _device_id: DeviceId,
        scope: &str,
        cursor: i64,
        _limit: u32,
        _pushed: (i64, i64),
    ) -> Result<PullResponse, SyncError> {
        let page = self
            .pages
            .iter()
            .find(|(s, from, _)| s == scope && *from == cursor)
            .map(|(_, _, page)| page.clone());
        Ok(page.unwrap_or(PullResponse {
            records: Vec::new(),
            removed: Vec::new(),
            cursor,
            more: false,
            head: cursor,
            station_time_ms: 0,
        }))
    }
}
