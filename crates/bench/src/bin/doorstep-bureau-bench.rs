//! `doorstep-bureau-bench`: the bureau at a city's scale. A throw-away PostgreSQL primary and a
//! streaming standby, the real `doorstep-bureau` on loopback, and 50 stations of 2,000 households
//! each (20 visits and 2 concerns a household, half a task) replicated upward over HTTPS as real
//! stations send them. Reports, side by side in one run:
//!
//! - upward ingest in rows/s against PostgreSQL's own `COPY` of the same rows into tables of the
//!   same columns and indexes (goal ≥ 0.3×);
//! - the catch-up of one station offline for a week, and the replication lag (a batch's time from
//!   sent to stored) with every station writing at once;
//! - the city overview's p95 and the monthly summary PDF, from the primary and from the replica;
//! - the bureau's peak memory, and PostgreSQL's size per million visits.
//!
//! `bash scripts/bench.sh --bureau-only` builds and runs it; the "## Bureau" section of
//! BENCHMARKS.md is replaced. Not a test: it measures, it never fails on timing.

#[path = "../machine.rs"]
#[allow(dead_code)]
mod machine;
#[path = "../sections.rs"]
mod sections;

// The tests' throw-away clusters (initdb, pg_ctl, pg_basebackup as the postgres user).
#[path = "../../../../tests/bureau/postgres.rs"]
#[allow(clippy::unwrap_used, dead_code)]
mod postgres;

use anyhow::Context;
use chrono::{DateTime, Duration as Days, Utc};
use clap::Parser;
use doorstep_protocol::bureau::{Cursors, StationEnrollResponse, UpBatch, UpRecord};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "The bureau at a city's scale, on a real PostgreSQL")]
struct Args {
    /// The built bureau server.
    #[arg(long)]
    bureau: PathBuf,
    #[arg(long, default_value_t = 50)]
    stations: usize,
    #[arg(long, default_value_t = 2000)]
    households: usize,
    /// Stations sending at once during the first replication.
    #[arg(long, default_value_t = 4)]
    parallel: usize,
    /// Records in one batch (a station sends at most 1,000).
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    #[arg(long, default_value = "bash scripts/bench.sh --bureau-only")]
    command: String,
    /// Leave PostgreSQL running with the data afterwards (to profile a query with psql).
    #[arg(long)]
    keep: bool,
}

const ADMIN_PASSWORD: &str = "bench-admin-password";

struct BureauProcess {
    child: Child,
    url: String,
    agent: ureq::Agent,
    _dir: tempfile::TempDir,
}

