//! A form opened before a sync, saved after it, in the real window: the household form is open
//! while another officer changes the phone and syncs, the window syncs, and the officer then saves
//! a note from the form as it was opened. Only the note is this officer's edit: the other officer's
//! phone stays, at the station and on both laptops, and no conflict is invented.

use crate::station::{Device, Station};
use crate::support::{Desktop, WINDOW, encrypted_laptop};
use doorstep_core::Store;
use doorstep_core::model::Household;
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "幸福社区值班口令";
const PHONE: &str = "13900000000";
const NOTE: &str = "独居老人，每周回访";

/// The station's copy of the one household, once `done` says it is as expected (up to 20 s).
async fn station_household(
    station: &Station,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let fields: String = station
            .db()
            .query_row(
                "SELECT fields FROM records WHERE entity = 'household'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let fields: serde_json::Value = serde_json::from_str(&fields).unwrap();
        if done(&fields) || Instant::now() > deadline {
            return fields;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_opened_before_a_sync_never_undoes_another_officers_edit() {
    let _one_window = WINDOW.lock().await;
    let station = Station::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("field.sqlite");
    encrypted_laptop(&db, PASSPHRASE, "张警官");
    {
        let (mut store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
        let code = station.enrollment_code("张警官", "幸福社区");
        doorstep_sync::enroll(&mut store, &station.url, &code).unwrap();
        doorstep_sync::sync(&mut store, |_| ()).unwrap();
    }
    let mut li = Device::new(&station, "李警官", "幸福社区");
    li.sync();
    let id: uuid::Uuid = station
        .db()
        .query_row(
            "SELECT id FROM records WHERE entity = 'household'",
            [],
            |r| r.get::<_, String>(0),
        )
        .unwrap()
        .parse()
        .unwrap();

    let desktop = Desktop::start(&db);
    let app = desktop.open_app().await;
    app.unlock(PASSPHRASE).await;
    let search = app.find("[data-testid=search]").await;
    search.send_keys("幸福路12号").await.unwrap();
    app.click_button("幸福路12号3栋401").await;
    app.wait_text("[data-testid=household]", "幸福路12号3栋401")
        .await;
    app.click_button("编辑").await;
    let notes = app.find("form textarea").await;

    // While the form is open, Li changes the phone and syncs; then the window syncs.
    let mut h: Household = li.household(id);
    h.contact_phone = PHONE.into();
    li.store.save(&h).unwrap();
    li.sync();
    app.find("[data-testid=sync-now]")
        .await
        .click()
        .await
        .unwrap();
    app.wait_text("header", "同步完成").await;

    // The officer writes a note in the form opened before the sync, and saves.
    notes.send_keys(NOTE).await.unwrap();
    app.click_button("保存").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while app
        .client
        .find(fantoccini::Locator::Css("form textarea"))
        .await
        .is_ok()
    {
        assert!(Instant::now() < deadline, "the form stayed open");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    app.find("[data-testid=sync-now]")
        .await
        .click()
        .await
        .unwrap();
    let kept = station_household(&station, |f| f["notes"] == NOTE).await;
    assert_eq!(kept["notes"], NOTE, "the note reached the station: {kept}");
    assert_eq!(
        kept["contact_phone"], PHONE,
        "Li's phone was not undone: {kept}"
    );
    assert_eq!(
        station.count("SELECT count(*) FROM conflicts"),
        0,
        "no conflict invented"
    );
    app.quit().await;
    let (store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
    let mine: Household = store.get(id).unwrap();
    assert_eq!(
        (mine.contact_phone.as_str(), mine.notes.as_str()),
        (PHONE, NOTE)
    );
    li.sync();
    assert_eq!(li.household(id).notes, NOTE);
}
