//! City-wide reports: the overview per station and drilled to beats, the monthly summary as data
//! and as files, and a streaming read replica serving them (the primary when it is gone).

use super::bureau::Bureau;
use super::fixture::{World, record_beat, send};

#[test]
fn the_city_overview_counts_each_station_and_drills_into_its_beats() {
    let world = World::start();
    let east = world.station("东城派出所");
    let west = world.station("西城派出所");
    record_beat(
        &east,
        "张警官",
        "东城一片",
        "东城区1号",
        ("李四", "110101199001011237", "1990-01-01"),
    );
    record_beat(
        &east,
        "王警官",
        "东城二片",
        "东城区2号",
        ("李五", "110101199001011245", "1990-01-01"),
    );
    record_beat(
        &west,
        "赵警官",
        "西城一片",
        "西城区1号",
        ("钱五", "110102198001011116", "1980-01-01"),
    );
    send(&east);
    send(&west);
    let analyst = world.bureau.account("analyst", &["analyst"], false);
    let city = world.bureau.get_json("/api/v1/overview", &analyst);
    assert_eq!(city["total"]["households"], 3, "{city}");
    assert_eq!(city["total"]["covered"], 3, "each visited today: {city}");
    assert_eq!(city["total"]["open_concerns"], 6);
    assert_eq!(city["total"]["satisfaction_this_month"]["dissatisfied"], 3);
    let rows = city["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], "东城派出所");
    assert_eq!(rows[0]["households"], 2);
    let categories = city["open_concerns_by_category"].as_array().unwrap();
    assert!(
        categories
            .iter()
            .any(|c| c["category"] == "police_conduct" && c["open"] == 3),
        "{city}"
    );

    let drilled = world
        .bureau
        .get_json("/api/v1/overview?station=东城派出所", &analyst);
    let beats: Vec<&str> = drilled["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(beats, ["东城一片", "东城二片"], "{drilled}");
    assert_eq!(drilled["total"]["households"], 2);

    let month = chrono::Local::now().format("%Y-%m").to_string();
    let summary = world
        .bureau
        .get_json(&format!("/api/v1/summary?month={month}"), &analyst);
    assert_eq!(summary["visits"], 3, "{summary}");
    assert_eq!(summary["households_visited"], 3);
    assert_eq!(summary["beat"], "测试市公安局", "the whole bureau");
    let conduct = summary["opinions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["area"] == "conduct")
        .unwrap();
    assert_eq!(conduct["count"], 3);
    let one = world.bureau.get_json(
        &format!("/api/v1/summary?month={month}&station=西城派出所"),
        &analyst,
    );
    assert_eq!(one["visits"], 1);
    let (status, body) = world.bureau.request(
        "GET",
        &format!("/api/v1/summary?month={month}&format=csv"),
        &analyst,
        None,
    );
    assert_eq!(status, 200);
    assert!(
        body.contains("测试市公安局") && body.contains("走访"),
        "{body}"
    );
    let (status, body) =
        world
            .bureau
            .request("GET", "/api/v1/summary?month=2026-13", &analyst, None);
    assert_eq!(status, 400, "{body}");
    let (status, _) = world
        .bureau
        .request("GET", "/api/v1/overview", "s.not-a-session", None);
    assert_eq!(status, 401);
}

#[test]
fn reports_read_from_the_replica_while_it_keeps_up_and_from_the_primary_without_it() {
    let world = World::start();
    let standby = world.pg.standby();
    let replicated = Bureau::start_with(
        &world.pg,
        &["--replica", &standby.url(), "--replica-max-lag-ms", "2000"],
    );
    let east = world.station("东城派出所");
    record_beat(
        &east,
        "张警官",
        "东城一片",
        "东城区1号",
        ("李四", "110101199001011237", "1990-01-01"),
    );
    send(&east);
    let analyst = replicated.account("analyst", &["analyst"], false);
    // The standby catches up within moments; reports then come from it with the station's data.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, body, served) =
            replicated.request_headers("GET", "/api/v1/overview", &analyst, None);
        assert_eq!(status, 200, "{body}");
        let city: serde_json::Value = serde_json::from_str(&body).unwrap();
        if served.as_deref() == Some("replica") && city["total"]["households"] == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the replica never served the data: {served:?} {city}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(
        standby.psql("SELECT pg_is_in_recovery()"),
        "t",
        "it is a standby"
    );
    assert_eq!(standby.psql("SELECT count(*) FROM visits"), "1");
    // The standby gone: reports come from the primary, still right.
    standby.stop_immediately();
    let (status, body, served) =
        replicated.request_headers("GET", "/api/v1/overview", &analyst, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(served.as_deref(), Some("primary"));
    assert!(body.contains("\"households\":1"), "{body}");
}

#[test]
fn the_overview_follows_visits_deleted_or_moved_at_the_station() {
    use doorstep_core::model::{Household, HouseholdKind, Tag};
    let world = World::start();
    let east = world.station("东城派出所");
    let mut beat = record_beat(
        &east,
        "张警官",
        "东城一片",
        "东城区1号",
        ("李四", "110101199001011237", "1990-01-01"),
    );
    // A household of an elderly person living alone (visited every 30 days), registered long ago.
    let mut h = Household::new("东城一片", "东城区2号", HouseholdKind::Residence);
    h.tags = vec![Tag::ElderlyAlone];
    h.registered_at = doorstep_core::time::now() - chrono::Duration::days(100);
    beat.device.store.save(&h).unwrap();
    let v = super::fixture::visit(&mut beat.device, &h, vec![], "", None);
    beat.device.sync();
    send(&east);
    let analyst = world.bureau.account("analyst", &["analyst"], false);
    let city = world.bureau.get_json("/api/v1/overview", &analyst);
    assert_eq!(city["total"]["covered"], 2, "{city}");
    // The visit deleted: the household is overdue again.
    let mut gone = beat
        .device
        .store
        .get::<doorstep_core::model::Visit>(v.id.0)
        .unwrap();
    gone.deleted = true;
    beat.device.store.save(&gone).unwrap();
    beat.device.sync();
    send(&east);
    let city = world.bureau.get_json("/api/v1/overview", &analyst);
    assert_eq!(city["total"]["covered"], 1, "{city}");
    assert_eq!(city["total"]["overdue"], 1, "{city}");
    // Visited again: covered.
    super::fixture::visit(&mut beat.device, &h, vec![], "", None);
    beat.device.sync();
    send(&east);
    let city = world.bureau.get_json("/api/v1/overview", &analyst);
    assert_eq!(city["total"]["covered"], 2, "{city}");
}
