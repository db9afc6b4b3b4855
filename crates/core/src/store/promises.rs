//! The store's promises, tested against in-memory SQLite (and a real file where locking matters):
//! one change per write with its base version, nothing half-written, tombstones, search, today.

use super::Store;
use crate::error::{Error, ErrorCode};
use crate::model::*;
use crate::store::visit_entry::VisitEntry;
use chrono::{Duration, NaiveDate, Utc};
use serde_json::json;

fn store() -> Store {
    let mut s = Store::open_in_memory().unwrap();
    s.init_device("张警官", &["幸福社区".into()]).unwrap();
    s
}

fn household(s: &mut Store, address: &str) -> Household {
    let h = Household::new("幸福社区", address, HouseholdKind::Residence);
    s.save(&h).unwrap();
    h
}

fn visit(h: &Household, notes: &str) -> Visit {
    Visit {
        id: crate::ids::VisitId::new(),
        version: 0,
        household_id: h.id,
        visited_at: crate::time::now(),
        officers: vec!["张警官".into()],
        purposes: vec![Purpose::Warmth, Purpose::Law],
        met: vec![],
        notes: notes.into(),
        inquiry_areas: vec![],
        rating: Some(Rating::Satisfied),
        opinions: String::new(),
        location: String::new(),
        deleted: false,
    }
}

