//! The sync's promises under the ordinary events of a station's life, against a real station: the
//! station decides what each laptop may write (beats, confidential reporters, forged bases) and
//! says what it refused; a restored or re-enrolled laptop loses nothing; a delete never silently
//! beats a concurrent edit.

use crate::support::{Device, Station, new_household};
use doorstep_core::model::{Concern, ConcernCategory, Household};
use doorstep_protocol::{PushRequest, PushResponse};

/// A push made by hand with the laptop's credential: what a hostile or broken laptop could send.
fn raw_push(station: &Station, device: &Device, request: &PushRequest) -> PushResponse {
    let body = serde_json::to_value(request).unwrap();
    let (status, body) = station.request("POST", "push", &device.credential(), Some(&body));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The station's copy of a record's fields (JSON), if it has the record.
fn station_fields(station: &Station, id: uuid::Uuid) -> Option<serde_json::Value> {
    let fields: Option<String> = station
        .db()
        .query_row(
            "SELECT fields FROM records WHERE id = ?1",
            [id.hyphenated().to_string()],
            |r| r.get(0),
        )
        .ok();
    fields.map(|f| serde_json::from_str(&f).unwrap())
}

/// The last change this laptop logged, as it would push it.
fn last_change(device: &Device) -> doorstep_core::store::changes::Change {
    device
        .store
        .changes_after(0, 100_000)
        .unwrap()
        .pop()
        .unwrap()
}

/// Zhang records a confidential concern reported by 举报人甲 in 幸福社区; Li works the same beat.
/// Both have synced.
fn confidential_concern_seen_by_two(station: &Station) -> (Device, Device, Concern) {
    let mut zhang = Device::new(station, "张警官", "幸福社区");
    let mut li = Device::new(station, "李警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路1号");
    let mut concern = Concern::new(h.id, ConcernCategory::CrimeLead, "楼下有人深夜聚赌");
    concern.reporter_name = "举报人甲".into();
    concern.confidential = true;
    zhang.store.save(&concern).unwrap();
    zhang.sync();
    li.sync();
    (zhang, li, concern)
}

fn refused_actions(station: &Station) -> Vec<serde_json::Value> {
    let (status, body) = station.get("audit?action=change_refused");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[test]
fn an_officer_adding_a_household_to_another_beat_is_refused_told_why_and_can_correct_it() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "和平社区");
    let stray = new_household(&mut zhang, "和平社区", "和平街9号");
    let mine = new_household(&mut zhang, "幸福社区", "幸福路1号");

    let report = zhang.sync();
    assert_eq!(report.refused, 1, "{report:?}");
    assert_eq!(
        report.acked_seq, 2,
        "the refused change does not wedge the queue"
    );
    assert_eq!(zhang.store.sync_status().unwrap().unsent, 0);
    assert!(station_fields(&station, stray.id.0).is_none());
    assert!(station_fields(&station, mine.id.0).is_some());
    let status: String = station
        .db()
        .query_row(
            "SELECT status || ' ' || refusal FROM changes WHERE entity_id = ?1",
            [stray.id.0.hyphenated().to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        status.starts_with("refused ") && status.contains("outside_beats"),
        "{status}"
    );
    let trail = refused_actions(&station);
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert!(trail[0]["detail"].as_str().unwrap().contains("和平社区"));

    wang.sync();
    assert!(
        wang.store.get::<Household>(stray.id.0).is_err(),
        "the other beat's laptop never receives it"
    );

    // The officer sees the refusal; the record stays on the laptop, marked, to correct.
    let refusals = zhang.store.refusals().unwrap();
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0].reason, "outside_beats");
    assert!(!refusals[0].restored);
    assert_eq!(refusals[0].label, "和平街9号");
    let mut corrected = zhang.household(stray.id.0);
    corrected.beat = "幸福社区".into();
    zhang.store.save(&corrected).unwrap();
    assert!(zhang.store.refusals().unwrap().is_empty());
    assert_eq!(zhang.sync().refused, 0);
    let kept = station_fields(&station, stray.id.0).expect("the correction arrives whole");
    assert_eq!(kept["beat"], "幸福社区");
    assert_eq!(kept["address"], "和平街9号");
}

