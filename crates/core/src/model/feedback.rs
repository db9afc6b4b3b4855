//! How a resident was told the result of what they raised: the same three facts on a concern and
//! on a task (回访 feedback), stored as the record's `feedback_at`, `feedback_method` and
//! `feedback_note` fields.

use super::FeedbackMethod;
use crate::validate::{Checks, NOTES_MAX};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Feedback {
    /// When the resident was told.
    #[serde(rename = "feedback_at", default, with = "crate::time::ts_opt")]
    #[ts(rename = "feedback_at", type = "string | null")]
    pub at: Option<DateTime<Utc>>,
    /// How: in person, by phone, message or letter.
    #[serde(rename = "feedback_method", default)]
    #[ts(rename = "feedback_method")]
    pub method: Option<FeedbackMethod>,
    /// What they were told, or said.
    #[serde(rename = "feedback_note", default)]
    #[ts(rename = "feedback_note")]
    pub note: String,
}

impl Feedback {
    /// Told, with when and how: what closing a concern requires.
    pub fn given(&self) -> bool {
        self.at.is_some() && self.method.is_some()
    }

    /// The checks of its fields: a note within bounds, a time not in the future.
    pub(crate) fn check(&self, c: &mut Checks, today: NaiveDate) {
        c.max_len("feedback_note", &self.note, NOTES_MAX);
        if let Some(at) = self.at {
            c.past_time("feedback_at", at, today);
        }
    }
}
