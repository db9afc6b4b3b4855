//! Values that came in from a ledger but could not be taken as they were typed (an ID number whose
//! check digit fails, a phone that is no phone): kept, as typed, beside the record for an officer to
//! check, instead of being stored as if correct or losing the row.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One value to check: which field, what was typed, and why it was not taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ToCheck {
    /// The record's field the value was meant for (`id_number`, `phone`, `contact_phone`,
    /// `birth_date`).
    pub field: String,
    pub typed: String,
    pub reason: CheckReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CheckReason {
    /// Not a valid resident ID number (length, birth date or check digit).
    BadIdNumber,
    /// An ID number Excel stored as a number: only 15 significant digits survive, so the last ones
    /// are lost (it ends in 00, or came in scientific notation).
    ExcelRounded,
    NotAPhone,
    NotADate,
}
