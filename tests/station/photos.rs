//! Photos against a real station: a photo attached on one laptop reaches the station (staff see it,
//! "pending" until its bytes are whole) and another laptop of the beat (its thumbnail with the sync,
//! the full photo when opened); a confidential concern's photo stays away from the other officer and
//! from staff who may not see its reporter, whatever they ask for; a record forged to name someone
//! else's photo reads nothing; chunks at the wrong offset, for no photo, or with other bytes than
//! their hash are refused with a reason; a photo that cannot be read is refused on the laptop at
//! once and the rest syncs; a deleted photo leaves both laptops, and the station's disk once no
//! photo names its bytes; a concern made confidential later takes its photo back from the other
//! laptop.

use crate::support::*;
use doorstep_core::Error;
use doorstep_core::error::PhotoError;
use doorstep_core::ids::PhotoId;
use doorstep_core::model::{Concern, ConcernCategory, Photo};
use doorstep_core::photo::{PhotoOptions, sha256_hex};
use doorstep_core::store::photos::PhotoOf;

const BEAT: &str = "幸福社区";

fn attach(device: &mut Device, of: PhotoOf, jpeg: &[u8], caption: &str) -> Photo {
    device
        .store
        .attach_photo(of, jpeg, caption, PhotoOptions::default())
        .unwrap()
}

/// Holds the laptop's uploads back (as if every try so far had failed), so a sync sends the records
/// and not yet the bytes.
fn hold_uploads(device: &Device) {
    device
        .store
        .conn()
        .execute("UPDATE blob_uploads SET next_try_ms = 9000000000000000", [])
        .unwrap();
}

fn release_uploads(device: &Device) {
    device
        .store
        .conn()
        .execute("UPDATE blob_uploads SET next_try_ms = 0", [])
        .unwrap();
}

/// The staff's view of a household's photos.
fn staff_photos(station: &Station, household: &str) -> Vec<serde_json::Value> {
    let (status, body) = station.get(&format!("photos?of=household&id={household}"));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[test]
fn a_photo_reaches_the_station_pending_until_its_bytes_arrive_and_then_another_laptop() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let mut li = Device::new(&station, "李警官", BEAT);
    let h = new_household(&mut zhang, BEAT, "幸福路8号");
    let photo = attach(
        &mut zhang,
        PhotoOf::Household(h.id),
        &camera_jpeg(3000, 2000, false),
        "楼道堆放杂物",
    );
    assert_eq!((photo.width, photo.height), (2048, 1365), "shrunk to 2048");

    // The record first, the bytes held back: staff see the photo as pending.
    hold_uploads(&zhang);
    let report = zhang.sync();
    assert_eq!(report.photos.sent, 0, "{report:?}");
    let listed = staff_photos(&station, &h.id.0.to_string());
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["pending"], true, "{listed:?}");
    assert_eq!(listed[0]["caption"], "楼道堆放杂物");
    let (status, _) = station.request_bytes(
        "GET",
        &format!("photos/{}/full", photo.id),
        &station.staff_token,
        None,
    );
    assert!(status >= 400, "no bytes before they arrived: {status}");

    // The upload timer's round sends both blobs; staff now read the very bytes.
    release_uploads(&zhang);
    let sent = doorstep_sync::photos::send_due(&mut zhang.store).unwrap();
    assert_eq!(sent.sent, 2, "the photo and its thumbnail: {sent:?}");
    assert_eq!(zhang.store.photo_space().unwrap().uploads, 0);
    let listed = staff_photos(&station, &h.id.0.to_string());
    assert_eq!(listed[0]["pending"], false, "{listed:?}");
    let (status, full) = station.request_bytes(
        "GET",
        &format!("photos/{}/full", photo.id),
        &station.staff_token,
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(sha256_hex(&full), photo.sha256);
    let stored = station.dir.path().join("blobs").read_dir().unwrap().count();
    assert!(stored >= 1, "blobs on the station's disk");

    // The other laptop of the beat: the record and its thumbnail with the sync, not the full photo.
    let report = li.sync();
    assert_eq!(report.photos.thumbs, 1, "{report:?}");
    let entries = li.store.photos(PhotoOf::Household(h.id)).unwrap();
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0].has_thumb && !entries[0].has_full,
        "{:?}",
        entries[0]
    );
    assert_eq!(entries[0].photo.caption, "楼道堆放杂物");
    // Opened: fetched, kept within the budget, the same bytes.
    let opened = doorstep_sync::photos::fetch_blob(&mut li.store, &photo.sha256).unwrap();
    assert_eq!(opened, full);
    assert!(li.store.photo(photo.id).unwrap().has_full);
    let space = li.store.photo_space().unwrap();
    assert!(space.fetched_bytes >= full.len() as i64, "{space:?}");
    assert_eq!(space.uploads, 0, "another's photo is not li's to send");

    // Deleted on zhang's laptop: gone from the station's list and from li's laptop, bytes and all.
    zhang.store.delete_photo(photo.id).unwrap();
    zhang.sync();
    assert!(staff_photos(&station, &h.id.0.to_string()).is_empty());
    li.sync();
    assert!(
        li.store
            .photos(PhotoOf::Household(h.id))
            .unwrap()
            .is_empty()
    );
    assert_eq!(li.store.blob(&photo.sha256).unwrap(), None);
    assert_eq!(li.store.blob(&photo.thumb_sha256).unwrap(), None);
}

