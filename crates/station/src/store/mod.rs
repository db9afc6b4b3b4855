//! The station's SQLite store: enrolled devices, every change received, the merged records, and the
//! merge queue. A pushed batch is stored and decided in one transaction: either all of it is kept
//! or, if anything in it is malformed, none of it.

use doorstep_core::ids::DeviceId;
use doorstep_core::store::held::Prepare;
use rusqlite::Connection;
use rusqlite_migration::{HookError, M, Migrations};
use std::path::Path;
use std::sync::LazyLock;

mod accounts;
mod audit;
mod blobs;
mod bundles;
mod bureau;
mod checkpoint;
mod confidential;
mod conflicts;
mod duplicates;
mod enrolment;
mod ingest;
mod lineage;
mod overview;
mod pull;
mod records;
mod records_export;
mod secrets;
mod sessions;
mod staff;
mod standing;
mod summary;
mod tallies;

pub use accounts::{Account, AccountUpdate, NewAccount, Principal, Role};
pub use audit::{AuditEntry, AuditFilter, Outcome};
pub use blobs::{PhotoPart, PhotoView};
pub use bundles::BundleImport;
pub use bureau::{BureauLink, BureauStatus};
pub use checkpoint::Checkpointer;
pub use confidential::{ConcernView, WITHHELD};
pub use conflicts::Conflict;
pub use duplicates::Duplicate;
pub use enrolment::{DeviceAuth, EnrollmentCode};
pub use ingest::ANSWER_BYTES;
pub use lineage::LOST_VERSIONS_GAP;
pub use overview::{BeatOverview, Overview, Worklist, WorklistItem};
pub use pull::{PAGE_BYTES, PullPage, PullScope, Pushed};
pub use records_export::{CONFIDENTIAL, Table};
pub use secrets::{
    digest, hash_password, new_code, normalize_code, random_hex, random_password, verify_password,
};
pub use sessions::{Session, sign_in};
use staff::record_staff_action;
pub use staff::{DeviceView, TaskView};
pub use summary::{AreaOpinions, CategoryFlow, Count, MonthlySummary};
// The record writer and reader, shared by every part of the store that writes or reads records.
use records::{
    STATION_DEVICE, create_record, load_state, readable_snapshot, record_row, redirected,
    station_clock, write_record,
};

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
        M::up(include_str!("../../migrations/0016_lineage.sql")),
        M::up(include_str!("../../migrations/0017_records_by_beat.sql")),
        M::up(include_str!("../../migrations/0018_records_echo.sql")),
        M::up(include_str!("../../migrations/0019_station_keys.sql")),
        M::up(include_str!("../../migrations/0020_blobs.sql")),
        M::up(include_str!("../../migrations/0021_visit_facts.sql")),
        M::up(include_str!("../../migrations/0022_visit_days.sql")),
        M::up(include_str!("../../migrations/0023_bureau.sql")),
        M::up(include_str!("../../migrations/0024_summary_tallies.sql")),
        M::up(include_str!("../../migrations/0025_records_household.sql")),
        M::up(include_str!("../../migrations/0026_coverage_kept.sql")),
        // Fills what 0026 and 0027 keep from each household's standing (see store/standing.rs).
        M::up_with_hook(
            include_str!("../../migrations/0027_month_households.sql"),
            |tx: &rusqlite::Transaction| {
                standing::recount(tx).map_err(|e| HookError::Hook(e.to_string()))
            },
        ),
        M::up(include_str!("../../migrations/0028_duplicates_pair.sql")),
    ])
});

/// What can go wrong in the station's store, in the domain's words. The API gives each its HTTP
/// status in one place (`api::error`); nothing here knows about HTTP.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error("device {0} is not enrolled at this station")]
    UnknownDevice(DeviceId),
    /// The input breaks one of the station's rules (a password too short, an officer without a
    /// beat, a value that does not fit its field): what to change, in words for the person.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// The thing is no longer in the state the request expects: already merged or resolved, moved
    /// since staff looked at it, a laptop enrolled for someone else.
    #[error("{0}")]
    AlreadyDone(String),
    /// A password, enrolment code or credential that does not hold.
    #[error("{0}")]
    WrongCredential(String),
    /// A known account asking for what its roles do not allow (recorded in the audit trail).
    #[error("{0}")]
    NotPermitted(String),
    /// Too many wrong passwords: try again after this many seconds.
    #[error("too many wrong passwords; try again in {} minutes", .0 / 60)]
    TooManyAttempts(i64),
    /// A bundle for sync by USB stick that is not taken: why (`code`, for the staff pages to say in
    /// their language), and in words; `revoked` when its laptop may no longer sync.
    #[error("{message}")]
    Bundle {
        code: &'static str,
        message: String,
        revoked: bool,
    },
    /// A photo's bytes that do not fit what the station expects (`code`: `unknown_photo`,
    /// `offset`, `size`, `checksum`), with the upload's state where it has one.
    #[error("{message}")]
    Blob {
        code: &'static str,
        message: String,
        status: Option<doorstep_protocol::BlobStatus>,
    },
    #[error("{0}")]
    Internal(String),
    /// The database file is damaged (a truncated file, a flipped page): the station does not serve it.
    #[error(
        "the station's database is damaged ({0}): the station will not serve it: put back the last copy of the data folder; the damaged file is left as it is"
    )]
    Damaged(String),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("data: {0}")]
    Json(#[from] serde_json::Error),
}

