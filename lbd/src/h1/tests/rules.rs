//! One test per HTTP rule of spec section 11 (and the captures behind it).

use super::*;

const KA: HttpMode = HttpMode::KeepAlive;

#[test]
fn header_names_are_lower_cased_and_order_kept() {
    let out = forwarded(
        b"GET /a HTTP/1.1\r\nHost: x\r\nX-B: 1\r\nX-A: 2\r\n\r\n",
        KA,
    );
    assert_eq!(
        out,
        "GET /a HTTP/1.1\r\nhost: x\r\nx-b: 1\r\nx-a: 2\r\n\r\n"
    );
}

#[test]
fn forwardfor_adds_a_separate_line_after_rules() {
    let raw = b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n";
    let h = req(raw).unwrap();
    let v6 = forwardfor_value("::1".parse().unwrap());
    assert_eq!(v6, "::1");
    let append: [(&str, &[u8]); 2] = [("X-Set", b"v"), ("x-forwarded-for", v6.as_bytes())];
    let edits = HeaderEdits {
        delete: &["x-set"],
        append: &append,
        origin_form: false,
    };
    let mut out = Vec::new();
    write_request_head(&mut out, raw, &h, HttpMode::ServerClose, &edits);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "GET / HTTP/1.1\r\nhost: x\r\nx-forwarded-for: 10.9.9.9\r\nx-set: v\r\nx-forwarded-for: ::1\r\nconnection: close\r\n\r\n"
    );
}

#[test]
fn del_header_removes_every_occurrence() {
    let raw = b"GET / HTTP/1.1\r\nX-Forwarded-For: 1\r\nHost: x\r\nx-forwarded-for: 2\r\n\r\n";
    let h = req(raw).unwrap();
    let mut out = Vec::new();
    let edits = HeaderEdits {
        delete: &["X-Forwarded-For"],
        append: &[],
        origin_form: false,
    };
    write_request_head(&mut out, raw, &h, KA, &edits);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "GET / HTTP/1.1\r\nhost: x\r\n\r\n"
    );
}

#[test]
fn connection_keeps_other_tokens_and_hop_by_hop_headers() {
    let out = forwarded(
        b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close, X-Foo\r\nKeep-Alive: 300\r\nTE: trailers\r\nUpgrade: foo\r\n\r\n",
        KA,
    );
    assert_eq!(
        out,
        "GET /a HTTP/1.1\r\nhost: x\r\nconnection: X-Foo\r\nkeep-alive: 300\r\nte: trailers\r\nupgrade: foo\r\n\r\n"
    );
    let h = req(b"GET / HTTP/1.1\r\nConnection: close, X-Foo\r\n\r\n").unwrap();
    assert!(h.conn.close && h.conn.others && !h.keep_alive);
}

#[test]
fn connection_tokens_after_a_removed_one_are_joined_without_space() {
    let out = forwarded(
        b"GET / HTTP/1.1\r\nConnection: X-A, X-B, close, X-C\r\n\r\n",
        KA,
    );
    assert_eq!(out, "GET / HTTP/1.1\r\nconnection: X-A, X-B,X-C\r\n\r\n");
}

#[test]
fn te_other_than_trailers_is_not_forwarded() {
    let out = forwarded(b"GET / HTTP/1.1\r\nTE: gzip\r\n\r\n", KA);
    assert_eq!(out, "GET / HTTP/1.1\r\n\r\n");
}

