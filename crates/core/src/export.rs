//! Exports: every record as JSON lines (for administrators and scripts), and the household ledger as
//! CSV in the same columns the importer reads, with the byte-order mark spreadsheet software needs
//! to open UTF-8 Chinese text correctly.

use crate::error::Result;
use crate::model::{Concern, Household, Record, Resident, Task, Visit};
use crate::store::Store;
use std::borrow::Cow;
use std::io::Write;

/// A CSV cell as spreadsheet software will read it: text that would start a formula or a DDE
/// command (`=`, `+`, `-`, `@`, a tab or a carriage return first) is kept as text by a leading
/// apostrophe, so that a resident's note or a name typed at sign-in never runs on the reader's
/// machine (OWASP's CSV injection advice). A plain number (`-12`, `+8613800000000`) stays as it is.
pub fn inert_cell(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell.starts_with(['+', '-']) && cell.parse::<f64>().is_ok_and(f64::is_finite);
    if risky && !number {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

impl Store {
    /// Writes every record (tombstones included) as one JSON object per line:
    /// `{"entity": "household", "record": {...}}`.
    pub fn export_json_lines(&self, out: &mut impl Write) -> Result<u64> {
        let mut n = 0;
        n += self.export_kind::<Household>(out)?;
        n += self.export_kind::<Resident>(out)?;
        n += self.export_kind::<Visit>(out)?;
        n += self.export_kind::<Concern>(out)?;
        n += self.export_kind::<Task>(out)?;
        Ok(n)
    }

    fn export_kind<R: Record>(&self, out: &mut impl Write) -> Result<u64> {
        let mut n = 0;
        for record in self.select::<R>("1 = 1 ORDER BY id", [])? {
            let line = serde_json::json!({ "entity": R::SPEC.entity, "record": record });
            writeln!(out, "{line}")?;
            n += 1;
        }
        Ok(n)
    }

    /// Writes the ledger (one row per resident, household columns repeated) as CSV.
    pub fn export_ledger_csv(&self, out: &mut impl Write) -> Result<u64> {
        out.write_all("\u{feff}".as_bytes())?;
        let mut w = csv::Writer::from_writer(out);
        let io = |e: csv::Error| crate::Error::Io(std::io::Error::other(e));
        w.write_record([
            "责任区",
            "地址",
            "类型",
            "住户标签",
            "姓名",
            "性别",
            "出生日期",
            "电话",
            "身份证号",
            "与户主关系",
            "标签",
        ])
        .map_err(io)?;
        let mut n = 0;
        for h in self.select::<Household>("deleted = 0 ORDER BY beat, address", [])? {
            for r in
                self.select::<Resident>("household_id = ?1 AND deleted = 0 ORDER BY seq", [h.id])?
            {
                let list = |tags: &[crate::model::Tag]| {
                    tags.iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let row = [
                    h.beat.as_str(),
                    h.address.as_str(),
                    h.kind.as_str(),
                    &list(&h.tags),
                    r.name.as_str(),
                    r.sex.map(|s| s.as_str()).unwrap_or_default(),
                    &r.birth_date.map(|d| d.to_string()).unwrap_or_default(),
                    r.phone.as_str(),
                    r.id_number.as_str(),
                    r.relation.map(|s| s.as_str()).unwrap_or_default(),
                    &list(&r.tags),
                ];
                w.write_record(row.iter().map(|c| inert_cell(c).into_owned()))
                    .map_err(io)?;
                n += 1;
            }
        }
        w.flush()?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::inert_cell;

    #[test]
    fn cells_that_would_run_as_formulas_are_kept_as_text() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"),
            ("+1+1", "'+1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-", "'-"),
            ("-12", "-12"),
            ("+8613800000000", "+8613800000000"),
            ("-inf", "'-inf"),
            ("幸福路12号", "幸福路12号"),
            ("", ""),
        ] {
            assert_eq!(inert_cell(cell), want, "{cell:?}");
        }
    }
}
