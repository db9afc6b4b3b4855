//! Backups from the window: the folder chosen in Settings (a USB stick), a backup made on demand,
//! and the daily one, made while the app is unlocked once a day has passed since the last (checked
//! at unlock and every few minutes). Each works on its own connection to the database, as the sync
//! does, so the window is never blocked; the backup is encrypted with the database's own key.

use crate::error::{CommandError, CommandResult, ShellError};
use crate::state::AppState;
use doorstep_core::Store;
use doorstep_core::error::ErrorCode;
use doorstep_core::store::backup::{BackupMade, BackupSettings, DAILY_KEEP};
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, State};

const CHECK_EVERY: Duration = Duration::from_secs(10 * 60);

/// A connection of its own to the unlocked database, with its key.
fn own_connection(app: &AppHandle) -> CommandResult<(Store, doorstep_core::store::vault::DbKey)> {
    let state = app.state::<AppState>();
    let key = state
        .key()
        .ok_or(CommandError::Shell(ShellError::AppLocked))?;
    Ok((Store::open_keyed(&state.path, &key)?, key))
}

#[tauri::command]
pub fn backup_settings(state: State<'_, AppState>) -> CommandResult<BackupSettings> {
    state.with(|s| s.backup_settings())
}

/// Chooses the daily backup's folder (none: no daily backup); the first is made at once.
#[tauri::command]
pub async fn set_backup_folder(
    app: AppHandle,
    folder: Option<String>,
) -> CommandResult<BackupSettings> {
    blocking(move || {
        let (mut store, key) = own_connection(&app)?;
        store.set_backup_folder(folder.as_deref())?;
        if store.daily_backup(Some(&key))?.is_some() {
            let _ = app.emit("backup-finished", ());
        }
        Ok(store.backup_settings()?)
    })
    .await
}

/// A backup now, into the chosen folder.
#[tauri::command]
pub async fn backup_now(app: AppHandle) -> CommandResult<BackupMade> {
    blocking(move || {
        let (mut store, key) = own_connection(&app)?;
        let folder = store.backup_settings()?.folder.ok_or_else(|| {
            CommandError::from(doorstep_core::Error::invalid(
                "backup_folder",
                ErrorCode::Required,
            ))
        })?;
        let made = store.back_up(Some(&key), std::path::Path::new(&folder), Some(DAILY_KEEP))?;
        store.note_backup(&made)?;
        let _ = app.emit("backup-finished", ());
        Ok(made)
    })
    .await
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|_| CommandError::Shell(ShellError::AppLocked))?
}

/// Makes the daily backup if one is due and the app is unlocked.
pub fn daily_if_due(app: &AppHandle) {
    if let Ok((mut store, key)) = own_connection(app)
        && matches!(store.daily_backup(Some(&key)), Ok(Some(_)))
    {
        let _ = app.emit("backup-finished", ());
    }
}

/// Starts the loop that makes the daily backup (a plain thread: it sleeps most of the time).
pub fn start_daily_backup(app: AppHandle) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(CHECK_EVERY);
            daily_if_due(&app);
        }
    });
}
