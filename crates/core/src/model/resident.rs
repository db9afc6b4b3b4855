//! A person registered at a household.

use super::{EntityKind, EntitySpec, FieldKind, Record, Relation, Sex, Tag, ToCheck};
use crate::error::FieldError;
use crate::ids::{HouseholdId, ResidentId};
use crate::validate::{Checks, NAME_MAX, NOTES_MAX, SHORT_TEXT_MAX};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Resident {
    pub id: ResidentId,
    #[serde(default)]
    #[ts(type = "number")]
    pub version: i64,
    pub household_id: HouseholdId,
    pub name: String,
    #[serde(default)]
    pub sex: Option<Sex>,
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    #[serde(default)]
    pub phone: String,
    /// Sensitive: shown in full only on the resident's own page.
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub relation: Option<Relation>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub notes: String,
    /// Values from an imported ledger that could not be taken as typed, for an officer to check.
    #[serde(default)]
    pub to_check: Vec<ToCheck>,
    #[serde(default)]
    pub deleted: bool,
}

pub static RESIDENT: EntitySpec = EntitySpec {
    entity: EntityKind::Resident,
    table: "residents",
    fields: &[
        ("household_id", FieldKind::Ref("households")),
        ("name", FieldKind::Scalar),
        ("sex", FieldKind::Scalar),
        ("birth_date", FieldKind::Scalar),
        ("phone", FieldKind::Scalar),
        ("id_number", FieldKind::Scalar),
        ("relation", FieldKind::Scalar),
        ("tags", FieldKind::Set),
        ("notes", FieldKind::Scalar),
        ("to_check", FieldKind::Set),
        ("deleted", FieldKind::Bool),
    ],
};

impl Resident {
    pub fn new(household_id: HouseholdId, name: impl Into<String>) -> Self {
        Resident {
            id: ResidentId::new(),
            version: 0,
            household_id,
            name: name.into(),
            sex: None,
            birth_date: None,
            phone: String::new(),
            id_number: String::new(),
            relation: None,
            tags: Vec::new(),
            notes: String::new(),
            to_check: Vec::new(),
            deleted: false,
        }
    }
}

impl Record for Resident {
    const SPEC: &'static EntitySpec = &RESIDENT;
    super::record_identity!();
    fn validate(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut c = Checks::new();
        c.required("name", &self.name);
        c.max_len("name", &self.name, NAME_MAX);
        if let Some(d) = self.birth_date {
            c.past_date("birth_date", d, today);
        }
        c.phone("phone", &self.phone);
        c.max_len("phone", &self.phone, SHORT_TEXT_MAX);
        c.id_number("id_number", &self.id_number);
        c.max_len("notes", &self.notes, NOTES_MAX);
        c.errors
    }
}
