//! Cross-component tests of the desktop app: the real window (the built `doorstep-app` binary) under
//! Xvfb, driven through tauri-driver and WebKitWebDriver, on a real SQLite file in a temporary
//! directory. They need `scripts/test.sh` to have built the UI and the app first.
//!
//! Tests that drive the window share one tauri-driver port, so they take a lock and run one at a
//! time.
//!
//! - `support`: the display, the driver and a session per app start.
//! - `backup`: a backup folder chosen in Settings, a backup now, and one restored.
//! - `damaged_file`: a corrupt database is explained, not overwritten.
//! - `disk_full`: a visit typed on a full disk stays on screen and is written when there is room.
//! - `enrolment`: enrol in Settings with a one-time code, sync, and a wipe order carried out.
//! - `first_use`: a new laptop's first screen enrols it; name and beats come from the account.
//! - `keyboard_visit`: the routine visit by keyboard alone, its key presses counted.
//! - `lock_screen`: wrong passphrases, lock-out, unlock, lock, passphrase change.
//! - `officer_day`: record a visit with a concern and a task, quit, restart, find it by pinyin.
//! - `stale_form`: a form opened before a sync saves only what the officer changed.
//! - `usb_bundle`: a bundle written in Settings, imported at the station, its answer taken back.
//! - `photos`: a photo chosen on the household page reaches the station and the beat-mate.

// Test helpers unwrap: a failure there is the test's report.
#![allow(clippy::unwrap_used)]

mod backup;
mod damaged_file;
mod disk_full;
mod enrolment;
mod first_use;
mod keyboard_visit;
mod lock_screen;
mod officer_day;
mod photos;
mod stale_form;
/// The station process and its accounts, shared with the station tests.
#[path = "../station/support.rs"]
#[allow(dead_code)]
mod station;
mod support;
mod usb_bundle;
