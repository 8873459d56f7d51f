//! An in-process HTTP/1.1 backend that tells the test exactly what it received.
//!
//! Each response body is the raw request head followed by the raw request body (chunk
//! framing included), so tests can assert on exact header lines the proxy forwarded.
//! Servers run on a shared tokio runtime and stop when their handle is dropped.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::task::{JoinHandle, JoinSet};

/// The runtime every in-process test server runs on; tests themselves stay synchronous.
pub(crate) fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("e2e-backend")
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("cannot build the backend runtime: {e}"),
        }
    })
}

/// What the backend does once it has read a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with the request echoed in the body and `x-served-by: <name>`.
    Echo,
    /// Write these bytes verbatim, then close.
    Raw(Vec<u8>),
    /// Send a response head promising 1000 bytes, 10 bytes of body, then an RST.
    ResetMidResponse,
    /// Never answer; hold the connection open until the proxy gives up.
    Never,
}

/// One request as the backend read it off the wire.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    /// Request line and headers, including the final empty line.
    pub head: Vec<u8>,
    /// Body bytes as they arrived (chunk framing kept).
    pub body: Vec<u8>,
}

impl ReceivedRequest {
    pub fn head_str(&self) -> String {
        String::from_utf8_lossy(&self.head).into_owned()
    }
}

#[derive(Debug, Default)]
struct Stats {
    connections: AtomicUsize,
    requests: AtomicUsize,
    bytes: AtomicUsize,
    active: AtomicUsize,
    received: Mutex<Vec<ReceivedRequest>>,
}

#[derive(Debug, Clone)]
struct Behaviour {
    name: String,
    keep_alive: bool,
    delay: Duration,
    reply: Reply,
}

/// Configures an [`HttpBackend`] before starting it.
#[derive(Debug, Clone)]
pub struct HttpBackendBuilder {
    behaviour: Behaviour,
}

impl HttpBackendBuilder {
    /// Keep connections open between requests (the default) or close after each reply.
    pub fn keep_alive(mut self, on: bool) -> Self {
        self.behaviour.keep_alive = on;
        self
    }

    /// Wait this long before every reply. A request header `x-delay-ms: N` adds a
    /// per-request delay on top.
    pub fn delay(mut self, d: Duration) -> Self {
        self.behaviour.delay = d;
        self
    }

    pub fn reply(mut self, reply: Reply) -> Self {
        self.behaviour.reply = reply;
        self
    }

    pub fn start(self) -> HttpBackend {
        let rt = runtime();
        let std_listener = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("cannot bind a backend: {e}"),
        };
        let addr = match std_listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic!("cannot read backend address: {e}"),
        };
        if let Err(e) = std_listener.set_nonblocking(true) {
            panic!("cannot make backend listener non-blocking: {e}");
        }
        let stats = Arc::new(Stats::default());
        let behaviour = Arc::new(self.behaviour);
        let task = {
            let stats = stats.clone();
            rt.spawn(async move {
                let listener = match TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => panic!("cannot register backend listener: {e}"),
                };
                // Connection tasks live in the set so aborting the accept loop ends them.
                let mut conns = JoinSet::new();
                loop {
                    while conns.try_join_next().is_some() {}
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    stats.connections.fetch_add(1, Ordering::SeqCst);
                    conns.spawn(serve(stream, behaviour.clone(), stats.clone()));
                }
            })
        };
        HttpBackend { addr, stats, task }
    }
}

/// A running HTTP backend; stops when dropped.
#[derive(Debug)]
pub struct HttpBackend {
    addr: SocketAddr,
    stats: Arc<Stats>,
    task: JoinHandle<()>,
}

impl HttpBackend {
    /// An echoing, keep-alive backend answering with `x-served-by: <name>`.
    pub fn start(name: &str) -> HttpBackend {
        HttpBackend::builder(name).start()
    }

