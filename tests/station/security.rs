//! Security with a real station process over HTTPS: revoked and wiped laptops, an officer asking
//! for another beat, confidential reporters, replayed enrolment codes, a station with a different
//! certificate, and hostile strings in text fields. Each refusal must also be in the audit trail.

use crate::support::{Device, Station, new_household};
use doorstep_core::model::{Concern, ConcernCategory, Household};
use doorstep_sync::SyncError;

/// The audit trail as `token` reads it, filtered by `query`.
fn audit(station: &Station, token: &str, query: &str) -> Vec<serde_json::Value> {
    let (status, body) = station.request("GET", &format!("audit?{query}"), token, None);
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn device_id(device: &Device) -> String {
    device.store.device().unwrap().device_id.to_string()
}

#[test]
fn a_revoked_laptop_is_refused_and_nothing_it_sends_is_stored() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    new_household(&mut zhang, "幸福社区", "幸福路1号");
    zhang.sync();
    let before = station.count("SELECT count(*) FROM changes");

    let id = device_id(&zhang);
    let (status, body) = station.request(
        "POST",
        &format!("devices/{id}/revoke"),
        &station.staff_token,
        Some(&serde_json::json!({})),
    );
    assert_eq!(status, 403, "staff may not revoke: {body}");
    let (status, body) = station.request(
        "POST",
        &format!("devices/{id}/revoke"),
        &station.admin_token,
        Some(&serde_json::json!({"wipe": false})),
    );
    assert_eq!(status, 204, "{body}");

    new_household(&mut zhang, "幸福社区", "幸福路2号");
    let refused = doorstep_sync::sync(&mut zhang.store, |_| ()).unwrap_err();
    assert!(matches!(refused, SyncError::Revoked), "{refused:?}");
    assert_eq!(
        station.count("SELECT count(*) FROM changes"),
        before,
        "nothing from a revoked laptop is stored"
    );
    assert_eq!(
        zhang.store.sync_status().unwrap().unsent,
        1,
        "the laptop keeps its unsent work (it is not told to erase it)"
    );
    let trail = audit(
        &station,
        &station.staff_token,
        &format!("source=security&device_id={id}"),
    );
    assert!(
        trail
            .iter()
            // A sync asks where it stands first: that request is the one refused.
            .any(|e| e["outcome"] == "refused" && e["action"].as_str().unwrap().contains("scopes")),
        "{trail:?}"
    );
    assert!(trail.iter().any(|e| e["action"] == "device_revoked"));
    let (_, devices) = station.get("devices");
    assert!(devices.contains("\"revoked_at\":\"20"), "{devices}");
}

#[test]
fn a_laptop_marked_for_wiping_erases_its_data_on_its_next_contact() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    new_household(&mut zhang, "幸福社区", "幸福路1号");
    zhang.sync();
    let id = device_id(&zhang);
    let (status, _) = station.request(
        "POST",
        &format!("devices/{id}/revoke"),
        &station.admin_token,
        Some(&serde_json::json!({"wipe": true})),
    );
    assert_eq!(status, 204);

    let ordered = doorstep_sync::sync(&mut zhang.store, |_| ()).unwrap_err();
    assert!(matches!(ordered, SyncError::WipeOrdered), "{ordered:?}");
    zhang.store.erase_contents().unwrap();
    assert!(zhang.store.device().is_err(), "no officer, no beat left");
    let path = zhang.store.conn().path().unwrap().to_string();
    drop(zhang);
    let file = std::fs::read(&path).unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&file).contains("幸福路1号"),
        "no trace of the beat in the file"
    );
    let (_, devices) = station.get("devices");
    assert!(devices.contains("\"wiped_at\":\"20"), "{devices}");
}

