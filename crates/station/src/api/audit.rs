//! The audit trail, read and exported; nothing in the API edits or deletes it.

use super::auth::{Caller, require};
use super::error::{ApiError, ApiQuery};
use super::reports::file;
use super::state::{AppState, with_store};
use crate::store::{AuditEntry, AuditFilter};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use doorstep_protocol::ApiErrorBody;

/// The audit trail, newest first: security events, staff decisions and every change received
/// (staff, chief and administrators). Nothing in the API edits or deletes it.
#[utoipa::path(get, path = "/api/v1/audit", params(AuditFilter),
    responses((status = 200, body = Vec<AuditEntry>), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody)))]
pub(super) async fn audit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(filter): ApiQuery<AuditFilter>,
) -> Result<Response, ApiError> {
    require(&state, &caller, caller.oversees_station(), "audit", "").await?;
    Ok(Json(with_store(&state, move |s| s.audit_trail(&filter)).await?).into_response())
}

/// The audit trail as filtered, as CSV (UTF-8 with BOM) for spreadsheet software.
#[utoipa::path(get, path = "/api/v1/audit/export", params(AuditFilter),
    responses((status = 200, description = "text/csv", content_type = "text/csv"), (status = 400, body = ApiErrorBody),
              (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub(super) async fn audit_export(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(mut filter): ApiQuery<AuditFilter>,
) -> Result<Response, ApiError> {
    require(
        &state,
        &caller,
        caller.oversees_station(),
        "audit_export",
        "",
    )
    .await?;
    filter.limit = Some(filter.limit.unwrap_or(10_000));
    let who = caller.username.clone();
    let entries = with_store(&state, move |s| {
        let entries = s.audit_trail(&filter)?;
        s.audit(
            &who,
            None,
            "audit_export",
            "",
            crate::store::Outcome::Ok,
            &format!("{} entries", entries.len()),
        )?;
        Ok(entries)
    })
    .await?;
    let bytes =
        crate::report::audit_csv(&entries).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(file(bytes, "text/csv; charset=utf-8", "audit.csv"))
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/audit/export", get(audit_export))
}
