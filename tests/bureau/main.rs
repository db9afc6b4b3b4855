//! The bureau above the stations, tested with real parts: throw-away PostgreSQL servers (a primary
//! and, for reports, a streaming standby) started with initdb and pg_ctl, the real
//! `doorstep-bureau` and `doorstep-station` processes on 127.0.0.1, and laptops' real databases.
//! Needs `scripts/test.sh` to have built the binaries and installed PostgreSQL.
//!
//! - `postgres`: the throw-away clusters; `bureau`: the bureau process and its accounts.
//! - `accounts`: accounts deactivated, reset, changed; a person's own password.
//! - `database_tls`: the bureau's connections to PostgreSQL over TLS, the server checked.
//! - `replication`: stations enrol and replicate upward; re-sent, gapped, forged and malformed
//!   batches; a revoked station; the database restarting mid-push; a restored station.
//! - `oversight`: complaints about the police for inspectors, confidential reporters, flags
//!   replicating back down to the station.
//! - `lookup`: a person and an address across stations, with the audit of each look-up.
//! - `pages`: the bureau's pages in headless Chromium, as an inspector uses them.
//! - `reports`: the city overview, drilled to beats; the monthly summary as data and files; the
//!   read replica serving them, and the primary when the replica is gone.
//! - `tallies`: the overview's tallies kept at ingest against the same worked out from the records.

#![allow(clippy::unwrap_used)]

// The station tests' helpers: the station process and laptops (not all used here).
#[allow(dead_code)]
#[path = "../station/support.rs"]
mod support;

mod accounts;
mod bureau;
mod database_tls;
mod fixture;
mod lookup;
mod oversight;
mod pages;
mod postgres;
mod replication;
mod reports;
mod tallies;
