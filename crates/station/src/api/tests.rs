//! The router called directly: headers, sessions, lock-out, refusals.

use super::*;
use crate::store::{NewAccount, Role, StationStore};
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

const ADMIN_PASSWORD: &str = "admin-password-1";

fn router() -> (Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = StationStore::open(&dir.path().join("station.sqlite")).unwrap();
    store.bootstrap_admin("admin", ADMIN_PASSWORD).unwrap();
    store
        .create_account(
            "test",
            &NewAccount {
                username: "staff".into(),
                display_name: "王文员".into(),
                roles: vec![Role::Staff],
                beats: vec![],
                password: "staff-password-1".into(),
            },
        )
        .unwrap();
    (app(AppState::new(store, false).unwrap()), dir)
}

/// Signs in and returns the cookie header value and the CSRF token.
async fn sign_in(router: &Router, username: &str, password: &str) -> (StatusCode, String, String) {
    sign_in_from(router, username, password, None).await
}

/// Signs in from a client address (as the server's connection info gives it).
async fn sign_in_from(
    router: &Router,
    username: &str,
    password: &str,
    from: Option<&str>,
) -> (StatusCode, String, String) {
    let body = serde_json::json!({"username": username, "password": password}).to_string();
    let mut request = Request::post("/api/v1/session")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    if let Some(from) = from {
        let addr: std::net::SocketAddr = format!("{from}:40000").parse().unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
    }
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    assert!(
        body.get("token").is_none(),
        "the session token is only in the HttpOnly cookie: {body}"
    );
    let cookie = cookie.split(';').next().unwrap_or_default().to_string();
    (
        status,
        cookie,
        body["csrf"].as_str().unwrap_or_default().to_string(),
    )
}

