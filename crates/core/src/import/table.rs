//! Reading a ledger file into a plain table of text cells: CSV (UTF-8, with or without the byte-order
//! mark Excel writes, or GB18030/GBK as older Chinese Excel saves it) and spreadsheets (XLSX, XLS,
//! ODS) through calamine, first sheet, merged cells filled. The header row is found below any
//! title and blank rows, and every row keeps its number in the sheet for the report.

use super::ImportError;
use calamine::{Data, Reader, open_workbook_auto_from_rs};
use std::io::Cursor;

/// Files larger than this are refused before reading (a beat's ledger is a few thousand rows).
pub const MAX_ROWS: usize = 200_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The header row's number in the sheet (1 = the first line).
    pub header_row: u32,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Each row's own number in the sheet, as the clerk sees it there.
    pub numbers: Vec<u32>,
}

/// How far down a title, notes and blank rows may push the header row.
const HEADER_SEARCH_ROWS: usize = 20;

/// Reads a ledger file's contents; `file_name` tells the format by its extension.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Table, ImportError> {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let rows = match ext.as_str() {
        "csv" | "txt" => read_csv(bytes)?,
        "xlsx" | "xlsm" | "xls" | "ods" => read_sheet(bytes)?,
        _ => return Err(ImportError::UnsupportedFormat { extension: ext }),
    };
    // Blank lines at the end or in the middle are not rows of the ledger; each row keeps its number.
    let mut rows: Vec<(u32, Vec<String>)> = rows
        .into_iter()
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .collect();
    if rows.is_empty() {
        return Err(ImportError::Empty);
    }
    if rows.len() > MAX_ROWS + 1 {
        return Err(ImportError::TooManyRows {
            limit: MAX_ROWS as u32,
        });
    }
    // The header row is the first whose cells name ledger fields (a title, often merged across the
    // columns, and notes above it are skipped); failing that, the first row.
    let header_at = rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|(_, r)| super::mapping::suggest(r).len() >= 2)
        .unwrap_or(0);
    let (header_row, headers) = rows.drain(..=header_at).next_back().unwrap_or_default();
    let headers = headers
        .into_iter()
        .map(|h| super::parse::clean(&h))
        .collect();
    let (numbers, rows) = rows.into_iter().unzip();
    Ok(Table {
        header_row,
        headers,
        rows,
        numbers,
    })
}

fn unreadable(e: impl std::fmt::Display) -> ImportError {
    ImportError::Unreadable {
        detail: e.to_string(),
    }
}

/// Rows with their numbers in the file (1-based).
type NumberedRows = Vec<(u32, Vec<String>)>;

fn read_csv(bytes: &[u8]) -> Result<NumberedRows, ImportError> {
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
            r.map(|rec| {
                // The line the record starts on, counted from its byte offset (the csv crate's own
                // line count drifts on the CRLF line ends Excel writes, and its offset then points
                // at the LF ending the line before, hence the inclusive range).
                let start = rec.position().map_or(0, |p| p.byte() as usize);
                let line = text.as_bytes()[..(start + 1).min(text.len())]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count() as u32
                    + 1;
                (line, rec.iter().map(str::to_string).collect())
            })
            .map_err(unreadable)
        })
        .collect()
}

fn read_sheet(bytes: &[u8]) -> Result<NumberedRows, ImportError> {
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(unreadable)?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or(ImportError::Empty)?;
    let range = workbook.worksheet_range(&sheet).map_err(unreadable)?;
    // Merged cells hold their value in the top-left cell only; a ledger merges a household's
    // address (or a title) over its rows, and every row of it means that value.
    let merged = match &mut workbook {
        calamine::Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(&sheet).ok(),
        calamine::Sheets::Xls(x) => x.merge_cells_by_sheet_name(&sheet).ok(),
        _ => None,
    }
    .unwrap_or_default();
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut rows: Vec<Vec<String>> = range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect();
    for region in merged {
        let at = |(r, c): (u32, u32)| {
            Some((
                (r.checked_sub(top))? as usize,
                (c.checked_sub(left))? as usize,
            ))
        };
        let Some((r0, c0)) = at(region.start) else {
            continue;
        };
        let Some(value) = rows.get(r0).and_then(|r| r.get(c0)).cloned() else {
            continue;
        };
        for r in region.start.0..=region.end.0 {
            for c in region.start.1..=region.end.1 {
                if let Some((r, c)) = at((r, c))
                    && let Some(cell) = rows.get_mut(r).and_then(|row| row.get_mut(c))
                    && cell.is_empty()
                {
                    *cell = value.clone();
                }
            }
        }
    }
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| (top + i as u32 + 1, row))
        .collect())
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // Whole numbers (a phone typed as a number) must not come out as "13800138000.0".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        // A longer number (an ID number typed as a number) held only 15 significant digits in
        // Excel: shown as Excel shows it, the lost digits as zeros, never as if they were known.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e20 => {
            let digits = format!("{:.0}", f.abs());
            let kept: String = digits
                .chars()
                .enumerate()
                .map(|(i, c)| if i < 15 { c } else { '0' })
                .collect();
            if *f < 0.0 { format!("-{kept}") } else { kept }
        }
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
