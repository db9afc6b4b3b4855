//! The inspectors' oversight of complaints about the police: the list across stations, a flag for
//! follow-up (sent down to the station), and a confidential reporter for who holds that right.

use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiQuery};
use super::state::AppState;
use crate::store::oversight::{self, Complaint, FlagView};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

#[derive(Deserialize)]
struct ListQuery {
    station: Option<String>,
    /// Only complaints not yet closed.
    #[serde(default)]
    open: bool,
}

async fn complaints(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Complaint>>, ApiError> {
    let client = state.db.primary().await?;
    Ok(Json(
        oversight::complaints(
            &**client,
            &who,
            q.station.as_deref().filter(|s| !s.is_empty()),
            q.open,
        )
        .await?,
    ))
}

#[derive(Deserialize)]
struct FlagRequest {
    station: String,
    /// `concern` or `visit`.
    entity: String,
    id: String,
    reason: String,
}

async fn flag(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(r): ApiJson<FlagRequest>,
) -> Result<Json<FlagView>, ApiError> {
    let client = state.db.primary().await?;
    Ok(Json(
        oversight::flag(&**client, &who, &r.station, &r.entity, &r.id, &r.reason).await?,
    ))
}

#[derive(Deserialize)]
struct ReporterRequest {
    station: String,
    concern_id: String,
    reason: String,
}

async fn reporter(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(r): ApiJson<ReporterRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let client = state.db.primary().await?;
    let name = oversight::reporter(&**client, &who, &r.station, &r.concern_id, &r.reason).await?;
    Ok(Json(serde_json::json!({ "reporter_name": name })))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/oversight/complaints", get(complaints))
        .route("/api/v1/oversight/flags", post(flag))
        .route("/api/v1/oversight/reporter", post(reporter))
}
