//! The audit trail: security events and administrator actions (table `audit`), staff decisions
//! (`staff_actions`) and every change received (`changes`), read together through the
//! `audit_trail` view. All three are append-only (triggers refuse updates and deletions) and nothing
//! in the API writes them except by doing what they record.

use super::{Result, StationStore, now};
use doorstep_core::ids::DeviceId;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Ok,
    Refused,
}

/// Appends one event.
pub fn record(
    conn: &Connection,
    actor: &str,
    device: Option<DeviceId>,
    action: &str,
    target: &str,
    outcome: Outcome,
    detail: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit (at, actor, device_id, action, target, outcome, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        now(),
        actor,
        device,
        action,
        target,
        match outcome {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
        },
        detail
    ])?;
    Ok(())
}

/// One line of the trail.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct AuditEntry {
    /// `security` (sign-ins, refusals, enrolments, accounts, confidential reads), `staff` (decisions
    /// on records) or `change` (a change a laptop sent).
    pub source: String,
    pub at: String,
    pub actor: String,
    pub device_id: Option<String>,
    pub action: String,
    pub target: String,
    /// `ok` or `refused` (for a change: applied, conflict or pending).
    pub outcome: String,
    pub detail: String,
}

/// Which part of the trail to read; every condition is optional.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct AuditFilter {
    /// From this time (stored form, or a date YYYY-MM-DD).
    pub from: Option<String>,
    /// Before this time (stored form, or a date: up to the end of that day).
    pub to: Option<String>,
    /// Who (a username or officer's name; part of it is enough).
    pub actor: Option<String>,
    /// `security`, `staff` or `change`.
    pub source: Option<String>,
    pub action: Option<String>,
    pub device_id: Option<String>,
    /// At most this many, newest first (default 500, at most 10,000).
    pub limit: Option<u32>,
}

/// A bound of the filter as a stored time: a bare date means its start (`from`) or end (`to`).
fn bound(value: &Option<String>, end_of_day: bool) -> Option<String> {
    let v = value.as_deref()?.trim();
    if v.is_empty() {
        return None;
    }
    if v.len() == 10 {
        return Some(if end_of_day {
            format!("{v}T23:59:59.999Z")
        } else {
            format!("{v}T00:00:00.000Z")
        });
    }
    Some(v.to_string())
}

impl StationStore {
    /// The trail, newest first, as filtered.
    pub fn audit_trail(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let limit = filter.limit.unwrap_or(500).clamp(1, 10_000);
        let mut stmt = self.conn.prepare(
            "SELECT source, at, actor, device_id, action, target, outcome, coalesce(detail, '') FROM audit_trail
             WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at <= ?2)
               AND (?3 IS NULL OR instr(actor, ?3) > 0) AND (?4 IS NULL OR source = ?4)
               AND (?5 IS NULL OR action = ?5) AND (?6 IS NULL OR device_id = ?6)
             ORDER BY at DESC, source, id DESC LIMIT ?7",
        )?;
        let blank = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let rows = stmt.query_map(
            params![
                bound(&filter.from, false),
                bound(&filter.to, true),
                blank(&filter.actor),
                blank(&filter.source),
                blank(&filter.action),
                blank(&filter.device_id),
                limit
            ],
            |r| {
                Ok(AuditEntry {
                    source: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    device_id: r.get(3)?,
                    action: r.get(4)?,
                    target: r.get(5)?,
                    outcome: r.get(6)?,
                    detail: r.get(7)?,
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Appends one event outside any other work (a refusal, a read).
    pub fn audit(
        &self,
        actor: &str,
        device: Option<DeviceId>,
        action: &str,
        target: &str,
        outcome: Outcome,
        detail: &str,
    ) -> Result<()> {
        record(&self.conn, actor, device, action, target, outcome, detail)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trail_cannot_be_edited_or_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let store = StationStore::open(&dir.path().join("s.sqlite")).unwrap();
        store
            .audit("admin", None, "sign_in", "", Outcome::Ok, "")
            .unwrap();
        assert!(
            store
                .conn()
                .execute("UPDATE audit SET actor = 'x'", [])
                .is_err()
        );
        assert!(store.conn().execute("DELETE FROM audit", []).is_err());
        let trail = store.audit_trail(&AuditFilter::default()).unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0].actor, "admin");
    }

    #[test]
    fn a_date_bound_covers_the_whole_day() {
        assert_eq!(
            bound(&Some("2026-11-23".into()), true).as_deref(),
            Some("2026-11-23T23:59:59.999Z")
        );
        assert_eq!(bound(&Some(" ".into()), false), None);
    }
}
