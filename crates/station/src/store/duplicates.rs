//! Duplicates: two records the station believes are one real household (the same normalised
//! address in one beat) or one person (the same ID number, or the same name + birth date + phone).
//! They are found as records arrive and queued for staff, who merge them — the survivor keeps
//! everything, the other becomes a redirect and whatever named it is re-pointed — or leave them.
//! Every merge keeps a list of exactly what it changed, so that it can be undone.

use super::records::Columns;
use super::{
    Result, STATION_DEVICE, StationError, StationStore, bad, exec, load_state, now, query_one,
    record_staff_action, station_clock, write_record,
};
use doorstep_core::model::{EntityKind, FieldKind, spec_of};
use doorstep_core::store::held::Tx;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One duplicate candidate (or past merge) as staff see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[ts(export, export_to = "../../../crates/station/web/src/bindings/")]
pub struct Duplicate {
    pub id: i64,
    pub entity: EntityKind,
    pub status: String,
    /// Why the pair looks like one: `address`, `id_number` or `name_birth_phone`.
    pub reason: String,
    pub first_id: String,
    #[schema(value_type = Object)]
    pub first: Value,
    /// Where the record is, for people: the household's address (of the resident's household).
    pub first_address: String,
    pub second_id: String,
    #[schema(value_type = Object)]
    pub second: Value,
    pub second_address: String,
    pub survivor: Option<String>,
}

/// One field a merge changed, with its value before and after, for undo.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Moved {
    entity: EntityKind,
    id: String,
    field: String,
    before: Value,
    after: Value,
}

/// The records that name a household (every kind but households), by `records_by_household`.
const HOUSEHOLD_RECORDS: &str = "SELECT entity, id FROM records WHERE household_id = ?1";

/// The fields whose change can make a record a duplicate of another.
fn identity_fields(entity: EntityKind) -> &'static [&'static str] {
    match entity {
        EntityKind::Household => &["address", "beat"],
        EntityKind::Resident => &["name", "birth_date", "phone", "id_number"],
        _ => &[],
    }
}
/// The other live households of a beat at an address, each read by the address index: the planner
/// otherwise prefers the beat's `(beat, version)` index for the `ORDER BY`, and reads the whole beat
/// for every household pushed (ingest fell from 17,800 to ~300 changes a second at 200,000 records
/// in one beat).
const BY_ADDRESS: &str = "SELECT id FROM records INDEXED BY records_household_address
     WHERE entity = 'household' AND beat = ?1 AND address_norm = ?2 AND id <> ?3 AND deleted = 0
     ORDER BY version";
/// The other live residents with an ID number.
const BY_ID_NUMBER: &str = "SELECT id FROM records INDEXED BY records_resident_id_key
     WHERE entity = 'resident' AND id_key = ?1 AND id <> ?2 AND deleted = 0 ORDER BY version";
/// The other live residents with a name, birth date and phone.
const BY_NAME_BIRTH_PHONE: &str = "SELECT id FROM records INDEXED BY records_resident_person_key
     WHERE entity = 'resident' AND person_key = ?1 AND id <> ?2 AND deleted = 0 ORDER BY version";

/// Queues a pair unless it was queued before, either way round: the pair is looked for by
/// `duplicates_pair` (migration 0028), not by reading every candidate the station ever queued.
const QUEUE_PAIR: &str = "INSERT INTO duplicates (entity, first_id, second_id, reason, created_at)
     SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (
         SELECT 1 FROM duplicates WHERE entity = ?1
           AND ((first_id = ?2 AND second_id = ?3) OR (first_id = ?3 AND second_id = ?2)))";

