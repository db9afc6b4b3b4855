//! The city overview's figures, kept as each batch is stored (migration V4) so that a request sums
//! a few thousand small rows instead of every household, visit, concern and task of every station:
//!
//! - `household_status`: each live household's beat, last visit and when the next is due;
//! - `rating_tallies`: live visits' ratings per beat and local month;
//! - `open_concern_tallies`: open concerns per beat and category;
//! - `open_task_tallies`: open tasks per beat and due date.
//!
//! Ingest keeps them by difference: what a record counted for before its write is taken off, what
//! it counts for after is added, in the batch's transaction (so they move with the records or not
//! at all). [`rebuild_if_stale`] works them all out again from the records when the visit policy or
//! the bureau's time zone (which decides a visit's month) is not the one they were kept under; the
//! tests compare the two ways.

use super::Result;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use doorstep_core::model::Tag;
use doorstep_core::policy::VisitPolicy;
use std::collections::BTreeMap;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient, Transaction};

/// One tally table: its name and its key columns with their SQL types (besides the station).
pub(crate) struct Tally {
    table: &'static str,
    keys: &'static [(&'static str, &'static str)],
}

pub(crate) const RATINGS: Tally = Tally {
    table: "rating_tallies",
    keys: &[("beat", "text"), ("month", "date"), ("rating", "text")],
};
pub(crate) const OPEN_CONCERNS: Tally = Tally {
    table: "open_concern_tallies",
    keys: &[("beat", "text"), ("category", "text")],
};
pub(crate) const OPEN_TASKS: Tally = Tally {
    table: "open_task_tallies",
    keys: &[("beat", "text"), ("due_date", "date")],
};

/// Changes to one tally: a count per key (key columns as text, cast by the statement).
#[derive(Debug, Default)]
pub(crate) struct Deltas(BTreeMap<Vec<String>, i64>);

impl Deltas {
    pub(crate) fn add(&mut self, key: Option<Vec<String>>, n: i64) {
        if let Some(key) = key {
            *self.0.entry(key).or_default() += n;
        }
    }

    /// Writes the changes to `tally` for `station`; keys left at zero are removed.
    pub(crate) async fn apply(
        self,
        tx: &impl GenericClient,
        tally: &Tally,
        station: i32,
    ) -> Result<()> {
        let changed: Vec<(&Vec<String>, i64)> = self
            .0
            .iter()
            .filter(|(_, n)| **n != 0)
            .map(|(k, n)| (k, *n))
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let columns: Vec<Vec<&str>> = (0..tally.keys.len())
            .map(|i| changed.iter().map(|(k, _)| k[i].as_str()).collect())
            .collect();
        let counts: Vec<i64> = changed.iter().map(|(_, n)| *n).collect();
        let names: Vec<&str> = tally.keys.iter().map(|(name, _)| *name).collect();
        let casts: Vec<String> = tally
            .keys
            .iter()
            .map(|(name, kind)| format!("d.{name}::{kind}"))
            .collect();
        let arrays: Vec<String> = (0..=tally.keys.len())
            .map(|i| {
                let kind = if i == tally.keys.len() {
                    "int8"
                } else {
                    "text"
                };
                format!("${}::{kind}[]", i + 2)
            })
            .collect();
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&station];
        for column in &columns {
            params.push(column);
        }
        params.push(&counts);
        let (table, names) = (tally.table, names.join(", "));
        tx.execute(
            &format!(
                "INSERT INTO {table} AS t (station_id, {names}, n)
                 SELECT $1, {}, d.n FROM unnest({}) AS d({names}, n)
                 ON CONFLICT (station_id, {names}) DO UPDATE SET n = t.n + EXCLUDED.n",
                casts.join(", "),
                arrays.join(", "),
            ),
            &params,
        )
        .await?;
        tx.execute(
            &format!("DELETE FROM {table} WHERE station_id = $1 AND n = 0"),
            &[&station],
        )
        .await?;
        Ok(())
    }
}

