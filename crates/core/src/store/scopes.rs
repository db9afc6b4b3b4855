//! What this laptop holds follows the officer's scopes at the station, both ways: each beat of the
//! officer's (and the tasks assigned to them elsewhere) is downloaded from a cursor of its own, so a
//! beat given later arrives in full; a beat taken away, and a record that left a beat (its household
//! moved), are taken off the laptop. A record with edits not yet sent is never taken off: it stays
//! until the station has them (the officer is told), then goes.
//!
//! Taking records off is the one delete the schema allows, inside a transaction that holds a row in
//! `purging` (see migration 0005); foreign keys are off meanwhile, as for pulls, because a scope's
//! records leave in no particular order.

use super::Store;
use super::remote::{RemoteRecord, apply_records};
use crate::error::Result;
use crate::model::{EntityKind, spec_of};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// A record that left a pulled scope (also the wire type): the laptop drops its copy unless it
/// holds one at least this new from another scope, or has unsent edits to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Removal {
    pub entity: EntityKind,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: Uuid,
    /// The station version at which it left.
    pub version: i64,
}

/// An officer as a task's person responsible is chosen (also the wire type): the station's
/// account, with the name and beats that tell two officers of the same name apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Officer {
    pub account_id: String,
    pub name: String,
    pub beats: Vec<String>,
}

/// What the officer works on now, as the station's account says (also the wire type).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkScope {
    pub beats: Vec<String>,
    pub officer_name: String,
    /// The account the laptop works for: a task's `assignee` names an account, never a name.
    #[serde(default)]
    pub account_id: String,
    /// The station's active officers, to choose a task's person responsible from. Empty when the
    /// laptop named the list it holds (`officers_fingerprint`) and the station's is the same.
    #[serde(default)]
    pub officers: Vec<Officer>,
    /// Names the station's list of officers ([`officers_fingerprint`]); empty from a station
    /// that does not say.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub officers_fingerprint: String,
}

/// A short name for a list of officers, the same for the same list: a laptop sends the one it
/// holds when it asks for its scopes, and the station leaves the list out when its own is the
/// same (a station's officers change rarely; every sync carried all of them, 500 under the load
/// command).
pub fn officers_fingerprint(officers: &[Officer]) -> String {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    for o in officers {
        // Lengths first, so that no two lists run together into the same bytes.
        for text in std::iter::once(&o.account_id)
            .chain(std::iter::once(&o.name))
            .chain(&o.beats)
        {
            hash.update((text.len() as u64).to_le_bytes());
            hash.update(text.as_bytes());
        }
        hash.update(u64::MAX.to_le_bytes());
    }
    hash.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The settings key of the fingerprint of the officers held here.
const OFFICERS_FINGERPRINT: &str = "officers_fingerprint";

impl Store {
    /// The station's officers as last synced, by name.
    pub fn officers(&self) -> Result<Vec<Officer>> {
        let mut stmt = self
            .conn
            .prepare("SELECT account_id, name, beats FROM officers ORDER BY name, account_id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (account_id, name, beats) = row?;
            out.push(Officer {
                account_id,
                name,
                beats: serde_json::from_str(&beats)?,
            });
        }
        Ok(out)
    }

    /// The fingerprint of the station's officers as last taken (empty: none taken, or from a
    /// station that does not say), sent when the laptop asks for its scopes.
    pub fn officers_fingerprint(&self) -> Result<String> {
        Ok(super::settings::text(&self.conn, OFFICERS_FINGERPRINT)?.unwrap_or_default())
    }

    /// Whether the station's officers (`theirs`) differ from those held here.
    fn officers_differ(&self, theirs: &[Officer]) -> Result<bool> {
        let mut theirs = theirs.to_vec();
        theirs.sort_by(|a, b| (&a.name, &a.account_id).cmp(&(&b.name, &b.account_id)));
        Ok(self.officers()? != theirs)
    }
}

/// What following the scopes did to this laptop's records.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Departures {
    /// Records taken off (no longer the officer's).
    pub removed: u32,
    /// Records no longer the officer's, kept because their edits are not sent yet.
    pub kept: u32,
}

impl Departures {
    fn add(&mut self, other: Departures) {
        self.removed += other.removed;
        self.kept += other.kept;
    }
}

/// The scope name of a beat.
pub fn beat_scope(beat: &str) -> String {
    format!("beat:{beat}")
}

/// The scope of the tasks assigned to the officer in other beats.
pub const TASKS_SCOPE: &str = "tasks";

