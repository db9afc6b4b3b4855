//! Records for a date range (and beat) as tables for spreadsheets: the visits made and the concerns
//! raised in the range, with the household's address and words in the reader's language left to
//! the caller. A confidential concern's reporter is written out only for the chief, and that read is
//! logged; everyone else's export says "confidential" in its place.

use super::{Outcome, Result, StationStore, bad};
use chrono::{Days, NaiveDate};
use doorstep_core::time::local_day_start;
use rusqlite::params;
use serde_json::{Map, Value};

/// One kind of record as a table: column keys and one row of cells per record.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// A record with its beat and its household's address.
type Located = (String, String, Map<String, Value>);

/// Written in place of a confidential concern's reporter.
pub const CONFIDENTIAL: &str = "confidential";

fn cell(fields: &Map<String, Value>, key: &str) -> String {
    match fields.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

impl StationStore {
    /// The visits and the concerns of `from`..=`to` (local dates), of one beat or all.
    pub fn export_records(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        beat: Option<&str>,
        chief: Option<&str>,
    ) -> Result<(Table, Table)> {
        if from > to {
            return Err(bad(format!(
                "the range starts ({from}) after it ends ({to})"
            )));
        }
        let start = local_day_start(from);
        let end = local_day_start(to.checked_add_days(Days::new(1)).unwrap_or(to));
        let rows = |entity: &str, time: &str| -> Result<Vec<Located>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT r.beat, coalesce(json_extract(h.fields, '$.address'), ''), r.fields, r.id FROM records r
                 LEFT JOIN records h ON h.entity = 'household' AND h.id = json_extract(r.fields, '$.household_id')
                 WHERE r.entity = ?1 AND r.deleted = 0 AND (?4 IS NULL OR r.beat = ?4)
                   AND json_extract(r.fields, '$.' || ?5) >= ?2 AND json_extract(r.fields, '$.' || ?5) < ?3
                 ORDER BY json_extract(r.fields, '$.' || ?5)",
            )?;
            let mapped = stmt.query_map(params![entity, start, end, beat, time], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in mapped {
                let (beat, address, fields, id) = row?;
                let mut fields: Map<String, Value> = serde_json::from_str(&fields)?;
                fields.insert("id".into(), Value::String(id));
                out.push((beat, address, fields));
            }
            Ok(out)
        };
        let visits = Table {
            columns: vec![
                "visited_at",
                "beat",
                "address",
                "officers",
                "purposes",
                "notes",
                "rating",
                "opinions",
                "inquiry_areas",
            ],
            rows: rows("visit", "visited_at")?
                .into_iter()
                .map(|(beat, address, f)| {
                    vec![
                        cell(&f, "visited_at"),
                        beat,
                        address,
                        cell(&f, "officers"),
                        cell(&f, "purposes"),
                        cell(&f, "notes"),
                        cell(&f, "rating"),
                        cell(&f, "opinions"),
                        cell(&f, "inquiry_areas"),
                    ]
                })
                .collect(),
        };
        let mut concerns = Table {
            columns: vec![
                "raised_at",
                "beat",
                "address",
                "category",
                "urgency",
                "summary",
                "reporter",
                "status",
                "feedback_at",
                "closed_at",
            ],
            rows: Vec::new(),
        };
        let mut revealed = Vec::new();
        for (beat, address, f) in rows("concern", "raised_at")? {
            let confidential = f.get("confidential").and_then(Value::as_bool) == Some(true);
            let reporter = if confidential && chief.is_none() {
                CONFIDENTIAL.to_string()
            } else {
                if confidential {
                    revealed.push(cell(&f, "id"));
                }
                self.reporter_name(&f)?
            };
            concerns.rows.push(vec![
                cell(&f, "raised_at"),
                beat,
                address,
                cell(&f, "category"),
                cell(&f, "urgency"),
                cell(&f, "summary"),
                reporter,
                cell(&f, "status"),
                cell(&f, "feedback_at"),
                cell(&f, "closed_at"),
            ]);
        }
        if let Some(chief) = chief
            && !revealed.is_empty()
        {
            self.audit(
                chief,
                None,
                "read_confidential",
                &revealed.join(","),
                Outcome::Ok,
                "export with reporters",
            )?;
        }
        Ok((visits, concerns))
    }

    /// Who raised a (not confidential) concern: the registered resident's name, or the name given.
    pub(super) fn reporter_name(&self, concern: &Map<String, Value>) -> Result<String> {
        let id = cell(concern, "reporter_id");
        if id.is_empty() {
            return Ok(cell(concern, "reporter_name"));
        }
        let name: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT json_extract(fields, '$.name') FROM records WHERE entity = 'resident' AND id = ?1",
            )?
            .query_row([id], |r| r.get(0))
            .ok()
            .flatten();
        Ok(name.unwrap_or_else(|| cell(concern, "reporter_name")))
    }
}
