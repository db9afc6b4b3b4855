//! The measurements: search by kind of query, and saving visits against raw SQLite inserts (the
//! desktop window's are in `window`).

use doorstep_core::Store;
use doorstep_core::ids::{HouseholdId, VisitId};
use doorstep_core::model::{Purpose, Rating, Visit};
use doorstep_core::store::visit_entry::VisitEntry;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct Stats {
    pub n: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub max: Duration,
}

impl Stats {
    pub fn of(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
        Stats {
            n: samples.len(),
            p50: at(0.5),
            p95: at(0.95),
            max: at(1.0),
        }
    }
    pub fn ms(d: Duration) -> String {
        format!("{:.2} ms", d.as_secs_f64() * 1000.0)
    }
}

/// A plain SQLite connection for the references, with the pragmas the laptop's and the station's
/// stores set (write-ahead log, every commit on the disk), so a reference differs from ours only
/// in the work done, not in durability.
pub fn raw_connection(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

pub fn time_each<E>(runs: usize, mut f: impl FnMut() -> Result<(), E>) -> Result<Stats, E> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        samples.push(t.elapsed());
    }
    Ok(Stats::of(samples))
}

pub struct SearchRow {
    label: &'static str,
    pub ours: Stats,
    reference: Option<Stats>,
}

impl SearchRow {
    pub fn markdown(&self) -> String {
        let (reference, ratio) = match &self.reference {
            Some(r) => (
                Stats::ms(r.p50),
                format!("{:.2}×", r.p50.as_secs_f64() / self.ours.p50.as_secs_f64()),
            ),
            None => ("—".into(), "—".into()),
        };
        format!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            self.label,
            self.ours.n,
            Stats::ms(self.ours.p50),
            Stats::ms(self.ours.p95),
            Stats::ms(self.ours.max),
            reference,
            ratio
        )
    }
}

