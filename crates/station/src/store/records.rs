//! The station's record writer and reader: every record's current values as one row, written
//! under a new station version by ingest, staff decisions and duplicate merges alike, and read back
//! for laptops (withholding what the reader may not see).

use super::conflicts::follow_open_conflicts;
use super::tallies::Sums;
use super::{Result, StationError, bad, confidential, exec, query_one, tallies};
use crate::merge::{FieldState, RecordState};
use doorstep_core::hlc::Hlc;
use doorstep_core::identity;
use doorstep_core::ids::DeviceId;
use doorstep_core::model::EntityKind;
use doorstep_core::store::held::Tx;
use doorstep_protocol::RecordSnapshot;
use rusqlite::{OptionalExtension, params};
use serde_json::{Map, Value};

/// The station's copy of one record for the laptop of `writer`, if that account may read it (its
/// beat is theirs, or it is a task assigned to them), with a confidential reporter withheld unless
/// they recorded it or are the chief.
pub(super) fn readable_snapshot(
    tx: &Tx<'_>,
    entity: EntityKind,
    id: &str,
    writer: &crate::scope::Writer<'_>,
) -> Result<Option<RecordSnapshot>> {
    let viewer = if writer.chief {
        "*".to_string()
    } else {
        writer.account_id.to_string()
    };
    let row: Option<(RecordRow, String, Option<String>)> = tx
        .prepare(&format!(
            "SELECT r.entity, r.id, r.version, r.deleted, {}, r.beat, json_extract(r.fields, '$.assignee')
             FROM records r WHERE r.entity = ?1 AND r.id = ?2",
            confidential::visible_fields("r", "?3")
        ))?
        .query_row(params![entity.as_str(), id, viewer], |r| {
            Ok((record_row(r)?, r.get(5)?, r.get(6)?))
        })
        .optional()?;
    let Some((row, beat, assignee)) = row else {
        return Ok(None);
    };
    let readable = writer.beats.contains(&beat)
        || (entity == EntityKind::Task && assignee.as_deref() == Some(writer.account_id));
    readable.then(|| snapshot(row)).transpose()
}

/// A record row as selected for devices: entity, id, version, deleted, fields.
pub(super) type RecordRow = (String, String, i64, bool, String);

pub(super) fn record_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

pub(super) fn snapshot(
    (entity, id, version, deleted, fields): RecordRow,
) -> Result<RecordSnapshot> {
    Ok(RecordSnapshot {
        entity: EntityKind::parse(&entity).ok_or_else(|| bad("stored entity"))?,
        id: id.parse().map_err(|_| bad("stored id"))?,
        version,
        deleted,
        fields: serde_json::from_str(&fields)?,
    })
}

pub(super) fn load_state(tx: &Tx<'_>, entity: EntityKind, id: &str) -> Result<Option<RecordState>> {
    let row: Option<(i64, bool, String, i64, DeviceId, Hlc)> = tx
        .prepare(
            "SELECT version, deleted, fields, created_version, created_device, created_hlc_ms, created_hlc_counter
             FROM records WHERE entity = ?1 AND id = ?2",
        )?
        .query_row(params![entity.as_str(), id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, Hlc { ms: r.get(5)?, counter: r.get(6)? }))
        })
        .optional()?;
    let Some((version, deleted, fields, created_version, created_device, created_hlc)) = row else {
        return Ok(None);
    };
    let values: Map<String, Value> = serde_json::from_str(&fields)?;
    // Every field starts as set by the creation; field_versions holds those changed since.
    let mut state = RecordState {
        version,
        deleted,
        fields: values
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    FieldState {
                        value: v.clone(),
                        version: created_version,
                        device: created_device,
                        hlc: created_hlc,
                    },
                )
            })
            .collect(),
    };
    let mut stmt = tx.prepare(
        "SELECT field, version, device_id, hlc_ms, hlc_counter FROM field_versions WHERE entity = ?1 AND id = ?2",
    )?;
    let rows = stmt.query_map(params![entity.as_str(), id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get(1)?,
            r.get::<_, DeviceId>(2)?,
            Hlc {
                ms: r.get(3)?,
                counter: r.get(4)?,
            },
        ))
    })?;
    for row in rows {
        let (field, version, device, hlc) = row?;
        let value = values.get(&field).cloned().unwrap_or(Value::Null);
        state.fields.insert(
            field,
            FieldState {
                value,
                version,
                device,
                hlc,
            },
        );
    }
    Ok(Some(state))
}

