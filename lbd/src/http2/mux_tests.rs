//! The mux against a real h2 client (the h2 crate) for what a client does,
//! and against raw frames for what an attacker does.

use super::*;
use crate::http2::hpack;
use std::future::Future;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

fn limits() -> Limits {
    Limits {
        max_concurrent_streams: 4,
        initial_window_size: 65_535,
        max_frame_size: 16_384,
        header_table_size: 4096,
        max_header_list_size: 16_384,
        max_resets_per_sec: 20,
    }
}

/// Runs a mux server on one end of a pipe; each stream goes to `handle`.
fn server<F, Fut>(limits: Limits, handle: F) -> DuplexStream
where
    F: Fn(Request, StreamRef) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (a, b) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        let mut conn = Connection::new(b, limits);
        while let Some((req, s)) = conn.accept().await {
            tokio::spawn(handle(req, s));
        }
    });
    a
}

fn response_block(status: u16, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut b = Vec::new();
    hpack::encode_status(&mut b, status);
    for (n, v) in fields {
        hpack::encode_field(&mut b, n.as_bytes(), v.as_bytes());
    }
    b
}

/// Echoes the request: its method and path in fields, its body back, its
/// trailers as response trailers.
async fn echo(req: Request, s: StreamRef) {
    let method = String::from_utf8_lossy(req.method()).into_owned();
    let path = String::from_utf8_lossy(req.path().unwrap_or(b"")).into_owned();
    let agent = req
        .fields()
        .find(|(n, _)| *n == b"user-agent")
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default();
    let end = req.end_stream;
    let block = response_block(
        200,
        &[
            ("x-method", &method),
            ("x-path", &path),
            ("x-agent", &agent),
        ],
    );
    if end {
        let _ = s.send_headers(&block, true);
        return;
    }
    if s.send_headers(&block, false).is_err() {
        return;
    }
    while let Some(d) = s.data().await {
        let Ok(d) = d else { return };
        let n = d.len();
        if s.send_data(d, false).await.is_err() {
            return;
        }
        s.release(n);
    }
    match s.take_trailers() {
        Some(t) => {
            // Lines `name: value\r\n` back to HPACK.
            let text = String::from_utf8_lossy(&t).into_owned();
            let fields: Vec<(&str, &str)> = text
                .split("\r\n")
                .filter_map(|l| l.split_once(": "))
                .collect();
            let mut b = Vec::new();
            for (n, v) in fields {
                hpack::encode_field(&mut b, n.as_bytes(), v.as_bytes());
            }
            let _ = s.send_trailers(&b);
        }
        None => {
            let _ = s.send_data(Bytes::new(), true).await;
        }
    }
}

async fn client(io: DuplexStream) -> h2::client::SendRequest<Bytes> {
    let (send, conn) = h2::client::handshake(io).await.expect("handshake");
    tokio::spawn(conn);
    send.ready().await.expect("ready")
}

#[tokio::test]
async fn requests_without_and_with_bodies_and_trailers() {
    let io = server(limits(), echo);
    let mut c = client(io).await;
    let req = http::Request::get("https://example.test/a?b=c")
        .header("user-agent", "mux-test")
        .body(())
        .unwrap();
    let (resp, _) = c.send_request(req, true).expect("send");
    let resp = resp.await.expect("response");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-method"], "GET");
    assert_eq!(resp.headers()["x-path"], "/a?b=c");
    assert_eq!(resp.headers()["x-agent"], "mux-test");
    assert!(resp.into_body().is_end_stream());

    // A body larger than the windows, and trailers.
    let mut c = c.ready().await.expect("ready");
    let req = http::Request::post("https://example.test/up")
        .body(())
        .unwrap();
    let (resp, mut body) = c.send_request(req, false).expect("send");
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let sender = {
        let payload = Bytes::from(payload.clone());
        tokio::spawn(async move {
            let mut rest = payload;
            while !rest.is_empty() {
                body.reserve_capacity(rest.len());
                let cap = std::future::poll_fn(|cx| body.poll_capacity(cx))
                    .await
                    .expect("capacity")
                    .expect("capacity");
                let chunk = rest.split_to(cap.min(rest.len()));
                body.send_data(chunk, false).expect("data");
            }
            let mut t = http::HeaderMap::new();
            t.insert("grpc-status", "0".parse().unwrap());
            body.send_trailers(t).expect("trailers");
        })
    };
    let resp = resp.await.expect("response");
    assert_eq!(resp.status(), 200);
    let mut rb = resp.into_body();
    let mut got = Vec::new();
    while let Some(d) = rb.data().await {
        let d = d.expect("data");
        got.extend_from_slice(&d);
        let _ = rb.flow_control().release_capacity(d.len());
    }
    let trailers = rb.trailers().await.expect("trailers").expect("some");
    assert_eq!(trailers["grpc-status"], "0");
    assert_eq!(got.len(), payload.len());
    assert!(got == payload);
    sender.await.expect("sender");
}

