//! The HTTP API, `/api/v1`. The router is a function of the state so tests call it directly; each
//! handler only unpacks the request, calls the store on a blocking thread, and packs the answer.
//! Errors are one enum whose variants say their status; bodies say what was wrong with the request
//! and never carry internals (those go to the log).

use crate::store::{StationError, StationStore};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_core::ids::DeviceId;
use doorstep_protocol::{
    ApiErrorBody, DeviceInfo, Health, PullResponse, PushRequest, PushResponse, limits,
};
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use tower_http::set_header::SetResponseHeaderLayer;

#[derive(Clone)]
pub struct AppState {
    store: Arc<Mutex<StationStore>>,
    password: Arc<String>,
}

impl AppState {
    pub fn new(store: StationStore, password: String) -> AppState {
        AppState {
            store: Arc::new(Mutex::new(store)),
            password: Arc::new(password),
        }
    }
}

#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    BadRequest(String),
    UnknownDevice(DeviceId),
    NotFound(String),
    Conflict(String),
    /// The request could not be read (malformed, truncated, too large): the extractor's own status.
    Unreadable(StatusCode, String),
    /// Something the station machine lacks (a font for the PDF): what to install.
    Unavailable(String),
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, message) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "wrong or missing station password".to_string(),
            ),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m),
            ApiError::UnknownDevice(d) => (
                StatusCode::FORBIDDEN,
                "unknown_device",
                format!("device {d} is not enrolled at this station"),
            ),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "already_done", m),
            ApiError::Unreadable(status, m) if status == StatusCode::PAYLOAD_TOO_LARGE => {
                (status, "too_large", m)
            }
            ApiError::Unreadable(status, m) => (status, "bad_request", m),
            ApiError::Internal(detail) => {
                eprintln!("doorstep-station: {detail}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the station could not complete the request".to_string(),
                )
            }
        };
        (
            status,
            Json(ApiErrorBody {
                error: error.into(),
                message,
            }),
        )
            .into_response()
    }
}

impl From<StationError> for ApiError {
    fn from(e: StationError) -> Self {
        match e {
            StationError::UnknownDevice(d) => ApiError::UnknownDevice(d),
            StationError::BadRequest(m) => ApiError::BadRequest(m),
            StationError::NotFound(m) => ApiError::NotFound(m),
            StationError::AlreadyDone(m) => ApiError::Conflict(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        // Keep the status (400 malformed, 413 too large, 415 not JSON), in the API's own body.
        let status = if e.status() == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            e.status()
        };
        ApiError::Unreadable(status, e.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::Unreadable(StatusCode::BAD_REQUEST, e.body_text())
    }
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given == Some(state.password.as_str()) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// Runs a store call on a blocking thread (SQLite work must not stall the async runtime).
async fn with_store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut StationStore) -> Result<T, StationError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(ApiError::from)
}

/// The API document, generated from the handlers and the wire types below.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Doorstep station API", description = "Sync between officers' laptops and their station, and the staff merge queue."),
    paths(health, enroll, devices, push, pull, conflicts, resolve, duplicates, merge, undo, tasks, assign, overview,
          worklist, summary, summary_export, export),
    components(schemas(ApiErrorBody, DeviceInfo, Health, PullResponse, PushRequest, PushResponse, Resolution, MergeDecision,
                       UndoDecision, Assignment)),
    modifiers(&BearerAuth),
    security(("station_password" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme =
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        api.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("station_password", scheme);
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(<ApiDoc as utoipa::OpenApi>::openapi())
}

/// Whether the station is up.
#[utoipa::path(get, path = "/api/v1/health", security(()), responses((status = 200, body = Health)))]
async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Enrols (or re-introduces) a laptop: its officer and beats.
#[utoipa::path(post, path = "/api/v1/devices", request_body = DeviceInfo,
    responses((status = 204, description = "enrolled"), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody)))]
async fn enroll(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<DeviceInfo>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    authorize(&state, &headers)?;
    let Json(device) = body?;
    with_store(&state, move |s| s.enroll(&device)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stores and decides a batch of a device's changes (at most 1,000; 8 MiB), in one transaction.
#[utoipa::path(post, path = "/api/v1/push", request_body = PushRequest,
    responses((status = 200, body = PushResponse), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 413, body = ApiErrorBody)))]
async fn push(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    authorize(&state, &headers)?;
    let Json(request) = body?;
    Ok(Json(
        with_store(&state, move |s| s.push(request.device_id, &request.changes)).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct PullQuery {
    device_id: DeviceId,
    #[serde(default)]
    cursor: i64,
    #[serde(default = "default_pull_limit")]
    limit: u32,
}

fn default_pull_limit() -> u32 {
    500
}

/// Records of the device's beats above its cursor, oldest version first (at most 2,000 a page).
#[utoipa::path(get, path = "/api/v1/pull", params(PullQuery),
    responses((status = 200, body = PullResponse), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody)))]
