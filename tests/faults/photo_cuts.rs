//! Photo uploads through a link that breaks: a connection cut in the middle of a photo leaves the
//! station holding every chunk it acknowledged, and the next try sends only the rest (never from
//! zero); under random cuts of requests and responses, every photo arrives whole, with few bytes sent
//! twice (the figure BENCHMARKS.md quotes), and a photo that keeps failing never holds back others.

use crate::proxy::{Fault, Proxy};
use crate::support::{Device, Station, camera_jpeg, new_household};
use doorstep_core::photo::{PhotoOptions, sha256_hex};
use doorstep_core::store::photos::PhotoOf;
use doorstep_protocol::limits::BLOB_CHUNK;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::Ordering;

fn through(device: &mut Device, proxy: &Proxy) {
    let mut link = device.store.station().unwrap().unwrap();
    link.url = proxy.url.clone();
    device.store.set_station(&link).unwrap();
}

/// Makes every queued upload due now (as the back-off's wait having passed).
fn due_now(device: &Device) {
    device
        .store
        .conn()
        .execute("UPDATE blob_uploads SET next_try_ms = 0", [])
        .unwrap();
}

fn acknowledged(device: &Device, sha: &str) -> i64 {
    device
        .store
        .conn()
        .query_row(
            "SELECT sent FROM blob_uploads WHERE sha256 = ?1",
            [sha],
            |r| r.get(0),
        )
        .unwrap()
}

/// A photo as large as a phone's after shrinking (several chunks).
fn big_photo(device: &mut Device, of: PhotoOf, seed: u32) -> doorstep_core::model::Photo {
    let jpeg = camera_jpeg(2048 + seed, 1536, true);
    device
        .store
        .attach_photo(of, &jpeg, "", PhotoOptions::default())
        .unwrap()
}

/// Every photo whole at the station (staff read the very bytes), each photo and thumbnail stored
/// once.
fn assert_whole_at_station(station: &Station, photos: &[doorstep_core::model::Photo]) {
    for photo in photos {
        let (status, full) = station.request_bytes(
            "GET",
            &format!("photos/{}/full", photo.id),
            &station.staff_token,
            None,
        );
        assert_eq!(status, 200);
        assert_eq!(sha256_hex(&full), photo.sha256);
    }
    assert_eq!(
        station.count("SELECT count(*) FROM blobs"),
        (photos.len() * 2) as i64,
        "each photo and thumbnail stored once"
    );
}

