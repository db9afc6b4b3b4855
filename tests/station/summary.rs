//! The monthly work summary against a fixture worked out by hand, for last month: its figures, and
//! the files sent up — a PDF checked page by page as images (pdftoppm) and as text (pdftotext),
//! an XLSX read back, and a CSV with its byte-order mark.

use crate::support::{Device, Station};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use doorstep_core::model::{
    Concern, ConcernCategory, ConcernStatus, FeedbackMethod, Household, HouseholdKind, InquiryArea,
    Purpose, Rating, Tag, Visit,
};
use std::process::Command;

/// Noon (UTC) of `day` of the month starting at `month`.
fn on(month: NaiveDate, day: u32) -> DateTime<Utc> {
    month
        .with_day(day)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
}

fn household(device: &mut Device, address: &str, tags: Vec<Tag>) -> Household {
    let mut h = Household::new("幸福社区", address, HouseholdKind::Residence);
    h.tags = tags;
    h.registered_at = Utc::now() - chrono::Duration::days(400);
    device.store.save(&h).unwrap();
    h
}

#[allow(clippy::too_many_arguments)]
fn visit(
    device: &mut Device,
    h: &Household,
    at: DateTime<Utc>,
    purposes: Vec<Purpose>,
    rating: Rating,
    opinions: &str,
    areas: Vec<InquiryArea>,
) -> Visit {
    let v = Visit {
        id: doorstep_core::ids::VisitId::new(),
        version: 0,
        household_id: h.id,
        visited_at: at,
        officers: vec!["张警官".into()],
        purposes,
        met: vec![],
        notes: String::new(),
        inquiry_areas: areas,
        rating: Some(rating),
        opinions: opinions.into(),
        location: String::new(),
        deleted: false,
    };
    device.store.save(&v).unwrap();
    v
}

fn concern(
    device: &mut Device,
    h: &Household,
    category: ConcernCategory,
    raised: DateTime<Utc>,
    closed: Option<DateTime<Utc>>,
) {
    let mut c = Concern::new(h.id, category, "问题");
    c.raised_at = raised;
    if let Some(at) = closed {
        c.status = ConcernStatus::Closed;
        c.feedback.at = Some(at);
        c.feedback.method = Some(FeedbackMethod::InPerson);
        c.closed_at = Some(at);
    }
    device.store.save(&c).unwrap();
}

/// An authorised download of the summary: (status, bytes).
fn download(station: &Station, query: &str) -> (u16, Vec<u8>) {
    fetch(station, &format!("summary/export?{query}"))
}

/// An authorised download of records: (status, bytes).
fn export(station: &Station, query: &str) -> (u16, Vec<u8>) {
    fetch(station, &format!("export?{query}"))
}

/// A staff member's GET of a file from the station's API: (status, bytes).
fn fetch(station: &Station, path: &str) -> (u16, Vec<u8>) {
    station.request_bytes("GET", path, &station.staff_token, None)
}

