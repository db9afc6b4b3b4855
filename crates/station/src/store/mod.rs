//! The station's SQLite store: enrolled devices, every change received, the merged records, and the
//! merge queue. A pushed batch is stored and decided in one transaction: either all of it is kept
//! or, if anything in it is malformed, none of it.

use crate::merge::{FieldState, RecordState};
use doorstep_core::hlc::Hlc;
use doorstep_core::identity;
use doorstep_core::ids::DeviceId;
use doorstep_core::model::{EntityKind, check_fields};
use doorstep_protocol::RecordSnapshot;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::LazyLock;

mod accounts;
mod audit;
mod confidential;
mod duplicates;
mod ingest;
mod overview;
mod pull;
mod records_export;
mod staff;
mod summary;
mod tallies;

pub use accounts::{
    Account, AccountUpdate, DeviceAuth, EnrollmentCode, NewAccount, Principal, Role, Session,
    hash_password, random_password, verify_password,
};
pub use audit::{AuditEntry, AuditFilter, Outcome};
pub use confidential::{ConcernView, WITHHELD};
pub use duplicates::Duplicate;
pub use overview::{BeatOverview, Overview, Worklist, WorklistItem};
pub use pull::PullScope;
pub use records_export::{CONFIDENTIAL, Table};
use staff::record_staff_action;
pub use staff::{DeviceView, TaskView};
pub use summary::MonthlySummary;

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/0001_init.sql")),
        M::up(include_str!("../../migrations/0002_staff_actions.sql")),
        M::up(include_str!("../../migrations/0003_creation_versions.sql")),
        M::up(include_str!("../../migrations/0004_duplicates.sql")),
        M::up(include_str!(
            "../../migrations/0005_resident_duplicates.sql"
        )),
        M::up(include_str!("../../migrations/0006_assigned_tasks.sql")),
        M::up(include_str!("../../migrations/0007_report_tallies.sql")),
        M::up(include_str!("../../migrations/0008_tallies_from_rust.sql")),
        M::up(include_str!("../../migrations/0009_accounts.sql")),
        M::up(include_str!("../../migrations/0010_refused_changes.sql")),
        M::up(include_str!("../../migrations/0011_scopes.sql")),
        M::up(include_str!("../../migrations/0012_merge_point.sql")),
        M::up(include_str!("../../migrations/0013_concern_visits.sql")),
        M::up(include_str!(
            "../../migrations/0014_conflicts_follow_edits.sql"
        )),
        M::up(include_str!(
            "../../migrations/0015_open_conflicts_by_field.sql"
        )),
    ])
});

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error("device {0} is not enrolled at this station")]
    UnknownDevice(DeviceId),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyDone(String),
    /// Unknown or expired credentials, a used enrolment code.
    #[error("{0}")]
    Unauthorized(String),
    /// A known caller asking for what their roles or beats do not allow.
    #[error("{0}")]
    Forbidden(String),
    /// Too many wrong passwords: try again after this many seconds.
    #[error("too many wrong passwords; try again in {} minutes", .0 / 60)]
    TooManyAttempts(i64),
    #[error("{0}")]
    Internal(String),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("data: {0}")]
    Json(#[from] serde_json::Error),
}

type Result<T> = std::result::Result<T, StationError>;

fn bad(msg: impl Into<String>) -> StationError {
    StationError::BadRequest(msg.into())
}

fn now() -> String {
    doorstep_core::time::format(&doorstep_core::time::now())
}

pub struct StationStore {
    conn: Connection,
}

/// One open conflict, as the merge queue shows it: base, station and incoming values side by side,
/// with who made each and which one is applied for now.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Conflict {
    pub id: i64,
    pub entity: EntityKind,
    pub entity_id: String,
    /// What the record is, for people: the household's address.
    pub label: String,
    pub field: String,
    pub base_version: i64,
    /// The field's value at the base version the incoming edit was made on (null if unknown).
    #[schema(value_type = Object)]
    pub base_value: Value,
    #[schema(value_type = Object)]
    pub station_value: Value,
    pub station_by: String,
    #[schema(value_type = Object)]
    pub incoming_value: Value,
    pub incoming_by: String,
    pub incoming_at: String,
    /// `station` or `incoming`: the provisional winner.
    pub applied: String,
}

