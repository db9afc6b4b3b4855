//! A station backed up while it serves, restored from a backup older than its laptops' last syncs:
//! the laptops notice, send again what the station lost, and nothing any officer typed is missing
//! afterwards — whichever laptop syncs first.

use crate::support::*;
use doorstep_core::model::Household;
use std::ffi::OsStr;
use std::path::Path;

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn backup_into(station: &Station, folder: &Path) -> serde_json::Value {
    let (ok, out, err) = station.console(&[
        os("backup"),
        os("--data"),
        station.dir.path().as_os_str(),
        os("--to"),
        folder.as_os_str(),
        os("--keep"),
        os("2"),
    ]);
    assert!(ok, "backup: {err}");
    serde_json::from_str(&out).unwrap()
}

fn restore(station: &Station, from: &str, check: bool) -> (bool, String, String) {
    let mut args = vec![
        os("restore"),
        os("--data"),
        station.dir.path().as_os_str(),
        os("--from"),
        os(from),
    ];
    if check {
        args.push(os("--check"));
    }
    station.console(&args)
}

fn station_record(station: &Station, id: uuid::Uuid) -> Option<serde_json::Value> {
    use rusqlite::OptionalExtension;
    station
        .db()
        .query_row(
            "SELECT fields FROM records WHERE id = ?1",
            [id.hyphenated().to_string()],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .unwrap()
        .map(|f| serde_json::from_str(&f).unwrap())
}

#[test]
fn a_station_restored_from_an_older_backup_gets_back_everything_its_laptops_sent_since() {
    let mut station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let before = new_household(&mut zhang, "幸福社区", "幸福路1号");
    zhang.sync();
    li.sync();

    // Last night's backup, made while the station served.
    let backups = tempfile::tempdir().unwrap();
    let written = backup_into(&station, backups.path());
    let file = written["file"].as_str().unwrap().to_string();
    let sums = std::fs::read_to_string(format!("{file}.sha256")).unwrap();
    assert_eq!(
        sums.split_whitespace().next(),
        written["sha256"].as_str(),
        "the sidecar holds the file's checksum"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o077,
        0,
        "the backup holds secrets: readable by its owner only"
    );

    // A day's work after it: a new household, an edit of an old one, and another officer's edit
    // and visit to the household that did not exist at the backup.
    let mut edited = zhang.household(before.id.0);
    edited.contact_phone = "13800000001".into();
    zhang.store.save(&edited).unwrap();
    let after = new_household(&mut zhang, "幸福社区", "幸福路2号");
    zhang.sync();
    li.sync();
    let mut moved = li.household(after.id.0);
    moved.address = "幸福路2号(东门)".into();
    li.store.save(&moved).unwrap();
    let visit = new_visit(&mut li, &moved, "李警官的走访");
    li.sync();
    zhang.sync();
    assert_eq!(zhang.household(after.id.0).address, "幸福路2号(东门)");

    // The disk dies. A restore is refused while the station serves; checked first, then done.
    let (ok, _, err) = restore(&station, &file, false);
    assert!(!ok, "restored under a serving station");
    assert!(err.contains("stop it"), "{err}");
    let (ok, out, err) = restore(&station, &file, true);
    assert!(ok, "check: {err}");
    assert!(out.contains("\"households\": 1"), "{out}");
    assert!(
        station_record(&station, after.id.0).is_some(),
        "--check changes nothing"
    );
    station.stop();
    let (ok, out, err) = restore(&station, &file, false);
    assert!(ok, "restore: {err}");
    let replaced: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        Path::new(replaced["replaced"].as_str().unwrap())
            .join("station.sqlite")
            .exists(),
        "the database that was there is kept aside"
    );
    station.restart();
    assert!(
        station_record(&station, after.id.0).is_none(),
        "the backup is older"
    );

    // Staff see which laptops are still to sync, and what waits for them.
    let standing = |device: &Device| -> (bool, u64) {
        let (status, body) = station.get("devices");
        assert_eq!(status, 200, "{body}");
        let list: serde_json::Value = serde_json::from_str(&body).unwrap();
        let id = device.store.device().unwrap().device_id.to_string();
        let d = list
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["device_id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} in {body}"));
        (
            d["behind_restore"].as_bool().unwrap(),
            d["awaiting"].as_u64().unwrap(),
        )
    };
    assert_eq!(standing(&zhang), (true, 0));
    assert_eq!(standing(&li), (true, 0));

    // The officer whose edits depend on the other's lost household syncs first.
    let report = li.sync();
    assert!(report.station_went_back, "{report:?}");
    assert_eq!(report.refused, 0, "nothing of li's is refused: {report:?}");
    let (behind, awaiting) = standing(&li);
    assert!(!behind, "li has synced since the restore");
    assert!(
        awaiting >= 2,
        "li's edit and visit wait for zhang's lost household: {awaiting}"
    );
    assert_eq!(standing(&zhang), (true, 0), "zhang is still to sync");
    let report = zhang.sync();
    assert!(report.station_went_back, "{report:?}");
    assert_eq!(report.refused, 0, "{report:?}");
    assert_eq!(standing(&zhang), (false, 0));
    assert_eq!(standing(&li), (false, 0), "li's changes are decided now");
    li.sync();
    zhang.sync();

    let h = station_record(&station, after.id.0).expect("the lost household is back");
    assert_eq!(
        h["address"], "幸福路2号(东门)",
        "li's edit of it is applied"
    );
    assert_eq!(
        station_record(&station, before.id.0).unwrap()["contact_phone"],
        "13800000001"
    );
    assert!(
        station_record(&station, visit.id.0).is_some(),
        "li's visit is back"
    );
    for device in [&zhang, &li] {
        let h: Household = device.household(after.id.0);
        assert_eq!(h.address, "幸福路2号(东门)");
        assert_eq!(device.household(before.id.0).contact_phone, "13800000001");
        assert_eq!(device.store.sync_status().unwrap().unsent, 0);
    }
    assert_eq!(
        station.count("SELECT count(*) FROM conflicts WHERE status = 'open'"),
        0,
        "re-sending made no conflict"
    );
    // Work goes on as usual afterwards: an edit reaches the other laptop.
    let mut later = li.household(before.id.0);
    later.notes = "新的门禁".into();
    li.store.save(&later).unwrap();
    let report = li.sync();
    assert!(!report.station_went_back);
    zhang.sync();
    assert_eq!(zhang.household(before.id.0).notes, "新的门禁");
}

