//! The station SIGKILLed at random points while laptops push and pull: after each restart every
//! change it had acknowledged is still there, what it had not is sent again and stored once, and
//! its derived tables agree with its records.

use crate::support::{Device, Station, new_household, new_visit};
use doorstep_sync::SyncError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

fn kill_after(pid: u32, after: Duration) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        std::thread::sleep(after);
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
    })
}

fn contiguous(station: &Station, device: &Device) -> i64 {
    let id = device.store.device().unwrap().device_id.to_string();
    station
        .db()
        .query_row(
            "SELECT contiguous_seq FROM devices WHERE device_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_station_killed_at_random_points_keeps_what_it_acknowledged_and_stores_each_change_once() {
    let mut station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let runs = crate::runs(10);
    let mut kills = 0;
    for run in 0..runs {
        for i in 0..rng.random_range(100..1200) {
            let h = new_household(&mut zhang, "幸福社区", &format!("和平路{run}-{i}号"));
            if i % 2 == 0 {
                new_visit(&mut zhang, &h, "走访");
            }
        }
        // The kill lands somewhere in the push, between batches, or in li's pull.
        let killer = kill_after(
            station.pid(),
            Duration::from_millis(rng.random_range(0..400)),
        );
        let pushed = doorstep_sync::sync(&mut zhang.store, |_| ());
        let pulled = doorstep_sync::sync(&mut li.store, |_| ());
        killer.join().unwrap();
        for outcome in [&pushed, &pulled] {
            assert!(
                matches!(outcome, Ok(_) | Err(SyncError::Unreachable(_))),
                "run {run}: {outcome:?}"
            );
        }
        kills += 1;
        // What the laptop was told is held is held, after the kill.
        let acked = zhang.store.acked_seq().unwrap();
        station.restart();
        assert!(
            contiguous(&station, &zhang) >= acked,
            "run {run}: the station acknowledged up to {acked} and lost some of it"
        );
        zhang.sync();
        li.sync();
    }
    zhang.sync();
    let (checked, lost, doubled) = crate::tally_changes(&station, &[&zhang, &li]);
    crate::figure(
        "station killed (SIGKILL)",
        runs,
        kills,
        checked,
        lost,
        doubled,
    );
    assert_eq!(zhang.store.sync_status().unwrap().unsent, 0);
    assert_eq!(
        crate::households(&li.store),
        crate::households(&zhang.store)
    );
    crate::station_is_consistent(&station);
}
