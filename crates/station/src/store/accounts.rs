//! Who may do what at the station: accounts with roles and beats, sign-in sessions, one-time
//! enrolment codes and the device credentials they are exchanged for, and revocation.
//!
//! Secrets are never stored. Passwords are kept as Argon2id hashes (checked outside the store lock by
//! the API, since hashing is deliberately slow); session tokens, enrolment codes and device
//! credentials are long random strings kept as SHA-256 digests, which is enough for values nobody
//! chose and which are looked up on every request.

use super::audit::{Outcome, record as audit};
use super::{Result, StationError, StationStore, bad, now};
use doorstep_core::ids::{DeviceId, OfficerId};
use doorstep_protocol::EnrollResponse;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A session ends after this long unused…
pub const SESSION_IDLE_SECS: i64 = 30 * 60;
/// …and in any case after this long.
pub const SESSION_MAX_SECS: i64 = 12 * 60 * 60;
/// An enrolment code is good for one laptop within this time.
pub const CODE_VALID_SECS: i64 = 24 * 60 * 60;
/// Wrong passwords for one account within `LOGIN_WINDOW_SECS` before it is locked for that window.
pub const LOGIN_MAX_FAILURES: i64 = 5;
pub const LOGIN_WINDOW_SECS: i64 = 15 * 60;
/// Wrong passwords from one client address, whatever the names, before it is locked out.
pub const CLIENT_MAX_FAILURES: i64 = 20;
/// Wrong passwords for one name from all addresses together before the account is locked.
pub const ACCOUNT_MAX_FAILURES: i64 = 100;
/// The shortest password an administrator may set.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Own beats and tasks assigned to them, from their laptop.
    Officer,
    /// Merge queue, task assignment, reports of the station.
    Staff,
    /// Everything of the station, confidential reporters included.
    Chief,
    /// Accounts, devices and settings (not record contents unless also chief).
    Admin,
}

/// An account as administrators see it (never its password hash).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub beats: Vec<String>,
    pub active: bool,
    pub created_at: String,
}

/// A new account.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    #[serde(default)]
    pub beats: Vec<String>,
    pub password: String,
}

/// Changes to an account; what is absent stays.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AccountUpdate {
    pub display_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub beats: Option<Vec<String>>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// Who is asking: an account signed in on the staff pages, or a laptop with its officer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Principal {
    pub account_id: String,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub beats: Vec<String>,
    /// The laptop the request came from, for a device credential.
    #[schema(value_type = Option<String>)]
    pub device_id: Option<DeviceId>,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Staff and the chief see the station's records; an administrator alone does not.
    pub fn sees_station_records(&self) -> bool {
        self.has(Role::Staff) || self.has(Role::Chief)
    }

    /// Only the chief sees who reported a confidential concern (besides its recording officer).
    pub fn sees_confidential_reporters(&self) -> bool {
        self.has(Role::Chief)
    }

    /// Staff, the chief and administrators see the laptops and the audit trail.
    pub fn oversees_station(&self) -> bool {
        self.sees_station_records() || self.has(Role::Admin)
    }

    /// Whether the principal may read this beat's records.
    pub fn may_read_beat(&self, beat: &str) -> bool {
        self.sees_station_records() || self.beats.iter().any(|b| b == beat)
    }
}

/// What a laptop's credential stands for, revoked or not.
#[derive(Debug, Clone)]
pub struct DeviceAuth {
    pub principal: Principal,
    pub revoked: bool,
    pub wipe: bool,
    pub account_active: bool,
}

/// A one-time enrolment code, shown to the administrator once.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EnrollmentCode {
    pub code: String,
    pub account_id: String,
    pub expires_at: String,
}

/// What a sign-in opens: the token (cookie or bearer) and the CSRF token the pages send back.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Session {
    pub token: String,
    pub csrf: String,
    pub account: Principal,
}

pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A fresh random token (hex of `bytes` random bytes from the operating system).
pub fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| StationError::Internal(format!("no randomness: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A password for an account nobody chose yet (the first administrator): 16 letters and digits.
pub fn random_password() -> Result<String> {
    Ok(normalize_code(&new_code()?)
        .chars()
        .take(16)
        .collect::<String>()
        .to_lowercase())
}

/// Hashes a password with Argon2id (the crate's recommended parameters) and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| StationError::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| StationError::Internal(e.to_string()))?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| StationError::Internal(e.to_string()))?
        .to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The code's letters without the characters people misread (Crockford's base 32).
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn new_code() -> Result<String> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| StationError::Internal(format!("no randomness: {e}")))?;
    let chars: Vec<char> = buf
        .iter()
        .map(|b| CODE_ALPHABET[(*b as usize) % 32] as char)
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// A typed code as the station compares it: case, spaces, dashes and look-alike letters forgiven.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

fn check_new_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(bad(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

fn clean_beats(beats: &[String]) -> Vec<String> {
    let mut out: Vec<String> = beats
        .iter()
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Account, String)> {
    let json = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    let roles: Vec<Role> = serde_json::from_str(&json(3)?).unwrap_or_default();
    let beats: Vec<String> = serde_json::from_str(&json(4)?).unwrap_or_default();
    Ok((
        Account {
            id: r.get(0)?,
            username: r.get(1)?,
            display_name: r.get(2)?,
            roles,
            beats,
            active: r.get(5)?,
            created_at: r.get(6)?,
        },
        r.get(7)?,
    ))
}

const ACCOUNT_COLUMNS: &str =
    "id, username, display_name, roles, beats, active, created_at, password_hash";

fn principal_of(account: Account, device_id: Option<DeviceId>) -> Principal {
    Principal {
        account_id: account.id,
        username: account.username,
        display_name: account.display_name,
        roles: account.roles,
        beats: account.beats,
        device_id,
    }
}

pub(super) fn load_account(conn: &Connection, id: &str) -> Result<Option<(Account, String)>> {
    Ok(conn
        .query_row(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
            [id],
            account_row,
        )
        .optional()?)
}

pub use doorstep_protocol::Officer;

/// The account a task's `assignee` stands for: an active officer's account id as given, or — from
/// a laptop before accounts, or typed by a person — the pushing officer's own name or officer id,
/// or a name only one active officer has. `None` when it names nobody, or more than one.
pub(super) fn resolve_assignee(
    conn: &Connection,
    given: &str,
    own: Option<(&str, &str, &str)>,
) -> Result<Option<String>> {
    let given = given.trim();
    let by_id: Option<String> = conn
        .prepare_cached(
            "SELECT id FROM accounts WHERE id = ?1 AND active = 1 AND EXISTS (SELECT 1 FROM json_each(roles) WHERE value = 'officer')",
        )?
        .query_row([given], |r| r.get(0))
        .optional()?;
    if by_id.is_some() {
        return Ok(by_id);
    }
    if let Some((account, name, officer_id)) = own
        && (given == name || given == officer_id)
    {
        return Ok(Some(account.to_string()));
    }
    let named: Vec<String> = conn
        .prepare_cached(
            "SELECT id FROM accounts WHERE (display_name = ?1 OR username = ?1) AND active = 1
               AND EXISTS (SELECT 1 FROM json_each(roles) WHERE value = 'officer') LIMIT 2",
        )?
        .query_map([given], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(match named.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    })
}

impl StationStore {
    /// The station's active officers, by name.
    pub fn officers(&self) -> Result<Vec<Officer>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, display_name, beats FROM accounts
             WHERE active = 1 AND EXISTS (SELECT 1 FROM json_each(roles) WHERE value = 'officer')
             ORDER BY display_name, username",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (account_id, name, beats) = row?;
            out.push(Officer {
                account_id,
                name,
                beats: serde_json::from_str(&beats).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    pub fn has_accounts(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM accounts)", [], |r| r.get(0))?)
    }

    /// Creates an account (an administrator's action, recorded).
    pub fn create_account(&mut self, actor: &str, new: &NewAccount) -> Result<Account> {
        let username = new.username.trim();
        if username.is_empty()
            || username.chars().count() > 64
            || username.contains(char::is_whitespace)
        {
            return Err(bad("a username is 1–64 characters without spaces"));
        }
        if new.display_name.trim().is_empty() {
            return Err(bad("say whose account it is (display_name)"));
        }
        if new.roles.is_empty() {
            return Err(bad("give the account at least one role"));
        }
        check_new_password(&new.password)?;
        let beats = clean_beats(&new.beats);
        if new.roles.contains(&Role::Officer) && beats.is_empty() {
            return Err(bad("an officer's account needs at least one beat"));
        }
        let hash = hash_password(&new.password)?;
        let id = uuid::Uuid::now_v7().to_string();
        let tx = self.conn.transaction()?;
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE username = ?1)",
            [username],
            |r| r.get(0),
        )?;
        if taken {
            return Err(StationError::AlreadyDone(format!(
                "the username {username} is taken"
            )));
        }
        tx.execute(
            "INSERT INTO accounts (id, username, display_name, roles, beats, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                username,
                new.display_name.trim(),
                serde_json::to_string(&new.roles)?,
                serde_json::to_string(&beats)?,
                hash,
                now()
            ],
        )?;
        audit(
            &tx,
            actor,
            None,
            "account_created",
            username,
            Outcome::Ok,
            &format!(
                "roles {}, beats {}",
                serde_json::to_string(&new.roles)?,
                serde_json::to_string(&beats)?
            ),
        )?;
        let (account, _) = load_account(&tx, &id)?
            .ok_or_else(|| StationError::Internal("account vanished".into()))?;
        tx.commit()?;
        Ok(account)
    }

    /// Changes an account. Deactivating it or changing its password ends its sessions; its laptops'
    /// beats follow the account's.
    pub fn update_account(
        &mut self,
        actor: &str,
        id: &str,
        update: &AccountUpdate,
    ) -> Result<Account> {
        if let Some(p) = &update.password {
            check_new_password(p)?;
        }
        let hash = update.password.as_deref().map(hash_password).transpose()?;
        let tx = self.conn.transaction()?;
        let (mut account, _) = load_account(&tx, id)?
            .ok_or_else(|| StationError::NotFound(format!("no account {id}")))?;
        let was_admin = account.active && account.roles.contains(&Role::Admin);
        if let Some(name) = &update.display_name {
            if name.trim().is_empty() {
                return Err(bad("the display name cannot be empty"));
            }
            account.display_name = name.trim().to_string();
        }
        if let Some(roles) = &update.roles {
            if roles.is_empty() {
                return Err(bad("give the account at least one role"));
            }
            account.roles = roles.clone();
        }
        if let Some(beats) = &update.beats {
            account.beats = clean_beats(beats);
        }
        if account.roles.contains(&Role::Officer) && account.beats.is_empty() {
            return Err(bad("an officer's account needs at least one beat"));
        }
        if let Some(active) = update.active {
            account.active = active;
        }
        let other_admins: i64 = tx.query_row(
            "SELECT count(*) FROM accounts, json_each(accounts.roles)
             WHERE accounts.id <> ?1 AND accounts.active = 1 AND json_each.value = 'admin'",
            [id],
            |r| r.get(0),
        )?;
        if was_admin
            && other_admins == 0
            && !(account.active && account.roles.contains(&Role::Admin))
        {
            return Err(StationError::AlreadyDone(
                "this is the station's only administrator: make another one first".into(),
            ));
        }
        tx.execute(
            "UPDATE accounts SET display_name = ?2, roles = ?3, beats = ?4, active = ?5,
                    password_hash = coalesce(?6, password_hash) WHERE id = ?1",
            params![
                id,
                account.display_name,
                serde_json::to_string(&account.roles)?,
                serde_json::to_string(&account.beats)?,
                account.active,
                hash
            ],
        )?;
        tx.execute(
            "UPDATE devices SET officer_name = ?2, beats = ?3 WHERE account_id = ?1",
            params![
                id,
                account.display_name,
                serde_json::to_string(&account.beats)?
            ],
        )?;
        if !account.active || hash.is_some() {
            tx.execute("DELETE FROM sessions WHERE account_id = ?1", [id])?;
        }
        let mut what = Vec::new();
        if update.display_name.is_some() {
            what.push(format!("name {}", account.display_name));
        }
        if update.roles.is_some() {
            what.push(format!("roles {}", serde_json::to_string(&account.roles)?));
        }
        if update.beats.is_some() {
            what.push(format!("beats {}", serde_json::to_string(&account.beats)?));
        }
        if let Some(active) = update.active {
            what.push(if active {
                "activated".into()
            } else {
                "deactivated".into()
            });
        }
        if hash.is_some() {
            what.push("password set".into());
        }
        audit(
            &tx,
            actor,
            None,
            "account_changed",
            &account.username,
            Outcome::Ok,
            &what.join("; "),
        )?;
        tx.commit()?;
        Ok(account)
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY active DESC, username"
        ))?;
        let rows = stmt.query_map([], account_row)?;
        Ok(rows
            .map(|r| r.map(|(a, _)| a))
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The account a sign-in names and its password hash, if it may sign in at all (exists, active,
    /// not locked by recent failures). Failures are counted per username (known or not) *from this
    /// client address*, per client address over all names, and per username over all addresses
    /// with a far higher limit: a stranger's wrong tries lock the stranger out, not the account's
    /// owner at their own desk, while guessing from many addresses still meets a wall.
    pub fn sign_in_candidate(
        &self,
        username: &str,
        client: &str,
    ) -> Result<Option<(Account, String)>> {
        let since = unix_now() - LOGIN_WINDOW_SECS;
        let (here, from_client, everywhere): (i64, i64, i64) = self.conn.query_row(
            "SELECT count(*) FILTER (WHERE username = ?1 AND client = ?2),
                    count(*) FILTER (WHERE client = ?2),
                    count(*) FILTER (WHERE username = ?1)
             FROM login_failures WHERE at_unix > ?3 AND (username = ?1 OR client = ?2)",
            params![username.trim(), client, since],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let locked = if here >= LOGIN_MAX_FAILURES {
            Some("locked after repeated wrong passwords from this address")
        } else if from_client >= CLIENT_MAX_FAILURES {
            Some("this address is locked after repeated wrong passwords")
        } else if everywhere >= ACCOUNT_MAX_FAILURES {
            Some("locked after repeated wrong passwords from many addresses")
        } else {
            None
        };
        if let Some(reason) = locked {
            audit(
                &self.conn,
                username.trim(),
                None,
                "sign_in",
                client,
                Outcome::Refused,
                reason,
            )?;
            return Err(StationError::TooManyAttempts(LOGIN_WINDOW_SECS));
        }
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = ?1 AND active = 1"
                ),
                [username.trim()],
                account_row,
            )
            .optional()?)
    }

    pub fn record_sign_in_failure(&mut self, username: &str, client: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO login_failures (username, at_unix, client) VALUES (?1, ?2, ?3)",
            params![username.trim(), unix_now(), client],
        )?;
        // Failures older than the window count for nothing: keep the table small whatever names
        // are tried (the audit trail keeps every attempt).
        tx.execute(
            "DELETE FROM login_failures WHERE at_unix <= ?1",
            [unix_now() - LOGIN_WINDOW_SECS],
        )?;
        audit(
            &tx,
            username.trim(),
            None,
            "sign_in",
            client,
            Outcome::Refused,
            "wrong username or password",
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Opens a session for an account whose password was checked.
    pub fn open_session(&mut self, account: Account, client: &str) -> Result<Session> {
        let token = format!("s.{}", random_hex(32)?);
        let csrf = random_hex(16)?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO sessions (token_hash, account_id, csrf, created_unix, seen_unix) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![digest(&token), account.id, csrf, unix_now()],
        )?;
        tx.execute(
            "DELETE FROM login_failures WHERE username = ?1 AND client = ?2",
            params![&account.username, client],
        )?;
        audit(&tx, &account.username, None, "sign_in", "", Outcome::Ok, "")?;
        tx.commit()?;
        Ok(Session {
            token,
            csrf,
            account: principal_of(account, None),
        })
    }

    /// The account behind a session token and the session's CSRF token, if the session is live.
    /// Each use keeps it alive; an expired one is removed.
    pub fn session(&mut self, token: &str) -> Result<Option<(Principal, String)>> {
        let now = unix_now();
        let hash = digest(token);
        let row: Option<(String, String, i64, i64)> = self
            .conn
            .query_row(
                "SELECT account_id, csrf, created_unix, seen_unix FROM sessions WHERE token_hash = ?1",
                [&hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((account_id, csrf, created, seen)) = row else {
            return Ok(None);
        };
        if now - seen > SESSION_IDLE_SECS || now - created > SESSION_MAX_SECS {
            self.conn
                .execute("DELETE FROM sessions WHERE token_hash = ?1", [&hash])?;
            return Ok(None);
        }
        let Some((account, _)) = load_account(&self.conn, &account_id)? else {
            return Ok(None);
        };
        if !account.active {
            return Ok(None);
        }
        if now - seen > 30 {
            self.conn.execute(
                "UPDATE sessions SET seen_unix = ?2 WHERE token_hash = ?1",
                params![hash, now],
            )?;
        }
        Ok(Some((principal_of(account, None), csrf)))
    }

    pub fn close_session(&mut self, token: &str, who: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM sessions WHERE token_hash = ?1",
            [digest(token)],
        )?;
        audit(&tx, who, None, "sign_out", "", Outcome::Ok, "")?;
        tx.commit()?;
        Ok(())
    }

    /// A one-time code for enrolling one laptop of an officer's account.
    pub fn issue_enrollment_code(
        &mut self,
        actor: &str,
        account_id: &str,
    ) -> Result<EnrollmentCode> {
        let tx = self.conn.transaction()?;
        let (account, _) = load_account(&tx, account_id)?
            .ok_or_else(|| StationError::NotFound(format!("no account {account_id}")))?;
        if !account.roles.contains(&Role::Officer) || !account.active {
            return Err(bad("enrolment codes are for active officers' accounts"));
        }
        let code = new_code()?;
        let expires = unix_now() + CODE_VALID_SECS;
        tx.execute(
            "INSERT INTO enrollment_codes (code_hash, account_id, issued_by, issued_at, expires_unix) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![digest(&normalize_code(&code)), account_id, actor, now(), expires],
        )?;
        audit(
            &tx,
            actor,
            None,
            "enrollment_code_issued",
            &account.username,
            Outcome::Ok,
            "",
        )?;
        tx.commit()?;
        let expires_at = chrono::DateTime::from_timestamp(expires, 0)
            .map(|t| doorstep_core::time::format(&t))
            .unwrap_or_default();
        Ok(EnrollmentCode {
            code,
            account_id: account_id.to_string(),
            expires_at,
        })
    }

    /// Exchanges a one-time code for a device credential: the laptop becomes a device of the code's
    /// officer, with the account's beats. A used, expired or unknown code is refused (and recorded).
    pub fn enroll_with_code(
        &mut self,
        code: &str,
        device_id: DeviceId,
        officer_id: OfficerId,
        acked_seq: i64,
    ) -> Result<EnrollResponse> {
        let tx = self.conn.transaction()?;
        let row: Option<(String, i64, Option<String>)> = tx
            .query_row(
                "SELECT account_id, expires_unix, used_at FROM enrollment_codes WHERE code_hash = ?1",
                [digest(&normalize_code(code))],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let refusal = match &row {
            None => Some("this enrolment code is not known here: check it, or ask for a new one"),
            Some((_, _, Some(_))) => Some(
                "this enrolment code has already been used: ask the administrator for a new one",
            ),
            Some((_, expires, None)) if *expires < unix_now() => {
                Some("this enrolment code has expired: ask the administrator for a new one")
            }
            _ => None,
        };
        if let Some(reason) = refusal {
            audit(
                &tx,
                "(enrolment code)",
                Some(device_id),
                "enroll",
                "",
                Outcome::Refused,
                reason,
            )?;
            tx.commit()?;
            return Err(StationError::Unauthorized(reason.into()));
        }
        let Some((account_id, _, _)) = row else {
            return Err(StationError::Internal("code vanished".into()));
        };
        let (account, _) = load_account(&tx, &account_id)?
            .ok_or_else(|| StationError::Internal("the code's account vanished".into()))?;
        // A laptop enrolled for another officer is theirs until an administrator revokes it.
        let taken: Option<(Option<String>, bool)> = tx
            .query_row(
                "SELECT account_id, revoked_at IS NOT NULL FROM devices WHERE device_id = ?1",
                [device_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((Some(other), false)) = &taken
            && other != &account_id
        {
            return Err(StationError::AlreadyDone(
                "this laptop is enrolled for another officer; an administrator must revoke it first".into(),
            ));
        }
        let credential = format!("d.{}", random_hex(32)?);
        tx.execute(
            "INSERT INTO devices (device_id, officer_id, officer_name, beats, enrolled_at, account_id, credential_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (device_id) DO UPDATE SET officer_name = excluded.officer_name, beats = excluded.beats,
                 account_id = excluded.account_id, credential_hash = excluded.credential_hash, revoked_at = NULL, wipe = 0,
                 wiped_at = NULL",
            params![
                device_id,
                officer_id,
                account.display_name,
                serde_json::to_string(&account.beats)?,
                now(),
                account_id,
                digest(&credential)
            ],
        )?;
        // The laptop's changes up to `acked_seq` went to another station (or to this one in a life
        // it no longer remembers): its next change follows them.
        tx.execute(
            "UPDATE devices SET contiguous_seq = max(contiguous_seq, ?2) WHERE device_id = ?1",
            params![device_id, acked_seq.max(0)],
        )?;
        let acked_seq: i64 = tx.query_row(
            "SELECT contiguous_seq FROM devices WHERE device_id = ?1",
            [device_id],
            |r| r.get(0),
        )?;
        tx.execute(
            "UPDATE enrollment_codes SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1",
            params![digest(&normalize_code(code)), now(), device_id],
        )?;
        audit(
            &tx,
            &account.username,
            Some(device_id),
            "enroll",
            "",
            Outcome::Ok,
            "",
        )?;
        tx.commit()?;
        Ok(EnrollResponse {
            device_credential: credential,
            account_id,
            officer_name: account.display_name,
            beats: account.beats,
            acked_seq,
        })
    }

    /// The laptop and officer a device credential stands for.
    pub fn device_auth(&self, credential: &str) -> Result<Option<DeviceAuth>> {
        let row: Option<(DeviceId, Option<String>, bool, String)> = self
            .conn
            .query_row(
                "SELECT device_id, revoked_at, wipe, account_id FROM devices WHERE credential_hash = ?1",
                [digest(credential)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((device_id, revoked_at, wipe, account_id)) = row else {
            return Ok(None);
        };
        let Some((account, _)) = load_account(&self.conn, &account_id)? else {
            return Ok(None);
        };
        Ok(Some(DeviceAuth {
            account_active: account.active,
            principal: principal_of(account, Some(device_id)),
            revoked: revoked_at.is_some(),
            wipe,
        }))
    }

    /// Revokes a laptop (lost, stolen, handed on): its next sync is refused; with `wipe`, it is told
    /// to erase its data.
    pub fn revoke_device(&mut self, actor: &str, device_id: DeviceId, wipe: bool) -> Result<()> {
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE devices SET revoked_at = coalesce(revoked_at, ?2), wipe = max(wipe, ?3) WHERE device_id = ?1",
            params![device_id, now(), wipe],
        )?;
        if changed == 0 {
            return Err(StationError::NotFound(format!("no device {device_id}")));
        }
        audit(
            &tx,
            actor,
            Some(device_id),
            if wipe {
                "device_revoked_wipe"
            } else {
                "device_revoked"
            },
            &device_id.to_string(),
            Outcome::Ok,
            "",
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A revoked laptop came back and was refused; with a wipe order, it was told to erase itself.
    pub fn record_refused_device(&mut self, auth: &DeviceAuth, action: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        let device = auth.principal.device_id;
        if auth.wipe {
            tx.execute(
                "UPDATE devices SET wiped_at = coalesce(wiped_at, ?2) WHERE device_id = ?1",
                params![device, now()],
            )?;
        }
        let detail = if auth.wipe {
            "revoked; told to erase its data"
        } else if auth.revoked {
            "revoked"
        } else {
            "the officer's account is deactivated"
        };
        audit(
            &tx,
            &auth.principal.username,
            device,
            action,
            "",
            Outcome::Refused,
            detail,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Creates the first administrator when the station has no account yet (first start).
    pub fn bootstrap_admin(&mut self, username: &str, password: &str) -> Result<bool> {
        if self.has_accounts()? {
            return Ok(false);
        }
        self.create_account(
            "(first start)",
            &NewAccount {
                username: username.into(),
                display_name: "管理员".into(),
                roles: vec![Role::Admin],
                beats: Vec::new(),
                password: password.into(),
            },
        )?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_forgive_case_dashes_and_look_alike_letters() {
        assert_eq!(normalize_code("ab0o-1il z"), "AB00111Z");
        let code = new_code().unwrap();
        assert_eq!(code.len(), 19);
        assert_eq!(normalize_code(&code), code.replace('-', ""));
    }

    fn store_with_staff() -> (StationStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = StationStore::open(&dir.path().join("s.sqlite")).unwrap();
        store
            .create_account(
                "admin",
                &NewAccount {
                    username: "wang".into(),
                    display_name: "王文员".into(),
                    roles: vec![Role::Staff],
                    beats: vec![],
                    password: "long-enough-1".into(),
                },
            )
            .unwrap();
        (store, dir)
    }

    #[test]
    fn a_session_unused_too_long_or_too_old_is_over() {
        let (mut store, _dir) = store_with_staff();
        let account = store.accounts().unwrap().remove(0);
        for (column, age) in [
            ("seen_unix", SESSION_IDLE_SECS + 1),
            ("created_unix", SESSION_MAX_SECS + 1),
        ] {
            let session = store.open_session(account.clone(), "").unwrap();
            assert!(store.session(&session.token).unwrap().is_some());
            store
                .conn()
                .execute(
                    &format!("UPDATE sessions SET {column} = {column} - ?1"),
                    [age],
                )
                .unwrap();
            assert!(store.session(&session.token).unwrap().is_none(), "{column}");
        }
    }

    #[test]
    fn deactivating_an_account_ends_its_sessions() {
        let (mut store, _dir) = store_with_staff();
        let account = store.accounts().unwrap().remove(0);
        let session = store.open_session(account.clone(), "").unwrap();
        let update = AccountUpdate {
            active: Some(false),
            ..Default::default()
        };
        store.update_account("admin", &account.id, &update).unwrap();
        assert!(store.session(&session.token).unwrap().is_none());
        assert!(store.sign_in_candidate("wang", "").unwrap().is_none());
    }

    #[test]
    fn the_last_administrator_cannot_be_deactivated_or_demoted() {
        let (mut store, _dir) = store_with_staff();
        store
            .bootstrap_admin("admin", "admin-password-1")
            .unwrap_or_default();
        store
            .create_account(
                "test",
                &NewAccount {
                    username: "root".into(),
                    display_name: "管理员".into(),
                    roles: vec![Role::Admin],
                    beats: vec![],
                    password: "admin-password-1".into(),
                },
            )
            .unwrap();
        let admin = store
            .accounts()
            .unwrap()
            .into_iter()
            .find(|a| a.username == "root")
            .unwrap();
        let off = AccountUpdate {
            active: Some(false),
            ..Default::default()
        };
        assert!(matches!(
            store.update_account("root", &admin.id, &off),
            Err(StationError::AlreadyDone(_))
        ));
        let demote = AccountUpdate {
            roles: Some(vec![Role::Staff]),
            ..Default::default()
        };
        assert!(store.update_account("root", &admin.id, &demote).is_err());
        assert!(
            store
                .accounts()
                .unwrap()
                .iter()
                .any(|a| a.active && a.roles.contains(&Role::Admin))
        );
    }

    #[test]
    fn a_weak_password_or_an_officer_without_a_beat_is_refused() {
        let (mut store, _dir) = store_with_staff();
        let mut new = NewAccount {
            username: "zhang".into(),
            display_name: "张警官".into(),
            roles: vec![Role::Officer],
            beats: vec!["幸福社区".into()],
            password: "short".into(),
        };
        assert!(matches!(
            store.create_account("admin", &new),
            Err(StationError::BadRequest(_))
        ));
        new.password = "long-enough-2".into();
        new.beats = vec![" ".into()];
        assert!(matches!(
            store.create_account("admin", &new),
            Err(StationError::BadRequest(_))
        ));
    }

    #[test]
    fn a_password_hash_verifies_only_its_password() {
        let hash = hash_password("正确的密码1234").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("正确的密码1234", &hash));
        assert!(!verify_password("正确的密码1235", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }
}
