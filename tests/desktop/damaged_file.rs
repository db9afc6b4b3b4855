//! A damaged database file: the window opens anyway and says, in Chinese, what is wrong and what to
//! do; the file is left exactly as it was (nothing is "repaired" away).

use crate::support::{Desktop, WINDOW};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_database_file_is_explained_and_left_untouched() {
    let _one_window = WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("field.sqlite");
    let garbage = b"PK\x03\x04 this is a spreadsheet someone saved over the database ".repeat(200);
    std::fs::write(&db, &garbage).unwrap();
    let desktop = Desktop::start(&db);

    let app = desktop.open_app().await;
    let text = app.wait_text("[role=alert]", "数据文件已损坏").await;
    assert!(
        text.contains("备份恢复"),
        "the message says what to do: {text}"
    );
    app.quit().await;

    assert_eq!(
        std::fs::read(&db).unwrap(),
        garbage,
        "the damaged file must not be modified"
    );
}
