//! Backups from Settings in the real window: a folder chosen (a USB stick) gets the first backup at
//! once, "back up now" adds another, and a backup restores to a database that opens with the
//! laptop's passphrase and holds what the laptop held.

use crate::support::{Desktop, WINDOW, encrypted_laptop};
use doorstep_core::Store;

const PASSPHRASE: &str = "幸福社区值班口令";

fn backups(folder: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".doorstep-backup"))
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_chosen_in_settings_gets_a_backup_that_restores() {
    let _one_window = WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("field.sqlite");
    encrypted_laptop(&db, PASSPHRASE, "李警官");
    let stick = tempfile::tempdir().unwrap();
    let folder = stick.path().join("U盘备份");
    let desktop = Desktop::start(&db);

    let app = desktop.open_app().await;
    app.unlock(PASSPHRASE).await;
    app.find("[data-nav=settings]").await.click().await.unwrap();
    app.wait_text("[data-testid=backup-state]", "尚未选择备份文件夹")
        .await;
    // A folder that is not there is refused with the field's name.
    let input = app.find("[data-testid=backup-folder]").await;
    input.send_keys(folder.to_str().unwrap()).await.unwrap();
    app.click_button("每天备份到此文件夹").await;
    app.wait_text("[role=alert]", "备份文件夹").await;
    std::fs::create_dir(&folder).unwrap();
    app.click_button("每天备份到此文件夹").await;
    app.wait_text("[data-testid=backup-state]", "上次备份")
        .await;
    assert_eq!(backups(&folder).len(), 1, "the first backup at once");
    app.click_button("立即备份").await;
    app.wait_text("[data-testid=backup-state]", "已备份").await;
    app.quit().await;

    let files = backups(&folder);
    assert_eq!(files.len(), 2);
    let bytes = std::fs::read(&files[1]).unwrap();
    assert!(
        !String::from_utf8_lossy(&bytes).contains("幸福路"),
        "encrypted"
    );
    let restored = dir.path().join("restored.sqlite");
    doorstep_core::store::backup::restore(&restored, &files[1], Some(PASSPHRASE)).unwrap();
    let (store, _) = Store::unlock(&restored, PASSPHRASE).unwrap();
    assert_eq!(store.device().unwrap().officer_name, "李警官");
    let page = store
        .households(
            &doorstep_core::store::queries::HouseholdFilter::default(),
            doorstep_core::time::local_today(),
        )
        .unwrap();
    assert_eq!(page.items[0].address, "幸福路12号3栋401");
}