#[test]
fn connection_modes_on_the_server_side() {
    let r11 = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let r10 = b"GET / HTTP/1.0\r\nHost: x\r\n\r\n";
    assert_eq!(forwarded(r11, KA), "GET / HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(
        forwarded(r11, HttpMode::ServerClose),
        "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    );
    assert_eq!(
        forwarded(r11, HttpMode::Close),
        "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    );
    assert_eq!(
        forwarded(r10, KA),
        "GET / HTTP/1.0\r\nhost: x\r\nconnection: keep-alive\r\n\r\n"
    );
    assert_eq!(
        forwarded(r10, HttpMode::ServerClose),
        "GET / HTTP/1.0\r\nhost: x\r\n\r\n"
    );
}

#[test]
fn cl_with_chunked_drops_cl_and_closes_after_response() {
    let raw =
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n";
    let h = req(raw).unwrap();
    assert_eq!(h.framing, BodyFraming::Chunked);
    assert!(h.close_after_response && h.wants_close());
    assert_eq!(
        forwarded(raw, KA),
        "POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
    );
}

#[test]
fn chunked_twice_is_400() {
    for raw in [
        &b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
    ] {
        assert_eq!(req(raw).map_err(|e| e.status()), Err(400));
    }
}

#[test]
fn non_chunked_request_te_is_rejected() {
    assert_eq!(
        req(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").map_err(|e| e.status()),
        Err(400)
    );
    // chunked last but another coding before it: 422 (captured).
    let e = req(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").unwrap_err();
    assert_eq!(e.status(), 422);
    // Coding names are case-insensitive.
    assert!(req(b"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n").is_ok());
}

#[test]
fn content_length_rules() {
    let e = |raw: &[u8]| req(raw).map(|h| h.framing).map_err(|e| e.status());
    assert_eq!(
        e(b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
        Err(400)
    );
    assert_eq!(
        e(b"POST / HTTP/1.1\r\nContent-Length: 3,4\r\n\r\n"),
        Err(400)
    );
    assert_eq!(
        e(b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
        Err(400)
    );
    assert_eq!(
        e(b"POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n"),
        Err(400)
    );
    assert_eq!(e(b"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n"), Err(400));
    assert_eq!(
        e(b"POST / HTTP/1.1\r\nContent-Length: 3,\r\n\r\n"),
        Err(400)
    );
    assert_eq!(
        e(b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
        Err(400)
    );
    assert_eq!(
        e(b"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n"),
        Ok(BodyFraming::ContentLength(3))
    );
    assert_eq!(
        forwarded(
            b"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\nX: y\r\nContent-Length: 3\r\n\r\n",
            KA
        ),
        "POST / HTTP/1.1\r\ncontent-length: 3\r\nx: y\r\n\r\n"
    );
}

#[test]
fn space_before_colon_is_400_unless_accept_invalid() {
    let raw = b"GET / HTTP/1.1\r\nX-Foo : bar\r\n\r\n";
    assert_eq!(req(raw).map_err(|e| e.status()).err(), Some(400));
    let o = ParseOptions {
        accept_invalid: true,
        ..opts()
    };
    assert!(parse_request(raw, &o).is_ok_and(|h| h.is_some()));
}

#[test]
fn host_rules() {
    assert_eq!(
        req(b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n")
            .map_err(|e| e.status())
            .err(),
        Some(400)
    );
    // Identical duplicates are merged (captured).
    assert_eq!(
        forwarded(b"GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n", KA),
        "GET / HTTP/1.1\r\nhost: x\r\n\r\n"
    );
    let h = req(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    assert!(!h.has_host() && h.keep_alive);
}

#[test]
fn absolute_uri_must_match_host() {
    assert_eq!(
        req(b"GET http://y/a HTTP/1.1\r\nHost: x\r\n\r\n")
            .map_err(|e| e.status())
            .err(),
        Some(400)
    );
    assert_eq!(
        forwarded(b"GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n", KA),
        "GET http://x/a HTTP/1.1\r\nhost: x\r\n\r\n"
    );
    assert_eq!(
        forwarded(b"GET http://X/a HTTP/1.1\r\nHost: x\r\n\r\n", KA),
        "GET http://X/a HTTP/1.1\r\nhost: x\r\n\r\n"
    );
    // The scheme's default port is dropped (2.6.12, captured).
    assert_eq!(
        forwarded(b"GET http://x:80/a HTTP/1.1\r\nHost: x\r\n\r\n", KA),
        "GET http://x/a HTTP/1.1\r\nhost: x\r\n\r\n"
    );
    assert_eq!(
        forwarded(b"GET https://x:443/a HTTP/1.1\r\nHost: x\r\n\r\n", KA),
        "GET https://x/a HTTP/1.1\r\nhost: x\r\n\r\n"
    );
}

#[test]
fn obs_fold_is_unfolded_with_spaces() {
    assert_eq!(
        forwarded(b"GET / HTTP/1.1\r\nX-Fold: a\r\n  b\r\n\r\n", KA),
        "GET / HTTP/1.1\r\nx-fold: a    b\r\n\r\n"
    );
    assert_eq!(
        req(b"GET / HTTP/1.1\r\n X: v\r\n\r\n")
            .map_err(|e| e.status())
            .err(),
        Some(400)
    );
}

#[test]
fn http10_get_head_delete_with_body_is_413_unless_allowed() {
    for m in ["GET", "HEAD", "DELETE"] {
        let raw = format!("{m} / HTTP/1.0\r\nContent-Length: 3\r\n\r\n");
        assert_eq!(
            req(raw.as_bytes()).map_err(|e| e.status()).err(),
            Some(413),
            "{m}"
        );
        let o = ParseOptions {
            accept_payload_with_any_method: true,
            ..opts()
        };
        assert!(parse_request(raw.as_bytes(), &o).is_ok());
    }
    assert_eq!(
        req(b"DELETE / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")
            .map_err(|e| e.status())
            .err(),
        Some(413)
    );
    assert!(req(b"GET / HTTP/1.0\r\nContent-Length: 0\r\n\r\n").is_ok());
    assert!(req(b"POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n").is_ok());
    assert!(req(b"GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\n").is_ok());
}

#[test]
fn invalid_name_chars_are_400_unless_accept_invalid() {
    let raw = b"GET / HTTP/1.1\r\nX(Foo): bar\r\n\r\n";
    assert_eq!(req(raw).map_err(|e| e.status()).err(), Some(400));
    let o = ParseOptions {
        accept_invalid: true,
        ..opts()
    };
    let h = parse_request(raw, &o).unwrap().unwrap();
    let mut out = Vec::new();
    write_request_head(&mut out, raw, &h, KA, &HeaderEdits::default());
    assert_eq!(out, b"GET / HTTP/1.1\r\nx(foo): bar\r\n\r\n");
}

#[test]
fn request_line_rules() {
    let st = |raw: &[u8]| req(raw).map(|_| 0).unwrap_or_else(|e| e.status());
    assert_eq!(st(b"G(T / HTTP/1.1\r\n\r\n"), 400);
    assert_eq!(st(b"GET / HTTX/1.1\r\n\r\n"), 400);
    assert_eq!(st(b"GET / http/1.1\r\n\r\n"), 400);
    assert_eq!(st(b"GET / HTTP/1.0 \r\n\r\n"), 400);
    assert_eq!(st(b"GET /a\r\n\r\n"), 400);
    assert_eq!(st(b"GET /a b HTTP/1.1\r\n\r\n"), 400);
    assert_eq!(st(b"GET /a\x01b HTTP/1.1\r\n\r\n"), 400);
    assert_eq!(st(b"GET /a\xffb HTTP/1.1\r\n\r\n"), 400);
    // Accepted and normalised (captured).
    assert_eq!(
        forwarded(b"GET  /a HTTP/1.1\r\n\r\n", KA),
        "GET /a HTTP/1.1\r\n\r\n"
    );
    assert_eq!(
        forwarded(b"GET /a HTTP/2.0\r\n\r\n", KA),
        "GET /a HTTP/1.1\r\n\r\n"
    );
    assert_eq!(
        forwarded(b"\r\n\r\nGET /a HTTP/1.1\nHost: x\n\n", KA),
        "GET /a HTTP/1.1\r\nhost: x\r\n\r\n"
    );
    assert_eq!(
        req(b"get / HTTP/1.1\r\n\r\n").unwrap().method,
        Method::Other
    );
}

#[test]
fn keep_alive_decision() {
    let ka = |raw: &[u8]| req(raw).unwrap().keep_alive;
    assert!(ka(b"GET / HTTP/1.1\r\n\r\n"));
    assert!(!ka(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
    assert!(!ka(b"GET / HTTP/1.0\r\n\r\n"));
    assert!(ka(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
}

#[test]
fn expect_and_websocket() {
    assert!(
        req(b"POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
            .unwrap()
            .expect_continue
    );
    let ws = b"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n";
    assert_eq!(
        req(&[&ws[..], b"\r\n"].concat())
            .map_err(|e| e.status())
            .err(),
        Some(400)
    );
    let ok = [
        &ws[..],
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    ]
    .concat();
    let h = req(&ok).unwrap();
    assert!(h.websocket);
    assert_eq!(request_connection_value(HttpMode::ServerClose, &h), None);
}

#[test]
fn head_size_and_header_count_limits() {
    let big = |n: usize| format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(n));
    assert!(req(big(15000).as_bytes()).is_ok());
    assert_eq!(
        req(big(15400).as_bytes()).err(),
        Some(H1Error::HeadTooLarge)
    );
    // Incomplete but already over the limit: refused without waiting.
    let partial = format!("GET / HTTP/1.1\r\nX-Big: {}", "a".repeat(16000));
    assert_eq!(
        parse_request(partial.as_bytes(), &opts()).err(),
        Some(H1Error::HeadTooLarge)
    );
    assert_eq!(H1Error::HeadTooLarge.status(), 400);
    let many = |n: usize| {
        let mut s = String::from("GET / HTTP/1.1\r\n");
        for i in 0..n {
            s.push_str(&format!("X-{i}: v\r\n"));
        }
        s + "\r\n"
    };
    assert!(req(many(100).as_bytes()).is_ok());
    assert_eq!(
        req(many(101).as_bytes()).map_err(|e| e.status()).err(),
        Some(400)
    );
}

#[test]
fn incomplete_heads_return_none_at_every_length() {
    let raw = b"POST /a HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\nContent-Length: 3\r\n\r\nabc";
    let full = req(raw).unwrap();
    for n in 0..full.head_len {
        assert_eq!(parse_request(&raw[..n], &opts()), Ok(None), "prefix {n}");
    }
    assert_eq!(full.head_len, raw.len() - 3);
}

#[test]
fn pipelined_requests_parse_one_after_the_other() {
    let raw = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut head = RequestHead::default();
    assert!(parse_request_into(raw, &opts(), &mut head).unwrap());
    let rest = &raw[head.head_len..];
    assert!(parse_request_into(rest, &opts(), &mut head).unwrap());
    assert_eq!(head.target.get(rest), b"/b");
}

#[test]
fn response_framing() {
    let f = |raw: &[u8], m: Method| parse_response(raw, m, &opts()).unwrap().unwrap().framing;
    assert_eq!(
        f(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
            Method::Head
        ),
        BodyFraming::None
    );
    assert_eq!(
        f(b"HTTP/1.1 204 No Content\r\n\r\n", Method::Get),
        BodyFraming::None
    );
    assert_eq!(
        f(
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
            Method::Get
        ),
        BodyFraming::None
    );
    assert_eq!(
        f(b"HTTP/1.1 100 Continue\r\n\r\n", Method::Get),
        BodyFraming::None
    );
    assert_eq!(
        f(b"HTTP/1.1 101 Switching Protocols\r\n\r\n", Method::Get),
        BodyFraming::Tunnel
    );
    assert_eq!(
        f(b"HTTP/1.1 200 OK\r\n\r\n", Method::Connect),
        BodyFraming::Tunnel
    );
    assert_eq!(
        f(b"HTTP/1.1 200 OK\r\n\r\n", Method::Get),
        BodyFraming::UntilClose
    );
    assert_eq!(
        f(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            Method::Get
        ),
        BodyFraming::Chunked
    );
    let bad = |raw: &[u8]| {
        parse_response(raw, Method::Get, &opts())
            .map_err(|e| e.status())
            .err()
    };
    assert_eq!(
        bad(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"),
        Some(502)
    );
    assert_eq!(bad(b"HTTP/1.1 2x0 OK\r\n\r\n"), Some(502));
    assert_eq!(bad(b"FOO BAR\r\n\r\n"), Some(502));
    assert_eq!(
        bad(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"),
        Some(502)
    );
}

#[test]
fn response_connection_header_per_mode() {
    let raw_req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let rq = req(raw_req).unwrap();
    let raw = b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n";
    let rs = parse_response(raw, rq.method, &opts()).unwrap().unwrap();
    let write = |mode| {
        let close = client_close_after(mode, &rq, &rs);
        let mut out = Vec::new();
        write_response_head(
            &mut out,
            raw,
            &rs,
            response_connection_value(close, &rq, &rs),
            &HeaderEdits::default(),
        );
        String::from_utf8(out).unwrap()
    };
    assert_eq!(
        write(KA),
        "HTTP/1.1 200 OK\r\nkeep-alive: timeout=5\r\ncontent-length: 0\r\n\r\n"
    );
    assert_eq!(
        write(HttpMode::ServerClose),
        "HTTP/1.1 200 OK\r\nkeep-alive: timeout=5\r\ncontent-length: 0\r\n\r\n"
    );
    assert_eq!(write(HttpMode::Close), "HTTP/1.1 200 OK\r\nkeep-alive: timeout=5\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
}

#[test]
fn canned_errors_match_the_spec_bytes() {
    assert_eq!(
        error_response(503, ErrorLayer::Http).as_ref(),
        &b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"[..]
    );
    assert_eq!(
        error_response(408, ErrorLayer::H1).as_ref(),
        &b"HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n"[..]
    );
    // Content-length is right for every status, and 501 keeps its leading dot.
    for s in [
        200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503,
        504,
    ] {
        for layer in [ErrorLayer::H1, ErrorLayer::Http] {
            let r = error_response(s, layer);
            let split = memchr::memmem::find(&r, b"\r\n\r\n").unwrap() + 4;
            let head = String::from_utf8_lossy(&r[..split]).to_lowercase();
            assert!(
                head.contains(&format!("content-length: {}\r\n", r.len() - split)),
                "{s}"
            );
            assert!(head.starts_with(&format!("http/1.1 {s} ")));
        }
    }
    assert!(
        String::from_utf8_lossy(&error_response(501, ErrorLayer::Http))
            .contains("\n.The server does not support")
    );
    assert!(!String::from_utf8_lossy(&error_response(403, ErrorLayer::H1)).contains("Connection"));
}

#[test]
fn head_end_finds_the_empty_line_incrementally() {
    let raw = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody";
    assert_eq!(head_end(raw, 0), Some(raw.len() - 4));
    for n in 0..raw.len() - 4 {
        assert_eq!(head_end(&raw[..n], n.saturating_sub(3)), None, "{n}");
    }
    assert_eq!(head_end(raw, 20), Some(raw.len() - 4));
    assert_eq!(head_end(b"GET / HTTP/1.1\nA: b\n\n", 0), Some(21));
    assert_eq!(head_end(b"\r\n\r\nGET / HTTP/1.1\r\n\r\n", 0), Some(22));
    assert_eq!(head_end(b"\r\n\r\nGET", 0), None);
}

#[test]
fn an_absolute_target_is_written_in_origin_form_when_asked() {
    let raw = b"GET http://ex.test:8080/p?q=1 HTTP/1.1\r\nhost: ex.test:8080\r\n\r\n";
    let h = req(raw).unwrap();
    for (origin, line) in [
        (true, "GET /p?q=1 HTTP/1.1\r\n"),
        (false, "GET http://ex.test:8080/p?q=1 HTTP/1.1\r\n"),
    ] {
        let edits = HeaderEdits {
            delete: &[],
            append: &[],
            origin_form: origin,
        };
        let mut out = Vec::new();
        write_request_head(&mut out, raw, &h, KA, &edits);
        assert!(
            out.starts_with(line.as_bytes()),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }
    let raw = b"GET http://ex.test?x HTTP/1.1\r\nhost: ex.test\r\n\r\n";
    let h = req(raw).unwrap();
    let edits = HeaderEdits {
        delete: &[],
        append: &[],
        origin_form: true,
    };
    let mut out = Vec::new();
    write_request_head(&mut out, raw, &h, KA, &edits);
    assert!(
        out.starts_with(b"GET / HTTP/1.1\r\n"),
        "{}",
        String::from_utf8_lossy(&out)
    );
}
