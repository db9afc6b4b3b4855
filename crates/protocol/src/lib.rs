//! The sync protocol between a field device and its station, version 1 (`/api/v1`). Defined once
//! here and used by both sides, so a field added on one side is a compile error on the other until
//! it is handled.
//!
//! Push: a device sends its changes (from the core's change log) in batches; the station stores each
//! once (by change id, and by device and sequence), decides it, and answers with the highest
//! contiguous device sequence it holds durably. Pull: the device asks for records of its beats whose
//! station version is above its cursor and receives their current state.

use doorstep_core::ids::{ChangeId, DeviceId, OfficerId};
use doorstep_core::store::changes::Change;
use serde::{Deserialize, Serialize};

pub mod bundle;
pub mod bureau;

/// Limits the station enforces (documented in the README and the OpenAPI document).
pub mod limits {
    /// Changes in one push.
    pub const MAX_BATCH: usize = 1000;
    /// Changes a laptop sends in one push, and a bundle's import pushes at a time: an answer
    /// bundle then holds the answer to each batch the laptop sends when it takes the answer.
    /// The station's whole batch: each push costs a commit (the log forced to the disk, the pages
    /// several changes share written once) and a turn of the link, so fewer pushes of more changes
    /// took the station's processor time for a demo beat's first sync down by about a tenth.
    pub const PUSH_BATCH: u32 = 1000;
    /// Bytes in one request body.
    pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
    /// Records in one pull page: room for a laptop's pages of `PULL_PAGE` (4,000), whose page
    /// holds about 2 MB of JSON.
    pub const MAX_PULL: u32 = 5000;
    /// Bytes of a photo a laptop sends in one acknowledged chunk: a cut connection costs at most
    /// this much sent again.
    pub const BLOB_CHUNK: usize = 512 * 1024;
    /// The chunk a laptop sends while its link keeps breaking (an upload that failed before): less
    /// is sent twice per cut, for a little more overhead per byte.
    pub const BLOB_CHUNK_AFTER_CUT: usize = 128 * 1024;
    /// Bytes in one chunk the station takes.
    pub const MAX_BLOB_CHUNK: usize = 4 * 1024 * 1024;
    /// Bytes of one photo (or thumbnail).
    pub const MAX_BLOB_BYTES: i64 = 64 * 1024 * 1024;
}

/// Where a laptop's upload of one photo's bytes stands at the station (`/api/v1/blobs/{sha256}`):
/// the next chunk starts at `received`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BlobStatus {
    pub sha256: String,
    pub size: i64,
    /// Bytes the station holds durably of this laptop's upload.
    pub received: i64,
    /// The station holds the whole blob, checked against its SHA-256, from this laptop.
    pub complete: bool,
}

/// A laptop enrolling with the one-time code an administrator issued for its officer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrollRequest {
    pub code: String,
    pub device_id: DeviceId,
    pub officer_id: OfficerId,
    /// The highest sequence of this laptop's change log already acknowledged by a station (by
    /// another station, or by this one before the laptop was wiped or restored). The station
    /// expects the laptop's next change after it, so a laptop moving stations does not wait for
    /// changes that will never come.
    #[serde(default)]
    pub acked_seq: i64,
}

/// What an enrolled laptop receives: its own credential (sent with every sync; shown only this
/// once) and its officer's account with the beats the station assigned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrollResponse {
    pub device_credential: String,
    pub account_id: String,
    pub officer_name: String,
    pub beats: Vec<String>,
    /// The highest sequence of this laptop's changes the station holds (0 for a laptop new to it):
    /// the laptop's acknowledgement starts here.
    #[serde(default)]
    pub acked_seq: i64,
    /// The station's bundle key (an age recipient): the laptop encrypts its bundles for sync by
    /// USB stick to it (see [`bundle`]).
    #[serde(default)]
    pub bundle_recipient: String,
}

/// The one encoding of a push's body besides plain JSON (`Content-Encoding`), as a station names it
/// in its scopes' `push_encodings`.
pub const GZIP: &str = "gzip";

