//! The lineage of the station's database, and what a restore from a backup does to it.
//!
//! After a restore the station holds less than it once told its laptops: changes it acknowledged
//! after the backup was taken, and the versions it handed out for them, are gone. Laptops learn of
//! it from their standing (`/api/v1/scopes`, at the start of every sync): a new lineage, or fewer
//! of their changes than were acknowledged, makes them send again from what the station holds and
//! download their scopes afresh. The versions handed out after the backup are never handed out
//! again: the counter moves past them and the range is kept, so an edit a laptop based on one of
//! them is told apart from a forged base (see `scope::check`).

use super::audit::{Outcome, record as audit};
use super::{Result, StationStore, now, query_one};
use doorstep_core::ids::DeviceId;
use doorstep_core::store::remote::Standing;
use rusqlite::{OptionalExtension, params};

/// How far a restore moves the version counter: more versions than any station hands out between
/// a backup and its restore.
pub const LOST_VERSIONS_GAP: i64 = 1 << 32;

impl StationStore {
    /// Where `device` stands with this database.
    pub fn standing(&self, device: DeviceId) -> Result<Standing> {
        let lineage: i64 = query_one(
            &self.conn,
            "SELECT value FROM meta WHERE key = 'lineage'",
            [],
            |r| r.get(0),
        )?;
        let head: i64 = query_one(
            &self.conn,
            "SELECT value FROM meta WHERE key = 'version'",
            [],
            |r| r.get(0),
        )?;
        let acked_seq: i64 = query_one(
            &self.conn,
            "SELECT contiguous_seq FROM devices WHERE device_id = ?1",
            [device],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
        Ok(Standing {
            lineage: format!("{lineage:016x}"),
            acked_seq,
            head,
        })
    }

    /// Starts a new lineage on a database just restored from a backup: a new lineage id, the
    /// version counter moved past every version the lost lineage may have handed out, that range
    /// kept, and the restore written to the audit trail.
    pub fn start_lineage_after_restore(&mut self, actor: &str, detail: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        let head: i64 = tx.query_row("SELECT value FROM meta WHERE key = 'version'", [], |r| {
            r.get(0)
        })?;
        let lineage: i64 = loop {
            // 56 random bits: positive, and stored as SQLite's integer.
            let candidate = i64::from_str_radix(&super::secrets::random_hex(7)?, 16)
                .map_err(|e| super::StationError::Internal(e.to_string()))?;
            let old: i64 =
                tx.query_row("SELECT value FROM meta WHERE key = 'lineage'", [], |r| {
                    r.get(0)
                })?;
            if candidate != old {
                break candidate;
            }
        };
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'lineage'",
            [lineage],
        )?;
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'version'",
            [head + LOST_VERSIONS_GAP],
        )?;
        tx.execute(
            "INSERT INTO lost_versions (from_version, to_version, restored_at) VALUES (?1, ?2, ?3)",
            params![head + 1, head + LOST_VERSIONS_GAP, now()],
        )?;
        audit(&tx, actor, None, "restore", "station", Outcome::Ok, detail)?;
        tx.commit()?;
        Ok(())
    }
}

/// When the lineage that handed out `version` was lost in a restore (ms), if it was (read inside
/// the push's transaction; the table has a row per restore, so it stays tiny).
pub(super) fn lost_at_ms(conn: &rusqlite::Connection, version: i64) -> Result<Option<i64>> {
    let at: Option<String> = query_one(
        conn,
        "SELECT restored_at FROM lost_versions WHERE ?1 BETWEEN from_version AND to_version",
        [version],
        |r| r.get(0),
    )
    .optional()?;
    Ok(at
        .and_then(|a| doorstep_core::time::parse(&a))
        .map(|a| a.timestamp_millis()))
}
