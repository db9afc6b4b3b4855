//! A station process for one test, and officers' devices enrolled with it.

use doorstep_core::Store;
use doorstep_core::model::{Household, HouseholdKind};
use doorstep_core::store::remote::StationLink;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const PASSWORD: &str = "test-station-password";

pub struct Station {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Station {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn station_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("doorstep-station");
    assert!(
        bin.exists(),
        "{} is missing: run scripts/test.sh (it builds the station first)",
        bin.display()
    );
    bin
}

impl Station {
    pub fn start() -> Station {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("station.json"),
            format!("{{\"password\": \"{PASSWORD}\"}}"),
        )
        .unwrap();
        let mut child = Command::new(station_binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "station said {line:?}"
        );
        Station { child, url, dir }
    }

    /// A read-only look at the station's database.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("station.sqlite")).unwrap()
    }

    /// An authorised JSON request to the station's API: (status, body).
    pub fn post(&self, path: &str, body: &serde_json::Value) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent
            .post(&format!("{}/api/v1/{path}", self.url))
            .header("Authorization", &format!("Bearer {PASSWORD}"))
            .send_json(body)
            .unwrap();
        (
            response.status().as_u16(),
            response.body_mut().read_to_string().unwrap(),
        )
    }

    /// An authorised GET of the station's API: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent
            .get(&format!("{}/api/v1/{path}", self.url))
            .header("Authorization", &format!("Bearer {PASSWORD}"))
            .call()
            .unwrap();
        (
            response.status().as_u16(),
            response.body_mut().read_to_string().unwrap(),
        )
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
        doorstep_sync::enroll(
            &mut store,
            StationLink {
                url: station.url.clone(),
                password: PASSWORD.into(),
            },
        )
        .unwrap();
        Device { store, _dir: dir }
    }

    pub fn sync(&mut self) -> doorstep_sync::SyncReport {
        doorstep_sync::sync(&mut self.store, |_| ()).unwrap()
    }

    pub fn household(&self, id: uuid::Uuid) -> Household {
        self.store.get(id).unwrap()
    }
}

pub fn new_household(device: &mut Device, beat: &str, address: &str) -> Household {
    let h = Household::new(beat, address, HouseholdKind::Residence);
    device.store.save(&h).unwrap();
    h
}
