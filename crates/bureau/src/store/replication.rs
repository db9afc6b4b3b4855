//! A station's log, stored at the bureau: each batch in one transaction, so a batch is kept whole
//! or not at all (a database that goes away mid-batch leaves nothing half; the station sends it
//! again). Batches are idempotent: a record is written only over an older version of itself (or
//! one from before the station started its copy again), staff actions and audit lines by their
//! ids, once. The station's identity is its credential's, never anything in the batch: a batch can
//! only ever write its own station's partitions.

use super::stations::{StationAuth, ensure_visit_months};
use super::tallies::{self, Deltas};
use super::{BureauError, Result, bad};
use chrono::{DateTime, NaiveDate, Utc};
use doorstep_protocol::bureau::{
    BureauFlag, Cursors, ENTITIES, UpAnswer, UpBatch, UpRecord, limits,
};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use tokio_postgres::{Client, GenericClient, Transaction};

/// Where the bureau stands for a station, and the flags it has not applied yet.
pub async fn state(client: &impl GenericClient, station: i32) -> Result<UpAnswer> {
    let row = client
        .query_one(
            "SELECT records_cursor, staff_cursor, audit_cursor, lineage FROM stations WHERE id = $1",
            &[&station],
        )
        .await?;
    Ok(UpAnswer {
        cursors: Cursors {
            records: row.get(0),
            staff: row.get(1),
            audit: row.get(2),
        },
        lineage: row.get(3),
        flags: pending_flags(client, station).await?,
    })
}

async fn pending_flags(client: &impl GenericClient, station: i32) -> Result<Vec<BureauFlag>> {
    let rows = client
        .query(
            "SELECT id, entity, record_id, reason, flagged_by, flagged_at FROM flags
             WHERE station_id = $1 AND applied_at IS NULL ORDER BY id",
            &[&station],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| BureauFlag {
            id: r.get(0),
            entity: r.get(1),
            record_id: r.get(2),
            reason: r.get(3),
            flagged_by: r.get(4),
            flagged_at: doorstep_core::time::format(&r.get::<_, DateTime<Utc>>(5)),
        })
        .collect())
}

/// What a batch must be before anything of it is stored.
fn check_shape(batch: &UpBatch) -> Result<()> {
    let (from, through) = (batch.from, batch.through);
    if batch.records.len() > limits::MAX_ITEMS
        || batch.staff_actions.len() > limits::MAX_ITEMS
        || batch.audit.len() > limits::MAX_ITEMS
    {
        return Err(bad(format!(
            "a batch holds at most {} records, staff actions and audit lines each",
            limits::MAX_ITEMS
        )));
    }
    if from.records < 0 || from.staff < 0 || from.audit < 0 {
        return Err(bad("a batch's cursors are never negative"));
    }
    if through.records < from.records || through.staff < from.staff || through.audit < from.audit {
        return Err(bad("a batch ends before it starts (through < from)"));
    }
    if batch.restart && from != Cursors::default() {
        return Err(bad(
            "a batch that starts the copy again starts at nothing (from 0)",
        ));
    }
    for r in &batch.records {
        if !ENTITIES.contains(&r.entity.as_str()) {
            return Err(bad(format!(
                "{:?} is not a kind of record the bureau keeps ({})",
                r.entity,
                ENTITIES.join(", ")
            )));
        }
        if r.version <= from.records || r.version > through.records {
            return Err(bad(format!(
                "{} {} has version {}, outside the batch ({}, {}]",
                r.entity, r.id, r.version, from.records, through.records
            )));
        }
        if r.id.trim().is_empty() || r.id.len() > 100 || !r.fields.is_object() {
            return Err(bad(format!(
                "{} {:?} has no id or no fields",
                r.entity, r.id
            )));
        }
    }
    if let Some(a) = batch
        .staff_actions
        .iter()
        .find(|a| a.id <= from.staff || a.id > through.staff)
    {
        return Err(bad(format!("staff action {} is outside the batch", a.id)));
    }
    if let Some(a) = batch
        .audit
        .iter()
        .find(|a| a.id <= from.audit || a.id > through.audit)
    {
        return Err(bad(format!("audit line {} is outside the batch", a.id)));
    }
    Ok(())
}