async fn pull(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullResponse>, ApiError> {
    authorize(&state, &headers)?;
    let Query(q) = query?;
    Ok(Json(
        with_store(&state, move |s| s.pull(q.device_id, q.cursor, q.limit)).await?,
    ))
}

/// The open conflicts of the merge queue.
#[utoipa::path(get, path = "/api/v1/conflicts",
    responses((status = 200, body = Vec<crate::store::Conflict>), (status = 401, body = ApiErrorBody)))]
async fn conflicts(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(with_store(&state, |s| s.open_conflicts()).await?).into_response())
}

/// A staff decision on one conflict.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Resolution {
    /// Who decides.
    pub staff: String,
    /// The value to keep: one of the two, or an edited one.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
}

/// Settles a conflict: the value is applied as a new station version and the decision recorded.
#[utoipa::path(post, path = "/api/v1/conflicts/{id}/resolve", params(("id" = i64, Path, description = "the conflict")),
    request_body = Resolution,
    responses((status = 200, description = "applied; the new version"), (status = 400, body = ApiErrorBody),
              (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Result<Json<Resolution>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&state, &headers)?;
    let Json(r) = body?;
    let version = with_store(&state, move |s| s.resolve_conflict(id, &r.staff, &r.value)).await?;
    Ok(Json(serde_json::json!({ "version": version })))
}

/// The staff pages: static files compiled into the binary (no build step, nothing to deploy beside it).
async fn staff_page() -> impl IntoResponse {
    (
        [("content-type", "text/html; charset=utf-8")],
        include_str!("../web/index.html"),
    )
}
async fn staff_script() -> impl IntoResponse {
    (
        [("content-type", "text/javascript; charset=utf-8")],
        include_str!("../web/queue.js"),
    )
}
async fn staff_overview_script() -> impl IntoResponse {
    (
        [("content-type", "text/javascript; charset=utf-8")],
        include_str!("../web/overview.js"),
    )
}
async fn staff_style() -> impl IntoResponse {
    (
        [("content-type", "text/css; charset=utf-8")],
        include_str!("../web/style.css"),
    )
}

/// The morning overview (as of the station's local date): per beat and per officer, concerns by
/// category, satisfaction, coverage over time and closure times.
#[utoipa::path(get, path = "/api/v1/overview",
    responses((status = 200, body = crate::store::Overview), (status = 401, body = ApiErrorBody)))]
async fn overview(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let today = chrono::Local::now().date_naive();
    Ok(Json(with_store(&state, move |s| s.overview(today)).await?).into_response())
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
async fn worklist(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<WorklistQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let Query(q) = query?;
    let today = chrono::Local::now().date_naive();
    let items = with_store(&state, move |s| {
        s.worklist(q.list, today, q.beat.as_deref(), q.officer.as_deref())
    })
    .await?;
    Ok(Json(items).into_response())
}

/// A file to download. Its name may hold a beat's Chinese name: it goes in its RFC 5987 form, with
/// an ASCII stand-in for old clients.
fn file(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
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
    /// `pdf`, `csv` or `xlsx` (export only).
    pub format: Option<String>,
    /// `zh-CN` (default) or `en` (export only).
    pub lang: Option<crate::report::Lang>,
}

/// The monthly work summary of the station or one beat.
#[utoipa::path(get, path = "/api/v1/summary", params(SummaryQuery),
    responses((status = 200, body = crate::store::MonthlySummary), (status = 400, body = ApiErrorBody),
              (status = 401, body = ApiErrorBody)))]
