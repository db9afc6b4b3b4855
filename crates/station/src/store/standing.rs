//! A household's standing — its beat, tags, registration, deletion and visit days, as
//! `household_status` keeps them — and the figures kept from it on the write path, so that the
//! reports sum a few rows however many visits the station holds:
//! - its due date (migration 0026), for the overview's figures of today and the overdue list;
//! - per beat and day, how many households begin or stop being covered and how many were
//!   registered (`coverage_changes`, 0026), for the overview's twelve weeks of history; a late
//!   laptop's visit moves it the moment it is stored, with nothing remembered to go stale;
//! - whether it is vulnerable, and per month and beat the live households visited
//!   (`month_households`, 0027), for the monthly summary.
//!
//! The rule of coverage is the laptop's (`VisitPolicy::due_date`, `BeatFigures::count_household`):
//! on a day, a household is covered if its last visit on or before that day is at most its
//! interval earlier, or, never visited by then, if the day is its registration day (a new
//! household is due at once). It counts from its registration on, with its tags and beat as they
//! are now, as the laptop counts: a change of tags or beat changes its past too. A household
//! without a registration date counts from the day it is looked at, so it is in today's figures
//! and in no past day's.
//!
//! A household's rows are worked out whole from its [`Standing`]; a write that changes any of it
//! takes the old rows out and puts the new ones in, and only the days where the two differ are
//! written (a new visit inside a covered stretch writes none).

use super::summary::VULNERABLE;
use super::tallies::Sums;
use super::{Result, StationStore, exec, query_one};
use chrono::{Days, NaiveDate};
use doorstep_core::model::Tag;
use doorstep_core::policy::VisitPolicy;
use doorstep_core::store::held::Prepare;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, HashMap};

/// What a household's coverage depends on, as `household_status` keeps it (tags as JSON, dates as
/// `YYYY-MM-DD` text, visit days comma-separated and sorted).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Standing {
    pub beat: String,
    pub tags: String,
    pub registered: Option<String>,
    pub deleted: bool,
    pub visit_days: String,
}

/// The station does not know the officers' own intervals (set on their laptops): the default.
fn policy() -> VisitPolicy {
    VisitPolicy::default()
}

fn day(text: &str) -> Option<NaiveDate> {
    text.get(..10)?.parse().ok()
}

impl Standing {
    /// Its text read once for the figures worked out from it (tags, dates).
    fn read(&self) -> Result<Read<'_>> {
        let tags: Vec<Tag> = serde_json::from_str(&self.tags)?;
        let mut visits: Vec<NaiveDate> = self.visit_days.split(',').filter_map(day).collect();
        visits.sort_unstable();
        Ok(Read {
            standing: self,
            visits,
            registered: self.registered.as_deref().and_then(day),
            interval: Days::new(policy().interval_days(&tags).into()),
            vulnerable: tags.iter().any(|t| VULNERABLE.contains(t)),
        })
    }

    #[cfg(test)]
    fn visits(&self) -> Vec<NaiveDate> {
        self.read().map(|r| r.visits).unwrap_or_default()
    }

    /// The day it falls due (see [`Read::due_on`]).
    #[cfg(test)]
    fn due_on(&self) -> Result<Option<NaiveDate>> {
        Ok(self.read()?.due_on())
    }

    /// Its rows of `coverage_changes` (see [`Read::changes`]).
    #[cfg(test)]
    fn changes(&self) -> Result<Vec<(NaiveDate, i64, i64)>> {
        Ok(self.read()?.changes())
    }
}

/// A [`Standing`] with its tags and dates parsed.
struct Read<'a> {
    standing: &'a Standing,
    /// Its visit days, in order.
    visits: Vec<NaiveDate>,
    registered: Option<NaiveDate>,
    interval: Days,
    /// Counted apart by the monthly summary (one of its vulnerable tags).
    vulnerable: bool,
}

