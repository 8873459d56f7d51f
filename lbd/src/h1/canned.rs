//! HAProxy's canned error responses, byte for byte (src/http.c, 2.6).

use std::borrow::Cow;

/// Which layer produces the response; the bytes differ (spec section 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorLayer {
    /// The H1 mux on a parse error or timeout before a request exists: the
    /// raw `http_err_msgs` text, capitalised; 400 and 408 carry
    /// `Connection: close`.
    H1,
    /// The HTTP analysers (503, 502, 504, deny...): the same message after
    /// HTX conversion, so lower-cased names and no `connection` header.
    Http,
}

/// (status, reason, text) from src/http.c. 421 and 422 exist in 2.6 too
/// (422 is what an unknown request transfer-coding gets).
const MESSAGES: &[(u16, &str, &str)] = &[
    (200, "OK", "Service ready."),
    (400, "Bad request", "Your browser sent an invalid request."),
    (
        401,
        "Unauthorized",
        "You need a valid user and password to access this content.",
    ),
    (
        403,
        "Forbidden",
        "Request forbidden by administrative rules.",
    ),
    (404, "Not Found", "The resource could not be found."),
    (
        405,
        "Method Not Allowed",
        "A request was made of a resource using a request method not supported by that resource",
    ),
    (
        407,
        "Unauthorized",
        "You need a valid user and password to access this content.",
    ),
    (
        408,
        "Request Time-out",
        "Your browser didn't send a complete request in time.",
    ),
    (
        410,
        "Gone",
        "The resource is no longer available and will not be available again.",
    ),
    (
        413,
        "Payload Too Large",
        "The request entity exceeds the maximum allowed.",
    ),
    (
        421,
        "Misdirected Request",
        "Request sent to a non-authoritative server.",
    ),
    (
        422,
        "Unprocessable Content",
        "The server cannot process the contained instructions.",
    ),
    (425, "Too Early", "Your browser sent early data."),
    (
        429,
        "Too Many Requests",
        "You have sent too many requests in a given amount of time.",
    ),
    (
        500,
        "Internal Server Error",
        "An internal server error occurred.",
    ),
    (
        501,
        "Not Implemented",
        ".The server does not support the functionality required to fulfill the request.",
    ),
    (
        502,
        "Bad Gateway",
        "The server returned an invalid or incomplete response.",
    ),
    (
        503,
        "Service Unavailable",
        "No server is available to handle this request.",
    ),
    (
        504,
        "Gateway Time-out",
        "The server didn't respond in time.",
    ),
];

/// The canned response for `status` in the given layout. Unknown statuses
/// fall back to HAProxy's 500 message, as `http_get_status_idx` does.
pub fn error_response(status: u16, layer: ErrorLayer) -> Cow<'static, [u8]> {
    let (code, reason, text) = MESSAGES.iter().copied().find(|m| m.0 == status).unwrap_or((
        500,
        "Internal Server Error",
        "An internal server error occurred.",
    ));
    let body = format!("<html><body><h1>{code} {reason}</h1>\n{text}\n</body></html>\n");
    let head = match layer {
        ErrorLayer::H1 => {
            let conn = if matches!(code, 400 | 408) { "Connection: close\r\n" } else { "" };
            format!(
                "HTTP/1.1 {code} {reason}\r\nContent-length: {}\r\nCache-Control: no-cache\r\n{conn}Content-Type: text/html\r\n\r\n",
                body.len()
            )
        }
        ErrorLayer::Http => format!(
            "HTTP/1.1 {code} {reason}\r\ncontent-length: {}\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n",
            body.len()
        ),
    };
    let mut out = head.into_bytes();
    out.extend_from_slice(body.as_bytes());
    Cow::Owned(out)
}
