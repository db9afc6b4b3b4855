//! The bureau's PostgreSQL: a pool of connections to the primary, where everything is written, and
//! optionally one to a streaming read replica that reports read from while its replay lags the
//! primary by less than a bound (beyond it, or when it cannot be reached, reports read from the
//! primary). The schema is a set of numbered SQL migrations embedded in the binary (refinery).
//!
//! Given the certificate authority of the database's server certificate, connections are encrypted
//! (TLS by rustls) and the server checked against it: `sslmode=require` in the connection string
//! then refuses a server without TLS. Without it they are plain, for a database on the same machine
//! or a private link.

use crate::store::BureauError;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_postgres::NoTls;
use tokio_postgres_rustls::MakeRustlsConnect;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Connections the bureau holds to each server at most.
const POOL_SIZE: usize = 16;

/// Where a report was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Primary,
    Replica,
}

#[derive(Clone)]
pub struct Db {
    primary: Pool,
    replica: Option<Pool>,
    /// How far behind the primary the replica may be for reports to read from it.
    max_lag: Duration,
    /// The last read found the replica too far behind (logged once per change, not per read).
    replica_behind: Arc<AtomicBool>,
}

/// The TLS set-up for connections checked against the authority in `ca` (a PEM file).
pub fn tls_from(ca: &std::path::Path) -> Result<rustls::ClientConfig, BureauError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let unreadable = |e: &dyn std::fmt::Display| {
        BureauError::Invalid(format!(
            "the database's certificate authority {} cannot be read: {e}",
            ca.display()
        ))
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| unreadable(&e))? {
        roots
            .add(cert.map_err(|e| unreadable(&e))?)
            .map_err(|e| unreadable(&e))?;
    }
    if roots.is_empty() {
        return Err(unreadable(&"it holds no certificate"));
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| BureauError::Internal(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

fn pool(url: &str, tls: Option<&rustls::ClientConfig>) -> Result<Pool, BureauError> {
    let mut config = tokio_postgres::Config::from_str(url)
        .map_err(|e| BureauError::Invalid(format!("the database address is not valid: {e}")))?;
    // No JIT compilation: over a table partitioned by station and month its compiling costs more
    // than the query (2.5 s of the city overview's 4.5 s at 50 stations, for a plan run once).
    let options = format!("{} -c jit=off", config.get_options().unwrap_or_default());
    config.options(options.trim());
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match tls {
        Some(tls) => {
            Manager::from_config(config, MakeRustlsConnect::new(tls.clone()), manager_config)
        }
        None => Manager::from_config(config, NoTls, manager_config),
    };
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        // A request waits this long for a free connection, then says the database is busy.
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(5)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| BureauError::Internal(e.to_string()))
}

impl Db {
    /// Pools for the primary and (if given) the replica, over TLS when `tls` is given. Nothing is
    /// connected until first used.
    pub fn new(
        primary: &str,
        replica: Option<&str>,
        max_lag: Duration,
        tls: Option<&rustls::ClientConfig>,
    ) -> Result<Db, BureauError> {
        Ok(Db {
            primary: pool(primary, tls)?,
            replica: replica.map(|r| pool(r, tls)).transpose()?,
            max_lag,
            replica_behind: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Brings the schema up to date (each migration once, in order, in its own transaction).
    pub async fn migrate(&self) -> Result<(), BureauError> {
        let mut client = self.primary.get().await?;
        let client: &mut tokio_postgres::Client = &mut client;
        embedded::migrations::runner()
            .run_async(client)
            .await
            .map_err(|e| BureauError::Internal(format!("migrating the bureau's database: {e}")))?;
        crate::store::tallies::rebuild_if_stale(client).await?;
        Ok(())
    }

    /// A connection to the primary, for writes and for reads that must see them.
    pub async fn primary(&self) -> Result<Object, BureauError> {
        Ok(self.primary.get().await?)
    }

    /// A connection for reports: the replica while it is within the lag bound, else the primary.
    pub async fn reader(&self) -> Result<(Object, Source), BureauError> {
        if let Some(replica) = &self.replica {
            match self.replica_lag(replica).await {
                Ok((client, lag)) if lag <= self.max_lag => {
                    if self.replica_behind.swap(false, Ordering::Relaxed) {
                        tracing::info!("the read replica caught up: reports read from it again");
                    }
                    return Ok((client, Source::Replica));
                }
                Ok((_, lag)) => {
                    if !self.replica_behind.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            lag_ms = lag.as_millis() as u64,
                            "the read replica lags: reports read from the primary"
                        );
                    }
                }
                Err(e) => {
                    if !self.replica_behind.swap(true, Ordering::Relaxed) {
                        tracing::warn!(error = %e, "the read replica cannot be reached: reports read from the primary");
                    }
                }
            }
        }
        Ok((self.primary().await?, Source::Primary))
    }

    /// How far the replica's replay is behind the primary's newest write. Measured as the
    /// primary's WAL position against the replica's replayed one (a standby with nothing to replay
    /// is not behind, however long ago its last transaction was), and, when behind, as the age of
    /// the last transaction it replayed.
    async fn replica_lag(&self, replica: &Pool) -> Result<(Object, Duration), BureauError> {
        let client = replica.get().await?;
        let primary = self.primary().await?;
        let head: String = primary
            .query_one("SELECT pg_current_wal_lsn()::text", &[])
            .await?
            .get(0);
        let row = client
            .query_one(
                "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn,
                        COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)::float8",
                &[&head],
            )
            .await?;
        let caught_up: Option<bool> = row.get(0);
        let lag = if caught_up.unwrap_or(false) {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(row.get::<_, f64>(1).max(0.0)).max(Duration::from_millis(1))
        };
        Ok((client, lag))
    }
}