/// Stores one batch and answers where the bureau now stands.
pub async fn ingest(
    client: &mut Client,
    station: &StationAuth,
    batch: &UpBatch,
) -> Result<UpAnswer> {
    check_shape(batch)?;
    // The month partitions of the batch's visits, each in a moment of its own before the batch's
    // transaction: making a partition locks its station's visits table exclusively, and inside a
    // transaction that lock would be held (waiting on, and waited on by, other stations' batches).
    // A partition made for a batch that is then refused stays, empty.
    let mut months = Vec::new();
    for r in batch.records.iter().filter(|r| r.entity == "visit") {
        months.push(required_time(r, "visited_at")?);
    }
    ensure_visit_months(&*client, station.id, months).await?;
    let tx = client.transaction().await?;
    // The station's row is held for the batch: two batches of one station are stored one after
    // the other, never interleaved (a station's retry racing its own first attempt).
    let row = tx
        .query_one(
            "SELECT records_cursor, staff_cursor, audit_cursor, generation, lineage FROM stations WHERE id = $1 FOR UPDATE",
            &[&station.id],
        )
        .await?;
    let mut held = Cursors {
        records: row.get(0),
        staff: row.get(1),
        audit: row.get(2),
    };
    let mut generation: i32 = row.get(3);
    let lineage: Option<String> = row.get(4);
    // The station's database was restored (a new lineage): its versions and ids after the backup
    // mean other things now, so the copy starts again, from nothing.
    if !batch.restart && lineage.as_ref().is_some_and(|l| *l != batch.lineage) {
        return Err(BureauError::Gap(Cursors::default()));
    }
    if batch.restart {
        generation += 1;
        held = Cursors::default();
        tracing::warn!(station = %station.name, generation, "the station starts its copy again (it was restored)");
    }
    let from = batch.from;
    if from.records > held.records || from.staff > held.staff || from.audit > held.audit {
        return Err(BureauError::Gap(held));
    }
    let records = latest_of_each(&batch.records);
    let mut by_entity: HashMap<&str, Vec<&UpRecord>> = HashMap::new();
    for r in records {
        by_entity.entry(r.entity.as_str()).or_default().push(r);
    }
    // Which of the batch's records the bureau held before it (the rest are new: nothing stored to
    // replace, nothing they counted for).
    let mut known: HashMap<&str, HashSet<String>> = HashMap::new();
    for (entity, records) in &by_entity {
        known.insert(entity, claim(&tx, station.id, entity, records).await?);
    }
    let write = Write {
        tx: &tx,
        station: station.id,
        generation,
    };
    // The households whose status (beat, last visit, due) the batch may have changed: worked out
    // once its households and visits are all written, whichever came first.
    let mut touched: Vec<String> = Vec::new();
    for (entity, records) in &by_entity {
        match *entity {
            "household" => {
                write.households(records).await?;
                touched.extend(records.iter().map(|r| r.id.clone()));
            }
            "resident" => write.residents(records).await?,
            "visit" => touched.extend(write.visits(records, &known[entity]).await?),
            "concern" => write.concerns(records, &known[entity]).await?,
            "task" => write.tasks(records, &known[entity]).await?,
            _ => unreachable!("checked by check_shape"),
        }
    }
    touched.sort_unstable();
    touched.dedup();
    let touched: Vec<&str> = touched.iter().map(String::as_str).collect();
    tallies::refresh_households(&tx, station.id, &touched).await?;
    for a in &batch.staff_actions {
        tx.execute(
            "INSERT INTO station_staff_actions (station_id, id, at, staff, action, entity, entity_id, details)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            &[&station.id, &a.id, &a.at, &a.staff, &a.action, &a.entity, &a.entity_id, &a.details],
        )
        .await?;
    }
    for a in &batch.audit {
        tx.execute(
            "INSERT INTO station_audit (station_id, id, at, actor, action, target, outcome)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            &[
                &station.id,
                &a.id,
                &a.at,
                &a.actor,
                &a.action,
                &a.target,
                &a.outcome,
            ],
        )
        .await?;
    }
    for applied in &batch.flags_applied {
        let n = tx
            .execute(
                "UPDATE flags SET task_id = $3, applied_at = COALESCE(applied_at, now())
                 WHERE id = $1 AND station_id = $2",
                &[&applied.flag_id, &station.id, &applied.task_id],
            )
            .await?;
        if n == 0 {
            return Err(bad(format!(
                "flag {} is not one of this station's",
                applied.flag_id
            )));
        }
    }
    let through = batch.through;
    let cursors = Cursors {
        records: held.records.max(through.records),
        staff: held.staff.max(through.staff),
        audit: held.audit.max(through.audit),
    };
    tx.execute(
        "UPDATE stations SET records_cursor = $2, staff_cursor = $3, audit_cursor = $4,
             station_head = $5, generation = $6, lineage = $7, last_batch_at = now(), last_seen_at = now()
         WHERE id = $1",
        &[&station.id, &cursors.records, &cursors.staff, &cursors.audit, &batch.station_head.max(cursors.records), &generation, &batch.lineage],
    )
    .await?;
    let flags = pending_flags(&tx, station.id).await?;
    tx.commit().await?;
    Ok(UpAnswer {
        cursors,
        lineage: Some(batch.lineage.clone()),
        flags,
    })
}

