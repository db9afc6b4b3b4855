//! The station SIGKILLed at random points while laptops push and pull, and while staff resolve
//! conflicts, merge duplicates and open the overview: after each restart every change it had
//! acknowledged and every decision it had answered is still there, what it had not is sent again
//! and stored once, and its derived tables — the merge queue, the redirects, the tallies, the
//! overview's remembered coverage — agree with its records.

use crate::support::{Device, Station, new_household, new_visit};
use doorstep_core::model::Household;
use doorstep_sync::SyncError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

fn kill_after(pid: u32, after: Duration) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        std::thread::sleep(after);
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
    })
}

fn contiguous(station: &Station, device: &Device) -> i64 {
    let id = device.store.device().unwrap().device_id.to_string();
    station
        .db()
        .query_row(
            "SELECT contiguous_seq FROM devices WHERE device_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_station_killed_at_random_points_keeps_what_it_acknowledged_and_stores_each_change_once() {
    let mut station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let runs = crate::runs(10);
    let mut kills = 0;
    for run in 0..runs {
        for i in 0..rng.random_range(100..1200) {
            let h = new_household(&mut zhang, "幸福社区", &format!("和平路{run}-{i}号"));
            if i % 2 == 0 {
                new_visit(&mut zhang, &h, "走访");
            }
        }
        // The kill lands somewhere in the push, between batches, or in li's pull.
        let killer = kill_after(
            station.pid(),
            Duration::from_millis(rng.random_range(0..400)),
        );
        let pushed = doorstep_sync::sync(&mut zhang.store, |_| ());
        let pulled = doorstep_sync::sync(&mut li.store, |_| ());
        killer.join().unwrap();
        for outcome in [&pushed, &pulled] {
            assert!(
                matches!(outcome, Ok(_) | Err(SyncError::Unreachable(_))),
                "run {run}: {outcome:?}"
            );
        }
        kills += 1;
        // What the laptop was told is held is held, after the kill.
        let acked = zhang.store.acked_seq().unwrap();
        station.restart();
        assert!(
            contiguous(&station, &zhang) >= acked,
            "run {run}: the station acknowledged up to {acked} and lost some of it"
        );
        zhang.sync();
        li.sync();
    }
    zhang.sync();
    let (checked, lost, doubled) = crate::tally_changes(&station, &[&zhang, &li]);
    crate::figure(
        "station killed (SIGKILL)",
        runs,
        kills,
        checked,
        lost,
        doubled,
    );
    assert_eq!(zhang.store.sync_status().unwrap().unsent, 0);
    assert_eq!(
        crate::households(&li.store),
        crate::households(&zhang.store)
    );
    crate::station_is_consistent(&station);
}

/// What staff were told was done before the station died.
#[derive(Default)]
struct Answered {
    conflicts: Vec<i64>,
    merges: Vec<i64>,
}

/// Staff work through the merge queue and the duplicates, opening the overview between decisions,
/// until done or the station stops answering.
fn staff_work(station: &Station, token: &str) -> Answered {
    let mut answered = Answered::default();
    let ask = |method: &str, path: &str, body: Option<&serde_json::Value>| {
        station
            .try_request(method, path, token, body)
            .ok()
            .map(|(status, body)| (status, String::from_utf8_lossy(&body).into_owned()))
    };
    let list = |path: &str| -> Option<Vec<serde_json::Value>> {
        let (status, body) = ask("GET", path, None)?;
        assert_eq!(status, 200, "{path}: {body}");
        Some(serde_json::from_str(&body).unwrap())
    };
    let overview =
        |i: usize| !i.is_multiple_of(3) || ask("GET", "overview", None).is_some_and(|a| a.0 == 200);
    let Some(conflicts) = list("conflicts") else {
        return answered;
    };
    for (i, c) in conflicts.iter().enumerate() {
        let id = c["id"].as_i64().unwrap();
        let choice = serde_json::json!({
            "value": c["incoming_value"],
            "seen": {"station_value": c["station_value"], "incoming_value": c["incoming_value"]},
        });
        match ask("POST", &format!("conflicts/{id}/resolve"), Some(&choice)) {
            Some((200, _)) => answered.conflicts.push(id),
            Some((status, body)) => panic!("resolving {id}: {status} {body}"),
            None => return answered,
        }
        if !overview(i) {
            return answered;
        }
    }
    let Some(duplicates) = list("duplicates") else {
        return answered;
    };
    let open = duplicates.iter().filter(|d| d["status"] == "open");
    for (i, d) in open.enumerate() {
        let id = d["id"].as_i64().unwrap();
        let keep = serde_json::json!({"staff": "李所长", "survivor": d["first_id"]});
        match ask("POST", &format!("duplicates/{id}/merge"), Some(&keep)) {
            Some((204, _)) => answered.merges.push(id),
            Some((status, body)) => panic!("merging {id}: {status} {body}"),
            None => return answered,
        }
        if !overview(i) {
            return answered;
        }
    }
    answered
}

/// Staff decisions agree with the records and the tallies with what they count: each merge's loser
/// a redirect to its survivor, gone, and named by nothing alive; each resolved conflict recorded as
/// a staff action; each household's last visit its visits'; and the overview as remembered equal
/// to the overview worked out afresh.
fn staff_work_is_consistent(station: &Station) {
    let db = station.db();
    let none = |what: &str, sql: &str| {
        let n: i64 = db.query_row(sql, [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0, "{what}");
    };
    none(
        "every merge's loser is a redirect to its survivor",
        "SELECT count(*) FROM duplicates d WHERE d.status = 'merged' AND NOT EXISTS
           (SELECT 1 FROM redirects r WHERE r.id = d.loser AND r.survivor = d.survivor)",
    );
    none(
        "every redirect is a merge's",
        "SELECT count(*) FROM redirects r WHERE NOT EXISTS
           (SELECT 1 FROM duplicates d WHERE d.status = 'merged' AND d.loser = r.id)",
    );
    none(
        "a merge's loser is gone",
        "SELECT count(*) FROM records r JOIN redirects x ON x.entity = r.entity AND x.id = r.id WHERE NOT r.deleted",
    );
    none(
        "nothing alive names a merged-away household",
        "SELECT count(*) FROM records r JOIN redirects x
           ON x.entity = 'household' AND x.id = json_extract(r.fields, '$.household_id') WHERE NOT r.deleted",
    );
    none(
        "each resolved conflict is a staff action",
        "SELECT count(*) FROM conflicts c WHERE c.status = 'resolved' AND NOT EXISTS
           (SELECT 1 FROM staff_actions a WHERE a.action = 'resolve_conflict' AND json_extract(a.details, '$.conflict') = c.id)",
    );
    none(
        "each household's last visit is its visits'",
        "SELECT count(*) FROM household_status h WHERE h.deleted = 0 AND h.last_visit_on IS NOT
           (SELECT max(substr(json_extract(v.fields, '$.visited_at'), 1, 10)) FROM records v
            WHERE v.entity = 'visit' AND v.deleted = 0 AND json_extract(v.fields, '$.household_id') = h.id)",
    );
    let live = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        live("SELECT count(*) FROM household_status WHERE deleted = 0"),
        live("SELECT count(*) FROM records WHERE entity = 'household' AND NOT deleted"),
        "the tallies hold every household alive"
    );
    // The overview from the coverage kept with each write, against the same worked out again.
    let copy = tempfile::tempdir().unwrap();
    let path = copy.path().join("copy.sqlite");
    db.execute("VACUUM INTO ?1", [path.to_str().unwrap()])
        .unwrap();
    let mut store = doorstep_station::store::StationStore::open(&path).unwrap();
    let today = chrono::Local::now().date_naive();
    let kept = store.overview(today).unwrap();
    store.recount_standing().unwrap();
    assert_eq!(
        kept,
        store.overview(today).unwrap(),
        "the overview's kept coverage"
    );
}

#[test]
fn a_station_killed_while_staff_resolve_merge_and_read_the_overview_keeps_every_decision_it_answered()
 {
    let mut station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let runs = crate::runs(5);
    let (mut kills, mut decided, mut lost, mut doubled) = (0, 0, 0, 0);
    for run in 0..runs {
        let n = rng.random_range(4..10);
        // Conflicts: both officers change the phone of the same households.
        let shared: Vec<Household> = (0..n)
            .map(|i| new_household(&mut zhang, "幸福社区", &format!("团结路{run}-{i}号")))
            .collect();
        zhang.sync();
        wang.sync();
        for (k, h) in shared.iter().enumerate() {
            for (device, prefix) in [(&mut zhang, "138"), (&mut wang, "139")] {
                let seen = device.household(h.id.0);
                let mut edited = seen.clone();
                edited.contact_phone = format!("{prefix}{run:04}{k:04}");
                device.store.save_edit(&seen, &edited).unwrap();
            }
        }
        // Duplicates: the same flats registered on both laptops, each with a visit.
        for i in 0..n {
            for device in [&mut zhang, &mut wang] {
                let h = new_household(device, "幸福社区", &format!("友谊路{run}-{i}号"));
                new_visit(device, &h, "走访");
            }
        }
        zhang.sync();
        wang.sync();

        let token = station.staff_token.clone();
        let killer = kill_after(
            station.pid(),
            Duration::from_millis(rng.random_range(0..300)),
        );
        let answered = staff_work(&station, &token);
        killer.join().unwrap();
        kills += 1;
        station.restart();
        // Every decision staff were told was made is there; none was made twice.
        let db = station.db();
        let one = |sql: &str, id: i64| -> i64 { db.query_row(sql, [id], |r| r.get(0)).unwrap() };
        for id in &answered.conflicts {
            decided += 1;
            if one(
                "SELECT count(*) FROM conflicts WHERE id = ?1 AND status = 'resolved'",
                *id,
            ) != 1
            {
                lost += 1;
            }
            if one(
                "SELECT count(*) FROM staff_actions WHERE action = 'resolve_conflict' AND json_extract(details, '$.conflict') = ?1",
                *id,
            ) > 1
            {
                doubled += 1;
            }
        }
        for id in &answered.merges {
            decided += 1;
            if one(
                "SELECT count(*) FROM duplicates d JOIN redirects r ON r.id = d.loser WHERE d.id = ?1 AND d.status = 'merged'",
                *id,
            ) != 1
            {
                lost += 1;
            }
            if one(
                "SELECT count(*) FROM staff_actions WHERE action = 'merge_duplicate' AND json_extract(details, '$.duplicate') = ?1",
                *id,
            ) > 1
            {
                doubled += 1;
            }
        }
        staff_work_is_consistent(&station);
        // Staff finish after the restart, and the laptops take it all.
        let token = station.staff_token.clone();
        staff_work(&station, &token);
        zhang.sync();
        wang.sync();
        zhang.sync();
    }
    crate::figure(
        "station killed during staff work",
        runs,
        kills,
        decided,
        lost,
        doubled,
    );
    assert!(
        decided > 0,
        "the kills left staff no time to decide anything"
    );
    let count = |sql: &str| station.count(sql);
    assert_eq!(
        count("SELECT count(*) FROM conflicts WHERE status = 'open'"),
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM duplicates WHERE status = 'open'"),
        0
    );
    assert_eq!(
        crate::households(&zhang.store),
        crate::households(&wang.store),
        "both laptops hold the same households"
    );
    crate::station_is_consistent(&station);
    staff_work_is_consistent(&station);
}
