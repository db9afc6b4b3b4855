//! Stations replicating upward: the whole log once, again only what is new; batches sent again,
//! with gaps, forged or malformed; a revoked station; the database restarting mid-push; a station
//! restored from an older backup.

use super::fixture::{World, record_beat, send, visit};
use super::support::{households_with_long_notes, new_household};
use doorstep_core::model::{Concern, ConcernCategory};

#[test]
fn a_station_replicates_its_records_once_and_then_only_what_is_new() {
    let world = World::start();
    let station = world.station("东城派出所");
    let mut beat = record_beat(
        &station,
        "张警官",
        "东城一片",
        "东城区和平里1号",
        ("李四", "110101199001011237", "1990-01-01"),
    );

    let sent = send(&station);
    assert!(sent["records"].as_u64().unwrap() >= 6, "{sent}");
    assert_eq!(world.count("SELECT count(*) FROM households"), 1);
    assert_eq!(world.count("SELECT count(*) FROM residents"), 2);
    assert_eq!(world.count("SELECT count(*) FROM visits"), 1);
    assert_eq!(world.count("SELECT count(*) FROM concerns"), 2);
    // Each table's rows are in the station's own partition, and visits in their month's.
    assert_eq!(world.count("SELECT count(*) FROM households_s1"), 1);
    assert_eq!(
        world.count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'visits_s1'::regclass"),
        1
    );

    // The confidential reporter is kept apart, never in the concern's fields.
    assert_eq!(
        world
            .pg
            .psql("SELECT count(*) FROM concerns WHERE fields::text LIKE '%举报人甲%'"),
        "0"
    );
    assert_eq!(
        world.pg.psql("SELECT reporter_name FROM concern_reporters"),
        "举报人甲"
    );

    // Nothing new: a round sends an empty batch and changes nothing.
    let again = send(&station);
    assert_eq!(again["records"], 0, "{again}");
    assert_eq!(world.count("SELECT count(*) FROM households"), 1);

    // An edit and a new household go up, and only they.
    let mut h = beat.household.clone();
    h = beat.device.store.get(h.id.0).unwrap();
    h.notes = "独居老人".into();
    beat.device.store.save(&h).unwrap();
    new_household(&mut beat.device, "东城一片", "东城区和平里2号");
    beat.device.sync();
    let third = send(&station);
    assert_eq!(third["records"], 2, "{third}");
    assert_eq!(
        world
            .pg
            .psql("SELECT fields->>'notes' FROM households WHERE address = '东城区和平里1号'"),
        "独居老人"
    );
    assert_eq!(world.count("SELECT count(*) FROM households"), 2);

    // The station says the bureau holds everything, and the bureau says the station is current.
    let (_, status) = station.get("bureau");
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["lag"], 0, "{status}");
    assert!(status["last_sent_at"].is_string(), "{status}");
    let stations = world
        .bureau
        .get_json("/api/v1/stations", &world.bureau.admin_token);
    assert_eq!(stations[0]["name"], "东城派出所");
    assert_eq!(stations[0]["lag"], 0, "{stations}");
    assert_eq!(stations[0]["silent"], false);
    // Not heard from for two days: flagged silent on the bureau's pages.
    world
        .pg
        .psql("UPDATE stations SET last_seen_at = now() - interval '2 days'");
    let stations = world
        .bureau
        .get_json("/api/v1/stations", &world.bureau.admin_token);
    assert_eq!(stations[0]["silent"], true, "{stations}");
    // The station's staff decisions and security trail came too (enrolments, sign-ins).
    assert!(world.count("SELECT count(*) FROM station_audit") > 0);
}

