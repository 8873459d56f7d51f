//! The millisecond clock stick tables run on: monotonic, process-wide, so
//! entries carried over a reload keep meaningful expiry and rate ticks.
//! Everything else in this module takes `now_ms` as an argument.

use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Instant> = OnceLock::new();

/// Milliseconds since the first call in this process.
pub fn now_ms() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}
