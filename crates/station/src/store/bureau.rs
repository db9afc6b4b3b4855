//! The station's side of replication to its bureau: the link made at enrolment, the next batch of
//! the station's log (records by station version, staff decisions and the security trail by id,
//! from the cursors the bureau last answered), and the inspectors' flags applied as follow-up
//! tasks. The sending itself is `crate::upward`; this part only reads and writes the database.
//!
//! What goes up is what the bureau keeps: households, residents, visits, concerns and tasks in their
//! current state (a confidential concern's reporter too: the bureau keeps it apart and shows it
//! only to an inspector holding that right); never photos, never a staff decision's values on a
//! concern (its reporter may be confidential), never the security trail's free-text detail.

use super::{
    Result, STATION_DEVICE, StationError, StationStore, bad, create_record, now,
    record_staff_action, station_clock,
};
use doorstep_core::model::{EntityKind, Record, Task};
use doorstep_core::store::held::Tx;
use doorstep_protocol::bureau::{
    BureauFlag, Cursors, ENTITIES, FlagApplied, UpAudit, UpBatch, UpRecord, UpStaffAction,
};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// The station's link to its bureau.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BureauLink {
    pub url: String,
    /// The bureau's certificate as pinned at enrolment (hex of its DER).
    pub certificate: String,
    pub credential: String,
    pub station_name: String,
    pub bureau_name: String,
    pub enrolled_at: String,
}

/// Where replication stands, for the station's pages.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct BureauStatus {
    pub enrolled: bool,
    pub url: Option<String>,
    pub station_name: Option<String>,
    pub bureau_name: Option<String>,
    /// The station's newest version, and the newest the bureau holds.
    pub station_head: i64,
    pub bureau_holds: i64,
    /// Station versions the bureau does not hold yet.
    pub lag: i64,
    pub last_sent_at: Option<String>,
    pub last_attempt_at: Option<String>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    pub flags_applied: i64,
}

/// A flagged follow-up's task: due a week after it arrives.
const FLAG_DUE_DAYS: u64 = 7;

/// Bytes one upward batch carries at most of its records' fields, and again of its staff actions'
/// details: the batch goes in one request, which the bureau takes up to 16 MiB
/// (`limits::MAX_BODY_BYTES`), and a thousand records with long notes (30 kB each) made 30 MB —
/// refused every round, so the bureau's copy of the station stopped there for good. Each part ends
/// before the item that would pass this (an item larger alone still goes: a push's 8 MiB bounds
/// it); audit lines are short.
pub const UP_BYTES: usize = 6 << 20;

