//! A bureau process for one test, on a throw-away PostgreSQL, and its accounts.

use super::postgres::Postgres;
use super::support::{built_binary, pinned_agent};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const ADMIN_PASSWORD: &str = "bureau-admin-password";

pub struct Bureau {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
    agent: ureq::Agent,
    pub admin_token: String,
}

impl Bureau {
    pub fn start(pg: &Postgres) -> Bureau {
        Bureau::start_with(pg, &[])
    }

    /// A bureau on `pg`, with extra arguments to `serve` (a replica).
    pub fn start_with(pg: &Postgres, args: &[&str]) -> Bureau {
        Bureau::start_on(&pg.url(), args)
    }

    /// A bureau on the database at `database`, with extra arguments to `serve`.
    pub fn start_on(database: &str, args: &[&str]) -> Bureau {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bureau.json"),
            format!("{{\"admin_password\": \"{ADMIN_PASSWORD}\", \"name\": \"测试市公安局\"}}"),
        )
        .unwrap();
        let mut child = Command::new(built_binary("doorstep-bureau"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path())
            .args(["--database", database])
            .args(args)
            .env("DOORSTEP_LOG", "warn")
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
            url.starts_with("https://127.0.0.1:"),
            "bureau said {line:?}"
        );
        let certificate = std::fs::read(dir.path().join("tls/cert.der")).unwrap();
        let mut bureau = Bureau {
            child,
            url,
            dir,
            agent: pinned_agent(&certificate),
            admin_token: String::new(),
        };
        bureau.admin_token = bureau.sign_in("admin", ADMIN_PASSWORD);
        bureau
    }

    pub fn fingerprint(&self) -> String {
        doorstep_sync::tls::fingerprint(
            &std::fs::read(self.dir.path().join("tls/cert.der")).unwrap(),
        )
    }

    pub fn sign_in(&self, username: &str, password: &str) -> String {
        let (status, body, token) = self.sign_in_answer(username, password);
        assert_eq!(status, 200, "signing in as {username}: {body}");
        token.expect("a session cookie")
    }

    /// (status, body, the session token the cookie carries).
    pub fn sign_in_answer(&self, username: &str, password: &str) -> (u16, String, Option<String>) {
        let mut response = self
            .agent
            .post(&format!("{}/api/v1/session", self.url))
            .send_json(serde_json::json!({"username": username, "password": password}))
            .unwrap();
        let token = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| {
                v.split(';')
                    .next()?
                    .strip_prefix("doorstep_bureau_session=")
            })
            .find(|t| !t.is_empty())
            .map(str::to_string);
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().unwrap(), token)
    }

    /// Creates an account as the administrator and signs in as it: its session token.
    pub fn account(&self, username: &str, roles: &[&str], may_see_reporters: bool) -> String {
        let password = format!("{username}-password-1");
        let (status, body) = self.request(
            "POST",
            "/api/v1/accounts",
            &self.admin_token,
            Some(serde_json::json!({
                "username": username, "display_name": format!("{username} 同志"), "roles": roles,
                "may_see_reporters": may_see_reporters, "password": password,
            })),
        );
        assert_eq!(status, 200, "{body}");
        self.sign_in(username, &password)
    }

    /// A one-time code for a station called `name`.
    pub fn station_code(&self, name: &str) -> String {
        let (status, body) = self.request(
            "POST",
            "/api/v1/stations/codes",
            &self.admin_token,
            Some(serde_json::json!({ "station_name": name })),
        );
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A request with a bearer token: (status, body).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, String) {
        let (status, body, _) = self.request_headers(method, path, token, body);
        (status, body)
    }

    /// A request with a bearer token: (status, body, the `x-served-by` header).
    pub fn request_headers(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, String, Option<String>) {
        let url = format!("{}{path}", self.url);
        let auth = format!("Bearer {token}");
        let result = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call(),
            ("POST", Some(b)) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_json(b),
            ("POST", None) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_empty(),
            (m, _) => panic!("method {m}"),
        };
        let mut response = result.unwrap();
        let served = response
            .headers()
            .get("x-served-by")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_to_string().unwrap(),
            served,
        )
    }

    pub fn get_json(&self, path: &str, token: &str) -> serde_json::Value {
        let (status, body) = self.request("GET", path, token, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    pub fn post_json(&self, path: &str, token: &str, body: serde_json::Value) -> serde_json::Value {
        let (status, text) = self.request("POST", path, token, Some(body));
        assert_eq!(status, 200, "POST {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Sends raw bytes as a station would, with its credential: (status, body).
    pub fn post_raw(&self, path: &str, credential: &str, body: &str) -> (u16, String) {
        let mut response = self
            .agent
            .post(&format!("{}{path}", self.url))
            .header("Authorization", &format!("Bearer {credential}"))
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().unwrap())
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Bureau {
    fn drop(&mut self) {
        self.stop();
    }
}