    pub fn builder(name: &str) -> HttpBackendBuilder {
        HttpBackendBuilder {
            behaviour: Behaviour {
                name: name.to_owned(),
                keep_alive: true,
                delay: Duration::ZERO,
                reply: Reply::Echo,
            },
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }

    /// Complete request heads read so far.
    pub fn requests(&self) -> usize {
        self.stats.requests.load(Ordering::SeqCst)
    }

    /// Bytes read from all connections so far.
    pub fn bytes_received(&self) -> usize {
        self.stats.bytes.load(Ordering::SeqCst)
    }

    /// Requests currently being answered (read but not yet replied to).
    pub fn active(&self) -> usize {
        self.stats.active.load(Ordering::SeqCst)
    }

    /// Every request received so far, in arrival order.
    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.stats
            .received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for HttpBackend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How the request body is delimited.
enum BodyLen {
    None,
    Length(usize),
    Chunked,
}

async fn serve(mut stream: TcpStream, behaviour: Arc<Behaviour>, stats: Arc<Stats>) {
    let mut buf = Vec::with_capacity(4096);
    loop {
        let Some((head_len, body_len, delay_ms)) = read_head(&mut stream, &mut buf, &stats).await
        else {
            return;
        };
        let head = buf[..head_len].to_vec();
        buf.drain(..head_len);
        let Some(body) = read_body(&mut stream, &mut buf, body_len, &stats).await else {
            return;
        };
        stats.requests.fetch_add(1, Ordering::SeqCst);
        stats.active.fetch_add(1, Ordering::SeqCst);
        stats
            .received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(ReceivedRequest {
                head: head.clone(),
                body: body.clone(),
            });
        let wait = behaviour.delay + Duration::from_millis(delay_ms);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        // No longer active once it starts answering: a client that has read
        // the response never sees the request still counted (tests wait for
        // `active()` to rise to know that their next, slow request arrived).
        stats.active.fetch_sub(1, Ordering::SeqCst);
        let keep = reply(&mut stream, &behaviour, &head, &body).await;
        if !keep {
            return;
        }
    }
}

/// Reads until a full head is buffered; returns (head length, body framing, x-delay-ms).
/// None on EOF, error or an unparsable head.
async fn read_head(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    stats: &Stats,
) -> Option<(usize, BodyLen, u64)> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 128];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(buf) {
            Ok(httparse::Status::Complete(len)) => {
                let mut body = BodyLen::None;
                let mut delay = 0;
                for h in req.headers.iter() {
                    let v = String::from_utf8_lossy(h.value);
                    if h.name.eq_ignore_ascii_case("content-length") {
                        body = BodyLen::Length(v.trim().parse().ok()?);
                    } else if h.name.eq_ignore_ascii_case("transfer-encoding")
                        && v.to_ascii_lowercase().contains("chunked")
                    {
                        body = BodyLen::Chunked;
                    } else if h.name.eq_ignore_ascii_case("x-delay-ms") {
                        delay = v.trim().parse().unwrap_or(0);
                    }
                }
                return Some((len, body, delay));
            }
            Ok(httparse::Status::Partial) => {}
            Err(_) => return None,
        }
        if !fill(stream, buf, stats).await {
            return None;
        }
    }
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>, stats: &Stats) -> bool {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            stats.bytes.fetch_add(n, Ordering::SeqCst);
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

async fn read_body(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    len: BodyLen,
    stats: &Stats,
) -> Option<Vec<u8>> {
    match len {
        BodyLen::None => Some(Vec::new()),
        BodyLen::Length(n) => {
            while buf.len() < n {
                if !fill(stream, buf, stats).await {
                    return None;
                }
            }
            Some(buf.drain(..n).collect())
        }
        BodyLen::Chunked => loop {
            if let Some(end) = chunked_end(buf) {
                return Some(buf.drain(..end).collect());
            }
            if !fill(stream, buf, stats).await {
                return None;
            }
        },
    }
}

/// Length of a complete chunked body at the start of `buf` (trailers not supported),
/// or None while incomplete.
pub(crate) fn chunked_end(buf: &[u8]) -> Option<usize> {
    let mut pos = 0;
    loop {
        let line_end = find_crlf(&buf[pos..])? + pos;
        let size_text = std::str::from_utf8(&buf[pos..line_end]).ok()?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        pos = line_end + 2;
        if size == 0 {
            // The final chunk is followed by an empty line.
            return (buf.len() >= pos + 2).then_some(pos + 2);
        }
        pos += size + 2;
        if buf.len() < pos {
            return None;
        }
    }
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

/// Writes the configured reply; returns whether the connection stays open.
async fn reply(stream: &mut TcpStream, b: &Behaviour, head: &[u8], body: &[u8]) -> bool {
    match &b.reply {
        Reply::Echo => {
            let mut echoed = head.to_vec();
            echoed.extend_from_slice(body);
            let conn = if b.keep_alive {
                ""
            } else {
                "connection: close\r\n"
            };
            let mut out = format!(
                "HTTP/1.1 200 OK\r\nx-served-by: {}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n{conn}\r\n",
                b.name,
                echoed.len()
            )
            .into_bytes();
            out.extend_from_slice(&echoed);
            stream.write_all(&out).await.is_ok() && b.keep_alive
        }
        Reply::Raw(bytes) => {
            let _ = stream.write_all(bytes).await;
            let _ = stream.shutdown().await;
            false
        }
        Reply::ResetMidResponse => {
            let out = format!(
                "HTTP/1.1 200 OK\r\nx-served-by: {}\r\ncontent-length: 1000\r\n\r\n0123456789",
                b.name
            );
            let _ = stream.write_all(out.as_bytes()).await;
            let _ = stream.flush().await;
            // A zero linger turns the close into an RST, which is the point.
            let _ = socket2::SockRef::from(&*stream).set_linger(Some(Duration::ZERO));
            false
        }
        Reply::Never => {
            // Hold the socket until the proxy closes it; the server's drop aborts us.
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::chunked_end;

    #[test]
    fn chunked_bodies_are_delimited() {
        assert_eq!(chunked_end(b"5\r\nhello\r\n0\r\n\r\nNEXT"), Some(15));
        assert_eq!(chunked_end(b"5\r\nhello\r\n0\r\n"), None);
        assert_eq!(chunked_end(b"5\r\nhel"), None);
    }
}
