//! How the bureau's API answers when it cannot do what was asked: the one place where the store's
//! errors become HTTP statuses, and the extractors that turn a body or query the bureau cannot read
//! into a 400 with a reason. Bodies say what was wrong and never carry internals (those are logged).

use crate::store::BureauError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

#[derive(Debug)]
pub struct ApiError(pub BureauError);

impl From<BureauError> for ApiError {
    fn from(e: BureauError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.0.to_string();
        let (status, error) = match &self.0 {
            BureauError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
            BureauError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            BureauError::WrongCredential(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            BureauError::NotPermitted(_) => (StatusCode::FORBIDDEN, "forbidden"),
            BureauError::Revoked => (StatusCode::FORBIDDEN, "revoked"),
            BureauError::Gap(cursors) => {
                let body = serde_json::json!({
                    "error": "replication_gap",
                    "message": message,
                    "cursors": cursors,
                });
                return (StatusCode::CONFLICT, Json(body)).into_response();
            }
            BureauError::TooManyAttempts(secs) => {
                let body = serde_json::json!({ "error": "too_many_attempts", "message": message });
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", secs.to_string())],
                    Json(body),
                )
                    .into_response();
            }
            BureauError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "the database cannot be reached");
                let body = serde_json::json!({
                    "error": "unavailable",
                    "message": "the bureau's database cannot be reached just now: try again shortly",
                });
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [("retry-after", "5")],
                    Json(body),
                )
                    .into_response();
            }
            BureauError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                let body = serde_json::json!({ "error": "internal", "message": "the bureau could not do that (see its log)" });
                return (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response();
            }
        };
        (
            status,
            Json(serde_json::json!({ "error": error, "message": message })),
        )
            .into_response()
    }
}

pub fn unauthorized(message: &str) -> ApiError {
    ApiError(BureauError::WrongCredential(message.into()))
}

/// A JSON body, or a 400 saying why it could not be read.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(unreadable(rejection.status(), rejection.body_text())),
        }
    }
}

/// A query string, or a 400 saying why it could not be read.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(unreadable(StatusCode::BAD_REQUEST, rejection.body_text())),
        }
    }
}

fn unreadable(status: StatusCode, message: String) -> Response {
    let status = if status.is_client_error() {
        status
    } else {
        StatusCode::BAD_REQUEST
    };
    (
        status,
        Json(serde_json::json!({ "error": "unreadable", "message": message })),
    )
        .into_response()
}

// The rejection types are named so a change in axum's shows here.
#[allow(dead_code)]
fn _rejections(_: JsonRejection, _: QueryRejection) {}
