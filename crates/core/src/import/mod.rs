//! Importing the ledgers stations keep today (a spreadsheet of households and their residents, one
//! resident per row).
//!
//! The officer first sees a [`Preview`] (the header row found, the first rows, a suggested column
//! mapping), confirms the mapping, and runs the import. The whole import is one transaction: every
//! row with an address is stored (a bad optional value is left empty or kept aside to check, and
//! the row listed with warnings), a row without one is listed as rejected with its reasons, and a
//! dry run shows exactly that report without storing anything. Households are matched by normalised address within the beat and
//! residents by ID number (or by name and birth date within the household), so importing the same
//! file again creates nothing new and logs no change.

pub mod mapping;
pub mod parse;
pub mod report;
pub mod table;

pub use mapping::{LedgerField, Mapping};

pub use crate::error::ImportError;

use crate::error::{FieldError, Result};
use crate::ids::{HouseholdId, ResidentId};
use crate::model::{Record, Resident};
use crate::store::Store;
use crate::store::records::save_in;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Preview {
    /// The row the headers were found on, in the sheet's numbering (titles above it skipped).
    pub header_row: u32,
    pub headers: Vec<String>,
    /// The first rows, as text.
    pub sample: Vec<Vec<String>>,
    pub row_count: u32,
    pub suggested: Mapping,
}

/// One row that was not imported, or imported with warnings, with every reason (fields named as
/// ledger fields).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct RejectedRow {
    /// The row's number as the spreadsheet shows it.
    pub row: u32,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows: u32,
    pub households_created: u32,
    pub residents_created: u32,
    pub residents_updated: u32,
    /// Rows that matched what is already stored, field for field.
    pub unchanged: u32,
    /// Rows not imported (without an address or beat), with why.
    pub rejected: Vec<RejectedRow>,
    /// Rows imported with values left empty or kept aside to check (`to_check`), with why.
    pub warnings: Vec<RejectedRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ImportRequest {
    /// The file's name; its extension tells CSV from XLSX.
    pub file_name: String,
    pub mapping: Mapping,
    /// Beat for rows without a beat column (or with it empty).
    pub default_beat: String,
    pub dry_run: bool,
}

pub fn preview(file_name: &str, bytes: &[u8]) -> Result<Preview, ImportError> {
    let t = table::read(file_name, bytes)?;
    Ok(Preview {
        suggested: mapping::suggest(&t.headers),
        sample: t.rows.iter().take(10).cloned().collect(),
        row_count: t.rows.len() as u32,
        header_row: t.header_row,
        headers: t.headers,
    })
}

fn check_mapping(mapping: &Mapping, columns: usize) -> Result<(), ImportError> {
    let missing: Vec<LedgerField> = LedgerField::REQUIRED
        .into_iter()
        .filter(|f| !mapping.contains_key(f))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns { fields: missing });
    }
    match mapping.values().find(|c| **c >= columns) {
        Some(c) => Err(ImportError::NoSuchColumn { column: *c as u32 }),
        None => Ok(()),
    }
}

impl Store {
    /// [`Store::import_ledger_on`] on the laptop's local date.
    pub fn import_ledger(&mut self, request: &ImportRequest, bytes: &[u8]) -> Result<ImportReport> {
        self.import_ledger_on(request, bytes, crate::time::local_today())
    }

