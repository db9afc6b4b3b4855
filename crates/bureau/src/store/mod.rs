//! What the bureau stores and reads, on PostgreSQL, in the domain's words. Each part is a set of
//! functions over a connection (or a transaction where a write has several steps); nothing here
//! knows about HTTP (the API gives each error its status in one place, `api::error`).
//!
//! - [`stations`]: enrolment codes, stations and their credentials, their partitions;
//! - [`replication`]: storing a station's batches (idempotent, resumable, never half);
//! - [`accounts`]: the bureau's accounts, sign-in and sessions;
//! - [`audit`]: the bureau's own append-only trail;
//! - [`overview`]: city-wide figures per station and beat, from [`tallies`] kept at ingest;
//! - [`summary`]: the bureau's monthly work summary (the station's report type and files);
//! - [`lookup`]: a person or an address across stations;
//! - [`oversight`]: complaints about the police for the inspectors, and their flags.

pub mod accounts;
pub mod audit;
pub mod lookup;
pub mod oversight;
pub mod overview;
pub mod replication;
pub mod stations;
pub mod summary;
pub mod tallies;

pub use accounts::{Principal, Role};

/// What can go wrong, in the domain's words.
#[derive(Debug, thiserror::Error)]
pub enum BureauError {
    /// The input breaks a rule: what to change, in words for the person.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// A password, code or credential that does not hold.
    #[error("{0}")]
    WrongCredential(String),
    /// A known account or station asking for what it may not do (recorded in the audit trail).
    #[error("{0}")]
    NotPermitted(String),
    /// A station whose enrolment the bureau revoked.
    #[error("this station's enrolment was revoked at the bureau: enrol it again with a new code")]
    Revoked,
    /// A batch that starts beyond what the bureau holds: it would leave a gap.
    #[error("the batch starts after what the bureau holds: send from the cursors given")]
    Gap(doorstep_protocol::bureau::Cursors),
    #[error("too many wrong passwords; try again in {} minutes", .0 / 60)]
    TooManyAttempts(i64),
    /// The database cannot be reached (restarting, the network): try again shortly.
    #[error("the bureau's database cannot be reached just now ({0}): try again shortly")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, BureauError>;

/// The TLS error under a connection's failure, if that is what it was (rustls' error inside the
/// I/O error the connector gives).
fn tls_failure(e: &tokio_postgres::Error) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(error) = next {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(tls) = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        next = error.source();
    }
    None
}

impl From<tokio_postgres::Error> for BureauError {
    fn from(e: tokio_postgres::Error) -> Self {
        // Not a moment's outage: trying again will not help until the set-up changes.
        if let Some(tls) = tls_failure(&e) {
            return BureauError::Internal(format!(
                "the database server's certificate is not one to trust ({tls}): check --database-ca and the host in the connection string"
            ));
        }
        // A lost connection, or the server shutting down or starting: the request may be tried
        // again; nothing was committed half (every write is one transaction).
        let connection = e.is_closed()
            || e.code().is_some_and(|c| {
                let code = c.code();
                code.starts_with("08") || code.starts_with("57P") || code == "53300"
            })
            || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
        if connection {
            BureauError::Unavailable(e.to_string())
        } else {
            // tokio-postgres says only "db error": the server's own message and code say what.
            let detail = e.as_db_error().map_or_else(
                || e.to_string(),
                |d| format!("{} ({})", d.message(), d.code().code()),
            );
            BureauError::Internal(format!("database: {detail}"))
        }
    }
}

impl From<deadpool_postgres::PoolError> for BureauError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => BureauError::Unavailable(other.to_string()),
        }
    }
}

pub(crate) fn bad(message: impl Into<String>) -> BureauError {
    BureauError::Invalid(message.into())
}