/// A batch goes up in one request, which the bureau takes up to 16 MiB: a thousand records with
/// long notes (30 kB each) made a batch of 30 MB, refused every round, and the station's copy at the
/// bureau stopped there for good. A batch now ends before its records pass `UP_BYTES`; the round
/// goes on with the next, and every note arrives whole.
#[test]
fn records_with_long_notes_go_up_in_batches_the_bureau_takes() {
    let world = World::start();
    let station = world.station("东城派出所");
    let mut beat = record_beat(
        &station,
        "张警官",
        "东城一片",
        "东城区和平里1号",
        ("李四", "110101199001011237", "1990-01-01"),
    );
    let households = 700;
    let (note, _) = households_with_long_notes(&mut beat.device, "东城一片", households);
    beat.device.sync();

    let sent = send(&station);
    assert!(
        sent["batches"].as_u64().unwrap() >= 4,
        "21 MB of notes in batches of at most 6 MiB: {sent}"
    );
    assert_eq!(
        world.count(&format!(
            "SELECT count(*) FROM households WHERE fields->>'notes' = '{note}'"
        )),
        households
    );
    let (_, status) = station.get("bureau");
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["lag"], 0, "{status}");
}

/// A station's credential, taken from its database (what a forged or replayed request would use).
fn credential(station: &super::support::Station) -> String {
    station
        .db()
        .query_row("SELECT credential FROM bureau_link", [], |r| r.get(0))
        .unwrap()
}

fn record(entity: &str, id: &str, version: i64, fields: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "entity": entity, "id": id, "version": version, "deleted": false, "beat": "一片", "fields": fields })
}

fn batch(from: i64, through: i64, records: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({
        "from": { "records": from, "staff": 0, "audit": 0 },
        "through": { "records": through, "staff": 0, "audit": 0 },
        "station_head": through,
        "records": records,
    })
}

fn household(id: &str, version: i64, address: &str) -> serde_json::Value {
    record(
        "household",
        id,
        version,
        serde_json::json!({ "address": address, "kind": "residence", "tags": ["elderly_alone"], "registered_at": "2026-01-01T00:00:00.000Z" }),
    )
}

