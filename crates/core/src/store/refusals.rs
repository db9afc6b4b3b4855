//! What the station answered about this laptop's changes beyond "stored": edits it refused, and
//! sequence numbers it already holds for other changes (a laptop restored from a backup).
//!
//! A refused change is acknowledged like any other (the queue moves on), kept here with its reason
//! until the officer has seen it, and its record goes back to the station's copy where the station
//! sends one. A refused *new* record has no station copy: it stays on the laptop, marked, until the
//! officer corrects it (the next save sends the whole record again) or discards it.

use super::Store;
use super::remote::{Landed, RemoteRecord, apply_records, take_versions};
use crate::error::{Error, Result};
use crate::ids::ChangeId;
use crate::model::{EntityKind, spec_of};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// A change the station kept and acknowledged but refused to apply (also the wire type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefusedChange {
    pub change_id: ChangeId,
    pub device_seq: i64,
    pub entity: EntityKind,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub entity_id: Uuid,
    /// `outside_beats`, `confidential`, `base_ahead`, `unknown_record` or `invalid`.
    pub reason: String,
    /// The reason in words (English; the laptop shows its own words for `reason`).
    pub message: String,
    /// The record as the station holds it, where this laptop may read it.
    #[serde(default)]
    pub station_record: Option<RemoteRecord>,
}

/// A refusal as the officer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Refusal {
    pub change_id: String,
    pub entity: EntityKind,
    pub entity_id: String,
    /// The household the record belongs to (itself, for a household), to open it from the notice.
    pub household_id: Option<String>,
    /// What the record is, for people: the household's address.
    pub label: String,
    pub reason: String,
    pub message: String,
    /// The record was set back to the station's copy (else it is a new record only this laptop has).
    pub restored: bool,
    pub refused_at: String,
}

impl Store {
    /// Moves this laptop's changes from `from_seq` on past `station_seq`, keeping their order: the
    /// station holds other changes under those numbers (this laptop was restored from a backup, or
    /// copied). Only unsent changes move (the schema refuses anything else).
    pub fn renumber_unsent(&mut self, from_seq: i64, station_seq: i64) -> Result<u32> {
        let shift = station_seq + 1 - from_seq;
        if shift <= 0 {
            return Ok(0);
        }
        let tx = self.conn.transaction()?;
        let seqs: Vec<i64> = tx
            .prepare(
                "SELECT device_seq FROM changes WHERE device_seq >= ?1 ORDER BY device_seq DESC",
            )?
            .query_map([from_seq], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        // Highest first, so that no number is taken twice on the way.
        for seq in &seqs {
            super::exec(
                &tx,
                "UPDATE changes SET device_seq = ?2 WHERE device_seq = ?1",
                params![seq, seq + shift],
            )?;
        }
        tx.commit()?;
        Ok(seqs.len() as u32)
    }

    /// Records the station's acknowledgement with what it refused and the versions of what it wrote
    /// as sent, in one transaction: each refusal kept for the officer, each refused record set back
    /// to the station's copy where one came, each landed record at its station version, and the
    /// station's clock the answer came with (`station_ms`, 0: none).
    pub fn record_push(
        &mut self,
        acked: i64,
        refused: &[RefusedChange],
        landed: &[Landed],
        station_ms: i64,
    ) -> Result<()> {
        let copies: Vec<RemoteRecord> = refused
            .iter()
            .filter_map(|r| r.station_record.clone())
            .filter(|r| refused.iter().any(|x| x.entity_id == r.id))
            .collect();
        super::remote::check_pulled(&copies)?;
        self.without_foreign_keys(|store| {
            store.record_push_in_tx(acked, refused, &copies, landed, station_ms)
        })
    }

    fn record_push_in_tx(
        &mut self,
        acked: i64,
        refused: &[RefusedChange],
        copies: &[RemoteRecord],
        landed: &[Landed],
        station_ms: i64,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        take_versions(&tx, landed)?;
        super::remote::observe_clock(&tx, station_ms)?;
        super::exec(
            &tx,
            "UPDATE device SET acked_seq = max(acked_seq, ?1), last_sync_at = ?2 WHERE singleton = 1",
            params![acked, crate::time::format(&crate::time::now())],
        )?;
        let now = crate::time::format(&crate::time::now());
        for r in refused {
            let restored = copies.iter().any(|c| c.id == r.entity_id);
            super::exec(
                &tx,
                "INSERT OR IGNORE INTO refusals (change_id, device_seq, entity, entity_id, reason, message, restored, refused_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    r.change_id,
                    r.device_seq,
                    r.entity.as_str(),
                    r.entity_id.hyphenated().to_string(),
                    r.reason,
                    r.message,
                    restored,
                    now
                ],
            )?;
        }
        // Acknowledged now, the refused changes no longer hold their fields: the copies apply whole.
        apply_records(&tx, copies)?;
        tx.commit()?;
        Ok(())
    }

