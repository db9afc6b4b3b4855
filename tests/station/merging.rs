//! What two officers' offline edits become at the station and back on their laptops.

use crate::support::{Device, SharedHousehold, Station, new_household};
use doorstep_core::model::{Household, Resident, Tag, Visit};

#[test]
fn two_officers_edit_different_fields_of_one_household_offline_and_both_edits_survive() {
    let SharedHousehold {
        station,
        mut zhang,
        mut wang,
        household: h,
    } = SharedHousehold::start("幸福路12号");

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
    let SharedHousehold {
        station,
        mut zhang,
        mut wang,
        household: h,
    } = SharedHousehold::start("幸福路12号");

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
    let SharedHousehold {
        station,
        mut zhang,
        mut wang,
        household: h,
    } = SharedHousehold::start("幸福路12号");

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

/// Two officers' phones, A (张) and B (王, later: applied for now), are queued as a conflict; then
/// 张 pulls, sees B and writes C. The conflict now stands between A and C: the queue shows C as
/// 张's, a choice made on the queue as it was before (A against B) is refused, and choosing from
/// the queue as it is now never brings back B, which 张 had seen and replaced.
#[test]
fn a_conflict_follows_a_later_edit_of_its_field_and_a_choice_made_before_is_refused() {
    let SharedHousehold {
        station,
        mut zhang,
        mut wang,
        household: h,
    } = SharedHousehold::start("幸福路12号");
    let phone = |device: &mut Device, value: &str| {
        let seen = device.household(h.id.0);
        let mut edited = seen.clone();
        edited.contact_phone = value.into();
        device.store.save_edit(&seen, &edited).unwrap();
    };
    phone(&mut zhang, "13800000001");
    phone(&mut wang, "13900000002");
    zhang.sync();
    assert_eq!(wang.sync().conflicts, 1);
    zhang.sync();
    let (_, body) = station.get("conflicts");
    let before: serde_json::Value = serde_json::from_str(&body).unwrap();
    let before = before[0].clone();
    assert_eq!(before["applied"], "incoming");
    assert_eq!(before["incoming_value"], "13900000002");

    phone(&mut zhang, "13700000003");
    assert_eq!(zhang.sync().conflicts, 0, "张 had seen 王's value");
    let (_, body) = station.get("conflicts");
    let queue: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let now = &queue[0];
    assert_eq!(now["station_value"], "13800000001");
    assert_eq!(now["station_by"], "张警官");
    assert_eq!(
        now["incoming_value"], "13700000003",
        "the applied side follows"
    );
    assert_eq!(now["incoming_by"], "张警官", "and names who wrote it");

    // Chosen on the queue as it was: refused, nothing written.
    let id = before["id"].as_i64().unwrap();
    let stale = serde_json::json!({
        "value": "13900000002",
        "seen": {"station_value": before["station_value"], "incoming_value": before["incoming_value"]},
    });
    let (status, body) = station.post(&format!("conflicts/{id}/resolve"), &stale);
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("changed since"), "{body}");
    zhang.sync();
    assert_eq!(zhang.household(h.id.0).contact_phone, "13700000003");

    // Chosen on the queue as it is: the applied side is 张's latest phone.
    let fresh = serde_json::json!({
        "value": now["incoming_value"],
        "seen": {"station_value": now["station_value"], "incoming_value": now["incoming_value"]},
    });
    let (status, body) = station.post(&format!("conflicts/{id}/resolve"), &fresh);
    assert_eq!(status, 200, "{body}");
    zhang.sync();
    wang.sync();
    for device in [&zhang, &wang] {
        assert_eq!(device.household(h.id.0).contact_phone, "13700000003");
    }
}

/// 王 deletes a household without having seen 张's edit: the delete waits in the queue. 王 then
/// pulls, sees the edit and deletes again, knowingly: that settles the queued delete, so no staff
/// choice taken from the old queue can bring the household back.
#[test]
fn a_queued_delete_is_settled_by_a_later_delete_that_saw_the_edit() {
    let SharedHousehold {
        station,
        mut zhang,
        mut wang,
        household: h,
    } = SharedHousehold::start("幸福路12号");
    let seen = zhang.household(h.id.0);
    let mut edited = seen.clone();
    edited.notes = "独居老人".into();
    zhang.store.save_edit(&seen, &edited).unwrap();
    zhang.sync();
    wang.store.delete::<Household>(h.id.0).unwrap();
    assert_eq!(wang.sync().conflicts, 1);
    assert!(
        !wang.household(h.id.0).deleted,
        "the delete waits for staff"
    );
    wang.store.delete::<Household>(h.id.0).unwrap();
    wang.sync();
    assert_eq!(
        station.count("SELECT count(*) FROM conflicts WHERE status = 'open'"),
        0,
        "nothing left to decide"
    );
    let (_, body) = station.get("conflicts");
    assert_eq!(body.trim(), "[]");
    let id: i64 = station
        .db()
        .query_row("SELECT id FROM conflicts", [], |r| r.get(0))
        .unwrap();
    let (status, body) = station.post(
        &format!("conflicts/{id}/resolve"),
        &serde_json::json!({"value": false}),
    );
    assert_eq!(status, 409, "{body}");
    zhang.sync();
    assert!(zhang.household(h.id.0).deleted);
}