/// Regression: the backup carried the database and not `blobs/`, so a restored station named
/// photos whose bytes it no longer had, and told their laptops it held them. Now the photos' bytes
/// travel in the backup; a photo whose laptop died with the station is read whole from it, one
/// taken after the backup is sent again by its laptop, and one whose file was damaged on the
/// station's disk is left out, forgotten at the restore and sent again too.
#[test]
fn a_restored_station_keeps_its_photos_and_gets_back_those_sent_after_the_backup() {
    use doorstep_core::photo::{PhotoOptions, sha256_hex};
    use doorstep_core::store::photos::PhotoOf;
    let mut station = Station::start();
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路9号");
    zhang.sync();
    wang.sync();
    let attach = |device: &mut Device, w: u32, caption: &str| {
        device
            .store
            .attach_photo(
                PhotoOf::Household(h.id),
                &camera_jpeg(w, 600, true),
                caption,
                PhotoOptions::default(),
            )
            .unwrap()
    };
    let wangs = attach(&mut wang, 800, "王警官拍的楼道");
    let damaged = attach(&mut zhang, 700, "张警官拍的电表箱");
    assert_eq!(wang.sync().photos.sent, 2);
    assert_eq!(zhang.sync().photos.sent, 2);
    // One photo file rots on the station's disk before the night's backup.
    let rotten = station
        .dir
        .path()
        .join("blobs")
        .join(&damaged.sha256[..2])
        .join(&damaged.sha256);
    std::fs::write(&rotten, b"bit rot").unwrap();

    let backups = tempfile::tempdir().unwrap();
    let written = backup_into(&station, backups.path());
    assert_eq!(
        written["damaged_blobs"],
        serde_json::json!([format!("blobs/{}/{}", &damaged.sha256[..2], damaged.sha256)]),
        "{written}"
    );
    assert_eq!(
        written["manifest"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"].as_str().unwrap().starts_with("blobs/"))
            .count(),
        3,
        "wang's photo and thumbnail, and zhang's thumbnail: {written}"
    );
    let file = written["file"].as_str().unwrap().to_string();

    // After the backup: zhang's second photo. Then the station's disk dies, and wang's laptop too.
    let later = attach(&mut zhang, 900, "张警官拍的消防通道");
    zhang.sync();
    drop(wang);
    station.stop();
    std::fs::remove_dir_all(station.dir.path().join("blobs")).unwrap();
    let (ok, out, err) = restore(&station, &file, false);
    assert!(ok, "restore: {err}");
    let restored: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(restored["blobs"], 3, "{restored}");
    assert_eq!(restored["blobs_missing"], 1, "the rotten file: {restored}");
    station.restart();

    // Wang's photo is whole from the backup alone: staff and li read the very bytes.
    let read = |photo: &doorstep_core::model::Photo| {
        station.request_bytes(
            "GET",
            &format!("photos/{}/full", photo.id),
            &station.staff_token,
            None,
        )
    };
    let (status, bytes) = read(&wangs);
    assert_eq!(status, 200);
    assert_eq!(sha256_hex(&bytes), wangs.sha256);
    li.sync();
    let fetched = doorstep_sync::photos::fetch_blob(&mut li.store, &wangs.sha256).unwrap();
    assert_eq!(sha256_hex(&fetched), wangs.sha256);

    // Zhang's laptop notices the station went back and sends again what it lacks.
    let report = zhang.sync();
    assert!(report.station_went_back, "{report:?}");
    for photo in [&damaged, &later] {
        let (status, bytes) = read(photo);
        assert_eq!(status, 200, "{}", photo.caption);
        assert_eq!(sha256_hex(&bytes), photo.sha256, "{}", photo.caption);
    }
    assert_eq!(zhang.store.photo_space().unwrap().uploads, 0);
}

#[test]
fn a_damaged_or_foreign_backup_is_refused_and_the_data_folder_is_untouched() {
    let mut station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    new_household(&mut zhang, "幸福社区", "幸福路1号");
    zhang.sync();
    let backups = tempfile::tempdir().unwrap();
    let file = backup_into(&station, backups.path())["file"]
        .as_str()
        .unwrap()
        .to_string();
    station.stop();

    // Cut short on the way from the backup disk (its sidecar travelled with it).
    let bytes = std::fs::read(&file).unwrap();
    let cut = backups.path().join("cut.doorstep-backup");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::copy(
        format!("{file}.sha256"),
        format!("{}.sha256", cut.display()),
    )
    .unwrap();
    let (ok, _, err) = restore(&station, cut.to_str().unwrap(), false);
    assert!(!ok);
    assert!(err.contains("does not match its checksum"), "{err}");
    // Cut short without its sidecar: the archive itself says so.
    std::fs::remove_file(format!("{}.sha256", cut.display())).unwrap();
    let (ok, _, err) = restore(&station, cut.to_str().unwrap(), false);
    assert!(!ok);
    assert!(
        err.contains("is not a Doorstep station backup") || err.contains("checksum"),
        "{err}"
    );
    // Something else altogether.
    let foreign = backups.path().join("notes.txt");
    std::fs::write(&foreign, "not a backup").unwrap();
    let (ok, _, err) = restore(&station, foreign.to_str().unwrap(), false);
    assert!(!ok);
    assert!(err.contains("is not a Doorstep station backup"), "{err}");

    // Nothing was moved: the station starts on its own data.
    station.restart();
    assert_eq!(station.count("SELECT count(*) FROM records"), 1);
    let names: Vec<String> = std::fs::read_dir(station.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("replaced-") || n.starts_with(".restoring")),
        "{names:?}"
    );
}

#[test]
fn backups_into_a_folder_keep_the_newest() {
    let station = Station::start();
    let backups = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for _ in 0..3 {
        files.push(
            backup_into(&station, backups.path())["file"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert!(!Path::new(&files[0]).exists(), "the oldest went");
    assert!(Path::new(&files[1]).exists() && Path::new(&files[2]).exists());
    assert!(!Path::new(&format!("{}.sha256", files[0])).exists());
}
