//! The monthly work summary as files to send up: a printable PDF laid out like an official report
//! (A4, Chinese set in Noto Sans CJK SC, embedded and subset by krilla), and the same figures as CSV
//! (UTF-8 with a byte-order mark, so spreadsheet software reads the Chinese) and XLSX.
//! In Chinese by default, or English.

use crate::store::MonthlySummary;
use doorstep_core::model::{ConcernCategory, ConcernStatus, InquiryArea, Purpose, Rating, Urgency};
use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no Chinese font for the PDF: install fonts-noto-cjk (looked for Noto Sans CJK SC)")]
    NoFont,
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error("the spreadsheet could not be written: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("the CSV could not be written: {0}")]
    Csv(#[from] csv::Error),
}

/// The report's language: the one the whole product speaks (zh-CN by default, or English).
pub use doorstep_core::model::Lang;

/// What the monthly summary is exported as.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema, Default, ts_rs::TS,
)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
#[serde(rename_all = "lowercase")]
pub enum SummaryFormat {
    /// Printable, with the station's figures and a table per beat.
    #[default]
    Pdf,
    /// UTF-8 with a byte order mark, so spreadsheet software reads the Chinese right.
    Csv,
    Xlsx,
}

/// What records of a date range are exported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One kind of record (see [`RecordKind`]).
    Csv,
    /// Visits and concerns, a sheet each.
    Xlsx,
}

/// Which records a CSV export holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema, Default, ts_rs::TS,
)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    #[default]
    Visits,
    Concerns,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Visits => "visits",
            RecordKind::Concerns => "concerns",
        }
    }
}

/// A file's media type and the extension of its name.
pub const PDF: (&str, &str) = ("application/pdf", "pdf");
pub const CSV: (&str, &str) = ("text/csv; charset=utf-8", "csv");
pub const XLSX: (&str, &str) = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
);

/// The summary in `format`, with its media type and extension.
pub fn summary_file(
    s: &MonthlySummary,
    lang: Lang,
    format: SummaryFormat,
) -> Result<(Vec<u8>, (&'static str, &'static str)), ReportError> {
    Ok(match format {
        SummaryFormat::Pdf => (pdf(s, lang)?, PDF),
        SummaryFormat::Csv => (csv(s, lang)?, CSV),
        SummaryFormat::Xlsx => (xlsx(s, lang)?, XLSX),
    })
}

