//! What staff read and take away: the morning overview and the records behind its numbers, the
//! monthly work summary (as data, PDF, CSV or XLSX), and records of a date range as spreadsheets.

use super::auth::{Caller, require_beat, require_staff};
use super::error::{ApiError, ApiQuery};
use super::state::{AppState, with_reader, with_store};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use doorstep_protocol::ApiErrorBody;
use serde::Deserialize;

/// The morning overview (as of the station's local date): per beat and per officer, concerns by
/// category, satisfaction, coverage over time and closure times.
#[utoipa::path(get, path = "/api/v1/overview",
    responses((status = 200, body = crate::store::Overview), (status = 401, body = ApiErrorBody)))]
pub(super) async fn overview(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require_staff(&state, &caller, "overview").await?;
    let today = chrono::Local::now().date_naive();
    // Read-only since its coverage is kept with each write: a reading connection, beside pushes.
    Ok(Json(with_reader(&state, move |s| s.overview(today)).await?).into_response())
}

/// Which records behind a number of the overview to list.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct WorklistQuery {
    pub list: crate::store::Worklist,
    /// Only this beat.
    pub beat: Option<String>,
    /// Only tasks assigned to this officer.
    pub officer: Option<String>,
}

/// The records behind a number of the overview (at most 500).
#[utoipa::path(get, path = "/api/v1/worklist", params(WorklistQuery),
    responses((status = 200, body = Vec<crate::store::WorklistItem>), (status = 400, body = ApiErrorBody),
              (status = 401, body = ApiErrorBody)))]
pub(super) async fn worklist(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<WorklistQuery>,
) -> Result<Response, ApiError> {
    require_beat(&state, &caller, q.beat.as_deref(), "worklist").await?;
    let today = chrono::Local::now().date_naive();
    let items = with_reader(&state, move |s| {
        s.worklist(q.list, today, q.beat.as_deref(), q.officer.as_deref())
    })
    .await?;
    Ok(Json(items).into_response())
}

/// A file to download. Its name may hold a beat's Chinese name: it goes in its RFC 5987 form, with
/// an ASCII stand-in for old clients.
pub(super) fn file(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    let extension = name.rsplit('.').next().unwrap_or("bin");
    (
        [
            ("content-type", content_type.to_string()),
            (
                "content-disposition",
                format!(
                    "attachment; filename=\"doorstep.{extension}\"; filename*=UTF-8''{encoded}"
                ),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Which month's summary, of which beat (all beats if none), and as what.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct SummaryQuery {
    /// `YYYY-MM`.
    pub month: String,
    pub beat: Option<String>,
    /// `pdf` (default), `csv` or `xlsx` (export only).
    pub format: Option<crate::report::SummaryFormat>,
    /// `zh-CN` (default) or `en` (export only).
    pub lang: Option<crate::report::Lang>,
}

/// The monthly work summary of the station or one beat.
#[utoipa::path(get, path = "/api/v1/summary", params(SummaryQuery),
    responses((status = 200, body = crate::store::MonthlySummary), (status = 400, body = ApiErrorBody),
              (status = 401, body = ApiErrorBody)))]
pub(super) async fn summary(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> Result<Response, ApiError> {
    require_beat(&state, &caller, q.beat.as_deref(), "summary").await?;
    let summary = with_reader(&state, move |s| {
        s.monthly_summary(&q.month, q.beat.as_deref())
    })
    .await?;
    Ok(Json(summary).into_response())
}

/// The monthly work summary as a file: a printable PDF, CSV (UTF-8 with BOM) or XLSX.
#[utoipa::path(get, path = "/api/v1/summary/export", params(SummaryQuery),
    responses((status = 200, description = "the file: application/pdf, text/csv or the XLSX type",
               content_type = "application/octet-stream"),
              (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 503, description = "no Chinese font on the station machine", body = ApiErrorBody)))]
pub(super) async fn summary_export(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> Result<Response, ApiError> {
    use crate::report::{self, ReportError};
    require_beat(&state, &caller, q.beat.as_deref(), "summary_export").await?;
    let format = q.format.unwrap_or_default();
    let lang = q.lang.unwrap_or_default();
    let summary = with_reader(&state, move |s| {
        s.monthly_summary(&q.month, q.beat.as_deref())
    })
    .await?;
    let name = format!(
        "summary-{}-{}",
        summary.month,
        summary.beat.as_deref().unwrap_or("station")
    );
    let (bytes, (content_type, extension)) =
        tokio::task::spawn_blocking(move || report::summary_file(&summary, lang, format))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(|e| match e {
                ReportError::NoFont => ApiError::Unavailable(e.to_string()),
                e => ApiError::Internal(e.to_string()),
            })?;
    Ok(file(bytes, content_type, &format!("{name}.{extension}")))
}

/// Which records to export: a date range (local dates, both included), a beat, and the file.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// YYYY-MM-DD.
    pub from: String,
    /// YYYY-MM-DD.
    pub to: String,
    pub beat: Option<String>,
    /// `xlsx` (visits and concerns, a sheet each) or `csv` (one kind, see `kind`).
    pub format: crate::report::ExportFormat,
    /// `visits` (default) or `concerns` (CSV only).
    pub kind: Option<crate::report::RecordKind>,
    /// `zh-CN` (default) or `en`.
    pub lang: Option<crate::report::Lang>,
}

/// Records of a date range and beat for spreadsheet software: visits and concerns, with the
/// household's address; never a confidential concern's reporter.
#[utoipa::path(get, path = "/api/v1/export", params(ExportQuery),
    responses((status = 200, description = "the file: text/csv or the XLSX type", content_type = "application/octet-stream"),
              (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody)))]
pub(super) async fn export(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    use crate::report::{self, ExportFormat, RecordKind};
    require_beat(&state, &caller, q.beat.as_deref(), "export").await?;
    let date = |s: &str| {
        chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::BadRequest(format!("{s:?} is not a date: use YYYY-MM-DD")))
    };
    let (from, to) = (date(&q.from)?, date(&q.to)?);
    let kind = q.kind.unwrap_or_default();
    let lang = q.lang.unwrap_or_default();
    let format = q.format;
    let chief = caller
        .sees_confidential_reporters()
        .then(|| caller.username.clone());
    let (visits, concerns) = with_store(&state, move |s| {
        s.export_records(from, to, q.beat.as_deref(), chief.as_deref())
    })
    .await?;
    let (bytes, content_type, name) = match format {
        ExportFormat::Xlsx => (
            report::records_xlsx(&visits, &concerns, lang),
            report::XLSX.0,
            format!("records-{from}-{to}.xlsx"),
        ),
        ExportFormat::Csv => {
            let table = match kind {
                RecordKind::Visits => &visits,
                RecordKind::Concerns => &concerns,
            };
            (
                report::records_csv(table, lang),
                report::CSV.0,
                format!("{}-{from}-{to}.csv", kind.as_str()),
            )
        }
    };
    let bytes = bytes.map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(file(bytes, content_type, &name))
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/overview", get(overview))
        .route("/api/v1/worklist", get(worklist))
        .route("/api/v1/summary", get(summary))
        .route("/api/v1/summary/export", get(summary_export))
        .route("/api/v1/export", get(export))
}
