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
//! Why not hyper for HTTP/1: lbd must answer like HAProxy byte for byte
//! (canned 400/408/413 layouts, obs-fold unfolding, merged Content-Length,
//! Connection tokens consumed but other hop-by-hop headers kept, raw chunk
//! forwarding) and hyper's server answers parse errors and normalises
//! headers its own way. hyper (with h2) remains the plan for HTTP/2, where
//! the wire format leaves no such choices.
//!
//! One exchange, as the I/O layer drives it:
//! 1. `parse_request_into(buf, opts, &mut head)` until Ok(true); on Err send
//!    `error_response(e.status(), ErrorLayer::H1)` and close (`e.termination()`
//!    names the log flags). [`head_end`] tells cheaply whether a head is complete.
//! 2. `write_request_head(out, buf, &head, mode, edits)`, then forward the
//!    body raw through `BodyDecoder::new(head.framing)`.
//! 3. `parse_response(buf, head.method, opts)`; while `is_interim()`, write it
//!    with `conn = None` and parse again. `BodyFraming::Tunnel` means switch to
//!    raw forwarding both ways.
//! 4. `close = client_close_after(mode, &head, &resp)`; write with
//!    `response_connection_value(close, &head, &resp)`; forward the body with
//!    `BodyDecoder::new(resp.framing)`; close the client side if `close`.
//!
//! Known differences from HAProxy: chunked bodies are forwarded as received
//! (HAProxy re-encodes them, dropping chunk extensions and lower-casing
//! trailers); a CONNECT's `Host: x:443` is kept (HAProxy drops the port);
//! statuses below 100 are refused with 502 (HAProxy forwards them).
//!
//! Test vectors in `testdata/` were captured from HAProxy 2.6.12 with
//! `testdata/cap.py` (raw-socket client, echo backend, `testdata/haproxy.cfg`).

mod body;
mod canned;
mod error;
pub mod htx;
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
pub use request::{parse_request, parse_request_into, HeadBuilder, RequestHead};
pub use response::{parse_response, parse_response_into, ResponseHead};
pub use scan::head_end;
pub use types::{
    BodyFraming, ConnTokens, HeaderField, HeaderKind, HttpMode, Method, ParseOptions, Span, Version,
};
pub use writer::{
    client_close_after, forwardfor_value, request_connection_value, response_connection_value,
    write_request_head, write_response_head, HeaderEdits,
};
