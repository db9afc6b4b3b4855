//! A ledger file as an officer imports it (CSV and XLSX): previewed, then imported as a dry run.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| doorstep_fuzz_targets::ledger_import(data));