/// The answer that said "refused" never reached the laptop (the connection dropped): the laptop
/// sends the change again, and the station, which holds it as refused, says so again. Before, the
/// re-sent change counted as a plain replay, and the laptop kept for good a household the station
/// does not have, never told. The same holds for a laptop restored from a copy taken before.
#[test]
fn a_refusal_whose_answer_was_lost_is_told_again_when_the_change_is_resent() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let stray = new_household(&mut zhang, "和平社区", "和平街9号");
    let changes = zhang.store.changes_after(0, 100).unwrap();
    let device_id = zhang.store.device().unwrap().device_id;
    let lost = raw_push(&station, &zhang, &PushRequest { device_id, changes });
    assert_eq!(
        lost.refused.len(),
        1,
        "the station refused it, but nobody heard"
    );
    assert!(zhang.store.refusals().unwrap().is_empty());

    let report = zhang.sync();
    assert_eq!(report.refused, 1, "{report:?}");
    let refusals = zhang.store.refusals().unwrap();
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0].reason, "outside_beats");
    assert_eq!(refusals[0].label, "和平街9号");
    assert_eq!(
        station.count("SELECT count(*) FROM changes"),
        1,
        "stored once"
    );
    assert_eq!(
        refused_actions(&station).len(),
        1,
        "and refused once in the audit trail"
    );
    // Told once: a later sync does not raise it again once the officer has dealt with it.
    zhang
        .store
        .dismiss_refusal(&refusals[0].change_id, true)
        .unwrap();
    assert_eq!(zhang.sync().refused, 0);
    assert!(
        zhang
            .store
            .get::<Household>(stray.id.0)
            .map_or(true, |h| h.deleted),
        "discarded (and, outside the officer's beats, taken off the laptop)"
    );
}

#[test]
fn a_refused_new_record_can_be_discarded_and_nothing_is_sent() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let stray = new_household(&mut zhang, "和平社区", "和平街9号");
    zhang.sync();
    let refusal = zhang.store.refusals().unwrap().remove(0);
    zhang
        .store
        .dismiss_refusal(&refusal.change_id, true)
        .unwrap();
    assert!(zhang.household(stray.id.0).deleted);
    assert!(zhang.store.refusals().unwrap().is_empty());
    assert_eq!(zhang.store.sync_status().unwrap().unsent, 0);
    assert_eq!(zhang.sync().pushed, 0);
}

#[test]
fn moving_a_household_out_of_the_officers_beats_is_refused_and_the_laptop_takes_the_stations_copy_back()
 {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路1号");
    zhang.sync();
    let mut moved = zhang.household(h.id.0);
    moved.beat = "和平社区".into();
    moved.notes = "搬走了".into();
    zhang.store.save(&moved).unwrap();

    let report = zhang.sync();
    assert_eq!(report.refused, 1);
    assert_eq!(
        station_fields(&station, h.id.0).unwrap()["beat"],
        "幸福社区"
    );
    let back = zhang.household(h.id.0);
    assert_eq!(
        back.beat, "幸福社区",
        "the laptop's copy is the station's again"
    );
    assert_eq!(back.notes, "");
    let refusal = &zhang.store.refusals().unwrap()[0];
    assert!(refusal.restored);
    assert_eq!(
        refusal.household_id.as_deref(),
        Some(h.id.0.hyphenated().to_string().as_str())
    );
}