#[test]
fn last_months_summary_has_the_hand_worked_figures_and_exports_to_pdf_xlsx_and_csv() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let today = chrono::Local::now().date_naive();
    let month = today.with_day(1).unwrap() - Months::new(1);
    let before = month - Months::new(1);
    let lonely = household(&mut zhang, "幸福路1号", vec![Tag::ElderlyAlone]);
    let family = household(&mut zhang, "幸福路2号", vec![]);
    household(&mut zhang, "幸福路3号", vec![Tag::LowIncome]);
    use Purpose::*;
    visit(
        &mut zhang,
        &lonely,
        on(month, 3),
        vec![Warmth, Safety],
        Rating::Satisfied,
        "楼道灯坏了",
        vec![InquiryArea::PublicOrder],
    );
    visit(
        &mut zhang,
        &family,
        on(month, 10),
        vec![Law],
        Rating::Dissatisfied,
        "希望多巡逻",
        vec![],
    );
    visit(
        &mut zhang,
        &lonely,
        on(month, 20),
        vec![Warmth],
        Rating::Basic,
        "",
        vec![],
    );
    visit(
        &mut zhang,
        &family,
        on(before, 15),
        vec![Care],
        Rating::Satisfied,
        "上上个月",
        vec![],
    );
    use ConcernCategory::*;
    concern(
        &mut zhang,
        &lonely,
        SafetyHazard,
        on(month, 3),
        Some(on(month, 7)),
    );
    concern(
        &mut zhang,
        &family,
        Dispute,
        on(month, 10),
        Some(on(month, 20)),
    );
    concern(&mut zhang, &family, SafetyHazard, on(month, 12), None);
    concern(
        &mut zhang,
        &lonely,
        Dispute,
        on(before, 20),
        Some(on(month, 2)),
    );
    zhang.sync();

    let m = month.format("%Y-%m").to_string();
    let (status, body) = station.get(&format!(
        "summary?month={m}&beat=%E5%B9%B8%E7%A6%8F%E7%A4%BE%E5%8C%BA"
    ));
    assert_eq!(status, 200, "{body}");
    let s: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(s["visits"], 3);
    let purposes: Vec<u64> = s["visits_by_purpose"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["count"].as_u64().unwrap())
        .collect();
    assert_eq!(
        purposes,
        [2, 1, 1, 0, 0, 0],
        "warmth, safety, law, mediation, service, care"
    );
    assert_eq!(
        (&s["households"], &s["households_visited"]),
        (&3.into(), &2.into())
    );
    assert_eq!(
        (&s["vulnerable_households"], &s["vulnerable_visited"]),
        (&2.into(), &1.into())
    );
    let flow = |category: &str| {
        let c = s["concerns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == category)
            .unwrap();
        (c["raised"].as_u64().unwrap(), c["closed"].as_u64().unwrap())
    };
    assert_eq!(flow("safety_hazard"), (2, 1));
    assert_eq!(flow("dispute"), (1, 2));
    // Closed in the month after 4, 10 and (from last month's 20th) at least 10 days.
    assert_eq!(s["median_days_to_close"], 10.0);
    assert_eq!(s["feedback_given"], 3);
    let ratings: Vec<u64> = s["satisfaction"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .collect();
    assert_eq!(ratings, [1, 1, 1]);
    assert_eq!(
        s["opinions"],
        serde_json::json!([
            {"area": "public_order", "count": 1, "quoted": ["楼道灯坏了"]},
            {"area": "unassigned", "count": 1, "quoted": ["希望多巡逻"]}
        ])
    );
    let (status, _) = station.get("summary?month=2026-13");
    assert_eq!(status, 400, "a month that does not exist");

    // The PDF: pages as images, and its text in Chinese.
    let dir = tempfile::tempdir().unwrap();
    let (status, pdf) = download(&station, &format!("month={m}&format=pdf"));
    assert_eq!(status, 200);
    assert!(pdf.starts_with(b"%PDF"));
    let file = dir.path().join("summary.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let done = Command::new("pdftoppm")
        .args(["-r", "50", "-png"])
        .arg(&file)
        .arg(dir.path().join("page"))
        .status()
        .unwrap();
    assert!(done.success());
    let pages = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "png")
        })
        .count();
    assert_eq!(pages, 1, "one page for a small station");
    let text = Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    // (pdftotext keeps the characters but not always the spaces between them.)
    let text: String = String::from_utf8(text.stdout)
        .unwrap()
        .split_whitespace()
        .collect();
    for expected in [
        "入户走访工作月度小结",
        "送温暖",
        "安全隐患",
        "楼道灯坏了",
        "希望多巡逻",
        "第1页/1",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} in the PDF's text:\n{text}"
        );
    }

    // The XLSX, read back; the CSV with its byte-order mark.
    let (status, xlsx) = download(&station, &format!("month={m}&format=xlsx"));
    assert_eq!(status, 200);
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("月度小结").unwrap();
    let cell = |r: usize, c: usize| sheet.get((r, c)).map(|d| d.to_string()).unwrap_or_default();
    assert_eq!(cell(0, 0), "入户走访工作月度小结");
    assert_eq!((cell(3, 0), cell(3, 1)), ("走访次数".into(), "3".into()));
    let (status, csv) = download(&station, &format!("month={m}&format=csv&lang=en"));
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(
        csv.contains("Visits,3") && csv.contains("楼道灯坏了"),
        "{csv}"
    );
    let (status, _) = download(&station, &format!("month={m}&format=docx"));
    assert_eq!(status, 400);
}

