//! Taking in a pushed batch. Every change is kept, whatever its outcome, and decided in its device's
//! own order: a change whose predecessors have not all arrived is held until they have.
//!
//! The common case — a device's changes arriving in order — is decided straight from the request
//! and stored once with its outcome. Only changes that must wait are stored first and decided later
//! from the store; both paths go through [`decide`].
//!
//! Deciding a change first asks whether its account may make it ([`scope::check`]); a refused change
//! is kept with its reason, acknowledged and reported back, never applied and never dropped. A
//! sequence number that the station holds with *another* change (a laptop restored from a backup)
//! is not a replay: nothing from there on is stored, and the laptop is told to renumber.

use super::accounts::{load_account, resolve_assignee};
use super::audit::{Outcome as AuditOutcome, record as audit};
use super::records::{Echo, create_record_summing, write_record_summing};
use super::tallies::Sums;
use super::{
    Result, StationError, StationStore, bad, duplicates, exec, load_state, now, query_one,
    redirected,
};
use crate::merge::{self, Decision, Disagreement, Incoming, MAX_CLOCK_AHEAD_MS, Merged};
use crate::scope::{self, Before, Facts, Refusal, RefusalReason, Writer};
use crate::store::Role;
use doorstep_core::hlc::Hlc;
use doorstep_core::ids::{ChangeId, DeviceId};
use doorstep_core::model::{EntityKind, check_fields, spec_of};
use doorstep_core::store::changes::Change;
use doorstep_core::store::held::Tx;
use doorstep_protocol::{Landed, PushResponse, RefusedChange, SequenceReuse, limits};
use rusqlite::{OptionalExtension, params};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cell::RefCell;

/// A change about to be decided, wherever it came from. Its fields are borrowed from the request
/// and copied only if they must be re-routed.
struct Arrived<'a> {
    device: DeviceId,
    device_seq: i64,
    entity: EntityKind,
    entity_id: String,
    fields: Cow<'a, Map<String, Value>>,
    base_version: i64,
    hlc: Hlc,
}

/// What deciding a change did: the station version it produced (if it changed anything) and the
/// conflicts it puts in the merge queue — or why it was refused.
#[derive(Default)]
struct Outcome {
    version: Option<i64>,
    conflicts: Vec<Conflicting>,
    refused: Option<Refusal>,
    /// A record the station lost in a restore (its kind and id), which this change waits for.
    awaits: Option<(EntityKind, String)>,
    /// The change's fields as JSON, when a creation wrote its record from them as they came: kept
    /// with the change as they are instead of encoded again.
    fields_json: Option<String>,
}

/// One field on which a change disagrees with the station, both values kept.
struct Conflicting {
    entity: EntityKind,
    entity_id: String,
    field: String,
    base_version: i64,
    station: Value,
    incoming: Value,
    /// The provisional winner is the incoming value (else the station's stays).
    incoming_wins: bool,
}

impl Outcome {
    fn refused(refusal: Refusal) -> Outcome {
        Outcome {
            refused: Some(refusal),
            ..Outcome::default()
        }
    }

    /// Neither applied nor refused yet: see [`Batch::restored`].
    fn awaiting(entity: EntityKind, id: String) -> Outcome {
        Outcome {
            awaits: Some((entity, id)),
            ..Outcome::default()
        }
    }

    fn status(&self) -> &'static str {
        if self.awaits.is_some() {
            "awaiting"
        } else if self.refused.is_some() {
            "refused"
        } else if self.conflicts.is_empty() {
            "applied"
        } else {
            "conflict"
        }
    }
}

/// What is the same for every change of one batch.
struct Batch {
    /// Whether any record was ever merged away; if not, no change needs re-routing.
    redirects: bool,
    /// Whether the station was ever restored from a backup. Then a change about a record it does
    /// not have may be about one it lost, which the laptop that made it will send again: the change
    /// waits for it instead of being refused.
    restored: bool,
    /// The account behind the pushing laptop, as the station holds it now.
    account_id: String,
    /// The officer id the laptop stamps its changes with (older laptops named it as assignee).
    officer_id: String,
    username: String,
    display_name: String,
    beats: Vec<String>,
    chief: bool,
    /// The tallies' counts of the records written, added to their tables once before the batch
    /// commits (see `tallies::Sums`).
    sums: RefCell<Sums>,
}

