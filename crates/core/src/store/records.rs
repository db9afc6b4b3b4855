//! Loading and saving records. One generic path serves all five kinds: a record is turned into its
//! field map, compared with what is stored, and only the fields that differ are written and logged.
//! Saving a record unchanged writes nothing and logs nothing, so a replayed save (a double click, a
//! retried command) never doubles data.

use super::Store;
use super::changes::{self, Change};
use super::held::Prepare;
use crate::error::{Error, ErrorCode, FieldError, Result};
use crate::model::{EntityKind, EntitySpec, FieldKind, Record};
use crate::search;
use rusqlite::types::{ToSqlOutput, Value as Sql, ValueRef};
use rusqlite::{OptionalExtension, Row, ToSql, Transaction};
use serde_json::{Map, Value};
use uuid::Uuid;

/// What a save did: the change it logged, or `None` when nothing differed.
#[derive(Debug)]
pub struct Saved {
    pub change: Option<Change>,
}

/// A field's value as a statement parameter: text borrowed from the record (no copy per field),
/// sets and objects as their JSON text, booleans as 0/1.
struct Param<'a>(Option<&'a Value>);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            None | Some(Value::Null) => ToSqlOutput::Borrowed(ValueRef::Null),
            Some(Value::Bool(b)) => ToSqlOutput::Owned(Sql::Integer(i64::from(*b))),
            Some(Value::Number(n)) => ToSqlOutput::Owned(
                n.as_i64()
                    .map(Sql::Integer)
                    .unwrap_or_else(|| Sql::Real(n.as_f64().unwrap_or(0.0))),
            ),
            Some(Value::String(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Some(v @ (Value::Array(_) | Value::Object(_))) => {
                ToSqlOutput::Owned(Sql::Text(v.to_string()))
            }
        })
    }
}

fn from_sql(kind: FieldKind, value: Sql) -> Value {
    match (kind, value) {
        (_, Sql::Null) => Value::Null,
        (FieldKind::Bool, Sql::Integer(i)) => Value::Bool(i != 0),
        (FieldKind::Set, Sql::Text(t)) => serde_json::from_str(&t).unwrap_or(Value::Array(vec![])),
        (_, Sql::Integer(i)) => Value::from(i),
        (_, Sql::Real(f)) => Value::from(f),
        (_, Sql::Text(t)) => Value::String(t),
        (_, Sql::Blob(_)) => Value::Null,
    }
}

/// `SELECT id, version, <fields> FROM <table>`: the column list every record read uses.
pub(crate) fn select_sql(spec: &EntitySpec) -> String {
    let cols: Vec<&str> = spec.fields.iter().map(|(n, _)| *n).collect();
    format!(
        "SELECT id, version, {} FROM {}",
        cols.join(", "),
        spec.table
    )
}

