//! The station's overview and monthly summary at the scale: 50 beats, 100k households,
//! 2M visits, 200k concerns, pushed into a station store in this process (the HTTP path is
//! measured by the sync figures). Reports p50/p95 of the overview, a worklist, the monthly summary
//! and its PDF.

use crate::measure::{Stats, time_each};
use crate::station::{DeviceInfo, enroll_in_store};
use chrono::{Duration, Months, Utc};
use doorstep_core::hlc::Hlc;
use doorstep_core::ids::{ChangeId, DeviceId, OfficerId};
use doorstep_core::model::{
    Concern, ConcernCategory, ConcernStatus, EntityKind, FeedbackMethod, Household, HouseholdKind,
    InquiryArea, Purpose, Rating, Record, Tag, Visit,
};
use doorstep_core::store::changes::Change;
use doorstep_station::store::{StationStore, Worklist};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

pub struct Scale {
    pub beats: usize,
    pub households: usize,
    pub visits: usize,
    pub concerns: usize,
}

/// One officer's device pushing its beat's records in batches of 1000.
struct Officer {
    info: DeviceInfo,
    seq: i64,
    batch: Vec<Change>,
}

impl Officer {
    fn add<R: Record>(
        &mut self,
        store: &mut StationStore,
        entity: EntityKind,
        record: &R,
    ) -> anyhow::Result<()> {
        self.seq += 1;
        self.batch.push(Change {
            change_id: ChangeId::new(),
            device_id: self.info.device_id,
            device_seq: self.seq,
            officer_id: self.info.officer_id,
            entity,
            entity_id: record.id(),
            fields: record.fields()?,
            base_version: 0,
            hlc: Hlc {
                ms: Utc::now().timestamp_millis(),
                counter: self.seq as u32,
            },
            created_at: doorstep_core::time::now(),
        });
        if self.batch.len() == 1000 {
            self.flush(store)?;
        }
        Ok(())
    }

    fn flush(&mut self, store: &mut StationStore) -> anyhow::Result<()> {
        if !self.batch.is_empty() {
            store.push(self.info.device_id, &self.batch)?;
            self.batch.clear();
        }
        Ok(())
    }
}

/// Fills `store` with the scale's records, spread over the last year.
fn fill(store: &mut StationStore, scale: &Scale) -> anyhow::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let now = Utc::now();
    let per_beat = scale.households / scale.beats;
    let visits_each = scale.visits / scale.households;
    let concerns_each = scale.concerns / scale.households;
    for b in 0..scale.beats {
        let info = DeviceInfo {
            device_id: DeviceId::new(),
            officer_id: OfficerId::new(),
            officer_name: format!("民警{b:02}"),
            beats: vec![format!("第{b:02}责任区")],
        };
        enroll_in_store(store, &info)?;
        let mut officer = Officer {
            info,
            seq: 0,
            batch: Vec::with_capacity(1000),
        };
        for n in 0..per_beat {
            let mut h = Household::new(
                officer.info.beats[0].clone(),
                format!("幸福路{n}号"),
                HouseholdKind::Residence,
            );
            h.registered_at = now - Duration::days(400);
            if rng.random_bool(0.2) {
                h.tags = vec![Tag::ElderlyAlone];
            }
            officer.add(store, EntityKind::Household, &h)?;
            for _ in 0..visits_each {
                let v = Visit {
                    id: doorstep_core::ids::VisitId::new(),
                    version: 0,
                    household_id: h.id,
                    visited_at: now - Duration::minutes(rng.random_range(0..365 * 24 * 60)),
                    officers: vec![officer.info.officer_name.clone()],
                    purposes: vec![Purpose::ALL[rng.random_range(0..Purpose::ALL.len())]],
                    met: vec![],
                    notes: "检查了燃气管道和电线，提醒不要在楼道给电动车充电。".into(),
                    inquiry_areas: if rng.random_bool(0.1) {
                        vec![InquiryArea::PublicOrder]
                    } else {
                        vec![]
                    },
                    rating: Some(Rating::ALL[rng.random_range(0..Rating::ALL.len())]),
                    opinions: if rng.random_bool(0.1) {
                        "希望加强夜间巡逻".into()
                    } else {
                        String::new()
                    },
                    location: String::new(),
                    deleted: false,
                };
                officer.add(store, EntityKind::Visit, &v)?;
            }
            for _ in 0..concerns_each {
                let category =
                    ConcernCategory::ALL[rng.random_range(0..ConcernCategory::ALL.len())];
                let mut c = Concern::new(h.id, category, "楼道堆放杂物");
                c.raised_at =
                    now - Duration::minutes(rng.random_range(60 * 24 * 30..365 * 24 * 60));
                if rng.random_bool(0.6) {
                    let closed = c.raised_at + Duration::days(rng.random_range(1..30));
                    c.status = ConcernStatus::Closed;
                    c.feedback.at = Some(closed);
                    c.feedback.method = Some(FeedbackMethod::Phone);
                    c.closed_at = Some(closed);
                }
                officer.add(store, EntityKind::Concern, &c)?;
            }
        }
        officer.flush(store)?;
    }
    Ok(())
}

