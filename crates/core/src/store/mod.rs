//! The officer's SQLite file: opening it (pragmas, migrations), the device it belongs to, and the
//! transactional write path. Submodules hold one idea each:
//! - [`records`]: loading and saving any record, with its change, in one transaction;
//! - [`changes`]: the append-only change log;
//! - [`remote`] and [`refusals`]: where the device stands with its station, what it pulls, and
//!   what the station refused of what it pushed;
//! - [`queries`]: the read models the screens show (today, household lists and pages);
//! - [`drafts`] and [`settings`]: unfinished forms and local settings;
//! - [`vault`] and [`backup`]: the encrypted file, and backups of it.

pub mod backup;
pub mod changes;
pub mod drafts;
pub mod held;
pub mod photos;
pub mod queries;
pub mod records;
pub mod refusals;
pub mod remote;
pub mod scopes;
pub mod settings;
pub mod vault;
pub mod visit_entry;

use crate::error::{Error, Result};
use crate::hlc::Hlc;
use crate::ids::{DeviceId, OfficerId};
use held::Prepare;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;
use ts_rs::TS;

/// The schema, one embedded `.sql` file per version. Applied migrations are never edited; a schema
/// change is a new file.
static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/0001_init.sql")),
        M::up(include_str!("../../migrations/0002_last_visit_index.sql")),
        M::up(include_str!("../../migrations/0003_sync_state.sql")),
        M::up(include_str!(
            "../../migrations/0004_refusals_and_renumbering.sql"
        )),
        M::up(include_str!("../../migrations/0005_scopes.sql")),
        M::up(include_str!("../../migrations/0006_accounts.sql")),
        M::up(include_str!("../../migrations/0007_values_to_check.sql")),
        M::up_with_hook(
            include_str!("../../migrations/0008_search_readings.sql"),
            |tx: &rusqlite::Transaction<'_>| {
                crate::search::reindex_residents(tx)
                    .map_err(|e| rusqlite_migration::HookError::Hook(e.to_string()))
            },
        ),
        M::up(include_str!("../../migrations/0009_to_check_index.sql")),
        M::up(include_str!("../../migrations/0010_photos.sql")),
        M::up(include_str!("../../migrations/0011_unsent_count.sql")),
        M::up(include_str!(
            "../../migrations/0012_beat_figures_indexes.sql"
        )),
    ])
});

/// Who this database belongs to: one laptop, one officer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Device {
    pub device_id: DeviceId,
    pub officer_id: OfficerId,
    pub officer_name: String,
    /// The beats (责任区) this officer works.
    pub beats: Vec<String>,
    /// The officer's account at the station (after enrolment): what tasks name as responsible.
    #[serde(default)]
    pub account_id: Option<String>,
}

impl Device {
    /// What a task assigned to this officer names: the account, or before enrolment the name.
    pub fn assignee(&self) -> &str {
        self.account_id.as_deref().unwrap_or(&self.officer_name)
    }
}

