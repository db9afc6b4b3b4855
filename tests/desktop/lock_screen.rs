//! The lock screen in the real window, on an encrypted database: five wrong passphrases lock the
//! door for a while and leave the data as it was; the right one opens Today; the lock button locks
//! again; the passphrase is changed in Settings and only the new one opens the file afterwards.

use crate::support::{Desktop, WINDOW, encrypted_laptop};
use doorstep_core::Store;

const PASSPHRASE: &str = "幸福社区值班口令";
const NEW_PASSPHRASE: &str = "新口令-和平社区-2026";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passphrases_lock_out_the_right_one_opens_and_it_can_be_changed() {
    let _one_window = WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("field.sqlite");
    encrypted_laptop(&db, PASSPHRASE, "李警官");
    let before = std::fs::read(&db).unwrap();
    let desktop = Desktop::start(&db);

    let app = desktop.open_app().await;
    app.wait_text("[data-testid=lock-screen]", "请输入本机口令")
        .await;
    let input = app.find("[data-testid=passphrase]").await;
    for left in (1..5).rev() {
        input.clear().await.unwrap();
        input.send_keys("猜的口令12345").await.unwrap();
        app.click_button("解锁").await;
        app.wait_text("[role=alert]", &format!("还可以再试 {left} 次"))
            .await;
    }
    input.clear().await.unwrap();
    input.send_keys("猜的口令12345").await.unwrap();
    app.click_button("解锁").await;
    app.wait_text("[role=alert]", "分钟后再试").await;
    input.clear().await.unwrap();
    input.send_keys(PASSPHRASE).await.unwrap();
    app.click_button("解锁").await;
    app.wait_text("[role=alert]", "数据完好无损").await;
    app.quit().await;
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "no wrong try touched the data"
    );

    // The lock-out is over (its record is removed, as time would): the right passphrase opens it.
    let mut attempts = db.as_os_str().to_owned();
    attempts.push(".attempts");
    std::fs::remove_file(attempts).unwrap();
    let app = desktop.open_app().await;
    app.unlock(PASSPHRASE).await;
    app.wait_text("[data-testid=today]", "今日").await;
    app.find("[data-testid=lock]").await.click().await.unwrap();
    app.wait_text("[data-testid=lock-screen]", "请输入本机口令")
        .await;
    app.unlock(PASSPHRASE).await;

    app.find("[data-nav=settings]").await.click().await.unwrap();
    app.find("[data-testid=passphrase-current]")
        .await
        .send_keys(PASSPHRASE)
        .await
        .unwrap();
    app.find("[data-testid=passphrase-new]")
        .await
        .send_keys(NEW_PASSPHRASE)
        .await
        .unwrap();
    app.click_button("修改口令").await;
    app.wait_text("[role=status]", "口令已修改").await;
    app.quit().await;

    assert!(matches!(
        Store::unlock(&db, PASSPHRASE),
        Err(doorstep_core::Error::WrongPassphrase { .. })
    ));
    let (store, _) = Store::unlock(&db, NEW_PASSPHRASE).unwrap();
    assert_eq!(store.device().unwrap().officer_name, "李警官");
}
