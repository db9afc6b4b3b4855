//! The administrator's work: stations (enrolment codes, revocation, replication state), accounts,
//! and the bureau's audit trail.

use super::auth::{Caller, require};
use super::error::{ApiError, ApiJson, ApiQuery};
use super::state::AppState;
use crate::store::accounts::{AccountChange, AccountView, NewAccount};
use crate::store::audit::AuditEntry;
use crate::store::stations::{IssuedCode, StationView};
use crate::store::{Principal, Role, accounts, audit, stations};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

#[derive(Deserialize)]
struct CodeRequest {
    station_name: String,
}

async fn issue_code(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(request): ApiJson<CodeRequest>,
) -> Result<Json<IssuedCode>, ApiError> {
    require(&state, &who, who.has(Role::Admin), "station_code").await?;
    let client = state.db.primary().await?;
    Ok(Json(
        stations::issue_code(&client, &who.username, &request.station_name).await?,
    ))
}

/// Every station and its replication state: for everyone signed in (the pages flag a silent one).
async fn list_stations(
    State(state): State<AppState>,
    Caller(_): Caller,
) -> Result<Json<Vec<StationView>>, ApiError> {
    let client = state.db.primary().await?;
    Ok(Json(stations::list(&**client).await?))
}

async fn revoke(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require(&state, &who, who.has(Role::Admin), "station_revoke").await?;
    let client = state.db.primary().await?;
    stations::revoke(&client, &who.username, &name).await?;
    Ok(Json(serde_json::json!({ "revoked": name })))
}

async fn list_accounts(
    State(state): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    require(&state, &who, who.has(Role::Admin), "accounts").await?;
    let client = state.db.primary().await?;
    Ok(Json(accounts::list(&**client).await?))
}

async fn create_account(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(new): ApiJson<NewAccount>,
) -> Result<Json<Principal>, ApiError> {
    require(&state, &who, who.has(Role::Admin), "account_create").await?;
    let client = state.db.primary().await?;
    Ok(Json(
        accounts::create(&**client, &who.username, &new).await?,
    ))
}

/// Changes an account: name, roles, the right to see reporters, active, password. Deactivating or
/// setting a password ends its sessions.
async fn update_account(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<AccountChange>,
) -> Result<Json<Principal>, ApiError> {
    require(&state, &who, who.has(Role::Admin), "account_change").await?;
    let mut client = state.db.primary().await?;
    Ok(Json(
        accounts::update(&mut client, &who, &id, &change).await?,
    ))
}

#[derive(Deserialize)]
struct AuditQuery {
    action: Option<String>,
    limit: Option<i64>,
}

async fn audit_trail(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    require(
        &state,
        &who,
        who.has(Role::Admin) || who.has(Role::Inspector),
        "audit",
    )
    .await?;
    let client = state.db.primary().await?;
    Ok(Json(
        audit::list(&**client, q.action.as_deref(), q.limit.unwrap_or(200)).await?,
    ))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/stations", get(list_stations))
        .route("/api/v1/stations/codes", post(issue_code))
        .route("/api/v1/stations/{name}/revoke", post(revoke))
        .route("/api/v1/accounts", get(list_accounts).post(create_account))
        .route("/api/v1/accounts/{id}", post(update_account))
        .route("/api/v1/audit", get(audit_trail))
}
