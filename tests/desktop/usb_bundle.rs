//! Sync by USB stick in the real window: with no network, the officer writes a bundle in 设置 into
//! a folder (the stick), the station imports it on its console, and the officer takes the answer
//! bundle back with the file chooser: the station holds the laptop's work once, and the laptop the
//! beat-mate's household. A damaged answer is refused with the reason in Chinese, nothing taken.

use crate::station::{Device, Station, new_household};
use crate::support::{Desktop, WINDOW, encrypted_laptop};
use doorstep_core::Store;

const PASSPHRASE: &str = "幸福社区值班口令";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_written_in_settings_travels_to_the_station_and_its_answer_comes_back() {
    let _one_window = WINDOW.lock().await;
    let mut station = Station::start();
    let mut li = Device::new(&station, "李警官", "幸福社区");
    new_household(&mut li, "幸福社区", "解放路8号");
    li.sync();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("field.sqlite");
    encrypted_laptop(&db, PASSPHRASE, "张警官");
    {
        let (mut store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
        let code = station.enrollment_code("张警官", "幸福社区");
        doorstep_sync::enroll(&mut store, &station.url, &code).unwrap();
    }
    // No network from here on: the station's server is down, its console still works.
    station.stop();
    let stick = tempfile::tempdir().unwrap();
    let folder = stick.path().join("U盘");

    let desktop = Desktop::start(&db);
    let app = desktop.open_app().await;
    app.unlock(PASSPHRASE).await;
    app.find("[data-nav=settings]").await.click().await.unwrap();
    app.wait_text("header", "离线").await;
    app.find("[data-testid=bundle-folder]")
        .await
        .send_keys(folder.to_str().unwrap())
        .await
        .unwrap();
    app.click_button("写出同步包").await;
    let said = app
        .wait_text("[data-testid=bundle-state]", "已写出同步包")
        .await;
    assert!(said.contains("1 条修改"), "{said}");
    let bundle = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".dsbundle"))
        .expect("the bundle on the stick");

    let answer = stick.path().join("回执.dsbundle");
    let (ok, _, err) = station.import_bundle(&bundle, &answer);
    assert!(ok, "{err}");
    assert_eq!(
        station.count("SELECT count(*) FROM records WHERE entity = 'household'"),
        2,
        "the laptop's household reached the station"
    );

    // A cut copy first: refused, in Chinese, nothing taken.
    let bytes = std::fs::read(&answer).unwrap();
    let cut = stick.path().join("cut.dsbundle");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    app.find("[data-testid=bundle-import]")
        .await
        .send_keys(cut.to_str().unwrap())
        .await
        .unwrap();
    app.wait_text("[role=alert]", "同步包已损坏或不完整").await;
    app.find("[data-testid=bundle-import]")
        .await
        .send_keys(answer.to_str().unwrap())
        .await
        .unwrap();
    let said = app
        .wait_text("[data-testid=bundle-state]", "回执包已导入")
        .await;
    assert!(said.contains("接收 1 条记录"), "{said}");
    let header = app.wait_text("header", "0 条未同步").await;
    assert!(
        header.contains("离线"),
        "an answer says nothing of the network: {header}"
    );
    app.screenshot("usb-bundle").await;
    app.find("[data-nav=households]")
        .await
        .click()
        .await
        .unwrap();
    app.wait_text("main", "解放路8号").await;
    app.quit().await;

    let (store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
    assert_eq!(store.sync_status().unwrap().unsent, 0, "acknowledged");
    assert_eq!(
        station.count("SELECT count(*) FROM changes"),
        2,
        "each change stored once"
    );
}
