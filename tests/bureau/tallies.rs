//! The city overview's tallies, kept at ingest by difference, against the same tallies worked out
//! again from the records: after a long random mix of batches (records edited, deleted and brought
//! back, visits moved in time and between households, concerns and tasks closed and reopened,
//! whole batches sent again, the station starting its copy again after a
//! restore) the two agree, and so does the overview read from either.

use super::bureau::Bureau;
use super::postgres::Postgres;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// A station enrolled straight at the bureau's API (no station process: the test writes its
/// batches itself): its credential.
fn enrol(bureau: &Bureau, name: &str) -> String {
    let code = bureau.station_code(name);
    let (status, body) = bureau.post_raw(
        "/api/v1/replication/enroll",
        "",
        &json!({ "code": code }).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["credential"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every tally row (and each household's status), in one text to compare.
fn tallies(pg: &Postgres) -> String {
    pg.psql(
        "SELECT concat_ws(E'\\n',
            (SELECT string_agg(concat_ws('|', station_id, household_id, beat, last_visit_at, due), E'\\n' ORDER BY station_id, household_id) FROM household_status),
            (SELECT string_agg(concat_ws('|', station_id, beat, month, rating, n), E'\\n' ORDER BY station_id, beat, month, rating) FROM rating_tallies),
            (SELECT string_agg(concat_ws('|', station_id, beat, category, n), E'\\n' ORDER BY station_id, beat, category) FROM open_concern_tallies),
            (SELECT string_agg(concat_ws('|', station_id, beat, due_date, n), E'\\n' ORDER BY station_id, beat, due_date) FROM open_task_tallies))",
    )
}

/// A station's records as a random walk of edits: each call returns the next record to send.
struct Walk {
    rng: ChaCha8Rng,
    /// Record ids are the station's own (another station's are refused).
    prefix: String,
    version: i64,
    now: chrono::DateTime<chrono::Utc>,
}

const BEATS: &[&str] = &["一片", "二片", "三片"];

impl Walk {
    fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
        of[self.rng.random_range(0..of.len())]
    }

    fn time_within_days(&mut self, days: i64) -> String {
        let at = self.now - chrono::Duration::minutes(self.rng.random_range(0..days * 24 * 60));
        doorstep_core::time::format(&at)
    }

    fn next(&mut self) -> Value {
        self.version += 1;
        let r = &mut self.rng;
        let deleted = r.random_bool(0.1);
        let beat = BEATS[r.random_range(0..BEATS.len())];
        let household = format!("{}h{}", self.prefix, r.random_range(0..12));
        let (entity, id, fields) = match r.random_range(0..10) {
            0..=1 => {
                let tags = if r.random_bool(0.3) {
                    json!(["elderly_alone", "no_such_tag"])
                } else {
                    json!([])
                };
                let registered = if r.random_bool(0.1) {
                    json!("not a time")
                } else {
                    json!(self.time_within_days(200))
                };
                (
                    "household",
                    household.clone(),
                    json!({ "address": format!("和平路{household}号"), "kind": "residence", "tags": tags, "registered_at": registered }),
                )
            }
            2..=5 => {
                let id = format!("{}v{}", self.prefix, r.random_range(0..40));
                let rating = match r.random_range(0..4) {
                    0 => Value::Null,
                    1 => json!("satisfied"),
                    2 => json!("basic"),
                    _ => json!("dissatisfied"),
                };
                (
                    "visit",
                    id,
                    json!({ "household_id": household, "visited_at": self.time_within_days(100), "rating": rating,
                            "purposes": ["safety"], "inquiry_areas": [] }),
                )
            }
            6..=7 => {
                let id = format!("{}c{}", self.prefix, r.random_range(0..15));
                let category = self.pick(&["dispute", "police_conduct", "safety_hazard"]);
                let status = self.pick(&["open", "in_progress", "closed"]);
                (
                    "concern",
                    id,
                    json!({ "household_id": household, "category": category, "urgency": "normal", "status": status,
                            "confidential": false, "raised_at": self.time_within_days(100), "summary": "反映" }),
                )
            }
            _ => {
                let id = format!("{}t{}", self.prefix, self.rng.random_range(0..10));
                let due = match self.rng.random_range(0..3) {
                    0 => Value::Null,
                    1 => json!("2020-01-01"),
                    _ => json!("2099-01-01"),
                };
                let status = self.pick(&["open", "in_progress", "done"]);
                (
                    "task",
                    id,
                    json!({ "household_id": household, "kind": "follow_up", "title": "跟进", "assignee": "民警",
                            "status": status, "due_date": due }),
                )
            }
        };
        json!({ "entity": entity, "id": id, "version": self.version, "deleted": deleted, "beat": beat, "fields": fields })
    }
}

fn batch(restart: bool, lineage: &str, from: i64, records: &[Value]) -> String {
    let through = records
        .iter()
        .map(|r| r["version"].as_i64().unwrap())
        .max()
        .unwrap_or(from)
        .max(from);
    json!({
        "restart": restart, "lineage": lineage,
        "from": { "records": from, "staff": 0, "audit": 0 },
        "through": { "records": through, "staff": 0, "audit": 0 },
        "station_head": through,
        "records": records,
    })
    .to_string()
}

#[test]
fn tallies_kept_at_ingest_agree_with_the_records_after_any_mix_of_edits() {
    let pg = Postgres::start();
    let mut bureau = Bureau::start(&pg);
    let path = "/api/v1/replication/batches";
    let stations = [("东城派出所", 1u64), ("西城派出所", 2)];
    let mut sent_total = 0;
    for (name, seed) in stations {
        let credential = enrol(&bureau, name);
        let mut walk = Walk {
            rng: ChaCha8Rng::seed_from_u64(seed),
            prefix: format!("s{seed}-"),
            version: 0,
            now: chrono::Utc::now(),
        };
        let (mut lineage, mut held) = ("first".to_string(), 0i64);
        let mut sent: Vec<Value> = Vec::new();
        for round in 0..40 {
            let mut records: Vec<Value> = (0..walk.rng.random_range(1..25))
                .map(|_| walk.next())
                .collect();
            let restart = round == 25;
            if restart {
                // Restored from a backup: the copy starts again under a new lineage, from nothing,
                // with some of the old records again (the rest stay at the bureau as they were).
                lineage = "restored".into();
                held = 0;
                records.extend(sent.iter().step_by(3).cloned());
            }
            let body = batch(restart, &lineage, held, &records);
            let (status, answer) = bureau.post_raw(path, &credential, &body);
            assert_eq!(status, 200, "round {round}: {answer}");
            // A batch sent again (its answer lost) changes nothing.
            if round % 5 == 1 {
                let (status, answer) =
                    bureau.post_raw(path, &credential, &batch(false, &lineage, held, &records));
                assert_eq!(status, 200, "round {round} again: {answer}");
            }
            held = serde_json::from_str::<Value>(&answer).unwrap()["cursors"]["records"]
                .as_i64()
                .unwrap();
            sent_total += records.len();
            sent.extend(records);
        }
    }
    let kept = tallies(&pg);
    assert!(
        kept.lines().count() > 40,
        "the walk leaves tallies to compare ({sent_total} records sent): {kept}"
    );
    let overview = bureau.get_json("/api/v1/overview", &bureau.admin_token);
    assert!(overview["total"]["households"].as_i64().unwrap() > 0);
    let drilled = bureau.get_json(
        "/api/v1/overview?station=%E4%B8%9C%E5%9F%8E%E6%B4%BE%E5%87%BA%E6%89%80",
        &bureau.admin_token,
    );

    // Worked out again from the records (as at the first start under another policy or zone).
    bureau.stop();
    pg.psql("DELETE FROM tally_basis");
    let bureau = Bureau::start(&pg);
    assert_eq!(pg.psql("SELECT count(*) FROM tally_basis"), "1");
    let rebuilt = tallies(&pg);
    assert_eq!(
        kept, rebuilt,
        "tallies kept at ingest (left) against worked out from the records (right)"
    );
    assert_eq!(
        bureau.get_json("/api/v1/overview", &bureau.admin_token),
        overview
    );
    assert_eq!(
        bureau.get_json(
            "/api/v1/overview?station=%E4%B8%9C%E5%9F%8E%E6%B4%BE%E5%87%BA%E6%89%80",
            &bureau.admin_token
        ),
        drilled
    );
}

#[test]
fn coverage_follows_the_visit_policy_of_the_laptops_and_the_station() {
    let pg = Postgres::start();
    let bureau = Bureau::start(&pg);
    let credential = enrol(&bureau, "南城派出所");
    let now = chrono::Utc::now();
    let ago = |days: i64| doorstep_core::time::format(&(now - chrono::Duration::days(days)));
    let household = |id: &str, version: i64, tags: Value, registered: Value| {
        json!({ "entity": "household", "id": id, "version": version, "deleted": false, "beat": "一片",
                "fields": { "address": id, "kind": "residence", "tags": tags, "registered_at": registered } })
    };
    let visit = |id: &str, version: i64, household: &str, at: String| {
        json!({ "entity": "visit", "id": id, "version": version, "deleted": false, "beat": "一片",
                "fields": { "household_id": household, "visited_at": at, "rating": "satisfied", "purposes": [], "inquiry_areas": [] } })
    };
    let records = [
        // Registered long ago, never visited: due at registration, overdue (as on a laptop).
        household("never", 1, json!([]), json!(ago(200))),
        // Visited 10 days ago, 90 days' interval: covered.
        household("lately", 2, json!([]), json!(ago(200))),
        visit("v1", 3, "lately", ago(10)),
        // Living alone and elderly: 30 days' interval, visited 40 days ago: overdue.
        household("alone", 4, json!(["elderly_alone"]), json!(ago(200))),
        visit("v2", 5, "alone", ago(40)),
        // Registered just now and never visited: due today, covered.
        household("new", 6, json!([]), json!(ago(0))),
        // Registered a month ago, never visited: due at registration, overdue (not an interval
        // after it).
        household("waiting", 7, json!([]), json!(ago(30))),
    ];
    let (status, body) = bureau.post_raw(
        "/api/v1/replication/batches",
        &credential,
        &batch(false, "one", 0, &records),
    );
    assert_eq!(status, 200, "{body}");
    let city = bureau.get_json("/api/v1/overview", &bureau.admin_token);
    assert_eq!(city["total"]["households"], 5, "{city}");
    assert_eq!(city["total"]["covered"], 2, "{city}");
    assert_eq!(city["total"]["overdue"], 3, "{city}");
}
