//! Errors of the core, and their serialisable report.
//!
//! [`Error`] is what library code returns. [`ErrorReport`] is what a user interface receives: a tagged
//! value the UI branches on (`kind`), with machine codes per field that the UI translates into the
//! officer's language. Internals (SQL text, file paths of the store) never reach the report's message
//! for an unexpected error; they go to the log.

use serde::Serialize;
use ts_rs::TS;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What is wrong with one field of an input, as a code the UI translates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FieldError {
    /// The field's name as in the record (`name`, `birth_date`, ...) or, for imports, the column.
    pub field: String,
    pub code: ErrorCode,
    /// For `too_long`: the limit in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub limit: Option<u32>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: ErrorCode) -> Self {
        Self {
            field: field.into(),
            code,
            limit: None,
        }
    }
    pub fn too_long(field: impl Into<String>, limit: u32) -> Self {
        Self {
            field: field.into(),
            code: ErrorCode::TooLong,
            limit: Some(limit),
        }
    }
}

/// Reasons a field is rejected. Each has a message in every UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    Required,
    TooLong,
    TooShort,
    DateInFuture,
    #[serde(rename = "date_before_1900")]
    DateBefore1900,
    BadDate,
    BadPhone,
    BadIdNumber,
    /// An ID number that Excel stored as a number and so rounded: its last digits are lost.
    ExcelRounded,
    UnknownValue,
    UnknownReference,
    /// A concern cannot be closed before the resident has been told the result.
    FeedbackRequiredToClose,
    /// A task cannot be marked done without its result.
    ResultRequired,
    /// A record that was deleted cannot be edited on this device.
    Deleted,
}

/// Why a whole file could not be imported.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error, TS)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[ts(export)]
pub enum ImportError {
    #[error("cannot read the file: {detail}")]
    Unreadable { detail: String },
    #[error("unsupported file type .{extension}; use CSV or XLSX")]
    UnsupportedFormat { extension: String },
    #[error("the file has no rows")]
    Empty,
    #[error("more than {limit} rows")]
    TooManyRows { limit: u32 },
    #[error("no column is mapped to {fields:?}")]
    MissingColumns {
        fields: Vec<crate::model::LedgerField>,
    },
    #[error("column {column} does not exist in the file")]
    NoSuchColumn { column: u32 },
}

/// Why a photo could not be attached: said at once, when it is chosen, so that no photo ever
/// reaches the sync queue that the station or another laptop could not show.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error, TS)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[ts(export)]
pub enum PhotoError {
    /// A format this laptop cannot decode (HEIC without a decoder, TIFF, a PDF…).
    #[error(
        "{format} photos cannot be read on this laptop; save the photo as JPEG or PNG and attach it again"
    )]
    Unsupported { format: String },
    /// The bytes are not a readable image of a supported format (a damaged or truncated file).
    #[error("the photo cannot be read: {detail}")]
    Unreadable { detail: String },
    /// Larger than any photo should be, even before it is made smaller.
    #[error("the file is larger than {limit_mb} MB")]
    TooLarge { limit_mb: u32 },
    /// The photo belongs to a confidential concern and this laptop may not see it: only its record
    /// (with no caption, place or bytes) is here.
    #[error(
        "this photo belongs to a confidential concern: only those who may see its reporter see it"
    )]
    Withheld,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("the database is locked by another program")]
    Locked,
    /// The disk is full: the write was not made (nothing of it is stored), everything before it is.
    #[error(
        "the disk is full: this was not saved (everything saved before is safe); free some space and save again"
    )]
    DiskFull,
    #[error("the file is not a Doorstep database or is damaged")]
    Corrupt,
    #[error("the database was written by a newer version of Doorstep")]
    TooNew,
    #[error("this database has no device yet; run `doorstep init` first")]
    NoDevice,
    #[error("wrong passphrase ({left} tries left)")]
    WrongPassphrase { left: u32 },
    #[error("too many wrong passphrases: try again in {seconds} seconds")]
    LockedOut { seconds: i64 },
    #[error("the database is not encrypted yet: choose a passphrase to encrypt it")]
    NotEncrypted,
    #[error(
        "the file is not a backup of a Doorstep laptop, is damaged, or does not open with this passphrase (it opens with the passphrase the laptop had when it was made)"
    )]
    BackupUnreadable,
    #[error(
        "the backup is of another laptop: restoring it here would give two laptops one identity; restore it on its own laptop, or enrol this one anew"
    )]
    BackupOfAnotherLaptop,
    #[error("import: {0}")]
    Import(#[from] ImportError),
    #[error("photo: {0}")]
    Photo(#[from] PhotoError),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("migration error: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("file error: {0}")]
    Io(std::io::Error),
    #[error("data error: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    pub fn invalid(field: &str, code: ErrorCode) -> Self {
        Error::Invalid(vec![FieldError::new(field, code)])
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => Error::DiskFull,
            _ => Error::Io(e),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(C::DatabaseBusy | C::DatabaseLocked) => Error::Locked,
            Some(C::DiskFull) => Error::DiskFull,
            Some(C::NotADatabase | C::DatabaseCorrupt) => Error::Corrupt,
            _ => Error::Sqlite(e),
        }
    }
}

/// The serialisable form of an [`Error`], tagged by `kind`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorReport {
    Invalid {
        errors: Vec<FieldError>,
    },
    NotFound {
        entity: String,
        id: String,
    },
    Locked,
    DiskFull,
    Corrupt,
    TooNew,
    NoDevice,
    WrongPassphrase {
        left: u32,
    },
    LockedOut {
        #[ts(type = "number")]
        seconds: i64,
    },
    NotEncrypted,
    BackupUnreadable,
    BackupOfAnotherLaptop,
    Import {
        error: ImportError,
    },
    Photo {
        error: PhotoError,
    },
    /// Something unexpected; the message is generic, the details are in the log.
    Internal {
        message: String,
    },
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> Self {
        match e {
            Error::Invalid(errors) => ErrorReport::Invalid {
                errors: errors.clone(),
            },
            Error::NotFound { entity, id } => ErrorReport::NotFound {
                entity: entity.to_string(),
                id: id.clone(),
            },
            Error::Locked => ErrorReport::Locked,
            Error::DiskFull => ErrorReport::DiskFull,
            Error::Corrupt => ErrorReport::Corrupt,
            Error::TooNew => ErrorReport::TooNew,
            Error::NoDevice => ErrorReport::NoDevice,
            Error::WrongPassphrase { left } => ErrorReport::WrongPassphrase { left: *left },
            Error::LockedOut { seconds } => ErrorReport::LockedOut { seconds: *seconds },
            Error::NotEncrypted => ErrorReport::NotEncrypted,
            Error::BackupUnreadable => ErrorReport::BackupUnreadable,
            Error::BackupOfAnotherLaptop => ErrorReport::BackupOfAnotherLaptop,
            Error::Import(error) => ErrorReport::Import {
                error: error.clone(),
            },
            Error::Photo(error) => ErrorReport::Photo {
                error: error.clone(),
            },
            Error::Sqlite(_) | Error::Migration(_) | Error::Io(_) | Error::Json(_) => {
                ErrorReport::Internal {
                    message: "unexpected error; see the log".into(),
                }
            }
        }
    }
}
