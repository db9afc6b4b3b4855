//! Faults injected into the real processes on 127.0.0.1, the way SQLite and CouchDB test theirs:
//! each test prints its figure (runs, faults injected, changes checked, lost, doubled) and asserts
//! nothing lost and nothing doubled. The test command runs a bounded sample; `scripts/faults.sh`
//! runs the long counts (`DOORSTEP_FAULT_SCALE` multiplies every test's runs).
//!
//! - `proxy`: a TCP proxy that refuses, cuts requests and responses, and slows connections.
//! - `clocks`: a week of edits from laptops two days fast and two days slow (`faketime`).
//! - `cuts`: syncs through it converge, each failure a calm "offline".
//! - `station_kill`: the station SIGKILLed at random points of ingest and pull, and while staff
//!   resolve conflicts, merge duplicates and open the overview.
//! - `laptop_kill`: the CLI SIGKILLed mid-import, mid-sync and mid-encryption.
//! - `disk_full`: a laptop database and a station on a full disk.
//! - `photo_cuts`: photo uploads cut mid-photo resume at their last chunk.

// Test helpers unwrap: a failure there is the test's report.
#![allow(clippy::unwrap_used)]

mod clocks;
mod cuts;
mod disk_full;
mod laptop_kill;
mod photo_cuts;
mod proxy;
mod station_kill;
/// The station process and laptops, shared with the station tests.
#[path = "../station/support.rs"]
#[allow(dead_code)]
mod support;

/// Households on a laptop.
pub fn households(store: &doorstep_core::Store) -> i64 {
    store
        .conn()
        .query_row("SELECT count(*) FROM households", [], |r| r.get(0))
        .unwrap()
}

/// This test's number of runs: `base`, times `DOORSTEP_FAULT_SCALE` (the long command).
pub fn runs(base: u32) -> u32 {
    let scale: u32 = std::env::var("DOORSTEP_FAULT_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    base * scale.max(1)
}

/// Prints a fault test's figure (BENCHMARKS.md quotes it) and asserts that nothing was lost and
/// nothing doubled.
pub fn figure(test: &str, runs: u32, faults: u64, checked: i64, lost: i64, doubled: i64) {
    println!(
        "FAULTS {test}: runs {runs}, faults injected {faults}, changes checked {checked}, lost {lost}, doubled {doubled}"
    );
    assert_eq!((lost, doubled), (0, 0), "{test}: lost or doubled changes");
}

/// Every change each laptop made, checked against the station: (checked, lost, doubled). A change
/// is lost if the station does not hold its id; doubled if it holds it twice (or under two
/// numbers).
pub fn tally_changes(station: &support::Station, laptops: &[&support::Device]) -> (i64, i64, i64) {
    let db = station.db();
    let (mut checked, mut lost, mut doubled) = (0, 0, 0);
    for laptop in laptops {
        let mut stmt = laptop
            .store
            .conn()
            .prepare("SELECT change_id FROM changes")
            .unwrap();
        let ids: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for id in ids {
            checked += 1;
            let n: i64 = db
                .query_row(
                    "SELECT count(*) FROM changes WHERE change_id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .unwrap();
            match n {
                0 => lost += 1,
                1 => {}
                _ => doubled += 1,
            }
        }
    }
    (checked, lost, doubled)
}

/// The station's derived tables agree with its records: the visit tallies with the visits, no
/// change still held, every record's version handed out once.
pub fn station_is_consistent(station: &support::Station) {
    let db = station.db();
    let one = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        one("SELECT coalesce(sum(n), 0) FROM visit_tally WHERE officer = ''"),
        one("SELECT count(*) FROM records WHERE entity = 'visit' AND NOT deleted"),
        "the visit tallies agree with the visits"
    );
    assert_eq!(
        one("SELECT count(*) FROM changes WHERE status = 'pending'"),
        0
    );
    assert_eq!(
        one("SELECT count(*) FROM records"),
        one("SELECT count(DISTINCT version) FROM records"),
        "each version is one record's"
    );
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