#[test]
fn a_laptop_editing_another_beats_record_by_hand_changes_nothing_there() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "和平社区");
    let theirs = new_household(&mut wang, "和平社区", "和平街1号");
    wang.sync();

    // Zhang's laptop forges an edit of Wang's household (its first change, made by hand).
    new_household(&mut zhang, "幸福社区", "幸福路1号");
    let mut change = last_change(&zhang);
    change.change_id = doorstep_core::ids::ChangeId::new();
    change.entity_id = theirs.id.0;
    change.base_version = 1;
    change.fields =
        serde_json::from_value(serde_json::json!({"contact_phone": "13000000000"})).unwrap();
    let answer = raw_push(
        &station,
        &zhang,
        &PushRequest {
            device_id: zhang.store.device().unwrap().device_id,
            changes: vec![change],
        },
    );
    assert_eq!(answer.acked_seq, 1);
    assert_eq!(answer.refused.len(), 1);
    assert_eq!(answer.refused[0].reason, "outside_beats");
    assert!(
        answer.refused[0].station_record.is_none(),
        "the refusal does not hand over the other beat's record"
    );
    assert_eq!(
        station_fields(&station, theirs.id.0).unwrap()["contact_phone"],
        ""
    );
    wang.sync();
    assert_eq!(wang.household(theirs.id.0).contact_phone, "");
}

#[test]
fn a_base_version_above_the_stations_cannot_hide_a_conflict() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路1号");
    zhang.sync();
    li.sync();
    let mut a = zhang.household(h.id.0);
    a.contact_phone = "13800000001".into();
    zhang.store.save(&a).unwrap();
    zhang.sync();

    let mut b = li.household(h.id.0);
    b.contact_phone = "13900000002".into();
    li.store.save(&b).unwrap();
    let mut change = last_change(&li);
    change.base_version = 1_000_000;
    let answer = raw_push(
        &station,
        &li,
        &PushRequest {
            device_id: li.store.device().unwrap().device_id,
            changes: vec![change],
        },
    );
    assert_eq!(answer.refused.len(), 1);
    assert_eq!(answer.refused[0].reason, "base_ahead");
    assert_eq!(
        station_fields(&station, h.id.0).unwrap()["contact_phone"],
        "13800000001"
    );
}

#[test]
fn another_officer_of_the_beat_cannot_unmask_a_confidential_reporter() {
    let station = Station::start();
    let (mut zhang, mut li, concern) = confidential_concern_seen_by_two(&station);
    let mut seen: Concern = li.store.get(concern.id.0).unwrap();
    assert_eq!(seen.reporter_name, "", "withheld from the other officer");

    seen.confidential = false;
    li.store.save(&seen).unwrap();
    let report = li.sync();
    assert_eq!(report.refused, 1);
    let kept = station_fields(&station, concern.id.0).unwrap();
    assert_eq!(kept["confidential"], true);
    assert_eq!(kept["reporter_name"], "举报人甲");
    let back: Concern = li.store.get(concern.id.0).unwrap();
    assert!(
        back.confidential,
        "the laptop takes the station's copy back"
    );
    assert_eq!(back.reporter_name, "", "and still without the reporter");
    li.sync();
    let again: Concern = li.store.get(concern.id.0).unwrap();
    assert_eq!(again.reporter_name, "");
    assert_eq!(li.store.refusals().unwrap()[0].reason, "confidential");

    // The recording officer may lift it.
    let mut own: Concern = zhang.store.get(concern.id.0).unwrap();
    own.confidential = false;
    zhang.store.save(&own).unwrap();
    assert_eq!(zhang.sync().refused, 0);
    assert_eq!(
        station_fields(&station, concern.id.0).unwrap()["confidential"],
        false
    );
}

