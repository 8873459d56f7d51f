//! HTTP checks without I/O: the request bytes 2.6 sends (spec 4.5) and the
//! verdict on a response.

use super::state::{CheckReport, CheckStatus};
use crate::config::model::{ExpectMatch, HttpCheck, HttpExpect};

/// The `x-haproxy-server-state` header value (`http-check send-state`).
pub fn server_state_header(
    state: &str,
    addr: &str,
    port: u16,
    name: &str,
    node: &str,
    weight: (u32, u32),
    scur: (u32, u32),
) -> String {
    format!(
        "{state}; address={addr}; port={port}; name={name}; node={node}; weight={}/{}; scur={}/{}; qcur=0",
        weight.0, weight.1, scur.0, scur.1
    )
}

/// The request bytes: header names lower-cased, the send-state header after
/// the configured ones, `connection: close` on HTTP/1.1.
pub fn build_request(c: &HttpCheck, send_state: Option<&str>) -> Vec<u8> {
    let mut out = format!("{} {} {}\r\n", c.method, c.uri, c.version);
    for (n, v) in &c.headers {
        out.push_str(&format!("{}: {v}\r\n", n.to_ascii_lowercase()));
    }
    if let Some(s) = send_state {
        out.push_str(&format!("x-haproxy-server-state: {s}\r\n"));
    }
    if let Some(b) = &c.body {
        out.push_str(&format!("content-length: {}\r\n", b.len()));
    }
    if c.version.eq_ignore_ascii_case("HTTP/1.1") {
        out.push_str("connection: close\r\n");
    }
    out.push_str("\r\n");
    if let Some(b) = &c.body {
        out.push_str(b);
    }
    out.into_bytes()
}

