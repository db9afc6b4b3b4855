//! The bureau's accounts, sign-in and sessions: the station's model (Argon2id password hashes,
//! random session tokens kept as digests, a CSRF token per session, a lock-out after five wrong
//! passwords in fifteen minutes), on PostgreSQL.

use super::audit::{self, Outcome};
use super::{BureauError, Result, bad};
use doorstep_station::store::{digest, hash_password, random_hex, verify_password};
use serde::{Deserialize, Serialize};
use tokio_postgres::GenericClient;

/// What an account may do at the bureau.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Accounts and stations.
    Admin,
    /// City-wide reports and the cross-station look-up.
    Analyst,
    /// Oversight of complaints about the police (督察).
    Inspector,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Inspector => "inspector",
        }
    }

    fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "analyst" => Some(Role::Analyst),
            "inspector" => Some(Role::Inspector),
            _ => None,
        }
    }
}

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Principal {
    pub account_id: String,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// The explicit right to read a confidential reporter of a complaint about the police.
    pub may_see_reporters: bool,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Reports and look-up: analysts, inspectors and administrators.
    pub fn reads_reports(&self) -> bool {
        !self.roles.is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    #[serde(default)]
    pub may_see_reporters: bool,
    pub password: String,
}

/// Passwords at least this long, and at most.
const MIN_PASSWORD: usize = 10;
const MAX_PASSWORD: usize = 256;
/// Wrong passwords for one account within the window that lock it for the rest of the window.
const MAX_FAILURES: i64 = 5;
const WINDOW_MINUTES: i32 = 15;
const SESSION_HOURS: i32 = 12;

fn principal_of(row: &tokio_postgres::Row) -> Principal {
    let roles: Vec<String> = row.get("roles");
    Principal {
        account_id: row.get::<_, uuid::Uuid>("id").to_string(),
        username: row.get("username"),
        display_name: row.get("display_name"),
        roles: roles.iter().filter_map(|r| Role::parse(r)).collect(),
        may_see_reporters: row.get("may_see_reporters"),
    }
}

/// Hashes on a blocking thread: Argon2 is slow on purpose.
async fn hash(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| BureauError::Internal(e.to_string()))?
        .map_err(|e| BureauError::Internal(e.to_string()))
}

/// Makes the first administrator if the bureau has no account yet; true if it did.
pub async fn bootstrap_admin(
    client: &impl GenericClient,
    username: &str,
    password: &str,
) -> Result<bool> {
    let count: i64 = client
        .query_one("SELECT count(*) FROM accounts", &[])
        .await?
        .get(0);
    if count > 0 {
        return Ok(false);
    }
    create(
        client,
        "(bureau console)",
        &NewAccount {
            username: username.into(),
            display_name: "Administrator".into(),
            roles: vec![Role::Admin, Role::Analyst],
            may_see_reporters: false,
            password: password.into(),
        },
    )
    .await?;
    Ok(true)
}

pub async fn create(
    client: &impl GenericClient,
    actor: &str,
    new: &NewAccount,
) -> Result<Principal> {
    let username = new.username.trim();
    if username.is_empty() || username.chars().count() > 64 {
        return Err(bad("give a username (at most 64 characters)"));
    }
    check_display_name(&new.display_name)?;
    if new.roles.is_empty() {
        return Err(bad(
            "give the account at least one role: admin, analyst or inspector",
        ));
    }
    check_password(&new.password)?;
    let roles: Vec<&str> = new.roles.iter().map(|r| r.as_str()).collect();
    let hashed = hash(new.password.clone()).await?;
    let row = client
        .query_opt(
            "INSERT INTO accounts (id, username, display_name, roles, may_see_reporters, password_hash)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING *",
            &[&uuid::Uuid::now_v7(), &username, &new.display_name.trim(), &roles, &new.may_see_reporters, &hashed],
        )
        .await?
        .ok_or_else(|| bad(format!("there is already an account {username}")))?;
    let detail = if new.may_see_reporters {
        "may see confidential reporters"
    } else {
        ""
    };
    audit::record(
        client,
        actor,
        "account_created",
        username,
        Outcome::Ok,
        "",
        detail,
    )
    .await?;
    Ok(principal_of(&row))
}

/// What an administrator changes on an account; what is left out stays as it is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    pub display_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub may_see_reporters: Option<bool>,
    /// False: the account can no longer sign in (someone who left, a lost laptop's password).
    pub active: Option<bool>,
    /// A new password (the person's own having been forgotten or exposed).
    pub password: Option<String>,
}

