//! What a laptop may write, decided per change from the account behind its credential — never from
//! what the laptop says about itself. A pure function of the record as the station holds it
//! (before), the record as the change would leave it (after) and the account, so every rule is a
//! row in a table test; the store works out the facts and records the refusal.
//!
//! The rules:
//! - the record's beat before the change is one of the account's beats, or the record is a task
//!   assigned to the account — or was in one of its beats when the laptop made the edit (a household
//!   moved away while the officer edited it offline: the edit still counts);
//! - a change that moves the record (a household's beat, a record's household, a task's assignee)
//!   leaves it in the account's scope too (handing a task of another beat on is for staff);
//! - on a concern that is confidential at the station, `confidential` and the reporter fields are
//!   changed only by the account that recorded it or the chief;
//! - the base version is not above the station's version of the record (a device only ever learns
//!   versions from the station, so a higher base is a forged one that would hide every conflict);
//! - an edit (base above 0) names a record the station has;
//! - a photo's bytes stay the ones it was created with (its caption may change, or it may be
//!   deleted): pointing an existing photo at other bytes would read another officer's photo through
//!   a record that is not about it.

use doorstep_core::model::EntityKind;
use serde::{Deserialize, Serialize};

/// Why a change was refused, as the laptop and the audit trail receive it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, ts_rs::TS,
)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// The record's beat (before or after) is not one of the account's beats.
    OutsideBeats,
    /// A confidential concern's reporter or confidentiality, changed by someone else than its
    /// recording officer or the chief.
    Confidential,
    /// The base version is above the station's version of the record.
    BaseAhead,
    /// An edit of a record the station does not have.
    UnknownRecord,
    /// The record as the change would leave it does not validate (a missing field, a reference to
    /// a household the station does not have).
    Invalid,
}

impl RefusalReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::OutsideBeats => "outside_beats",
            RefusalReason::Confidential => "confidential",
            RefusalReason::BaseAhead => "base_ahead",
            RefusalReason::UnknownRecord => "unknown_record",
            RefusalReason::Invalid => "invalid",
        }
    }
}

/// A refusal with its explanation (English; the laptop shows its own words for the reason).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub reason: RefusalReason,
    pub message: String,
}

impl Refusal {
    pub fn new(reason: RefusalReason, message: impl Into<String>) -> Refusal {
        Refusal {
            reason,
            message: message.into(),
        }
    }
}

/// The account a change is written for.
#[derive(Debug, Clone, PartialEq)]
pub struct Writer<'a> {
    pub account_id: &'a str,
    pub beats: &'a [String],
    /// The chief sees and changes confidential reporters.
    pub chief: bool,
}

/// What the scope rules need to know of a record, before or after the change.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facts {
    pub beat: String,
    /// For a task: the account it is assigned to (if it names one).
    pub assignee: Option<String>,
    /// For a concern: whether its reporter is confidential.
    pub confidential: bool,
}

/// The record as the station holds it, for an edit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Before {
    pub version: i64,
    pub facts: Facts,
    /// The account that recorded it (the creating laptop's account).
    pub recorder: Option<String>,
    /// Beats the record left, each with the version at which it left.
    pub left: Vec<(String, i64)>,
}

/// The fields whose change moves a record to another scope.
pub const MOVING_FIELDS: [&str; 3] = ["beat", "household_id", "assignee"];

/// The fields of a photo that name its bytes, set once when it is created.
pub const PHOTO_CONTENT_FIELDS: [&str; 5] = ["sha256", "thumb_sha256", "bytes", "width", "height"];

/// The fields of a confidential concern that only its recorder and the chief change.
pub const GUARDED_FIELDS: [&str; 3] = ["confidential", "reporter_id", "reporter_name"];

fn in_scope(writer: &Writer<'_>, entity: EntityKind, facts: &Facts) -> bool {
    writer.beats.iter().any(|b| b == &facts.beat)
        || (entity == EntityKind::Task && facts.assignee.as_deref() == Some(writer.account_id))
}

