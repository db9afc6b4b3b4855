//! Station benchmarks: ingest of pushed changes over HTTPS on loopback against raw SQLite inserts of
//! the same rows and against PouchDB replication (the peer in shared/peers/pouchdb); incremental
//! sync of 50 changes against a station holding 10k and 1M changes; the first download of a
//! 20k-household beat; the station's peak memory.

use crate::measure::Stats;
use anyhow::Context;
use doorstep_core::Store;
use doorstep_core::hlc::Hlc;
use doorstep_core::ids::{ChangeId, DeviceId, HouseholdId, OfficerId, VisitId};
use doorstep_core::model::{EntityKind, Household, HouseholdKind, Purpose, Rating, Record, Visit};
use doorstep_core::store::changes::Change;
use doorstep_protocol::{EnrollResponse, PushRequest, PushResponse};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN_PASSWORD: &str = "bench-admin-password";

/// A laptop's identity as the benchmarks make them up.
pub struct DeviceInfo {
    pub device_id: DeviceId,
    pub officer_id: OfficerId,
    pub officer_name: String,
    pub beats: Vec<String>,
}

/// Enrols `info` with a station store in this process: its officer's account (made on first use)
/// and a one-time code exchanged for the device.
pub fn enroll_in_store(
    store: &mut doorstep_station::store::StationStore,
    info: &DeviceInfo,
) -> anyhow::Result<()> {
    use doorstep_station::store::{NewAccount, Role};
    let existing = store
        .accounts()?
        .into_iter()
        .find(|a| a.username == info.officer_name);
    let account = match existing {
        Some(a) => a,
        None => store.create_account(
            "bench",
            &NewAccount {
                username: info.officer_name.clone(),
                display_name: info.officer_name.clone(),
                roles: vec![Role::Officer],
                beats: info.beats.clone(),
                password: "officer-password".into(),
            },
        )?,
    };
    let code = store.issue_enrollment_code("bench", &account.id)?;
    store.enroll_with_code(&code.code, info.device_id, info.officer_id, 0)?;
    Ok(())
}

struct StationProcess {
    child: Child,
    url: String,
    agent: ureq::Agent,
    admin: String,
    _dir: tempfile::TempDir,
}

/// The environment the shipped systemd unit gives the station (its allocator settings), read from
/// the unit so that the figure follows what is shipped; empty where the unit is not found.
fn unit_environment() -> Vec<(String, String)> {
    let unit =
        std::fs::read_to_string("packaging/systemd/doorstep-station.service").unwrap_or_default();
    unit.lines()
        .filter_map(|l| l.strip_prefix("Environment=GLIBC_TUNABLES="))
        .map(|v| ("GLIBC_TUNABLES".to_string(), v.trim().to_string()))
        .collect()
}

impl StationProcess {
    fn start(bin: &Path) -> anyhow::Result<StationProcess> {
        StationProcess::start_with(bin, &[])
    }

    fn start_with(bin: &Path, env: &[(String, String)]) -> anyhow::Result<StationProcess> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("station.json"),
            format!("{{\"admin_password\": \"{ADMIN_PASSWORD}\"}}"),
        )?;
        // Sampled from its start when perf is controlled from here: perf learns where a process's
        // code lies from its start, and one started while sampling was off leaves stacks it cannot
        // read.
        let _phase = crate::phases::mark("station-start");
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .envs(env.iter().map(|(k, v)| (k, v)))
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
        let certificate = std::fs::read(dir.path().join("tls/cert.der"))?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .tls_config(doorstep_sync::tls::pinned(&certificate))
            .build()
            .into();
        let mut station = StationProcess {
            child,
            url,
            agent,
            admin: String::new(),
            _dir: dir,
        };
        // The session token comes only in the cookie.
        let response = station
            .agent
            .post(&format!("{}/api/v1/session", station.url))
            .send_json(serde_json::json!({"username": "admin", "password": ADMIN_PASSWORD}))?;
        station.admin = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.split(';').next()?.strip_prefix("doorstep_session="))
            .unwrap_or_default()
            .to_string();
        Ok(station)
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        let url = format!("{}/api/v1/{path}", self.url);
        let auth = format!("Bearer {token}");
        let mut response = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call()?,
            (_, Some(b)) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_json(b)?,
            (_, None) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_empty()?,
        };
        anyhow::ensure!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        Ok(response.body_mut().read_json()?)
    }

    /// A one-time enrolment code for a laptop of `officer` (account made on first use).
    fn code(&self, officer: &str, beat: &str) -> anyhow::Result<String> {
        let accounts = self.call("GET", "accounts", &self.admin, None)?;
        let existing = accounts
            .as_array()
            .and_then(|a| a.iter().find(|a| a["username"] == officer))
            .and_then(|a| a["id"].as_str().map(str::to_string));
        let id = match existing {
            Some(id) => id,
            None => self.call(
                "POST",
                "accounts",
                &self.admin,
                Some(serde_json::json!({"username": officer, "display_name": officer, "roles": ["officer"],
                                        "beats": [beat], "password": "officer-password"})),
            )?["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        let code = self.call(
            "POST",
            &format!("accounts/{id}/enrollment-code"),
            &self.admin,
            None,
        )?;
        Ok(code["code"].as_str().unwrap_or_default().to_string())
    }

    fn peak_mb(&self) -> u64 {
        crate::machine::status_kb(&self.child.id().to_string(), "VmHWM:") / 1024
    }
}