#[test]
fn batches_sent_again_gapped_forged_or_malformed_are_answered_and_store_nothing_twice_or_half() {
    let world = World::start();
    let a = world.station("甲派出所");
    let b = world.station("乙派出所");
    let (cred_a, cred_b) = (credential(&a), credential(&b));
    let path = "/api/v1/replication/batches";

    let first = batch(
        0,
        2,
        vec![
            household("h-1", 1, "甲路1号"),
            household("h-2", 2, "甲路2号"),
        ],
    )
    .to_string();
    let (status, body) = world.bureau.post_raw(path, &cred_a, &first);
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["cursors"]["records"], 2);
    // Sent again (the answer was lost): stored once, the same answer.
    let (status, body) = world.bureau.post_raw(path, &cred_a, &first);
    assert_eq!(status, 200, "{body}");
    assert_eq!(world.count("SELECT count(*) FROM households"), 2);
    // An older version arriving late does not overwrite a newer one.
    let newer = batch(2, 3, vec![household("h-1", 3, "甲路1号之一")]).to_string();
    assert_eq!(world.bureau.post_raw(path, &cred_a, &newer).0, 200);
    assert_eq!(world.bureau.post_raw(path, &cred_a, &first).0, 200);
    assert_eq!(
        world
            .pg
            .psql("SELECT address FROM households WHERE id = 'h-1'"),
        "甲路1号之一"
    );

    // A batch that starts beyond what the bureau holds: 409 with the cursors to send from.
    let (status, body) = world.bureau.post_raw(
        path,
        &cred_a,
        &batch(10, 12, vec![household("h-9", 11, "x")]).to_string(),
    );
    assert_eq!(status, 409, "{body}");
    let gap: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(gap["cursors"]["records"], 3, "{gap}");
    assert_eq!(
        world.count("SELECT count(*) FROM households WHERE id = 'h-9'"),
        0
    );

    // Another station naming a record of the first: refused, the first's record untouched.
    let (status, body) = world.bureau.post_raw(
        path,
        &cred_b,
        &batch(0, 1, vec![household("h-1", 1, "伪造")]).to_string(),
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("another station"), "{body}");
    assert_eq!(
        world
            .pg
            .psql("SELECT address FROM households WHERE id = 'h-1'"),
        "甲路1号之一"
    );

    // Malformed: each a 400 with its reason, and nothing of the batch stored (the good record
    // beside the bad one included).
    let visit_bad_time = record(
        "visit",
        "v-1",
        5,
        serde_json::json!({ "household_id": "h-2", "visited_at": "昨天" }),
    );
    let cases = [
        (
            batch(3, 5, vec![household("h-3", 4, "甲路3号"), visit_bad_time]),
            "not a time",
        ),
        (
            batch(3, 4, vec![record("photo", "p-1", 4, serde_json::json!({}))]),
            "not a kind of record",
        ),
        (
            batch(3, 4, vec![household("h-3", 9, "甲路3号")]),
            "outside the batch",
        ),
        (batch(4, 3, vec![]), "ends before it starts"),
        (
            batch(
                3,
                4,
                vec![record(
                    "household",
                    "h-3",
                    4,
                    serde_json::json!("not an object"),
                )],
            ),
            "no id or no fields",
        ),
    ];
    for (bad, reason) in cases {
        let (status, body) = world.bureau.post_raw(path, &cred_a, &bad.to_string());
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains(reason), "{reason}: {body}");
    }
    for (text, status) in [("{\"from\": ", 400), ("[]", 422)] {
        let (got, body) = world.bureau.post_raw(path, &cred_a, text);
        assert!(got == status || got == 400, "{text}: {got} {body}");
    }
    assert_eq!(
        world.count("SELECT count(*) FROM households WHERE id = 'h-3'"),
        0
    );
    assert_eq!(world.count("SELECT count(*) FROM visits"), 0);
    assert_eq!(
        world
            .pg
            .psql("SELECT records_cursor FROM stations WHERE name = '甲派出所'"),
        "3"
    );

    // No credential, a made-up one, a session token instead of a station's: 401.
    for token in ["", "b.0000", "s.1234"] {
        let (status, _) = world
            .bureau
            .post_raw(path, token, &batch(3, 4, vec![]).to_string());
        assert_eq!(status, 401, "credential {token:?}");
    }

    // Revoked: refused with its reason, recorded; enrolling again with a new code lets it in.
    world.bureau.post_json(
        "/api/v1/stations/甲派出所/revoke",
        &world.bureau.admin_token,
        serde_json::json!({}),
    );
    let (status, body) = world.bureau.post_raw(
        path,
        &cred_a,
        &batch(3, 4, vec![household("h-4", 4, "甲路4号")]).to_string(),
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("revoked"), "{body}");
    assert_eq!(
        world.count("SELECT count(*) FROM households WHERE id = 'h-4'"),
        0
    );
    let (status, body) = a.request("POST", "bureau/send", &a.staff_token, None);
    assert_eq!(status, 400, "the station's staff see why: {body}");
    assert!(body.contains("revoked"), "{body}");
    let (_, status) = a.get("bureau");
    assert!(
        status.contains("revoked"),
        "the station's page says so: {status}"
    );
    // A used code does not enrol twice.
    let code = world.bureau.station_code("甲派出所");
    let enrol = |code: &str| {
        a.request(
            "POST",
            "bureau/enroll",
            &a.admin_token,
            Some(&serde_json::json!({ "url": world.bureau.url, "code": code })),
        )
    };
    assert_eq!(enrol(&code).0, 200);
    let (status, body) = enrol(&code);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("used already"), "{body}");
    // An officer may not enrol the station.
    let (status, _) = a.request(
        "POST",
        "bureau/enroll",
        &a.staff_token,
        Some(&serde_json::json!({ "url": world.bureau.url, "code": "x" })),
    );
    assert_eq!(status, 403);
}