#[test]
fn a_laptop_restored_from_a_backup_loses_none_of_its_new_work() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    new_household(&mut zhang, "幸福社区", "幸福路1号");
    zhang.sync();
    let stick = tempfile::tempdir().unwrap();
    let made = zhang.store.back_up(None, stick.path(), None).unwrap();
    let lost_life = new_household(&mut zhang, "幸福社区", "幸福路2号");
    new_household(&mut zhang, "幸福社区", "幸福路3号");
    zhang.sync();
    let (path, dir) = zhang.into_file();

    // The laptop is restored from yesterday's backup and the officer works on.
    doorstep_core::store::backup::restore(&path, &made.file, None).unwrap();
    let mut restored = Device::open(&path, dir);
    let after = new_household(&mut restored, "幸福社区", "幸福路4号");
    let again = new_household(&mut restored, "幸福社区", "幸福路5号");
    let report = restored.sync();
    assert_eq!(report.renumbered, 2, "{report:?}");
    assert_eq!(restored.store.sync_status().unwrap().unsent, 0);
    for h in [&after, &again, &lost_life] {
        assert!(
            station_fields(&station, h.id.0).is_some(),
            "{} arrived",
            h.address
        );
    }
    assert_eq!(
        station.count("SELECT count(*) FROM changes"),
        5,
        "each stored once"
    );
    assert_eq!(station.count("SELECT count(*) FROM records"), 5);
    assert!(
        restored.store.get::<Household>(lost_life.id.0).is_ok(),
        "what the lost copy sent comes back"
    );
    // And it goes on syncing normally.
    new_household(&mut restored, "幸福社区", "幸福路6号");
    let report = restored.sync();
    assert_eq!((report.renumbered, report.pushed), (0, 1));
    assert_eq!(station.count("SELECT count(*) FROM records"), 6);
}

/// Households made on `device`, `n` of them, at addresses starting with `street`.
fn households(device: &mut Device, street: &str, n: usize) -> Vec<Household> {
    (0..n)
        .map(|i| new_household(device, "幸福社区", &format!("{street}{i}号")))
        .collect()
}

/// A restored laptop's new work of several batches (sent while the station decides the batch
/// before): the station's first answer says the numbers are taken, before more go out under
/// them; each change is renumbered once, and stored once.
#[test]
fn a_restored_laptop_with_several_batches_of_new_work_sends_each_change_once() {
    let batch = doorstep_sync::PUSH_BATCH as usize;
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let stick = tempfile::tempdir().unwrap();
    let made = zhang.store.back_up(None, stick.path(), None).unwrap();
    let lost_life = households(&mut zhang, "和平路", batch + 200);
    zhang.sync();
    let (path, dir) = zhang.into_file();

    doorstep_core::store::backup::restore(&path, &made.file, None).unwrap();
    let mut restored = Device::open(&path, dir);
    let after = households(&mut restored, "幸福路", 2 * batch + 100);
    let report = restored.sync();
    assert_eq!(report.renumbered as usize, after.len(), "{report:?}");
    assert_eq!(report.pushed as usize, after.len(), "{report:?}");
    assert_eq!(restored.store.sync_status().unwrap().unsent, 0);
    for h in after.iter().chain(&lost_life) {
        assert!(station_fields(&station, h.id.0).is_some(), "{}", h.address);
    }
    let all = (lost_life.len() + after.len()) as i64;
    assert_eq!(
        station.count("SELECT count(*) FROM changes"),
        all,
        "each stored once"
    );
    assert_eq!(station.count("SELECT count(*) FROM records"), all);
}

/// A restored laptop whose unsent changes from before the backup fill a whole batch, after which
/// its other life sent more: the station takes the batch (the same changes again) and
/// acknowledges past it, up to the other life's last change. The laptop's new work moves past
/// those numbers and arrives. Before, the laptop sent that batch again, got the same answer, and
/// gave up after three times: nothing new ever left it.
#[test]
fn a_restored_laptop_whose_batch_ends_where_its_other_life_went_on_sends_its_new_work() {
    let batch = doorstep_sync::PUSH_BATCH as usize;
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let before = households(&mut zhang, "幸福路", batch);
    let stick = tempfile::tempdir().unwrap();
    let made = zhang.store.back_up(None, stick.path(), None).unwrap();
    zhang.sync();
    let lost_life = households(&mut zhang, "和平路", 5);
    zhang.sync();
    let (path, dir) = zhang.into_file();

    doorstep_core::store::backup::restore(&path, &made.file, None).unwrap();
    let mut restored = Device::open(&path, dir);
    let after = households(&mut restored, "团结路", 20);
    let report = restored.sync();
    assert_eq!(restored.store.sync_status().unwrap().unsent, 0);
    assert_eq!(report.renumbered, 20, "{report:?}");
    for h in before.iter().chain(&lost_life).chain(&after) {
        assert!(station_fields(&station, h.id.0).is_some(), "{}", h.address);
    }
    let all = (before.len() + lost_life.len() + after.len()) as i64;
    assert_eq!(
        station.count("SELECT count(*) FROM changes"),
        all,
        "each stored once"
    );
    for h in &lost_life {
        assert!(
            restored.store.get::<Household>(h.id.0).is_ok(),
            "what the lost copy sent comes back"
        );
    }
}