impl Drop for StationProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A device that exists only as an identity, pushing synthetic changes straight over HTTP.
struct Pusher {
    info: DeviceInfo,
    credential: String,
    seq: i64,
    household: Option<HouseholdId>,
}

impl Pusher {
    fn enroll(station: &StationProcess, officer: &str, beat: &str) -> anyhow::Result<Pusher> {
        let info = DeviceInfo {
            device_id: DeviceId::new(),
            officer_id: OfficerId::new(),
            officer_name: officer.into(),
            beats: vec![beat.into()],
        };
        let code = station.code(officer, beat)?;
        let answer: EnrollResponse = serde_json::from_value(station.call(
            "POST",
            "enroll",
            "",
            Some(serde_json::json!({"code": code, "device_id": info.device_id, "officer_id": info.officer_id})),
        )?)?;
        Ok(Pusher {
            info,
            credential: answer.device_credential,
            seq: 0,
            household: None,
        })
    }

    /// The next `n` changes: a household, then nine visit-sized records for it, and so on.
    fn changes(&mut self, n: usize) -> anyhow::Result<Vec<Change>> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            self.seq += 1;
            let (entity, id, fields) = match self.household {
                Some(h) if self.seq % 10 != 1 => {
                    let v = Visit {
                        id: VisitId::new(),
                        version: 0,
                        household_id: h,
                        visited_at: doorstep_core::time::now(),
                        officers: vec![self.info.officer_name.clone()],
                        purposes: vec![Purpose::Safety],
                        met: vec![],
                        notes: "检查了燃气管道和电线，提醒不要在楼道给电动车充电。住户反映楼道照明损坏。".into(),
                        inquiry_areas: vec![],
                        rating: Some(Rating::Satisfied),
                        opinions: String::new(),
                        location: String::new(),
                        deleted: false,
                    };
                    (EntityKind::Visit, v.id.0, v.fields()?)
                }
                _ => {
                    let h = Household::new(
                        self.info.beats[0].clone(),
                        format!("幸福路{}号", self.seq),
                        HouseholdKind::Residence,
                    );
                    self.household = Some(h.id);
                    (EntityKind::Household, h.id.0, h.fields()?)
                }
            };
            out.push(Change {
                change_id: ChangeId::new(),
                device_id: self.info.device_id,
                device_seq: self.seq,
                officer_id: self.info.officer_id,
                entity,
                entity_id: id,
                fields,
                base_version: 0,
                hlc: Hlc {
                    ms: chrono::Utc::now().timestamp_millis(),
                    counter: self.seq as u32,
                },
                created_at: doorstep_core::time::now(),
            });
        }
        Ok(out)
    }

    /// Pushes `changes` in batches of 1000; returns the time spent in the pushes.
    fn push(&self, station: &StationProcess, changes: &[Change]) -> anyhow::Result<Duration> {
        let agent = &station.agent;
        let mut spent = Duration::ZERO;
        for batch in changes.chunks(1000) {
            let request = PushRequest {
                device_id: self.info.device_id,
                changes: batch.to_vec(),
            };
            let t = Instant::now();
            // Compact JSON, as a laptop sends it (ureq's `send_json` pretty-prints).
            let body = serde_json::to_vec(&request)?;
            let mut response = agent
                .post(&format!("{}/api/v1/push", station.url))
                .header("Authorization", &format!("Bearer {}", self.credential))
                .header("Content-Type", "application/json")
                .send(&body[..])?;
            let answer: PushResponse = response.body_mut().read_json()?;
            spent += t.elapsed();
            anyhow::ensure!(
                answer.acked_seq == batch.last().map(|c| c.device_seq).unwrap_or(0),
                "push not acknowledged"
            );
        }
        Ok(spent)
    }
}

