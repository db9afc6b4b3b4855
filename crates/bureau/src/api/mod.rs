//! The bureau's HTTP API (`/api/v1`) and pages. Each resource is a module with its own `routes()`;
//! a handler unpacks the request, checks who calls ([`auth`]), calls the store and packs the answer;
//! [`error`] gives every failure its status.
//!
//! - [`replication`]: what stations call (enrol, where the bureau stands, send a batch);
//! - [`session`]: signing in and out;
//! - [`admin`]: stations, accounts, the audit trail;
//! - [`reports`]: the city-wide overview and monthly summary;
//! - [`lookup`]: a person or an address across stations;
//! - [`oversight`]: complaints about the police for the inspectors;
//! - [`pages`]: the bureau's pages.

pub mod admin;
pub mod auth;
pub mod error;
pub mod lookup;
pub mod oversight;
pub mod pages;
pub mod replication;
pub mod reports;
pub mod session;
pub mod state;

pub use state::AppState;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderValue;
use doorstep_protocol::bureau::limits;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Headers every answer carries: the pages load only their own scripts, styles and data.
const SECURITY_HEADERS: &[(axum::http::HeaderName, &str)] = &[
    (
        axum::http::header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (axum::http::header::X_FRAME_OPTIONS, "DENY"),
    (axum::http::header::REFERRER_POLICY, "no-referrer"),
];

/// Reads a request's whole body (up to the limit) before anything may answer it: an answer given
/// before the body is read (a 401 for a station's unknown credential) makes the server drop the
/// connection when the body arrives, and the client's next request on that pooled connection
/// fails (the station learned this first: its `read_body_first`).
async fn read_body_first(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limits::MAX_BODY_BYTES).await {
        Ok(bytes) => next.run(axum::extract::Request::from_parts(parts, bytes.into())).await,
        Err(_) => (
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            [(axum::http::header::CONNECTION, "close")],
            axum::Json(serde_json::json!({
                "error": "unreadable",
                "message": format!("the request is larger than the bureau accepts ({} MiB), or was cut", limits::MAX_BODY_BYTES >> 20),
            })),
        )
            .into_response(),
    }
}

/// The whole bureau: every resource's routes, the body limit, the log and the security headers.
pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .merge(pages::routes())
        .merge(replication::routes())
        .merge(session::routes())
        .merge(admin::routes())
        .merge(reports::routes())
        .merge(lookup::routes())
        .merge(oversight::routes())
        .route(
            "/api/v1/health",
            axum::routing::get(|| async { axum::Json(serde_json::json!({ "status": "ok" })) }),
        )
        .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(read_body_first))
        .layer(TraceLayer::new_for_http())
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
