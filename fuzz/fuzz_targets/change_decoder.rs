//! A push body as the station receives it: decoded, checked, pushed into a station store.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| doorstep_fuzz_targets::change_decoder(data));