type Result<T> = std::result::Result<T, StationError>;

fn bad(msg: impl Into<String>) -> StationError {
    StationError::Invalid(msg.into())
}

fn now() -> String {
    doorstep_core::time::format(&doorstep_core::time::now())
}

pub struct StationStore {
    conn: Connection,
    /// Photos' bytes, beside the database (`blobs/` in the data folder).
    blob_dir: std::path::PathBuf,
}

impl StationStore {
    /// Opens (or creates) the station's database, checks that it is whole, and brings its schema
    /// up to date. A damaged file is refused: serving part of the station's record, or writing on
    /// top of a broken page, would be worse than not starting.
    pub fn open(path: &Path) -> Result<StationStore> {
        let damaged = |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
                StationError::Damaged(e.to_string())
            }
            _ => StationError::Sqlite(e),
        };
        let mut conn = Connection::open(path).map_err(damaged)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(damaged)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        keep_plans(&conn)?;
        // quick_check reads every page once (not integrity_check's cross-checks of each index), so
        // it stays in seconds for a station's few gigabytes; the binary logs how long it took.
        let problems: Vec<String> = conn
            .prepare("PRAGMA quick_check")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect())
            .map_err(damaged)?;
        if problems.first().map(String::as_str) != Some("ok") {
            return Err(StationError::Damaged(problems.join("; ")));
        }
        MIGRATIONS.to_latest(&mut conn)?;
        let blob_dir = path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("blobs");
        Ok(StationStore { conn, blob_dir })
    }

    /// Another connection to the station's database `open` has opened, that only reads (the
    /// database is in WAL mode: it reads the last committed state while a write is under way).
    /// `None` for a database in memory, which has no second connection.
    pub fn reader(&self) -> Result<Option<StationStore>> {
        let Some(path) = self.conn.path().filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "query_only", "ON")?;
        keep_plans(&conn)?;
        Ok(Some(StationStore {
            conn,
            blob_dir: self.blob_dir.clone(),
        }))
    }

    /// Read access for tests and the staff pages.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// A statement run through the connection's statement cache: the push path runs the same dozen
/// statements for every change, and preparing each anew costs more than running it.
/// Statements kept prepared. rusqlite keeps 16 by default, and one push runs more distinct
/// statements than that (ingest, tallies, conflicts, duplicates): each was evicted before its next
/// use and parsed again, 15% of the station's time under the load command.
const STATEMENT_CACHE: usize = 256;

/// Keeps the statements a connection runs prepared, each with the plan it was first given.
///
/// SQLite (3.47 on) plans a statement with `LIMIT ?` by the limit bound, and one comparing a
/// parameter with a partial index's constant (`entity = ?1` beside `… WHERE entity = 'visit'`) by
/// the value bound, and then compiles it again whenever that parameter is bound anew: every pull
/// page and every push's lookup of a record's recorder was compiled afresh, 5% of the station's
/// time under the load command. The query planner stability guarantee plans from the text alone;
/// the hot queries' plans are pinned by tests (`query_plan`, parameters unbound) as made here.
fn keep_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

/// Runs one statement through the statement cache, or the statements a [`Tx`] holds.
fn exec(conn: &impl Prepare, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.with_statement(sql, |s| s.execute(params))
}

/// One row of one statement, as [`exec`] runs it.
fn query_one<T>(
    conn: &impl Prepare,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.with_statement(sql, |s| s.query_row(params, f))
}

