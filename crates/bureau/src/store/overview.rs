//! The city-wide overview: per station (and, drilled into one station, per beat) the households,
//! how many are covered (visited within their interval) and overdue, overdue follow-up tasks, open
//! concerns, and satisfaction this month against last; open concerns by category. The same rule
//! of coverage as the laptops' and the station's (the core's visit policy, default intervals), kept
//! per household at ingest.

use super::Result;
use chrono::{Datelike, Months, NaiveDate};
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

/// The overview as of `today` (the bureau's local date), of every station or of one: sums of the
/// tallies kept at ingest (see [`super::tallies`]).
pub async fn city(
    client: &impl GenericClient,
    today: NaiveDate,
    station: Option<&str>,
) -> Result<CityOverview> {
    let this_month = today.with_day(1).unwrap_or(today);
    let last_month = this_month - Months::new(1);
    let today_start = parse(&local_day_start(today));
    // Grouped by station name, or by beat within the one station.
    let (group, filter) = match station {
        Some(_) => ("x.beat", "s.name = $4"),
        None => ("s.name", "($4::text IS NULL OR s.name = $4)"),
    };
    let name = station.map(str::to_string);
    let sql = format!(
        "WITH x AS (
             SELECT station_id, beat, count(*) AS households,
                    count(*) FILTER (WHERE due IS NULL OR due >= $1) AS covered,
                    0 AS overdue_tasks, 0 AS open_concerns, 0 AS s1, 0 AS b1, 0 AS d1, 0 AS s0, 0 AS b0, 0 AS d0
             FROM household_status GROUP BY station_id, beat
             UNION ALL
             SELECT station_id, beat, 0, 0, sum(n), 0, 0, 0, 0, 0, 0, 0 FROM open_task_tallies
             WHERE due_date < $5 GROUP BY station_id, beat
             UNION ALL
             SELECT station_id, beat, 0, 0, 0, sum(n), 0, 0, 0, 0, 0, 0 FROM open_concern_tallies GROUP BY station_id, beat
             UNION ALL
             SELECT station_id, beat, 0, 0, 0, 0,
                    sum(n) FILTER (WHERE month = $2 AND rating = 'satisfied'), sum(n) FILTER (WHERE month = $2 AND rating = 'basic'),
                    sum(n) FILTER (WHERE month = $2 AND rating = 'dissatisfied'),
                    sum(n) FILTER (WHERE month = $3 AND rating = 'satisfied'), sum(n) FILTER (WHERE month = $3 AND rating = 'basic'),
                    sum(n) FILTER (WHERE month = $3 AND rating = 'dissatisfied')
             FROM rating_tallies WHERE month IN ($2, $3) GROUP BY station_id, beat
         )
         SELECT {group}, sum(households)::int8, sum(covered)::int8, sum(households - covered)::int8,
                COALESCE(sum(overdue_tasks), 0)::int8, COALESCE(sum(open_concerns), 0)::int8,
                COALESCE(sum(s1), 0)::int8, COALESCE(sum(b1), 0)::int8, COALESCE(sum(d1), 0)::int8,
                COALESCE(sum(s0), 0)::int8, COALESCE(sum(b0), 0)::int8, COALESCE(sum(d0), 0)::int8
         FROM x JOIN stations s ON s.id = x.station_id WHERE {filter}
         GROUP BY {group} ORDER BY {group}"
    );
    let rows = client
        .query(
            &sql,
            &[&today_start, &this_month, &last_month, &name, &today],
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
            "SELECT c.category, sum(c.n)::int8 FROM open_concern_tallies c JOIN stations s ON s.id = c.station_id
             WHERE $1::text IS NULL OR s.name = $1
             GROUP BY c.category ORDER BY sum(c.n) DESC, c.category",
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
