//! Who is calling: a signed-in account ([`Caller`]: a session cookie, with the CSRF token on any
//! change, or `Authorization: Bearer s.…` for API clients), or an enrolled station
//! ([`StationCaller`]: `Authorization: Bearer b.…`, refused once revoked).

use super::error::{ApiError, unauthorized};
use super::state::AppState;
use crate::store::audit::{self, Outcome};
use crate::store::stations::StationAuth;
use crate::store::{BureauError, Principal, accounts, stations};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};

pub const SESSION_COOKIE: &str = "doorstep_bureau_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
}

pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

/// The session token a request presents (bearer or cookie), and whether it came in a cookie.
pub fn session_token(headers: &HeaderMap) -> Option<(String, bool)> {
    match bearer(headers) {
        Some(t) if t.starts_with("s.") => Some((t, false)),
        Some(_) => None,
        None => session_cookie(headers).map(|t| (t, true)),
    }
}

/// A signed-in account.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (token, from_cookie) =
            session_token(&parts.headers).ok_or_else(|| unauthorized("sign in first"))?;
        let client = state.db.primary().await?;
        let (principal, csrf) = accounts::session(&**client, &token).await?.ok_or_else(|| {
            unauthorized("the session has expired or is not known: sign in again")
        })?;
        let changes_something = !matches!(parts.method, Method::GET | Method::HEAD);
        let given = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if from_cookie && changes_something && given != Some(csrf.as_str()) {
            return Err(ApiError(BureauError::NotPermitted(
                "missing or wrong CSRF token: reload the page".into(),
            )));
        }
        Ok(Caller(principal))
    }
}

/// Lets the request through if `allowed`; otherwise records the refusal and refuses.
pub async fn require(
    state: &AppState,
    who: &Principal,
    allowed: bool,
    action: &str,
) -> Result<(), ApiError> {
    if allowed {
        return Ok(());
    }
    let client = state.db.primary().await?;
    audit::record(
        &**client,
        &who.username,
        action,
        "",
        Outcome::Refused,
        "",
        "not allowed for this account",
    )
    .await?;
    Err(ApiError(BureauError::NotPermitted(format!(
        "this account may not do that ({action})"
    ))))
}

/// An enrolled station, not revoked.
pub struct StationCaller(pub StationAuth);

impl FromRequestParts<AppState> for StationCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers)
            .filter(|t| t.starts_with("b."))
            .ok_or_else(|| {
                unauthorized("a station sends its credential (Authorization: Bearer b.…)")
            })?;
        let client = state.db.primary().await?;
        let station = stations::by_credential(&client, &token)
            .await?
            .ok_or_else(|| {
                unauthorized("this station's credential is not known here: enrol it again")
            })?;
        if station.revoked {
            audit::record(
                &**client,
                &station.name,
                "replicate",
                parts.uri.path(),
                Outcome::Refused,
                "",
                "revoked",
            )
            .await?;
            return Err(ApiError(BureauError::Revoked));
        }
        Ok(StationCaller(station))
    }
}
