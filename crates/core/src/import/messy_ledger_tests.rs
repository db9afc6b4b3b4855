//! Ledgers as stations really keep them: a title merged across the columns and a blank row above
//! the header, the head of household's columns (户主姓名, 家庭住址, 联系电话, 类别/标签), ID numbers
//! typed as numbers (Excel keeps 15 significant digits) or as text behind an apostrophe, dates as
//! Excel day counts, 2024/6/18 and 2024年6月18日, phones with spaces, dashes and full-width digits,
//! trailing spaces, one household on several rows (its address merged down them), and the same
//! ledger as a GBK CSV saved by Excel on Chinese Windows. The files are generated here and written
//! to `ledgers/` beside this file (`DOORSTEP_WRITE_LEDGERS=1`), for trying by hand in the app.

use super::*;
use crate::model::{CheckReason, Household, Resident};
use crate::validate::id_check_char;

fn id_number(first17: &str) -> String {
    format!("{first17}{}", id_check_char(first17))
}

const HEADERS: [&str; 8] = [
    "序号",
    "户主姓名",
    "身份证号码",
    "联系电话",
    "家庭住址",
    "人口数",
    "类别/标签",
    "最近走访日期",
];

/// The ledger's rows after the header, as typed (the first ID is typed as a number in the
/// workbook; an empty name is a household whose head was not written down).
fn rows() -> Vec<[String; 8]> {
    let li = id_number("11010519491231002");
    let wang = id_number("11010519800101003");
    let row = |cells: [&str; 8]| cells.map(String::from);
    vec![
        row([
            "1",
            "张桂英",
            "110101196512254567",
            "１３７ ００００ １１１１",
            "幸福路12号 ",
            "3",
            "独居老人",
            "45461",
        ]),
        row([
            "2",
            "李建国",
            &format!("'{li}"),
            "138-0013-8000",
            "幸福路8号",
            "2",
            "",
            "2024/6/18",
        ]),
        row([
            "3",
            "王芳",
            &wang,
            "13912345678",
            "幸福路１２号",
            "",
            "",
            "2024年6月18日",
        ]),
        row([
            "4",
            "赵敏",
            "110105198001010030",
            "无",
            "和平街3号",
            "1",
            "低保户",
            "",
        ]),
        row(["5", "", "", "", "和平街5号", "", "", ""]),
        row(["6", "孙强", "", "13600000000", "", "", "", ""]),
        row(["7", "钱一", "", "13500000001", "幸福路20号", "2", "", ""]),
        row(["8", "钱二", "", "13500000002", "", "", "", ""]),
    ]
}

