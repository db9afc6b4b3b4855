//! The tables derived from records, kept in step with every record written, in the same
//! transaction: the report tallies of migration 0007 (each household's standing — beat, tags, visit
//! days — with what is kept from it through `standing.rs`; visits per local day, beat, officer and
//! rating; each concern's status), the visits' facts and the purposes and households per month the
//! monthly summary reads (migrations 0021, 0024), and who each task is or was assigned to
//! (migration 0006, for pulls). Kept here from the values being written, rather than by triggers
//! re-reading the record's JSON, because this runs for every change a station takes in; the counts
//! that only add up are summed per transaction ([`Sums`]).

use super::standing::{self, Standing, Standings};
use super::{Result, exec, query_one};
use chrono::NaiveDate;
use doorstep_core::model::EntityKind;
use doorstep_core::store::held::{Prepare, Tx};
use rusqlite::{OptionalExtension, params};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The counts that only add up — visits per day, beat, officer and rating; purposes per month and
/// beat; the days households begin and stop being covered; households visited per month — summed
/// in memory while records are written and added to their tables once, by [`Sums::flush`] before
/// the transaction commits. A pushed batch of a thousand visits then writes a few dozen rows of
/// them instead of five or six statements per visit. Nothing in a writing transaction reads them.
/// The households' standings are kept here too, read and written through it, and written once.
/// One transaction has one `Sums`: a write nested in another passes the outer one down.
#[derive(Debug, Default)]
pub(super) struct Sums {
    visits: HashMap<(String, String, String, String), i64>,
    purposes: HashMap<(String, String, String), i64>,
    pub(super) coverage: BTreeMap<(String, NaiveDate), (i64, i64)>,
    pub(super) months: HashMap<(String, String), (i64, i64)>,
    /// Not a count: the households' standings read and written (see [`Standings`]).
    pub(super) standings: Standings,
}

impl Sums {
    /// Adds what was summed to the tables. A purpose count taken to nothing leaves no row.
    pub(super) fn flush(self, conn: &impl Prepare) -> Result<()> {
        for ((day, beat, officer, rating), n) in self.visits {
            if n != 0 {
                exec(
                    conn,
                    "INSERT INTO visit_tally (day, beat, officer, rating, n) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (day, beat, officer, rating) DO UPDATE SET n = n + excluded.n",
                    params![day, beat, officer, rating, n],
                )?;
            }
        }
        for ((month, beat, purpose), n) in self.purposes {
            if n != 0 {
                exec(
                    conn,
                    "INSERT INTO purpose_tally (month, beat, purpose, n) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (month, beat, purpose) DO UPDATE SET n = n + excluded.n",
                    params![month, beat, purpose, n],
                )?;
            }
            if n < 0 {
                exec(
                    conn,
                    "DELETE FROM purpose_tally WHERE month = ?1 AND beat = ?2 AND purpose = ?3 AND n <= 0",
                    params![month, beat, purpose],
                )?;
            }
        }
        self.standings.flush(conn)?;
        standing::add_changes(conn, self.coverage)?;
        standing::add_visited(conn, self.months)
    }
}

fn text<'a>(values: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    values.get(key).and_then(Value::as_str)
}

