//! A household (or rental flat, shop, other unit) on a beat, known by its address.

use super::{EntityKind, EntitySpec, FieldKind, HouseholdKind, Record, Tag, ToCheck};
use crate::error::FieldError;
use crate::ids::HouseholdId;
use crate::validate::{ADDRESS_MAX, Checks, NAME_MAX, NOTES_MAX, SHORT_TEXT_MAX};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Household {
    pub id: HouseholdId,
    /// Station-assigned version of the last accepted change; 0 until the station has seen it.
    #[serde(default)]
    #[ts(type = "number")]
    pub version: i64,
    pub beat: String,
    /// The address as the officer writes it; a normalised form is kept beside it for comparison.
    pub address: String,
    pub kind: HouseholdKind,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub notes: String,
    /// When the household was first registered; visits are due from then if it was never visited.
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub registered_at: DateTime<Utc>,
    /// Values from an imported ledger that could not be taken as typed, for an officer to check.
    #[serde(default)]
    pub to_check: Vec<ToCheck>,
    #[serde(default)]
    pub deleted: bool,
}

pub static HOUSEHOLD: EntitySpec = EntitySpec {
    entity: EntityKind::Household,
    table: "households",
    fields: &[
        ("beat", FieldKind::Scalar),
        ("address", FieldKind::Scalar),
        ("kind", FieldKind::Scalar),
        ("tags", FieldKind::Set),
        ("contact_name", FieldKind::Scalar),
        ("contact_phone", FieldKind::Scalar),
        ("notes", FieldKind::Scalar),
        ("registered_at", FieldKind::Scalar),
        ("to_check", FieldKind::Set),
        ("deleted", FieldKind::Bool),
    ],
};

impl Household {
    /// A new household registered now.
    pub fn new(beat: impl Into<String>, address: impl Into<String>, kind: HouseholdKind) -> Self {
        Household {
            id: HouseholdId::new(),
            version: 0,
            beat: beat.into(),
            address: address.into(),
            kind,
            tags: Vec::new(),
            contact_name: String::new(),
            contact_phone: String::new(),
            notes: String::new(),
            registered_at: crate::time::now(),
            to_check: Vec::new(),
            deleted: false,
        }
    }
}

impl Record for Household {
    const SPEC: &'static EntitySpec = &HOUSEHOLD;
    super::record_identity!();
    fn validate(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut c = Checks::new();
        c.required("beat", &self.beat);
        c.max_len("beat", &self.beat, NAME_MAX);
        c.required("address", &self.address);
        c.max_len("address", &self.address, ADDRESS_MAX);
        c.max_len("contact_name", &self.contact_name, NAME_MAX);
        c.phone("contact_phone", &self.contact_phone);
        c.max_len("contact_phone", &self.contact_phone, SHORT_TEXT_MAX);
        c.max_len("notes", &self.notes, NOTES_MAX);
        c.past_time("registered_at", self.registered_at, today);
        c.errors
    }
}