#[test]
fn the_same_photo_twice_is_stored_once_and_a_photo_of_a_visit_is_listed_with_its_household() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let h = new_household(&mut zhang, BEAT, "幸福路9号");
    let v = new_visit(&mut zhang, &h, "入户走访");
    let jpeg = camera_jpeg(800, 600, true);
    let a = attach(&mut zhang, PhotoOf::Visit(v.id), &jpeg, "门锁");
    let b = attach(
        &mut zhang,
        PhotoOf::Household(h.id),
        &jpeg,
        "门锁（又一张）",
    );
    assert_eq!(a.sha256, b.sha256);
    let space = zhang.store.photo_space().unwrap();
    assert_eq!(space.photos, 2);
    assert_eq!(
        space.uploads, 2,
        "one photo and one thumbnail to send: {space:?}"
    );
    let report = zhang.sync();
    assert_eq!(report.photos.sent, 2, "{report:?}");
    let listed = staff_photos(&station, &h.id.0.to_string());
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|p| p["pending"] == false), "{listed:?}");
    let (status, body) = station.get(&format!("photos?of=visit&id={}", v.id));
    assert_eq!(status, 200);
    let of_visit: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(of_visit.len(), 1, "{body}");
    assert_eq!(of_visit[0]["id"], a.id.to_string());

    // One of the two deleted: the bytes stay at the station for the other; both deleted, they go.
    let file = station
        .dir
        .path()
        .join("blobs")
        .join(&a.sha256[..2])
        .join(&a.sha256);
    assert!(file.is_file());
    zhang.store.delete_photo(a.id).unwrap();
    zhang.sync();
    assert!(file.is_file(), "the other photo still names these bytes");
    let (status, _) = station.request_bytes(
        "GET",
        &format!("photos/{}/full", b.id),
        &station.staff_token,
        None,
    );
    assert_eq!(status, 200);
    zhang.store.delete_photo(b.id).unwrap();
    zhang.sync();
    assert!(
        !file.exists(),
        "no photo needs them: gone from the station's disk"
    );
    assert_eq!(station.count("SELECT count(*) FROM blobs"), 0);
    assert_eq!(station.count("SELECT count(*) FROM blob_holders"), 0);
}

#[test]
fn a_photo_that_cannot_be_read_is_refused_on_the_laptop_at_once_and_the_rest_syncs() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let h = new_household(&mut zhang, BEAT, "幸福路10号");
    // An iPhone's HEIC (its file type box), a JPEG cut short in copying, a text file named .jpg.
    let heic = [&b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"[..], &[0u8; 64]].concat();
    let good = camera_jpeg(640, 480, true);
    let cut = good[..good.len() / 2].to_vec();
    for bad in [&heic[..], &cut[..], b"not a photo at all"] {
        let refused =
            zhang
                .store
                .attach_photo(PhotoOf::Household(h.id), bad, "", PhotoOptions::default());
        assert!(matches!(refused, Err(Error::Photo(_))), "{refused:?}");
    }
    let heic_refusal = zhang
        .store
        .attach_photo(PhotoOf::Household(h.id), &heic, "", PhotoOptions::default())
        .unwrap_err();
    assert!(
        matches!(&heic_refusal, Error::Photo(PhotoError::Unsupported { format }) if format.contains("HEI")),
        "HEIC is named as such: {heic_refusal:?}"
    );
    assert_eq!(
        zhang.store.photo_space().unwrap().photos,
        0,
        "nothing half-attached"
    );
    let kept = attach(&mut zhang, PhotoOf::Household(h.id), &good, "好的一张");
    new_visit(&mut zhang, &h, "走访照常");
    let report = zhang.sync();
    assert_eq!(report.refused, 0, "{report:?}");
    assert_eq!(report.photos.sent, 2, "{report:?}");
    let listed = staff_photos(&station, &h.id.0.to_string());
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], kept.id.to_string());
    assert_eq!(
        station.count("SELECT count(*) FROM records WHERE entity = 'visit'"),
        1
    );
}

