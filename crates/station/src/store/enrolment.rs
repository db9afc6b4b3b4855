//! Laptops: the one-time code an administrator issues for an officer, exchanged for the laptop's
//! own credential; what a credential stands for on every request; and revocation of a lost or
//! handed-on laptop (with an order to erase itself).

use super::accounts::{Principal, Role, load_account, principal_of};
use super::audit::{Outcome, record as audit};
use super::secrets::{digest, new_code, normalize_code, random_hex, unix_now};
use super::{Result, StationError, StationStore, bad, now};
use doorstep_core::ids::{DeviceId, OfficerId};
use doorstep_protocol::EnrollResponse;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// An enrolment code is good for one laptop within this time.
pub const CODE_VALID_SECS: i64 = 24 * 60 * 60;

/// What a laptop's credential stands for, revoked or not.
#[derive(Debug, Clone)]
pub struct DeviceAuth {
    pub principal: Principal,
    pub revoked: bool,
    pub wipe: bool,
    pub account_active: bool,
}

/// A one-time enrolment code, shown to the administrator once.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct EnrollmentCode {
    pub code: String,
    pub account_id: String,
    pub expires_at: String,
}

impl StationStore {
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
        let bundle_recipient = self.bundle_recipient()?;
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
            return Err(StationError::WrongCredential(reason.into()));
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
            bundle_recipient,
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
}
