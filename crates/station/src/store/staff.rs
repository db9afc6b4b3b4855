//! What staff do at the station besides the merge queue: the follow-up task list with (re-)assignment,
//! the enrolled devices, and the append-only record of every staff decision.

use super::{
    Result, STATION_DEVICE, StationError, StationStore, bad, exec, load_state, now, station_clock,
    write_record,
};
use doorstep_core::model::{EntityKind, check_fields};
use doorstep_core::store::held::Tx;
use rusqlite::{Transaction, params};
use serde_json::{Map, Value};

/// An enrolled laptop, as staff see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct DeviceView {
    pub device_id: String,
    pub officer_name: String,
    pub beats: Vec<String>,
    /// Every change up to this device sequence is at the station.
    pub acked_seq: i64,
    pub enrolled_at: String,
    pub last_seen_at: Option<String>,
    /// The officer's account it syncs as.
    pub username: Option<String>,
    /// When an administrator revoked it (its syncs are refused since).
    pub revoked_at: Option<String>,
    /// It is to erase its data on its next contact…
    pub wipe: bool,
    /// …and was told to, at this time.
    pub wiped_at: Option<String>,
    /// The station was restored from a backup since this laptop last synced: what it sent after
    /// the backup comes back only when it syncs again.
    pub behind_restore: bool,
    /// Changes of this laptop waiting for a record the restore lost, which the laptop that made
    /// it sends again when it syncs (they are decided then).
    pub awaiting: u32,
}

/// An open follow-up task, as the station's task list shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct TaskView {
    pub id: String,
    pub beat: String,
    pub address: String,
    pub title: String,
    /// The account responsible.
    pub assignee: String,
    /// Its name, for people.
    pub assignee_name: String,
    pub due_date: String,
    pub status: String,
}

impl StationStore {
    /// Open follow-up tasks of the station, soonest due first.
    pub fn open_tasks(&self) -> Result<Vec<TaskView>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.id, t.beat, coalesce(json_extract(h.fields, '$.address'), ''), json_extract(t.fields, '$.title'),
                    json_extract(t.fields, '$.assignee'), json_extract(t.fields, '$.due_date'), json_extract(t.fields, '$.status'),
                    coalesce((SELECT display_name FROM accounts WHERE id = json_extract(t.fields, '$.assignee')),
                             json_extract(t.fields, '$.assignee'))
             FROM records t
             LEFT JOIN records h ON h.entity = 'household' AND h.id = json_extract(t.fields, '$.household_id')
             WHERE t.entity = 'task' AND t.deleted = 0 AND json_extract(t.fields, '$.status') IN ('open', 'in_progress')
             ORDER BY json_extract(t.fields, '$.due_date')",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TaskView {
                id: r.get(0)?,
                beat: r.get(1)?,
                address: r.get(2)?,
                title: r.get(3)?,
                assignee: r.get(4)?,
                due_date: r.get(5)?,
                status: r.get(6)?,
                assignee_name: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Staff (re-)assign a task: who is responsible and by when. Applied as a station edit every
    /// device of the beat receives, and recorded.
    pub fn assign_task(
        &mut self,
        id: &str,
        staff: &str,
        assignee: &str,
        due_date: &str,
    ) -> Result<i64> {
        if staff.trim().is_empty() || assignee.trim().is_empty() {
            return Err(bad(
                "say who decides (staff) and who is responsible (assignee)",
            ));
        }
        let transaction = self.conn.transaction()?;
        let tx = Tx::new(&transaction);
        let assignee = super::accounts::resolve_assignee(&tx, assignee, None)?.ok_or_else(|| {
            bad(format!(
                "{assignee:?} is not one officer's account here: choose the officer from the list"
            ))
        })?;
        let assignee = assignee.as_str();
        let state = load_state(&tx, EntityKind::Task, id)?
            .ok_or_else(|| StationError::NotFound(format!("no task {id}")))?;
        let mut values: Map<String, Value> = state
            .fields
            .iter()
            .map(|(k, f)| (k.clone(), f.value.clone()))
            .collect();
        values.insert(
            "assignee".into(),
            Value::String(assignee.trim().to_string()),
        );
        values.insert(
            "due_date".into(),
            Value::String(due_date.trim().to_string()),
        );
        check_fields(EntityKind::Task, id, &values)
            .map_err(|e| bad(format!("that does not fit a task: {e}")))?;
        let set = ["assignee".to_string(), "due_date".to_string()];
        let version = write_record(
            &tx,
            EntityKind::Task,
            id,
            &values,
            set.iter(),
            STATION_DEVICE,
            station_clock(),
            None,
        )?;
        record_staff_action(
            &tx,
            staff,
            "assign_task",
            EntityKind::Task,
            id,
            serde_json::json!({ "assignee": assignee, "due_date": due_date }),
        )?;
        drop(tx);
        transaction.commit()?;
        Ok(version)
    }

