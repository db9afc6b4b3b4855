//! The `doorstep` command as a script would use it: a fresh database, records added and read back as
//! JSON, a visit with a concern and a task, the change log, search, import and export, and bad input
//! answered with a tagged report and exit status 2.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn doorstep(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doorstep"))
        .env("DOORSTEP_DB", db)
        .env("DOORSTEP_PASSPHRASE", "测试口令-cli-tests")
        .args(args)
        .output()
        .expect("run doorstep")
}

fn json(db: &Path, args: &[&str]) -> Value {
    let out = doorstep(db, args);
    assert!(
        out.status.success(),
        "doorstep {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn a_script_registers_a_household_records_a_visit_and_reads_the_change_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("officer.sqlite");
    json(&db, &["init", "--officer", "王警官", "--beat", "幸福社区"]);
    let h = json(
        &db,
        &[
            "household",
            "add",
            "--address",
            "幸福路12号3栋401",
            "--tags",
            "elderly_alone",
        ],
    );
    let hid = h["id"].as_str().unwrap().to_string();
    let r = json(
        &db,
        &[
            "resident",
            "add",
            "--household",
            &hid,
            "--name",
            "张三",
            "--sex",
            "male",
            "--phone",
            "13800138000",
        ],
    );
    let rid = r["id"].as_str().unwrap().to_string();
    let v = json(
        &db,
        &[
            "visit",
            "--household",
            &hid,
            "--purposes",
            "warmth,law",
            "--met",
            &rid,
            "--notes",
            "提醒防范诈骗",
            "--concern",
            "楼道灯坏了",
            "--category",
            "safety_hazard",
            "--task",
            "联系物业",
            "--due",
            "2030-01-01",
        ],
    );
    assert_eq!(v["concerns"][0]["reporter_id"], Value::String(rid.clone()));

    let shown = json(&db, &["household", "show", &hid]);
    assert_eq!(shown["visits"][0]["notes"], "提醒防范诈骗");
    assert_eq!(shown["tasks"][0]["title"], "联系物业");

    let changes = json(&db, &["changes"]);
    let entities: Vec<&str> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["entity"].as_str().unwrap())
        .collect();
    assert_eq!(
        entities,
        ["household", "resident", "visit", "concern", "task"]
    );
    assert!(
        changes
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["base_version"] == 0)
    );
    assert_eq!(json(&db, &["status"])["unsent"], 5);

    let found = json(&db, &["search", "zs"]);
    assert_eq!(found["residents"][0]["name"], "张三");
    let today = json(&db, &["today"]);
    assert_eq!(today["households_total"], 1);

    // An edit logs only the field it changed.
    let edited = json(&db, &["household", "edit", &hid, "--phone", "13800138000"]);
    assert_eq!(edited["contact_phone"], "13800138000");
    assert_eq!(edited["address"], "幸福路12号3栋401");
    let changes = json(&db, &["changes"]);
    let last = changes.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["entity"], "household");
    assert_eq!(
        last["fields"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["contact_phone"]
    );
}

#[test]
fn bad_input_gets_a_tagged_report_and_exit_status_2_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("officer.sqlite");
    let out = doorstep(&db, &["household", "add", "--address", "幸福路1号"]);
    assert_eq!(out.status.code(), Some(2));
    let report: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stderr).lines().next().unwrap()).unwrap();
    assert_eq!(report["kind"], "no_device");

    json(&db, &["init", "--officer", "王警官", "--beat", "幸福社区"]);
    let h = json(&db, &["household", "add", "--address", "幸福路1号"]);
    let hid = h["id"].as_str().unwrap();
    let out = doorstep(
        &db,
        &[
            "resident",
            "add",
            "--household",
            hid,
            "--name",
            "李四",
            "--birth-date",
            "1850-01-01",
            "--id-number",
            "123",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let report: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stderr).lines().next().unwrap()).unwrap();
    assert_eq!(report["kind"], "invalid");
    let codes: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["date_before_1900", "bad_id_number"]);
    assert_eq!(
        json(&db, &["status"])["unsent"],
        1,
        "only the household was logged"
    );
}

