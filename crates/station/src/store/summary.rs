//! The monthly work summary a station sends up: for one month, of the station or one beat, the
//! visits by purpose, the households covered (and the vulnerable ones), concerns raised and closed
//! by category with the median time to close, feedback given, satisfaction, and the residents'
//! opinions grouped by the five inquiry areas.

use super::{Result, StationStore, bad};
use chrono::{Months, NaiveDate};
use doorstep_core::model::{ConcernCategory, InquiryArea, Purpose, Rating, Tag};
use doorstep_core::time::local_day_start;
use rusqlite::params;
use std::collections::BTreeMap;

/// Households with these tags are the vulnerable ones the summary counts apart.
pub(super) const VULNERABLE: &[Tag] = &[
    Tag::ElderlyAlone,
    Tag::LowIncome,
    Tag::LeftBehindChildren,
    Tag::Disabled,
];

/// At most this many opinions quoted per inquiry area (the count covers all).
const OPINIONS_QUOTED: usize = 50;

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct MonthlySummary {
    /// `YYYY-MM`.
    pub month: String,
    /// The beat summarised, or none for the whole station.
    pub beat: Option<String>,
    pub visits: u32,
    /// Every purpose, in the order of the six deliveries.
    pub visits_by_purpose: Vec<Count>,
    pub households: u32,
    /// Households visited at least once in the month.
    pub households_visited: u32,
    pub vulnerable_households: u32,
    pub vulnerable_visited: u32,
    /// Every category: concerns raised in the month, and closed in it.
    pub concerns: Vec<CategoryFlow>,
    /// Days from raised to closed, over the concerns closed in the month.
    pub median_days_to_close: Option<f64>,
    /// Concerns whose resident was told the result in the month.
    pub feedback_given: u32,
    /// Ratings given in the month's visits.
    pub satisfaction: Vec<Count>,
    /// The residents' opinions, by inquiry area (`unassigned` for opinions without one).
    pub opinions: Vec<AreaOpinions>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct Count {
    pub key: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct CategoryFlow {
    pub category: String,
    pub raised: u32,
    pub closed: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct AreaOpinions {
    pub area: String,
    pub count: u32,
    /// The opinions themselves, oldest first (at most 50).
    pub quoted: Vec<String>,
}

/// The first day of a `YYYY-MM` month, or a reason it is not one.
fn parse_month(month: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
        .map_err(|_| bad(format!("{month:?} is not a month: use YYYY-MM")))
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

fn days_between(from: &str, to: &str) -> Option<f64> {
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    Some((parse(to)? - parse(from)?).num_minutes() as f64 / (24.0 * 60.0))
}

impl StationStore {
    /// The summary of `month` (`YYYY-MM`, local dates), of one beat or the whole station.
    pub fn monthly_summary(&self, month: &str, beat: Option<&str>) -> Result<MonthlySummary> {
        let first = parse_month(month)?;
        let (start, end) = (
            local_day_start(first),
            local_day_start(first + Months::new(1)),
        );
        let month_range = params![start, end, beat];
        // Visits and their ratings from the day tallies (the beat's own rows, officer ''), their
        // purposes from the month's (migration 0024): a few hundred rows, whatever the visits.
        let (first_day, next_day) = (first.to_string(), (first + Months::new(1)).to_string());
        let mut by_rating: BTreeMap<String, u32> = BTreeMap::new();
        let mut visits: u32 = 0;
        let mut stmt = self.conn.prepare_cached(
            "SELECT rating, sum(n) FROM visit_tally
             WHERE officer = '' AND day >= ?1 AND day < ?2 AND (?3 IS NULL OR beat = ?3)
             GROUP BY rating",
        )?;
        for row in stmt.query_map(params![first_day, next_day, beat], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
        })? {
            let (rating, n) = row?;
            visits += n;
            if !rating.is_empty() {
                by_rating.insert(rating, n);
            }
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT purpose, sum(n) FROM purpose_tally WHERE month = ?1 AND (?2 IS NULL OR beat = ?2)
             GROUP BY purpose",
        )?;
        let month_key = first.format("%Y-%m").to_string();
        let by_purpose: BTreeMap<String, u32> = stmt
            .query_map(params![month_key, beat], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut opinions: BTreeMap<String, AreaOpinions> = BTreeMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT opinions, areas FROM visit_facts
             WHERE visited_at >= ?1 AND visited_at < ?2 AND (?3 IS NULL OR beat = ?3) AND opinions IS NOT NULL
             ORDER BY visited_at, id",
        )?;
        for row in stmt.query_map(month_range, |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })? {
            let (opinion, areas) = row?;
            let opinion = opinion.trim();
            if opinion.is_empty() {
                continue;
            }
            let mut areas: Vec<String> = serde_json::from_str(&areas)?;
            if areas.is_empty() {
                areas.push("unassigned".into());
            }
            for area in areas {
                let group = opinions
                    .entry(area.clone())
                    .or_insert_with(|| AreaOpinions {
                        area,
                        count: 0,
                        quoted: Vec::new(),
                    });
                group.count += 1;
                if group.quoted.len() < OPINIONS_QUOTED {
                    group.quoted.push(opinion.to_string());
                }
            }
        }

        // Households of the station or beat and the vulnerable ones among them, and those visited
        // in the month (kept by tallies.rs).
        let (households, vulnerable): (u32, u32) = self
            .conn
            .prepare_cached(
                "SELECT count(*), coalesce(sum(vulnerable), 0) FROM household_status
                 WHERE deleted = 0 AND (?1 IS NULL OR beat = ?1)",
            )?
            .query_row([beat], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let (households_visited, vulnerable_visited): (u32, u32) = self
            .conn
            .prepare_cached(
                "SELECT coalesce(sum(visited), 0), coalesce(sum(vulnerable_visited), 0) FROM month_households
                 WHERE month = ?1 AND (?2 IS NULL OR beat = ?2)",
            )?
            .query_row(params![month_key, beat], |r| Ok((r.get(0)?, r.get(1)?)))?;

        // Concerns raised, closed and answered in the month, from `concern_status` (see tallies.rs).
        let concern_count = |time: &str| -> Result<BTreeMap<String, u32>> {
            let sql = format!(
                "SELECT category, count(*) FROM concern_status WHERE deleted = 0 AND (?3 IS NULL OR beat = ?3)
                   AND {time} >= ?1 AND {time} < ?2 GROUP BY category"
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![start, end, beat], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        let (raised, closed) = (concern_count("raised_at")?, concern_count("closed_at")?);
        let feedback_given = concern_count("feedback_at")?.values().sum();
        let concerns = ConcernCategory::ALL
            .iter()
            .map(|c| CategoryFlow {
                category: c.as_str().into(),
                raised: raised.get(c.as_str()).copied().unwrap_or(0),
                closed: closed.get(c.as_str()).copied().unwrap_or(0),
            })
            .collect();
        let mut stmt = self.conn.prepare_cached(
            "SELECT raised_at, closed_at FROM concern_status WHERE deleted = 0 AND (?3 IS NULL OR beat = ?3)
               AND closed_at >= ?1 AND closed_at < ?2",
        )?;
        let mut days = Vec::new();
        for row in stmt.query_map(params![start, end, beat], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })? {
            let (raised, closed) = row?;
            days.extend(days_between(&raised, &closed));
        }
        let median_days_to_close = median(days);

        let counts = |all: &[&'static str], got: &BTreeMap<String, u32>| {
            all.iter()
                .map(|k| Count {
                    key: k.to_string(),
                    count: got.get(*k).copied().unwrap_or(0),
                })
                .collect::<Vec<_>>()
        };
        let area_order: Vec<&str> = InquiryArea::ALL
            .iter()
            .map(|a| a.as_str())
            .chain(["unassigned"])
            .collect();
        let mut opinions: Vec<AreaOpinions> = opinions.into_values().collect();
        opinions.sort_by_key(|o| area_order.iter().position(|a| *a == o.area));
        Ok(MonthlySummary {
            month: first.format("%Y-%m").to_string(),
            beat: beat.map(str::to_string),
            visits,
            visits_by_purpose: counts(
                &Purpose::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                &by_purpose,
            ),
            households,
            households_visited,
            vulnerable_households: vulnerable,
            vulnerable_visited,
            concerns,
            median_days_to_close,
            feedback_given,
            satisfaction: counts(
                &Rating::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                &by_rating,
            ),
            opinions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 10.0]), Some(3.0));
    }

    #[test]
    fn a_month_is_year_dash_month() {
        assert_eq!(
            parse_month("2026-02").unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        );
        assert!(parse_month("2026-13").is_err());
        assert!(parse_month("二月").is_err());
    }
}
