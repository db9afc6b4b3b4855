//! One concern, read by staff or an officer of its beat, its reporter shown only to who may see it.

use super::auth::Caller;
use super::error::ApiError;
use super::state::{AppState, with_store};
use crate::store::ConcernView;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use doorstep_protocol::ApiErrorBody;

/// One concern, for staff and the chief or an officer of its beat. A confidential concern's
/// reporter is shown only to the chief and the officer who recorded it; every read of a
/// confidential concern is logged.
#[utoipa::path(get, path = "/api/v1/concerns/{id}", params(("id" = String, Path, description = "the concern")),
    responses((status = 200, body = ConcernView), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
              (status = 404, body = ApiErrorBody)))]
pub(super) async fn concern(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<ConcernView>, ApiError> {
    Ok(Json(
        with_store(&state, move |s| s.concern_view(&id, &caller)).await?,
    ))
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/concerns/{id}", get(concern))
}