impl Read<'_> {
    /// Where the monthly summary counts it when visited: (beat, vulnerable), none once deleted.
    fn counted_as(&self) -> Option<(&str, bool)> {
        (!self.standing.deleted).then_some((self.standing.beat.as_str(), self.vulnerable))
    }

    /// The day it falls due: its last visit plus its interval, else its registration; `None` for a
    /// household never visited and without a registration date (due the day it is looked at).
    fn due_on(&self) -> Option<NaiveDate> {
        match self.visits.last() {
            Some(&last) => Some(last.checked_add_days(self.interval).unwrap_or(last)),
            None => self.registered,
        }
    }

    /// Its rows of `coverage_changes`: (day, covered from that day, registered that day). Nothing
    /// for a deleted household or one without a registration date.
    fn changes(&self) -> Vec<(NaiveDate, i64, i64)> {
        let Some(registered) = self.registered else {
            return Vec::new();
        };
        if self.standing.deleted {
            return Vec::new();
        }
        // The stretches it is covered, inclusive, merged where they touch.
        let mut spans: Vec<(NaiveDate, NaiveDate)> = Vec::new();
        if self.visits.first().is_none_or(|v| *v > registered) {
            spans.push((registered, registered));
        }
        for &visit in &self.visits {
            let end = visit.checked_add_days(self.interval).unwrap_or(visit);
            if end < registered {
                continue;
            }
            let start = visit.max(registered);
            match spans.last_mut() {
                Some(last) if last.1.succ_opt().is_none_or(|next| start <= next) => {
                    last.1 = last.1.max(end)
                }
                _ => spans.push((start, end)),
            }
        }
        let mut out = vec![(registered, 0, 1)];
        for (start, end) in spans {
            out.push((start, 1, 0));
            if let Some(after) = end.succ_opt() {
                out.push((after, -1, 0));
            }
        }
        out
    }
}

/// The households' standings one transaction's writes read and wrote, kept in its [`Sums`] and
/// written to `household_status` once, by [`Standings::flush`] before it commits: a pushed batch's
/// visits to one household read and write its row once, not once per visit. Every read and write
/// of a standing on the write path goes through here ([`load`], [`store`]) with the one `Sums` of
/// its transaction, so none reads a row that a kept standing has overtaken.
#[derive(Debug, Default)]
pub(super) struct Standings(HashMap<String, Kept>);

#[derive(Debug)]
struct Kept {
    /// As `household_status` holds it.
    stored: Option<Standing>,
    /// As the transaction's writes left it.
    now: Option<Standing>,
}

impl Standings {
    /// Writes each standing that changed, with its last visit, due date and vulnerability.
    pub(super) fn flush(self, conn: &impl Prepare) -> Result<()> {
        for (id, kept) in self.0 {
            let Some(new) = kept.now.filter(|now| kept.stored.as_ref() != Some(now)) else {
                continue;
            };
            let read = new.read()?;
            exec(
                conn,
                "INSERT INTO household_status (id, beat, tags, registered_on, deleted, visit_days, last_visit_on,
                                               due_on, vulnerable)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (id) DO UPDATE SET beat = excluded.beat, tags = excluded.tags,
                     registered_on = excluded.registered_on, deleted = excluded.deleted,
                     visit_days = excluded.visit_days, last_visit_on = excluded.last_visit_on,
                     due_on = excluded.due_on, vulnerable = excluded.vulnerable",
                params![
                    id,
                    new.beat,
                    new.tags,
                    new.registered,
                    new.deleted,
                    new.visit_days,
                    read.visits.last().map(NaiveDate::to_string),
                    read.due_on().map(|d| d.to_string()),
                    read.vulnerable,
                ],
            )?;
        }
        Ok(())
    }
}

/// A household's standing as this transaction's writes left it, else as stored, if it has one.
pub(super) fn load(conn: &impl Prepare, id: &str, sums: &mut Sums) -> Result<Option<Standing>> {
    if let Some(kept) = sums.standings.0.get(id) {
        return Ok(kept.now.clone());
    }
    let stored = query_one(
        conn,
        "SELECT beat, tags, registered_on, deleted, visit_days FROM household_status WHERE id = ?1",
        [id],
        |r| {
            Ok(Standing {
                beat: r.get(0)?,
                tags: r.get(1)?,
                registered: r.get(2)?,
                deleted: r.get(3)?,
                visit_days: r.get(4)?,
            })
        },
    )
    .optional()?;
    sums.standings.0.insert(
        id.to_string(),
        Kept {
            stored: stored.clone(),
            now: stored.clone(),
        },
    );
    Ok(stored)
}

