//! Importing ledgers: what is stored, what is rejected and why, and that importing the same file
//! again creates nothing.

use super::*;
use crate::error::{Error, ErrorCode};
use crate::validate::id_check_char;

fn store() -> Store {
    let mut s = Store::open_in_memory().unwrap();
    s.init_device("张警官", &["幸福社区".into()]).unwrap();
    s
}

fn id_number(first17: &str) -> String {
    format!("{first17}{}", id_check_char(first17))
}

fn ledger_csv() -> String {
    let a = id_number("11010519491231002");
    let b = id_number("11010519800101003");
    [
        "姓名,性别,身份证号,手机号码,住址,与户主关系,标签".to_string(),
        format!("张三,男,{a},13800138000,幸福路12号3栋2单元401室,户主,独居老人"),
        format!("李四,,{b},,幸福路１２号３幢２门４０１,配偶,"),
        "王五,男,,12345,幸福路8号,户主,".into(),
        ",女,,,幸福路9号,户主,".into(),
        "赵六,女,,,和平街1号,外星人,".into(),
        "钱七,女,,,和平街2号,户主,".into(),
        "孙八,男,,,,户主,".into(),
    ]
    .join("\n")
}

fn request(dry_run: bool) -> ImportRequest {
    let t = table::read("ledger.csv", ledger_csv().as_bytes()).unwrap();
    ImportRequest {
        file_name: "ledger.csv".into(),
        mapping: mapping::suggest(&t.headers),
        default_beat: "幸福社区".into(),
        dry_run,
    }
}

fn count(s: &Store, table: &str) -> i64 {
    s.conn()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_ledger_imports_every_row_with_an_address_and_reports_what_it_left_aside() {
    let mut s = store();
    let report = s
        .import_ledger(&request(false), ledger_csv().as_bytes())
        .unwrap();
    assert_eq!(report.rows, 7);
    // 张三 and 李四 share one household: the same address typed two ways.
    assert_eq!(report.households_created, 5, "{report:?}");
    assert_eq!(report.residents_created, 5);
    let listed = |rows: &[RejectedRow]| -> Vec<(u32, String, ErrorCode)> {
        rows.iter()
            .flat_map(|r| {
                r.errors
                    .iter()
                    .map(move |e| (r.row, e.field.clone(), e.code))
            })
            .collect()
    };
    assert_eq!(
        listed(&report.warnings),
        [
            (4, "phone".into(), ErrorCode::BadPhone),
            (5, "name".into(), ErrorCode::Required),
            (6, "relation".into(), ErrorCode::UnknownValue)
        ]
    );
    // Only the row without an address is lost.
    assert_eq!(
        listed(&report.rejected),
        [(8, "address".into(), ErrorCode::Required)]
    );
    assert_eq!(count(&s, "households"), 5);
    assert_eq!(count(&s, "residents"), 5);
    // Birth date and sex come from the ID number when the columns are empty.
    let li: Resident = s.select::<Resident>("name = '李四'", []).unwrap().remove(0);
    assert_eq!(li.birth_date, chrono::NaiveDate::from_ymd_opt(1980, 1, 1));
    assert_eq!(li.sex, Some(crate::model::Sex::Male));
    // The phone that is no phone is kept aside as typed, not stored as the phone.
    let wang: Resident = s.select::<Resident>("name = '王五'", []).unwrap().remove(0);
    assert_eq!(wang.phone, "");
    assert_eq!(
        wang.to_check,
        [crate::model::ToCheck {
            field: "phone".into(),
            typed: "12345".into(),
            reason: crate::model::CheckReason::NotAPhone
        }]
    );
}

#[test]
fn importing_the_same_file_again_creates_nothing_and_logs_nothing() {
    let mut s = store();
    s.import_ledger(&request(false), ledger_csv().as_bytes())
        .unwrap();
    let changes = count(&s, "changes");
    let again = s
        .import_ledger(&request(false), ledger_csv().as_bytes())
        .unwrap();
    assert_eq!(
        (
            again.households_created,
            again.residents_created,
            again.residents_updated
        ),
        (0, 0, 0)
    );
    assert_eq!(again.unchanged, 5);
    assert_eq!(count(&s, "residents"), 5);
    assert_eq!(count(&s, "households"), 5);
    assert_eq!(count(&s, "changes"), changes);
}

#[test]
fn a_dry_run_reports_the_same_and_stores_nothing() {
    let mut s = store();
    let dry = s
        .import_ledger(&request(true), ledger_csv().as_bytes())
        .unwrap();
    assert!(dry.dry_run);
    assert_eq!(dry.residents_created, 5);
    assert_eq!((dry.rejected.len(), dry.warnings.len()), (1, 3));
    assert_eq!(
        count(&s, "residents") + count(&s, "households") + count(&s, "changes"),
        0
    );
}

#[test]
fn a_spreadsheet_without_the_required_columns_is_refused_as_a_whole() {
    let mut s = store();
    let csv = "序号,电话\n1,13800138000\n";
    let t = table::read("x.csv", csv.as_bytes()).unwrap();
    let req = ImportRequest {
        file_name: "x.csv".into(),
        mapping: mapping::suggest(&t.headers),
        default_beat: "幸福社区".into(),
        dry_run: false,
    };
    match s.import_ledger(&req, csv.as_bytes()) {
        Err(Error::Import(ImportError::MissingColumns { fields })) => {
            assert_eq!(fields, [LedgerField::Address, LedgerField::Name]);
        }
        other => panic!("expected missing columns, got {other:?}"),
    }
    assert!(matches!(
        table::read("x.pdf", b"%PDF"),
        Err(ImportError::UnsupportedFormat { .. })
    ));
    assert!(matches!(
        table::read("x.csv", b"\n\n"),
        Err(ImportError::Empty)
    ));
    assert!(matches!(
        table::read("x.xlsx", b"not a zip"),
        Err(ImportError::Unreadable { .. })
    ));
}

#[test]
fn gbk_csv_from_older_excel_reads_as_chinese() {
    let (bytes, _, _) = encoding_rs::GBK.encode("姓名,住址\n张三,幸福路1号\n");
    let t = table::read("old.csv", &bytes).unwrap();
    assert_eq!(t.headers, ["姓名", "住址"]);
    assert_eq!(t.rows[0], ["张三", "幸福路1号"]);
}

#[test]
fn xlsx_ledgers_import_like_csv_with_numbers_and_dates_as_typed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("台账.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (i, h) in ["姓名", "出生日期", "手机号", "地址"].iter().enumerate() {
        sheet.write_string(0, i as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "欧阳娜娜").unwrap();
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(1990, 5, 17).unwrap();
    sheet
        .write_datetime_with_format(
            1,
            1,
            &date,
            &rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd"),
        )
        .unwrap();
    sheet.write_number(1, 2, 13912345678.0).unwrap();
    sheet.write_string(1, 3, "和平街8号").unwrap();
    book.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();

    let preview = preview("台账.xlsx", &bytes).unwrap();
    assert_eq!(
        preview.sample[0],
        ["欧阳娜娜", "1990-05-17", "13912345678", "和平街8号"]
    );
    let mut s = store();
    let req = ImportRequest {
        file_name: "台账.xlsx".into(),
        mapping: preview.suggested,
        default_beat: "幸福社区".into(),
        dry_run: false,
    };
    let report = s.import_ledger(&req, &bytes).unwrap();
    assert_eq!(report.residents_created, 1, "{report:?}");
    assert_eq!(s.search("oynn", 5).unwrap().residents[0].name, "欧阳娜娜");
}