#[test]
fn a_laptop_enrolled_with_a_new_station_sends_its_new_work_there() {
    let first = Station::start();
    let mut zhang = Device::new(&first, "张警官", "幸福社区");
    new_household(&mut zhang, "幸福社区", "幸福路1号");
    new_household(&mut zhang, "幸福社区", "幸福路2号");
    zhang.sync();

    let second = Station::start();
    let code = second.enrollment_code("张警官", "幸福社区");
    doorstep_sync::enroll(&mut zhang.store, &second.url, &code).unwrap();
    let h = new_household(&mut zhang, "幸福社区", "幸福路3号");
    let report = zhang.sync();
    assert_eq!(report.pushed, 1, "{report:?}");
    assert!(
        !report.station_went_back,
        "another station is not one restored: {report:?}"
    );
    assert!(station_fields(&second, h.id.0).is_some());
    assert_eq!(zhang.store.sync_status().unwrap().unsent, 0);
}

#[test]
fn a_revoked_laptop_can_be_enrolled_again_for_another_officer() {
    let station = Station::start();
    let mut laptop = Device::new(&station, "张警官", "幸福社区");
    new_household(&mut laptop, "幸福社区", "幸福路1号");
    laptop.sync();
    let id = laptop.store.device().unwrap().device_id.to_string();
    let code = station.enrollment_code("王警官", "幸福社区");
    let refused = doorstep_sync::enroll(&mut laptop.store, &station.url, &code).unwrap_err();
    assert!(
        refused.to_string().contains("409") || refused.to_string().contains("revoke"),
        "{refused}"
    );

    let (status, body) = station.request(
        "POST",
        &format!("devices/{id}/revoke"),
        &station.admin_token,
        Some(&serde_json::json!({"wipe": false})),
    );
    assert_eq!(status, 204, "{body}");
    let code = station.enrollment_code("王警官", "幸福社区");
    let enrolment = doorstep_sync::enroll(&mut laptop.store, &station.url, &code).unwrap();
    assert_eq!(enrolment.officer_name, "王警官");
    let h = new_household(&mut laptop, "幸福社区", "幸福路2号");
    laptop.sync();
    assert!(station_fields(&station, h.id.0).is_some());
}

#[test]
fn a_delete_made_before_another_officers_edit_is_a_conflict_and_the_edit_stays() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路12号");
    zhang.sync();
    li.sync();

    let mut edited = li.household(h.id.0);
    edited.notes = "老人独居，需每月回访".into();
    li.store.save(&edited).unwrap();
    li.sync();
    zhang.store.delete::<Household>(h.id.0).unwrap();
    let report = zhang.sync();
    assert_eq!(report.conflicts, 1, "{report:?}");
    let kept = station_fields(&station, h.id.0).unwrap();
    assert_eq!(kept["deleted"], false, "not deleted until staff decide");
    assert_eq!(kept["notes"], "老人独居，需每月回访");
    let id: i64 = station
        .db()
        .query_row(
            "SELECT id FROM conflicts WHERE status = 'open' AND field = 'deleted'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    li.sync();
    assert!(!li.household(h.id.0).deleted);

    // Staff decide to delete after all: every laptop follows.
    let (status, body) = station.post(
        &format!("conflicts/{id}/resolve"),
        &serde_json::json!({"staff": "李所长", "value": true}),
    );
    assert_eq!(status, 200, "{body}");
    zhang.sync();
    li.sync();
    assert!(li.household(h.id.0).deleted);
    assert!(zhang.household(h.id.0).deleted);
}

