//! Sync by USB stick at the station's desk: staff upload a laptop's bundle from the devices page
//! and receive the answer bundle to carry back (the CLI's `bundle import` does the same on the
//! station's console, for bundles over the upload limit).

use super::auth::{Caller, require};
use super::error::ApiError;
use super::state::{AppState, with_store};
use crate::store::BundleImport;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use doorstep_protocol::ApiErrorBody;
use serde::Serialize;

/// What the import did, and the answer bundle (base64) for the page to offer as a download.
#[derive(Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct BundleAnswered {
    #[serde(flatten)]
    pub import: BundleImport,
    pub answer_base64: String,
}

/// Imports a laptop's bundle (the file's bytes as the body, at most 8 MiB) with the push's
/// semantics, and answers with the answer bundle for that laptop (staff, the chief, administrators).
#[utoipa::path(post, path = "/api/v1/bundles", request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = BundleAnswered), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 413, body = ApiErrorBody)))]
pub(super) async fn import(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> Result<Json<BundleAnswered>, ApiError> {
    require(
        &state,
        &caller,
        caller.oversees_station(),
        "bundle_import",
        "",
    )
    .await?;
    if body.is_empty() {
        return Err(ApiError::BadRequest("no bundle file was sent".into()));
    }
    let actor = caller.username.clone();
    let import = with_store(&state, move |s| s.import_bundle(&body, &actor)).await?;
    let answer_base64 = base64::engine::general_purpose::STANDARD.encode(&import.answer);
    Ok(Json(BundleAnswered {
        import,
        answer_base64,
    }))
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/bundles", post(import))
}