/// The station's store alone, in this process: the same batches decided and stored without HTTP,
/// to show what the network and JSON layer cost. Its log is checkpointed by a thread of its own,
/// as the serving station's is.
fn store_alone(info: &DeviceInfo, changes: &[Change], dir: &Path) -> anyhow::Result<Duration> {
    let mut store = doorstep_station::store::StationStore::open(&dir.join("alone.sqlite"))?;
    enroll_in_store(&mut store, info)?;
    let serving = std::sync::Arc::new(());
    if let Some(checkpointer) = store.hand_checkpoints_over()? {
        let owner = std::sync::Arc::downgrade(&serving);
        std::thread::spawn(move || checkpointer.run(owner));
    }
    let t = Instant::now();
    for batch in changes.chunks(1000) {
        store.push(info.device_id, batch)?;
    }
    Ok(t.elapsed())
}

/// Raw SQLite: the same rows, one transaction, same pragmas as the station.
fn raw_sqlite(changes: &[Change], dir: &Path) -> anyhow::Result<Duration> {
    let conn = crate::measure::raw_connection(&dir.join("raw.sqlite"))?;
    conn.execute_batch(
        "CREATE TABLE changes (seq INTEGER PRIMARY KEY, change_id TEXT UNIQUE, device_id TEXT, device_seq INTEGER,
           entity TEXT, entity_id TEXT, fields TEXT, base_version INTEGER, hlc_ms INTEGER, hlc_counter INTEGER)",
    )?;
    let t = Instant::now();
    let tx = conn.unchecked_transaction()?;
    {
        let mut stmt =
            tx.prepare("INSERT INTO changes VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?;
        for c in changes {
            stmt.execute(rusqlite::params![
                c.change_id.to_string(),
                c.device_id.to_string(),
                c.device_seq,
                c.entity.as_str(),
                c.entity_id.to_string(),
                serde_json::Value::Object(c.fields.clone()).to_string(),
                c.base_version,
                c.hlc.ms,
                c.hlc.counter
            ])?;
        }
    }
    tx.commit()?;
    Ok(t.elapsed())
}

/// The floor under the station's ingest: each change kept in the station's `changes` and its record
/// written to `records` — the two rows no decision can spare, in the station's own tables with all
/// their indexes (its migrations) — raw, in one transaction, same pragmas as [`raw_sqlite`], nothing
/// read, decided or derived. Every change here creates a record in `beat`; SQLite's foreign keys
/// are checked, as at the station.
fn station_rows_raw(
    info: &DeviceInfo,
    changes: &[Change],
    beat: &str,
    dir: &Path,
) -> anyhow::Result<Duration> {
    let path = dir.join("floor.sqlite");
    // The pushing device enrolled, as the changes' foreign key asks.
    enroll_in_store(
        &mut doorstep_station::store::StationStore::open(&path)?,
        info,
    )?;
    let conn = crate::measure::raw_connection(&path)?;
    let t = Instant::now();
    let tx = conn.unchecked_transaction()?;
    {
        let mut change = tx.prepare(
            "INSERT INTO changes (change_id, device_id, device_seq, officer_id, entity, entity_id, fields,
                 base_version, hlc_ms, hlc_counter, created_at, received_at, status, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, 'applied', ?12)",
        )?;
        let mut record = tx.prepare(
            "INSERT INTO records (entity, id, version, deleted, beat, fields, created_version, created_device,
                 created_hlc_ms, created_hlc_counter, household_id)
             VALUES (?1, ?2, ?3, 0, ?4, ?5, ?3, ?6, ?7, ?8, ?9)",
        )?;
        for (version, c) in (1_i64..).zip(changes) {
            let fields = serde_json::to_string(&c.fields)?;
            let id = c.entity_id.to_string();
            change.execute(rusqlite::params![
                c.change_id.to_string(),
                c.device_id.to_string(),
                c.device_seq,
                c.officer_id.to_string(),
                c.entity.as_str(),
                id,
                fields,
                c.base_version,
                c.hlc.ms,
                c.hlc.counter,
                doorstep_core::time::format(&c.created_at),
                version
            ])?;
            record.execute(rusqlite::params![
                c.entity.as_str(),
                id,
                version,
                beat,
                fields,
                c.device_id.to_string(),
                c.hlc.ms,
                c.hlc.counter,
                c.fields.get("household_id").and_then(|v| v.as_str())
            ])?;
        }
    }
    tx.commit()?;
    Ok(t.elapsed())
}

/// The PouchDB peer over HTTP (shared/peers/pouchdb, copied and installed by scripts/bench.sh).
fn pouchdb(peer: &Path, docs: usize) -> Option<(f64, f64)> {
    let out = Command::new("bash")
        .arg(peer.join("run_http.sh"))
        .args([docs.to_string(), "1000".into(), "5985".into()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "http push: batch_size=1000 docs_written=100000 28.12s 3556 docs/s remote_count=100000"
    let rate = |prefix: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.starts_with(prefix))?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let i = words.iter().position(|w| *w == "docs/s")?;
        words.get(i.checked_sub(1)?)?.parse().ok()
    };
    Some((rate("http push:")?, rate("http pull:")?))
}

