//! The app's state: the database path and, while the app is unlocked, the open store with the key it
//! was opened with (the sync opens its own connection with it). Locking drops both: nothing of the
//! beat stays readable in the process until the passphrase is typed again.

use crate::error::{CommandError, ShellError};
use doorstep_core::Store;
use doorstep_core::store::vault::DbKey;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

pub struct Unlocked {
    pub store: Store,
    pub key: DbKey,
}

pub struct AppState {
    pub path: PathBuf,
    pub open: Mutex<Option<Unlocked>>,
    pub started: Instant,
}

impl AppState {
    /// Starts locked: the window asks for the passphrase first.
    pub fn new(path: PathBuf, started: Instant) -> AppState {
        AppState {
            path,
            open: Mutex::new(None),
            started,
        }
    }

    pub fn guard(&self) -> MutexGuard<'_, Option<Unlocked>> {
        // A panic while holding the lock poisons it; the store itself is still consistent (every
        // write is a transaction), so keep serving.
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` with the store, or says the app is locked.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut Store) -> doorstep_core::Result<T>,
    ) -> Result<T, CommandError> {
        let mut guard = self.guard();
        let open = guard
            .as_mut()
            .ok_or(CommandError::Shell(ShellError::AppLocked))?;
        Ok(f(&mut open.store)?)
    }

    /// The key of the unlocked database, for another connection (the sync's).
    pub fn key(&self) -> Option<DbKey> {
        self.guard().as_ref().map(|o| o.key.clone())
    }
}
