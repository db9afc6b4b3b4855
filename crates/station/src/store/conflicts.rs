//! The merge queue: conflicts between edits that did not see each other, as staff see them
//! (a confidential reporter withheld from who may not see it), and staff decisions on them. How a
//! conflict arises is decided in [`crate::merge`]; how an open conflict follows later writes of its
//! field is [`follow_open_conflicts`], called by the record writer.

use super::audit::{Outcome, record as audit};
use super::confidential::withhold;
use super::records::{STATION_DEVICE, load_state, station_clock, write_record};
use super::{Principal, Result, StationError, StationStore, bad, exec, now, query_one};
use doorstep_core::ids::DeviceId;
use doorstep_core::model::{EntityKind, check_fields};
use doorstep_core::store::held::Tx;
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::{Map, Value};

/// One open conflict, as the merge queue shows it: base, station and incoming values side by side,
/// with who made each and which one is applied for now.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
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
    ///
    /// A conflict that can reveal a confidential concern's reporter is decided only by who may see
    /// reporters (the chief); anyone else is refused, and the refusal recorded.
    pub fn resolve_conflict(
        &mut self,
        id: i64,
        by: &Principal,
        value: &Value,
        seen: Option<&(Value, Value)>,
    ) -> Result<i64> {
        if self.conflict_is_confidential(id)? && !by.sees_confidential_reporters() {
            let target = format!("conflict {id}");
            audit(
                &self.conn,
                &by.username,
                by.device_id,
                "resolve_confidential",
                &target,
                Outcome::Refused,
                "not allowed for this account",
            )?;
            return Err(StationError::NotPermitted(format!(
                "this account may not do that (resolve_confidential {target})"
            )));
        }
        let staff = by.display_name.as_str();
        if staff.trim().is_empty() {
            return Err(bad("say who decides (staff)"));
        }
        let transaction = self.conn.transaction()?;
        let tx = Tx::new(&transaction);
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
                None,
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
        drop(tx);
        transaction.commit()?;
        // A photo's deletion confirmed: its bytes may go now. The decision stands either way.
        if entity == EntityKind::Photo
            && let Err(e) = self.sweep_blobs()
        {
            tracing::warn!(error = %e, "sweeping photos' bytes after a decision");
        }
        Ok(version.unwrap_or(0))
    }

    /// Whether a conflict can reveal the reporter of a confidential concern: a conflict on its
    /// reporter fields or on its confidentiality, or a whole-record conflict (an edit of the deleted
    /// concern, field `*`) — of a concern confidential at the station or made so by the edit.
    pub fn conflict_is_confidential(&self, conflict_id: i64) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT k.entity = 'concern'
                        AND k.field IN ('reporter_id', 'reporter_name', 'confidential', '*')
                        AND (coalesce(json_extract(r.fields, '$.confidential'), 0) = 1
                             OR json_extract(k.incoming_value, '$.confidential') = 1
                             OR (k.field = 'confidential' AND k.station_value = 'true'))
                 FROM conflicts k LEFT JOIN records r ON r.entity = k.entity AND r.id = k.entity_id
                 WHERE k.id = ?1",
                params![conflict_id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false))
    }

    /// The merge queue as `viewer` may see it: a confidential reporter's values withheld (and each
    /// such conflict's read logged).
    pub fn conflicts_for(&self, viewer: &Principal) -> Result<Vec<Conflict>> {
        let mut conflicts = self.open_conflicts()?;
        for c in &mut conflicts {
            if !self.conflict_is_confidential(c.id)? {
                continue;
            }
            let detail = if viewer.sees_confidential_reporters() {
                "reporter shown (merge queue)"
            } else {
                for value in [
                    &mut c.base_value,
                    &mut c.station_value,
                    &mut c.incoming_value,
                ] {
                    withhold(value);
                }
                "reporter withheld (merge queue)"
            };
            audit(
                &self.conn,
                &viewer.username,
                None,
                "read_confidential",
                &c.entity_id,
                Outcome::Ok,
                detail,
            )?;
        }
        Ok(conflicts)
    }
}

/// A field under open conflicts was written again (by an edit that saw its current value, by a
/// newer conflicting edit that won provisionally, or by staff): each such conflict now stands
/// between its other value and this one, so its applied side follows the write. A staff choice
/// made from the queue then never undoes a later edit nobody weighed. A conflict whose two sides
/// now agree is settled by that write.
pub(super) fn follow_open_conflicts(
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