fn check_display_name(name: &str) -> Result<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad("give the person's name (at most 100 characters)"));
    }
    Ok(())
}

fn check_password(password: &str) -> Result<()> {
    // Argon2 hashes whatever it is given: a megabyte "password" would only cost the server.
    let length = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&length) {
        return Err(bad(format!(
            "the password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"
        )));
    }
    Ok(())
}

/// Changes an account (administrators). Deactivating it or setting its password ends its
/// sessions. An administrator cannot deactivate themself or take their own administration away,
/// so the bureau is never left without one. Recorded in the audit trail (never the password).
pub async fn update(
    client: &mut tokio_postgres::Client,
    actor: &Principal,
    id: &str,
    change: &AccountChange,
) -> Result<Principal> {
    let id = uuid::Uuid::parse_str(id).map_err(|_| bad("no such account"))?;
    if let Some(name) = &change.display_name {
        check_display_name(name)?;
    }
    if change.roles.as_ref().is_some_and(Vec::is_empty) {
        return Err(bad(
            "give the account at least one role: admin, analyst or inspector",
        ));
    }
    if let Some(password) = &change.password {
        check_password(password)?;
    }
    let own = actor.account_id == id.to_string();
    if own && change.active == Some(false) {
        return Err(bad(
            "you cannot deactivate your own account: ask another administrator",
        ));
    }
    if own
        && change
            .roles
            .as_ref()
            .is_some_and(|r| !r.contains(&Role::Admin))
    {
        return Err(bad(
            "you cannot take away your own administration: ask another administrator",
        ));
    }
    let hashed = match &change.password {
        Some(p) => Some(hash(p.clone()).await?),
        None => None,
    };
    let roles: Option<Vec<&str>> = change
        .roles
        .as_ref()
        .map(|r| r.iter().map(|r| r.as_str()).collect());
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "UPDATE accounts SET display_name = COALESCE($2, display_name), roles = COALESCE($3, roles),
                 may_see_reporters = COALESCE($4, may_see_reporters), active = COALESCE($5, active),
                 password_hash = COALESCE($6, password_hash)
             WHERE id = $1 RETURNING *",
            &[&id, &change.display_name.as_deref().map(str::trim), &roles, &change.may_see_reporters, &change.active, &hashed],
        )
        .await?
        .ok_or_else(|| BureauError::NotFound("no such account".into()))?;
    let ends_sessions = change.active == Some(false) || change.password.is_some();
    if ends_sessions {
        tx.execute("DELETE FROM sessions WHERE account_id = $1", &[&id])
            .await?;
    }
    let principal = principal_of(&row);
    let mut what = Vec::new();
    if change.display_name.is_some() {
        what.push("name".to_string());
    }
    if let Some(roles) = &roles {
        what.push(format!("roles {}", roles.join(",")));
    }
    if let Some(may) = change.may_see_reporters {
        what.push(format!("may see confidential reporters: {may}"));
    }
    if let Some(active) = change.active {
        what.push(if active { "activated" } else { "deactivated" }.to_string());
    }
    if change.password.is_some() {
        what.push("password set".to_string());
    }
    audit::record(
        &tx,
        &actor.username,
        "account_changed",
        &principal.username,
        Outcome::Ok,
        "",
        &what.join("; "),
    )
    .await?;
    tx.commit().await?;
    Ok(principal)
}

/// A signed-in person changes their own password, giving the current one; their other sessions
/// end (the one asking stays signed in).
pub async fn change_own_password(
    client: &mut tokio_postgres::Client,
    who: &Principal,
    session_token: &str,
    current: &str,
    new: &str,
) -> Result<()> {
    check_password(new)?;
    let id =
        uuid::Uuid::parse_str(&who.account_id).map_err(|e| BureauError::Internal(e.to_string()))?;
    let stored: String = client
        .query_one("SELECT password_hash FROM accounts WHERE id = $1", &[&id])
        .await?
        .get(0);
    let given = current.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&given, &stored))
        .await
        .map_err(|e| BureauError::Internal(e.to_string()))?;
    if !ok {
        audit::record(
            &*client,
            &who.username,
            "password_changed",
            &who.username,
            Outcome::Refused,
            "",
            "the current password was wrong",
        )
        .await?;
        // A 400, not a 401: the person is signed in, only the password they typed is wrong.
        return Err(bad("the current password is not right"));
    }
    let hashed = hash(new.to_string()).await?;
    let tx = client.transaction().await?;
    tx.execute(
        "UPDATE accounts SET password_hash = $2 WHERE id = $1",
        &[&id, &hashed],
    )
    .await?;
    tx.execute(
        "DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2",
        &[&id, &digest(session_token)],
    )
    .await?;
    audit::record(
        &tx,
        &who.username,
        "password_changed",
        &who.username,
        Outcome::Ok,
        "",
        "",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An account as the administrator's list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountView {
    #[serde(flatten)]
    pub principal: Principal,
    pub active: bool,
}

