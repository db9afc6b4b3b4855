//! Where this device stands with its station, and applying what it pulls.
//!
//! Pulled records are the station's current state. Applying one writes its fields and its station
//! version *without* logging a change (it is not an edit made here), except that fields this device
//! has edited and not yet had acknowledged keep their local values: the station will decide those
//! when they arrive, and the next pull brings the outcome. The pull cursor is saved in the same
//! transaction as the records it covers.

use super::Store;
use super::held::Tx;
use super::records::{insert_row_if_new, update_derived, update_row};
use crate::error::{Error, Result};
use crate::hlc::Hlc;
use crate::model::{EntityKind, check_fields, spec_of};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A record as the station holds it (the pull's unit; also the wire type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoteRecord {
    pub entity: EntityKind,
    pub id: Uuid,
    pub version: i64,
    pub deleted: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Map<String, Value>,
}

/// A record a push wrote at the station exactly as this laptop holds it, with the version it has
/// there now (also the wire type): the laptop takes the version as its base, and its pull does not
/// bring the record back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Landed {
    pub entity: EntityKind,
    pub id: Uuid,
    pub version: i64,
}

/// The station this device syncs with, as enrolment left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationLink {
    /// `https://host:port`.
    pub url: String,
    /// This laptop's own credential, issued at enrolment and sent with every sync. (Empty for a
    /// link from before accounts: the station refuses it and the officer enrols again.)
    #[serde(default)]
    pub device_credential: String,
    /// The station's certificate (DER, hex) as seen at enrolment: the only one trusted afterwards.
    #[serde(default)]
    pub certificate: String,
    /// The station's bundle key (an age recipient) for sync by USB stick, learned at enrolment
    /// and at every sync.
    #[serde(default)]
    pub bundle_recipient: String,
    /// This laptop's key for the station's answer bundles (an age secret key), made with its
    /// first bundle; it never leaves this (encrypted) database.
    #[serde(default)]
    pub answer_key: String,
}

const STATION: &str = "station";
/// The station's clock (ms) the last time this laptop heard from it, by sync or answer bundle.
const HEARD: &str = "station_heard_ms";
/// The lineage of the station's database this laptop last synced with.
const LINEAGE: &str = "station_lineage";

/// Where this laptop stands with the station's database, as the station says at the start of each
/// sync (also the wire type).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Standing {
    /// The lineage of the station's database: a restore from a backup starts a new one.
    pub lineage: String,
    /// The highest sequence up to which the station holds every change of this laptop.
    pub acked_seq: i64,
    /// The station's latest version.
    pub head: i64,
}

/// What following the station's standing did.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rewind {
    /// The station's database went back (restored from a backup): this laptop sends again what it
    /// had acknowledged since and downloads its scopes afresh.
    pub station_went_back: bool,
    /// Changes that will be sent again.
    pub resend: i64,
}

impl Store {
    pub fn station(&self) -> Result<Option<StationLink>> {
        self.setting(STATION)
    }

    pub fn set_station(&mut self, link: &StationLink) -> Result<()> {
        self.put_setting(STATION, link)
    }

