//! Sync by USB stick, the station's side: the station's bundle key, and importing a laptop's bundle
//! — its changes pushed exactly as a sync pushes them, the beats' records pulled from the laptop's
//! cursors — with the answer bundle written for that laptop (the format is in
//! `doorstep_protocol::bundle`).
//!
//! Nothing in a bundle is trusted until it opened with the station's key (whole: age authenticates
//! every chunk and the end) and its signature matched the key the station keeps for the laptop it
//! names. A bundle of a revoked laptop, or of a deactivated account, is refused and recorded. Each
//! push batch is its own transaction, as over the network: an import cut short is a push cut
//! short, and importing the bundle again completes it (each change is stored once).

use super::accounts::{Principal, load_account, principal_of};
use super::audit::{Outcome, record as audit};
use super::{PullScope, Pushed, Result, StationError, StationStore, now};
use doorstep_core::ids::DeviceId;
use doorstep_core::store::scopes::{TASKS_SCOPE, WorkScope, beat_scope};
use doorstep_protocol::bundle::{
    self, AnswerBundle, BatchAnswer, BundleBlob, BundleError, Kind, PulledPage, PushBundle,
};
use doorstep_protocol::{Scopes, limits};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// The name of the station's bundle key in `station_keys`.
const BUNDLE_KEY: &str = "bundle";

/// What importing a bundle did, for the person at the station, with the answer to carry back.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct BundleImport {
    #[schema(value_type = String)]
    #[ts(type = "string")]
    pub device_id: DeviceId,
    pub officer_name: String,
    /// The laptop's changes in the bundle, and of them: new here, already here (the same bundle
    /// again, or changes a sync brought), held until earlier ones arrive, refused (with why, in the
    /// answer).
    pub changes: u32,
    pub stored: u32,
    pub duplicates: u32,
    pub held: u32,
    pub refused: u32,
    pub conflicts: u32,
    /// Records of the laptop's beats in the answer.
    pub records: u32,
    /// Photos' bytes (photos and thumbnails) the bundle brought that the station now holds whole,
    /// and those it did not take (not what their address says, or named by no photo of the laptop).
    pub photos: u32,
    pub photos_refused: u32,
    /// The answer bundle's file name, and its bytes to write to the stick (the staff pages receive
    /// them as base64, see `api::bundles`).
    pub answer_name: String,
    #[serde(skip)]
    #[ts(skip)]
    pub answer: Vec<u8>,
}

impl From<BundleError> for StationError {
    fn from(e: BundleError) -> Self {
        refusal(e.code(), e.to_string())
    }
}

fn refusal(code: &'static str, message: String) -> StationError {
    StationError::Bundle {
        code,
        revoked: matches!(code, "revoked" | "deactivated"),
        message,
    }
}

impl StationStore {
    /// The station's bundle key's public half (made on first need, kept in the database so a
    /// backup carries it).
    pub fn bundle_recipient(&mut self) -> Result<String> {
        let secret = self.bundle_secret()?;
        bundle::public_of(&secret)
            .ok_or_else(|| StationError::Internal("the station's bundle key is not valid".into()))
    }

    fn bundle_secret(&mut self) -> Result<String> {
        let tx = self.conn.transaction()?;
        let known: Option<String> = tx
            .query_row(
                "SELECT secret FROM station_keys WHERE name = ?1",
                [BUNDLE_KEY],
                |r| r.get(0),
            )
            .optional()?;
        let secret = match known {
            Some(secret) => secret,
            None => {
                let (secret, _) = bundle::new_key();
                tx.execute(
                    "INSERT INTO station_keys (name, secret, created_at) VALUES (?1, ?2, ?3)",
                    params![BUNDLE_KEY, secret, now()],
                )?;
                secret
            }
        };
        tx.commit()?;
        Ok(secret)
    }