fn deleted(values: &Map<String, Value>) -> bool {
    values
        .get("deleted")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The local calendar day of a stored time, as the tallies count visits.
fn local_day(at: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(at).ok()?;
    Some(t.with_timezone(&chrono::Local).date_naive().to_string())
}

/// A visit as the tallies count it: (day, beat, officers and '' for the beat, rating).
fn tally_keys(
    beat: &str,
    visit: &Map<String, Value>,
) -> Option<(String, String, Vec<String>, String)> {
    let day = local_day(text(visit, "visited_at")?)?;
    let mut officers = vec![String::new()];
    officers.extend(
        visit
            .get("officers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|o| o.as_str().map(str::to_string)),
    );
    let rating = text(visit, "rating").unwrap_or_default().to_string();
    Some((day, beat.to_string(), officers, rating))
}

fn add_to_tally(
    tx: &Tx<'_>,
    beat: &str,
    visit: &Map<String, Value>,
    n: i64,
    sums: &mut Sums,
) -> Result<()> {
    if deleted(visit) {
        return Ok(());
    }
    let Some((day, beat, officers, rating)) = tally_keys(beat, visit) else {
        return Ok(());
    };
    // The monthly summary's (migration 0024): purposes per month and beat, and the household's
    // visits that month.
    let month = day[..7].to_string();
    let purposes: std::collections::BTreeSet<&str> = visit
        .get("purposes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for purpose in purposes {
        *sums
            .purposes
            .entry((month.clone(), beat.clone(), purpose.to_string()))
            .or_default() += n;
    }
    for officer in officers {
        *sums
            .visits
            .entry((day.clone(), beat.clone(), officer, rating.clone()))
            .or_default() += n;
    }
    // Written at once: whether this is the household's first visit of the month (or its last one
    // gone) is read back. A count taken to nothing leaves no row, so a row means visited. (Not an
    // upsert with RETURNING: SQLite builds a temporary table for each of those.)
    let household = text(visit, "household_id").unwrap_or_default();
    let updated = exec(
        tx,
        "UPDATE household_months SET n = n + ?3 WHERE month = ?1 AND household_id = ?2",
        params![month, household, n],
    )?;
    let moved = if n > 0 && updated == 0 {
        exec(
            tx,
            "INSERT INTO household_months (month, household_id, n) VALUES (?1, ?2, ?3)",
            params![month, household, n],
        )?;
        true
    } else {
        n < 0
            && updated > 0
            && exec(
                tx,
                "DELETE FROM household_months WHERE month = ?1 AND household_id = ?2 AND n <= 0",
                params![month, household],
            )? > 0
    };
    if moved {
        standing::visited_in_month(tx, household, &month, n.signum(), sums)?;
    }
    Ok(())
}

/// Keeps the visit's row of `visit_facts` (migration 0021): the old one out, the new one in unless
/// the visit is deleted.
fn visit_facts(
    tx: &Tx<'_>,
    id: &str,
    beat: &str,
    values: &Map<String, Value>,
    old: Option<&Map<String, Value>>,
) -> Result<()> {
    if let Some(at) = old.and_then(|o| text(o, "visited_at")) {
        exec(
            tx,
            "DELETE FROM visit_facts WHERE visited_at = ?1 AND id = ?2",
            params![at, id],
        )?;
    }
    let Some(at) = text(values, "visited_at").filter(|_| !deleted(values)) else {
        return Ok(());
    };
    let array = |key: &str| {
        values
            .get(key)
            .filter(|v| v.is_array())
            .map(Value::to_string)
            .unwrap_or_else(|| "[]".into())
    };
    exec(
        tx,
        "INSERT OR REPLACE INTO visit_facts (visited_at, id, beat, household_id, purposes, rating, areas, opinions)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            at,
            id,
            beat,
            text(values, "household_id").unwrap_or_default(),
            array("purposes"),
            text(values, "rating"),
            array("inquiry_areas"),
            text(values, "opinions").filter(|o| !o.trim().is_empty()),
        ],
    )?;
    Ok(())
}

/// The days a household was visited, by `records_by_household` (migration 0025).
pub(super) const VISIT_DAYS: &str =
    "SELECT DISTINCT substr(json_extract(v.fields, '$.visited_at'), 1, 10) AS d FROM records v
     WHERE v.household_id = ?1 AND v.entity = 'visit' AND v.deleted = 0
     ORDER BY d";

/// Works a household's visit days out again from its visits (after a visit moved or went).
fn recompute_visit_days(tx: &Tx<'_>, household: &str, sums: &mut Sums) -> Result<()> {
    let days: Vec<String> = {
        let mut stmt = tx.prepare(VISIT_DAYS)?;
        let rows = stmt.query_map([household], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if let Some(old) = standing::load(tx, household, sums)? {
        let new = Standing {
            visit_days: days.join(","),
            ..old.clone()
        };
        standing::store(tx, household, Some(&old), &new, sums)?;
    }
    Ok(())
}

/// A household's visit days (see migration 0022) with `day` added in its place.
fn with_visit_day(days: &str, day: &str) -> Option<String> {
    let mut list: Vec<&str> = days.split(',').filter(|d| !d.is_empty()).collect();
    match list.binary_search(&day) {
        Ok(_) => None,
        Err(at) => {
            list.insert(at, day);
            Some(list.join(","))
        }
    }
}

/// The stored beat and values of a record, before it is overwritten.
pub(super) fn before(
    tx: &Tx<'_>,
    entity: EntityKind,
    id: &str,
) -> Result<Option<(String, Map<String, Value>)>> {
    if entity != EntityKind::Visit {
        return Ok(None);
    }
    let row: Option<(String, String)> = query_one(
        tx,
        "SELECT beat, fields FROM records WHERE entity = ?1 AND id = ?2",
        params![entity.as_str(), id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?;
    Ok(match row {
        Some((beat, fields)) => Some((beat, serde_json::from_str(&fields)?)),
        None => None,
    })
}

/// Brings the tallies in step with a record just written: `old` is the visit it replaced (see
/// [`before`]), `None` for a new record; the counts that only add up go to `sums`.
pub(super) fn written(
    tx: &Tx<'_>,
    entity: EntityKind,
    id: &str,
    beat: &str,
    values: &Map<String, Value>,
    old: Option<&(String, Map<String, Value>)>,
    sums: &mut Sums,
) -> Result<()> {
    match entity {
        EntityKind::Household => {
            // What its coverage depends on (store/standing.rs); its visit days are the visits'.
            let old = standing::load(tx, id, sums)?;
            let new = Standing {
                beat: beat.to_string(),
                tags: values
                    .get("tags")
                    .map(Value::to_string)
                    .unwrap_or_else(|| "[]".into()),
                registered: text(values, "registered_at")
                    .and_then(|t| t.get(..10))
                    .map(str::to_string),
                deleted: deleted(values),
                visit_days: old
                    .as_ref()
                    .map(|o| o.visit_days.clone())
                    .unwrap_or_default(),
            };
            standing::store(tx, id, old.as_ref(), &new, sums)?;
        }
        EntityKind::Visit => {
            let household = text(values, "household_id").unwrap_or_default();
            visit_facts(tx, id, beat, values, old.map(|(_, v)| v))?;
            let day_of = |v: &Map<String, Value>| {
                text(v, "visited_at")
                    .and_then(|t| t.get(..10))
                    .map(str::to_string)
            };
            match old {
                None => {
                    if let Some(day) = day_of(values).filter(|_| !deleted(values))
                        && let Some(stored) = standing::load(tx, household, sums)?
                        && let Some(days) = with_visit_day(&stored.visit_days, &day)
                    {
                        let new = Standing {
                            visit_days: days,
                            ..stored.clone()
                        };
                        standing::store(tx, household, Some(&stored), &new, sums)?;
                    }
                }
                Some((old_beat, old_values)) => {
                    add_to_tally(tx, old_beat, old_values, -1, sums)?;
                    recompute_visit_days(tx, household, sums)?;
                    let moved_from = text(old_values, "household_id").unwrap_or_default();
                    if moved_from != household {
                        recompute_visit_days(tx, moved_from, sums)?;
                    }
                }
            }
            add_to_tally(tx, beat, values, 1, sums)?;
        }
        EntityKind::Concern => {
            exec(
                tx,
                "INSERT OR REPLACE INTO concern_status (id, beat, category, urgency, status, raised_at, feedback_at,
                                                         closed_at, deleted)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    id,
                    beat,
                    text(values, "category"),
                    text(values, "urgency"),
                    text(values, "status"),
                    text(values, "raised_at"),
                    text(values, "feedback_at"),
                    text(values, "closed_at"),
                    deleted(values)
                ],
            )?;
        }
        EntityKind::Task => {
            // Whoever a task is (or was) assigned to receives it, and what it is about.
            exec(
                tx,
                "INSERT INTO assigned (assignee, task_id, household_id, concern_id) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (assignee, task_id) DO UPDATE SET household_id = excluded.household_id,
                     concern_id = excluded.concern_id",
                params![
                    text(values, "assignee").unwrap_or_default().trim(),
                    id,
                    text(values, "household_id").unwrap_or_default(),
                    text(values, "concern_id")
                ],
            )?;
        }
        EntityKind::Resident | EntityKind::Photo => {}
    }
    Ok(())
}
