//! The cross-station look-up of a person or an address, for the bureau's staff: POST, so that
//! neither the ID number typed nor the reason ends up in an address bar, a proxy's log or history.

use super::auth::{Caller, require};
use super::error::{ApiError, ApiJson};
use super::state::AppState;
use crate::store::lookup::{self, LookupAnswer};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;

#[derive(Deserialize)]
struct PersonQuery {
    /// An ID number, a name, or its pinyin.
    q: String,
    birth_date: Option<NaiveDate>,
    reason: String,
}

#[derive(Deserialize)]
struct AddressQuery {
    q: String,
    reason: String,
}

async fn person(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(q): ApiJson<PersonQuery>,
) -> Result<Json<LookupAnswer>, ApiError> {
    require(&state, &who, who.reads_reports(), "lookup_person").await?;
    // The look-up and its audit line are one read of the primary: the trail is written where the
    // answer was read.
    let client = state.db.primary().await?;
    Ok(Json(
        lookup::person(&**client, &who, &q.q, q.birth_date, &q.reason).await?,
    ))
}

async fn address(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(q): ApiJson<AddressQuery>,
) -> Result<Json<LookupAnswer>, ApiError> {
    require(&state, &who, who.reads_reports(), "lookup_address").await?;
    let client = state.db.primary().await?;
    Ok(Json(
        lookup::address(&**client, &who, &q.q, &q.reason).await?,
    ))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/lookup/person", post(person))
        .route("/api/v1/lookup/address", post(address))
}
