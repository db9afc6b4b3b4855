//! The station's overview against a small fixture whose figures are worked out by hand, and the
//! same figures on the officer's own laptop (Today), counted offline the same way.

use crate::support::{Device, Station};
use chrono::{DateTime, Datelike, Duration, Months, Utc};
use doorstep_core::model::{
    Concern, ConcernCategory, ConcernStatus, FeedbackMethod, Household, HouseholdKind, Purpose,
    Rating, Tag, Task, Visit,
};

fn household(device: &mut Device, beat: &str, address: &str, tags: Vec<Tag>) -> Household {
    let mut h = Household::new(beat, address, HouseholdKind::Residence);
    h.tags = tags;
    h.registered_at = Utc::now() - Duration::days(400);
    device.store.save(&h).unwrap();
    h
}

fn visit(device: &mut Device, household: &Household, at: DateTime<Utc>, rating: Option<Rating>) {
    let v = Visit {
        id: doorstep_core::ids::VisitId::new(),
        version: 0,
        household_id: household.id,
        visited_at: at,
        officers: vec!["民警".into()],
        purposes: vec![Purpose::Warmth],
        met: vec![],
        notes: String::new(),
        inquiry_areas: vec![],
        rating,
        opinions: String::new(),
        location: String::new(),
        deleted: false,
    };
    device.store.save(&v).unwrap();
}

/// Two beats whose figures are worked out by hand in the test below; synced to `station`. Returns
/// Zhang's laptop (幸福社区).
pub fn fixture(station: &Station) -> Device {
    let mut zhang = Device::new(station, "张警官", "幸福社区");
    let mut wang = Device::new(station, "王警官", "和平社区");
    let today = chrono::Local::now().date_naive();
    // 幸福社区: an elderly woman alone visited 42 days ago (30-day interval: 12 days overdue), a
    // family visited today (covered), a flat registered 400 days ago and never visited (overdue).
    // The family was also visited mid-last-month and rated the police dissatisfied then; satisfied today.
    let now = Utc::now();
    let lonely = household(&mut zhang, "幸福社区", "幸福路3号", vec![Tag::ElderlyAlone]);
    visit(&mut zhang, &lonely, now - Duration::days(42), None);
    let family = household(&mut zhang, "幸福社区", "幸福路4号", vec![]);
    visit(&mut zhang, &family, now, Some(Rating::Satisfied));
    let mid_last_month = (now.with_day(1).unwrap() - Months::new(1)) + Duration::days(9);
    visit(
        &mut zhang,
        &family,
        mid_last_month,
        Some(Rating::Dissatisfied),
    );
    household(&mut zhang, "幸福社区", "幸福路5号", vec![]);
    // A concern raised five days ago, settled and the resident told today.
    let mut closed = Concern::new(family.id, ConcernCategory::ServiceRequest, "开证明");
    closed.raised_at = now - Duration::days(5);
    closed.status = ConcernStatus::Closed;
    closed.feedback.at = Some(now);
    closed.feedback.method = Some(FeedbackMethod::Phone);
    closed.closed_at = Some(now);
    zhang.store.save(&closed).unwrap();
    let mut resolved = Concern::new(lonely.id, ConcernCategory::SafetyHazard, "燃气管老化");
    resolved.status = ConcernStatus::Resolved;
    zhang.store.save(&resolved).unwrap();
    zhang
        .store
        .save(&Concern::new(family.id, ConcernCategory::Dispute, "噪音"))
        .unwrap();
    zhang
        .store
        .save(&Task::new(
            lonely.id,
            "回访",
            "张警官",
            today - Duration::days(1),
        ))
        .unwrap();
    zhang
        .store
        .save(&Task::new(
            family.id,
            "调解",
            "张警官",
            today + Duration::days(10),
        ))
        .unwrap();
    // A photo of the elderly woman's gas pipe (staff open it from the overdue list).
    zhang
        .store
        .attach_photo(
            doorstep_core::store::photos::PhotoOf::Household(lonely.id),
            &crate::support::camera_jpeg(640, 480, false),
            "燃气管",
            doorstep_core::photo::PhotoOptions::default(),
        )
        .unwrap();
    // 和平社区: one household, visited today.
    let peace = household(&mut wang, "和平社区", "和平街1号", vec![]);
    visit(&mut wang, &peace, now, Some(Rating::Satisfied));
    zhang.sync();
    wang.sync();
    zhang
}