    /// The refusals the officer has not dealt with yet, newest first.
    pub fn refusals(&self) -> Result<Vec<Refusal>> {
        let mut stmt = self.conn.prepare(
            "SELECT f.change_id, f.entity, f.entity_id, f.reason, f.message, f.restored, f.refused_at,
                    CASE f.entity WHEN 'household' THEN f.entity_id
                        ELSE coalesce((SELECT household_id FROM residents WHERE id = f.entity_id),
                                      (SELECT household_id FROM visits WHERE id = f.entity_id),
                                      (SELECT household_id FROM concerns WHERE id = f.entity_id),
                                      (SELECT household_id FROM tasks WHERE id = f.entity_id)) END
             FROM refusals f WHERE f.status = 'open' ORDER BY f.device_seq DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (change_id, entity, entity_id, reason, message, restored, refused_at, household) =
                row?;
            let label: String = match &household {
                Some(h) => super::query_one(
                    &self.conn,
                    "SELECT address FROM households WHERE id = ?1",
                    [h],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or_default(),
                None => String::new(),
            };
            out.push(Refusal {
                change_id,
                entity: EntityKind::parse(&entity).ok_or(Error::Corrupt)?,
                entity_id,
                household_id: household,
                label,
                reason,
                message,
                restored,
                refused_at,
            });
        }
        Ok(out)
    }

    /// The officer has read a refusal; for a new record the station refused, `discard` also takes
    /// the record off this laptop (marked deleted here, nothing sent: the station never had it).
    pub fn dismiss_refusal(&mut self, change_id: &str, discard: bool) -> Result<()> {
        let tx = self.conn.transaction()?;
        let row: Option<(String, String, bool)> = super::query_one(
            &tx,
                "SELECT entity, entity_id, restored FROM refusals WHERE change_id = ?1 AND status = 'open'",
                [change_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (entity, entity_id, restored) = row.ok_or_else(|| Error::NotFound {
            entity: "refusal",
            id: change_id.to_string(),
        })?;
        let entity = EntityKind::parse(&entity).ok_or(Error::Corrupt)?;
        let discarded = discard && !restored && never_accepted(&tx, entity, &entity_id)?;
        if discarded {
            let spec = spec_of(entity);
            super::exec(
                &tx,
                &format!("UPDATE {} SET deleted = 1 WHERE id = ?1", spec.table),
                [&entity_id],
            )?;
            let id: Uuid = entity_id.parse().map_err(|_| Error::NotFound {
                entity: "refusal",
                id: change_id.to_string(),
            })?;
            let fields = super::remote::current_fields(&tx, entity, &entity_id)?;
            super::records::update_derived(&tx, entity, id, &fields)?;
        }
        super::exec(
            &tx,
            "UPDATE refusals SET status = ?2 WHERE entity_id = ?1 AND status = 'open'",
            params![entity_id, if discarded { "discarded" } else { "dismissed" }],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Whether the station has never accepted this record (version 0 here) — a refused new record.
fn never_accepted(tx: &Transaction<'_>, entity: EntityKind, id: &str) -> Result<bool> {
    let version: Option<i64> = super::query_one(
        tx,
        &format!(
            "SELECT version FROM {} WHERE id = ?1",
            spec_of(entity).table
        ),
        [id],
        |r| r.get(0),
    )
    .optional()?;
    Ok(version == Some(0))
}

/// Whether the station refused this record's creation and has not seen it since: its next save
/// must send every field again (the station holds nothing of it to apply a difference to).
pub(crate) fn creation_refused(tx: &Transaction<'_>, entity: EntityKind, id: Uuid) -> Result<bool> {
    let id = id.hyphenated().to_string();
    let refused: bool = super::query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM refusals WHERE entity = ?1 AND entity_id = ?2 AND status = 'open' AND restored = 0)",
        params![entity.as_str(), id],
        |r| r.get(0),
    )?;
    Ok(refused && never_accepted(tx, entity, &id)?)
}

/// The officer saved a refused new record again: its refusal is dealt with.
pub(crate) fn mark_corrected(tx: &Transaction<'_>, entity: EntityKind, id: Uuid) -> Result<()> {
    super::exec(
        tx,
        "UPDATE refusals SET status = 'corrected' WHERE entity = ?1 AND entity_id = ?2 AND status = 'open'",
        params![entity.as_str(), id.hyphenated().to_string()],
    )?;
    Ok(())
}
