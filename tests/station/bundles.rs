//! Sync by USB stick: a laptop's week of work travels to the station as a bundle file (imported on
//! the station's console, or uploaded by staff), the answer travels back, twice, and a network sync
//! carries on from there; the same bundle or answer taken again changes nothing; a bundle that is
//! cut, altered, forged, for another station or from a revoked laptop is refused with nothing taken.

use crate::support::*;
use base64::Engine;
use doorstep_core::model::Household;
use doorstep_protocol::bundle::{self, Kind, PushBundle};
use std::path::{Path, PathBuf};

const BEAT: &str = "幸福社区";

/// The laptop writes its bundle into `dir`; its path.
fn export(device: &mut Device, dir: &Path) -> (PathBuf, u32) {
    let (bytes, written) = doorstep_sync::bundle::export(&mut device.store).unwrap();
    assert!(written.file_name.ends_with(".dsbundle"), "{written:?}");
    let path = dir.join(&written.file_name);
    bundle::write_file(&path, &bytes).unwrap();
    (path, written.changes)
}

fn take_answer(device: &mut Device, answer: &Path) -> doorstep_sync::bundle::AnswerTaken {
    let bytes = std::fs::read(answer).unwrap();
    doorstep_sync::bundle::import_answer(&mut device.store, &bytes, |_| ()).unwrap()
}

/// A day of an officer's work: two new households with a visit each, and an edit of one known.
fn a_day(device: &mut Device, day: u32, known: Option<&Household>) -> Vec<Household> {
    let mut made = Vec::new();
    for i in 0..2 {
        let h = new_household(device, BEAT, &format!("和平路{day}-{i}号"));
        new_visit(device, &h, &format!("第{day}天 走访"));
        made.push(h);
    }
    if let Some(h) = known {
        let mut h: Household = device.household(h.id.0);
        h.notes = format!("第{day}天 复访");
        device.store.save(&h).unwrap();
    }
    made
}

fn unsent(device: &Device) -> i64 {
    device.store.sync_status().unwrap().unsent
}

