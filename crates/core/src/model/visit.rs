//! One visit to a household: when, by whom, for which purposes, who was met, what was said, and how
//! the resident rated the police.

use super::{EntityKind, EntitySpec, FieldKind, InquiryArea, Purpose, Rating, Record};
use crate::error::{ErrorCode, FieldError};
use crate::ids::{HouseholdId, ResidentId, VisitId};
use crate::validate::{Checks, NAME_MAX, NOTES_MAX, SHORT_TEXT_MAX};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Visit {
    pub id: VisitId,
    #[serde(default)]
    #[ts(type = "number")]
    pub version: i64,
    pub household_id: HouseholdId,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub visited_at: DateTime<Utc>,
    /// The officer(s) who made the visit, as names.
    pub officers: Vec<String>,
    pub purposes: Vec<Purpose>,
    /// Residents met, from the household's register.
    #[serde(default)]
    pub met: Vec<ResidentId>,
    #[serde(default)]
    pub notes: String,
    /// Which of the five inquiry areas the conversation touched.
    #[serde(default)]
    pub inquiry_areas: Vec<InquiryArea>,
    #[serde(default)]
    pub rating: Option<Rating>,
    #[serde(default)]
    pub opinions: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub deleted: bool,
}

pub static VISIT: EntitySpec = EntitySpec {
    entity: EntityKind::Visit,
    table: "visits",
    fields: &[
        ("household_id", FieldKind::Ref("households")),
        ("visited_at", FieldKind::Scalar),
        ("officers", FieldKind::Set),
        ("purposes", FieldKind::Set),
        ("met", FieldKind::Set),
        ("notes", FieldKind::Scalar),
        ("inquiry_areas", FieldKind::Set),
        ("rating", FieldKind::Scalar),
        ("opinions", FieldKind::Scalar),
        ("location", FieldKind::Scalar),
        ("deleted", FieldKind::Bool),
    ],
};

impl Record for Visit {
    const SPEC: &'static EntitySpec = &VISIT;
    super::record_identity!();
    fn validate(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut c = Checks::new();
        c.past_time("visited_at", self.visited_at, today);
        if self.purposes.is_empty() {
            c.fail("purposes", ErrorCode::Required);
        }
        if self.officers.iter().all(|o| o.trim().is_empty()) {
            c.fail("officers", ErrorCode::Required);
        }
        for o in &self.officers {
            c.max_len("officers", o, NAME_MAX);
        }
        c.max_len("notes", &self.notes, NOTES_MAX);
        c.max_len("opinions", &self.opinions, NOTES_MAX);
        c.max_len("location", &self.location, SHORT_TEXT_MAX);
        c.errors
    }
}
