//! Syncs through connections refused, cut mid-request and mid-response, and slowed: every sync
//! either completes or fails as "the station cannot be reached" (the calm offline state, retried
//! later), and in the end each laptop's every change is at the station once.

use crate::proxy::{Fault, Proxy};
use crate::support::{Device, Station, new_household, new_visit};
use doorstep_sync::SyncError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn random_fault(rng: &mut ChaCha8Rng) -> Fault {
    match rng.random_range(0..10) {
        0 => Fault::Refuse,
        1..=3 => Fault::CutRequest(rng.random_range(0..300_000)),
        4..=6 => Fault::CutResponse(rng.random_range(0..300_000)),
        7 => Fault::Slow(Duration::from_millis(rng.random_range(1..30))),
        _ => Fault::None,
    }
}

/// Points a laptop enrolled with the station at the proxy instead.
fn through(device: &mut Device, proxy: &Proxy) {
    let mut link = device.store.station().unwrap().unwrap();
    link.url = proxy.url.clone();
    device.store.set_station(&link).unwrap();
}

/// Syncs until one completes; every failure must be the calm offline state. Answers the failures.
fn sync_until_done(device: &mut Device, run: u32) -> u32 {
    for failures in 0..50 {
        match doorstep_sync::sync(&mut device.store, |_| ()) {
            Ok(_) => return failures,
            Err(SyncError::Unreachable(_)) => {}
            Err(other) => panic!("run {run}: a cut connection must read as offline, not {other:?}"),
        }
    }
    panic!("run {run}: fifty syncs in a row failed");
}

#[test]
fn syncs_through_cut_and_slowed_connections_converge_with_nothing_lost_or_doubled() {
    let station = Station::start();
    let proxy = Proxy::start(&station.url);
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    through(&mut zhang, &proxy);
    through(&mut li, &proxy);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let runs = crate::runs(30);
    let mut failed_syncs = 0;
    for run in 0..runs {
        // Mixed sizes: a visit or two, a day's work, a batch boundary crossed.
        let n = [1, 3, 40, 520][rng.random_range(0..4)];
        for i in 0..n {
            let h = new_household(&mut zhang, "幸福社区", &format!("幸福路{run}-{i}号"));
            if i % 3 == 0 {
                new_visit(&mut zhang, &h, "入户走访");
            }
        }
        proxy.plan((0..rng.random_range(1..6)).map(|_| random_fault(&mut rng)));
        failed_syncs += sync_until_done(&mut zhang, run);
        // The other officer receives it through the same bad link, and edits one of them.
        proxy.plan((0..rng.random_range(0..4)).map(|_| random_fault(&mut rng)));
        failed_syncs += sync_until_done(&mut li, run);
        let some = li.store.conn().query_row(
            "SELECT id FROM households ORDER BY random() LIMIT 1",
            [],
            |r| r.get::<_, String>(0),
        );
        let mut h = li.household(some.unwrap().parse().unwrap());
        h.notes = format!("第{run}次复查");
        li.store.save(&h).unwrap();
    }
    proxy.plan([]);
    sync_until_done(&mut li, runs);
    sync_until_done(&mut zhang, runs);

    let (checked, lost, doubled) = crate::tally_changes(&station, &[&zhang, &li]);
    crate::figure(
        "cut and slowed connections",
        runs,
        proxy.injected.load(Ordering::Relaxed),
        checked,
        lost,
        doubled,
    );
    println!(
        "FAULTS cut and slowed connections: {failed_syncs} syncs failed as offline and were retried"
    );
    for laptop in [&zhang, &li] {
        assert_eq!(laptop.store.sync_status().unwrap().unsent, 0);
    }
    let count = crate::households(&zhang.store);
    assert_eq!(
        count,
        crate::households(&li.store),
        "both laptops hold the beat"
    );
    assert_eq!(
        station.count("SELECT count(*) FROM records WHERE entity = 'household'"),
        count
    );
    crate::station_is_consistent(&station);
}

/// A new laptop's first download travels gzip'd: what comes down the link is a fraction of the
/// pages' JSON, and the laptop holds every record of the beat. Over a cut link (the test above)
/// a truncated compressed page reads as offline like any other cut.
#[test]
fn a_first_download_travels_compressed_and_whole() {
    let station = Station::start();
    let proxy = Proxy::start(&station.url);
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let spec = doorstep_core::demo::DemoSpec {
        seed: 3,
        households: 300,
        beats: vec![],
        max_visits: 2,
        today: chrono::Utc::now().date_naive(),
    };
    doorstep_core::demo::generate(&mut zhang.store, &spec).unwrap();
    zhang.sync();

    let mut wang = Device::new(&station, "王警官", "幸福社区");
    through(&mut wang, &proxy);
    let report = wang.sync();
    let down = proxy.sent_down.load(Ordering::Relaxed);

    // The same pages as JSON, as the station sends them to a client that does not ask for gzip.
    let (device_id, credential) = (wang.store.device().unwrap().device_id, wang.credential());
    let mut json = 0;
    let (mut cursor, mut records) = (0, 0);
    loop {
        let (status, body) = station.request_bytes(
            "GET",
            &format!(
                "pull?device_id={device_id}&scope=beat%3A%E5%B9%B8%E7%A6%8F%E7%A4%BE%E5%8C%BA&cursor={cursor}&limit=1000"
            ),
            &credential,
            None,
        );
        assert_eq!(status, 200);
        json += body.len() as u64;
        let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
        records += page["records"].as_array().unwrap().len() as u32;
        cursor = page["cursor"].as_i64().unwrap();
        if page["more"] != true {
            break;
        }
    }
    println!("FIRST DOWNLOAD {records} records: {json} bytes of JSON, {down} bytes on the wire");
    assert!(records > 1000, "the beat spans pages: {records}");
    assert_eq!(report.pulled, records, "every record of the beat came down");
    assert_eq!(
        crate::households(&wang.store),
        crate::households(&zhang.store)
    );
    assert!(
        down * 3 < json,
        "the pages travel compressed: {down} bytes on the wire for {json} bytes of JSON"
    );
}

/// A push travels as compact JSON, gzip'd (the station says it takes pushes so): what goes up the
/// link is a fraction of the changes' JSON. (ureq's `send_json` had pretty-printed it, some 40%
/// more; plain compact JSON went up whole.)
#[test]
fn a_push_travels_as_compact_json_gzipped() {
    let station = Station::start();
    let proxy = Proxy::start(&station.url);
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    through(&mut zhang, &proxy);
    for i in 0..300 {
        let h = new_household(&mut zhang, "幸福社区", &format!("幸福路{i}号"));
        new_visit(&mut zhang, &h, "入户走访，宣传防诈骗知识");
    }
    let changes = zhang.store.changes_after(0, 10_000).unwrap();
    let json: usize = changes
        .iter()
        .map(|c| serde_json::to_vec(c).unwrap().len())
        .sum();
    zhang.sync();
    let up = proxy.sent_up.load(Ordering::Relaxed) as usize;
    println!(
        "PUSH {} changes: {json} bytes of compact JSON, {up} bytes up the link",
        changes.len()
    );
    assert_eq!(zhang.store.sync_status().unwrap().unsent, 0);
    assert_eq!(
        station.count("SELECT count(*) FROM changes"),
        changes.len() as i64
    );
    assert!(
        up < json / 3,
        "{up} bytes went up for {json} bytes of compact JSON"
    );
}