impl Batch {
    /// What is the same for every change of `device_id`, and how far its changes are all here.
    fn load(tx: &Tx<'_>, device_id: DeviceId) -> Result<(Batch, i64)> {
        let (contiguous, account_id, officer_id): (i64, Option<String>, String) = query_one(
            tx,
            "SELECT contiguous_seq, account_id, officer_id FROM devices WHERE device_id = ?1",
            [device_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or(StationError::UnknownDevice(device_id))?;
        // A device from before accounts writes for nobody: every change it sends is refused.
        let account = match &account_id {
            Some(id) => load_account(tx, id)?.map(|(a, _)| a),
            None => None,
        };
        let batch = Batch {
            redirects: query_one(tx, "SELECT EXISTS (SELECT 1 FROM redirects)", [], |r| {
                r.get(0)
            })?,
            restored: query_one(tx, "SELECT EXISTS (SELECT 1 FROM lost_versions)", [], |r| {
                r.get(0)
            })?,
            account_id: account_id.unwrap_or_default(),
            officer_id,
            username: account
                .as_ref()
                .map(|a| a.username.clone())
                .unwrap_or_default(),
            display_name: account
                .as_ref()
                .map(|a| a.display_name.clone())
                .unwrap_or_default(),
            chief: account
                .as_ref()
                .is_some_and(|a| a.roles.contains(&Role::Chief)),
            beats: account.map(|a| a.beats).unwrap_or_default(),
            sums: RefCell::default(),
        };
        Ok((batch, contiguous))
    }

    fn writer(&self) -> Writer<'_> {
        Writer {
            account_id: &self.account_id,
            beats: &self.beats,
            chief: self.chief,
        }
    }
}

/// Bytes of the station's records a push answer carries at most (a refused change comes back with
/// the record as the station holds it, for the laptop to take back). A laptop reads at most 10 MB
/// of an answer, and a batch of a thousand refused edits of records with long notes made an answer
/// of 30 MB: the laptop could never read it, and sent the same batch — refused again, as a replay
/// is — on every sync. Once an answer holds this much, the batch ends where it stands (its changes
/// after are not stored) and the answer acknowledges no further than it reports: the laptop sends
/// the rest again, as after any batch taken in part.
pub const ANSWER_BYTES: usize = 4 << 20;

/// The bytes of an answer's refused records, counted as they are added.
#[derive(Default)]
struct AnswerSize {
    counted: usize,
    bytes: usize,
}

impl AnswerSize {
    /// Whether `response` holds as much as an answer may.
    fn full(&mut self, response: &PushResponse) -> Result<bool> {
        for refused in &response.refused[self.counted..] {
            if let Some(record) = &refused.station_record {
                self.bytes += serde_json::to_vec(&record.fields)?.len();
            }
        }
        self.counted = response.refused.len();
        Ok(self.bytes >= ANSWER_BYTES)
    }
}

impl StationStore {
    /// Stores and decides a batch from `device_id`, in one transaction: all of it, or, if anything
    /// in it is malformed, none of it. (An answer that fills with refused records ends it earlier:
    /// [`ANSWER_BYTES`].)
    pub fn push(&mut self, device_id: DeviceId, changes: &[Change]) -> Result<PushResponse> {
        if changes.len() > limits::MAX_BATCH {
            return Err(bad(format!(
                "a batch holds at most {} changes",
                limits::MAX_BATCH
            )));
        }
        for (i, c) in changes.iter().enumerate() {
            check_shape(i, device_id, c)?;
        }
        let transaction = self.conn.transaction()?;
        // A batch runs the same dozen statements per change: held for the batch (`held`).
        let tx = Tx::new(&transaction);
        let (batch, contiguous) = Batch::load(&tx, device_id)?;
        // While no change of this device is held, the next in its order can be decided at once.
        let mut in_order: bool = query_one(
            &tx,
            "SELECT NOT EXISTS (SELECT 1 FROM changes WHERE device_id = ?1 AND status = 'pending')",
            [device_id],
            |r| r.get(0),
        )?;
        let mut response = PushResponse::default();
        let mut acked = contiguous;
        let mut size = AnswerSize::default();
        // Where the answer filled, if it did: the last change it reports on.
        let (mut filled_at, mut previous) = (None, None);
        for c in changes {
            if size.full(&response)? {
                filled_at = previous;
                break;
            }
            previous = Some(c.device_seq);
            // A place in the device's order that is already filled: the same change again (a
            // replay), or another change under a number the station holds (a restored laptop).
            if c.device_seq <= acked || !in_order {
                match stored_change_id(&tx, device_id, c.device_seq)? {
                    Some(id) if id == c.change_id => {
                        response.duplicates += 1;
                        refused_before(&tx, &batch, c, &mut response)?;
                        continue;
                    }
                    Some(_) => {
                        response.sequence_reused = Some(SequenceReuse {
                            from_seq: c.device_seq,
                            station_seq: 0,
                        });
                        break;
                    }
                    // A place filled by a change the station holds under another number (below).
                    None if c.device_seq <= acked => {
                        response.duplicates += 1;
                        refused_before(&tx, &batch, c, &mut response)?;
                        continue;
                    }
                    None => {}
                }
            }
            // The change itself is already here under another number: a laptop restored from an
            // older copy sends again a change it had renumbered since. Stored once; its place counts
            // as filled.
            if stored_elsewhere(&tx, c.change_id)? {
                response.duplicates += 1;
                refused_before(&tx, &batch, c, &mut response)?;
                if in_order && c.device_seq == acked + 1 {
                    acked += 1;
                }
                continue;
            }
            if in_order && c.device_seq == acked + 1 {
                let outcome = decide(&tx, &batch, arrived(c))?;
                let seq = insert_change(&tx, c, &outcome)?.ok_or_else(|| already_stored(c))?;
                settle(&tx, &batch, seq, c, &outcome, &mut response)?;
                acked += 1;
            } else {
                in_order = false;
                insert_change_as(&tx, c, "pending", &Outcome::default())?
                    .ok_or_else(|| already_stored(c))?;
                response.stored += 1;
            }
        }
        let now_ms = chrono::Utc::now().timestamp_millis();
        let ahead = changes.iter().map(|c| c.hlc.ms - now_ms).max().unwrap_or(0);
        if ahead > MAX_CLOCK_AHEAD_MS {
            response.clock_ahead_ms = Some(ahead);
            audit(
                &tx,
                &batch.username,
                Some(device_id),
                "clock_ahead",
                "",
                AuditOutcome::Refused,
                &format!(
                    "the laptop's clock runs {} minutes ahead of the station's; its timestamps count as the time they arrived",
                    ahead / 60_000
                ),
            )?;
        }
        // Decide, in the device's own order, every held change whose predecessors are all here now.
        // After a reused sequence the device's old numbering has ended: the changes missing below
        // the held ones will never come, so those are decided over the gaps.
        let forked = response.sequence_reused.is_some();
        while filled_at.is_none() {
            // Those left wait for the next push, which finds them here (not over gaps: a forked
            // numbering decides them all at once).
            if !forked && size.full(&response)? {
                break;
            }
            let next: Option<(i64, i64)> = query_one(
                &tx,
                "SELECT seq, device_seq FROM changes WHERE device_id = ?1 AND status = 'pending'
                   AND (device_seq = ?2 OR ?3) ORDER BY device_seq LIMIT 1",
                params![device_id, acked + 1, forked],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
            let Some((seq, device_seq)) = next else { break };
            decide_held(&tx, &batch, seq, &mut response)?;
            acked = device_seq;
        }
        if batch.restored {
            wake_awaiting(&tx)?;
        }
        if let Some(reuse) = &mut response.sequence_reused {
            reuse.station_seq = query_one(
                &tx,
                "SELECT coalesce(max(device_seq), 0) FROM changes WHERE device_id = ?1",
                [device_id],
                |r| r.get(0),
            )?;
            acked = acked.max(reuse.station_seq);
            audit(
                &tx,
                &batch.username,
                Some(device_id),
                "sequence_reused",
                &reuse.from_seq.to_string(),
                AuditOutcome::Refused,
                "the laptop numbered new changes with sequences already used (restored from a backup?); told to renumber",
            )?;
        }
        response.held = query_one(
            &tx,
            "SELECT count(*) FROM changes WHERE device_id = ?1 AND status = 'pending'",
            [device_id],
            |r| r.get(0),
        )?;
        exec(
            &tx,
            "UPDATE devices SET contiguous_seq = ?2, last_seen_at = ?3 WHERE device_id = ?1",
            params![device_id, acked, now()],
        )?;
        // The station holds all through `acked`; an answer that filled acknowledges no further than
        // the changes it reports on (a replay's changes are all held already).
        let acknowledged = filled_at.map_or(acked, |at| at.min(acked));
        response.acked_change_id = stored_change_id(&tx, device_id, acknowledged)?;
        response.landed = landed(&tx, device_id, changes, acknowledged)?;
        batch.sums.take().flush(&tx)?;
        drop(tx);
        transaction.commit()?;
        response.acked_seq = acknowledged;
        response.station_time_ms = chrono::Utc::now().timestamp_millis();
        // A photo deleted: its bytes go once nothing needs them. The batch stands either way.
        if changes.iter().any(|c| {
            c.entity == EntityKind::Photo && c.fields.get("deleted") == Some(&Value::Bool(true))
        }) && let Err(e) = self.sweep_blobs()
        {
            tracing::warn!(error = %e, "sweeping photos' bytes after a deletion");
        }
        Ok(response)
    }
}

/// The records of the batch's acknowledged changes that are now exactly as the laptop holds them,
/// with their versions: those that are a run of the laptop's own changes within this batch (a
/// laptop restored from a backup may lack the earlier ones the station holds).
fn landed(tx: &Tx<'_>, device: DeviceId, changes: &[Change], acked: i64) -> Result<Vec<Landed>> {
    let (Some(first), Some(last)) = (changes.first(), changes.last()) else {
        return Ok(Vec::new());
    };
    let mut stmt = tx.prepare(
        "SELECT version FROM records WHERE entity = ?1 AND id = ?2 AND echo_device = ?3
           AND echo_from >= ?4 AND echo_seq <= ?5",
    )?;
    let through = last.device_seq.min(acked);
    let mut seen = std::collections::HashSet::new();
    let mut landed = Vec::new();
    for c in changes.iter().filter(|c| c.device_seq <= through) {
        if !seen.insert((c.entity, c.entity_id)) {
            continue;
        }
        let id = c.entity_id.hyphenated().to_string();
        if let Some(version) = stmt
            .query_row(
                params![c.entity.as_str(), id, device, first.device_seq, through],
                |r| r.get(0),
            )
            .optional()?
        {
            landed.push(Landed {
                entity: c.entity,
                id: c.entity_id,
                version,
            });
        }
    }
    Ok(landed)
}

fn already_stored(c: &Change) -> StationError {
    bad(format!(
        "change {} is already stored under another sequence number",
        c.change_id
    ))
}

/// Whether the station holds a change with this id.
fn stored_elsewhere(tx: &Tx<'_>, change_id: ChangeId) -> Result<bool> {
    Ok(query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM changes WHERE change_id = ?1)",
        [change_id],
        |r| r.get(0),
    )?)
}