impl Store {
    /// Where the download of one scope stands (0: nothing yet).
    pub fn scope_cursor(&self, scope: &str) -> Result<i64> {
        Ok(super::query_one(
            &self.conn,
            "SELECT cursor FROM pull_cursors WHERE scope = ?1",
            [scope],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
    }

    /// Where the download of every scope stands, by scope name.
    pub fn scope_cursors(&self) -> Result<std::collections::BTreeMap<String, i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT scope, cursor FROM pull_cursors")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Takes the officer's name and beats as the station holds them now: a beat taken away goes
    /// off the laptop (but for tasks assigned to the officer there, and records with unsent edits),
    /// its cursor with it; a new beat's cursor starts at 0. Records that left earlier while holding
    /// unsent edits go now if those have been sent.
    pub fn adopt_scopes(&mut self, work: &WorkScope) -> Result<Departures> {
        let (officer_name, beats) = (work.officer_name.as_str(), work.beats.as_slice());
        // Tasks assigned to this officer name the account (or, from before accounts, the name).
        let mine = if work.account_id.is_empty() {
            officer_name
        } else {
            work.account_id.as_str()
        };
        let beats_json = serde_json::to_string(beats)?;
        // Most syncs change nothing here, and then write nothing: the officer's details and the
        // officers are written only where they differ, and records are taken off (in a
        // transaction holding `purging`, foreign keys off) only when a household lies outside the
        // beats — the beats' index answers that at once — or a record waits to go. A sync that
        // rewrote them all committed (and forced to the disk) a transaction every time.
        let officers_changed = !work.officers.is_empty() && self.officers_differ(&work.officers)?;
        let fingerprint_changed =
            !work.officers.is_empty() && self.officers_fingerprint()? != work.officers_fingerprint;
        let outside = households_outside(&self.conn, &beats_json)?;
        let waiting_to_go = departures_wait(&self.conn)?;
        let adopt = |tx: &Transaction<'_>| -> Result<Departures> {
            super::exec(tx,
                "UPDATE device SET officer_name = ?1, beats = ?2, account_id = coalesce(nullif(?3, ''), account_id)
                 WHERE singleton = 1
                   AND (officer_name IS NOT ?1 OR beats IS NOT ?2 OR (?3 <> '' AND account_id IS NOT ?3))",
                params![officer_name, beats_json, work.account_id],
            )?;
            if officers_changed {
                super::exec(tx, "DELETE FROM officers", [])?;
                for o in &work.officers {
                    super::exec(
                        tx,
                        "INSERT OR REPLACE INTO officers (account_id, name, beats) VALUES (?1, ?2, ?3)",
                        params![o.account_id, o.name, serde_json::to_string(&o.beats)?],
                    )?;
                }
            }
            if fingerprint_changed {
                super::settings::put_text(tx, OFFICERS_FINGERPRINT, &work.officers_fingerprint)?;
            }
            let scopes: Vec<String> = beats.iter().map(|b| beat_scope(b)).collect();
            super::exec(
                tx,
                "DELETE FROM pull_cursors WHERE scope <> ?1 AND scope NOT IN (SELECT value FROM json_each(?2))",
                params![TASKS_SCOPE, serde_json::to_string(&scopes)?],
            )?;
            let mut outcome = Departures::default();
            if outside {
                sweep_outside(tx, &beats_json, mine, officer_name, &mut outcome)?;
            }
            if !waiting_to_go {
                return Ok(outcome);
            }
            // Records that left while holding unsent edits, whose edits the station has now.
            let waiting: Vec<(String, String, i64)> = tx
                .prepare("SELECT entity, id, version FROM departed")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (entity, id, version) in waiting {
                if let Some(entity) = EntityKind::parse(&entity) {
                    let done = take_off(tx, entity, &id, Some(version))?;
                    if done.kept == 0 {
                        super::exec(
                            tx,
                            "DELETE FROM departed WHERE entity = ?1 AND id = ?2",
                            params![entity.as_str(), id],
                        )?;
                    }
                    outcome.add(done);
                }
            }
            Ok(outcome)
        };
        let outcome = if outside || waiting_to_go {
            self.with_purging(adopt)?
        } else {
            let tx = self.conn.transaction()?;
            let outcome = adopt(&tx)?;
            tx.commit()?;
            outcome
        };
        self.device = super::load_device(&self.conn)?;
        Ok(outcome)
    }

    /// Applies one pulled page of a scope — what left it, then the records — moves that scope's
    /// cursor and takes the station's clock the page came with (`station_ms`, 0: none), in one
    /// transaction.
    ///
    /// The commit is not forced to the disk (`synchronous = NORMAL` for it): the page is the
    /// station's, which still holds it, and its cursor moves in the same transaction, so a power
    /// cut can only take back whole pages, which the next sync fetches again. The next commit of
    /// the officer's own work (`FULL`) forces them down with it. A first download of 200 pages
    /// waited about a millisecond on the disk per page, twice (the clock had its own commit).
    pub fn apply_scope_page(
        &mut self,
        scope: &str,
        records: &[RemoteRecord],
        removed: &[Removal],
        cursor: i64,
        station_ms: i64,
    ) -> Result<Departures> {
        super::remote::check_pulled(records)?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let result = self.with_purging(|tx| {
            let mut outcome = Departures::default();
            for r in removed {
                let id = r.id.hyphenated().to_string();
                let done = take_off(tx, r.entity, &id, Some(r.version))?;
                if done.kept > 0 {
                    super::exec(tx,
                        "INSERT INTO departed (entity, id, version) VALUES (?1, ?2, ?3)
                         ON CONFLICT (entity, id) DO UPDATE SET version = max(version, excluded.version)",
                        params![r.entity.as_str(), id, r.version],
                    )?;
                }
                outcome.add(done);
            }
            apply_records(tx, records)?;
            super::exec(tx,
                "INSERT INTO pull_cursors (scope, cursor) VALUES (?1, ?2)
                 ON CONFLICT (scope) DO UPDATE SET cursor = max(cursor, excluded.cursor)",
                params![scope, cursor],
            )?;
            super::exec(tx,
                "UPDATE device SET last_sync_at = ?1 WHERE singleton = 1",
                [crate::time::format(&crate::time::now())],
            )?;
            super::remote::observe_clock(tx, station_ms)?;
            Ok(outcome)
        });
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        result
    }

    /// Forgets every scope's cursor (a new enrolment): the next sync downloads everything.
    pub fn reset_scope_cursors(&mut self) -> Result<()> {
        super::exec(&self.conn, "DELETE FROM pull_cursors", [])?;
        Ok(())
    }

    /// Runs `f` in one transaction in which records may be taken off (foreign keys off meanwhile).
    fn with_purging<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.without_foreign_keys(|store| {
            let tx = store.conn.transaction()?;
            super::exec(
                &tx,
                "INSERT OR IGNORE INTO purging (singleton) VALUES (1)",
                [],
            )?;
            let out = f(&tx)?;
            // A household taken off takes its photos' bytes with it.
            super::photos::collect_blobs(&tx)?;
            super::exec(&tx, "DELETE FROM purging", [])?;
            tx.commit()?;
            Ok(out)
        })
    }
}

