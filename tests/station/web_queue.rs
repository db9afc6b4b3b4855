//! The staff merge queue in headless Chromium: the conflict this test makes is resolved and the
//! duplicate merged by clicking (tests/web/merge_queue.test.mjs, run with node's test runner), and
//! both laptops then show what staff chose; and the overview opened, its charts and Chinese text
//! checked, and a number clicked through to its records (tests/web/overview.test.mjs); and the
//! administrator's pages: an account made, a code issued, a laptop revoked (tests/web/admin.test.mjs);
//! and a laptop's USB-stick bundle imported on the devices page, its answer downloaded and taken by
//! the laptop (tests/web/bundle.test.mjs).

use crate::support::{ADMIN_PASSWORD, STAFF_PASSWORD, STAFF_USER, SharedHousehold, Station};
use std::path::Path;
use std::process::Command;

/// Runs one of tests/web's browser tests against `station`; it must pass.
fn browser_test(station: &Station, script: &str, screenshot: &str) {
    browser_test_with(station, script, screenshot, &[]);
}

/// The same, with more for the script in its environment (files to upload, where to save).
fn browser_test_with(station: &Station, script: &str, screenshot: &str, env: &[(&str, &Path)]) {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let out = Command::new("node")
        .arg("--test")
        .arg(script)
        .current_dir(&web)
        .env("STATION_URL", &station.url)
        .env("STATION_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("STATION_USER", STAFF_USER)
        .env("STATION_PASSWORD", STAFF_PASSWORD)
        .env("SCREENSHOT", artifacts.join(screenshot))
        .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
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
}

#[test]
fn staff_open_the_overview_in_the_browser_and_click_through_to_the_records() {
    let station = Station::start();
    crate::overview::fixture(&station);
    browser_test(&station, "overview.test.mjs", "overview.png");
}

#[test]
fn staff_resolve_a_conflict_by_clicking_in_the_browser_and_both_laptops_follow() {
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
    // And the same flat registered on both laptops, typed two ways: a duplicate candidate.
    let mut twin_a = doorstep_core::model::Household::new(
        "幸福社区",
        "和平街8号2栋101",
        doorstep_core::model::HouseholdKind::Residence,
    );
    twin_a.contact_phone = "13800000001".into();
    zhang.store.save(&twin_a).unwrap();
    let twin_b = doorstep_core::model::Household::new(
        "幸福社区",
        "和平街８号２幢１０１室",
        doorstep_core::model::HouseholdKind::Residence,
    );
    wang.store.save(&twin_b).unwrap();
    // And one woman registered by both, in different flats: the same name, birth date and phone.
    for (device, household, id_number) in [
        (&mut zhang, twin_a.id, "11010519491231002X"),
        (&mut wang, h.id, ""),
    ] {
        let mut r = doorstep_core::model::Resident::new(household, "张桂英");
        r.birth_date = chrono::NaiveDate::from_ymd_opt(1949, 12, 31);
        r.phone = "13800138000".into();
        r.id_number = id_number.into();
        device.store.save(&r).unwrap();
    }
    zhang.sync();
    wang.sync();

    browser_test(&station, "merge_queue.test.mjs", "merge-queue.png");

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
    let (merged, survivor): (String, String) = station
        .db()
        .query_row(
            "SELECT status, survivor FROM duplicates WHERE entity = 'household'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (merged.as_str(), survivor),
        ("merged", twin_a.id.to_string()),
        "merged in the browser, keeping the left one"
    );
    zhang.sync();
    wang.sync();
    assert!(wang.household(twin_b.id.0).deleted);
    assert_eq!(zhang.household(h.id.0).contact_phone, "13800138001");
    assert_eq!(wang.household(h.id.0).contact_phone, "13800138001");
}

#[test]
fn an_administrator_revokes_a_laptop_in_the_browser_and_hostile_text_stays_text() {
    let SharedHousehold {
        station,
        mut zhang,
        mut wang,
        household: h,
    } = SharedHousehold::start("幸福路12号");
    let mut a = zhang.household(h.id.0);
    a.contact_name = crate::security::HOSTILE[2].into();
    zhang.store.save(&a).unwrap();
    let mut b = wang.household(h.id.0);
    b.contact_name = crate::security::HOSTILE[1].into();
    wang.store.save(&b).unwrap();
    zhang.sync();
    wang.sync();
    assert_eq!(station.count("SELECT count(*) FROM conflicts"), 1);

    browser_test(&station, "admin.test.mjs", "admin.png");

    assert_eq!(
        station.count("SELECT count(*) FROM accounts WHERE username = 'zhao' AND beats = '[\"和平社区\",\"幸福社区\"]'"),
        1,
        "the account made in the browser"
    );
    assert_eq!(
        station.count("SELECT count(*) FROM enrollment_codes WHERE used_at IS NULL"),
        1
    );
    assert_eq!(
        station.count("SELECT count(*) FROM devices WHERE revoked_at IS NOT NULL"),
        1
    );
}

#[test]
fn staff_import_a_usb_stick_bundle_in_the_browser_and_the_laptop_takes_its_answer() {
    let station = Station::start();
    let mut zhang = crate::support::Device::new(&station, "张警官", "幸福社区");
    let h = crate::support::new_household(&mut zhang, "幸福社区", "和平路1号");
    crate::support::new_visit(&mut zhang, &h, "走访");
    let h = crate::support::new_household(&mut zhang, "幸福社区", "和平路2号");
    crate::support::new_visit(&mut zhang, &h, "走访");
    let stick = tempfile::tempdir().unwrap();
    let (bytes, _) = doorstep_sync::bundle::export(&mut zhang.store).unwrap();
    let (bundle, cut, answer) = (
        stick.path().join("张警官.dsbundle"),
        stick.path().join("cut.dsbundle"),
        stick.path().join("answer.dsbundle"),
    );
    std::fs::write(&bundle, &bytes).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    browser_test_with(
        &station,
        "bundle.test.mjs",
        "bundle-import.png",
        &[
            ("BUNDLE", &bundle),
            ("BUNDLE_CUT", &cut),
            ("ANSWER", &answer),
        ],
    );
    let taken = doorstep_sync::bundle::import_answer(
        &mut zhang.store,
        &std::fs::read(&answer).unwrap(),
        |_| (),
    )
    .unwrap();
    assert_eq!(taken.report.acked_seq, 4, "{taken:?}");
    assert_eq!(zhang.store.sync_status().unwrap().unsent, 0);
}
