//! What every handler shares: the station's store, and how a handler reaches it without stalling
//! the async runtime.
//!
//! One connection writes, behind one lock: SQLite takes one writer at a time, and a push decides
//! each change against what the ones before it wrote. The laptops' reads that a sync makes most
//! (a pull page, the device's credential) go to connections of their own, which read the last
//! committed state in WAL mode: a pull no longer queues behind a push, nor a push behind pulls,
//! and on two cores both run at once.
//!
//! The write-ahead log is copied into the database file by a thread of its own (the store's
//! `checkpoint` module), not by the writer between two pushes.

use super::error::ApiError;
use crate::store::{StationError, StationStore};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct AppState {
    pub(super) store: Arc<Mutex<StationStore>>,
    /// Reading connections, taken in turn; empty for a store in memory (reads take `store`).
    readers: Arc<[Mutex<StationStore>]>,
    next_reader: Arc<AtomicUsize>,
    /// The station's bundle key (public part) for the laptops' standing: made once, at start.
    pub(super) bundle_recipient: Arc<str>,
    /// Session cookies are marked `Secure` when the station serves HTTPS.
    pub(super) secure_cookies: bool,
}

/// Reading connections: one per core (the reads are CPU work), at least two.
fn readers_wanted() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

impl AppState {
    pub fn new(mut store: StationStore, secure_cookies: bool) -> Result<AppState, StationError> {
        let bundle_recipient = store.bundle_recipient()?.into();
        let mut readers = Vec::new();
        for _ in 0..readers_wanted() {
            match store.reader()? {
                Some(reader) => readers.push(Mutex::new(reader)),
                None => break,
            }
        }
        let checkpointer = store.hand_checkpoints_over()?;
        let store = Arc::new(Mutex::new(store));
        if let Some(checkpointer) = checkpointer {
            let owner = Arc::downgrade(&store);
            std::thread::Builder::new()
                .name("checkpoint".into())
                .spawn(move || checkpointer.run(owner))
                .map_err(|e| {
                    StationError::Internal(format!("starting the checkpoint thread: {e}"))
                })?;
        }
        Ok(AppState {
            store,
            readers: readers.into(),
            next_reader: Arc::default(),
            bundle_recipient,
            secure_cookies,
        })
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

/// Whether a store call would wait for the writing connection now (a push is being written or
/// queued): a hint, for work that may as well be done later.
pub(crate) fn writer_busy(state: &AppState) -> bool {
    state.store.try_lock().is_err()
}

/// Runs a store call that only reads on a reading connection, on a blocking thread. The call
/// sees one committed state of the station if it reads in a transaction (see `pull`).
pub(crate) async fn with_reader<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&StationStore) -> Result<T, StationError> + Send + 'static,
) -> Result<T, ApiError> {
    if state.readers.is_empty() {
        return with_store(state, move |s| f(s)).await;
    }
    let readers = state.readers.clone();
    let turn = state.next_reader.fetch_add(1, Ordering::Relaxed) % readers.len();
    tokio::task::spawn_blocking(move || {
        let reader = readers[turn].lock().unwrap_or_else(|p| p.into_inner());
        f(&reader)
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
