//! Clients: a raw HTTP/1.1 client over a TCP socket for byte-exact assertions, and
//! wrappers around the real curl for ordinary requests.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Default deadline for any single read operation of the raw client.
const READ_DEADLINE: Duration = Duration::from_secs(10);

/// A parsed HTTP response, with the exact bytes it came from.
#[derive(Debug, Clone)]
pub struct Response {
    /// The bytes of this response on the wire: head and body.
    pub raw: Vec<u8>,
    pub status: u16,
    /// Header names and values as received.
    pub headers: Vec<(String, String)>,
    /// The body, still chunk-framed if it was chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name`, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn raw_str(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// The `x-served-by` header our test backends set, or "" when absent.
    pub fn served_by(&self) -> String {
        self.header("x-served-by").unwrap_or("").to_owned()
    }
}

/// Parses one response at the start of `buf`. Returns it with the bytes consumed, or
/// None while incomplete. With `eof`, a body without length runs to the end of `buf`.
pub fn parse_response(buf: &[u8], eof: bool) -> Option<(Response, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut resp = httparse::Response::new(&mut headers);
    let head_len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return None,
    };
    let status = resp.code.unwrap_or(0);
    let headers: Vec<(String, String)> = resp
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let rest = &buf[head_len..];
    let body_len = if status == 204 || status == 304 || (100..200).contains(&status) {
        0
    } else if find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        crate::backend::chunked_end(rest)?
    } else if let Some(cl) = find("content-length") {
        let n: usize = cl.trim().parse().ok()?;
        if rest.len() < n {
            return None;
        }
        n
    } else if eof {
        rest.len()
    } else {
        return None;
    };
    let end = head_len + body_len;
    Some((
        Response {
            raw: buf[..end].to_vec(),
            status,
            headers,
            body: rest[..body_len].to_vec(),
        },
        end,
    ))
}

/// A hand-driven HTTP/1.1 client connection to 127.0.0.1.
#[derive(Debug)]
pub struct RawClient {
    stream: TcpStream,
    buf: Vec<u8>,
    eof: bool,
}

impl RawClient {
    /// Connects to 127.0.0.1:`port`; panics if the connection fails.
    pub fn connect(port: u16) -> RawClient {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => RawClient {
                stream,
                buf: Vec::new(),
                eof: false,
            },
            Err(e) => panic!("cannot connect to 127.0.0.1:{port}: {e}"),
        }
    }

    /// Sends bytes. Errors are returned: a proxy may legitimately have closed already.
    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Closes the write side, as a client does when it has nothing more to send.
    pub fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Reads one response (by its framing), or None if the connection closed or the
    /// deadline passed first. Bytes beyond it stay buffered for the next call.
    pub fn read_response(&mut self) -> Option<Response> {
        let deadline = Instant::now() + READ_DEADLINE;
        loop {
            if let Some((resp, used)) = parse_response(&self.buf, self.eof) {
                self.buf.drain(..used);
                return Some(resp);
            }
            if self.eof || !self.fill(deadline) {
                return None;
            }
        }
    }

    /// Reads until the peer closes (or the deadline passes) and returns every byte
    /// received, including any still buffered. The bool says whether EOF (or a reset)
    /// was seen, as opposed to the deadline.
    pub fn read_until_close(&mut self, within: Duration) -> (Vec<u8>, bool) {
        let deadline = Instant::now() + within;
        while !self.eof && self.fill(deadline) {}
        (std::mem::take(&mut self.buf), self.eof)
    }

    /// Reads more bytes; false on deadline. EOF and reset set `eof` and return false.
    fn fill(&mut self, deadline: Instant) -> bool {
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        let _ = self.stream.set_read_timeout(Some(deadline - now));
        let mut chunk = [0u8; 16384];
        match self.stream.read(&mut chunk) {
            Ok(0) => {
                self.eof = true;
                false
            }
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::Interrupted) => true,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                false
            }
            Err(_) => {
                self.eof = true;
                false
            }
        }
    }

    /// Sends a request and reads its response, panicking if either fails: for tests
    /// where the exchange is expected to succeed.
    pub fn request(&mut self, req: &[u8]) -> Response {
        if let Err(e) = self.send(req) {
            panic!("cannot send request: {e}");
        }
        match self.read_response() {
            Some(r) => r,
            None => panic!(
                "no complete response; got {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
        }
    }

    /// Direct access to the socket, for tests that need unusual moves.
    pub fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }
}

/// What a curl run produced.
#[derive(Debug, Clone)]
pub struct CurlOutput {
    /// curl's exit code (0 on success; 52 empty reply, 56 receive failure, ...).
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl CurlOutput {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Parses stdout as the consecutive responses `curl -i` printed.
    pub fn responses(&self) -> Vec<Response> {
        let mut out = Vec::new();
        let mut rest = &self.stdout[..];
        while let Some((resp, used)) = parse_response(rest, true) {
            out.push(resp);
            rest = &rest[used..];
            if rest.is_empty() {
                break;
            }
        }
        out
    }
}

/// Runs `curl -sS --max-time 10 <args>`.
pub fn curl(args: &[&str]) -> CurlOutput {
    let out = match Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .stdin(Stdio::null())
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("cannot run curl: {e}"),
    };
    CurlOutput {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Fetches every URL with one curl process (which reuses its connection between them,
/// as a browser would) and returns the responses, headers included. Panics if curl
/// fails or the response count does not match.
pub fn curl_many<S: AsRef<str>>(urls: &[S], extra_args: &[&str]) -> Vec<Response> {
    let mut args = vec!["-i", "--max-time", "60"];
    args.extend_from_slice(extra_args);
    args.extend(urls.iter().map(|u| u.as_ref()));
    let out = curl(&args);
    let responses = out.responses();
    assert!(
        out.code == 0 && responses.len() == urls.len(),
        "curl exit {} with {} of {} responses; stderr: {}",
        out.code,
        responses.len(),
        urls.len(),
        out.stderr
    );
    responses
}

#[cfg(test)]
mod tests {
    use super::parse_response;

    #[test]
    fn responses_parse_by_framing() {
        let two = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhiHTTP/1.1 204 No Content\r\n\r\n";
        let (a, used) = parse_response(two, false).expect("first");
        assert_eq!((a.status, a.body.as_slice()), (200, &b"hi"[..]));
        let (b, _) = parse_response(&two[used..], false).expect("second");
        assert_eq!(b.status, 204);
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n\r\nabc", false).is_none());
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\n\r\nabc", true)
                .expect("close-delimited")
                .0
                .body,
            b"abc"
        );
    }
}
