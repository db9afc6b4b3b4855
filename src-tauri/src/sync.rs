//! Syncing from the window: on demand (the sync button) and automatically, at start and every
//! minute while the app runs, whenever a station is configured. A sync works on its own connection
//! to the database file (SQLite in WAL mode lets the window keep reading and writing meanwhile), so
//! the officer is never blocked by it; progress and results go to the UI as events. Without any
//! network, the officer writes a bundle to a USB stick and takes the station's answer bundle back
//! (Settings), which is a sync too.

use crate::error::{CommandError, CommandResult, ShellError};
use crate::state::AppState;
use doorstep_core::Store;
use doorstep_sync::{Enrolment, Progress, SyncReport};
use std::sync::Mutex;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, State};

/// One sync at a time: the automatic one skips a round while a manual one runs, and vice versa.
static RUNNING: Mutex<()> = Mutex::new(());

const EVERY: Duration = Duration::from_secs(60);

pub(crate) fn run(app: &AppHandle) -> CommandResult<SyncReport> {
    let _one = one_at_a_time()?;
    let state = app.state::<AppState>();
    let mut store = own_store(app)?;
    let result = doorstep_sync::sync(&mut store, |p: Progress| {
        let _ = app.emit("sync-progress", &p);
    });
    if matches!(result, Err(doorstep_sync::SyncError::WipeOrdered)) {
        // The station revoked this laptop and ordered its data erased: erase, then say so (the
        // window shows it in place of everything else; see the `device-wiped` event).
        store.erase_contents()?;
        state.guard().take();
        let _ = app.emit("device-wiped", ());
    }
    // The sync ran on its own connection: the window's takes in the device it may have changed
    // (beats given or taken away at the station), so Today follows at once.
    if result.is_ok() {
        let _ = state.with(|s| s.reload_device());
    }
    let outcome = result.map_err(CommandError::from);
    let _ = app.emit("sync-finished", outcome.as_ref().ok());
    outcome
}

#[tauri::command]
pub async fn sync_now(app: AppHandle) -> CommandResult<SyncReport> {
    blocking(move || run(&app)).await
}

/// Enrols with the one-time code from the station's administrator; answers the officer's name as
/// the station knows it and the pinned certificate's fingerprint, for comparing with the station's.
#[tauri::command]
pub async fn enroll_station(app: AppHandle, url: String, code: String) -> CommandResult<Enrolment> {
    tauri::async_runtime::spawn_blocking(move || -> CommandResult<Enrolment> {
        let state = app.state::<AppState>();
        let key = state
            .key()
            .ok_or(CommandError::Shell(ShellError::AppLocked))?;
        let mut store = Store::open_keyed(&state.path, &key)?;
        let enrolment = doorstep_sync::enroll(&mut store, &url, &code)?;
        // Enrolled on its own connection: the window's takes in the officer and beats it set.
        state.with(|s| s.reload_device())?;
        Ok(enrolment)
    })
    .await
    .map_err(|e| {
        CommandError::Sync(doorstep_sync::SyncErrorReport::Protocol {
            message: e.to_string(),
        })
    })?
}

/// A bundle written for sync by USB stick: what is in it, and where it went.
/// (`BundleSaved` in the UI's `api.ts`.)
#[derive(serde::Serialize)]
pub struct BundleSaved {
    pub written: doorstep_sync::bundle::BundleWritten,
    pub file: String,
}

