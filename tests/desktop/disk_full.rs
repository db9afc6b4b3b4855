//! A full disk under the real window: the laptop's database on a small tmpfs, filled while the
//! officer types a visit. The draft's write fails, the window says so in Chinese and keeps what was
//! typed; once there is room the draft is written without another key press, and the visit saves.
//! Where a tmpfs cannot be mounted the test says so and checks nothing.

use crate::station::SmallDisk;
use crate::support::{Desktop, WINDOW};
use doorstep_core::Store;
use doorstep_core::model::{Household, HouseholdKind, Purpose, Resident};
use fantoccini::key::Key;
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "磁盘满了草稿也不能丢2026";
const NOTES: &str = "老人说楼道灯坏了三天，已告知物业，下周回访确认是否修好。";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_typed_on_a_full_disk_stays_on_screen_and_is_written_when_there_is_room() {
    let _one_window = WINDOW.lock().await;
    let Some(disk) = SmallDisk::mount("16m") else {
        return;
    };
    let db = disk.path().join("field.sqlite");
    let household = {
        let (mut store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
        store.init_device("王警官", &["幸福社区".into()]).unwrap();
        let h = Household::new("幸福社区", "幸福路12号3栋401", HouseholdKind::Residence);
        store.save(&h).unwrap();
        store.save(&Resident::new(h.id, "张桂英")).unwrap();
        h
    };
    let desktop = Desktop::start(&db);
    let app = desktop.open_app().await;
    app.unlock(PASSPHRASE).await;
    app.wait_text("[data-testid=today]", "今日").await;
    app.find("[data-testid=search]")
        .await
        .send_keys("幸福路12号")
        .await
        .unwrap();
    app.click_button("幸福路12号3栋401").await;
    app.wait_text("[data-testid=household]", "幸福路12号3栋401")
        .await;
    app.client
        .active_element()
        .await
        .unwrap()
        .send_keys("n")
        .await
        .unwrap();
    app.find("[data-testid=visit-form]").await;
    // A purpose first (Alt+1), while there is room.
    app.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&format!("{}1", Key::Alt))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;

    // The disk fills while the officer types.
    let filler = disk.fill();
    let notes = app.find("[data-testid=visit-notes]").await;
    notes.send_keys(NOTES).await.unwrap();
    // Said at the top, where the draft's state is, in view while typing.
    app.wait_text("[data-testid=draft-state]", "磁盘已满").await;
    app.screenshot("disk-full-visit").await;
    assert_eq!(
        notes.prop("value").await.unwrap().as_deref(),
        Some(NOTES),
        "what was typed stays on screen"
    );

    // Room again: the draft is written on its own, and the visit saves.
    std::fs::remove_file(&filler).unwrap();
    app.wait_text("[data-testid=draft-state]", "草稿已自动保存")
        .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while app
        .find("[data-testid=visit-form]")
        .await
        .text()
        .await
        .unwrap()
        .contains("磁盘已满")
    {
        assert!(Instant::now() < deadline, "the full-disk notice stayed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.find("[data-testid=save-visit]")
        .await
        .click()
        .await
        .unwrap();
    app.wait_text("[data-testid=visits]", "楼道灯坏了").await;
    app.quit().await;
    drop(desktop);

    let (store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
    let detail = store
        .household_detail(household.id, chrono::Utc::now().date_naive())
        .unwrap();
    assert_eq!(detail.visits.len(), 1);
    assert_eq!(detail.visits[0].notes, NOTES);
    assert_eq!(detail.visits[0].purposes, [Purpose::Warmth]);
    let check: String = store
        .conn()
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
