//! What two officers' offline edits become at the station and back on their laptops.

use crate::support::{Device, Station, new_household};
use doorstep_core::model::{Household, Resident, Tag, Visit};

#[test]
fn two_officers_edit_different_fields_of_one_household_offline_and_both_edits_survive() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路12号");
    zhang.sync();
    wang.sync();

    // Both offline: one changes the phone, the other the tags.
    let mut a = zhang.household(h.id.0);
    a.contact_phone = "13800138000".into();
    zhang.store.save(&a).unwrap();
    let mut b = wang.household(h.id.0);
    b.tags = vec![Tag::ElderlyAlone];
    wang.store.save(&b).unwrap();

    assert_eq!(zhang.sync().conflicts, 0);
    assert_eq!(wang.sync().conflicts, 0);
    zhang.sync();
    for device in [&zhang, &wang] {
        let got: Household = device.household(h.id.0);
        assert_eq!(got.contact_phone, "13800138000");
        assert_eq!(got.tags, [Tag::ElderlyAlone]);
    }
    assert_eq!(station.count("SELECT count(*) FROM conflicts"), 0);
    assert_eq!(
        zhang.household(h.id.0).version,
        wang.household(h.id.0).version
    );
}

#[test]
fn two_officers_edit_the_same_field_differently_and_exactly_one_conflict_is_queued() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路12号");
    zhang.sync();
    wang.sync();

    let mut a = zhang.household(h.id.0);
    a.contact_phone = "13800138001".into();
    zhang.store.save(&a).unwrap();
    let mut b = wang.household(h.id.0);
    b.contact_phone = "13912345678".into();
    wang.store.save(&b).unwrap();

    zhang.sync();
    assert_eq!(wang.sync().conflicts, 1);
    zhang.sync();
    let open = station
        .count("SELECT count(*) FROM conflicts WHERE status = 'open' AND field = 'contact_phone'");
    assert_eq!(open, 1, "exactly one conflict in the queue");
    // Both values are kept at the station; both laptops show the same provisional winner (the later
    // edit, Wang's).
    let (station_value, incoming): (String, String) = station
        .db()
        .query_row(
            "SELECT station_value, incoming_value FROM conflicts",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (station_value.as_str(), incoming.as_str()),
        ("\"13800138001\"", "\"13912345678\"")
    );
    assert_eq!(zhang.household(h.id.0).contact_phone, "13912345678");
    assert_eq!(wang.household(h.id.0).contact_phone, "13912345678");

    // The queue shows base, station and incoming values, with who made them.
    let (status, body) = station.get("conflicts");
    assert_eq!(status, 200);
    let queue: serde_json::Value = serde_json::from_str(&body).unwrap();
    let c = &queue[0];
    assert_eq!(c["label"], "幸福路12号");
    assert_eq!(c["base_value"], "", "the phone was empty when both started");
    assert_eq!(c["station_value"], "13800138001");
    assert_eq!(c["station_by"], "张警官");
    assert_eq!(c["incoming_value"], "13912345678");
    assert_eq!(c["incoming_by"], "王警官");
    assert_eq!(c["applied"], "incoming");

    // Staff pick Zhang's value; after pulls both laptops show it, and the decision is on record.
    let id: i64 = station
        .db()
        .query_row("SELECT id FROM conflicts", [], |r| r.get(0))
        .unwrap();
    let (status, body) = station.post(
        &format!("conflicts/{id}/resolve"),
        &serde_json::json!({"staff": "李所长", "value": "13800138001"}),
    );
    assert_eq!(status, 200, "{body}");
    zhang.sync();
    wang.sync();
    assert_eq!(zhang.household(h.id.0).contact_phone, "13800138001");
    assert_eq!(wang.household(h.id.0).contact_phone, "13800138001");
    assert_eq!(
        station.count("SELECT count(*) FROM conflicts WHERE status = 'open'"),
        0
    );
    let who: String = station
        .db()
        .query_row(
            "SELECT staff FROM staff_actions WHERE action = 'resolve_conflict'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(who, "李所长");
    // Deciding twice is refused.
    let (status, _) = station.post(
        &format!("conflicts/{id}/resolve"),
        &serde_json::json!({"staff": "李所长", "value": "x"}),
    );
    assert_eq!(status, 409);
}

