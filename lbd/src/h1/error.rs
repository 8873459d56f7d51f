//! Errors of the H1 codec, each mapped to the status HAProxy answers with.

use thiserror::Error;

/// Why a message was rejected. `status()` is what HAProxy 2.6 sends back
/// (captured); `termination()` is the `%ts` pair the log should show.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum H1Error {
    /// Malformed request head or a smuggling defence triggered (400, `PR`).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The head did not fit in `bufsize - maxrewrite` or had too many header
    /// lines. HAProxy 2.6 answers 400, not 431 (captured).
    #[error("request head too large")]
    HeadTooLarge,
    /// HTTP/1.0 GET/HEAD/DELETE carrying a body: 413 (mux_h1.c).
    #[error("HTTP/1.0 GET/HEAD/DELETE request with a payload")]
    PayloadForbidden,
    /// A request transfer-coding other than chunked, chunked being last: 422.
    #[error("unknown transfer-encoding in request")]
    UnknownTransferEncoding,
    /// Invalid chunked framing in a body. On the request side HAProxy
    /// answers 400 (captured); on the response side the caller aborts (`SD`/`PD`).
    #[error("invalid chunked encoding: {0}")]
    BadChunk(&'static str),
    /// The body ended (connection closed) before its announced end.
    #[error("body truncated")]
    Truncated,
    /// Malformed or blocked response head (502, `PH`).
    #[error("bad response: {0}")]
    BadResponse(&'static str),
}

impl H1Error {
    /// Status code HAProxy sends for this error when a response is still possible.
    pub fn status(&self) -> u16 {
        match self {
            H1Error::BadRequest(_) | H1Error::HeadTooLarge | H1Error::BadChunk(_) => 400,
            H1Error::Truncated => 400,
            H1Error::PayloadForbidden => 413,
            H1Error::UnknownTransferEncoding => 422,
            H1Error::BadResponse(_) => 502,
        }
    }

    /// The first two characters of HAProxy's termination state (section 9.4).
    pub fn termination(&self) -> &'static str {
        match self {
            H1Error::BadResponse(_) => "PH",
            H1Error::BadChunk(_) => "PD",
            H1Error::Truncated => "CD",
            _ => "PR",
        }
    }
}