#[test]
fn records_of_a_date_range_export_to_xlsx_and_csv_without_confidential_reporters() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let today = chrono::Local::now().date_naive();
    let month = today.with_day(1).unwrap() - Months::new(1);
    let before = month - Months::new(1);
    let h = household(&mut zhang, "幸福路8号", vec![]);
    visit(
        &mut zhang,
        &h,
        on(month, 5),
        vec![Purpose::Warmth],
        Rating::Satisfied,
        "",
        vec![],
    );
    visit(
        &mut zhang,
        &h,
        on(before, 5),
        vec![Purpose::Law],
        Rating::Basic,
        "",
        vec![],
    );
    for (name, confidential) in [("举报人甲", true), ("王大妈", false)] {
        let mut c = Concern::new(h.id, ConcernCategory::CrimeLead, "楼下有人聚赌");
        c.raised_at = on(month, 6);
        c.reporter_name = name.into();
        c.confidential = confidential;
        zhang.store.save(&c).unwrap();
    }
    zhang.sync();
    let last_day = month + Months::new(1) - chrono::Days::new(1);
    let range = format!("from={month}&to={last_day}");

    let (status, xlsx) = export(&station, &format!("{range}&format=xlsx"));
    assert_eq!(status, 200);
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    let visits = book.worksheet_range("走访记录").unwrap();
    assert_eq!(
        visits.height(),
        2,
        "the heading and the one visit in the range"
    );
    assert_eq!(visits.get((0, 0)).unwrap().to_string(), "走访时间");
    assert_eq!(visits.get((1, 2)).unwrap().to_string(), "幸福路8号");
    assert_eq!(visits.get((1, 4)).unwrap().to_string(), "送温暖");
    let concerns = book.worksheet_range("群众反映问题").unwrap();
    let reporters: Vec<String> = (1..concerns.height())
        .map(|r| concerns.get((r, 6)).unwrap().to_string())
        .collect();
    assert_eq!(reporters, ["（保密）", "王大妈"]);
    assert!(
        concerns
            .rows()
            .flatten()
            .all(|c| !c.to_string().contains("举报人甲")),
        "a confidential reporter is never exported"
    );

    let (status, csv) = export(&station, &format!("{range}&format=csv&kind=concerns"));
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(
        csv.contains("（保密）") && csv.contains("王大妈") && !csv.contains("举报人甲"),
        "{csv}"
    );
    // A range across the year's end answers too; a reversed range or a bad date is refused.
    let (status, _) = export(
        &station,
        &format!(
            "from={}-12-01&to={}-01-31&format=csv",
            today.year() - 1,
            today.year()
        ),
    );
    assert_eq!(status, 200);
    let (status, _) = export(&station, &format!("from={last_day}&to={month}&format=csv"));
    assert_eq!(status, 400);
    let (status, _) = export(&station, "from=yesterday&to=today&format=csv");
    assert_eq!(status, 400);
}

#[test]
fn an_empty_station_month_or_beat_answers_with_zeros_not_errors() {
    let station = Station::start();
    // No households at all: the overview, a worklist and a summary still answer.
    let (status, body) = station.get("overview");
    assert_eq!(status, 200, "{body}");
    let overview: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(overview["beats"], serde_json::json!([]));
    assert_eq!(overview["coverage_history"].as_array().unwrap().len(), 12);
    let (status, body) = station.get("worklist?list=overdue_households&beat=%E6%97%A0");
    assert_eq!((status, body.as_str()), (200, "[]"));

    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    household(&mut zhang, "幸福路1号", vec![]);
    zhang.sync();
    // A month long past, and a beat with no households.
    for query in ["month=2001-01", "month=2001-01&beat=%E6%97%A0"] {
        let (status, body) = station.get(&format!("summary?{query}"));
        assert_eq!(status, 200, "{body}");
        let s: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(s["visits"], 0);
        assert_eq!(s["median_days_to_close"], serde_json::Value::Null);
        assert_eq!(s["opinions"], serde_json::json!([]));
    }
    let (status, pdf) = download(&station, "month=2001-01&format=pdf");
    assert_eq!(status, 200);
    assert!(pdf.starts_with(b"%PDF"), "an empty month still prints");
}

