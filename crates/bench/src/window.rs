//! The desktop window as an officer meets it, on the benchmark's beat (its database encrypted, as
//! the app keeps it): the release app under the display, its first screen (the lock screen), then
//! the passphrase typed through WebDriver (tauri-driver, as the window tests drive it) until Today
//! shows the beat, and the memory of the app and its WebKit processes with Today on screen.

use crate::measure::Stats;
use anyhow::Context;
use fantoccini::{ClientBuilder, Locator};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Window {
    /// Process spawn to the lock screen drawn (the app reports it).
    pub lock_screen: Stats,
    /// The passphrase submitted to Today drawn with the beat's data: the key derived (Argon2, slow
    /// on purpose), the database opened, Today worked out and drawn.
    pub unlocked: Stats,
    /// With Today on screen, each process: its name, proportional and resident set in MB.
    pub processes: Vec<(String, u64, u64)>,
    /// The reference, measured the same way: WebKitGTK's own browser showing a line of Chinese
    /// (see [`reference_browser`]); `None` where the library ships none.
    pub reference: Option<Vec<(String, u64, u64)>>,
    /// The same browser's start to its page's first frame (see [`reference_first_frame`]).
    pub reference_first_frame: Option<Stats>,
}

/// Proportional and resident set of a window's processes together, in MB.
pub fn total_mb(processes: &[(String, u64, u64)]) -> (u64, u64) {
    (
        processes.iter().map(|p| p.1).sum(),
        processes.iter().map(|p| p.2).sum(),
    )
}

impl Window {
    pub fn total_pss_mb(&self) -> u64 {
        total_mb(&self.processes).0
    }
    pub fn total_rss_mb(&self) -> u64 {
        total_mb(&self.processes).1
    }
    /// The app's own process: the one that is not one of WebKit's.
    pub fn app_rss_mb(&self) -> u64 {
        self.processes
            .iter()
            .find(|p| !p.0.starts_with("WebKit"))
            .map_or(0, |p| p.2)
    }
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

pub fn measure(app: &Path, db: &Path, passphrase: &str) -> anyhow::Result<Window> {
    let lock_screen = lock_screen(app, db)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (unlocked, processes) = runtime.block_on(unlock_to_today(app, db, passphrase))?;
    let browser = mini_browser();
    Ok(Window {
        lock_screen,
        unlocked,
        processes,
        reference: browser.as_deref().map(reference_browser).transpose()?,
        reference_first_frame: browser
            .as_deref()
            .map(|b| runtime.block_on(reference_first_frame(b)))
            .transpose()?,
    })
}

/// The page the reference browser shows: one line of Chinese, so that its web process loads the
/// CJK fonts as the app's does (on this machine they add ~27 MB to a blank page's web process).
const REFERENCE_PAGE: &str = "data:text/html;charset=utf-8,<html lang=zh-CN><body><h1>今日走访</h1>\
    <p>幸福路12号 张国营 检查了燃气管道和电线，提醒不要在楼道给电动车充电。</p></body></html>";

/// MiniBrowser, the small browser WebKitGTK ships beside its web and network processes (in
/// Debian's libwebkit2gtk-4.1-0, which the app needs); `None` where the library ships none.
fn mini_browser() -> Option<PathBuf> {
    let candidates = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .filter_map(|e| Some(e.ok()?.path().join("webkit2gtk-4.1/MiniBrowser")))
        .chain([PathBuf::from("/usr/libexec/webkit2gtk-4.1/MiniBrowser")]);
    candidates.into_iter().find(|p| p.exists())
}

/// What a window of the library the app draws with costs at the least, on this machine and
/// display: MiniBrowser showing [`REFERENCE_PAGE`] — its own process, its web process and its
/// network process, measured as the app's are, a few seconds after it started.
fn reference_browser(browser: &Path) -> anyhow::Result<Vec<(String, u64, u64)>> {
    let child = Killed(
        Command::new(browser)
            .arg(REFERENCE_PAGE)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", browser.display()))?,
    );
    let pid = child.0.id();
    let deadline = Instant::now() + Duration::from_secs(20);
    let has_web_process = || {
        crate::machine::descendants(pid).iter().any(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm"))
                .is_ok_and(|n| n.starts_with("WebKitWebProces"))
        })
    };
    while !has_web_process() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "MiniBrowser started no web process"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The page is drawn well within this (the app is measured a second after Today is drawn).
    std::thread::sleep(Duration::from_secs(3));
    let mut processes = vec![pid];
    processes.extend(crate::machine::descendants(pid));
    Ok(processes
        .into_iter()
        .filter_map(|pid| process_memory(pid, "reference-"))
        .collect())
}

