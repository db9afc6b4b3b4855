//! The station's log, as a station's IT ships it (`--log-format json`): one line per request with
//! its id, method, route, status and duration, and never a record's contents or a secret.

use crate::support::{Device, STAFF_PASSWORD, Station, built_binary, new_household};
use std::process::Command;

#[test]
fn each_request_is_logged_with_its_id_route_status_and_time_and_nothing_it_carried() {
    let log = tempfile::NamedTempFile::new().unwrap();
    let station = Station::start_logging_to(log.path());
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    new_household(&mut zhang, "幸福社区", "幸福路17号保密地址");
    zhang.sync();
    let (status, _) = station.request(
        "GET",
        "concerns/00000000-0000-0000-0000-000000000000",
        &station.staff_token,
        None,
    );
    assert_eq!(status, 404);
    drop(station);

    let text = std::fs::read_to_string(log.path()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let answered: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["message"] == "answered")
        .collect();
    let push = answered
        .iter()
        .find(|l| l["span"]["route"] == "/api/v1/push")
        .unwrap_or_else(|| panic!("no push in the log:\n{text}"));
    assert_eq!(push["span"]["method"], "POST");
    assert_eq!(push["status"], 200);
    assert!(push["ms"].as_f64().is_some(), "{push}");
    assert_eq!(push["level"], "INFO");
    let id = push["span"]["id"].as_str().unwrap_or_default();
    assert_eq!(id.len(), 36, "a request id (a UUID): {push}");
    let missing = answered
        .iter()
        .find(|l| l["span"]["route"] == "/api/v1/concerns/{id}")
        .unwrap_or_else(|| panic!("no concern read in the log:\n{text}"));
    assert_eq!(missing["status"], 404);
    let ids: std::collections::HashSet<&str> = answered
        .iter()
        .filter_map(|l| l["span"]["id"].as_str())
        .collect();
    assert_eq!(ids.len(), answered.len(), "every request has its own id");
    for secret in [
        "幸福路17号保密地址",
        STAFF_PASSWORD,
        "00000000-0000-0000-0000-000000000000",
        "Bearer",
    ] {
        assert!(!text.contains(secret), "the log holds {secret:?}:\n{text}");
    }
}

/// What the operator reads when a station command fails: one line saying what failed and where,
/// exit status 1 — never a backtrace, even with `RUST_BACKTRACE` set (servers often set it).
#[test]
fn a_failing_station_command_says_why_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let data = file.join("station");
    let missing = dir.path().join("no-such-backup.doorstep");
    let serve = ["serve", "--listen", "127.0.0.1:0", "--data"];
    let restore = ["restore", "--from", missing.to_str().unwrap(), "--data"];
    let station = dir.path().join("station");
    for (args, folder, says) in [
        (&serve[..], &data, "creating the data folder"),
        (&restore[..], &data, "Not a directory"),
        (&restore[..], &station, "no-such-backup.doorstep"),
    ] {
        let out = Command::new(built_binary("doorstep-station"))
            .args(args)
            .arg(folder)
            .env("RUST_BACKTRACE", "1")
            .env("DOORSTEP_LOG", "warn")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.starts_with("doorstep-station: ") && err.contains(says),
            "{args:?}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("acktrace"), "{args:?}: {err}");
        // Each cause said once.
        let parts: Vec<&str> = err.trim_end().split(": ").collect();
        let mut unique = parts.clone();
        unique.dedup();
        assert_eq!(parts, unique, "{err}");
    }
}
