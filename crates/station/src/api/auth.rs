//! Who is calling, and whether they may: the [`Caller`] extractor turns a request's credential into
//! the account (and laptop) behind it, or refuses the request; [`require`] and its shorthands let a
//! known caller through or record the refusal in the audit trail.
//!
//! - Staff pages sign in with a username and password and receive an `HttpOnly`, `SameSite=Strict`
//!   session cookie; a cookie-authenticated request that changes anything must also carry the
//!   session's CSRF token in `X-CSRF-Token` (the page learns it from the sign-in answer).
//! - API clients may send the same session token as `Authorization: Bearer s.…` (a browser never
//!   attaches that header by itself, so it needs no CSRF token).
//! - Laptops send their device credential as `Authorization: Bearer d.…`. A revoked laptop is
//!   refused (and told to erase itself if so marked) before its request is read.

use super::error::ApiError;
use super::state::{AppState, with_reader, with_store};
use crate::store::{DeviceAuth, Outcome, Principal, Role};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};

pub const SESSION_COOKIE: &str = "doorstep_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A credential as presented.
enum Credential {
    Session { token: String, from_cookie: bool },
    Device(String),
}

fn credential(headers: &HeaderMap) -> Option<Credential> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(token) = bearer {
        return Some(if token.starts_with("d.") {
            Credential::Device(token.to_string())
        } else {
            Credential::Session {
                token: token.to_string(),
                from_cookie: false,
            }
        });
    }
    session_cookie(headers).map(|token| Credential::Session {
        token,
        from_cookie: true,
    })
}

/// The session token a request presents (bearer or cookie), if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    match credential(headers)? {
        Credential::Session { token, .. } => Some(token),
        Credential::Device(_) => None,
    }
}

/// The session token from the request's cookies, if any.
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

/// The network address a request comes from (empty where the server does not say, as in tests
/// that call the router directly): sign-in failures are counted per address too.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_default(),
        ))
    }
}

/// The account (and, for a laptop, the device) a request comes from.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match credential(&parts.headers).ok_or(ApiError::Unauthorized(
            "sign in first (no session or device credential)".into(),
        ))? {
            Credential::Session { token, from_cookie } => {
                let (principal, csrf) = with_store(state, move |s| s.session(&token))
                    .await?
                    .ok_or(ApiError::Unauthorized(
                        "the session has expired or is not known: sign in again".into(),
                    ))?;
                let changes_something = !matches!(parts.method, Method::GET | Method::HEAD);
                let given = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                if from_cookie && changes_something && given != Some(csrf.as_str()) {
                    return Err(ApiError::Forbidden(
                        "missing or wrong CSRF token: reload the page".into(),
                    ));
                }
                Ok(Caller(principal))
            }
            Credential::Device(token) => {
                let auth = with_reader(state, move |s| s.device_auth(&token))
                    .await?
                    .ok_or(ApiError::Unauthorized(
                        "this laptop's credential is not known here: enrol it again".into(),
                    ))?;
                if auth.revoked || auth.wipe || !auth.account_active {
                    return Err(refuse_device(state, auth, parts.uri.path().to_string()).await);
                }
                Ok(Caller(auth.principal))
            }
        }
    }
}

async fn refuse_device(state: &AppState, auth: DeviceAuth, path: String) -> ApiError {
    let wipe = auth.wipe;
    let revoked = auth.revoked;
    if let Err(e) = with_store(state, move |s| s.record_refused_device(&auth, &path)).await {
        return e;
    }
    if wipe {
        ApiError::Wipe
    } else if revoked {
        ApiError::Revoked
    } else {
        ApiError::Forbidden("the officer's account is deactivated".into())
    }
}

/// Lets the request through if `allowed` says so; otherwise records the refusal and refuses.
pub async fn require(
    state: &AppState,
    caller: &Principal,
    allowed: bool,
    action: &str,
    target: &str,
) -> Result<(), ApiError> {
    if allowed {
        return Ok(());
    }
    let (who, device, action, target) = (
        caller.username.clone(),
        caller.device_id,
        action.to_string(),
        target.to_string(),
    );
    let reason = format!("{action} {target}").trim().to_string();
    with_store(state, move |s| {
        s.audit(
            &who,
            device,
            &action,
            &target,
            Outcome::Refused,
            "not allowed for this account",
        )
    })
    .await?;
    Err(ApiError::Forbidden(format!(
        "this account may not do that ({reason})"
    )))
}

/// Staff work (merge queue, tasks, the whole station's figures): staff and the chief.
pub(super) async fn require_staff(
    state: &AppState,
    caller: &Principal,
    action: &str,
) -> Result<(), ApiError> {
    require(state, caller, caller.sees_station_records(), action, "").await
}

/// A read of one beat (an officer's own) or, without a beat, of the whole station (staff, chief).
pub(super) async fn require_beat(
    state: &AppState,
    caller: &Principal,
    beat: Option<&str>,
    action: &str,
) -> Result<(), ApiError> {
    match beat {
        Some(beat) => require(state, caller, caller.may_read_beat(beat), action, beat).await,
        None => require_staff(state, caller, action).await,
    }
}

pub(super) async fn require_admin(
    state: &AppState,
    caller: &Principal,
    action: &str,
) -> Result<(), ApiError> {
    require(state, caller, caller.has(Role::Admin), action, "").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            "a=1; doorstep_session=s.abc; b=2".parse().unwrap(),
        );
        assert_eq!(session_cookie(&headers).as_deref(), Some("s.abc"));
        headers.insert("authorization", "Bearer d.xyz".parse().unwrap());
        assert!(matches!(credential(&headers), Some(Credential::Device(t)) if t == "d.xyz"));
    }
}
