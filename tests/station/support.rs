//! A station process for one test, and officers' devices enrolled with it.

use doorstep_core::Store;
use doorstep_core::model::{Household, HouseholdKind};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const ADMIN_PASSWORD: &str = "test-admin-password";
/// The staff account the tests act as (staff, not chief): 李所长 in every staff decision.
pub const STAFF_USER: &str = "staff";
pub const STAFF_PASSWORD: &str = "test-staff-password";

pub struct Station {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
    agent: ureq::Agent,
    /// A session of the staff account, as `Bearer` token.
    pub staff_token: String,
    pub admin_token: String,
}

impl Station {
    /// Stops the station process (as a kill would), leaving its data folder.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The station process's id (a fault test kills it from another thread).
    #[allow(dead_code)] // the fault tests'
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts the station again on its data folder and its address (laptops know it by that).
    pub fn restart(&mut self) {
        self.stop();
        let listen = self.url.trim_start_matches("https://").to_string();
        let (child, url) = launch(self.dir.path(), &listen, &[], Stdio::inherit(), "warn");
        assert_eq!(url, self.url, "the same address");
        self.child = child;
        self.admin_token = self.sign_in("admin", ADMIN_PASSWORD);
        self.staff_token = self.sign_in(STAFF_USER, STAFF_PASSWORD);
    }

    /// Runs a console command of the station's binary (`backup`, `restore`, …) and waits for it:
    /// (success, stdout, stderr).
    pub fn console(&self, args: &[&std::ffi::OsStr]) -> (bool, String, String) {
        let out = Command::new(station_binary()).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `doorstep-station bundle import` of a laptop's bundle on the console, the answer written to
    /// `answer`: (success, the import's report, stderr).
    #[allow(dead_code)] // the bundle tests'
    pub fn import_bundle(&self, bundle: &Path, answer: &Path) -> (bool, serde_json::Value, String) {
        let (ok, out, err) = self.console(&[
            "bundle".as_ref(),
            "import".as_ref(),
            "--data".as_ref(),
            self.dir.path().as_os_str(),
            bundle.as_os_str(),
            "--answer".as_ref(),
            answer.as_os_str(),
        ]);
        let report = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
        (ok, report, err)
    }

    /// Starts the binary on this station's data folder and waits for it to end: (success, stderr).
    /// For a station that must refuse to start.
    pub fn start_again_expecting_refusal(&self) -> (bool, String) {
        let out = Command::new(station_binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(self.dir.path())
            .env("DOORSTEP_LOG", "warn")
            .stdout(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Station {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `doorstep-station serve` on `dir` and waits until it says where it listens: the process
/// and its `https://` address.
fn launch(dir: &Path, listen: &str, args: &[&str], stderr: Stdio, level: &str) -> (Child, String) {
    let mut child = Command::new(station_binary())
        .args(["serve", "--listen", listen, "--data"])
        .arg(dir)
        .args(args)
        .env("DOORSTEP_LOG", level)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(
        url.starts_with("https://127.0.0.1:"),
        "station said {line:?}"
    );
    (child, url)
}

fn station_binary() -> PathBuf {
    built_binary("doorstep-station")
}

/// A binary of the workspace that `scripts/test.sh` built beside the tests.
pub fn built_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(Path::parent).unwrap().join(name);
    assert!(
        bin.exists(),
        "{} is missing: run scripts/test.sh (it builds the station first)",
        bin.display()
    );
    bin
}

/// The session token a sign-in answer sets in its cookie (API clients send it back as a bearer).
pub fn session_from_cookie(headers: &ureq::http::HeaderMap) -> String {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.strip_prefix("doorstep_session="))
        .next()
        .expect("a session cookie")
        .to_string()
}

/// A client that trusts exactly this certificate (as an enrolled laptop does).
pub fn pinned_agent(certificate: &[u8]) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(doorstep_sync::tls::pinned(certificate))
        .build()
        .into()
}

impl Station {
    pub fn start() -> Station {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("station.json"),
            format!("{{\"admin_password\": \"{ADMIN_PASSWORD}\"}}"),
        )
        .unwrap();
        Self::start_in(dir)
    }

    /// A station started with extra arguments to `serve`.
    #[allow(dead_code)] // the bureau tests'
    pub fn start_with(args: &[&str]) -> Station {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("station.json"),
            format!("{{\"admin_password\": \"{ADMIN_PASSWORD}\"}}"),
        )
        .unwrap();
        Self::spawn(dir, args, Stdio::inherit(), "warn")
    }

    /// Starts the station on a data folder prepared by the caller.
    pub fn start_in(dir: tempfile::TempDir) -> Station {
        // Warnings and errors only: a line per request would bury the tests' own output.
        Self::spawn(dir, &[], Stdio::inherit(), "warn")
    }

    /// Starts a station that writes its log as JSON lines to `log`.
    pub fn start_logging_to(log: &std::path::Path) -> Station {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("station.json"),
            format!("{{\"admin_password\": \"{ADMIN_PASSWORD}\"}}"),
        )
        .unwrap();
        let file = std::fs::File::create(log).unwrap();
        Self::spawn(dir, &["--log-format", "json"], Stdio::from(file), "info")
    }