/// How SQLite means to run `sql` (its parameters unbound), one line per step: for the tests that
/// pin a hot query to its index.
#[cfg(test)]
pub(crate) fn query_plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    // Unbound parameters are NULL to SQLite, and the plan does not depend on them.
    let mut rows = stmt.raw_query();
    let mut plan = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        plan.push(row.get::<_, String>(3).unwrap());
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn a_statement_is_planned_once_whatever_its_parameters_are_bound_to() {
        let dir = tempfile::tempdir().unwrap();
        let store = StationStore::open(&dir.path().join("station.sqlite")).unwrap();
        let reader = store.reader().unwrap().unwrap();
        // A page's limit, and a record's kind where partial indexes name one: SQLite (3.47 on)
        // recompiled such statements each time the value bound changed.
        let page = "SELECT version FROM records WHERE beat = ?1 AND version > ?2 ORDER BY version LIMIT ?3";
        let recorder =
            "SELECT d.account_id FROM records r JOIN devices d ON d.device_id = r.created_device
                        WHERE r.entity = ?1 AND r.id = ?2";
        for (conn, sql) in [
            (store.conn(), page),
            (reader.conn(), page),
            (store.conn(), recorder),
        ] {
            let mut stmt = conn.prepare_cached(sql).unwrap();
            for (kind, limit) in [("household", 10), ("visit", 20), ("resident", 30)] {
                let bound: Vec<&dyn rusqlite::ToSql> = if sql == page {
                    vec![&kind, &0, &limit]
                } else {
                    vec![&kind, &"x"]
                };
                stmt.query_map(&bound[..], |_| Ok(()))
                    .unwrap()
                    .for_each(drop);
            }
            assert_eq!(
                stmt.get_status(rusqlite::StatementStatus::RePrepare),
                0,
                "{sql}"
            );
        }
    }

    #[test]
    fn records_stored_before_migration_25_name_their_household_in_its_column() {
        let mut conn = Connection::open_in_memory().unwrap();
        MIGRATIONS.to_version(&mut conn, 24).unwrap();
        for (entity, id, fields) in [
            ("household", "H", r#"{"beat":"b","address":"幸福路1号"}"#),
            (
                "visit",
                "V",
                r#"{"household_id":"H","visited_at":"2026-12-01T09:00:00Z"}"#,
            ),
            ("resident", "R", r#"{"household_id":"H","name":"张三"}"#),
            ("photo", "P", r#"{"household_id":"H"}"#),
        ] {
            conn.execute(
                "INSERT INTO records (entity, id, version, beat, fields) VALUES (?1, ?2, 1, 'b', ?3)",
                [entity, id, fields],
            )
            .unwrap();
        }
        MIGRATIONS.to_latest(&mut conn).unwrap();
        let named: Vec<(String, Option<String>)> = conn
            .prepare("SELECT id, household_id FROM records ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let h = Some("H".to_string());
        assert_eq!(
            named,
            [
                ("H".to_string(), None),
                ("P".to_string(), h.clone()),
                ("R".to_string(), h.clone()),
                ("V".to_string(), h)
            ]
        );
    }

    #[test]
    fn households_stored_before_migration_26_get_their_due_dates_coverage_and_visited_months() {
        let mut conn = Connection::open_in_memory().unwrap();
        MIGRATIONS.to_version(&mut conn, 25).unwrap();
        for (id, tags, registered, days, deleted) in [
            (
                "A",
                "[]",
                Some("2026-01-01"),
                "2026-02-01,2026-03-01",
                false,
            ),
            ("B", r#"["elderly_alone"]"#, Some("2026-01-01"), "", false),
            ("C", "[]", None, "", false),
            ("D", "[]", Some("2026-01-01"), "2026-02-01", true),
        ] {
            conn.execute(
                "INSERT INTO household_status (id, beat, tags, registered_on, deleted, visit_days)
                 VALUES (?1, 'b', ?2, ?3, ?4, ?5)",
                rusqlite::params![id, tags, registered, deleted, days],
            )
            .unwrap();
        }
        for (month, id) in [
            ("2026-02", "A"),
            ("2026-02", "B"),
            ("2026-02", "D"),
            ("2026-03", "A"),
        ] {
            conn.execute(
                "INSERT INTO household_months (month, household_id, n) VALUES (?1, ?2, 1)",
                [month, id],
            )
            .unwrap();
        }
        MIGRATIONS.to_latest(&mut conn).unwrap();
        // Visited per month: live households only, B (living alone, elderly) the vulnerable one.
        let months: Vec<(String, i64, i64)> = conn
            .prepare(
                "SELECT month, visited, vulnerable_visited FROM month_households ORDER BY month",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            months,
            [("2026-02".to_string(), 2, 1), ("2026-03".to_string(), 1, 0)]
        );
        let due: Vec<Option<String>> = conn
            .prepare("SELECT due_on FROM household_status ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let day = |d: &str| Some(d.to_string());
        assert_eq!(
            due,
            [
                day("2026-05-30"),
                day("2026-01-01"),
                None,
                day("2026-05-02")
            ]
        );
        let on = |d: &str| -> (u32, u32) {
            let d = d.parse().unwrap();
            standing::history(&conn, &[d]).unwrap()[&d]
        };
        // A and B registered on New Year's Day, both covered that day only until visited; A from
        // its first visit to 90 days after its last. C has no registration; D is deleted.
        assert_eq!(on("2025-12-31"), (0, 0));
        assert_eq!(on("2026-01-01"), (2, 2));
        assert_eq!(on("2026-01-02"), (0, 2));
        assert_eq!(on("2026-02-01"), (1, 2));
        assert_eq!(on("2026-05-30"), (1, 2));
        assert_eq!(on("2026-05-31"), (0, 2));
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
        let moved: serde_json::Value = serde_json::from_str(&moved).unwrap();
        assert_eq!(
            moved,
            serde_json::json!([{"entity": "visit", "id": "V", "field": "household_id", "before": "L", "after": "S"}])
        );
    }
}
