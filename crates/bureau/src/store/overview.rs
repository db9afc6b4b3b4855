//! The city-wide overview: per station (and, drilled into one station, per beat) the households,
//! how many are covered (visited within their interval) and overdue, overdue follow-up tasks, open
//! concerns, and satisfaction this month against last; open concerns by category. The same rule
//! of coverage as the laptops' and the station's (the core's visit policy, default intervals).

use super::Result;
use chrono::{Datelike, Months, NaiveDate};
use doorstep_core::policy::VisitPolicy;
use doorstep_core::time::local_day_start;
use serde::Serialize;
use tokio_postgres::GenericClient;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// The station's name, or the beat's when drilled into a station.
    pub name: String,
    pub households: i64,
    pub covered: i64,
    pub overdue: i64,
    pub overdue_tasks: i64,
    pub open_concerns: i64,
    /// Ratings in visits this month: satisfied, basically satisfied, dissatisfied.
    pub satisfaction_this_month: Ratings,
    pub satisfaction_last_month: Ratings,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Ratings {
    pub satisfied: i64,
    pub basic: i64,
    pub dissatisfied: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryCount {
    pub category: String,
    pub open: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CityOverview {
    pub date: NaiveDate,
    /// The station drilled into, if any.
    pub station: Option<String>,
    /// The whole (the bureau, or the station drilled into).
    pub total: Figures,
    /// Per station, or per beat of the station drilled into.
    pub rows: Vec<Figures>,
    pub open_concerns_by_category: Vec<CategoryCount>,
}

/// The interval in days a household's tags give it, as SQL over `h.tags` (the core's policy).
fn interval_sql() -> String {
    let policy = VisitPolicy::default();
    let values: Vec<String> = policy
        .tag_days
        .iter()
        .filter_map(|(tag, days)| {
            let name = serde_json::to_value(tag).ok()?.as_str()?.to_string();
            Some(format!("('{}', {days})", name.replace('\'', "''")))
        })
        .collect();
    format!(
        "COALESCE((SELECT min(p.days) FROM unnest(h.tags) AS t(tag) JOIN (VALUES {}) AS p(tag, days) ON p.tag = t.tag), {})",
        values.join(", "),
        policy.default_days
    )
}

/// The overview as of `today` (the bureau's local date), of every station or of one.
pub async fn city(
    client: &impl GenericClient,
    today: NaiveDate,
    station: Option<&str>,
) -> Result<CityOverview> {
    let month_start = today.with_day(1).unwrap_or(today);
    let last_month = month_start - Months::new(1);
    let tomorrow = today.succ_opt().unwrap_or(today);
    let (this_from, last_from, until) = (
        parse(&local_day_start(month_start)),
        parse(&local_day_start(last_month)),
        parse(&local_day_start(tomorrow)),
    );
    let today_start = parse(&local_day_start(today));
    // Grouped by station name, or by beat within the one station.
    let (group, filter) = match station {
        Some(_) => ("x.beat", "s.name = $5"),
        None => ("s.name", "($5::text IS NULL OR s.name = $5)"),
    };
    let name = station.map(str::to_string);
    let sql = format!(
        "WITH hh AS (
             SELECT h.station_id, h.beat,
                    COALESCE(lv.at, (h.fields->>'registered_at')::timestamptz, $4)
                        + make_interval(days => {interval}) AS due
             FROM households h LEFT JOIN last_visits lv ON lv.station_id = h.station_id AND lv.household_id = h.id
             WHERE NOT h.deleted
         ),
         x AS (
             SELECT station_id, beat, 1 AS households, (due >= $4)::int AS covered, (due < $4)::int AS overdue,
                    0 AS overdue_tasks, 0 AS open_concerns, 0 AS s1, 0 AS b1, 0 AS d1, 0 AS s0, 0 AS b0, 0 AS d0 FROM hh
             UNION ALL
             SELECT station_id, beat, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 FROM tasks
             WHERE NOT deleted AND status IN ('open', 'in_progress') AND due_date < $6
             UNION ALL
             SELECT station_id, beat, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 FROM concerns WHERE NOT deleted AND status <> 'closed'
             UNION ALL
             SELECT station_id, beat, 0, 0, 0, 0, 0,
                    (visited_at >= $1 AND rating = 'satisfied')::int, (visited_at >= $1 AND rating = 'basic')::int,
                    (visited_at >= $1 AND rating = 'dissatisfied')::int,
                    (visited_at < $1 AND rating = 'satisfied')::int, (visited_at < $1 AND rating = 'basic')::int,
                    (visited_at < $1 AND rating = 'dissatisfied')::int
             FROM visits WHERE NOT deleted AND rating IS NOT NULL AND visited_at >= $2 AND visited_at < $3
         )
         SELECT {group}, sum(households)::int8, sum(covered)::int8, sum(overdue)::int8, sum(overdue_tasks)::int8,
                sum(open_concerns)::int8, sum(s1)::int8, sum(b1)::int8, sum(d1)::int8, sum(s0)::int8, sum(b0)::int8, sum(d0)::int8
         FROM x JOIN stations s ON s.id = x.station_id WHERE {filter}
         GROUP BY {group} ORDER BY {group}",
        interval = interval_sql(),
    );
    let rows = client
        .query(
            &sql,
            &[&this_from, &last_from, &until, &today_start, &name, &today],
        )
        .await?;
    let rows: Vec<Figures> = rows
        .iter()
        .map(|r| Figures {
            name: r.get(0),
            households: r.get(1),
            covered: r.get(2),
            overdue: r.get(3),
            overdue_tasks: r.get(4),
            open_concerns: r.get(5),
            satisfaction_this_month: Ratings {
                satisfied: r.get(6),
                basic: r.get(7),
                dissatisfied: r.get(8),
            },
            satisfaction_last_month: Ratings {
                satisfied: r.get(9),
                basic: r.get(10),
                dissatisfied: r.get(11),
            },
        })
        .collect();
    let mut total = Figures {
        name: station.unwrap_or_default().to_string(),
        ..Figures::default()
    };
    for f in &rows {
        total.households += f.households;
        total.covered += f.covered;
        total.overdue += f.overdue;
        total.overdue_tasks += f.overdue_tasks;
        total.open_concerns += f.open_concerns;
        for (sum, part) in [
            (
                &mut total.satisfaction_this_month,
                f.satisfaction_this_month,
            ),
            (
                &mut total.satisfaction_last_month,
                f.satisfaction_last_month,
            ),
        ] {
            sum.satisfied += part.satisfied;
            sum.basic += part.basic;
            sum.dissatisfied += part.dissatisfied;
        }
    }
    let categories = client
        .query(
            "SELECT c.category, count(*) FROM concerns c JOIN stations s ON s.id = c.station_id
             WHERE NOT c.deleted AND c.status <> 'closed' AND ($1::text IS NULL OR s.name = $1)
             GROUP BY c.category ORDER BY count(*) DESC, c.category",
            &[&name],
        )
        .await?
        .iter()
        .map(|r| CategoryCount {
            category: r.get(0),
            open: r.get(1),
        })
        .collect();
    Ok(CityOverview {
        date: today,
        station: name,
        total,
        rows,
        open_concerns_by_category: categories,
    })
}

pub(crate) fn parse(text: &str) -> chrono::DateTime<chrono::Utc> {
    doorstep_core::time::parse(text).unwrap_or_default()
}
