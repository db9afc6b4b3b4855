//! The staff pages: static files compiled into the binary, so nothing is deployed beside it.

use super::state::AppState;
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;

/// The staff pages: static files compiled into the binary (no build step, nothing to deploy beside it).
pub(super) async fn staff_page() -> impl IntoResponse {
    (
        [("content-type", "text/html; charset=utf-8")],
        include_str!("../../web/index.html"),
    )
}
pub(super) async fn staff_script() -> impl IntoResponse {
    (
        [("content-type", "text/javascript; charset=utf-8")],
        include_str!("../../web/queue.js"),
    )
}
pub(super) async fn staff_overview_script() -> impl IntoResponse {
    (
        [("content-type", "text/javascript; charset=utf-8")],
        include_str!("../../web/overview.js"),
    )
}
pub(super) async fn staff_admin_script() -> impl IntoResponse {
    (
        [("content-type", "text/javascript; charset=utf-8")],
        include_str!("../../web/admin.js"),
    )
}
pub(super) async fn staff_style() -> impl IntoResponse {
    (
        [("content-type", "text/css; charset=utf-8")],
        include_str!("../../web/style.css"),
    )
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(staff_page))
        .route("/staff/queue.js", get(staff_script))
        .route("/staff/overview.js", get(staff_overview_script))
        .route("/staff/admin.js", get(staff_admin_script))
        .route("/staff/style.css", get(staff_style))
}