/// The id of the change the station holds at a place of a device's order.
fn stored_change_id(tx: &Tx<'_>, device: DeviceId, device_seq: i64) -> Result<Option<ChangeId>> {
    Ok(query_one(
        tx,
        "SELECT change_id FROM changes WHERE device_id = ?1 AND device_seq = ?2",
        params![device, device_seq],
        |r| r.get(0),
    )
    .optional()?)
}

/// A change sent again that the station refused when it first came is reported refused again: the
/// answer that said so may have been lost, or the laptop restored from a copy taken before it, and
/// a laptop that never hears of the refusal keeps a record the station does not have.
fn refused_before(
    tx: &Tx<'_>,
    batch: &Batch,
    c: &Change,
    response: &mut PushResponse,
) -> Result<()> {
    let refusal: Option<Option<String>> = query_one(
        tx,
        "SELECT refusal FROM changes WHERE change_id = ?1 AND status = 'refused'",
        [c.change_id],
        |r| r.get(0),
    )
    .optional()?;
    let Some(refusal) = refusal else {
        return Ok(());
    };
    let refusal: Value = refusal
        .as_deref()
        .map(serde_json::from_str)
        .transpose()?
        .unwrap_or(Value::Null);
    let text = |key: &str| refusal[key].as_str().unwrap_or_default().to_string();
    response.refused.push(refused_change(
        tx,
        batch,
        c,
        text("reason"),
        text("message"),
    )?);
    Ok(())
}