    fn spawn(dir: tempfile::TempDir, args: &[&str], stderr: Stdio, level: &str) -> Station {
        let (child, url) = launch(dir.path(), "127.0.0.1:0", args, stderr, level);
        let certificate = std::fs::read(dir.path().join("tls/cert.der")).unwrap();
        let mut station = Station {
            child,
            url,
            dir,
            agent: pinned_agent(&certificate),
            staff_token: String::new(),
            admin_token: String::new(),
        };
        station.admin_token = station.sign_in("admin", ADMIN_PASSWORD);
        station.create_account(STAFF_USER, "李所长", &["staff"], &[], STAFF_PASSWORD);
        station.staff_token = station.sign_in(STAFF_USER, STAFF_PASSWORD);
        station
    }

    /// The SHA-256 fingerprint of the station's certificate, as the laptop shows it.
    pub fn fingerprint(&self) -> String {
        doorstep_sync::tls::fingerprint(&self.certificate())
    }

    pub fn certificate(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("tls/cert.der")).unwrap()
    }

    /// Signs in and returns the session token.
    pub fn sign_in(&self, username: &str, password: &str) -> String {
        let mut response = self
            .agent
            .post(&format!("{}/api/v1/session", self.url))
            .send_json(serde_json::json!({"username": username, "password": password}))
            .unwrap();
        let body = response.body_mut().read_to_string().unwrap();
        assert_eq!(response.status(), 200, "signing in as {username}: {body}");
        assert!(
            !body.contains("\"token\""),
            "no session token in the body: {body}"
        );
        session_from_cookie(response.headers())
    }

    /// Creates an account as the administrator; its id.
    pub fn create_account(
        &self,
        username: &str,
        name: &str,
        roles: &[&str],
        beats: &[&str],
        password: &str,
    ) -> String {
        let (status, body) = self.request(
            "POST",
            "accounts",
            &self.admin_token,
            Some(&serde_json::json!({
                "username": username, "display_name": name, "roles": roles, "beats": beats, "password": password
            })),
        );
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The officer's account (made on first use; a new beat is added to it), and a fresh one-time
    /// enrolment code for one of their laptops.
    pub fn enrollment_code(&self, officer: &str, beat: &str) -> String {
        let (_, body) = self.request("GET", "accounts", &self.admin_token, None);
        let accounts: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        let id = match accounts.iter().find(|a| a["username"] == officer) {
            Some(a) => {
                let mut beats: Vec<String> = serde_json::from_value(a["beats"].clone()).unwrap();
                if !beats.iter().any(|b| b == beat) {
                    beats.push(beat.to_string());
                    let (status, body) = self.request(
                        "POST",
                        &format!("accounts/{}", a["id"].as_str().unwrap()),
                        &self.admin_token,
                        Some(&serde_json::json!({ "beats": beats })),
                    );
                    assert_eq!(status, 200, "{body}");
                }
                a["id"].as_str().unwrap().to_string()
            }
            None => self.create_account(
                officer,
                officer,
                &["officer"],
                &[beat],
                "officer-password-1",
            ),
        };
        let (status, body) = self.request(
            "POST",
            &format!("accounts/{id}/enrollment-code"),
            &self.admin_token,
            None,
        );
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The account id of a username (as the administrator's list shows it).
    pub fn account_id(&self, username: &str) -> String {
        let (_, body) = self.request("GET", "accounts", &self.admin_token, None);
        let accounts: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        accounts
            .iter()
            .find(|a| a["username"] == username)
            .expect("the account")["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The administrator gives an account exactly these beats.
    pub fn set_beats(&self, username: &str, beats: &[&str]) {
        let (_, body) = self.request("GET", "accounts", &self.admin_token, None);
        let accounts: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        let account = accounts
            .iter()
            .find(|a| a["username"] == username)
            .expect("the account");
        let (status, body) = self.request(
            "POST",
            &format!("accounts/{}", account["id"].as_str().unwrap()),
            &self.admin_token,
            Some(&serde_json::json!({ "beats": beats })),
        );
        assert_eq!(status, 200, "{body}");
    }

    /// A request to the station's API with a bearer token (none if empty): (status, body).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, String) {
        let (status, bytes) = self.request_bytes(method, path, token, body);
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    pub fn request_bytes(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, Vec<u8>) {
        self.try_request(method, path, token, body).unwrap()
    }

    /// A request that may find the station gone (the fault tests kill it): `Err` if no answer came.
    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, Vec<u8>), ureq::Error> {
        let url = format!("{}/api/v1/{path}", self.url);
        let auth = format!("Bearer {token}");
        let result = match (method, body) {
            ("GET", _) => {
                let mut r = self.agent.get(&url);
                if !token.is_empty() {
                    r = r.header("Authorization", &auth);
                }
                r.call()
            }
            (_, body) => {
                let mut r = self.agent.post(&url);
                if !token.is_empty() {
                    r = r.header("Authorization", &auth);
                }
                match body {
                    Some(b) => r.send_json(b),
                    None => r.send_empty(),
                }
            }
        };
        let mut response = result?;
        Ok((
            response.status().as_u16(),
            response.body_mut().read_to_vec()?,
        ))
    }

    /// A POST of raw bytes (a bundle file) with a bearer token: (status, body).
    #[allow(dead_code)] // the bundle tests'
    pub fn post_bytes(&self, path: &str, token: &str, bytes: &[u8]) -> (u16, String) {
        let mut response = self
            .agent
            .post(format!("{}/api/v1/{path}", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .content_type("application/octet-stream")
            .send(bytes)
            .unwrap();
        (
            response.status().as_u16(),
            response.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    /// A POST of JSON as given, in the encodings named (each a `Content-Encoding` header), with a
    /// bearer token: (status, body).
    #[allow(dead_code)] // the delivery tests'
    pub fn post_encoded(
        &self,
        path: &str,
        token: &str,
        encodings: &[&str],
        bytes: &[u8],
    ) -> (u16, String) {
        let mut request = self
            .agent
            .post(format!("{}/api/v1/{path}", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .content_type("application/json");
        for encoding in encodings {
            request = request.header("Content-Encoding", *encoding);
        }
        let mut response = request.send(bytes).unwrap();
        (
            response.status().as_u16(),
            response.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    /// A PUT of raw bytes (a photo's chunk) with a bearer token: (status, body).
    #[allow(dead_code)] // the photo tests'
    pub fn put_bytes(&self, path: &str, token: &str, bytes: &[u8]) -> (u16, String) {
        let mut response = self
            .agent
            .put(format!("{}/api/v1/{path}", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .content_type("application/octet-stream")
            .send(bytes)
            .unwrap();
        (
            response.status().as_u16(),
            response.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    /// A read-only look at the station's database.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("station.sqlite")).unwrap()
    }

    /// A staff member's JSON request to the station's API: (status, body).
    pub fn post(&self, path: &str, body: &serde_json::Value) -> (u16, String) {
        self.request("POST", path, &self.staff_token, Some(body))
    }

    /// A staff member's GET of the station's API: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        self.request("GET", path, &self.staff_token, None)
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

/// An officer's laptop: a database of its own, enrolled with the station.
pub struct Device {
    pub store: Store,
    _dir: tempfile::TempDir,
}

impl Device {
    pub fn new(station: &Station, officer: &str, beat: &str) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("field.sqlite")).unwrap();
        store.init_device(officer, &[beat.to_string()]).unwrap();
        let code = station.enrollment_code(officer, beat);
        doorstep_sync::enroll(&mut store, &station.url, &code).unwrap();
        Device { store, _dir: dir }
    }

    /// A laptop around a store opened elsewhere (its folder is the caller's).
    #[allow(dead_code)] // the fault tests'
    pub fn wrap(store: Store) -> Device {
        Device {
            store,
            _dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A laptop's database opened from a file (a backup restored, a copy), kept in `dir`.
    pub fn open(path: &Path, dir: tempfile::TempDir) -> Device {
        Device {
            store: Store::open(path).unwrap(),
            _dir: dir,
        }
    }

    /// Closes the laptop's database: its file, and the folder that holds it.
    pub fn into_file(self) -> (PathBuf, tempfile::TempDir) {
        (self._dir.path().join("field.sqlite"), self._dir)
    }

    pub fn sync(&mut self) -> doorstep_sync::SyncReport {
        doorstep_sync::sync(&mut self.store, |_| ()).unwrap()
    }

    /// This laptop's credential, for requests made by hand.
    pub fn credential(&self) -> String {
        self.store.station().unwrap().unwrap().device_credential
    }

    pub fn household(&self, id: uuid::Uuid) -> Household {
        self.store.get(id).unwrap()
    }
}

/// A photo as a camera writes it: `w`×`h` pixels as JPEG (quality 90); `noisy` pixels make the
/// file as large as a real photo of that size (a gradient compresses to almost nothing).
#[allow(dead_code)] // the photo tests'
pub fn camera_jpeg(w: u32, h: u32, noisy: bool) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let image = image::RgbImage::from_fn(w, h, |x, y| {
        if noisy {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let [a, b, c, _] = state.to_le_bytes();
            image::Rgb([a, b, c])
        } else {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&image)
        .unwrap();
    out
}

/// A visit to `household` with these notes, saved on the laptop.
pub fn new_visit(
    device: &mut Device,
    household: &Household,
    notes: &str,
) -> doorstep_core::model::Visit {
    let v = doorstep_core::model::Visit {
        id: doorstep_core::ids::VisitId::new(),
        version: 0,
        household_id: household.id,
        visited_at: doorstep_core::time::now(),
        officers: vec!["民警".into()],
        purposes: vec![doorstep_core::model::Purpose::Warmth],
        met: vec![],
        notes: notes.into(),
        inquiry_areas: vec![],
        rating: None,
        opinions: String::new(),
        location: String::new(),
        deleted: false,
    };
    device.store.save(&v).unwrap();
    v
}

pub fn new_household(device: &mut Device, beat: &str, address: &str) -> Household {
    let h = Household::new(beat, address, HouseholdKind::Residence);
    device.store.save(&h).unwrap();
    h
}

/// Saves `households` households in `beat` on the laptop, each with the longest note a record may
/// hold (10,000 characters: 30 kB of UTF-8); returns the note and the households.
pub fn households_with_long_notes(
    device: &mut Device,
    beat: &str,
    households: i64,
) -> (String, Vec<Household>) {
    let note: String = "居民反映楼道堆物影响通行已劝导清理"
        .chars()
        .cycle()
        .take(10_000)
        .collect();
    let mut saved = Vec::new();
    for i in 0..households {
        let mut h = Household::new(beat, format!("长安街{i}号"), HouseholdKind::Residence);
        h.notes = note.clone();
        device.store.save(&h).unwrap();
        saved.push(h);
    }
    (note, saved)
}

/// One TLS connection to the station spoken by hand, for what a pooled HTTP client hides: the
/// request's head and its body sent as separate writes, and several requests on one connection.
pub struct RawConnection {
    tls: rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>,
}

impl RawConnection {
    pub fn open(station: &Station) -> RawConnection {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(station.certificate().into()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(doorstep_sync::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let address = station.url.trim_start_matches("https://");
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let connection = rustls::ClientConnection::new(config.into(), name).unwrap();
        let socket = std::net::TcpStream::connect(address).unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        RawConnection {
            tls: rustls::StreamOwned::new(connection, socket),
        }
    }

    /// POSTs a JSON body, the head first and the body a moment later; (status, body of the
    /// answer). Panics if the connection fails, which is what the callers test.
    pub fn post_head_then_body(&mut self, path: &str, token: &str, body: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let auth = if token.is_empty() {
            String::new()
        } else {
            format!("Authorization: Bearer {token}\r\n")
        };
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        self.tls.write_all(head.as_bytes()).unwrap();
        self.tls.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        self.tls.write_all(body.as_bytes()).unwrap();
        self.tls.flush().unwrap();
        // Read up to the end of the head, then exactly Content-Length bytes.
        let mut answer = Vec::new();
        let mut byte = [0u8; 1];
        while !answer.ends_with(b"\r\n\r\n") {
            match self.tls.read(&mut byte) {
                Ok(1) => answer.push(byte[0]),
                other => panic!(
                    "the connection ended inside an answer ({other:?}) after {:?}",
                    String::from_utf8_lossy(&answer)
                ),
            }
        }
        let head = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        let status: u16 = head[9..12].parse().unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .unwrap_or(0);
        let mut content = vec![0u8; length];
        self.tls.read_exact(&mut content).unwrap();
        (status, String::from_utf8_lossy(&content).into_owned())
    }
}

/// The set-up of every concurrent-edit test: a station, two officers of 幸福社区 on their own laptops
/// (张警官 and 王警官), and one household 张警官 registered at `address`, synced to both.
pub struct SharedHousehold {
    pub station: Station,
    pub zhang: Device,
    pub wang: Device,
    pub household: Household,
}

impl SharedHousehold {
    pub fn start(address: &str) -> SharedHousehold {
        let station = Station::start();
        let mut zhang = Device::new(&station, "张警官", "幸福社区");
        let mut wang = Device::new(&station, "王警官", "幸福社区");
        let household = new_household(&mut zhang, "幸福社区", address);
        zhang.sync();
        wang.sync();
        SharedHousehold {
            station,
            zhang,
            wang,
            household,
        }
    }
}

/// A full disk, for real: a tmpfs of `size` mounted on a fresh folder (the tests run as root here;
/// `None`, with a note, where mounting is not allowed), unmounted when dropped.
#[allow(dead_code)] // the fault and window tests'
pub struct SmallDisk {
    dir: tempfile::TempDir,
}

#[allow(dead_code)]
impl SmallDisk {
    pub fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            println!(
                "FAULTS disk full: SKIPPED: cannot mount a tmpfs here (not root, or no mount)"
            );
            return None;
        }
        Some(SmallDisk { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the disk with a file that can be removed to make room again.
    pub fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        use std::io::Write;
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}