/// Writes a bundle of everything the station has not acknowledged into `folder` (empty: the backup
/// folder, or else Downloads), for the station to import.
#[tauri::command]
pub async fn bundle_export(app: AppHandle, folder: Option<String>) -> CommandResult<BundleSaved> {
    blocking(move || {
        let _one = one_at_a_time()?;
        let mut store = own_store(&app)?;
        let folder = match folder
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
        {
            Some(f) => std::path::PathBuf::from(f),
            None => match store.backup_settings()?.folder {
                Some(f) => std::path::PathBuf::from(f),
                None => app
                    .path()
                    .download_dir()
                    .or_else(|_| app.path().home_dir())
                    .unwrap_or_else(|_| std::env::temp_dir()),
            },
        };
        let (bytes, written) = doorstep_sync::bundle::export(&mut store)?;
        let path = folder.join(&written.file_name);
        let cannot = |e: std::io::Error| {
            CommandError::Shell(ShellError::CannotSave {
                path: path.display().to_string(),
                detail: e.to_string(),
            })
        };
        std::fs::create_dir_all(&folder).map_err(cannot)?;
        doorstep_protocol::bundle::write_file(&path, &bytes).map_err(cannot)?;
        Ok(BundleSaved {
            written,
            file: path.display().to_string(),
        })
    })
    .await
}

/// Takes the station's answer bundle (the file's bytes) as a sync: the window refreshes as after one.
#[tauri::command]
pub async fn bundle_import(
    app: AppHandle,
    bytes: Vec<u8>,
) -> CommandResult<doorstep_sync::bundle::AnswerTaken> {
    blocking(move || {
        let _one = one_at_a_time()?;
        let mut store = own_store(&app)?;
        let taken = doorstep_sync::bundle::import_answer(&mut store, &bytes, |p: Progress| {
            let _ = app.emit("sync-progress", &p);
        })?;
        let state = app.state::<AppState>();
        let _ = state.with(|s| s.reload_device());
        let _ = app.emit("bundle-taken", &taken.report);
        Ok(taken)
    })
    .await
}

pub(crate) fn one_at_a_time() -> CommandResult<std::sync::MutexGuard<'static, ()>> {
    RUNNING.try_lock().map_err(|_| {
        CommandError::Sync(doorstep_sync::SyncErrorReport::Protocol {
            message: "a sync is already running".into(),
        })
    })
}

/// A connection of its own to the unlocked database (as the sync works on).
pub(crate) fn own_store(app: &AppHandle) -> CommandResult<Store> {
    let state = app.state::<AppState>();
    let key = state
        .key()
        .ok_or(CommandError::Shell(ShellError::AppLocked))?;
    Ok(Store::open_keyed(&state.path, &key)?)
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(f).await.map_err(|e| {
        CommandError::Sync(doorstep_sync::SyncErrorReport::Protocol {
            message: e.to_string(),
        })
    })?
}

#[tauri::command]
pub fn station(state: State<'_, AppState>) -> CommandResult<Option<String>> {
    state.with(|s| Ok(s.station()?.map(|l| l.url)))
}

/// How long the automatic sync waits after `failures` failed rounds in a row: a minute when all is
/// well; after a cut connection soon (5 s), then backing off (10, 20, 40 s) to the minute again, so
/// a laptop coming back into reach syncs within seconds without hammering a station that is down.
pub(crate) fn wait_after(failures: u32) -> Duration {
    match failures {
        0 => EVERY,
        n => Duration::from_secs(5u64 << (n - 1).min(4)).min(EVERY),
    }
}

/// Starts the automatic sync loop (a plain thread: it sleeps most of the time).
pub fn start_auto_sync(app: AppHandle) {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        let mut failures = 0;
        loop {
            // Only while unlocked: a locked laptop keeps its work until the officer is back.
            let state = app.state::<AppState>();
            let configured = state.with(|s| s.station()).map(|s| s.is_some());
            if matches!(configured, Ok(true)) {
                // A failure is shown calmly (offline, in the sync bar), never as a dialog.
                failures = match run(&app) {
                    Err(CommandError::Sync(doorstep_sync::SyncErrorReport::Unreachable {
                        ..
                    })) => failures + 1,
                    _ => 0,
                };
            }
            std::thread::sleep(wait_after(failures));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_automatic_sync_retries_soon_after_a_cut_then_backs_off_to_a_minute() {
        let waits: Vec<u64> = (0..8).map(|n| wait_after(n).as_secs()).collect();
        assert_eq!(waits, [60, 5, 10, 20, 40, 60, 60, 60]);
    }
}
