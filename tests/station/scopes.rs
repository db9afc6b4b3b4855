//! What a laptop holds follows the officer's beats at the station, both ways: a beat given later
//! arrives in full, a beat taken away leaves the laptop, and a household moved to another beat
//! takes its residents, visits, concerns and tasks along — to the new beat's laptops, out of the
//! old beat's, and in the station's reports.

use crate::support::{Device, Station, new_household};
use doorstep_core::model::{Concern, ConcernCategory, Household, Purpose, Resident, Task, Visit};

fn visit(h: &Household) -> Visit {
    Visit {
        id: doorstep_core::ids::VisitId::new(),
        version: 0,
        household_id: h.id,
        visited_at: doorstep_core::time::now(),
        officers: vec!["张警官".into()],
        purposes: vec![Purpose::Warmth],
        met: vec![],
        notes: "例行走访".into(),
        inquiry_areas: vec![],
        rating: None,
        opinions: String::new(),
        location: String::new(),
        deleted: false,
    }
}

fn households(device: &Device) -> Vec<String> {
    let mut out: Vec<String> = device
        .store
        .conn()
        .prepare("SELECT address FROM households ORDER BY address")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    out.sort();
    out
}

fn count(device: &Device, table: &str) -> i64 {
    device
        .store
        .conn()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// The station's tally of visits per beat (the beats that have any).
fn visits_by_beat(station: &Station) -> Vec<(String, i64)> {
    station
        .db()
        .prepare("SELECT beat, sum(n) FROM visit_tally WHERE officer = '' GROUP BY beat HAVING sum(n) > 0")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_beat_given_to_an_officer_arrives_in_full_and_a_beat_taken_away_leaves_the_laptop() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "和平社区");
    new_household(&mut zhang, "幸福社区", "幸福路1号");
    for n in 1..=3 {
        new_household(&mut wang, "和平社区", &format!("和平街{n}号"));
    }
    wang.sync();
    zhang.sync();
    assert_eq!(households(&zhang), ["幸福路1号"]);

    station.set_beats("张警官", &["幸福社区", "和平社区"]);
    let report = zhang.sync();
    assert_eq!(
        households(&zhang),
        ["和平街1号", "和平街2号", "和平街3号", "幸福路1号"],
        "the new beat downloads in full, though the cursor was past its records"
    );
    assert_eq!(report.pulled, 3, "{report:?}");
    let mut beats = zhang.store.device().unwrap().beats.clone();
    beats.sort();
    assert_eq!(
        beats,
        ["和平社区", "幸福社区"],
        "the laptop learns its beats from the station"
    );
    let today = chrono::Local::now().date_naive();
    assert_eq!(
        zhang.store.today(today).unwrap().households_total,
        4,
        "Today follows"
    );

    station.set_beats("张警官", &["幸福社区"]);
    let report = zhang.sync();
    assert_eq!(households(&zhang), ["幸福路1号"]);
    assert_eq!(report.left_scope, 3, "{report:?}");
    assert_eq!(zhang.store.device().unwrap().beats, ["幸福社区"]);
    // Searching no longer finds them either.
    assert!(
        zhang
            .store
            .search("和平", 10)
            .unwrap()
            .households
            .is_empty()
    );
}

/// One push that visits a household, moves it to another beat and visits it again: the station
/// keeps each household's standing for the whole batch and writes it once, while the move writes
/// the visits again under the new beat within the same batch (a write within a write, which must
/// see the standing the batch has so far, not the row stored before it). What it kept is what
/// working it out again from the records gives.
#[test]
fn a_household_visited_and_moved_in_one_push_is_counted_as_its_records_say() {
    let station = Station::start();
    let mut li = Device::new(&station, "李警官", "幸福社区");
    station.set_beats("李警官", &["幸福社区", "和平社区"]);
    li.sync();
    let mut h = new_household(&mut li, "幸福社区", "幸福路9号");
    h.tags = vec![doorstep_core::model::Tag::ElderlyAlone];
    li.store.save(&h).unwrap();
    let now = chrono::Utc::now();
    let mut first = visit(&h);
    first.visited_at = now - chrono::Duration::days(120);
    li.store.save(&first).unwrap();
    li.sync();
    for days_ago in [40, 3] {
        let mut v = visit(&h);
        v.visited_at = now - chrono::Duration::days(days_ago);
        li.store.save(&v).unwrap();
    }
    let mut moved = li.household(h.id.0);
    moved.beat = "和平社区".into();
    li.store.save(&moved).unwrap();
    let mut later = visit(&h);
    later.visited_at = now - chrono::Duration::days(1);
    li.store.save(&later).unwrap();
    let report = li.sync();
    assert_eq!(report.refused, 0, "{report:?}");
    crate::overview::assert_tallies_match_records(&station);
    let visits = visits_by_beat(&station);
    assert_eq!(visits, [("和平社区".to_string(), 4)]);
}

