//! What laptops call: whether the station is up, enrolment with a one-time code, pushing their
//! changes, pulling their scopes' records, and what their account works on now.

use super::auth::{Caller, require};
use super::error::{ApiError, ApiJson, ApiQuery};
use super::state::{AppState, with_reader, with_store, writer_busy};
use crate::store::{PullPage, PullScope, Pushed};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_core::ids::DeviceId;
use doorstep_protocol::{
    ApiErrorBody, EnrollRequest, EnrollResponse, Health, PullResponse, PushRequest, PushResponse,
    Scopes, WorkScope,
};
use serde::Deserialize;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;

/// Whether the station is up.
#[utoipa::path(get, path = "/api/v1/health", security(()), responses((status = 200, body = Health)))]
pub(super) async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Enrols a laptop with a one-time code an administrator issued for its officer: the laptop receives
/// its own credential and the officer's beats. The code is the credential here; it works once.
#[utoipa::path(post, path = "/api/v1/enroll", request_body = EnrollRequest, security(()),
    responses((status = 200, body = EnrollResponse), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 409, body = ApiErrorBody)))]
pub(super) async fn enroll(
    State(state): State<AppState>,
    ApiJson(r): ApiJson<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    Ok(Json(
        with_store(&state, move |s| {
            s.enroll_with_code(&r.code, r.device_id, r.officer_id, r.acked_seq)
        })
        .await?,
    ))
}

/// Stores and decides a batch of a device's changes (at most 1,000; 8 MiB), in one transaction.
/// The body may come gzip'd (`Content-Encoding: gzip`, as the scopes' `push_encodings` say); the
/// 8 MiB are counted unpacked.
#[utoipa::path(post, path = "/api/v1/push", request_body = PushRequest,
    responses((status = 200, body = PushResponse), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 413, body = ApiErrorBody), (status = 415, body = ApiErrorBody)))]
pub(super) async fn push(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(request): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    let own = caller.device_id == Some(request.device_id);
    require(&state, &caller, own, "push", &request.device_id.to_string()).await?;
    Ok(Json(
        with_store(&state, move |s| s.push(request.device_id, &request.changes)).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(super) struct PullQuery {
    device_id: DeviceId,
    #[serde(default)]
    cursor: i64,
    #[serde(default = "default_pull_limit")]
    limit: u32,
    /// `beat:NAME` (one of the account's beats) or `tasks` (tasks assigned to the account in other
    /// beats); without it, all of them from one cursor.
    scope: Option<String>,
    /// Only this one of the officer's beats (the same as `scope=beat:NAME`).
    beat: Option<String>,
    /// The laptop's changes numbered above `pushed_after` up to `pushed_through` were pushed in
    /// this sync: records exactly as those changes left them are not sent back (the push's answer
    /// gave their versions). Without them, every record of the scope comes.
    #[serde(default)]
    pushed_after: i64,
    #[serde(default)]
    pushed_through: i64,
}

pub(super) fn default_pull_limit() -> u32 {
    500
}

/// Records of one of the device's scopes above its cursor, oldest version first (at most 5,000 a
/// page, and 4 MiB of their fields), with the records that left the scope since.
#[utoipa::path(get, path = "/api/v1/pull", params(PullQuery),
    responses((status = 200, body = PullResponse), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody)))]
pub(super) async fn pull(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> Result<Json<PullPage>, ApiError> {
    let own = caller.device_id == Some(q.device_id);
    require(&state, &caller, own, "pull", &q.device_id.to_string()).await?;
    let scope = match (&q.beat, &q.scope) {
        (Some(beat), _) => PullScope::Beat(beat.clone()),
        (None, scope) => PullScope::parse(scope.as_deref())
            .ok_or(ApiError::BadRequest("scope is beat:NAME or tasks".into()))?,
    };
    if let PullScope::Beat(beat) = &scope {
        require(
            &state,
            &caller,
            caller.beats.contains(beat),
            "read_beat",
            beat,
        )
        .await?;
    }
    Ok(Json(
        with_reader(&state, move |s| {
            let pushed = Pushed {
                after: q.pushed_after,
                through: q.pushed_through,
            };
            s.pull(q.device_id, q.cursor, q.limit, &scope, &caller, pushed)
        })
        .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(super) struct ScopesQuery {
    /// The fingerprint of the officers the laptop holds (`officers_fingerprint` of an earlier
    /// answer): the list is left out when the station's is the same.
    officers: Option<String>,
}

/// What the device's account works on now: its beats (each a scope to pull), its name and the
/// station's officers; and where the laptop stands with the station's database (its lineage, the
/// laptop's changes held).
#[utoipa::path(get, path = "/api/v1/scopes", params(ScopesQuery),
    responses((status = 200, body = Scopes), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody)))]
pub(super) async fn scopes(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<ScopesQuery>,
) -> Result<Json<Scopes>, ApiError> {
    if caller.device_id.is_none() {
        return Err(ApiError::Forbidden(
            "scopes are for enrolled laptops".into(),
        ));
    }
    let device = caller.device_id;
    let held = q.officers;
    let ((officers, officers_fingerprint), standing) = with_reader(&state, move |s| {
        let standing = match device {
            Some(device) => s.standing(device)?,
            None => Default::default(),
        };
        Ok((s.officers_unless_held(held.as_deref())?, standing))
    })
    .await?;
    if let Some(device) = device {
        // The laptop's contact, only for staff's devices page: written now if the writing
        // connection is free, else once it is — the answer does not queue behind pushes for it.
        // A station that cannot write it (a full disk) still answers; the push says what it
        // cannot store.
        let writer = state.clone();
        let note = async move {
            if let Err(e) = with_store(&writer, move |s| s.seen(device)).await {
                tracing::warn!(error = ?e, "could not note the laptop's contact");
            }
        };
        if writer_busy(&state) {
            tokio::spawn(note);
        } else {
            note.await;
        }
    }
    Ok(Json(Scopes {
        work: WorkScope {
            beats: caller.beats,
            officer_name: caller.display_name,
            account_id: caller.account_id,
            officers,
            officers_fingerprint,
        },
        standing,
        bundle_recipient: state.bundle_recipient.to_string(),
        push_encodings: vec![doorstep_protocol::GZIP.into()],
    }))
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/enroll", post(enroll))
        .route("/api/v1/push", post(push))
        // Pull pages are the bulk of what a laptop downloads (a 20,000-household beat is about
        // 90 MB of JSON): gzip'd at the fastest level when the laptop asks for it, they travel
        // 10-20x smaller over a station's Wi-Fi or a mobile link for a few milliseconds of CPU
        // per page. Only here: no other answer is large, and none of these carries a session
        // secret beside text a client chose (the BREACH pattern).
        .route(
            "/api/v1/pull",
            get(pull).layer(CompressionLayer::new().quality(CompressionLevel::Fastest)),
        )
        .route("/api/v1/scopes", get(scopes))
}