/// Every record the station holds, by id, with its version: what "nothing doubled" is checked on.
fn station_records(station: &Station) -> Vec<(String, i64)> {
    let db = station.db();
    let mut stmt = db
        .prepare("SELECT id, version FROM records ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn a_weeks_work_travels_by_bundle_and_back_twice_and_a_network_sync_carries_on() {
    let mut station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let mut li = Device::new(&station, "李警官", BEAT);
    // Li works on the network: a household Zhang has never seen.
    let lis = new_household(&mut li, BEAT, "解放路1号");
    li.sync();
    let stick = tempfile::tempdir().unwrap();

    // Round one: a week without signal, the station not even running while the stick travels.
    let mut mine = Vec::new();
    for day in 1..=7 {
        let known = mine.first().cloned();
        mine.extend(a_day(&mut zhang, day, known.as_ref()));
    }
    let week = unsent(&zhang);
    assert_eq!(
        week,
        7 * 4 + 6,
        "two households and visits a day, and six edits"
    );
    let (file, changes) = export(&mut zhang, stick.path());
    assert_eq!(changes as i64, week);
    let on_stick = std::fs::read(&file).unwrap();
    assert!(
        !String::from_utf8_lossy(&on_stick).contains("和平路"),
        "nothing on the stick is readable"
    );
    station.stop();
    let answer = stick.path().join("answer.dsbundle");
    let (ok, report, err) = station.import_bundle(&file, &answer);
    assert!(ok, "{err}");
    assert_eq!(report["import"]["stored"], week, "{report}");
    assert_eq!(report["import"]["duplicates"], 0);
    assert_eq!(report["import"]["officer_name"], "张警官");
    let taken = take_answer(&mut zhang, &answer);
    assert!(!taken.out_of_date);
    assert_eq!(taken.report.acked_seq, week, "{taken:?}");
    assert_eq!(unsent(&zhang), 0, "the week's work is acknowledged");
    assert_eq!(
        taken.report.pulled, 1,
        "Li's household comes, Zhang's own records do not come back: {taken:?}"
    );
    assert_eq!(zhang.household(lis.id.0).address, "解放路1号");
    // The laptop holds its records at the station's versions, as a sync leaves them.
    station.restart();
    let held = station_records(&station);
    for h in &mine {
        let id = h.id.0.hyphenated().to_string();
        let version = held.iter().find(|(i, _)| *i == id).map(|(_, v)| *v);
        assert_eq!(
            Some(zhang.household(h.id.0).version),
            version,
            "{}",
            h.address
        );
    }

    // The same bundle imported again, and the same answer taken again: nothing changes.
    let again = stick.path().join("again.dsbundle");
    let (ok, report, err) = station.import_bundle(&file, &again);
    assert!(ok, "{err}");
    assert_eq!(
        (
            report["import"]["stored"].as_i64(),
            report["import"]["duplicates"].as_i64()
        ),
        (Some(0), Some(week)),
        "{report}"
    );
    assert_eq!(
        station_records(&station),
        held,
        "nothing doubled, no new version"
    );
    assert!(take_answer(&mut zhang, &answer).out_of_date);
    let taken = take_answer(&mut zhang, &again);
    assert_eq!(
        (taken.report.pushed, taken.report.pulled),
        (0, 0),
        "{taken:?}"
    );
    assert_eq!(station.count("SELECT count(*) FROM changes"), week + 1);

    // Round two, through the staff pages' upload while the station serves: Li edits a household
    // of Zhang's on the network meanwhile, Zhang the same field by bundle: a conflict for staff.
    li.sync();
    let mut shared: Household = li.household(mine[0].id.0);
    shared.contact_phone = "13900000001".into();
    li.store.save(&shared).unwrap();
    li.sync();
    let mut theirs: Household = zhang.household(mine[0].id.0);
    theirs.contact_phone = "13900000002".into();
    zhang.store.save(&theirs).unwrap();
    let more = a_day(&mut zhang, 8, None);
    let (file, changes) = export(&mut zhang, stick.path());
    assert_eq!(changes, 5);
    let (status, body) = station.post_bytes(
        "bundles",
        &station.staff_token,
        &std::fs::read(&file).unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    let answered: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answered["stored"], 5, "{answered}");
    assert_eq!(answered["conflicts"], 1, "{answered}");
    let answer_bytes = base64::engine::general_purpose::STANDARD
        .decode(answered["answer_base64"].as_str().unwrap())
        .unwrap();
    let taken =
        doorstep_sync::bundle::import_answer(&mut zhang.store, &answer_bytes, |_| ()).unwrap();
    assert_eq!(taken.report.conflicts, 1, "{taken:?}");
    assert_eq!(unsent(&zhang), 0);
    assert!(taken.report.pulled >= 1, "Li's edit comes: {taken:?}");

    // A network sync carries on from there as if the bundles had been syncs.
    let report = zhang.sync();
    assert_eq!((report.pushed, report.pulled), (0, 0), "{report:?}");
    assert_eq!(
        li.sync().pulled as usize,
        more.len() * 2 + 1,
        "Li receives day 8"
    );
    assert_eq!(
        station.count("SELECT count(*) FROM changes"),
        week + 2 + 5,
        "each change stored once: Zhang's by bundle, Li's two on the network"
    );
    assert_eq!(
        station
            .count("SELECT count(*) FROM audit WHERE action = 'bundle_import' AND outcome = 'ok'"),
        3
    );
}

#[test]
fn a_bundle_cut_altered_forged_misaddressed_or_from_a_revoked_laptop_is_refused_whole() {
    let station = Station::start();
    let other = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let mut wang = Device::new(&other, "王警官", BEAT);
    a_day(&mut zhang, 1, None);
    a_day(&mut wang, 1, None);
    let stick = tempfile::tempdir().unwrap();
    let (file, _) = export(&mut zhang, stick.path());
    let good = std::fs::read(&file).unwrap();
    let before = station.count("SELECT count(*) FROM changes");

    let refused = |bytes: &[u8], name: &str| -> String {
        let path = stick.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (ok, _, err) = station.import_bundle(&path, &stick.path().join("none"));
        assert!(!ok, "{name} was taken");
        let (status, body) = station.post_bytes("bundles", &station.staff_token, bytes);
        assert!((400..500).contains(&status), "{name}: {status} {body}");
        assert_eq!(
            station.count("SELECT count(*) FROM changes"),
            before,
            "{name}: something was taken"
        );
        assert!(
            !stick.path().join("none").exists(),
            "{name}: an answer was written"
        );
        format!("{err} {body}")
    };
    let cut = refused(&good[..good.len() - 30], "cut.dsbundle");
    assert!(cut.contains("damaged or incomplete"), "{cut}");
    assert!(
        cut.contains("\"error\":\"bundle_damaged\""),
        "a code the pages translate: {cut}"
    );
    let mut altered = good.clone();
    let middle = altered.len() / 2;
    altered[middle] ^= 0x20;
    assert!(refused(&altered, "altered.dsbundle").contains("damaged"));
    assert!(refused(b"not a bundle at all", "junk.dsbundle").contains("not a Doorstep bundle"));
    let (foreign, _) = doorstep_sync::bundle::export(&mut wang.store).unwrap();
    assert!(
        refused(&foreign, "foreign.dsbundle").contains("not addressed to this station"),
        "a bundle for another station"
    );

    // A bundle naming Zhang's laptop, encrypted to this station, signed without Zhang's key.
    let zhang_id = zhang.store.device().unwrap().device_id;
    let changes = zhang.store.changes_after(0, 100).unwrap();
    let recipient = zhang.store.station().unwrap().unwrap().bundle_recipient;
    let forged = PushBundle {
        bundle_id: "forged".into(),
        device_id: zhang_id,
        written_at: String::new(),
        acked_seq: 0,
        changes,
        cursors: Default::default(),
        answer_to: bundle::new_key().1,
        blobs: vec![],
    };
    let guess = bundle::credential_digest("d.a-guessed-credential");
    let forged = bundle::seal(Kind::Push, zhang_id, &forged, &guess, &recipient).unwrap();
    assert!(refused(&forged, "forged.dsbundle").contains("signature does not match"));

    // An officer may not import bundles on the staff pages.
    let (status, _) = station.post_bytes("bundles", &zhang.credential(), &good);
    assert_eq!(status, 403);

    // The good bundle of a laptop revoked since it was written.
    let (status, body) = station.request(
        "POST",
        &format!("devices/{zhang_id}/revoke"),
        &station.admin_token,
        Some(&serde_json::json!({})),
    );
    assert_eq!(status, 204, "{body}");
    assert!(refused(&good, "revoked.dsbundle").contains("bundle_revoked"));
    assert!(
        station.count(
            "SELECT count(*) FROM audit WHERE action = 'bundle_import' AND outcome = 'refused'"
        ) >= 12,
        "every refusal is recorded"
    );
}

#[test]
fn a_laptop_refuses_an_answer_that_is_cut_or_for_another_laptop_and_keeps_its_work() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let mut liu = Device::new(&station, "刘警官", BEAT);
    a_day(&mut zhang, 1, None);
    a_day(&mut liu, 1, None);
    let stick = tempfile::tempdir().unwrap();
    let (file, _) = export(&mut zhang, stick.path());
    let answer = stick.path().join("answer.dsbundle");
    let (ok, _, err) = station.import_bundle(&file, &answer);
    assert!(ok, "{err}");
    let bytes = std::fs::read(&answer).unwrap();

    let err =
        doorstep_sync::bundle::import_answer(&mut zhang.store, &bytes[..bytes.len() / 2], |_| ())
            .unwrap_err();
    assert!(err.to_string().contains("damaged or incomplete"), "{err}");
    assert_eq!(unsent(&zhang), 4, "nothing taken from a cut answer");
    // Liu's laptop never wrote a bundle; once it has, Zhang's answer is still not for it.
    let err = doorstep_sync::bundle::import_answer(&mut liu.store, &bytes, |_| ()).unwrap_err();
    assert!(err.to_string().contains("not addressed"), "{err}");
    export(&mut liu, stick.path());
    let err = doorstep_sync::bundle::import_answer(&mut liu.store, &bytes, |_| ()).unwrap_err();
    assert!(err.to_string().contains("not addressed"), "{err}");
    assert_eq!(unsent(&liu), 4);
    // A laptop's own bundle is not an answer.
    let own = std::fs::read(&file).unwrap();
    assert!(doorstep_sync::bundle::import_answer(&mut zhang.store, &own, |_| ()).is_err());

    let taken = take_answer(&mut zhang, &answer);
    assert_eq!(taken.report.acked_seq, 4);
    assert_eq!(unsent(&zhang), 0);
}

