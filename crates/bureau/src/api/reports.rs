//! City-wide reports: the overview (per station, or per beat of one station) and the bureau's
//! monthly work summary as data or as a PDF, CSV or XLSX file (the station's report code). Both
//! read from the replica while it keeps up (see `db`); the answer says which served it.

use super::auth::{Caller, require};
use super::error::{ApiError, ApiQuery};
use super::state::AppState;
use crate::store::{BureauError, overview, summary};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use doorstep_station::report::{self, Lang, ReportError, SummaryFormat};
use serde::Deserialize;

/// The header that says whether the primary or the replica answered.
const SERVED_BY: &str = "x-served-by";

fn served_by(source: crate::db::Source) -> (&'static str, &'static str) {
    (
        SERVED_BY,
        match source {
            crate::db::Source::Primary => "primary",
            crate::db::Source::Replica => "replica",
        },
    )
}

#[derive(Deserialize)]
struct OverviewQuery {
    station: Option<String>,
}

async fn city_overview(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<OverviewQuery>,
) -> Result<Response, ApiError> {
    require(&state, &who, who.reads_reports(), "overview").await?;
    let (client, source) = state.db.reader().await?;
    let today = doorstep_core::time::local_today();
    let overview = overview::city(
        &**client,
        today,
        q.station.as_deref().filter(|s| !s.is_empty()),
    )
    .await?;
    Ok(([served_by(source)], Json(overview)).into_response())
}

#[derive(Deserialize)]
struct SummaryQuery {
    /// `YYYY-MM`.
    month: String,
    station: Option<String>,
    /// `json` (default), `pdf`, `csv` or `xlsx`.
    format: Option<String>,
    lang: Option<Lang>,
}

async fn monthly_summary(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> Result<Response, ApiError> {
    require(&state, &who, who.reads_reports(), "summary").await?;
    let station = q.station.as_deref().filter(|s| !s.is_empty());
    let scope = station.map_or_else(|| state.name.clone(), str::to_string);
    let (client, source) = state.db.reader().await?;
    let s = summary::monthly(&**client, &q.month, station, &scope).await?;
    let format = match q.format.as_deref().unwrap_or("json") {
        "json" => return Ok(([served_by(source)], Json(s)).into_response()),
        "pdf" => SummaryFormat::Pdf,
        "csv" => SummaryFormat::Csv,
        "xlsx" => SummaryFormat::Xlsx,
        other => {
            return Err(BureauError::Invalid(format!(
                "{other:?} is not a format: json, pdf, csv or xlsx"
            ))
            .into());
        }
    };
    let lang = q.lang.unwrap_or_default();
    let name = format!("summary-{}-{}", s.month, scope);
    let (bytes, (content_type, extension)) =
        tokio::task::spawn_blocking(move || report::summary_file(&s, lang, format))
            .await
            .map_err(|e| BureauError::Internal(e.to_string()))?
            .map_err(|e| match e {
                ReportError::NoFont => BureauError::Unavailable(e.to_string()),
                e => BureauError::Internal(e.to_string()),
            })?;
    let encoded = percent_encode(&format!("{name}.{extension}"));
    Ok((
        [
            ("content-type", content_type.to_string()),
            (
                "content-disposition",
                format!(
                    "attachment; filename=\"doorstep.{extension}\"; filename*=UTF-8''{encoded}"
                ),
            ),
            (SERVED_BY, served_by(source).1.to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// A file name for `filename*=` (RFC 5987): everything but unreserved characters percent-encoded.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/overview", get(city_overview))
        .route("/api/v1/summary", get(monthly_summary))
}
