//! `doorstep-load`: a station and hundreds of laptops syncing with it at once, on loopback. Each
//! laptop is the real sync client over a real SQLite file, with its own account, beat and
//! credential. First every laptop downloads its beat, then in waves (all at once, as at a shift's
//! end) each records 50 edits and syncs, until the time is up. For each number of laptops it
//! reports errors, sync latency (p50/p95/p99), throughput, the station's peak memory and open
//! connections, and writes the table to the RELIABILITY section of BENCHMARKS.md.
//!
//! `cargo run --release -p doorstep-bench --bin doorstep-load -- --station target/release/doorstep-station`
//! (`scripts/load.sh` builds and runs it). Not a test: it measures, it never fails on timing.

#[path = "../machine.rs"]
#[allow(dead_code)]
mod machine;
#[path = "../sections.rs"]
mod sections;

use anyhow::Context;
use clap::Parser;
use doorstep_core::Store;
use doorstep_core::model::{Household, HouseholdKind, Purpose, Visit};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Many laptops syncing with one station at once")]
struct Args {
    /// The built station server.
    #[arg(long)]
    station: PathBuf,
    /// The numbers of laptops to run, one after another (the knee: where latency climbs).
    #[arg(long, value_delimiter = ',', default_value = "1,50,200,500,1000")]
    laptops: Vec<usize>,
    /// How long each run makes waves of edits, after the first download.
    #[arg(long, default_value_t = 120)]
    seconds: u64,
    /// Edits each laptop records before each of its syncs.
    #[arg(long, default_value_t = 50)]
    edits: usize,
    /// Households of each beat (laptops share beats, ten to a beat at most, each with households
    /// of its own to edit).
    #[arg(long, default_value_t = 100)]
    households_per_beat: usize,
    /// Within each wave, laptops start their sync at a random moment of this many seconds (0: all
    /// at the same instant, the worst case).
    #[arg(long, default_value_t = 10.0)]
    spread: f64,
    /// Where to write the results (the RELIABILITY load section is replaced).
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    /// The command line to record with the results.
    #[arg(long, default_value = "bash scripts/load.sh")]
    command: String,
}

const ADMIN_PASSWORD: &str = "load-admin-password";

struct StationProcess {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl StationProcess {
    fn start(bin: &Path) -> anyhow::Result<StationProcess> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("station.json"),
            format!("{{\"admin_password\": \"{ADMIN_PASSWORD}\"}}"),
        )?;
        // Its log (one JSON object a line) says how long the station took over each answer.
        let log = std::fs::File::create(dir.path().join("station.log"))?;
        let mut child = Command::new(bin)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
                "--data",
            ])
            .arg(dir.path())
            .env("DOORSTEP_LOG", "warn,doorstep_station=info")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("starting doorstep-station")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("station stdout")?).read_line(&mut line)?;
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        Ok(StationProcess { child, url, dir })
    }

    /// Accounts and one-time codes straight in the station's database (the administrator's
    /// console does the same), one officer per laptop.
    fn codes(&self, beats: &[String]) -> anyhow::Result<Vec<String>> {
        use doorstep_station::store::{NewAccount, Role, StationStore};
        let mut store = StationStore::open(&self.dir.path().join("station.sqlite"))?;
        let mut codes = Vec::new();
        for (i, beat) in beats.iter().enumerate() {
            let account = store.create_account(
                "(load)",
                &NewAccount {
                    username: format!("officer{i}"),
                    display_name: format!("民警{i}"),
                    roles: vec![Role::Officer],
                    beats: vec![beat.clone()],
                    password: "officer-password".into(),
                },
            )?;
            codes.push(store.issue_enrollment_code("(load)", &account.id)?.code);
        }
        Ok(codes)
    }

    /// How long the station itself took over each answer to a laptop's sync (standing, push,
    /// pull), from its log: the station's share of a sync's latency, apart from the laptops'.
    fn answer_times(&self) -> Vec<Duration> {
        let log = std::fs::read_to_string(self.dir.path().join("station.log")).unwrap_or_default();
        log.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|e| e["message"] == "answered")
            .filter(|e| {
                e["span"]["route"].as_str().is_some_and(|r| {
                    ["/api/v1/scopes", "/api/v1/push", "/api/v1/pull"].contains(&r)
                })
            })
            .filter_map(|e| e["ms"].as_f64())
            .map(|ms| Duration::from_secs_f64(ms / 1000.0))
            .collect()
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn peak_mb(&self) -> u64 {
        machine::status_kb(&self.pid(), "VmHWM:") / 1024
    }
}

