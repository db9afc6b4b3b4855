//! Deciding what an incoming change does to the station's record: a pure function of the record as
//! the station holds it (with, per field, which change last set it) and the incoming change with its
//! base version. Kept apart from storage so every rule is a row in a table test.
//!
//! The rules (ODK Central's, see SYNC-NOTES.md): a field nobody else changed since the device's base
//! version is applied; a field changed since then by another device to a *different* value is a
//! conflict (both values kept, a provisional winner applied by later hybrid clock, then device id);
//! an equal value is not a conflict; set-like fields merge as unions; an edit to a record deleted
//! elsewhere is a conflict, and so is a delete of a record edited elsewhere since the delete's base.
//! A device's own earlier changes never conflict with its later ones.
//!
//! The whole decision is here: [`decide`] says what happens to each field, [`apply`] works out the
//! merged record and the conflicts to queue, [`believable`] which clock a change is ordered by.
//! `store::ingest` only reads the station's record, asks, and writes the answer.

use doorstep_core::hlc::Hlc;
use doorstep_core::ids::DeviceId;
use doorstep_core::model::{EntitySpec, FieldKind};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The device staff decisions are recorded as.
pub const STAFF: DeviceId = DeviceId(uuid::Uuid::nil());

/// Who last set a field at the station.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldState {
    pub value: Value,
    /// The station version of the change that set it.
    pub version: i64,
    pub device: DeviceId,
    pub hlc: Hlc,
}

/// The station's record, field by field.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordState {
    pub version: i64,
    pub deleted: bool,
    pub fields: BTreeMap<String, FieldState>,
}

/// The parts of an incoming change the decision needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming<'a> {
    pub device: DeviceId,
    pub hlc: Hlc,
    pub base_version: i64,
    pub fields: &'a Map<String, Value>,
    /// The base version was handed out by a lineage of the station's database lost when it was
    /// restored from a backup at this time (ms): see [`decide`].
    pub base_lost_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldOutcome {
    /// Nobody else changed it since the base: take the incoming value.
    Apply,
    /// Changed elsewhere, but to the same value.
    Same,
    /// A set changed on both sides: the union is applied.
    Union(Value),
    /// Changed elsewhere to a different value. `incoming_wins` says which value is applied for now;
    /// both are kept in the merge queue for staff.
    Conflict { incoming_wins: bool },
    /// Changed elsewhere by a later edit made before a restore, which this one may have seen: the
    /// later stays, nothing is queued (the change is kept in the log as every change is).
    Superseded,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// A record new to the station: every field applied.
    Create,
    /// An edit: what happens to each field it sets.
    Update(Vec<(String, FieldOutcome)>),
    /// An edit to a record deleted at the station: kept, not applied, queued as a conflict.
    EditOfDeleted,
    /// A delete made without seeing another device's later edit of the record: kept, not applied
    /// (the record and the edit stay), queued as a conflict.
    DeleteOfEdited,
    /// An edit (base version above 0) of a record the station has never seen.
    UnknownRecord,
}