/// What the push answer says of a refused change: why, and the station's copy of the record
/// where the account may read it.
fn refused_change(
    tx: &Tx<'_>,
    batch: &Batch,
    c: &Change,
    reason: String,
    message: String,
) -> Result<RefusedChange> {
    Ok(RefusedChange {
        change_id: c.change_id,
        device_seq: c.device_seq,
        entity: c.entity,
        entity_id: c.entity_id,
        reason,
        message,
        station_record: super::readable_snapshot(
            tx,
            c.entity,
            &c.entity_id.hyphenated().to_string(),
            &batch.writer(),
        )?,
    })
}

/// After a change is decided and stored: its conflicts queued, its refusal recorded and reported.
fn settle(
    tx: &Tx<'_>,
    batch: &Batch,
    seq: i64,
    c: &Change,
    outcome: &Outcome,
    response: &mut PushResponse,
) -> Result<()> {
    queue_conflicts(tx, seq, outcome)?;
    response.stored += 1;
    response.conflicts += outcome.conflicts.len() as u32;
    if let Some(refusal) = &outcome.refused {
        let target = format!("{}:{}", c.entity.as_str(), c.entity_id.hyphenated());
        audit(
            tx,
            &batch.username,
            Some(c.device_id),
            "change_refused",
            &target,
            AuditOutcome::Refused,
            &format!("{}: {}", refusal.reason.as_str(), refusal.message),
        )?;
        response.refused.push(refused_change(
            tx,
            batch,
            c,
            refusal.reason.as_str().into(),
            refusal.message.clone(),
        )?);
    }
    Ok(())
}

/// What can be said of a change without the store: it is the pushing device's, numbered, and names
/// only fields its kind of record has.
fn check_shape(i: usize, device_id: DeviceId, c: &Change) -> Result<()> {
    if c.device_id != device_id {
        return Err(bad(format!(
            "change {i} names device {}, not the pushing device",
            c.device_id
        )));
    }
    if c.device_seq < 1 {
        return Err(bad(format!("change {i}: device_seq must be 1 or more")));
    }
    if c.base_version < 0 {
        return Err(bad(format!("change {i}: base_version must be 0 or more")));
    }
    let spec = spec_of(c.entity);
    if let Some(unknown) = c.fields.keys().find(|k| spec.field_kind(k).is_none()) {
        return Err(bad(format!(
            "change {i}: {} has no field {unknown:?}",
            c.entity.as_str()
        )));
    }
    Ok(())
}

fn arrived(c: &Change) -> Arrived<'_> {
    Arrived {
        device: c.device_id,
        device_seq: c.device_seq,
        entity: c.entity,
        entity_id: c.entity_id.hyphenated().to_string(),
        fields: Cow::Borrowed(&c.fields),
        base_version: c.base_version,
        hlc: merge::believable(c.hlc, chrono::Utc::now().timestamp_millis()),
    }
}

fn insert_change(tx: &Tx<'_>, c: &Change, outcome: &Outcome) -> Result<Option<i64>> {
    insert_change_as(tx, c, outcome.status(), outcome)
}

