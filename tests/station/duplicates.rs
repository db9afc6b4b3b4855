//! The same family registered on two laptops: one duplicate candidate at the station; staff merge
//! it; the visits of both point to the survivor at the station and on both laptops; undo restores
//! both households with their own visits. The same goes for one person registered twice (same ID
//! number), whose concerns and visits follow her.

use crate::support::{Device, Station, new_visit as visit};
use doorstep_core::model::{Concern, ConcernCategory, Household, HouseholdKind, Resident, Visit};

/// Staff merge duplicate `id`, keeping `survivor`.
fn merge(station: &Station, id: i64, survivor: &str) {
    let (status, body) = station.post(
        &format!("duplicates/{id}/merge"),
        &serde_json::json!({"staff": "李所长", "survivor": survivor}),
    );
    assert_eq!(status, 204, "{body}");
}

fn undo(station: &Station, id: i64) {
    let (status, body) = station.post(
        &format!("duplicates/{id}/undo"),
        &serde_json::json!({"staff": "李所长"}),
    );
    assert_eq!(status, 204, "{body}");
}

#[test]
fn the_same_family_registered_on_two_laptops_is_merged_and_the_merge_can_be_undone() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    // The same flat, typed two ways, each with a visit.
    let a = Household::new(
        "幸福社区",
        "幸福路12号3栋2单元401室",
        HouseholdKind::Residence,
    );
    zhang.store.save(&a).unwrap();
    let va = visit(&mut zhang, &a, "张警官的走访");
    let b = Household::new(
        "幸福社区",
        "幸福路１２号３幢２门４０１",
        HouseholdKind::Residence,
    );
    wang.store.save(&b).unwrap();
    let vb = visit(&mut wang, &b, "王警官的走访");
    zhang.sync();
    wang.sync();

    let (status, body) = station.get("duplicates");
    assert_eq!(status, 200);
    let candidates: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(candidates.as_array().unwrap().len(), 1, "{body}");
    let id = candidates[0]["id"].as_i64().unwrap();

    merge(&station, id, &a.id.to_string());
    // Wang, not yet synced since the merge, records another visit on the household that is now gone:
    // the station re-routes it to the survivor.
    let late = visit(&mut wang, &b, "合并后才同步的走访");
    wang.sync();
    zhang.sync();
    wang.sync();
    for device in [&zhang, &wang] {
        assert_eq!(
            device.store.get::<Visit>(late.id.0).unwrap().household_id,
            a.id,
            "a late change naming the loser"
        );
        assert_eq!(
            device.store.get::<Visit>(va.id.0).unwrap().household_id,
            a.id
        );
        assert_eq!(
            device.store.get::<Visit>(vb.id.0).unwrap().household_id,
            a.id,
            "the other visit moved to the survivor"
        );
        assert!(
            device.store.get::<Household>(b.id.0).unwrap().deleted,
            "the loser is a redirect now"
        );
        let detail = device
            .store
            .household_detail(a.id, chrono::Utc::now().date_naive())
            .unwrap();
        assert_eq!(detail.visits.len(), 3);
    }
    undo(&station, id);
    zhang.sync();
    wang.sync();
    for device in [&zhang, &wang] {
        assert!(
            !device.store.get::<Household>(b.id.0).unwrap().deleted,
            "undo restores the other household"
        );
        assert_eq!(
            device.store.get::<Visit>(vb.id.0).unwrap().household_id,
            b.id,
            "with its own visit"
        );
        assert_eq!(
            device.store.get::<Visit>(va.id.0).unwrap().household_id,
            a.id
        );
        assert_eq!(
            device.store.get::<Visit>(late.id.0).unwrap().household_id,
            b.id,
            "the visit recorded against the merged-away household after the merge goes back to it"
        );
    }
    assert_eq!(
        station.count(
            "SELECT count(*) FROM staff_actions WHERE action IN ('merge_duplicate', 'undo_merge')"
        ),
        2
    );
}