#[test]
fn a_laptop_whose_clock_runs_two_days_fast_does_not_win_over_later_edits_or_staff() {
    let station = Station::start();
    let mut fast = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let h = new_household(&mut li, "幸福社区", "幸福路1号");
    li.sync();
    fast.sync();

    // The fast laptop edits the phone with a clock 48 hours ahead ...
    let mut stale = fast.household(h.id.0);
    stale.contact_phone = "13000000001".into();
    fast.store.save(&stale).unwrap();
    let mut change = last_change(&fast);
    change.hlc.ms += 48 * 3600 * 1000;
    let answer = raw_push(
        &station,
        &fast,
        &PushRequest {
            device_id: fast.store.device().unwrap().device_id,
            changes: vec![change],
        },
    );
    assert!(
        answer.clock_ahead_ms.unwrap() > 47 * 3600 * 1000,
        "{answer:?}"
    );
    let trail = {
        let (_, body) = station.get("audit?action=clock_ahead");
        body
    };
    assert!(trail.contains("clock_ahead"), "{trail}");
    // ... and then an officer with a correct clock, who had not seen it, edits it later: the later
    // edit is the one applied for now, with the conflict queued.
    let mut later = li.household(h.id.0);
    later.contact_phone = "13900000002".into();
    li.store.save(&later).unwrap();
    assert_eq!(li.sync().conflicts, 1);
    assert_eq!(
        station_fields(&station, h.id.0).unwrap()["contact_phone"],
        "13900000002"
    );

    // Staff settle it; the fast laptop's next concurrent edit does not override the decision.
    let id: i64 = station
        .db()
        .query_row("SELECT id FROM conflicts WHERE status = 'open'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let (status, body) = station.post(
        &format!("conflicts/{id}/resolve"),
        &serde_json::json!({"staff": "李所长", "value": "13800000003"}),
    );
    assert_eq!(status, 200, "{body}");
    let mut again = fast.household(h.id.0);
    again.contact_phone = "13000000004".into();
    fast.store.save(&again).unwrap();
    fast.sync();
    assert_eq!(
        station_fields(&station, h.id.0).unwrap()["contact_phone"],
        "13800000003",
        "the staff decision stands"
    );
}

#[test]
fn a_laptop_observes_the_stations_clock_on_every_sync() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    // A laptop whose clock state was left far behind (a dead battery) ...
    zhang
        .store
        .conn()
        .execute("UPDATE device SET hlc_ms = 1000, hlc_counter = 0", [])
        .unwrap();
    let report = zhang.sync();
    assert_eq!(
        report.clock_skew_ms, None,
        "the laptop's own clock is right"
    );
    let hlc: i64 = zhang
        .store
        .conn()
        .query_row("SELECT hlc_ms FROM device", [], |r| r.get(0))
        .unwrap();
    assert!(
        hlc > chrono::Utc::now().timestamp_millis() - 60_000,
        "its hybrid clock has caught up with the station's"
    );
}

