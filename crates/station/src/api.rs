//! The HTTP API, `/api/v1`. The router is a function of the state so tests call it directly; each
//! handler only unpacks the request, calls the store on a blocking thread, and packs the answer.
//! Errors are one enum whose variants say their status; bodies say what was wrong with the request
//! and never carry internals (those go to the log).

use crate::auth::{Caller, ClientAddr, require};
use crate::store::{
    Account, AccountUpdate, AuditEntry, AuditFilter, ConcernView, EnrollmentCode, NewAccount,
    Principal, PullScope, Role, verify_password,
};
use crate::store::{StationError, StationStore};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_core::ids::DeviceId;
use doorstep_protocol::{
    ApiErrorBody, EnrollRequest, EnrollResponse, Health, PullResponse, PushRequest, PushResponse,
    Scopes, limits, refusals,
};
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use tower_http::set_header::SetResponseHeaderLayer;

#[derive(Clone)]
pub struct AppState {
    store: Arc<Mutex<StationStore>>,
    /// Session cookies are marked `Secure` when the station serves HTTPS.
    secure_cookies: bool,
}

impl AppState {
    pub fn new(store: StationStore, secure_cookies: bool) -> AppState {
        AppState {
            store: Arc::new(Mutex::new(store)),
            secure_cookies,
        }
    }
}

#[derive(Debug)]
pub enum ApiError {
    /// No credential, or one the station does not know (any more).
    Unauthorized(String),
    /// A known caller asking for what their roles or beats do not allow.
    Forbidden(String),
    /// A revoked laptop: nothing it sends is stored.
    Revoked,
    /// A revoked laptop that must erase its data.
    Wipe,
    /// Too many wrong passwords: try again after this many seconds.
    TooManyAttempts(i64),
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
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            ApiError::Revoked => (
                StatusCode::FORBIDDEN,
                refusals::REVOKED,
                "this laptop has been revoked by the station's administrator".to_string(),
            ),
            ApiError::Wipe => (
                StatusCode::GONE,
                refusals::WIPE,
                "this laptop has been revoked and must erase its data".to_string(),
            ),
            ApiError::TooManyAttempts(secs) => {
                let body = ApiErrorBody {
                    error: "too_many_attempts".into(),
                    message: format!(
                        "too many wrong passwords: try again in {} minutes",
                        (secs + 59) / 60
                    ),
                };
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", secs.to_string())],
                    Json(body),
                )
                    .into_response();
            }
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
            StationError::Unauthorized(m) => ApiError::Unauthorized(m),
            StationError::Forbidden(m) => ApiError::Forbidden(m),
            StationError::TooManyAttempts(secs) => ApiError::TooManyAttempts(secs),
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

/// Runs a store call on a blocking thread (SQLite work must not stall the async runtime).
pub(crate) async fn with_store<T: Send + 'static>(
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

/// Staff work (merge queue, tasks, the whole station's figures): staff and the chief.
async fn require_staff(state: &AppState, caller: &Principal, action: &str) -> Result<(), ApiError> {
    require(state, caller, caller.sees_station_records(), action, "").await
}

/// A read of one beat (an officer's own) or, without a beat, of the whole station (staff, chief).
async fn require_beat(
    state: &AppState,
    caller: &Principal,
    beat: Option<&str>,
    action: &str,
) -> Result<(), ApiError> {
    match beat {
        Some(beat) => require(state, caller, caller.may_read_beat(beat), action, beat).await,
        None => require_staff(state, caller, action).await,
    }
}