/// Keeps a household's new standing (`old` is what [`load`] gave) for `sums` to write with its last
/// visit, due date and vulnerability, and moves `coverage_changes` and `month_households` by the
/// difference (in `sums`, for the caller to flush). Nothing changes if the standing did not.
pub(super) fn store(
    conn: &impl Prepare,
    id: &str,
    old: Option<&Standing>,
    new: &Standing,
    sums: &mut Sums,
) -> Result<()> {
    if old == Some(new) {
        return Ok(());
    }
    sums.standings
        .0
        .entry(id.to_string())
        .or_insert_with(|| Kept {
            stored: old.cloned(),
            now: None,
        })
        .now = Some(new.clone());
    let (old, new) = (old.map(Standing::read).transpose()?, new.read()?);
    let (was, is) = (old.as_ref().and_then(Read::counted_as), new.counted_as());
    if was != is {
        let months: Vec<String> = conn.with_statement(
            "SELECT month FROM household_months WHERE household_id = ?1 AND n > 0",
            |s| s.query_map([id], |r| r.get(0))?.collect(),
        )?;
        for month in months {
            for (place, sign) in [(was, -1), (is, 1)] {
                if let Some(place) = place {
                    count_visited(sums, &month, place, sign);
                }
            }
        }
    }
    // The old rows out, the new in: in one beat only the days where they differ (a visit inside a
    // stretch already covered moves none).
    let mut moved: Vec<(&str, NaiveDate, i64, i64)> = Vec::new();
    for (sign, read) in [(-1, old.as_ref()), (1, Some(&new))] {
        let Some(read) = read else { continue };
        let beat = read.standing.beat.as_str();
        moved.extend(
            read.changes()
                .into_iter()
                .map(|(day, covered, registered)| (beat, day, sign * covered, sign * registered)),
        );
    }
    moved.sort_unstable_by_key(|&(beat, day, _, _)| (beat, day));
    for group in moved.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let (covered, registered) = group.iter().fold((0, 0), |(c, r), m| (c + m.2, r + m.3));
        if (covered, registered) != (0, 0) {
            let entry = sums
                .coverage
                .entry((group[0].0.to_string(), group[0].1))
                .or_default();
            entry.0 += covered;
            entry.1 += registered;
        }
    }
    Ok(())
}

/// Adds `sign` households visited in `month` where `place` (beat, vulnerable) says.
fn count_visited(sums: &mut Sums, month: &str, place: (&str, bool), sign: i64) {
    let entry = sums
        .months
        .entry((month.to_string(), place.0.to_string()))
        .or_default();
    entry.0 += sign;
    entry.1 += if place.1 { sign } else { 0 };
}

/// A household's visits in `month` went from none to some (`sign` 1) or back (-1): counted in
/// `month_households` where its standing says, if it is known and alive.
pub(super) fn visited_in_month(
    conn: &impl Prepare,
    household: &str,
    month: &str,
    sign: i64,
    sums: &mut Sums,
) -> Result<()> {
    if let Some(standing) = load(conn, household, sums)?
        && let Some(place) = standing.read()?.counted_as()
    {
        count_visited(sums, month, place, sign);
    }
    Ok(())
}

/// Adds to `coverage_changes`: per (beat, day), households beginning (or stopping) to be covered
/// and registered. A row summed to nothing stays (there is at most one per beat and day, and the
/// history sums them anyway).
pub(super) fn add_changes(
    conn: &impl Prepare,
    rows: BTreeMap<(String, NaiveDate), (i64, i64)>,
) -> Result<()> {
    add_pairs(
        conn,
        "INSERT INTO coverage_changes (beat, day, covered, households) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (beat, day) DO UPDATE SET covered = covered + excluded.covered,
             households = households + excluded.households",
        rows.into_iter()
            .map(|((beat, day), counts)| ((beat, day.to_string()), counts)),
    )
}

/// Adds to `month_households`: per (month, beat), households visited and vulnerable ones.
pub(super) fn add_visited(
    conn: &impl Prepare,
    rows: HashMap<(String, String), (i64, i64)>,
) -> Result<()> {
    add_pairs(
        conn,
        "INSERT INTO month_households (month, beat, visited, vulnerable_visited) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (month, beat) DO UPDATE SET visited = visited + excluded.visited,
             vulnerable_visited = vulnerable_visited + excluded.vulnerable_visited",
        rows,
    )
}