#[tokio::test]
async fn many_concurrent_streams_within_the_limit() {
    let io = server(limits(), echo);
    let c = client(io).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = c.ready().await.expect("ready");
            let req = http::Request::get(format!("https://example.test/{i}"))
                .body(())
                .unwrap();
            let (resp, _) = c.send_request(req, true).expect("send");
            let resp = resp.await.expect("response");
            assert_eq!(resp.headers()["x-path"], format!("/{i}").as_str());
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
}

// Raw frames.

fn frame(kind: u8, flags: u8, id: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    frame_head(&mut f, payload.len(), kind, flags, id);
    f.extend_from_slice(payload);
    f
}

/// A GET's header block (literal fields, no indexing).
fn get_block(path: &str) -> Vec<u8> {
    let mut b = Vec::new();
    for (n, v) in [
        (":method", "GET"),
        (":scheme", "https"),
        (":path", path),
        (":authority", "example.test"),
    ] {
        hpack::encode_field(&mut b, n.as_bytes(), v.as_bytes());
    }
    b
}

/// Preface and an empty SETTINGS.
fn hello() -> Vec<u8> {
    let mut v = PREFACE.to_vec();
    v.extend(frame(SETTINGS, 0, 0, &[]));
    v
}

/// Reads frames until one matches, or the connection ends (None).
async fn read_until(
    io: &mut DuplexStream,
    mut want: impl FnMut(u8, u8, u32, &[u8]) -> bool,
) -> Option<(u8, u8, u32, Vec<u8>)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mut h = [0u8; 9];
        match tokio::time::timeout_at(deadline, io.read_exact(&mut h)).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return None,
            Err(_) => panic!("no frame before the deadline"),
        }
        let len = u32::from_be_bytes([0, h[0], h[1], h[2]]) as usize;
        let id = u32::from_be_bytes([h[5], h[6], h[7], h[8]]);
        let mut p = vec![0u8; len];
        io.read_exact(&mut p).await.ok()?;
        if want(h[3], h[4], id, &p) {
            return Some((h[3], h[4], id, p));
        }
    }
}

async fn goaway_code(io: &mut DuplexStream) -> u32 {
    let (_, _, _, p) = read_until(io, |k, _, _, _| k == GOAWAY)
        .await
        .expect("GOAWAY");
    u32::from_be_bytes([p[4], p[5], p[6], p[7]])
}

/// The next RST_STREAM: its stream and code.
async fn next_reset(io: &mut DuplexStream) -> (u32, u32) {
    let (_, _, id, p) = read_until(io, |k, _, _, _| k == RST_STREAM)
        .await
        .expect("RST_STREAM");
    (id, u32::from_be_bytes([p[0], p[1], p[2], p[3]]))
}

async fn immediate(_req: Request, s: StreamRef) {
    let _ = s.send_headers(&response_block(204, &[]), true);
}

#[tokio::test]
async fn a_bad_preface_is_a_protocol_error() {
    let mut io = server(limits(), immediate);
    io.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(goaway_code(&mut io).await, code::PROTOCOL_ERROR);
}

#[tokio::test]
async fn a_continuation_flood_is_cut() {
    let mut io = server(limits(), immediate);
    let mut v = hello();
    // A header block that never ends: HEADERS then CONTINUATION frames of
    // a field that is never completed.
    v.extend(frame(HEADERS, 0, 1, &[0x00]));
    for _ in 0..200 {
        v.extend(frame(CONTINUATION, 0, 1, &[0x7f; 64]));
    }
    let _ = io.write_all(&v).await;
    assert_eq!(goaway_code(&mut io).await, code::ENHANCE_YOUR_CALM);
}