/// One record of each id, at its highest version (an honest station sends each once; a batch
/// naming one twice must not fail on it, nor keep the older).
fn latest_of_each(records: &[UpRecord]) -> Vec<&UpRecord> {
    let mut latest: HashMap<(&str, &str), &UpRecord> = HashMap::new();
    for r in records {
        latest
            .entry((r.entity.as_str(), r.id.as_str()))
            .and_modify(|held| {
                if r.version > held.version {
                    *held = r;
                }
            })
            .or_insert(r);
    }
    let mut out: Vec<&UpRecord> = latest.into_values().collect();
    out.sort_by_key(|r| r.version);
    out
}

/// A station may not write a record another station holds: ids are made on laptops and never
/// shared between stations, so a batch naming another station's record is a mistake or a
/// forgery, and the bureau's look-up would show the copy as that person's. Each record's owner is
/// claimed once in `record_owners` (one index for every station; asking each station's partitions
/// instead cost a probe per partition and record, and made ingest crawl as stations were added).
///
/// Claims the batch's records of one kind for `station` (the first batch naming a record makes it
/// the station's) and refuses the batch if another station holds any of them. Returns the ids this
/// station held before the batch.
async fn claim(
    tx: &Transaction<'_>,
    station: i32,
    entity: &str,
    records: &[&UpRecord],
) -> Result<HashSet<String>> {
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    // The outer SELECT sees the table as before the statement: what was held already, by whom.
    let held = tx
        .query(
            "WITH claimed AS (
                 INSERT INTO record_owners (entity, id, station_id) SELECT $1, unnest($2::text[]), $3
                 ON CONFLICT DO NOTHING
             )
             SELECT o.id, o.station_id, s.name FROM record_owners o JOIN stations s ON s.id = o.station_id
             WHERE o.entity = $1 AND o.id = ANY($2)",
            &[&entity, &ids, &station],
        )
        .await?;
    if let Some(row) = held.iter().find(|r| r.get::<_, i32>(1) != station) {
        return Err(BureauError::NotPermitted(format!(
            "{entity} {} is held by another station ({}): a station sends only its own records",
            row.get::<_, String>(0),
            row.get::<_, String>(2)
        )));
    }
    Ok(held.iter().map(|r| r.get(0)).collect())
}

// Reading a record's fields. A field the bureau needs that is missing or malformed refuses the
// batch with the record named: the station's data is then wrong, and storing it half-read would
// hide that.

fn obj(r: &UpRecord) -> &Map<String, Value> {
    r.fields.as_object().expect("checked by check_shape")
}