impl StationStore {
    pub fn open(path: &Path) -> Result<StationStore> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        MIGRATIONS.to_latest(&mut conn)?;
        Ok(StationStore { conn })
    }

    pub fn open_conflicts(&self) -> Result<Vec<Conflict>> {
        let mut stmt = self.conn.prepare(
            "SELECT c.id, c.entity, c.entity_id, c.field, c.base_version, c.station_value, c.incoming_value, c.applied,
                    CASE WHEN c.applied = 'incoming' AND c.current_device IS NOT NULL
                         THEN coalesce((SELECT officer_name FROM devices WHERE device_id = c.current_device), '')
                         ELSE coalesce(d.officer_name, '') END,
                    CASE WHEN c.applied = 'incoming' AND c.current_at IS NOT NULL THEN c.current_at
                         ELSE ch.created_at END,
                    CASE WHEN c.applied = 'station' AND c.current_device IS NOT NULL
                         THEN coalesce((SELECT officer_name FROM devices WHERE device_id = c.current_device), '')
                         ELSE coalesce((SELECT sd.officer_name FROM changes sc JOIN devices sd ON sd.device_id = sc.device_id
                              WHERE sc.entity = c.entity AND sc.entity_id = c.entity_id AND sc.seq <> c.incoming_seq
                                AND sc.version < coalesce(ch.version, 9223372036854775807)
                                AND sc.version > c.base_version AND json_type(sc.fields, '$.' || c.field) IS NOT NULL
                              ORDER BY sc.version DESC LIMIT 1), '') END,
                    (SELECT b.fields -> ('$.' || c.field) FROM changes b
                      WHERE b.entity = c.entity AND b.entity_id = c.entity_id AND b.version <= c.base_version
                        AND json_type(b.fields, '$.' || c.field) IS NOT NULL
                      ORDER BY b.version DESC LIMIT 1),
                    coalesce((SELECT json_extract(h.fields, '$.address') FROM records h
                              WHERE h.entity = 'household'
                                AND h.id = CASE c.entity WHEN 'household' THEN c.entity_id
                                           ELSE json_extract(r.fields, '$.household_id') END), '')
             FROM conflicts c
             JOIN changes ch ON ch.seq = c.incoming_seq
             LEFT JOIN devices d ON d.device_id = ch.device_id
             LEFT JOIN records r ON r.entity = c.entity AND r.id = c.entity_id
             WHERE c.status = 'open' ORDER BY c.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                (
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ),
                (
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                ),
                (
                    r.get::<_, String>(10)?,
                    r.get::<_, Option<rusqlite::types::Value>>(11)?,
                    r.get::<_, String>(12)?,
                ),
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                (id, entity, entity_id, field, base_version),
                (station, incoming, applied, incoming_by, incoming_at),
                (station_by, base, label),
            ) = row?;
            // json_extract hands back SQL values: text for strings, JSON text for arrays and objects.
            let base_value = match base {
                None | Some(rusqlite::types::Value::Null) => Value::Null,
                Some(rusqlite::types::Value::Integer(i)) => Value::from(i),
                Some(rusqlite::types::Value::Real(f)) => Value::from(f),
                Some(rusqlite::types::Value::Text(t)) => {
                    serde_json::from_str(&t).unwrap_or(Value::String(t))
                }
                Some(rusqlite::types::Value::Blob(_)) => Value::Null,
            };
            out.push(Conflict {
                id,
                entity: EntityKind::parse(&entity).ok_or_else(|| bad("stored entity"))?,
                entity_id,
                label,
                field,
                base_version,
                base_value,
                station_value: serde_json::from_str(&station)?,
                station_by,
                incoming_value: serde_json::from_str(&incoming)?,
                incoming_by,
                incoming_at,
                applied,
            });
        }
        Ok(out)
    }

    /// Staff settle a conflict with `value` (one of the two, or one they typed). The choice is applied
    /// as a station edit with a new version, so every device in the beat receives it on its next pull,
    /// and it is recorded in the staff actions (who, when, what). For an edit of a deleted record
    /// (field `*`), `true` keeps it deleted and the edit's fields object restores it with the edit.
    ///
    /// `seen` is the pair of values (station, incoming) the deciding staff member was shown: if a
    /// later edit has moved the conflict since, the choice is refused as already done, to be made
    /// again on what the queue shows now.
    pub fn resolve_conflict(
        &mut self,
        id: i64,
        staff: &str,
        value: &Value,
        seen: Option<&(Value, Value)>,
    ) -> Result<i64> {
        if staff.trim().is_empty() {
            return Err(bad("say who decides (staff)"));
        }
        let tx = self.conn.transaction()?;
        let row: Option<(String, String, String, String, String, String)> = query_one(
            &tx,
            "SELECT entity, entity_id, field, status, station_value, incoming_value FROM conflicts WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?;
        let (entity, entity_id, field, status, station_now, incoming_now) =
            row.ok_or_else(|| StationError::NotFound(format!("no conflict {id}")))?;
        if status == "settled" {
            return Err(StationError::AlreadyDone(format!(
                "conflict {id} was settled by a later edit that agreed with one of its values"
            )));
        }
        if status != "open" {
            return Err(StationError::AlreadyDone(format!(
                "conflict {id} was already resolved"
            )));
        }
        if let Some((station_seen, incoming_seen)) = seen {
            let now: (Value, Value) = (
                serde_json::from_str(&station_now)?,
                serde_json::from_str(&incoming_now)?,
            );
            if (&now.0, &now.1) != (station_seen, incoming_seen) {
                return Err(StationError::AlreadyDone(format!(
                    "conflict {id} changed since it was shown: the field was edited again and now stands at {} against {}; look at it again",
                    now.0, now.1
                )));
            }
        }
        let entity = EntityKind::parse(&entity).ok_or_else(|| bad("stored entity"))?;
        let changes: Map<String, Value> = match (field.as_str(), value) {
            ("*", Value::Bool(true)) => Map::new(),
            ("*", Value::Object(edit)) => {
                let mut edit = edit.clone();
                edit.insert("deleted".into(), Value::Bool(false));
                edit
            }
            ("*", _) => {
                return Err(bad(
                    "for a deleted record choose true (keep deleted) or the edit to restore",
                ));
            }
            (field, value) => Map::from_iter([(field.to_string(), value.clone())]),
        };
        // Closed before the write, which moves the other open conflicts of the field onto the
        // chosen value but must leave this one as staff saw it.
        exec(
            &tx,
            "UPDATE conflicts SET status = 'resolved', resolved_by = ?2, resolved_at = ?3, resolution = ?4 WHERE id = ?1",
            params![id, staff, now(), value.to_string()],
        )?;
        let version = if changes.is_empty() {
            None
        } else {
            let state =
                load_state(&tx, entity, &entity_id)?.ok_or_else(|| bad("the record is gone"))?;
            let mut values: Map<String, Value> = state
                .fields
                .iter()
                .map(|(k, f)| (k.clone(), f.value.clone()))
                .collect();
            values.extend(changes.clone());
            check_fields(entity, &entity_id, &values)
                .map_err(|e| bad(format!("that value does not fit: {e}")))?;
            Some(write_record(
                &tx,
                entity,
                &entity_id,
                &values,
                changes.keys(),
                STATION_DEVICE,
                station_clock(),
            )?)
        };
        exec(&tx,
            "INSERT INTO staff_actions (staff, action, entity, entity_id, details, version, created_at)
             VALUES (?1, 'resolve_conflict', ?2, ?3, ?4, ?5, ?6)",
            params![
                staff,
                entity.as_str(),
                entity_id,
                serde_json::json!({ "conflict": id, "field": field, "value": value }).to_string(),
                version,
                now()
            ],
        )?;
        tx.commit()?;
        Ok(version.unwrap_or(0))
    }

    /// Read access for tests and the staff pages.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// The station's copy of one record for the laptop of `writer`, if that account may read it (its
/// beat is theirs, or it is a task assigned to them), with a confidential reporter withheld unless
/// they recorded it or are the chief.
fn readable_snapshot(
    tx: &Transaction<'_>,
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
        .prepare_cached(&format!(
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
type RecordRow = (String, String, i64, bool, String);

fn record_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn snapshot((entity, id, version, deleted, fields): RecordRow) -> Result<RecordSnapshot> {
    Ok(RecordSnapshot {
        entity: EntityKind::parse(&entity).ok_or_else(|| bad("stored entity"))?,
        id: id.parse().map_err(|_| bad("stored id"))?,
        version,
        deleted,
        fields: serde_json::from_str(&fields)?,
    })
}

fn load_state(tx: &Transaction<'_>, entity: EntityKind, id: &str) -> Result<Option<RecordState>> {
    let row: Option<(i64, bool, String, i64, DeviceId, Hlc)> = tx
        .prepare_cached(
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
    let mut stmt = tx.prepare_cached(
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

/// The beat a record belongs to: its own for a household, its household's for the rest.
fn beat_of(
    tx: &Transaction<'_>,
    entity: EntityKind,
    fields: &Map<String, Value>,
) -> Result<String> {
    if entity == EntityKind::Household {
        return Ok(fields
            .get("beat")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string());
    }
    let household = fields
        .get("household_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let beat: Option<String> = query_one(
        tx,
        "SELECT beat FROM records WHERE entity = 'household' AND id = ?1",
        [household],
        |r| r.get(0),
    )
    .optional()?;
    beat.ok_or_else(|| {
        bad(format!(
            "{} names household {household}, which the station does not have",
            entity.as_str()
        ))
    })
}

/// Decisions made at the station itself (staff) are recorded as this device.
const STATION_DEVICE: DeviceId = crate::merge::STAFF;

fn station_clock() -> Hlc {
    Hlc {
        ms: chrono::Utc::now().timestamp_millis(),
        counter: 0,
    }
}

/// What the `records` row of a record holds besides its id: worked out from its values, with the
/// next station version.
struct Columns {
    version: i64,
    beat: String,
    deleted: bool,
    fields: String,
    /// Households and residents keep their comparable forms beside them, for finding duplicates.
    address_norm: Option<String>,
    id_key: Option<String>,
    person_key: Option<String>,
}

fn columns(
    tx: &Transaction<'_>,
    entity: EntityKind,
    values: &Map<String, Value>,
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
        beat: beat_of(tx, entity, values)?,
        deleted: values
            .get("deleted")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        fields: serde_json::to_string(values)?,
        address_norm: (entity == EntityKind::Household)
            .then(|| doorstep_core::address::normalize(text("address"))),
        id_key,
        person_key,
    })
}

/// The next station version. (Two plain statements: `UPDATE … RETURNING` builds a temporary table
/// each time, which made it the costliest statement of a push.)
fn next_version(tx: &Transaction<'_>) -> Result<i64> {
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

/// Stores a new record under a new station version. Its creation is recorded once (see migration
/// 0003) instead of a row per field.
fn create_record(
    tx: &Transaction<'_>,
    entity: EntityKind,
    entity_id: &str,
    values: &Map<String, Value>,
    device: DeviceId,
    hlc: Hlc,
) -> Result<i64> {
    let c = columns(tx, entity, values)?;
    tallies::written(tx, entity, entity_id, &c.beat, values, None)?;
    exec(
        tx,
        "INSERT INTO records (entity, id, version, deleted, beat, fields, created_version, created_device,
                              created_hlc_ms, created_hlc_counter, address_norm, id_key, person_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?3, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![entity.as_str(), entity_id, c.version, c.deleted, c.beat, c.fields, device, hlc.ms, hlc.counter,
                c.address_norm, c.id_key, c.person_key],
    )?;
    Ok(c.version)
}

/// Writes an existing record's merged `values` under a new station version, and who set the `set`
/// fields.
fn write_record<'a>(
    tx: &Transaction<'_>,
    entity: EntityKind,
    entity_id: &str,
    values: &Map<String, Value>,
    set: impl Iterator<Item = &'a String>,
    device: DeviceId,
    hlc: Hlc,
) -> Result<i64> {
    let c = columns(tx, entity, values)?;
    let old = tallies::before(tx, entity, entity_id)?;
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
             person_key = ?9
         WHERE entity = ?1 AND id = ?2",
        params![entity.as_str(), entity_id, c.version, c.deleted, c.beat, c.fields, c.address_norm, c.id_key,
                c.person_key],
    )?;
    if updated == 0 {
        return Err(StationError::NotFound(format!(
            "{} {entity_id} is gone",
            entity.as_str()
        )));
    }
    tallies::written(tx, entity, entity_id, &c.beat, values, old.as_ref())?;
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
        left_beat(tx, entity, entity_id, &old_beat, c.version, device, hlc)?;
    }
    Ok(c.version)
}

/// A field under open conflicts was written again (by an edit that saw its current value, by a
/// newer conflicting edit that won provisionally, or by staff): each such conflict now stands
/// between its other value and this one, so its applied side follows the write. A staff choice
/// made from the queue then never undoes a later edit nobody weighed. A conflict whose two sides
/// now agree is settled by that write.
fn follow_open_conflicts(
    tx: &Transaction<'_>,
    entity: EntityKind,
    entity_id: &str,
    field: &str,
    value: &Value,
    device: DeviceId,
) -> Result<()> {
    let value = value.to_string();
    let moved = tx
        .prepare_cached(
            "UPDATE conflicts SET
             station_value = CASE applied WHEN 'station' THEN ?4 ELSE station_value END,
             incoming_value = CASE applied WHEN 'incoming' THEN ?4 ELSE incoming_value END,
             current_device = ?5, current_at = ?6
         WHERE entity = ?1 AND entity_id = ?2 AND field = ?3 AND status = 'open'",
        )?
        .execute(params![
            entity.as_str(),
            entity_id,
            field,
            value,
            device,
            now()
        ])?;
    if moved == 0 {
        return Ok(());
    }
    tx.prepare_cached(
        "UPDATE conflicts SET status = 'settled', resolved_at = ?4, resolution = station_value
         WHERE entity = ?1 AND entity_id = ?2 AND field = ?3 AND status = 'open'
           AND station_value = incoming_value",
    )?
    .execute(params![entity.as_str(), entity_id, field, now()])?;
    Ok(())
}

/// A record left `beat` at `version`: the beat's laptops are told on their next pull, and a
/// household's residents, visits, concerns and tasks follow it to its new beat (each written again
/// under a new version, so the new beat's laptops receive them and the reports count them there).
fn left_beat(
    tx: &Transaction<'_>,
    entity: EntityKind,
    id: &str,
    beat: &str,
    version: i64,
    device: DeviceId,
    hlc: Hlc,
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
    for sql in [
        "SELECT entity, id, fields FROM records WHERE entity = 'visit' AND json_extract(fields, '$.household_id') = ?1",
        "SELECT entity, id, fields FROM records WHERE entity IN ('resident', 'concern', 'task')
           AND json_extract(fields, '$.household_id') = ?1",
    ] {
        let mut stmt = tx.prepare_cached(sql)?;
        for row in stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
            children.push(row?);
        }
    }
    for (child, child_id, fields) in children {
        let child = EntityKind::parse(&child).ok_or_else(|| bad("stored entity"))?;
        let values: Map<String, Value> = serde_json::from_str(&fields)?;
        write_record(
            tx,
            child,
            &child_id,
            &values,
            std::iter::empty(),
            device,
            hlc,
        )?;
    }
    Ok(())
}

/// A statement run through the connection's statement cache: the push path runs the same dozen
/// statements for every change, and preparing each anew costs more than running it.
fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

fn query_one<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
}

/// The survivor a merged record now answers for, or the id itself.
fn redirected(tx: &Transaction<'_>, entity: EntityKind, id: &str) -> Result<String> {
    let survivor: Option<String> = tx
        .prepare_cached("SELECT survivor FROM redirects WHERE entity = ?1 AND id = ?2")?
        .query_row(params![entity.as_str(), id], |r| r.get(0))
        .optional()?;
    Ok(survivor.unwrap_or_else(|| id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn a_merge_recorded_before_migration_5_can_still_be_undone() {
        let mut conn = Connection::open_in_memory().unwrap();
        MIGRATIONS.to_version(&mut conn, 4).unwrap();
        conn.execute(
            "INSERT INTO duplicates (entity, first_id, second_id, reason, status, survivor, loser, moved, created_at)
             VALUES ('household', 'S', 'L', 'address', 'merged', 'S', 'L', '[[\"visit\",\"V\"]]', '')",
            [],
        )
        .unwrap();
        MIGRATIONS.to_latest(&mut conn).unwrap();
        let moved: String = conn
            .query_row("SELECT moved FROM duplicates", [], |r| r.get(0))
            .unwrap();
        let moved: Value = serde_json::from_str(&moved).unwrap();
        assert_eq!(
            moved,
            serde_json::json!([{"entity": "visit", "id": "V", "field": "household_id", "before": "L", "after": "S"}])
        );
    }
}
