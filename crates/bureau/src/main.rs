//! `doorstep-bureau serve --data DIR --database URL`: the bureau's server. Its PostgreSQL is given
//! by a connection string (`--database`, or `DOORSTEP_BUREAU_DATABASE`), with an optional read
//! replica for reports (`--replica`). `DIR` holds the bureau's certificate (made at first start;
//! stations pin it at enrolment) and `bureau.json` (`admin_password` for the first administrator,
//! `name`). It serves HTTPS only.
//!
//! `station-code --station-name NAME` prints a one-time code a station enrols with;
//! `add-account` creates an account from the console.

use anyhow::Context;
use axum_server::tls_rustls::RustlsConfig;
use clap::{Parser, Subcommand};
use doorstep_bureau::api::{AppState, app};
use doorstep_bureau::db::{self, Db};
use doorstep_bureau::store::accounts::{self, NewAccount};
use doorstep_bureau::store::{Role, stations};
use doorstep_bureau::tls::Identity;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "doorstep-bureau",
    version,
    about = "The Doorstep bureau server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Database {
    /// The PostgreSQL connection string, e.g. `host=127.0.0.1 port=5432 user=doorstep dbname=bureau`
    /// or `postgresql://doorstep@db.example/bureau`.
    #[arg(long, env = "DOORSTEP_BUREAU_DATABASE")]
    database: String,
    /// The certificate authority (PEM) of the database servers' certificates: connections are then
    /// encrypted and the servers checked (add `sslmode=require` to refuse a server without TLS).
    #[arg(long, env = "DOORSTEP_BUREAU_DATABASE_CA")]
    database_ca: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the bureau's pages and API.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8480")]
        listen: String,
        /// Folder for the bureau's certificate and settings.
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        db: Database,
        /// A streaming read replica of the database, for reports.
        #[arg(long, env = "DOORSTEP_BUREAU_REPLICA")]
        replica: Option<String>,
        /// Reports read from the primary while the replica lags more than this (milliseconds).
        #[arg(long, default_value_t = 5000)]
        replica_max_lag_ms: u64,
        /// A name or address stations use to reach the bureau, for its certificate. Repeatable.
        #[arg(long = "tls-name")]
        tls_names: Vec<String>,
    },
    /// Print a one-time code for enrolling a station (valid 72 hours).
    StationCode {
        #[command(flatten)]
        db: Database,
        #[arg(long)]
        station_name: String,
    },
    /// Create an account (the password from DOORSTEP_ACCOUNT_PASSWORD, or standard input).
    AddAccount {
        #[command(flatten)]
        db: Database,
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// admin, analyst or inspector (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The explicit right to read a confidential reporter of a complaint about the police.
        #[arg(long)]
        may_see_reporters: bool,
    },
}

#[derive(Default, Deserialize)]
struct Config {
    admin_password: Option<String>,
    name: Option<String>,
}

fn load_config(dir: &Path) -> anyhow::Result<Config> {
    let path = dir.join("bureau.json");
    if !path.exists() {
        return Ok(Config::default());
    }
    serde_json::from_str(&std::fs::read_to_string(&path)?)
        .with_context(|| format!("{} is not valid", path.display()))
}

async fn connect(db: &Database, replica: Option<&str>, max_lag: Duration) -> anyhow::Result<Db> {
    let tls = db.database_ca.as_deref().map(db::tls_from).transpose()?;
    let db = Db::new(&db.database, replica, max_lag, tls.as_ref())?;
    db.migrate().await.context("the bureau's database")?;
    Ok(db)
}

/// A failure reaches the operator as one line with its causes, and exit status 1
/// (`doorstep_station::failure`).
#[tokio::main]
async fn main() -> std::process::ExitCode {
    doorstep_station::failure::exit_code("doorstep-bureau", run(Cli::parse().command).await)
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            listen,
            data,
            db,
            replica,
            replica_max_lag_ms,
            tls_names,
        } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_env("DOORSTEP_LOG")
                        // The database's notices ("partition already exists") are not news.
                        .unwrap_or_else(|_| {
                            tracing_subscriber::EnvFilter::new(
                                "info,tokio_postgres=warn,refinery_core=warn",
                            )
                        }),
                )
                .with_writer(std::io::stderr)
                .init();
            std::fs::create_dir_all(&data)
                .with_context(|| format!("creating the data folder {}", data.display()))?;
            let config = load_config(&data)?;
            let db = connect(
                &db,
                replica.as_deref(),
                Duration::from_millis(replica_max_lag_ms),
            )
            .await?;
            let password = match &config.admin_password {
                Some(p) => p.clone(),
                None => doorstep_station::store::random_password()?,
            };
            let client = db.primary().await?;
            if accounts::bootstrap_admin(&**client, "admin", &password).await?
                && config.admin_password.is_none()
            {
                eprintln!(
                    "doorstep-bureau: created the administrator account \"admin\" with password {password} (shown once)"
                );
            }
            drop(client);
            let identity = Identity::load_or_create(&data.join("tls"), &tls_names)?;
            let listener = std::net::TcpListener::bind(&listen)
                .with_context(|| format!("listening on {listen}"))?;
            listener.set_nonblocking(true)?;
            tracing::info!(fingerprint = %identity.fingerprint(), "the bureau's certificate (SHA-256)");
            println!(
                "doorstep-bureau: listening on https://{}",
                listener.local_addr()?
            );
            let handle = axum_server::Handle::new();
            let stopping = handle.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                stopping.graceful_shutdown(Some(Duration::from_secs(10)));
            });
            let state = AppState {
                db,
                secure_cookies: true,
                name: config.name.unwrap_or_else(|| "公安局".to_string()),
            };
            axum_server::from_tcp_rustls(
                listener,
                RustlsConfig::from_config(identity.server_config()?),
            )
            .handle(handle)
            .serve(app(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
            .await?;
        }
        Command::StationCode { db, station_name } => {
            let db = connect(&db, None, Duration::ZERO).await?;
            let client = db.primary().await?;
            let code = stations::issue_code(&client, "(bureau console)", &station_name).await?;
            println!("{}", code.code);
        }
        Command::AddAccount {
            db,
            username,
            name,
            roles,
            may_see_reporters,
        } => {
            let db = connect(&db, None, Duration::ZERO).await?;
            let roles = roles
                .iter()
                .map(|r| serde_json::from_value(serde_json::Value::String(r.clone())))
                .collect::<Result<Vec<Role>, _>>()
                .context("roles are admin, analyst or inspector")?;
            let password = match std::env::var("DOORSTEP_ACCOUNT_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let client = db.primary().await?;
            let account = accounts::create(
                &**client,
                "(bureau console)",
                &NewAccount {
                    username,
                    display_name: name,
                    roles,
                    may_see_reporters,
                    password,
                },
            )
            .await?;
            println!("{}", serde_json::to_string_pretty(&account)?);
        }
    }
    Ok(())
}