#[test]
fn a_bundle_overtaken_by_a_network_sync_changes_nothing() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let made = a_day(&mut zhang, 1, None);
    let stick = tempfile::tempdir().unwrap();
    let (file, _) = export(&mut zhang, stick.path());
    // The signal came back before the stick reached the station: the bundle holds only what the
    // network sync already brought, and its answer nothing new.
    assert_eq!(zhang.sync().pushed, 4);
    let mut h: Household = zhang.household(made[0].id.0);
    h.notes = "网络同步之后的修改".into();
    zhang.store.save(&h).unwrap();
    let answer = stick.path().join("answer.dsbundle");
    let (ok, report, err) = station.import_bundle(&file, &answer);
    assert!(ok, "{err}");
    assert_eq!(report["import"]["duplicates"], 4, "{report}");
    assert_eq!(report["import"]["stored"], 0, "{report}");
    let taken = take_answer(&mut zhang, &answer);
    assert_eq!(
        (taken.report.pushed, taken.report.pulled),
        (0, 0),
        "{taken:?}"
    );
    assert_eq!(unsent(&zhang), 1, "the later edit still waits to be sent");
    assert_eq!(zhang.household(h.id.0).notes, "网络同步之后的修改");

    // An answer written before a network sync, taken after it, is out of date: not taken.
    let (file, _) = export(&mut zhang, stick.path());
    let late = stick.path().join("late.dsbundle");
    let (ok, _, err) = station.import_bundle(&file, &late);
    assert!(ok, "{err}");
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut h: Household = zhang.household(made[1].id.0);
    h.notes = "又一次修改".into();
    zhang.store.save(&h).unwrap();
    assert_eq!(
        zhang.sync().pushed,
        2,
        "the first edit (already at the station) and this one"
    );
    let taken = take_answer(&mut zhang, &late);
    assert!(taken.out_of_date, "{taken:?}");
    assert_eq!(unsent(&zhang), 0);
    assert_eq!(
        station.count("SELECT count(*) FROM changes"),
        6,
        "each change stored once"
    );
}