/// Keeps a received change; `None` if its id (or its place in the device's order) is already kept.
fn insert_change_as(
    tx: &Tx<'_>,
    c: &Change,
    status: &str,
    outcome: &Outcome,
) -> Result<Option<i64>> {
    let inserted = exec(
        tx,
        "INSERT OR IGNORE INTO changes (change_id, device_id, device_seq, officer_id, entity, entity_id, fields,
             base_version, hlc_ms, hlc_counter, created_at, received_at, status, version, refusal,
             awaits_entity, awaits)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        params![
            c.change_id,
            c.device_id,
            c.device_seq,
            c.officer_id,
            c.entity.as_str(),
            c.entity_id.hyphenated().to_string(),
            match &outcome.fields_json {
                Some(json) => Cow::Borrowed(json.as_str()),
                None => Cow::Owned(serde_json::to_string(&c.fields)?),
            },
            c.base_version,
            c.hlc.ms,
            c.hlc.counter,
            doorstep_core::time::format(&c.created_at),
            now(),
            status,
            outcome.version,
            outcome.refused.as_ref().map(refusal_json),
            outcome.awaits.as_ref().map(|(e, _)| e.as_str()),
            outcome.awaits.as_ref().map(|(_, id)| id),
        ],
    )?;
    Ok((inserted == 1).then(|| tx.last_insert_rowid()))
}

fn refusal_json(r: &Refusal) -> String {
    serde_json::json!({ "reason": r.reason.as_str(), "message": r.message }).to_string()
}

/// Decides a change held in the store until its predecessors arrived, and notes the outcome on it.
fn decide_held(tx: &Tx<'_>, batch: &Batch, seq: i64, response: &mut PushResponse) -> Result<()> {
    let stored = stored_change(tx, seq)?;
    decide_stored(tx, batch, seq, &stored, response)?;
    // A held change was counted as stored when it arrived.
    response.stored -= 1;
    Ok(())
}

/// Decides a stored change again and notes the outcome on it.
fn decide_stored(
    tx: &Tx<'_>,
    batch: &Batch,
    seq: i64,
    stored: &Change,
    response: &mut PushResponse,
) -> Result<()> {
    let outcome = decide(tx, batch, arrived(stored))?;
    exec(
        tx,
        "UPDATE changes SET status = ?2, version = ?3, refusal = ?4, awaits_entity = ?5, awaits = ?6
         WHERE seq = ?1",
        params![
            seq,
            outcome.status(),
            outcome.version,
            outcome.refused.as_ref().map(refusal_json),
            outcome.awaits.as_ref().map(|(e, _)| e.as_str()),
            outcome.awaits.as_ref().map(|(_, id)| id),
        ],
    )?;
    settle(tx, batch, seq, stored, &outcome, response)
}