    /// Imports the ledger in `bytes` (the file's contents) as `request` says, its dates checked as
    /// of `today`.
    pub fn import_ledger_on(
        &mut self,
        request: &ImportRequest,
        bytes: &[u8],
        today: chrono::NaiveDate,
    ) -> Result<ImportReport> {
        let t = table::read(&request.file_name, bytes)?;
        check_mapping(&request.mapping, t.headers.len())?;
        let device = self.device()?.clone();
        let mut report = ImportReport {
            dry_run: request.dry_run,
            rows: t.rows.len() as u32,
            ..Default::default()
        };
        // Households created earlier in this same file, by (beat, normalised address).
        let mut seen: HashMap<(String, String), HouseholdId> = HashMap::new();
        let tx = self.conn.transaction()?;
        for (cells, &row_no) in t.rows.iter().zip(&t.numbers) {
            let parsed = match parse::row(cells, &request.mapping, &request.default_beat, today) {
                Ok(p) => p,
                Err(errors) => {
                    report.rejected.push(RejectedRow {
                        row: row_no,
                        errors,
                    });
                    continue;
                }
            };
            let key = (
                parsed.household.beat.clone(),
                crate::address::normalize(&parsed.household.address),
            );
            let existing_household = match seen.get(&key) {
                Some(id) => Some(*id),
                None => tx
                    .query_row(
                        "SELECT id FROM households WHERE beat = ?1 AND address_norm = ?2 AND deleted = 0 LIMIT 1",
                        [&key.0, &key.1],
                        |r| r.get::<_, HouseholdId>(0),
                    )
                    .optional()?,
            };
            let household_id = match existing_household {
                Some(id) => id,
                None => {
                    let mut h = parsed.household.clone();
                    h.id = HouseholdId::new();
                    let errors = h.validate(today);
                    if !errors.is_empty() {
                        report.rejected.push(RejectedRow {
                            row: row_no,
                            errors: ledger_names(errors),
                        });
                        continue;
                    }
                    save_in(&tx, &device, &h)?;
                    report.households_created += 1;
                    h.id
                }
            };
            seen.insert(key, household_id);
            if !parsed.warnings.is_empty() {
                report.warnings.push(RejectedRow {
                    row: row_no,
                    errors: ledger_names(parsed.warnings),
                });
            }
            let Some(mut resident) = parsed.resident else {
                continue;
            };
            resident.household_id = household_id;
            let existing: Option<Resident> = find_resident(&tx, &resident)?;
            if let Some(old) = &existing {
                resident.id = old.id;
                resident.version = old.version;
                resident.notes = old.notes.clone();
                if resident.tags.is_empty() {
                    resident.tags = old.tags.clone();
                }
                // A value the ledger could not give (left aside to check) does not blank the one
                // stored, which an officer may have corrected since; nor is it flagged again then.
                resident.to_check.retain(|c| {
                    let stored = match c.field.as_str() {
                        "id_number" => !old.id_number.is_empty(),
                        "phone" => !old.phone.is_empty(),
                        "birth_date" => old.birth_date.is_some(),
                        _ => false,
                    };
                    !stored
                });
                if resident.id_number.is_empty() {
                    resident.id_number = old.id_number.clone();
                }
                if resident.phone.is_empty() {
                    resident.phone = old.phone.clone();
                }
                if resident.birth_date.is_none() {
                    resident.birth_date = old.birth_date;
                }
                // What the ledger left aside stays until an officer has checked it.
                for c in &old.to_check {
                    if !resident.to_check.contains(c) {
                        resident.to_check.push(c.clone());
                    }
                }
            } else {
                resident.id = ResidentId::new();
            }
            let errors = resident.validate(today);
            if !errors.is_empty() {
                report.rejected.push(RejectedRow {
                    row: row_no,
                    errors: ledger_names(errors),
                });
                continue;
            }
            match (
                existing.is_some(),
                save_in(&tx, &device, &resident)?.change.is_some(),
            ) {
                (false, _) => report.residents_created += 1,
                (true, true) => report.residents_updated += 1,
                (true, false) => report.unchanged += 1,
            }
        }
        if request.dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
        }
        Ok(report)
    }
}

/// The same resident already stored: by ID number, else by name and birth date in the household.
fn find_resident(tx: &rusqlite::Transaction<'_>, r: &Resident) -> Result<Option<Resident>> {
    let select = crate::store::records::select_sql(Resident::SPEC);
    let found = if !r.id_number.is_empty() {
        tx.query_row(
            &format!("{select} WHERE id_number = ?1 AND deleted = 0 LIMIT 1"),
            [r.id_number.to_uppercase()],
            crate::store::records::from_row::<Resident>,
        )
        .optional()?
    } else {
        tx.query_row(
            &format!("{select} WHERE household_id = ?1 AND name = ?2 AND birth_date IS ?3 AND deleted = 0 LIMIT 1"),
            rusqlite::params![r.household_id, r.name, r.birth_date.map(|d| d.to_string())],
            crate::store::records::from_row::<Resident>,
        )
        .optional()?
    };
    Ok(found)
}

/// Record field names in errors become the ledger's field names the preview shows.
fn ledger_names(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = match e.field.as_str() {
                "kind" => LedgerField::HouseholdKind.as_str().into(),
                "tags" => LedgerField::ResidentTags.as_str().into(),
                other => other.into(),
            };
            e
        })
        .collect()
}

#[cfg(test)]
mod ledger_tests;
#[cfg(test)]
mod messy_ledger_tests;
