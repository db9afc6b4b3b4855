//! Local settings, kept as JSON values by key. The visit policy is the one the rules read.

use super::Store;
use crate::error::{Error, Result};
use crate::policy::VisitPolicy;
use rusqlite::OptionalExtension;

const VISIT_POLICY: &str = "visit_policy";

impl Store {
    pub fn visit_policy(&self) -> Result<VisitPolicy> {
        let value: Option<String> = super::query_one(
            &self.conn,
            "SELECT value FROM settings WHERE key = ?1",
            [VISIT_POLICY],
            |r| r.get(0),
        )
        .optional()?;
        Ok(match value {
            Some(v) => serde_json::from_str(&v)?,
            None => VisitPolicy::default(),
        })
    }

    pub fn set_visit_policy(&mut self, policy: &VisitPolicy) -> Result<()> {
        let errors = policy.validate();
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        super::exec(
            &self.conn,
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [VISIT_POLICY, &serde_json::to_string(policy)?],
        )?;
        Ok(())
    }
}
