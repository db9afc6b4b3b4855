//! The error every command returns: the core's tagged [`ErrorReport`], serialised as-is so the UI
//! can branch on `kind` and translate each field's code. Unexpected errors are logged here in full
//! and reach the UI only as a generic message.

use doorstep_core::{Error, ErrorReport};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct CommandError(pub ErrorReport);

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        let report = ErrorReport::from(&e);
        if matches!(report, ErrorReport::Internal { .. }) {
            eprintln!("doorstep: {e}");
        }
        CommandError(report)
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
