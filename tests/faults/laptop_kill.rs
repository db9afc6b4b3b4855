//! The laptop's CLI (the core the app uses) SIGKILLed at random points of an import, of the demo
//! generation, of a sync and of encrypting a database from before encryption: afterwards the
//! database opens with its passphrase, holds every write that had committed and no half of one, and
//! the next sync converges.

use crate::support::{Device, Station, built_binary};
use doorstep_core::Store;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const PASSPHRASE: &str = "故障测试口令-2026";

fn doorstep(db: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(built_binary("doorstep"));
    c.env("DOORSTEP_DB", db)
        .env("DOORSTEP_PASSPHRASE", PASSPHRASE)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Runs the CLI to its end, which must be a success.
fn run_ok(db: &Path, args: &[&str]) {
    assert!(
        doorstep(db, args).status().unwrap().success(),
        "doorstep {args:?}"
    );
}

/// Lets `child` run for `after`, then SIGKILLs it; whether it had finished (successfully) first.
fn kill_after(mut child: Child, after: Duration) -> bool {
    std::thread::sleep(after);
    if let Ok(Some(status)) = child.try_wait() {
        return status.success();
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

fn households(db: &Path) -> i64 {
    let (store, _) = Store::unlock(db, PASSPHRASE).expect("opens with its passphrase after a kill");
    let check: String = store
        .conn()
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    crate::households(&store)
}

#[test]
fn a_laptop_killed_mid_write_opens_with_everything_committed_and_nothing_half() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("field.sqlite");
    run_ok(&db, &["init", "--officer", "张警官", "--beat", "幸福社区"]);
    // A ledger to import, exported from another laptop's demo beat.
    let source = dir.path().join("source.sqlite");
    run_ok(
        &source,
        &["init", "--officer", "李警官", "--beat", "幸福社区"],
    );
    run_ok(&source, &["demo", "--households", "800", "--seed", "9"]);
    let out = doorstep(&source, &["export", "--format", "csv"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let ledger = dir.path().join("ledger.csv");
    std::fs::write(&ledger, out.stdout).unwrap();

    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let runs = crate::runs(12);
    let (mut kills, mut imported) = (0, false);
    let mut expected = 0;
    for run in 0..runs {
        let before = households(&db);
        let (child, adds) = if run % 2 == 0 && !imported {
            (
                doorstep(&db, &["import", ledger.to_str().unwrap()])
                    .spawn()
                    .unwrap(),
                800,
            )
        } else {
            let seed = (100 + run).to_string();
            (
                doorstep(&db, &["demo", "--households", "600", "--seed", &seed])
                    .spawn()
                    .unwrap(),
                600,
            )
        };
        // Opening takes the passphrase's key derivation; the write itself follows.
        let finished = kill_after(child, Duration::from_millis(rng.random_range(300..2500)));
        kills += u64::from(!finished);
        let after = households(&db);
        assert!(
            after == before || after == before + adds,
            "run {run}: {before} households before, {after} after: half a write"
        );
        if finished {
            assert_eq!(
                after,
                before + adds,
                "run {run}: a finished write is all there"
            );
        }
        if after == before + adds && adds == 800 {
            imported = true;
        }
        expected = after;
    }
    assert_eq!(households(&db), expected);
    crate::figure(
        "laptop killed mid-write (import, demo)",
        runs,
        kills,
        expected,
        0,
        0,
    );
}

#[test]
fn a_laptop_killed_mid_sync_converges_at_the_next_sync() {
    let station = Station::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("field.sqlite");
    {
        let (mut store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
        store.init_device("张警官", &["幸福社区".into()]).unwrap();
        let code = station.enrollment_code("张警官", "幸福社区");
        doorstep_sync::enroll(&mut store, &station.url, &code).unwrap();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let runs = crate::runs(8);
    let mut kills = 0;
    for run in 0..runs {
        let seed = (200 + run).to_string();
        run_ok(&db, &["demo", "--households", "400", "--seed", &seed]);
        let child = doorstep(&db, &["sync"]).spawn().unwrap();
        kills += u64::from(!kill_after(
            child,
            Duration::from_millis(rng.random_range(300..2000)),
        ));
        households(&db);
    }
    // The next sync completes.
    run_ok(&db, &["sync"]);
    let (store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
    assert_eq!(store.sync_status().unwrap().unsent, 0);
    let laptop = Device::wrap(store);
    let (checked, lost, doubled) = crate::tally_changes(&station, &[&laptop]);
    crate::figure(
        "laptop killed mid-sync",
        runs,
        kills,
        checked,
        lost,
        doubled,
    );
    crate::station_is_consistent(&station);
}

#[test]
fn a_laptop_killed_while_encrypting_its_old_database_keeps_one_whole_copy() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let runs = crate::runs(6);
    let mut kills = 0;
    for run in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("field.sqlite");
        {
            let mut store = Store::open(&db).unwrap();
            store.init_device("张警官", &["幸福社区".into()]).unwrap();
            doorstep_core::demo::generate(
                &mut store,
                &doorstep_core::demo::DemoSpec {
                    seed: run.into(),
                    households: 1500,
                    beats: vec![],
                    max_visits: 2,
                    today: doorstep_core::time::local_today(),
                },
            )
            .unwrap();
        }
        // Any command with a passphrase encrypts a database from before encryption first.
        let child = doorstep(&db, &["status"]).spawn().unwrap();
        kills += u64::from(!kill_after(
            child,
            Duration::from_millis(rng.random_range(0..400)),
        ));
        let n = match doorstep_core::store::vault::file_state(&db) {
            doorstep_core::store::vault::FileState::Plain => {
                crate::households(&Store::open(&db).unwrap())
            }
            _ => households(&db),
        };
        assert_eq!(n, 1500, "run {run}: everything, in one of the two forms");
    }
    crate::figure(
        "laptop killed while encrypting",
        runs,
        kills,
        i64::from(runs) * 1500,
        0,
        0,
    );
}

#[test]
fn a_laptop_killed_while_changing_its_passphrase_opens_with_one_of_the_two_and_holds_everything() {
    const NEW: &str = "新口令-故障测试-2027";
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let runs = crate::runs(6);
    let mut kills = 0;
    for run in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("field.sqlite");
        run_ok(&db, &["init", "--officer", "张警官", "--beat", "幸福社区"]);
        run_ok(
            &db,
            &["demo", "--households", "1500", "--seed", &run.to_string()],
        );
        let before = households(&db);
        let child = doorstep(&db, &["change-passphrase"])
            .env("DOORSTEP_NEW_PASSPHRASE", NEW)
            .spawn()
            .unwrap();
        kills += u64::from(!kill_after(
            child,
            Duration::from_millis(rng.random_range(100..600)),
        ));
        let opened = Store::unlock(&db, PASSPHRASE)
            .or_else(|_| Store::unlock(&db, NEW))
            .map(|(s, _)| s)
            .expect("opens with the old passphrase or the new one");
        assert_eq!(crate::households(&opened), before, "run {run}: everything");
        let check: String = opened
            .conn()
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
    crate::figure(
        "laptop killed while re-keying",
        runs,
        kills,
        i64::from(runs) * 1500,
        0,
        0,
    );
}
