//! The failover benchmark's client: K keep-alive connections, each sending one small GET
//! per tick (a fixed rate, so the error count of two proxies is comparable), recording
//! when every error happened and which server (the body's first byte) answered each
//! success. Runs on its own thread with a one-thread tokio runtime inside the harness, so
//! its timestamps share the clock of the kill.
//!
//! After any error the connection is dropped and a new one opened: every proxy gets the
//! same treatment whether or not it keeps a connection alive after a 503.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a client saw go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErrorKind {
    /// A response with a status other than 200 (the proxy's 502/503/504).
    Status(u16),
    /// The connection was closed or reset before a whole response arrived.
    Closed,
    /// Connecting to the proxy failed.
    Connect,
    /// No whole response within the request timeout.
    Timeout,
}

#[derive(Debug, Default)]
pub struct Record {
    pub errors: Vec<(Instant, ErrorKind)>,
    pub oks: u64,
    /// When each server tag ('1', '2') last answered.
    pub last_ok: [Option<Instant>; 2],
}

pub struct Probe {
    record: Arc<Mutex<Record>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// A request that gets no answer in this time counts as an error (at its expiry).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n";

impl Probe {
    pub fn start(addr: SocketAddr, conns: usize, tick: Duration) -> Result<Probe> {
        let record = Arc::new(Mutex::new(Record::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (rec, st) = (record.clone(), stop.clone());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("building tokio runtime")?;
        let thread = std::thread::Builder::new()
            .name("failover-probe".into())
            .spawn(move || {
                rt.block_on(async move {
                    let mut tasks = Vec::new();
                    for _ in 0..conns {
                        tasks.push(tokio::spawn(client(addr, tick, rec.clone(), st.clone())));
                    }
                    for t in tasks {
                        let _ = t.await;
                    }
                })
            })
            .context("starting the probe thread")?;
        Ok(Probe {
            record,
            stop,
            thread: Some(thread),
        })
    }

    /// Runs `f` on what was recorded so far.
    pub fn with<R>(&self, f: impl FnOnce(&Record) -> R) -> R {
        match self.record.lock() {
            Ok(r) => f(&r),
            Err(p) => f(&p.into_inner()),
        }
    }

    /// Stops every connection (each finishes within one request timeout) and returns
    /// the record.
    pub fn finish(mut self) -> Record {
        self.stop_and_join();
        match self.record.lock() {
            Ok(mut r) => std::mem::take(&mut *r),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        }
    }

    fn stop_and_join(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

fn note(rec: &Mutex<Record>, f: impl FnOnce(&mut Record)) {
    match rec.lock() {
        Ok(mut r) => f(&mut r),
        Err(p) => f(&mut p.into_inner()),
    }
}

async fn client(addr: SocketAddr, tick: Duration, rec: Arc<Mutex<Record>>, stop: Arc<AtomicBool>) {
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut buf = Vec::with_capacity(4096);
    while !stop.load(Ordering::Relaxed) {
        ticker.tick().await;
        let conn = tokio::time::timeout(REQUEST_TIMEOUT, TcpStream::connect(addr)).await;
        let mut sock = match conn {
            Ok(Ok(s)) => s,
            Ok(Err(_)) | Err(_) => {
                note(&rec, |r| {
                    r.errors.push((Instant::now(), ErrorKind::Connect))
                });
                continue;
            }
        };
        let _ = sock.set_nodelay(true);
        let mut first = true;
        while !stop.load(Ordering::Relaxed) {
            if !first {
                ticker.tick().await;
            }
            first = false;
            let outcome =
                tokio::time::timeout(REQUEST_TIMEOUT, exchange(&mut sock, &mut buf)).await;
            let now = Instant::now();
            match outcome {
                Ok(Ok(tag)) => note(&rec, |r| {
                    r.oks += 1;
                    if let Some(slot) = tag
                        .checked_sub(b'1')
                        .and_then(|i| r.last_ok.get_mut(i as usize))
                    {
                        *slot = Some(now);
                    }
                }),
                Ok(Err(kind)) => {
                    note(&rec, |r| r.errors.push((now, kind)));
                    break;
                }
                Err(_) => {
                    note(&rec, |r| r.errors.push((now, ErrorKind::Timeout)));
                    break;
                }
            }
        }
    }
}

/// One request and its response; Ok(the body's first byte) for a 200.
async fn exchange(sock: &mut TcpStream, buf: &mut Vec<u8>) -> Result<u8, ErrorKind> {
    sock.write_all(REQUEST)
        .await
        .map_err(|_| ErrorKind::Closed)?;
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).await.map_err(|_| ErrorKind::Closed)?;
        if n == 0 {
            return Err(ErrorKind::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut headers);
        let head_len = match resp.parse(buf) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => continue,
            Err(_) => return Err(ErrorKind::Closed),
        };
        let code = resp.code.unwrap_or(0);
        if code != 200 {
            return Err(ErrorKind::Status(code));
        }
        let body_len = resp
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .and_then(|h| {
                std::str::from_utf8(h.value)
                    .ok()?
                    .trim()
                    .parse::<usize>()
                    .ok()
            })
            .ok_or(ErrorKind::Closed)?;
        // The backend's bodies are 64 bytes: read the rest of this one.
        while buf.len() < head_len + body_len {
            let n = sock.read(&mut chunk).await.map_err(|_| ErrorKind::Closed)?;
            if n == 0 {
                return Err(ErrorKind::Closed);
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        return Ok(buf.get(head_len).copied().unwrap_or(0));
    }
}
