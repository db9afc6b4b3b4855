//! A full disk, for real: a size-limited tmpfs mounted for the test (the tests run as root here;
//! where mounting is not allowed the test says so and checks nothing). On the laptop the write that
//! does not fit fails as "the disk is full", everything saved before stays, and saving works again
//! once there is room; the station answers 507 with a reason, stores nothing half, and takes the
//! same batch once there is room.

use crate::support::{Device, SmallDisk, Station, new_household};
use doorstep_core::model::{Household, HouseholdKind};
use doorstep_core::{Error, Store};

#[test]
fn a_laptop_on_a_full_disk_says_so_keeps_what_it_saved_and_saves_again_when_there_is_room() {
    let Some(disk) = SmallDisk::mount("8m") else {
        return;
    };
    let db = disk.path().join("field.sqlite");
    let mut saved = Vec::new();
    let filler;
    {
        let (mut store, _) = Store::unlock(&db, "磁盘已满测试口令").unwrap();
        store.init_device("张警官", &["幸福社区".into()]).unwrap();
        for i in 0..50 {
            let h = Household::new("幸福社区", format!("幸福路{i}号"), HouseholdKind::Residence);
            store.save(&h).unwrap();
            saved.push(h.id);
        }
        filler = disk.fill();
        // Writes now fail, each as "the disk is full", never as an unexplained error.
        let mut refused = 0;
        for i in 0..200 {
            let mut h = Household::new("幸福社区", format!("新楼{i}号"), HouseholdKind::Residence);
            h.notes = "记录".repeat(2000);
            match store.save(&h) {
                Ok(_) => saved.push(h.id),
                Err(Error::DiskFull) => refused += 1,
                Err(other) => panic!("a full disk reads as {other:?}"),
            }
        }
        assert!(refused > 0, "the disk never filled");
        let report = doorstep_core::ErrorReport::from(&Error::DiskFull);
        assert_eq!(serde_json::to_value(&report).unwrap()["kind"], "disk_full");
        std::fs::remove_file(&filler).unwrap();
        let h = Household::new("幸福社区", "腾出空间后", HouseholdKind::Residence);
        store.save(&h).unwrap();
        saved.push(h.id);
    }
    let (store, _) = Store::unlock(&db, "磁盘已满测试口令").unwrap();
    for id in &saved {
        assert!(
            store.get::<Household>(id.0).is_ok(),
            "a saved household is there"
        );
    }
    let check: String = store
        .conn()
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    crate::figure("laptop disk full", 1, 1, saved.len() as i64, 0, 0);
}

#[test]
fn a_station_on_a_full_disk_answers_507_stores_nothing_half_and_takes_the_batch_later() {
    let Some(disk) = SmallDisk::mount("24m") else {
        return;
    };
    let dir = tempfile::tempdir_in(disk.path()).unwrap();
    std::fs::write(
        dir.path().join("station.json"),
        format!(
            "{{\"admin_password\": \"{}\"}}",
            crate::support::ADMIN_PASSWORD
        ),
    )
    .unwrap();
    let station = Station::start_in(dir);
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    for i in 0..20 {
        new_household(&mut zhang, "幸福社区", &format!("幸福路{i}号"));
    }
    zhang.sync();
    let before = station.count("SELECT count(*) FROM changes");
    let filler = disk.fill();
    for i in 0..400 {
        let mut h = Household::new("幸福社区", format!("新楼{i}号"), HouseholdKind::Residence);
        h.notes = "走访记录".repeat(300);
        zhang.store.save(&h).unwrap();
    }
    let refused = doorstep_sync::sync(&mut zhang.store, |_| ()).unwrap_err();
    match &refused {
        doorstep_sync::SyncError::Refused { status, message } => {
            assert_eq!(*status, 507, "{message}");
            assert!(message.contains("disk is full"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        station.count("SELECT count(*) FROM changes"),
        before,
        "nothing half"
    );
    std::fs::remove_file(&filler).unwrap();
    let report = zhang.sync();
    assert_eq!(report.pushed, 400);
    let (checked, lost, doubled) = crate::tally_changes(&station, &[&zhang]);
    crate::figure("station disk full", 1, 1, checked, lost, doubled);
    crate::station_is_consistent(&station);
}