#[test]
fn a_laptop_enrolled_before_bundles_learns_the_stations_key_at_its_next_sync() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let mut link = zhang.store.station().unwrap().unwrap();
    assert!(
        link.bundle_recipient.starts_with("age1"),
        "given at enrolment"
    );
    link.bundle_recipient.clear();
    zhang.store.set_station(&link).unwrap();
    let err = doorstep_sync::bundle::export(&mut zhang.store).unwrap_err();
    assert!(err.to_string().contains("sync once"), "{err}");
    zhang.sync();
    assert!(doorstep_sync::bundle::export(&mut zhang.store).is_ok());
}

#[test]
fn a_bundle_of_many_batches_is_answered_batch_by_batch() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    for day in 0..300 {
        a_day(&mut zhang, day, None);
    }
    let stick = tempfile::tempdir().unwrap();
    let (file, changes) = export(&mut zhang, stick.path());
    assert_eq!(changes, 1200);
    let answer = stick.path().join("answer.dsbundle");
    let (ok, report, err) = station.import_bundle(&file, &answer);
    assert!(ok, "{err}");
    assert_eq!(report["import"]["stored"], 1200, "{report}");
    let taken = take_answer(&mut zhang, &answer);
    assert_eq!(
        (
            taken.report.pushed,
            taken.report.acked_seq,
            taken.report.pulled
        ),
        (1200, 1200, 0),
        "{taken:?}"
    );
    assert_eq!(unsent(&zhang), 0);
    assert_eq!(zhang.sync().pulled, 0, "its versions came with the answer");
}