/// The beat a record with these values belongs to: its own for a household, its household's for
/// the rest; `None` when it names a household the station does not have.
pub(super) fn beat_of_values(
    tx: &Tx<'_>,
    entity: EntityKind,
    fields: &Map<String, Value>,
) -> Result<Option<String>> {
    let text = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or_default();
    if entity == EntityKind::Household {
        return Ok(Some(text("beat").to_string()));
    }
    Ok(query_one(
        tx,
        "SELECT beat FROM records WHERE entity = 'household' AND id = ?1",
        [text("household_id")],
        |r| r.get(0),
    )
    .optional()?)
}

/// The beat a record belongs to, or why it has none.
pub(super) fn beat_of(
    tx: &Tx<'_>,
    entity: EntityKind,
    fields: &Map<String, Value>,
) -> Result<String> {
    beat_of_values(tx, entity, fields)?.ok_or_else(|| {
        let household = fields
            .get("household_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        bad(format!(
            "{} names household {household}, which the station does not have",
            entity.as_str()
        ))
    })
}

/// A household's visits, and its other records, by `records_by_household` (migration 0025).
pub(super) const HOUSEHOLD_VISITS: &str =
    "SELECT entity, id, fields FROM records WHERE household_id = ?1 AND entity = 'visit'";
pub(super) const HOUSEHOLD_OTHERS: &str =
    "SELECT entity, id, fields FROM records WHERE household_id = ?1 AND entity <> 'visit'";

/// Decisions made at the station itself (staff) are recorded as this device.
pub(super) const STATION_DEVICE: DeviceId = crate::merge::STAFF;

pub(super) fn station_clock() -> Hlc {
    Hlc {
        ms: chrono::Utc::now().timestamp_millis(),
        counter: 0,
    }
}

/// What the `records` row of a record holds besides its id: worked out from its values, with the
/// next station version.
pub(super) struct Columns {
    pub version: i64,
    pub beat: String,
    pub deleted: bool,
    /// The values as JSON.
    pub fields: String,
    /// The household every other record belongs to (migration 0025).
    household_id: Option<String>,
    /// Households and residents keep their comparable forms beside them, for finding duplicates.
    pub address_norm: Option<String>,
    pub id_key: Option<String>,
    pub person_key: Option<String>,
}

/// The columns of a record with these values; `beat` is its beat when the caller has just looked
/// it up (a pushed change's scope check did), else it is looked up here.
pub(super) fn columns(
    tx: &Tx<'_>,
    entity: EntityKind,
    values: &Map<String, Value>,
    beat: Option<&str>,
) -> Result<Columns> {
    let text = |field: &str| {
        values
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let (id_key, person_key) = match entity {
        EntityKind::Resident => (
            identity::id_number_key(text("id_number")),
            identity::person_key(text("name"), text("birth_date"), text("phone")),
        ),
        _ => (None, None),
    };
    Ok(Columns {
        version: next_version(tx)?,
        beat: match beat {
            Some(beat) => beat.to_string(),
            None => beat_of(tx, entity, values)?,
        },
        deleted: values
            .get("deleted")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        fields: serde_json::to_string(values)?,
        household_id: (entity != EntityKind::Household)
            .then(|| values.get("household_id").and_then(Value::as_str))
            .flatten()
            .map(str::to_string),
        address_norm: (entity == EntityKind::Household)
            .then(|| doorstep_core::address::normalize(text("address"))),
        id_key,
        person_key,
    })
}

/// The next station version. (Two plain statements: `UPDATE … RETURNING` builds a temporary table
/// each time, which made it the costliest statement of a push.)
pub(super) fn next_version(tx: &Tx<'_>) -> Result<i64> {
    exec(
        tx,
        "UPDATE meta SET value = value + 1 WHERE key = 'version'",
        [],
    )?;
    Ok(query_one(
        tx,
        "SELECT value FROM meta WHERE key = 'version'",
        [],
        |r| r.get(0),
    )?)
}

/// A record that is exactly as one laptop holds it: that laptop's changes `from` to `seq` (by its
/// device sequence) applied on a version it had seen, nothing else (see migration 0018).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Echo {
    pub from: i64,
    pub seq: i64,
}

