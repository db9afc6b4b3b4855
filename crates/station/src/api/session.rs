//! Signing in and out of the staff pages (or an API client): the session cookie, its CSRF token,
//! and the lock-out after wrong passwords.

use super::auth::Caller;
use super::auth::ClientAddr;
use super::error::{ApiError, ApiJson};
use super::state::{AppState, with_locked_store, with_store};
use crate::store::Principal;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use doorstep_protocol::ApiErrorBody;
use serde::Deserialize;

/// A sign-in on the staff pages (or by an API client).
#[derive(Deserialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct SignIn {
    pub username: String,
    pub password: String,
}

/// A live session: who is signed in, and the CSRF token the pages send with every change.
#[derive(serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct SessionInfo {
    pub account: Principal,
    pub csrf: String,
}

pub(super) fn session_cookie(value: &str, secure: bool, remove: bool) -> HeaderValue {
    let mut cookie = cookie::Cookie::build((super::auth::SESSION_COOKIE, value.to_string()))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(secure)
        .path("/");
    if remove {
        cookie = cookie.max_age(cookie::time::Duration::ZERO);
    }
    HeaderValue::from_str(&cookie.build().to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// Signs in: a session cookie (`HttpOnly`, `SameSite=Strict`) and the CSRF token. The session token
/// is only in the cookie, never in the body where a page's script could read it (API clients take
/// it from `Set-Cookie` and may send it as `Authorization: Bearer …`). Five wrong passwords for an
/// account within 15 minutes lock it for the rest of that time.
#[utoipa::path(post, path = "/api/v1/session", request_body = SignIn, security(()),
    responses((status = 200, body = SessionInfo), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 429, body = ApiErrorBody)))]
pub(super) async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let session = with_locked_store(&state, move |store| {
        crate::store::sign_in(store, &request.username, &request.password, &client)
    })
    .await?;
    Ok((
        [(
            axum::http::header::SET_COOKIE,
            session_cookie(&session.token, state.secure_cookies, false),
        )],
        Json(SessionInfo {
            account: session.account,
            csrf: session.csrf,
        }),
    )
        .into_response())
}

/// Who is signed in (the pages ask on load), with the session's CSRF token.
#[utoipa::path(get, path = "/api/v1/session",
    responses((status = 200, body = SessionInfo), (status = 401, body = ApiErrorBody)))]
pub(super) async fn session_info(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<SessionInfo>, ApiError> {
    let token = super::auth::session_token(&headers)
        .ok_or(ApiError::Unauthorized("sign in first".into()))?;
    let (account, csrf) = with_store(&state, move |s| s.session(&token))
        .await?
        .ok_or(ApiError::Unauthorized(
            "the session has expired or is not known: sign in again".into(),
        ))?;
    Ok(Json(SessionInfo { account, csrf }))
}

/// Signs out: the session ends at the station and the cookie is cleared.
#[utoipa::path(delete, path = "/api/v1/session",
    responses((status = 204, description = "signed out"), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub(super) async fn sign_out(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = super::auth::session_token(&headers) {
        with_store(&state, move |s| s.close_session(&token, &caller.username)).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(
            axum::http::header::SET_COOKIE,
            session_cookie("", state.secure_cookies, true),
        )],
    )
        .into_response())
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/session",
        post(sign_in).get(session_info).delete(sign_out),
    )
}
