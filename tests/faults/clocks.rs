//! Laptops whose clocks are two days wrong, for real (`faketime` around the CLI): a week of edits
//! of the same household by a laptop 48 hours fast and one 48 hours slow. No edit is lost, every
//! pair of concurrent edits is queued for staff, and no skewed laptop overrides a staff decision.
//! Without `faketime` installed the test says so and checks nothing.

use crate::support::{Device, Station, built_binary};
use doorstep_core::Store;
use std::path::Path;
use std::process::Command;

const PASSPHRASE: &str = "时钟测试口令-2026";

/// The CLI on `db`, its clock shifted by `offset` (e.g. `+2d`), answering its JSON.
fn doorstep(db: &Path, offset: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::new("faketime")
        .args(["-f", offset])
        .arg(built_binary("doorstep"))
        .env("DOORSTEP_DB", db)
        .env("DOORSTEP_PASSPHRASE", PASSPHRASE)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "doorstep {args:?} at {offset}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

fn phone(station: &Station, id: &str) -> String {
    let fields: String = station
        .db()
        .query_row("SELECT fields FROM records WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap();
    serde_json::from_str::<serde_json::Value>(&fields).unwrap()["contact_phone"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_week_of_edits_from_laptops_two_days_fast_and_slow_loses_nothing_and_overrides_no_staff_decision()
 {
    if !Command::new("faketime")
        .arg("-f")
        .arg("+0")
        .arg("true")
        .status()
        .is_ok_and(|s| s.success())
    {
        println!(
            "FAULTS clocks: SKIPPED: faketime is not installed (scripts/install-deps.sh installs it)"
        );
        return;
    }
    let station = Station::start();
    let dir = tempfile::tempdir().unwrap();
    let (fast, slow) = (
        dir.path().join("fast.sqlite"),
        dir.path().join("slow.sqlite"),
    );
    for (db, offset, officer) in [(&fast, "+2d", "张警官"), (&slow, "-2d", "李警官")] {
        doorstep(
            db,
            offset,
            &["init", "--officer", officer, "--beat", "幸福社区"],
        );
        let code = station.enrollment_code(officer, "幸福社区");
        doorstep(
            db,
            offset,
            &["enroll", "--station", &station.url, "--code", &code],
        );
    }
    let h = doorstep(
        &slow,
        "-2d",
        &["household", "add", "--address", "幸福路8号"],
    );
    let id = h["id"].as_str().unwrap().to_string();
    doorstep(&slow, "-2d", &["sync"]);
    doorstep(&fast, "+2d", &["sync"]);

    let days = crate::runs(7);
    for day in 0..days {
        // Both officers change the phone the same day, neither having seen the other's edit.
        let (fast_phone, slow_phone) = (format!("1390000{day:04}"), format!("1380000{day:04}"));
        doorstep(
            &fast,
            "+2d",
            &["household", "edit", &id, "--phone", &fast_phone],
        );
        doorstep(
            &slow,
            "-2d",
            &["household", "edit", &id, "--phone", &slow_phone],
        );
        let order = if day % 2 == 0 {
            [(&fast, "+2d"), (&slow, "-2d")]
        } else {
            [(&slow, "-2d"), (&fast, "+2d")]
        };
        for (db, offset) in order {
            doorstep(db, offset, &["sync"]);
        }
        let open: Vec<(i64, String, String)> = {
            let db = station.db();
            let mut stmt = db
                .prepare(
                    "SELECT id, station_value, incoming_value FROM conflicts WHERE status = 'open'",
                )
                .unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        assert_eq!(
            open.len(),
            1,
            "day {day}: the concurrent pair is queued: {open:?}"
        );
        let (conflict, a, b) = &open[0];
        let both = [a.trim_matches('"'), b.trim_matches('"')];
        assert!(
            both.contains(&fast_phone.as_str()) && both.contains(&slow_phone.as_str()),
            "day {day}: both values kept: {both:?}"
        );
        // Staff decide; then both laptops sync, the skewed clocks notwithstanding.
        let decided = format!("1370000{day:04}");
        let (status, body) = station.post(
            &format!("conflicts/{conflict}/resolve"),
            &serde_json::json!({"value": decided}),
        );
        assert_eq!(status, 200, "{body}");
        doorstep(&fast, "+2d", &["sync"]);
        doorstep(&slow, "-2d", &["sync"]);
        assert_eq!(
            phone(&station, &id),
            decided,
            "day {day}: the staff decision stands"
        );
        for db in [&fast, &slow] {
            let laptop = Store::unlock(db, PASSPHRASE).unwrap().0;
            let h: doorstep_core::model::Household = laptop.get(id.parse().unwrap()).unwrap();
            assert_eq!(h.contact_phone, decided, "day {day}: the laptops show it");
        }
    }
    let laptops: Vec<Device> = [&fast, &slow]
        .iter()
        .map(|db| Device::wrap(Store::unlock(db, PASSPHRASE).unwrap().0))
        .collect();
    let (checked, lost, doubled) = crate::tally_changes(&station, &[&laptops[0], &laptops[1]]);
    crate::figure(
        "clocks ±48 h (faketime)",
        days,
        u64::from(days) * 2,
        checked,
        lost,
        doubled,
    );
    assert_eq!(
        station.count("SELECT count(*) FROM conflicts"),
        i64::from(days),
        "one conflict a day, each decided"
    );
}