/// Whether `writer` may make a change that sets `fields` (their names) on a record, from `before` (none
/// for a record new to the station) to `after`.
pub fn check(
    writer: &Writer<'_>,
    entity: EntityKind,
    base_version: i64,
    before: Option<&Before>,
    after: &Facts,
    fields: &[&str],
) -> Result<(), Refusal> {
    let Some(before) = before else {
        if base_version != 0 {
            return Err(Refusal::new(
                RefusalReason::UnknownRecord,
                format!(
                    "the station has no such record, but the change edits its version {base_version}"
                ),
            ));
        }
        return if in_scope(writer, entity, after) {
            Ok(())
        } else {
            Err(outside(&after.beat))
        };
    };
    if base_version > before.version {
        return Err(Refusal::new(
            RefusalReason::BaseAhead,
            format!(
                "the change is based on version {base_version}, but the station's record is at version {}",
                before.version
            ),
        ));
    }
    let held_when_edited = before
        .left
        .iter()
        .any(|(beat, left_at)| *left_at > base_version && writer.beats.contains(beat));
    if !in_scope(writer, entity, &before.facts) && !held_when_edited {
        return Err(outside(&before.facts.beat));
    }
    let moves = fields.iter().any(|f| MOVING_FIELDS.contains(f));
    if moves && !in_scope(writer, entity, after) {
        return Err(outside(&after.beat));
    }
    if entity == EntityKind::Photo && fields.iter().any(|f| PHOTO_CONTENT_FIELDS.contains(f)) {
        return Err(Refusal::new(
            RefusalReason::Invalid,
            "a photo's bytes cannot be changed; attach the new photo as another one",
        ));
    }
    let may_unmask = writer.chief || before.recorder.as_deref() == Some(writer.account_id);
    if entity == EntityKind::Concern
        && before.facts.confidential
        && !may_unmask
        && fields.iter().any(|f| GUARDED_FIELDS.contains(f))
    {
        return Err(Refusal::new(
            RefusalReason::Confidential,
            "only the officer who recorded this confidential concern, or the chief, may change its reporter or confidentiality",
        ));
    }
    Ok(())
}

