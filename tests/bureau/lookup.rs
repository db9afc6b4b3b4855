//! A person or an address looked up across stations by the bureau's staff: by ID number (written
//! differently at each station), by name and birth date, by pinyin; each look-up audited with its
//! reason; a confidential reporter never in an answer.

use super::fixture::{World, record_beat, send};

#[test]
fn a_person_is_found_at_every_station_that_knows_them_and_every_look_up_is_audited() {
    let world = World::start();
    let east = world.station("东城派出所");
    let west = world.station("西城派出所");
    // The same petitioner registered at two stations, the ID number's X typed in either case.
    record_beat(
        &east,
        "张警官",
        "东城一片",
        "东城区和平里1号",
        ("李四", "11010119900101127x", "1990-01-01"),
    );
    record_beat(
        &west,
        "赵警官",
        "西城一片",
        "西城区新街口9号",
        ("李四", "11010119900101127X", "1990-01-01"),
    );
    record_beat(
        &west,
        "钱警官",
        "西城二片",
        "西城区新街口10号",
        ("李思", "110101199202021116", "1992-02-02"),
    );
    send(&east);
    send(&west);
    let bureau = &world.bureau;
    let analyst = bureau.account("analyst", &["analyst"], false);
    let lookup = |q: serde_json::Value| bureau.post_json("/api/v1/lookup/person", &analyst, q);

    let nobody = lookup(serde_json::json!({ "q": "110101199001011239", "reason": "核查" }));
    assert_eq!(
        nobody["households"].as_array().unwrap().len(),
        0,
        "{nobody}"
    );
    let by_id = lookup(serde_json::json!({ "q": "11010119900101127X", "reason": "信访人员核查" }));
    assert_eq!(by_id["matched_by"], "id_number");
    let stations: Vec<&str> = by_id["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["station"].as_str().unwrap())
        .collect();
    assert_eq!(stations, ["东城派出所", "西城派出所"], "{by_id}");
    let hit = &by_id["households"][0];
    assert_eq!(hit["address"], "东城区和平里1号");
    assert!(hit["last_visit"].is_string(), "{hit}");
    assert_eq!(hit["residents"][0]["name"], "李四");
    assert_eq!(
        hit["residents"][0]["id_number"], "1101**********127x",
        "the middle digits hidden"
    );
    // Open concerns of the household, but never who reported a confidential one.
    assert_eq!(hit["open_concerns"].as_array().unwrap().len(), 2, "{hit}");
    assert!(!by_id.to_string().contains("举报人甲"), "{by_id}");

    let by_name = lookup(
        serde_json::json!({ "q": "李四", "birth_date": "1990-01-01", "reason": "走访核查" }),
    );
    assert_eq!(
        by_name["households"].as_array().unwrap().len(),
        2,
        "{by_name}"
    );
    let wrong_birth = lookup(
        serde_json::json!({ "q": "李四", "birth_date": "1991-01-01", "reason": "走访核查" }),
    );
    assert_eq!(wrong_birth["households"].as_array().unwrap().len(), 0);
    // Pinyin: full, initials; 李思 is lisi too.
    let by_pinyin = lookup(serde_json::json!({ "q": "lisi", "reason": "走访核查" }));
    assert_eq!(by_pinyin["matched_by"], "pinyin");
    assert_eq!(
        by_pinyin["households"].as_array().unwrap().len(),
        3,
        "{by_pinyin}"
    );
    let by_initials = lookup(serde_json::json!({ "q": "ls", "reason": "走访核查" }));
    assert_eq!(
        by_initials["households"].as_array().unwrap().len(),
        3,
        "{by_initials}"
    );
    // The reporter's name is not a resident: looking it up finds nobody.
    let reporter = lookup(serde_json::json!({ "q": "举报人甲", "reason": "查找" }));
    assert_eq!(
        reporter["households"].as_array().unwrap().len(),
        0,
        "{reporter}"
    );

    // An address, full-width digits or not.
    let address = bureau.post_json(
        "/api/v1/lookup/address",
        &analyst,
        serde_json::json!({ "q": "新街口１０号", "reason": "地址核查" }),
    );
    let homes = address["households"].as_array().unwrap();
    assert_eq!(homes.len(), 1, "{address}");
    assert_eq!(
        homes[0]["residents"].as_array().unwrap().len(),
        2,
        "every resident of the household"
    );

    // Without a reason: refused, nothing looked up.
    let (status, body) = bureau.request(
        "POST",
        "/api/v1/lookup/person",
        &analyst,
        Some(serde_json::json!({ "q": "李四", "reason": " " })),
    );
    assert_eq!(status, 400, "{body}");
    let (status, _) = bureau.request(
        "POST",
        "/api/v1/lookup/person",
        &analyst,
        Some(serde_json::json!({ "q": "李四" })),
    );
    assert!(status == 400 || status == 422);
    // Not signed in: 401.
    let (status, _) = bureau.request(
        "POST",
        "/api/v1/lookup/person",
        "s.nobody",
        Some(serde_json::json!({ "q": "李四", "reason": "x x" })),
    );
    assert_eq!(status, 401);

    // Every look-up is in the trail with who, what and why.
    let trail = bureau.get_json("/api/v1/audit?action=lookup_person", &bureau.admin_token);
    let entry = trail
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["reason"] == "信访人员核查")
        .expect("the look-up is audited");
    assert_eq!(entry["actor"], "analyst");
    assert_eq!(entry["target"], "11010119900101127X");
    assert_eq!(trail.as_array().unwrap().len(), 7, "{trail}");
    let trail = bureau.get_json("/api/v1/audit?action=lookup_address", &bureau.admin_token);
    assert_eq!(trail[0]["reason"], "地址核查");
    // The trail cannot be edited, even by the database's own superuser.
    let edit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        world.pg.psql("UPDATE audit SET reason = ''")
    }));
    assert!(edit.is_err(), "the trigger refuses edits");
    assert_eq!(
        world
            .pg
            .psql("SELECT count(*) FROM audit WHERE action = 'lookup_person' AND reason = ''"),
        "0"
    );
}
