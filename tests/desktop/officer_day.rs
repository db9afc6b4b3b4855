//! An officer's day in the real window: find a resident by pinyin initials, record a visit with a
//! concern and a follow-up task (the draft autosaving as it is typed), survive the app being closed
//! mid-entry, quit, start again, and find the visit by full pinyin. The database is then checked:
//! one change per record written, each with base version 0.

use crate::support::{Desktop, WINDOW};
use doorstep_core::Store;
use doorstep_core::model::{EntityKind, Household, HouseholdKind, Relation, Resident, Tag};
use fantoccini::Locator;
use fantoccini::key::Key;

const PASSPHRASE: &str = "李警官的口令2026";
const NOTES: &str = "老人独居，身体尚可。提醒防范电信诈骗，留下警民联系卡。";
const CONCERN: &str = "楼道照明损坏，夜间出行不便";
const TASK: &str = "联系物业修复楼道灯";

fn seed(db: &std::path::Path) -> Household {
    let mut store = Store::open(db).unwrap();
    store.init_device("李警官", &["幸福社区".into()]).unwrap();
    let spec = doorstep_core::demo::DemoSpec {
        seed: 3,
        households: 200,
        beats: vec![],
        max_visits: 2,
        today: chrono::Utc::now().date_naive(),
    };
    doorstep_core::demo::generate(&mut store, &spec).unwrap();
    let mut h = Household::new("幸福社区", "幸福路12号3栋401", HouseholdKind::Residence);
    h.tags = vec![Tag::ElderlyAlone];
    store.save(&h).unwrap();
    let mut r = Resident::new(h.id, "张三");
    r.relation = Some(Relation::Head);
    store.save(&r).unwrap();
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_records_a_visit_quits_restarts_and_finds_it_by_pinyin() {
    let _one_window = WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("field.sqlite");
    let household = seed(&db);
    let changes_before = Store::open(&db).unwrap().sync_status().unwrap().unsent;
    let desktop = Desktop::start(&db);

    // Start: the data from before encryption is encrypted with the passphrase the officer chooses;
    // then Today is the first screen, in Chinese.
    let app = desktop.open_app().await;
    app.wait_text("[data-testid=lock-screen]", "尚未加密").await;
    app.unlock(PASSPHRASE).await;
    app.wait_text("[data-testid=today]", "今日").await;
    assert_eq!(
        doorstep_core::store::vault::file_state(&db),
        doorstep_core::store::vault::FileState::Encrypted
    );
    app.screenshot("today").await;

    // "zs" finds 张三 by pinyin initials; open the household.
    let search = app.find("[data-testid=search]").await;
    search.send_keys("zs").await.unwrap();
    app.wait_text("[data-testid=search-results]", "张三").await;
    app.click_button("张三").await;
    app.wait_text("[data-testid=household]", "幸福路12号3栋401")
        .await;

    // New visit: notes typed, a purpose toggled, a concern with a task.
    app.find("[data-testid=new-visit]")
        .await
        .click()
        .await
        .unwrap();
    let notes = app.find("[data-testid=visit-notes]").await;
    notes.send_keys(NOTES).await.unwrap();
    app.click_button("送温暖").await;
    app.click_button("送法律").await;
    app.find("[data-testid=add-concern]")
        .await
        .click()
        .await
        .unwrap();
    app.find("[data-testid=concern-summary]")
        .await
        .send_keys(CONCERN)
        .await
        .unwrap();
    app.find("[data-testid=concern-task]")
        .await
        .click()
        .await
        .unwrap();
    app.find("[data-testid=task-title]")
        .await
        .send_keys(TASK)
        .await
        .unwrap();
    app.wait_text("[data-testid=draft-state]", "草稿已自动保存")
        .await;
    app.screenshot("new-visit").await;

    // The app is closed mid-entry (a crash, a dead battery): nothing typed is lost.
    app.quit().await;
    let drafts = Store::unlock(&db, PASSPHRASE).unwrap().0.drafts().unwrap();
    assert_eq!(drafts.len(), 1, "the draft was saved before the app closed");
    let app = desktop.open_app().await;
    app.wait_text("[data-testid=lock-screen]", "请输入本机口令")
        .await;
    app.unlock(PASSPHRASE).await;
    app.wait_text("[data-testid=draft-banner]", "幸福路12号3栋401")
        .await;
    app.click_button("继续填写").await;
    let notes = app.find("[data-testid=visit-notes]").await;
    assert_eq!(notes.prop("value").await.unwrap().as_deref(), Some(NOTES));
    // Saved from the keyboard.
    notes
        .send_keys(&format!("{}{}", Key::Control, Key::Enter))
        .await
        .unwrap();
    app.wait_text("[data-testid=visits]", "提醒防范电信诈骗")
        .await;
    app.quit().await;

    // Start again and find the visit through full pinyin.
    let app = desktop.open_app().await;
    app.unlock(PASSPHRASE).await;
    app.wait_text("[data-testid=today]", "今日").await;
    assert!(
        app.client
            .find(Locator::Css("[data-testid=draft-banner]"))
            .await
            .is_err(),
        "the draft is gone once saved"
    );
    app.find("[data-testid=search]")
        .await
        .send_keys("zhangsan")
        .await
        .unwrap();
    app.wait_text("[data-testid=search-results]", "幸福路12号3栋401")
        .await;
    app.find("[data-testid=search-results] .hit")
        .await
        .click()
        .await
        .unwrap();
    let visits = app.wait_text("[data-testid=visits]", NOTES).await;
    assert!(
        visits.contains("送温暖") && visits.contains("送法律"),
        "{visits}"
    );
    let page = app
        .find("[data-testid=household]")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(CONCERN) && page.contains(TASK), "{page}");
    app.screenshot("household").await;
    app.quit().await;

    // The change log holds one change per record written (visit, concern, task), base version 0.
    let store = Store::unlock(&db, PASSPHRASE).unwrap().0;
    let detail = store
        .household_detail(household.id, chrono::Utc::now().date_naive())
        .unwrap();
    assert_eq!(detail.visits.len(), 1);
    assert_eq!(detail.concerns.len(), 1);
    assert_eq!(detail.tasks.len(), 1);
    assert_eq!(detail.tasks[0].concern_id, Some(detail.concerns[0].id));
    for (kind, id) in [
        (EntityKind::Visit, detail.visits[0].id.0),
        (EntityKind::Concern, detail.concerns[0].id.0),
        (EntityKind::Task, detail.tasks[0].id.0),
    ] {
        let changes = store.changes_of(kind, id).unwrap();
        assert_eq!(changes.len(), 1, "{kind:?}");
        assert_eq!(changes[0].base_version, 0);
    }
    assert_eq!(store.sync_status().unwrap().unsent, changes_before + 3);
    assert!(store.drafts().unwrap().is_empty());
}