/// The API document, generated from the handlers and the wire types below.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Doorstep station API", description = "Sync between officers' laptops and their station, and the staff merge queue."),
    paths(health, enroll, sign_in, session_info, sign_out, accounts, create_account, update_account, enrollment_code,
          revoke, audit, audit_export, concern, devices, push, pull, scopes, officers, conflicts, resolve, duplicates, merge, undo, tasks, assign, overview,
          worklist, summary, summary_export, export),
    components(schemas(ApiErrorBody, EnrollRequest, EnrollResponse, SignIn, SessionInfo, Revocation, Account, NewAccount,
                       AccountUpdate, EnrollmentCode, AuditEntry, ConcernView, Principal, Role, crate::report::Lang,
                       crate::store::Worklist, Health, PullResponse, Scopes, PushRequest, PushResponse, Resolution, MergeDecision,
                       Assignment)),
    modifiers(&BearerAuth),
    security(("session" = []))
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
            .add_security_scheme("session", scheme);
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

/// Enrols a laptop with a one-time code an administrator issued for its officer: the laptop receives
/// its own credential and the officer's beats. The code is the credential here; it works once.
#[utoipa::path(post, path = "/api/v1/enroll", request_body = EnrollRequest, security(()),
    responses((status = 200, body = EnrollResponse), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 409, body = ApiErrorBody)))]
async fn enroll(
    State(state): State<AppState>,
    body: Result<Json<EnrollRequest>, JsonRejection>,
) -> Result<Json<EnrollResponse>, ApiError> {
    let Json(r) = body?;
    Ok(Json(
        with_store(&state, move |s| {
            s.enroll_with_code(&r.code, r.device_id, r.officer_id, r.acked_seq)
        })
        .await?,
    ))
}

/// Stores and decides a batch of a device's changes (at most 1,000; 8 MiB), in one transaction.
#[utoipa::path(post, path = "/api/v1/push", request_body = PushRequest,
    responses((status = 200, body = PushResponse), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 413, body = ApiErrorBody)))]
async fn push(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    let Json(request) = body?;
    let own = caller.device_id == Some(request.device_id);
    require(&state, &caller, own, "push", &request.device_id.to_string()).await?;
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
    /// `beat:NAME` (one of the account's beats) or `tasks` (tasks assigned to the account in other
    /// beats); without it, all of them from one cursor.
    scope: Option<String>,
    /// Only this one of the officer's beats (the same as `scope=beat:NAME`).
    beat: Option<String>,
}

fn default_pull_limit() -> u32 {
    500
}

/// Records of one of the device's scopes above its cursor, oldest version first (at most 2,000 a
/// page), with the records that left the scope since.
#[utoipa::path(get, path = "/api/v1/pull", params(PullQuery),
    responses((status = 200, body = PullResponse), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody)))]
async fn pull(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullResponse>, ApiError> {
    let Query(q) = query?;
    let own = caller.device_id == Some(q.device_id);
    require(&state, &caller, own, "pull", &q.device_id.to_string()).await?;
    let scope = match (&q.beat, &q.scope) {
        (Some(beat), _) => PullScope::Beat(beat.clone()),
        (None, scope) => PullScope::parse(scope.as_deref())
            .ok_or(ApiError::BadRequest("scope is beat:NAME or tasks".into()))?,
    };
    if let PullScope::Beat(beat) = &scope {
        require(
            &state,
            &caller,
            caller.beats.contains(beat),
            "read_beat",
            beat,
        )
        .await?;
    }
    Ok(Json(
        with_store(&state, move |s| {
            s.pull(q.device_id, q.cursor, q.limit, &scope, &caller)
        })
        .await?,
    ))
}

/// What the device's account works on now: its beats (each a scope to pull) and its name.
#[utoipa::path(get, path = "/api/v1/scopes",
    responses((status = 200, body = Scopes), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn scopes(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Scopes>, ApiError> {
    if caller.device_id.is_none() {
        return Err(ApiError::Forbidden(
            "scopes are for enrolled laptops".into(),
        ));
    }
    let officers = with_store(&state, |s| s.officers()).await?;
    Ok(Json(Scopes {
        beats: caller.beats,
        officer_name: caller.display_name,
        account_id: caller.account_id,
        officers,
    }))
}

/// The station's active officers, to choose a task's person responsible from (staff, laptops).
#[utoipa::path(get, path = "/api/v1/officers",
    responses((status = 200, body = Vec<doorstep_protocol::Officer>), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody)))]
