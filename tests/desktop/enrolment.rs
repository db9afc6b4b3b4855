//! Enrolling the real window with a real station over HTTPS: the officer types the station's
//! address and the one-time code in 设置, sees the officer and fingerprint the station gave, syncs
//! with the button; then the administrator revokes the laptop with a wipe order, and on its next
//! sync the window says its data was erased, and the file holds nothing of the beat.

use crate::station::Station;
use crate::support::{Desktop, WINDOW, encrypted_laptop};
use doorstep_core::Store;

const PASSPHRASE: &str = "幸福社区值班口令";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_enrols_in_settings_syncs_and_a_wipe_order_erases_the_laptop() {
    let _one_window = WINDOW.lock().await;
    let station = Station::start();
    let code = station.enrollment_code("张警官", "幸福社区");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("field.sqlite");
    encrypted_laptop(&db, PASSPHRASE, "张警官");
    let desktop = Desktop::start(&db);
    let app = desktop.open_app().await;
    app.unlock(PASSPHRASE).await;
    app.find("[data-nav=settings]").await.click().await.unwrap();
    let url = app.find("[data-testid=station-url]").await;
    url.clear().await.unwrap();
    url.send_keys(&station.url).await.unwrap();
    // Typed the way people type it: lower case, without dashes.
    app.find("[data-testid=station-code]")
        .await
        .send_keys(&code.replace('-', "").to_lowercase())
        .await
        .unwrap();
    app.click_button("连接并登记本机").await;
    let said = app
        .wait_text("[data-testid=station-enrolled]", "已登记为 张警官")
        .await;
    let fingerprint = station.fingerprint();
    assert!(said.contains(&fingerprint), "{said} / {fingerprint}");

    app.find("[data-testid=sync-now]")
        .await
        .click()
        .await
        .unwrap();
    app.wait_text("header", "同步完成").await;
    assert_eq!(
        station.count("SELECT count(*) FROM records WHERE entity = 'household'"),
        1,
        "the household reached the station"
    );

    let device: String = station
        .db()
        .query_row("SELECT device_id FROM devices", [], |r| r.get(0))
        .unwrap();
    let (status, _) = station.request(
        "POST",
        &format!("devices/{device}/revoke"),
        &station.admin_token,
        Some(&serde_json::json!({"wipe": true})),
    );
    assert_eq!(status, 204);
    app.find("[data-testid=sync-now]")
        .await
        .click()
        .await
        .unwrap();
    app.wait_text("[role=alert]", "清除了本机全部数据").await;
    app.quit().await;
    let file = std::fs::read(&db).unwrap_or_default();
    let (store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
    assert!(store.device().is_err(), "no officer, no beat left");
    assert!(!String::from_utf8_lossy(&file).contains("幸福路"));
}
