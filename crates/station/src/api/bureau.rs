//! The station's link to its bureau, on the staff pages: where replication stands (last sent, how
//! far behind the bureau is), enrolling with the bureau (administrators), and sending now.

use super::auth::{Caller, require_admin, require_staff};
use super::error::{ApiError, ApiJson};
use super::state::{AppState, with_store};
use crate::store::BureauStatus;
use crate::upward::{self, Sent, UpwardError};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_protocol::ApiErrorBody;
use serde::Deserialize;

/// Where replication to the bureau stands.
#[utoipa::path(get, path = "/api/v1/bureau",
    responses((status = 200, body = BureauStatus), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub(super) async fn status(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require_staff(&state, &caller, "bureau_status").await?;
    Ok(Json(with_store(&state, |s| s.bureau_status()).await?).into_response())
}

/// The bureau's address and the one-time code its administrator gave for this station.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct BureauEnrolment {
    pub url: String,
    pub code: String,
}

fn upward_error(e: UpwardError) -> ApiError {
    match e {
        UpwardError::Store(e) => e.into(),
        UpwardError::NotEnrolled => ApiError::BadRequest(e.to_string()),
        UpwardError::Unreachable(_) => ApiError::Unavailable(e.to_string()),
        UpwardError::CertificateChanged => ApiError::Conflict(e.to_string()),
        UpwardError::Refused { .. } | UpwardError::Protocol(_) => {
            ApiError::BadRequest(e.to_string())
        }
    }
}

/// Enrols the station with its bureau (administrators): the bureau's certificate is pinned, and
/// replication starts at once. Answers the certificate's fingerprint to compare with the bureau's.
#[utoipa::path(post, path = "/api/v1/bureau/enroll", request_body = BureauEnrolment,
    responses((status = 200, body = BureauStatus), (status = 400, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
              (status = 503, body = ApiErrorBody)))]
pub(super) async fn enroll(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(request): ApiJson<BureauEnrolment>,
) -> Result<Response, ApiError> {
    require_admin(&state, &caller, "bureau_enroll").await?;
    let store = state.store();
    let actor = caller.username.clone();
    let (_, fingerprint) = tokio::task::spawn_blocking(move || {
        upward::enroll(&store, &actor, &request.url, &request.code)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(upward_error)?;
    let status = with_store(&state, |s| s.bureau_status()).await?;
    Ok(Json(serde_json::json!({ "status": status, "fingerprint": fingerprint })).into_response())
}

/// Sends to the bureau now, without waiting for the next round.
#[utoipa::path(post, path = "/api/v1/bureau/send",
    responses((status = 200, description = "what was sent"), (status = 400, body = ApiErrorBody), (status = 503, body = ApiErrorBody)))]
pub(super) async fn send(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Sent>, ApiError> {
    require_staff(&state, &caller, "bureau_send").await?;
    let store = state.store();
    let sent = tokio::task::spawn_blocking(move || upward::send(&store))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(upward_error)?;
    Ok(Json(sent))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/bureau", get(status))
        .route("/api/v1/bureau/enroll", post(enroll))
        .route("/api/v1/bureau/send", post(send))
}
