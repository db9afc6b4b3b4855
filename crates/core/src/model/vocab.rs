//! The closed lists officers choose from: household kinds and tags, the six purposes of a visit, the
//! five inquiry areas, ratings, concern categories, urgencies and statuses. Stored and sent as
//! snake_case English words; the UI shows them in the officer's language.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

macro_rules! vocab {
    // A list people choose from: each word with its label in zh-CN and English, and the group name
    // the user interfaces file the labels under.
    ($(#[$doc:meta])* $name:ident as $group:literal {
        $($variant:ident = $text:literal ($zh:literal, $en:literal)),+ $(,)?
    }) => {
        vocab!($(#[$doc])* $name { $($variant = $text),+ });

        impl $name {
            /// The group the labels are filed under (`vocab.purpose.warmth` in the field UI).
            pub const GROUP: &'static str = $group;
            /// What people read for this word.
            pub fn label(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $(($name::$variant, Lang::Zh) => $zh, ($name::$variant, Lang::En) => $en,)+
                }
            }
        }

        impl Labelled for $name {
            fn group() -> &'static str {
                $group
            }
            fn words() -> Vec<Word> {
                vec![$(($text, $zh, $en)),+]
            }
        }
    };
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

/// The languages people read Doorstep in: zh-CN first, English second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

/// A stored word with its zh-CN and English labels.
pub type Word = (&'static str, &'static str, &'static str);

/// A closed list with labels: what the generated vocabulary is made of.
trait Labelled {
    fn group() -> &'static str;
    /// Each word with its labels, in the list's order.
    fn words() -> Vec<Word>;
}

vocab!(/// What a household record is.
HouseholdKind as "household_kind" {
    Residence = "residence" ("住宅", "Residence"),
    Rental = "rental" ("出租屋", "Rental"),
    Shop = "shop" ("商铺", "Shop"),
    Unit = "unit" ("单位/场所", "Unit"),
});

vocab!(/// Tags on households and residents; several drive how often a household is visited.
Tag as "tag" {
    ElderlyAlone = "elderly_alone" ("独居老人", "Elderly alone"),
    LowIncome = "low_income" ("低保户", "Low income"),
    LeftBehindChildren = "left_behind_children" ("留守儿童", "Left-behind children"),
    Disabled = "disabled" ("残疾人", "Disabled"),
    MigrantWorkers = "migrant_workers" ("流动人口", "Migrant workers"),
    Petitioner = "petitioner" ("信访人员", "Petitioner"),
    KeyPerson = "key_person" ("重点人员", "Key person"),
    CommunityCorrection = "community_correction" ("社区矫正对象", "Community correction"),
});

vocab!(/// Sex as recorded on the household register.
Sex as "sex" {
    Male = "male" ("男", "Male"),
    Female = "female" ("女", "Female"),
});

vocab!(/// Relation of a resident to the head of the household.
Relation as "relation" {
    Head = "head" ("户主", "Head"),
    Spouse = "spouse" ("配偶", "Spouse"),
    Child = "child" ("子女", "Child"),
    Parent = "parent" ("父母", "Parent"),
    Grandchild = "grandchild" ("孙子女", "Grandchild"),
    Sibling = "sibling" ("兄弟姐妹", "Sibling"),
    Tenant = "tenant" ("租户", "Tenant"),
    Other = "other" ("其他", "Other"),
});

vocab!(/// The six purposes of a visit (六送).
Purpose as "purpose" {
    Warmth = "warmth" ("送温暖", "Warmth"),
    Safety = "safety" ("送平安", "Safety"),
    Law = "law" ("送法律", "Law"),
    Mediation = "mediation" ("送调解", "Mediation"),
    Service = "service" ("送服务", "Service"),
    Care = "care" ("送关爱", "Care"),
});

vocab!(/// The five inquiry areas (五访) that opinions and concerns are grouped by.
InquiryArea as "inquiry" {
    Stability = "stability" ("影响和谐稳定", "Stability"),
    PublicOrder = "public_order" ("影响社会治安", "Public order"),
    Fairness = "fairness" ("影响执法公正", "Fair enforcement"),
    Conduct = "conduct" ("影响作风形象", "Work style"),
    Integrity = "integrity" ("影响队伍廉洁", "Integrity"),
});

vocab!(/// The resident's rating of the police (开门评警).
Rating as "rating" {
    Satisfied = "satisfied" ("满意", "Satisfied"),
    Basic = "basic" ("基本满意", "Basically satisfied"),
    Dissatisfied = "dissatisfied" ("不满意", "Dissatisfied"),
});

vocab!(/// What a concern is about.
ConcernCategory as "category" {
    Dispute = "dispute" ("矛盾纠纷", "Dispute"),
    PublicOrder = "public_order" ("治安问题", "Public order"),
    SafetyHazard = "safety_hazard" ("安全隐患", "Safety hazard"),
    CrimeLead = "crime_lead" ("线索", "Crime lead"),
    Petition = "petition" ("信访", "Petition"),
    PoliceConduct = "police_conduct" ("对民警的意见/投诉", "Police conduct"),
    ServiceRequest = "service_request" ("办事需求", "Service request"),
    WelfareNeed = "welfare_need" ("帮扶需求", "Welfare need"),
});

vocab!(/// How soon a concern must be acted on.
Urgency as "urgency" {
    Low = "low" ("一般", "Low"),
    Normal = "normal" ("普通", "Normal"),
    High = "high" ("较急", "High"),
    Urgent = "urgent" ("紧急", "Urgent"),
});

vocab!(/// Where a concern stands. `Closed` means the resident has been told the result.
ConcernStatus as "concern_status" {
    Raised = "raised" ("已登记", "Raised"),
    InProgress = "in_progress" ("办理中", "In progress"),
    Resolved = "resolved" ("已整改，未告知", "Resolved, resident not told"),
    Closed = "closed" ("已反馈办结", "Closed, resident told"),
});

vocab!(/// Where a follow-up task stands.
TaskStatus as "task_status" {
    Open = "open" ("待办", "Open"),
    InProgress = "in_progress" ("办理中", "In progress"),
    Done = "done" ("已办结", "Done"),
    Cancelled = "cancelled" ("已取消", "Cancelled"),
});

vocab!(/// A follow-up task proper, or a return visit (回访).
TaskKind as "task_kind" {
    FollowUp = "follow_up" ("跟进", "Follow-up"),
    ReturnVisit = "return_visit" ("回访", "Return visit"),
});

vocab!(/// How the resident was told the result.
FeedbackMethod as "feedback" {
    InPerson = "in_person" ("当面", "In person"),
    Phone = "phone" ("电话", "Phone"),
    Message = "message" ("短信/微信", "Message"),
    Letter = "letter" ("书面", "Letter"),
});

vocab!(/// The fields a ledger row can fill, as an import maps a spreadsheet's columns to them.
LedgerField {
    Address = "address", Beat = "beat", HouseholdKind = "household_kind", HouseholdTags = "household_tags",
    ContactPhone = "contact_phone", Name = "name", Sex = "sex", BirthDate = "birth_date", Phone = "phone",
    IdNumber = "id_number", Relation = "relation", ResidentTags = "resident_tags",
});

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
    Photo,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Household => "household",
            EntityKind::Resident => "resident",
            EntityKind::Visit => "visit",
            EntityKind::Concern => "concern",
            EntityKind::Task => "task",
            EntityKind::Photo => "photo",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Household,
            Self::Resident,
            Self::Visit,
            Self::Concern,
            Self::Task,
            Self::Photo,
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

/// Every labelled list as `(group, [(word, zh-CN, English)])`, in the order the lists are declared.
pub fn vocabulary() -> Vec<(&'static str, Vec<Word>)> {
    fn entry<T: Labelled>() -> (&'static str, Vec<Word>) {
        (T::group(), T::words())
    }
    vec![
        entry::<HouseholdKind>(),
        entry::<Tag>(),
        entry::<Sex>(),
        entry::<Relation>(),
        entry::<Purpose>(),
        entry::<InquiryArea>(),
        entry::<Rating>(),
        entry::<ConcernCategory>(),
        entry::<Urgency>(),
        entry::<ConcernStatus>(),
        entry::<TaskStatus>(),
        entry::<TaskKind>(),
        entry::<FeedbackMethod>(),
    ]
}

/// The vocabulary as a TypeScript module for the field UI and the staff pages: the labels of each
/// list in each language, keyed by group and word (`vocabulary["zh-CN"].purpose.warmth`).
pub fn vocabulary_ts() -> String {
    let mut out = String::from(
        "// Generated from crates/core/src/model/vocab.rs by its tests: do not edit by hand.\n\n",
    );
    for (declaration, pick) in [
        ("const zhCN = {", 1usize),
        ("const en: typeof zhCN = {", 2usize),
    ] {
        out.push_str(declaration);
        out.push('\n');
        for (group, words) in vocabulary() {
            out.push_str(&format!("  {group}: {{\n"));
            for w in words {
                let label = if pick == 1 { w.1 } else { w.2 };
                out.push_str(&format!(
                    "    {}: {},\n",
                    w.0,
                    serde_json::Value::from(label)
                ));
            }
            out.push_str("  },\n");
        }
        out.push_str("};\n\n");
    }
    out.push_str("/** The closed lists' labels, by language, group and stored word. */\n");
    out.push_str("export const vocabulary = { \"zh-CN\": zhCN, en };\n");
    out.push_str("export type Vocabulary = typeof zhCN;\n");
    out
}

#[cfg(test)]
mod vocabulary_tests {
    use super::*;

    /// Every word of every list has a label in both languages, distinct within its list (two
    /// choices that read the same could not be told apart).
    #[test]
    fn every_word_has_a_label_in_each_language() {
        for (group, words) in vocabulary() {
            for lang in [1, 2] {
                let labels: Vec<&str> = words
                    .iter()
                    .map(|w| if lang == 1 { w.1 } else { w.2 })
                    .collect();
                for (w, label) in words.iter().zip(&labels) {
                    assert!(!label.trim().is_empty(), "{group}.{} has no label", w.0);
                }
                let mut distinct = labels.clone();
                distinct.sort();
                distinct.dedup();
                assert_eq!(
                    distinct.len(),
                    labels.len(),
                    "{group}: two words read the same: {labels:?}"
                );
            }
        }
        assert_eq!(Purpose::Warmth.label(Lang::Zh), "送温暖");
        assert_eq!(InquiryArea::PublicOrder.label(Lang::Zh), "影响社会治安");
        assert_eq!(ConcernCategory::PublicOrder.label(Lang::Zh), "治安问题");
    }

    /// The field UI and the staff pages read the labels from one generated file; it is written
    /// here (as ts-rs writes the bindings) and the test command fails if it differs from git's.
    #[test]
    fn the_generated_vocabulary_is_written_for_the_user_interfaces() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../ui/src/bindings/vocabulary.ts");
        let text = vocabulary_ts();
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, &text).expect("write ui/src/bindings/vocabulary.ts");
        }
        assert!(text.contains("warmth: \"送温暖\""));
    }
}
