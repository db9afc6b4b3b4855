//! The station's overview against a small fixture whose figures are worked out by hand, and the
//! same figures on the officer's own laptop (Today), counted offline the same way.

use crate::support::{Device, Station};
use chrono::{Duration, Utc};
use doorstep_core::model::{
    Concern, ConcernCategory, ConcernStatus, Household, HouseholdKind, Purpose, Tag, Task, Visit,
};

fn household(device: &mut Device, beat: &str, address: &str, tags: Vec<Tag>) -> Household {
    let mut h = Household::new(beat, address, HouseholdKind::Residence);
    h.tags = tags;
    h.registered_at = Utc::now() - Duration::days(400);
    device.store.save(&h).unwrap();
    h
}

fn visit(device: &mut Device, household: &Household, days_ago: i64) {
    let v = Visit {
        id: doorstep_core::ids::VisitId::new(),
        version: 0,
        household_id: household.id,
        visited_at: Utc::now() - Duration::days(days_ago),
        officers: vec!["民警".into()],
        purposes: vec![Purpose::Warmth],
        met: vec![],
        notes: String::new(),
        inquiry_areas: vec![],
        rating: None,
        opinions: String::new(),
        location: String::new(),
        deleted: false,
    };
    device.store.save(&v).unwrap();
}

#[test]
fn the_overview_counts_coverage_overdue_visits_concerns_and_tasks_per_beat() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "和平社区");
    let today = chrono::Local::now().date_naive();
    // 幸福社区: an elderly woman alone visited 42 days ago (30-day interval: 12 days overdue), a
    // family visited today (covered), a flat registered 400 days ago and never visited (overdue).
    let lonely = household(&mut zhang, "幸福社区", "幸福路3号", vec![Tag::ElderlyAlone]);
    visit(&mut zhang, &lonely, 42);
    let family = household(&mut zhang, "幸福社区", "幸福路4号", vec![]);
    visit(&mut zhang, &family, 0);
    household(&mut zhang, "幸福社区", "幸福路5号", vec![]);
    let mut resolved = Concern::new(lonely.id, ConcernCategory::SafetyHazard, "燃气管老化");
    resolved.status = ConcernStatus::Resolved;
    zhang.store.save(&resolved).unwrap();
    zhang
        .store
        .save(&Concern::new(family.id, ConcernCategory::Dispute, "噪音"))
        .unwrap();
    zhang
        .store
        .save(&Task::new(
            lonely.id,
            "回访",
            "张警官",
            today - Duration::days(1),
        ))
        .unwrap();
    zhang
        .store
        .save(&Task::new(
            family.id,
            "调解",
            "张警官",
            today + Duration::days(10),
        ))
        .unwrap();
    // 和平社区: one household, visited today.
    let peace = household(&mut wang, "和平社区", "和平街1号", vec![]);
    visit(&mut wang, &peace, 0);
    zhang.sync();
    wang.sync();

    let (status, body) = station.get("overview");
    assert_eq!(status, 200, "{body}");
    let beats: serde_json::Value = serde_json::from_str(&body).unwrap();
    let figures = |beat: &serde_json::Value| {
        [
            "households",
            "covered",
            "overdue",
            "overdue_over_30",
            "overdue_over_90",
            "visits_this_week",
            "visits_this_month",
            "open_concerns",
            "awaiting_feedback",
            "tasks_overdue",
        ]
        .map(|k| beat[k].as_u64().unwrap_or_else(|| panic!("{k} in {beat}")))
    };
    assert_eq!(beats[0]["beat"], "和平社区");
    assert_eq!(figures(&beats[0]), [1, 1, 0, 0, 0, 1, 1, 0, 0, 0]);
    assert_eq!(beats[1]["beat"], "幸福社区");
    assert_eq!(figures(&beats[1]), [3, 1, 2, 1, 1, 1, 1, 2, 1, 1]);

    // The officer's Today counts the same for the beat.
    let own = zhang.store.today(today).unwrap().figures;
    assert_eq!(
        [
            own.households,
            own.covered,
            own.overdue,
            own.overdue_over_30,
            own.overdue_over_90,
            own.visits_this_week,
            own.visits_this_month,
            own.open_concerns
        ]
        .map(u64::from),
        figures(&beats[1])[..8]
    );
}