/// How soon a window of the library can show a page on this machine and display, timed as the
/// app's first screen is: MiniBrowser started eleven times (the first left out, as the app's)
/// on [`REFERENCE_PAGE`] served from loopback, with compositing off as the app sets it; the page
/// asks for `/painted` at its first animation frame, as the app's page calls the shell once its
/// lock screen is drawn. The time is from the spawn to that request.
async fn reference_first_frame(browser: &Path) -> anyhow::Result<Stats> {
    let (painted, mut frames) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let page = format!(
        "{}<script>requestAnimationFrame(() => fetch('/painted'))</script>",
        REFERENCE_PAGE
            .trim_start_matches("data:text/html;charset=utf-8,")
            .trim_end_matches("</body></html>")
    );
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async move { axum::response::Html(page) }),
        )
        .route(
            "/painted",
            axum::routing::get(move || async move {
                let _ = painted.send(Instant::now());
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let mut samples = Vec::new();
    for _ in 0..11 {
        while frames.try_recv().is_ok() {}
        let t = Instant::now();
        let browser = Killed(
            Command::new(browser)
                .arg(&url)
                .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", browser.display()))?,
        );
        let frame = tokio::time::timeout(Duration::from_secs(20), frames.recv())
            .await
            .context("MiniBrowser drew no frame of the page")?
            .context("the page's server stopped")?;
        samples.push(frame.duration_since(t));
        drop(browser);
    }
    server.abort();
    samples.remove(0);
    Ok(Stats::of(samples))
}

/// Starts the app eleven times and times spawn to its "first screen" report; the first start warms
/// the disk cache and is left out. Ten starts: single starts on a shared machine vary by ±100 ms.
fn lock_screen(app: &Path, db: &Path) -> anyhow::Result<Stats> {
    let mut samples = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let mut child = Command::new(app)
            .env("DOORSTEP_DB", db)
            .env("DOORSTEP_EXIT_WHEN_READY", "1")
            .env("DOORSTEP_NO_AUTO_SYNC", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the app (is $DISPLAY set?)")?;
        let out = child.stdout.take().context("app stdout")?;
        let mut ready = false;
        for line in BufReader::new(out).lines() {
            if line?.contains("first screen after") {
                ready = true;
                break;
            }
        }
        anyhow::ensure!(ready, "the app exited before its first screen");
        samples.push(t.elapsed());
        child.wait()?;
    }
    samples.remove(0);
    Ok(Stats::of(samples))
}

/// Four sessions through tauri-driver: the passphrase typed, then submitted and timed until Today
/// is drawn (the first session warms the disk cache and is left out); the memory is read in the
/// last, a second after Today.
async fn unlock_to_today(
    app: &Path,
    db: &Path,
    passphrase: &str,
) -> anyhow::Result<(Stats, Vec<(String, u64, u64)>)> {
    let (port, native) = (free_port()?, free_port()?);
    let driver = Killed(
        Command::new(tauri_driver())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("DOORSTEP_DB", db)
            .env("DOORSTEP_NO_AUTO_SYNC", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("tauri-driver (scripts/install-deps.sh installs it)")?,
    );
    // tauri-driver answers at once but starts WebKitWebDriver beside it: a session asked for
    // before that one listens is dropped unanswered.
    let deadline = Instant::now() + Duration::from_secs(20);
    for (end, what) in [(port, "tauri-driver"), (native, "WebKitWebDriver")] {
        while std::net::TcpStream::connect(("127.0.0.1", end)).is_err() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "{what} did not start listening on port {end}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let mut samples = Vec::new();
    let mut processes = Vec::new();
    for run in 0..4 {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app }),
        );
        let client = ClientBuilder::rustls()?
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("a WebDriver session on the app")?;
        let wait = client.wait().at_most(Duration::from_secs(30));
        wait.for_element(Locator::Css("[data-testid=passphrase]"))
            .await?
            .send_keys(passphrase)
            .await?;
        let submit = client
            .find(Locator::Css(
                "[data-testid=lock-screen] button[type=submit]",
            ))
            .await?;
        let t = Instant::now();
        submit.click().await?;
        // Polled as fast as the driver answers (a few milliseconds a round trip).
        loop {
            if client
                .find(Locator::Css("[data-testid=due-list]"))
                .await
                .is_ok()
            {
                break;
            }
            anyhow::ensure!(t.elapsed() < Duration::from_secs(60), "Today never came");
        }
        samples.push(t.elapsed());
        if run == 3 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            processes = window_processes(driver.0.id());
        }
        client.close().await?;
    }
    samples.remove(0);
    Ok((Stats::of(samples), processes))
}

/// The app and the processes it started (WebKit's web and network processes), under the driver;
/// the drivers themselves are not the app's. With `DOORSTEP_BENCH_SMAPS=DIR` each process's
/// mappings are copied to `DIR/NAME.smaps`.
fn window_processes(driver: u32) -> Vec<(String, u64, u64)> {
    crate::machine::descendants(driver)
        .into_iter()
        .filter_map(|pid| process_memory(pid, ""))
        .filter(|(name, _, _)| !name.contains("WebDriver"))
        .collect()
}

/// A process's name, proportional and resident set in MB; `None` once it is gone. Its mappings
/// are copied as `DIR/{prefix}NAME.smaps` with `DOORSTEP_BENCH_SMAPS=DIR`.
fn process_memory(pid: u32, prefix: &str) -> Option<(String, u64, u64)> {
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    let name = name.trim().to_string();
    // For finding where a process's memory goes: its mappings, kept aside.
    if let Some(dir) = std::env::var_os("DOORSTEP_BENCH_SMAPS") {
        let _ = std::fs::copy(
            format!("/proc/{pid}/smaps"),
            Path::new(&dir).join(format!("{prefix}{name}.smaps")),
        );
    }
    Some((
        name,
        crate::machine::pss_kb(pid) / 1024,
        crate::machine::status_kb(&pid.to_string(), "VmRSS:") / 1024,
    ))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn tauri_driver() -> PathBuf {
    match std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tauri-driver")) {
        Some(p) if p.exists() => p,
        _ => PathBuf::from("tauri-driver"),
    }
}