/// Every account, the active ones first (a deactivated one can be made active again).
pub async fn list(client: &impl GenericClient) -> Result<Vec<AccountView>> {
    let rows = client
        .query(
            "SELECT * FROM accounts ORDER BY NOT active, lower(username)",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| AccountView {
            principal: principal_of(r),
            active: r.get("active"),
        })
        .collect())
}

/// A signed-in session: its token (the cookie's value) and CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf: String,
    pub principal: Principal,
}

/// Checks a password and opens a session. Wrong passwords are counted per username; the fifth in
/// fifteen minutes locks the account until the window has passed.
pub async fn sign_in(
    client: &impl GenericClient,
    username: &str,
    password: &str,
    from: &str,
) -> Result<Session> {
    let username = username.trim();
    let failures: i64 = client
        .query_one(
            "SELECT count(*) FROM login_failures WHERE lower(username) = lower($1)
             AND at > now() - make_interval(mins => $2)",
            &[&username, &WINDOW_MINUTES],
        )
        .await?
        .get(0);
    if failures >= MAX_FAILURES {
        audit::record(
            client,
            username,
            "sign_in",
            "",
            Outcome::Refused,
            "",
            &format!("locked out ({from})"),
        )
        .await?;
        return Err(BureauError::TooManyAttempts(i64::from(WINDOW_MINUTES) * 60));
    }
    let row = client
        .query_opt(
            "SELECT * FROM accounts WHERE lower(username) = lower($1) AND active",
            &[&username],
        )
        .await?;
    let hash: Option<String> = row.as_ref().map(|r| r.get("password_hash"));
    let given = password.to_string();
    let ok = tokio::task::spawn_blocking(move || hash.is_some_and(|h| verify_password(&given, &h)))
        .await
        .map_err(|e| BureauError::Internal(e.to_string()))?;
    let (Some(row), true) = (row, ok) else {
        client
            .execute(
                "INSERT INTO login_failures (username) VALUES ($1)",
                &[&username],
            )
            .await?;
        audit::record(
            client,
            username,
            "sign_in",
            "",
            Outcome::Refused,
            "",
            &format!("wrong username or password ({from})"),
        )
        .await?;
        return Err(BureauError::WrongCredential(
            "wrong username or password".into(),
        ));
    };
    let principal = principal_of(&row);
    let random = || random_hex(32).map_err(|e| BureauError::Internal(e.to_string()));
    let token = format!("s.{}", random()?);
    let csrf = random()?;
    client
        .execute(
            "INSERT INTO sessions (token_hash, account_id, csrf, expires_at)
             VALUES ($1, $2, $3, now() + make_interval(hours => $4))",
            &[
                &digest(&token),
                &row.get::<_, uuid::Uuid>("id"),
                &csrf,
                &SESSION_HOURS,
            ],
        )
        .await?;
    audit::record(
        client,
        &principal.username,
        "sign_in",
        "",
        Outcome::Ok,
        "",
        from,
    )
    .await?;
    Ok(Session {
        token,
        csrf,
        principal,
    })
}

/// The account and CSRF token of a live session.
pub async fn session(
    client: &impl GenericClient,
    token: &str,
) -> Result<Option<(Principal, String)>> {
    let row = client
        .query_opt(
            "SELECT a.*, s.csrf FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE s.token_hash = $1 AND s.expires_at > now() AND a.active",
            &[&digest(token)],
        )
        .await?;
    Ok(row.map(|r| (principal_of(&r), r.get("csrf"))))
}

pub async fn sign_out(client: &impl GenericClient, token: &str) -> Result<()> {
    client
        .execute(
            "DELETE FROM sessions WHERE token_hash = $1",
            &[&digest(token)],
        )
        .await?;
    Ok(())
}
