//! What stations call: enrolling with a one-time code, asking where the bureau stands, and sending
//! a batch of their log (see `doorstep_protocol::bureau`).

use super::auth::StationCaller;
use super::error::{ApiError, ApiJson};
use super::state::AppState;
use crate::store::{replication, stations};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_protocol::bureau::{StationEnrollRequest, StationEnrollResponse, UpAnswer, UpBatch};

async fn enroll(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<StationEnrollRequest>,
) -> Result<Json<StationEnrollResponse>, ApiError> {
    let mut client = state.db.primary().await?;
    let (station_name, credential) = stations::enroll(&mut client, &request.code).await?;
    tracing::info!(station = %station_name, "a station enrolled");
    Ok(Json(StationEnrollResponse {
        station_name,
        bureau_name: state.name.clone(),
        credential,
    }))
}

async fn where_we_stand(
    State(state): State<AppState>,
    StationCaller(station): StationCaller,
) -> Result<Json<UpAnswer>, ApiError> {
    let client = state.db.primary().await?;
    Ok(Json(replication::state(&**client, station.id).await?))
}

async fn batch(
    State(state): State<AppState>,
    StationCaller(station): StationCaller,
    ApiJson(batch): ApiJson<UpBatch>,
) -> Result<Json<UpAnswer>, ApiError> {
    let mut client = state.db.primary().await?;
    let answer = replication::ingest(&mut client, &station, &batch).await?;
    Ok(Json(answer))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/replication/enroll", post(enroll))
        .route("/api/v1/replication", get(where_we_stand))
        .route("/api/v1/replication/batches", post(batch))
}
