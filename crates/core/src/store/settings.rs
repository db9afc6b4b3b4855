//! Local settings, kept by key: as text (`text`, `put_text`) or as JSON values (`Store::setting`,
//! `Store::put_setting`). The visit policy is the one the rules read.

use super::Store;
use crate::error::{Error, Result};
use crate::policy::VisitPolicy;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde::de::DeserializeOwned;

const VISIT_POLICY: &str = "visit_policy";

/// A setting's stored text (inside a caller's transaction too).
pub(crate) fn text(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(super::query_one(
        conn,
        "SELECT value FROM settings WHERE key = ?1",
        [key],
        |r| r.get(0),
    )
    .optional()?)
}

/// Sets a setting's text, replacing what it was.
pub(crate) fn put_text(conn: &Connection, key: &str, value: &str) -> Result<()> {
    super::exec(
        conn,
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

impl Store {
    /// A setting kept as JSON; `None` if it was never set.
    pub(crate) fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        Ok(text(&self.conn, key)?
            .map(|v| serde_json::from_str(&v))
            .transpose()?)
    }

    pub(crate) fn put_setting(&mut self, key: &str, value: &impl Serialize) -> Result<()> {
        put_text(&self.conn, key, &serde_json::to_string(value)?)
    }

    pub fn visit_policy(&self) -> Result<VisitPolicy> {
        Ok(self.setting(VISIT_POLICY)?.unwrap_or_default())
    }

    pub fn set_visit_policy(&mut self, policy: &VisitPolicy) -> Result<()> {
        let errors = policy.validate();
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        self.put_setting(VISIT_POLICY, policy)
    }
}
