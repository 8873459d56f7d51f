//! The TCP-mode ClientHello reader (`req.ssl_sni`, `req.ssl_ver`,
//! `req.ssl_hello_type`) must answer any bytes without panicking, and a
//! hello it accepts must stay accepted when more bytes follow.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first = lbd::tls::hello::parse_client_hello(data);
    let _ = lbd::tls::hello::hello_type(data);
    if let Ok(info) = first {
        let mut more = data.to_vec();
        more.extend_from_slice(b"trailing");
        assert_eq!(lbd::tls::hello::parse_client_hello(&more), Ok(info));
    }
});