#[test]
fn a_confidential_concerns_photo_stays_away_from_the_other_officer_and_from_staff() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let mut li = Device::new(&station, "李警官", BEAT);
    let h = new_household(&mut zhang, BEAT, "幸福路11号");
    let mut c = Concern::new(h.id, ConcernCategory::SafetyHazard, "反映邻居私拉电线");
    c.confidential = true;
    c.reporter_name = "匿名群众".into();
    zhang.store.save(&c).unwrap();
    let secret = attach(
        &mut zhang,
        PhotoOf::Concern(c.id),
        &camera_jpeg(900, 700, true),
        "举报人家门口",
    );
    let open = attach(
        &mut zhang,
        PhotoOf::Household(h.id),
        &camera_jpeg(640, 480, true),
        "院门",
    );
    let report = zhang.sync();
    assert_eq!(report.photos.sent, 4, "{report:?}");

    // The other officer of the beat holds the record, blanked: no hash, no caption, no bytes.
    let report = li.sync();
    assert_eq!(
        report.photos.thumbs, 1,
        "only the open photo's thumbnail: {report:?}"
    );
    let of_concern = li.store.photos(PhotoOf::Concern(c.id)).unwrap();
    assert_eq!(of_concern.len(), 1);
    let blank = &of_concern[0].photo;
    assert!(blank.withheld(), "{blank:?}");
    assert_eq!((blank.caption.as_str(), blank.location.as_str()), ("", ""));
    assert!(!of_concern[0].has_thumb);
    let li_credential = li.credential();
    for sha in [&secret.sha256, &secret.thumb_sha256] {
        let (status, body) =
            station.request_bytes("GET", &format!("blobs/{sha}"), &li_credential, None);
        assert!(
            status == 403 || status == 404,
            "li asked for the hash by name and got {status} ({} bytes)",
            body.len()
        );
    }
    assert!(doorstep_sync::photos::fetch_blob(&mut li.store, &secret.sha256).is_err());
    // The open photo of the same household li reads as any.
    let (status, bytes) = station.request_bytes(
        "GET",
        &format!("blobs/{}", open.sha256),
        &li_credential,
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(sha256_hex(&bytes), open.sha256);

    // Staff who may not see the reporter see that a photo is there, not the photo.
    let (status, body) = station.get(&format!("photos?of=concern&id={}", c.id));
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.contains(&secret.sha256) && !body.contains("举报人家门口"),
        "{body}"
    );
    let listed: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(listed[0]["withheld"], true);
    for part in ["thumb", "full"] {
        let (status, _) = station.request_bytes(
            "GET",
            &format!("photos/{}/{part}", secret.id),
            &station.staff_token,
            None,
        );
        assert_eq!(status, 403, "staff read of the {part}");
    }
    let (status, _) = station.request_bytes(
        "GET",
        &format!("blobs/{}", secret.sha256),
        &station.staff_token,
        None,
    );
    assert!(status == 403 || status == 404, "{status}");
    assert!(
        station.count("SELECT count(*) FROM audit WHERE action = 'read_photo'") >= 1,
        "the refused reads are in the audit trail"
    );

    // The officer who recorded it still reads it at the station, e.g. on another laptop of theirs.
    let (status, bytes) = station.request_bytes(
        "GET",
        &format!("blobs/{}", secret.sha256),
        &zhang.credential(),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(sha256_hex(&bytes), secret.sha256);
}