#[test]
fn an_officer_asking_for_another_beat_is_refused_and_logged() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "和平社区");
    new_household(&mut wang, "和平社区", "和平街1号");
    wang.sync();

    let query = format!("pull?device_id={}&beat=和平社区", device_id(&zhang));
    let (status, body) = station.request("GET", &query, &zhang.credential(), None);
    assert_eq!(status, 403, "{body}");
    assert!(!body.contains("和平街1号"));
    // Asking as another laptop is refused too.
    let query = format!("pull?device_id={}", device_id(&wang));
    let (status, _) = station.request("GET", &query, &zhang.credential(), None);
    assert_eq!(status, 403);
    zhang.sync();
    assert_eq!(
        zhang
            .store
            .conn()
            .query_row("SELECT count(*) FROM households", [], |r| r
                .get::<_, i64>(0))
            .unwrap(),
        0,
        "the laptop received nothing of the other beat"
    );

    // The officer on the station's pages: their own beat's summary, not another's.
    let officer = station.sign_in("张警官", "officer-password-1");
    let (status, _) = station.request("GET", "summary?month=2026-01&beat=幸福社区", &officer, None);
    assert_eq!(status, 200);
    let (status, _) = station.request("GET", "summary?month=2026-01&beat=和平社区", &officer, None);
    assert_eq!(status, 403);
    let (status, _) = station.request("GET", "conflicts", &officer, None);
    assert_eq!(status, 403, "the merge queue is for staff");

    let refusals = audit(
        &station,
        &station.staff_token,
        "source=security&actor=张警官",
    );
    let refused: Vec<&str> = refusals
        .iter()
        .filter(|e| e["outcome"] == "refused")
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert!(
        refused.iter().filter(|t| t.contains("和平社区")).count() >= 2,
        "{refusals:?}"
    );
}

#[test]
fn a_confidential_reporter_is_seen_only_by_the_recording_officer_and_the_chief() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let h: Household = new_household(&mut zhang, "幸福社区", "幸福路8号");
    let mut c = Concern::new(h.id, ConcernCategory::CrimeLead, "楼下有人聚赌");
    c.reporter_name = "举报人甲".into();
    c.confidential = true;
    zhang.store.save(&c).unwrap();
    zhang.sync();
    li.sync();

    let theirs: Concern = li.store.get(c.id.0).unwrap();
    assert_eq!(
        theirs.summary, "楼下有人聚赌",
        "the colleague sees the concern"
    );
    assert_eq!(theirs.reporter_name, "", "but not who reported it");
    zhang.sync();
    let own: Concern = zhang.store.get(c.id.0).unwrap();
    assert_eq!(
        own.reporter_name, "举报人甲",
        "the recording officer keeps it"
    );

    let path = format!("concerns/{}", c.id.0);
    let (status, body) = station.get(&path);
    assert_eq!(status, 200, "{body}");
    let staff_view: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(staff_view["withheld"], true);
    assert!(!body.contains("举报人甲"), "{body}");

    station.create_account("chief", "赵所长", &["chief"], &[], "chief-password-1");
    let chief = station.sign_in("chief", "chief-password-1");
    let (_, body) = station.request("GET", &path, &chief, None);
    let chief_view: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(chief_view["reporter"], "举报人甲");
    let (_, csv) = station.request_bytes(
        "GET",
        "export?from=2020-01-01&to=2099-12-31&format=csv&kind=concerns",
        &chief,
        None,
    );
    assert!(
        String::from_utf8_lossy(&csv).contains("举报人甲"),
        "the chief's export names the reporter"
    );
    let (_, csv) = station.request_bytes(
        "GET",
        "export?from=2020-01-01&to=2099-12-31&format=csv&kind=concerns",
        &station.staff_token,
        None,
    );
    assert!(!String::from_utf8_lossy(&csv).contains("举报人甲"));

    let reads = audit(&station, &chief, "action=read_confidential");
    let readers: Vec<&str> = reads.iter().map(|e| e["actor"].as_str().unwrap()).collect();
    assert!(
        readers.contains(&"staff") && readers.contains(&"chief"),
        "{reads:?}"
    );
    assert!(reads.iter().any(|e| e["detail"] == "reporter withheld"));
    assert!(reads.iter().any(|e| e["detail"] == "export with reporters"));
}

