//! The same family registered on two laptops: one duplicate candidate at the station; staff merge
//! it; the visits of both point to the survivor at the station and on both laptops; undo restores
//! both households with their own visits.

use crate::support::{Device, Station};
use doorstep_core::model::{Household, HouseholdKind, Purpose, Visit};

fn visit(device: &mut Device, household: &Household, notes: &str) -> Visit {
    let v = Visit {
        id: doorstep_core::ids::VisitId::new(),
        version: 0,
        household_id: household.id,
        visited_at: doorstep_core::time::now(),
        officers: vec!["民警".into()],
        purposes: vec![Purpose::Warmth],
        met: vec![],
        notes: notes.into(),
        inquiry_areas: vec![],
        rating: None,
        opinions: String::new(),
        location: String::new(),
        deleted: false,
    };
    device.store.save(&v).unwrap();
    v
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

    let (status, body) = station.post(
        &format!("duplicates/{id}/merge"),
        &serde_json::json!({"staff": "李所长", "survivor": a.id.to_string()}),
    );
    assert_eq!(status, 204, "{body}");
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
    let (status, body) = station.post(
        &format!("duplicates/{id}/undo"),
        &serde_json::json!({"staff": "李所长"}),
    );
    assert_eq!(status, 204, "{body}");
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
    }
    assert_eq!(
        station.count(
            "SELECT count(*) FROM staff_actions WHERE action IN ('merge_duplicate', 'undo_merge')"
        ),
        2
    );
}
