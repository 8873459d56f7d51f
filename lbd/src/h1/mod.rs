//! HTTP/1.1 message framing, sans-IO, reproducing HAProxy 2.6's H1 behaviour.
//!
//! The I/O layer reads bytes into a buffer and calls [`parse_request`] /
//! [`parse_response`]; heads are indexed by byte ranges into that buffer so
//! nothing is copied per header. [`write_request_head`] and
//! [`write_response_head`] re-emit a head the way HAProxy does (lower-cased
//! names, Connection tokens consumed, merged content-length), and
//! [`BodyDecoder`] validates body framing while the bytes are forwarded raw.
//! This module never touches a socket.
//!
//! Test vectors in `testdata/` were captured from HAProxy 2.6.12 with
//! `testdata/cap.py` (raw-socket client, echo backend, `testdata/haproxy.cfg`).

mod body;
mod canned;
mod error;
mod request;
mod response;
mod scan;
mod types;
mod writer;

#[cfg(test)]
mod tests;

pub use body::{BodyDecoder, Progress};
pub use canned::{error_response, ErrorLayer};
pub use error::H1Error;
pub use request::{parse_request, parse_request_into, RequestHead};
pub use response::{parse_response, parse_response_into, ResponseHead};
pub use types::{
    BodyFraming, ConnTokens, HeaderField, HeaderKind, HttpMode, Method, ParseOptions, Span, Version,
};
pub use writer::{
    client_close_after, forwardfor_value, request_connection_value, response_connection_value,
    write_request_head, write_response_head, HeaderEdits,
};
