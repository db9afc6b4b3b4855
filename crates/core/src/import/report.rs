//! The import's per-row outcome saved as a workbook for the station clerk: each row that was not
//! imported, or imported with values to check, with its number in the sheet, the outcome and why
//! (as the officer's screen worded them), followed by the row's own cells as they were in the
//! ledger, so the clerk corrects them there and imports the file again.

use super::{ImportError, table};
use serde::Deserialize;
use ts_rs::TS;

/// One row of the report as the screen showed it.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct ReportRow {
    /// The row's number in the sheet.
    pub row: u32,
    /// 未导入 / 已导入，有内容需核对 (in the officer's language).
    pub outcome: String,
    pub why: String,
}

/// The report as an XLSX workbook: 行号, 结果, 说明, then the ledger's own columns.
pub fn workbook(
    file_name: &str,
    bytes: &[u8],
    headings: [&str; 3],
    rows: &[ReportRow],
) -> Result<Vec<u8>, ImportError> {
    let t = table::read(file_name, bytes)?;
    let failed = |e: rust_xlsxwriter::XlsxError| ImportError::Unreadable {
        detail: e.to_string(),
    };
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in headings
        .iter()
        .copied()
        .chain(t.headers.iter().map(String::as_str))
        .enumerate()
    {
        sheet
            .write_string_with_format(0, c as u16, h, &bold)
            .map_err(failed)?;
    }
    for (r, line) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_number(r, 0, line.row).map_err(failed)?;
        sheet.write_string(r, 1, &line.outcome).map_err(failed)?;
        sheet.write_string(r, 2, &line.why).map_err(failed)?;
        let cells = t
            .numbers
            .iter()
            .position(|n| *n == line.row)
            .map(|i| &t.rows[i]);
        for (c, cell) in cells.into_iter().flatten().enumerate() {
            // As text: an ID number must not become a number again here.
            sheet.write_string(r, c as u16 + 3, cell).map_err(failed)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(failed)?;
    book.save_to_buffer().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, open_workbook_auto_from_rs};

    #[test]
    fn the_report_lists_each_row_with_why_and_its_own_cells_as_text() {
        let csv = "台账\n\n姓名,身份证号,住址\n张三,110101196512254000,幸福路1号\n李四,,\n";
        let rows = [
            ReportRow {
                row: 4,
                outcome: "已导入，有内容需核对".into(),
                why: "身份证号被 Excel 存成了数字".into(),
            },
            ReportRow {
                row: 5,
                outcome: "未导入".into(),
                why: "必填，请填写地址".into(),
            },
        ];
        let bytes = workbook("台账.csv", csv.as_bytes(), ["行号", "结果", "说明"], &rows).unwrap();
        let mut book = open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let text: Vec<Vec<String>> = sheet
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(
            text[0],
            ["行号", "结果", "说明", "姓名", "身份证号", "住址"]
        );
        assert_eq!(
            text[1],
            [
                "4",
                "已导入，有内容需核对",
                "身份证号被 Excel 存成了数字",
                "张三",
                "110101196512254000",
                "幸福路1号"
            ]
        );
        assert_eq!(text[2][..4], ["5", "未导入", "必填，请填写地址", "李四"]);
        assert!(
            matches!(sheet.get_value((1, 4)), Some(calamine::Data::String(_))),
            "the ID number stays text"
        );
    }
}