/// Regression: the photo's masking is worked out from its concern when read, but a laptop that had
/// pulled the photo while the concern was open kept its caption and thumbnail after the concern
/// was made confidential (the photo's version never moved, so nothing was sent again).
#[test]
fn a_concern_made_confidential_later_takes_its_photo_back_from_the_other_laptop_and_open_again_returns_it()
 {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let mut li = Device::new(&station, "李警官", BEAT);
    let h = new_household(&mut zhang, BEAT, "幸福路15号");
    let c = Concern::new(h.id, ConcernCategory::SafetyHazard, "楼下有人私拉电线");
    zhang.store.save(&c).unwrap();
    let photo = attach(
        &mut zhang,
        PhotoOf::Concern(c.id),
        &camera_jpeg(800, 600, true),
        "举报人家窗外",
    );
    zhang.sync();
    let report = li.sync();
    assert_eq!(report.photos.thumbs, 1, "open at first: {report:?}");
    let seen = &li.store.photos(PhotoOf::Concern(c.id)).unwrap()[0];
    assert_eq!(seen.photo.caption, "举报人家窗外");
    assert!(seen.has_thumb);

    // Zhang learns the reporter fears reprisal and makes the concern confidential.
    let mut secret: Concern = zhang.store.get(c.id.0).unwrap();
    secret.confidential = true;
    secret.reporter_name = "邻居".into();
    zhang.store.save(&secret).unwrap();
    zhang.sync();
    li.sync();
    let entries = li.store.photos(PhotoOf::Concern(c.id)).unwrap();
    assert_eq!(entries.len(), 1);
    let blank = &entries[0];
    assert!(blank.photo.withheld(), "{blank:?}");
    assert_eq!(blank.photo.caption, "", "{blank:?}");
    assert!(!blank.has_thumb && !blank.has_full, "{blank:?}");
    assert_eq!(li.store.blob(&photo.thumb_sha256).unwrap(), None);
    assert_eq!(li.store.blob(&photo.sha256).unwrap(), None);
    // Zhang's own laptop keeps everything.
    let own = &zhang.store.photos(PhotoOf::Concern(c.id)).unwrap()[0];
    assert_eq!(own.photo.caption, "举报人家窗外");
    assert!(own.has_full);

    // Open again (the reporter agreed): li gets the photo back with its thumbnail.
    let mut open: Concern = zhang.store.get(c.id.0).unwrap();
    open.confidential = false;
    zhang.store.save(&open).unwrap();
    zhang.sync();
    let report = li.sync();
    assert_eq!(report.photos.thumbs, 1, "{report:?}");
    let back = &li.store.photos(PhotoOf::Concern(c.id)).unwrap()[0];
    assert_eq!(back.photo.sha256, photo.sha256);
    assert_eq!(back.photo.caption, "举报人家窗外");
    assert!(back.has_thumb);
}

/// The neighbouring case: a concern recorded confidential in a visit li already holds, with its
/// reporter among the people met. Li's copy of the visit loses the reporter when the concern
/// arrives.
#[test]
fn a_confidential_concern_raised_in_a_visit_li_already_holds_takes_the_reporter_off_lis_copy() {
    use doorstep_core::model::{Resident, Visit};
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let mut li = Device::new(&station, "李警官", BEAT);
    let h = new_household(&mut zhang, BEAT, "幸福路16号");
    let reporter = Resident::new(h.id, "孙举报");
    zhang.store.save(&reporter).unwrap();
    let mut visit = new_visit(&mut zhang, &h, "入户走访");
    let saved: Visit = zhang.store.get(visit.id.0).unwrap();
    visit.met = vec![reporter.id];
    zhang.store.save_edit(&saved, &visit).unwrap();
    zhang.sync();
    li.sync();
    assert_eq!(
        li.store.get::<Visit>(visit.id.0).unwrap().met,
        vec![reporter.id]
    );

    let mut c = Concern::new(h.id, ConcernCategory::CrimeLead, "有人深夜聚赌");
    c.visit_id = Some(visit.id);
    c.reporter_id = Some(reporter.id);
    c.confidential = true;
    zhang.store.save(&c).unwrap();
    zhang.sync();
    li.sync();
    assert!(
        li.store.get::<Visit>(visit.id.0).unwrap().met.is_empty(),
        "the reporter is not readable off li's copy of the visit"
    );
    assert_eq!(li.store.get::<Concern>(c.id.0).unwrap().reporter_id, None);
}

