//! Follow-up tasks: the open ones, and who is responsible for each by when.

use super::auth::{Caller, require_staff};
use super::error::{ApiError, ApiJson};
use super::state::{AppState, with_store};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_protocol::ApiErrorBody;
use serde::Deserialize;

/// Open follow-up tasks, soonest due first.
#[utoipa::path(get, path = "/api/v1/tasks",
    responses((status = 200, body = Vec<crate::store::TaskView>), (status = 401, body = ApiErrorBody)))]
pub(super) async fn tasks(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require_staff(&state, &caller, "tasks").await?;
    Ok(Json(with_store(&state, |s| s.open_tasks()).await?).into_response())
}

/// A staff decision on who is responsible for a task, and by when.
#[derive(Deserialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
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
pub(super) async fn assign(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(a): ApiJson<Assignment>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_staff(&state, &caller, "assign").await?;
    let version = with_store(&state, move |s| {
        s.assign_task(&id, &caller.display_name, &a.assignee, &a.due_date)
    })
    .await?;
    Ok(Json(serde_json::json!({ "version": version })))
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tasks", get(tasks))
        .route("/api/v1/tasks/{id}/assign", post(assign))
}