#[test]
fn an_enrolment_code_works_once_and_a_different_station_certificate_is_refused() {
    let station = Station::start();
    let code = station.enrollment_code("张警官", "幸福社区");
    let dir = tempfile::tempdir().unwrap();
    let mut first = doorstep_core::Store::open(&dir.path().join("a.sqlite")).unwrap();
    first.init_device("张警官", &["幸福社区".into()]).unwrap();
    let enrolled = doorstep_sync::enroll(&mut first, &station.url, &code).unwrap();
    assert_eq!(enrolled.beats, ["幸福社区"]);
    assert_eq!(
        enrolled.fingerprint,
        station.fingerprint(),
        "the certificate pinned is the station's"
    );

    let mut second = doorstep_core::Store::open(&dir.path().join("b.sqlite")).unwrap();
    second.init_device("冒充者", &["幸福社区".into()]).unwrap();
    let replayed = doorstep_sync::enroll(&mut second, &station.url, &code).unwrap_err();
    assert!(
        matches!(&replayed, SyncError::Refused { status: 401, message } if message.contains("already been used")),
        "{replayed:?}"
    );
    assert!(second.station().unwrap().is_none());
    let trail = audit(&station, &station.staff_token, "action=enroll");
    assert!(trail.iter().any(|e| e["outcome"] == "refused"), "{trail:?}");

    // Another station (another certificate) at the address the laptop syncs with.
    let impostor = Station::start();
    let mut link = first.station().unwrap().unwrap();
    link.url = impostor.url.clone();
    first.set_station(&link).unwrap();
    let refused = doorstep_sync::sync(&mut first, |_| ()).unwrap_err();
    assert!(
        matches!(refused, SyncError::CertificateChanged(_)),
        "{refused:?}"
    );
    assert_eq!(impostor.count("SELECT count(*) FROM changes"), 0);
}

/// Text that would break SQL built by pasting, or run as script if shown as markup.
pub const HOSTILE: [&str; 4] = [
    "幸福路1号'); DROP TABLE records; --",
    "<script>window.__pwned = 1</script>",
    "<img src=x onerror=\"window.__pwned = 1\">",
    "=HYPERLINK(\"http://evil\",\"点我\")",
];

#[test]
fn hostile_strings_in_text_fields_are_stored_and_returned_as_text() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut ids = Vec::new();
    for text in HOSTILE {
        let mut h = new_household(&mut zhang, "幸福社区", text);
        h.notes = text.to_string();
        zhang.store.save(&h).unwrap();
        ids.push(h.id);
    }
    let c = Concern::new(ids[0], ConcernCategory::ServiceRequest, HOSTILE[3]);
    zhang.store.save(&c).unwrap();
    zhang.sync();
    assert_eq!(
        station.count("SELECT count(*) FROM records WHERE entity = 'household'"),
        4,
        "the records table is still there, with all four"
    );
    let mut li = Device::new(&station, "李警官", "幸福社区");
    li.sync();
    for (id, text) in ids.iter().zip(HOSTILE) {
        let h: Household = li.store.get(id.0).unwrap();
        assert_eq!(h.address, text);
        assert_eq!(h.notes, text);
    }
    let (_, csv) = station.request_bytes(
        "GET",
        "export?from=2020-01-01&to=2099-12-31&format=csv&kind=concerns",
        &station.staff_token,
        None,
    );
    let csv = String::from_utf8_lossy(&csv);
    assert!(
        csv.contains("'=HYPERLINK"),
        "a formula is exported as text: {csv}"
    );
    let (_, audit_csv) = station.request_bytes("GET", "audit/export", &station.staff_token, None);
    assert!(String::from_utf8_lossy(&audit_csv).starts_with("\u{feff}at,source,actor"));
}