/// Decides the changes that waited for a record lost in a restore, now that it is here again (its
/// own laptop sent it again), oldest first, each as its own account may. Deciding one may bring
/// the record another waits for (a visit to the household that came back), hence the loop.
fn wake_awaiting(tx: &Tx<'_>) -> Result<()> {
    loop {
        let next: Option<(i64, DeviceId)> = query_one(
            tx,
            // Only the waiting changes are read (a partial index), each record found by its key.
            "SELECT c.seq, c.device_id FROM changes c INDEXED BY changes_awaiting
             WHERE c.status = 'awaiting'
               AND EXISTS (SELECT 1 FROM records r WHERE r.entity = c.awaits_entity AND r.id = c.awaits)
             ORDER BY c.hlc_ms, c.hlc_counter, c.seq LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
        let Some((seq, device)) = next else {
            return Ok(());
        };
        let (batch, _) = Batch::load(tx, device)?;
        // Its laptop had its acknowledgement long ago; what this decides reaches it by pull.
        let mut told = PushResponse::default();
        decide_stored(tx, &batch, seq, &stored_change(tx, seq)?, &mut told)?;
        batch.sums.take().flush(tx)?;
    }
}

fn stored_change(tx: &Tx<'_>, seq: i64) -> Result<Change> {
    Ok(query_one(
        tx,
        "SELECT change_id, device_id, device_seq, officer_id, entity, entity_id, fields, base_version, hlc_ms,
                hlc_counter, created_at FROM changes WHERE seq = ?1",
        [seq],
        |r| {
            let entity: String = r.get(4)?;
            let entity_id: String = r.get(5)?;
            let fields: String = r.get(6)?;
            let created: String = r.get(10)?;
            let broken = |i: usize, e: String| {
                rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
            };
            Ok(Change {
                change_id: r.get(0)?,
                device_id: r.get(1)?,
                device_seq: r.get(2)?,
                officer_id: r.get(3)?,
                entity: EntityKind::parse(&entity).ok_or_else(|| broken(4, entity.clone()))?,
                entity_id: entity_id.parse().map_err(|_| broken(5, entity_id.clone()))?,
                fields: serde_json::from_str(&fields).map_err(|e| broken(6, e.to_string()))?,
                base_version: r.get(7)?,
                hlc: Hlc {
                    ms: r.get(8)?,
                    counter: r.get(9)?,
                },
                created_at: chrono::DateTime::parse_from_rfc3339(&created)
                    .map_err(|e| broken(10, e.to_string()))?
                    .with_timezone(&chrono::Utc),
            })
        },
    )?)
}

/// Late changes naming a merged household or resident go to its survivor (the kept change keeps
/// the name it was sent with). The fields are copied only when one of them must change, so that a
/// change nothing was re-routed in stays the laptop's own (see [`merge::echoes`]). Answers whether
/// the change now goes to another record than the one it names.
fn reroute(tx: &Tx<'_>, change: &mut Arrived<'_>) -> Result<bool> {
    let survivor = redirected(tx, change.entity, &change.entity_id)?;
    let merged_away = survivor != change.entity_id;
    change.entity_id = survivor;
    // A late delete of the merged-away record deletes nothing: it is already a redirect, and the
    // survivor is not what the officer deleted.
    if merged_away && change.fields.contains_key("deleted") {
        change.fields.to_mut().remove("deleted");
    }
    for (field, kind) in [
        ("household_id", EntityKind::Household),
        ("reporter_id", EntityKind::Resident),
    ] {
        if let Some(Value::String(id)) = change.fields.get(field) {
            let survivor = redirected(tx, kind, id)?;
            if &survivor != id {
                change
                    .fields
                    .to_mut()
                    .insert(field.into(), Value::String(survivor));
            }
        }
    }
    if let Some(Value::Array(met)) = change.fields.get("met") {
        let mut people: Vec<Value> = Vec::with_capacity(met.len());
        for person in met {
            let person = match person {
                Value::String(id) => Value::String(redirected(tx, EntityKind::Resident, id)?),
                other => other.clone(),
            };
            // Two people met who were merged into one are one person met.
            if !people.contains(&person) {
                people.push(person);
            }
        }
        if &people != met {
            change
                .fields
                .to_mut()
                .insert("met".into(), Value::Array(people));
        }
    }
    Ok(merged_away)
}

/// Decides one change against the station's record (see [`merge::decide`]) and writes the merged
/// record, unless its account may not make it (see [`scope::check`]). The conflicts are returned
/// for the caller to queue once the change has its place.
fn decide(tx: &Tx<'_>, batch: &Batch, mut change: Arrived<'_>) -> Result<Outcome> {
    // A change re-routed to a merge's survivor is not what its laptop holds of that record.
    let rerouted = batch.redirects && reroute(tx, &mut change)?;
    let Arrived {
        device,
        device_seq,
        entity,
        entity_id,
        fields,
        base_version,
        hlc,
    } = change;
    let mut fields = fields;
    // A task's person responsible is an account; a name from an older laptop is resolved to one.
    if entity == EntityKind::Task
        && let Some(Value::String(given)) = fields.get("assignee")
    {
        let own = (
            batch.account_id.as_str(),
            batch.display_name.as_str(),
            batch.officer_id.as_str(),
        );
        match resolve_assignee(tx, given, Some(own))? {
            Some(account) if &account == given => {}
            Some(account) => {
                fields
                    .to_mut()
                    .insert("assignee".into(), Value::String(account));
            }
            None => {
                return Ok(Outcome::refused(Refusal::new(
                    RefusalReason::Invalid,
                    format!(
                        "the person responsible {given:?} is not one officer's account at this station"
                    ),
                )));
            }
        }
    }
    // People met whom this officer was never shown (a confidential reporter) stay met.
    if entity == EntityKind::Visit
        && let Some(Value::Array(met)) = fields.get("met")
    {
        let hidden: Vec<Value> =
            super::confidential::hidden_reporters(tx, &entity_id, &batch.writer())?
                .into_iter()
                .map(Value::String)
                .filter(|person| !met.contains(person))
                .collect();
        if !hidden.is_empty()
            && let Some(Value::Array(met)) = fields.to_mut().get_mut("met")
        {
            met.extend(hidden);
        }
    }
    let current = load_state(tx, entity, &entity_id)?;
    let values: Map<String, Value> = match &current {
        Some(c) => c
            .fields
            .iter()
            .map(|(k, f)| (k.clone(), f.value.clone()))
            .collect(),
        None => Map::new(),
    };

    // May this account make this change? Judged on what the change attempts (the record with all
    // its fields applied), whatever the merge then keeps of it.
    let before = match &current {
        Some(state) => {
            let facts = facts_of(tx, entity, &values)?.unwrap_or_default();
            // Where the record was before, only asked when it is not in the account's beats now.
            let left = if batch.beats.contains(&facts.beat) {
                Vec::new()
            } else {
                beats_left(tx, entity, &entity_id)?
            };
            Some(Before {
                version: state.version,
                facts,
                recorder: recorder_of(tx, entity, &entity_id)?,
                left,
            })
        }
        None => None,
    };
    let attempted: Cow<'_, Map<String, Value>> = if values.is_empty() {
        // A creation attempts its fields as they came (not copied: most changes pushed are).
        Cow::Borrowed(fields.as_ref())
    } else {
        let mut all = values.clone();
        all.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
        Cow::Owned(all)
    };
    if batch.restored && current.is_none() && base_version > 0 {
        return Ok(Outcome::awaiting(entity, entity_id));
    }
    let Some(after) = facts_of(tx, entity, &attempted)? else {
        if batch.restored
            && let Some(Value::String(household)) = attempted.get("household_id")
        {
            return Ok(Outcome::awaiting(EntityKind::Household, household.clone()));
        }
        return Ok(Outcome::refused(Refusal::new(
            RefusalReason::Invalid,
            format!(
                "{} {entity_id} names a household the station does not have",
                entity.as_str()
            ),
        )));
    };
    // A base above the station's version is forged — unless the station handed it out itself in a
    // lineage lost when it was restored from a backup: the laptop saw at least the record as the
    // backup holds it, so for the scope rules its base is the station's version.
    let base_lost_at_ms = if batch.restored && base_version > 0 {
        super::lineage::lost_at_ms(tx, base_version)?
    } else {
        None
    };
    let scope_base = match &before {
        Some(b) if base_version > b.version && base_lost_at_ms.is_some() => b.version,
        _ => base_version,
    };
    if let Err(refusal) = scope::check(
        &batch.writer(),
        entity,
        scope_base,
        before.as_ref(),
        &after,
        &fields.keys().map(String::as_str).collect::<Vec<_>>(),
    ) {
        return Ok(Outcome::refused(refusal));
    }

    let incoming = Incoming {
        device,
        hlc,
        base_version,
        fields: &fields,
        base_lost_at_ms,
    };
    let decision = merge::decide(spec_of(entity), current.as_ref(), &incoming);
    // A creation is written as its fields came (what `merge::apply` would copy them into); an edit
    // is the station's values with what the merge takes of the change.
    let (values, set, disagreements) = if decision == Decision::Create {
        (Cow::Borrowed(fields.as_ref()), Vec::new(), Vec::new())
    } else {
        let Some(Merged {
            values,
            set,
            disagreements,
        }) = merge::apply(&decision, &fields, values)
        else {
            // scope::check refuses these first; kept for the decision's own completeness.
            return Ok(Outcome::refused(Refusal::new(
                RefusalReason::UnknownRecord,
                format!(
                    "the station has no such record, but the change edits its version {base_version}"
                ),
            )));
        };
        (Cow::Owned(values), set, disagreements)
    };
    if let Err(e) = check_fields(entity, &entity_id, &values) {
        return Ok(Outcome::refused(Refusal::new(
            RefusalReason::Invalid,
            format!("{} {entity_id}: {e}", entity.as_str()),
        )));
    }

    let created = decision == Decision::Create;
    // Re-routed or completed by the station, the fields are no longer the laptop's own.
    let echo = if !rerouted && matches!(fields, Cow::Borrowed(_)) {
        // Whose run the record is only matters to an edit of a version the laptop had not seen
        // (see `merge::echoes`): not read for a creation, the common case of a push.
        let run = match &current {
            Some(c) if !created && c.version != base_version => {
                super::records::echo_of(tx, entity, &entity_id)?
            }
            _ => None,
        };
        match merge::echoes(&decision, current.as_ref(), run.map(|r| r.0), &incoming) {
            merge::Echo::Starts => Some(device_seq),
            merge::Echo::Continues => run.map(|r| r.1),
            merge::Echo::No => None,
        }
        .map(|from| Echo {
            from,
            seq: device_seq,
        })
    } else {
        None
    };
    // The beat the scope check found for the attempted record, unless the merge kept another
    // household than the change names (looked up again then).
    let beat = (entity != EntityKind::Household
        && values.get("household_id") == attempted.get("household_id"))
    .then_some(after.beat.as_str());
    let written = if created {
        Some(create_record_summing(
            tx,
            entity,
            &entity_id,
            &values,
            beat,
            device,
            hlc,
            echo,
            &mut batch.sums.borrow_mut(),
        )?)
    } else if set.is_empty() && disagreements.is_empty() {
        None
    } else {
        Some(write_record_summing(
            tx,
            entity,
            &entity_id,
            &values,
            beat,
            set.iter(),
            device,
            hlc,
            echo,
            &mut batch.sums.borrow_mut(),
        )?)
    };
    if let Some(written) = &written {
        duplicates::find_duplicates(tx, entity, &entity_id, created, &set, written)?;
    }
    // A conflict shows the incoming value of its field; "*" (an edit of a deleted record) the whole edit.
    let conflicts = disagreements
        .into_iter()
        .map(
            |Disagreement {
                 field,
                 station,
                 incoming_wins,
             }| Conflicting {
                entity,
                entity_id: entity_id.clone(),
                incoming: fields
                    .get(&field)
                    .cloned()
                    .unwrap_or_else(|| Value::Object(fields.as_ref().clone())),
                field,
                base_version,
                station,
                incoming_wins,
            },
        )
        .collect();
    // A creation written from its fields as they came: their JSON is the change's too.
    let as_sent = created && !rerouted && matches!(fields, Cow::Borrowed(_));
    let (version, fields_json) = match written {
        Some(w) => (Some(w.version), as_sent.then_some(w.fields)),
        None => (None, None),
    };
    Ok(Outcome {
        version,
        conflicts,
        fields_json,
        ..Outcome::default()
    })
}

