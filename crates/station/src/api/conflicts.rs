//! The merge queue of conflicting edits: listed for staff, and settled by a staff decision.

use super::auth::{Caller, require_staff};
use super::error::{ApiError, ApiJson};
use super::state::{AppState, with_store};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_protocol::ApiErrorBody;
use serde::Deserialize;

/// The open conflicts of the merge queue.
#[utoipa::path(get, path = "/api/v1/conflicts",
    responses((status = 200, body = Vec<crate::store::Conflict>), (status = 401, body = ApiErrorBody)))]
pub(super) async fn conflicts(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require_staff(&state, &caller, "conflicts").await?;
    Ok(Json(with_store(&state, move |s| s.conflicts_for(&caller)).await?).into_response())
}

/// A staff decision on one conflict.
#[derive(Deserialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
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
#[derive(Deserialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
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
pub(super) async fn resolve(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<Resolution>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_staff(&state, &caller, "resolve").await?;
    let version = with_store(&state, move |s| {
        let seen = r.seen.map(|v| (v.station_value, v.incoming_value));
        s.resolve_conflict(id, &caller, &r.value, seen.as_ref())
    })
    .await?;
    Ok(Json(serde_json::json!({ "version": version })))
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conflicts", get(conflicts))
        .route("/api/v1/conflicts/{id}/resolve", post(resolve))
}
