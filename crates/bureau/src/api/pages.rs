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

/// The closed lists' words in both languages, from the core's one vocabulary, for the pages:
/// `{"zh-CN": {"category": {"dispute": "矛盾纠纷", …}, …}, "en": {…}}`.
async fn vocabulary() -> axum::Json<serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (lang, pick) in [("zh-CN", 1), ("en", 2)] {
        let mut groups = serde_json::Map::new();
        for (group, words) in doorstep_core::model::vocabulary() {
            let labels: serde_json::Map<String, serde_json::Value> = words
                .iter()
                .map(|w| {
                    (
                        w.0.to_string(),
                        serde_json::Value::from(if pick == 1 { w.1 } else { w.2 }),
                    )
                })
                .collect();
            groups.insert(group.to_string(), labels.into());
        }
        out.insert(lang.to_string(), groups.into());
    }
    axum::Json(out.into())
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/api/v1/vocabulary", get(vocabulary))
        .route("/bureau/app.js", get(script))
        .route("/bureau/style.css", get(style))
}