    /// Imports a laptop's bundle (`actor`: who imports it, for the audit trail) and writes its
    /// answer. Refused, with nothing stored, when it is not for this station, damaged or cut
    /// short, not signed by the laptop it names, or from a laptop that may no longer sync.
    pub fn import_bundle(&mut self, bytes: &[u8], actor: &str) -> Result<BundleImport> {
        let secret = self.bundle_secret()?;
        let opened = match bundle::open(bytes, &secret, "station") {
            Ok(opened) => opened,
            Err(e) => return Err(self.refuse_bundle(actor, None, e.into())),
        };
        let device = opened.device_id();
        let known: Option<(String, Option<String>, String)> = self
            .conn
            .query_row(
                "SELECT credential_hash, revoked_at, account_id FROM devices WHERE device_id = ?1",
                [device],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((key, revoked_at, account_id)) = known else {
            return Err(self.refuse_bundle(
                actor,
                Some(device),
                refusal(
                    "unknown_laptop",
                    "this bundle is from a laptop not enrolled at this station".into(),
                ),
            ));
        };
        let request: PushBundle = match opened.verify(Kind::Push, &key) {
            Ok(r) => r,
            Err(e) => return Err(self.refuse_bundle(actor, Some(device), e.into())),
        };
        if request.device_id != device || request.changes.iter().any(|c| c.device_id != device) {
            return Err(self.refuse_bundle(
                actor,
                Some(device),
                refusal(
                    "foreign_changes",
                    "this bundle holds changes of another laptop than the one that signed it"
                        .into(),
                ),
            ));
        }
        let account = load_account(&self.conn, &account_id)?.map(|(a, _)| a);
        let refused = match (&revoked_at, &account) {
            (Some(_), _) => Some((
                "revoked",
                "this laptop has been revoked: its bundle is refused, nothing was taken",
            )),
            (None, Some(a)) if !a.active => Some((
                "deactivated",
                "the officer's account of this laptop is deactivated: its bundle is refused, nothing was taken",
            )),
            (None, None) => Some((
                "deactivated",
                "this laptop's account is gone: its bundle is refused",
            )),
            _ => None,
        };
        if let Some((code, reason)) = refused {
            return Err(self.refuse_bundle(actor, Some(device), refusal(code, reason.into())));
        }
        let principal = principal_of(account.expect("checked above"), Some(device));
        self.answer_bundle(actor, &principal, &key, request)
    }

    /// Takes the bundle's photos as whole uploads of the laptop (after its changes, so the photo
    /// records naming them are here): each is checked as a chunked upload would be, and one that
    /// is refused leaves the others. Answers the addresses now held whole.
    fn take_bundle_blobs(
        &mut self,
        device: DeviceId,
        blobs: &[BundleBlob],
        import: &mut BundleImport,
    ) -> Vec<String> {
        let mut stored = Vec::new();
        for blob in blobs {
            let taken = blob.bytes().ok_or(()).and_then(|bytes| {
                let size = bytes.len() as i64;
                let status = self.blob_status(device, &blob.sha256, size).map_err(drop)?;
                if !status.complete {
                    let from = status.received as usize;
                    self.put_blob_chunk(
                        device,
                        &blob.sha256,
                        size,
                        status.received,
                        &bytes[from..],
                    )
                    .map_err(drop)?;
                }
                Ok(())
            });
            match taken {
                Ok(()) => {
                    import.photos += 1;
                    stored.push(blob.sha256.clone());
                }
                Err(()) => import.photos_refused += 1,
            }
        }
        stored
    }

    /// The thumbnails of the photos in the answer's pages that the laptop's officer may see.
    fn thumbs_for(&self, pages: &[PulledPage], principal: &Principal) -> Vec<BundleBlob> {
        pages
            .iter()
            .flat_map(|p| &p.page.records)
            .filter(|r| r.entity == doorstep_core::model::EntityKind::Photo && !r.deleted)
            .filter_map(|r| r.fields.get("thumb_sha256")?.as_str().map(str::to_string))
            .filter(|sha| !sha.is_empty())
            .filter_map(|sha| {
                let bytes = self.blob_for(&sha, principal).ok()?;
                Some(BundleBlob::new(&sha, &bytes))
            })
            .collect()
    }

    /// Pushes the bundle's changes and pulls the beats as a sync would, and seals the answer.
    fn answer_bundle(
        &mut self,
        actor: &str,
        principal: &Principal,
        key: &str,
        request: PushBundle,
    ) -> Result<BundleImport> {
        let device = request.device_id;
        // As a sync does: where the laptop stands before anything is pushed, then the push.
        let standing = self.standing(device)?;
        self.seen(device)?;
        let mut import = BundleImport {
            device_id: device,
            officer_name: principal.display_name.clone(),
            changes: request.changes.len() as u32,
            stored: 0,
            duplicates: 0,
            held: 0,
            refused: 0,
            conflicts: 0,
            records: 0,
            photos: 0,
            photos_refused: 0,
            answer_name: String::new(),
            answer: Vec::new(),
        };
        let mut batches = Vec::new();
        let mut pushed_through = request.acked_seq;
        for chunk in request.changes.chunks(limits::PUSH_BATCH as usize) {
            let answer = self.push(device, chunk)?;
            import.stored += answer.stored;
            import.duplicates += answer.duplicates;
            import.held += answer.held;
            import.conflicts += answer.conflicts;
            import.refused += answer.refused.len() as u32;
            let reused = answer.sequence_reused.is_some();
            let (first_seq, last_seq) = (chunk[0].device_seq, chunk[chunk.len() - 1].device_seq);
            if !reused {
                pushed_through = pushed_through.max(last_seq);
            }
            batches.push(BatchAnswer {
                first_seq,
                last_seq,
                answer,
            });
            // The laptop renumbers its changes from there when it reads the answer; they come
            // again in its next bundle.
            if reused {
                break;
            }
        }
        let stored_blobs = self.take_bundle_blobs(device, &request.blobs, &mut import);
        let pushed = Pushed {
            after: request.acked_seq,
            through: pushed_through,
        };
        let mut scopes: Vec<(String, PullScope)> = principal
            .beats
            .iter()
            .map(|b| (beat_scope(b), PullScope::Beat(b.clone())))
            .collect();
        scopes.push((TASKS_SCOPE.to_string(), PullScope::Tasks));
        let mut pages = Vec::new();
        for (name, scope) in scopes {
            let mut cursor = request.cursors.get(&name).copied().unwrap_or(0);
            loop {
                let page = self
                    .pull(device, cursor, limits::MAX_PULL, &scope, principal, pushed)?
                    .parse()?;
                import.records += page.records.len() as u32;
                let (next, more) = (page.cursor, page.more);
                pages.push(PulledPage {
                    scope: name.clone(),
                    from_cursor: cursor,
                    page,
                });
                if !more || next <= cursor {
                    break;
                }
                cursor = next;
            }
        }
        let thumbs = self.thumbs_for(&pages, principal);
        let (officers, officers_fingerprint) = self.officers_unless_held(None)?;
        let answer = AnswerBundle {
            bundle_id: request.bundle_id.clone(),
            device_id: device,
            station_time_ms: chrono::Utc::now().timestamp_millis(),
            scopes: Scopes {
                work: WorkScope {
                    beats: principal.beats.clone(),
                    officer_name: principal.display_name.clone(),
                    account_id: principal.account_id.clone(),
                    officers,
                    officers_fingerprint,
                },
                standing,
                bundle_recipient: self.bundle_recipient()?,
                // A bundle's pushes are files, not requests.
                push_encodings: Vec::new(),
            },
            batches,
            pages,
            bundle_recipient: self.bundle_recipient()?,
            stored_blobs,
            thumbs,
        };
        import.answer = bundle::seal(Kind::Answer, device, &answer, key, &request.answer_to)?;
        import.answer_name = format!(
            "doorstep-answer-{}-{}.{}",
            principal.username,
            chrono::Local::now().format("%Y%m%d-%H%M%S"),
            bundle::EXTENSION
        );
        audit(
            &self.conn,
            actor,
            Some(device),
            "bundle_import",
            &principal.username,
            Outcome::Ok,
            &format!(
                "bundle {}: {} changes ({} new, {} already here, {} held, {} refused), {} records answered",
                request.bundle_id,
                import.changes,
                import.stored,
                import.duplicates,
                import.held,
                import.refused,
                import.records
            ),
        )?;
        Ok(import)
    }

    /// Records a refused bundle in the audit trail and gives the refusal back to answer with.
    fn refuse_bundle(
        &mut self,
        actor: &str,
        device: Option<DeviceId>,
        refused: StationError,
    ) -> StationError {
        let recorded = audit(
            &self.conn,
            actor,
            device,
            "bundle_import",
            "",
            Outcome::Refused,
            &refused.to_string(),
        );
        match recorded {
            Ok(()) => refused,
            Err(e) => e.into(),
        }
    }
}