fn text(r: &UpRecord, key: &str) -> String {
    obj(r)
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn opt_text(r: &UpRecord, key: &str) -> Option<String> {
    obj(r)
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn list(r: &UpRecord, key: &str) -> Vec<String> {
    match obj(r).get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn flag(r: &UpRecord, key: &str) -> bool {
    obj(r).get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn time(r: &UpRecord, key: &str) -> Result<Option<DateTime<Utc>>> {
    match opt_text(r, key) {
        None => Ok(None),
        Some(t) => DateTime::parse_from_rfc3339(&t)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| bad(format!("{} {}: {key} {t:?} is not a time", r.entity, r.id))),
    }
}

fn required_time(r: &UpRecord, key: &str) -> Result<DateTime<Utc>> {
    time(r, key)?.ok_or_else(|| bad(format!("{} {}: {key} is missing", r.entity, r.id)))
}

fn date(r: &UpRecord, key: &str) -> Result<Option<NaiveDate>> {
    match opt_text(r, key) {
        None => Ok(None),
        Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| bad(format!("{} {}: {key} {d:?} is not a date", r.entity, r.id))),
    }
}

/// The columns every record has, as arrays for one `unnest` per table and batch.
struct Common {
    ids: Vec<String>,
    versions: Vec<i64>,
    deleted: Vec<bool>,
    beats: Vec<String>,
    fields: Vec<Value>,
}

impl Common {
    fn of(records: &[&UpRecord]) -> Common {
        Common {
            ids: records.iter().map(|r| r.id.clone()).collect(),
            versions: records.iter().map(|r| r.version).collect(),
            deleted: records.iter().map(|r| r.deleted).collect(),
            beats: records.iter().map(|r| r.beat.clone()).collect(),
            fields: records.iter().map(|r| r.fields.clone()).collect(),
        }
    }
}

/// The guard of every upsert: a stored record is replaced only by a newer version of itself, or
/// by anything from a later copy of the station (after it was restored and started again).
const NEWER: &str = "t.generation < EXCLUDED.generation OR t.version <= EXCLUDED.version";

struct Write<'a, 't> {
    tx: &'a Transaction<'t>,
    station: i32,
    generation: i32,
}

impl Write<'_, '_> {
    async fn households(&self, records: &[&UpRecord]) -> Result<()> {
        let c = Common::of(records);
        let address: Vec<String> = records.iter().map(|r| text(r, "address")).collect();
        let address_key: Vec<String> = address
            .iter()
            .map(|a| doorstep_core::address::normalize(a))
            .collect();
        let kind: Vec<String> = records.iter().map(|r| text(r, "kind")).collect();
        let tags: Vec<Vec<String>> = records.iter().map(|r| list(r, "tags")).collect();
        let intervals: Vec<i32> = tags.iter().map(|t| tallies::interval_days(t)).collect();
        // Arrays of arrays do not unnest into rows of arrays: tags travel as JSON text.
        let tags: Vec<String> = tags
            .iter()
            .map(|t| serde_json::to_string(t).unwrap_or_default())
            .collect();
        // A registration time the station sent malformed counts as none (nothing to go by): one
        // odd field does not stop the station's copy.
        let registered: Vec<Option<DateTime<Utc>>> = records
            .iter()
            .map(|r| time(r, "registered_at").ok().flatten())
            .collect();
        self.tx
            .execute(
                &format!(
                    "INSERT INTO households AS t (station_id, id, version, generation, deleted, beat, address, address_key, kind, tags, fields, registered_at, interval_days)
                     SELECT $1, n.id, n.version, $2, n.deleted, n.beat, n.address, n.address_key, n.kind,
                            ARRAY(SELECT jsonb_array_elements_text(n.tags::jsonb)), n.fields, n.registered_at, n.interval_days
                     FROM unnest($3::text[], $4::bigint[], $5::bool[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::timestamptz[], $13::int4[])
                          AS n(id, version, deleted, beat, address, address_key, kind, tags, fields, registered_at, interval_days)
                     ON CONFLICT (station_id, id) DO UPDATE SET version = EXCLUDED.version, generation = EXCLUDED.generation,
                         deleted = EXCLUDED.deleted, beat = EXCLUDED.beat, address = EXCLUDED.address,
                         address_key = EXCLUDED.address_key, kind = EXCLUDED.kind, tags = EXCLUDED.tags, fields = EXCLUDED.fields,
                         registered_at = EXCLUDED.registered_at, interval_days = EXCLUDED.interval_days
                     WHERE {NEWER}"
                ),
                &[&self.station, &self.generation, &c.ids, &c.versions, &c.deleted, &c.beats, &address, &address_key, &kind, &tags, &c.fields, &registered, &intervals],
            )
            .await?;
        Ok(())
    }

    async fn residents(&self, records: &[&UpRecord]) -> Result<()> {
        let c = Common::of(records);
        let household: Vec<String> = records.iter().map(|r| text(r, "household_id")).collect();
        let name: Vec<String> = records.iter().map(|r| text(r, "name")).collect();
        let pinyin: Vec<String> = name
            .iter()
            .map(|n| doorstep_core::search::pinyin_tokens(n))
            .collect();
        let id_key: Vec<Option<String>> = records
            .iter()
            .map(|r| doorstep_core::identity::id_number_key(&text(r, "id_number")))
            .collect();
        let birth: Vec<Option<NaiveDate>> = records
            .iter()
            .map(|r| date(r, "birth_date"))
            .collect::<Result<_>>()?;
        self.tx
            .execute(
                &format!(
                    "INSERT INTO residents AS t (station_id, id, version, generation, deleted, beat, household_id, name, pinyin, id_key, birth_date, fields)
                     SELECT $1, n.id, n.version, $2, n.deleted, n.beat, n.household_id, n.name, n.pinyin, n.id_key, n.birth_date, n.fields
                     FROM unnest($3::text[], $4::bigint[], $5::bool[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::date[], $12::jsonb[])
                          AS n(id, version, deleted, beat, household_id, name, pinyin, id_key, birth_date, fields)
                     ON CONFLICT (station_id, id) DO UPDATE SET version = EXCLUDED.version, generation = EXCLUDED.generation,
                         deleted = EXCLUDED.deleted, beat = EXCLUDED.beat, household_id = EXCLUDED.household_id,
                         name = EXCLUDED.name, pinyin = EXCLUDED.pinyin, id_key = EXCLUDED.id_key,
                         birth_date = EXCLUDED.birth_date, fields = EXCLUDED.fields
                     WHERE {NEWER}"
                ),
                &[&self.station, &self.generation, &c.ids, &c.versions, &c.deleted, &c.beats, &household, &name, &pinyin, &id_key, &birth, &c.fields],
            )
            .await?;
        Ok(())
    }

    /// Visits (their month partitions were made before the transaction). A visit new to the bureau
    /// (most of them: the bulk of a station's first copy) goes in by binary `COPY`, with nothing to
    /// replace. One it held before may be stored in any month's partition: an older copy is deleted
    /// (its time may have changed, moving it) and the incoming one written where no (newer) copy is
    /// left. The ratings tally loses what deleted rows counted for and gains what written ones do.
    /// Returns the households whose last visit this may have changed (those the visits were or now
    /// are of).
    async fn visits(&self, records: &[&UpRecord], known: &HashSet<String>) -> Result<Vec<String>> {
        let (held, new): (Vec<&UpRecord>, Vec<&UpRecord>) =
            records.iter().partition(|r| known.contains(&r.id));
        let mut ratings = Deltas::default();
        let mut touched: Vec<String> = records.iter().map(|r| text(r, "household_id")).collect();
        self.new_visits(&new, &mut ratings).await?;
        self.replace_visits(&held, &mut ratings, &mut touched)
            .await?;
        ratings
            .apply(self.tx, &tallies::RATINGS, self.station)
            .await?;
        Ok(touched)
    }

    async fn new_visits(&self, records: &[&UpRecord], ratings: &mut Deltas) -> Result<()> {
        use tokio_postgres::binary_copy::BinaryCopyInWriter;
        use tokio_postgres::types::Type;
        if records.is_empty() {
            return Ok(());
        }
        let sink = self
            .tx
            .copy_in(&format!(
                "COPY visits_s{} (station_id, id, version, generation, deleted, beat, household_id, visited_at, rating, purposes, inquiry_areas, fields)
                 FROM STDIN BINARY",
                self.station
            ))
            .await?;
        let types = [
            Type::INT4,
            Type::TEXT,
            Type::INT8,
            Type::INT4,
            Type::BOOL,
            Type::TEXT,
            Type::TEXT,
            Type::TIMESTAMPTZ,
            Type::TEXT,
            Type::TEXT_ARRAY,
            Type::TEXT_ARRAY,
            Type::JSONB,
        ];
        let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
        for r in records {
            let at = required_time(r, "visited_at")?;
            let rating = opt_text(r, "rating");
            ratings.add(
                tallies::rating_key(&r.beat, at, rating.as_deref(), r.deleted),
                1,
            );
            writer
                .as_mut()
                .write(&[
                    &self.station,
                    &r.id,
                    &r.version,
                    &self.generation,
                    &r.deleted,
                    &r.beat,
                    &text(r, "household_id"),
                    &at,
                    &rating,
                    &list(r, "purposes"),
                    &list(r, "inquiry_areas"),
                    &r.fields,
                ])
                .await?;
        }
        writer.as_mut().finish().await?;
        Ok(())
    }

    async fn replace_visits(
        &self,
        records: &[&UpRecord],
        ratings: &mut Deltas,
        touched: &mut Vec<String>,
    ) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let c = Common::of(records);
        let at: Vec<DateTime<Utc>> = records
            .iter()
            .map(|r| required_time(r, "visited_at"))
            .collect::<Result<_>>()?;
        let household: Vec<String> = records.iter().map(|r| text(r, "household_id")).collect();
        let rating: Vec<Option<String>> = records.iter().map(|r| opt_text(r, "rating")).collect();
        // Arrays of arrays do not unnest into rows of arrays: these travel as JSON text.
        let purposes: Vec<String> = records
            .iter()
            .map(|r| serde_json::to_string(&list(r, "purposes")).unwrap_or_default())
            .collect();
        let areas: Vec<String> = records
            .iter()
            .map(|r| serde_json::to_string(&list(r, "inquiry_areas")).unwrap_or_default())
            .collect();
        // The station's own partition by name: a statement on the parent with the station as a
        // parameter locks every station's partitions (its plan prunes them only when it runs).
        let own = format!("visits_s{}", self.station);
        for r in self
            .tx
            .query(
                &format!("DELETE FROM {own} t USING unnest($3::text[], $4::bigint[]) AS n(id, version)
                 WHERE t.station_id = $1 AND t.id = n.id AND (t.generation < $2 OR t.version <= n.version)
                 RETURNING t.household_id, t.beat, t.visited_at, t.rating, t.deleted"),
                &[&self.station, &self.generation, &c.ids, &c.versions],
            )
            .await?
        {
            ratings.add(tallies::rating_key(r.get(1), r.get(2), r.get(3), r.get(4)), -1);
            touched.push(r.get(0));
        }
        for r in self
            .tx
            .query(
                &format!("INSERT INTO {own} (station_id, id, version, generation, deleted, beat, household_id, visited_at, rating, purposes, inquiry_areas, fields)
                 SELECT $1, n.id, n.version, $2, n.deleted, n.beat, n.household_id, n.visited_at, n.rating,
                        ARRAY(SELECT jsonb_array_elements_text(n.purposes::jsonb)),
                        ARRAY(SELECT jsonb_array_elements_text(n.areas::jsonb)), n.fields
                 FROM unnest($3::text[], $4::bigint[], $5::bool[], $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::jsonb[])
                      AS n(id, version, deleted, beat, household_id, visited_at, rating, purposes, areas, fields)
                 WHERE NOT EXISTS (SELECT 1 FROM {own} t WHERE t.station_id = $1 AND t.id = n.id)
                 RETURNING beat, visited_at, rating, deleted"),
                &[&self.station, &self.generation, &c.ids, &c.versions, &c.deleted, &c.beats, &household, &at, &rating, &purposes, &areas, &c.fields],
            )
            .await?
        {
            ratings.add(tallies::rating_key(r.get(0), r.get(1), r.get(2), r.get(3)), 1);
        }
        Ok(())
    }

    /// Concerns: a confidential one's reporter is kept apart (`concern_reporters`) and taken out of
    /// its fields, so no read of concerns can show it.
    async fn concerns(&self, records: &[&UpRecord], known: &HashSet<String>) -> Result<()> {
        let c = Common::of(records);
        let confidential: Vec<bool> = records.iter().map(|r| flag(r, "confidential")).collect();
        let fields: Vec<Value> = records
            .iter()
            .zip(&confidential)
            .map(|(r, confidential)| {
                let mut fields = obj(r).clone();
                if *confidential {
                    fields.remove("reporter_name");
                    fields.remove("reporter_id");
                }
                Value::Object(fields)
            })
            .collect();
        let household: Vec<String> = records.iter().map(|r| text(r, "household_id")).collect();
        let visit: Vec<Option<String>> = records.iter().map(|r| opt_text(r, "visit_id")).collect();
        let category: Vec<String> = records.iter().map(|r| text(r, "category")).collect();
        let urgency: Vec<String> = records.iter().map(|r| text(r, "urgency")).collect();
        let status: Vec<String> = records.iter().map(|r| text(r, "status")).collect();
        let raised: Vec<DateTime<Utc>> = records
            .iter()
            .map(|r| required_time(r, "raised_at"))
            .collect::<Result<_>>()?;
        let closed: Vec<Option<DateTime<Utc>>> = records
            .iter()
            .map(|r| time(r, "closed_at"))
            .collect::<Result<_>>()?;
        let feedback: Vec<Option<DateTime<Utc>>> = records
            .iter()
            .map(|r| time(r, "feedback_at"))
            .collect::<Result<_>>()?;
        let before = self
            .before(
                "SELECT id, beat, category, status, deleted FROM concerns WHERE station_id = $1 AND id = ANY($2)",
                known,
            )
            .await?;
        let key = |r: &tokio_postgres::Row| {
            tallies::open_concern_key(r.get(1), r.get(2), r.get(3), r.get(4))
        };
        let mut open = Deltas::default();
        let written: std::collections::HashSet<String> = self
            .tx
            .query(
                &format!(
                    "INSERT INTO concerns AS t (station_id, id, version, generation, deleted, beat, household_id, visit_id, category, urgency, status, confidential, raised_at, closed_at, feedback_at, fields)
                     SELECT $1, n.id, n.version, $2, n.deleted, n.beat, n.household_id, n.visit_id, n.category, n.urgency, n.status, n.confidential, n.raised_at, n.closed_at, n.feedback_at, n.fields
                     FROM unnest($3::text[], $4::bigint[], $5::bool[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bool[], $13::timestamptz[], $14::timestamptz[], $15::timestamptz[], $16::jsonb[])
                          AS n(id, version, deleted, beat, household_id, visit_id, category, urgency, status, confidential, raised_at, closed_at, feedback_at, fields)
                     ON CONFLICT (station_id, id) DO UPDATE SET version = EXCLUDED.version, generation = EXCLUDED.generation,
                         deleted = EXCLUDED.deleted, beat = EXCLUDED.beat, household_id = EXCLUDED.household_id,
                         visit_id = EXCLUDED.visit_id, category = EXCLUDED.category, urgency = EXCLUDED.urgency,
                         status = EXCLUDED.status, confidential = EXCLUDED.confidential, raised_at = EXCLUDED.raised_at,
                         closed_at = EXCLUDED.closed_at, feedback_at = EXCLUDED.feedback_at, fields = EXCLUDED.fields
                     WHERE {NEWER}
                     RETURNING id, beat, category, status, deleted"
                ),
                &[&self.station, &self.generation, &c.ids, &c.versions, &c.deleted, &c.beats, &household, &visit, &category, &urgency, &status, &confidential, &raised, &closed, &feedback, &fields],
            )
            .await?
            .iter()
            .map(|r| {
                let id: String = r.get(0);
                open.add(before.get(&id).and_then(key), -1);
                open.add(key(r), 1);
                id
            })
            .collect();
        open.apply(self.tx, &tallies::OPEN_CONCERNS, self.station)
            .await?;
        // The reporters of the concerns just written: kept apart while confidential, forgotten
        // here once not (they are then in the concern's fields).
        self.tx
            .execute(
                "DELETE FROM concern_reporters WHERE station_id = $1 AND concern_id = ANY($2)",
                &[&self.station, &written.iter().collect::<Vec<_>>()],
            )
            .await?;
        for r in records
            .iter()
            .filter(|r| flag(r, "confidential") && written.contains(&r.id))
        {
            self.tx
                .execute(
                    "INSERT INTO concern_reporters (station_id, concern_id, reporter_name, reporter_id) VALUES ($1, $2, $3, $4)",
                    &[&self.station, &r.id, &text(r, "reporter_name"), &opt_text(r, "reporter_id")],
                )
                .await?;
        }
        Ok(())
    }

    async fn tasks(&self, records: &[&UpRecord], known: &HashSet<String>) -> Result<()> {
        let c = Common::of(records);
        let household: Vec<String> = records.iter().map(|r| text(r, "household_id")).collect();
        let concern: Vec<Option<String>> =
            records.iter().map(|r| opt_text(r, "concern_id")).collect();
        let kind: Vec<String> = records.iter().map(|r| text(r, "kind")).collect();
        let status: Vec<String> = records.iter().map(|r| text(r, "status")).collect();
        let assignee: Vec<String> = records.iter().map(|r| text(r, "assignee")).collect();
        let due: Vec<Option<NaiveDate>> = records
            .iter()
            .map(|r| date(r, "due_date"))
            .collect::<Result<_>>()?;
        let feedback: Vec<Option<DateTime<Utc>>> = records
            .iter()
            .map(|r| time(r, "feedback_at"))
            .collect::<Result<_>>()?;
        let before = self
            .before(
                "SELECT id, beat, due_date, status, deleted FROM tasks WHERE station_id = $1 AND id = ANY($2)",
                known,
            )
            .await?;
        let key = |r: &tokio_postgres::Row| {
            tallies::open_task_key(r.get(1), r.get(2), r.get(3), r.get(4))
        };
        let mut open = Deltas::default();
        for r in self
            .tx
            .query(
                &format!(
                    "INSERT INTO tasks AS t (station_id, id, version, generation, deleted, beat, household_id, concern_id, kind, status, assignee, due_date, feedback_at, fields)
                     SELECT $1, n.id, n.version, $2, n.deleted, n.beat, n.household_id, n.concern_id, n.kind, n.status, n.assignee, n.due_date, n.feedback_at, n.fields
                     FROM unnest($3::text[], $4::bigint[], $5::bool[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::date[], $13::timestamptz[], $14::jsonb[])
                          AS n(id, version, deleted, beat, household_id, concern_id, kind, status, assignee, due_date, feedback_at, fields)
                     ON CONFLICT (station_id, id) DO UPDATE SET version = EXCLUDED.version, generation = EXCLUDED.generation,
                         deleted = EXCLUDED.deleted, beat = EXCLUDED.beat, household_id = EXCLUDED.household_id,
                         concern_id = EXCLUDED.concern_id, kind = EXCLUDED.kind, status = EXCLUDED.status,
                         assignee = EXCLUDED.assignee, due_date = EXCLUDED.due_date, feedback_at = EXCLUDED.feedback_at,
                         fields = EXCLUDED.fields
                     WHERE {NEWER}
                     RETURNING id, beat, due_date, status, deleted"
                ),
                &[&self.station, &self.generation, &c.ids, &c.versions, &c.deleted, &c.beats, &household, &concern, &kind, &status, &assignee, &due, &feedback, &c.fields],
            )
            .await?
        {
            open.add(before.get(&r.get::<_, String>(0)).and_then(key), -1);
            open.add(key(&r), 1);
        }
        open.apply(self.tx, &tallies::OPEN_TASKS, self.station)
            .await
    }

    /// The stored rows of the records held before the batch (by `sql`, its first column the id),
    /// before the batch writes them: what they counted for in the tallies. The station's row is
    /// held, so they cannot change between this read and the write.
    async fn before(
        &self,
        sql: &str,
        known: &HashSet<String>,
    ) -> Result<HashMap<String, tokio_postgres::Row>> {
        if known.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<&String> = known.iter().collect();
        Ok(self
            .tx
            .query(sql, &[&self.station, &ids])
            .await?
            .into_iter()
            .map(|r| (r.get(0), r))
            .collect())
    }
}