fn device(station: &StationProcess, dir: &Path, name: &str, beat: &str) -> anyhow::Result<Store> {
    device_via(station, &station.url, dir, name, beat)
}

/// A laptop enrolled with `station`, reaching it at `url` (the station's own, or a relay's).
fn device_via(
    station: &StationProcess,
    url: &str,
    dir: &Path,
    name: &str,
    beat: &str,
) -> anyhow::Result<Store> {
    let mut store = Store::open(&dir.join(format!("{name}.sqlite")))?;
    store.init_device(name, &[beat.to_string()])?;
    let code = station.code(name, beat)?;
    doorstep_sync::enroll(&mut store, url, &code)?;
    Ok(store)
}

/// What a first download costs on the wire, against its pages' JSON and that JSON gzip'd.
struct WireBytes {
    /// Through the relay, TLS and HTTP included: laptop to station, station to laptop.
    up: u64,
    down: u64,
    /// The pull pages' JSON bodies (as decoded, whether or not they travelled compressed), and
    /// the same gzip'd page by page (fastest level, default level).
    json: u64,
    gzip_fast: u64,
    gzip_default: u64,
}

/// A second new laptop downloads the beat through a counting relay; then the same pages are
/// fetched again with its credential and their JSON bodies gzip'd here, the reference for what
/// the wire carries.
fn first_download_bytes(
    station: &StationProcess,
    dir: &Path,
    beat: &str,
) -> anyhow::Result<WireBytes> {
    use std::io::Write as _;
    let relay = crate::relay::Relay::start(&station.url)?;
    let mut laptop = device_via(station, &relay.url, dir, "吴警官", beat)?;
    doorstep_sync::sync(&mut laptop, |_| ())?;
    let (up, down) = relay.bytes();

    let device_id = laptop.device()?.device_id.to_string();
    let credential = laptop
        .station()?
        .context("the laptop is enrolled")?
        .device_credential;
    let mut bodies = Vec::new();
    for scope in [
        doorstep_core::store::scopes::beat_scope(beat),
        doorstep_core::store::scopes::TASKS_SCOPE.to_string(),
    ] {
        let mut cursor = 0i64;
        loop {
            let mut response = station
                .agent
                .get(&format!("{}/api/v1/pull", station.url))
                .header("Authorization", &format!("Bearer {credential}"))
                .query("device_id", &device_id)
                .query("scope", &scope)
                .query("cursor", cursor.to_string())
                .query("limit", doorstep_sync::PULL_PAGE.to_string())
                .query("pushed_after", "0")
                .query("pushed_through", "0")
                .call()?;
            anyhow::ensure!(
                response.status().is_success(),
                "pull: {}",
                response.status()
            );
            let body = response
                .body_mut()
                .with_config()
                .limit(u64::MAX)
                .read_to_vec()?;
            let page: serde_json::Value = serde_json::from_slice(&body)?;
            bodies.push(body);
            cursor = page["cursor"].as_i64().context("a page's cursor")?;
            if page["more"] != serde_json::Value::Bool(true) {
                break;
            }
        }
    }
    let gzip = |level| -> anyhow::Result<u64> {
        let mut total = 0;
        for body in &bodies {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), level);
            gz.write_all(body)?;
            total += gz.finish()?.len() as u64;
        }
        Ok(total)
    };
    Ok(WireBytes {
        up,
        down,
        json: bodies.iter().map(|b| b.len() as u64).sum(),
        gzip_fast: gzip(flate2::Compression::fast())?,
        gzip_default: gzip(flate2::Compression::default())?,
    })
}

/// One whole sync: changes pushed, records pulled, its time and how far into it the push ended.
struct WholeSync {
    pushed: u32,
    pulled: u32,
    took: Duration,
    pushed_in: Duration,
    /// Through a shaped link: the bytes it carried (laptop to station, station to laptop), and
    /// the pushes' JSON bodies as the laptop's change log makes them, plain and gzip'd at the
    /// fastest level (the reference for what the push costs on the wire).
    wire: Option<PushBytes>,
}

struct PushBytes {
    up: u64,
    down: u64,
    json: u64,
    gzip_fast: u64,
}

