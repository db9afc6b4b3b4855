//! Who works at the station and what they may do: accounts with roles and beats, what a role
//! allows ([`Principal`]), the station's officers, and the first administrator.

use super::audit::{Outcome, record as audit};
use super::secrets::hash_password;
use super::{Result, StationError, StationStore, bad, now};
use doorstep_core::ids::DeviceId;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// The shortest password an administrator may set.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, ts_rs::TS,
)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
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
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
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
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    #[serde(default)]
    pub beats: Vec<String>,
    pub password: String,
}

/// Changes to an account; what is absent stays.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct AccountUpdate {
    pub display_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub beats: Option<Vec<String>>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// Who is asking: an account signed in on the staff pages, or a laptop with its officer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
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

fn check_new_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(bad(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

pub(super) fn clean_beats(beats: &[String]) -> Vec<String> {
    let mut out: Vec<String> = beats
        .iter()
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

pub(super) fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Account, String)> {
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

pub(super) const ACCOUNT_COLUMNS: &str =
    "id, username, display_name, roles, beats, active, created_at, password_hash";

pub(super) fn principal_of(account: Account, device_id: Option<DeviceId>) -> Principal {
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

    /// The station's active officers as a laptop is sent them, with the fingerprint that names
    /// the list; the list left out (empty) when the laptop names, by `held`, the one it holds.
    pub fn officers_unless_held(&self, held: Option<&str>) -> Result<(Vec<Officer>, String)> {
        let officers = self.officers()?;
        let fingerprint = doorstep_core::store::scopes::officers_fingerprint(&officers);
        if held == Some(fingerprint.as_str()) {
            return Ok((Vec::new(), fingerprint));
        }
        Ok((officers, fingerprint))
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
pub(super) mod tests {
    use super::*;

    pub(in crate::store) fn store_with_staff() -> (StationStore, tempfile::TempDir) {
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
            Err(StationError::Invalid(_))
        ));
        new.password = "long-enough-2".into();
        new.beats = vec![" ".into()];
        assert!(matches!(
            store.create_account("admin", &new),
            Err(StationError::Invalid(_))
        ));
    }
}