/// After a household or resident was created or had an identifying field changed: queues a
/// candidate if another live record looks like the same one. A pair is queued once, ever: a pair
/// staff merged and undid is not queued again.
pub(super) fn find_duplicates(
    tx: &Tx<'_>,
    entity: EntityKind,
    id: &str,
    created: bool,
    set: &[String],
    written: &Columns,
) -> Result<()> {
    let fields = identity_fields(entity);
    if fields.is_empty()
        || !(created || set.iter().any(|f| fields.contains(&f.as_str())))
        || written.deleted
    {
        return Ok(());
    }
    // Asked by the keys just written; a key the record lacks asks nothing.
    let queries = match entity {
        EntityKind::Household => vec![(
            "address",
            BY_ADDRESS,
            vec![Some(written.beat.as_str()), written.address_norm.as_deref()],
        )],
        _ => vec![
            ("id_number", BY_ID_NUMBER, vec![written.id_key.as_deref()]),
            (
                "name_birth_phone",
                BY_NAME_BIRTH_PHONE,
                vec![written.person_key.as_deref()],
            ),
        ],
    };
    for (reason, sql, key) in queries {
        let Some(mut key) = key.into_iter().collect::<Option<Vec<&str>>>() else {
            continue;
        };
        key.push(id);
        let others: Vec<String> = tx
            .prepare(sql)?
            .query_map(rusqlite::params_from_iter(key), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for other in others {
            exec(
                tx,
                QUEUE_PAIR,
                params![entity.as_str(), other, id, reason, now()],
            )?;
        }
    }
    Ok(())
}

fn values_of(tx: &Tx<'_>, entity: EntityKind, id: &str) -> Result<Map<String, Value>> {
    let state = load_state(tx, entity, id)?
        .ok_or_else(|| bad(format!("{} {id} is gone", entity.as_str())))?;
    Ok(state
        .fields
        .into_iter()
        .map(|(k, f)| (k, f.value))
        .collect())
}

/// Sets one field of a record as a station edit (the laptops receive it on their next pull).
fn edit_field(tx: &Tx<'_>, entity: EntityKind, id: &str, field: &str, value: Value) -> Result<i64> {
    let mut values = values_of(tx, entity, id)?;
    values.insert(field.to_string(), value);
    write_record(
        tx,
        entity,
        id,
        &values,
        std::iter::once(&field.to_string()),
        STATION_DEVICE,
        station_clock(),
        None,
    )
}

/// Sets `field` of each record to `after` (computed from its current value), noting what changed.
fn change_each(
    tx: &Tx<'_>,
    records: Vec<(String, String)>,
    field: &str,
    after: impl Fn(&Value) -> Value,
    moved: &mut Vec<Moved>,
) -> Result<()> {
    for (entity, id) in records {
        let entity = EntityKind::parse(&entity).ok_or_else(|| bad("stored entity"))?;
        let before = values_of(tx, entity, &id)?
            .get(field)
            .cloned()
            .unwrap_or(Value::Null);
        let after = after(&before);
        if after != before {
            edit_field(tx, entity, &id, field, after.clone())?;
            moved.push(Moved {
                entity,
                id,
                field: field.to_string(),
                before,
                after,
            });
        }
    }
    Ok(())
}

fn records_where(tx: &Tx<'_>, sql: &str, id: &str) -> Result<Vec<(String, String)>> {
    Ok(tx
        .prepare(sql)?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Points whatever names the loser at the survivor: a household's residents, visits, concerns and
/// tasks; a resident's concerns (as reporter) and visits (as a person met).
fn repoint(
    tx: &Tx<'_>,
    entity: EntityKind,
    loser: &str,
    survivor: &str,
    moved: &mut Vec<Moved>,
) -> Result<()> {
    let to = Value::String(survivor.to_string());
    match entity {
        EntityKind::Household => {
            let children = records_where(tx, HOUSEHOLD_RECORDS, loser)?;
            change_each(tx, children, "household_id", |_| to.clone(), moved)
        }
        EntityKind::Resident => {
            let reported = records_where(
                tx,
                "SELECT entity, id FROM records WHERE entity = 'concern' AND json_extract(fields, '$.reporter_id') = ?1",
                loser,
            )?;
            change_each(tx, reported, "reporter_id", |_| to.clone(), moved)?;
            let met = records_where(
                tx,
                "SELECT entity, id FROM records WHERE entity = 'visit'
                   AND EXISTS (SELECT 1 FROM json_each(fields, '$.met') WHERE value = ?1)",
                loser,
            )?;
            let loser = Value::String(loser.to_string());
            change_each(
                tx,
                met,
                "met",
                |list| {
                    let mut people: Vec<Value> = list
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|p| **p != loser)
                        .cloned()
                        .collect();
                    if !people.contains(&to) {
                        people.push(to.clone());
                    }
                    Value::Array(people)
                },
                moved,
            )
        }
        _ => Err(bad("only households and residents are merged")),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// What the survivor lacks and the loser knows: empty fields filled, tags joined, and the loser's
/// notes added under the survivor's (free text is never dropped).
fn absorb(
    tx: &Tx<'_>,
    entity: EntityKind,
    loser: &str,
    survivor: &str,
    moved: &mut Vec<Moved>,
) -> Result<()> {
    let from = values_of(tx, entity, loser)?;
    let into = values_of(tx, entity, survivor)?;
    let record = vec![(entity.as_str().to_string(), survivor.to_string())];
    for (field, kind) in spec_of(entity).fields {
        let theirs = from.get(*field).cloned().unwrap_or(Value::Null);
        let ours = into.get(*field).cloned().unwrap_or(Value::Null);
        if is_empty(&theirs) || theirs == ours {
            continue;
        }
        let merged = match kind {
            FieldKind::Set => {
                let mut all = ours.as_array().cloned().unwrap_or_default();
                for item in theirs.as_array().into_iter().flatten() {
                    if !all.contains(item) {
                        all.push(item.clone());
                    }
                }
                Value::Array(all)
            }
            FieldKind::Scalar if is_empty(&ours) => theirs,
            FieldKind::Scalar if *field == "notes" => Value::String(format!(
                "{}\n{}",
                ours.as_str().unwrap_or_default(),
                theirs.as_str().unwrap_or_default()
            )),
            _ => continue,
        };
        change_each(tx, record.clone(), field, |_| merged.clone(), moved)?;
    }
    Ok(())
}

/// The value a merged field goes back to on undo: for a set, what the merge added is taken out and
/// what it took out is put back (other edits since stay); a single value goes back only if nobody
/// changed it since the merge.
fn undone(kind: FieldKind, m: &Moved, current: &Value) -> Option<Value> {
    if kind != FieldKind::Set {
        return (*current == m.after).then(|| m.before.clone());
    }
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let (before, after) = (list(&m.before), list(&m.after));
    let mut out: Vec<Value> = list(current)
        .into_iter()
        .filter(|v| before.contains(v) || !after.contains(v))
        .collect();
    for v in before {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Some(Value::Array(out))
}

/// A record's `deleted` field set as a station edit; a merged loser is deleted and redirected.
fn set_redirect(
    tx: &Tx<'_>,
    entity: EntityKind,
    loser: &str,
    survivor: Option<&str>,
) -> Result<()> {
    edit_field(
        tx,
        entity,
        loser,
        "deleted",
        Value::Bool(survivor.is_some()),
    )?;
    match survivor {
        Some(survivor) => exec(
            tx,
            "INSERT OR REPLACE INTO redirects (entity, id, survivor) VALUES (?1, ?2, ?3)",
            params![entity.as_str(), loser, survivor],
        )?,
        None => exec(
            tx,
            "DELETE FROM redirects WHERE entity = ?1 AND id = ?2",
            params![entity.as_str(), loser],
        )?,
    };
    Ok(())
}

/// The references to `loser` in changes received after merge `id` (re-routed to `survivor` when
/// they were decided), as moves from the loser to the survivor, for undo to take back.
fn rerouted_since(
    tx: &Tx<'_>,
    id: i64,
    entity: EntityKind,
    loser: &str,
    survivor: &str,
) -> Result<Vec<Moved>> {
    let fields: &[&str] = match entity {
        EntityKind::Household => &["household_id"],
        EntityKind::Resident => &["reporter_id", "met"],
        _ => &[],
    };
    let mut out = Vec::new();
    let mut stmt = tx.prepare(
        "SELECT c.entity, c.entity_id, c.fields FROM changes c
         WHERE c.seq > coalesce((SELECT merged_seq FROM duplicates WHERE id = ?1), 0)
           AND c.status IN ('applied', 'conflict') AND c.entity_id <> ?2
         ORDER BY c.seq",
    )?;
    let rows = stmt.query_map(params![id, loser], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (kind, record, sent) = row?;
        let kind = EntityKind::parse(&kind).ok_or_else(|| bad("stored entity"))?;
        let sent: Map<String, Value> = serde_json::from_str(&sent)?;
        for field in fields {
            let Some(value) = sent.get(*field) else {
                continue;
            };
            let names_loser = match value {
                Value::String(s) => s == loser,
                Value::Array(list) => list.iter().any(|v| v == loser),
                _ => false,
            };
            if !names_loser {
                continue;
            }
            let after = match value {
                Value::Array(list) => Value::Array(
                    list.iter()
                        .map(|v| {
                            if v == loser {
                                Value::from(survivor)
                            } else {
                                v.clone()
                            }
                        })
                        .collect(),
                ),
                _ => Value::from(survivor),
            };
            out.push(Moved {
                entity: kind,
                id: record.clone(),
                field: field.to_string(),
                before: value.clone(),
                after,
            });
        }
    }
    Ok(out)
}

impl StationStore {
    /// Duplicate candidates still open, and merges that can be undone.
    pub fn duplicates(&self) -> Result<Vec<Duplicate>> {
        let address = |t: &str| {
            format!(
                "coalesce(json_extract({t}.fields, '$.address'),
                    (SELECT json_extract(h.fields, '$.address') FROM records h
                     WHERE h.entity = 'household' AND h.id = json_extract({t}.fields, '$.household_id')), '')"
            )
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT d.id, d.entity, d.status, d.reason, d.first_id, a.fields, {}, d.second_id, b.fields, {}, d.survivor
             FROM duplicates d
             JOIN records a ON a.entity = d.entity AND a.id = d.first_id
             JOIN records b ON b.entity = d.entity AND b.id = d.second_id
             WHERE d.status IN ('open', 'merged') ORDER BY d.id",
            address("a"),
            address("b")
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                (r.get(4)?, r.get::<_, String>(5)?, r.get(6)?),
                (r.get(7)?, r.get::<_, String>(8)?, r.get(9)?),
                r.get(10)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, entity, status, reason, first, second, survivor) = row?;
            out.push(Duplicate {
                id,
                entity: EntityKind::parse(&entity).ok_or_else(|| bad("stored entity"))?,
                status,
                reason,
                first_id: first.0,
                first: serde_json::from_str(&first.1)?,
                first_address: first.2,
                second_id: second.0,
                second: serde_json::from_str(&second.1)?,
                second_address: second.2,
                survivor,
            });
        }
        Ok(out)
    }

    /// Merges a duplicate pair: `survivor` keeps everything and takes what only the other knew; the
    /// other becomes a redirect (deleted), and what named it is re-pointed. Devices receive it all on
    /// their next pull; the decision is recorded.
    pub fn merge_duplicate(&mut self, id: i64, staff: &str, survivor: &str) -> Result<()> {
        let transaction = self.conn.transaction()?;
        let tx = Tx::new(&transaction);
        let (entity, first, second, status): (String, String, String, String) = query_one(
            &tx,
            "SELECT entity, first_id, second_id, status FROM duplicates WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?
        .ok_or_else(|| StationError::NotFound(format!("no duplicate {id}")))?;
        let entity = EntityKind::parse(&entity).ok_or_else(|| bad("stored entity"))?;
        if status != "open" {
            return Err(StationError::AlreadyDone(format!(
                "duplicate {id} is {status}"
            )));
        }
        if staff.trim().is_empty() {
            return Err(bad("say who decides (staff)"));
        }
        let loser = if survivor == first {
            second
        } else if survivor == second {
            first
        } else {
            return Err(bad("the survivor must be one of the pair"));
        };
        let mut moved = Vec::new();
        repoint(&tx, entity, &loser, survivor, &mut moved)?;
        absorb(&tx, entity, &loser, survivor, &mut moved)?;
        set_redirect(&tx, entity, &loser, Some(survivor))?;
        exec(
            &tx,
            "UPDATE duplicates SET status = 'merged', survivor = ?2, loser = ?3, moved = ?4, decided_by = ?5, decided_at = ?6,
                 merged_seq = (SELECT coalesce(max(seq), 0) FROM changes)
             WHERE id = ?1",
            params![id, survivor, loser, serde_json::to_string(&moved)?, staff, now()],
        )?;
        record_staff_action(
            &tx,
            staff,
            "merge_duplicate",
            entity,
            survivor,
            serde_json::json!({ "duplicate": id, "loser": loser, "moved": moved.len() }),
        )?;
        drop(tx);
        transaction.commit()?;
        Ok(())
    }

    /// Undoes a merge: the loser comes back and what the merge changed goes back, except where
    /// someone has changed it again since.
    pub fn undo_duplicate_merge(&mut self, id: i64, staff: &str) -> Result<()> {
        let transaction = self.conn.transaction()?;
        let tx = Tx::new(&transaction);
        let (entity, status, survivor, loser, moved): (
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        ) = query_one(
            &tx,
            "SELECT entity, status, survivor, loser, moved FROM duplicates WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?
        .ok_or_else(|| StationError::NotFound(format!("no duplicate {id}")))?;
        let entity = EntityKind::parse(&entity).ok_or_else(|| bad("stored entity"))?;
        let (Some(survivor), Some(loser), Some(moved), "merged") =
            (survivor, loser, moved, status.as_str())
        else {
            return Err(StationError::AlreadyDone(format!(
                "duplicate {id} is {status}, not merged"
            )));
        };
        if staff.trim().is_empty() {
            return Err(bad("say who decides (staff)"));
        }
        let mut moved: Vec<Moved> = serde_json::from_str(&moved)?;
        // What laptops sent after the merge naming the loser was re-routed to the survivor: it goes
        // back to the loser too.
        moved.extend(rerouted_since(&tx, id, entity, &loser, &survivor)?);
        for m in moved.iter().rev() {
            let kind = spec_of(m.entity)
                .field_kind(&m.field)
                .ok_or_else(|| bad("stored field"))?;
            let current = values_of(&tx, m.entity, &m.id)?
                .get(&m.field)
                .cloned()
                .unwrap_or(Value::Null);
            match undone(kind, m, &current) {
                Some(value) if value != current => {
                    edit_field(&tx, m.entity, &m.id, &m.field, value)?;
                }
                _ => {}
            }
        }
        set_redirect(&tx, entity, &loser, None)?;
        exec(
            &tx,
            "UPDATE duplicates SET status = 'undone', decided_by = ?2, decided_at = ?3 WHERE id = ?1",
            params![id, staff, now()],
        )?;
        record_staff_action(
            &tx,
            staff,
            "undo_merge",
            entity,
            &loser,
            serde_json::json!({ "duplicate": id, "survivor": survivor }),
        )?;
        drop(tx);
        transaction.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A household's records (moved to the survivor of a merge) are found by their column, not by
    /// reading every record (migration 0025).
    #[test]
    fn a_household_s_records_are_looked_for_by_their_column() {
        let dir = tempfile::tempdir().unwrap();
        let store = StationStore::open(&dir.path().join("s.sqlite")).unwrap();
        for sql in [
            HOUSEHOLD_RECORDS,
            super::super::records::HOUSEHOLD_VISITS,
            super::super::records::HOUSEHOLD_OTHERS,
            super::super::tallies::VISIT_DAYS,
        ] {
            let plan = super::super::query_plan(store.conn(), sql);
            assert!(
                plan.iter().any(|l| l.contains("records_by_household")),
                "{sql}: {plan:#?}"
            );
        }
    }

    /// Each look for a record's duplicates reads its own index, never a whole beat.
    #[test]
    fn duplicates_are_looked_for_by_their_own_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = StationStore::open(&dir.path().join("s.sqlite")).unwrap();
        for (sql, index) in [
            (BY_ADDRESS, "records_household_address"),
            (BY_ID_NUMBER, "records_resident_id_key"),
            (BY_NAME_BIRTH_PHONE, "records_resident_person_key"),
        ] {
            let plan = super::super::query_plan(store.conn(), sql);
            assert!(plan.iter().any(|l| l.contains(index)), "{plan:#?}");
            assert!(
                !plan.iter().any(|l| l.contains("records_beat_version")),
                "{plan:#?}"
            );
        }
    }

    /// Whether a pair was queued before is asked of its index: reading the whole table made every
    /// candidate found cost as much as all the candidates before it.
    #[test]
    fn a_queued_pair_is_looked_for_by_its_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = StationStore::open(&dir.path().join("s.sqlite")).unwrap();
        let plan = super::super::query_plan(store.conn(), QUEUE_PAIR);
        assert!(
            plan.iter().any(|l| l.contains("duplicates_pair")),
            "{plan:#?}"
        );
        assert!(
            !plan.iter().any(|l| l.starts_with("SCAN duplicates")),
            "{plan:#?}"
        );
    }

    fn moved(before: Value, after: Value) -> Moved {
        Moved {
            entity: EntityKind::Visit,
            id: "v".into(),
            field: "met".into(),
            before,
            after,
        }
    }

    #[test]
    fn undo_of_a_set_keeps_edits_made_since_the_merge() {
        // The visit met the loser L; the merge made it the survivor S; since then P was added.
        let m = moved(json!(["L"]), json!(["S"]));
        assert_eq!(
            undone(FieldKind::Set, &m, &json!(["S", "P"])),
            Some(json!(["P", "L"]))
        );
        // It met both: the merge took L out; undo puts it back and keeps S.
        let m = moved(json!(["L", "S"]), json!(["S"]));
        assert_eq!(
            undone(FieldKind::Set, &m, &json!(["S"])),
            Some(json!(["S", "L"]))
        );
    }

    #[test]
    fn undo_of_a_single_value_leaves_a_later_edit_alone() {
        let m = moved(json!("L"), json!("S"));
        assert_eq!(undone(FieldKind::Scalar, &m, &json!("S")), Some(json!("L")));
        assert_eq!(undone(FieldKind::Scalar, &m, &json!("X")), None);
    }
}