/// A parsed response head plus whatever body arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub code: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Parses what was read. `Ok(None)`: the head is not complete yet.
pub fn parse_response(buf: &[u8]) -> Result<Option<Response>, String> {
    let mut hdrs = [httparse::EMPTY_HEADER; 64];
    let mut r = httparse::Response::new(&mut hdrs);
    match r.parse(buf) {
        Ok(httparse::Status::Complete(n)) => Ok(Some(Response {
            code: r.code.unwrap_or(0),
            reason: r.reason.unwrap_or("").to_string(),
            headers: r
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_ascii_lowercase(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
            body: buf[n..].to_vec(),
        })),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(format!("{e}")),
    }
}

/// Whether to keep reading before judging: a body match needs the whole
/// body (by content-length, else until the server closes) or `min-recv` bytes.
pub fn wants_more(c: &HttpCheck, resp: &Response) -> bool {
    let complete = resp
        .headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .is_some_and(|cl| resp.body.len() >= cl);
    !complete
        && c.expects.iter().any(|e| match (&e.matcher, e.min_recv) {
            (_, Some(n)) => resp.body.len() < n,
            (ExpectMatch::String(_) | ExpectMatch::RString(_), None) => true,
            _ => false,
        })
}

fn status_report(status: CheckStatus, resp: &Response, info: String, ms: u64) -> CheckReport {
    CheckReport {
        status,
        code: Some(resp.code),
        info,
        duration_ms: ms,
    }
}

fn matches(e: &HttpExpect, resp: &Response) -> bool {
    match &e.matcher {
        ExpectMatch::Status(list) => list.iter().any(|(lo, hi)| (*lo..=*hi).contains(&resp.code)),
        ExpectMatch::String(s) => memchr::memmem::find(&resp.body, s.as_bytes()).is_some(),
        // Patterns were validated at parse time; checks run seconds apart,
        // so compiling at each check costs nothing that matters.
        ExpectMatch::RStatus(re) => {
            regex::Regex::new(re).is_ok_and(|r| r.is_match(&resp.code.to_string()))
        }
        ExpectMatch::RString(re) => {
            regex::bytes::Regex::new(re).is_ok_and(|r| r.is_match(&resp.body))
        }
        ExpectMatch::Header { name, value, full } => resp.headers.iter().any(|(n, v)| {
            n == name
                && match value {
                    None => true,
                    Some(want) if *full => v == want,
                    Some(want) => v.split(',').any(|p| p.trim() == want),
                }
        }),
    }
}

/// The verdict on a complete response (2.6's tcpcheck_http_expect).
pub fn evaluate(c: &HttpCheck, resp: &Response, ms: u64) -> CheckReport {
    if c.disable_on_404 && resp.code == 404 {
        return status_report(CheckStatus::L7OkC, resp, String::new(), ms);
    }
    if c.expects.is_empty() {
        let st = if (200..400).contains(&resp.code) {
            CheckStatus::L7Ok
        } else {
            CheckStatus::L7Sts
        };
        return status_report(st, resp, resp.reason.clone(), ms);
    }
    for e in &c.expects {
        if matches(e, resp) != e.negate {
            continue;
        }
        let (default, info) = match &e.matcher {
            ExpectMatch::Status(_) | ExpectMatch::RStatus(_) => {
                (CheckStatus::L7Sts, resp.reason.clone())
            }
            ExpectMatch::String(_) | ExpectMatch::RString(_) => (
                CheckStatus::L7Rsp,
                "HTTP content check did not match".to_string(),
            ),
            ExpectMatch::Header { .. } => (
                CheckStatus::L7Rsp,
                "HTTP header check did not match".to_string(),
            ),
        };
        let st = e
            .error_status
            .as_deref()
            .and_then(CheckStatus::from_name)
            .unwrap_or(default);
        return status_report(st, resp, info, ms);
    }
    let last = c.expects.last();
    let st = last
        .and_then(|e| e.ok_status.as_deref())
        .and_then(CheckStatus::from_name)
        .unwrap_or(CheckStatus::L7Ok);
    let info = match last.map(|e| &e.matcher) {
        Some(ExpectMatch::Status(_) | ExpectMatch::RStatus(_)) => resp.reason.clone(),
        _ => String::new(),
    };
    status_report(st, resp, info, ms)
}

/// The status for a timeout while waiting for the response.
pub fn timeout_status(c: &HttpCheck) -> CheckStatus {
    c.expects
        .iter()
        .find_map(|e| e.tout_status.as_deref().and_then(CheckStatus::from_name))
        .unwrap_or(CheckStatus::L7Tout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chk() -> HttpCheck {
        HttpCheck::default()
    }

    fn resp(code: u16, reason: &str, body: &str) -> Response {
        Response {
            code,
            reason: reason.into(),
            headers: vec![("x-ok".into(), "a, yes".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn default_request_is_options_http10() {
        assert_eq!(build_request(&chk(), None), b"OPTIONS / HTTP/1.0\r\n\r\n");
    }

    #[test]
    fn http11_request_matches_the_captured_bytes() {
        let c = HttpCheck {
            method: "GET".into(),
            uri: "/health".into(),
            version: "HTTP/1.1".into(),
            headers: vec![("Host".into(), "www.example.com".into())],
            send_state: true,
            ..chk()
        };
        let st = server_state_header("UP", "127.0.0.1", 18086, "b2/s1", "vm", (1, 1), (0, 0));
        assert_eq!(
            String::from_utf8_lossy(&build_request(&c, Some(&st))),
            "GET /health HTTP/1.1\r\nhost: www.example.com\r\nx-haproxy-server-state: UP; address=127.0.0.1; port=18086; name=b2/s1; node=vm; weight=1/1; scur=0/0; qcur=0\r\nconnection: close\r\n\r\n"
        );
    }

    #[test]
    fn body_gets_a_length() {
        let c = HttpCheck {
            body: Some("ping".into()),
            ..chk()
        };
        assert_eq!(
            build_request(&c, None),
            b"OPTIONS / HTTP/1.0\r\ncontent-length: 4\r\n\r\nping"
        );
    }

    #[test]
    fn default_verdict_is_2xx_or_3xx() {
        let r = evaluate(&chk(), &resp(302, "Found", ""), 1);
        assert_eq!(r.status, CheckStatus::L7Ok);
        let r = evaluate(&chk(), &resp(500, "Internal Server Error", ""), 1);
        assert_eq!(r.status, CheckStatus::L7Sts);
        assert_eq!(r.code, Some(500));
        assert_eq!(r.info, "Internal Server Error");
    }

    #[test]
    fn disable_on_404_conditionally_passes() {
        let c = HttpCheck {
            disable_on_404: true,
            ..chk()
        };
        let r = evaluate(&c, &resp(404, "Not Found", ""), 2);
        assert_eq!(r.status, CheckStatus::L7OkC);
        assert_eq!(r.info, "");
    }

    fn expect(negate: bool, m: ExpectMatch) -> HttpExpect {
        HttpExpect {
            negate,
            matcher: m,
            min_recv: None,
            ok_status: None,
            error_status: None,
            tout_status: None,
        }
    }

    #[test]
    fn expect_rules() {
        let mut c = chk();
        c.expects = vec![expect(false, ExpectMatch::String("alive".into()))];
        assert_eq!(
            evaluate(&c, &resp(200, "OK", "I am alive"), 0).status,
            CheckStatus::L7Ok
        );
        let r = evaluate(&c, &resp(200, "OK", "dead"), 0);
        assert_eq!(r.status, CheckStatus::L7Rsp);
        assert_eq!(r.info, "HTTP content check did not match");
        c.expects = vec![expect(true, ExpectMatch::Status(vec![(200, 200)]))];
        assert_eq!(
            evaluate(&c, &resp(200, "OK", ""), 0).status,
            CheckStatus::L7Sts
        );
        assert_eq!(
            evaluate(&c, &resp(503, "Busy", ""), 0).status,
            CheckStatus::L7Ok
        );
        c.expects = vec![expect(
            false,
            ExpectMatch::Header {
                name: "x-ok".into(),
                value: Some("yes".into()),
                full: false,
            },
        )];
        assert_eq!(
            evaluate(&c, &resp(200, "OK", ""), 0).status,
            CheckStatus::L7Ok
        );
        c.expects[0].matcher = ExpectMatch::Header {
            name: "x-ok".into(),
            value: Some("yes".into()),
            full: true,
        };
        assert_eq!(
            evaluate(&c, &resp(200, "OK", ""), 0).status,
            CheckStatus::L7Rsp
        );
        c.expects[0].error_status = Some("L7STS".into());
        assert_eq!(
            evaluate(&c, &resp(200, "OK", ""), 0).status,
            CheckStatus::L7Sts
        );
    }

    #[test]
    fn responses_parse() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nX-A: b\r\n\r\nbody")
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no response"));
        assert_eq!((r.code, r.reason.as_str()), (200, "OK"));
        assert_eq!(r.body, b"body");
        assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\n"), Ok(None));
        assert!(parse_response(b"garbage\r\n\r\n").is_err());
    }
}
