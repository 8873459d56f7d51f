//! Misbehaving peers at runtime: each is handled, and the proxy keeps serving.

use std::time::Duration;

use tests::*;

/// A proxy with a normal backend, and a resetting one behind a second
/// frontend (no ACLs needed: they come with the rules work).
struct Setup {
    port: u16,
    reset_port: u16,
    lbd: LbdProcess,
    _good: HttpBackend,
    _reset: HttpBackend,
}

fn setup() -> Setup {
    let good = HttpBackend::start("good");
    let reset = HttpBackend::builder("rst")
        .reply(Reply::ResetMidResponse)
        .start();
    let port = free_port();
    let reset_port = free_port();
    let cfg = format!(
        "{HTTP_DEFAULTS}
frontend fe
    bind 127.0.0.1:{port}
    default_backend be

frontend fe_rst
    bind 127.0.0.1:{reset_port}
    default_backend rst

backend be
    server good {}

backend rst
    server rst {}
",
        good.addr(),
        reset.addr()
    );
    Setup {
        port,
        reset_port,
        lbd: LbdProcess::start(&cfg),
        _good: good,
        _reset: reset,
    }
}

impl Setup {
    /// A normal request with curl still succeeds.
    fn still_serves(&self) {
        let out = curl(&["-i", &format!("http://127.0.0.1:{}/after", self.port)]);
        let r = out.responses();
        assert!(
            out.code == 0 && r.len() == 1 && r[0].served_by() == "good",
            "proxy stopped serving: curl {} {}{}",
            out.code,
            out.stderr,
            self.lbd.output_hint()
        );
    }

    /// Sends `bytes` and returns everything received until the proxy closed.
    fn exchange(&self, bytes: &[u8]) -> Vec<u8> {
        self.exchange_on(self.port, bytes)
    }

    fn exchange_on(&self, port: u16, bytes: &[u8]) -> Vec<u8> {
        let mut client = RawClient::connect(port);
        let _ = client.send(bytes);
        let (got, closed) = client.read_until_close(Duration::from_secs(5));
        assert!(closed, "proxy did not close{}", self.lbd.output_hint());
        got
    }
}

#[test]
fn garbage_gets_canned_400_and_close() {
    let s = setup();
    let got = s.exchange(b"\x01\x02\x03 this is not http\r\n\r\n");
    assert_eq!(String::from_utf8_lossy(&got), canned::R400);
    s.still_serves();
}

#[test]
fn oversized_header_block_gets_400() {
    let s = setup();
    // 22 kB of headers: more than HAProxy's default 16 kB buffer can hold.
    let mut req = b"GET / HTTP/1.1\r\nhost: a\r\n".to_vec();
    for i in 0..200 {
        req.extend_from_slice(format!("x-h{i}: {}\r\n", "a".repeat(100)).as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    let got = s.exchange(&req);
    assert_eq!(String::from_utf8_lossy(&got), canned::R400);
    s.still_serves();
}

#[test]
fn client_vanishing_mid_request_is_harmless() {
    let s = setup();
    {
        let mut c = RawClient::connect(s.port);
        let _ = c.send(b"GET / HTTP/1.1\r\nhost: a\r\nx-partial: abc");
    }
    {
        // Head complete and forwarded, body cut short.
        let mut c = RawClient::connect(s.port);
        let _ = c.send(b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 100\r\n\r\n0123456789");
    }
    s.still_serves();
}

#[test]
fn server_reset_mid_response_cuts_the_client_short() {
    let s = setup();
    let got = s.exchange_on(s.reset_port, b"GET /reset HTTP/1.1\r\nhost: a\r\n\r\n");
    // The head and the bytes that arrived before the reset are relayed; then the
    // client connection is closed with the body 990 bytes short, so the client can
    // tell the response is truncated.
    assert_eq!(
        String::from_utf8_lossy(&got),
        "HTTP/1.1 200 OK\r\nx-served-by: rst\r\ncontent-length: 1000\r\n\r\n0123456789",
        "{}",
        s.lbd.output_hint()
    );
    s.still_serves();
}
