//! The bureau's pages in headless Chromium (tests/web/bureau.test.mjs, run with node's test
//! runner): an inspector reads the overview, looks a person up, flags a complaint; the flag is then
//! at the bureau, waiting for the station.

use super::fixture::{World, record_beat, send};
use std::path::Path;
use std::process::Command;

#[test]
fn an_inspector_works_through_the_bureaus_pages_in_the_browser() {
    let world = World::start();
    let east = world.station("东城派出所");
    record_beat(
        &east,
        "张警官",
        "东城一片",
        "东城区1号",
        ("李四", "110101199001011237", "1990-01-01"),
    );
    send(&east);
    world
        .bureau
        .account("inspector", &["inspector", "analyst"], false);

    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let out = Command::new("node")
        .args(["--test", "bureau.test.mjs"])
        .current_dir(&web)
        .env("BUREAU_URL", &world.bureau.url)
        .env("BUREAU_USER", "inspector")
        .env("BUREAU_PASSWORD", "inspector-password-1")
        .env("SCREENSHOT", artifacts.join("bureau.png"))
        .output()
        .expect("node and tests/web's packages (scripts/install-deps.sh)");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The flag made in the browser is at the bureau, and reaches the station at its next round.
    assert_eq!(
        world.count("SELECT count(*) FROM flags WHERE applied_at IS NULL"),
        1
    );
    assert_eq!(send(&east)["flags_applied"], 1);
}