fn count(s: &Store, sql: &str) -> i64 {
    s.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_new_record_logs_one_change_with_every_field_and_base_version_zero() {
    let mut s = store();
    let h = household(&mut s, "幸福路12号");
    let changes = s.changes_of(EntityKind::Household, h.id.0).unwrap();
    assert_eq!(changes.len(), 1);
    let c = &changes[0];
    assert_eq!(c.base_version, 0);
    assert_eq!(c.device_seq, 1);
    assert_eq!(c.device_id, s.device().unwrap().device_id);
    assert_eq!(c.fields["address"], json!("幸福路12号"));
    assert_eq!(c.fields["deleted"], json!(false));
    assert!(!c.fields.contains_key("id") && !c.fields.contains_key("version"));
}

#[test]
fn an_edit_logs_only_the_fields_it_changed_with_the_version_the_device_held() {
    let mut s = store();
    let h = household(&mut s, "幸福路12号");
    // As if the station had accepted the record at version 7 and the device pulled it.
    s.conn()
        .execute("UPDATE households SET version = 7 WHERE id = ?1", [h.id])
        .unwrap();
    let mut h: Household = s.get(h.id.0).unwrap();
    h.contact_phone = "13800138000".into();
    h.tags = vec![Tag::ElderlyAlone];
    let saved = s.save(&h).unwrap().change.unwrap();
    assert_eq!(saved.base_version, 7);
    let keys: Vec<&String> = saved.fields.keys().collect();
    assert_eq!(keys, ["contact_phone", "tags"]);
    assert_eq!(saved.fields["tags"], json!(["elderly_alone"]));
    assert_eq!(saved.device_seq, 2);
    let stored: Household = s.get(h.id.0).unwrap();
    assert_eq!(stored.contact_phone, "13800138000");
    assert_eq!(stored.version, 7, "the device never invents versions");
}

#[test]
fn saving_the_same_record_again_logs_nothing() {
    let mut s = store();
    let h = household(&mut s, "幸福路12号");
    let v = visit(&h, "第一次走访");
    let entry = VisitEntry {
        visit: v.clone(),
        concerns: vec![],
        tasks: vec![],
        draft_id: None,
    };
    s.record_visit(&entry).unwrap();
    s.record_visit(&entry).unwrap();
    assert!(s.save(&v).unwrap().change.is_none());
    assert_eq!(count(&s, "SELECT count(*) FROM visits"), 1);
    assert_eq!(
        count(&s, "SELECT count(*) FROM changes"),
        2,
        "household + visit, nothing for the replays"
    );
}

#[test]
fn a_write_that_fails_leaves_neither_the_rows_nor_their_changes() {
    let mut s = store();
    let h = household(&mut s, "幸福路12号");
    let before = count(&s, "SELECT count(*) FROM changes");
    // The visit is fine; the concern points at a resident that does not exist. Nothing may remain.
    let v = visit(&h, "走访记录");
    let mut c = Concern::new(h.id, ConcernCategory::Dispute, "邻里纠纷");
    c.reporter_id = Some(crate::ids::ResidentId::new());
    let entry = VisitEntry {
        visit: v.clone(),
        concerns: vec![c],
        tasks: vec![],
        draft_id: None,
    };
    match s.record_visit(&entry) {
        Err(Error::Invalid(errors)) => {
            assert_eq!(errors[0].field, "reporter_id");
            assert_eq!(errors[0].code, ErrorCode::UnknownReference);
        }
        other => panic!("expected a rejected reference, got {other:?}"),
    }
    assert_eq!(count(&s, "SELECT count(*) FROM visits"), 0);
    assert_eq!(count(&s, "SELECT count(*) FROM concerns"), 0);
    assert_eq!(count(&s, "SELECT count(*) FROM changes"), before);
}

#[test]
fn deleting_leaves_a_tombstone_and_a_change_and_the_log_cannot_be_rewritten() {
    let mut s = store();
    let h = household(&mut s, "和平街8号");
    let mut r = Resident::new(h.id, "王五");
    r.phone = "13912345678".into();
    s.save(&r).unwrap();
    let change = s.delete::<Resident>(r.id.0).unwrap().change.unwrap();
    assert_eq!(change.fields.len(), 1);
    assert_eq!(change.fields["deleted"], json!(true));
    assert_eq!(
        count(&s, "SELECT count(*) FROM residents WHERE deleted = 1"),
        1
    );
    assert!(
        s.search("王五", 10).unwrap().residents.is_empty(),
        "a deleted resident is not found"
    );
    // An edit to a deleted record is refused with a reason.
    r.name = "王老五".into();
    assert!(matches!(s.save(&r), Err(Error::Invalid(e)) if e[0].code == ErrorCode::Deleted));
    // The schema itself refuses to remove records or rewrite changes.
    assert!(s.conn().execute("DELETE FROM residents", []).is_err());
    assert!(
        s.conn()
            .execute("UPDATE changes SET base_version = 99", [])
            .is_err()
    );
    assert!(s.conn().execute("DELETE FROM changes", []).is_err());
}

#[test]
fn changes_are_numbered_densely_and_their_clock_only_moves_forward() {
    let mut s = store();
    for i in 0..20 {
        household(&mut s, &format!("幸福路{i}号"));
    }
    let changes = s.changes_after(0, 100).unwrap();
    let seqs: Vec<i64> = changes.iter().map(|c| c.device_seq).collect();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
    assert!(changes.windows(2).all(|w| w[0].hlc < w[1].hlc));
    assert_eq!(s.sync_status().unwrap().unsent, 20);
}

#[test]
fn a_concern_cannot_be_closed_before_the_resident_is_told() {
    let mut s = store();
    let h = household(&mut s, "幸福路1号");
    let mut c = Concern::new(h.id, ConcernCategory::SafetyHazard, "楼道照明损坏");
    s.save(&c).unwrap();
    c.status = ConcernStatus::Closed;
    assert!(
        matches!(s.save(&c), Err(Error::Invalid(e)) if e[0].code == ErrorCode::FeedbackRequiredToClose)
    );
    c.feedback.at = Some(crate::time::now());
    c.feedback.method = Some(FeedbackMethod::Phone);
    c.closed_at = c.feedback.at;
    s.save(&c).unwrap();
    assert_eq!(
        s.get::<Concern>(c.id.0).unwrap().status,
        ConcernStatus::Closed
    );
}

#[test]
fn bad_input_is_rejected_field_by_field_and_nothing_is_stored() {
    let mut s = store();
    let h = household(&mut s, "幸福路2号");
    let mut r = Resident::new(h.id, "");
    r.birth_date = NaiveDate::from_ymd_opt(1850, 1, 1);
    r.phone = "12345".into();
    r.id_number = "110105194912310021".into();
    let Err(Error::Invalid(errors)) = s.save(&r) else {
        panic!("expected invalid")
    };
    let codes: Vec<(&str, ErrorCode)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
    assert!(codes.contains(&("name", ErrorCode::Required)));
    assert!(codes.contains(&("birth_date", ErrorCode::DateBefore1900)));
    assert!(codes.contains(&("phone", ErrorCode::BadPhone)));
    assert!(codes.contains(&("id_number", ErrorCode::BadIdNumber)));
    let mut v = visit(&h, &"长".repeat(10_001));
    v.visited_at = Utc::now() + Duration::days(5);
    let Err(Error::Invalid(errors)) = s.save(&v) else {
        panic!("expected invalid")
    };
    assert!(
        errors
            .iter()
            .any(|e| e.field == "notes" && e.code == ErrorCode::TooLong && e.limit == Some(10_000))
    );
    assert!(
        errors
            .iter()
            .any(|e| e.field == "visited_at" && e.code == ErrorCode::DateInFuture)
    );
    assert_eq!(
        count(&s, "SELECT count(*) FROM residents") + count(&s, "SELECT count(*) FROM visits"),
        0
    );
}

#[test]
fn search_finds_chinese_names_by_characters_initials_and_full_pinyin() {
    let mut s = store();
    let h = household(&mut s, "幸福路12号3栋401");
    for name in ["张三", "张三丰", "李四", "欧阳娜娜"] {
        s.save(&Resident::new(h.id, name)).unwrap();
    }
    let names = |q: &str| -> Vec<String> {
        s.search(q, 10)
            .unwrap()
            .residents
            .into_iter()
            .map(|r| r.name)
            .collect()
    };
    assert_eq!(names("张三"), ["张三", "张三丰"], "exact match first");
    assert_eq!(names("zs"), ["张三", "张三丰"]);
    assert_eq!(names("zhangsan"), ["张三", "张三丰"]);
    assert_eq!(names("ZhangSan"), ["张三", "张三丰"]);
    assert_eq!(names("三"), ["张三", "张三丰"]);
    assert_eq!(names("oynn"), ["欧阳娜娜"]);
    assert_eq!(names("li"), ["李四"]);
    assert!(names("王").is_empty());
    let addr = s.search("3栋4", 10).unwrap().households;
    assert_eq!(addr.len(), 1);
    assert_eq!(addr[0].address, "幸福路12号3栋401");
    assert_eq!(
        s.search("福路１２", 10).unwrap().households.len(),
        1,
        "full-width digits match too"
    );
    assert!(
        s.search("\" OR *", 10).unwrap().residents.is_empty(),
        "syntax in the box is just text"
    );
}

/// A table of names and what an officer types: no name answers a query it does not match (王 is
/// not *y*, whatever rare readings the dictionary lists), and results come best first: the name
/// itself, the whole name's initials or full pinyin, a prefix, then anything else.
#[test]
fn search_ranks_by_how_well_a_name_matches_and_finds_no_false_matches() {
    let mut s = store();
    let h = household(&mut s, "幸福路12号3栋401");
    for name in [
        "王海燕",
        "叶海燕",
        "袁海燕",
        "于海燕",
        "杨海燕",
        "海燕",
        "叶海",
        "单丽",
        "曾伟",
        "解放",
        "乐乐",
        "朴志明",
        "仇海",
        "张伟",
        "张伟明",
        "周伟",
    ] {
        s.save(&Resident::new(h.id, name)).unwrap();
    }
    let names = |q: &str| -> Vec<String> {
        s.search(q, 20)
            .unwrap()
            .residents
            .into_iter()
            .map(|r| r.name)
            .collect()
    };
    let table: &[(&str, &[&str])] = &[
        // Initials of the whole name first (and only names that have them).
        ("yhy", &["杨海燕", "叶海燕", "袁海燕", "于海燕"]),
        // A prefix of the initials: the whole-name matches' order, then nothing false.
        ("yh", &["叶海", "杨海燕", "叶海燕", "袁海燕", "于海燕"]),
        // Full pinyin of the whole name before a longer name starting with it; among equals, in
        // pinyin order.
        ("zhangwei", &["张伟", "张伟明"]),
        ("zw", &["曾伟", "张伟", "周伟", "张伟明"]),
        // The characters themselves: the name first, then names holding them.
        (
            "海燕",
            &["海燕", "王海燕", "杨海燕", "叶海燕", "袁海燕", "于海燕"],
        ),
        // Surnames read otherwise than their character, by either reading.
        ("shanli", &["单丽"]),
        ("sl", &["单丽"]),
        ("dl", &["单丽"]),
        ("zengwei", &["曾伟"]),
        ("xiefang", &["解放"]),
        ("jiefang", &["解放"]),
        ("piaozhiming", &["朴志明"]),
        ("qiuhai", &["仇海"]),
        ("yuele", &["乐乐"]),
        // Not a reading of 王.
        ("yuhaiyan", &["于海燕"]),
    ];
    for (query, want) in table {
        assert_eq!(names(query), *want, "{query}");
    }
}

/// Two residents called 张伟: the one whose household is due a visit comes first, whatever the
/// order they were registered in.
#[test]
fn among_equal_matches_the_household_due_a_visit_comes_first() {
    let mut s = store();
    let visited = household(&mut s, "幸福路1号");
    let due = household(&mut s, "幸福路2号");
    s.save(&Resident::new(visited.id, "张伟")).unwrap();
    s.save(&Resident::new(due.id, "张伟")).unwrap();
    s.save(&visit(&visited, "走访")).unwrap();
    for query in ["张伟", "zw", "zhangwei"] {
        let hits = s.search(query, 10).unwrap().residents;
        assert_eq!(hits.len(), 2, "{query}");
        assert_eq!(
            hits[0].address, "幸福路2号",
            "{query}: the household due first"
        );
    }
}

/// A laptop indexed before the surname readings were narrowed: opening it builds the names' tokens
/// again, so the false match goes without the officer doing anything.
#[test]
fn opening_an_older_database_builds_the_search_tokens_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let mut s = Store::open(&path).unwrap();
        s.init_device("张警官", &["幸福社区".into()]).unwrap();
        let h = household(&mut s, "幸福路12号");
        s.save(&Resident::new(h.id, "王海燕")).unwrap();
        // As the older build indexed it (every reading of 王), and at the schema before.
        s.conn()
            .execute(
                "UPDATE resident_search SET pinyin = 'wanghaiyan why yuhaiyan yhy yu wang hai yan'",
                [],
            )
            .unwrap();
        s.conn().pragma_update(None, "user_version", 7).unwrap();
        assert_eq!(s.search("yhy", 5).unwrap().residents.len(), 1);
    }
    let s = Store::open(&path).unwrap();
    assert!(s.search("yhy", 5).unwrap().residents.is_empty());
    assert_eq!(s.search("why", 5).unwrap().residents[0].name, "王海燕");
}