/// Whether any household here lies outside `beats` (a JSON list), read from the beats' index alone.
fn households_outside(conn: &rusqlite::Connection, beats: &str) -> Result<bool> {
    Ok(super::query_one(
        conn,
        "SELECT EXISTS (SELECT 1 FROM households WHERE beat NOT IN (SELECT value FROM json_each(?1)))",
        [beats],
        |r| r.get(0),
    )?)
}

/// Whether a record that left with unsent edits waits to be taken off.
fn departures_wait(conn: &rusqlite::Connection) -> Result<bool> {
    Ok(super::query_one(
        conn,
        "SELECT EXISTS (SELECT 1 FROM departed)",
        [],
        |r| r.get(0),
    )?)
}

/// Takes off the households of beats no longer the officer's (`beats`, a JSON list) — except those
/// a task of theirs (`mine`, or before accounts `officer_name`) is about — and, in those kept, every
/// record but the officer's tasks and their concerns.
fn sweep_outside(
    tx: &Transaction<'_>,
    beats: &str,
    mine: &str,
    officer_name: &str,
    outcome: &mut Departures,
) -> Result<()> {
    // Households of beats no longer the officer's, except those a task of theirs is about.
    let gone: Vec<String> = tx
        .prepare(
            "SELECT id FROM households WHERE beat NOT IN (SELECT value FROM json_each(?1))
               AND id NOT IN (SELECT household_id FROM tasks WHERE assignee IN (?2, ?3) AND deleted = 0)",
        )?
        .query_map(params![beats, mine, officer_name], |r| {
            r.get(0)
        })?
        .collect::<rusqlite::Result<_>>()?;
    for id in gone {
        outcome.add(take_off(tx, EntityKind::Household, &id, None)?);
    }
    // In the households kept for a task: everything but the officer's tasks and their concerns.
    // Read from those households down (each kind's household index), not from every row up.
    let strays: Vec<(String, String)> = tx
        .prepare(
            "WITH kept AS (SELECT id FROM households WHERE beat NOT IN (SELECT value FROM json_each(?1)))
             SELECT 'task', t.id FROM tasks t
             WHERE t.household_id IN (SELECT id FROM kept) AND t.assignee NOT IN (?2, ?3)
             UNION ALL
             SELECT 'concern', c.id FROM concerns c
             WHERE c.household_id IN (SELECT id FROM kept)
               AND c.id NOT IN (SELECT concern_id FROM tasks WHERE assignee IN (?2, ?3) AND concern_id IS NOT NULL)
             UNION ALL
             SELECT 'resident', r.id FROM residents r WHERE r.household_id IN (SELECT id FROM kept)
             UNION ALL
             SELECT 'visit', v.id FROM visits v WHERE v.household_id IN (SELECT id FROM kept)",
        )?
        .query_map(params![beats, mine, officer_name], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (entity, id) in strays {
        if let Some(entity) = EntityKind::parse(&entity) {
            outcome.add(take_off(tx, entity, &id, None)?);
        }
    }
    Ok(())
}

/// Takes a record off this laptop (a household with everything in it), unless this laptop holds a
/// copy newer than `left_at` (it came back, or arrived through another scope) or has unsent edits
/// to any of it, in which case it is kept.
fn take_off(
    tx: &Transaction<'_>,
    entity: EntityKind,
    id: &str,
    left_at: Option<i64>,
) -> Result<Departures> {
    let table = spec_of(entity).table;
    let version: Option<i64> = super::query_one(
        tx,
        &format!("SELECT version FROM {table} WHERE id = ?1"),
        [id],
        |r| r.get(0),
    )
    .optional()?;
    let Some(version) = version else {
        return Ok(Departures::default());
    };
    if left_at.is_some_and(|at| version >= at) {
        return Ok(Departures::default());
    }
    let mut records = vec![(entity, id.to_string())];
    if entity == EntityKind::Household {
        // What was written since the household left stays too, as the household itself would:
        // it came back with it (a household moved away and back, whose concern this laptop pushed
        // in the same sync and so is not sent again).
        for kind in [
            EntityKind::Resident,
            EntityKind::Visit,
            EntityKind::Concern,
            EntityKind::Task,
            EntityKind::Photo,
        ] {
            let ids: Vec<String> = tx
                .prepare_cached(&format!(
                    "SELECT id FROM {} WHERE household_id = ?1 AND (?2 IS NULL OR version < ?2)",
                    spec_of(kind).table
                ))?
                .query_map(params![id, left_at], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            records.extend(ids.into_iter().map(|i| (kind, i)));
        }
    }
    let unsent: bool = {
        let mut stmt = tx.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM changes WHERE entity = ?1 AND entity_id = ?2
                 AND device_seq > (SELECT acked_seq FROM device WHERE singleton = 1))",
        )?;
        let mut any = false;
        for (kind, rid) in &records {
            if stmt.query_row(params![kind.as_str(), rid], |r| r.get::<_, bool>(0))? {
                any = true;
                break;
            }
        }
        any
    };
    // A new record the station refused stays, marked, for the officer to correct or discard.
    let refused: bool = super::query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM refusals WHERE entity = ?1 AND entity_id = ?2 AND status = 'open' AND restored = 0)",
        params![entity.as_str(), id],
        |r| r.get(0),
    )?;
    if refused {
        return Ok(Departures::default());
    }
    if unsent {
        return Ok(Departures {
            removed: 0,
            kept: 1,
        });
    }
    for (kind, rid) in records.iter().rev() {
        // Out of the search index first (the write path's own step, with the record marked gone).
        if let Ok(uuid) = rid.parse::<Uuid>() {
            let gone = serde_json::Map::from_iter([("deleted".to_string(), true.into())]);
            super::records::update_derived(tx, *kind, uuid, &gone)?;
        }
        super::exec(
            tx,
            &format!("DELETE FROM {} WHERE id = ?1", spec_of(*kind).table),
            [rid],
        )?;
    }
    Ok(Departures {
        removed: 1,
        kept: 0,
    })
}