#[test]
fn a_confidential_reporter_leaks_through_no_conflict_and_no_audit_line() {
    let station = Station::start();
    let chief_password = "chief-password-1";
    station.create_account("chief", "王所长", &["chief"], &[], chief_password);
    let chief = station.sign_in("chief", chief_password);
    let (mut zhang, mut li, concern) = confidential_concern_seen_by_two(&station);

    // Li deletes the concern; Zhang, offline, corrects its reporter: an edit of a deleted record.
    li.store.delete::<Concern>(concern.id.0).unwrap();
    li.sync();
    let mut own: Concern = zhang.store.get(concern.id.0).unwrap();
    own.reporter_name = "举报人乙".into();
    zhang.store.save(&own).unwrap();
    assert_eq!(zhang.sync().conflicts, 1);

    let (status, body) = station.get("conflicts");
    assert_eq!(status, 200);
    assert!(
        !body.contains("举报人乙"),
        "staff do not see the reporter: {body}"
    );
    assert!(body.contains("（保密）"), "{body}");
    let id: i64 = station
        .db()
        .query_row("SELECT id FROM conflicts WHERE field = '*'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let (status, _) = station.post(
        &format!("conflicts/{id}/resolve"),
        &serde_json::json!({"value": true}),
    );
    assert_eq!(status, 403, "only the chief settles it");
    let (_, queue) = station.request("GET", "conflicts", &chief, None);
    assert!(queue.contains("举报人乙"), "the chief sees it: {queue}");
    let restore: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(&queue).unwrap()[0]["incoming_value"].clone();
    let (status, body) = station.request(
        "POST",
        &format!("conflicts/{id}/resolve"),
        &chief,
        Some(&serde_json::json!({ "value": restore })),
    );
    assert_eq!(status, 200, "{body}");

    // The administrator's audit trail and its CSV carry no reporter.
    let (status, trail) = station.request("GET", "audit", &station.admin_token, None);
    assert_eq!(status, 200);
    let (status, csv) = station.request_bytes("GET", "audit/export", &station.admin_token, None);
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    for text in [&trail, &csv] {
        assert!(!text.contains("举报人"), "{text}");
    }
}