#[test]
fn photos_travel_by_bundle_to_the_station_and_their_thumbnails_to_the_beat_mate() {
    use doorstep_core::photo::{PhotoOptions, sha256_hex};
    use doorstep_core::store::photos::PhotoOf;
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let mut li = Device::new(&station, "李警官", BEAT);
    let stick = tempfile::tempdir().unwrap();
    let h = new_household(&mut zhang, BEAT, "和平路20号");
    let photo = zhang
        .store
        .attach_photo(
            PhotoOf::Household(h.id),
            &camera_jpeg(1600, 1200, true),
            "消防通道堵塞",
            PhotoOptions::default(),
        )
        .unwrap();
    let (file, _) = export(&mut zhang, stick.path());
    let answer = stick.path().join("answer.dsbundle");
    let (ok, report, err) = station.import_bundle(&file, &answer);
    assert!(ok, "{err}");
    assert_eq!(
        report["import"]["photos"], 2,
        "the photo and its thumbnail: {report}"
    );
    assert_eq!(report["import"]["photos_refused"], 0, "{report}");
    let (status, bytes) = station.request_bytes(
        "GET",
        &format!("photos/{}/full", photo.id),
        &station.staff_token,
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(sha256_hex(&bytes), photo.sha256);
    // The same bundle again: nothing stored twice.
    let again = stick.path().join("again.dsbundle");
    let (ok, _, err) = station.import_bundle(&file, &again);
    assert!(ok, "{err}");
    assert_eq!(station.count("SELECT count(*) FROM blobs"), 2);
    assert_eq!(
        station.count("SELECT count(*) FROM records WHERE entity = 'photo'"),
        1
    );

    // The answer tells zhang's laptop its uploads are done.
    let taken = take_answer(&mut zhang, &answer);
    assert!(!taken.out_of_date);
    assert_eq!(zhang.store.photo_space().unwrap().uploads, 0);
    // A network sync later sends nothing again.
    let report = zhang.sync();
    assert_eq!(report.photos.sent, 0, "{report:?}");

    // li's own bundle's answer carries the beat's photo record and its thumbnail.
    let (li_file, _) = export(&mut li, stick.path());
    let li_answer = stick.path().join("li-answer.dsbundle");
    let (ok, _, err) = station.import_bundle(&li_file, &li_answer);
    assert!(ok, "{err}");
    take_answer(&mut li, &li_answer);
    let theirs = li.store.photos(PhotoOf::Household(h.id)).unwrap();
    assert_eq!(theirs.len(), 1);
    assert!(
        theirs[0].has_thumb && !theirs[0].has_full,
        "{:?}",
        theirs[0]
    );
    assert_eq!(theirs[0].photo.caption, "消防通道堵塞");
}

#[test]
fn a_bundle_photo_that_is_not_what_its_address_says_is_not_taken_and_the_rest_is() {
    use doorstep_core::photo::PhotoOptions;
    use doorstep_core::store::photos::PhotoOf;
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let stick = tempfile::tempdir().unwrap();
    let h = new_household(&mut zhang, BEAT, "和平路21号");
    let photo = zhang
        .store
        .attach_photo(
            PhotoOf::Household(h.id),
            &camera_jpeg(800, 600, true),
            "",
            PhotoOptions::default(),
        )
        .unwrap();
    // The laptop's copy of the photo went bad on its disk: the bundle carries other bytes.
    zhang
        .store
        .conn()
        .execute(
            "UPDATE blobs SET bytes = zeroblob(length(bytes)) WHERE sha256 = ?1",
            [&photo.sha256],
        )
        .unwrap();
    let (file, changes) = export(&mut zhang, stick.path());
    let answer = stick.path().join("answer.dsbundle");
    let (ok, report, err) = station.import_bundle(&file, &answer);
    assert!(ok, "{err}");
    assert_eq!(
        report["import"]["stored"], changes,
        "the records are taken: {report}"
    );
    assert_eq!(report["import"]["photos"], 1, "the thumbnail: {report}");
    assert_eq!(report["import"]["photos_refused"], 1, "{report}");
    take_answer(&mut zhang, &answer);
    let space = zhang.store.photo_space().unwrap();
    assert_eq!(
        space.uploads, 1,
        "the photo still waits to be sent: {space:?}"
    );
}

/// How long a busy week takes by USB stick (issue 14's figure, printed for BENCHMARKS.md; never
/// asserted): five days of twenty visits, four concerns with their follow-up tasks, six edits of
/// known households and two new ones, and two photos a day; written to the stick, imported on the
/// station's console with its answer, and the answer taken back.
#[test]
fn a_busy_weeks_bundle_is_written_imported_and_answered_in_seconds() {
    use doorstep_core::model::{Concern, ConcernCategory, Task};
    use doorstep_core::photo::PhotoOptions;
    use doorstep_core::store::photos::PhotoOf;
    use std::time::Instant;
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let known: Vec<Household> = (0..60)
        .map(|i| new_household(&mut zhang, BEAT, &format!("光明路{i}号")))
        .collect();
    zhang.sync();
    let stick = tempfile::tempdir().unwrap();
    let due = doorstep_core::time::local_today() + chrono::Days::new(7);
    for day in 0..5usize {
        for i in 0..20 {
            let h = &known[(day * 20 + i) % known.len()];
            let visit = new_visit(&mut zhang, h, &format!("第{day}天 入户走访，了解家庭情况"));
            if i % 5 == 0 {
                let mut concern = Concern::new(h.id, ConcernCategory::SafetyHazard, "楼道灯坏了");
                concern.visit_id = Some(visit.id);
                zhang.store.save(&concern).unwrap();
                let mut task = Task::new(h.id, "联系物业修灯", "张警官", due);
                task.concern_id = Some(concern.id);
                zhang.store.save(&task).unwrap();
            }
        }
        for i in 0..6 {
            let mut h: Household = zhang.household(known[day * 6 + i].id.0);
            h.notes = format!("第{day}天 更新联系方式");
            zhang.store.save(&h).unwrap();
        }
        for i in 0..2 {
            new_household(&mut zhang, BEAT, &format!("新建路{day}-{i}号"));
            zhang
                .store
                .attach_photo(
                    PhotoOf::Household(known[day * 2 + i].id),
                    &camera_jpeg(1024 + (day * 2 + i) as u32, 768, true),
                    "门口堆放杂物",
                    PhotoOptions::default(),
                )
                .unwrap();
        }
    }
    let week = unsent(&zhang);

    let started = Instant::now();
    let (file, changes) = export(&mut zhang, stick.path());
    let exported = started.elapsed();
    assert_eq!(i64::from(changes), week);
    let bytes = std::fs::metadata(&file).unwrap().len();
    let answer = stick.path().join("answer.dsbundle");
    let started = Instant::now();
    let (ok, report, err) = station.import_bundle(&file, &answer);
    let imported = started.elapsed();
    assert!(ok, "{err}");
    assert_eq!(report["import"]["stored"], week, "{report}");
    assert_eq!(report["import"]["photos"], 20, "{report}");
    let answer_bytes = std::fs::metadata(&answer).unwrap().len();
    let started = Instant::now();
    let taken = take_answer(&mut zhang, &answer);
    let answered = started.elapsed();
    assert!(!taken.out_of_date, "{taken:?}");
    assert_eq!(unsent(&zhang), 0, "the week is acknowledged");
    assert_eq!(zhang.store.photo_space().unwrap().uploads, 0);
    println!(
        "BENCH a week by USB stick: {week} changes and 10 photos, bundle {:.1} MB, answer {:.1} KB: written {:.2} s, imported at the station (console, process start included) {:.2} s, answer taken {:.2} s",
        bytes as f64 / 1e6,
        answer_bytes as f64 / 1e3,
        exported.as_secs_f64(),
        imported.as_secs_f64(),
        answered.as_secs_f64()
    );
}