#[test]
fn an_upload_cut_mid_photo_resumes_at_its_last_acknowledged_chunk() {
    let station = Station::start();
    let proxy = Proxy::start(&station.url);
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路1号");
    let photo = big_photo(&mut zhang, PhotoOf::Household(h.id), 0);
    let chunk = BLOB_CHUNK as i64;
    assert!(
        photo.bytes > 3 * chunk,
        "several chunks: {} bytes",
        photo.bytes
    );
    zhang
        .store
        .conn()
        .execute("UPDATE blob_uploads SET next_try_ms = 9000000000000000", [])
        .unwrap();
    zhang.sync();
    through(&mut zhang, &proxy);

    // The link dies half way through the photo's second chunk.
    due_now(&zhang);
    proxy.plan([Fault::CutRequest((chunk + chunk / 2) as usize)]);
    let _ = doorstep_sync::photos::send_due(&mut zhang.store);
    let held = acknowledged(&zhang, &photo.sha256);
    assert!(
        held > 0 && held % chunk == 0 && held < photo.bytes,
        "the laptop knows the station holds whole chunks, not nothing: {held}"
    );
    let (status, body) = station.request(
        "GET",
        &format!("blobs/{}/status?size={}", photo.sha256, photo.bytes),
        &zhang.credential(),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let at_station: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(at_station["received"], held, "{body}");
    assert_eq!(at_station["complete"], false);
    let failed: (i64, String) = zhang
        .store
        .conn()
        .query_row(
            "SELECT next_try_ms, last_error FROM blob_uploads WHERE sha256 = ?1",
            [&photo.sha256],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        failed.0 > 0,
        "the failed upload waits its back-off: {failed:?}"
    );

    // The next try sends the rest only.
    due_now(&zhang);
    proxy.sent_up.store(0, Ordering::Relaxed);
    let report = doorstep_sync::photos::send_due(&mut zhang.store).unwrap();
    assert_eq!(report.waiting, 0, "{report:?}");
    let sent = proxy.sent_up.load(Ordering::Relaxed) as i64;
    let rest = photo.bytes - held;
    println!(
        "FAULTS photo cut mid-upload: {} bytes, {held} held after the cut, {sent} bytes sent to finish (the rest was {rest})",
        photo.bytes
    );
    assert!(
        sent < rest + chunk / 4,
        "only the rest went again (plus the thumbnail and TLS): sent {sent}, rest {rest}"
    );
    let (status, full) = station.request_bytes(
        "GET",
        &format!("photos/{}/full", photo.id),
        &station.staff_token,
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(sha256_hex(&full), photo.sha256, "whole and the same");
}

#[test]
fn photos_through_random_cuts_all_arrive_whole_with_little_sent_twice() {
    let station = Station::start();
    let proxy = Proxy::start(&station.url);
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    through(&mut zhang, &proxy);
    let h = new_household(&mut zhang, "幸福社区", "幸福路2号");
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    let count = crate::runs(4);
    let photos: Vec<_> = (0..count)
        .map(|i| big_photo(&mut zhang, PhotoOf::Household(h.id), i * 16))
        .collect();
    let size: i64 = zhang.store.photo_space().unwrap().upload_bytes;
    let mut rounds = 0;
    while zhang.store.photo_space().unwrap().uploads > 0 {
        rounds += 1;
        assert!(rounds < 200, "uploads never finished");
        // Each round's connection may be cut mid-request or mid-response.
        // Every connection breaks (at a random point) until the photos are nearly through: the
        // link of a laptop in a moving car.
        let faults: Vec<Fault> = (0..10)
            .map(|i| match (rounds > 80, i % 4) {
                (true, _) => Fault::None,
                (false, 3) => Fault::CutResponse(rng.random_range(100..8_000)),
                (false, _) => Fault::CutRequest(rng.random_range(100_000..2 * BLOB_CHUNK)),
            })
            .collect();
        proxy.plan(faults);
        due_now(&zhang);
        let _ = doorstep_sync::sync(&mut zhang.store, |_| ());
    }
    let sent = proxy.sent_up.load(Ordering::Relaxed) as i64;
    let again = (sent - size).max(0) as f64 / size as f64 * 100.0;
    println!(
        "FAULTS photos through random cuts: {count} photos, {size} bytes, {rounds} rounds, faults injected {}, {sent} bytes up in all ({again:.1}% beyond the photos, records and TLS included)",
        proxy.injected.load(Ordering::Relaxed)
    );
    assert!(
        proxy.injected.load(Ordering::Relaxed) >= 10,
        "the link did break on the way"
    );
    // A cut every few hundred kilobytes costs a part chunk each (smaller chunks after a cut keep
    // it near a fifth here; at a cut every 10 s of a real link it is a few percent, see
    // BENCHMARKS.md). Whole-photo re-sending would be several times the photos' size.
    assert!(again < 40.0, "{again:.1}% sent twice");
    assert_whole_at_station(&station, &photos);
}

/// A photo of about 4 MB once kept (camera noise does not compress: as large as a photo at the
/// usual size gets), the size the benchmark names; each `i` its own photo (its width).
fn four_mb_photo(device: &mut Device, of: PhotoOf, i: u32) -> doorstep_core::model::Photo {
    let jpeg = camera_jpeg(1800 + i, 1390, true);
    device
        .store
        .attach_photo(of, &jpeg, "", PhotoOptions::default())
        .unwrap()
}

/// Sends the queue the way the window does: a sync (records, then the photos due), and after a
/// failure the wait the back-off asks for, until nothing is left to send.
fn sync_until_sent(device: &mut Device, give_up: std::time::Duration) -> u32 {
    let start = std::time::Instant::now();
    let mut rounds = 0;
    while device.store.photo_space().unwrap().uploads > 0 {
        assert!(start.elapsed() < give_up, "uploads never finished");
        rounds += 1;
        let _ = doorstep_sync::sync(&mut device.store, |_| ());
        if let Some(next) = device.store.next_upload_ms().unwrap() {
            let wait = next - chrono::Utc::now().timestamp_millis();
            if wait > 0 {
                std::thread::sleep(std::time::Duration::from_millis(wait as u64));
            }
        }
    }
    rounds
}

/// The benchmark: photos of 4 MB over a link of known speed whose connection drops every
/// few seconds. Bytes sent beyond the photos' own (goal ≤ 5%), and the time. The test command
/// runs 6 photos at 4 MB/s cut every 2 s; `scripts/faults.sh` (scale 10) the 100 photos at
/// 4 MB/s cut every 10 s.
#[test]
fn photos_over_a_link_cut_every_few_seconds_send_little_twice() {
    let long = crate::runs(1) >= 10;
    let (count, rate, every) = if long {
        (100, 4 * 1024 * 1024, 10)
    } else {
        (6, 4 * 1024 * 1024, 2)
    };
    let station = Station::start();
    let proxy = std::sync::Arc::new(Proxy::start(&station.url));
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    through(&mut zhang, &proxy);
    let h = new_household(&mut zhang, "幸福社区", "幸福路3号");
    let photos: Vec<_> = (0..count)
        .map(|i| four_mb_photo(&mut zhang, PhotoOf::Household(h.id), i))
        .collect();
    let size = zhang.store.photo_space().unwrap().upload_bytes;
    proxy.plan(std::iter::repeat_n(Fault::Rate(rate), 100_000));

    // The link drops every `every` seconds, whatever is on it.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let cutter = {
        let (stop, proxy) = (stop.clone(), proxy.clone());
        std::thread::spawn(move || {
            let mut cuts = 0;
            loop {
                for _ in 0..every * 10 {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    if stop.load(Ordering::Relaxed) {
                        return cuts;
                    }
                }
                cuts += proxy.cut_all();
            }
        })
    };
    let started = std::time::Instant::now();
    let rounds = sync_until_sent(&mut zhang, std::time::Duration::from_secs(1800));
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let cuts = cutter.join().unwrap();
    let sent = proxy.sent_up.load(Ordering::Relaxed) as i64;
    let again = (sent - size).max(0) as f64 / size as f64 * 100.0;
    println!(
        "PHOTOS over a link of {} MB/s cut every {every} s: {count} photos, {size} bytes (photos and thumbnails), {cuts} connections cut, {rounds} syncs, {sent} bytes up in all ({again:.1}% beyond the photos, records and TLS included), {:.1} s (the photos alone take {:.1} s at that speed)",
        rate / (1024 * 1024),
        took.as_secs_f64(),
        size as f64 / rate as f64
    );
    assert_whole_at_station(&station, &photos);
    // Each cut costs at most the chunk in flight: far under the photos' size. (The goal, 5%, is a
    // figure measured at the long count, not asserted: tests never fail on timing or links.)
    assert!(again < 25.0, "{again:.1}% sent twice");
}

/// How long a sync of many photos takes on loopback, no faults: the test command 10 photos,
/// `scripts/faults.sh` 100.
#[test]
fn many_photos_sync_on_loopback() {
    let count = crate::runs(10);
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路4号");
    let taken: Vec<Vec<u8>> = (0..count)
        .map(|i| camera_jpeg(1800 + i, 1390, true))
        .collect();
    let started = std::time::Instant::now();
    for jpeg in &taken {
        zhang
            .store
            .attach_photo(PhotoOf::Household(h.id), jpeg, "", PhotoOptions::default())
            .unwrap();
    }
    let attached = started.elapsed();
    let size = zhang.store.photo_space().unwrap().upload_bytes;
    let started = std::time::Instant::now();
    let report = doorstep_sync::sync(&mut zhang.store, |_| ()).unwrap();
    let took = started.elapsed();
    assert_eq!(report.photos.sent, count * 2, "{report:?}");
    assert_eq!(zhang.store.photo_space().unwrap().uploads, 0);
    println!(
        "PHOTOS on loopback: {count} photos, {size} bytes (photos and thumbnails): one sync {:.2} s ({:.0} MB/s); attaching them (decode, thumbnail, encode, store; debug build of our code) {:.2} s",
        took.as_secs_f64(),
        size as f64 / (1024.0 * 1024.0) / took.as_secs_f64(),
        attached.as_secs_f64()
    );
    assert_eq!(
        station.count("SELECT count(*) FROM blobs"),
        i64::from(count * 2)
    );
}
