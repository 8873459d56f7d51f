#![no_main]
//! Any line must tokenize or fail cleanly.
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

fuzz_target!(|data: &[u8]| {
    let mut env = HashMap::new();
    env.insert("A".to_string(), "x y".to_string());
    let _ = lbd::config::tokenizer::tokenize(data, &env, &lbd::config::tokenizer::Pseudo::default());
});
