//! The closed lists officers choose from: household kinds and tags, the six purposes of a visit, the
//! five inquiry areas, ratings, concern categories, urgencies and statuses. Stored and sent as
//! snake_case English words; the UI shows them in the officer's language.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

macro_rules! vocab {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
        #[serde(rename_all = "snake_case")]
        #[ts(export)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stored (and wire) word.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// Parses the stored word (as the CLI and importers receive it).
            pub fn parse(s: &str) -> Option<Self> {
                match s.trim() { $($text => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

vocab!(/// What a household record is.
HouseholdKind { Residence = "residence", Rental = "rental", Shop = "shop", Unit = "unit" });

vocab!(/// Tags on households and residents; several drive how often a household is visited.
Tag {
    ElderlyAlone = "elderly_alone",
    LowIncome = "low_income",
    LeftBehindChildren = "left_behind_children",
    Disabled = "disabled",
    MigrantWorkers = "migrant_workers",
    Petitioner = "petitioner",
    KeyPerson = "key_person",
    CommunityCorrection = "community_correction",
});

vocab!(/// Sex as recorded on the household register.
Sex { Male = "male", Female = "female" });

vocab!(/// Relation of a resident to the head of the household.
Relation {
    Head = "head", Spouse = "spouse", Child = "child", Parent = "parent", Grandchild = "grandchild",
    Sibling = "sibling", Tenant = "tenant", Other = "other",
});

vocab!(/// The six purposes of a visit (六送).
Purpose { Warmth = "warmth", Safety = "safety", Law = "law", Mediation = "mediation", Service = "service", Care = "care" });

vocab!(/// The five inquiry areas (五访) that opinions and concerns are grouped by.
InquiryArea { Stability = "stability", PublicOrder = "public_order", Fairness = "fairness", Conduct = "conduct", Integrity = "integrity" });

vocab!(/// The resident's rating of the police (开门评警).
Rating { Satisfied = "satisfied", Basic = "basic", Dissatisfied = "dissatisfied" });

vocab!(/// What a concern is about.
ConcernCategory {
    Dispute = "dispute", PublicOrder = "public_order", SafetyHazard = "safety_hazard", CrimeLead = "crime_lead",
    Petition = "petition", PoliceConduct = "police_conduct", ServiceRequest = "service_request", WelfareNeed = "welfare_need",
});

vocab!(/// How soon a concern must be acted on.
Urgency { Low = "low", Normal = "normal", High = "high", Urgent = "urgent" });

vocab!(/// Where a concern stands. `Closed` means the resident has been told the result.
ConcernStatus { Raised = "raised", InProgress = "in_progress", Resolved = "resolved", Closed = "closed" });

vocab!(/// Where a follow-up task stands.
TaskStatus { Open = "open", InProgress = "in_progress", Done = "done", Cancelled = "cancelled" });

vocab!(/// A follow-up task proper, or a return visit (回访).
TaskKind { FollowUp = "follow_up", ReturnVisit = "return_visit" });

vocab!(/// How the resident was told the result.
FeedbackMethod { InPerson = "in_person", Phone = "phone", Message = "message", Letter = "letter" });

/// The kinds of record, as named in the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EntityKind {
    Household,
    Resident,
    Visit,
    Concern,
    Task,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Household => "household",
            EntityKind::Resident => "resident",
            EntityKind::Visit => "visit",
            EntityKind::Concern => "concern",
            EntityKind::Task => "task",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Household,
            Self::Resident,
            Self::Visit,
            Self::Concern,
            Self::Task,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_match_serde_names() {
        for p in Purpose::ALL {
            assert_eq!(
                serde_json::to_value(p).unwrap(),
                serde_json::Value::String(p.as_str().into())
            );
            assert_eq!(Purpose::parse(p.as_str()), Some(*p));
        }
        for c in ConcernCategory::ALL {
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::String(c.as_str().into())
            );
        }
        for t in Tag::ALL {
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                serde_json::Value::String(t.as_str().into())
            );
        }
        assert_eq!(Tag::parse("nonsense"), None);
    }
}