/// The summary reads the month's visits from a table kept with every write (migration 0021): a
/// visit re-rated, moved to another month, given no opinion, or deleted after it was counted moves
/// the figures with it.
#[test]
fn visits_edited_moved_or_deleted_after_they_were_counted_move_the_summary_with_them() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let today = chrono::Local::now().date_naive();
    let month = today.with_day(1).unwrap() - Months::new(1);
    let before = month - Months::new(1);
    let (m, b) = (
        month.format("%Y-%m").to_string(),
        before.format("%Y-%m").to_string(),
    );
    let summary = |m: &str| -> serde_json::Value {
        let (status, body) = station.get(&format!("summary?month={m}"));
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let purposes = |s: &serde_json::Value| -> Vec<u64> {
        s["visits_by_purpose"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["count"].as_u64().unwrap())
            .collect()
    };
    let rated = |s: &serde_json::Value, key: &str| {
        s["satisfaction"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .unwrap()["count"]
            .as_u64()
            .unwrap()
    };
    let one = household(&mut zhang, "幸福路1号", vec![]);
    let two = household(&mut zhang, "幸福路2号", vec![]);
    use Purpose::*;
    let a = visit(
        &mut zhang,
        &one,
        on(month, 5),
        vec![Warmth],
        Rating::Satisfied,
        "路灯不亮",
        vec![InquiryArea::PublicOrder],
    );
    let b_visit = visit(
        &mut zhang,
        &two,
        on(month, 6),
        vec![Law],
        Rating::Dissatisfied,
        "",
        vec![],
    );
    let c = visit(
        &mut zhang,
        &two,
        on(month, 7),
        vec![Care],
        Rating::Satisfied,
        "",
        vec![],
    );
    zhang.sync();
    let s = summary(&m);
    assert_eq!(s["visits"], 3);
    assert_eq!(purposes(&s), [1, 0, 1, 0, 0, 1]);
    assert_eq!(s["households_visited"], 2);
    assert_eq!(s["opinions"][0]["quoted"], serde_json::json!(["路灯不亮"]));

    // A re-rated with its opinion taken back; B moved to the month before; C deleted.
    let mut edited: Visit = zhang.store.get(a.id.0).unwrap();
    edited.rating = Some(Rating::Basic);
    edited.opinions = String::new();
    zhang.store.save(&edited).unwrap();
    let mut moved: Visit = zhang.store.get(b_visit.id.0).unwrap();
    moved.visited_at = on(before, 28);
    zhang.store.save(&moved).unwrap();
    let mut gone: Visit = zhang.store.get(c.id.0).unwrap();
    gone.deleted = true;
    zhang.store.save(&gone).unwrap();
    zhang.sync();

    let s = summary(&m);
    assert_eq!(s["visits"], 1, "{s}");
    assert_eq!(purposes(&s), [1, 0, 0, 0, 0, 0]);
    assert_eq!(s["households_visited"], 1);
    assert_eq!((rated(&s, "satisfied"), rated(&s, "basic")), (0, 1));
    assert_eq!(rated(&s, "dissatisfied"), 0);
    assert_eq!(s["opinions"], serde_json::json!([]));
    let s = summary(&b);
    assert_eq!(s["visits"], 1, "{s}");
    assert_eq!(purposes(&s), [0, 0, 1, 0, 0, 0]);
    assert_eq!(rated(&s, "dissatisfied"), 1);
}