    /// A laptop made contact (every sync starts by asking its standing): it counts as synced now,
    /// whether or not it has anything to push. Noted at most once a minute (the devices page shows
    /// minutes; a push notes it anyway), and always the first time after a restore, which that
    /// page compares it with: otherwise every sync committed, and forced to the disk, a write of
    /// its own.
    pub fn seen(&mut self, device: doorstep_core::ids::DeviceId) -> Result<()> {
        let at = doorstep_core::time::now();
        let a_minute_ago = doorstep_core::time::format(&(at - chrono::Duration::minutes(1)));
        exec(
            &self.conn,
            "UPDATE devices SET last_seen_at = ?2 WHERE device_id = ?1
               AND (last_seen_at IS NULL OR last_seen_at < ?3
                    OR last_seen_at < (SELECT max(restored_at) FROM lost_versions))",
            params![device, doorstep_core::time::format(&at), a_minute_ago],
        )?;
        Ok(())
    }

    /// The enrolled laptops and when each last synced.
    pub fn devices(&self) -> Result<Vec<DeviceView>> {
        let mut stmt = self.conn.prepare(
            "SELECT d.device_id, d.officer_name, d.beats, d.contiguous_seq, d.enrolled_at, d.last_seen_at,
                    a.username, d.revoked_at, d.wipe, d.wiped_at,
                    EXISTS (SELECT 1 FROM lost_versions l
                            WHERE coalesce(d.last_seen_at, d.enrolled_at) < l.restored_at),
                    (SELECT count(*) FROM changes c INDEXED BY changes_awaiting
                     WHERE c.status = 'awaiting' AND c.device_id = d.device_id)
             FROM devices d LEFT JOIN accounts a ON a.id = d.account_id
             ORDER BY d.revoked_at IS NOT NULL, d.last_seen_at DESC NULLS LAST, d.officer_name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                DeviceView {
                    device_id: r.get(0)?,
                    officer_name: r.get(1)?,
                    beats: Vec::new(),
                    acked_seq: r.get(3)?,
                    enrolled_at: r.get(4)?,
                    last_seen_at: r.get(5)?,
                    username: r.get(6)?,
                    revoked_at: r.get(7)?,
                    wipe: r.get(8)?,
                    wiped_at: r.get(9)?,
                    behind_restore: r.get(10)?,
                    awaiting: r.get(11)?,
                },
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut device, beats) = row?;
            device.beats = serde_json::from_str(&beats)?;
            out.push(device);
        }
        Ok(out)
    }
}

pub(super) fn record_staff_action(
    tx: &Transaction<'_>,
    staff: &str,
    action: &str,
    entity: EntityKind,
    id: &str,
    details: Value,
) -> Result<()> {
    exec(
        tx,
        "INSERT INTO staff_actions (staff, action, entity, entity_id, details, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            staff,
            action,
            entity.as_str(),
            id,
            details.to_string(),
            now()
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::store::StationStore;
    use doorstep_core::ids::DeviceId;

    #[test]
    fn a_laptops_contact_is_noted_once_a_minute_and_at_once_after_a_restore() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = StationStore::open(&dir.path().join("station.sqlite")).unwrap();
        let device = DeviceId::new();
        s.conn()
            .execute(
                "INSERT INTO devices (device_id, officer_id, officer_name, beats, enrolled_at)
                 VALUES (?1, 'o', '张警官', '[\"幸福社区\"]', '2026-12-01T08:00:00.000Z')",
                [device],
            )
            .unwrap();
        let seen = |s: &StationStore| -> Option<String> {
            s.conn()
                .query_row(
                    "SELECT last_seen_at FROM devices WHERE device_id = ?1",
                    [device],
                    |r| r.get(0),
                )
                .unwrap()
        };
        s.seen(device).unwrap();
        let first = seen(&s).expect("the first contact is noted");

        // Syncing again within the minute writes nothing.
        let writes = s.conn().total_changes();
        s.seen(device).unwrap();
        assert_eq!(s.conn().total_changes(), writes);
        assert_eq!(seen(&s).as_ref(), Some(&first));

        // A contact a minute after the last is noted.
        s.conn()
            .execute(
                "UPDATE devices SET last_seen_at = '2026-12-01T09:00:00.000Z'",
                [],
            )
            .unwrap();
        s.seen(device).unwrap();
        assert!(seen(&s).unwrap() >= first, "noted again");

        // So is the first contact after a restore, however recent the last one.
        s.conn()
            .execute(
                "INSERT INTO lost_versions (from_version, to_version, restored_at)
                 VALUES (1, 10, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 second'))",
                [],
            )
            .unwrap();
        let before = seen(&s).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        s.seen(device).unwrap();
        assert!(seen(&s).unwrap() > before, "noted after the restore");
    }
}
