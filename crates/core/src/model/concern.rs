//! A problem or request a resident raised, from raising to the moment the resident is told the result.

use super::{
    ConcernCategory, ConcernStatus, EntityKind, EntitySpec, Feedback, FieldKind, Record, Urgency,
};
use crate::error::{ErrorCode, FieldError};
use crate::ids::{ConcernId, HouseholdId, ResidentId, VisitId};
use crate::validate::{Checks, NAME_MAX, NOTES_MAX};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Concern {
    pub id: ConcernId,
    #[serde(default)]
    #[ts(type = "number")]
    pub version: i64,
    pub household_id: HouseholdId,
    /// The visit it was raised in, if any.
    #[serde(default)]
    pub visit_id: Option<VisitId>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub raised_at: DateTime<Utc>,
    pub category: ConcernCategory,
    pub urgency: Urgency,
    pub summary: String,
    /// Who raised it: a registered resident, or a name for someone not on the register.
    #[serde(default)]
    pub reporter_id: Option<ResidentId>,
    #[serde(default)]
    pub reporter_name: String,
    /// The reporter's identity is for the recording officer and the station chief only.
    #[serde(default)]
    pub confidential: bool,
    pub status: ConcernStatus,
    /// When and how the resident was told the result; required before the concern is closed.
    #[serde(flatten)]
    #[ts(flatten)]
    pub feedback: Feedback,
    #[serde(default, with = "crate::time::ts_opt")]
    #[ts(type = "string | null")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub deleted: bool,
}

pub static CONCERN: EntitySpec = EntitySpec {
    entity: EntityKind::Concern,
    table: "concerns",
    fields: &[
        ("household_id", FieldKind::Ref("households")),
        ("visit_id", FieldKind::Ref("visits")),
        ("raised_at", FieldKind::Scalar),
        ("category", FieldKind::Scalar),
        ("urgency", FieldKind::Scalar),
        ("summary", FieldKind::Scalar),
        ("reporter_id", FieldKind::Ref("residents")),
        ("reporter_name", FieldKind::Scalar),
        ("confidential", FieldKind::Bool),
        ("status", FieldKind::Scalar),
        ("feedback_at", FieldKind::Scalar),
        ("feedback_method", FieldKind::Scalar),
        ("feedback_note", FieldKind::Scalar),
        ("closed_at", FieldKind::Scalar),
        ("deleted", FieldKind::Bool),
    ],
};

impl Concern {
    pub fn new(
        household_id: HouseholdId,
        category: ConcernCategory,
        summary: impl Into<String>,
    ) -> Self {
        Concern {
            id: ConcernId::new(),
            version: 0,
            household_id,
            visit_id: None,
            raised_at: crate::time::now(),
            category,
            urgency: Urgency::Normal,
            summary: summary.into(),
            reporter_id: None,
            reporter_name: String::new(),
            confidential: false,
            status: ConcernStatus::Raised,
            feedback: Feedback::default(),
            closed_at: None,
            deleted: false,
        }
    }

    /// Waiting for the resident to be told: resolved (or worked on) but no feedback recorded.
    pub fn awaits_feedback(&self) -> bool {
        self.status == ConcernStatus::Resolved && self.feedback.at.is_none()
    }
}

impl Record for Concern {
    const SPEC: &'static EntitySpec = &CONCERN;
    super::record_identity!();
    fn validate(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut c = Checks::new();
        c.required("summary", &self.summary);
        c.max_len("summary", &self.summary, NOTES_MAX);
        c.max_len("reporter_name", &self.reporter_name, NAME_MAX);
        c.past_time("raised_at", self.raised_at, today);
        self.feedback.check(&mut c, today);
        // "Everything settled, everything answered": closing means the resident was told.
        if self.status == ConcernStatus::Closed && !self.feedback.given() {
            c.fail("status", ErrorCode::FeedbackRequiredToClose);
        }
        c.errors
    }
}