#[test]
fn the_database_going_away_mid_push_loses_nothing_and_the_station_resumes() {
    let world = World::start();
    let station = world.station("西城派出所");
    let mut beat = record_beat(
        &station,
        "赵警官",
        "西城一片",
        "西城区1号",
        ("钱五", "110102198001011116", "1980-01-01"),
    );
    send(&station);
    // Two thousand more visits: more than one batch.
    for i in 0..1500 {
        visit(
            &mut beat.device,
            &beat.household,
            vec![],
            &format!("意见{i}"),
            None,
        );
    }
    beat.device.sync();
    world.pg.stop_immediately();
    let (status, body) = station.request("POST", "bureau/send", &station.staff_token, None);
    assert!(status == 503 || status == 400, "{status} {body}");
    let (_, page) = station.get("bureau");
    assert!(
        page.contains("last_error") && !page.contains("\"last_error\":null"),
        "{page}"
    );
    world.pg.start_server();
    // The bureau's pool reconnects by itself; the round sends everything, once.
    let sent = send(&station);
    assert!(sent["batches"].as_u64().unwrap() >= 2, "{sent}");
    assert_eq!(world.count("SELECT count(*) FROM visits"), 1501);
    assert_eq!(world.count("SELECT count(DISTINCT id) FROM visits"), 1501);
    let (_, page) = station.get("bureau");
    assert!(
        page.contains("\"last_error\":null") && page.contains("\"lag\":0"),
        "{page}"
    );

    // Cut while a batch is being stored: PostgreSQL stopped in the middle of a round. Whatever
    // was committed stays; the rest comes at the next round; nothing twice.
    for i in 0..1500 {
        visit(
            &mut beat.device,
            &beat.household,
            vec![],
            &format!("第二轮{i}"),
            None,
        );
    }
    beat.device.sync();
    let pg = &world.pg;
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(150));
            pg.restart_immediately();
        });
        let _ = station.request("POST", "bureau/send", &station.staff_token, None);
    });
    send(&station);
    assert_eq!(world.count("SELECT count(*) FROM visits"), 3001);
    assert_eq!(world.count("SELECT count(DISTINCT id) FROM visits"), 3001);
}

#[test]
fn a_station_restored_from_an_older_backup_starts_the_bureau_copy_again() {
    let world = World::start();
    let mut station = world.station("南城派出所");
    let mut beat = record_beat(
        &station,
        "孙警官",
        "南城一片",
        "南城区1号",
        ("周六", "110103197001012225", "1970-01-01"),
    );
    send(&station);
    let backup = station.dir.path().join("backup.tar.gz");
    let (ok, _, err) = station.console(&[
        "backup".as_ref(),
        "--data".as_ref(),
        station.dir.path().as_os_str(),
        "--to".as_ref(),
        backup.as_os_str(),
    ]);
    assert!(ok, "{err}");
    // After the backup: a concern the station will lose with the restore.
    let late = Concern::new(
        beat.household.id,
        ConcernCategory::SafetyHazard,
        "楼道堆放杂物",
    );
    beat.device.store.save(&late).unwrap();
    beat.device.sync();
    send(&station);
    let lineage_before = world.pg.psql("SELECT lineage FROM stations");

    station.stop();
    let (ok, _, err) = station.console(&[
        "restore".as_ref(),
        "--data".as_ref(),
        station.dir.path().as_os_str(),
        "--from".as_ref(),
        backup.as_os_str(),
    ]);
    assert!(ok, "{err}");
    station.restart();
    // The round at start (or this one) finds the bureau following the lost lineage, and starts
    // its copy again, once.
    send(&station);
    assert_eq!(
        world.count("SELECT generation FROM stations"),
        1,
        "the copy started again once"
    );
    assert_ne!(
        world.pg.psql("SELECT lineage FROM stations"),
        lineage_before,
        "it follows the restored lineage"
    );
    // A second round does not start it again.
    assert_eq!(send(&station)["restarted"], false);
    // The laptop sends the lost concern again at its next sync, and it comes up again.
    beat.device.sync();
    send(&station);
    assert_eq!(
        world.count(&format!(
            "SELECT count(*) FROM concerns WHERE id = '{}' AND NOT deleted",
            late.id
        )),
        1
    );
    assert_eq!(world.count("SELECT count(*) FROM households"), 1);
}
