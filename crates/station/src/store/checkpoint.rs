//! The write-ahead log copied into the database file by a thread of its own.
//!
//! By default SQLite checkpoints on the connection that commits, once the log passes 1,000 pages:
//! the station's one writing connection then stopped deciding pushes while it copied the log and
//! waited on the disk — 14% of its time during an ingest, while the second core stood idle. Here
//! another connection checkpoints every little while (a passive checkpoint: it never waits for,
//! nor holds up, the writer or the readers).
//!
//! The log only starts again from its beginning when a write begins with all of it copied, which a
//! checkpoint running beside a writer that never pauses (an ingest, a wave of syncs) does not
//! arrange: the log grew by everything written (350 MB over a 200,000-change ingest), each commit
//! extending the file. So the writer still checkpoints, rarely — once the log passes
//! [`WRITER_CHECKPOINT_PAGES`], when the thread has already copied nearly all of it — and the log
//! then starts again, cut back to [`LOG_SIZE_LIMIT`] if a burst grew it past that.

use super::{Result, StationStore};
use rusqlite::Connection;
use std::sync::Weak;
use std::time::Duration;

/// How long the checkpointing thread waits after copying something (the log grows meanwhile by
/// what the writer commits: about a batch of pushes).
const BUSY_INTERVAL: Duration = Duration::from_millis(100);
/// How long it waits after finding nothing to copy.
const IDLE_INTERVAL: Duration = Duration::from_millis(500);
/// The log's length (in pages) at which the writer checkpoints itself, so that the log starts again.
const WRITER_CHECKPOINT_PAGES: i64 = 8_000;
/// The size the log's file is cut back to when it starts again (bytes): above the log at
/// [`WRITER_CHECKPOINT_PAGES`] (33 MB), so that the writer reuses the file instead of extending it.
const LOG_SIZE_LIMIT: i64 = 48 * 1024 * 1024;

/// A connection that only checkpoints, for a writing connection that no longer does.
pub struct Checkpointer {
    conn: Connection,
}

impl StationStore {
    /// Leaves this connection's checkpoints to the connection it answers, run in
    /// [`Checkpointer::run`], but for the rare one that lets the log start again. `None` for a
    /// database in memory (it has no log).
    pub fn hand_checkpoints_over(&mut self) -> Result<Option<Checkpointer>> {
        let Some(path) = self.conn.path().filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        let conn = Connection::open(path)?;
        self.conn
            .pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
        self.conn
            .pragma_update(None, "journal_size_limit", LOG_SIZE_LIMIT)?;
        Ok(Some(Checkpointer { conn }))
    }
}

impl Checkpointer {
    /// Copies the log into the database file now, as far as no reader still needs it; answers the
    /// pages the log holds and the pages of it copied (all of them once no reader needs them).
    pub fn checkpoint(&self) -> Result<(i64, i64)> {
        // (busy, pages in the log, pages copied): busy when another checkpoint runs (a backup).
        let (_busy, log, copied): (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        Ok((log, copied))
    }

    /// Checkpoints every little while, on the calling thread, until `owner` is gone (the station
    /// stopped serving this store): soon again while the log moves, less often while it rests.
    pub fn run<T>(self, owner: Weak<T>) {
        let mut before = (0, 0);
        while owner.strong_count() > 0 {
            let wait = match self.checkpoint() {
                Ok(now) if now != before => {
                    before = now;
                    BUSY_INTERVAL
                }
                Ok(_) => IDLE_INTERVAL,
                Err(e) => {
                    tracing::warn!(error = %e, "checkpointing the station's log");
                    IDLE_INTERVAL
                }
            };
            std::thread::sleep(wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// One commit of 500 rows of 4,000 bytes into `filler`: 500 pages through the log.
    fn write_500_pages(store: &StationStore) {
        store
            .conn()
            .execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
                 INSERT INTO filler SELECT randomblob(4000) FROM n",
                [],
            )
            .unwrap();
    }

    fn file_pages(path: &std::path::Path) -> u64 {
        std::fs::metadata(path).unwrap().len() / 4096
    }

    /// The writer's commits leave the log to the checkpointing connection, which copies all of it.
    #[test]
    fn the_writer_leaves_the_log_to_the_checkpointer_which_copies_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.sqlite");
        let mut store = StationStore::open(&path).unwrap();
        let checkpointer = store.hand_checkpoints_over().unwrap().unwrap();
        let before = file_pages(&path);
        // 3,000 pages, far past SQLite's own threshold of 1,000, in several commits.
        store
            .conn()
            .execute("CREATE TABLE filler (x BLOB)", [])
            .unwrap();
        for _ in 0..6 {
            write_500_pages(&store);
        }
        assert!(
            file_pages(&path) < before + 100,
            "the writer copied the log itself: {} pages, {before} before",
            file_pages(&path)
        );
        let (log, copied) = checkpointer.checkpoint().unwrap();
        assert!(log >= 3000 && copied == log, "{copied} of {log}");
        assert!(file_pages(&path) >= before + 3000);
        let rows: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM filler", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 3000);
    }

    /// A writer that never pauses, with the thread checkpointing beside it: the log still starts
    /// again, and its file stays near its limit instead of growing by everything written.
    #[test]
    fn the_log_stays_bounded_under_writes_that_never_pause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.sqlite");
        let mut store = StationStore::open(&path).unwrap();
        let checkpointer = store.hand_checkpoints_over().unwrap().unwrap();
        let owner = Arc::new(());
        let weak = Arc::downgrade(&owner);
        let thread = std::thread::spawn(move || checkpointer.run(weak));
        store
            .conn()
            .execute("CREATE TABLE filler (x BLOB)", [])
            .unwrap();
        let wal = dir.path().join("station.sqlite-wal");
        let mut largest = 0;
        // 40 commits of 500 pages: 80 MB through the log, back to back.
        for _ in 0..40 {
            write_500_pages(&store);
            largest = largest.max(std::fs::metadata(&wal).unwrap().len());
        }
        drop(owner);
        thread.join().unwrap();
        assert!(
            largest <= LOG_SIZE_LIMIT as u64,
            "the log grew to {} MB",
            largest / 1_000_000
        );
        let rows: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM filler", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 20_000);
    }

    /// The thread stops once the store it served is gone.
    #[test]
    fn the_checkpointing_thread_ends_with_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = StationStore::open(&dir.path().join("station.sqlite")).unwrap();
        let checkpointer = store.hand_checkpoints_over().unwrap().unwrap();
        let owner = Arc::new(());
        let weak = Arc::downgrade(&owner);
        let thread = std::thread::spawn(move || checkpointer.run(weak));
        drop(owner);
        let started = std::time::Instant::now();
        while !thread.is_finished() {
            assert!(started.elapsed() < Duration::from_secs(5), "still running");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A store in memory has no log to hand over.
    #[test]
    fn a_store_in_memory_keeps_its_own_checkpoints() {
        let mut store = StationStore::open(std::path::Path::new(":memory:")).unwrap();
        assert!(store.hand_checkpoints_over().unwrap().is_none());
    }
}
