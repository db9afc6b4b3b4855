//! What a laptop downloads: the records of one of its scopes changed since its cursor for that
//! scope, oldest version first, with the records that *left* the scope since then (a household
//! moved to another beat, with its residents, visits, concerns and tasks). A scope is one of the
//! account's beats, or the tasks assigned to the account elsewhere (with the household and concern
//! each is about). Keeping a cursor per scope means a beat newly given to an officer downloads in
//! full, whatever the laptop's other cursors say.
//!
//! The beats are the account's as the station holds them now, never the laptop's own idea of them.
//! A confidential concern's reporter reaches only its recording officer's laptops (and a chief's).
//!
//! A record whose current state is exactly a run of changes the laptop pushed in this same sync
//! (it names their sequences, [`Pushed`]; see migration 0018) is not sent back: the laptop holds it already, and its
//! version came with the push's answer. Before, a laptop that pushed 20,000 records downloaded all
//! of them again. The page still counts such a record, so the cursor moves past it.

use super::records::RecordRow;
use super::{
    Principal, Result, StationError, StationStore, bad, confidential, query_one, record_row,
};
use doorstep_core::ids::DeviceId;
use doorstep_core::model::EntityKind;
use doorstep_protocol::{PullResponse, RecordSnapshot, Removal, limits};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::HashSet;
use uuid::Uuid;

/// Which part of a laptop's work a pull is for.
#[derive(Debug, Clone, PartialEq)]
pub enum PullScope {
    /// Every beat of the account and its assigned tasks, from one cursor (laptops before scopes).
    All,
    /// One beat of the account.
    Beat(String),
    /// The tasks assigned to the account in other beats, with what they are about.
    Tasks,
}

impl PullScope {
    /// `beat:NAME`, `tasks`, or nothing for [`PullScope::All`].
    pub fn parse(text: Option<&str>) -> Option<PullScope> {
        match text {
            None | Some("") => Some(PullScope::All),
            Some("tasks") => Some(PullScope::Tasks),
            Some(other) => other
                .strip_prefix("beat:")
                .filter(|b| !b.is_empty())
                .map(|b| PullScope::Beat(b.to_string())),
        }
    }
}

/// The sequences of the changes a laptop pushed in the sync that pulls: above `after`, up to
/// `through` (both 0: none). Only the laptop itself is spared what it names, so a laptop that names
/// the wrong range (a bug, or a lie) only fails to receive its own records.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pushed {
    pub after: i64,
    pub through: i64,
}

/// One record of a pull page as the station sends it: [`RecordSnapshot`]'s wire form, with the
/// fields the stored JSON text as it is (withheld already where the reader may not see; checked to
/// be JSON), not parsed into a map and written out again — that was a third of the station's work
/// on a first download.
#[derive(Debug, Serialize)]
pub struct SentRecord {
    pub entity: EntityKind,
    pub id: Uuid,
    pub version: i64,
    pub deleted: bool,
    pub fields: Box<RawValue>,
}

impl SentRecord {
    fn from_row((entity, id, version, deleted, fields): RecordRow) -> Result<SentRecord> {
        Ok(SentRecord {
            entity: EntityKind::parse(&entity).ok_or_else(|| bad("stored entity"))?,
            id: id.parse().map_err(|_| bad("stored id"))?,
            version,
            deleted,
            fields: RawValue::from_string(fields)?,
        })
    }

    /// The record as a laptop reads it.
    fn parse(self) -> Result<RecordSnapshot> {
        Ok(RecordSnapshot {
            entity: self.entity,
            id: self.id,
            version: self.version,
            deleted: self.deleted,
            fields: serde_json::from_str(self.fields.get())?,
        })
    }
}

/// A pull page as the station sends it: [`PullResponse`]'s wire form, its records as stored.
#[derive(Debug, Serialize)]
pub struct PullPage {
    pub records: Vec<SentRecord>,
    pub removed: Vec<Removal>,
    pub cursor: i64,
    pub more: bool,
    pub head: i64,
    pub station_time_ms: i64,
}

