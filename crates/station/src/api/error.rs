//! How the API answers when it cannot do what was asked: one enum whose variants say their status,
//! the one place where the store's domain errors become HTTP statuses, and the extractors that turn
//! a body or query the station cannot read into a 400 with a reason (so no handler unpacks a
//! rejection by hand). Bodies say what was wrong with the request and never carry internals (those
//! go to the log).

use crate::store::StationError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use doorstep_core::ids::DeviceId;
use doorstep_protocol::{ApiErrorBody, refusals};
use serde::de::DeserializeOwned;

#[derive(Debug)]
pub enum ApiError {
    /// No credential, or one the station does not know (any more).
    Unauthorized(String),
    /// A known caller asking for what their roles or beats do not allow.
    Forbidden(String),
    /// A revoked laptop: nothing it sends is stored.
    Revoked,
    /// A revoked laptop that must erase its data.
    Wipe,
    /// Too many wrong passwords: try again after this many seconds.
    TooManyAttempts(i64),
    BadRequest(String),
    UnknownDevice(DeviceId),
    NotFound(String),
    Conflict(String),
    /// The request could not be read (malformed, truncated, too large): the extractor's own status.
    Unreadable(StatusCode, String),
    /// Something the station machine lacks (a font for the PDF): what to install.
    Unavailable(String),
    /// The station's disk is full: nothing of the request was stored; the laptop sends it again.
    DiskFull,
    /// A bundle not taken (`bundle_CODE`): 403 for a laptop that may no longer sync, else 400.
    Bundle {
        code: &'static str,
        message: String,
        revoked: bool,
    },
    /// Photo bytes not taken (`blob_CODE`): 409 for a chunk at the wrong offset or before its
    /// record (the body says where the upload stands), 422 for bytes that do not match their
    /// SHA-256, 400 otherwise.
    Blob {
        code: &'static str,
        message: String,
    },
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, message) = match self {
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            ApiError::Revoked => (
                StatusCode::FORBIDDEN,
                refusals::REVOKED,
                "this laptop has been revoked by the station's administrator".to_string(),
            ),
            ApiError::Wipe => (
                StatusCode::GONE,
                refusals::WIPE,
                "this laptop has been revoked and must erase its data".to_string(),
            ),
            ApiError::TooManyAttempts(secs) => {
                let body = ApiErrorBody {
                    error: "too_many_attempts".into(),
                    message: format!(
                        "too many wrong passwords: try again in {} minutes",
                        (secs + 59) / 60
                    ),
                };
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", secs.to_string())],
                    Json(body),
                )
                    .into_response();
            }
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            ApiError::Bundle {
                code,
                message,
                revoked,
            } => {
                let status = if revoked {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::BAD_REQUEST
                };
                let body = ApiErrorBody {
                    error: format!("bundle_{code}"),
                    message,
                };
                return (status, Json(body)).into_response();
            }
            ApiError::Blob { code, message } => {
                let status = match code {
                    "offset" | "unknown_photo" => StatusCode::CONFLICT,
                    "checksum" => StatusCode::UNPROCESSABLE_ENTITY,
                    _ => StatusCode::BAD_REQUEST,
                };
                let body = ApiErrorBody {
                    error: format!("blob_{code}"),
                    message,
                };
                return (status, Json(body)).into_response();
            }
            ApiError::DiskFull => {
                tracing::error!("the station's disk is full: requests that write are refused");
                (
                    StatusCode::INSUFFICIENT_STORAGE,
                    "disk_full",
                    "the station's disk is full: nothing of this request was stored; it can be sent again once the station's administrator frees space".to_string(),
                )
            }
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m),
            ApiError::UnknownDevice(d) => (
                StatusCode::FORBIDDEN,
                "unknown_device",
                format!("device {d} is not enrolled at this station"),
            ),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "already_done", m),
            ApiError::Unreadable(status, m) if status == StatusCode::PAYLOAD_TOO_LARGE => {
                (status, "too_large", m)
            }
            ApiError::Unreadable(status, m) => (status, "bad_request", m),
            ApiError::Internal(detail) => {
                tracing::error!(detail, "the request failed inside the station");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the station could not complete the request".to_string(),
                )
            }
        };
        (
            status,
            Json(ApiErrorBody {
                error: error.into(),
                message,
            }),
        )
            .into_response()
    }
}

/// The one place where the store's domain errors get their HTTP status.
impl From<StationError> for ApiError {
    fn from(e: StationError) -> Self {
        match e {
            StationError::UnknownDevice(d) => ApiError::UnknownDevice(d),
            StationError::Invalid(m) => ApiError::BadRequest(m),
            StationError::NotFound(m) => ApiError::NotFound(m),
            StationError::AlreadyDone(m) => ApiError::Conflict(m),
            StationError::WrongCredential(m) => ApiError::Unauthorized(m),
            StationError::NotPermitted(m) => ApiError::Forbidden(m),
            StationError::TooManyAttempts(secs) => ApiError::TooManyAttempts(secs),
            StationError::Blob { code, message, .. } => ApiError::Blob { code, message },
            StationError::Bundle {
                code,
                message,
                revoked,
            } => ApiError::Bundle {
                code,
                message,
                revoked,
            },
            // A rule the database itself keeps (a unique name, a reference): the request clashes
            // with what is stored, which the client can act on; the constraint's name stays in the log.
            StationError::Sqlite(rusqlite::Error::SqliteFailure(f, detail))
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                tracing::warn!(?detail, "refused by a constraint of the database");
                ApiError::Conflict("that clashes with what the station already holds".into())
            }
            StationError::Sqlite(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) =>
            {
                ApiError::DiskFull
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        // Keep the status (400 malformed, 413 too large, 415 not JSON), in the API's own body.
        let status = if e.status() == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            e.status()
        };
        ApiError::Unreadable(status, e.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::Unreadable(StatusCode::BAD_REQUEST, e.body_text())
    }
}

/// A JSON body, or a 400 (413 when too large, 415 when not JSON) in the API's own error body.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(ApiJson(value))
    }
}

/// A query string, or a 400 with what was wrong with it.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(value) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}
