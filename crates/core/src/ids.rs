//! Typed identifiers. Every record id is a UUIDv7 (time-ordered, so new rows land at the end of the
//! primary-key index), wrapped in a newtype so a visit id can never be passed where a household id is
//! meant. On the wire and in SQLite they are the hyphenated text form.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use ts_rs::TS;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
        #[serde(transparent)]
        #[ts(export, type = "string")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self)
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.to_string()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                Uuid::parse_str(text).map(Self).map_err(|e| FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

id_type!(/// A household (or shop, or other unit) on a beat.
    HouseholdId);
id_type!(/// A person registered at a household.
    ResidentId);
id_type!(/// One visit to a household.
    VisitId);
id_type!(/// A problem or request a resident raised.
    ConcernId);
id_type!(/// A follow-up task (including return visits).
    TaskId);
id_type!(/// A photo kept with a visit or a concern.
    PhotoId);
id_type!(/// One laptop's database.
    DeviceId);
id_type!(/// One recorded edit in the change log.
    ChangeId);
id_type!(/// An officer.
    OfficerId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_and_round_trip_as_text() {
        let a = VisitId::new();
        let b = VisitId::new();
        assert!(a < b, "UUIDv7 ids must sort by creation");
        assert_eq!(a.to_string().parse::<VisitId>().unwrap(), a);
        assert_eq!(a.0.get_version_num(), 7);
        assert!("not-an-id".parse::<VisitId>().is_err());
    }
}
