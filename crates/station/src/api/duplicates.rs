//! Duplicate households and residents: the candidates, a staff decision to merge a pair, and undo.

use super::auth::{Caller, require_staff};
use super::error::{ApiError, ApiJson};
use super::state::{AppState, with_store};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_protocol::ApiErrorBody;
use serde::Deserialize;

/// Duplicate candidates still open, and merges that can be undone.
#[utoipa::path(get, path = "/api/v1/duplicates",
    responses((status = 200, body = Vec<crate::store::Duplicate>), (status = 401, body = ApiErrorBody)))]
pub(super) async fn duplicates(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require_staff(&state, &caller, "duplicates").await?;
    Ok(Json(with_store(&state, |s| s.duplicates()).await?).into_response())
}

/// A staff decision to merge a duplicate pair, keeping `survivor`.
#[derive(Deserialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct MergeDecision {
    /// The id of the record that stays (one of the pair).
    pub survivor: String,
}

/// Merges a duplicate pair: the other record becomes a redirect and its children move to the survivor.
#[utoipa::path(post, path = "/api/v1/duplicates/{id}/merge", params(("id" = i64, Path, description = "the candidate")),
    request_body = MergeDecision,
    responses((status = 204, description = "merged"), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub(super) async fn merge_duplicate(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<i64>,
    ApiJson(d): ApiJson<MergeDecision>,
) -> Result<StatusCode, ApiError> {
    require_staff(&state, &caller, "merge").await?;
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
pub(super) async fn undo_duplicate_merge(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    require_staff(&state, &caller, "undo").await?;
    with_store(&state, move |s| {
        s.undo_duplicate_merge(id, &caller.display_name)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/duplicates", get(duplicates))
        .route("/api/v1/duplicates/{id}/merge", post(merge_duplicate))
        .route("/api/v1/duplicates/{id}/undo", post(undo_duplicate_merge))
}