/// The laptop a record is an echo of, and the first of that laptop's changes it is.
pub(super) fn echo_of(
    tx: &Tx<'_>,
    entity: EntityKind,
    entity_id: &str,
) -> Result<Option<(DeviceId, i64)>> {
    Ok(tx
        .prepare(
            "SELECT echo_device, echo_from FROM records WHERE entity = ?1 AND id = ?2 AND echo_device IS NOT NULL",
        )?
        .query_row(params![entity.as_str(), entity_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// Stores a new record under a new station version. Its creation is recorded once (see migration
/// 0003) instead of a row per field. `echo` is the first and last device sequence of `device`'s
/// changes the record now is, when it is exactly as that laptop holds them (see migration 0018).
pub(super) fn create_record(
    tx: &Tx<'_>,
    entity: EntityKind,
    entity_id: &str,
    values: &Map<String, Value>,
    device: DeviceId,
    hlc: Hlc,
    echo: Option<Echo>,
) -> Result<i64> {
    let mut sums = Sums::default();
    let written = create_record_summing(
        tx, entity, entity_id, values, None, device, hlc, echo, &mut sums,
    )?;
    sums.flush(tx)?;
    Ok(written.version)
}

/// [`create_record`], its counts that only add up left in `sums` for the caller to flush before it
/// commits (a pushed batch sums them over all its changes); `beat` as for [`columns`]. Returns the
/// columns written (with the new version).
#[allow(clippy::too_many_arguments)]
pub(super) fn create_record_summing(
    tx: &Tx<'_>,
    entity: EntityKind,
    entity_id: &str,
    values: &Map<String, Value>,
    beat: Option<&str>,
    device: DeviceId,
    hlc: Hlc,
    echo: Option<Echo>,
    sums: &mut Sums,
) -> Result<Columns> {
    let c = columns(tx, entity, values, beat)?;
    tallies::written(tx, entity, entity_id, &c.beat, values, None, sums)?;
    exec(
        tx,
        "INSERT INTO records (entity, id, version, deleted, beat, fields, created_version, created_device,
                              created_hlc_ms, created_hlc_counter, address_norm, id_key, person_key, echo_device, echo_seq,
                              echo_from, household_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?3, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![entity.as_str(), entity_id, c.version, c.deleted, c.beat, c.fields, device, hlc.ms, hlc.counter,
                c.address_norm, c.id_key, c.person_key, echo.map(|_| device), echo.map(|e| e.seq),
                echo.map(|e| e.from), c.household_id],
    )?;
    if entity == EntityKind::Concern {
        // A visit or photos may have reached laptops before the concern that masks them.
        let after = Masking::of(values);
        if after.confidential {
            masked_anew(tx, entity_id, [None, after.visit], device, hlc, sums)?;
        }
    }
    Ok(c)
}

/// Writes an existing record's merged `values` under a new station version, and who set the `set`
/// fields; `echo` as for [`create_record`] (every other write clears it).
#[allow(clippy::too_many_arguments)]
pub(super) fn write_record<'a>(
    tx: &Tx<'_>,
    entity: EntityKind,
    entity_id: &str,
    values: &Map<String, Value>,
    set: impl Iterator<Item = &'a String>,
    device: DeviceId,
    hlc: Hlc,
    echo: Option<Echo>,
) -> Result<i64> {
    let mut sums = Sums::default();
    let written = write_record_summing(
        tx, entity, entity_id, values, None, set, device, hlc, echo, &mut sums,
    )?;
    sums.flush(tx)?;
    Ok(written.version)
}

/// [`write_record`], its counts that only add up left in `sums` and `beat` as for
/// [`create_record_summing`].
#[allow(clippy::too_many_arguments)]
pub(super) fn write_record_summing<'a>(
    tx: &Tx<'_>,
    entity: EntityKind,
    entity_id: &str,
    values: &Map<String, Value>,
    beat: Option<&str>,
    set: impl Iterator<Item = &'a String>,
    device: DeviceId,
    hlc: Hlc,
    echo: Option<Echo>,
    sums: &mut Sums,
) -> Result<Columns> {
    let c = columns(tx, entity, values, beat)?;
    let old = tallies::before(tx, entity, entity_id)?;
    let masking_before = match entity {
        EntityKind::Concern => stored_masking(tx, entity_id)?,
        _ => None,
    };
    let old_beat: Option<String> = query_one(
        tx,
        "SELECT beat FROM records WHERE entity = ?1 AND id = ?2",
        params![entity.as_str(), entity_id],
        |r| r.get(0),
    )
    .optional()?;
    let updated = exec(
        tx,
        "UPDATE records SET version = ?3, deleted = ?4, beat = ?5, fields = ?6, address_norm = ?7, id_key = ?8,
             person_key = ?9, echo_device = ?10, echo_seq = ?11, echo_from = ?12, household_id = ?13
         WHERE entity = ?1 AND id = ?2",
        params![entity.as_str(), entity_id, c.version, c.deleted, c.beat, c.fields, c.address_norm, c.id_key,
                c.person_key, echo.map(|_| device), echo.map(|e| e.seq), echo.map(|e| e.from), c.household_id],
    )?;
    if updated == 0 {
        return Err(StationError::NotFound(format!(
            "{} {entity_id} is gone",
            entity.as_str()
        )));
    }
    tallies::written(tx, entity, entity_id, &c.beat, values, old.as_ref(), sums)?;
    for field in set {
        if let Some(value) = values.get(field) {
            follow_open_conflicts(tx, entity, entity_id, field, value, device)?;
        }
        exec(
            tx,
            "INSERT INTO field_versions (entity, id, field, version, device_id, hlc_ms, hlc_counter)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (entity, id, field) DO UPDATE SET version = excluded.version, device_id = excluded.device_id,
                 hlc_ms = excluded.hlc_ms, hlc_counter = excluded.hlc_counter",
            params![entity.as_str(), entity_id, field, c.version, device, hlc.ms, hlc.counter],
        )?;
    }
    if let Some(old_beat) = old_beat.filter(|b| b != &c.beat) {
        left_beat(
            tx, entity, entity_id, &old_beat, c.version, device, hlc, sums,
        )?;
    }
    if let Some(before) = masking_before {
        let after = Masking::of(values);
        if before != after && (before.confidential || after.confidential) {
            masked_anew(
                tx,
                entity_id,
                [before.visit, after.visit],
                device,
                hlc,
                sums,
            )?;
        }
    }
    Ok(c)
}

/// What of a concern decides how other records are masked for each reader: whether it is
/// confidential (its photos lose their bytes' addresses), and who reported it in which visit (the
/// visit's people met lose the reporter). See `confidential::visible_fields`.
#[derive(Debug, PartialEq)]
struct Masking {
    confidential: bool,
    reporter: Option<String>,
    visit: Option<String>,
}

impl Masking {
    fn of(values: &Map<String, Value>) -> Masking {
        let text = |k: &str| values.get(k).and_then(Value::as_str).map(str::to_string);
        Masking {
            confidential: values.get("confidential").and_then(Value::as_bool) == Some(true),
            reporter: text("reporter_id"),
            visit: text("visit_id"),
        }
    }
}

fn stored_masking(tx: &Tx<'_>, concern: &str) -> Result<Option<Masking>> {
    let fields: Option<String> = tx
        .prepare("SELECT fields FROM records WHERE entity = 'concern' AND id = ?1")?
        .query_row([concern], |r| r.get(0))
        .optional()?;
    Ok(match fields {
        Some(fields) => Some(Masking::of(&serde_json::from_str(&fields)?)),
        None => None,
    })
}

/// A concern's masking changed (made confidential or open again, its reporter or visit changed):
/// the records masked by it — its visits, before and after, and its photos — are written again
/// under new versions, unchanged, so every laptop of the beat pulls them masked anew. Without
/// this, a laptop that had pulled a photo before its concern turned confidential kept its caption
/// and thumbnail.
fn masked_anew(
    tx: &Tx<'_>,
    concern: &str,
    visits: [Option<String>; 2],
    device: DeviceId,
    hlc: Hlc,
    sums: &mut Sums,
) -> Result<()> {
    let mut dependants: Vec<(EntityKind, String, String)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for visit in visits.into_iter().flatten() {
        // The same visit before and after is written again once.
        if seen.contains(&visit) {
            continue;
        }
        let fields: Option<String> = tx
            .prepare("SELECT fields FROM records WHERE entity = 'visit' AND id = ?1")?
            .query_row([&visit], |r| r.get(0))
            .optional()?;
        if let Some(fields) = fields {
            dependants.push((EntityKind::Visit, visit.clone(), fields));
        }
        seen.push(visit);
    }
    let mut stmt = tx.prepare(
        "SELECT id, fields FROM records WHERE entity = 'photo' AND json_extract(fields, '$.concern_id') = ?1",
    )?;
    for row in stmt.query_map([concern], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (id, fields) = row?;
        dependants.push((EntityKind::Photo, id, fields));
    }
    for (entity, id, fields) in dependants {
        write_again(tx, entity, &id, &fields, device, hlc, sums)?;
    }
    Ok(())
}

/// Writes a record again, unchanged, under a new version (stored `fields` as JSON), so that every
/// laptop that may read it pulls it again: after its household moved beat, or its masking changed.
fn write_again(
    tx: &Tx<'_>,
    entity: EntityKind,
    id: &str,
    fields: &str,
    device: DeviceId,
    hlc: Hlc,
    sums: &mut Sums,
) -> Result<()> {
    let values: Map<String, Value> = serde_json::from_str(fields)?;
    write_record_summing(
        tx,
        entity,
        id,
        &values,
        None,
        std::iter::empty(),
        device,
        hlc,
        None,
        sums,
    )?;
    Ok(())
}

/// A record left `beat` at `version`: the beat's laptops are told on their next pull, and a
/// household's residents, visits, concerns and tasks follow it to its new beat (each written again
/// under a new version, so the new beat's laptops receive them and the reports count them there).
#[allow(clippy::too_many_arguments)]
fn left_beat(
    tx: &Tx<'_>,
    entity: EntityKind,
    id: &str,
    beat: &str,
    version: i64,
    device: DeviceId,
    hlc: Hlc,
    sums: &mut Sums,
) -> Result<()> {
    exec(
        tx,
        "INSERT INTO scope_exits (beat, entity, id, version) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (beat, entity, id) DO UPDATE SET version = excluded.version",
        params![beat, entity.as_str(), id, version],
    )?;
    if entity != EntityKind::Household {
        return Ok(());
    }
    let mut children: Vec<(String, String, String)> = Vec::new();
    for sql in [HOUSEHOLD_VISITS, HOUSEHOLD_OTHERS] {
        let mut stmt = tx.prepare(sql)?;
        for row in stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
            children.push(row?);
        }
    }
    for (child, child_id, fields) in children {
        let child = EntityKind::parse(&child).ok_or_else(|| bad("stored entity"))?;
        write_again(tx, child, &child_id, &fields, device, hlc, sums)?;
    }
    Ok(())
}

/// The survivor a merged record now answers for, or the id itself.
pub(super) fn redirected(tx: &Tx<'_>, entity: EntityKind, id: &str) -> Result<String> {
    let survivor: Option<String> = tx
        .prepare("SELECT survivor FROM redirects WHERE entity = ?1 AND id = ?2")?
        .query_row(params![entity.as_str(), id], |r| r.get(0))
        .optional()?;
    Ok(survivor.unwrap_or_else(|| id.to_string()))
}