/// Union of two JSON lists, keeping the current order and appending what is new.
fn union(current: &Value, incoming: &Value) -> Value {
    let mut out: Vec<Value> = current.as_array().cloned().unwrap_or_default();
    for v in incoming.as_array().into_iter().flatten() {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Value::Array(out)
}

pub fn decide(
    spec: &EntitySpec,
    current: Option<&RecordState>,
    incoming: &Incoming<'_>,
) -> Decision {
    let Some(current) = current else {
        return if incoming.base_version == 0 {
            Decision::Create
        } else {
            Decision::UnknownRecord
        };
    };
    let deletes = incoming.fields.get("deleted") == Some(&Value::Bool(true));
    if current.deleted && !deletes {
        return Decision::EditOfDeleted;
    }
    let edited_since_base = current.fields.iter().any(|(name, f)| {
        name != "deleted" && f.version > incoming.base_version && f.device != incoming.device
    });
    if deletes && !current.deleted && edited_since_base {
        return Decision::DeleteOfEdited;
    }
    let outcomes = incoming
        .fields
        .iter()
        .map(|(name, value)| {
            let outcome = match current.fields.get(name) {
                None => FieldOutcome::Apply,
                // Not changed since the device's base, or changed only by this device itself.
                Some(f) if f.version <= incoming.base_version || f.device == incoming.device => {
                    FieldOutcome::Apply
                }
                Some(f) if &f.value == value => FieldOutcome::Same,
                // Both edits were made before a restore, this one on a base the lost lineage
                // handed out: whether it saw the other is lost with it (and so is any decision
                // staff made between them). The later clock stands, as the laptops last showed.
                Some(f)
                    if incoming.base_lost_at_ms.is_some_and(|restored| {
                        f.device != STAFF && f.hlc.ms < restored && incoming.hlc.ms < restored
                    }) =>
                {
                    if (incoming.hlc, incoming.device) > (f.hlc, f.device) {
                        FieldOutcome::Apply
                    } else {
                        FieldOutcome::Superseded
                    }
                }
                Some(f) if spec.field_kind(name) == Some(FieldKind::Set) => {
                    FieldOutcome::Union(union(&f.value, value))
                }
                // A staff decision stands until staff decide again; otherwise the later clock
                // (then the device id) is applied for now.
                Some(f) => FieldOutcome::Conflict {
                    incoming_wins: f.device != STAFF
                        && (incoming.hlc, incoming.device) > (f.hlc, f.device),
                },
            };
            (name.clone(), outcome)
        })
        .collect();
    Decision::Update(outcomes)
}

/// Whether a record, once `decision` is applied, is exactly as the device that sent the change
/// holds it (then the device need not download it again: see `store::pull`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Echo {
    /// Yes, from this change on: a record it created, or an edit of the very version it had seen.
    Starts,
    /// Yes, as the run of the device's own changes the record already was, with this one added:
    /// the device holds it if it holds the whole run.
    Continues,
    /// No: something else is merged in (another device's or staff's edit, a union, a conflict).
    No,
}

/// See [`Echo`]. `echo_of` is the device whose run of changes the current record is, if any.
pub fn echoes(
    decision: &Decision,
    current: Option<&RecordState>,
    echo_of: Option<DeviceId>,
    incoming: &Incoming<'_>,
) -> Echo {
    match (decision, current) {
        (Decision::Create, _) => Echo::Starts,
        (Decision::Update(outcomes), Some(current))
            if outcomes
                .iter()
                .all(|(_, o)| matches!(o, FieldOutcome::Apply)) =>
        {
            // The very version it had seen (a base above it was handed out by a lineage lost in a
            // restore, whose values the station no longer has).
            if current.version == incoming.base_version {
                Echo::Starts
            } else if echo_of == Some(incoming.device) {
                Echo::Continues
            } else {
                Echo::No
            }
        }
        _ => Echo::No,
    }
}

/// One field on which a change disagrees with the station, as the merge queue keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Disagreement {
    /// The field, or `*` for an edit of a deleted record (the whole edit waits).
    pub field: String,
    /// The station's value of the field (for `*`, `true`: deleted).
    pub station: Value,
    /// Whether the incoming value is the one applied for now.
    pub incoming_wins: bool,
}

/// What a decision does to the station's record.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The record's values after the change.
    pub values: Map<String, Value>,
    /// The fields the change set (their writer is now the change's device).
    pub set: Vec<String>,
    pub disagreements: Vec<Disagreement>,
}

/// The record after `decision`: the station's `values` with what the change brings applied, and
/// what goes to the merge queue. `None` for [`Decision::UnknownRecord`], which changes nothing.
pub fn apply(
    decision: &Decision,
    incoming: &Map<String, Value>,
    mut values: Map<String, Value>,
) -> Option<Merged> {
    let mut set: Vec<String> = Vec::new();
    let mut disagreements = Vec::new();
    let mut disagree = |field: &str, station: Value, incoming_wins| {
        disagreements.push(Disagreement {
            field: field.to_string(),
            station,
            incoming_wins,
        })
    };
    match decision {
        Decision::UnknownRecord => return None,
        Decision::Create => {
            for (k, v) in incoming {
                values.insert(k.clone(), v.clone());
                set.push(k.clone());
            }
        }
        // The whole edit waits in the queue (field "*"): the record stays deleted until staff decide.
        Decision::EditOfDeleted => disagree("*", Value::Bool(true), false),
        // The delete waits in the queue (field "deleted"): the record stays, with the edit it
        // would have erased, until staff decide.
        Decision::DeleteOfEdited => disagree("deleted", Value::Bool(false), false),
        Decision::Update(outcomes) => {
            for (field, outcome) in outcomes {
                match outcome {
                    FieldOutcome::Apply => {
                        values.insert(field.clone(), incoming[field].clone());
                        set.push(field.clone());
                    }
                    FieldOutcome::Same | FieldOutcome::Superseded => {}
                    FieldOutcome::Union(v) => {
                        values.insert(field.clone(), v.clone());
                        set.push(field.clone());
                    }
                    FieldOutcome::Conflict { incoming_wins } => {
                        let station = values.get(field).cloned().unwrap_or(Value::Null);
                        disagree(field, station, *incoming_wins);
                        if *incoming_wins {
                            values.insert(field.clone(), incoming[field].clone());
                            set.push(field.clone());
                        }
                    }
                }
            }
        }
    }
    Some(Merged {
        values,
        set,
        disagreements,
    })
}