fn outside(beat: &str) -> Refusal {
    Refusal::new(
        RefusalReason::OutsideBeats,
        format!("the record is in beat {beat:?}, which is not one of this account's beats"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(beat: &str) -> Facts {
        Facts {
            beat: beat.into(),
            ..Facts::default()
        }
    }

    fn before(beat: &str) -> Before {
        Before {
            version: 7,
            facts: facts(beat),
            recorder: Some("zhang".into()),
            left: Vec::new(),
        }
    }

    /// (name, entity, base, before, after, fields, writer is the chief, expected refusal)
    type Case = (
        &'static str,
        EntityKind,
        i64,
        Option<Before>,
        Facts,
        &'static [&'static str],
        bool,
        Option<RefusalReason>,
    );

    #[test]
    fn what_an_officer_of_one_beat_may_write() {
        use EntityKind::*;
        let confidential = |recorder: &str| Before {
            facts: Facts {
                confidential: true,
                ..facts("幸福社区")
            },
            recorder: Some(recorder.into()),
            ..before("幸福社区")
        };
        let assigned = |to: &str, beat: &str| Facts {
            assignee: Some(to.into()),
            ..facts(beat)
        };
        let cases: Vec<Case> = vec![
            (
                "a new photo in the officer's beat",
                Photo,
                0,
                None,
                facts("幸福社区"),
                &["sha256", "thumb_sha256", "caption"],
                false,
                None,
            ),
            (
                "a photo's caption, edited",
                Photo,
                7,
                Some(before("幸福社区")),
                facts("幸福社区"),
                &["caption"],
                false,
                None,
            ),
            (
                "a photo pointed at other bytes, even by the chief",
                Photo,
                7,
                Some(before("幸福社区")),
                facts("幸福社区"),
                &["sha256"],
                true,
                Some(RefusalReason::Invalid),
            ),
            (
                "a new household in the officer's beat",
                Household,
                0,
                None,
                facts("幸福社区"),
                &["address"],
                false,
                None,
            ),
            (
                "a new household in another beat",
                Household,
                0,
                None,
                facts("和平社区"),
                &["address"],
                false,
                Some(RefusalReason::OutsideBeats),
            ),
            (
                "an edit in the officer's beat",
                Household,
                7,
                Some(before("幸福社区")),
                facts("幸福社区"),
                &["contact_phone"],
                false,
                None,
            ),
            (
                "an edit of another beat's record",
                Visit,
                7,
                Some(before("和平社区")),
                facts("和平社区"),
                &["notes"],
                false,
                Some(RefusalReason::OutsideBeats),
            ),
            (
                "moving a household out to another beat",
                Household,
                7,
                Some(before("幸福社区")),
                facts("和平社区"),
                &["beat"],
                false,
                Some(RefusalReason::OutsideBeats),
            ),
            (
                "pulling a household in from another beat",
                Household,
                7,
                Some(before("和平社区")),
                facts("幸福社区"),
                &["beat"],
                false,
                Some(RefusalReason::OutsideBeats),
            ),
            (
                "a base above the station's version",
                Household,
                9000,
                Some(before("幸福社区")),
                facts("幸福社区"),
                &["notes"],
                false,
                Some(RefusalReason::BaseAhead),
            ),
            (
                "an edit of a record the station never had",
                Household,
                3,
                None,
                facts("幸福社区"),
                &["notes"],
                false,
                Some(RefusalReason::UnknownRecord),
            ),
            (
                "a task of another beat assigned to the officer",
                Task,
                7,
                Some(Before {
                    facts: assigned("li", "和平社区"),
                    ..before("和平社区")
                }),
                assigned("li", "和平社区"),
                &["status"],
                false,
                None,
            ),
            (
                "handing on a task of another beat",
                Task,
                7,
                Some(Before {
                    facts: assigned("li", "和平社区"),
                    ..before("和平社区")
                }),
                assigned("wang", "和平社区"),
                &["assignee"],
                false,
                Some(RefusalReason::OutsideBeats),
            ),
            (
                "a task of another beat assigned to someone else",
                Task,
                7,
                Some(Before {
                    facts: assigned("wang", "和平社区"),
                    ..before("和平社区")
                }),
                assigned("wang", "和平社区"),
                &["status"],
                false,
                Some(RefusalReason::OutsideBeats),
            ),
            (
                "unmasking another officer's confidential concern",
                Concern,
                7,
                Some(confidential("zhang")),
                facts("幸福社区"),
                &["confidential"],
                false,
                Some(RefusalReason::Confidential),
            ),
            (
                "rewriting its reporter",
                Concern,
                7,
                Some(confidential("zhang")),
                Facts {
                    confidential: true,
                    ..facts("幸福社区")
                },
                &["reporter_name"],
                false,
                Some(RefusalReason::Confidential),
            ),
            (
                "other fields of another officer's confidential concern",
                Concern,
                7,
                Some(confidential("zhang")),
                Facts {
                    confidential: true,
                    ..facts("幸福社区")
                },
                &["status"],
                false,
                None,
            ),
            (
                "the recording officer lifts confidentiality",
                Concern,
                7,
                Some(confidential("li")),
                facts("幸福社区"),
                &["confidential"],
                false,
                None,
            ),
            (
                "the chief lifts confidentiality",
                Concern,
                7,
                Some(confidential("zhang")),
                facts("幸福社区"),
                &["confidential"],
                true,
                None,
            ),
            (
                "anyone may make a concern confidential",
                Concern,
                7,
                Some(before("幸福社区")),
                Facts {
                    confidential: true,
                    ..facts("幸福社区")
                },
                &["confidential"],
                false,
                None,
            ),
        ];
        let beats = vec!["幸福社区".to_string()];
        for (name, entity, base, before, after, fields, chief, want) in cases {
            let writer = Writer {
                account_id: "li",
                beats: &beats,
                chief,
            };
            let got = check(&writer, entity, base, before.as_ref(), &after, fields);
            assert_eq!(got.err().map(|r| r.reason), want, "{name}");
        }
    }
}