async fn officers(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    let allowed = caller.sees_station_records() || caller.device_id.is_some();
    require(&state, &caller, allowed, "officers", "").await?;
    Ok(Json(with_store(&state, |s| s.officers()).await?).into_response())
}

/// The open conflicts of the merge queue.
#[utoipa::path(get, path = "/api/v1/conflicts",
    responses((status = 200, body = Vec<crate::store::Conflict>), (status = 401, body = ApiErrorBody)))]
async fn conflicts(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require_staff(&state, &caller, "conflicts").await?;
    Ok(Json(with_store(&state, move |s| s.conflicts_for(&caller)).await?).into_response())
}

/// A staff decision on one conflict.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Resolution {
    /// The value to keep: one of the two, or an edited one.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    /// The two values as the queue showed them when staff chose. If either has changed since (a
    /// later edit of the field moved the conflict onto its value), the choice is refused with 409
    /// and the queue shown again, so no one settles a conflict they have not seen.
    #[serde(default)]
    pub seen: Option<SeenConflict>,
}

/// A conflict's two values as staff saw them.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SeenConflict {
    #[schema(value_type = Object)]
    pub station_value: serde_json::Value,
    #[schema(value_type = Object)]
    pub incoming_value: serde_json::Value,
}

/// Settles a conflict: the value is applied as a new station version and the decision recorded.
#[utoipa::path(post, path = "/api/v1/conflicts/{id}/resolve", params(("id" = i64, Path, description = "the conflict")),
    request_body = Resolution,
    responses((status = 200, description = "applied; the new version"), (status = 400, body = ApiErrorBody),
              (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
async fn resolve(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<i64>,
    body: Result<Json<Resolution>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_staff(&state, &caller, "resolve").await?;
    let Json(r) = body?;
    let confidential = with_store(&state, move |s| s.conflict_is_confidential(id)).await?;
    if confidential {
        let target = format!("conflict {id}");
        require(
            &state,
            &caller,
            caller.sees_confidential_reporters(),
            "resolve_confidential",
            &target,
        )
        .await?;
    }
    let version = with_store(&state, move |s| {
        let seen = r.seen.map(|v| (v.station_value, v.incoming_value));
        s.resolve_conflict(id, &caller.display_name, &r.value, seen.as_ref())
    })
    .await?;
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
async fn staff_admin_script() -> impl IntoResponse {
    (
        [("content-type", "text/javascript; charset=utf-8")],
        include_str!("../web/admin.js"),
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
async fn overview(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require_staff(&state, &caller, "overview").await?;
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
    Caller(caller): Caller,
    query: Result<Query<WorklistQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    require_beat(&state, &caller, q.beat.as_deref(), "worklist").await?;
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
    Caller(caller): Caller,
    query: Result<Query<SummaryQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    require_beat(&state, &caller, q.beat.as_deref(), "summary").await?;
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
    Caller(caller): Caller,
    query: Result<Query<SummaryQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    use crate::report::{self, ReportError};

    let Query(q) = query?;
    require_beat(&state, &caller, q.beat.as_deref(), "summary_export").await?;
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
    Caller(caller): Caller,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    use crate::report;

    let Query(q) = query?;
    require_beat(&state, &caller, q.beat.as_deref(), "export").await?;
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
    let chief = caller
        .sees_confidential_reporters()
        .then(|| caller.username.clone());
    let (visits, concerns) = with_store(&state, move |s| {
        s.export_records(from, to, q.beat.as_deref(), chief.as_deref())
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
async fn tasks(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require_staff(&state, &caller, "tasks").await?;
    Ok(Json(with_store(&state, |s| s.open_tasks()).await?).into_response())
}

/// A staff decision on who is responsible for a task, and by when.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Assignment {
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
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Json<Assignment>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_staff(&state, &caller, "assign").await?;
    let Json(a) = body?;
    let version = with_store(&state, move |s| {
        s.assign_task(&id, &caller.display_name, &a.assignee, &a.due_date)
    })
    .await?;
    Ok(Json(serde_json::json!({ "version": version })))
}

/// The enrolled laptops and their last sync.
#[utoipa::path(get, path = "/api/v1/devices",
    responses((status = 200, body = Vec<crate::store::DeviceView>), (status = 401, body = ApiErrorBody)))]
async fn devices(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require(&state, &caller, caller.oversees_station(), "devices", "").await?;
    Ok(Json(with_store(&state, |s| s.devices()).await?).into_response())
}

/// Duplicate candidates still open, and merges that can be undone.
#[utoipa::path(get, path = "/api/v1/duplicates",
    responses((status = 200, body = Vec<crate::store::Duplicate>), (status = 401, body = ApiErrorBody)))]
async fn duplicates(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require_staff(&state, &caller, "duplicates").await?;
    Ok(Json(with_store(&state, |s| s.duplicates()).await?).into_response())
}

/// A staff decision to merge a duplicate pair, keeping `survivor`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MergeDecision {
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
    Caller(caller): Caller,
    Path(id): Path<i64>,
    body: Result<Json<MergeDecision>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    require_staff(&state, &caller, "merge").await?;
    let Json(d) = body?;
    with_store(&state, move |s| {
        s.merge_duplicate(id, &caller.display_name, &d.survivor)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Undoes a merge: the other record and its children come back.
#[utoipa::path(post, path = "/api/v1/duplicates/{id}/undo", params(("id" = i64, Path, description = "the merged pair")),
    responses((status = 204, description = "undone"), (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
              (status = 409, body = ApiErrorBody)))]
async fn undo(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    require_staff(&state, &caller, "undo").await?;
    with_store(&state, move |s| s.undo_merge(id, &caller.display_name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A sign-in on the staff pages (or by an API client).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SignIn {
    pub username: String,
    pub password: String,
}

/// A live session: who is signed in, and the CSRF token the pages send with every change.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub account: Principal,
    pub csrf: String,
}

/// A hash to check against when the username is unknown, so that an unknown name takes as long to
/// refuse as a wrong password.
static DECOY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| crate::store::hash_password("decoy password").unwrap_or_default());

fn session_cookie(value: &str, secure: bool, remove: bool) -> HeaderValue {
    let mut cookie = cookie::Cookie::build((crate::auth::SESSION_COOKIE, value.to_string()))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(secure)
        .path("/");
    if remove {
        cookie = cookie.max_age(cookie::time::Duration::ZERO);
    }
    HeaderValue::from_str(&cookie.build().to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// Signs in: a session cookie (`HttpOnly`, `SameSite=Strict`) and the CSRF token. The session token
/// is only in the cookie, never in the body where a page's script could read it (API clients take
/// it from `Set-Cookie` and may send it as `Authorization: Bearer …`). Five wrong passwords for an
/// account within 15 minutes lock it for the rest of that time.
#[utoipa::path(post, path = "/api/v1/session", request_body = SignIn, security(()),
    responses((status = 200, body = SessionInfo), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 429, body = ApiErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    body: Result<Json<SignIn>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body?;
    let username = request.username.clone();
    let (client_for_check, client_for_failure) = (client.clone(), client.clone());
    let candidate = with_store(&state, move |s| {
        s.sign_in_candidate(&username, &client_for_check)
    })
    .await?;
    let password = request.password;
    let account = tokio::task::spawn_blocking(move || match candidate {
        Some((account, hash)) => verify_password(&password, &hash).then_some(account),
        None => {
            verify_password(&password, &DECOY_HASH);
            None
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(account) = account else {
        let username = request.username;
        with_store(&state, move |s| {
            s.record_sign_in_failure(&username, &client_for_failure)
        })
        .await?;
        return Err(ApiError::Unauthorized("wrong username or password".into()));
    };
    let session = with_store(&state, move |s| s.open_session(account, &client)).await?;
    Ok((
        [(
            axum::http::header::SET_COOKIE,
            session_cookie(&session.token, state.secure_cookies, false),
        )],
        Json(SessionInfo {
            account: session.account,
            csrf: session.csrf,
        }),
    )
        .into_response())
}

/// Who is signed in (the pages ask on load), with the session's CSRF token.
#[utoipa::path(get, path = "/api/v1/session",
    responses((status = 200, body = SessionInfo), (status = 401, body = ApiErrorBody)))]
async fn session_info(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<SessionInfo>, ApiError> {
    let token = crate::auth::session_token(&headers)
        .ok_or(ApiError::Unauthorized("sign in first".into()))?;
    let (account, csrf) = with_store(&state, move |s| s.session(&token))
        .await?
        .ok_or(ApiError::Unauthorized(
            "the session has expired or is not known: sign in again".into(),
        ))?;
    Ok(Json(SessionInfo { account, csrf }))
}

/// Signs out: the session ends at the station and the cookie is cleared.
#[utoipa::path(delete, path = "/api/v1/session",
    responses((status = 204, description = "signed out"), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn sign_out(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = crate::auth::session_token(&headers) {
        with_store(&state, move |s| s.close_session(&token, &caller.username)).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(
            axum::http::header::SET_COOKIE,
            session_cookie("", state.secure_cookies, true),
        )],
    )
        .into_response())
}

async fn require_admin(state: &AppState, caller: &Principal, action: &str) -> Result<(), ApiError> {
    require(state, caller, caller.has(Role::Admin), action, "").await
}

/// The station's accounts (administrators).
#[utoipa::path(get, path = "/api/v1/accounts",
    responses((status = 200, body = Vec<Account>), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn accounts(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require_admin(&state, &caller, "accounts").await?;
    Ok(Json(with_store(&state, |s| s.accounts()).await?).into_response())
}

/// Creates an account (administrators). Passwords need at least 10 characters.
#[utoipa::path(post, path = "/api/v1/accounts", request_body = NewAccount,
    responses((status = 200, body = Account), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
async fn create_account(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Result<Json<NewAccount>, JsonRejection>,
) -> Result<Json<Account>, ApiError> {
    require_admin(&state, &caller, "create_account").await?;
    let Json(new) = body?;
    Ok(Json(
        with_store(&state, move |s| s.create_account(&caller.username, &new)).await?,
    ))
}

/// Changes an account: name, roles, beats, active, password (administrators). Deactivating or
/// setting a password ends its sessions; its laptops follow its beats.
#[utoipa::path(post, path = "/api/v1/accounts/{id}", params(("id" = String, Path, description = "the account")),
    request_body = AccountUpdate,
    responses((status = 200, body = Account), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn update_account(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Json<AccountUpdate>, JsonRejection>,
) -> Result<Json<Account>, ApiError> {
    require_admin(&state, &caller, "update_account").await?;
    let Json(update) = body?;
    Ok(Json(
        with_store(&state, move |s| {
            s.update_account(&caller.username, &id, &update)
        })
        .await?,
    ))
}

/// Issues a one-time enrolment code for a laptop of an officer's account (administrators); good for
/// 24 hours and one laptop.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/enrollment-code", params(("id" = String, Path, description = "the officer's account")),
    responses((status = 200, body = EnrollmentCode), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn enrollment_code(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<EnrollmentCode>, ApiError> {
    require_admin(&state, &caller, "enrollment_code").await?;
    Ok(Json(
        with_store(&state, move |s| {
            s.issue_enrollment_code(&caller.username, &id)
        })
        .await?,
    ))
}

/// An administrator's decision about a lost or handed-on laptop.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Revocation {
    /// Also have it erase its local data on its next contact.
    #[serde(default)]
    pub wipe: bool,
}

/// Revokes a laptop (administrators): its syncs are refused from now on, and with `wipe` it erases
/// its data when it next reaches the station.
#[utoipa::path(post, path = "/api/v1/devices/{id}/revoke", params(("id" = String, Path, description = "the device")),
    request_body = Revocation,
    responses((status = 204, description = "revoked"), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<DeviceId>,
    body: Result<Json<Revocation>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    require_admin(&state, &caller, "revoke").await?;
    let Json(r) = body?;
    with_store(&state, move |s| {
        s.revoke_device(&caller.username, id, r.wipe)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit trail, newest first: security events, staff decisions and every change received
/// (staff, chief and administrators). Nothing in the API edits or deletes it.
#[utoipa::path(get, path = "/api/v1/audit", params(AuditFilter),
    responses((status = 200, body = Vec<AuditEntry>), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody)))]
async fn audit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<AuditFilter>, QueryRejection>,
) -> Result<Response, ApiError> {
    require(&state, &caller, caller.oversees_station(), "audit", "").await?;
    let Query(filter) = query?;
    Ok(Json(with_store(&state, move |s| s.audit_trail(&filter)).await?).into_response())
}

/// The audit trail as filtered, as CSV (UTF-8 with BOM) for spreadsheet software.
#[utoipa::path(get, path = "/api/v1/audit/export", params(AuditFilter),
    responses((status = 200, description = "text/csv", content_type = "text/csv"), (status = 400, body = ApiErrorBody),
              (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn audit_export(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<AuditFilter>, QueryRejection>,
) -> Result<Response, ApiError> {
    require(
        &state,
        &caller,
        caller.oversees_station(),
        "audit_export",
        "",
    )
    .await?;
    let Query(mut filter) = query?;
    filter.limit = Some(filter.limit.unwrap_or(10_000));
    let who = caller.username.clone();
    let entries = with_store(&state, move |s| {
        let entries = s.audit_trail(&filter)?;
        s.audit(
            &who,
            None,
            "audit_export",
            "",
            crate::store::Outcome::Ok,
            &format!("{} entries", entries.len()),
        )?;
        Ok(entries)
    })
    .await?;
    let bytes =
        crate::report::audit_csv(&entries).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(file(bytes, "text/csv; charset=utf-8", "audit.csv"))
}

/// One concern, for staff and the chief or an officer of its beat. A confidential concern's
/// reporter is shown only to the chief and the officer who recorded it; every read of a
/// confidential concern is logged.
#[utoipa::path(get, path = "/api/v1/concerns/{id}", params(("id" = String, Path, description = "the concern")),
    responses((status = 200, body = ConcernView), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
              (status = 404, body = ApiErrorBody)))]
async fn concern(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<ConcernView>, ApiError> {
    Ok(Json(
        with_store(&state, move |s| s.concern_view(&id, &caller)).await?,
    ))
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

/// Reads a request's whole body (up to the limit) before anything may answer it. An answer given
/// before the body is read (a 401 from the credential check, a 400 for a malformed path) makes
/// hyper drop the connection when the body arrives later, after an answer that promised
/// keep-alive: the client's next request on that pooled connection then fails as a network error
/// (test: `an_answer_given_before_the_body_is_read_keeps_the_connection_usable`). Every handler
/// buffers its JSON body anyway, so this costs no memory the handler would not have spent.
async fn read_body_first(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limits::MAX_BODY_BYTES).await {
        Ok(bytes) => {
            next.run(axum::extract::Request::from_parts(parts, bytes.into()))
                .await
        }
        Err(e) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            let answer = if too_large {
                ApiError::Unreadable(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the request is larger than the station accepts ({} MiB)",
                        limits::MAX_BODY_BYTES / (1024 * 1024)
                    ),
                )
            } else {
                ApiError::Unreadable(
                    StatusCode::BAD_REQUEST,
                    format!("the request's body could not be read: {e}"),
                )
            };
            // The rest of the body is not read: the connection cannot carry another request.
            ([(axum::http::header::CONNECTION, "close")], answer).into_response()
        }
    }
}

pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .route("/", get(staff_page))
        .route("/staff/queue.js", get(staff_script))
        .route("/staff/overview.js", get(staff_overview_script))
        .route("/staff/admin.js", get(staff_admin_script))
        .route("/staff/style.css", get(staff_style))
        .route("/api/v1/health", get(health))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/enroll", post(enroll))
        .route(
            "/api/v1/session",
            post(sign_in).get(session_info).delete(sign_out),
        )
        .route("/api/v1/accounts", get(accounts).post(create_account))
        .route("/api/v1/accounts/{id}", post(update_account))
        .route(
            "/api/v1/accounts/{id}/enrollment-code",
            post(enrollment_code),
        )
        .route("/api/v1/devices", get(devices))
        .route("/api/v1/devices/{id}/revoke", post(revoke))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/audit/export", get(audit_export))
        .route("/api/v1/concerns/{id}", get(concern))
        .route("/api/v1/push", post(push))
        .route("/api/v1/pull", get(pull))
        .route("/api/v1/scopes", get(scopes))
        .route("/api/v1/officers", get(officers))
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
        .layer(axum::middleware::from_fn(read_body_first))
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

    const ADMIN_PASSWORD: &str = "admin-password-1";

    fn router() -> (Router, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = StationStore::open(&dir.path().join("station.sqlite")).unwrap();
        store.bootstrap_admin("admin", ADMIN_PASSWORD).unwrap();
        store
            .create_account(
                "test",
                &NewAccount {
                    username: "staff".into(),
                    display_name: "王文员".into(),
                    roles: vec![Role::Staff],
                    beats: vec![],
                    password: "staff-password-1".into(),
                },
            )
            .unwrap();
        (app(AppState::new(store, false)), dir)
    }

    /// Signs in and returns the cookie header value and the CSRF token.
    async fn sign_in(
        router: &Router,
        username: &str,
        password: &str,
    ) -> (StatusCode, String, String) {
        sign_in_from(router, username, password, None).await
    }

    /// Signs in from a client address (as the server's connection info gives it).
    async fn sign_in_from(
        router: &Router,
        username: &str,
        password: &str,
        from: Option<&str>,
    ) -> (StatusCode, String, String) {
        let body = serde_json::json!({"username": username, "password": password}).to_string();
        let mut request = Request::post("/api/v1/session")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        if let Some(from) = from {
            let addr: std::net::SocketAddr = format!("{from}:40000").parse().unwrap();
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(addr));
        }
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        assert!(
            body.get("token").is_none(),
            "the session token is only in the HttpOnly cookie: {body}"
        );
        let cookie = cookie.split(';').next().unwrap_or_default().to_string();
        (
            status,
            cookie,
            body["csrf"].as_str().unwrap_or_default().to_string(),
        )
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
    async fn a_push_without_a_credential_is_refused() {
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
        let (_, cookie, csrf) = sign_in(&router, "staff", "staff-password-1").await;
        let big = vec![b' '; limits::MAX_BODY_BYTES + 1];
        let request = Request::post("/api/v1/push")
            .header("content-type", "application/json")
            .header("cookie", cookie)
            .header(crate::auth::CSRF_HEADER, csrf)
            .body(Body::from(big))
            .unwrap();
        let (status, _) = call(router, request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn resolving_a_conflict_that_does_not_exist_is_404() {
        let (router, _dir) = router();
        let (_, cookie, csrf) = sign_in(&router, "staff", "staff-password-1").await;
        let request = Request::post("/api/v1/conflicts/42/resolve")
            .header("content-type", "application/json")
            .header("cookie", cookie)
            .header(crate::auth::CSRF_HEADER, csrf)
            .body(Body::from(r#"{"value": 1}"#))
            .unwrap();
        let (status, body) = call(router, request).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }

    #[tokio::test]
    async fn a_cookie_session_changes_nothing_without_its_csrf_token() {
        let (router, _dir) = router();
        let (status, cookie, csrf) = sign_in(&router, "staff", "staff-password-1").await;
        assert_eq!(status, StatusCode::OK);
        assert!(!csrf.is_empty());
        let set_cookie_ok = cookie.starts_with("doorstep_session=s.");
        assert!(set_cookie_ok, "{cookie}");
        let read = Request::get("/api/v1/conflicts")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap();
        assert_eq!(call(router.clone(), read).await.0, StatusCode::OK);
        let forged = Request::post("/api/v1/conflicts/1/resolve")
            .header("content-type", "application/json")
            .header("cookie", &cookie)
            .body(Body::from(r#"{"value": 1}"#))
            .unwrap();
        let (status, body) = call(router.clone(), forged).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body.contains("CSRF"), "{body}");
    }

    #[tokio::test]
    async fn forged_and_ended_sessions_are_refused() {
        let (router, _dir) = router();
        let forged = Request::get("/api/v1/conflicts")
            .header("cookie", "doorstep_session=s.0123456789abcdef")
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            call(router.clone(), forged).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (_, cookie, csrf) = sign_in(&router, "staff", "staff-password-1").await;
        let out = Request::delete("/api/v1/session")
            .header("cookie", &cookie)
            .header(crate::auth::CSRF_HEADER, &csrf)
            .body(Body::empty())
            .unwrap();
        assert_eq!(call(router.clone(), out).await.0, StatusCode::NO_CONTENT);
        let after = Request::get("/api/v1/conflicts")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap();
        assert_eq!(call(router, after).await.0, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn a_stranger_guessing_the_administrators_password_locks_out_only_the_stranger() {
        let (router, _dir) = router();
        for _ in 0..5 {
            let (status, _, _) =
                sign_in_from(&router, "admin", "a-guess-1", Some("10.0.0.66")).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (status, _, _) =
            sign_in_from(&router, "admin", ADMIN_PASSWORD, Some("10.0.0.66")).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the guesser waits");
        let (status, _, _) = sign_in_from(&router, "admin", ADMIN_PASSWORD, Some("10.0.0.2")).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the administrator at their own desk does not"
        );
        // One address trying many names is stopped as well.
        for n in 0..20 {
            let name = format!("user{n}");
            let (status, _, _) = sign_in_from(&router, &name, "x", Some("10.0.0.77")).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (status, _, _) =
            sign_in_from(&router, "staff", "staff-password-1", Some("10.0.0.77")).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }

    #[tokio::test]
    async fn five_wrong_passwords_lock_the_account_for_a_while() {
        let (router, _dir) = router();
        for _ in 0..5 {
            let (status, _, _) = sign_in(&router, "staff", "wrong-password").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (status, _, _) = sign_in(&router, "staff", "staff-password-1").await;
        assert_eq!(
            status,
            StatusCode::TOO_MANY_REQUESTS,
            "even the right password waits"
        );
        let (status, _, _) = sign_in(&router, "admin", ADMIN_PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "other accounts are not locked");
    }

    #[tokio::test]
    async fn staff_may_not_manage_accounts_and_the_refusal_is_recorded() {
        let (router, _dir) = router();
        let (_, cookie, _) = sign_in(&router, "staff", "staff-password-1").await;
        let request = Request::get("/api/v1/accounts")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap();
        assert_eq!(call(router.clone(), request).await.0, StatusCode::FORBIDDEN);
        let request = Request::get("/api/v1/audit?source=security&action=accounts")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap();
        let (status, body) = call(router, request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let trail: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(trail.len(), 1, "{body}");
        assert_eq!(trail[0]["actor"], "staff");
        assert_eq!(trail[0]["outcome"], "refused");
    }
}
