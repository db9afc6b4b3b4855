//! Running the real window: an Xvfb display, a tauri-driver per test, and a WebDriver session per
//! start of the app. Everything started here is killed when the guard is dropped, pass or fail.

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One window-driving test at a time (one display, one driver, one app).
pub static WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The built app binary: beside the test binary's `deps/` directory, in the same target dir.
pub fn app_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let app = profile_dir.join("doorstep-app");
    assert!(
        app.exists(),
        "{} is missing: run scripts/test.sh (it builds the UI and the app first)",
        app.display()
    );
    app
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A child stopped when dropped: SIGTERM first, since tauri-driver stops the WebKitWebDriver it
/// started only on SIGTERM or SIGINT (a SIGKILL leaves that one running), SIGKILL after 2 s.
struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(2);
        while matches!(self.0.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A display and a driver for the app, with the database at `db`.
pub struct Desktop {
    _xvfb: Option<Killed>,
    _driver: Killed,
    port: u16,
}

impl Desktop {
    pub fn start(db: &Path) -> Desktop {
        let (xvfb, display) = match std::env::var("DOORSTEP_TEST_DISPLAY") {
            Ok(display) => (None, display),
            Err(_) => {
                // -displayfd: Xvfb picks a free display and writes its number, so tests and any
                // other X server on the machine never collide.
                let mut child = Command::new("Xvfb")
                    .args([
                        "-displayfd",
                        "1",
                        "-screen",
                        "0",
                        "1280x800x24",
                        "-nolisten",
                        "tcp",
                    ])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("Xvfb (install it with scripts/install-deps.sh)");
                let mut line = String::new();
                let stdout = child.stdout.take().expect("Xvfb stdout");
                std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
                    .expect("Xvfb display number");
                (Some(Killed(child)), format!(":{}", line.trim()))
            }
        };
        let port = free_port();
        let native = free_port();
        let driver = Command::new(tauri_driver())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("DISPLAY", &display)
            .env("DOORSTEP_DB", db)
            // WebKit's sandbox and GPU paths need things a headless CI box lacks.
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver (install it with scripts/install-deps.sh)");
        let desktop = Desktop {
            _xvfb: xvfb,
            _driver: Killed(driver),
            port,
        };
        // Both ends must listen before a session is asked for: tauri-driver answers on `port` at
        // once but starts WebKitWebDriver on `native` beside it, and a session asked for before
        // that one listens is dropped unanswered (seen on a cold machine's first run).
        let deadline = Instant::now() + Duration::from_secs(20);
        for (end, what) in [(port, "tauri-driver"), (native, "WebKitWebDriver")] {
            while std::net::TcpStream::connect(("127.0.0.1", end)).is_err() {
                assert!(Instant::now() < deadline, "{what} did not start");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        desktop
    }

    /// Starts the app and returns a session on its window.
    pub async fn open_app(&self) -> App {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app_binary() }),
        );
        let client = ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session on the app");
        App { client }
    }
}

fn tauri_driver() -> PathBuf {
    let home_bin =
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tauri-driver"));
    match home_bin {
        Some(p) if p.exists() => p,
        _ => PathBuf::from("tauri-driver"),
    }
}

/// A session on the running app's window.
pub struct App {
    pub client: Client,
}

impl App {
    /// Waits (up to 15 s) for an element matching a CSS selector.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// Waits until the element's text contains `text`, and returns that text.
    pub async fn wait_text(&self, css: &str, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await
                && let Ok(t) = el.text().await
                && t.contains(text)
            {
                return t;
            }
            assert!(Instant::now() < deadline, "{css} never contained {text:?}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Types the passphrase on the lock screen (twice when it is being chosen) and waits for it to go.
    pub async fn unlock(&self, passphrase: &str) {
        self.find("[data-testid=passphrase]")
            .await
            .send_keys(passphrase)
            .await
            .unwrap();
        if let Ok(confirm) = self
            .client
            .find(Locator::Css("[data-testid=passphrase-confirm]"))
            .await
        {
            confirm.send_keys(passphrase).await.unwrap();
        }
        self.find("[data-testid=lock-screen] button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while self
            .client
            .find(Locator::Css("[data-testid=lock-screen]"))
            .await
            .is_ok()
        {
            assert!(Instant::now() < deadline, "the lock screen stayed");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Clicks the first button whose text contains `label`.
    pub async fn click_button(&self, label: &str) {
        let xpath = format!("//button[contains(normalize-space(.), '{label}')]");
        let el = self
            .client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button {label:?}: {e}"));
        el.click()
            .await
            .unwrap_or_else(|e| panic!("clicking {label:?}: {e}"));
    }

    /// Saves a screenshot under `tests/artifacts/` (for the README and for looking at failures).
    pub async fn screenshot(&self, name: &str) {
        tokio::time::sleep(Duration::from_millis(800)).await;
        // A screenshot is for looking at, not a check: one WebKitWebDriver never delivers must not
        // hang the test.
        let shot = tokio::time::timeout(Duration::from_secs(10), self.client.screenshot()).await;
        if let Ok(Ok(png)) = shot {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }

    /// Ends the session, which quits the app.
    pub async fn quit(self) {
        let _ = self.client.close().await;
    }
}

/// An encrypted laptop database of `officer` in 幸福社区 with one household (幸福路12号3栋401).
pub fn encrypted_laptop(db: &Path, passphrase: &str, officer: &str) {
    use doorstep_core::model::{Household, HouseholdKind};
    let (mut store, _) = doorstep_core::Store::unlock(db, passphrase).unwrap();
    store.init_device(officer, &["幸福社区".into()]).unwrap();
    store
        .save(&Household::new(
            "幸福社区",
            "幸福路12号3栋401",
            HouseholdKind::Residence,
        ))
        .unwrap();
}
