//! Signing in to the staff pages: the whole sign-in rule in one call ([`sign_in`]: the lock-out,
//! the password check with a timing decoy for unknown names, the failure count, the session),
//! sessions that end when unused or old, and signing out.

use super::accounts::{
    ACCOUNT_COLUMNS, Account, Principal, account_row, load_account, principal_of,
};
use super::audit::{Outcome, record as audit};
use super::secrets::{digest, hash_password, random_hex, unix_now, verify_password};
use super::{Result, StationError, StationStore};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use std::sync::{LazyLock, Mutex};

/// A session ends after this long unused…
pub const SESSION_IDLE_SECS: i64 = 30 * 60;
/// …and in any case after this long.
pub const SESSION_MAX_SECS: i64 = 12 * 60 * 60;
/// Wrong passwords for one account within `LOGIN_WINDOW_SECS` before it is locked for that window.
pub const LOGIN_MAX_FAILURES: i64 = 5;
pub const LOGIN_WINDOW_SECS: i64 = 15 * 60;
/// Wrong passwords from one client address, whatever the names, before it is locked out.
pub const CLIENT_MAX_FAILURES: i64 = 20;
/// Wrong passwords for one name from all addresses together before the account is locked.
pub const ACCOUNT_MAX_FAILURES: i64 = 100;

/// What a sign-in opens: the token (cookie or bearer) and the CSRF token the pages send back.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Session {
    pub token: String,
    pub csrf: String,
    pub account: Principal,
}

/// A hash to check against when the username is unknown, so that an unknown name takes as long to
/// refuse as a wrong password.
static DECOY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("decoy password").unwrap_or_default());

/// Signs in from `client` (its network address): a session for the account if the password is
/// its own and neither the account nor the address is locked out; otherwise the failure is counted
/// and recorded. The password is checked with the store unlocked (Argon2 is slow on purpose, and
/// laptops' syncs must not wait behind a guesser), and an unknown name is checked against a decoy
/// hash so that it takes as long to refuse as a wrong password.
pub fn sign_in(
    store: &Mutex<StationStore>,
    username: &str,
    password: &str,
    client: &str,
) -> Result<Session> {
    let lock = || store.lock().unwrap_or_else(|p| p.into_inner());
    let candidate = lock().sign_in_candidate(username, client)?;
    let account = match candidate {
        Some((account, hash)) => verify_password(password, &hash).then_some(account),
        None => {
            verify_password(password, &DECOY_HASH);
            None
        }
    };
    let mut store = lock();
    match account {
        Some(account) => store.open_session(account, client),
        None => {
            store.record_sign_in_failure(username, client)?;
            Err(StationError::WrongCredential(
                "wrong username or password".into(),
            ))
        }
    }
}

impl StationStore {
    /// The account a sign-in names and its password hash, if it may sign in at all (exists, active,
    /// not locked by recent failures). Failures are counted per username (known or not) *from this
    /// client address*, per client address over all names, and per username over all addresses
    /// with a far higher limit: a stranger's wrong tries lock the stranger out, not the account's
    /// owner at their own desk, while guessing from many addresses still meets a wall.
    fn sign_in_candidate(&self, username: &str, client: &str) -> Result<Option<(Account, String)>> {
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

    fn record_sign_in_failure(&mut self, username: &str, client: &str) -> Result<()> {
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
    pub(super) fn open_session(&mut self, account: Account, client: &str) -> Result<Session> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AccountUpdate;
    use crate::store::accounts::tests::store_with_staff;

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
}