impl BureauProcess {
    fn start(bin: &PathBuf, database: &str, extra: &[&str]) -> anyhow::Result<BureauProcess> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("bureau.json"),
            json!({ "admin_password": ADMIN_PASSWORD, "name": "测试市公安局" }).to_string(),
        )?;
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path())
            .args(["--database", database])
            .args(extra)
            .env("DOORSTEP_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        anyhow::ensure!(url.starts_with("https://"), "the bureau said {line:?}");
        let certificate = std::fs::read(dir.path().join("tls/cert.der"))?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .tls_config(doorstep_sync::tls::pinned(&certificate))
            .build()
            .into();
        Ok(BureauProcess {
            child,
            url,
            agent,
            _dir: dir,
        })
    }

    fn post(
        &self,
        path: &str,
        token: &str,
        body: &impl serde::Serialize,
    ) -> anyhow::Result<(u16, String)> {
        let mut r = self
            .agent
            .post(&format!("{}{path}", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            // Compact, as the station's own client sends it (`send_json` pretty-prints).
            .send(&serde_json::to_vec(body)?[..])?;
        Ok((r.status().as_u16(), r.body_mut().read_to_string()?))
    }

    fn get(&self, path: &str, token: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        let mut r = self
            .agent
            .get(&format!("{}{path}", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .call()?;
        Ok((
            r.status().as_u16(),
            r.body_mut().with_config().limit(256 << 20).read_to_vec()?,
        ))
    }

    fn sign_in(&self) -> anyhow::Result<String> {
        let r = self
            .agent
            .post(&format!("{}/api/v1/session", self.url))
            .send_json(json!({ "username": "admin", "password": ADMIN_PASSWORD }))?;
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.split(';')
                    .next()?
                    .strip_prefix("doorstep_bureau_session=")
                    .map(str::to_string)
            })
            .context("a session cookie")
    }

    fn peak_mb(&self) -> u64 {
        machine::status_kb(&self.child.id().to_string(), "VmHWM:") / 1024
    }
}

impl Drop for BureauProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One station's records, as the station would send them, in version order.
fn station_records(station: usize, households: usize, now: DateTime<Utc>) -> Vec<UpRecord> {
    let mut rng = ChaCha8Rng::seed_from_u64(station as u64);
    let mut out = Vec::new();
    let mut version = 0i64;
    let mut push = |out: &mut Vec<UpRecord>,
                    entity: &str,
                    id: String,
                    beat: &str,
                    fields: serde_json::Value| {
        version += 1;
        out.push(UpRecord {
            entity: entity.into(),
            id,
            version,
            deleted: false,
            beat: beat.into(),
            fields,
        });
    };
    const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
    const GIVEN: &[&str] = &["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋"];
    const CATEGORIES: &[&str] = &[
        "dispute",
        "public_order",
        "safety_hazard",
        "petition",
        "police_conduct",
        "service_request",
        "welfare_need",
    ];
    const AREAS: &[&str] = &[
        "stability",
        "public_order",
        "fairness",
        "conduct",
        "integrity",
    ];
    for h in 0..households {
        let beat = format!("{station}站第{}片", h % 10 + 1);
        let household = format!("s{station}-h{h}");
        let tags = if rng.random_bool(0.15) {
            json!(["elderly_alone"])
        } else {
            json!([])
        };
        push(
            &mut out,
            "household",
            household.clone(),
            &beat,
            json!({
                "beat": beat, "address": format!("第{station}街道幸福路{h}号"), "kind": "residence", "tags": tags,
                "contact_name": "", "contact_phone": "", "notes": "", "registered_at": "2025-01-01T00:00:00.000Z",
                "to_check": [], "deleted": false,
            }),
        );
        for r in 0..2 {
            let name = format!(
                "{}{}",
                SURNAMES[rng.random_range(0..SURNAMES.len())],
                GIVEN[rng.random_range(0..GIVEN.len())]
            );
            push(
                &mut out,
                "resident",
                format!("{household}-r{r}"),
                &beat,
                json!({
                    "household_id": household, "name": name, "sex": null, "birth_date": "1960-05-01", "phone": "",
                    "id_number": format!("{:06}{:012}", 110101 + station, h * 2 + r), "relation": null, "tags": [],
                    "notes": "", "to_check": [], "deleted": false,
                }),
            );
        }
        for v in 0..20 {
            let at = now - Days::minutes(rng.random_range(0..365 * 24 * 60));
            let opinion = if rng.random_bool(0.1) {
                "希望加强夜间巡逻"
            } else {
                ""
            };
            let areas = if opinion.is_empty() {
                json!([])
            } else {
                json!([AREAS[rng.random_range(0..AREAS.len())]])
            };
            let rating = ["satisfied", "basic", "dissatisfied"][rng.random_range(0..3)];
            push(
                &mut out,
                "visit",
                format!("{household}-v{v}"),
                &beat,
                json!({
                    "household_id": household, "visited_at": doorstep_core::time::format(&at), "officers": ["民警"],
                    "purposes": ["warmth", "safety"], "met": [], "notes": "入户走访，了解情况", "inquiry_areas": areas,
                    "rating": rating, "opinions": opinion,
                    "location": "", "deleted": false,
                }),
            );
        }
        for c in 0..2 {
            let raised = now - Days::minutes(rng.random_range(0..365 * 24 * 60));
            let closed = rng
                .random_bool(0.6)
                .then(|| doorstep_core::time::format(&(raised + Days::days(3))));
            let confidential = rng.random_bool(0.05);
            push(
                &mut out,
                "concern",
                format!("{household}-c{c}"),
                &beat,
                json!({
                    "household_id": household, "visit_id": null, "raised_at": doorstep_core::time::format(&raised),
                    "category": CATEGORIES[rng.random_range(0..CATEGORIES.len())], "urgency": "normal",
                    "summary": "群众反映的问题", "reporter_id": null, "reporter_name": if confidential { "举报人" } else { "" },
                    "confidential": confidential, "status": if closed.is_some() { "closed" } else { "in_progress" },
                    "feedback_at": closed, "feedback_method": closed.as_ref().map(|_| "phone"), "feedback_note": "",
                    "closed_at": closed, "deleted": false,
                }),
            );
            if c == 0 && h % 2 == 0 {
                push(
                    &mut out,
                    "task",
                    format!("{household}-t{c}"),
                    &beat,
                    json!({
                        "household_id": household, "concern_id": format!("{household}-c{c}"), "kind": "follow_up",
                        "title": "跟进", "assignee": "民警", "due_date": "2026-12-31", "status": "open", "result": "",
                        "feedback_at": null, "feedback_method": null, "feedback_note": "", "deleted": false,
                    }),
                );
            }
        }
    }
    out
}

/// Sends `records` (versions after `from`) as one station would: batches of `size`, each from
/// where the last ended. The time of each batch.
fn replicate(
    bureau: &BureauProcess,
    credential: &str,
    records: &[UpRecord],
    from: i64,
    size: usize,
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::new();
    let mut at = from;
    for chunk in records.chunks(size) {
        let through = chunk.last().map_or(at, |r| r.version);
        let batch = UpBatch {
            restart: false,
            lineage: "bench".into(),
            from: Cursors {
                records: at,
                staff: 0,
                audit: 0,
            },
            through: Cursors {
                records: through,
                staff: 0,
                audit: 0,
            },
            station_head: through,
            records: chunk.to_vec(),
            staff_actions: Vec::new(),
            audit: Vec::new(),
            flags_applied: Vec::new(),
        };
        let started = Instant::now();
        let (status, body) = bureau.post("/api/v1/replication/batches", credential, &batch)?;
        anyhow::ensure!(status == 200, "a batch was refused ({status}): {body}");
        times.push(started.elapsed());
        at = through;
    }
    Ok(times)
}

fn percentile(times: &mut [Duration], p: f64) -> f64 {
    times.sort();
    if times.is_empty() {
        return 0.0;
    }
    let i = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[i].as_secs_f64() * 1000.0
}

/// The reference: the same rows as the bureau stores them, `COPY`'d into tables of the same
/// columns and indexes (`LIKE … INCLUDING ALL`, one table per kind, unpartitioned).
fn copy_reference(
    pg: &postgres::Postgres,
    stations: &[Vec<UpRecord>],
) -> anyhow::Result<(usize, Duration)> {
    let mut tables = String::new();
    for t in ["households", "residents", "visits", "concerns", "tasks"] {
        let _ = write!(
            tables,
            "DROP TABLE IF EXISTS ref_{t}; CREATE TABLE ref_{t} (LIKE {t} INCLUDING DEFAULTS INCLUDING INDEXES);"
        );
    }
    pg.psql(&tables);
    let mut files: Vec<(String, tempfile::NamedTempFile)> = Vec::new();
    let mut rows = 0;
    let mut writers: std::collections::HashMap<&str, csv::Writer<std::fs::File>> =
        std::collections::HashMap::new();
    for entity in ["household", "resident", "visit", "concern", "task"] {
        let file = tempfile::NamedTempFile::new_in("/tmp")?;
        writers.insert(entity, csv::Writer::from_writer(file.reopen()?));
        files.push((entity.to_string(), file));
    }
    let text = |f: &serde_json::Value, k: &str| {
        f.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let array = |f: &serde_json::Value, k: &str| {
        let items: Vec<String> = f
            .get(k)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .map(|s| format!("\"{s}\""))
                    .collect()
            })
            .unwrap_or_default();
        format!("{{{}}}", items.join(","))
    };
    let opt = |f: &serde_json::Value, k: &str| {
        f.get(k)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or_default()
    };
    for (s, records) in stations.iter().enumerate() {
        let station = (s + 1).to_string();
        for r in records {
            rows += 1;
            let f = &r.fields;
            let head = [
                station.clone(),
                r.id.clone(),
                r.version.to_string(),
                "1".into(),
                r.deleted.to_string(),
                r.beat.clone(),
            ];
            let w = writers.get_mut(r.entity.as_str()).context("entity")?;
            let mut row: Vec<String> = head.to_vec();
            match r.entity.as_str() {
                "household" => row.extend([
                    text(f, "address"),
                    doorstep_core::address::normalize(&text(f, "address")),
                    text(f, "kind"),
                    array(f, "tags"),
                ]),
                "resident" => row.extend([
                    text(f, "household_id"),
                    text(f, "name"),
                    doorstep_core::search::pinyin_tokens(&text(f, "name")),
                    text(f, "id_number"),
                    opt(f, "birth_date"),
                ]),
                "visit" => row.extend([
                    text(f, "household_id"),
                    text(f, "visited_at"),
                    opt(f, "rating"),
                    array(f, "purposes"),
                    array(f, "inquiry_areas"),
                ]),
                "concern" => row.extend([
                    text(f, "household_id"),
                    opt(f, "visit_id"),
                    text(f, "category"),
                    text(f, "urgency"),
                    text(f, "status"),
                    f["confidential"].to_string(),
                    text(f, "raised_at"),
                    opt(f, "closed_at"),
                    opt(f, "feedback_at"),
                ]),
                _ => row.extend([
                    text(f, "household_id"),
                    opt(f, "concern_id"),
                    text(f, "kind"),
                    text(f, "status"),
                    text(f, "assignee"),
                    opt(f, "due_date"),
                    opt(f, "feedback_at"),
                ]),
            }
            row.push(f.to_string());
            w.write_record(&row)?;
        }
    }
    for (_, mut w) in writers {
        w.flush()?;
    }
    let columns = |entity: &str| match entity {
        "household" => {
            "station_id, id, version, generation, deleted, beat, address, address_key, kind, tags, fields"
        }
        "resident" => {
            "station_id, id, version, generation, deleted, beat, household_id, name, pinyin, id_key, birth_date, fields"
        }
        "visit" => {
            "station_id, id, version, generation, deleted, beat, household_id, visited_at, rating, purposes, inquiry_areas, fields"
        }
        "concern" => {
            "station_id, id, version, generation, deleted, beat, household_id, visit_id, category, urgency, status, confidential, raised_at, closed_at, feedback_at, fields"
        }
        _ => {
            "station_id, id, version, generation, deleted, beat, household_id, concern_id, kind, status, assignee, due_date, feedback_at, fields"
        }
    };
    // The files go to the server over psql's \copy (as a client's COPY FROM STDIN).
    let started = Instant::now();
    for (entity, file) in &files {
        let table = match entity.as_str() {
            "household" => "households",
            "resident" => "residents",
            "visit" => "visits",
            "concern" => "concerns",
            _ => "tasks",
        };
        pg.psql(&format!(
            "\\copy ref_{table} ({}) FROM '{}' WITH (FORMAT csv, NULL '')",
            columns(entity),
            file.path().display()
        ));
    }
    Ok((rows, started.elapsed()))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let now = Utc::now();
    println!("starting PostgreSQL (primary and standby) and the bureau");
    let pg = postgres::Postgres::start_durable();
    let standby = pg.standby();
    let primary_only = BureauProcess::start(&args.bureau, &pg.url(), &[])?;
    let with_replica = BureauProcess::start(
        &args.bureau,
        &pg.url(),
        &["--replica", &standby.url(), "--replica-max-lag-ms", "5000"],
    )?;
    let admin = primary_only.sign_in()?;
    let admin_replica = with_replica.sign_in()?;

    let mut credentials = Vec::new();
    for s in 0..args.stations {
        let (status, body) = primary_only.post(
            "/api/v1/stations/codes",
            &admin,
            &json!({ "station_name": format!("第{}派出所", s + 1) }),
        )?;
        anyhow::ensure!(status == 200, "{body}");
        let code: serde_json::Value = serde_json::from_str(&body)?;
        let (status, body) = primary_only.post(
            "/api/v1/replication/enroll",
            "",
            &json!({ "code": code["code"] }),
        )?;
        anyhow::ensure!(status == 200, "{body}");
        credentials.push(serde_json::from_str::<StationEnrollResponse>(&body)?.credential);
    }
    println!(
        "generating {} stations of {} households",
        args.stations, args.households
    );
    let stations: Vec<Vec<UpRecord>> = (0..args.stations)
        .map(|s| station_records(s, args.households, now))
        .collect();
    let rows: usize = stations.iter().map(Vec::len).sum();
    let visits: usize = stations
        .iter()
        .flatten()
        .filter(|r| r.entity == "visit")
        .count();

    // Upward ingest: every station's whole log, `parallel` stations at a time.
    println!("replicating {rows} records upward");
    let started = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut batch_times: Vec<Duration> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..args.parallel)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<Vec<Duration>> {
                    let mut times = Vec::new();
                    loop {
                        let s = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if s >= stations.len() {
                            return Ok(times);
                        }
                        times.extend(replicate(
                            &primary_only,
                            &credentials[s],
                            &stations[s],
                            0,
                            args.batch,
                        )?);
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a sender"))
            .collect::<anyhow::Result<Vec<_>>>()
            .map(|v| v.concat())
    })?;
    let ingest = started.elapsed();
    let ingest_rate = rows as f64 / ingest.as_secs_f64();
    println!("  {ingest_rate:.0} rows/s; now COPY of the same rows");
    let (copied, copy_time) = copy_reference(&pg, &stations)?;
    let copy_rate = copied as f64 / copy_time.as_secs_f64();
    pg.psql("DROP TABLE ref_households, ref_residents, ref_visits, ref_concerns, ref_tasks");

    // A week offline: one station's week of work (its households visited about once a fortnight,
    // edits to a tenth of its concerns), sent in one catch-up.
    let week: Vec<UpRecord> = {
        let mut version = stations[0].last().map_or(0, |r| r.version);
        let mut out = Vec::new();
        for r in stations[0]
            .iter()
            .filter(|r| r.entity == "visit")
            .step_by(26)
        {
            version += 1;
            let mut fields = r.fields.clone();
            fields["visited_at"] = json!(doorstep_core::time::format(
                &(now - Days::hours(version % 160))
            ));
            out.push(UpRecord {
                id: format!("{}-week", r.id),
                version,
                fields,
                ..r.clone()
            });
        }
        for r in stations[0]
            .iter()
            .filter(|r| r.entity == "concern")
            .step_by(10)
        {
            version += 1;
            let mut fields = r.fields.clone();
            fields["status"] = json!("resolved");
            out.push(UpRecord {
                version,
                fields,
                ..r.clone()
            });
        }
        out
    };
    let from = stations[0].last().map_or(0, |r| r.version);
    let started = Instant::now();
    replicate(&primary_only, &credentials[0], &week, from, args.batch)?;
    let catch_up = started.elapsed();

    // Every station writing at once: each sends a batch of a few edits, all stations together, 30
    // rounds; the time from a batch sent to stored is the lag.
    println!("steady state: all stations writing");
    let heads: Vec<i64> = stations
        .iter()
        .enumerate()
        .map(|(s, r)| {
            if s == 0 {
                r.last().map_or(0, |r| r.version) + week.len() as i64
            } else {
                r.last().map_or(0, |r| r.version)
            }
        })
        .collect();
    let mut lag: Vec<Duration> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..args.stations)
            .map(|s| {
                let (credential, records, bureau, head) =
                    (&credentials[s], &stations[s], &primary_only, heads[s]);
                scope.spawn(move || -> anyhow::Result<Vec<Duration>> {
                    let mut times = Vec::new();
                    let mut version = head;
                    for round in 0..30 {
                        let edits: Vec<UpRecord> = records
                            .iter()
                            .filter(|r| r.entity == "visit")
                            .skip(round * 5)
                            .take(5)
                            .map(|r| {
                                version += 1;
                                let mut fields = r.fields.clone();
                                fields["notes"] = json!(format!("第{round}轮补充"));
                                UpRecord {
                                    version,
                                    fields,
                                    ..r.clone()
                                }
                            })
                            .collect();
                        times.extend(replicate(
                            bureau,
                            credential,
                            &edits,
                            version - edits.len() as i64,
                            1000,
                        )?);
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    Ok(times)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a station"))
            .collect::<anyhow::Result<Vec<_>>>()
            .map(|v| v.concat())
    })?;

    // Reports, from the primary and from the replica (caught up first).
    let deadline = Instant::now() + Duration::from_secs(120);
    while standby.psql("SELECT pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn()") != "t"
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    let month = now.format("%Y-%m").to_string();
    let mut report_rows = Vec::new();
    for (name, bureau, token) in [
        ("primary", &primary_only, &admin),
        ("replica", &with_replica, &admin_replica),
    ] {
        println!("reports from the {name}");
        let mut overview = Vec::new();
        for _ in 0..20 {
            let started = Instant::now();
            let (status, body) = bureau.get("/api/v1/overview", token)?;
            anyhow::ensure!(status == 200, "{}", String::from_utf8_lossy(&body));
            overview.push(started.elapsed());
        }
        let mut pdf = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let (status, body) =
                bureau.get(&format!("/api/v1/summary?month={month}&format=pdf"), token)?;
            anyhow::ensure!(
                status == 200 && body.starts_with(b"%PDF"),
                "{}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            );
            pdf.push(started.elapsed());
        }
        report_rows.push((
            name,
            percentile(&mut overview, 0.5),
            percentile(&mut overview, 0.95),
            percentile(&mut pdf, 0.5),
            percentile(&mut pdf, 0.95),
        ));
    }
    let database_mb: f64 = pg
        .psql("SELECT pg_database_size('bureau')")
        .parse::<f64>()?
        / 1e6;
    let visits_mb: f64 = pg.psql("SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname ~ '^visits_s[0-9]+_[0-9]+$'").parse::<f64>()? / 1e6;
    let stored_visits: f64 = pg.psql("SELECT count(*) FROM visits").parse()?;

    let mut out = String::new();
    writeln!(out, "## Bureau\n")?;
    writeln!(
        out,
        "Measured {} with `{}` on: {}. PostgreSQL {} (a throw-away cluster, default settings, a streaming standby beside it), the bureau's release build on loopback HTTPS.\n",
        now.format("%Y-%m-%d %H:%M UTC"),
        args.command,
        machine::describe(),
        pg.psql("SHOW server_version")
    )?;
    writeln!(
        out,
        "{} stations of {} households: {rows} records ({visits} visits) replicated upward in batches of {}, {} stations sending at once.\n",
        args.stations, args.households, args.batch, args.parallel
    )?;
    writeln!(
        out,
        "| | figure | reference (same run) | ratio | goal |\n|---|---|---|---|---|"
    )?;
    writeln!(
        out,
        "| upward ingest, whole log of every station | {ingest_rate:.0} rows/s ({:.0} s; batch p50 {:.0} ms, p95 {:.0} ms) | `COPY` of the same rows into tables of the same columns and indexes: {copy_rate:.0} rows/s ({:.0} s) | {:.2}× | ≥ 0.3× |",
        ingest.as_secs_f64(),
        percentile(&mut batch_times, 0.5),
        percentile(&mut batch_times, 0.95),
        copy_time.as_secs_f64(),
        ingest_rate / copy_rate
    )?;
    writeln!(
        out,
        "| catch-up of a station offline for a week ({} records) | {:.2} s | — | — | — |",
        week.len(),
        catch_up.as_secs_f64()
    )?;
    writeln!(
        out,
        "| replication lag, all {} stations writing at once (batch sent → stored) | p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms | — | — | — |",
        args.stations,
        percentile(&mut lag, 0.5),
        percentile(&mut lag, 0.95),
        percentile(&mut lag, 1.0)
    )?;
    for (name, o50, o95, p50, p95) in &report_rows {
        writeln!(
            out,
            "| city overview, from the {name} (20 runs) | p50 {o50:.0} ms, p95 {o95:.0} ms | — | — | p95 ≤ 300 ms |"
        )?;
        writeln!(
            out,
            "| monthly summary PDF of the whole bureau, from the {name} (5 runs) | p50 {p50:.0} ms, p95 {p95:.0} ms | — | — | ≤ 2 s |"
        )?;
    }
    writeln!(
        out,
        "| the bureau's peak memory (VmHWM) | {} MB (ingest and primary reports); {} MB (replica reports) | — | — | — |",
        primary_only.peak_mb(),
        with_replica.peak_mb()
    )?;
    writeln!(
        out,
        "| PostgreSQL's size | database {database_mb:.0} MB; visits with their indexes {:.0} MB per million visits | — | — | — |",
        visits_mb / stored_visits * 1e6
    )?;
    println!("{out}");
    sections::replace_section(&args.out, &out)?;
    if args.keep {
        println!("PostgreSQL left running: psql \"{}\"", pg.url());
        std::mem::forget(standby);
        std::mem::forget(pg);
    }
    Ok(())
}
