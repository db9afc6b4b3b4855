//! The HTTP API, `/api/v1`. The router is a function of the state so tests call it directly; each
//! handler only unpacks the request, calls the store on a blocking thread, and packs the answer.
//! Errors are one enum whose variants say their status; bodies say what was wrong with the request
//! and never carry internals (those go to the log).

use crate::store::{StationError, StationStore};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_core::ids::DeviceId;
use doorstep_protocol::{
    ApiErrorBody, DeviceInfo, Health, PullResponse, PushRequest, PushResponse, limits,
};
use serde::Deserialize;
use std::sync::{Arc, Mutex};

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
            ApiError::UnknownDevice(d) => (
                StatusCode::FORBIDDEN,
                "unknown_device",
                format!("device {d} is not enrolled at this station"),
            ),
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
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::BadRequest(e.body_text())
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

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

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

#[derive(Deserialize)]
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

async fn conflicts(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(with_store(&state, |s| s.open_conflicts()).await?).into_response())
}

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/devices", post(enroll))
        .route("/api/v1/push", post(push))
        .route("/api/v1/pull", get(pull))
        .route("/api/v1/conflicts", get(conflicts))
        .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
        .with_state(state)
}
