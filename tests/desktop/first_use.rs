//! A laptop's first start leads with enrolment: after choosing a passphrase the officer types the
//! station's address and the one-time code, and the officer's name and beats come from the account
//! (no hand-typed name or beat to drift from it); starting offline is the second choice.

use crate::station::Station;
use crate::support::{Desktop, WINDOW};
use doorstep_core::Store;

const PASSPHRASE: &str = "第一次用的口令2026";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_laptop_enrols_first_and_takes_its_officer_and_beats_from_the_account() {
    let _one_window = WINDOW.lock().await;
    let station = Station::start();
    let code = station.enrollment_code("刘警官", "和平社区");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("field.sqlite");
    let desktop = Desktop::start(&db);
    let app = desktop.open_app().await;
    app.unlock(PASSPHRASE).await;

    // Enrolment is what the first screen offers; offline is the link below it.
    app.wait_text("[data-testid=setup-enrol]", "一次性登记码")
        .await;
    app.wait_text("[data-testid=setup-switch]", "先离线使用")
        .await;
    let url = app.find("[data-testid=setup-station-url]").await;
    url.clear().await.unwrap();
    url.send_keys(&station.url).await.unwrap();
    app.find("[data-testid=setup-station-code]")
        .await
        .send_keys(&code)
        .await
        .unwrap();
    app.click_button("连接并登记本机").await;
    app.wait_text("[data-testid=today]", "今日").await;
    app.quit().await;
    drop(desktop);

    let (store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
    let device = store.device().unwrap();
    assert_eq!(device.officer_name, "刘警官");
    assert_eq!(device.beats, ["和平社区"]);
    let enrolled: String = station
        .db()
        .query_row("SELECT device_id FROM devices", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        enrolled,
        device.device_id.to_string(),
        "the laptop keeps the identity it enrolled with"
    );
}