#[test]
fn a_record_forged_to_name_another_officers_photo_reads_nothing() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let mut li = Device::new(&station, "李警官", BEAT);
    let h = new_household(&mut zhang, BEAT, "幸福路12号");
    let mut c = Concern::new(h.id, ConcernCategory::PoliceConduct, "反映派出所民警态度");
    c.confidential = true;
    zhang.store.save(&c).unwrap();
    let secret = attach(
        &mut zhang,
        PhotoOf::Concern(c.id),
        &camera_jpeg(700, 500, true),
        "",
    );
    zhang.sync();
    li.sync();

    // li learns the hash somehow and writes an open photo record naming it, in li's own beat.
    let forged = Photo {
        id: PhotoId::new(),
        version: 0,
        household_id: h.id,
        visit_id: None,
        concern_id: None,
        sha256: secret.sha256.clone(),
        thumb_sha256: secret.thumb_sha256.clone(),
        bytes: secret.bytes,
        width: secret.width,
        height: secret.height,
        caption: "随手拍".into(),
        taken_at: doorstep_core::time::now(),
        location: String::new(),
        deleted: false,
    };
    li.store.save(&forged).unwrap();
    let report = li.sync();
    assert_eq!(
        report.refused, 0,
        "the record itself is well formed: {report:?}"
    );
    let credential = li.credential();
    for sha in [&secret.sha256, &secret.thumb_sha256] {
        let (status, _) = station.request_bytes("GET", &format!("blobs/{sha}"), &credential, None);
        assert!(status == 403 || status == 404, "{status}");
    }
    // Nor do staff read the secret through the forged record.
    let (status, _) = station.request_bytes(
        "GET",
        &format!("photos/{}/full", forged.id),
        &station.staff_token,
        None,
    );
    assert!(status >= 400, "{status}");
    // And li cannot make the station believe li sent those bytes: a chunk claiming them is refused.
    let (status, body) = station.put_bytes(
        &format!("blobs/{}?size={}&offset=0", secret.sha256, secret.bytes),
        &credential,
        &vec![0u8; secret.bytes as usize],
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("blob_checksum"), "{body}");
}

#[test]
fn chunks_at_the_wrong_offset_for_no_photo_or_with_other_bytes_are_refused_with_a_reason() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", BEAT);
    let h = new_household(&mut zhang, BEAT, "幸福路13号");
    let photo = attach(
        &mut zhang,
        PhotoOf::Household(h.id),
        &camera_jpeg(1200, 900, true),
        "",
    );
    hold_uploads(&zhang);
    zhang.sync();
    let credential = zhang.credential();
    let full = zhang.store.blob(&photo.sha256).unwrap().unwrap();
    let size = full.len();

    // No photo record names these bytes: nothing to store them for.
    let stray = b"bytes of no photo".to_vec();
    let (status, body) = station.put_bytes(
        &format!("blobs/{}?size={}&offset=0", sha256_hex(&stray), stray.len()),
        &credential,
        &stray,
    );
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("blob_unknown_photo"), "{body}");
    // A chunk that does not start where the station stands.
    let (status, body) = station.put_bytes(
        &format!("blobs/{}?size={size}&offset=1000", photo.sha256),
        &credential,
        &full[1000..2000],
    );
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("blob_offset"), "{body}");
    // Not a hash at all, and a size beyond any photo's.
    let (status, _) = station.put_bytes("blobs/not-a-hash?size=3&offset=0", &credential, b"abc");
    assert_eq!(status, 400);
    let (status, _) = station.put_bytes(
        &format!("blobs/{}?size={}&offset=0", photo.sha256, 1u64 << 40),
        &credential,
        b"abc",
    );
    assert_eq!(status, 400);
    // Staff sign-ins do not upload photos.
    let (status, _) = station.put_bytes(
        &format!("blobs/{}?size={size}&offset=0", photo.sha256),
        &station.staff_token,
        &full,
    );
    assert_eq!(status, 403);
    // Other bytes of the right length: refused when whole, nothing kept; the real ones then go.
    let mut altered = full.clone();
    altered[size / 2] ^= 0xff;
    let (status, body) = station.put_bytes(
        &format!("blobs/{}?size={size}&offset=0", photo.sha256),
        &credential,
        &altered,
    );
    assert_eq!(status, 422, "{body}");
    assert!(staff_photos(&station, &h.id.0.to_string())[0]["pending"] == true);
    release_uploads(&zhang);
    let sent = doorstep_sync::photos::send_due(&mut zhang.store).unwrap();
    assert_eq!(sent.sent, 2, "{sent:?}");
    assert!(staff_photos(&station, &h.id.0.to_string())[0]["pending"] == false);
}
