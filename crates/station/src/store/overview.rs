//! The station's morning overview, per beat: the same figures an officer's Today screen counts for
//! their own beat (coverage, overdue households, visits this week and month, open concerns), plus
//! what staff chase — concerns whose resident has not been told the result and overdue tasks.
//!
//! Due dates use the default visit intervals (officers may set their own on their laptops; the
//! station does not know those yet).

use super::{Result, StationStore};
use chrono::NaiveDate;
use doorstep_core::model::Tag;
use doorstep_core::policy::VisitPolicy;
use doorstep_core::store::queries::BeatFigures;
use rusqlite::params;
use std::collections::{BTreeMap, HashMap};

/// One beat's figures, as the overview lists them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct BeatOverview {
    pub beat: String,
    #[serde(flatten)]
    pub figures: BeatFigures,
    /// Resolved concerns whose resident has not been told the result.
    pub awaiting_feedback: u32,
    /// Open tasks past their due date.
    pub tasks_overdue: u32,
}

fn entry<'a>(beats: &'a mut BTreeMap<String, BeatOverview>, name: &str) -> &'a mut BeatOverview {
    beats
        .entry(name.to_string())
        .or_insert_with(|| BeatOverview {
            beat: name.to_string(),
            ..Default::default()
        })
}

impl StationStore {
    /// Every beat with households, by name.
    pub fn overview(&self, today: NaiveDate) -> Result<Vec<BeatOverview>> {
        let mut beats: BTreeMap<String, BeatOverview> = BTreeMap::new();
        // The last visit of every household, in one pass over the visits.
        let mut last_visit: HashMap<String, String> = HashMap::new();
        let mut stmt = self.conn.prepare(
            "SELECT json_extract(fields, '$.household_id'), json_extract(fields, '$.visited_at') FROM records
             WHERE entity = 'visit' AND deleted = 0",
        )?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (household, at) = row?;
            let last = last_visit.entry(household).or_default();
            if at > *last {
                *last = at;
            }
        }
        let policy = VisitPolicy::default();
        let mut stmt = self.conn.prepare(
            "SELECT beat, id, json_extract(fields, '$.tags'), json_extract(fields, '$.registered_at') FROM records
             WHERE entity = 'household' AND deleted = 0",
        )?;
        for row in stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })? {
            let (name, id, tags, registered) = row?;
            let tags: Vec<Tag> = serde_json::from_str(tags.as_deref().unwrap_or("[]"))?;
            let date =
                |at: Option<&String>| at.and_then(|t| t.get(..10)?.parse::<NaiveDate>().ok());
            let due = policy.due_date(
                &tags,
                date(last_visit.get(&id)),
                date(registered.as_ref()).unwrap_or(today),
            );
            let overdue = (today - due).num_days();
            let f = &mut entry(&mut beats, &name).figures;
            f.households += 1;
            match overdue {
                ..=0 => f.covered += 1,
                _ => {
                    f.overdue += 1;
                    f.overdue_over_30 += u32::from(overdue > 30);
                    f.overdue_over_90 += u32::from(overdue > 90);
                }
            }
        }
        let (week, month) = doorstep_core::time::week_and_month_start(today);
        let mut stmt = self.conn.prepare(
            "SELECT beat, count(*) FILTER (WHERE json_extract(fields, '$.visited_at') >= ?1),
                    count(*) FILTER (WHERE json_extract(fields, '$.visited_at') >= ?2)
             FROM records WHERE entity = 'visit' AND deleted = 0 GROUP BY beat",
        )?;
        let starts = params![
            doorstep_core::time::local_day_start(week),
            doorstep_core::time::local_day_start(month)
        ];
        for row in stmt.query_map(starts, |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
        })? {
            let (name, this_week, this_month) = row?;
            let f = &mut entry(&mut beats, &name).figures;
            (f.visits_this_week, f.visits_this_month) = (this_week, this_month);
        }
        let mut stmt = self.conn.prepare(
            "SELECT beat, count(*) FILTER (WHERE json_extract(fields, '$.status') <> 'closed'),
                    count(*) FILTER (WHERE json_extract(fields, '$.status') = 'resolved'
                                       AND json_extract(fields, '$.feedback_at') IS NULL)
             FROM records WHERE entity = 'concern' AND deleted = 0 GROUP BY beat",
        )?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))? {
            let (name, open, awaiting) = row?;
            let o = entry(&mut beats, &name);
            (o.figures.open_concerns, o.awaiting_feedback) = (open, awaiting);
        }
        let mut stmt = self.conn.prepare(
            "SELECT beat, count(*) FROM records
             WHERE entity = 'task' AND deleted = 0 AND json_extract(fields, '$.status') IN ('open', 'in_progress')
               AND json_extract(fields, '$.due_date') < ?1 GROUP BY beat",
        )?;
        for row in stmt.query_map([today.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?))
        })? {
            let (name, n) = row?;
            entry(&mut beats, &name).tasks_overdue = n;
        }
        Ok(beats.into_values().collect())
    }
}
