//! A photo attached in the real window: chosen with the file chooser on the household page, shown
//! as a thumbnail, sent to the station on its own (the upload timer or the automatic sync) and on to
//! the other laptop of the beat; a file that is not a readable photo is named with its reason in
//! Chinese at once and nothing of it is kept; with Settings' "keep full size" ticked, the next
//! photo arrives unshrunk.

use crate::station::{Device, Station};
use crate::support::{Desktop, WINDOW, encrypted_laptop};
use doorstep_core::Store;
use doorstep_core::model::{Household, HouseholdKind, Resident};
use doorstep_core::store::photos::PhotoOf;
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "幸福社区值班口令";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_attached_in_the_window_reaches_the_station_and_the_beat_mates_laptop() {
    let _one_window = WINDOW.lock().await;
    let station = Station::start();
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("field.sqlite");
    encrypted_laptop(&db, PASSPHRASE, "张警官");
    let household = Household::new("幸福社区", "团结路6号", HouseholdKind::Residence);
    {
        let (mut store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
        let code = station.enrollment_code("张警官", "幸福社区");
        doorstep_sync::enroll(&mut store, &station.url, &code).unwrap();
        store.save(&household).unwrap();
        store.save(&Resident::new(household.id, "王芳")).unwrap();
    }
    let files = tempfile::tempdir().unwrap();
    let good = files.path().join("门口.jpg");
    std::fs::write(&good, crate::station::camera_jpeg(3000, 2000, false)).unwrap();
    let heic = files.path().join("IMG_0001.HEIC");
    std::fs::write(
        &heic,
        [&b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"[..], &[0u8; 64]].concat(),
    )
    .unwrap();

    let desktop = Desktop::start(&db);
    let app = desktop.open_app().await;
    app.unlock(PASSPHRASE).await;
    let search = app.find("[data-testid=search]").await;
    search.send_keys("wf").await.unwrap();
    app.wait_text("[data-testid=search-results]", "王芳").await;
    app.click_button("王芳").await;
    app.wait_text("[data-testid=household]", "团结路6号").await;

    let chooser = "[data-testid=photo-strip][data-of=household] [data-testid=photo-file]";
    app.find(chooser)
        .await
        .send_keys(heic.to_str().unwrap())
        .await
        .unwrap();
    let said = app
        .wait_text("[data-testid=photo-problems]", "无法读取 HEIC 格式的照片")
        .await;
    assert!(said.contains("IMG_0001.HEIC"), "{said}");
    app.find(chooser)
        .await
        .send_keys(good.to_str().unwrap())
        .await
        .unwrap();
    app.wait_text("[data-testid=photo-status]", "已添加 1 张照片")
        .await;
    app.find("[data-testid=photo-thumb]").await;
    app.screenshot("photo-attached").await;

    // Sent on its own: the automatic sync or the upload timer, with no button pressed.
    let listed = format!("photos?of=household&id={}", household.id);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (status, body) = station.get(&listed);
        assert_eq!(status, 200, "{body}");
        let photos: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        if photos.len() == 1 && photos[0]["pending"] == false {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the photo never reached the station: {body}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Settings: new photos keep their own size. The next photo arrives at 3000×2000.
    app.find("[data-nav=settings]").await.click().await.unwrap();
    app.find("[data-testid=photo-full-size]")
        .await
        .click()
        .await
        .unwrap();
    // Saved when the box shows it ticked (the answer of the command sets it).
    app.find("[data-testid=photo-full-size]:checked").await;
    let search = app.find("[data-testid=search]").await;
    search.send_keys("wf").await.unwrap();
    app.wait_text("[data-testid=search-results]", "王芳").await;
    app.click_button("王芳").await;
    app.wait_text("[data-testid=household]", "团结路6号").await;
    let notice = files.path().join("告示.jpg");
    std::fs::write(&notice, crate::station::camera_jpeg(3000, 2000, true)).unwrap();
    app.find(chooser)
        .await
        .send_keys(notice.to_str().unwrap())
        .await
        .unwrap();
    app.wait_text("[data-testid=photo-status]", "已添加 1 张照片")
        .await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (_, body) = station.get(&listed);
        let photos: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        if photos.len() == 2 && photos.iter().all(|p| p["pending"] == false) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the full-size photo never reached the station: {body}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    app.quit().await;

    li.sync();
    let mut theirs = li.store.photos(PhotoOf::Household(household.id)).unwrap();
    assert_eq!(
        theirs.len(),
        2,
        "two photos, the unreadable file never left the window"
    );
    assert!(theirs.iter().all(|p| p.has_thumb), "{theirs:?}");
    theirs.sort_by_key(|p| p.photo.width);
    let sizes: Vec<_> = theirs
        .iter()
        .map(|p| (p.photo.width, p.photo.height))
        .collect();
    assert_eq!(
        sizes,
        [(2048, 1365), (3000, 2000)],
        "shrunk, then kept at full size"
    );
}
