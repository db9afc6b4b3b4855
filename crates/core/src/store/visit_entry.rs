//! Saving what the New visit screen holds: the visit, the concerns raised in it and their follow-up
//! tasks, and removing the draft it was typed into, all in one transaction. Saving the same entry
//! twice (a retried command, a double Ctrl+Enter) changes nothing the second time: the ids are fixed
//! when the draft starts, and an unchanged record logs no change.

use super::Store;
use super::records::save_in;
use crate::error::{Error, FieldError, Result};
use crate::model::{Concern, Record, Task, Visit};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VisitEntry {
    pub visit: Visit,
    #[serde(default)]
    pub concerns: Vec<Concern>,
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// The draft this entry was typed into; removed once the entry is saved.
    #[serde(default)]
    pub draft_id: Option<String>,
}

/// Prefixes each error's field with where it sits in the entry (`concerns.0.summary`).
fn prefixed(prefix: String, errors: Vec<FieldError>) -> impl Iterator<Item = FieldError> {
    errors.into_iter().map(move |mut e| {
        e.field = format!("{prefix}{}", e.field);
        e
    })
}

impl Store {
    /// [`Store::record_visit_on`] on the laptop's local date.
    pub fn record_visit(&mut self, entry: &VisitEntry) -> Result<()> {
        self.record_visit_on(entry, crate::time::local_today())
    }

    /// Saves a visit with the concerns raised and the tasks promised in it, validated as of
    /// `today`, in one transaction, and removes the draft it was typed into.
    pub fn record_visit_on(&mut self, entry: &VisitEntry, today: chrono::NaiveDate) -> Result<()> {
        let mut errors: Vec<FieldError> = entry.visit.validate(today);
        for (i, c) in entry.concerns.iter().enumerate() {
            errors.extend(prefixed(format!("concerns.{i}."), c.validate(today)));
        }
        for (i, t) in entry.tasks.iter().enumerate() {
            errors.extend(prefixed(format!("tasks.{i}."), t.validate(today)));
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        self.with_tx(|tx, device| {
            save_in(tx, device, &entry.visit)?;
            for c in &entry.concerns {
                save_in(tx, device, c)?;
            }
            for t in &entry.tasks {
                save_in(tx, device, t)?;
            }
            if let Some(draft) = &entry.draft_id {
                super::drafts::delete_draft(tx, draft)?;
            }
            Ok(())
        })
    }
}
