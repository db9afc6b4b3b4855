//! Confidential concerns: who reported them is for the recording officer and the chief only.
//!
//! The reporter (`reporter_id`, `reporter_name`) is taken out of a confidential concern wherever it
//! would reach anyone else: the pull to other officers' laptops, the merge queue, the concern view,
//! exports (see `records_export`). Every read of a confidential concern at the station is logged,
//! whether or not the reader saw the reporter.

use super::audit::{Outcome, record as audit};
use super::{Principal, Result, StationError, StationStore};
use doorstep_core::store::held::Tx;
use rusqlite::{OptionalExtension, params};
use serde_json::{Map, Value};

/// The fields that identify a concern's reporter.
pub const REPORTER_FIELDS: [&str; 2] = ["reporter_id", "reporter_name"];

/// Shown instead of a confidential reporter to those who may not see it.
pub const WITHHELD: &str = "（保密）";

/// SQL for a record's fields as `viewer` (parameter `?N`: an account id, or `*` for the chief) may
/// see them: a confidential concern loses its reporter unless the viewer recorded it.
///
/// A visit in which such a concern was raised loses the reporter from its people met too, so that
/// the reporter cannot be read off the visit; a photo of such a concern loses its bytes' addresses,
/// caption and place (the photo of a door says whose it is), unless the viewer took it.
pub fn visible_fields(alias: &str, viewer_param: &str) -> String {
    let hidden = hidden_reporters_sql(&format!("{alias}.id"), viewer_param);
    format!(
        "CASE WHEN {alias}.entity = 'concern' AND json_extract({alias}.fields, '$.confidential') = 1 AND {viewer_param} <> '*'
              AND coalesce((SELECT account_id FROM devices WHERE device_id = {alias}.created_device), '') <> {viewer_param}
         THEN json_set({alias}.fields, '$.reporter_id', NULL, '$.reporter_name', '')
         WHEN {alias}.entity = 'photo' AND {viewer_param} <> '*'
              AND coalesce((SELECT account_id FROM devices WHERE device_id = {alias}.created_device), '') <> {viewer_param}
              AND EXISTS (SELECT 1 FROM records c WHERE c.entity = 'concern' AND c.id = json_extract({alias}.fields, '$.concern_id')
                            AND json_extract(c.fields, '$.confidential') = 1
                            AND coalesce((SELECT account_id FROM devices WHERE device_id = c.created_device), '') <> {viewer_param})
         THEN json_set({alias}.fields, '$.sha256', '', '$.thumb_sha256', '', '$.caption', '', '$.location', '')
         WHEN {alias}.entity = 'visit' AND {viewer_param} <> '*' AND EXISTS ({hidden})
         THEN json_set({alias}.fields, '$.met', json((SELECT json_group_array(m.value) FROM json_each({alias}.fields, '$.met') m
                                                    WHERE m.value NOT IN ({hidden}))))
         ELSE {alias}.fields END"
    )
}

/// SQL for the reporters of the confidential concerns raised in the visit `visit` that the account
/// `viewer` did not record: the one rule both the pull's masking and the push's keeping read.
fn hidden_reporters_sql(visit: &str, viewer: &str) -> String {
    format!(
        // INDEXED BY: correlated with each visit, SQLite's planner otherwise takes the primary
        // key's `entity` prefix and reads every concern of the station for every visit.
        "SELECT json_extract(c.fields, '$.reporter_id') FROM records c INDEXED BY records_concern_visit
         WHERE c.entity = 'concern' AND json_extract(c.fields, '$.visit_id') = {visit}
           AND json_extract(c.fields, '$.confidential') = 1 AND json_extract(c.fields, '$.reporter_id') IS NOT NULL
           AND coalesce((SELECT account_id FROM devices WHERE device_id = c.created_device), '') <> {viewer}"
    )
}