/// The first day of the bureau's local month of `at`: the month a visit's rating counts in.
pub(crate) fn local_month(at: DateTime<Utc>) -> NaiveDate {
    let day = chrono::Local
        .from_utc_datetime(&at.naive_utc())
        .date_naive();
    day.with_day(1).unwrap_or(day)
}

/// What a visit counts for in `rating_tallies`, if anything.
pub(crate) fn rating_key(
    beat: &str,
    at: DateTime<Utc>,
    rating: Option<&str>,
    deleted: bool,
) -> Option<Vec<String>> {
    let rating = rating.filter(|_| !deleted)?;
    Some(vec![
        beat.to_string(),
        local_month(at).to_string(),
        rating.to_string(),
    ])
}

/// What a concern counts for in `open_concern_tallies`, if anything.
pub(crate) fn open_concern_key(
    beat: &str,
    category: &str,
    status: &str,
    deleted: bool,
) -> Option<Vec<String>> {
    (!deleted && status != "closed").then(|| vec![beat.to_string(), category.to_string()])
}

/// What a task counts for in `open_task_tallies`, if anything.
pub(crate) fn open_task_key(
    beat: &str,
    due: Option<NaiveDate>,
    status: &str,
    deleted: bool,
) -> Option<Vec<String>> {
    (!deleted && matches!(status, "open" | "in_progress")).then(|| {
        vec![
            beat.to_string(),
            due.map_or_else(|| "infinity".to_string(), |d| d.to_string()),
        ]
    })
}

/// A household's visit interval under the core's policy, from its tags as stored (a tag this
/// build does not know sets nothing).
pub(crate) fn interval_days(tags: &[String]) -> i32 {
    let tags: Vec<Tag> = tags
        .iter()
        .filter_map(|t| serde_json::from_value(serde_json::Value::String(t.clone())).ok())
        .collect();
    i32::try_from(VisitPolicy::default().interval_days(&tags)).unwrap_or(i32::MAX)
}

/// Works out the `household_status` of `households` of `station` again from their records and
/// visits (after a batch wrote either): a household deleted or not (yet) known has none.
pub(crate) async fn refresh_households(
    tx: &Transaction<'_>,
    station: i32,
    households: &[&str],
) -> Result<()> {
    if households.is_empty() {
        return Ok(());
    }
    tx.execute(
        &format!(
            "WITH h AS (
                 SELECT h.id, h.beat, h.registered_at, h.interval_days,
                        (SELECT max(v.visited_at) FROM visits_s{station} v
                         WHERE v.station_id = $1 AND v.household_id = h.id AND NOT v.deleted) AS last
                 FROM households_s{station} h WHERE h.id = ANY($2) AND NOT h.deleted
             ),
             gone AS (
                 DELETE FROM household_status_s{station} s
                 WHERE s.household_id = ANY($2) AND NOT EXISTS (SELECT 1 FROM h WHERE h.id = s.household_id)
             )
             INSERT INTO household_status_s{station} (station_id, household_id, beat, last_visit_at, due)
             SELECT $1, id, beat, last, {DUE} FROM h
             ON CONFLICT (station_id, household_id) DO UPDATE
                 SET beat = EXCLUDED.beat, last_visit_at = EXCLUDED.last_visit_at, due = EXCLUDED.due"
        ),
        &[&station, &households],
    )
    .await?;
    Ok(())
}

/// When a household's next visit is due, over `last` and the household's columns: the core's
/// `VisitPolicy::due_date` (an interval after the last visit, else the registration).
const DUE: &str = "CASE WHEN last IS NOT NULL THEN last + make_interval(days => interval_days) ELSE registered_at END";

/// What the tallies are kept under: the visit policy and the local time zone's offset now.
fn basis() -> String {
    let offset = chrono::Local::now().offset().to_string();
    let policy = serde_json::to_string(&VisitPolicy::default()).unwrap_or_default();
    format!("policy {policy}; zone {offset}")
}