#[test]
fn a_household_deleted_elsewhere_while_an_officer_edits_it_offline_is_a_conflict_and_nothing_is_lost()
 {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路12号");
    zhang.sync();
    wang.sync();

    zhang.store.delete::<Household>(h.id.0).unwrap();
    zhang.sync();
    let mut edited = wang.household(h.id.0);
    edited.notes = "老人独居，需每月回访".into();
    wang.store.save(&edited).unwrap();
    wang.sync();

    assert_eq!(
        station.count("SELECT count(*) FROM conflicts WHERE status = 'open' AND field = '*'"),
        1
    );
    let kept: String = station
        .db()
        .query_row("SELECT incoming_value FROM conflicts", [], |r| r.get(0))
        .unwrap();
    assert!(
        kept.contains("老人独居"),
        "the offline edit is kept in the queue: {kept}"
    );
    assert_eq!(
        station.count("SELECT count(*) FROM changes"),
        3,
        "every change is in the station's history"
    );
    // Not resurrected: the record stays deleted on both laptops until staff decide.
    assert!(wang.household(h.id.0).deleted);
    assert!(zhang.household(h.id.0).deleted);
}

#[test]
fn an_officer_pulls_only_their_own_beat() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "和平社区");
    let mine = new_household(&mut zhang, "幸福社区", "幸福路1号");
    let resident = Resident::new(mine.id, "张三");
    zhang.store.save(&resident).unwrap();
    let theirs = new_household(&mut li, "和平社区", "和平街1号");
    zhang.sync();
    li.sync();
    zhang.sync();

    assert!(
        zhang.store.get::<Household>(theirs.id.0).is_err(),
        "another beat's household never reaches Zhang"
    );
    assert!(li.store.get::<Household>(mine.id.0).is_err());
    assert!(
        li.store.get::<Resident>(resident.id.0).is_err(),
        "nor its residents"
    );
    assert!(li.store.search("张三", 10).unwrap().residents.is_empty());
}

#[test]
fn after_a_pull_device_and_station_hold_the_same_values_for_every_record() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let spec = doorstep_core::demo::DemoSpec {
        seed: 11,
        households: 60,
        beats: vec![],
        max_visits: 2,
        today: chrono::Utc::now().date_naive(),
    };
    doorstep_core::demo::generate(&mut zhang.store, &spec).unwrap();
    let report = zhang.sync();
    assert_eq!(report.pushed as i64, report.acked_seq);
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    wang.sync();

    let db = station.db();
    let mut stmt = db
        .prepare("SELECT entity, id, fields FROM records")
        .unwrap();
    let rows: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(rows.len() > 100);
    for (entity, id, fields) in rows {
        let station_fields: serde_json::Value = serde_json::from_str(&fields).unwrap();
        let id: uuid::Uuid = id.parse().unwrap();
        let local = match entity.as_str() {
            "household" => serde_json::to_value(wang.store.get::<Household>(id).unwrap()).unwrap(),
            "visit" => serde_json::to_value(wang.store.get::<Visit>(id).unwrap()).unwrap(),
            "resident" => serde_json::to_value(wang.store.get::<Resident>(id).unwrap()).unwrap(),
            _ => continue,
        };
        // A confidential concern's reporter, raised in a visit, is not among that visit's people
        // met on another officer's laptop (see the trust tests).
        let hidden: Vec<String> = db
            .prepare(
                "SELECT json_extract(fields, '$.reporter_id') FROM records WHERE entity = 'concern'
                 AND json_extract(fields, '$.visit_id') = ?1 AND json_extract(fields, '$.confidential') = 1
                 AND json_extract(fields, '$.reporter_id') IS NOT NULL",
            )
            .unwrap()
            .query_map([id.to_string()], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (k, v) in station_fields.as_object().unwrap() {
            let v = match (k.as_str(), v) {
                ("met", serde_json::Value::Array(met)) => serde_json::Value::Array(
                    met.iter()
                        .filter(|m| !hidden.iter().any(|h| m.as_str() == Some(h)))
                        .cloned()
                        .collect(),
                ),
                _ => v.clone(),
            };
            assert_eq!(local[k], v, "{entity} {id} field {k}");
        }
    }
}

