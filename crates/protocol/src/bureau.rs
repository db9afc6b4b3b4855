//! The bureau's replication API (`/api/v1/replication` on the bureau): what a station sends upward
//! and what the bureau answers. Defined once here for both sides.
//!
//! A station enrols with a one-time code (as a laptop enrols with a station), pins the bureau's
//! certificate and receives a credential. It then sends its accepted log upward in batches, each
//! naming where it starts (`from`, the cursors the station believes the bureau holds) and where it
//! ends (`through`). The bureau stores a batch only if it starts at or before what it holds (a
//! batch sent again changes nothing) and answers its cursors; a batch that would leave a gap is
//! refused with the cursors to start from. A station restored from a backup is behind the bureau:
//! it starts again from nothing with `restart`, and the bureau takes the station's record as the
//! station now holds it. (The station's database names its lineage, which a restore changes; a
//! batch of another lineage than the bureau's copy follows is refused unless it starts again.) The bureau never edits a station's records: it is a read side, plus the
//! inspectors' flags, which travel down in the answer and come back as applied.

use serde::{Deserialize, Serialize};

/// Limits of one batch.
pub mod limits {
    /// Records, staff actions or audit entries in one batch, each.
    pub const MAX_ITEMS: usize = 2000;
    /// Bytes in one request body.
    pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
}

/// The kinds of record a bureau keeps (photos stay at the station).
pub const ENTITIES: &[&str] = &["household", "resident", "visit", "concern", "task"];

/// A station enrolling with the one-time code the bureau's administrator issued for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationEnrollRequest {
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationEnrollResponse {
    /// The station's name at the bureau (given with the code).
    pub station_name: String,
    pub bureau_name: String,
    /// The station's credential for every later request (`Authorization: Bearer b.…`).
    pub credential: String,
}

/// How far the bureau holds each of a station's three logs: its records by station version, its
/// staff decisions and its audit trail by their ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursors {
    pub records: i64,
    pub staff: i64,
    pub audit: i64,
}

/// A record in its current state at the station, at its station version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpRecord {
    pub entity: String,
    pub id: String,
    pub version: i64,
    pub deleted: bool,
    pub beat: String,
    pub fields: serde_json::Value,
}

/// A staff decision at the station (the merge queue, merges, assignments). Its details carry no
/// concern's values: a concern's reporter may be confidential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpStaffAction {
    pub id: i64,
    pub at: String,
    pub staff: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub details: serde_json::Value,
}

/// One line of the station's security trail, without its free-text detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpAudit {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
}

/// An inspector's flag on a complaint (a concern, or a visit whose opinions are about work style or
/// integrity), to be followed up at the station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BureauFlag {
    pub id: i64,
    /// `concern` or `visit`.
    pub entity: String,
    pub record_id: String,
    pub reason: String,
    /// The inspector's name as the bureau knows them.
    pub flagged_by: String,
    pub flagged_at: String,
}

/// The station applied a flag: the follow-up task it made for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagApplied {
    pub flag_id: i64,
    pub task_id: String,
}

/// One batch of a station's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpBatch {
    /// The station holds less than the bureau (it was restored from a backup): the bureau starts
    /// the station's copy again from this batch, which starts at nothing.
    #[serde(default)]
    pub restart: bool,
    /// The station database's lineage (a restore from a backup starts a new one): a batch of
    /// another lineage than the bureau holds must start the copy again.
    #[serde(default)]
    pub lineage: String,
    pub from: Cursors,
    pub through: Cursors,
    /// The station's newest version when the batch was read: how far behind the bureau is.
    pub station_head: i64,
    #[serde(default)]
    pub records: Vec<UpRecord>,
    #[serde(default)]
    pub staff_actions: Vec<UpStaffAction>,
    #[serde(default)]
    pub audit: Vec<UpAudit>,
    #[serde(default)]
    pub flags_applied: Vec<FlagApplied>,
}

/// The bureau's answer to a batch or to a station asking where it stands: what it holds, and the
/// inspectors' flags the station has not applied yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpAnswer {
    pub cursors: Cursors,
    /// The lineage of the station's database the bureau's copy follows (none before the first batch).
    #[serde(default)]
    pub lineage: Option<String>,
    pub flags: Vec<BureauFlag>,
}