/// The `error` of refusals a laptop acts on.
pub mod refusals {
    /// The laptop was revoked: nothing it sends is stored.
    pub const REVOKED: &str = "revoked";
    /// The laptop was revoked and must erase its local data.
    pub const WIPE: &str = "wipe";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushRequest {
    pub device_id: DeviceId,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushResponse {
    /// The highest device sequence up to which the station holds every change durably.
    pub acked_seq: i64,
    /// The id of the change the station holds at `acked_seq`: a laptop whose own change there is
    /// another one (it was restored from a backup) knows the acknowledgement is not for it.
    #[serde(default)]
    pub acked_change_id: Option<ChangeId>,
    /// Changes new to the station in this batch.
    pub stored: u32,
    /// Changes the station already had (a re-sent batch).
    pub duplicates: u32,
    /// Changes held until the device's earlier changes arrive.
    pub held: u32,
    /// Conflicts this batch put in the merge queue.
    pub conflicts: u32,
    /// Changes the station kept and acknowledged but refused to apply, with why: the laptop tells
    /// the officer, and takes the station's copy of the record back where it may read it.
    #[serde(default)]
    pub refused: Vec<RefusedChange>,
    /// Records this batch wrote exactly as the laptop holds them, with their new versions: the
    /// laptop takes the versions, and a pull that names this push's sequences (`pushed_after`,
    /// `pushed_through`) does not send the records back.
    #[serde(default)]
    pub landed: Vec<Landed>,
    /// The laptop numbered new changes with sequences the station already holds for other changes
    /// (it was restored from a backup, or copied): nothing from `from_seq` on was stored. The laptop
    /// renumbers its changes from there to follow `station_seq` and sends them again.
    #[serde(default)]
    pub sequence_reused: Option<SequenceReuse>,
    /// The batch's clocks ran this many milliseconds ahead of the station's (only when more than a
    /// few minutes): the laptop tells the officer its clock is wrong.
    #[serde(default)]
    pub clock_ahead_ms: Option<i64>,
    /// The station's clock when it answered, for the laptop's hybrid clock to observe.
    #[serde(default)]
    pub station_time_ms: i64,
}

/// A record a push wrote as the laptop sent it (defined in the core, which takes its version).
pub use doorstep_core::store::remote::Landed;

/// A change the station refused (see `doorstep_station::scope` for the rules); defined in the
/// core, which records it.
pub use doorstep_core::store::refusals::RefusedChange;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SequenceReuse {
    /// The first sequence the station holds with another change.
    pub from_seq: i64,
    /// The highest sequence the station holds for this laptop.
    pub station_seq: i64,
}

/// A record as the station holds it now (defined in the core, which applies it).
pub use doorstep_core::store::remote::RemoteRecord as RecordSnapshot;

/// A record that left the pulled scope (defined in the core, which applies it).
pub use doorstep_core::store::scopes::Removal;

/// What a laptop's account works on now, each beat a scope with a cursor of its own (pull with
/// `scope=beat:NAME`, and `scope=tasks` for the tasks assigned to it in other beats); defined in
/// the core, which applies it.
pub use doorstep_core::store::scopes::WorkScope;

/// Where a laptop stands with the station's database (defined in the core, which follows it).
pub use doorstep_core::store::remote::Standing;

/// What `/api/v1/scopes` answers at the start of every sync: what the account works on, and where
/// the laptop stands with the station's database (a station restored from a backup is noticed here,
/// before anything is pushed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Scopes {
    #[serde(flatten)]
    pub work: WorkScope,
    #[serde(default)]
    pub standing: Standing,
    /// The station's bundle key (see [`EnrollResponse::bundle_recipient`]), for laptops enrolled
    /// before bundles.
    #[serde(default)]
    pub bundle_recipient: String,
    /// The encodings the station takes a push's body in besides plain JSON (`gzip`): a laptop
    /// gzips its pushes when its station names it. An older station names none.
    #[serde(default)]
    pub push_encodings: Vec<String>,
}

/// An officer of the station (defined in the core, which keeps the list on the laptop).
pub use doorstep_core::store::scopes::Officer;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PullResponse {
    pub records: Vec<RecordSnapshot>,
    /// Records that left the scope since the cursor.
    #[serde(default)]
    pub removed: Vec<Removal>,
    /// The cursor to ask from next time (the highest version in `records`, or the request's).
    pub cursor: i64,
    /// More records wait beyond this page.
    pub more: bool,
    /// The station's latest version when the page was read: how far `cursor` still has to go, for a
    /// progress bar (versions of other beats count too, so it is an estimate).
    #[serde(default)]
    pub head: i64,
    /// The station's clock when it answered, for the laptop's hybrid clock to observe.
    #[serde(default)]
    pub station_time_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// A 4xx/5xx body: what was wrong with the request, never internals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct ApiErrorBody {
    pub error: String,
    pub message: String,
}