#[test]
fn a_household_moved_to_another_beat_takes_its_records_along_everywhere() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "和平社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    station.set_beats("李警官", &["幸福社区", "和平社区"]);
    let mut h = new_household(&mut zhang, "幸福社区", "幸福路8号");
    // Vulnerable, so the visited households per month count it apart too.
    h.tags = vec![doorstep_core::model::Tag::ElderlyAlone];
    zhang.store.save(&h).unwrap();
    let r = Resident::new(h.id, "王海燕");
    zhang.store.save(&r).unwrap();
    let v = visit(&h);
    zhang.store.save(&v).unwrap();
    let c = Concern::new(h.id, ConcernCategory::SafetyHazard, "楼道堆放杂物");
    zhang.store.save(&c).unwrap();
    // (Assigned to Li: a task assigned to Zhang would rightly keep its household on his laptop.)
    let mut t = Task::new(h.id, "督促清理", "李警官", chrono::Utc::now().date_naive());
    t.concern_id = Some(c.id);
    zhang.store.save(&t).unwrap();
    zhang.sync();
    li.sync();
    wang.sync();
    assert_eq!(count(&wang, "households"), 0);

    // Li, who works both beats, moves it to 和平社区.
    let mut moved = li.household(h.id.0);
    moved.beat = "和平社区".into();
    li.store.save(&moved).unwrap();
    assert_eq!(li.sync().refused, 0);

    let beats: Vec<(String, String)> = station
        .db()
        .prepare("SELECT entity, beat FROM records ORDER BY entity")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(beats.iter().all(|(_, b)| b == "和平社区"), "{beats:?}");

    let report = wang.sync();
    assert_eq!(report.pulled, 5, "{report:?}");
    for table in ["households", "residents", "visits", "concerns", "tasks"] {
        assert_eq!(count(&wang, table), 1, "{table} reached the new beat");
    }
    let report = zhang.sync();
    assert_eq!(report.left_scope, 1, "{report:?}");
    for table in ["households", "residents", "visits", "concerns", "tasks"] {
        assert_eq!(
            count(&zhang, table),
            0,
            "{table} left the old beat's laptop"
        );
    }
    assert!(
        zhang
            .store
            .search("wanghaiyan", 10)
            .unwrap()
            .residents
            .is_empty()
    );

    // The station's figures count it in its new beat.
    let (status, body) = station.get("overview");
    assert_eq!(status, 200, "{body}");
    let overview: serde_json::Value = serde_json::from_str(&body).unwrap();
    let households_in = |beat: &str| {
        overview["beats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["beat"] == beat)
            .map(|b| b["households"].as_i64().unwrap())
            .unwrap_or(0)
    };
    assert_eq!(
        (households_in("幸福社区"), households_in("和平社区")),
        (0, 1),
        "{body}"
    );
    let visits = visits_by_beat(&station);
    assert_eq!(visits, [("和平社区".to_string(), 1)]);
    // Its coverage, due date and visited month moved with it, as working them out again gives.
    crate::overview::assert_tallies_match_records(&station);
    let visited: Vec<(String, i64, i64)> = station
        .db()
        .prepare("SELECT beat, sum(visited), sum(vulnerable_visited) FROM month_households GROUP BY beat HAVING sum(visited) > 0")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(visited, [("和平社区".to_string(), 1, 1)]);
}