#[tokio::test]
async fn a_huge_header_block_is_cut() {
    let mut io = server(limits(), immediate);
    let mut v = hello();
    v.extend(frame(HEADERS, 0, 1, &[0u8; 16_000]));
    v.extend(frame(CONTINUATION, 0, 1, &[0u8; 16_000]));
    v.extend(frame(CONTINUATION, 0, 1, &[0u8; 16_000]));
    let _ = io.write_all(&v).await;
    assert_eq!(goaway_code(&mut io).await, code::ENHANCE_YOUR_CALM);
}

#[tokio::test]
async fn a_broken_hpack_block_is_a_compression_error() {
    let mut io = server(limits(), immediate);
    let mut v = hello();
    // Indexed field 126: beyond the static table, with the table empty.
    v.extend(frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0xfe]));
    io.write_all(&v).await.unwrap();
    assert_eq!(goaway_code(&mut io).await, code::COMPRESSION_ERROR);
}

#[tokio::test]
async fn an_hpack_bomb_is_refused_as_too_large_and_the_table_stays_whole() {
    let mut l = limits();
    l.max_header_list_size = 4096;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut io = server(l, move |req: Request, s: StreamRef| {
        let tx = tx.clone();
        async move {
            let _ = tx.send((req.too_large, req.path().map(<[u8]>::to_vec)));
            let _ = s.send_headers(&response_block(204, &[]), true);
        }
    });
    let mut v = hello();
    // One 3 KiB field indexed in the table, then referenced 100 times:
    // ~300 KiB decoded from a block of a few hundred bytes.
    let mut b = get_block("/bomb");
    b.push(0x40);
    b.push(0x01);
    b.push(b'x');
    b.push(0x7f);
    let mut n = 3000 - 127;
    while n >= 128 {
        b.push((n % 128) as u8 | 0x80);
        n /= 128;
    }
    b.push(n as u8);
    b.extend(std::iter::repeat_n(b'y', 3000));
    b.extend(std::iter::repeat_n(0xbe, 100));
    v.extend(frame(HEADERS, END_HEADERS | END_STREAM, 1, &b));
    // The next request still decodes: the table is intact.
    let mut b = get_block("/after");
    b.push(0xbe);
    v.extend(frame(HEADERS, END_HEADERS | END_STREAM, 3, &b));
    io.write_all(&v).await.unwrap();
    let first = rx.recv().await.expect("first");
    assert_eq!(first, (true, Some(b"/bomb".to_vec())));
    let second = rx.recv().await.expect("second");
    assert_eq!(second, (false, Some(b"/after".to_vec())));
    read_until(&mut io, |k, f, id, _| {
        k == HEADERS && id == 3 && f & END_STREAM != 0
    })
    .await
    .expect("response on stream 3");
}

#[tokio::test]
async fn streams_beyond_the_limit_are_refused() {
    // Handlers that never answer: the streams stay open.
    let mut io = server(limits(), |_req: Request, s: StreamRef| async move {
        std::future::pending::<()>().await;
        drop(s);
    });
    let mut v = hello();
    for i in 0..6u32 {
        v.extend(frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            1 + 2 * i,
            &get_block("/"),
        ));
    }
    io.write_all(&v).await.unwrap();
    // The limit is 4: streams 9 and 11 are refused.
    assert_eq!(next_reset(&mut io).await, (9, code::REFUSED_STREAM));
    assert_eq!(next_reset(&mut io).await, (11, code::REFUSED_STREAM));
}

#[tokio::test]
async fn a_rapid_reset_flood_is_cut() {
    let mut io = server(limits(), |_req: Request, s: StreamRef| async move {
        let _ = poll_fn(|cx| s.poll_reset(cx)).await;
    });
    let mut v = hello();
    for i in 0..100u32 {
        let id = 1 + 2 * i;
        v.extend(frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            id,
            &get_block("/"),
        ));
        v.extend(frame(RST_STREAM, 0, id, &code::CANCEL.to_be_bytes()));
    }
    let _ = io.write_all(&v).await;
    assert_eq!(goaway_code(&mut io).await, code::ENHANCE_YOUR_CALM);
}