#[test]
fn two_officers_called_zhang_wei_never_receive_each_others_tasks() {
    use doorstep_core::model::Task;
    let station = Station::start();
    station.create_account(
        "zw1",
        "张伟",
        &["officer"],
        &["幸福社区"],
        "officer-password-1",
    );
    station.create_account(
        "zw2",
        "张伟",
        &["officer"],
        &["和平社区"],
        "officer-password-2",
    );
    let (first, second) = (station.account_id("zw1"), station.account_id("zw2"));
    let mut a = Device::new(&station, "zw1", "幸福社区");
    let mut b = Device::new(&station, "zw2", "和平社区");
    a.sync();
    b.sync();
    assert_eq!(a.store.device().unwrap().officer_name, "张伟");
    assert_eq!(
        a.store.device().unwrap().account_id.as_deref(),
        Some(first.as_str())
    );
    assert_eq!(
        a.store.officers().unwrap().len(),
        2,
        "both, told apart by beat"
    );

    // The first 张伟 records a task for himself, by his name (as an older laptop would).
    let h = new_household(&mut a, "幸福社区", "幸福路1号");
    let task = Task::new(h.id, "上门回访", "张伟", chrono::Utc::now().date_naive());
    a.store.save(&task).unwrap();
    assert_eq!(a.sync().refused, 0);
    let stored = station_fields(&station, task.id.0).unwrap();
    assert_eq!(stored["assignee"], first, "the name became his account");
    b.sync();
    assert!(
        b.store.get::<Task>(task.id.0).is_err(),
        "the other 张伟 has nothing of it"
    );
    assert_eq!(a.store.get::<Task>(task.id.0).unwrap().assignee, first);

    // Staff give it to the second 张伟, by account; renaming him keeps it his.
    let (status, body) = station.post(
        &format!("tasks/{}/assign", task.id),
        &serde_json::json!({"staff": "李所长", "assignee": second, "due_date": "2030-01-31"}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = station.request(
        "POST",
        &format!("accounts/{second}"),
        &station.admin_token,
        Some(&serde_json::json!({"display_name": "张伟（和平）"})),
    );
    assert_eq!(status, 200, "{body}");
    b.sync();
    assert_eq!(b.store.get::<Task>(task.id.0).unwrap().assignee, second);
    assert_eq!(b.store.open_work().unwrap().tasks.len(), 1);
    a.sync();
    assert_eq!(a.store.get::<Task>(task.id.0).unwrap().assignee, second);
    // A name that two officers share names nobody: staff must choose the account.
    let (status, body) = station.post(
        &format!("tasks/{}/assign", task.id),
        &serde_json::json!({"staff": "李所长", "assignee": "张伟", "due_date": "2030-01-31"}),
    );
    assert_eq!(status, 200, "{body}: the one 张伟 left after the rename");
    let (status, _) = station.post(
        &format!("tasks/{}/assign", task.id),
        &serde_json::json!({"staff": "李所长", "assignee": "没有这个人", "due_date": "2030-01-31"}),
    );
    assert_eq!(status, 400);
}

#[test]
fn a_username_typed_as_a_formula_at_sign_in_is_inert_in_the_audit_csv() {
    let station = Station::start();
    let hostile = "-1+cmd|' /C calc'!A0";
    let (status, _) = station.request(
        "POST",
        "session",
        "",
        Some(&serde_json::json!({"username": hostile, "password": "x"})),
    );
    assert_eq!(status, 401);
    let (status, csv) = station.request_bytes("GET", "audit/export", &station.admin_token, None);
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains(&format!("'{hostile}")), "{csv}");
    assert!(
        !csv.lines()
            .any(|l| l.split(',').any(|cell| cell.starts_with("-1+cmd"))),
        "{csv}"
    );
}

#[test]
fn a_confidential_reporter_cannot_be_read_off_the_visit_it_was_raised_in() {
    use doorstep_core::model::{Purpose, Resident, Visit};
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路2号");
    let reporter = Resident::new(h.id, "赵举报");
    let neighbour = Resident::new(h.id, "钱邻居");
    zhang.store.save(&reporter).unwrap();
    zhang.store.save(&neighbour).unwrap();
    let visit = Visit {
        id: doorstep_core::ids::VisitId::new(),
        version: 0,
        household_id: h.id,
        visited_at: doorstep_core::time::now(),
        officers: vec!["张警官".into()],
        purposes: vec![Purpose::Safety],
        met: vec![reporter.id, neighbour.id],
        notes: "入户走访".into(),
        inquiry_areas: vec![],
        rating: None,
        opinions: String::new(),
        location: String::new(),
        deleted: false,
    };
    zhang.store.save(&visit).unwrap();
    let mut concern = Concern::new(h.id, ConcernCategory::CrimeLead, "有人深夜聚赌");
    concern.visit_id = Some(visit.id);
    concern.reporter_id = Some(reporter.id);
    zhang.store.save(&concern).unwrap();
    zhang.sync();
    li.sync();
    assert_eq!(
        li.store.get::<Visit>(visit.id.0).unwrap().met,
        vec![reporter.id, neighbour.id],
        "not confidential yet"
    );

    // Zhang makes it confidential: Li's copy of the visit loses the reporter too.
    let mut secret: Concern = zhang.store.get(concern.id.0).unwrap();
    secret.confidential = true;
    zhang.store.save(&secret).unwrap();
    zhang.sync();
    li.sync();
    let seen: Visit = li.store.get(visit.id.0).unwrap();
    assert_eq!(
        seen.met,
        vec![neighbour.id],
        "the reporter is not readable off the visit"
    );
    assert_eq!(
        li.store.get::<Concern>(concern.id.0).unwrap().reporter_id,
        None
    );

    // Li edits the visit's people met as Li sees them: the reporter stays met at the station.
    let mut edited = seen.clone();
    edited.met = vec![];
    edited.notes = "补记".into();
    li.store.save_edit(&seen, &edited).unwrap();
    assert_eq!(li.sync().refused, 0);
    let kept = station_fields(&station, visit.id.0).unwrap();
    assert_eq!(kept["met"], serde_json::json!([reporter.id]), "{kept}");
    zhang.sync();
    assert_eq!(
        zhang.store.get::<Visit>(visit.id.0).unwrap().met,
        vec![reporter.id]
    );
    li.sync();
    assert!(li.store.get::<Visit>(visit.id.0).unwrap().met.is_empty());
}