/// A laptop's whole sync, end to end: an encrypted laptop database holding the CLI demo's records
/// (2,000 households of its own beat, none sent yet), synced once over HTTPS on loopback — the
/// change log read, pushed in batches, decided and stored, and the beat pulled. A `round` after
/// the first is another laptop, officer and beat, with a demo of another seed (the same seed gives
/// the same ids, which the station would take for the first round's records). With `shape`, the
/// laptop reaches the station through a relay that carries the bytes as that link would.
fn whole_sync(
    station: &StationProcess,
    dir: &Path,
    round: u64,
    shape: Option<crate::relay::Shape>,
) -> anyhow::Result<WholeSync> {
    let (officer, beat) = match round {
        0 => ("周警官".to_string(), "和睦社区".to_string()),
        n => (format!("周警官{n}"), format!("和睦社区{n}")),
    };
    let (officer, beat) = (officer.as_str(), beat.as_str());
    let path = dir.join(format!("whole-{officer}.sqlite"));
    let (mut store, _key) = Store::unlock(&path, "bench-passphrase-2026")?;
    store.init_device(officer, &[beat.to_string()])?;
    let code = station.code(officer, beat)?;
    let relay = match shape {
        Some(shape) => Some(crate::relay::Relay::start_shaped(
            &station.url,
            Some(shape),
        )?),
        None => None,
    };
    let url = relay.as_ref().map_or(&station.url, |r| &r.url);
    doorstep_sync::enroll(&mut store, url, &code)?;
    let spec = doorstep_core::demo::DemoSpec {
        seed: 1 + round,
        households: 2000,
        beats: vec![],
        max_visits: 4,
        today: chrono::Local::now().date_naive(),
    };
    doorstep_core::demo::generate(&mut store, &spec)?;
    let json = match &relay {
        Some(_) => Some(push_json(&store)?),
        None => None,
    };
    let before = relay.as_ref().map(|r| r.bytes());
    // Over the shaped link it is a stretch of its own: the graph of item 1 is of the sync on loopback.
    let phase = crate::phases::mark(match shape {
        Some(_) => "whole-sync-shaped",
        None => "whole-sync",
    });
    let t = Instant::now();
    let mut pushed_in = Duration::ZERO;
    let report = doorstep_sync::sync(&mut store, |p| {
        if let doorstep_sync::Progress::Pushed { remaining: 0, .. } = p {
            pushed_in = t.elapsed();
        }
    })?;
    let took = t.elapsed();
    drop(phase);
    anyhow::ensure!(
        store.sync_status()?.unsent == 0,
        "the whole sync left changes unsent"
    );
    let wire = match (relay, before, json) {
        (Some(relay), Some((up, down)), Some((json, gzip_fast))) => {
            let (up_after, down_after) = relay.bytes();
            Some(PushBytes {
                up: up_after - up,
                down: down_after - down,
                json,
                gzip_fast,
            })
        }
        _ => None,
    };
    Ok(WholeSync {
        pushed: report.pushed,
        pulled: report.pulled,
        took,
        pushed_in,
        wire,
    })
}

/// Round numbers of the whole syncs over the shaped link in `ingest_only` start here (each round a
/// laptop, officer, beat and demo seed of its own).
const WIFI_ROUNDS: u64 = 500;

/// A whole sync over the shaped link, as a line of the results.
fn wifi_line(sync: &WholeSync) -> String {
    let shape = crate::relay::Shape::WIFI;
    let mb = |bytes: u64| bytes as f64 / 1e6;
    let mut line = format!(
        "whole sync over a link of {:.0} Mbit/s each way and {} ms there and back (a station's Wi-Fi; a relay shapes loopback), another laptop ({} up, {} down): {:.2} s (the push {:.2} s)",
        shape.bytes_per_second * 8.0 / 1e6,
        2 * shape.one_way.as_millis(),
        sync.pushed,
        sync.pulled,
        sync.took.as_secs_f64(),
        sync.pushed_in.as_secs_f64(),
    );
    if let Some(wire) = &sync.wire {
        line += &format!(
            "; on the wire {:.1} MB up, {:.1} MB down, TLS and HTTP included — the pushes' JSON {:.1} MB, gzip'd {:.1} MB",
            mb(wire.up),
            mb(wire.down),
            mb(wire.json),
            mb(wire.gzip_fast),
        );
    }
    line + "."
}

/// The laptop's unsent changes as push bodies of [`doorstep_sync::PUSH_BATCH`], in bytes of
/// JSON: plain, and each body gzip'd at the fastest level.
fn push_json(store: &Store) -> anyhow::Result<(u64, u64)> {
    use std::io::Write as _;
    let device_id = store.device()?.device_id;
    let changes = store.changes_after(0, u32::MAX)?;
    let (mut json, mut gzip) = (0, 0);
    for batch in changes.chunks(doorstep_sync::PUSH_BATCH as usize) {
        let body = serde_json::to_vec(&PushRequest {
            device_id,
            changes: batch.to_vec(),
        })?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&body)?;
        json += body.len() as u64;
        gzip += gz.finish()?.len() as u64;
    }
    Ok((json, gzip))
}