/// Runs `upsert` (which adds two counts under a two-part key) for each row that adds anything.
fn add_pairs(
    conn: &impl Prepare,
    upsert: &str,
    rows: impl IntoIterator<Item = ((String, String), (i64, i64))>,
) -> Result<()> {
    conn.with_statement(upsert, |stmt| {
        for ((a, b), (x, y)) in rows {
            if (x, y) != (0, 0) {
                stmt.execute(params![a, b, x, y])?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// Works every household's due date, vulnerability, `coverage_changes` and `month_households` out
/// again from `household_status` and `household_months` (migrations 0026 and 0027 fill them this
/// way; tests check what was kept against it).
pub(super) fn recount(conn: &Connection) -> Result<()> {
    exec(conn, "DELETE FROM coverage_changes", [])?;
    let households: Vec<(String, Standing)> = {
        let mut stmt = conn.prepare(
            "SELECT id, beat, tags, registered_on, deleted, visit_days FROM household_status",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                Standing {
                    beat: r.get(1)?,
                    tags: r.get(2)?,
                    registered: r.get(3)?,
                    deleted: r.get(4)?,
                    visit_days: r.get(5)?,
                },
            ))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut all: BTreeMap<(String, NaiveDate), (i64, i64)> = BTreeMap::new();
    let mut due =
        conn.prepare("UPDATE household_status SET due_on = ?2, vulnerable = ?3 WHERE id = ?1")?;
    for (id, standing) in &households {
        let read = standing.read()?;
        due.execute(params![
            id,
            read.due_on().map(|d| d.to_string()),
            read.vulnerable
        ])?;
        for (day, covered, registered) in read.changes() {
            let entry = all.entry((standing.beat.clone(), day)).or_default();
            entry.0 += covered;
            entry.1 += registered;
        }
    }
    add_changes(conn, all)?;
    exec(conn, "DELETE FROM month_households", [])?;
    exec(
        conn,
        "INSERT INTO month_households (month, beat, visited, vulnerable_visited)
         SELECT m.month, h.beat, count(*), sum(h.vulnerable) FROM household_months m
         JOIN household_status h ON h.id = m.household_id
         WHERE m.n > 0 AND h.deleted = 0 GROUP BY m.month, h.beat",
        [],
    )?;
    Ok(())
}

impl StationStore {
    /// Works what is kept from the households' standing out again (see [`recount`]).
    pub fn recount_standing(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        recount(&tx)?;
        tx.commit()?;
        Ok(())
    }
}

/// The station's coverage (covered, households) at the end of each of `days`, from
/// `coverage_changes`: households without a registration date are not counted (see the module).
pub(super) fn history(
    conn: &Connection,
    days: &[NaiveDate],
) -> Result<BTreeMap<NaiveDate, (u32, u32)>> {
    let Some(last) = days.iter().max() else {
        return Ok(BTreeMap::new());
    };
    let mut stmt = conn.prepare_cached(
        "SELECT day, sum(covered), sum(households) FROM coverage_changes WHERE day <= ?1
         GROUP BY day ORDER BY day",
    )?;
    let rows: Vec<(String, i64, i64)> = stmt
        .query_map([last.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut asked: Vec<NaiveDate> = days.to_vec();
    asked.sort_unstable();
    let mut out = BTreeMap::new();
    let (mut covered, mut households, mut next) = (0i64, 0i64, 0usize);
    for asked_day in asked {
        let until = asked_day.to_string();
        while let Some((_, c, h)) = rows.get(next).filter(|(day, _, _)| *day <= until) {
            covered += c;
            households += h;
            next += 1;
        }
        let clamp = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        out.insert(asked_day, (clamp(covered), clamp(households)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn standing(tags: &str, registered: &str, visits: &str) -> Standing {
        Standing {
            beat: "幸福社区".into(),
            tags: tags.into(),
            registered: Some(registered.into()).filter(|r: &String| !r.is_empty()),
            deleted: false,
            visit_days: visits.into(),
        }
    }

    /// Covered on `on` by the household's rows alone.
    fn covered_on(s: &Standing, on: &str) -> i64 {
        s.changes()
            .unwrap()
            .iter()
            .filter(|(day, _, _)| *day <= d(on))
            .map(|(_, c, _)| c)
            .sum()
    }

    /// The rule as the laptop applies it, for comparison.
    fn laptop_covers(s: &Standing, on: &str) -> bool {
        let on = d(on);
        let registered = d(s.registered.as_deref().unwrap());
        let last = s.visits().into_iter().rfind(|v| *v <= on);
        let tags: Vec<Tag> = serde_json::from_str(&s.tags).unwrap();
        registered <= on && on <= policy().due_date(&tags, last, registered)
    }

    #[test]
    fn the_stretches_covered_follow_the_laptops_rule_on_every_day() {
        let cases = [
            standing("[]", "2026-01-10", ""),
            standing("[]", "2026-01-10", "2026-01-10"),
            standing(
                "[\"elderly_alone\"]",
                "2026-01-10",
                "2026-01-05,2026-02-01,2026-02-20",
            ),
            standing("[]", "2026-03-01", "2025-10-01,2026-01-15"),
            standing(
                "[\"elderly_alone\"]",
                "2026-01-01",
                "2026-01-01,2026-01-31,2026-03-02,2026-09-09",
            ),
        ];
        for s in &cases {
            let mut on = d("2025-09-01");
            while on < d("2027-01-01") {
                let day = on.to_string();
                assert_eq!(
                    covered_on(s, &day) == 1,
                    laptop_covers(s, &day),
                    "{s:?} on {day}"
                );
                assert!((0..=1).contains(&covered_on(s, &day)), "{s:?} on {day}");
                on = on.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn a_household_deleted_or_without_registration_has_no_rows_but_may_have_a_due_date() {
        let mut s = standing("[]", "", "2026-01-01");
        assert!(s.changes().unwrap().is_empty());
        assert_eq!(s.due_on().unwrap(), Some(d("2026-04-01")), "90 days on");
        s.visit_days.clear();
        assert_eq!(s.due_on().unwrap(), None, "due the day it is looked at");
        let mut gone = standing("[]", "2026-01-01", "");
        gone.deleted = true;
        assert!(gone.changes().unwrap().is_empty());
    }
}