pub struct Store {
    pub(crate) conn: Connection,
    device: Option<Device>,
    /// Foreign keys are off for a run of writes in the station's order (see
    /// [`Store::without_foreign_keys`]).
    keys_off: bool,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        Self::setup(conn)
    }

    /// A private database in memory, for unit tests.
    pub fn open_in_memory() -> Result<Store> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Store> {
        // Another program holding the file: wait a little, then say so instead of failing at once.
        conn.busy_timeout(Duration::from_secs(3))?;
        // The first read tells a damaged or foreign file apart before anything is written to it.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a committed note survives a power cut (a dead battery), not just a crash.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Pages of an encrypted database are decrypted on every read that misses the page cache
        // (SQLite's default holds 2 MB). Today reads the whole beat: on the benchmark's
        // 69k-household beat, warm, 1.3 s with the default, 0.4 s with 16 MB (0.27 s with 48 MB,
        // which the window's memory pays for). The cache fills only as far as a beat's pages need.
        conn.pragma_update(None, "cache_size", -16 * 1024)?;
        // rusqlite keeps 16 prepared statements by default; saving one record runs more distinct
        // ones than that (record, change log, search index, tallies), so each was parsed afresh.
        conn.set_prepared_statement_cache_capacity(128);
        // Each statement keeps the plan it was first given: SQLite (3.47 on) plans one with
        // `LIMIT ?` by the limit bound and compiles it again whenever the limit is bound anew
        // (every batch of a push, every search). The query planner stability guarantee plans
        // from the text alone, as the plan tests (`EXPLAIN QUERY PLAN`, nothing bound) see it.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        match MIGRATIONS.to_latest(&mut conn) {
            Ok(()) => {}
            Err(rusqlite_migration::Error::MigrationDefinition(
                rusqlite_migration::MigrationDefinitionError::DatabaseTooFarAhead,
            )) => return Err(Error::TooNew),
            Err(rusqlite_migration::Error::RusqliteError { err, .. }) => return Err(err.into()),
            Err(e) => return Err(e.into()),
        }
        let device = load_device(&conn)?;
        Ok(Store {
            conn,
            device,
            keys_off: false,
        })
    }

    /// Makes this database a device of `officer_name`, working `beats`. Done once; later calls
    /// change the officer's name and beats but keep the device's identity and its change log.
    pub fn init_device(&mut self, officer_name: &str, beats: &[String]) -> Result<Device> {
        self.init_device_as(None, officer_name, beats)
    }

    /// As [`Store::init_device`], for a laptop whose first step is enrolling with its station: the
    /// device takes the identity it enrolled with (a device already set up keeps its own, which is
    /// the one it enrolled with).
    pub fn init_enrolled_device(
        &mut self,
        identity: (DeviceId, OfficerId),
        officer_name: &str,
        beats: &[String],
    ) -> Result<Device> {
        self.init_device_as(Some(identity), officer_name, beats)
    }

    fn init_device_as(
        &mut self,
        identity: Option<(DeviceId, OfficerId)>,
        officer_name: &str,
        beats: &[String],
    ) -> Result<Device> {
        let mut checks = crate::validate::Checks::new();
        checks.required("officer_name", officer_name);
        checks.max_len("officer_name", officer_name, crate::validate::NAME_MAX);
        if beats.iter().all(|b| b.trim().is_empty()) {
            checks.fail("beats", crate::error::ErrorCode::Required);
        }
        if !checks.errors.is_empty() {
            return Err(Error::Invalid(checks.errors));
        }
        let beats: Vec<String> = beats
            .iter()
            .map(|b| b.trim().to_string())
            .filter(|b| !b.is_empty())
            .collect();
        let device = match &self.device {
            Some(d) => Device {
                officer_name: officer_name.trim().into(),
                beats,
                ..d.clone()
            },
            None => Device {
                device_id: identity.map_or_else(DeviceId::new, |(d, _)| d),
                officer_id: identity.map_or_else(OfficerId::new, |(_, o)| o),
                officer_name: officer_name.trim().into(),
                beats,
                account_id: None,
            },
        };
        self.conn.execute(
            "INSERT INTO device (singleton, device_id, officer_id, officer_name, beats, created_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (singleton) DO UPDATE SET officer_name = excluded.officer_name, beats = excluded.beats",
            params![
                device.device_id,
                device.officer_id,
                device.officer_name,
                serde_json::to_string(&device.beats)?,
                crate::time::format(&crate::time::now())
            ],
        )?;
        self.device = Some(device.clone());
        Ok(device)
    }

    /// Reads the device again from the file: another connection (the sync's, an enrolment's) may
    /// have changed it (the officer's beats follow the station's account), and this one keeps
    /// what it read at open.
    pub fn reload_device(&mut self) -> Result<()> {
        self.device = load_device(&self.conn)?;
        Ok(())
    }

    /// Runs `f` with foreign keys off, for writes that take the station's records in the
    /// station's order (a child may come before its parent) or take records off; calls nested in
    /// it switch nothing. A sync runs its whole push and pull in one such call: switching the keys
    /// makes SQLite recompile every statement the connection has prepared on its next use, and
    /// switched around each pulled page and each push answer that was a tenth of a laptop's
    /// sync under load. Must be called outside a transaction (SQLite ignores the switch inside).
    pub fn without_foreign_keys<T, E: From<Error>>(
        &mut self,
        f: impl FnOnce(&mut Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        if self.keys_off {
            return f(self);
        }
        self.conn
            .pragma_update(None, "foreign_keys", "OFF")
            .map_err(Error::from)?;
        self.keys_off = true;
        let result = f(self);
        self.keys_off = false;
        let back_on = self.conn.pragma_update(None, "foreign_keys", "ON");
        let out = result?;
        back_on.map_err(Error::from)?;
        Ok(out)
    }

    /// The device this database belongs to, or [`Error::NoDevice`] before `init_device`.
    pub fn device(&self) -> Result<&Device> {
        self.device.as_ref().ok_or(Error::NoDevice)
    }

    /// Erases everything on this device (a revoked laptop's wipe): every table goes, with the
    /// freed pages overwritten (`secure_delete`) and the file compacted, so nothing of the beat is
    /// left in it. The next open starts a new, empty database. Other connections to the file see
    /// the tables gone.
    pub fn erase_contents(&mut self) -> Result<()> {
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        self.conn.pragma_update(None, "secure_delete", "ON")?;
        let tx = self.conn.transaction()?;
        let objects: Vec<(String, String)> = tx
            .prepare(
                "SELECT type, name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual', 'view')
                 AND name NOT LIKE 'sqlite_%' ORDER BY type = 'view' DESC",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (kind, name) in objects {
            let what = if kind == "view" { "VIEW" } else { "TABLE" };
            tx.execute_batch(&format!(
                "DROP {what} IF EXISTS \"{}\"",
                name.replace('"', "\"\"")
            ))?;
        }
        tx.pragma_update(None, "user_version", 0)?;
        tx.commit()?;
        self.conn.execute_batch("VACUUM")?;
        self.device = None;
        Ok(())
    }

    /// Read access for the read models and tests; writes go through the methods that log changes.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Checks the schema against the embedded migrations (used by a test and by `doorstep doctor`).
    pub fn validate_migrations() -> Result<()> {
        MIGRATIONS.validate()?;
        Ok(())
    }
}