/// The reference for the summary: what it did before migration 0021 — the month's visits read
/// through the index on their time and each one's JSON parsed.
fn month_of_visit_json(store: &StationStore, month: &str) -> anyhow::Result<()> {
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")?;
    let (start, end) = (
        doorstep_core::time::local_day_start(first),
        doorstep_core::time::local_day_start(first + Months::new(1)),
    );
    let mut stmt = store.conn().prepare_cached(
        "SELECT fields FROM records WHERE entity = 'visit' AND deleted = 0
           AND json_extract(fields, '$.visited_at') >= ?1 AND json_extract(fields, '$.visited_at') < ?2",
    )?;
    let mut n = 0usize;
    for row in stmt.query_map([start, end], |r| r.get::<_, String>(0))? {
        let visit: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&row?)?;
        n += visit.len();
    }
    std::hint::black_box(n);
    Ok(())
}

/// The reference for the first overview: what coverage history read before migration 0022 —
/// every visit's household and time out of its JSON.
fn every_visit_json(store: &StationStore) -> anyhow::Result<()> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT json_extract(fields, '$.household_id'), json_extract(fields, '$.visited_at') FROM records
         WHERE entity = 'visit' AND deleted = 0",
    )?;
    let mut n = 0usize;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (household, at) = row?;
        n += household.len() + at.len();
    }
    std::hint::black_box(n);
    Ok(())
}

