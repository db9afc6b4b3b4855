//! Reading a ledger file into a plain table of text cells: CSV (UTF-8, with or without the byte-order
//! mark Excel writes, or GB18030/GBK as older Chinese Excel saves it) and spreadsheets (XLSX, XLS,
//! ODS) through calamine, first sheet.

use super::ImportError;
use calamine::{Data, Reader, open_workbook_auto_from_rs};
use std::io::Cursor;

/// Files larger than this are refused before reading (a beat's ledger is a few thousand rows).
pub const MAX_ROWS: usize = 200_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Reads a ledger file's contents; `file_name` tells the format by its extension.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Table, ImportError> {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let mut rows = match ext.as_str() {
        "csv" | "txt" => read_csv(bytes)?,
        "xlsx" | "xlsm" | "xls" | "ods" => read_sheet(bytes)?,
        _ => return Err(ImportError::UnsupportedFormat { extension: ext }),
    };
    // Blank lines at the end or in the middle are not rows of the ledger.
    rows.retain(|r| r.iter().any(|c| !c.trim().is_empty()));
    if rows.is_empty() {
        return Err(ImportError::Empty);
    }
    if rows.len() > MAX_ROWS + 1 {
        return Err(ImportError::TooManyRows {
            limit: MAX_ROWS as u32,
        });
    }
    let headers = rows
        .remove(0)
        .into_iter()
        .map(|h| h.trim().to_string())
        .collect();
    Ok(Table { headers, rows })
}

fn unreadable(e: impl std::fmt::Display) -> ImportError {
    ImportError::Unreadable {
        detail: e.to_string(),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.trim_start_matches('\u{feff}').to_string(),
        Err(_) => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                return Err(ImportError::Unreadable {
                    detail: "text encoding is neither UTF-8 nor GBK".into(),
                });
            }
            text.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            r.map(|rec| rec.iter().map(str::to_string).collect())
                .map_err(unreadable)
        })
        .collect()
}

fn read_sheet(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(unreadable)?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or(ImportError::Empty)?;
    let range = workbook.worksheet_range(&sheet).map_err(unreadable)?;
    Ok(range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect())
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // Whole numbers (a phone typed as a number) must not come out as "13800138000.0".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        // Excel counts days from 1899-12-30.
        Data::DateTime(d) => chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|epoch| epoch.checked_add_days(chrono::Days::new(d.as_f64().max(0.0) as u64)))
            .map(|day| day.to_string())
            .unwrap_or_default(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("{e:?}"),
    }
}
