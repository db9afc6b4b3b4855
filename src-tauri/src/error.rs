//! The error every command returns: the core's tagged [`ErrorReport`] or, for sync, the sync
//! client's [`SyncErrorReport`], serialised as-is so the UI can branch on `kind` and translate.
//! Unexpected errors are logged here in full and reach the UI only as a generic message.

use doorstep_core::{Error, ErrorReport};
use doorstep_sync::{SyncError, SyncErrorReport};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum CommandError {
    Core(ErrorReport),
    Sync(SyncErrorReport),
    Shell(ShellError),
}

/// What only the desktop shell can say.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShellError {
    /// The app is locked: the window shows the lock screen.
    AppLocked,
    /// A file could not be written where the app saves it (the import report).
    CannotSave { path: String, detail: String },
}

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        let report = ErrorReport::from(&e);
        if matches!(report, ErrorReport::Internal { .. }) {
            eprintln!("doorstep: {e}");
        }
        CommandError::Core(report)
    }
}

impl From<SyncError> for CommandError {
    fn from(e: SyncError) -> Self {
        if matches!(e, SyncError::Protocol(_) | SyncError::Store(_)) {
            eprintln!("doorstep: sync: {e}");
        }
        CommandError::Sync(SyncErrorReport::from(&e))
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
