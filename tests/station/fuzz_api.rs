//! The station's OpenAPI document, fuzzed with schemathesis (installed by scripts/install-deps.sh in
//! `~/.cache/doorstep/venv`): every operation is called with generated valid and invalid input, as
//! an account holding every role, and no answer may be a 5xx. The stateful phase is left out: it
//! would find the fuzzing account itself and sign it out, after which every call is a 401 and
//! nothing is fuzzed.

use crate::support::{Device, Station, new_household};
use std::path::PathBuf;
use std::process::Command;

fn schemathesis() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let st = home.join(".cache/doorstep/venv/bin/st");
    assert!(
        st.exists(),
        "{} is missing: run scripts/install-deps.sh",
        st.display()
    );
    st
}

#[test]
fn no_generated_request_makes_the_station_answer_5xx() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    new_household(&mut zhang, "幸福社区", "幸福路1号");
    zhang.sync();
    station.create_account(
        "fuzzer",
        "测试账号",
        &["admin", "staff", "chief"],
        &[],
        "fuzzer-password-1",
    );
    let token = station.sign_in("fuzzer", "fuzzer-password-1");
    // schemathesis keeps a cache of what it found in its working directory: a temporary one, so a
    // test run leaves the work tree as it found it.
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let out = Command::new(schemathesis())
        .current_dir(scratch.path())
        .arg("run")
        .arg(format!("{}/api/v1/openapi.json", station.url))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--tls-verify", "false"])
        .args(["--checks", "not_a_server_error"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", "40"])
        .args(["--seed", "20261123"])
        // Signing out would end the fuzzing session itself.
        .args(["--exclude-method", "DELETE"])
        .env("NO_COLOR", "1")
        .output()
        .expect("schemathesis");
    let report = String::from_utf8_lossy(&out.stdout);
    if let Some(summary) = report.find("SUMMARY") {
        eprintln!("{}", &report[summary..]);
    }
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !report.contains("Server error"),
        "a 5xx was found:\n{report}"
    );
    // The station still answers and the fuzzing session is still live. (The laptop may not sync:
    // an administrator's fuzzed requests may well have deactivated its officer.)
    let (status, _) = station.request("GET", "session", &token, None);
    assert_eq!(status, 200);
    let count = |label: &str| -> Option<u32> {
        let line = report.lines().find(|l| l.trim_start().starts_with(label))?;
        line.split(':')
            .nth(1)?
            .trim()
            .split('/')
            .next()?
            .parse()
            .ok()
    };
    assert!(
        count("Selected").is_some() && count("Tested") == count("Selected"),
        "every selected operation was tested:\n{report}"
    );
}
