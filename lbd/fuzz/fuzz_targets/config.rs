#![no_main]
//! Any file must load or be refused with diagnostics, never panic.
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

fuzz_target!(|data: &[u8]| {
    let env = HashMap::<String, String>::new();
    let _ = lbd::config::load_str("fuzz.cfg", data, &env);
});