#[test]
fn today_lists_overdue_households_tasks_due_and_residents_awaiting_feedback() {
    let mut s = store();
    let today = Utc::now().date_naive();
    let mut lonely = Household::new("幸福社区", "幸福路3号", HouseholdKind::Residence);
    lonely.tags = vec![Tag::ElderlyAlone];
    lonely.registered_at = Utc::now() - Duration::days(400);
    s.save(&lonely).unwrap();
    let mut v = visit(&lonely, "上次走访");
    v.visited_at = Utc::now() - Duration::days(42);
    s.save(&v).unwrap();
    let mut fresh = Household::new("幸福社区", "幸福路4号", HouseholdKind::Residence);
    fresh.registered_at = Utc::now() - Duration::days(400);
    s.save(&fresh).unwrap();
    s.save(&visit(&fresh, "刚走访过")).unwrap();
    let other_beat = Household::new("和平社区", "和平街1号", HouseholdKind::Residence);
    s.save(&other_beat).unwrap();

    let task = Task::new(lonely.id, "回访", "张警官", today - Duration::days(1));
    s.save(&task).unwrap();
    let mut told = Concern::new(lonely.id, ConcernCategory::SafetyHazard, "燃气管老化");
    told.status = ConcernStatus::Resolved;
    s.save(&told).unwrap();

    let t = s.today(today).unwrap();
    assert_eq!(t.households_total, 2, "only the officer's beat");
    assert_eq!(t.due_total, 1);
    assert_eq!(t.due_households[0].address, "幸福路3号");
    assert_eq!(
        t.due_households[0].overdue_days, 12,
        "30-day interval for elderly alone, visited 42 days ago"
    );
    assert_eq!(t.tasks_due.len(), 1);
    assert_eq!(t.tasks_due_total, 1);
    assert_eq!(t.awaiting_feedback.len(), 1);
    assert_eq!(t.awaiting_feedback_total, 1);
    assert_eq!(t.awaiting_feedback[0].address, "幸福路3号");
}

