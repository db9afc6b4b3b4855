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
