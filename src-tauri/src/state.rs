//! The app's state: the open store behind a mutex (one writer, as SQLite wants), or the reason it
//! could not be opened, which the UI shows instead of crashing (a locked or damaged file).

use doorstep_core::{Error, ErrorReport, Store};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

pub struct AppState {
    pub path: PathBuf,
    pub store: Result<Mutex<Store>, ErrorReport>,
    pub started: Instant,
}

impl AppState {
    pub fn open(path: PathBuf, started: Instant) -> AppState {
        let store = Store::open(&path).map(Mutex::new).map_err(|e: Error| {
            eprintln!("doorstep: cannot open {}: {e}", path.display());
            ErrorReport::from(&e)
        });
        AppState {
            path,
            store,
            started,
        }
    }

    /// Runs `f` with the store, or returns why there is none.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut Store) -> doorstep_core::Result<T>,
    ) -> Result<T, crate::error::CommandError> {
        let store = self
            .store
            .as_ref()
            .map_err(|report| crate::error::CommandError::Core(report.clone()))?;
        // A panic while holding the lock poisons it; the store itself is still consistent (every
        // write is a transaction), so keep serving.
        let mut guard = store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(f(&mut guard)?)
    }
}