/// Builds a record from a row selected with [`select_sql`].
pub(crate) fn from_row<R: Record>(row: &Row<'_>) -> rusqlite::Result<R> {
    let spec = R::SPEC;
    let mut map = Map::new();
    map.insert("id".into(), Value::String(row.get(0)?));
    map.insert("version".into(), Value::from(row.get::<_, i64>(1)?));
    for (i, (name, kind)) in spec.fields.iter().enumerate() {
        map.insert((*name).into(), from_sql(*kind, row.get(i + 2)?));
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn load<R: Record>(tx: &rusqlite::Connection, id: Uuid) -> Result<Option<R>> {
    let sql = format!("{} WHERE id = ?1", select_sql(R::SPEC));
    Ok(tx
        .prepare_cached(&sql)?
        .query_row([id.hyphenated().to_string()], from_row::<R>)
        .optional()?)
}

/// The fields of `new` whose values differ from `old`.
pub fn diff(old: &Map<String, Value>, new: &Map<String, Value>) -> Map<String, Value> {
    new.iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Every reference field names a record that exists here (a clear message instead of a bare
/// foreign-key failure).
fn check_references(
    tx: &Transaction<'_>,
    spec: &EntitySpec,
    fields: &Map<String, Value>,
) -> Result<()> {
    let mut errors = Vec::new();
    for (name, kind) in spec.fields {
        let (FieldKind::Ref(table), Some(Value::String(id))) = (kind, fields.get(*name)) else {
            continue;
        };
        let sql = format!("SELECT 1 FROM {table} WHERE id = ?1 AND deleted = 0");
        if tx
            .prepare_cached(&sql)?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_none()
        {
            errors.push(FieldError::new(*name, ErrorCode::UnknownReference));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Inserts a record's row: every field of its kind (a missing one as NULL) and its station
/// `version` (0 for a record made here and not yet sent).
pub(crate) fn insert_row(
    tx: &impl Prepare,
    spec: &EntitySpec,
    id: &str,
    fields: &Map<String, Value>,
    version: i64,
) -> Result<()> {
    insert(tx, spec, id, fields, version, Statement::Insert)?;
    Ok(())
}

/// Inserts a record's row as [`insert_row`] does unless a row with its id is here already;
/// answers whether it did.
pub(crate) fn insert_row_if_new(
    tx: &impl Prepare,
    spec: &EntitySpec,
    id: &str,
    fields: &Map<String, Value>,
    version: i64,
) -> Result<bool> {
    Ok(insert(tx, spec, id, fields, version, Statement::InsertIfNew)? == 1)
}

fn insert(
    tx: &impl Prepare,
    spec: &EntitySpec,
    id: &str,
    fields: &Map<String, Value>,
    version: i64,
    which: Statement,
) -> Result<usize> {
    let sql = statement_text(spec, which, || {
        let cols: Vec<&str> = spec.fields.iter().map(|(n, _)| *n).collect();
        let marks: String = (3..cols.len() + 3).map(|i| format!(", ?{i}")).collect();
        let if_new = if which == Statement::InsertIfNew {
            " ON CONFLICT (id) DO NOTHING"
        } else {
            ""
        };
        format!(
            "INSERT INTO {} (id, version, {}) VALUES (?1, ?2{marks}){if_new}",
            spec.table,
            cols.join(", ")
        )
    });
    Ok(tx.with_statement(&sql, |stmt| {
        stmt.raw_bind_parameter(1, id)?;
        stmt.raw_bind_parameter(2, version)?;
        for (i, (col, _)) in spec.fields.iter().enumerate() {
            stmt.raw_bind_parameter(i + 3, Param(fields.get(*col)))?;
        }
        stmt.raw_execute()
    })?)
}

/// Which statement [`statement_text`] is asked for: a whole row (or one unless it is here), or an
/// update of the fields whose bits (in the order of the kind's fields) are set.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Statement {
    Insert,
    InsertIfNew,
    Update(u64),
}

/// The text of a row's statement, built once per thread and kind of record (and set of fields). A
/// pulled page writes a thousand records through the same few statements, and building their text
/// — a `format!` per field, then the statement cache's lookup of a fresh string — cost the first
/// download more than SQLite's own work for the rows (docs/perf/README.md).
fn statement_text(
    spec: &EntitySpec,
    which: Statement,
    build: impl FnOnce() -> String,
) -> std::rc::Rc<str> {
    thread_local! {
        static TEXTS: std::cell::RefCell<std::collections::HashMap<(&'static str, Statement), std::rc::Rc<str>>> =
            Default::default();
    }
    TEXTS.with_borrow_mut(|texts| {
        texts
            .entry((spec.table, which))
            .or_insert_with(|| build().into())
            .clone()
    })
}

/// Writes the `changed` fields of a record's row, and its station `version` when one is given (a
/// local edit keeps the version it was made on). Answers how many rows it wrote: 0 when the
/// record is not here.
pub(crate) fn update_row(
    tx: &impl Prepare,
    spec: &EntitySpec,
    id: &str,
    changed: &Map<String, Value>,
    version: Option<i64>,
) -> Result<usize> {
    // Field names come from the record's own spec (checked here), never from outside text. The
    // set of them is a bit per field of the kind, in its order (no kind has 64: a test says so);
    // each is looked up in `changed` once.
    let written: Vec<(usize, &str, &Value)> = spec
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, (name, _))| changed.get(*name).map(|v| (i, *name, v)))
        .collect();
    let mask = written.iter().fold(0u64, |mask, (i, _, _)| mask | 1 << i);
    let sql = statement_text(spec, Statement::Update(mask), || {
        let sets: String = written
            .iter()
            .enumerate()
            .map(|(at, (_, name, _))| format!("{name} = ?{}, ", at + 3))
            .collect();
        format!(
            "UPDATE {} SET {sets}version = coalesce(?2, version) WHERE id = ?1",
            spec.table
        )
    });
    Ok(tx.with_statement(&sql, |stmt| {
        stmt.raw_bind_parameter(1, id)?;
        stmt.raw_bind_parameter(2, version)?;
        for (at, (_, _, value)) in written.iter().enumerate() {
            stmt.raw_bind_parameter(at + 3, Param(Some(*value)))?;
        }
        stmt.raw_execute()
    })?)
}

/// The fields [`update_derived`] reads of a kind of record (none: nothing is derived from it). Kept
/// beside it: a pull that brings all of them can derive from its own copy instead of reading the
/// record back.
pub(crate) fn derived_from(entity: EntityKind) -> &'static [&'static str] {
    match entity {
        EntityKind::Household => &["address", "deleted"],
        EntityKind::Resident => &["name", "phone", "deleted"],
        EntityKind::Visit | EntityKind::Concern | EntityKind::Task | EntityKind::Photo => &[],
    }
}

/// Keeps what is derived from a record's fields (the search index, the normalised address) in step,
/// inside the same transaction.
pub(crate) fn update_derived(
    tx: &impl Prepare,
    entity: EntityKind,
    id: Uuid,
    fields: &Map<String, Value>,
) -> Result<()> {
    let text = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or_default();
    let deleted = fields
        .get("deleted")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let id_text = id.hyphenated().to_string();
    match entity {
        EntityKind::Household => {
            let seq: i64 = super::query_one(
                tx,
                "SELECT seq FROM households WHERE id = ?1",
                [&id_text],
                |r| r.get(0),
            )?;
            super::exec(
                tx,
                "UPDATE households SET address_norm = ?2 WHERE seq = ?1",
                rusqlite::params![seq, crate::address::normalize(text("address"))],
            )?;
            search::index_household(tx, seq, text("address"), deleted)?;
        }
        EntityKind::Resident => {
            let seq: i64 = super::query_one(
                tx,
                "SELECT seq FROM residents WHERE id = ?1",
                [&id_text],
                |r| r.get(0),
            )?;
            search::index_resident(tx, seq, text("name"), text("phone"), deleted)?;
        }
        EntityKind::Visit | EntityKind::Concern | EntityKind::Task | EntityKind::Photo => {}
    }
    Ok(())
}

impl Store {
    /// Loads one record, or [`Error::NotFound`].
    pub fn get<R: Record>(&self, id: Uuid) -> Result<R> {
        load::<R>(&self.conn, id)?.ok_or_else(|| Error::NotFound {
            entity: R::SPEC.entity.as_str(),
            id: id.to_string(),
        })
    }

    /// Records of one kind matching a fixed SQL condition (written in this crate, never from input).
    pub(crate) fn select<R: Record>(
        &self,
        condition: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<R>> {
        let sql = format!("{} WHERE {condition}", select_sql(R::SPEC));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params, from_row::<R>)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// [`Store::save_on`] on the laptop's local date.
    pub fn save<R: Record>(&mut self, record: &R) -> Result<Saved> {
        self.save_on(record, crate::time::local_today())
    }

    /// Validates (as of `today`) and saves a record (new or edited) and logs the fields that
    /// changed, all in one transaction: either both the row and its change are stored, or neither is.
    pub fn save_on<R: Record>(&mut self, record: &R, today: chrono::NaiveDate) -> Result<Saved> {
        let device = self.device()?.clone();
        let errors = record.validate(today);
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let tx = self.conn.transaction()?;
        let saved = save_in(&tx, &device, record)?;
        tx.commit()?;
        Ok(saved)
    }

    /// Saves an edit made in a form: `seen` is the record as the form showed it when it opened,
    /// `edited` as the officer left it. Only the fields the officer changed are written and logged,
    /// on top of the record as it is now, with the version the officer saw as the change's base: a
    /// field a sync changed while the form was open keeps the other officer's value, and a field
    /// both changed is a conflict at the station like any other concurrent edit.
    pub fn save_edit<R: Record>(&mut self, seen: &R, edited: &R) -> Result<Saved> {
        self.save_edit_on(seen, edited, crate::time::local_today())
    }

    /// [`Store::save_edit`], validated as of `today`.
    pub fn save_edit_on<R: Record>(
        &mut self,
        seen: &R,
        edited: &R,
        today: chrono::NaiveDate,
    ) -> Result<Saved> {
        if seen.id() != edited.id() {
            return Err(Error::invalid("id", ErrorCode::UnknownValue));
        }
        let current = load::<R>(&self.conn, edited.id())?;
        let Some(current) = current else {
            return self.save_on(edited, today);
        };
        let changed = diff(&seen.fields()?, &edited.fields()?);
        if changed.is_empty() {
            return Ok(Saved { change: None });
        }
        let mut merged = current.fields()?;
        merged.extend(changed);
        merged.insert(
            "id".into(),
            Value::String(edited.id().hyphenated().to_string()),
        );
        merged.insert("version".into(), Value::from(seen.version()));
        let record: R = serde_json::from_value(Value::Object(merged))?;
        self.save_on(&record, today)
    }

    /// Saves several records in one transaction (an import, the demo beat), validated as of the
    /// laptop's local date; all or nothing.
    pub fn save_all<'a, R: Record + 'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a R>,
    ) -> Result<usize> {
        let today = crate::time::local_today();
        let device = self.device()?.clone();
        let tx = self.conn.transaction()?;
        let mut n = 0;
        for record in records {
            let errors = record.validate(today);
            if !errors.is_empty() {
                return Err(Error::Invalid(errors));
            }
            if save_in(&tx, &device, record)?.change.is_some() {
                n += 1;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// Marks a record deleted (a tombstone, logged like any edit).
    pub fn delete<R: Record>(&mut self, id: Uuid) -> Result<Saved> {
        let record: R = self.get(id)?;
        let mut fields = record.fields()?;
        fields.insert("deleted".into(), Value::Bool(true));
        fields.insert("id".into(), Value::String(id.hyphenated().to_string()));
        fields.insert("version".into(), Value::from(record.version()));
        let tombstone: R = serde_json::from_value(Value::Object(fields))?;
        let device = self.device()?.clone();
        let tx = self.conn.transaction()?;
        let saved = save_in(&tx, &device, &tombstone)?;
        tx.commit()?;
        Ok(saved)
    }

    /// Runs `f` inside one transaction on this store's connection (for multi-record writes in this
    /// crate such as imports).
    pub(crate) fn with_tx<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>, &super::Device) -> Result<T>,
    ) -> Result<T> {
        let device = self.device()?.clone();
        let tx = self.conn.transaction()?;
        let out = f(&tx, &device)?;
        tx.commit()?;
        Ok(out)
    }
}

/// The body of a save, inside the caller's transaction.
pub(crate) fn save_in<R: Record>(
    tx: &Transaction<'_>,
    device: &super::Device,
    record: &R,
) -> Result<Saved> {
    let spec = R::SPEC;
    let id = record.id();
    let new_fields = record.fields()?;
    let existing = load::<R>(tx, id)?;
    let (changed, base_version) = match &existing {
        None => (new_fields.clone(), 0),
        Some(old) if old.deleted() => return Err(Error::invalid("deleted", ErrorCode::Deleted)),
        // The station refused this record's creation: it has nothing to apply a difference to, so
        // the correction is sent whole.
        Some(_) if super::refusals::creation_refused(tx, spec.entity, id)? => {
            super::refusals::mark_corrected(tx, spec.entity, id)?;
            (new_fields.clone(), 0)
        }
        // The base is the version the caller saw (never above what is stored): a record read
        // before a sync and saved after it is decided at the station against what it was read at.
        Some(old) => (
            diff(&old.fields()?, &new_fields),
            record.version().clamp(0, old.version()),
        ),
    };
    if changed.is_empty() {
        return Ok(Saved { change: None });
    }
    check_references(tx, spec, &changed)?;
    let id_text = id.hyphenated().to_string();
    match existing {
        None => insert_row(tx, spec, &id_text, &new_fields, 0)?,
        Some(_) => {
            update_row(tx, spec, &id_text, &changed, None)?;
        }
    }
    update_derived(tx, spec.entity, id, &new_fields)?;
    let change = changes::append(tx, device, spec.entity, id, changed, base_version)?;
    Ok(Saved {
        change: Some(change),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::spec_of;

    /// An update's statement is keyed by a bit per field of its kind.
    #[test]
    fn every_kind_has_fewer_fields_than_an_updates_key_has_bits() {
        for entity in [
            EntityKind::Household,
            EntityKind::Resident,
            EntityKind::Visit,
            EntityKind::Concern,
            EntityKind::Task,
            EntityKind::Photo,
        ] {
            assert!(spec_of(entity).fields.len() < 64, "{entity:?}");
        }
    }

    /// Two updates of different fields of one kind each write their own fields (their statements
    /// are kept apart); an insert of a record already here writes nothing, of a new one its row.
    #[test]
    fn updates_of_different_fields_each_write_their_own() {
        let mut store = Store::open_in_memory().unwrap();
        store.init_device("张警官", &["幸福社区".into()]).unwrap();
        let h = crate::model::Household::new(
            "幸福社区",
            "幸福路1号",
            crate::model::HouseholdKind::Residence,
        );
        store.save(&h).unwrap();
        let id = h.id.0.hyphenated().to_string();
        let spec = spec_of(EntityKind::Household);
        let tx = store.conn.transaction().unwrap();
        let one = |k: &str, v: &str| Map::from_iter([(k.to_string(), Value::from(v))]);
        assert_eq!(
            update_row(&tx, spec, &id, &one("address", "幸福路2号"), None).unwrap(),
            1
        );
        assert_eq!(
            update_row(&tx, spec, &id, &one("notes", "独居老人"), Some(7)).unwrap(),
            1
        );
        assert_eq!(
            update_row(&tx, spec, "no-such-id", &one("notes", "x"), None).unwrap(),
            0
        );
        let row: (String, String, i64) = tx
            .query_row(
                "SELECT address, notes, version FROM households WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(row, ("幸福路2号".into(), "独居老人".into(), 7));
        let whole = |address: &str| {
            let mut fields = h.fields().unwrap();
            fields.insert("address".into(), Value::from(address));
            fields
        };
        assert!(!insert_row_if_new(&tx, spec, &id, &whole("别处1号"), 9).unwrap());
        let other = crate::ids::HouseholdId::new().0.hyphenated().to_string();
        assert!(insert_row_if_new(&tx, spec, &other, &whole("幸福路3号"), 9).unwrap());
        let addresses: Vec<(String, i64)> = tx
            .prepare("SELECT address, version FROM households ORDER BY address")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            addresses,
            [("幸福路2号".into(), 7), ("幸福路3号".into(), 9)]
        );
    }
}