/// The workbook: title merged over the columns (row 1), a blank row, the header on row 3, the
/// first ID as a number, the first visit date as a day count, 钱's address merged over two rows.
fn workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let plain = rust_xlsxwriter::Format::new();
    sheet
        .merge_range(0, 0, 0, 7, "幸福社区实有人口台账（2024年）", &plain)
        .unwrap();
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    for (r, cells) in rows().iter().enumerate() {
        let r = r as u32 + 3;
        for (c, v) in cells.iter().enumerate() {
            let c = c as u16;
            match (r, c) {
                (3, 2) => {
                    sheet.write_number(r, c, v.parse::<f64>().unwrap()).unwrap();
                }
                (3, 7) => {
                    sheet.write_number(r, c, v.parse::<f64>().unwrap()).unwrap();
                }
                (9, 4) => {
                    sheet.merge_range(9, 4, 10, 4, v, &plain).unwrap();
                }
                (10, 4) => {}
                _ if !v.is_empty() => {
                    sheet.write_string(r, c, v).unwrap();
                }
                _ => {}
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// The same ledger as Excel on Chinese Windows saves CSV: GBK, the title in the first cell, a blank
/// line, the ID as Excel shows a number it rounded, the merged address only on its first row.
fn gbk_csv() -> Vec<u8> {
    let mut lines = vec![
        "幸福社区实有人口台账（2024年）,,,,,,,".to_string(),
        ",,,,,,,".into(),
    ];
    lines.push(HEADERS.join(","));
    for (i, cells) in rows().into_iter().enumerate() {
        let mut cells = cells;
        if i == 0 {
            cells[2] = "110101196512254000".into();
        }
        if i == 7 {
            cells[4] = "幸福路20号".into();
        }
        lines.push(cells.join(","));
    }
    let text = lines.join("\r\n") + "\r\n";
    let (bytes, _, _) = encoding_rs::GBK.encode(&text);
    bytes.into_owned()
}

fn store() -> Store {
    let mut s = Store::open_in_memory().unwrap();
    s.init_device("张警官", &["幸福社区".into()]).unwrap();
    s
}

fn import(s: &mut Store, name: &str, bytes: &[u8]) -> ImportReport {
    let p = preview(name, bytes).unwrap();
    assert_eq!(
        p.header_row, 3,
        "{name}: the title and blank rows are skipped"
    );
    assert_eq!(p.headers[1], "户主姓名");
    s.import_ledger(
        &ImportRequest {
            file_name: name.into(),
            mapping: p.suggested,
            default_beat: "幸福社区".into(),
            dry_run: false,
        },
        bytes,
    )
    .unwrap()
}

fn resident(s: &Store, name: &str) -> Resident {
    s.select::<Resident>("name = ?1", [name]).unwrap().remove(0)
}

fn household_of(s: &Store, r: &Resident) -> Household {
    s.get(r.household_id.0).unwrap()
}

fn check_messy_ledger(name: &str, bytes: &[u8]) {
    let mut s = store();
    let report = import(&mut s, name, bytes);
    // Every row with an address comes in; only 孙强's (no address) is rejected, by its sheet row.
    assert_eq!(
        report
            .rejected
            .iter()
            .map(|r| (r.row, r.errors[0].field.as_str()))
            .collect::<Vec<_>>(),
        [(9, "address")],
        "{name}: {report:?}"
    );
    assert_eq!(report.households_created, 5, "{name}: {report:?}");
    assert_eq!(report.residents_created, 6, "{name}: {report:?}");

    // Full-width digits, spaces and dashes: the phone as digits.
    let zhang = resident(&s, "张桂英");
    let home = household_of(&s, &zhang);
    assert_eq!(home.contact_phone, "13700001111");
    assert_eq!(home.address, "幸福路12号", "trailing space gone");
    // An ID Excel rounded is never stored as if correct: kept aside, flagged.
    assert_eq!(zhang.id_number, "", "{name}");
    assert_eq!(zhang.to_check.len(), 1, "{name}: {:?}", zhang.to_check);
    assert_eq!(zhang.to_check[0].field, "id_number");
    assert_eq!(zhang.to_check[0].reason, CheckReason::ExcelRounded);
    assert!(zhang.to_check[0].typed.starts_with("110101196512254"));
    // 王芳 lives at the same address typed in full-width digits: one household.
    assert_eq!(resident(&s, "王芳").household_id, zhang.household_id);
    // The apostrophe Excel users type to keep an ID as text is not part of it.
    let li = resident(&s, "李建国");
    assert_eq!(li.id_number, id_number("11010519491231002"));
    assert_eq!(household_of(&s, &li).contact_phone, "13800138000");
    // A check digit that fails: kept aside as typed, the person imported.
    let zhao = resident(&s, "赵敏");
    assert_eq!(zhao.id_number, "");
    assert_eq!(zhao.to_check[0].reason, CheckReason::BadIdNumber);
    assert_eq!(zhao.to_check[0].typed, "110105198001010030");
    let zhao_home = household_of(&s, &zhao);
    assert_eq!(zhao_home.contact_phone, "");
    assert_eq!(zhao_home.to_check[0].field, "contact_phone");
    assert_eq!(zhao_home.to_check[0].typed, "无");
    // The address merged down two rows: one household with both people.
    assert_eq!(
        resident(&s, "钱二").household_id,
        resident(&s, "钱一").household_id
    );
    // Warnings name each row with what was left aside.
    let warned: Vec<u32> = report.warnings.iter().map(|w| w.row).collect();
    assert!(
        warned.contains(&4) && warned.contains(&7),
        "{name}: {warned:?}"
    );

    // Today lists the households with something to check, most first.
    let today = s.today(chrono::Utc::now().date_naive()).unwrap();
    let listed: Vec<(&str, u32)> = today
        .to_check
        .iter()
        .map(|i| (i.address.as_str(), i.count))
        .collect();
    assert_eq!(listed, [("和平街3号", 2), ("幸福路12号", 1)], "{name}");

    // Imported again: nothing new, nothing changed, nothing logged.
    let changes: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
        .unwrap();
    let again = import(&mut s, name, bytes);
    assert_eq!(
        (
            again.households_created,
            again.residents_created,
            again.residents_updated
        ),
        (0, 0, 0),
        "{name}: {again:?}"
    );
    let after: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(after, changes, "{name}: a re-import logs nothing");

    // Corrected by the officer from the paper original: off the list, and a later import of the
    // same ledger neither blanks the corrected number nor flags it again.
    let seen = resident(&s, "张桂英");
    let mut checked = seen.clone();
    checked.id_number = id_number("11010119651225456");
    checked.to_check.clear();
    s.save_edit(&seen, &checked).unwrap();
    let today = s.today(chrono::Utc::now().date_naive()).unwrap();
    assert_eq!(today.to_check.len(), 1, "{name}");
    assert_eq!(today.to_check[0].address, "和平街3号");
    import(&mut s, name, bytes);
    let zhang = resident(&s, "张桂英");
    assert_eq!(zhang.id_number, id_number("11010119651225456"), "{name}");
    assert!(zhang.to_check.is_empty(), "{name}: {:?}", zhang.to_check);
}

#[test]
fn a_messy_xlsx_ledger_imports_every_household_and_flags_what_needs_checking() {
    check_messy_ledger("幸福社区台账.xlsx", &workbook());
}

#[test]
fn the_same_ledger_as_a_gbk_csv_from_excel_imports_the_same() {
    check_messy_ledger("幸福社区台账.csv", &gbk_csv());
}

#[test]
fn the_ledgers_kept_beside_the_tests_are_the_generated_ones() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/import/ledgers");
    let csv = gbk_csv();
    if std::env::var_os("DOORSTEP_WRITE_LEDGERS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("messy-ledger.xlsx"), workbook()).unwrap();
        std::fs::write(dir.join("messy-ledger-gbk.csv"), &csv).unwrap();
    }
    // The workbook's bytes carry a creation time; the CSV is compared whole and both imported.
    assert_eq!(
        std::fs::read(dir.join("messy-ledger-gbk.csv")).unwrap(),
        csv
    );
    check_messy_ledger(
        "messy-ledger.xlsx",
        &std::fs::read(dir.join("messy-ledger.xlsx")).unwrap(),
    );
}