/// How far ahead of the station's clock a laptop's clock may run before its timestamps are not
/// believed.
pub const MAX_CLOCK_AHEAD_MS: i64 = 5 * 60 * 1000;

/// A change's clock as the station orders it by, the station's clock reading `now_ms`: a timestamp
/// from the future (a laptop whose clock runs fast) counts as made now, so that its stale edits
/// never win provisionally over later ones from laptops with correct clocks. The change itself
/// keeps the timestamp it was sent with.
pub fn believable(hlc: Hlc, now_ms: i64) -> Hlc {
    if hlc.ms > now_ms + MAX_CLOCK_AHEAD_MS {
        Hlc {
            ms: now_ms,
            counter: hlc.counter,
        }
    } else {
        hlc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use doorstep_core::model::{Household, Record};
    use serde_json::json;

    fn dev(n: u8) -> DeviceId {
        DeviceId(uuid::Uuid::from_bytes([n; 16]))
    }
    fn hlc(ms: i64) -> Hlc {
        Hlc { ms, counter: 0 }
    }
    /// A household at version 5: address set at version 1 by device 1, phone at 5 by device 2.
    fn station() -> RecordState {
        let f = |value: Value, version, device, ms| FieldState {
            value,
            version,
            device: dev(device),
            hlc: hlc(ms),
        };
        RecordState {
            version: 5,
            deleted: false,
            fields: BTreeMap::from([
                ("address".into(), f(json!("幸福路12号"), 1, 1, 100)),
                ("contact_phone".into(), f(json!("13800138001"), 5, 2, 500)),
                ("tags".into(), f(json!(["elderly_alone"]), 5, 2, 500)),
                ("deleted".into(), f(json!(false), 1, 1, 100)),
            ]),
        }
    }

    #[test]
    fn a_record_echoes_its_device_only_when_nothing_else_is_merged_in() {
        let phone = json!({ "contact_phone": "13900139000" });
        let fields = phone.as_object().unwrap();
        let incoming = |device: u8, base_version: i64| Incoming {
            device: dev(device),
            hlc: hlc(900),
            base_version,
            fields,
            base_lost_at_ms: None,
        };
        let echo = |device: u8, base: i64, echo_of: Option<u8>| {
            let i = incoming(device, base);
            let current = station();
            let decision = decide(Household::SPEC, Some(&current), &i);
            echoes(&decision, Some(&current), echo_of.map(dev), &i)
        };
        assert_eq!(
            echoes(&Decision::Create, None, None, &incoming(3, 0)),
            Echo::Starts
        );
        assert_eq!(
            echo(3, 5, None),
            Echo::Starts,
            "device 3 had seen version 5"
        );
        assert_eq!(
            echo(2, 1, Some(2)),
            Echo::Continues,
            "the record is device 2's own run since version 1"
        );
        assert_eq!(
            echo(2, 1, None),
            Echo::No,
            "device 2 wrote since version 1, but something else was merged in too"
        );
        assert_eq!(
            echo(3, 1, Some(2)),
            Echo::No,
            "device 2 changed the phone since device 3's base: a conflict"
        );
        let union = json!({ "tags": ["disabled"] });
        let i = Incoming {
            fields: union.as_object().unwrap(),
            ..incoming(3, 5)
        };
        let mut current = station();
        current.fields.get_mut("tags").unwrap().version = 6;
        current.version = 6;
        let decision = decide(Household::SPEC, Some(&current), &i);
        assert!(
            matches!(&decision, Decision::Update(o) if matches!(o[0].1, FieldOutcome::Union(_)))
        );
        assert_eq!(
            echoes(&decision, Some(&current), None, &i),
            Echo::No,
            "a union is not what the device holds"
        );
        assert_eq!(
            echoes(
                &Decision::EditOfDeleted,
                Some(&station()),
                Some(dev(2)),
                &incoming(2, 5)
            ),
            Echo::No
        );
    }

    /// (name, station's record, incoming device, base version, incoming clock, fields, decision)
    type Case = (
        &'static str,
        Option<RecordState>,
        u8,
        i64,
        i64,
        Value,
        Decision,
    );

    #[test]
    fn decisions() {
        let spec = Household::SPEC;
        let cases: Vec<Case> = vec![
            (
                "new record",
                None,
                1,
                0,
                600,
                json!({"address": "x"}),
                Decision::Create,
            ),
            (
                "edit of a record never seen",
                None,
                1,
                3,
                600,
                json!({"address": "x"}),
                Decision::UnknownRecord,
            ),
            (
                "fast-forward: base is current",
                Some(station()),
                3,
                5,
                600,
                json!({"contact_phone": "139"}),
                Decision::Update(vec![("contact_phone".into(), FieldOutcome::Apply)]),
            ),
            (
                "older base, another field changed since",
                Some(station()),
                3,
                1,
                600,
                json!({"address": "幸福路13号"}),
                Decision::Update(vec![("address".into(), FieldOutcome::Apply)]),
            ),
            (
                "older base, same field changed to a different value, incoming later",
                Some(station()),
                3,
                1,
                600,
                json!({"contact_phone": "13912345678"}),
                Decision::Update(vec![(
                    "contact_phone".into(),
                    FieldOutcome::Conflict {
                        incoming_wins: true,
                    },
                )]),
            ),
            (
                "older base, same field changed to a different value, incoming earlier",
                Some(station()),
                3,
                1,
                400,
                json!({"contact_phone": "13912345678"}),
                Decision::Update(vec![(
                    "contact_phone".into(),
                    FieldOutcome::Conflict {
                        incoming_wins: false,
                    },
                )]),
            ),
            (
                "same clock: device id breaks the tie",
                Some(station()),
                3,
                1,
                500,
                json!({"contact_phone": "139"}),
                Decision::Update(vec![(
                    "contact_phone".into(),
                    FieldOutcome::Conflict {
                        incoming_wins: true,
                    },
                )]),
            ),
            (
                "same field changed to the same value is no conflict",
                Some(station()),
                3,
                1,
                600,
                json!({"contact_phone": "13800138001"}),
                Decision::Update(vec![("contact_phone".into(), FieldOutcome::Same)]),
            ),
            (
                "sets merge as unions",
                Some(station()),
                3,
                1,
                600,
                json!({"tags": ["low_income"]}),
                Decision::Update(vec![(
                    "tags".into(),
                    FieldOutcome::Union(json!(["elderly_alone", "low_income"])),
                )]),
            ),
            (
                "a staff decision stays applied against a concurrent later edit",
                Some(RecordState {
                    fields: BTreeMap::from([(
                        "contact_phone".into(),
                        FieldState {
                            value: json!("13800138001"),
                            version: 5,
                            device: STAFF,
                            hlc: hlc(500),
                        },
                    )]),
                    ..station()
                }),
                3,
                1,
                9_000,
                json!({"contact_phone": "139"}),
                Decision::Update(vec![(
                    "contact_phone".into(),
                    FieldOutcome::Conflict {
                        incoming_wins: false,
                    },
                )]),
            ),
            (
                "a device's own earlier edit is not a conflict",
                Some(station()),
                2,
                1,
                600,
                json!({"contact_phone": "139"}),
                Decision::Update(vec![("contact_phone".into(), FieldOutcome::Apply)]),
            ),
            (
                "edit of a record deleted at the station",
                Some(RecordState {
                    deleted: true,
                    ..station()
                }),
                3,
                5,
                600,
                json!({"address": "x"}),
                Decision::EditOfDeleted,
            ),
            (
                "a delete on an older base, after another device's edit",
                Some(station()),
                3,
                1,
                600,
                json!({"deleted": true}),
                Decision::DeleteOfEdited,
            ),
            (
                "a delete that saw every edit is applied",
                Some(station()),
                3,
                5,
                600,
                json!({"deleted": true}),
                Decision::Update(vec![("deleted".into(), FieldOutcome::Apply)]),
            ),
            (
                "a device deleting what only it edited since is applied",
                Some(station()),
                2,
                1,
                600,
                json!({"deleted": true}),
                Decision::Update(vec![("deleted".into(), FieldOutcome::Apply)]),
            ),
            (
                "deleting a deleted record is just applied",
                Some(RecordState {
                    deleted: true,
                    ..station()
                }),
                3,
                5,
                600,
                json!({"deleted": true}),
                Decision::Update(vec![("deleted".into(), FieldOutcome::Apply)]),
            ),
        ];
        for (name, current, device, base, ms, fields, want) in cases {
            let fields = fields.as_object().unwrap().clone();
            let incoming = Incoming {
                device: dev(device),
                hlc: hlc(ms),
                base_version: base,
                fields: &fields,
                base_lost_at_ms: None,
            };
            assert_eq!(decide(spec, current.as_ref(), &incoming), want, "{name}");
        }
    }

    #[test]
    fn edits_made_before_a_restore_on_a_lost_base_are_ordered_by_clock_and_not_queued() {
        let spec = Household::SPEC;
        let fields = json!({"contact_phone": "13900000000"});
        let fields = fields.as_object().unwrap().clone();
        // The phone was set (version 5, device 2, clock 500) by an edit sent again after a restore
        // at clock 1000; device 3's edit is based on version 3, which the lost lineage handed out.
        let decide_at = |ms, restored: Option<i64>| {
            let incoming = Incoming {
                device: dev(3),
                hlc: hlc(ms),
                base_version: 3,
                fields: &fields,
                base_lost_at_ms: restored,
            };
            match decide(spec, Some(&station()), &incoming) {
                Decision::Update(outcomes) => outcomes[0].1.clone(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            decide_at(600, Some(1000)),
            FieldOutcome::Apply,
            "the later edit"
        );
        assert_eq!(
            decide_at(400, Some(1000)),
            FieldOutcome::Superseded,
            "the earlier edit"
        );
        // Without a restore, or for an edit made after it, the rules are the usual ones.
        let conflict = FieldOutcome::Conflict {
            incoming_wins: true,
        };
        assert_eq!(decide_at(600, None), conflict);
        assert_eq!(decide_at(1600, Some(1000)), conflict);
    }

    #[test]
    fn applying_a_decision_merges_the_values_and_keeps_both_sides_of_a_conflict() {
        let station = json!({"address": "幸福路1号", "phone": "110", "tags": ["elderly"]});
        let station = station.as_object().unwrap().clone();
        let incoming = json!({"address": "幸福路2号", "phone": "120", "tags": ["disabled"]});
        let incoming = incoming.as_object().unwrap().clone();
        let decision = Decision::Update(vec![
            (
                "address".into(),
                FieldOutcome::Conflict {
                    incoming_wins: false,
                },
            ),
            (
                "phone".into(),
                FieldOutcome::Conflict {
                    incoming_wins: true,
                },
            ),
            (
                "tags".into(),
                FieldOutcome::Union(json!(["elderly", "disabled"])),
            ),
        ]);
        let merged = apply(&decision, &incoming, station.clone()).unwrap();
        assert_eq!(
            merged.values["address"], "幸福路1号",
            "the station's value stays for now"
        );
        assert_eq!(
            merged.values["phone"], "120",
            "the later clock is applied for now"
        );
        assert_eq!(merged.values["tags"], json!(["elderly", "disabled"]));
        assert_eq!(merged.set, vec!["phone".to_string(), "tags".to_string()]);
        let queued: Vec<(&str, &Value, bool)> = merged
            .disagreements
            .iter()
            .map(|d| (d.field.as_str(), &d.station, d.incoming_wins))
            .collect();
        assert_eq!(
            queued,
            vec![
                ("address", &json!("幸福路1号"), false),
                ("phone", &json!("110"), true)
            ]
        );

        let deleted = apply(&Decision::EditOfDeleted, &incoming, station.clone()).unwrap();
        assert_eq!(
            deleted.values, station,
            "an edit of a deleted record waits whole"
        );
        assert_eq!(deleted.disagreements[0].field, "*");
        assert!(apply(&Decision::UnknownRecord, &incoming, station).is_none());
    }

    #[test]
    fn a_clock_from_the_future_counts_as_now() {
        let now = 1_000_000_000;
        assert_eq!(
            believable(hlc(now + 1000), now),
            hlc(now + 1000),
            "a little ahead is believed"
        );
        let far = Hlc {
            ms: now + MAX_CLOCK_AHEAD_MS + 1,
            counter: 7,
        };
        assert_eq!(
            believable(far, now),
            Hlc {
                ms: now,
                counter: 7
            }
        );
    }
}