/// Today gives the window at most 50 tasks and concerns, the work list 500; the counts the officer
/// reads are of all of them, not of the rows given.
#[test]
fn lists_cut_short_still_count_everything() {
    let mut s = store();
    let today = Utc::now().date_naive();
    let h = household(&mut s, "幸福路8号");
    for i in 0..503 {
        s.save(&Task::new(
            h.id,
            format!("回访{i}"),
            "张警官",
            today - Duration::days(1 + i % 7),
        ))
        .unwrap();
    }
    for i in 0..502 {
        let mut c = Concern::new(h.id, ConcernCategory::SafetyHazard, format!("隐患{i}"));
        c.status = ConcernStatus::Resolved;
        s.save(&c).unwrap();
    }
    let t = s.today(today).unwrap();
    assert_eq!((t.tasks_due.len(), t.tasks_due_total), (50, 503));
    assert!(
        t.tasks_due
            .iter()
            .all(|item| item.task.due_date == today - Duration::days(7)),
        "the earliest due first"
    );
    assert_eq!(
        (t.awaiting_feedback.len(), t.awaiting_feedback_total),
        (50, 502)
    );
    let w = s.open_work().unwrap();
    assert_eq!((w.tasks.len(), w.tasks_total), (500, 503));
    assert_eq!((w.concerns.len(), w.concerns_total), (500, 502));
}

/// Today keeps the 100 most overdue of a beat without holding the beat, and the households list
/// a page without holding the rest: the same households, in the same order (most overdue first,
/// then by address), as sorting every household would give.
#[test]
fn today_keeps_the_hundred_most_overdue_in_order() {
    let mut s = store();
    let today = Utc::now().date_naive();
    // Never visited: due a year after registering (no tag), overdue by the days since.
    // More than 500: the whole beat's last visits are read in one pass.
    for i in 0..580_i64 {
        let mut h = Household::new(
            "幸福社区",
            format!("幸福路{:03}号", (i * 37) % 580),
            HouseholdKind::Residence,
        );
        h.registered_at = Utc::now() - Duration::days(400 + (i * 7919) % 150);
        s.save(&h).unwrap();
    }
    // Not yet due: counted, never listed.
    for i in 0..20 {
        let h = household(&mut s, &format!("新居{i}"));
        s.save(&visit(&h, "刚走访过")).unwrap();
    }
    let t = s.today(today).unwrap();
    assert_eq!((t.households_total, t.due_total), (600, 580));
    assert_eq!((t.figures.households, t.figures.covered), (600, 20));

    // Every household's summary, sorted here the plain way.
    let mut all = s.summaries("", rusqlite::params![], today).unwrap();
    all.retain(|h| h.overdue_days >= 0);
    all.sort_by(|a, b| {
        b.overdue_days
            .cmp(&a.overdue_days)
            .then_with(|| a.address.cmp(&b.address))
    });
    let expected: Vec<_> = all.iter().take(100).map(|h| &h.address).collect();
    let shown: Vec<_> = t.due_households.iter().map(|h| &h.address).collect();
    assert_eq!(shown, expected);
    assert!(t.due_households[0].overdue_days > t.due_households[99].overdue_days);

    // A page far down the list, and the last one (cut short).
    let page = |offset: u32, limit: u32| {
        let page = s
            .households(
                &crate::store::queries::HouseholdFilter {
                    offset,
                    limit,
                    due_only: true,
                    ..Default::default()
                },
                today,
            )
            .unwrap();
        assert_eq!(page.total, 580);
        page.items
            .into_iter()
            .map(|h| h.address)
            .collect::<Vec<_>>()
    };
    let addresses: Vec<String> = all.iter().map(|h| h.address.clone()).collect();
    assert_eq!(page(300, 50), addresses[300..350]);
    assert_eq!(page(560, 50), addresses[560..580]);
}

#[test]
fn a_draft_survives_until_its_visit_is_saved() {
    let mut s = store();
    let h = household(&mut s, "幸福路5号");
    let v = visit(&h, "写了一半");
    let draft = json!({ "visit": v, "concerns": [] });
    s.save_draft("visit-draft-1", "visit", &draft).unwrap();
    assert_eq!(s.drafts().unwrap()[0].payload, draft);
    let entry = VisitEntry {
        visit: v,
        concerns: vec![],
        tasks: vec![],
        draft_id: Some("visit-draft-1".into()),
    };
    s.record_visit(&entry).unwrap();
    assert!(s.drafts().unwrap().is_empty());
}