#[test]
fn staff_reassign_a_task_and_the_laptops_of_the_beat_receive_it() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路3号");
    let task = doorstep_core::model::Task::new(
        h.id,
        "回访：楼道照明",
        "张警官",
        chrono::Utc::now().date_naive(),
    );
    zhang.store.save(&task).unwrap();
    zhang.sync();
    wang.sync();

    let (status, body) = station.get("tasks");
    assert_eq!(status, 200);
    assert!(
        body.contains("回访：楼道照明") && body.contains("幸福路3号"),
        "{body}"
    );
    let (status, body) = station.post(
        &format!("tasks/{}/assign", task.id),
        &serde_json::json!({"staff": "李所长", "assignee": "王警官", "due_date": "2030-01-31"}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, _) = station.post(
        &format!("tasks/{}/assign", task.id),
        &serde_json::json!({"staff": "李所长", "assignee": "王警官", "due_date": "not a date"}),
    );
    assert_eq!(status, 400, "a bad date is refused with a reason");
    zhang.sync();
    wang.sync();
    for device in [&zhang, &wang] {
        let got: doorstep_core::model::Task = device.store.get(task.id.0).unwrap();
        assert_eq!(
            got.assignee,
            station.account_id("王警官"),
            "the account, not the name"
        );
        assert_eq!(got.due_date.to_string(), "2030-01-31");
    }
    assert_eq!(
        station.count("SELECT count(*) FROM staff_actions WHERE action = 'assign_task'"),
        1
    );
}

#[test]
fn a_task_assigned_to_an_officer_of_another_beat_reaches_their_laptop_and_leaves_it_when_reassigned()
 {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "和平社区");
    // Wang's beat: a household with a concern and a follow-up task Wang assigned to himself.
    let h = new_household(&mut wang, "和平社区", "和平街8号");
    let concern = doorstep_core::model::Concern::new(
        h.id,
        doorstep_core::model::ConcernCategory::Dispute,
        "邻里噪音纠纷",
    );
    wang.store.save(&concern).unwrap();
    let mut task = doorstep_core::model::Task::new(
        h.id,
        "调解噪音纠纷",
        "王警官",
        chrono::Utc::now().date_naive(),
    );
    task.concern_id = Some(concern.id);
    wang.store.save(&task).unwrap();
    wang.sync();
    zhang.sync();
    assert!(
        zhang
            .store
            .get::<doorstep_core::model::Task>(task.id.0)
            .is_err(),
        "not Zhang's beat"
    );

    // Staff give it to Zhang: his laptop receives the task with its household and concern.
    let assign = |assignee: &str| {
        let (status, body) = station.post(
            &format!("tasks/{}/assign", task.id),
            &serde_json::json!({"staff": "李所长", "assignee": assignee, "due_date": "2030-01-31"}),
        );
        assert_eq!(status, 200, "{body}");
    };
    assign("张警官");
    zhang.sync();
    assert_eq!(zhang.household(h.id.0).address, "和平街8号");
    assert_eq!(
        zhang
            .store
            .get::<doorstep_core::model::Concern>(concern.id.0)
            .unwrap()
            .summary,
        "邻里噪音纠纷"
    );
    let work = zhang.store.open_work().unwrap();
    assert_eq!(work.tasks.len(), 1, "in Zhang's open work");
    assert_eq!(work.tasks[0].address, "和平街8号");
    assert!(
        work.concerns.is_empty(),
        "Wang's beat's concerns stay Wang's"
    );

    // Zhang's result reaches Wang; staff hand it back and it leaves Zhang's list.
    let mut done: doorstep_core::model::Task = zhang.store.get(task.id.0).unwrap();
    done.result = "已上门调解".into();
    zhang.store.save(&done).unwrap();
    zhang.sync();
    wang.sync();
    assert_eq!(
        wang.store
            .get::<doorstep_core::model::Task>(task.id.0)
            .unwrap()
            .result,
        "已上门调解"
    );
    assign("王警官");
    zhang.sync();
    assert_eq!(
        zhang
            .store
            .get::<doorstep_core::model::Task>(task.id.0)
            .unwrap()
            .assignee,
        station.account_id("王警官"),
        "Zhang's laptop learns it is no longer his"
    );
    assert!(zhang.store.open_work().unwrap().tasks.is_empty());
}
