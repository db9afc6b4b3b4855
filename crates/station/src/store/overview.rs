//! The station's morning overview: per beat, the figures an officer's Today screen counts for their
//! own beat (coverage, overdue households, visits this week and month, open concerns) plus what
//! staff chase (residents awaiting feedback, overdue tasks); per officer, visits and overdue tasks;
//! open concerns by category and urgency; satisfaction this month against last; coverage over the
//! last twelve weeks; and how long closed concerns took.
//!
//! It reads the tallies kept with every write by `tallies.rs` (visits per day, beat, officer and
//! rating, each concern's status) and `standing.rs` (each household's due date, and the days
//! households begin and stop being covered), so its cost does not grow with the visits held, and a
//! late laptop's visit changes the coverage history from its day on as soon as it is stored.
//!
//! Due dates use the default visit intervals (officers may set their own on their laptops; the
//! station does not know those yet).

use super::{Result, StationStore, standing};
use chrono::{Days, Months, NaiveDate};
use doorstep_core::store::queries::BeatFigures;
use doorstep_core::time::{local_day_start, week_and_month_start};
use rusqlite::params;
use std::collections::BTreeMap;

/// Everything the overview page shows, as of `date` (the station's local date).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct Overview {
    #[schema(value_type = String)]
    pub date: NaiveDate,
    /// By beat name.
    pub beats: Vec<BeatOverview>,
    /// By officer name.
    pub officers: Vec<OfficerOverview>,
    /// Concerns not yet closed, by category and urgency.
    pub open_concerns: Vec<ConcernCount>,
    /// Ratings given in visits this calendar month and last.
    pub satisfaction: Vec<RatingCount>,
    /// The station's coverage at the end of each of the last twelve weeks, oldest first, today last.
    pub coverage_history: Vec<CoveragePoint>,
    /// Concerns closed in the last 90 days, by days from raised to closed.
    pub closure_days: Vec<Bucket>,
}

/// One beat's figures.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct BeatOverview {
    pub beat: String,
    #[serde(flatten)]
    pub figures: BeatFigures,
    /// Resolved concerns whose resident has not been told the result.
    pub awaiting_feedback: u32,
    /// Open tasks past their due date.
    pub tasks_overdue: u32,
}

/// One officer's figures: coverage of their beats, visits they took part in, tasks assigned to them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct OfficerOverview {
    pub officer: String,
    /// The households of the beats the officer's laptops are enrolled for, and how many of them
    /// are visited within their interval.
    pub households: u32,
    pub covered: u32,
    pub visits_this_week: u32,
    pub visits_this_month: u32,
    pub tasks_open: u32,
    pub tasks_overdue: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct ConcernCount {
    pub category: String,
    pub urgency: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct RatingCount {
    pub rating: String,
    pub this_month: u32,
    pub last_month: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct CoveragePoint {
    #[schema(value_type = String)]
    pub date: NaiveDate,
    pub covered: u32,
    pub households: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct Bucket {
    /// Days, as a range: `0-1`, `2-3`, `4-7`, `8-14`, `15-30`, `31+`.
    pub days: String,
    pub count: u32,
}

/// Every live household's beat and due date, from the index alone (migration 0027).
const HOUSEHOLDS_DUE: &str = "SELECT beat, due_on FROM household_status WHERE deleted = 0";

/// Open concerns counted per beat and kind in the order of their index (migration 0027).
const OPEN_CONCERNS: &str =
    "SELECT beat, category, urgency, count(*), sum(status = 'resolved' AND feedback_at IS NULL)
     FROM concern_status WHERE deleted = 0 AND status <> 'closed' GROUP BY beat, category, urgency";

/// Concerns closed since ?1, from the index alone (migration 0027).
const CLOSURES: &str =
    "SELECT raised_at, closed_at FROM concern_status WHERE deleted = 0 AND closed_at >= ?1";

/// Closure-time buckets: (label, most days in it).
const CLOSURE_BUCKETS: &[(&str, i64)] = &[
    ("0-1", 1),
    ("2-3", 3),
    ("4-7", 7),
    ("8-14", 14),
    ("15-30", 30),
    ("31+", i64::MAX),
];

fn date_of(stored: &str) -> Option<NaiveDate> {
    stored.get(..10)?.parse().ok()
}

fn beat_entry<'a>(
    beats: &'a mut BTreeMap<String, BeatOverview>,
    name: &str,
) -> &'a mut BeatOverview {
    // Looked up before inserting: called once per household and concern, and `entry` would take
    // an owned key each time.
    if !beats.contains_key(name) {
        beats.insert(
            name.to_string(),
            BeatOverview {
                beat: name.to_string(),
                ..Default::default()
            },
        );
    }
    beats.get_mut(name).expect("inserted above")
}

fn officer_entry<'a>(
    officers: &'a mut BTreeMap<String, OfficerOverview>,
    name: &str,
) -> &'a mut OfficerOverview {
    officers
        .entry(name.to_string())
        .or_insert_with(|| OfficerOverview {
            officer: name.to_string(),
            ..Default::default()
        })
}