/// CPU time a process has used so far, user and system together, in seconds (0 if unreadable).
fn cpu_seconds(pid: &str) -> f64 {
    // utime and stime, the 14th and 15th fields of /proc/<pid>/stat, counted in USER_HZ ticks,
    // which Linux fixes at 100 a second for user space whatever the kernel's own tick.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after = stat.rsplit_once(')')?.1.to_string();
            let fields: Vec<&str> = after.split_whitespace().collect();
            let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
            Some((ticks(11)? + ticks(12)?) / 100.0)
        })
        .unwrap_or(0.0)
}

/// Open sockets of a process (its listening one included).
fn open_sockets(pid: &str) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|fds| {
            fds.filter_map(|e| e.ok())
                .filter(|e| {
                    std::fs::read_link(e.path())
                        .is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
        .unwrap_or(0)
}

impl Drop for StationProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Laptop {
    store: Store,
    beat: String,
    /// Which of the beat's officers this is (they edit different households).
    slot: usize,
    _dir: tempfile::TempDir,
}

impl Laptop {
    fn enrol(url: &str, code: &str, i: usize, beat: &str, slot: usize) -> anyhow::Result<Laptop> {
        let dir = tempfile::tempdir()?;
        let mut store = Store::open(&dir.path().join("field.sqlite"))?;
        store.init_device(&format!("民警{i}"), &[beat.to_string()])?;
        doorstep_sync::enroll(&mut store, url, code)?;
        Ok(Laptop {
            store,
            beat: beat.to_string(),
            slot,
            _dir: dir,
        })
    }

    /// A shift's worth of edits: visits to this officer's households and a few households'
    /// details changed.
    fn record_edits(&mut self, n: usize, round: usize) -> anyhow::Result<()> {
        let ids: Vec<String> = {
            let mut stmt = self
                .store
                .conn()
                .prepare("SELECT id FROM households WHERE beat = ?1 ORDER BY address")?;
            let rows = stmt.query_map([&self.beat], |r| r.get::<_, String>(0))?;
            rows.collect::<Result<_, _>>()?
        };
        if ids.is_empty() {
            return Ok(());
        }
        for k in 0..n {
            // Each officer of the beat visits and edits households of their own share.
            let id = &ids[(self.slot * 10 + k / 5) % ids.len()];
            let mut h: Household = self.store.get(id.parse()?)?;
            if k % 5 == 0 {
                h.notes = format!("第{round}轮走访，民警{}", self.slot);
                self.store.save(&h)?;
            } else {
                let v = Visit {
                    id: doorstep_core::ids::VisitId::new(),
                    version: 0,
                    household_id: h.id,
                    visited_at: doorstep_core::time::now(),
                    officers: vec![format!("民警{}", self.slot)],
                    purposes: vec![Purpose::Warmth],
                    met: vec![],
                    notes: format!("第{round}轮入户，情况正常"),
                    inquiry_areas: vec![],
                    rating: None,
                    opinions: String::new(),
                    location: String::new(),
                    deleted: false,
                };
                self.store.save(&v)?;
            }
        }
        Ok(())
    }
}

/// One run's figures.
struct Run {
    laptops: usize,
    download: Vec<Duration>,
    syncs: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
    changes: usize,
    waves: usize,
    seconds: f64,
    peak_mb: u64,
    peak_sockets: usize,
    conflicts: i64,
    /// The station's own time over each sync request (from its log).
    answers: Vec<Duration>,
    /// CPU seconds the laptops and the station used while the waves synced.
    sync_cpu: (f64, f64),
}

fn pct(samples: &mut [Duration], q: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * q).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn run(args: &Args, n: usize) -> anyhow::Result<Run> {
    let station = StationProcess::start(&args.station)?;
    let beats_n = n.div_ceil(10).max(1);
    let beats: Vec<String> = (0..n).map(|i| format!("第{}责任区", i % beats_n)).collect();
    let codes = station.codes(&beats)?;
    eprintln!("{n} laptops: enrolling");
    let mut laptops = Vec::with_capacity(n);
    for (i, code) in codes.iter().enumerate() {
        laptops.push(Laptop::enrol(
            &station.url,
            code,
            i,
            &beats[i],
            i / beats_n,
        )?);
    }
    // The first officer of each beat brings its households in (a ledger imported, synced).
    for laptop in laptops.iter_mut().take(beats_n) {
        for k in 0..args.households_per_beat {
            let h = Household::new(
                laptop.beat.clone(),
                format!("{}幸福路{k}号", laptop.beat),
                HouseholdKind::Residence,
            );
            laptop.store.save(&h)?;
        }
        doorstep_sync::sync(&mut laptop.store, |_| ())?;
    }

    let errors: Arc<Mutex<(usize, Option<String>)>> = Arc::default();
    let note = {
        let errors = errors.clone();
        move |e: String| {
            let mut errors = errors.lock().unwrap_or_else(|p| p.into_inner());
            errors.0 += 1;
            errors.1.get_or_insert(e);
        }
    };
    let peak_sockets = Arc::new(Mutex::new(0usize));
    let watching = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = {
        let (peak, watching, pid) = (peak_sockets.clone(), watching.clone(), station.pid());
        std::thread::spawn(move || {
            while watching.load(std::sync::atomic::Ordering::Relaxed) {
                let fds = open_sockets(&pid);
                let mut p = peak.lock().unwrap_or_else(|p| p.into_inner());
                *p = (*p).max(fds);
                drop(p);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    // Everyone downloads at once, then waves until the time is up: all laptops edit and sync
    // together, the next wave starts when the last laptop is done.
    eprintln!(
        "{n} laptops: first download, then waves for {} s",
        args.seconds
    );
    let start = Barrier::new(n);
    let wave_end = Barrier::new(n);
    let edits_done = Barrier::new(n);
    let started = Instant::now();
    let deadline = Duration::from_secs(args.seconds);
    let go_on = std::sync::atomic::AtomicBool::new(true);
    // CPU used while the waves sync (from the moment the edits are all recorded to the wave's
    // end), by this process (the laptops) and by the station: the cost of a sync to each side,
    // which latency alone hides once the two cores queue work.
    let station_pid = station.pid();
    let cpu_now = || (cpu_seconds("self"), cpu_seconds(&station_pid));
    let syncing_since: Mutex<Option<(f64, f64)>> = Mutex::new(None);
    let sync_cpu: Mutex<(f64, f64)> = Mutex::new((0.0, 0.0));
    let results: Vec<(Vec<Duration>, Vec<Duration>, usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = laptops
            .iter_mut()
            .enumerate()
            .map(|(i, laptop)| {
                let (start, wave_end, edits_done, go_on, note) =
                    (&start, &wave_end, &edits_done, &go_on, note.clone());
                let (cpu_now, syncing_since, sync_cpu) = (&cpu_now, &syncing_since, &sync_cpu);
                let mut rng = ChaCha8Rng::seed_from_u64(i as u64);
                std::thread::Builder::new()
                    .stack_size(512 * 1024)
                    .spawn_scoped(s, move || {
                        let (mut download, mut syncs, mut changes, mut waves) =
                            (Vec::new(), Vec::new(), 0, 0);
                        start.wait();
                        let t = Instant::now();
                        match doorstep_sync::sync(&mut laptop.store, |_| ()) {
                            Ok(_) => download.push(t.elapsed()),
                            Err(e) => note(format!("download: {e}")),
                        }
                        loop {
                            if wave_end.wait().is_leader() {
                                if let Some((laptops, station)) = syncing_since
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .take()
                                {
                                    let (l, s) = cpu_now();
                                    let mut used =
                                        sync_cpu.lock().unwrap_or_else(|p| p.into_inner());
                                    used.0 += l - laptops;
                                    used.1 += s - station;
                                    // Each wave's own figure, to see whether a sync grows
                                    // dearer as the databases do over a long run.
                                    eprintln!(
                                        "  wave {}: CPU per sync {:.1} ms (laptop), {:.1} ms (station)",
                                        waves.max(1) - 1,
                                        (l - laptops) * 1000.0 / n as f64,
                                        (s - station) * 1000.0 / n as f64
                                    );
                                }
                                go_on.store(
                                    started.elapsed() < deadline,
                                    std::sync::atomic::Ordering::SeqCst,
                                );
                            }
                            wave_end.wait();
                            if !go_on.load(std::sync::atomic::Ordering::SeqCst) {
                                break;
                            }
                            // Every laptop records its edits, then the wave's syncs begin: on
                            // real laptops the typing happens over a shift on their own CPUs, not
                            // on the two cores the station serves the wave from.
                            if let Err(e) = laptop.record_edits(args.edits, waves) {
                                note(format!("edits: {e}"));
                            }
                            if edits_done.wait().is_leader() {
                                *syncing_since.lock().unwrap_or_else(|p| p.into_inner()) =
                                    Some(cpu_now());
                                eprintln!(
                                    "  wave {waves}: edits recorded at {:.1} s, syncing",
                                    started.elapsed().as_secs_f64()
                                );
                            }
                            std::thread::sleep(Duration::from_secs_f64(
                                rng.random::<f64>() * args.spread,
                            ));
                            let t = Instant::now();
                            match doorstep_sync::sync(&mut laptop.store, |_| ()) {
                                Ok(r) => {
                                    syncs.push(t.elapsed());
                                    changes += r.pushed as usize;
                                }
                                Err(e) => note(format!("sync: {e}")),
                            }
                            waves += 1;
                        }
                        (download, syncs, changes, waves)
                    })
                    .expect("a laptop's thread")
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = watcher.join();
    let conflicts: i64 = rusqlite::Connection::open(station.dir.path().join("station.sqlite"))?
        .query_row("SELECT count(*) FROM conflicts", [], |r| r.get(0))?;
    let (errors, first_error) = {
        let e = errors.lock().unwrap_or_else(|p| p.into_inner());
        (e.0, e.1.clone())
    };
    let mut run = Run {
        laptops: n,
        download: Vec::new(),
        syncs: Vec::new(),
        errors,
        first_error,
        changes: 0,
        waves: 0,
        seconds,
        peak_mb: station.peak_mb(),
        peak_sockets: *peak_sockets.lock().unwrap_or_else(|p| p.into_inner()),
        conflicts,
        answers: station.answer_times(),
        sync_cpu: *sync_cpu.lock().unwrap_or_else(|p| p.into_inner()),
    };
    for (download, syncs, changes, waves) in results {
        run.download.extend(download);
        run.syncs.extend(syncs);
        run.changes += changes;
        run.waves = run.waves.max(waves);
    }
    Ok(run)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut table = String::new();
    writeln!(
        table,
        "| laptops | errors | waves | syncs | sync p50 | p95 | p99 | max | first download p95 | changes/s | syncs/s | station's answer p50 | p99 | CPU per sync, laptop | station | station peak memory | peak open sockets | conflicts queued |"
    )?;
    writeln!(
        table,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )?;
    let mut first_errors = Vec::new();
    for &n in &args.laptops {
        let mut r = run(&args, n)?;
        let syncs = r.syncs.len();
        let per_sync = |seconds: f64| seconds * 1000.0 / syncs.max(1) as f64;
        let row = format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {:.1} | {} | {} | {:.1} ms | {:.1} ms | {} MB | {} | {} |",
            r.laptops,
            r.errors,
            r.waves,
            syncs,
            ms(pct(&mut r.syncs, 0.5)),
            ms(pct(&mut r.syncs, 0.95)),
            ms(pct(&mut r.syncs, 0.99)),
            ms(pct(&mut r.syncs, 1.0)),
            ms(pct(&mut r.download, 0.95)),
            r.changes as f64 / r.seconds,
            syncs as f64 / r.seconds,
            ms(pct(&mut r.answers, 0.5)),
            ms(pct(&mut r.answers, 0.99)),
            per_sync(r.sync_cpu.0),
            per_sync(r.sync_cpu.1),
            r.peak_mb,
            r.peak_sockets,
            r.conflicts,
        );
        eprintln!("{row}");
        writeln!(table, "{row}")?;
        if let Some(e) = r.first_error {
            first_errors.push(format!("{n} laptops: {e}"));
        }
    }
    let mut section = String::new();
    writeln!(
        section,
        "## Reliability: many laptops at once (issue 11 goals: 0 errors, sync p99 ≤ 500 ms)\n"
    )?;
    writeln!(
        section,
        "`{}` on {}: per number of laptops, a fresh station; every laptop (the real sync client, its \
         own SQLite file, account, beat and credential; ten to a beat at most) downloads its beat, then \
         in waves all of them record {} edits and, once all have, sync, each at a random moment of the \
         wave's first {} s, for {} s. Latency is one whole sync (standing, push, pull), measured by the \
         laptop; the station's answer is its own time over one request of a sync (standing, push or \
         pull page), from its log; the laptops run on the same machine as the station, so their side of each sync \
         (reading the change log, applying pulled pages) shares its two cores. CPU per sync is the \
         processor time each side (all the laptops' process; the station) used while the waves \
         synced, divided by the syncs.\n",
        args.command,
        machine::describe(),
        args.edits,
        args.spread,
        args.seconds
    )?;
    section.push_str(&table);
    for e in &first_errors {
        writeln!(section, "\nFirst error, {e}")?;
    }
    sections::replace_section(&args.out, &section)?;
    println!("{section}");
    Ok(())
}