#[tokio::test]
async fn window_overflow_and_data_beyond_the_window() {
    // The connection window past 2^31-1 is a connection error.
    let mut io = server(limits(), immediate);
    let mut v = hello();
    v.extend(frame(WINDOW_UPDATE, 0, 0, &0x7fff_ffffu32.to_be_bytes()));
    io.write_all(&v).await.unwrap();
    assert_eq!(goaway_code(&mut io).await, code::FLOW_CONTROL_ERROR);

    // DATA beyond a stream's window resets that stream only.
    let mut l = limits();
    l.initial_window_size = 1000;
    let mut io = server(l, |_req: Request, s: StreamRef| async move {
        // Never takes its body: the window is not given back.
        let _ = poll_fn(|cx| s.poll_reset(cx)).await;
    });
    let mut v = hello();
    v.extend(frame(HEADERS, END_HEADERS, 1, &get_block("/up")));
    v.extend(frame(DATA, 0, 1, &[0u8; 900]));
    v.extend(frame(DATA, 0, 1, &[0u8; 900]));
    v.extend(frame(
        HEADERS,
        END_HEADERS | END_STREAM,
        3,
        &get_block("/next"),
    ));
    io.write_all(&v).await.unwrap();
    assert_eq!(next_reset(&mut io).await, (1, code::FLOW_CONTROL_ERROR));
}

#[tokio::test]
async fn malformed_requests_are_stream_errors() {
    let mut io = server(limits(), immediate);
    let mut v = hello();
    // No :path.
    let mut b = Vec::new();
    for (n, val) in [(":method", "GET"), (":scheme", "https")] {
        hpack::encode_field(&mut b, n.as_bytes(), val.as_bytes());
    }
    v.extend(frame(HEADERS, END_HEADERS | END_STREAM, 1, &b));
    // A connection-specific field.
    let mut b = get_block("/");
    hpack::encode_field(&mut b, b"connection", b"keep-alive");
    v.extend(frame(HEADERS, END_HEADERS | END_STREAM, 3, &b));
    // An upper-case name.
    let mut b = get_block("/");
    hpack::encode_field(&mut b, b"X-Up", b"1");
    v.extend(frame(HEADERS, END_HEADERS | END_STREAM, 5, &b));
    // content-length with END_STREAM and no body.
    let mut b = get_block("/");
    hpack::encode_field(&mut b, b"content-length", b"5");
    v.extend(frame(HEADERS, END_HEADERS | END_STREAM, 7, &b));
    // Then a good one, served.
    v.extend(frame(
        HEADERS,
        END_HEADERS | END_STREAM,
        9,
        &get_block("/ok"),
    ));
    io.write_all(&v).await.unwrap();
    let mut reset = Vec::new();
    read_until(&mut io, |k, _, id, p| {
        if k == RST_STREAM {
            reset.push((id, u32::from_be_bytes([p[0], p[1], p[2], p[3]])));
        }
        k == HEADERS && id == 9
    })
    .await
    .expect("response on stream 9");
    let want: Vec<(u32, u32)> = [1, 3, 5, 7]
        .iter()
        .map(|&i| (i, code::PROTOCOL_ERROR))
        .collect();
    assert_eq!(reset, want);
}

#[tokio::test]
async fn ping_settings_and_graceful_goaway() {
    let (a, b) = tokio::io::duplex(1 << 16);
    let mut io = a;
    let task = tokio::spawn(async move {
        let mut conn = Connection::new(b, limits());
        let (_req, s) = conn.accept().await.expect("a stream");
        conn.graceful_shutdown();
        let respond = tokio::spawn(async move {
            let _ = s.send_headers(&response_block(200, &[]), true);
        });
        // The open stream finishes, then the connection ends.
        assert!(conn.accept().await.is_none());
        respond.await.expect("respond");
    });
    let mut v = hello();
    v.extend(frame(PING, 0, 0, b"12345678"));
    v.extend(frame(HEADERS, END_HEADERS | END_STREAM, 1, &get_block("/")));
    io.write_all(&v).await.unwrap();
    let (_, f, _, p) = read_until(&mut io, |k, _, _, _| k == PING)
        .await
        .expect("PING");
    assert_eq!((f, &p[..]), (ACK, &b"12345678"[..]));
    assert_eq!(goaway_code(&mut io).await, code::NO_ERROR);
    read_until(&mut io, |k, _, id, _| k == HEADERS && id == 1)
        .await
        .expect("the stream's response after GOAWAY");
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("connection ended")
        .expect("task");
}