impl PullPage {
    /// The page as a laptop reads it (an answer bundle carries it so).
    pub fn parse(self) -> Result<PullResponse> {
        Ok(PullResponse {
            records: self
                .records
                .into_iter()
                .map(SentRecord::parse)
                .collect::<Result<_>>()?,
            removed: self.removed,
            cursor: self.cursor,
            more: self.more,
            head: self.head,
            station_time_ms: self.station_time_ms,
        })
    }
}

/// Bytes of records' fields a page holds at most, whatever number of records was asked: a page of
/// 5,000 records with long notes (up to 10,000 characters each) would be 150 MB to hold, send and
/// decode — and a laptop reads at most 10 MB of an answer, so a beat of long notes could never be
/// downloaded. The page ends before the record that would pass this, and the laptop asks for the
/// rest; a record larger than this alone (a push's body bounds it) comes in a page of its own.
pub const PAGE_BYTES: usize = 4 << 20;

/// The versions of one beat's next page: read in order from `records_beat_version`, so the cost
/// is the page's, whatever the rest of the station wrote since the cursor.
const BEAT_PAGE: &str =
    "SELECT version FROM records WHERE beat = ?1 AND version > ?2 ORDER BY version LIMIT ?3";

impl StationStore {
    pub fn pull(
        &self,
        device_id: DeviceId,
        cursor: i64,
        limit: u32,
        scope: &PullScope,
        viewer: &Principal,
        pushed: Pushed,
    ) -> Result<PullPage> {
        // One committed state for the whole page, whichever connection reads it (a reading one
        // sees pushes commit meanwhile). Only read: it ends by rolling back.
        let _snapshot = self.conn.unchecked_transaction()?;
        let officer: String = self
            .conn
            .query_row(
                "SELECT officer_name FROM devices WHERE device_id = ?1",
                [device_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StationError::UnknownDevice(device_id))?;
        // Tasks name their person responsible by account; rows from before accounts by name.
        let assignees = serde_json::to_string(&[viewer.account_id.as_str(), officer.as_str()])?;
        let (beats, assignee): (Vec<String>, Option<&str>) = match scope {
            PullScope::All => (viewer.beats.clone(), Some(&assignees)),
            PullScope::Beat(beat) => (vec![beat.clone()], None),
            PullScope::Tasks => (Vec::new(), Some(&assignees)),
        };
        // The account's own beats: their records, tasks assigned to the account among them, come
        // with the beats, never again through the tasks scope.
        let own = serde_json::to_string(&viewer.beats)?;
        let viewer = confidential::viewer_key(viewer);
        let limit = limit.clamp(1, limits::MAX_PULL);
        // Read before the page: a record written meanwhile has a version above it, so moving the
        // cursor to it (below) can never step over one.
        let head: i64 = query_one(
            &self.conn,
            "SELECT value FROM meta WHERE key = 'version'",
            [],
            |r| r.get(0),
        )?;
        // The page's versions first, each part of the scope read by its own index (a beat by
        // `records_beat_version`, assignments by their keys), then the page's records by version.
        let mut versions: Vec<i64> = Vec::new();
        let mut by_beat = self.conn.prepare_cached(BEAT_PAGE)?;
        for beat in &beats {
            for v in by_beat.query_map(params![beat, cursor, limit + 1], |r| r.get(0))? {
                versions.push(v?);
            }
        }
        if let Some(assignee) = assignee {
            let mut assigned = self.conn.prepare_cached(
                "SELECT r.version FROM assigned a JOIN records r ON r.entity = 'task' AND r.id = a.task_id
                 WHERE a.assignee IN (SELECT value FROM json_each(?1)) AND r.version > ?2
                   AND r.beat NOT IN (SELECT value FROM json_each(?4))
                 UNION SELECT r.version FROM assigned a JOIN records r ON r.entity = 'household' AND r.id = a.household_id
                 WHERE a.assignee IN (SELECT value FROM json_each(?1)) AND r.version > ?2
                   AND r.beat NOT IN (SELECT value FROM json_each(?4))
                 UNION SELECT r.version FROM assigned a JOIN records r ON r.entity = 'concern' AND r.id = a.concern_id
                 WHERE a.assignee IN (SELECT value FROM json_each(?1)) AND r.version > ?2
                   AND r.beat NOT IN (SELECT value FROM json_each(?4))
                 ORDER BY 1 LIMIT ?3",
            )?;
            let page = params![assignee, cursor, limit + 1, own];
            for v in assigned.query_map(page, |r| r.get(0))? {
                versions.push(v?);
            }
        }
        // A record in a beat and assigned too comes once; the records are then read by version,
        // so records sharing one (if ever) all come.
        versions.sort_unstable();
        versions.dedup();
        versions.truncate(limit as usize + 1);
        let beats = serde_json::to_string(&beats)?;
        // A record the laptop pushed as it holds it is read for its version only.
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT r.entity, r.id, r.version, r.deleted,
                    CASE WHEN r.echo_device = ?4 AND r.echo_from > ?5 AND r.echo_seq <= ?6 THEN NULL ELSE {} END,
                    r.beat IN (SELECT value FROM json_each(?2)) FROM records r
             WHERE r.version IN (SELECT value FROM json_each(?1)) ORDER BY r.version",
            confidential::visible_fields("r", "?3")
        ))?;
        let mut rows: Vec<(i64, Option<SentRecord>, bool)> = Vec::new();
        let versions = serde_json::to_string(&versions)?;
        let echo = params![
            versions,
            own,
            viewer,
            device_id,
            pushed.after,
            pushed.through
        ];
        for row in stmt.query_map(echo, |r| {
            let fields: Option<String> = r.get(4)?;
            let record = match fields {
                Some(fields) => Some((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, fields)),
                None => None,
            };
            Ok((r.get::<_, i64>(2)?, record, r.get::<_, bool>(5)?))
        })? {
            let (version, record, in_beat) = row?;
            rows.push((
                version,
                record.map(SentRecord::from_row).transpose()?,
                in_beat,
            ));
        }
        let mut exits: Vec<Removal> = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT entity, id, version FROM scope_exits
             WHERE beat IN (SELECT value FROM json_each(?2)) AND version > ?1 ORDER BY version LIMIT ?3",
        )?;
        for row in stmt.query_map(params![cursor, beats, limit + 1], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })? {
            let (entity, id, version) = row?;
            exits.push(Removal {
                entity: EntityKind::parse(&entity)
                    .ok_or_else(|| StationError::Internal("stored entity".into()))?,
                id: id
                    .parse()
                    .map_err(|_| StationError::Internal("stored id".into()))?,
                version,
            });
        }
        // One page of both, by version: the page ends where either list was cut, or before the
        // record that would bring its fields past `PAGE_BYTES`.
        let cut = |versions: &mut dyn Iterator<Item = i64>, n: usize| versions.nth(n);
        let records_cut = cut(&mut rows.iter().map(|(v, _, _)| *v), limit as usize);
        let exits_cut = cut(&mut exits.iter().map(|e| e.version), limit as usize);
        let count_cut = [records_cut, exits_cut].into_iter().flatten().min();
        // A task assigned from another beat arrives with its household and concern, whose versions
        // may lie below the cursor: they go first, whatever their version (applying twice is
        // harmless), and their bytes count with the task's — a page of small tasks can bring
        // 60 kB each.
        let mut about = self.conn.prepare_cached(&format!(
            "SELECT r.entity, r.id, r.version, r.deleted, {} FROM assigned a
             JOIN records r ON (r.entity = 'household' AND r.id = a.household_id)
                            OR (r.entity = 'concern' AND r.id = a.concern_id)
             WHERE a.assignee IN (SELECT value FROM json_each(?1)) AND a.task_id = ?2",
            confidential::visible_fields("r", "?3")
        ))?;
        let mut first: Vec<SentRecord> = Vec::new();
        let mut brought: HashSet<Uuid> = HashSet::new();
        let (mut bytes, mut bytes_cut) = (0, None);
        for (version, record, in_beat) in &rows {
            if count_cut.is_some_and(|c| *version >= c) {
                break;
            }
            // A record the laptop holds already is sent as nothing.
            let Some(record) = record else { continue };
            let mut with = Vec::new();
            if !in_beat && record.entity == EntityKind::Task {
                let task = record.id.hyphenated().to_string();
                for row in about.query_map(params![assignees, task, viewer], record_row)? {
                    let row = SentRecord::from_row(row?)?;
                    if !brought.contains(&row.id) {
                        with.push(row);
                    }
                }
            }
            let len: usize = std::iter::once(record)
                .chain(&with)
                .map(|r| r.fields.get().len())
                .sum();
            // A page always keeps its first record: an empty page that says "more" would loop.
            if bytes > 0 && bytes + len > PAGE_BYTES {
                bytes_cut = Some(*version);
                break;
            }
            bytes += len;
            brought.extend(with.iter().map(|r| r.id));
            first.extend(with);
        }
        let bound = count_cut.into_iter().chain(bytes_cut).min();
        let more = bound.is_some();
        if let Some(bound) = bound {
            rows.retain(|(v, _, _)| *v < bound);
            exits.retain(|e| e.version < bound);
        }
        let cursor = rows
            .last()
            .map(|(v, _, _)| *v)
            .into_iter()
            .chain(exits.last().map(|e| e.version))
            .max()
            .unwrap_or(cursor);
        let records: Vec<SentRecord> = rows.into_iter().filter_map(|(_, r, _)| r).collect();
        // A household or concern in the page itself comes once, at its place in it.
        let in_page: HashSet<Uuid> = records.iter().map(|r| r.id).collect();
        first.retain(|r| !in_page.contains(&r.id));
        first.extend(records);
        // A complete page leaves nothing of the scope below the head unsent: the cursor moves to
        // the head. Without this, a scope with nothing in it (a laptop with no tasks from other
        // beats) kept its cursor at 0 and every sync read the whole station from there (an
        // incremental sync took 279 ms at 1M changes against 18 ms at 10k).
        let cursor = if more { cursor } else { cursor.max(head) };
        Ok(PullPage {
            records: first,
            removed: exits,
            cursor,
            more,
            head,
            station_time_ms: chrono::Utc::now().timestamp_millis(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record sent as stored reads on the laptop as the record parsed and written out again did:
    /// names, escapes and nested values alike; stored text that is not JSON is an error, never a
    /// broken page.
    #[test]
    fn a_record_sent_as_stored_reads_as_the_record_itself() {
        let fields = r#"{"name":"王小\"明\"","notes":"第一行\n第二行 \u00e9","tags":["独居老人"],"rating":null,"n":3}"#;
        let id = Uuid::new_v4();
        let row = || -> RecordRow { ("resident".into(), id.to_string(), 42, false, fields.into()) };
        let sent = serde_json::to_string(&SentRecord::from_row(row()).unwrap()).unwrap();
        let read: RecordSnapshot = serde_json::from_str(&sent).unwrap();
        assert_eq!(
            read,
            RecordSnapshot {
                entity: EntityKind::Resident,
                id,
                version: 42,
                deleted: false,
                fields: serde_json::from_str(fields).unwrap(),
            }
        );
        assert_eq!(read.fields["name"], "王小\"明\"");
        assert_eq!(SentRecord::from_row(row()).unwrap().parse().unwrap(), read);
        let broken = (
            "resident".into(),
            id.to_string(),
            42,
            false,
            "{\"name\":".into(),
        );
        assert!(SentRecord::from_row(broken).is_err());
    }

    /// A beat's page is read from the beat's own index in version order: neither a scan of every
    /// record written since the cursor (at 500 laptops each pull read everyone's edits) nor a sort.
    #[test]
    fn a_beats_page_is_read_from_its_index_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = StationStore::open(&dir.path().join("s.sqlite")).unwrap();
        let plan = super::super::query_plan(store.conn(), BEAT_PAGE);
        assert!(
            plan.iter()
                .any(|l| l.contains("COVERING INDEX records_beat_version")),
            "{plan:#?}"
        );
        assert!(!plan.iter().any(|l| l.contains("TEMP B-TREE")), "{plan:#?}");
    }
}