/// The words of the report in its language: section titles and the closed lists.
fn word(lang: Lang, key: &str) -> String {
    let (zh, en) = match key {
        "title" => (
            "入户走访工作月度小结",
            "Monthly community visit work summary",
        ),
        "station" => ("全所", "whole station"),
        "visits" => ("一、走访情况", "1. Visits"),
        "concerns" => ("二、群众反映问题", "2. Residents' concerns"),
        "satisfaction" => ("三、开门评警", "3. Satisfaction"),
        "opinions" => (
            "四、群众意见建议（按五访分类）",
            "4. Opinions by inquiry area",
        ),
        "visits_total" => ("走访次数", "Visits"),
        "households_visited" => ("走访住户", "Households visited"),
        "vulnerable_visited" => ("困难群体住户走访", "Vulnerable households visited"),
        "category" => ("类别", "Category"),
        "raised" => ("新增", "Raised"),
        "closed" => ("办结", "Closed"),
        "median" => ("办结用时中位数（天）", "Median days to close"),
        "feedback" => ("已向群众反馈", "Residents told the result"),
        "count" => ("条数", "Count"),
        "page" => ("第 {} 页", "Page {}"),
        "none" => ("无", "none"),
        "unassigned" => ("未分类", "Unassigned"),
        other => (other, other),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
    .to_string()
}

/// A word of one of the closed lists as people read it, from the core's one vocabulary (`parse` and
/// `label` of its enum); an unknown word as it was stored. Called for every cell of an export, so
/// it looks the word up in its own list only.
fn vocab_word<T>(
    lang: Lang,
    parse: fn(&str) -> Option<T>,
    label: fn(T, Lang) -> &'static str,
    key: &str,
) -> String {
    parse(key).map_or_else(|| key.to_string(), |word| label(word, lang).to_string())
}

fn share(part: u32, whole: u32) -> String {
    if whole == 0 {
        return "—".into();
    }
    format!("{:.0}%", f64::from(part) * 100.0 / f64::from(whole))
}

/// The summary as rows of a table: a section title alone on its row, then (item, value, …) rows.
/// Shared by the CSV and the XLSX so that both say the same.
pub fn rows(s: &MonthlySummary, lang: Lang) -> Vec<Vec<String>> {
    let w = |k: &str| word(lang, k);
    let mut out: Vec<Vec<String>> = vec![
        vec![w("title")],
        vec![
            s.month.clone(),
            s.beat.clone().unwrap_or_else(|| w("station")),
        ],
        vec![w("visits")],
        vec![w("visits_total"), s.visits.to_string()],
    ];
    for p in &s.visits_by_purpose {
        out.push(vec![
            vocab_word(lang, Purpose::parse, Purpose::label, &p.key),
            p.count.to_string(),
        ]);
    }
    out.push(vec![
        w("households_visited"),
        format!("{} / {}", s.households_visited, s.households),
        share(s.households_visited, s.households),
    ]);
    out.push(vec![
        w("vulnerable_visited"),
        format!("{} / {}", s.vulnerable_visited, s.vulnerable_households),
        share(s.vulnerable_visited, s.vulnerable_households),
    ]);
    out.push(vec![w("concerns")]);
    out.push(vec![w("category"), w("raised"), w("closed")]);
    for c in &s.concerns {
        out.push(vec![
            vocab_word(
                lang,
                ConcernCategory::parse,
                ConcernCategory::label,
                &c.category,
            ),
            c.raised.to_string(),
            c.closed.to_string(),
        ]);
    }
    out.push(vec![
        w("median"),
        s.median_days_to_close
            .map(|d| format!("{d:.1}"))
            .unwrap_or_else(|| w("none")),
    ]);
    out.push(vec![w("feedback"), s.feedback_given.to_string()]);
    out.push(vec![w("satisfaction")]);
    let rated: u32 = s.satisfaction.iter().map(|r| r.count).sum();
    for r in &s.satisfaction {
        out.push(vec![
            vocab_word(lang, Rating::parse, Rating::label, &r.key),
            r.count.to_string(),
            share(r.count, rated),
        ]);
    }
    out.push(vec![w("opinions")]);
    for area in &s.opinions {
        out.push(vec![
            vocab_word(lang, InquiryArea::parse, InquiryArea::label, &area.area),
            area.count.to_string(),
        ]);
        for q in &area.quoted {
            out.push(vec![String::new(), q.clone()]);
        }
    }
    out
}

pub fn csv(s: &MonthlySummary, lang: Lang) -> Result<Vec<u8>, ReportError> {
    csv_bytes(rows(s, lang))
}

/// Rows as CSV, UTF-8 with a byte-order mark so that spreadsheet software reads the Chinese.
fn csv_bytes(rows: Vec<Vec<String>>) -> Result<Vec<u8>, ReportError> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        for row in rows {
            w.write_record(
                row.iter()
                    .map(|c| doorstep_core::export::inert_cell(c).into_owned()),
            )?;
        }
        w.flush().map_err(csv::Error::from)?;
    }
    Ok(out)
}

/// The audit trail as CSV, one event a row.
pub fn audit_csv(entries: &[crate::store::AuditEntry]) -> Result<Vec<u8>, ReportError> {
    let mut rows = vec![
        [
            "at",
            "source",
            "actor",
            "device_id",
            "action",
            "target",
            "outcome",
            "detail",
        ]
        .map(String::from)
        .to_vec(),
    ];
    rows.extend(entries.iter().map(|e| {
        vec![
            e.at.clone(),
            e.source.clone(),
            e.actor.clone(),
            e.device_id.clone().unwrap_or_default(),
            e.action.clone(),
            e.target.clone(),
            e.outcome.clone(),
            e.detail.clone(),
        ]
    }));
    csv_bytes(rows)
}

pub fn xlsx(s: &MonthlySummary, lang: Lang) -> Result<Vec<u8>, ReportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(match lang {
        Lang::Zh => "月度小结",
        Lang::En => "Monthly summary",
    })?;
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 60)?;
    sheet.set_column_width(2, 12)?;
    let heading = Format::new().set_bold();
    for (r, row) in rows(s, lang).iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell.parse::<f64>() {
                // Counts as numbers, so that the sheet can add them up.
                Ok(n) if !cell.is_empty() => sheet.write_number(r, c, n)?,
                _ if row.len() == 1 => sheet.write_string_with_format(r, c, cell, &heading)?,
                _ => sheet.write_string(r, c, cell)?,
            };
        }
    }
    Ok(book.save_to_buffer()?)
}

