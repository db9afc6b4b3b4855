//! The routine visit by keyboard alone, in the real window, counted: from Today, find a household
//! by pinyin initials, start a visit, tick the person met, two purposes, one sentence of notes, a
//! rating, a concern with a follow-up task, save. Every key press beyond the characters typed (the
//! query, the notes, the concern, the task) is one action; the counts and the time of the scripted
//! run are printed for BENCHMARKS.md (the goals: ≤ 12 for the visit, ≤ 8 more for the
//! concern and task), and the visit is checked in the database.

use crate::support::{Desktop, WINDOW};
use doorstep_core::Store;
use doorstep_core::model::{
    Concern, Household, HouseholdKind, Purpose, Rating, Relation, Resident, Task,
};
use fantoccini::key::Key;
use std::time::Instant;

const PASSPHRASE: &str = "王警官的口令2026";
const NOTES: &str = "老人身体尚可，提醒防范电信诈骗。";
const CONCERN: &str = "楼道灯坏了";
const TASK: &str = "联系物业修灯";

/// Key presses sent to whatever has the focus, each counted as one action.
struct Keyboard<'a> {
    app: &'a crate::support::App,
    actions: u32,
}

impl Keyboard<'_> {
    /// One action: a key, or a key with its modifier (Alt+1 is one chord).
    async fn press(&mut self, keys: &str) {
        self.actions += 1;
        self.typed(keys).await;
    }

    /// Text typed into the focused field: not counted.
    async fn typed(&self, text: &str) {
        let focused = self.app.client.active_element().await.unwrap();
        focused.send_keys(text).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
}

fn chord(modifier: Key, key: &str) -> String {
    format!("{modifier}{key}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routine_visit_with_a_concern_and_a_task_is_recorded_by_keyboard_alone() {
    let _one_window = WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("field.sqlite");
    let household = {
        let (mut store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
        store.init_device("王警官", &["幸福社区".into()]).unwrap();
        let h = Household::new("幸福社区", "幸福路12号3栋401", HouseholdKind::Residence);
        store.save(&h).unwrap();
        let mut r = Resident::new(h.id, "张桂英");
        r.relation = Some(Relation::Head);
        store.save(&r).unwrap();
        let other = Household::new("幸福社区", "幸福路8号", HouseholdKind::Residence);
        store.save(&other).unwrap();
        store.save(&Resident::new(other.id, "周国庆")).unwrap();
        h
    };
    let desktop = Desktop::start(&db);
    let app = desktop.open_app().await;
    app.unlock(PASSPHRASE).await;
    app.wait_text("[data-testid=today]", "今日").await;

    let started = Instant::now();
    let mut keys = Keyboard {
        app: &app,
        actions: 0,
    };
    // Find 张桂英 by her initials and open her household.
    keys.press("/").await;
    keys.typed("zgy").await;
    app.wait_text("[data-testid=search-results]", "张桂英")
        .await;
    keys.press(&Key::Enter.to_string()).await;
    app.wait_text("[data-testid=household]", "幸福路12号3栋401")
        .await;
    // The visit: N, the person met, two purposes, the notes, a rating.
    keys.press("n").await;
    app.find("[data-testid=visit-form]").await;
    keys.press(&chord(Key::Control, "1")).await;
    keys.press(&chord(Key::Alt, "1")).await;
    keys.press(&chord(Key::Alt, "3")).await;
    keys.press(&chord(Key::Alt, "n")).await;
    keys.typed(NOTES).await;
    keys.press(&chord(Key::Alt, "q")).await;
    let visit_actions = keys.actions + 1; // and the save, below
    // A concern from the same visit, with a follow-up task.
    keys.press(&chord(Key::Alt, "c")).await;
    keys.typed(CONCERN).await;
    keys.press(&chord(Key::Alt, "t")).await;
    keys.typed(TASK).await;
    keys.press(&chord(Key::Control, &Key::Enter.to_string()))
        .await;
    app.wait_text("[data-testid=visits]", NOTES).await;
    let elapsed = started.elapsed();
    let concern_actions = keys.actions - visit_actions;
    println!(
        "keyboard visit: {visit_actions} actions for the routine visit (goal ≤ 12), {concern_actions} more for a concern with a follow-up task (goal ≤ 8), scripted run {:.1} s",
        elapsed.as_secs_f64()
    );
    assert!(visit_actions <= 12, "{visit_actions} actions");
    assert!(concern_actions <= 8, "{concern_actions} actions");
    app.quit().await;
    drop(desktop);

    // What the keys recorded.
    let (store, _) = Store::unlock(&db, PASSPHRASE).unwrap();
    let detail = store
        .household_detail(household.id, chrono::Utc::now().date_naive())
        .unwrap();
    assert_eq!(detail.visits.len(), 1);
    let v = &detail.visits[0];
    assert_eq!(v.purposes, [Purpose::Warmth, Purpose::Law]);
    assert_eq!(v.rating, Some(Rating::Satisfied));
    assert_eq!(v.notes, NOTES);
    assert_eq!(v.met.len(), 1);
    let concerns: Vec<&Concern> = detail
        .concerns
        .iter()
        .filter(|c| c.visit_id == Some(v.id))
        .collect();
    assert_eq!(concerns.len(), 1);
    assert_eq!(concerns[0].summary, CONCERN);
    let tasks: Vec<&Task> = detail
        .tasks
        .iter()
        .filter(|t| t.concern_id == Some(concerns[0].id))
        .collect();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].title, TASK);
}
