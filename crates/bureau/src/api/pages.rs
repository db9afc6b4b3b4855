//! The bureau's pages: plain HTML, CSS and a script module in `web/`, compiled into the binary.

use super::state::AppState;
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;

const INDEX: &str = include_str!("../../web/index.html");
const SCRIPT: &str = include_str!("../../web/app.js");
const STYLE: &str = include_str!("../../web/style.css");

async fn index() -> impl IntoResponse {
    ([("content-type", "text/html; charset=utf-8")], INDEX)
}

async fn script() -> impl IntoResponse {
    ([("content-type", "text/javascript; charset=utf-8")], SCRIPT)
}

async fn style() -> impl IntoResponse {
    ([("content-type", "text/css; charset=utf-8")], STYLE)
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/bureau/app.js", get(script))
        .route("/bureau/style.css", get(style))
}