/// Where the Chinese font is: what fontconfig says for Noto Sans CJK SC, else Debian's path.
fn cjk_font() -> Result<Font, ReportError> {
    let found = std::process::Command::new("fc-match")
        .args(["-f", "%{file}|%{index}", "Noto Sans CJK SC:style=Regular"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            let (file, index) = s.split_once('|')?;
            Some((PathBuf::from(file), index.trim().parse::<u32>().ok()?))
        })
        .filter(|(file, _)| file.to_string_lossy().contains("CJK"));
    let (file, index) = found.unwrap_or_else(|| {
        (
            PathBuf::from("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
            2,
        )
    });
    let data = std::fs::read(&file).map_err(|_| ReportError::NoFont)?;
    Font::new(data.into(), index).ok_or(ReportError::NoFont)
}

/// About how wide a character is set: a full-width one an em, anything else about half.
fn char_width(size: f32, ch: char) -> f32 {
    if ch.is_ascii() { size * 0.55 } else { size }
}

fn text_width(size: f32, text: &str) -> f32 {
    text.chars().map(|c| char_width(size, c)).sum()
}

/// One thing drawn on a page.
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
    },
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;

/// Lays text out top to bottom, starting a new page when one is full.
struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Layout {
        Layout {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn room(&mut self, height: f32) {
        if self.y + height > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn text(&mut self, x: f32, size: f32, text: &str) {
        self.room(size * 1.6);
        self.y += size * 1.4;
        let y = self.y;
        self.page().push(Op::Text {
            x,
            y,
            size,
            text: text.to_string(),
        });
    }

    /// Cells of one row at the given x positions, on one baseline.
    fn row(&mut self, cells: &[(f32, String)], size: f32) {
        self.room(size * 1.8);
        self.y += size * 1.5;
        let y = self.y;
        for (x, text) in cells {
            self.page().push(Op::Text {
                x: *x,
                y,
                size,
                text: text.clone(),
            });
        }
    }

    fn rule(&mut self) {
        self.y += 4.0;
        let y = self.y;
        self.page().push(Op::Rule {
            x1: MARGIN,
            x2: PAGE_W - MARGIN,
            y,
        });
    }

    /// A paragraph broken into lines that fit the text width.
    fn paragraph(&mut self, x: f32, size: f32, text: &str) {
        let width = PAGE_W - MARGIN - x;
        let mut line = String::new();
        let mut used = 0.0;
        for ch in text.chars() {
            let w = char_width(size, ch);
            if used + w > width && !line.is_empty() {
                self.text(x, size, &line);
                line.clear();
                used = 0.0;
            }
            line.push(ch);
            used += w;
        }
        if !line.is_empty() {
            self.text(x, size, &line);
        }
    }

    fn page(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a layout always has a page")
    }
}

pub fn pdf(s: &MonthlySummary, lang: Lang) -> Result<Vec<u8>, ReportError> {
    let font = cjk_font()?;
    let w = |k: &str| word(lang, k);
    let mut l = Layout::new();
    let scope = s.beat.clone().unwrap_or_else(|| w("station"));
    let centred = |size: f32, text: &str| (PAGE_W - text_width(size, text)) / 2.0;
    let title = w("title");
    l.text(centred(20.0, &title), 20.0, &title);
    let subtitle = format!("{scope} · {}", s.month);
    l.text(centred(12.0, &subtitle), 12.0, &subtitle);
    l.rule();
    let (c1, c2, c3) = (MARGIN + 12.0, MARGIN + 220.0, MARGIN + 330.0);
    for row in rows(s, lang).into_iter().skip(2) {
        match row.as_slice() {
            [title] => {
                l.y += 8.0;
                l.text(MARGIN, 14.0, title);
            }
            // A quoted opinion: wrapped under its area.
            [empty, quote] if empty.is_empty() => {
                l.paragraph(c1 + 12.0, 10.0, &format!("“{quote}”"))
            }
            cells => {
                let at = [c1, c2, c3];
                l.row(
                    &cells
                        .iter()
                        .zip(at)
                        .map(|(c, x)| (x, c.clone()))
                        .collect::<Vec<_>>(),
                    11.0,
                );
            }
        }
    }
    if s.opinions.is_empty() {
        l.row(&[(c1, w("none"))], 11.0);
    }
    let total = l.pages.len();
    let mut document = Document::new();
    for (n, ops) in l.pages.into_iter().enumerate() {
        let settings =
            PageSettings::from_wh(PAGE_W, PAGE_H).ok_or(ReportError::Pdf("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        let mut draw = |x: f32, y: f32, size: f32, text: &str| {
            surface.draw_text(
                Point::from_xy(x, y),
                font.clone(),
                size,
                text,
                false,
                TextDirection::Auto,
            );
        };
        for op in &ops {
            if let Op::Text { x, y, size, text } = op {
                draw(*x, *y, *size, text);
            }
        }
        let footer = format!(
            "{}  /  {total}",
            w("page").replace("{}", &(n + 1).to_string())
        );
        draw(PAGE_W / 2.0 - 30.0, PAGE_H - MARGIN / 2.0, 9.0, &footer);
        surface.set_stroke(Some(Stroke::default()));
        for op in &ops {
            if let Op::Rule { x1, x2, y } = op {
                let mut path = PathBuilder::new();
                path.push_rect(
                    Rect::from_xywh(*x1, *y, x2 - x1, 0.5)
                        .ok_or(ReportError::Pdf("rule".into()))?,
                );
                if let Some(path) = path.finish() {
                    surface.draw_path(&path);
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

/// A column's heading in the report's language.
fn heading(lang: Lang, column: &str) -> String {
    let (zh, en) = match column {
        "visited_at" => ("走访时间", "Visited at"),
        "beat" => ("责任区", "Beat"),
        "address" => ("地址", "Address"),
        "officers" => ("走访民警", "Officers"),
        "purposes" => ("走访目的", "Purposes"),
        "notes" => ("走访情况", "Notes"),
        "rating" => ("开门评警", "Rating"),
        "opinions" => ("意见建议", "Opinions"),
        "inquiry_areas" => ("五访", "Inquiry areas"),
        "raised_at" => ("登记时间", "Raised at"),
        "category" => ("类别", "Category"),
        "urgency" => ("紧急程度", "Urgency"),
        "summary" => ("问题描述", "Summary"),
        "reporter" => ("反映人", "Raised by"),
        "status" => ("状态", "Status"),
        "feedback_at" => ("反馈时间", "Resident told at"),
        "closed_at" => ("办结时间", "Closed at"),
        other => (other, other),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
    .to_string()
}

/// A stored cell as people read it: words of the closed lists in the report's language, times in
/// local time, a confidential reporter as such.
fn readable(lang: Lang, column: &str, value: &str) -> String {
    let zh = lang == Lang::Zh;
    let list = |f: &dyn Fn(&str) -> String| {
        value
            .split(',')
            .filter(|w| !w.is_empty())
            .map(f)
            .collect::<Vec<_>>()
            .join(if zh { "、" } else { ", " })
    };
    match column {
        "purposes" => list(&|w| vocab_word(lang, Purpose::parse, Purpose::label, w)),
        "rating" => list(&|w| vocab_word(lang, Rating::parse, Rating::label, w)),
        "category" => {
            list(&|w| vocab_word(lang, ConcernCategory::parse, ConcernCategory::label, w))
        }
        "inquiry_areas" => list(&|w| vocab_word(lang, InquiryArea::parse, InquiryArea::label, w)),
        "urgency" => vocab_word(lang, Urgency::parse, Urgency::label, value),
        "status" => vocab_word(lang, ConcernStatus::parse, ConcernStatus::label, value),
        "reporter" if value == crate::store::CONFIDENTIAL => {
            if zh { "（保密）" } else { "(confidential)" }.into()
        }
        c if c.ends_with("_at") && !value.is_empty() => chrono::DateTime::parse_from_rfc3339(value)
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|_| value.to_string()),
        _ => value.to_string(),
    }
}

fn readable_rows(table: &crate::store::Table, lang: Lang) -> Vec<Vec<String>> {
    let mut out = vec![table.columns.iter().map(|c| heading(lang, c)).collect()];
    for row in &table.rows {
        out.push(
            table
                .columns
                .iter()
                .zip(row)
                .map(|(c, v)| readable(lang, c, v))
                .collect(),
        );
    }
    out
}

/// One table of records as CSV (UTF-8 with a byte-order mark).
pub fn records_csv(table: &crate::store::Table, lang: Lang) -> Result<Vec<u8>, ReportError> {
    csv_bytes(readable_rows(table, lang))
}

/// The visits and the concerns as two sheets of one workbook.
pub fn records_xlsx(
    visits: &crate::store::Table,
    concerns: &crate::store::Table,
    lang: Lang,
) -> Result<Vec<u8>, ReportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let names = match lang {
        Lang::Zh => ["走访记录", "群众反映问题"],
        Lang::En => ["Visits", "Concerns"],
    };
    for (table, name) in [visits, concerns].into_iter().zip(names) {
        let sheet = book.add_worksheet();
        sheet.set_name(name)?;
        for (r, row) in readable_rows(table, lang).iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                if r == 0 {
                    sheet.write_string_with_format(0, c as u16, value, &bold)?;
                } else {
                    sheet.write_string(r as u32, c as u16, value)?;
                }
            }
        }
        for c in 0..table.columns.len() {
            sheet.set_column_width(c as u16, 18)?;
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    Ok(book.save_to_buffer()?)
}
