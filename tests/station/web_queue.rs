//! The staff merge queue in headless Chromium: the conflict this test makes is resolved by clicking
//! (tests/web/merge_queue.test.mjs, run with node's test runner), and both laptops then show the
//! value staff chose.

use crate::support::{Device, PASSWORD, Station, new_household};
use std::path::Path;
use std::process::Command;

#[test]
fn staff_resolve_a_conflict_by_clicking_in_the_browser_and_both_laptops_follow() {
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
    wang.sync();

    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let out = Command::new("node")
        .arg("--test")
        .arg("merge_queue.test.mjs")
        .current_dir(&web)
        .env("STATION_URL", &station.url)
        .env("STATION_PASSWORD", PASSWORD)
        .env("SCREENSHOT", artifacts.join("merge-queue.png"))
        .output()
        .expect(
            "node (installed with the machine) and tests/web's packages (scripts/install-deps.sh)",
        );
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let (value, staff): (String, String) = station
        .db()
        .query_row("SELECT resolution, resolved_by FROM conflicts", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        (value.as_str(), staff.as_str()),
        ("\"13800138001\"", "李所长")
    );
    zhang.sync();
    wang.sync();
    assert_eq!(zhang.household(h.id.0).contact_phone, "13800138001");
    assert_eq!(wang.household(h.id.0).contact_phone, "13800138001");
}
