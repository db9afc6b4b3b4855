//! Drafts: forms saved as the officer types, so a crash, a closed lid or a dead battery loses nothing.
//! A draft is not a record: it has no change and is never synced. It is removed when the record it
//! becomes is saved (in the same transaction, see [`Store::record_visit`]) or when the
//! officer discards it.

use super::Store;
use crate::error::{Error, ErrorCode, FieldError, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

/// A draft's payload is the form's state as JSON; this bounds it so a runaway form cannot fill the disk.
pub const DRAFT_MAX_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Draft {
    pub id: String,
    /// What the draft will become (`visit`, ...).
    pub kind: String,
    #[ts(type = "unknown")]
    pub payload: serde_json::Value,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
}

impl Store {
    pub fn save_draft(&mut self, id: &str, kind: &str, payload: &serde_json::Value) -> Result<()> {
        let text = payload.to_string();
        if text.len() > DRAFT_MAX_BYTES {
            return Err(Error::Invalid(vec![FieldError::too_long(
                "draft",
                DRAFT_MAX_BYTES as u32,
            )]));
        }
        if id.trim().is_empty() || kind.trim().is_empty() {
            return Err(Error::invalid("draft", ErrorCode::Required));
        }
        super::exec(
            &self.conn,
            "INSERT INTO drafts (id, kind, payload, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at",
            rusqlite::params![id, kind, text, crate::time::format(&crate::time::now())],
        )?;
        Ok(())
    }

    pub fn drafts(&self) -> Result<Vec<Draft>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, payload, updated_at FROM drafts ORDER BY updated_at DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut drafts = Vec::new();
        for row in rows {
            let (id, kind, payload, updated) = row?;
            drafts.push(Draft {
                id,
                kind,
                payload: serde_json::from_str(&payload)?,
                updated_at: DateTime::parse_from_rfc3339(&updated)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default(),
            });
        }
        Ok(drafts)
    }

    pub fn discard_draft(&mut self, id: &str) -> Result<()> {
        delete_draft(&self.conn, id)
    }
}

/// Removes a draft: discarded, or become a record (then inside the record's transaction).
pub(super) fn delete_draft(conn: &rusqlite::Connection, id: &str) -> Result<()> {
    super::exec(conn, "DELETE FROM drafts WHERE id = ?1", [id])?;
    Ok(())
}
