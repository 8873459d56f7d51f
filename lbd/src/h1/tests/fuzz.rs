//! Deterministic random inputs: the parsers never panic, and whatever they
//! accept has exactly one body framing.

use super::*;

const PIECES: &[&[u8]] = &[
    b"GET",
    b"POST",
    b" ",
    b"  ",
    b"/",
    b"http://x/",
    b"HTTP/1.1",
    b"HTTP/1.0",
    b"\r\n",
    b"\n",
    b"\r",
    b"Host: x",
    b"Host: y",
    b"Content-Length: 3",
    b"Content-Length: 3, 4",
    b"Content-Length: 4",
    b"Transfer-Encoding: chunked",
    b"Transfer-Encoding: gzip",
    b"Connection: close",
    b"Connection: upgrade",
    b"Upgrade: websocket",
    b":",
    b" x",
    b"\t",
    b"X-A: b",
    b"\x00",
    b"\xff",
    b"a",
    b"0\r\n\r\n",
    b"HTTP/1.1 200 OK",
];

const HEADERS: &[&[u8]] = &[
    b"Host: x",
    b"Host: y",
    b"Content-Length: 3",
    b"Content-Length: 3, 3",
    b"Content-Length: 4",
    b"content-length:0",
    b"Transfer-Encoding: chunked",
    b"transfer-encoding: gzip, chunked",
    b"Transfer-Encoding: chunked, gzip",
    b"Connection: close, X-A",
    b"Connection: keep-alive",
    b"X-A: b",
    b" folded",
    b"X B: c",
    b"Expect: 100-continue",
    b"TE: trailers",
];

/// Mostly-valid heads with random corruption, so that both the accept and
/// the reject paths are exercised.
fn random_input(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut v = Vec::new();
    let lines = if rng.bool() { HEADERS } else { PIECES };
    v.extend_from_slice(
        [
            &b"GET / HTTP/1.1"[..],
            b"POST /a HTTP/1.0",
            b"PUT http://x/ HTTP/1.1",
        ][rng.usize(..3)],
    );
    v.extend_from_slice(b"\r\n");
    for _ in 0..rng.usize(0..8) {
        if rng.u8(..) < 10 {
            v.push(rng.u8(..));
        }
        v.extend_from_slice(lines[rng.usize(..lines.len())]);
        v.extend_from_slice(if rng.u8(..) < 20 { b"\n" } else { b"\r\n" });
    }
    v.extend_from_slice(b"\r\n");
    if rng.u8(..) < 30 {
        let cut = rng.usize(..v.len());
        v.truncate(cut);
    }
    v
}

fn count_ci(buf: &[u8], h: &[HeaderField], kind: HeaderKind) -> usize {
    h.iter()
        .filter(|f| f.kind == kind && !f.name.get(buf).is_empty())
        .count()
}

#[test]
fn random_requests_never_panic_and_framing_is_unambiguous() {
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut accepted = 0;
    let mut out = Vec::new();
    for _ in 0..200_000 {
        let input = random_input(&mut rng);
        let Ok(Some(h)) = parse_request(&input, &opts()) else {
            continue;
        };
        accepted += 1;
        assert_eq!(head_end(&input, 0), Some(h.head_len), "{input:?}");
        let te = count_ci(&input, &h.headers, HeaderKind::TransferEncoding);
        let kept_cl = h
            .headers
            .iter()
            .filter(|f| f.kind == HeaderKind::ContentLength && !f.dropped)
            .count();
        match h.framing {
            BodyFraming::Chunked => assert!(te > 0 && kept_cl == 0, "{input:?}"),
            BodyFraming::ContentLength(_) => assert!(te == 0 && kept_cl == 1, "{input:?}"),
            BodyFraming::None => assert!(te == 0 && kept_cl == 0, "{input:?}"),
            other => panic!("request framing {other:?}"),
        }
        // Re-serialised, the head parses back to the same framing.
        out.clear();
        write_request_head(
            &mut out,
            &input,
            &h,
            HttpMode::KeepAlive,
            &HeaderEdits::default(),
        );
        let again = parse_request(&out, &opts());
        let Ok(Some(h2)) = again else {
            panic!("{input:?} -> {out:?} -> {again:?}")
        };
        assert_eq!(h2.framing, h.framing, "{input:?}");
        assert_eq!(h2.head_len, out.len());
    }
    assert!(accepted > 100, "too few accepted inputs: {accepted}");
}

#[test]
fn random_responses_and_bodies_never_panic() {
    let mut rng = fastrand::Rng::with_seed(42);
    for _ in 0..100_000 {
        let input = random_input(&mut rng);
        if let Ok(Some(r)) = parse_response(&input, Method::Get, &opts()) {
            let mut out = Vec::new();
            write_response_head(&mut out, &input, &r, None, &HeaderEdits::default());
            assert!(
                matches!(parse_response(&out, Method::Get, &opts()), Ok(Some(_))),
                "{input:?}"
            );
        }
        let mut d = BodyDecoder::new(BodyFraming::Chunked);
        if let Ok(p) = d.advance(&input) {
            assert!(p.consumed <= input.len());
        }
    }
}