/// A record that moved into a household after it was created (its `household_id` edited) goes
/// with that household when it changes beat, as the ones created in it do: the station keeps the
/// household of each record on every write, not only at creation (migration 0025).
#[test]
fn a_resident_moved_into_a_household_follows_it_to_another_beat() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "和平社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    station.set_beats("李警官", &["幸福社区", "和平社区"]);
    let first = new_household(&mut zhang, "幸福社区", "幸福路8号");
    let second = new_household(&mut zhang, "幸福社区", "幸福路9号");
    zhang
        .store
        .save(&Resident::new(first.id, "王海燕"))
        .unwrap();
    zhang.sync();
    let mut r = zhang
        .store
        .household_detail(first.id, chrono::Utc::now().date_naive())
        .unwrap()
        .residents
        .remove(0);
    r.household_id = second.id;
    zhang.store.save(&r).unwrap();
    assert_eq!(zhang.sync().refused, 0);
    li.sync();

    let mut moved = li.household(second.id.0);
    moved.beat = "和平社区".into();
    li.store.save(&moved).unwrap();
    assert_eq!(li.sync().refused, 0);

    let beat: String = station
        .db()
        .query_row(
            "SELECT beat FROM records WHERE entity = 'resident'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(beat, "和平社区");
    wang.sync();
    assert_eq!(
        count(&wang, "residents"),
        1,
        "the resident reached the new beat"
    );
    zhang.sync();
    assert_eq!(
        count(&zhang, "residents"),
        0,
        "and left the old one's laptop"
    );
}

#[test]
fn an_offline_edit_of_a_household_that_moves_away_meanwhile_still_counts() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    station.set_beats("李警官", &["幸福社区", "和平社区"]);
    let h = new_household(&mut zhang, "幸福社区", "幸福路8号");
    zhang.sync();
    li.sync();

    let mut edited = zhang.household(h.id.0);
    edited.notes = "独居老人，每周回访".into();
    zhang.store.save(&edited).unwrap();
    let mut moved = li.household(h.id.0);
    moved.beat = "和平社区".into();
    li.store.save(&moved).unwrap();
    li.sync();

    let report = zhang.sync();
    assert_eq!(report.refused, 0, "{report:?}");
    assert_eq!(report.left_scope, 1);
    let fields: String = station
        .db()
        .query_row(
            "SELECT fields FROM records WHERE entity = 'household'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(fields.contains("独居老人，每周回访"), "{fields}");
    assert!(fields.contains("和平社区"), "{fields}");
    assert!(zhang.store.get::<Household>(h.id.0).is_err());
}

/// A scope with nothing in it (this officer has no tasks from other beats) still moves its cursor
/// to the station's head: before, it stayed at 0 and every sync read the whole station again from
/// there, so an incremental sync grew with the station (279 ms at 1M changes).
#[test]
fn an_empty_scope_moves_its_cursor_to_the_head_and_is_not_read_again_from_the_start() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    for i in 0..3 {
        new_household(&mut zhang, "幸福社区", &format!("幸福路{i}号"));
    }
    zhang.sync();
    let head: i64 = station
        .db()
        .query_row("SELECT value FROM meta WHERE key = 'version'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(head >= 3);
    assert_eq!(
        zhang.store.scope_cursor("tasks").unwrap(),
        head,
        "the tasks scope is at the head although no task came"
    );
    assert_eq!(zhang.store.scope_cursor("beat:幸福社区").unwrap(), head);
}

#[test]
fn the_officers_list_travels_only_when_it_changed() {
    let station = Station::start();
    let mut a = Device::new(&station, "张警官", "幸福社区");
    let _b = Device::new(&station, "李警官", "和平社区");
    a.sync();
    let names = |d: &Device| -> Vec<String> {
        let mut n: Vec<String> = d
            .store
            .officers()
            .unwrap()
            .into_iter()
            .map(|o| o.name)
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&a), ["张警官", "李警官"]);
    let held = a.store.officers_fingerprint().unwrap();
    assert!(!held.is_empty(), "the station named its list");

    // Asked by a laptop that holds the list: left out; by one that names another (or none): sent.
    let scopes = |query: &str| -> serde_json::Value {
        let (status, body) =
            station.request("GET", &format!("scopes{query}"), &a.credential(), None);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let same = scopes(&format!("?officers={held}"));
    assert_eq!(same["officers"], serde_json::json!([]));
    assert_eq!(same["officers_fingerprint"], held.as_str());
    assert_eq!(
        scopes("?officers=0123")["officers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(scopes("")["officers"].as_array().unwrap().len(), 2);

    // The laptop's syncs keep the list it holds, and take a changed one.
    a.sync();
    assert_eq!(names(&a), ["张警官", "李警官"]);
    station.create_account(
        "wang",
        "王警官",
        &["officer"],
        &["和平社区"],
        "officer-password-3",
    );
    a.sync();
    assert_eq!(names(&a), ["张警官", "李警官", "王警官"]);
    assert_ne!(a.store.officers_fingerprint().unwrap(), held);
}
