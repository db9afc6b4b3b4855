//! Doorstep's core: everything the field app knows, with no window and no server attached.
//!
//! The desktop shell (`src-tauri`), the command-line client (`crates/cli`), the benchmarks and the tests
//! all go through this crate, so every rule and every SQL statement lives here once:
//! - [`model`]: the records an officer keeps (households, residents, visits, concerns, tasks);
//! - [`store`]: the SQLite file, its migrations, and the change log written with every edit;
//! - [`policy`]: when each household is due for its next visit;
//! - [`search`]: finding residents and addresses by characters or pinyin;
//! - [`photo`]: checking and shrinking a photo before it is kept;
//! - [`import`]: reading the stations' existing spreadsheet ledgers;
//! - [`demo`]: a realistic, deterministic demo beat.

pub mod address;
pub mod demo;
pub mod error;
pub mod export;
pub mod hlc;
pub mod identity;
pub mod ids;
pub mod import;
pub mod model;
pub mod photo;
pub mod policy;
pub mod search;
pub mod store;
pub mod time;
pub mod validate;

pub use error::{Error, ErrorReport, FieldError, Result};
pub use store::Store;