/// The scope facts of a record with these values; `None` if it names a household the station does
/// not have.
fn facts_of(tx: &Tx<'_>, entity: EntityKind, values: &Map<String, Value>) -> Result<Option<Facts>> {
    let text = |k: &str| values.get(k).and_then(Value::as_str).map(str::to_string);
    let Some(beat) = super::records::beat_of_values(tx, entity, values)? else {
        return Ok(None);
    };
    Ok(Some(Facts {
        beat,
        assignee: (entity == EntityKind::Task)
            .then(|| text("assignee"))
            .flatten(),
        confidential: entity == EntityKind::Concern
            && values.get("confidential").and_then(Value::as_bool) == Some(true),
    }))
}

/// The beats a record left, with the version at which it left each.
fn beats_left(tx: &Tx<'_>, entity: EntityKind, id: &str) -> Result<Vec<(String, i64)>> {
    let mut stmt =
        tx.prepare("SELECT beat, version FROM scope_exits WHERE entity = ?1 AND id = ?2")?;
    let rows = stmt.query_map(params![entity.as_str(), id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The account whose laptop first sent a record (a concern's recording officer).
fn recorder_of(tx: &Tx<'_>, entity: EntityKind, id: &str) -> Result<Option<String>> {
    Ok(query_one(
        tx,
        "SELECT d.account_id FROM records r JOIN devices d ON d.device_id = r.created_device
         WHERE r.entity = ?1 AND r.id = ?2",
        params![entity.as_str(), id],
        |r| r.get(0),
    )
    .optional()?
    .flatten())
}

fn queue_conflicts(tx: &Tx<'_>, seq: i64, outcome: &Outcome) -> Result<()> {
    for c in &outcome.conflicts {
        exec(
            tx,
            "INSERT INTO conflicts (entity, entity_id, field, base_version, station_value, incoming_value, applied,
                                    incoming_seq, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                c.entity.as_str(),
                c.entity_id,
                c.field,
                c.base_version,
                c.station.to_string(),
                c.incoming.to_string(),
                if c.incoming_wins { "incoming" } else { "station" },
                seq,
                now()
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewAccount;
    use doorstep_core::ids::OfficerId;
    use doorstep_core::model::{Household, HouseholdKind, Record, Task};
    use serde_json::json;
    use uuid::Uuid;

    /// A station with one officer (张警官, beat 幸福社区) and a laptop of theirs enrolled.
    fn enrolled() -> (StationStore, tempfile::TempDir, DeviceId, OfficerId) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = StationStore::open(&dir.path().join("s.sqlite")).unwrap();
        let account = store
            .create_account(
                "admin",
                &NewAccount {
                    username: "zhang".into(),
                    display_name: "张警官".into(),
                    roles: vec![Role::Officer],
                    beats: vec!["幸福社区".into()],
                    password: "long-enough-1".into(),
                },
            )
            .unwrap();
        let code = store.issue_enrollment_code("admin", &account.id).unwrap();
        let (device, officer) = (DeviceId::new(), OfficerId::new());
        store
            .enroll_with_code(&code.code, device, officer, 0)
            .unwrap();
        (store, dir, device, officer)
    }

    fn creation<R: Record>(device: DeviceId, officer: OfficerId, seq: i64, record: &R) -> Change {
        Change {
            change_id: ChangeId::new(),
            device_id: device,
            device_seq: seq,
            officer_id: officer,
            entity: R::SPEC.entity,
            entity_id: record.id(),
            fields: record.fields().unwrap(),
            base_version: 0,
            hlc: Hlc {
                ms: chrono::Utc::now().timestamp_millis(),
                counter: seq as u32,
            },
            created_at: doorstep_core::time::now(),
        }
    }

    /// The change log keeps what the laptop sent: a creation's record is written from the same
    /// JSON, and one the station completed (a task's person responsible named, resolved to the
    /// account) keeps the laptop's words in its change and the account in its record.
    #[test]
    fn a_change_is_kept_as_sent_whether_or_not_the_station_completed_it() {
        let (mut store, _dir, device, officer) = enrolled();
        let household = Household::new("幸福社区", "幸福路1号", HouseholdKind::Residence);
        let task = Task::new(
            household.id,
            "回访",
            "张警官",
            chrono::NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(),
        );
        let changes = [
            creation(device, officer, 1, &household),
            creation(device, officer, 2, &task),
        ];
        let answer = store.push(device, &changes).unwrap();
        assert_eq!((answer.acked_seq, answer.refused.len()), (2, 0));
        let stored = |sql: &str, id: Uuid| -> String {
            store
                .conn
                .query_row(sql, [id.hyphenated().to_string()], |r| r.get(0))
                .unwrap()
        };
        for c in &changes {
            assert_eq!(
                stored(
                    "SELECT fields FROM changes WHERE entity_id = ?1",
                    c.entity_id
                ),
                serde_json::to_string(&c.fields).unwrap()
            );
        }
        let record: Map<String, Value> = serde_json::from_str(&stored(
            "SELECT fields FROM records WHERE id = ?1",
            changes[1].entity_id,
        ))
        .unwrap();
        assert_ne!(record["assignee"], json!("张警官"));
        assert_eq!(
            record["assignee"],
            json!(store.accounts().unwrap()[0].id),
            "resolved to the officer's account"
        );
    }
}
