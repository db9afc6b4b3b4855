//! `doorstep-station serve --listen ADDR --data DIR`: the station server. Settings live in
//! `DIR/station.json`. On first start (no account yet) it creates the administrator account `admin`
//! with the password in `station.json`'s `admin_password`, or a random one it prints once. It serves
//! HTTPS only, with a certificate of its own made at first start (`DIR/tls/`).
//!
//! `backup --data DIR --to FILE|FOLDER` copies the data folder while the station serves, and
//! `restore --data DIR --from FILE` puts a backup back (see `doorstep_station::backup`).

use anyhow::Context;
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use clap::{Parser, Subcommand};
use doorstep_station::api::{AppState, app};
use doorstep_station::backup;
use doorstep_station::store::{NewAccount, Role, StationStore};
use doorstep_station::tls::Identity;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "doorstep-station",
    version,
    about = "The Doorstep station server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// The station's log on standard error (standard output says where it listens, for scripts).
fn start_log(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DOORSTEP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => log.init(),
        LogFormat::Json => log
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sync API.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8470")]
        listen: String,
        /// Folder for the station's database and settings.
        #[arg(long)]
        data: PathBuf,
        /// A name or address laptops use to reach the station, for its certificate (made at first
        /// start; localhost and this machine's name are always in it). Repeatable.
        #[arg(long = "tls-name")]
        tls_names: Vec<String>,
        /// How the log is written to standard error: `text` for people, or `json` (one object a
        /// line) for a log shipper. Levels come from `DOORSTEP_LOG` (default `info`), e.g.
        /// `DOORSTEP_LOG=debug` or `DOORSTEP_LOG=warn,doorstep_station=info`.
        #[arg(long = "log-format", value_enum, default_value = "text")]
        log_format: LogFormat,
        /// Seconds between rounds of sending to the bureau (when enrolled with one).
        #[arg(long = "bureau-every", default_value_t = 10)]
        bureau_every: u64,
    },
    /// The bureau above the station: enrol with it, send to it now, or say where replication
    /// stands. Works while the station serves.
    Bureau {
        #[command(subcommand)]
        action: BureauAction,
    },
    /// Create an account from the station machine's console (the password from
    /// DOORSTEP_ACCOUNT_PASSWORD, or typed on standard input). Administrators otherwise use the
    /// staff pages.
    AddAccount {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        username: String,
        /// The person's name as colleagues know it.
        #[arg(long)]
        name: String,
        /// officer, staff, chief or admin (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// An officer's beat (repeatable).
        #[arg(long = "beat")]
        beats: Vec<String>,
    },
    /// Make a backup of the station's data folder while it serves: one file with a consistent copy
    /// of the database, the settings and the certificate, and FILE.sha256 beside it. Given a
    /// folder, the backup is named by the time, and with --keep only that many are kept there.
    Backup {
        #[arg(long)]
        data: PathBuf,
        /// A file, or a folder to put a backup named by the time in.
        #[arg(long)]
        to: PathBuf,
        /// In a folder: keep this many backups, deleting older ones.
        #[arg(long)]
        keep: Option<usize>,
    },
    /// Check a backup whole and put it in place of the data folder's database, settings and
    /// certificate (moved aside into replaced-TIME/, never deleted). The station must be stopped.
    /// Laptops send again, at their next sync, what they synced after the backup was taken.
    Restore {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        from: PathBuf,
        /// Only check the backup (checksums, the database whole); change nothing.
        #[arg(long)]
        check: bool,
    },
    /// Sync by USB stick: import a laptop's bundle (with the push's semantics; importing it again
    /// changes nothing) and write the answer bundle to carry back to that laptop. Works while the
    /// station serves.
    Bundle {
        #[command(subcommand)]
        action: BundleAction,
    },
    /// Print a one-time enrolment code for a laptop of an officer's account.
    EnrollmentCode {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum BureauAction {
    /// Enrol with the bureau at URL using the one-time code its administrator gave for this
    /// station (the bureau's certificate is pinned; compare the fingerprint printed with its own).
    Enroll {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        url: String,
        #[arg(long)]
        code: String,
    },
    /// Send what the bureau does not hold yet, now.
    Send {
        #[arg(long)]
        data: PathBuf,
    },
    /// Where replication stands (JSON).
    Status {
        #[arg(long)]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum BundleAction {
    Import {
        #[arg(long)]
        data: PathBuf,
        /// The laptop's bundle file.
        file: PathBuf,
        /// Where to write the answer bundle (a file, or a folder to put it in under its own name;
        /// by default the bundle's folder).
        #[arg(long)]
        answer: Option<PathBuf>,
    },
}

#[derive(Default, Serialize, Deserialize)]
struct Config {
    /// The first administrator's password, used once when the station has no account. (Stations
    /// from before accounts called it the station password; it becomes the administrator's.)
    #[serde(alias = "password", default, skip_serializing_if = "Option::is_none")]
    admin_password: Option<String>,
}

fn load_config(dir: &Path) -> anyhow::Result<Config> {
    let path = dir.join("station.json");
    if !path.exists() {
        return Ok(Config::default());
    }
    let text = std::fs::read_to_string(&path)?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
}

/// Creates the administrator account on first start and says how to sign in.
fn bootstrap(store: &mut StationStore, config: &Config) -> anyhow::Result<()> {
    let password = match &config.admin_password {
        Some(p) => p.clone(),
        None => doorstep_station::store::random_password()?,
    };
    if store.bootstrap_admin("admin", &password)? && config.admin_password.is_none() {
        // Said on standard error as it is, outside the log, which may be shipped elsewhere.
        eprintln!(
            "doorstep-station: created the administrator account \"admin\" with password {password} \
             (shown once: sign in and change it)"
        );
    }
    Ok(())
}

/// A failure reaches the operator as one line with its causes, and exit status 1
/// (`doorstep_station::failure`).
#[tokio::main]
async fn main() -> std::process::ExitCode {
    doorstep_station::failure::exit_code("doorstep-station", run(Cli::parse().command).await)
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            listen,
            data,
            tls_names,
            log_format,
            bureau_every,
        } => {
            start_log(log_format);
            std::fs::create_dir_all(&data)
                .with_context(|| format!("creating the data folder {}", data.display()))?;
            // Held for as long as the station serves: a restore (or a second station) on this
            // folder is refused meanwhile.
            let lock = std::fs::File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(data.join(backup::LOCK))
                .with_context(|| format!("opening {}", data.join(backup::LOCK).display()))?;
            if lock.try_lock().is_err() {
                anyhow::bail!(
                    "another station is already serving {} (it holds {})",
                    data.display(),
                    backup::LOCK
                );
            }
            let config = load_config(&data)?;
            let checking = std::time::Instant::now();
            let mut store = StationStore::open(&data.join(backup::DATABASE))?;
            tracing::info!(
                ms = checking.elapsed().as_millis() as u64,
                "database opened and checked whole (quick_check)"
            );
            bootstrap(&mut store, &config)?;
            match store.sweep_blobs() {
                Ok(0) => {}
                Ok(n) => tracing::info!(blobs = n, "photos' bytes no photo needs were deleted"),
                Err(e) => tracing::warn!(error = %e, "sweeping photos' bytes at start"),
            }
            let identity = Identity::load_or_create(&data.join("tls"), &tls_names)?;
            let listener = std::net::TcpListener::bind(&listen)
                .with_context(|| format!("listening on {listen}"))?;
            listener.set_nonblocking(true)?;
            tracing::info!(fingerprint = %identity.fingerprint(), "the station's certificate (SHA-256)");
            println!(
                "doorstep-station: listening on https://{}",
                listener.local_addr()?
            );
            let handle = axum_server::Handle::new();
            let stopping = handle.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                stopping.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
            });
            let tls = RustlsConfig::from_config(identity.server_config()?);
            // TCP_NODELAY, as axum's own server sets it: without it a small TLS record waits on the
            // peer's delayed acknowledgement (40 ms a round trip, measured on the incremental sync).
            let acceptor = RustlsAcceptor::new(tls).acceptor(NoDelayAcceptor::new());
            let state = AppState::new(store, true)?;
            doorstep_station::upward::spawn(
                state.store(),
                std::time::Duration::from_secs(bureau_every.max(1)),
            );
            axum_server::from_tcp(listener)
                .acceptor(acceptor)
                .handle(handle)
                .serve(app(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
                .await?;
            drop(lock);
        }
        Command::Backup { data, to, keep } => {
            let written = backup::backup(&data, &to, keep)?;
            println!("{}", serde_json::to_string_pretty(&written)?);
        }
        Command::Restore { data, from, check } => {
            let restored = backup::restore(&from, &data, check)?;
            println!("{}", serde_json::to_string_pretty(&restored)?);
        }
        Command::AddAccount {
            data,
            username,
            name,
            roles,
            beats,
        } => {
            let mut store = StationStore::open(&data.join("station.sqlite"))?;
            // The administrator comes first, whatever the console adds.
            bootstrap(&mut store, &load_config(&data)?)?;
            let roles = roles
                .iter()
                .map(|r| serde_json::from_value(serde_json::Value::String(r.clone())))
                .collect::<Result<Vec<Role>, _>>()
                .context("roles are officer, staff, chief or admin")?;
            let password = match std::env::var("DOORSTEP_ACCOUNT_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let account = store.create_account(
                "(station console)",
                &NewAccount {
                    username,
                    display_name: name,
                    roles,
                    beats,
                    password,
                },
            )?;
            println!("{}", serde_json::to_string_pretty(&account)?);
        }
        Command::Bundle {
            action: BundleAction::Import { data, file, answer },
        } => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("reading the bundle {}", file.display()))?;
            let mut store = StationStore::open(&data.join(backup::DATABASE))?;
            let import = store.import_bundle(&bytes, "(station console)")?;
            let folder = || {
                file.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .to_path_buf()
            };
            let to = match answer {
                Some(a) if a.is_dir() => a.join(&import.answer_name),
                Some(a) => a,
                None => folder().join(&import.answer_name),
            };
            doorstep_protocol::bundle::write_file(&to, &import.answer)
                .with_context(|| format!("writing the answer {}", to.display()))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "import": import,
                    "answer": to,
                }))?
            );
        }
        Command::Bureau { action } => {
            let data = match &action {
                BureauAction::Enroll { data, .. }
                | BureauAction::Send { data }
                | BureauAction::Status { data } => data,
            };
            let store = std::sync::Mutex::new(StationStore::open(&data.join(backup::DATABASE))?);
            match action {
                BureauAction::Enroll { url, code, .. } => {
                    let (link, fingerprint) =
                        doorstep_station::upward::enroll(&store, "(station console)", &url, &code)?;
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&serde_json::json!({
                            "station_name": link.station_name,
                            "bureau_name": link.bureau_name,
                            "fingerprint": fingerprint,
                        }))?
                    );
                }
                BureauAction::Send { .. } => {
                    let sent = doorstep_station::upward::send(&store)?;
                    println!("{}", serde_json::to_string_pretty(&sent)?);
                }
                BureauAction::Status { .. } => {
                    let status = store
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .bureau_status()?;
                    println!("{}", serde_json::to_string_pretty(&status)?);
                }
            }
        }
        Command::EnrollmentCode { data, username } => {
            let mut store = StationStore::open(&data.join("station.sqlite"))?;
            let account = store
                .accounts()?
                .into_iter()
                .find(|a| a.username.eq_ignore_ascii_case(username.trim()))
                .with_context(|| format!("no account {username}"))?;
            let code = store.issue_enrollment_code("(station console)", &account.id)?;
            println!("{}", code.code);
        }
    }
    Ok(())
}