/// 50 edits on the device, then one timed sync (marked as `phase`).
fn incremental(store: &mut Store, phase: &'static str) -> anyhow::Result<Duration> {
    let ids: Vec<HouseholdId> = store
        .conn()
        .prepare("SELECT id FROM households LIMIT 50")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for (i, id) in ids.iter().enumerate() {
        let mut h: Household = store.get(id.0)?;
        h.notes = format!("第{i}次补充：{}", chrono::Utc::now().timestamp_millis());
        store.save(&h)?;
    }
    let _phase = crate::phases::mark(phase);
    let t = Instant::now();
    doorstep_sync::sync(store, |_| ())?;
    Ok(t.elapsed())
}

/// The ingest figures of one run: changes per second each way, and the references.
struct Ingest {
    changes: usize,
    /// Over HTTPS to the station process, in-process into its store, raw SQLite (the reference),
    /// and the station's own two rows per change raw (the floor).
    https: f64,
    in_process: f64,
    reference: f64,
    floor: f64,
}

/// Pushes a beat of `households` households with nine visit-sized records each to `station`,
/// then the same changes in-process and raw.
fn ingest(station: &StationProcess, households: usize, dir: &Path) -> anyhow::Result<Ingest> {
    let mut officer = Pusher::enroll(station, "张警官", "幸福社区")?;
    let changes = officer.changes(households * 10)?;
    let rate = |took: Duration| changes.len() as f64 / took.as_secs_f64();
    let https = {
        let _phase = crate::phases::mark("ingest-https");
        officer.push(station, &changes)?
    };
    let in_process = {
        let _phase = crate::phases::mark("ingest-in-process");
        store_alone(&officer.info, &changes, dir)?
    };
    Ok(Ingest {
        changes: changes.len(),
        https: rate(https),
        in_process: rate(in_process),
        reference: rate(raw_sqlite(&changes, dir)?),
        floor: rate(station_rows_raw(&officer.info, &changes, "幸福社区", dir)?),
    })
}

impl Ingest {
    /// The ingest table, up to the peer's row.
    fn table(&self) -> String {
        let Ingest {
            changes,
            https,
            in_process,
            reference,
            floor,
        } = self;
        format!(
            "| ingest of {changes} pushed changes | changes/s | ratio |\n|---|---|---|\n\
             | doorstep-station over HTTPS on loopback, batches of 1000, each decided and stored in one transaction | {https:.0} | — |\n\
             | the same batches into the station's store in-process (no HTTP, no JSON) | {in_process:.0} | — |\n\
             | reference: raw SQLite, the same rows, one transaction, same pragmas | {reference:.0} | ours = {:.2}× (goal ≥ 0.5×) |\n\
             | floor: the two rows the station cannot spare per change (the change kept, its record written) in its own tables with their indexes, raw, one transaction, same pragmas | {floor:.0} | {:.2}× the reference; ours in-process = {:.2}× of it, over HTTPS {:.2}× |\n",
            https / reference,
            floor / reference,
            in_process / floor,
            https / floor
        )
    }
}

