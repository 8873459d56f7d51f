//! Tests of the H1 codec: HAProxy 2.6.12 captures replayed byte for byte,
//! one test per spec-11 rule, body decoding under arbitrary splits, and
//! deterministic random inputs.

// A failed unwrap is a failed test here, with the value in the message.
#![allow(clippy::unwrap_used)]

mod body;
mod captures;
mod fuzz;
mod rules;

use super::*;

pub(super) fn opts() -> ParseOptions {
    ParseOptions::default()
}

/// Parse a complete request, failing the test when it is incomplete.
pub(super) fn req(raw: &[u8]) -> Result<RequestHead, H1Error> {
    match parse_request(raw, &opts()) {
        Ok(Some(h)) => Ok(h),
        Ok(None) => panic!("incomplete request: {:?}", String::from_utf8_lossy(raw)),
        Err(e) => Err(e),
    }
}

/// The head the server receives for `raw` in `mode`.
pub(super) fn forwarded(raw: &[u8], mode: HttpMode) -> String {
    let h = req(raw).unwrap_or_else(|e| panic!("rejected: {e}"));
    let mut out = Vec::new();
    write_request_head(&mut out, raw, &h, mode, &HeaderEdits::default());
    String::from_utf8_lossy(&out).into_owned()
}