impl StationStore {
    /// The overview as of `today`, read from the tallies so that it does not depend on how many
    /// visits the station holds.
    pub fn overview(&self, today: NaiveDate) -> Result<Overview> {
        let mut beats: BTreeMap<String, BeatOverview> = BTreeMap::new();
        let mut stmt = self.conn.prepare_cached(HOUSEHOLDS_DUE)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            // Never visited and without a registration date: due today.
            let due = row
                .get_ref(1)?
                .as_str_or_null()
                .map_err(rusqlite::Error::from)?;
            let due = due.and_then(date_of);
            let overdue = (today - due.unwrap_or(today)).num_days();
            let beat = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            beat_entry(&mut beats, beat)
                .figures
                .count_household(overdue);
        }
        // Twelve weeks of coverage, today last: past days from the kept changes (store/standing.rs),
        // today as counted above.
        let days: Vec<NaiveDate> = (1..12u64).rev().map(|w| today - Days::new(7 * w)).collect();
        let past = standing::history(&self.conn, &days)?;
        let now = beats.values().fold((0, 0), |(c, h), b| {
            (c + b.figures.covered, h + b.figures.households)
        });
        let coverage_history = days
            .iter()
            .map(|day| (*day, past.get(day).copied().unwrap_or_default()))
            .chain([(today, now)])
            .map(|(date, (covered, households))| CoveragePoint {
                date,
                covered,
                households,
            })
            .collect();

        // Visits and ratings since the first of last month, from the daily tallies (local days).
        let (week, month) = week_and_month_start(today);
        let last_month = month - Months::new(1);
        let (week, month) = (week.to_string(), month.to_string());
        let mut officers: BTreeMap<String, OfficerOverview> = BTreeMap::new();
        let mut satisfaction: BTreeMap<String, RatingCount> = BTreeMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, beat, officer, rating, n FROM visit_tally WHERE day >= ?1 AND n > 0",
        )?;
        for row in stmt.query_map([last_month.min(today - Days::new(7)).to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, u32>(4)?,
            ))
        })? {
            let (day, beat, officer, rating, n) = row?;
            let (in_week, in_month) = (day >= week, day >= month);
            if officer.is_empty() {
                let f = &mut beat_entry(&mut beats, &beat).figures;
                f.visits_this_week += n * u32::from(in_week);
                f.visits_this_month += n * u32::from(in_month);
                if !rating.is_empty() && day >= last_month.to_string() {
                    let r = satisfaction
                        .entry(rating.clone())
                        .or_insert_with(|| RatingCount {
                            rating,
                            this_month: 0,
                            last_month: 0,
                        });
                    if in_month {
                        r.this_month += n;
                    } else {
                        r.last_month += n;
                    }
                }
            } else {
                let o = officer_entry(&mut officers, &officer);
                o.visits_this_week += n * u32::from(in_week);
                o.visits_this_month += n * u32::from(in_month);
            }
        }

        // Open concerns counted by SQL (a few hundred groups, not a row per concern); closures over
        // the last 90 days one by one, for their days.
        let mut by_kind: BTreeMap<(String, String), u32> = BTreeMap::new();
        let mut stmt = self.conn.prepare_cached(OPEN_CONCERNS)?;
        for row in stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                r.get::<_, u32>(3)?,
                r.get::<_, u32>(4)?,
            ))
        })? {
            let (beat, kind, open, awaiting) = row?;
            let o = beat_entry(&mut beats, &beat);
            o.figures.open_concerns += open;
            o.awaiting_feedback += awaiting;
            *by_kind.entry(kind).or_default() += open;
        }
        let open_concerns: Vec<ConcernCount> = by_kind
            .into_iter()
            .map(|((category, urgency), count)| ConcernCount {
                category,
                urgency,
                count,
            })
            .collect();
        let mut closure_days = vec![0u32; CLOSURE_BUCKETS.len()];
        let mut stmt = self.conn.prepare_cached(CLOSURES)?;
        let mut rows = stmt.query([local_day_start(today - Days::new(90))])?;
        while let Some(row) = rows.next()? {
            let text = |i| row.get_ref(i)?.as_str().map_err(rusqlite::Error::from);
            if let (Some(raised), Some(closed)) = (date_of(text(0)?), date_of(text(1)?)) {
                let days = (closed - raised).num_days();
                if let Some(i) = CLOSURE_BUCKETS.iter().position(|(_, most)| days <= *most) {
                    closure_days[i] += 1;
                }
            }
        }

        let mut stmt = self.conn.prepare(
            "SELECT beat, coalesce((SELECT display_name FROM accounts WHERE id = json_extract(fields, '$.assignee')),
                                   json_extract(fields, '$.assignee')),
                    json_extract(fields, '$.due_date') < ?1 FROM records
             WHERE entity = 'task' AND deleted = 0 AND json_extract(fields, '$.status') IN ('open', 'in_progress')",
        )?;
        for row in stmt.query_map(params![today.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
            ))
        })? {
            let (beat, assignee, overdue) = row?;
            beat_entry(&mut beats, &beat).tasks_overdue += u32::from(overdue);
            let o = officer_entry(&mut officers, &assignee);
            o.tasks_open += 1;
            o.tasks_overdue += u32::from(overdue);
        }

        // Coverage of each officer's beats (an officer with two laptops counts a beat once).
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT d.officer_name, b.value FROM devices d, json_each(d.beats) b",
        )?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (officer, beat) = row?;
            if let Some(b) = beats.get(&beat) {
                let o = officer_entry(&mut officers, &officer);
                o.households += b.figures.households;
                o.covered += b.figures.covered;
            }
        }
        Ok(Overview {
            date: today,
            beats: beats.into_values().collect(),
            officers: officers.into_values().collect(),
            open_concerns,
            satisfaction: satisfaction.into_values().collect(),
            coverage_history,
            closure_days: CLOSURE_BUCKETS
                .iter()
                .zip(closure_days)
                .map(|((days, _), count)| Bucket {
                    days: days.to_string(),
                    count,
                })
                .collect(),
        })
    }
}

