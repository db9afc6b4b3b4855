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
            };
            assert_eq!(decide(spec, current.as_ref(), &incoming), want, "{name}");
        }
    }
}