/// Random frames after a valid preface (a fixed-seed generator, so a
/// failure repeats): the connection never panics, and always ends once its
/// client does.
#[tokio::test]
async fn random_frames_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..2000 {
        let (mut a, b) = tokio::io::duplex(1 << 20);
        let conn = tokio::spawn(async move {
            let mut conn = Connection::new(b, limits());
            while let Some((_req, s)) = conn.accept().await {
                tokio::spawn(async move {
                    let _ = s.send_headers(&response_block(200, &[]), false);
                    let _ = s.send_data(Bytes::from_static(b"x"), true).await;
                });
            }
        });
        let mut v = hello();
        for _ in 0..(next() % 12) {
            let r = next();
            let kind = (r % 11) as u8;
            let flags = ((r >> 8) & 0x2d) as u8;
            let id = ((r >> 16) % 8) as u32;
            let payload: Vec<u8> = match kind {
                HEADERS | CONTINUATION if r >> 40 & 1 == 0 => get_block("/r"),
                _ => (0..(r >> 24) % 40).map(|_| next() as u8).collect(),
            };
            v.extend(frame(kind, flags, id, &payload));
        }
        let _ = a.write_all(&v).await;
        drop(a);
        tokio::time::timeout(Duration::from_secs(5), conn)
            .await
            .expect("the connection ends")
            .expect("no panic");
    }
}

/// Extended CONNECT (RFC 8441): `:protocol` only with CONNECT, and then
/// with `:scheme` and `:path` as well; a well-formed one is served, its
/// protocol readable. The SETTINGS announce it.
#[tokio::test]
async fn extended_connect_is_offered_and_checked() {
    let block = |fields: &[(&str, &str)]| {
        let mut b = Vec::new();
        for (n, v) in fields {
            hpack::encode_field(&mut b, n.as_bytes(), v.as_bytes());
        }
        b
    };
    let good = block(&[
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":path", "/chat"),
        (":authority", "example.test"),
    ]);
    let mut decoder = hpack::Decoder::new(4096);
    let (req, malformed) = decode_request(&mut decoder, &good, &limits(), (0, 0)).unwrap();
    assert!(!malformed);
    assert_eq!(req.protocol(), Some(&b"websocket"[..]));

    let mut io = server(limits(), immediate);
    let mut v = hello();
    // :protocol on a GET.
    let mut b = get_block("/");
    hpack::encode_field(&mut b, b":protocol", b"websocket");
    v.extend(frame(HEADERS, END_HEADERS, 1, &b));
    // Extended CONNECT without :path.
    let b = block(&[
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":authority", "example.test"),
    ]);
    v.extend(frame(HEADERS, END_HEADERS, 3, &b));
    // The good one.
    v.extend(frame(HEADERS, END_HEADERS, 5, &good));
    io.write_all(&v).await.unwrap();
    let mut reset = Vec::new();
    let mut enabled = false;
    read_until(&mut io, |k, flags, id, p| {
        if k == SETTINGS && flags & ACK == 0 {
            enabled = p
                .chunks(6)
                .any(|s| s.len() == 6 && s[..2] == [0, 8] && s[2..] == [0, 0, 0, 1]);
        }
        if k == RST_STREAM {
            reset.push((id, u32::from_be_bytes([p[0], p[1], p[2], p[3]])));
        }
        k == HEADERS && id == 5
    })
    .await
    .expect("response on stream 5");
    assert!(enabled, "SETTINGS_ENABLE_CONNECT_PROTOCOL not offered");
    assert_eq!(
        reset,
        vec![(1, code::PROTOCOL_ERROR), (3, code::PROTOCOL_ERROR)]
    );
}