/// Works every tally out again from the records if they were kept under another basis (or never:
/// the first start after migration V4). One transaction; another bureau process starting on the
/// same database waits for it and then finds nothing to do. True if it did work them out.
pub async fn rebuild_if_stale(client: &mut Client) -> Result<bool> {
    let basis = basis();
    let tx = client.transaction().await?;
    tx.batch_execute("LOCK TABLE tally_basis IN EXCLUSIVE MODE")
        .await?;
    let kept: Option<String> = tx
        .query_opt("SELECT basis FROM tally_basis", &[])
        .await?
        .map(|r| r.get(0));
    if kept.as_deref() == Some(basis.as_str()) {
        return Ok(false);
    }
    tracing::info!(was = ?kept, now = %basis, "working the overview's tallies out again");
    rebuild(&tx).await?;
    tx.execute(
        "INSERT INTO tally_basis (basis) VALUES ($1) ON CONFLICT (one) DO UPDATE SET basis = EXCLUDED.basis",
        &[&basis],
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Every tally from the records, in `tx`.
async fn rebuild(tx: &Transaction<'_>) -> Result<()> {
    // The households' own columns first: their interval under today's policy, their registration.
    let rows = tx
        .query(
            "SELECT station_id, id, tags, fields->>'registered_at' FROM households",
            &[],
        )
        .await?;
    let stations: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    let ids: Vec<String> = rows.iter().map(|r| r.get(1)).collect();
    let intervals: Vec<i32> = rows
        .iter()
        .map(|r| interval_days(&r.get::<_, Vec<String>>(2)))
        .collect();
    let registered: Vec<Option<DateTime<Utc>>> = rows
        .iter()
        .map(|r| {
            r.get::<_, Option<String>>(3)
                .and_then(|t| doorstep_core::time::parse(&t))
        })
        .collect();
    tx.execute(
        "UPDATE households h SET interval_days = n.interval_days, registered_at = n.registered_at
         FROM unnest($1::int4[], $2::text[], $3::int4[], $4::timestamptz[]) AS n(station_id, id, interval_days, registered_at)
         WHERE h.station_id = n.station_id AND h.id = n.id",
        &[&stations, &ids, &intervals, &registered],
    )
    .await?;
    tx.batch_execute(&format!(
        "TRUNCATE household_status, rating_tallies, open_concern_tallies, open_task_tallies;
         INSERT INTO household_status (station_id, household_id, beat, last_visit_at, due)
             SELECT h.station_id, h.id, h.beat, v.last, {DUE}
             FROM households h
             LEFT JOIN (SELECT station_id, household_id, max(visited_at) AS last FROM visits WHERE NOT deleted
                        GROUP BY station_id, household_id) v
                 ON v.station_id = h.station_id AND v.household_id = h.id
             WHERE NOT h.deleted;
         INSERT INTO open_concern_tallies (station_id, beat, category, n)
             SELECT station_id, beat, category, count(*) FROM concerns WHERE NOT deleted AND status <> 'closed'
             GROUP BY station_id, beat, category;
         INSERT INTO open_task_tallies (station_id, beat, due_date, n)
             SELECT station_id, beat, COALESCE(due_date, 'infinity'), count(*) FROM tasks
             WHERE NOT deleted AND status IN ('open', 'in_progress')
             GROUP BY station_id, beat, COALESCE(due_date, 'infinity');"
    ))
    .await?;
    // Ratings by the bureau's local month, as ingest counts them (chrono's zone rules, not
    // PostgreSQL's): the visits are read a page at a time and counted here.
    let visits = tx
        .bind(
            "SELECT station_id, beat, visited_at, rating FROM visits WHERE NOT deleted AND rating IS NOT NULL",
            &[],
        )
        .await?;
    let mut per_station: BTreeMap<i32, Deltas> = BTreeMap::new();
    loop {
        let page = tx.query_portal(&visits, 20_000).await?;
        for r in &page {
            let rating: String = r.get(3);
            per_station
                .entry(r.get(0))
                .or_default()
                .add(rating_key(r.get(1), r.get(2), Some(&rating), false), 1);
        }
        if page.is_empty() {
            break;
        }
    }
    for (station, deltas) in per_station {
        deltas.apply(tx, &RATINGS, station).await?;
    }
    Ok(())
}
