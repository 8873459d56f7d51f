//! The `netcfg` command.
#![forbid(unsafe_code)]

fn main() {}