#[test]
fn the_overview_counts_coverage_overdue_visits_concerns_and_tasks_per_beat() {
    let station = Station::start();
    let zhang = fixture(&station);
    let today = chrono::Local::now().date_naive();

    let (status, body) = station.get("overview");
    assert_eq!(status, 200, "{body}");
    let overview: serde_json::Value = serde_json::from_str(&body).unwrap();
    let beats = &overview["beats"];
    let figures = |beat: &serde_json::Value| {
        [
            "households",
            "covered",
            "overdue",
            "overdue_over_30",
            "overdue_over_90",
            "visits_this_week",
            "visits_this_month",
            "open_concerns",
            "awaiting_feedback",
            "tasks_overdue",
        ]
        .map(|k| beat[k].as_u64().unwrap_or_else(|| panic!("{k} in {beat}")))
    };
    assert_eq!(beats[0]["beat"], "和平社区");
    assert_eq!(figures(&beats[0]), [1, 1, 0, 0, 0, 1, 1, 0, 0, 0]);
    assert_eq!(beats[1]["beat"], "幸福社区");
    assert_eq!(figures(&beats[1]), [3, 1, 2, 1, 1, 1, 1, 2, 1, 1]);

    // Per officer: the two visits of today (both recorded as "民警") count this week; the 42-day-old
    // one in neither; Zhang has two open tasks, one overdue.
    let officers = overview["officers"].as_array().unwrap();
    let officer = |name: &str| {
        officers
            .iter()
            .find(|o| o["officer"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(officer("民警")["visits_this_week"], 2);
    assert_eq!(officer("张警官")["tasks_open"], 2);
    assert_eq!(officer("张警官")["tasks_overdue"], 1);
    // Zhang's laptop is enrolled for 幸福社区: its coverage is his.
    assert_eq!(
        (
            &officer("张警官")["covered"],
            &officer("张警官")["households"]
        ),
        (&1.into(), &3.into())
    );
    assert_eq!(
        (
            &officer("王警官")["covered"],
            &officer("王警官")["households"]
        ),
        (&1.into(), &1.into())
    );
    // Open concerns by category and urgency (both normal).
    assert_eq!(
        overview["open_concerns"],
        serde_json::json!([
            {"category": "dispute", "urgency": "normal", "count": 1},
            {"category": "safety_hazard", "urgency": "normal", "count": 1}
        ])
    );
    // Ratings: mid-last-month dissatisfied, today's two satisfied.
    assert_eq!(
        overview["satisfaction"],
        serde_json::json!([
            {"rating": "dissatisfied", "this_month": 0, "last_month": 1},
            {"rating": "satisfied", "this_month": 2, "last_month": 0}
        ])
    );
    // Coverage over twelve weeks, today last: 2 of the 4 households now, all 4 registered throughout.
    let history = overview["coverage_history"].as_array().unwrap();
    assert_eq!(history.len(), 12);
    assert_eq!(
        (&history[11]["covered"], &history[11]["households"]),
        (&2.into(), &4.into())
    );
    assert!(history.iter().all(|p| p["households"] == 4));
    // The one closed concern took 5 days.
    let closure: Vec<u64> = overview["closure_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .collect();
    assert_eq!(closure, [0, 0, 1, 0, 0, 0]);

    // Every number opens the records behind it.
    let list = |query: &str| -> Vec<serde_json::Value> {
        let (status, body) = station.get(&format!("worklist?{query}"));
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let overdue = list("list=overdue_households&beat=%E5%B9%B8%E7%A6%8F%E7%A4%BE%E5%8C%BA");
    let addresses: Vec<&str> = overdue
        .iter()
        .map(|h| h["address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses, ["幸福路5号", "幸福路3号"], "most overdue first");
    assert_eq!(overdue[1]["days"], 12);
    assert!(list("list=overdue_households&beat=%E5%92%8C%E5%B9%B3%E7%A4%BE%E5%8C%BA").is_empty());
    let tasks = list("list=overdue_tasks&officer=%E5%BC%A0%E8%AD%A6%E5%AE%98");
    assert_eq!(
        (tasks.len(), &tasks[0]["text"], &tasks[0]["days"]),
        (1, &"回访".into(), &1.into())
    );
    let awaiting = list("list=awaiting_feedback");
    assert_eq!(
        (awaiting.len(), &awaiting[0]["text"]),
        (1, &"燃气管老化".into())
    );
    assert_eq!(list("list=open_concerns").len(), 2);
    let visits = list("list=visits_this_week&beat=%E5%B9%B8%E7%A6%8F%E7%A4%BE%E5%8C%BA");
    assert_eq!(
        (visits.len(), &visits[0]["address"], &visits[0]["detail"]),
        (1, &"幸福路4号".into(), &"warmth".into())
    );
    assert_eq!(
        list("list=visits_this_month&officer=%E6%B0%91%E8%AD%A6").len(),
        2,
        "the visits 民警 made this month"
    );
    let (status, body) = station.get("worklist?list=everything");
    assert_eq!(status, 400, "an unknown list is a bad request: {body}");

    // The officer's Today counts the same for the beat.
    let own = zhang.store.today(today).unwrap().figures;
    assert_eq!(
        [
            own.households,
            own.covered,
            own.overdue,
            own.overdue_over_30,
            own.overdue_over_90,
            own.visits_this_week,
            own.visits_this_month,
            own.open_concerns
        ]
        .map(u64::from),
        figures(&beats[1])[..8]
    );
}

/// The report tallies (kept by triggers) hold what the records themselves say.
pub(crate) fn assert_tallies_match_records(station: &Station) {
    let db = station.db();
    let pairs = |sql: &str| -> Vec<(String, i64)> {
        let mut stmt = db.prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        pairs(
            "SELECT rating, sum(n) FROM visit_tally WHERE officer = '' GROUP BY rating HAVING sum(n) > 0 ORDER BY 1"
        ),
        pairs(
            "SELECT coalesce(json_extract(fields, '$.rating'), ''), count(*) FROM records
             WHERE entity = 'visit' AND deleted = 0 GROUP BY 1 ORDER BY 1"
        ),
        "visits by rating"
    );
    let last = |sql: &str| -> Vec<(String, Option<String>)> {
        let mut stmt = db.prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        last("SELECT id, last_visit_on FROM household_status ORDER BY id"),
        last(
            "SELECT h.id, (SELECT max(substr(json_extract(v.fields, '$.visited_at'), 1, 10)) FROM records v
                           WHERE v.entity = 'visit' AND v.deleted = 0 AND json_extract(v.fields, '$.household_id') = h.id)
             FROM records h WHERE h.entity = 'household' ORDER BY h.id"
        ),
        "each household's last visit"
    );
    assert_eq!(
        last("SELECT id, nullif(visit_days, '') FROM household_status ORDER BY id"),
        last(
            "SELECT h.id, (SELECT group_concat(d, ',' ORDER BY d) FROM (
                               SELECT DISTINCT substr(json_extract(v.fields, '$.visited_at'), 1, 10) AS d FROM records v
                               WHERE v.entity = 'visit' AND v.deleted = 0 AND json_extract(v.fields, '$.household_id') = h.id
                               ORDER BY d))
             FROM records h WHERE h.entity = 'household' ORDER BY h.id"
        ),
        "each household's visit days"
    );
    let facts = |sql: &str| -> Vec<(String, String)> {
        let mut stmt = db.prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        facts(
            "SELECT id, visited_at || ' ' || beat || ' ' || household_id || ' ' || coalesce(rating, '') FROM visit_facts ORDER BY id"
        ),
        facts(
            "SELECT id, json_extract(fields, '$.visited_at') || ' ' || beat || ' ' || json_extract(fields, '$.household_id')
                        || ' ' || coalesce(json_extract(fields, '$.rating'), '')
             FROM records WHERE entity = 'visit' AND deleted = 0 ORDER BY id"
        ),
        "the visits the monthly summary reads"
    );
    assert_coverage_matches_a_recount(station);
}

/// What is kept from each household's standing with each write (its due date and vulnerability,
/// the days households begin and stop being covered, the households visited per month) is what
/// working it out again gives, and so are the overview and the monthly summary read from it.
fn assert_coverage_matches_a_recount(station: &Station) {
    let copy = tempfile::tempdir().unwrap();
    let path = copy.path().join("copy.sqlite");
    station
        .db()
        .execute("VACUUM INTO ?1", [path.to_str().unwrap()])
        .unwrap();
    let mut store = doorstep_station::store::StationStore::open(&path).unwrap();
    let rows = |store: &doorstep_station::store::StationStore, sql: &str| -> Vec<String> {
        let mut stmt = store.conn().prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let kept = |store: &doorstep_station::store::StationStore| {
        let today = chrono::Local::now().date_naive();
        let month = today.format("%Y-%m").to_string();
        (
            rows(
                store,
                "SELECT beat || ' ' || day || ' ' || covered || ' ' || households FROM coverage_changes
                 WHERE covered <> 0 OR households <> 0 ORDER BY beat, day",
            ),
            rows(
                store,
                "SELECT id || ' ' || coalesce(due_on, '-') || ' ' || vulnerable FROM household_status ORDER BY id",
            ),
            rows(
                store,
                "SELECT month || ' ' || beat || ' ' || visited || ' ' || vulnerable_visited FROM month_households
                 WHERE visited <> 0 OR vulnerable_visited <> 0 ORDER BY month, beat",
            ),
            store.overview(today).unwrap(),
            store.monthly_summary(&month, None).unwrap(),
        )
    };
    let before = kept(&store);
    store.recount_standing().unwrap();
    let after = kept(&store);
    assert_eq!(before.0, after.0, "the days coverage changes");
    assert_eq!(
        before.1, after.1,
        "each household's due date and vulnerability"
    );
    assert_eq!(before.2, after.2, "the households visited per month");
    assert_eq!(before.3, after.3, "the overview");
    assert_eq!(before.4, after.4, "the monthly summary");
}

/// Regression: coverage on a past day was remembered as first worked out and never again, so a
/// laptop that synced a week late left the history saying the household was overdue that week.
/// A late visit now changes the history from its day on; earlier days stay as they were.
#[test]
fn a_visit_synced_late_changes_the_coverage_history_from_its_day_on() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut late = Device::new(&station, "王警官", "幸福社区");
    household(&mut zhang, "幸福社区", "幸福路10号", vec![]);
    let never = household(&mut zhang, "幸福社区", "幸福路11号", vec![]);
    zhang.sync();
    late.sync();
    let history = |station: &Station| -> Vec<u64> {
        let (status, body) = station.get("overview");
        assert_eq!(status, 200, "{body}");
        let overview: serde_json::Value = serde_json::from_str(&body).unwrap();
        overview["coverage_history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["covered"].as_u64().unwrap())
            .collect()
    };
    // Both registered 400 days ago, never visited: overdue on every day.
    assert_eq!(history(&station), [0; 12]);

    // Wang's laptop comes back after nine days away with a visit made then.
    let lates: Household = late.household(never.id.0);
    visit(&mut late, &lates, Utc::now() - Duration::days(9), None);
    late.sync();
    let after = history(&station);
    // Points are today-77 … today-7, today: the visit counts from nine days ago on.
    assert_eq!(after[..10], [0; 10], "{after:?}");
    assert_eq!(after[10..], [1, 1], "{after:?}");
    // What is kept is what working it out again from the records gives.
    assert_tallies_match_records(&station);
}

#[test]
fn the_report_tallies_follow_edits_deletions_and_merges() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    let now = Utc::now();
    // The same flat registered by both, each with a visit; Zhang's second visit is later deleted.
    let a = household(&mut zhang, "幸福社区", "和平街8号2栋101", vec![]);
    let b = household(&mut wang, "幸福社区", "和平街８号２幢１０１室", vec![]);
    visit(
        &mut zhang,
        &a,
        now - Duration::days(3),
        Some(Rating::Satisfied),
    );
    visit(&mut wang, &b, now, Some(Rating::Basic));
    visit(
        &mut zhang,
        &a,
        now - Duration::days(1),
        Some(Rating::Satisfied),
    );
    zhang.sync();
    wang.sync();
    assert_tallies_match_records(&station);

    // Zhang changes his first visit's rating and date, and deletes the second.
    let mut visits = zhang
        .store
        .household_detail(a.id, chrono::Local::now().date_naive())
        .unwrap()
        .visits;
    visits.sort_by_key(|v| v.visited_at);
    let mut first = visits[0].clone();
    first.rating = Some(Rating::Dissatisfied);
    first.visited_at = now - Duration::days(10);
    zhang.store.save(&first).unwrap();
    let mut second = visits[1].clone();
    second.deleted = true;
    zhang.store.save(&second).unwrap();
    zhang.sync();
    assert_tallies_match_records(&station);

    // Staff merge the two flats: Wang's visit moves to Zhang's household, and back on undo.
    let (_, body) = station.get("duplicates");
    let candidates: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id = candidates[0]["id"].as_i64().unwrap();
    let (status, body) = station.post(
        &format!("duplicates/{id}/merge"),
        &serde_json::json!({"staff": "李所长", "survivor": a.id.to_string()}),
    );
    assert_eq!(status, 204, "{body}");
    assert_tallies_match_records(&station);
    let (status, body) = station.post(
        &format!("duplicates/{id}/undo"),
        &serde_json::json!({"staff": "李所长"}),
    );
    assert_eq!(status, 204, "{body}");
    assert_tallies_match_records(&station);

    // Zhang tags his flat as an elderly resident's alone (a shorter interval: its past coverage
    // changes too), and Wang deletes his.
    let mut tagged = zhang.household(a.id.0);
    tagged.tags = vec![Tag::ElderlyAlone];
    zhang.store.save(&tagged).unwrap();
    zhang.sync();
    let mut gone = wang.household(b.id.0);
    gone.deleted = true;
    wang.store.save(&gone).unwrap();
    wang.sync();
    assert_tallies_match_records(&station);
}