/// The reporters of confidential concerns raised in `visit` that `writer` may not see: a change of
/// the visit's people met by them keeps those (they never saw them, so they cannot have meant to
/// take them out).
pub(super) fn hidden_reporters(
    tx: &Tx<'_>,
    visit: &str,
    writer: &crate::scope::Writer<'_>,
) -> Result<Vec<String>> {
    if writer.chief {
        return Ok(Vec::new());
    }
    let mut stmt = tx.prepare(&hidden_reporters_sql("?1", "?2"))?;
    let rows = stmt.query_map(params![visit, writer.account_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Hides what a conflict's value says of a reporter: a whole edit (an object) keeps its other
/// fields with the reporter's withheld; a value of a reporter field goes entirely.
pub(super) fn withhold(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for key in REPORTER_FIELDS {
                if fields.contains_key(key) {
                    fields.insert(key.into(), Value::String(WITHHELD.into()));
                }
            }
        }
        // Whether a concern is confidential says nothing of who reported it.
        Value::Bool(_) => {}
        other => *other = Value::String(WITHHELD.into()),
    }
}

/// The viewer parameter for [`visible_fields`].
pub fn viewer_key(viewer: &Principal) -> String {
    if viewer.sees_confidential_reporters() {
        "*".into()
    } else {
        viewer.account_id.clone()
    }
}

/// A concern as the station shows it to one reader.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct ConcernView {
    pub id: String,
    pub beat: String,
    pub address: String,
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    /// Who reported it, if the reader may know (a confidential one's otherwise withheld).
    pub reporter: Option<String>,
    pub confidential: bool,
    /// The reporter is withheld from this reader.
    pub withheld: bool,
}

impl StationStore {
    /// One concern for a reader who may read its beat; a confidential one's read is logged.
    pub fn concern_view(&self, id: &str, viewer: &Principal) -> Result<ConcernView> {
        let row: Option<(String, String, String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT c.beat, coalesce(json_extract(h.fields, '$.address'), ''), c.fields,
                        (SELECT account_id FROM devices WHERE device_id = c.created_device)
                 FROM records c
                 LEFT JOIN records h ON h.entity = 'household' AND h.id = json_extract(c.fields, '$.household_id')
                 WHERE c.entity = 'concern' AND c.id = ?1 AND c.deleted = 0",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let (beat, address, fields, recorder) =
            row.ok_or_else(|| StationError::NotFound(format!("no concern {id}")))?;
        if !viewer.may_read_beat(&beat) {
            audit(
                &self.conn,
                &viewer.username,
                viewer.device_id,
                "read_concern",
                id,
                Outcome::Refused,
                &beat,
            )?;
            return Err(StationError::NotPermitted(format!(
                "concerns of {beat} are not open to this account"
            )));
        }
        let mut fields: Map<String, Value> = serde_json::from_str(&fields)?;
        let confidential = fields.get("confidential").and_then(Value::as_bool) == Some(true);
        let may_see = !confidential
            || viewer.sees_confidential_reporters()
            || recorder.as_deref() == Some(viewer.account_id.as_str());
        let reporter = if may_see {
            Some(self.reporter_name(&fields)?).filter(|r| !r.is_empty())
        } else {
            for key in REPORTER_FIELDS {
                fields.remove(key);
            }
            None
        };
        if confidential {
            let detail = if may_see {
                "reporter shown"
            } else {
                "reporter withheld"
            };
            audit(
                &self.conn,
                &viewer.username,
                viewer.device_id,
                "read_confidential",
                id,
                Outcome::Ok,
                detail,
            )?;
        }
        Ok(ConcernView {
            id: id.to_string(),
            beat,
            address,
            fields,
            reporter,
            confidential,
            withheld: !may_see,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every visit of a pull page asks for its confidential concerns: by the index on a concern's
    /// visit, never by scanning every concern of the station (SQLite's planner preferred the primary
    /// key's `entity` prefix: a page of 1,000 visits read 9,000 concerns each, 9 s at 220k records).
    #[test]
    fn a_visits_hidden_reporters_are_found_by_index_not_by_scanning_every_concern() {
        let dir = tempfile::tempdir().unwrap();
        let store = StationStore::open(&dir.path().join("s.sqlite")).unwrap();
        let sql = format!(
            "SELECT {} FROM records r WHERE r.version > 0",
            visible_fields("r", "'viewer'")
        );
        let plan = super::super::query_plan(store.conn(), &sql);
        assert!(
            plan.iter().any(|l| l.contains("records_concern_visit")),
            "{plan:#?}"
        );
    }
}