/// Names and addresses sampled evenly from the file, turned into the queries officers type.
pub fn search(store: &Store) -> anyhow::Result<Vec<SearchRow>> {
    let conn = store.conn();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM residents WHERE seq % 700 = 0 LIMIT 300")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let addresses: Vec<String> = conn
        .prepare("SELECT address FROM households WHERE seq % 250 = 0 LIMIT 300")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let pinyin = |name: &str, i: usize| {
        doorstep_core::search::pinyin_tokens(name)
            .split(' ')
            .nth(i)
            .unwrap_or_default()
            .to_string()
    };
    let given: Vec<String> = names.iter().map(|n| n.chars().skip(1).collect()).collect();
    let fragments: Vec<String> = addresses
        .iter()
        .map(|a| a.chars().skip(2).take(4).collect())
        .collect();
    let kinds: [(&'static str, Vec<String>, bool); 5] = [
        ("full name in characters (张三)", names.clone(), true),
        ("given name only, 1-2 characters (三)", given, true),
        (
            "pinyin initials (zs)",
            names.iter().map(|n| pinyin(n, 1)).collect(),
            false,
        ),
        (
            "full pinyin (zhangsan)",
            names.iter().map(|n| pinyin(n, 0)).collect(),
            false,
        ),
        ("part of an address (福路12号)", fragments, true),
    ];
    let mut rows = Vec::new();
    for (label, queries, like_reference) in kinds {
        let mut samples = Vec::new();
        for q in &queries {
            let t = Instant::now();
            store.search(q, 30)?;
            samples.push(t.elapsed());
        }
        let reference = if like_reference {
            // The same substring found by scanning names (or addresses) with LIKE, 30 rows.
            let sql = if label.starts_with("part") {
                "SELECT id FROM households WHERE address LIKE ?1 LIMIT 30"
            } else {
                "SELECT id FROM residents WHERE name LIKE ?1 LIMIT 30"
            };
            let mut stmt = conn.prepare(sql)?;
            let mut samples = Vec::new();
            for q in queries.iter().take(60) {
                let t = Instant::now();
                let n = stmt
                    .query_map([format!("%{q}%")], |r| r.get::<_, String>(0))?
                    .count();
                std::hint::black_box(n);
                samples.push(t.elapsed());
            }
            Some(Stats::of(samples))
        } else {
            None
        };
        rows.push(SearchRow {
            label,
            ours: Stats::of(samples),
            reference,
        });
    }
    Ok(rows)
}

fn a_visit(rng: &mut ChaCha8Rng, household_id: HouseholdId) -> Visit {
    Visit {
        id: VisitId::new(),
        version: 0,
        household_id,
        visited_at: doorstep_core::time::now(),
        officers: vec!["李警官".into()],
        purposes: vec![Purpose::ALL[rng.random_range(0..6)]],
        met: vec![],
        notes: "检查了燃气管道和电线，提醒不要在楼道给电动车充电。住户反映楼道照明损坏，已记录。"
            .into(),
        inquiry_areas: vec![],
        rating: Some(Rating::Satisfied),
        opinions: String::new(),
        location: String::new(),
        deleted: false,
    }
}

/// Saving visits through the core, with and without a concern and task, against raw one-row
/// insert transactions of the same visit columns in a file with the same pragmas on the same disk.
/// A core save and a raw one alternate, so that both meet the disk in the same state (measured
/// one series after the other, the ratio moved between 1.2x and 1.6x from run to run).
pub fn save_visit(store: &mut Store, dir: &Path) -> anyhow::Result<Vec<(&'static str, Stats)>> {
    let ids: Vec<HouseholdId> = store
        .conn()
        .prepare("SELECT id FROM households WHERE seq % 50 = 0")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let raw_path = dir.join("raw.sqlite");
    let raw = raw_connection(&raw_path)?;
    raw.execute_batch(
        "CREATE TABLE visits (id TEXT PRIMARY KEY, version INTEGER, household_id TEXT, visited_at TEXT, officers TEXT,
           purposes TEXT, met TEXT, notes TEXT, inquiry_areas TEXT, rating TEXT, opinions TEXT, location TEXT, deleted INTEGER)",
    )?;
    let mut plain = Vec::new();
    let mut raw_samples = Vec::new();
    for i in 0..1000 {
        let entry = VisitEntry {
            visit: a_visit(&mut rng, ids[i % ids.len()]),
            concerns: vec![],
            tasks: vec![],
            draft_id: None,
        };
        let t = Instant::now();
        store.record_visit(&entry)?;
        plain.push(t.elapsed());

        let v = a_visit(&mut rng, ids[i % ids.len()]);
        let t = Instant::now();
        raw.prepare_cached(
            "INSERT INTO visits VALUES (?1, 0, ?2, ?3, ?4, ?5, '[]', ?6, '[]', 'satisfied', '', '', 0)",
        )?
        .execute(rusqlite::params![
            v.id.to_string(),
            v.household_id.to_string(),
            doorstep_core::time::format(&v.visited_at),
            serde_json::to_string(&v.officers)?,
            serde_json::to_string(&v.purposes)?,
            v.notes
        ])?;
        raw_samples.push(t.elapsed());
    }
    let mut with_concern = Vec::new();
    for i in 0..300 {
        let visit = a_visit(&mut rng, ids[i % ids.len()]);
        let mut concern = doorstep_core::model::Concern::new(
            visit.household_id,
            doorstep_core::model::ConcernCategory::SafetyHazard,
            "楼道堆放杂物",
        );
        concern.visit_id = Some(visit.id);
        let mut task = doorstep_core::model::Task::new(
            visit.household_id,
            "督促清理楼道",
            "李警官",
            chrono::Utc::now().date_naive(),
        );
        task.concern_id = Some(concern.id);
        let entry = VisitEntry {
            visit,
            concerns: vec![concern],
            tasks: vec![task],
            draft_id: None,
        };
        let t = Instant::now();
        store.record_visit(&entry)?;
        with_concern.push(t.elapsed());
    }

    Ok(vec![
        (
            "visit + its change (core, `record_visit`)",
            Stats::of(plain),
        ),
        (
            "visit + concern + task, 3 changes, one transaction",
            Stats::of(with_concern),
        ),
        (
            "reference: raw SQLite, one visit row per transaction, same pragmas",
            Stats::of(raw_samples),
        ),
    ])
}
