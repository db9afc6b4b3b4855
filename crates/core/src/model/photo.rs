//! A photo the officer took of what they saw (the hazard, the damaged door, the notice on the wall),
//! kept with a visit or a concern of a household. The record holds what the photo is and where it
//! belongs; its bytes (a JPEG and its thumbnail) are blobs addressed by their SHA-256, stored apart
//! and synced apart (see `store::photos`), so a record never waits for its bytes and the same photo
//! twice is kept once.

use super::{EntityKind, EntitySpec, FieldKind, Record};
use crate::error::{ErrorCode, FieldError};
use crate::ids::{ConcernId, HouseholdId, PhotoId, VisitId};
use crate::validate::{Checks, SHORT_TEXT_MAX};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Photo {
    pub id: PhotoId,
    #[serde(default)]
    #[ts(type = "number")]
    pub version: i64,
    pub household_id: HouseholdId,
    #[serde(default)]
    pub visit_id: Option<VisitId>,
    #[serde(default)]
    pub concern_id: Option<ConcernId>,
    /// The photo's content address (SHA-256 of its JPEG). Empty where the station withheld it: a
    /// photo of a confidential concern, for an officer who may not see its reporter.
    pub sha256: String,
    /// The thumbnail's content address.
    pub thumb_sha256: String,
    #[ts(type = "number")]
    pub bytes: i64,
    pub width: u32,
    pub height: u32,
    #[serde(default)]
    pub caption: String,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub taken_at: DateTime<Utc>,
    /// Where it was taken (`lat,lon`), only if the officer kept it.
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub deleted: bool,
}

pub static PHOTO: EntitySpec = EntitySpec {
    entity: EntityKind::Photo,
    table: "photos",
    fields: &[
        ("household_id", FieldKind::Ref("households")),
        ("visit_id", FieldKind::Ref("visits")),
        ("concern_id", FieldKind::Ref("concerns")),
        ("sha256", FieldKind::Scalar),
        ("thumb_sha256", FieldKind::Scalar),
        ("bytes", FieldKind::Scalar),
        ("width", FieldKind::Scalar),
        ("height", FieldKind::Scalar),
        ("caption", FieldKind::Scalar),
        ("taken_at", FieldKind::Scalar),
        ("location", FieldKind::Scalar),
        ("deleted", FieldKind::Bool),
    ],
};

impl Photo {
    /// Its bytes were withheld by the station (a confidential concern's photo).
    pub fn withheld(&self) -> bool {
        self.sha256.is_empty()
    }
}

impl Record for Photo {
    const SPEC: &'static EntitySpec = &PHOTO;
    super::record_identity!();
    fn validate(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut c = Checks::new();
        c.max_len("caption", &self.caption, SHORT_TEXT_MAX);
        c.past_time("taken_at", self.taken_at, today);
        for (field, value) in [
            ("sha256", &self.sha256),
            ("thumb_sha256", &self.thumb_sha256),
        ] {
            if !crate::photo::is_sha256_hex(value) {
                c.fail(field, ErrorCode::UnknownValue);
            }
        }
        c.errors
    }
}
