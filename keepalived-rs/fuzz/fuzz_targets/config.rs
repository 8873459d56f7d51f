//! keepalived.conf text: the parser warns or errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = keepalived_rs::config::load_str("fuzz.conf", text);
    }
});
