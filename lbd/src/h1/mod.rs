//! HTTP/1.1 message framing, sans-IO.