impl StationStore {
    pub fn bureau_link(&self) -> Result<Option<BureauLink>> {
        Ok(self
            .conn
            .query_row(
                "SELECT url, certificate, credential, station_name, bureau_name, enrolled_at FROM bureau_link WHERE id = 1",
                [],
                |r| {
                    Ok(BureauLink {
                        url: r.get(0)?,
                        certificate: r.get(1)?,
                        credential: r.get(2)?,
                        station_name: r.get(3)?,
                        bureau_name: r.get(4)?,
                        enrolled_at: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }

    /// Keeps the link of a new enrolment (replacing any before it) and starts replication afresh:
    /// the cursors come from the bureau at the next send.
    pub fn set_bureau_link(&mut self, actor: &str, link: &BureauLink) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO bureau_link (id, url, certificate, credential, station_name, bureau_name, enrolled_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
            params![link.url, link.certificate, link.credential, link.station_name, link.bureau_name, link.enrolled_at],
        )?;
        tx.execute("DELETE FROM bureau_state", [])?;
        super::audit::record(
            &tx,
            actor,
            None,
            "bureau_enrolled",
            &link.url,
            super::Outcome::Ok,
            &link.station_name,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The station's newest version.
    pub fn head_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'version'", [], |r| {
                r.get(0)
            })?)
    }

    /// The next batch after `from`: at most `limit` records, staff actions and audit lines each,
    /// and at most [`UP_BYTES`] of records (and of staff actions' details). A part read whole
    /// ends at the station's newest (so records the bureau does not keep, such as photos, are
    /// stepped over); a part cut at a limit ends at its last item.
    pub fn upward_batch(&self, from: Cursors, limit: usize, restart: bool) -> Result<UpBatch> {
        // Read in one read transaction: the head and the pages see the same database.
        let tx = self.conn.unchecked_transaction()?;
        let head = self.head_version()?;
        let mut records = Vec::new();
        let mut last_version = from.records;
        // Rows read (photos stepped over too), and whether the bytes ended the part first.
        let (mut read, mut cut) = (0, false);
        {
            let mut stmt = tx.prepare_cached(
                "SELECT entity, id, version, deleted, beat, fields FROM records WHERE version > ?1 ORDER BY version LIMIT ?2",
            )?;
            let mut rows = stmt.query(params![from.records, limit as i64])?;
            let mut bytes = 0;
            while let Some(r) = rows.next()? {
                let version: i64 = r.get(2)?;
                let entity: String = r.get(0)?;
                if !ENTITIES.contains(&entity.as_str()) {
                    read += 1;
                    last_version = version;
                    continue;
                }
                let fields: String = r.get(5)?;
                if bytes > 0 && bytes + fields.len() > UP_BYTES {
                    cut = true;
                    break;
                }
                bytes += fields.len();
                read += 1;
                last_version = version;
                records.push(UpRecord {
                    entity,
                    id: r.get(1)?,
                    version,
                    deleted: r.get(3)?,
                    beat: r.get(4)?,
                    fields: serde_json::from_str(&fields)?,
                });
            }
        }
        let records_through = if read < limit && !cut {
            head.max(from.records)
        } else {
            last_version
        };

        let (mut staff_actions, mut staff_cut) = (Vec::new(), false);
        {
            let mut stmt = tx.prepare_cached(
                "SELECT id, created_at, staff, action, entity, entity_id, details FROM staff_actions WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?;
            let mut rows = stmt.query(params![from.staff, limit as i64])?;
            let mut bytes = 0;
            while let Some(r) = rows.next()? {
                let entity: String = r.get(4)?;
                let details: String = r.get(6)?;
                // A decision may carry the values chosen (a note of 30 kB): bounded as records are.
                if bytes > 0 && bytes + details.len() > UP_BYTES {
                    staff_cut = true;
                    break;
                }
                bytes += details.len();
                let details: serde_json::Value = serde_json::from_str(&details).unwrap_or_default();
                staff_actions.push(UpStaffAction {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    staff: r.get(2)?,
                    action: r.get(3)?,
                    details: scrubbed(&entity, details),
                    entity,
                    entity_id: r.get(5)?,
                });
            }
        }
        let staff_max: i64 =
            tx.query_row("SELECT coalesce(max(id), 0) FROM staff_actions", [], |r| {
                r.get(0)
            })?;
        let staff_through = if staff_actions.len() < limit && !staff_cut {
            staff_max.max(from.staff)
        } else {
            staff_actions.last().map_or(from.staff, |a| a.id)
        };

        let mut audit = Vec::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT id, at, actor, action, target, outcome FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?;
            let mut rows = stmt.query(params![from.audit, limit as i64])?;
            while let Some(r) = rows.next()? {
                audit.push(UpAudit {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    target: r.get(4)?,
                    outcome: r.get(5)?,
                });
            }
        }
        let audit_max: i64 =
            tx.query_row("SELECT coalesce(max(id), 0) FROM audit", [], |r| r.get(0))?;
        let audit_through = if audit.len() < limit {
            audit_max.max(from.audit)
        } else {
            audit.last().map_or(from.audit, |a| a.id)
        };
        let lineage: i64 =
            tx.query_row("SELECT value FROM meta WHERE key = 'lineage'", [], |r| {
                r.get(0)
            })?;
        Ok(UpBatch {
            lineage: format!("{lineage:016x}"),
            restart,
            from,
            through: Cursors {
                records: records_through,
                staff: staff_through,
                audit: audit_through,
            },
            station_head: head,
            records,
            staff_actions,
            audit,
            flags_applied: self.flags_applied()?,
        })
    }

    /// Every flag applied here, for the bureau to mark (it ignores those it marked already).
    fn flags_applied(&self) -> Result<Vec<FlagApplied>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT flag_id, task_id FROM bureau_flags ORDER BY flag_id")?;
        let rows = stmt.query_map([], |r| {
            Ok(FlagApplied {
                flag_id: r.get(0)?,
                task_id: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Remembers what the bureau answered (its cursors), or why sending failed.
    pub fn bureau_sent(&mut self, held: Option<Cursors>, error: Option<&str>) -> Result<()> {
        let at = now();
        self.conn
            .execute("INSERT OR IGNORE INTO bureau_state (id) VALUES (1)", [])?;
        match held {
            Some(c) => self.conn.execute(
                "UPDATE bureau_state SET records = ?1, staff = ?2, audit = ?3, last_sent_at = ?4, last_attempt_at = ?4, last_error = NULL WHERE id = 1",
                params![c.records, c.staff, c.audit, at],
            )?,
            None => self.conn.execute(
                "UPDATE bureau_state SET last_attempt_at = ?1, last_error = ?2 WHERE id = 1",
                params![at, error],
            )?,
        };
        Ok(())
    }

    pub fn bureau_status(&self) -> Result<BureauStatus> {
        let link = self.bureau_link()?;
        let head = self.head_version()?;
        let state = self
            .conn
            .query_row(
                "SELECT records, last_sent_at, last_attempt_at, last_error FROM bureau_state WHERE id = 1",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let (holds, last_sent_at, last_attempt_at, last_error) =
            state.unwrap_or((0, None, None, None));
        let flags_applied = self
            .conn
            .query_row("SELECT count(*) FROM bureau_flags", [], |r| r.get(0))?;
        Ok(BureauStatus {
            enrolled: link.is_some(),
            url: link.as_ref().map(|l| l.url.clone()),
            station_name: link.as_ref().map(|l| l.station_name.clone()),
            bureau_name: link.map(|l| l.bureau_name),
            station_head: head,
            bureau_holds: holds,
            lag: (head - holds).max(0),
            last_sent_at,
            last_attempt_at,
            last_error,
            flags_applied,
        })
    }

    /// Applies an inspector's flag once: a follow-up task on the complaint's household (and
    /// concern), for the station's chief (or staff) to assign, recorded as a staff action of the
    /// bureau. A flag applied before answers the same task again; the flag is new here if `.1`.
    pub fn apply_bureau_flag(&mut self, flag: &BureauFlag) -> Result<(FlagApplied, bool)> {
        let transaction = self.conn.transaction()?;
        let tx = Tx::new(&transaction);
        let known: Option<String> = tx
            .query_row(
                "SELECT task_id FROM bureau_flags WHERE flag_id = ?1",
                [flag.id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(task_id) = known {
            return Ok((
                FlagApplied {
                    flag_id: flag.id,
                    task_id,
                },
                false,
            ));
        }
        let entity = match flag.entity.as_str() {
            "concern" => EntityKind::Concern,
            "visit" => EntityKind::Visit,
            other => {
                return Err(bad(format!(
                    "a bureau flag on {other:?}: only concerns and visits are flagged"
                )));
            }
        };
        let household: Option<String> = tx
            .query_row(
                "SELECT json_extract(fields, '$.household_id') FROM records WHERE entity = ?1 AND id = ?2",
                params![entity.as_str(), flag.record_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let task_id = match household {
            None => String::new(),
            Some(household) => {
                let household = household
                    .parse()
                    .map_err(|_| StationError::Internal(format!("household id {household:?}")))?;
                let responsible: Option<String> = tx
                    .query_row(
                        "SELECT id FROM accounts WHERE active = 1 AND EXISTS (SELECT 1 FROM json_each(roles) WHERE value IN ('chief', 'staff'))
                         ORDER BY EXISTS (SELECT 1 FROM json_each(roles) WHERE value = 'chief') DESC, created_at LIMIT 1",
                        [],
                        |r| r.get(0),
                    )
                    .optional()?;
                let title: String = format!("督察跟进：{}", flag.reason)
                    .chars()
                    .take(200)
                    .collect();
                let due = doorstep_core::time::local_today() + chrono::Days::new(FLAG_DUE_DAYS);
                let mut task = Task::new(
                    household,
                    title,
                    responsible.unwrap_or_else(|| "所领导".into()),
                    due,
                );
                if entity == EntityKind::Concern {
                    task.concern_id = flag.record_id.parse().ok();
                }
                let id = task.id.to_string();
                let values = task.fields()?;
                create_record(
                    &tx,
                    EntityKind::Task,
                    &id,
                    &values,
                    STATION_DEVICE,
                    station_clock(),
                    None,
                )?;
                record_staff_action(
                    &tx,
                    &format!("{} (bureau inspector)", flag.flagged_by),
                    "bureau_flag",
                    EntityKind::Task,
                    &id,
                    serde_json::json!({ "flag": flag.id, "entity": flag.entity, "record": flag.record_id, "reason": flag.reason }),
                )?;
                id
            }
        };
        tx.execute(
            "INSERT INTO bureau_flags (flag_id, entity, record_id, reason, flagged_by, flagged_at, task_id, applied_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![flag.id, flag.entity, flag.record_id, flag.reason, flag.flagged_by, flag.flagged_at, task_id, now()],
        )?;
        drop(tx);
        transaction.commit()?;
        Ok((
            FlagApplied {
                flag_id: flag.id,
                task_id,
            },
            true,
        ))
    }
}

/// A staff decision's details as the bureau receives them: on a concern, only which fields were
/// decided, never their values (the reporter may be confidential).
fn scrubbed(entity: &str, details: serde_json::Value) -> serde_json::Value {
    if entity != "concern" {
        return details;
    }
    match details {
        serde_json::Value::Object(map) => serde_json::Value::Array(
            map.keys()
                .map(|k| serde_json::Value::String(k.clone()))
                .collect(),
        ),
        _ => serde_json::Value::Null,
    }
}