/// Fills a station store at `keep` (reusing it if it is there) or in a temporary directory, and
/// times the reports on it.
pub fn run(scale: &Scale, keep: Option<&Path>, command: &str) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let path = keep.map_or_else(|| dir.path().join("station.sqlite"), Path::to_path_buf);
    let reused = path.exists();
    let t = Instant::now();
    let mut store = StationStore::open(&path)?;
    if !reused {
        fill(&mut store, scale)?;
    }
    let filled = t.elapsed();
    let size = std::fs::metadata(&path)?.len() as f64 / 1e6;
    let today = chrono::Local::now().date_naive();
    let month = (today - Months::new(1)).format("%Y-%m").to_string();

    // The first overview after the store opened (its statements not yet prepared, its pages
    // perhaps not cached), then each after a laptop's late visits (1000, in the past eleven weeks)
    // were stored: the coverage history moves as they are written, so the overview reads the same.
    let first = {
        let _phase = crate::phases::mark("overview");
        time_each(1, || store.overview(today).map(drop))?
    };
    let mut late = Officer {
        info: DeviceInfo {
            device_id: DeviceId::new(),
            officer_id: OfficerId::new(),
            officer_name: "民警迟到".into(),
            beats: vec!["第07责任区".into()],
        },
        seq: 0,
        batch: Vec::with_capacity(1000),
    };
    enroll_in_store(&mut store, &late.info)?;
    let households: Vec<String> = store
        .conn()
        .prepare("SELECT id FROM household_status WHERE beat = '第07责任区' AND deleted = 0")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut after_late = Vec::new();
    for _ in 0..5 {
        for _ in 0..1000 {
            let household = &households[rng.random_range(0..households.len())];
            let v = Visit {
                id: doorstep_core::ids::VisitId::new(),
                version: 0,
                household_id: household.parse()?,
                visited_at: Utc::now()
                    - Duration::minutes(rng.random_range(7 * 24 * 60..77 * 24 * 60)),
                officers: vec![late.info.officer_name.clone()],
                purposes: vec![Purpose::ALL[0]],
                met: vec![],
                notes: String::new(),
                inquiry_areas: vec![],
                rating: None,
                opinions: String::new(),
                location: String::new(),
                deleted: false,
            };
            late.add(&mut store, EntityKind::Visit, &v)?;
        }
        let _phase = crate::phases::mark("overview");
        let t = Instant::now();
        store.overview(today)?;
        after_late.push(t.elapsed());
    }
    let after_late = crate::measure::Stats::of(after_late);
    let every_visit = time_each(3, || every_visit_json(&store))?;
    let overview = {
        let _phase = crate::phases::mark("overview");
        time_each(20, || store.overview(today).map(drop))?
    };
    let worklist = time_each(10, || {
        store
            .worklist(Worklist::OverdueHouseholds, today, Some("第07责任区"), None)
            .map(drop)
    })?;
    let summary = {
        let _phase = crate::phases::mark("summary");
        time_each(5, || store.monthly_summary(&month, None).map(drop))?
    };
    let month_json = time_each(3, || month_of_visit_json(&store, &month))?;
    let data = store.monthly_summary(&month, None)?;
    let pdf = time_each(5, || {
        doorstep_station::report::pdf(&data, Default::default()).map(drop)
    })?;
    let whole = time_each(5, || -> anyhow::Result<()> {
        let data = store.monthly_summary(&month, None)?;
        doorstep_station::report::pdf(&data, Default::default())?;
        Ok(())
    })?;

    let mut out = String::new();
    writeln!(out, "## Station reports\n")?;
    writeln!(
        out,
        "Measured {} with `{command}` on: {}.\n",
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        crate::machine::describe()
    )?;
    writeln!(
        out,
        "A station store of {} beats, {} households, {} visits and {} concerns over the last year \
         ({} {:.0} s; {size:.0} MB). Timings in-process, without HTTP.\n",
        scale.beats,
        scale.households,
        scale.households * (scale.visits / scale.households),
        scale.households * (scale.concerns / scale.households),
        if reused {
            "filled by an earlier run, opened in"
        } else {
            "filled in-process in"
        },
        filled.as_secs_f64()
    )?;
    writeln!(out, "| | runs | p50 | p95 | goal |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    let row = |out: &mut String, name: &str, s: &Stats, goal: &str| {
        writeln!(
            out,
            "| {name} | {} | {} | {} | {goal} |",
            s.n,
            Stats::ms(s.p50),
            Stats::ms(s.p95)
        )
    };
    row(
        &mut out,
        "overview, the first after the store opened (twelve weeks' coverage from the changes kept with each write)",
        &first,
        "≤ 300 ms",
    )?;
    row(
        &mut out,
        "overview after a late laptop's 1000 visits in the eleven past weeks were stored",
        &after_late,
        "≤ 300 ms",
    )?;
    row(
        &mut out,
        "reference: reading every visit's household and time from its JSON (what the first overview read before)",
        &every_visit,
        &format!(
            "ours = {:.1}× faster",
            every_visit.p50.as_secs_f64() / first.p50.as_secs_f64()
        ),
    )?;
    row(
        &mut out,
        "overview (all beats, officers, charts)",
        &overview,
        "p95 ≤ 300 ms",
    )?;
    row(
        &mut out,
        "worklist: one beat's overdue households",
        &worklist,
        "—",
    )?;
    row(
        &mut out,
        "monthly summary figures (whole station)",
        &summary,
        "≤ 300 ms",
    )?;
    row(
        &mut out,
        "reference: reading the month's visits' JSON (what the summary read before)",
        &month_json,
        &format!(
            "ours = {:.1}× faster",
            month_json.p50.as_secs_f64() / summary.p50.as_secs_f64()
        ),
    )?;
    row(&mut out, "monthly summary PDF from the figures", &pdf, "—")?;
    row(
        &mut out,
        "monthly summary PDF, figures included",
        &whole,
        "≤ 3 s",
    )?;
    Ok(out)
}
