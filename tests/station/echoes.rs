//! A laptop does not download again what it has just pushed: the push's answer gives the versions
//! of the records it wrote as sent, and the pull of the same sync leaves them out. Whatever the
//! station merged into a record (another officer's edit, staff's decision) still comes, and no other
//! laptop — nor the pushing one, naming the wrong changes — is kept from anything.

use crate::support::*;
use doorstep_core::model::Household;

/// `beat:幸福社区`, as a query string carries it.
const BEAT: &str = "beat%3A%E5%B9%B8%E7%A6%8F%E7%A4%BE%E5%8C%BA";

/// The station's version of every record, by id.
fn station_versions(station: &Station) -> std::collections::BTreeMap<String, i64> {
    let db = station.db();
    let mut stmt = db.prepare("SELECT id, version FROM records").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn a_laptop_does_not_download_its_own_pushed_records_and_holds_their_station_versions() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let mut made = Vec::new();
    for i in 0..700 {
        let h = new_household(&mut zhang, "幸福社区", &format!("和平路{i}号"));
        new_visit(&mut zhang, &h, "走访");
        made.push(h);
    }
    let report = zhang.sync();
    assert_eq!(report.pushed, 1400);
    assert_eq!(
        report.pulled, 0,
        "its own 1,400 records came back: {report:?}"
    );
    // Its records carry the station's versions, as a pull would have set them.
    let versions = station_versions(&station);
    for h in &made {
        let local = zhang.household(h.id.0).version;
        assert_eq!(
            local,
            versions[&h.id.0.hyphenated().to_string()],
            "{}",
            h.address
        );
    }
    // Everyone else of the beat receives them all.
    assert_eq!(li.sync().pulled, 1400);

    // The next edit is based on the station's version: applied as an edit, no conflict.
    let mut h: Household = zhang.household(made[0].id.0);
    let before = h.version;
    h.contact_phone = "13800138000".into();
    zhang.store.save(&h).unwrap();
    let report = zhang.sync();
    assert_eq!((report.pushed, report.pulled, report.conflicts), (1, 0, 0));
    assert!(zhang.household(h.id.0).version > before);
    assert_eq!(li.sync().pulled, 1);
    assert_eq!(
        li.household(h.id.0).contact_phone,
        "13800138000",
        "li has zhang's edit"
    );
}

#[test]
fn what_the_station_merged_into_a_pushed_record_still_comes_back() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路8号");
    zhang.sync();
    li.sync();
    // Both edit the household offline, each a field of their own; li syncs first.
    let mut theirs: Household = li.household(h.id.0);
    theirs.contact_phone = "13900139000".into();
    li.store.save(&theirs).unwrap();
    li.sync();
    let mut mine: Household = zhang.household(h.id.0);
    mine.notes = "独居老人，每周回访".into();
    zhang.store.save(&mine).unwrap();
    let report = zhang.sync();
    assert_eq!(
        report.pulled, 1,
        "the merged household comes back: {report:?}"
    );
    let merged = zhang.household(h.id.0);
    assert_eq!(
        merged.contact_phone, "13900139000",
        "li's edit reached zhang"
    );
    assert_eq!(merged.notes, "独居老人，每周回访");
    assert_eq!(
        merged.version,
        station_versions(&station)[&h.id.0.hyphenated().to_string()]
    );
    // A later push of zhang's over li's edit, having seen it, is zhang's own again.
    let mut again: Household = zhang.household(h.id.0);
    again.notes = "已回访".into();
    zhang.store.save(&again).unwrap();
    assert_eq!(zhang.sync().pulled, 0);
    assert_eq!(li.sync().pulled, 1);
    assert_eq!(li.household(h.id.0).notes, "已回访");
}