/// Which records a number of the overview stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
#[serde(rename_all = "snake_case")]
pub enum Worklist {
    /// Households past their due date, most overdue first.
    OverdueHouseholds,
    /// Open tasks past their due date, earliest first.
    OverdueTasks,
    /// Concerns not yet closed, most urgent and oldest first.
    OpenConcerns,
    /// Resolved concerns whose resident has not been told the result, oldest first.
    AwaitingFeedback,
    /// Visits since Monday, newest first.
    VisitsThisWeek,
    /// Visits since the first of the month, newest first.
    VisitsThisMonth,
}

/// One record behind a number. Never a concern's reporter: the list is for chasing work, and a
/// confidential reporter must not reach it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct WorklistItem {
    pub entity: String,
    pub id: String,
    pub beat: String,
    pub address: String,
    /// The task's title or the concern's summary (empty for a household).
    pub text: String,
    /// The task's assignee, the concern's category, or the household's tags.
    pub detail: String,
    /// The due date, or the date the concern was raised.
    pub date: String,
    /// Days overdue (households and tasks).
    pub days: Option<i64>,
}

/// At most this many rows in one list.
const WORKLIST_MAX: usize = 500;

impl StationStore {
    /// The records behind one number of the overview, of one beat or officer or all.
    pub fn worklist(
        &self,
        list: Worklist,
        today: NaiveDate,
        beat: Option<&str>,
        officer: Option<&str>,
    ) -> Result<Vec<WorklistItem>> {
        let mut items = match list {
            Worklist::OverdueHouseholds => self.items(
                "SELECT 'household', s.id, s.beat, coalesce(json_extract(h.fields, '$.address'), ''), NULL,
                        (SELECT group_concat(value, ',') FROM json_each(s.tags)), NULL,
                        julianday(?1) - julianday(s.due_on)
                 FROM household_status s LEFT JOIN records h ON h.entity = 'household' AND h.id = s.id
                 WHERE s.deleted = 0 AND s.due_on < ?1 AND (?2 IS NULL OR s.beat = ?2)
                 ORDER BY s.due_on, s.id LIMIT 500",
                params![today.to_string(), beat],
            )?,
            Worklist::OverdueTasks => self.items(
                "SELECT 'task', r.id, r.beat, coalesce(json_extract(h.fields, '$.address'), ''), json_extract(r.fields, '$.title'),
                        coalesce((SELECT display_name FROM accounts WHERE id = json_extract(r.fields, '$.assignee')),
                                 json_extract(r.fields, '$.assignee')),
                        json_extract(r.fields, '$.due_date'),
                        julianday(?1) - julianday(json_extract(r.fields, '$.due_date'))
                 FROM records r LEFT JOIN records h ON h.entity = 'household' AND h.id = json_extract(r.fields, '$.household_id')
                 WHERE r.entity = 'task' AND r.deleted = 0 AND json_extract(r.fields, '$.status') IN ('open', 'in_progress')
                   AND json_extract(r.fields, '$.due_date') < ?1 AND (?2 IS NULL OR r.beat = ?2)
                   AND (?3 IS NULL OR json_extract(r.fields, '$.assignee') = ?3
                        OR json_extract(r.fields, '$.assignee') IN (SELECT id FROM accounts WHERE display_name = ?3))
                 ORDER BY json_extract(r.fields, '$.due_date') LIMIT 500",
                params![today.to_string(), beat, officer],
            )?,
            Worklist::VisitsThisWeek | Worklist::VisitsThisMonth => {
                let (week, month) = week_and_month_start(today);
                let since = if list == Worklist::VisitsThisWeek { week } else { month };
                self.items(
                    "SELECT 'visit', r.id, r.beat, coalesce(json_extract(h.fields, '$.address'), ''),
                            json_extract(r.fields, '$.notes'),
                            (SELECT group_concat(value, ',') FROM json_each(r.fields, '$.purposes')),
                            substr(json_extract(r.fields, '$.visited_at'), 1, 10), NULL
                     FROM records r LEFT JOIN records h ON h.entity = 'household' AND h.id = json_extract(r.fields, '$.household_id')
                     WHERE r.entity = 'visit' AND r.deleted = 0 AND json_extract(r.fields, '$.visited_at') >= ?1
                       AND (?2 IS NULL OR r.beat = ?2)
                       AND (?3 IS NULL OR EXISTS (SELECT 1 FROM json_each(r.fields, '$.officers') WHERE value = ?3))
                     ORDER BY json_extract(r.fields, '$.visited_at') DESC LIMIT 500",
                    params![local_day_start(since), beat, officer],
                )?
            }
            Worklist::OpenConcerns | Worklist::AwaitingFeedback => self.items(
                "SELECT 'concern', r.id, r.beat, coalesce(json_extract(h.fields, '$.address'), ''), json_extract(r.fields, '$.summary'),
                        json_extract(r.fields, '$.category'), substr(json_extract(r.fields, '$.raised_at'), 1, 10), NULL
                 FROM records r LEFT JOIN records h ON h.entity = 'household' AND h.id = json_extract(r.fields, '$.household_id')
                 WHERE r.entity = 'concern' AND r.deleted = 0 AND (?2 IS NULL OR r.beat = ?2)
                   AND CASE ?1 WHEN 'awaiting' THEN json_extract(r.fields, '$.status') = 'resolved'
                                                     AND json_extract(r.fields, '$.feedback.at') IS NULL
                               ELSE json_extract(r.fields, '$.status') <> 'closed' END
                 ORDER BY CASE json_extract(r.fields, '$.urgency') WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END,
                          json_extract(r.fields, '$.raised_at') LIMIT 500",
                // Concerns are the beat's, not an officer's.
                params![
                    if list == Worklist::AwaitingFeedback { "awaiting" } else { "open" },
                    beat
                ],
            )?,
        };
        items.truncate(WORKLIST_MAX);
        Ok(items)
    }

    fn items(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<WorklistItem>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, |r| {
            Ok(WorklistItem {
                entity: r.get(0)?,
                id: r.get(1)?,
                beat: r.get(2)?,
                address: r.get(3)?,
                text: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                detail: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                date: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                days: r.get::<_, Option<f64>>(7)?.map(|d| d as i64),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The overview reads its three largest inputs (a row per household, per open concern and per
    /// recent closure) from indexes alone, without sorting them.
    #[test]
    fn the_overviews_largest_reads_are_planned_on_covering_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = StationStore::open(&dir.path().join("s.sqlite")).unwrap();
        for (sql, index) in [
            (HOUSEHOLDS_DUE, "household_status_live"),
            (OPEN_CONCERNS, "concern_status_open"),
            (CLOSURES, "concern_status_closures"),
        ] {
            let plan = super::super::query_plan(store.conn(), sql);
            assert!(
                plan.iter()
                    .any(|l| l.contains(&format!("COVERING INDEX {index}"))),
                "{plan:#?}"
            );
            assert!(!plan.iter().any(|l| l.contains("TEMP B-TREE")), "{plan:#?}");
        }
    }
}