#[test]
fn a_database_locked_by_another_program_is_reported_as_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("field.sqlite");
    let mut s = Store::open(&path).unwrap();
    s.init_device("张警官", &["幸福社区".into()]).unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let h = Household::new("幸福社区", "幸福路6号", HouseholdKind::Residence);
    assert!(matches!(s.save(&h), Err(Error::Locked)));
    other.execute_batch("ROLLBACK").unwrap();
    s.save(&h).unwrap();
}

#[test]
fn the_demo_beat_is_the_same_for_the_same_seed() {
    let spec = crate::demo::DemoSpec {
        seed: 7,
        households: 30,
        beats: vec![],
        max_visits: 3,
        today: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
    };
    let dump = || {
        let mut s = store();
        let summary = crate::demo::generate(&mut s, &spec).unwrap();
        let mut out = Vec::new();
        s.export_ledger_csv(&mut out).unwrap();
        (summary, String::from_utf8(out).unwrap())
    };
    let (a, csv_a) = dump();
    let (b, csv_b) = dump();
    assert_eq!(a, b);
    assert_eq!(csv_a, csv_b);
    assert_eq!(a.households, 30);
    assert!(a.residents >= 30 && a.visits > 0);
}

#[test]
fn today_counts_the_beats_coverage_overdue_visits_and_open_concerns() {
    let mut s = store();
    let today = Utc::now().date_naive();
    let at = |days: i64| Utc::now() - Duration::days(days);
    // Visited 42 days ago with a 30-day interval: 12 days overdue.
    let mut lonely = Household::new("幸福社区", "幸福路3号", HouseholdKind::Residence);
    lonely.tags = vec![Tag::ElderlyAlone];
    lonely.registered_at = at(400);
    s.save(&lonely).unwrap();
    let mut old = visit(&lonely, "上次走访");
    old.visited_at = at(42);
    s.save(&old).unwrap();
    // Visited just now: covered.
    let mut fresh = Household::new("幸福社区", "幸福路4号", HouseholdKind::Residence);
    fresh.registered_at = at(400);
    s.save(&fresh).unwrap();
    s.save(&visit(&fresh, "刚走访过")).unwrap();
    // Registered 400 days ago and never visited: far overdue.
    let mut never = Household::new("幸福社区", "幸福路5号", HouseholdKind::Residence);
    never.registered_at = at(400);
    s.save(&never).unwrap();
    // Another beat's household, visit and concern count for nothing here.
    let other = Household::new("和平社区", "和平街1号", HouseholdKind::Residence);
    s.save(&other).unwrap();
    s.save(&visit(&other, "别的责任区")).unwrap();
    s.save(&Concern::new(other.id, ConcernCategory::Dispute, "纠纷"))
        .unwrap();
    s.save(&Concern::new(
        lonely.id,
        ConcernCategory::SafetyHazard,
        "燃气管老化",
    ))
    .unwrap();

    let f = s.today(today).unwrap().figures;
    assert_eq!(
        (
            f.households,
            f.covered,
            f.overdue,
            f.overdue_over_30,
            f.overdue_over_90
        ),
        (3, 1, 2, 1, 1)
    );
    assert_eq!((f.visits_this_week, f.visits_this_month), (1, 1));
    assert_eq!(f.open_concerns, 1);
}

/// The station's copy of a household at `version`, as a pull brings it.
fn pulled(
    h: &Household,
    version: i64,
    edit: impl FnOnce(&mut Household),
) -> super::remote::RemoteRecord {
    let mut copy = h.clone();
    edit(&mut copy);
    let mut fields = copy.fields().unwrap();
    fields.remove("id");
    fields.remove("version");
    super::remote::RemoteRecord {
        entity: EntityKind::Household,
        id: h.id.0,
        version,
        deleted: false,
        fields,
    }
}

/// The households a search for `text` finds, by address.
fn found(s: &Store, text: &str) -> Vec<String> {
    s.search(text, 10)
        .unwrap()
        .households
        .into_iter()
        .map(|h| h.address)
        .collect()
}

