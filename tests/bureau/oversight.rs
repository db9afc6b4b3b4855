//! Complaints about the police seen above the station: the inspectors' list across stations, the
//! confidential reporter shown only with the explicit right (each read logged), and a flag that
//! travels down to the station as a follow-up task and comes back applied.

use super::fixture::{World, record_beat, send};

#[test]
fn inspectors_see_complaints_across_stations_and_their_flag_becomes_a_task_at_the_station() {
    let world = World::start();
    let east = world.station("东城派出所");
    let west = world.station("西城派出所");
    let beat = record_beat(
        &east,
        "张警官",
        "东城一片",
        "东城区1号",
        ("李四", "110101199001011237", "1990-01-01"),
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

    let bureau = &world.bureau;
    let inspector = bureau.account("inspector", &["inspector"], false);
    let trusted = bureau.account("senior", &["inspector"], true);
    let analyst = bureau.account("analyst", &["analyst"], false);

    let list = bureau.get_json("/api/v1/oversight/complaints", &inspector);
    let items = list.as_array().unwrap();
    // From both stations: each one's complaint and its visit with an opinion about work style.
    assert_eq!(items.len(), 4, "{list}");
    for station in ["东城派出所", "西城派出所"] {
        assert!(
            items
                .iter()
                .any(|i| i["station"] == station && i["entity"] == "concern"),
            "{list}"
        );
        assert!(
            items.iter().any(|i| i["station"] == station
                && i["entity"] == "visit"
                && i["text"] == "民警态度生硬"),
            "{list}"
        );
    }
    // The ordinary dispute is not a complaint about the police.
    assert!(!list.to_string().contains("邻里噪音纠纷"), "{list}");
    // The confidential reporter is in no list.
    assert!(!list.to_string().contains("举报人甲"), "{list}");
    let complaint = items
        .iter()
        .find(|i| i["station"] == "东城派出所" && i["entity"] == "concern")
        .unwrap();
    assert_eq!(complaint["confidential"], true);
    assert_eq!(complaint["resident_told"], false);

    // Only inspectors see the list.
    let (status, _) = bureau.request("GET", "/api/v1/oversight/complaints", &analyst, None);
    assert_eq!(status, 403);

    // The reporter: refused (and logged) without the right; shown (and logged) with it.
    let ask = serde_json::json!({ "station": "东城派出所", "concern_id": beat.complaint.id.to_string(), "reason": "核查投诉" });
    let (status, body) = bureau.request(
        "POST",
        "/api/v1/oversight/reporter",
        &inspector,
        Some(ask.clone()),
    );
    assert_eq!(status, 403, "{body}");
    let answer = bureau.post_json("/api/v1/oversight/reporter", &trusted, ask.clone());
    assert_eq!(answer["reporter_name"], "举报人甲");
    let trail = bureau.get_json("/api/v1/audit?action=read_reporter", &bureau.admin_token);
    let outcomes: Vec<(&str, &str)> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["outcome"].as_str().unwrap()))
        .collect();
    assert!(
        outcomes.contains(&("inspector", "refused")) && outcomes.contains(&("senior", "ok")),
        "{trail}"
    );
    // Not a concern of that category, or not at that station: no reporter to read.
    let wrong_station = serde_json::json!({ "station": "西城派出所", "concern_id": beat.complaint.id.to_string(), "reason": "核查" });
    assert_eq!(
        bureau
            .request(
                "POST",
                "/api/v1/oversight/reporter",
                &trusted,
                Some(wrong_station)
            )
            .0,
        404
    );

    // The flag: goes down with the next round, becomes a follow-up task on the complaint for the
    // station's staff to assign, and comes back applied.
    let flag = serde_json::json!({ "station": "东城派出所", "entity": "concern", "id": beat.complaint.id.to_string(), "reason": "请所里一周内核实并回复群众" });
    bureau.post_json("/api/v1/oversight/flags", &inspector, flag.clone());
    let (status, body) = bureau.request(
        "POST",
        "/api/v1/oversight/flags",
        &inspector,
        Some(flag.clone()),
    );
    assert_eq!(
        status, 400,
        "not flagged twice while the station has not taken it: {body}"
    );
    let (status, _) = bureau.request("POST", "/api/v1/oversight/flags", &analyst, Some(flag));
    assert_eq!(status, 403);
    let sent = send(&east);
    assert_eq!(sent["flags_applied"], 1, "{sent}");
    let (title, concern, staff): (String, String, String) = east
        .db()
        .query_row(
            "SELECT json_extract(r.fields, '$.title'), json_extract(r.fields, '$.concern_id'), s.staff
             FROM records r JOIN staff_actions s ON s.entity_id = r.id AND s.action = 'bureau_flag' WHERE r.entity = 'task'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(title, "督察跟进：请所里一周内核实并回复群众");
    assert_eq!(concern, beat.complaint.id.to_string());
    assert!(staff.contains("inspector 同志"), "{staff}");
    // A second round applies nothing twice.
    let again = send(&east);
    assert_eq!(again["flags_applied"], 0, "{again}");
    assert_eq!(
        east.count("SELECT count(*) FROM records WHERE entity = 'task'"),
        1
    );
    // The bureau sees the flag applied, with its task and who is responsible.
    let list = bureau.get_json(
        "/api/v1/oversight/complaints?station=东城派出所",
        &inspector,
    );
    let complaint = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["entity"] == "concern")
        .unwrap()
        .clone();
    assert!(complaint["flag"]["task_id"].is_string(), "{complaint}");
    assert_eq!(complaint["follow_up_open"], true, "{complaint}");
    assert!(
        !complaint["responsible"].as_array().unwrap().is_empty(),
        "{complaint}"
    );
    // A visit about work style can be flagged too; an ordinary concern cannot.
    let visit_flag = serde_json::json!({ "station": "东城派出所", "entity": "visit", "id": beat.conduct_visit.id.to_string(), "reason": "回访核实" });
    bureau.post_json("/api/v1/oversight/flags", &inspector, visit_flag);
    let dispute: String = east
        .db()
        .query_row("SELECT id FROM records WHERE entity = 'concern' AND json_extract(fields, '$.category') = 'dispute'", [], |r| r.get(0))
        .unwrap();
    let (status, _) = bureau.request(
        "POST",
        "/api/v1/oversight/flags",
        &inspector,
        Some(serde_json::json!({ "station": "东城派出所", "entity": "concern", "id": dispute, "reason": "x" })),
    );
    assert_eq!(status, 404);
    assert_eq!(send(&east)["flags_applied"], 1);
}