async fn summary(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<SummaryQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let Query(q) = query?;
    let summary = with_store(&state, move |s| {
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
async fn summary_export(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<SummaryQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    use crate::report::{self, ReportError};
    authorize(&state, &headers)?;
    let Query(q) = query?;
    let format = q.format.clone().unwrap_or_else(|| "pdf".into());
    let (content_type, extension) = match format.as_str() {
        "pdf" => ("application/pdf", "pdf"),
        "csv" => ("text/csv; charset=utf-8", "csv"),
        "xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        other => {
            return Err(ApiError::BadRequest(format!(
                "format {other:?}: use pdf, csv or xlsx"
            )));
        }
    };
    let lang = q.lang.unwrap_or_default();
    let summary = with_store(&state, move |s| {
        s.monthly_summary(&q.month, q.beat.as_deref())
    })
    .await?;
    let name = format!(
        "summary-{}-{}.{extension}",
        summary.month,
        summary.beat.as_deref().unwrap_or("station")
    );
    let bytes = tokio::task::spawn_blocking(move || match extension {
        "pdf" => report::pdf(&summary, lang),
        "csv" => report::csv(&summary, lang),
        _ => report::xlsx(&summary, lang),
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| match e {
        ReportError::NoFont => ApiError::Unavailable(e.to_string()),
        e => ApiError::Internal(e.to_string()),
    })?;
    Ok(file(bytes, content_type, &name))
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
    pub format: String,
    /// `visits` or `concerns` (CSV only).
    pub kind: Option<String>,
    /// `zh-CN` (default) or `en`.
    pub lang: Option<crate::report::Lang>,
}

/// Records of a date range and beat for spreadsheet software: visits and concerns, with the
/// household's address; never a confidential concern's reporter.
#[utoipa::path(get, path = "/api/v1/export", params(ExportQuery),
    responses((status = 200, description = "the file: text/csv or the XLSX type", content_type = "application/octet-stream"),
              (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody)))]
async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    use crate::report;
    authorize(&state, &headers)?;
    let Query(q) = query?;
    let date = |s: &str| {
        chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::BadRequest(format!("{s:?} is not a date: use YYYY-MM-DD")))
    };
    let (from, to) = (date(&q.from)?, date(&q.to)?);
    let kind = q.kind.clone().unwrap_or_else(|| "visits".into());
    if !matches!(q.format.as_str(), "csv" | "xlsx")
        || !matches!(kind.as_str(), "visits" | "concerns")
    {
        return Err(ApiError::BadRequest(
            "format is csv or xlsx, and kind (for CSV) visits or concerns".into(),
        ));
    }
    let lang = q.lang.unwrap_or_default();
    let format = q.format.clone();
    let (visits, concerns) = with_store(&state, move |s| {
        s.export_records(from, to, q.beat.as_deref())
    })
    .await?;
    let (bytes, content_type, name) = if format == "xlsx" {
        (
            report::records_xlsx(&visits, &concerns, lang),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("records-{from}-{to}.xlsx"),
        )
    } else {
        let table = if kind == "visits" { &visits } else { &concerns };
        (
            report::records_csv(table, lang),
            "text/csv; charset=utf-8",
            format!("{kind}-{from}-{to}.csv"),
        )
    };
    let bytes = bytes.map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(file(bytes, content_type, &name))
}

/// Open follow-up tasks, soonest due first.
#[utoipa::path(get, path = "/api/v1/tasks",
    responses((status = 200, body = Vec<crate::store::TaskView>), (status = 401, body = ApiErrorBody)))]
async fn tasks(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(with_store(&state, |s| s.open_tasks()).await?).into_response())
}

/// A staff decision on who is responsible for a task, and by when.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Assignment {
    pub staff: String,
    pub assignee: String,
    /// YYYY-MM-DD
    pub due_date: String,
}

/// (Re-)assigns a task; every device of the beat receives it on its next pull.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/assign", params(("id" = String, Path, description = "the task")),
    request_body = Assignment,
    responses((status = 200, description = "assigned; the new version"), (status = 400, body = ApiErrorBody),
              (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn assign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<Assignment>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&state, &headers)?;
    let Json(a) = body?;
    let version = with_store(&state, move |s| {
        s.assign_task(&id, &a.staff, &a.assignee, &a.due_date)
    })
    .await?;
    Ok(Json(serde_json::json!({ "version": version })))
}

/// The enrolled laptops and their last sync.
#[utoipa::path(get, path = "/api/v1/devices",
    responses((status = 200, body = Vec<crate::store::DeviceView>), (status = 401, body = ApiErrorBody)))]
async fn devices(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(with_store(&state, |s| s.devices()).await?).into_response())
}

/// Duplicate candidates still open, and merges that can be undone.
#[utoipa::path(get, path = "/api/v1/duplicates",
    responses((status = 200, body = Vec<crate::store::Duplicate>), (status = 401, body = ApiErrorBody)))]
async fn duplicates(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(with_store(&state, |s| s.duplicates()).await?).into_response())
}

/// A staff decision to merge a duplicate pair, keeping `survivor`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MergeDecision {
    pub staff: String,
    /// The id of the record that stays (one of the pair).
    pub survivor: String,
}

