//! A follow-up task: what must be done about a concern (or a return visit), who is responsible, by
//! when, the result, and the feedback given back to the resident.

use super::{EntityKind, EntitySpec, Feedback, FieldKind, Record, TaskKind, TaskStatus};
use crate::error::{ErrorCode, FieldError};
use crate::ids::{ConcernId, HouseholdId, TaskId};
use crate::validate::{Checks, NAME_MAX, NOTES_MAX, SHORT_TEXT_MAX};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Task {
    pub id: TaskId,
    #[serde(default)]
    #[ts(type = "number")]
    pub version: i64,
    pub household_id: HouseholdId,
    #[serde(default)]
    pub concern_id: Option<ConcernId>,
    pub kind: TaskKind,
    pub title: String,
    /// The person responsible (责任人).
    pub assignee: String,
    pub due_date: NaiveDate,
    pub status: TaskStatus,
    #[serde(default)]
    pub result: String,
    #[serde(flatten)]
    #[ts(flatten)]
    pub feedback: Feedback,
    #[serde(default)]
    pub deleted: bool,
}

pub static TASK: EntitySpec = EntitySpec {
    entity: EntityKind::Task,
    table: "tasks",
    fields: &[
        ("household_id", FieldKind::Ref("households")),
        ("concern_id", FieldKind::Ref("concerns")),
        ("kind", FieldKind::Scalar),
        ("title", FieldKind::Scalar),
        ("assignee", FieldKind::Scalar),
        ("due_date", FieldKind::Scalar),
        ("status", FieldKind::Scalar),
        ("result", FieldKind::Scalar),
        ("feedback_at", FieldKind::Scalar),
        ("feedback_method", FieldKind::Scalar),
        ("feedback_note", FieldKind::Scalar),
        ("deleted", FieldKind::Bool),
    ],
};

impl Task {
    pub fn new(
        household_id: HouseholdId,
        title: impl Into<String>,
        assignee: impl Into<String>,
        due_date: NaiveDate,
    ) -> Self {
        Task {
            id: TaskId::new(),
            version: 0,
            household_id,
            concern_id: None,
            kind: TaskKind::FollowUp,
            title: title.into(),
            assignee: assignee.into(),
            due_date,
            status: TaskStatus::Open,
            result: String::new(),
            feedback: Feedback::default(),
            deleted: false,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.status, TaskStatus::Open | TaskStatus::InProgress)
    }
}

impl Record for Task {
    const SPEC: &'static EntitySpec = &TASK;
    super::record_identity!();
    fn validate(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut c = Checks::new();
        c.required("title", &self.title);
        c.max_len("title", &self.title, SHORT_TEXT_MAX);
        c.required("assignee", &self.assignee);
        c.max_len("assignee", &self.assignee, NAME_MAX);
        c.due_date("due_date", self.due_date);
        c.max_len("result", &self.result, NOTES_MAX);
        self.feedback.check(&mut c, today);
        if self.status == TaskStatus::Done && self.result.trim().is_empty() {
            c.fail("result", ErrorCode::ResultRequired);
        }
        c.errors
    }
}
