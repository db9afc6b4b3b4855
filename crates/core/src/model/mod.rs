//! The records an officer keeps, and the vocabulary they are written in.
//!
//! Each record is a plain struct that serialises to a map of *fields*; the store writes that map to a
//! table with one column per field, and the change log records the fields an edit changed. `id` and
//! `version` are not fields: the id names the record and the version is assigned by the station.

mod concern;
mod feedback;
mod household;
mod photo;
mod resident;
mod task;
mod to_check;
mod visit;
mod vocab;

pub use concern::Concern;
pub use feedback::Feedback;
pub use household::Household;
pub use photo::Photo;
pub use resident::Resident;
pub use task::Task;
pub use to_check::{CheckReason, ToCheck};
pub use visit::Visit;
pub use vocab::*;

use crate::error::FieldError;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use uuid::Uuid;

/// How a field is stored in SQLite, so a column can be turned back into the JSON value it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Text, numbers, dates and times (as RFC 3339 text), or NULL.
    Scalar,
    /// 0 or 1.
    Bool,
    /// A list kept as JSON text. Lists of this kind are sets: sync merges them as unions.
    Set,
    /// The id of another record, in the named table (checked before every write).
    Ref(&'static str),
}

/// The table and fields of one kind of record.
#[derive(Debug)]
pub struct EntitySpec {
    pub entity: EntityKind,
    pub table: &'static str,
    /// Every field, in column order; `deleted` included, `id` and `version` not.
    pub fields: &'static [(&'static str, FieldKind)],
}

impl EntitySpec {
    pub fn field_kind(&self, name: &str) -> Option<FieldKind> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| *k)
    }
}

/// The parts of [`Record`] every record implements the same way (from its `id`, `version` and
/// `deleted` fields).
macro_rules! record_identity {
    () => {
        fn id(&self) -> uuid::Uuid {
            self.id.0
        }
        fn version(&self) -> i64 {
            self.version
        }
        fn deleted(&self) -> bool {
            self.deleted
        }
    };
}
pub(crate) use record_identity;

/// A record the store can save, load and log. Implemented by the six record types.
pub trait Record: Serialize + DeserializeOwned + Clone {
    const SPEC: &'static EntitySpec;
    fn id(&self) -> Uuid;
    fn version(&self) -> i64;
    fn deleted(&self) -> bool;
    /// Field-level checks that need nothing but the record itself and today's date.
    fn validate(&self, today: chrono::NaiveDate) -> Vec<FieldError>;

    /// The record's fields as a map (everything but `id` and `version`).
    fn fields(&self) -> serde_json::Result<Map<String, Value>> {
        let Value::Object(mut map) = serde_json::to_value(self)? else {
            unreachable!("records serialise to objects");
        };
        map.remove("id");
        map.remove("version");
        Ok(map)
    }
}

/// The spec of each kind of record.
pub fn spec_of(entity: EntityKind) -> &'static EntitySpec {
    match entity {
        EntityKind::Household => Household::SPEC,
        EntityKind::Resident => Resident::SPEC,
        EntityKind::Visit => Visit::SPEC,
        EntityKind::Concern => Concern::SPEC,
        EntityKind::Task => Task::SPEC,
        EntityKind::Photo => Photo::SPEC,
    }
}

/// Checks that `fields` make a well-typed record of `entity` (right types, known words, nothing
/// missing), as data arriving from elsewhere must before it is stored. Returns serde's reason.
pub fn check_fields(
    entity: EntityKind,
    id: &str,
    fields: &Map<String, Value>,
) -> Result<(), String> {
    use serde::Deserialize;
    use serde::de::value::MapDeserializer;
    // The fields are read in place (the station checks every change it takes in; copying each map
    // first cost more than the check), with the record's id and a version beside them.
    let id = Value::String(id.into());
    let version = Value::from(0);
    let entries = || {
        fields
            .iter()
            .filter(|(k, _)| *k != "id" && *k != "version")
            .map(|(k, v)| (k.as_str(), v))
            .chain([("id", &id), ("version", &version)])
    };
    fn check<'a, T: Deserialize<'a>>(
        entries: impl Iterator<Item = (&'a str, &'a Value)>,
    ) -> Result<(), serde_json::Error> {
        T::deserialize(MapDeserializer::new(entries)).map(drop)
    }
    let result = match entity {
        EntityKind::Household => check::<Household>(entries()),
        EntityKind::Resident => check::<Resident>(entries()),
        EntityKind::Visit => check::<Visit>(entries()),
        EntityKind::Concern => check::<Concern>(entries()),
        EntityKind::Task => check::<Task>(entries()),
        EntityKind::Photo => check::<Photo>(entries()),
    };
    result.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn check_fields_takes_a_well_typed_record_and_says_what_is_wrong_with_others() {
        let id = uuid::Uuid::now_v7().to_string();
        let household = Household::new("幸福社区", "幸福路1号", HouseholdKind::Residence);
        let good = household.fields().unwrap();
        assert_eq!(check_fields(EntityKind::Household, &id, &good), Ok(()));

        let mut wrong_type = good.clone();
        wrong_type.insert("tags".into(), json!("elderly_alone"));
        assert!(check_fields(EntityKind::Household, &id, &wrong_type).is_err());
        let mut unknown_word = good.clone();
        unknown_word.insert("kind".into(), json!("castle"));
        let reason = check_fields(EntityKind::Household, &id, &unknown_word).unwrap_err();
        assert!(reason.contains("castle"), "{reason}");
        let missing = fields(json!({"beat": "幸福社区"}));
        let reason = check_fields(EntityKind::Household, &id, &missing).unwrap_err();
        assert!(reason.contains("address"), "{reason}");
        assert!(check_fields(EntityKind::Household, "not-an-id", &good).is_err());
    }
}