/// Merges a duplicate pair: the other record becomes a redirect and its children move to the survivor.
#[utoipa::path(post, path = "/api/v1/duplicates/{id}/merge", params(("id" = i64, Path, description = "the candidate")),
    request_body = MergeDecision,
    responses((status = 204, description = "merged"), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
async fn merge(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Result<Json<MergeDecision>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    authorize(&state, &headers)?;
    let Json(d) = body?;
    with_store(&state, move |s| {
        s.merge_duplicate(id, &d.staff, &d.survivor)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who undoes a merge.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct UndoDecision {
    pub staff: String,
}

/// Undoes a merge: the other record and its children come back.
#[utoipa::path(post, path = "/api/v1/duplicates/{id}/undo", params(("id" = i64, Path, description = "the merged pair")),
    request_body = UndoDecision,
    responses((status = 204, description = "undone"), (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
              (status = 409, body = ApiErrorBody)))]
async fn undo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Result<Json<UndoDecision>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    authorize(&state, &headers)?;
    let Json(d) = body?;
    with_store(&state, move |s| s.undo_merge(id, &d.staff)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Headers every answer carries: the staff pages load only their own scripts, styles and data
/// (no inline script, no framing by other sites), and nothing is sniffed or leaked in referrers.
const SECURITY_HEADERS: &[(axum::http::HeaderName, &str)] = &[
    (
        axum::http::header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (axum::http::header::X_FRAME_OPTIONS, "DENY"),
    (axum::http::header::REFERRER_POLICY, "no-referrer"),
];

pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .route("/", get(staff_page))
        .route("/staff/queue.js", get(staff_script))
        .route("/staff/overview.js", get(staff_overview_script))
        .route("/staff/style.css", get(staff_style))
        .route("/api/v1/health", get(health))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/devices", post(enroll).get(devices))
        .route("/api/v1/push", post(push))
        .route("/api/v1/pull", get(pull))
        .route("/api/v1/conflicts", get(conflicts))
        .route("/api/v1/conflicts/{id}/resolve", post(resolve))
        .route("/api/v1/duplicates", get(duplicates))
        .route("/api/v1/tasks", get(tasks))
        .route("/api/v1/overview", get(overview))
        .route("/api/v1/worklist", get(worklist))
        .route("/api/v1/summary", get(summary))
        .route("/api/v1/summary/export", get(summary_export))
        .route("/api/v1/export", get(export))
        .route("/api/v1/tasks/{id}/assign", post(assign))
        .route("/api/v1/duplicates/{id}/merge", post(merge))
        .route("/api/v1/duplicates/{id}/undo", post(undo))
        .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
        .with_state(state);
    SECURITY_HEADERS
        .iter()
        .fold(router, |router, (name, value)| {
            router.layer(SetResponseHeaderLayer::overriding(
                name.clone(),
                HeaderValue::from_static(value),
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn router() -> (Router, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = StationStore::open(&dir.path().join("station.sqlite")).unwrap();
        (app(AppState::new(store, "pw".into())), dir)
    }

    async fn call(router: Router, request: Request<Body>) -> (StatusCode, String) {
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_staff_pages_come_with_a_strict_security_policy() {
        let (router, _dir) = router();
        let response = router
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let csp = header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
    }

    #[tokio::test]
    async fn the_openapi_document_describes_every_route() {
        let (router, _dir) = router();
        let (status, body) = call(
            router,
            Request::get("/api/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
        for path in [
            "/api/v1/health",
            "/api/v1/devices",
            "/api/v1/push",
            "/api/v1/pull",
            "/api/v1/conflicts",
            "/api/v1/conflicts/{id}/resolve",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} missing");
        }
        assert!(doc["components"]["schemas"]["PushRequest"].is_object());
        assert!(
            doc["components"]["schemas"]["Change"].is_object(),
            "the change is described, not opaque"
        );
    }

    #[tokio::test]
    async fn health_answers_without_a_password() {
        let (router, _dir) = router();
        let (status, body) = call(
            router,
            Request::get("/api/v1/health").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("\"ok\""));
    }

    #[tokio::test]
    async fn a_push_without_the_station_password_is_refused() {
        let (router, _dir) = router();
        let request = Request::post("/api/v1/push")
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (status, body) = call(router, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("unauthorized"));
    }

    #[tokio::test]
    async fn an_oversized_body_is_refused_before_it_is_read() {
        let (router, _dir) = router();
        let big = vec![b' '; limits::MAX_BODY_BYTES + 1];
        let request = Request::post("/api/v1/push")
            .header("content-type", "application/json")
            .header("authorization", "Bearer pw")
            .body(Body::from(big))
            .unwrap();
        let (status, _) = call(router, request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn resolving_a_conflict_that_does_not_exist_is_404() {
        let (router, _dir) = router();
        let request = Request::post("/api/v1/conflicts/42/resolve")
            .header("content-type", "application/json")
            .header("authorization", "Bearer pw")
            .body(Body::from(r#"{"staff": "李所长", "value": 1}"#))
            .unwrap();
        let (status, body) = call(router, request).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
}
