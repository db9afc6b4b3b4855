//! The staff pages: the TypeScript app in `web/` (built by Vite into `web/dist`, see
//! `scripts/build-web.sh`) compiled into the binary, so nothing is deployed beside it.

use super::state::AppState;
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;

/// The built pages. A build of the station needs them: `scripts/build-web.sh` makes them (the
/// set-up and test commands run it first).
const INDEX: &str = include_str!("../../web/dist/index.html");
const SCRIPT: &str = include_str!("../../web/dist/staff/app.js");
const STYLE: &str = include_str!("../../web/dist/staff/style.css");

async fn staff_page() -> impl IntoResponse {
    ([("content-type", "text/html; charset=utf-8")], INDEX)
}

async fn staff_script() -> impl IntoResponse {
    ([("content-type", "text/javascript; charset=utf-8")], SCRIPT)
}

async fn staff_style() -> impl IntoResponse {
    ([("content-type", "text/css; charset=utf-8")], STYLE)
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(staff_page))
        .route("/staff/app.js", get(staff_script))
        .route("/staff/style.css", get(staff_style))
}