async fn call(router: Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn the_staff_pages_come_with_a_strict_security_policy() {
    let (router, _dir) = router();
    let response = router
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let csp = header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let (router, _dir) = router();
    let (status, body) = call(
        router,
        Request::get("/api/v1/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    for path in [
        "/api/v1/health",
        "/api/v1/devices",
        "/api/v1/push",
        "/api/v1/pull",
        "/api/v1/conflicts",
        "/api/v1/conflicts/{id}/resolve",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["PushRequest"].is_object());
    assert!(
        doc["components"]["schemas"]["Change"].is_object(),
        "the change is described, not opaque"
    );
}

#[tokio::test]
async fn health_answers_without_a_password() {
    let (router, _dir) = router();
    let (status, body) = call(
        router,
        Request::get("/api/v1/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"ok\""));
}

#[tokio::test]
async fn a_push_without_a_credential_is_refused() {
    let (router, _dir) = router();
    let request = Request::post("/api/v1/push")
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let (status, body) = call(router, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("unauthorized"));
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_it_is_read() {
    let (router, _dir) = router();
    let (_, cookie, csrf) = sign_in(&router, "staff", "staff-password-1").await;
    let big = vec![b' '; limits::MAX_BODY_BYTES + 1];
    let request = Request::post("/api/v1/push")
        .header("content-type", "application/json")
        .header("cookie", cookie)
        .header(auth::CSRF_HEADER, csrf)
        .body(Body::from(big))
        .unwrap();
    let (status, _) = call(router, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn resolving_a_conflict_that_does_not_exist_is_404() {
    let (router, _dir) = router();
    let (_, cookie, csrf) = sign_in(&router, "staff", "staff-password-1").await;
    let request = Request::post("/api/v1/conflicts/42/resolve")
        .header("content-type", "application/json")
        .header("cookie", cookie)
        .header(auth::CSRF_HEADER, csrf)
        .body(Body::from(r#"{"value": 1}"#))
        .unwrap();
    let (status, body) = call(router, request).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn a_cookie_session_changes_nothing_without_its_csrf_token() {
    let (router, _dir) = router();
    let (status, cookie, csrf) = sign_in(&router, "staff", "staff-password-1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!csrf.is_empty());
    let set_cookie_ok = cookie.starts_with("doorstep_session=s.");
    assert!(set_cookie_ok, "{cookie}");
    let read = Request::get("/api/v1/conflicts")
        .header("cookie", &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(router.clone(), read).await.0, StatusCode::OK);
    let forged = Request::post("/api/v1/conflicts/1/resolve")
        .header("content-type", "application/json")
        .header("cookie", &cookie)
        .body(Body::from(r#"{"value": 1}"#))
        .unwrap();
    let (status, body) = call(router.clone(), forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("CSRF"), "{body}");
}

#[tokio::test]
async fn forged_and_ended_sessions_are_refused() {
    let (router, _dir) = router();
    let forged = Request::get("/api/v1/conflicts")
        .header("cookie", "doorstep_session=s.0123456789abcdef")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        call(router.clone(), forged).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, cookie, csrf) = sign_in(&router, "staff", "staff-password-1").await;
    let out = Request::delete("/api/v1/session")
        .header("cookie", &cookie)
        .header(auth::CSRF_HEADER, &csrf)
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(router.clone(), out).await.0, StatusCode::NO_CONTENT);
    let after = Request::get("/api/v1/conflicts")
        .header("cookie", &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(router, after).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_stranger_guessing_the_administrators_password_locks_out_only_the_stranger() {
    let (router, _dir) = router();
    for _ in 0..5 {
        let (status, _, _) = sign_in_from(&router, "admin", "a-guess-1", Some("10.0.0.66")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = sign_in_from(&router, "admin", ADMIN_PASSWORD, Some("10.0.0.66")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the guesser waits");
    let (status, _, _) = sign_in_from(&router, "admin", ADMIN_PASSWORD, Some("10.0.0.2")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the administrator at their own desk does not"
    );
    // One address trying many names is stopped as well.
    for n in 0..20 {
        let name = format!("user{n}");
        let (status, _, _) = sign_in_from(&router, &name, "x", Some("10.0.0.77")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) =
        sign_in_from(&router, "staff", "staff-password-1", Some("10.0.0.77")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_a_while() {
    let (router, _dir) = router();
    for _ in 0..5 {
        let (status, _, _) = sign_in(&router, "staff", "wrong-password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = sign_in(&router, "staff", "staff-password-1").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let (status, _, _) = sign_in(&router, "admin", ADMIN_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "other accounts are not locked");
}

#[tokio::test]
async fn staff_may_not_manage_accounts_and_the_refusal_is_recorded() {
    let (router, _dir) = router();
    let (_, cookie, _) = sign_in(&router, "staff", "staff-password-1").await;
    let request = Request::get("/api/v1/accounts")
        .header("cookie", &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(router.clone(), request).await.0, StatusCode::FORBIDDEN);
    let request = Request::get("/api/v1/audit?source=security&action=accounts")
        .header("cookie", &cookie)
        .body(Body::empty())
        .unwrap();
    let (status, body) = call(router, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let trail: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(trail.len(), 1, "{body}");
    assert_eq!(trail[0]["actor"], "staff");
    assert_eq!(trail[0]["outcome"], "refused");
}

/// A laptop's pull and standing are read on connections of their own (see `state`): they are
/// answered while the writing connection is held — a long push, a staff merge — instead of
/// queueing behind it.
#[tokio::test]
async fn a_sync_s_reads_are_answered_while_a_write_holds_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = StationStore::open(&dir.path().join("station.sqlite")).unwrap();
    let officer = store
        .create_account(
            "test",
            &NewAccount {
                username: "zhang".into(),
                display_name: "张警官".into(),
                roles: vec![Role::Officer],
                beats: vec!["beat-1".into()],
                password: "officer-password-1".into(),
            },
        )
        .unwrap();
    let code = store.issue_enrollment_code("test", &officer.id).unwrap();
    let device = doorstep_core::ids::DeviceId::new();
    let enrolled = store
        .enroll_with_code(&code.code, device, doorstep_core::ids::OfficerId::new(), 0)
        .unwrap();
    let state = AppState::new(store, false).unwrap();
    let writer = state.store();
    let router = app(state);
    let request = || {
        Request::get(format!("/api/v1/pull?device_id={device}&scope=beat:beat-1"))
            .header(
                "authorization",
                format!("Bearer {}", enrolled.device_credential),
            )
            .body(Body::empty())
            .unwrap()
    };
    // A long write, as a push on its blocking thread holds the writing connection.
    let (holding, held) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let writing = std::thread::spawn(move || {
        let _store = writer.lock().unwrap();
        holding.send(()).unwrap();
        let _ = released.recv();
    });
    held.recv().unwrap();
    let answered = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        call(router.clone(), request()),
    )
    .await;
    // So is the sync's first question, where the laptop stands; its contact is noted once the
    // writing connection is free.
    let standing = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        call(
            router.clone(),
            Request::get("/api/v1/scopes")
                .header(
                    "authorization",
                    format!("Bearer {}", enrolled.device_credential),
                )
                .body(Body::empty())
                .unwrap(),
        ),
    )
    .await;
    let seen = || -> Option<String> {
        rusqlite::Connection::open(dir.path().join("station.sqlite"))
            .unwrap()
            .query_row(
                "SELECT last_seen_at FROM devices WHERE device_id = ?1",
                [device],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(seen(), None, "noted only once the writer is free");
    release.send(()).unwrap();
    writing.join().unwrap();
    let (status, body) = answered.expect("the pull waited for the writing connection");
    assert_eq!(status, StatusCode::OK, "{body}");
    let page: doorstep_protocol::PullResponse = serde_json::from_str(&body).unwrap();
    assert!(page.records.is_empty() && !page.more);
    let (status, body) = standing.expect("the standing waited for the writing connection");
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut noted = false;
    for _ in 0..100 {
        noted = seen().is_some();
        if noted {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(noted, "the laptop's contact was noted after the write");
    // A credential the station does not know is still refused by the reading side.
    let (status, _) = call(
        router,
        Request::get(format!("/api/v1/pull?device_id={device}&scope=beat:beat-1"))
            .header("authorization", "Bearer d.not-a-credential")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
