//! Signing in and out of the bureau's pages (or an API client): the session cookie (`HttpOnly`,
//! `SameSite=Strict`), its CSRF token, the lock-out after wrong passwords.

use super::auth::{Caller, SESSION_COOKIE, session_token};
use super::error::{ApiError, ApiJson};
use super::state::AppState;
use crate::store::{Principal, accounts};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// The address a request comes from (empty where the server does not say): in the trail of
/// sign-ins.
struct ClientAddr(String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_default(),
        ))
    }
}

#[derive(Deserialize)]
struct SignIn {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct SessionInfo {
    account: Principal,
    csrf: String,
    bureau: String,
}

fn cookie(value: &str, secure: bool, remove: bool) -> HeaderValue {
    let mut c = cookie::Cookie::build((SESSION_COOKIE, value.to_string()))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(secure)
        .path("/");
    if remove {
        c = c.max_age(cookie::time::Duration::ZERO);
    }
    HeaderValue::from_str(&c.build().to_string()).unwrap_or(HeaderValue::from_static(""))
}

async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    ApiJson(request): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let client = state.db.primary().await?;
    let session = accounts::sign_in(&**client, &request.username, &request.password, &from).await?;
    let body = Json(SessionInfo {
        account: session.principal,
        csrf: session.csrf,
        bureau: state.name.clone(),
    });
    Ok((
        [(
            axum::http::header::SET_COOKIE,
            cookie(&session.token, state.secure_cookies, false),
        )],
        body,
    )
        .into_response())
}

/// The signed-in account (the pages ask on load); the CSRF token again for a reloaded page.
async fn current(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let (token, _) =
        session_token(&headers).ok_or_else(|| super::error::unauthorized("sign in first"))?;
    let client = state.db.primary().await?;
    let (account, csrf) = accounts::session(&**client, &token)
        .await?
        .ok_or_else(|| super::error::unauthorized("the session has expired: sign in again"))?;
    Ok(Json(SessionInfo {
        account,
        csrf,
        bureau: state.name.clone(),
    })
    .into_response())
}

async fn sign_out(
    State(state): State<AppState>,
    _: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some((token, _)) = session_token(&headers) {
        let client = state.db.primary().await?;
        accounts::sign_out(&**client, &token).await?;
    }
    Ok((
        [(
            axum::http::header::SET_COOKIE,
            cookie("", state.secure_cookies, true),
        )],
        Json(serde_json::json!({ "signed_out": true })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct PasswordChange {
    current: String,
    new: String,
}

/// The signed-in person's own password, with the current one; their other sessions end.
async fn change_password(
    State(state): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    ApiJson(change): ApiJson<PasswordChange>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (token, _) = session_token(&headers).unwrap_or_default();
    let mut client = state.db.primary().await?;
    accounts::change_own_password(&mut client, &who, &token, &change.current, &change.new).await?;
    Ok(Json(serde_json::json!({ "changed": true })))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/session",
            post(sign_in).get(current).delete(sign_out),
        )
        .route("/api/v1/session/password", post(change_password))
}
