//! `doorstep-station serve --listen ADDR --data DIR`: the station server. Settings live in
//! `DIR/station.json` (created with a random station password on first start, printed once).

use anyhow::Context;
use clap::{Parser, Subcommand};
use doorstep_station::api::{AppState, app};
use doorstep_station::store::StationStore;
use serde::{Deserialize, Serialize};
use std::io::Read;
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

#[derive(Subcommand)]
enum Command {
    /// Serve the sync API.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8470")]
        listen: String,
        /// Folder for the station's database and settings.
        #[arg(long)]
        data: PathBuf,
    },
}

#[derive(Serialize, Deserialize)]
struct Config {
    /// The station password devices and staff present (replaced by accounts in the security work).
    password: String,
}

fn load_config(dir: &Path) -> anyhow::Result<Config> {
    let path = dir.join("station.json");
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        return serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid", path.display()));
    }
    let mut bytes = [0u8; 12];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let password: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&Config {
            password: password.clone(),
        })?,
    )?;
    eprintln!(
        "doorstep-station: new station password {password} (stored in {})",
        path.display()
    );
    Ok(Config { password })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve { listen, data } => {
            std::fs::create_dir_all(&data)?;
            let config = load_config(&data)?;
            let store = StationStore::open(&data.join("station.sqlite"))?;
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            println!(
                "doorstep-station: listening on http://{}",
                listener.local_addr()?
            );
            axum::serve(listener, app(AppState::new(store, config.password)))
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
        }
    }
    Ok(())
}
