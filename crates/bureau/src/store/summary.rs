//! The bureau's monthly work summary: the station's summary (same figures, same type, so the
//! station's PDF, Excel and CSV code writes it) over every station, or one, counted in SQL.

use super::overview::parse;
use super::{Result, bad};
use chrono::{Months, NaiveDate};
use doorstep_core::model::{ConcernCategory, InquiryArea, Purpose, Rating, Tag};
use doorstep_core::time::local_day_start;
use doorstep_station::store::{AreaOpinions, CategoryFlow, Count, MonthlySummary};
use std::collections::BTreeMap;
use tokio_postgres::GenericClient;

/// Households with these tags are the vulnerable ones the summary counts apart (as the station's).
const VULNERABLE: &[Tag] = &[
    Tag::ElderlyAlone,
    Tag::LowIncome,
    Tag::LeftBehindChildren,
    Tag::Disabled,
];

/// At most this many opinions quoted per inquiry area (the count covers all).
const OPINIONS_QUOTED: usize = 50;

fn tag_names(tags: &[Tag]) -> Vec<String> {
    tags.iter()
        .filter_map(|t| serde_json::to_value(t).ok()?.as_str().map(str::to_string))
        .collect()
}

/// The summary of `month` (`YYYY-MM`, local dates), of every station or of one (`scope` names
/// what the title says it covers).
pub async fn monthly(
    client: &impl GenericClient,
    month: &str,
    station: Option<&str>,
    scope: &str,
) -> Result<MonthlySummary> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
        .map_err(|_| bad(format!("{month:?} is not a month: use YYYY-MM")))?;
    let start = parse(&local_day_start(first));
    let end = parse(&local_day_start(first + Months::new(1)));
    let station = station.map(str::to_string);
    // Every query filters by the same three parameters: the month's bounds and the station.
    let in_scope = "($3::text IS NULL OR station_id = (SELECT id FROM stations WHERE name = $3))";
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&start, &end, &station];

    let purposes: Vec<&str> = Purpose::ALL.iter().map(|p| p.as_str()).collect();
    let row = client
        .query_one(
            &format!(
                "SELECT count(*), {} FROM visits WHERE NOT deleted AND visited_at >= $1 AND visited_at < $2 AND {in_scope}",
                purposes
                    .iter()
                    .map(|p| format!("count(*) FILTER (WHERE '{p}' = ANY(purposes))"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &params,
        )
        .await?;
    let visits: i64 = row.get(0);
    let visits_by_purpose = purposes
        .iter()
        .enumerate()
        .map(|(i, p)| Count {
            key: p.to_string(),
            count: row.get::<_, i64>(i + 1) as u32,
        })
        .collect();

    let by_rating: BTreeMap<String, i64> = client
        .query(
            &format!(
                "SELECT rating, count(*) FROM visits WHERE NOT deleted AND rating IS NOT NULL
                 AND visited_at >= $1 AND visited_at < $2 AND {in_scope} GROUP BY rating"
            ),
            &params,
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let satisfaction = Rating::ALL
        .iter()
        .map(|r| Count {
            key: r.as_str().into(),
            count: by_rating.get(r.as_str()).copied().unwrap_or(0) as u32,
        })
        .collect();

    let mut opinions: BTreeMap<String, AreaOpinions> = BTreeMap::new();
    for row in client
        .query(
            &format!(
                "SELECT btrim(fields->>'opinions'), inquiry_areas FROM visits
                 WHERE NOT deleted AND visited_at >= $1 AND visited_at < $2 AND {in_scope}
                   AND btrim(COALESCE(fields->>'opinions', '')) <> ''
                 ORDER BY visited_at, id"
            ),
            &params,
        )
        .await?
    {
        let opinion: String = row.get(0);
        let mut areas: Vec<String> = row.get(1);
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
                group.quoted.push(opinion.clone());
            }
        }
    }
    let area_order: Vec<&str> = InquiryArea::ALL
        .iter()
        .map(|a| a.as_str())
        .chain(["unassigned"])
        .collect();
    let mut opinions: Vec<AreaOpinions> = opinions.into_values().collect();
    opinions.sort_by_key(|o| area_order.iter().position(|a| *a == o.area));

    let vulnerable = tag_names(VULNERABLE);
    let row = client
        .query_one(
            &format!(
                "WITH visited AS (
                     SELECT DISTINCT station_id, household_id FROM visits
                     WHERE NOT deleted AND visited_at >= $1 AND visited_at < $2 AND {in_scope}
                 )
                 SELECT count(*), count(v.household_id), count(*) FILTER (WHERE h.tags && $4),
                        count(v.household_id) FILTER (WHERE h.tags && $4)
                 FROM households h LEFT JOIN visited v ON v.station_id = h.station_id AND v.household_id = h.id
                 WHERE NOT h.deleted AND ($3::text IS NULL OR h.station_id = (SELECT id FROM stations WHERE name = $3))"
            ),
            &[&start, &end, &station, &vulnerable],
        )
        .await?;
    let count = |i: usize| row.get::<_, i64>(i) as u32;
    let (households, households_visited, vulnerable_households, vulnerable_visited) =
        (count(0), count(1), count(2), count(3));

    let flows: BTreeMap<String, (i64, i64)> = client
        .query(
            &format!(
                "SELECT category, count(*) FILTER (WHERE raised_at >= $1 AND raised_at < $2),
                        count(*) FILTER (WHERE closed_at >= $1 AND closed_at < $2)
                 FROM concerns WHERE NOT deleted AND {in_scope} GROUP BY category"
            ),
            &params,
        )
        .await?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let concerns = ConcernCategory::ALL
        .iter()
        .map(|c| {
            let (raised, closed) = flows.get(c.as_str()).copied().unwrap_or((0, 0));
            CategoryFlow {
                category: c.as_str().into(),
                raised: raised as u32,
                closed: closed as u32,
            }
        })
        .collect();
    let row = client
        .query_one(
            &format!(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM closed_at - raised_at) / 86400.0)
                            FILTER (WHERE closed_at >= $1 AND closed_at < $2),
                        count(*) FILTER (WHERE feedback_at >= $1 AND feedback_at < $2)
                 FROM concerns WHERE NOT deleted AND {in_scope}"
            ),
            &params,
        )
        .await?;
    let median_days_to_close: Option<f64> = row.get(0);
    let feedback_given = row.get::<_, i64>(1) as u32;

    Ok(MonthlySummary {
        month: first.format("%Y-%m").to_string(),
        beat: Some(scope.to_string()),
        visits: visits as u32,
        visits_by_purpose,
        households,
        households_visited,
        vulnerable_households,
        vulnerable_visited,
        concerns,
        median_days_to_close,
        feedback_given,
        satisfaction,
        opinions,
    })
}
