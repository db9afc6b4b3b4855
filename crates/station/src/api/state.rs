//! What every handler shares: the station's store, and how a handler reaches it without stalling
//! the async runtime.

use super::error::ApiError;
use crate::store::{StationError, StationStore};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct AppState {
    pub(super) store: Arc<Mutex<StationStore>>,
    /// Session cookies are marked `Secure` when the station serves HTTPS.
    pub(super) secure_cookies: bool,
}

impl AppState {
    pub fn new(store: StationStore, secure_cookies: bool) -> AppState {
        AppState {
            store: Arc::new(Mutex::new(store)),
            secure_cookies,
        }
    }

    /// The store, shared with the station's own background work (replication to the bureau).
    pub fn store(&self) -> Arc<Mutex<StationStore>> {
        self.store.clone()
    }
}

/// Runs a store call on a blocking thread (SQLite work must not stall the async runtime).
pub(crate) async fn with_store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut StationStore) -> Result<T, StationError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(ApiError::from)
}

/// Runs a store call that takes the lock itself, on a blocking thread: for a rule with slow work
/// that must not hold the store while it runs (checking a password).
pub(crate) async fn with_locked_store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Mutex<StationStore>) -> Result<T, StationError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::from)
}
