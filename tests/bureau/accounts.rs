//! The bureau's accounts after they are made: an administrator deactivates one (its sessions end,
//! it cannot sign in), sets a forgotten password, changes roles and the right to see reporters; a
//! person changes their own password (their other sessions end); each change in the audit trail,
//! never a password; what may not be done is refused with a reason.

use super::bureau::Bureau;
use super::postgres::Postgres;
use serde_json::{Value, json};

fn id_of(bureau: &Bureau, username: &str) -> String {
    let accounts = bureau.get_json("/api/v1/accounts", &bureau.admin_token);
    accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == username)
        .unwrap_or_else(|| panic!("{username} in {accounts}"))["account_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn administrators_deactivate_and_reset_accounts_and_people_change_their_own_password() {
    let pg = Postgres::start();
    let bureau = Bureau::start(&pg);
    let analyst = bureau.account("wang", &["analyst"], false);
    let id = id_of(&bureau, "wang");
    let change = |token: &str, id: &str, body: Value| {
        bureau.request("POST", &format!("/api/v1/accounts/{id}"), token, Some(body))
    };

    // Only an administrator changes accounts.
    let (status, body) = change(&analyst, &id, json!({ "roles": ["admin"] }));
    assert_eq!(status, 403, "{body}");

    // Deactivated: the open session ends at once and the password no longer signs in.
    let (status, body) = change(&bureau.admin_token, &id, json!({ "active": false }));
    assert_eq!(status, 200, "{body}");
    let (status, _) = bureau.request("GET", "/api/v1/overview", &analyst, None);
    assert_eq!(status, 401, "a deactivated account's session is over");
    let (status, _, _) = bureau.sign_in_answer("wang", "wang-password-1");
    assert_eq!(status, 401);
    let listed = bureau.get_json("/api/v1/accounts", &bureau.admin_token);
    let wang = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "wang")
        .unwrap();
    assert_eq!(wang["active"], false, "listed as deactivated: {listed}");

    // Back, with a new password set by the administrator, as an inspector who may see reporters.
    let (status, body) = change(
        &bureau.admin_token,
        &id,
        json!({ "active": true, "password": "a-new-password-9", "roles": ["inspector"], "may_see_reporters": true, "display_name": "王督察" }),
    );
    assert_eq!(status, 200, "{body}");
    let changed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(changed["roles"], json!(["inspector"]));
    assert_eq!(changed["may_see_reporters"], true);
    assert_eq!(changed["display_name"], "王督察");
    let (status, _, _) = bureau.sign_in_answer("wang", "wang-password-1");
    assert_eq!(status, 401, "the old password is gone");
    let first = bureau.sign_in("wang", "a-new-password-9");
    let second = bureau.sign_in("wang", "a-new-password-9");
    let (status, _) = bureau.request("GET", "/api/v1/oversight/complaints", &first, None);
    assert_eq!(status, 200, "the new role holds");

    // Their own password: the current one is asked for; the other sessions end, this one stays.
    let own = |token: &str, current: &str, new: &str| {
        bureau.request(
            "POST",
            "/api/v1/session/password",
            token,
            Some(json!({ "current": current, "new": new })),
        )
    };
    let (status, body) = own(&first, "not-my-password", "another-password-7");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("current password"), "{body}");
    let (status, body) = own(&first, "a-new-password-9", "short");
    assert_eq!(status, 400, "{body}");
    let (status, body) = own(&first, "a-new-password-9", "another-password-7");
    assert_eq!(status, 200, "{body}");
    let (status, _) = bureau.request("GET", "/api/v1/session", &first, None);
    assert_eq!(status, 200, "the session that changed it stays");
    let (status, _) = bureau.request("GET", "/api/v1/session", &second, None);
    assert_eq!(status, 401, "the other session ended");
    bureau.sign_in("wang", "another-password-7");

    // The trail says who changed what, never the passwords.
    let trail = bureau
        .get_json("/api/v1/audit?limit=50", &bureau.admin_token)
        .to_string();
    assert!(trail.contains("account_changed"), "{trail}");
    assert!(trail.contains("deactivated"), "{trail}");
    assert!(trail.contains("password_changed"), "{trail}");
    for password in ["a-new-password-9", "another-password-7", "not-my-password"] {
        assert!(!trail.contains(password), "{password} in the trail");
    }
}

#[test]
fn account_changes_that_would_lock_the_bureau_out_or_are_malformed_are_refused() {
    let pg = Postgres::start();
    let bureau = Bureau::start(&pg);
    let admin_id = id_of(&bureau, "admin");
    let change = |id: &str, body: Value| {
        bureau.request(
            "POST",
            &format!("/api/v1/accounts/{id}"),
            &bureau.admin_token,
            Some(body),
        )
    };
    for (body, reason) in [
        (json!({ "active": false }), "deactivate your own"),
        (json!({ "roles": ["analyst"] }), "your own administration"),
        (json!({ "roles": [] }), "at least one role"),
        (json!({ "roles": ["chief"] }), "chief"),
        (json!({ "password": "short" }), "10 to 256"),
        (json!({ "password": "长".repeat(300) }), "10 to 256"),
        (json!({ "display_name": "名".repeat(101) }), "at most 100"),
        (json!({ "display_name": "  " }), "name"),
        (json!({ "is_superuser": true }), "is_superuser"),
    ] {
        let (status, text) = change(&admin_id, body.clone());
        // 400 for a rule, 422 for a body that is not an account change (an unknown role or field).
        assert!(status == 400 || status == 422, "{body}: {status} {text}");
        assert!(text.contains(reason), "{body}: {text}");
    }
    let (status, text) = change("not-an-id", json!({ "active": false }));
    assert_eq!(status, 400, "{text}");
    let (status, text) = change(
        "01890000-0000-7000-8000-000000000000",
        json!({ "active": false }),
    );
    assert_eq!(status, 404, "{text}");
    // Still an administrator, still signed in.
    assert_eq!(
        bureau.get_json("/api/v1/session", &bureau.admin_token)["account"]["roles"][0],
        "admin"
    );
}