fn address_norm(s: &Store, h: &Household) -> String {
    s.conn()
        .query_row(
            "SELECT address_norm FROM households WHERE id = ?1",
            [h.id.0.hyphenated().to_string()],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn what_a_pull_writes_is_searched_as_stored_station_values_and_unsent_local_ones_alike() {
    let mut s = store();
    let h = household(&mut s, "幸福路12号");
    s.record_ack(1).unwrap();
    // A record new to this laptop, and the station's new address for one it has.
    let mut other = Household::new("幸福社区", "长江路5号", HouseholdKind::Shop);
    other.version = 0;
    s.apply_pulled(
        &[
            pulled(&other, 2, |_| ()),
            pulled(&h, 3, |c| c.address = "光明街8号".into()),
        ],
        3,
    )
    .unwrap();
    assert_eq!(found(&s, "长江"), vec!["长江路5号"]);
    assert_eq!(found(&s, "光明"), vec!["光明街8号"]);
    assert!(
        found(&s, "幸福路").is_empty(),
        "the old address left the index"
    );
    assert_eq!(address_norm(&s, &h), crate::address::normalize("光明街8号"));
    // The officer corrects the address here; before it is sent, a pull brings another edit of
    // the station's with its own address: the officer's stays, in the record and in the search.
    let mut edited: Household = s.get(h.id.0).unwrap();
    edited.address = "和平路1号".into();
    s.save(&edited).unwrap();
    s.apply_pulled(
        &[pulled(&h, 4, |c| {
            c.address = "黄河路9号".into();
            c.notes = "独居".into();
        })],
        4,
    )
    .unwrap();
    let now: Household = s.get(h.id.0).unwrap();
    assert_eq!(
        (now.address.as_str(), now.notes.as_str(), now.version),
        ("和平路1号", "独居", 4)
    );
    assert_eq!(found(&s, "和平"), vec!["和平路1号"]);
    assert!(found(&s, "黄河").is_empty());
    assert!(found(&s, "光明").is_empty());
    assert_eq!(address_norm(&s, &h), crate::address::normalize("和平路1号"));
    // Deleted at the station: out of the search.
    s.record_ack(2).unwrap();
    s.apply_pulled(&[pulled(&other, 5, |c| c.deleted = true)], 5)
        .unwrap();
    assert!(found(&s, "长江").is_empty());
}

#[test]
fn a_form_opened_before_a_sync_saves_only_what_the_officer_changed_on_the_version_they_saw() {
    let mut s = store();
    let h = household(&mut s, "幸福路12号");
    s.record_ack(1).unwrap();
    s.apply_pulled(&[pulled(&h, 3, |_| ())], 3).unwrap();
    // The officer opens the form at version 3 ...
    let seen: Household = s.get(h.id.0).unwrap();
    assert_eq!(seen.version, 3);
    // ... a sync brings another officer's new phone (version 4) while it is open ...
    s.apply_pulled(
        &[pulled(&h, 4, |c| c.contact_phone = "13900000000".into())],
        4,
    )
    .unwrap();
    // ... and the officer saves a note.
    let mut edited = seen.clone();
    edited.notes = "独居老人".into();
    let saved = s.save_edit(&seen, &edited).unwrap().change.unwrap();
    assert_eq!(saved.base_version, 3, "the version the officer saw");
    assert_eq!(
        saved.fields,
        json!({"notes": "独居老人"}).as_object().unwrap().clone()
    );
    let now: Household = s.get(h.id.0).unwrap();
    assert_eq!(
        now.contact_phone, "13900000000",
        "the other officer's edit stays"
    );
    assert_eq!(now.notes, "独居老人");
    // Saving the same form again changes nothing more.
    assert!(s.save_edit(&seen, &edited).unwrap().change.is_none());
}

#[test]
fn a_stale_whole_record_saved_is_based_on_the_version_it_was_read_at() {
    let mut s = store();
    let h = household(&mut s, "幸福路12号");
    s.record_ack(1).unwrap();
    s.apply_pulled(&[pulled(&h, 3, |_| ())], 3).unwrap();
    let read: Household = s.get(h.id.0).unwrap();
    s.apply_pulled(
        &[pulled(&h, 4, |c| c.contact_phone = "13900000000".into())],
        4,
    )
    .unwrap();
    let mut stale = read.clone();
    stale.notes = "x".into();
    let change = s.save(&stale).unwrap().change.unwrap();
    assert_eq!(
        change.base_version, 3,
        "the station sees the phone as changed on an old base and queues it, instead of taking it as news"
    );
}

#[test]
fn unsent_changes_are_renumbered_past_the_stations_and_sent_ones_never() {
    let mut s = store();
    for n in 1..=4 {
        household(&mut s, &format!("幸福路{n}号"));
    }
    s.record_ack(2).unwrap();
    let ids: Vec<_> = s
        .changes_after(2, 10)
        .unwrap()
        .into_iter()
        .map(|c| c.change_id)
        .collect();
    assert_eq!(s.renumber_unsent(3, 9).unwrap(), 2);
    let moved = s.changes_after(2, 10).unwrap();
    assert_eq!(
        moved.iter().map(|c| c.device_seq).collect::<Vec<_>>(),
        [10, 11]
    );
    assert_eq!(moved.iter().map(|c| c.change_id).collect::<Vec<_>>(), ids);
    let err = s
        .conn()
        .execute(
            "UPDATE changes SET device_seq = 50 WHERE device_seq = 1",
            [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("only unsent"), "{err}");
    let err = s
        .conn()
        .execute("UPDATE changes SET fields = '{}' WHERE device_seq = 10", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    // The next change follows the renumbered ones.
    let h = household(&mut s, "幸福路5号");
    assert_eq!(
        s.changes_of(EntityKind::Household, h.id.0).unwrap()[0].device_seq,
        12
    );
}

#[test]
fn a_record_that_leaves_the_officers_beat_with_unsent_edits_stays_until_they_are_sent() {
    use super::scopes::{Removal, beat_scope};
    let mut s = store();
    let h = household(&mut s, "幸福路12号");
    s.conn()
        .execute("INSERT INTO residents (id, household_id, name) SELECT ?1, id, '王海燕' FROM households", [
            uuid::Uuid::now_v7().hyphenated().to_string(),
        ])
        .unwrap();
    s.record_ack(1).unwrap();
    s.apply_pulled(&[pulled(&h, 3, |_| ())], 3).unwrap();
    let mut edited: Household = s.get(h.id.0).unwrap();
    edited.notes = "还没发送".into();
    s.save(&edited).unwrap();

    let gone = Removal {
        entity: EntityKind::Household,
        id: h.id.0,
        version: 5,
    };
    let scope = beat_scope("幸福社区");
    let outcome = s
        .apply_scope_page(&scope, &[], std::slice::from_ref(&gone), 5, 0)
        .unwrap();
    assert_eq!((outcome.removed, outcome.kept), (0, 1));
    assert!(
        s.get::<Household>(h.id.0).is_ok(),
        "kept: its edit is not sent yet"
    );
    assert_eq!(s.scope_cursor(&scope).unwrap(), 5);

    // Sent: the next look at the scopes takes it off, with its resident and search entries.
    s.record_ack(2).unwrap();
    let outcome = s
        .adopt_scopes(&super::scopes::WorkScope {
            beats: vec!["幸福社区".into()],
            officer_name: "张警官".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((outcome.removed, outcome.kept), (1, 0));
    assert!(s.get::<Household>(h.id.0).is_err());
    assert_eq!(count(&s, "SELECT count(*) FROM residents"), 0);
    assert_eq!(count(&s, "SELECT count(*) FROM household_search"), 0);
    assert_eq!(count(&s, "SELECT count(*) FROM departed"), 0);
    // Outside a purge, records still cannot be removed.
    let h2 = household(&mut s, "幸福路13号");
    let err = s
        .conn()
        .execute("DELETE FROM households WHERE id = ?1", [h2.id])
        .unwrap_err();
    assert!(err.to_string().contains("never removed"), "{err}");
}

#[test]
fn a_removal_older_than_the_copy_held_from_another_beat_is_ignored() {
    use super::scopes::Removal;
    let mut s = store();
    let h = household(&mut s, "幸福路12号");
    s.record_ack(1).unwrap();
    // It arrived in its new beat (version 7) before the old beat said it left (at version 7).
    s.apply_pulled(&[pulled(&h, 7, |_| ())], 7).unwrap();
    let outcome = s
        .apply_scope_page(
            "beat:和平社区",
            &[],
            &[Removal {
                entity: EntityKind::Household,
                id: h.id.0,
                version: 7,
            }],
            7,
            0,
        )
        .unwrap();
    assert_eq!((outcome.removed, outcome.kept), (0, 0));
    assert!(s.get::<Household>(h.id.0).is_ok());
}

#[test]
fn a_pulled_page_and_a_push_answer_take_the_stations_clock_in_their_own_commit() {
    let mut s = store();
    let h = household(&mut s, "幸福路12号");
    s.record_ack(1).unwrap();
    // The station runs an hour ahead of this laptop.
    let ahead = Utc::now().timestamp_millis() + 3_600_000;
    let page = [pulled(&h, 7, |h| h.notes = "站里改的".into())];
    s.apply_scope_page(&super::scopes::beat_scope("幸福社区"), &page, &[], 7, ahead)
        .unwrap();
    assert_eq!(s.station_heard_ms().unwrap(), ahead);
    assert_eq!(s.get::<Household>(h.id.0).unwrap().notes, "站里改的");
    // The page's commit was not forced to the disk; the officer's own commits are again.
    assert_eq!(count(&s, "PRAGMA synchronous"), 2, "FULL");
    // The officer's next change is ordered after what the station had seen.
    let next = household(&mut s, "幸福路13号");
    let stamped: i64 = s
        .conn()
        .query_row(
            "SELECT hlc_ms FROM changes WHERE entity_id = ?1",
            [next.id.0.hyphenated().to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stamped >= ahead, "{stamped} < {ahead}");

    // A push's answer takes the clock it came with too.
    s.record_push(2, &[], &[], ahead + 60_000).unwrap();
    assert_eq!(s.station_heard_ms().unwrap(), ahead + 60_000);
    assert_eq!(s.acked_seq().unwrap(), 2);
}

#[test]
fn a_beat_taken_away_leaves_the_laptop_but_for_what_a_task_of_the_officers_is_about() {
    use super::scopes::WorkScope;
    let mut s = Store::open_in_memory().unwrap();
    s.init_device("张警官", &["幸福社区".into(), "和平社区".into()])
        .unwrap();
    let today = Utc::now().date_naive();
    let stays = household(&mut s, "幸福路1号");
    s.save(&Resident::new(stays.id, "张三")).unwrap();
    let elsewhere = |s: &mut Store, address: &str| {
        let h = Household::new("和平社区", address, HouseholdKind::Residence);
        s.save(&h).unwrap();
        s.save(&Resident::new(h.id, "李四")).unwrap();
        s.save(&visit(&h, "入户走访")).unwrap();
        h
    };
    let gone = elsewhere(&mut s, "和平街1号");
    let kept = elsewhere(&mut s, "和平街2号");
    let other = Concern::new(kept.id, ConcernCategory::Dispute, "楼上漏水");
    s.save(&other).unwrap();
    let concern = Concern::new(kept.id, ConcernCategory::Dispute, "邻里噪音纠纷");
    s.save(&concern).unwrap();
    let mut task = Task::new(kept.id, "调解噪音纠纷", "张警官", today);
    task.concern_id = Some(concern.id);
    s.save(&task).unwrap();
    s.save(&Task::new(kept.id, "回访", "王警官", today))
        .unwrap();
    let last = count(&s, "SELECT max(device_seq) FROM changes");
    s.record_ack(last).unwrap();

    let work = WorkScope {
        beats: vec!["幸福社区".into()],
        officer_name: "张警官".into(),
        ..Default::default()
    };
    let outcome = s.adopt_scopes(&work).unwrap();
    assert_eq!(outcome.kept, 0);
    assert!(s.get::<Household>(gone.id.0).is_err(), "its beat left");
    assert!(
        s.get::<Household>(kept.id.0).is_ok(),
        "a task of his is about it"
    );
    assert!(s.get::<Household>(stays.id.0).is_ok());
    assert!(s.get::<Concern>(concern.id.0).is_ok(), "his task's concern");
    assert!(s.get::<Concern>(other.id.0).is_err());
    assert!(s.get::<Task>(task.id.0).is_ok());
    assert_eq!(
        count(&s, "SELECT count(*) FROM tasks"),
        1,
        "not the other's"
    );
    assert_eq!(count(&s, "SELECT count(*) FROM visits"), 0);
    let names: Vec<String> = s
        .conn()
        .prepare("SELECT name FROM residents")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names, ["张三"], "the kept household's residents go too");
    // Looked at again, with the kept household still outside: nothing more leaves.
    assert_eq!(s.adopt_scopes(&work).unwrap().removed, 0);
    assert!(s.get::<Household>(kept.id.0).is_ok());
}

#[test]
fn scopes_the_station_repeats_unchanged_write_nothing_and_changed_ones_are_taken() {
    use super::scopes::{Officer, WorkScope, officers_fingerprint};
    let mut s = store();
    household(&mut s, "幸福路1号");
    let officer = |id: &str, name: &str| Officer {
        account_id: id.into(),
        name: name.into(),
        beats: vec!["幸福社区".into()],
    };
    let mut work = WorkScope {
        beats: vec!["幸福社区".into()],
        officer_name: "张警官".into(),
        account_id: "acc-zhang".into(),
        officers: vec![officer("acc-zhang", "张警官"), officer("acc-li", "李警官")],
        officers_fingerprint: String::new(),
    };
    work.officers_fingerprint = officers_fingerprint(&work.officers);
    s.adopt_scopes(&work).unwrap();
    assert_eq!(s.officers().unwrap().len(), 2);
    assert_eq!(s.officers_fingerprint().unwrap(), work.officers_fingerprint);

    // The station leaves out a list the laptop named as its own: the officers stay.
    let listed = std::mem::take(&mut work.officers);
    let writes = s.conn().total_changes();
    s.adopt_scopes(&work).unwrap();
    assert_eq!(s.conn().total_changes(), writes, "nothing rewritten");
    assert_eq!(s.officers().unwrap().len(), 2);
    work.officers = listed;

    // Every sync hears the same scopes: nothing is written (no commit to force to the disk),
    // whatever order the station lists its officers in.
    work.officers.reverse();
    let writes = s.conn().total_changes();
    assert_eq!(s.adopt_scopes(&work).unwrap(), Default::default());
    assert_eq!(s.conn().total_changes(), writes, "nothing rewritten");

    // A new officer at the station, a renamed officer and a new beat are each taken.
    work.officers.push(officer("acc-wang", "王警官"));
    let before = std::mem::replace(
        &mut work.officers_fingerprint,
        officers_fingerprint(&work.officers),
    );
    assert_ne!(
        work.officers_fingerprint, before,
        "another list, another name"
    );
    s.adopt_scopes(&work).unwrap();
    assert_eq!(s.officers().unwrap().len(), 3);
    assert_eq!(s.officers_fingerprint().unwrap(), work.officers_fingerprint);
    work.officer_name = "张警官（社区）".into();
    work.beats.push("和平社区".into());
    s.adopt_scopes(&work).unwrap();
    let device = s.device().unwrap();
    assert_eq!(device.officer_name, "张警官（社区）");
    assert_eq!(device.beats, ["幸福社区", "和平社区"]);
    assert_eq!(
        count(&s, "SELECT count(*) FROM households"),
        1,
        "its beat is still the officer's"
    );
}

#[test]
fn a_statement_is_planned_once_whatever_its_parameters_are_bound_to() {
    // SQLite (3.47 on) compiled a statement with `LIMIT ?` again each time the limit was bound:
    // every batch of a push and every search.
    let s = store();
    for sql in [
        "SELECT device_seq FROM changes WHERE device_seq > ?1 ORDER BY device_seq LIMIT ?2",
        "SELECT rowid FROM resident_search WHERE resident_search MATCH ?1 LIMIT ?2",
    ] {
        let mut stmt = s.conn().prepare_cached(sql).unwrap();
        for limit in [10, 20, 30] {
            let first: rusqlite::types::Value = if sql.contains("MATCH") {
                "张".to_string().into()
            } else {
                0.into()
            };
            stmt.query_map(rusqlite::params![first, limit], |_| Ok(()))
                .unwrap()
                .for_each(drop);
        }
        assert_eq!(
            stmt.get_status(rusqlite::StatementStatus::RePrepare),
            0,
            "{sql}"
        );
    }
}
