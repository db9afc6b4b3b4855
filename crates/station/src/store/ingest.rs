//! Taking in a pushed batch. Every change is kept, whatever its outcome, and decided in its device's
//! own order: a change whose predecessors have not all arrived is held until they have.
//!
//! The common case — a device's changes arriving in order — is decided straight from the request
//! and stored once with its outcome. Only changes that must wait are stored first and decided later
//! from the store; both paths go through [`decide`].

use super::{
    Result, StationError, StationStore, bad, create_record, duplicates, exec, load_state, now,
    query_one, redirected, write_record,
};
use crate::merge::{self, Decision, FieldOutcome, Incoming};
use doorstep_core::hlc::Hlc;
use doorstep_core::ids::DeviceId;
use doorstep_core::model::{EntityKind, check_fields, spec_of};
use doorstep_core::store::changes::Change;
use doorstep_protocol::{PushResponse, limits};
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A change about to be decided, wherever it came from. Its fields are borrowed from the request
/// and copied only if they must be re-routed.
struct Arrived<'a> {
    device: DeviceId,
    entity: EntityKind,
    entity_id: String,
    fields: Cow<'a, Map<String, Value>>,
    base_version: i64,
    hlc: Hlc,
}

/// What deciding a change did: the station version it produced (if it changed anything) and the
/// conflicts it puts in the merge queue.
struct Outcome {
    version: Option<i64>,
    conflicts: Vec<Conflicting>,
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
    fn status(&self) -> &'static str {
        if self.conflicts.is_empty() {
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
}

impl StationStore {
    /// Stores and decides a batch from `device_id`, in one transaction: all of it, or, if anything
    /// in it is malformed, none of it.
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
        let tx = self.conn.transaction()?;
        let contiguous: i64 = query_one(
            &tx,
            "SELECT contiguous_seq FROM devices WHERE device_id = ?1",
            [device_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StationError::UnknownDevice(device_id))?;
        let batch = Batch {
            redirects: query_one(&tx, "SELECT EXISTS (SELECT 1 FROM redirects)", [], |r| {
                r.get(0)
            })?,
        };
        // While no change of this device is held, the next in its order can be decided at once.
        let mut in_order: bool = query_one(
            &tx,
            "SELECT NOT EXISTS (SELECT 1 FROM changes WHERE device_id = ?1 AND status = 'pending')",
            [device_id],
            |r| r.get(0),
        )?;
        let mut response = PushResponse::default();
        let mut acked = contiguous;
        for c in changes {
            if c.device_seq <= acked {
                // This place in the device's order is filled: a replay.
                response.duplicates += 1;
            } else if in_order && c.device_seq == acked + 1 {
                let outcome = decide(&tx, &batch, arrived(c))?;
                let seq =
                    insert_change(&tx, c, outcome.status(), outcome.version)?.ok_or_else(|| {
                        bad(format!(
                            "change {} is already stored under another sequence number",
                            c.change_id
                        ))
                    })?;
                queue_conflicts(&tx, seq, &outcome)?;
                response.stored += 1;
                response.conflicts += outcome.conflicts.len() as u32;
                acked += 1;
            } else {
                in_order = false;
                match insert_change(&tx, c, "pending", None)? {
                    Some(_) => response.stored += 1,
                    None => response.duplicates += 1,
                }
            }
        }
        // Decide, in the device's own order, every held change whose predecessors are all here now.
        loop {
            let next: Option<i64> = query_one(
                &tx,
                "SELECT seq FROM changes WHERE device_id = ?1 AND device_seq = ?2 AND status = 'pending'",
                params![device_id, acked + 1],
                |r| r.get(0),
            )
            .optional()?;
            let Some(seq) = next else { break };
            response.conflicts += decide_held(&tx, &batch, seq)?;
            acked += 1;
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
        tx.commit()?;
        response.acked_seq = acked;
        Ok(response)
    }
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
        entity: c.entity,
        entity_id: c.entity_id.hyphenated().to_string(),
        fields: Cow::Borrowed(&c.fields),
        base_version: c.base_version,
        hlc: c.hlc,
    }
}

/// Keeps a received change; `None` if its id (or its place in the device's order) is already kept.
fn insert_change(
    tx: &Transaction<'_>,
    c: &Change,
    status: &str,
    version: Option<i64>,
) -> Result<Option<i64>> {
    let inserted = exec(
        tx,
        "INSERT OR IGNORE INTO changes (change_id, device_id, device_seq, officer_id, entity, entity_id, fields,
             base_version, hlc_ms, hlc_counter, created_at, received_at, status, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            c.change_id,
            c.device_id,
            c.device_seq,
            c.officer_id,
            c.entity.as_str(),
            c.entity_id.hyphenated().to_string(),
            serde_json::to_string(&c.fields)?,
            c.base_version,
            c.hlc.ms,
            c.hlc.counter,
            doorstep_core::time::format(&c.created_at),
            now(),
            status,
            version,
        ],
    )?;
    Ok((inserted == 1).then(|| tx.last_insert_rowid()))
}

