//! The lock screen's commands: what the database file is (new, from before encryption, encrypted,
//! damaged), choosing the passphrase, unlocking, locking (idle time, sleep, the lock button), and
//! changing the passphrase. Key derivation is slow on purpose (Argon2id), so these run off the
//! window's thread.

use crate::error::{CommandError, CommandResult, ShellError};
use crate::state::{AppState, Unlocked};
use doorstep_core::Store;
use doorstep_core::store::vault::{self, FileState};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};

#[derive(Serialize)]
pub struct LockState {
    file: FileState,
    unlocked: bool,
}

#[tauri::command]
pub fn lock_state(state: State<'_, AppState>) -> LockState {
    LockState {
        unlocked: state.guard().is_some(),
        file: vault::file_state(&state.path),
    }
}

/// Runs key derivation and opening on a blocking thread, then keeps what it opened.
async fn open_with(
    app: AppHandle,
    open: impl FnOnce(&std::path::Path) -> doorstep_core::Result<(Store, vault::DbKey)> + Send + 'static,
) -> CommandResult<()> {
    tauri::async_runtime::spawn_blocking(move || -> CommandResult<()> {
        let state = app.state::<AppState>();
        let (store, key) = open(&state.path)?;
        *state.guard() = Some(Unlocked { store, key });
        // The daily backup, if a day has passed (the laptop was off, or locked, meanwhile).
        let later = app.clone();
        std::thread::spawn(move || crate::backup::daily_if_due(&later));
        Ok(())
    })
    .await
    .map_err(|_| CommandError::Shell(ShellError::AppLocked))?
}

/// Unlocks with the passphrase (or creates the encrypted database if there is none yet).
#[tauri::command]
pub async fn unlock(app: AppHandle, passphrase: String) -> CommandResult<()> {
    open_with(app, move |path| Store::unlock(path, &passphrase)).await
}

/// Chooses the first passphrase: a new database, or one from before encryption, encrypted now.
#[tauri::command]
pub async fn create_passphrase(app: AppHandle, passphrase: String) -> CommandResult<()> {
    open_with(app, move |path| match vault::file_state(path) {
        FileState::Plain => Store::encrypt_plain(path, &passphrase),
        _ => Store::unlock(path, &passphrase),
    })
    .await
}

/// Locks: the store and its key are dropped.
#[tauri::command]
pub fn lock(state: State<'_, AppState>) {
    state.guard().take();
}

/// Changes the passphrase after checking the current one.
#[tauri::command]
pub async fn change_passphrase(app: AppHandle, current: String, new: String) -> CommandResult<()> {
    tauri::async_runtime::spawn_blocking(move || -> CommandResult<()> {
        let state = app.state::<AppState>();
        let mut guard = state.guard();
        let open = guard
            .as_mut()
            .ok_or(CommandError::Shell(ShellError::AppLocked))?;
        if !open.key.matches(&current)? {
            return Err(doorstep_core::Error::WrongPassphrase {
                left: vault::MAX_ATTEMPTS,
            }
            .into());
        }
        open.key = open.store.change_passphrase(&open.key, &new)?;
        Ok(())
    })
    .await
    .map_err(|_| CommandError::Shell(ShellError::AppLocked))?
}