#[test]
fn naming_another_laptops_changes_hides_nothing_of_theirs() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let li = Device::new(&station, "李警官", "幸福社区");
    for i in 0..5 {
        new_household(&mut zhang, "幸福社区", &format!("和平路{i}号"));
    }
    zhang.sync();
    // li's laptop names every sequence there is as pushed by it: zhang's records still come.
    let li_id = li.store.device().unwrap().device_id;
    let (status, body) = station.request(
        "GET",
        &format!(
            "pull?device_id={li_id}&scope={BEAT}&cursor=0&pushed_after=0&pushed_through=9223372036854775807"
        ),
        &li.credential(),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let page: doorstep_protocol::PullResponse = serde_json::from_str(&body).unwrap();
    assert_eq!(page.records.len(), 5);
    // zhang's own laptop naming them again in a later pull from 0 is spared them — only it.
    let zhang_id = zhang.store.device().unwrap().device_id;
    let (_, body) = station.request(
        "GET",
        &format!("pull?device_id={zhang_id}&scope={BEAT}&cursor=0&pushed_after=0&pushed_through=5"),
        &zhang.credential(),
        None,
    );
    let page: doorstep_protocol::PullResponse = serde_json::from_str(&body).unwrap();
    assert!(page.records.is_empty(), "{body}");
    assert!(
        page.cursor >= 5,
        "the cursor passes what it left out: {body}"
    );
    // Without the range, everything comes, as for a laptop from before it.
    let (_, body) = station.request(
        "GET",
        &format!("pull?device_id={zhang_id}&scope={BEAT}&cursor=0"),
        &zhang.credential(),
        None,
    );
    let page: doorstep_protocol::PullResponse = serde_json::from_str(&body).unwrap();
    assert_eq!(page.records.len(), 5);
}

/// An officer's follow-ups in his own beat come with the beat, once: the tasks scope (tasks
/// assigned to him elsewhere, with what each is about) neither sends them again nor their
/// households and concerns. Before, every follow-up the station had completed (a task assigned by
/// name, as the CLI demo and a ledger made before enrolment do, is stored naming the account) came
/// back twice with its household and concern — 2,125 records after the demo's whole sync — and a
/// second laptop of the officer downloaded each such record twice.
#[test]
fn an_officers_own_follow_ups_come_with_the_beat_once() {
    use doorstep_core::model::{Concern, ConcernCategory, Task};
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let account = station.account_id("张警官");
    let due = chrono::Utc::now().date_naive();
    let follow_ups = 30;
    for i in 0..follow_ups {
        let h = new_household(&mut zhang, "幸福社区", &format!("和平路{i}号"));
        let concern = Concern::new(h.id, ConcernCategory::Dispute, "邻里噪音纠纷");
        zhang.store.save(&concern).unwrap();
        // Half assigned by name (the station names the account instead), half as a laptop of now
        // assigns them, by account.
        let assignee = if i % 2 == 0 { "张警官" } else { &account };
        let mut task = Task::new(h.id, "调解噪音纠纷", assignee, due);
        task.concern_id = Some(concern.id);
        zhang.store.save(&task).unwrap();
    }
    let report = zhang.sync();
    assert_eq!(report.pushed, follow_ups * 3);
    assert_eq!(
        report.pulled,
        follow_ups / 2,
        "only the tasks the station completed come back, once: {report:?}"
    );
    let named: i64 = zhang
        .store
        .conn()
        .query_row(
            "SELECT count(*) FROM tasks WHERE assignee = ?1",
            [&account],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(named, follow_ups as i64, "every task names the account");

    // The officer's second laptop downloads every record of the beat once.
    let mut second = Device::new(&station, "张警官", "幸福社区");
    assert_eq!(second.sync().pulled, follow_ups * 3);
    assert_eq!(
        second.store.open_work().unwrap().tasks.len(),
        follow_ups as usize
    );

    // The beat given to Wang: Zhang's laptop keeps his follow-ups with what they are about, and
    // from then on their changes reach it through the tasks scope.
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    wang.sync();
    station.set_beats("张警官", &["和平社区"]);
    zhang.sync();
    assert_eq!(
        zhang.store.open_work().unwrap().tasks.len(),
        follow_ups as usize
    );
    let task = zhang.store.open_work().unwrap().tasks[0].task.clone();
    let mut household: Household = wang.household(task.household_id.0);
    household.contact_phone = "13800138000".into();
    wang.store.save(&household).unwrap();
    wang.sync();
    let (status, body) = station.post(
        &format!("tasks/{}/assign", task.id),
        &serde_json::json!({"staff": "李所长", "assignee": "张警官", "due_date": "2030-01-31"}),
    );
    assert_eq!(status, 200, "{body}");
    let report = zhang.sync();
    assert_eq!(
        report.pulled, 3,
        "the task, with its household and concern: {report:?}"
    );
    assert_eq!(zhang.household(household.id.0).contact_phone, "13800138000");
    let task: Task = zhang.store.get(task.id.0).unwrap();
    assert_eq!(task.due_date.to_string(), "2030-01-31");
}
