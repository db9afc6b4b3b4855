//! The station server: field devices push their changes here and pull their beats' records; the
//! station decides conflicts from base versions and queues what staff must merge.
//!
//! - [`merge`]: the pure decision for one incoming change;
//! - [`scope`]: the pure rule of what a laptop's account may write;
//! - [`store`]: the station's SQLite store (devices, every change received, records, merge queue);
//! - [`report`]: the monthly summary as PDF, CSV and XLSX;
//! - [`api`]: the HTTP API under `/api/v1` and the staff pages, one module per resource, as a
//!   router function; who is calling and what they may is [`api::auth`];
//! - [`tls`]: the station's own HTTPS certificate;
//! - [`backup`]: backups of the data folder, and restoring one;
//! - [`upward`]: enrolling with the bureau and replicating the station's log up to it.

pub mod api;
pub mod backup;
pub mod failure;
pub mod merge;
pub mod report;
pub mod scope;
pub mod store;
pub mod tls;
pub mod upward;