/// The ingest table, then the first download of that beat and the CLI demo's whole sync, printed
/// (for comparing station and sync builds side by side). The whole sync is taken `rounds` times,
/// each a new laptop of a beat of its own, and their median printed too: one run of it varies by a
/// fifth on this kind of machine, and the station grows with each. With a second station binary
/// (`against`), both are filled alike and each round syncs with one, then the other, so that the
/// machine's drift falls on both; the per-round ratios of their processor time are printed.
pub fn ingest_only(
    bin: &Path,
    against: Option<&Path>,
    households: usize,
    rounds: usize,
) -> anyhow::Result<String> {
    let bins: Vec<&Path> = std::iter::once(bin).chain(against).collect();
    let mut out = String::new();
    let mut stations = Vec::new();
    for bin in &bins {
        let dir = tempfile::tempdir()?;
        let station = StationProcess::start(bin)?;
        writeln!(out, "### {}\n", bin.display())?;
        out += &ingest(&station, households, dir.path())?.table();
        let mut newcomer = device(&station, dir.path(), "王警官", "幸福社区")?;
        let phase = crate::phases::mark("first-download");
        let t = Instant::now();
        doorstep_sync::sync(&mut newcomer, |_| ())?;
        drop(phase);
        writeln!(
            out,
            "\nfirst download: {:.2} s; the station's peak memory so far {} MB\n",
            t.elapsed().as_secs_f64(),
            station.peak_mb()
        )?;
        stations.push((station, dir));
    }
    // Per station, each round's (time, the station's processor time).
    let mut taken: Vec<Vec<(f64, f64)>> = vec![Vec::new(); stations.len()];
    for round in 0..rounds.max(1) {
        for (i, (station, dir)) in stations.iter().enumerate() {
            let cpu = crate::machine::cpu_seconds(station.child.id());
            let sync = whole_sync(station, dir.path(), round as u64, None)?;
            let station_cpu = crate::machine::cpu_seconds(station.child.id()) - cpu;
            writeln!(
                out,
                "{}: whole sync ({} up, {} down): {:.2} s (the push {:.2} s; the station's processor {station_cpu:.2} s)",
                bins[i].display(),
                sync.pushed,
                sync.pulled,
                sync.took.as_secs_f64(),
                sync.pushed_in.as_secs_f64(),
            )?;
            taken[i].push((sync.took.as_secs_f64(), station_cpu));
            let wifi = whole_sync(
                station,
                dir.path(),
                WIFI_ROUNDS + round as u64,
                Some(crate::relay::Shape::WIFI),
            )?;
            writeln!(out, "{}: {}", bins[i].display(), wifi_line(&wifi))?;
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for (i, runs) in taken.iter().enumerate() {
        writeln!(
            out,
            "{}: whole sync, median of {}: {:.2} s, the station's processor {:.2} s",
            bins[i].display(),
            runs.len(),
            median(runs.iter().map(|r| r.0).collect()),
            median(runs.iter().map(|r| r.1).collect()),
        )?;
    }
    if let [a, b] = &taken[..] {
        let ratios = |f: fn(&(f64, f64)) -> f64| {
            let r: Vec<f64> = a.iter().zip(b).map(|(a, b)| f(b) / f(a)).collect();
            let text: Vec<String> = r.iter().map(|r| format!("{r:.2}")).collect();
            format!("{} (median {:.2})", text.join(" "), median(r))
        };
        writeln!(
            out,
            "second against first, per round: time {}; the station's processor {}",
            ratios(|r| r.0),
            ratios(|r| r.1)
        )?;
    }
    Ok(out)
}

pub fn run(
    bin: &Path,
    households: usize,
    big: usize,
    incremental_runs: usize,
    peer: Option<PathBuf>,
    command: &str,
) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let mut report = String::new();
    writeln!(report, "## Station sync\n")?;
    // The section says when, how and where it was measured: a station-only run replaces it alone.
    writeln!(
        report,
        "Measured {} with `{command}` on: {}.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        crate::machine::describe()
    )?;

    // Ingest: a beat of `households` households with nine visit-sized records each.
    let station = StationProcess::start(bin)?;
    let ingest = ingest(&station, households, dir.path())?;
    report.push_str(&ingest.table());
    let ours = ingest.https;
    let peer_rates = peer.as_deref().and_then(|p| pouchdb(p, 100_000));
    match peer_rates {
        Some((push, pull)) => writeln!(
            report,
            "| peer: PouchDB replication over HTTP (express-pouchdb, batch 1000, 100k visit docs): push / pull | {push:.0} / {pull:.0} | ours = {:.1}× its push (goal ≥ 20×) |",
            ours / push
        )?,
        None => writeln!(
            report,
            "| peer: PouchDB | not run (see scripts/bench.sh) | — |"
        )?,
    }
    writeln!(
        report,
        "\nThe reference inserts one row per change. The station, per change, also reads the record's \
         stored state, decides the merge, checks the merged values, and writes the merged record (a \
         second row, with its own indexes) under a new version; the HTTPS and JSON layer (TLS with the \
         pinned station certificate, and the laptop's credential checked on every request) costs the rest."
    )?;

    // First download of the whole beat by a new laptop.
    let mut newcomer = device(&station, dir.path(), "王警官", "幸福社区")?;
    let phase = crate::phases::mark("first-download");
    let t = Instant::now();
    let first = doorstep_sync::sync(&mut newcomer, |_| ())?;
    let first_download = t.elapsed();
    drop(phase);
    writeln!(
        report,
        "\nFirst download of a {households}-household beat ({} records) by a new laptop, pull pages of {} applied with the search index: {:.2} s (goal ≤ 2 s).\n",
        first.pulled,
        doorstep_sync::PULL_PAGE,
        first_download.as_secs_f64()
    )?;
    let mb = |bytes: u64| bytes as f64 / 1e6;
    let wire = first_download_bytes(&station, dir.path(), "幸福社区")?;
    writeln!(
        report,
        "On the wire (the same download by another new laptop through a counting relay, TLS and HTTP included): {:.1} MB from the station, {:.2} MB to it. The pull pages' JSON bodies: {:.1} MB; gzip'd page by page: {:.1} MB at the fastest level ({:.1}× smaller), {:.1} MB at the default level ({:.1}× smaller).\n",
        mb(wire.down),
        mb(wire.up),
        mb(wire.json),
        mb(wire.gzip_fast),
        wire.json as f64 / wire.gzip_fast as f64,
        mb(wire.gzip_default),
        wire.json as f64 / wire.gzip_default as f64,
    )?;
    // A laptop's whole sync, against the PouchDB peer's push and pull of as many documents.
    let WholeSync {
        pushed,
        pulled,
        took,
        pushed_in,
        ..
    } = whole_sync(&station, dir.path(), 0, None)?;
    let peer_time = peer_rates.map(|(push, pull)| pushed as f64 / push + pushed as f64 / pull);
    writeln!(
        report,
        "A laptop's whole sync, end to end (an encrypted laptop database with the CLI demo's {pushed} new changes, 2,000 households; pushed over HTTPS on loopback, decided and stored, then its beat pulled: {pulled} records came back): {:.2} s (goal ≤ 1 s; the push ended at {:.2} s){}.\n",
        took.as_secs_f64(),
        pushed_in.as_secs_f64(),
        match peer_time {
            Some(peer) => format!(
                "; the PouchDB peer's push and pull of as many documents in this run: {peer:.2} s, ours = {:.1}× faster (goal ≥ 10×)",
                peer / took.as_secs_f64()
            ),
            None => String::new(),
        }
    )?;
    // The same over a link as an officer at the station finds it: what the wire costs shows.
    let wifi = whole_sync(&station, dir.path(), 1, Some(crate::relay::Shape::WIFI))?;
    writeln!(report, "A laptop's {}\n", wifi_line(&wifi))?;
    let ingest_peak = station.peak_mb();
    drop(station);
    // The same ingest and first download by a station run as the shipped systemd unit runs it.
    let unit_env = unit_environment();
    let unit_peak = if unit_env.is_empty() {
        None
    } else {
        let station = StationProcess::start_with(bin, &unit_env)?;
        let mut officer = Pusher::enroll(&station, "张警官", "幸福社区")?;
        let changes = officer.changes(households * 10)?;
        officer.push(&station, &changes)?;
        let mut newcomer = device(&station, dir.path(), "钱警官", "幸福社区")?;
        doorstep_sync::sync(&mut newcomer, |_| ())?;
        Some(station.peak_mb())
    };

    // Incremental sync of 50 changes against a station holding 10k, then 1M changes.
    let station = StationProcess::start(bin)?;
    let mut seeder = Pusher::enroll(&station, "张警官", "幸福社区")?;
    let seed = seeder.changes(10_000)?;
    seeder.push(&station, &seed)?;
    let mut laptop = device(&station, dir.path(), "赵警官", "幸福社区")?;
    doorstep_sync::sync(&mut laptop, |_| ())?;
    let mut small = Vec::new();
    for _ in 0..incremental_runs.max(1) {
        small.push(incremental(&mut laptop, "incremental-10k")?);
    }
    let mut other = Pusher::enroll(&station, "孙警官", "和平社区")?;
    let mut left = big.saturating_sub(10_000);
    while left > 0 {
        let n = left.min(100_000);
        let batch = other.changes(n)?;
        other.push(&station, &batch)?;
        left -= n;
    }
    let held: i64 = station_changes(&station)?;
    let mut large = Vec::new();
    for _ in 0..incremental_runs.max(1) {
        large.push(incremental(&mut laptop, "incremental-1m")?);
    }
    let (small, large) = (Stats::of(small), Stats::of(large));
    writeln!(
        report,
        "| incremental sync of 50 edits (push + pull), {} syncs each | p50 | max |",
        small.n
    )?;
    writeln!(report, "|---|---|---|")?;
    writeln!(
        report,
        "| station holding 10k changes | {} | {} |",
        Stats::ms(small.p50),
        Stats::ms(small.max)
    )?;
    writeln!(
        report,
        "| station holding {}k changes | {} | {} |",
        held / 1000,
        Stats::ms(large.p50),
        Stats::ms(large.max)
    )?;
    writeln!(
        report,
        "\nRatio 1M / 10k: {:.2}× (goal ≤ 1.5×). At 1M, the slowest of the syncs against their median: {:.2}× (goal ≤ 3×).\n",
        large.p50.as_secs_f64() / small.p50.as_secs_f64(),
        large.max.as_secs_f64() / large.p50.as_secs_f64()
    )?;
    writeln!(
        report,
        "Station peak memory (VmHWM; goal ≤ 40 MB): {ingest_peak} MB during the ingest and first download; {} MB after taking 1M changes.{}\n",
        station.peak_mb(),
        match unit_peak {
            Some(mb) => format!(
                " Run as the shipped systemd unit runs it (packaging/systemd/doorstep-station.service: glibc's allocator limited to two arenas, blocks from 128 KiB given back when freed), the same ingest and first download: {mb} MB."
            ),
            None => String::new(),
        }
    )?;
    Ok(report)
}

fn station_changes(station: &StationProcess) -> anyhow::Result<i64> {
    let path = station._dir.path().join("station.sqlite");
    let conn = rusqlite::Connection::open(path)?;
    Ok(conn.query_row("SELECT count(*) FROM changes", [], |r| r.get(0))?)
}
