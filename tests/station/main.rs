//! Field devices syncing with a real `doorstep-station` process on 127.0.0.1, each device a real
//! SQLite file in a temporary directory. Needs `scripts/test.sh` to have built the station binary.
//!
//! - `support`: the station process and officers' devices.
//! - `merging`: concurrent edits, conflicts, deletions, beats.
//! - `at_rest`: a damaged or truncated station database is refused at start.
//! - `bundles`: sync by USB stick, both ways, and bundles that must be refused.
//! - `delivery`: re-sent and cut batches, out-of-order changes, bad requests.
//! - `duplicates`: one family registered twice, merged, and the merge undone.
//! - `echoes`: a laptop does not download again what it has just pushed.
//! - `overview`: the station's per-beat figures against a hand-worked fixture.
//! - `summary`: the monthly work summary and its PDF, XLSX and CSV.
//! - `security`: revoked and wiped laptops, beats, confidential reporters, enrolment, certificates.
//! - `restore`: a station backed up while it serves and restored from an older backup; bad backups.
//! - `scopes`: a beat given or taken away, a household moved to another beat.
//! - `trust`: what a laptop may write, refusals, restored and re-enrolled laptops, deletes.
//! - `logging`: the station's request log: ids, routes, statuses, never contents or secrets.
//! - `fuzz_api`: the OpenAPI document fuzzed with schemathesis: no 5xx.
//! - `web_queue`: the staff merge queue in headless Chromium.

// Test helpers unwrap: a failure there is the test's report.
#![allow(clippy::unwrap_used)]

mod at_rest;
mod bundles;
mod delivery;
mod duplicates;
mod echoes;
mod fuzz_api;
mod logging;
mod merging;
mod overview;
mod photos;
mod restore;
mod scopes;
mod security;
mod summary;
mod support;
mod trust;
mod web_queue;