pub(crate) fn load_device(conn: &Connection) -> Result<Option<Device>> {
    let row = conn
        .query_row(
            "SELECT device_id, officer_id, officer_name, beats, account_id FROM device WHERE singleton = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get(4)?)),
        )
        .optional()?;
    Ok(match row {
        None => None,
        Some((device_id, officer_id, officer_name, beats, account_id)) => Some(Device {
            device_id,
            officer_id,
            officer_name,
            beats: serde_json::from_str(&beats)?,
            account_id,
        }),
    })
}

/// Ticks the device's hybrid clock inside the caller's transaction and returns the new timestamp.
fn tick_clock(tx: &rusqlite::Transaction<'_>) -> Result<Hlc> {
    let now = chrono::Utc::now().timestamp_millis();
    advance_clock(tx, |last| last.tick(now))
}

/// Moves the device's hybrid clock to `next(last)` inside the caller's transaction.
pub(crate) fn advance_clock(
    tx: &rusqlite::Transaction<'_>,
    next: impl FnOnce(Hlc) -> Hlc,
) -> Result<Hlc> {
    let last: Hlc = query_one(
        tx,
        "SELECT hlc_ms, hlc_counter FROM device WHERE singleton = 1",
        [],
        |r| {
            Ok(Hlc {
                ms: r.get(0)?,
                counter: r.get(1)?,
            })
        },
    )?;
    let next = next(last);
    exec(
        tx,
        "UPDATE device SET hlc_ms = ?1, hlc_counter = ?2 WHERE singleton = 1",
        params![next.ms, next.counter],
    )?;
    Ok(next)
}

/// Runs one statement through the connection's statement cache. `Connection::execute` and
/// `query_row` prepare the statement anew each time, which costs more than running it: saving a
/// visit runs a handful of statements, and applying a pulled page runs them per record (a fifth of
/// a first download's time was spent preparing them). Through a [`held::Tx`], the statement stays
/// held for the rest of the transaction.
pub(crate) fn exec(
    conn: &impl Prepare,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    conn.with_statement(sql, |s| s.execute(params))
}

/// [`Connection::query_row`] through the statement cache (see [`exec`]).
pub(crate) fn query_one<T>(
    conn: &impl Prepare,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.with_statement(sql, |s| s.query_row(params, f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        Store::validate_migrations().unwrap();
    }

    #[test]
    fn a_file_that_is_not_a_database_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        std::fs::write(
            &path,
            b"this is a spreadsheet, not a database, and it is long enough to matter".repeat(100),
        )
        .unwrap();
        assert!(matches!(Store::open(&path), Err(Error::Corrupt)));
    }

    #[test]
    fn init_device_keeps_identity_when_called_again() {
        let mut store = Store::open_in_memory().unwrap();
        assert!(matches!(store.device(), Err(Error::NoDevice)));
        let first = store.init_device("张警官", &["幸福社区".into()]).unwrap();
        let second = store
            .init_device("张伟", &["幸福社区".into(), "和平社区".into()])
            .unwrap();
        assert_eq!(first.device_id, second.device_id);
        assert_eq!(second.beats.len(), 2);
        assert!(matches!(store.init_device(" ", &[]), Err(Error::Invalid(e)) if e.len() == 2));
    }
}

#[cfg(test)]
mod promises;
