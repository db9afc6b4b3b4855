//! The HTTP API, `/api/v1`, and the staff pages. The router is a function of the state so tests call
//! it directly. Each resource is a module with its own `routes()`; each handler only unpacks the
//! request, asks [`auth`] whether the caller may, calls the store on a blocking thread
//! ([`state::with_store`]), and packs the answer. What can go wrong, and which status it gets, is
//! [`error`].
//!
//! - [`sync`]: what laptops call: enrolment, push, pull, their scopes;
//! - [`session`]: signing in and out of the staff pages;
//! - [`accounts`]: accounts, officers, enrolment codes, laptops and their revocation;
//! - [`conflicts`]: the merge queue of conflicting edits and staff decisions on it;
//! - [`duplicates`]: duplicate households and residents, merging and undoing;
//! - [`tasks`]: follow-up tasks and their assignment;
//! - [`blobs`]: photos' bytes, sent in chunks by laptops and read by who may see the photo;
//! - [`concerns`]: one concern, with its reporter shown only to who may see it;
//! - [`reports`]: the overview, its worklists, the monthly summary and record exports;
//! - [`audit`]: the audit trail;
//! - [`bureau`]: the link to the bureau and where replication to it stands;
//! - [`pages`]: the staff pages' static files; [`openapi`]: the API document.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod bundles;
pub mod bureau;
pub mod concerns;
pub mod conflicts;
pub mod duplicates;
pub mod error;
pub mod openapi;
pub mod pages;
pub mod reports;
pub mod session;
pub mod state;
pub mod sync;
pub mod tasks;

#[cfg(test)]
mod tests;

pub use error::ApiError;
pub use openapi::ApiDoc;
pub use state::AppState;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use doorstep_protocol::limits;
use std::time::Duration;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The header that carries a request's id: the station makes one unless the client sent one, logs
/// it with the request, and answers with it, so a complaint ("the sync at 9:14 failed") can be
/// found in the log.
const REQUEST_ID: &str = "x-request-id";

/// The span every request is logged in: its id, method and route. The route is the pattern
/// (`/api/v1/concerns/{id}`), never the path or query as sent, which may hold names and ids; no
/// header or body is logged, so neither credentials nor record contents reach the log.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str);
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!("request", id, method = %request.method(), route)
}

/// One line per answer: its status and how long it took.
fn log_answer(response: &Response, took: Duration, _: &tracing::Span) {
    let status = response.status().as_u16();
    let ms = took.as_secs_f64() * 1000.0;
    if response.status().is_server_error() {
        tracing::error!(status, ms, "answered");
    } else {
        tracing::info!(status, ms, "answered");
    }
}

/// Headers every answer carries: the staff pages load only their own scripts, styles and data
/// (no inline script, no framing by other sites), and nothing is sniffed or leaked in referrers.
const SECURITY_HEADERS: &[(axum::http::HeaderName, &str)] = &[
    (
        axum::http::header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (axum::http::header::X_FRAME_OPTIONS, "DENY"),
    (axum::http::header::REFERRER_POLICY, "no-referrer"),
];

/// Reads a request's whole body (up to the limit) before anything may answer it. An answer given
/// before the body is read (a 401 from the credential check, a 400 for a malformed path) makes
/// hyper drop the connection when the body arrives later, after an answer that promised
/// keep-alive: the client's next request on that pooled connection then fails as a network error
/// (test: `an_answer_given_before_the_body_is_read_keeps_the_connection_usable`). Every handler
/// buffers its JSON body anyway, so this costs no memory the handler would not have spent.
async fn read_body_first(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limits::MAX_BODY_BYTES).await {
        Ok(bytes) => {
            next.run(axum::extract::Request::from_parts(parts, bytes.into()))
                .await
        }
        Err(e) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            let answer = if too_large {
                ApiError::Unreadable(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the request is larger than the station accepts ({} MiB)",
                        limits::MAX_BODY_BYTES / (1024 * 1024)
                    ),
                )
            } else {
                ApiError::Unreadable(
                    StatusCode::BAD_REQUEST,
                    format!("the request's body could not be read: {e}"),
                )
            };
            // The rest of the body is not read: the connection cannot carry another request.
            ([(axum::http::header::CONNECTION, "close")], answer).into_response()
        }
    }
}

/// The encodings a request's body may come in: a laptop's push gzip'd, anything plain.
const BODY_ENCODINGS: [&str; 2] = [doorstep_protocol::GZIP, "identity"];

/// Refuses a body in any other encoding than [`BODY_ENCODINGS`] (or in several, stacked), with
/// a 415 that says which the station takes, before anything reads it. An encoding's name is taken
/// in any case, as HTTP says (the layer that unpacks knows it in lower case only).
async fn plain_or_gzip(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::http::header::CONTENT_ENCODING;
    let mut encodings = request.headers().get_all(CONTENT_ENCODING).iter();
    let encoding = match (encodings.next(), encodings.next()) {
        (None, _) => Ok(None),
        (Some(one), None) => BODY_ENCODINGS
            .iter()
            .find(|e| one.as_bytes().eq_ignore_ascii_case(e.as_bytes()))
            .map(|e| Some(*e))
            .ok_or(()),
        (Some(_), Some(_)) => Err(()),
    };
    match encoding {
        Ok(Some(known)) => {
            request
                .headers_mut()
                .insert(CONTENT_ENCODING, HeaderValue::from_static(known));
        }
        Ok(None) => {}
        Err(()) => {
            let answer = ApiError::Unreadable(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the station takes a request's body plain or gzip'd (Content-Encoding: gzip), in one encoding".into(),
            );
            // The body is not read: the connection cannot carry another request.
            return ([(axum::http::header::CONNECTION, "close")], answer).into_response();
        }
    }
    next.run(request).await
}

/// The whole station: every resource's routes, the body limit, and the security headers.
pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .merge(pages::routes())
        .merge(openapi::routes())
        .merge(sync::routes())
        .merge(session::routes())
        .merge(accounts::routes())
        .merge(bundles::routes())
        .merge(bureau::routes())
        .merge(blobs::routes())
        .merge(audit::routes())
        .merge(concerns::routes())
        .merge(conflicts::routes())
        .merge(duplicates::routes())
        .merge(tasks::routes())
        .merge(reports::routes())
        .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(read_body_first))
        // A body the client gzip'd (laptops gzip their pushes where the station says it takes
        // them: `Scopes::push_encodings`) is unpacked as it is read. The limit above counts the
        // unpacked bytes, so a small body that unpacks into gigabytes is refused at the limit.
        .layer(RequestDecompressionLayer::new())
        .layer(axum::middleware::from_fn(plain_or_gzip))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_answer)
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(
            REQUEST_ID.parse().expect("a header name"),
        ))
        .layer(SetRequestIdLayer::new(
            REQUEST_ID.parse().expect("a header name"),
            MakeRequestUuid,
        ))
        .with_state(state);
    SECURITY_HEADERS
        .iter()
        .fold(router, |router, (name, value)| {
            router.layer(SetResponseHeaderLayer::overriding(
                name.clone(),
                HeaderValue::from_static(value),
            ))
        })
}