    /// The station's clock (ms) when this laptop last heard from it (0: never): an answer bundle
    /// written before that is out of date.
    pub fn station_heard_ms(&self) -> Result<i64> {
        Ok(super::settings::text(&self.conn, HEARD)?
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0))
    }

    /// Notes that the station's clock read `ms` when it last answered (kept if later).
    pub fn heard_from_station(&mut self, ms: i64) -> Result<()> {
        super::exec(
            &self.conn,
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            [HEARD, &ms.to_string()],
        )?;
        Ok(())
    }

    /// Takes the station's word on where this laptop stands. If the station's database went back
    /// (a new lineage, or it holds fewer of this laptop's changes, or fewer versions, than it once
    /// told this laptop), the acknowledgement moves back to what the station holds — those changes
    /// go again, the station keeps each once — and every scope downloads afresh, since the cursors
    /// count versions the station no longer has. Local values of changes not yet acknowledged again
    /// stay as they are (a pull never overwrites them).
    pub fn follow_station(&mut self, standing: &Standing) -> Result<Rewind> {
        // A station from before lineages says nothing of where the laptop stands (an empty
        // standing): nothing to follow, rather than taking its silence for a station gone back.
        if standing.lineage.is_empty() {
            return Ok(Rewind::default());
        }
        let tx = self.conn.transaction()?;
        let known = super::settings::text(&tx, LINEAGE)?;
        let acked: i64 = super::query_one(
            &tx,
            "SELECT acked_seq FROM device WHERE singleton = 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
        let furthest: i64 = super::query_one(
            &tx,
            "SELECT coalesce(max(cursor), 0) FROM pull_cursors",
            [],
            |r| r.get(0),
        )?;
        let new_lineage = known.as_deref().is_some_and(|k| k != standing.lineage);
        let went_back = new_lineage || standing.acked_seq < acked || standing.head < furthest;
        let mut rewind = Rewind::default();
        if went_back {
            let to = standing.acked_seq.min(acked).max(0);
            super::exec(
                &tx,
                "UPDATE device SET acked_seq = ?1 WHERE singleton = 1",
                [to],
            )?;
            super::exec(&tx, "DELETE FROM pull_cursors", [])?;
            super::exec(
                &tx,
                "UPDATE device SET pull_cursor = 0 WHERE singleton = 1",
                [],
            )?;
            rewind = Rewind {
                station_went_back: true,
                resend: acked - to,
            };
        }
        super::settings::put_text(&tx, LINEAGE, &standing.lineage)?;
        tx.commit()?;
        Ok(rewind)
    }

    /// Forgets the lineage of the station last synced with (a new enrolment: another station, or
    /// this one anew, is not one that went back).
    pub fn forget_station_lineage(&mut self) -> Result<()> {
        super::exec(&self.conn, "DELETE FROM settings WHERE key = ?1", [LINEAGE])?;
        Ok(())
    }

    /// The highest device sequence the station has acknowledged.
    pub fn acked_seq(&self) -> Result<i64> {
        Ok(super::query_one(
            &self.conn,
            "SELECT acked_seq FROM device WHERE singleton = 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
    }

    /// Records the station's acknowledgement (never moving backwards) and the time of contact.
    pub fn record_ack(&mut self, acked: i64) -> Result<()> {
        super::exec(
            &self.conn,
            "UPDATE device SET acked_seq = max(acked_seq, ?1), last_sync_at = ?2 WHERE singleton = 1",
            params![acked, crate::time::format(&crate::time::now())],
        )?;
        Ok(())
    }

    pub fn pull_cursor(&self) -> Result<i64> {
        Ok(super::query_one(
            &self.conn,
            "SELECT pull_cursor FROM device WHERE singleton = 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
    }

    /// Starts the download over (a new enrolment): the next pull asks for everything.
    pub fn reset_pull_cursor(&mut self) -> Result<()> {
        super::exec(
            &self.conn,
            "UPDATE device SET pull_cursor = 0 WHERE singleton = 1",
            [],
        )?;
        Ok(())
    }

    /// Applies one pulled page and moves the cursor to `cursor`, in one transaction.
    pub fn apply_pulled(&mut self, records: &[RemoteRecord], cursor: i64) -> Result<u32> {
        check_pulled(records)?;
        // The station's records arrive in version order, not parent-first (a household edited after
        // its residents were registered comes after them), so references are checked by the station,
        // not here.
        self.without_foreign_keys(|store| store.apply_pulled_in_tx(records, cursor))
    }

    fn apply_pulled_in_tx(&mut self, records: &[RemoteRecord], cursor: i64) -> Result<u32> {
        let tx = self.conn.transaction()?;
        let applied = apply_records(&tx, records)?;
        super::exec(
            &tx,
            "UPDATE device SET pull_cursor = max(pull_cursor, ?1), last_sync_at = ?2 WHERE singleton = 1",
            params![cursor, crate::time::format(&crate::time::now())],
        )?;
        tx.commit()?;
        Ok(applied)
    }
}

/// Takes the station's clock (`station_ms`, 0: not said) into this device's hybrid clock, so that
/// its next changes are ordered after what the station has seen, inside the caller's transaction
/// (a pulled page's or a push answer's, not a commit of its own).
pub(crate) fn observe_clock(tx: &rusqlite::Transaction<'_>, station_ms: i64) -> Result<()> {
    let now = chrono::Utc::now().timestamp_millis();
    if station_ms <= 0 {
        return Ok(());
    }
    let station = Hlc {
        ms: station_ms,
        counter: 0,
    };
    super::advance_clock(tx, |last| last.observe(station, now))?;
    super::exec(
        tx,
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
        [HEARD, &station_ms.to_string()],
    )?;
    Ok(())
}

/// Takes the station's versions of records this laptop's push wrote as it holds them (inside the
/// caller's transaction); a version already above (a later pull) stays.
pub(crate) fn take_versions(tx: &rusqlite::Transaction<'_>, landed: &[Landed]) -> Result<()> {
    // A push's answer names a thousand records, of a few kinds: each kind's statement is written
    // and prepared once.
    let tx = &Tx::new(tx);
    let mut texts: HashMap<&'static str, String> = HashMap::new();
    for l in landed {
        let table = spec_of(l.entity).table;
        let sql = texts.entry(table).or_insert_with(|| {
            format!("UPDATE {table} SET version = ?2 WHERE id = ?1 AND version < ?2")
        });
        super::exec(tx, sql, params![l.id.hyphenated().to_string(), l.version])?;
    }
    Ok(())
}

/// Every record the station sent is well-formed (before any of them is written).
pub(crate) fn check_pulled(records: &[RemoteRecord]) -> Result<()> {
    for r in records {
        check_fields(r.entity, &r.id.to_string(), &r.fields).map_err(|e| {
            Error::Sqlite(rusqlite::Error::ToSqlConversionFailure(
                format!("pulled {} {}: {e}", r.entity.as_str(), r.id).into(),
            ))
        })?;
    }
    Ok(())
}

/// Writes the station's copies of records inside the caller's transaction (foreign keys off), each
/// with its station version; fields this device edited and has not had acknowledged keep their
/// local values.
pub(crate) fn apply_records(
    tx: &rusqlite::Transaction<'_>,
    records: &[RemoteRecord],
) -> Result<u32> {
    // A page of a thousand records runs the same few statements over and over.
    let tx = &Tx::new(tx);
    let acked: i64 = super::query_one(
        tx,
        "SELECT acked_seq FROM device WHERE singleton = 1",
        [],
        |r| r.get(0),
    )?;
    // Asked once per page: a first download, or a laptop whose edits are all acknowledged, has no
    // record to look up in its change log.
    let any_unsent: bool = super::query_one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM changes WHERE device_seq > ?1)",
        [acked],
        |r| r.get(0),
    )?;
    let mut applied = 0;
    for r in records {
        let spec = spec_of(r.entity);
        let id = r.id.hyphenated().to_string();
        // Fields edited here and not yet acknowledged keep their local values.
        let mut unsent: HashSet<String> = HashSet::new();
        if any_unsent {
            let mut stmt = tx.prepare_cached(
                "SELECT fields FROM changes WHERE entity = ?1 AND entity_id = ?2 AND device_seq > ?3",
            )?;
            for fields in stmt.query_map(params![r.entity.as_str(), id, acked], |row| {
                row.get::<_, String>(0)
            })? {
                let fields: Map<String, Value> = serde_json::from_str(&fields?)?;
                unsent.extend(fields.keys().cloned());
            }
        }
        // A record new here is inserted whole; one already here takes the station's copy, less
        // the fields that keep their local values. (Inserting first: most pulled records are new
        // — a first download, the other officers' visits — and are then bound once.)
        let inserted = insert_row_if_new(tx, spec, &id, &r.fields, r.version)?;
        if !inserted {
            let kept: Cow<'_, Map<String, Value>> = if unsent.is_empty() {
                Cow::Borrowed(&r.fields)
            } else {
                Cow::Owned(
                    r.fields
                        .iter()
                        .filter(|(k, _)| !unsent.contains(*k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                )
            };
            update_row(tx, spec, &id, &kept, Some(r.version))?;
        }
        // What is derived (search index, normalised address) is worked out from the values now
        // stored: the station's own when they were all taken, else read back.
        let derived = super::records::derived_from(r.entity);
        if !derived.is_empty() {
            let whole = inserted
                || (unsent.is_empty() && derived.iter().all(|k| r.fields.contains_key(*k)));
            if whole {
                update_derived(tx, r.entity, r.id, &r.fields)?;
            } else {
                update_derived(tx, r.entity, r.id, &current_fields(tx, r.entity, &id)?)?;
            }
        }
        applied += 1;
    }
    // A photo deleted elsewhere takes its bytes with it.
    if records.iter().any(|r| r.entity == EntityKind::Photo) {
        super::photos::collect_blobs(tx)?;
    }
    Ok(applied)
}

/// The stored fields of one record (for recomputing what is derived from them).
pub(crate) fn current_fields(
    tx: &rusqlite::Transaction<'_>,
    entity: EntityKind,
    id: &str,
) -> Result<Map<String, Value>> {
    use crate::model::*;
    let sql = |spec: &EntitySpec| format!("{} WHERE id = ?1", super::records::select_sql(spec));
    let value = match entity {
        EntityKind::Household => serde_json::to_value(super::query_one(
            tx,
            &sql(Household::SPEC),
            [id],
            super::records::from_row::<Household>,
        )?)?,
        EntityKind::Resident => serde_json::to_value(super::query_one(
            tx,
            &sql(Resident::SPEC),
            [id],
            super::records::from_row::<Resident>,
        )?)?,
        _ => return Ok(Map::new()),
    };
    Ok(value.as_object().cloned().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Household, HouseholdKind};

    /// A laptop with two changes, both acknowledged, and a beat downloaded up to version 40.
    fn synced_laptop() -> Store {
        let mut store = Store::open_in_memory().unwrap();
        store.init_device("张警官", &["幸福社区".into()]).unwrap();
        for address in ["幸福路1号", "幸福路2号"] {
            store
                .save(&Household::new(
                    "幸福社区",
                    address,
                    HouseholdKind::Residence,
                ))
                .unwrap();
        }
        store.record_ack(2).unwrap();
        store
            .conn
            .execute(
                "INSERT INTO pull_cursors (scope, cursor) VALUES ('beat:幸福社区', 40)",
                [],
            )
            .unwrap();
        store
    }

    fn standing(lineage: &str, acked_seq: i64, head: i64) -> Standing {
        Standing {
            lineage: lineage.into(),
            acked_seq,
            head,
        }
    }

    #[test]
    fn a_station_restored_from_a_backup_is_followed_back_and_a_silent_one_is_not() {
        let mut store = synced_laptop();
        // The first standing is remembered; the station holds all: nothing to do.
        assert_eq!(
            store.follow_station(&standing("a", 2, 50)).unwrap(),
            Rewind::default()
        );
        // A station from before lineages says nothing: its silence is not a restore.
        assert_eq!(
            store.follow_station(&standing("", 0, 0)).unwrap(),
            Rewind::default()
        );
        assert_eq!(store.acked_seq().unwrap(), 2);
        // Restored from a backup holding one of the two changes: the other goes again, and the
        // beat downloads afresh.
        let rewind = store.follow_station(&standing("b", 1, 30)).unwrap();
        assert_eq!(
            rewind,
            Rewind {
                station_went_back: true,
                resend: 1
            }
        );
        assert_eq!(store.acked_seq().unwrap(), 1);
        assert_eq!(store.scope_cursor("beat:幸福社区").unwrap(), 0);
        assert_eq!(store.changes_after(1, 10).unwrap().len(), 1);
        // The same lineage afterwards is not news.
        assert_eq!(
            store.follow_station(&standing("b", 2, 60)).unwrap(),
            Rewind::default()
        );
    }

    #[test]
    fn a_station_copied_back_by_hand_is_noticed_by_what_it_no_longer_holds() {
        // Same lineage (the file put back without the restore command), but fewer versions than
        // the laptop downloaded.
        let mut store = synced_laptop();
        store.follow_station(&standing("a", 2, 50)).unwrap();
        assert!(
            store
                .follow_station(&standing("a", 2, 35))
                .unwrap()
                .station_went_back
        );
        assert_eq!(store.scope_cursor("beat:幸福社区").unwrap(), 0);
    }
}