#[test]
fn a_ledger_round_trips_through_export_and_import_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.sqlite");
    json(
        &first,
        &["init", "--officer", "王警官", "--beat", "幸福社区"],
    );
    json(&first, &["demo", "--households", "40", "--seed", "5"]);
    let out = doorstep(&first, &["export", "--format", "csv"]);
    assert!(out.status.success());
    assert!(
        out.stdout.starts_with("\u{feff}".as_bytes()),
        "UTF-8 byte-order mark for spreadsheet software"
    );
    let ledger = dir.path().join("ledger.csv");
    std::fs::write(&ledger, &out.stdout).unwrap();

    let second = dir.path().join("second.sqlite");
    json(
        &second,
        &["init", "--officer", "李警官", "--beat", "幸福社区"],
    );
    let ledger = ledger.to_str().unwrap();
    let dry = json(&second, &["import", ledger, "--dry-run"]);
    assert_eq!(
        json(&second, &["status"])["unsent"],
        0,
        "a dry run stores nothing"
    );
    let report = json(&second, &["import", ledger]);
    assert_eq!(report["rejected"], Value::Array(vec![]), "{report}");
    assert_eq!(report["residents_created"], dry["residents_created"]);
    assert_eq!(report["households_created"], 40);
    let again = json(&second, &["import", ledger]);
    assert_eq!(again["households_created"], 0);
    assert_eq!(again["residents_created"], 0);
    assert_eq!(again["unchanged"], report["residents_created"]);
}

#[test]
fn the_database_is_encrypted_the_sqlite3_tool_cannot_read_it_and_a_wrong_passphrase_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("officer.sqlite");
    json(&db, &["init", "--officer", "王警官", "--beat", "幸福社区"]);
    json(&db, &["household", "add", "--address", "幸福路12号3栋401"]);

    // The sqlite3 tool (installed by scripts/install-deps.sh), without the key.
    let tool = Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT address FROM households;")
        .output()
        .expect("the sqlite3 tool");
    assert!(!tool.status.success(), "sqlite3 read an encrypted file");
    assert!(
        String::from_utf8_lossy(&tool.stderr).contains("not a database"),
        "{}",
        String::from_utf8_lossy(&tool.stderr)
    );
    assert!(!String::from_utf8_lossy(&std::fs::read(&db).unwrap()).contains("幸福路"));

    let wrong = Command::new(env!("CARGO_BIN_EXE_doorstep"))
        .env("DOORSTEP_DB", &db)
        .env("DOORSTEP_PASSPHRASE", "not the passphrase")
        .args(["household", "list"])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    let report: Value = serde_json::from_str(stderr.lines().next().unwrap()).unwrap();
    assert_eq!(report["kind"], "wrong_passphrase");
    assert_eq!(report["left"], 4);
    // And the data is intact for the right one.
    let list = json(&db, &["household", "list"]);
    assert!(list.to_string().contains("幸福路12号3栋401"), "{list}");
}

#[test]
fn a_laptop_is_backed_up_to_a_folder_and_restored_from_it_by_script() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("officer.sqlite");
    json(&db, &["init", "--officer", "王警官", "--beat", "幸福社区"]);
    json(&db, &["household", "add", "--address", "幸福路1号"]);
    let stick = tempfile::tempdir().unwrap();
    let made = json(
        &db,
        &[
            "backup",
            "--to",
            stick.path().to_str().unwrap(),
            "--keep",
            "7",
        ],
    );
    let file = made["file"].as_str().unwrap().to_string();
    assert!(file.ends_with(".doorstep-backup"), "{file}");
    let settings = json(&db, &["backup-folder"]);
    assert_eq!(
        settings["last"]["file"],
        file.as_str(),
        "noted as the last backup"
    );
    json(&db, &["household", "add", "--address", "幸福路2号"]);

    // Another passphrase does not open it; nothing is replaced.
    let wrong = Command::new(env!("CARGO_BIN_EXE_doorstep"))
        .env("DOORSTEP_DB", &db)
        .env("DOORSTEP_PASSPHRASE", "另一个口令-not-it")
        .args(["restore", "--from", &file])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("\"kind\":\"backup_unreadable\""));
    assert_eq!(json(&db, &["household", "list"])["total"], 2);

    let restored = json(&db, &["restore", "--from", &file]);
    assert_eq!(restored["households"], 1);
    assert!(Path::new(restored["replaced"].as_str().unwrap()).exists());
    let list = json(&db, &["household", "list"]);
    let addresses: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses, ["幸福路1号"]);
}