/// Decides a change held in the store until its predecessors arrived, and notes the outcome on it.
/// Returns the number of conflicts queued.
fn decide_held(tx: &Transaction<'_>, batch: &Batch, seq: i64) -> Result<u32> {
    let (device, entity, entity_id, fields, base_version, ms, counter): (
        DeviceId,
        String,
        String,
        String,
        i64,
        i64,
        u32,
    ) = query_one(
        tx,
        "SELECT device_id, entity, entity_id, fields, base_version, hlc_ms, hlc_counter FROM changes WHERE seq = ?1",
        [seq],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        },
    )?;
    let change = Arrived {
        device,
        entity: EntityKind::parse(&entity).ok_or_else(|| bad("stored entity"))?,
        entity_id,
        fields: Cow::Owned(serde_json::from_str(&fields)?),
        base_version,
        hlc: Hlc { ms, counter },
    };
    let outcome = decide(tx, batch, change)?;
    queue_conflicts(tx, seq, &outcome)?;
    exec(
        tx,
        "UPDATE changes SET status = ?2, version = ?3 WHERE seq = ?1",
        params![seq, outcome.status(), outcome.version],
    )?;
    Ok(outcome.conflicts.len() as u32)
}

/// Late changes naming a merged household or resident go to its survivor (the kept change keeps
/// the name it was sent with).
fn reroute(tx: &Transaction<'_>, change: &mut Arrived<'_>) -> Result<()> {
    change.entity_id = redirected(tx, change.entity, &change.entity_id)?;
    let fields = change.fields.to_mut();
    if let Some(Value::String(household)) = fields.get("household_id") {
        let survivor = redirected(tx, EntityKind::Household, household)?;
        fields.insert("household_id".into(), Value::String(survivor));
    }
    if let Some(Value::String(reporter)) = fields.get("reporter_id") {
        let survivor = redirected(tx, EntityKind::Resident, reporter)?;
        fields.insert("reporter_id".into(), Value::String(survivor));
    }
    if let Some(Value::Array(met)) = fields.get_mut("met") {
        for person in met.iter_mut() {
            if let Value::String(id) = person {
                *id = redirected(tx, EntityKind::Resident, id)?;
            }
        }
        // Two people met who were merged into one are one person met.
        let mut seen = std::collections::HashSet::new();
        met.retain(|p| seen.insert(p.clone()));
    }
    Ok(())
}

/// Decides one change against the station's record (see [`merge::decide`]) and writes the merged
/// record. The conflicts are returned for the caller to queue once the change has its place.
fn decide(tx: &Transaction<'_>, batch: &Batch, mut change: Arrived<'_>) -> Result<Outcome> {
    if batch.redirects {
        reroute(tx, &mut change)?;
    }
    let Arrived {
        device,
        entity,
        entity_id,
        fields,
        base_version,
        hlc,
    } = change;
    let current = load_state(tx, entity, &entity_id)?;
    let incoming = Incoming {
        device,
        hlc,
        base_version,
        fields: &fields,
    };
    let decision = merge::decide(spec_of(entity), current.as_ref(), &incoming);

    let mut values: Map<String, Value> = match &current {
        Some(c) => c
            .fields
            .iter()
            .map(|(k, f)| (k.clone(), f.value.clone()))
            .collect(),
        None => Map::new(),
    };
    let mut set: Vec<String> = Vec::new();
    let mut conflicts: Vec<(String, Value, bool)> = Vec::new();
    match &decision {
        Decision::UnknownRecord => {
            return Err(bad(format!(
                "{} {entity_id} is unknown here but the change edits version {base_version}",
                entity.as_str()
            )));
        }
        Decision::Create => {
            for (k, v) in fields.iter() {
                values.insert(k.clone(), v.clone());
                set.push(k.clone());
            }
        }
        // The whole edit waits in the queue (field "*"): the record stays deleted until staff decide.
        Decision::EditOfDeleted => conflicts.push(("*".into(), Value::Bool(true), false)),
        Decision::Update(outcomes) => {
            for (field, outcome) in outcomes {
                match outcome {
                    FieldOutcome::Apply => {
                        values.insert(field.clone(), fields[field].clone());
                        set.push(field.clone());
                    }
                    FieldOutcome::Same => {}
                    FieldOutcome::Union(v) => {
                        values.insert(field.clone(), v.clone());
                        set.push(field.clone());
                    }
                    FieldOutcome::Conflict { incoming_wins } => {
                        let station = values.get(field).cloned().unwrap_or(Value::Null);
                        conflicts.push((field.clone(), station, *incoming_wins));
                        if *incoming_wins {
                            values.insert(field.clone(), fields[field].clone());
                            set.push(field.clone());
                        }
                    }
                }
            }
        }
    }
    check_fields(entity, &entity_id, &values)
        .map_err(|e| bad(format!("{} {entity_id}: {e}", entity.as_str())))?;

    let created = decision == Decision::Create;
    let version = if created {
        Some(create_record(tx, entity, &entity_id, &values, device, hlc)?)
    } else if set.is_empty() && conflicts.is_empty() {
        None
    } else {
        Some(write_record(
            tx,
            entity,
            &entity_id,
            &values,
            set.iter(),
            device,
            hlc,
        )?)
    };
    if version.is_some() {
        duplicates::find_duplicates(tx, entity, &entity_id, created, &set)?;
    }
    // A conflict shows the incoming value of its field; "*" (an edit of a deleted record) the whole edit.
    let conflicts = conflicts
        .into_iter()
        .map(|(field, station, incoming_wins)| Conflicting {
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
        })
        .collect();
    Ok(Outcome { version, conflicts })
}

/// Puts a decided change's conflicts in the merge queue, naming the kept change they came from.
fn queue_conflicts(tx: &Transaction<'_>, seq: i64, outcome: &Outcome) -> Result<()> {
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