#[test]
fn a_late_delete_of_the_merged_away_household_never_deletes_the_survivor() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    let a = Household::new(
        "幸福社区",
        "幸福路12号3栋2单元401室",
        HouseholdKind::Residence,
    );
    zhang.store.save(&a).unwrap();
    let b = Household::new(
        "幸福社区",
        "幸福路１２号３幢２门４０１",
        HouseholdKind::Residence,
    );
    wang.store.save(&b).unwrap();
    zhang.sync();
    wang.sync();
    let (_, body) = station.get("duplicates");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()[0]["id"]
        .as_i64()
        .unwrap();
    merge(&station, id, &a.id.to_string());

    // Wang, before hearing of the merge, deletes his copy as a mistake.
    wang.store.delete::<Household>(b.id.0).unwrap();
    wang.sync();
    zhang.sync();
    let survivor: String = station
        .db()
        .query_row(
            "SELECT fields FROM records WHERE id = ?1",
            [a.id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert!(survivor.contains("\"deleted\":false"), "{survivor}");
    assert!(!zhang.store.get::<Household>(a.id.0).unwrap().deleted);
    assert!(!wang.store.get::<Household>(a.id.0).unwrap().deleted);
}

fn resident(device: &mut Device, household: &Household, id_number: &str, phone: &str) -> Resident {
    let mut r = Resident::new(household.id, "张桂英");
    r.id_number = id_number.into();
    r.phone = phone.into();
    device.store.save(&r).unwrap();
    r
}

#[test]
fn one_person_registered_on_two_laptops_is_merged_with_what_named_her_and_undone() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    // The same woman, registered at two flats (she moved in with her daughter), the ID number typed
    // with a lower-case x on one laptop; only Wang knows her phone.
    let a = Household::new("幸福社区", "幸福路12号1栋101室", HouseholdKind::Residence);
    zhang.store.save(&a).unwrap();
    let ra = resident(&mut zhang, &a, "11010519491231002X", "");
    let mut va = visit(&mut zhang, &a, "见到张桂英");
    va.met = vec![ra.id];
    zhang.store.save(&va).unwrap();
    let b = Household::new("幸福社区", "幸福路14号2栋202室", HouseholdKind::Residence);
    wang.store.save(&b).unwrap();
    let rb = resident(&mut wang, &b, "11010519491231002x", "13800138000");
    let mut concern = Concern::new(b.id, ConcernCategory::SafetyHazard, "楼道堆放杂物");
    concern.reporter_id = Some(rb.id);
    wang.store.save(&concern).unwrap();
    zhang.sync();
    wang.sync();

    let (_, body) = station.get("duplicates");
    let candidates: serde_json::Value = serde_json::from_str(&body).unwrap();
    let candidates = candidates.as_array().unwrap();
    assert_eq!(
        candidates.len(),
        1,
        "only the person, not the flats: {body}"
    );
    assert_eq!(candidates[0]["entity"], "resident");
    assert_eq!(candidates[0]["reason"], "id_number");
    assert_eq!(candidates[0]["second_address"], "幸福路14号2栋202室");
    let id = candidates[0]["id"].as_i64().unwrap();
    merge(&station, id, &ra.id.to_string());
    // Wang, not yet synced, records a visit meeting the record that is now a redirect.
    let mut late = visit(&mut wang, &b, "合并后才同步的走访");
    late.met = vec![rb.id];
    wang.store.save(&late).unwrap();
    wang.sync();
    zhang.sync();
    wang.sync();
    for device in [&zhang, &wang] {
        let survivor: Resident = device.store.get(ra.id.0).unwrap();
        assert_eq!(
            survivor.phone, "13800138000",
            "the survivor takes what only the other knew"
        );
        assert!(device.store.get::<Resident>(rb.id.0).unwrap().deleted);
        assert_eq!(
            device
                .store
                .get::<Concern>(concern.id.0)
                .unwrap()
                .reporter_id,
            Some(ra.id),
            "the concern she raised names the survivor"
        );
        assert_eq!(
            device.store.get::<Visit>(late.id.0).unwrap().met,
            vec![ra.id],
            "a late change is re-routed"
        );
        assert_eq!(device.store.get::<Visit>(va.id.0).unwrap().met, vec![ra.id]);
    }

    undo(&station, id);
    zhang.sync();
    wang.sync();
    for device in [&zhang, &wang] {
        assert!(
            !device.store.get::<Resident>(rb.id.0).unwrap().deleted,
            "undo restores her other record"
        );
        assert_eq!(
            device.store.get::<Resident>(ra.id.0).unwrap().phone,
            "",
            "and takes back what it filled in"
        );
        assert_eq!(
            device
                .store
                .get::<Concern>(concern.id.0)
                .unwrap()
                .reporter_id,
            Some(rb.id)
        );
        // The late visit named her other record, and was re-routed to the survivor: undo puts it
        // back on the record it named.
        assert_eq!(
            device.store.get::<Visit>(late.id.0).unwrap().met,
            vec![rb.id]
        );
    }
}
