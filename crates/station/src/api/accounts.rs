//! The station's accounts (administrators manage them), its officers, the one-time codes that
//! enrol an officer's laptop, and the laptops themselves with their revocation.

use super::auth::{Caller, require, require_admin};
use super::error::{ApiError, ApiJson};
use super::state::{AppState, with_store};
use crate::store::{Account, AccountUpdate, EnrollmentCode, NewAccount};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_core::ids::DeviceId;
use doorstep_protocol::ApiErrorBody;
use serde::Deserialize;

/// The station's active officers, to choose a task's person responsible from (staff, laptops).
#[utoipa::path(get, path = "/api/v1/officers",
    responses((status = 200, body = Vec<doorstep_protocol::Officer>), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody)))]
pub(super) async fn officers(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    let allowed = caller.sees_station_records() || caller.device_id.is_some();
    require(&state, &caller, allowed, "officers", "").await?;
    Ok(Json(with_store(&state, |s| s.officers()).await?).into_response())
}

/// The station's accounts (administrators).
#[utoipa::path(get, path = "/api/v1/accounts",
    responses((status = 200, body = Vec<Account>), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub(super) async fn accounts(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require_admin(&state, &caller, "accounts").await?;
    Ok(Json(with_store(&state, |s| s.accounts()).await?).into_response())
}

/// Creates an account (administrators). Passwords need at least 10 characters.
#[utoipa::path(post, path = "/api/v1/accounts", request_body = NewAccount,
    responses((status = 200, body = Account), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub(super) async fn create_account(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(new): ApiJson<NewAccount>,
) -> Result<Json<Account>, ApiError> {
    require_admin(&state, &caller, "create_account").await?;
    Ok(Json(
        with_store(&state, move |s| s.create_account(&caller.username, &new)).await?,
    ))
}

/// Changes an account: name, roles, beats, active, password (administrators). Deactivating or
/// setting a password ends its sessions; its laptops follow its beats.
#[utoipa::path(post, path = "/api/v1/accounts/{id}", params(("id" = String, Path, description = "the account")),
    request_body = AccountUpdate,
    responses((status = 200, body = Account), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub(super) async fn update_account(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(update): ApiJson<AccountUpdate>,
) -> Result<Json<Account>, ApiError> {
    require_admin(&state, &caller, "update_account").await?;
    Ok(Json(
        with_store(&state, move |s| {
            s.update_account(&caller.username, &id, &update)
        })
        .await?,
    ))
}

/// Issues a one-time enrolment code for a laptop of an officer's account (administrators); good for
/// 24 hours and one laptop.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/enrollment-code", params(("id" = String, Path, description = "the officer's account")),
    responses((status = 200, body = EnrollmentCode), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub(super) async fn enrollment_code(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<EnrollmentCode>, ApiError> {
    require_admin(&state, &caller, "enrollment_code").await?;
    Ok(Json(
        with_store(&state, move |s| {
            s.issue_enrollment_code(&caller.username, &id)
        })
        .await?,
    ))
}

/// The enrolled laptops and their last sync.
#[utoipa::path(get, path = "/api/v1/devices",
    responses((status = 200, body = Vec<crate::store::DeviceView>), (status = 401, body = ApiErrorBody)))]
pub(super) async fn devices(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    require(&state, &caller, caller.oversees_station(), "devices", "").await?;
    Ok(Json(with_store(&state, |s| s.devices()).await?).into_response())
}

/// An administrator's decision about a lost or handed-on laptop.
#[derive(Deserialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct Revocation {
    /// Also have it erase its local data on its next contact.
    #[serde(default)]
    pub wipe: bool,
}

/// Revokes a laptop (administrators): its syncs are refused from now on, and with `wipe` it erases
/// its data when it next reaches the station.
#[utoipa::path(post, path = "/api/v1/devices/{id}/revoke", params(("id" = String, Path, description = "the device")),
    request_body = Revocation,
    responses((status = 204, description = "revoked"), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub(super) async fn revoke(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<DeviceId>,
    ApiJson(r): ApiJson<Revocation>,
) -> Result<StatusCode, ApiError> {
    require_admin(&state, &caller, "revoke").await?;
    with_store(&state, move |s| {
        s.revoke_device(&caller.username, id, r.wipe)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/officers", get(officers))
        .route("/api/v1/accounts", get(accounts).post(create_account))
        .route("/api/v1/accounts/{id}", post(update_account))
        .route(
            "/api/v1/accounts/{id}/enrollment-code",
            post(enrollment_code),
        )
        .route("/api/v1/devices", get(devices))
        .route("/api/v1/devices/{id}/revoke", post(revoke))
}
