//! A load generator for reload and upgrade tests: threads that open a new
//! connection per request (`Connection: close`) as fast as they can, and
//! count every way a request can fail, so a test can assert that a reload
//! refused nothing.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// What the clients saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub ok: u64,
    /// connect() refused: no listener at that moment.
    pub refused: u64,
    /// Reset or closed before a complete response.
    pub reset: u64,
    /// A complete response whose status was not 200.
    pub bad_status: BTreeMap<String, u64>,
    pub other: BTreeMap<String, u64>,
    /// 200 responses by `x-served-by`.
    pub served_by: BTreeMap<String, u64>,
}

impl Counts {
    fn merge(&mut self, o: Counts) {
        self.ok += o.ok;
        self.refused += o.refused;
        self.reset += o.reset;
        for (k, v) in o.bad_status {
            *self.bad_status.entry(k).or_default() += v;
        }
        for (k, v) in o.other {
            *self.other.entry(k).or_default() += v;
        }
        for (k, v) in o.served_by {
            *self.served_by.entry(k).or_default() += v;
        }
    }

    /// Requests that did not get a 200.
    pub fn failures(&self) -> u64 {
        self.refused
            + self.reset
            + self.bad_status.values().sum::<u64>()
            + self.other.values().sum::<u64>()
    }
}

/// Running clients; [`Hammer::finish`] stops them and adds up.
pub struct Hammer {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Counts>>,
}

impl Hammer {
    /// Starts `clients` threads sending `GET /` to 127.0.0.1:`port`.
    pub fn start(port: u16, clients: usize) -> Hammer {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..clients)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut c = Counts::default();
                    while !stop.load(Ordering::Relaxed) {
                        one(port, &mut c);
                    }
                    c
                })
            })
            .collect();
        Hammer { stop, threads }
    }

    pub fn finish(self) -> Counts {
        self.stop.store(true, Ordering::Relaxed);
        let mut total = Counts::default();
        for t in self.threads {
            match t.join() {
                Ok(c) => total.merge(c),
                Err(_) => panic!("hammer thread panicked"),
            }
        }
        total
    }
}

fn one(port: u16, c: &mut Counts) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
        Ok(s) => s,
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
            c.refused += 1;
            return;
        }
        Err(e) => {
            *c.other.entry(format!("connect: {e}")).or_default() += 1;
            return;
        }
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let req = b"GET / HTTP/1.1\r\nHost: hammer\r\nConnection: close\r\n\r\n";
    if s.write_all(req).is_err() {
        c.reset += 1;
        return;
    }
    let mut buf = Vec::new();
    match s.read_to_end(&mut buf) {
        Ok(_) => {}
        Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
            c.reset += 1;
            return;
        }
        Err(e) => {
            *c.other.entry(format!("read: {e}")).or_default() += 1;
            return;
        }
    }
    match crate::client::parse_response(&buf, true) {
        Some((r, _)) if r.status == 200 => {
            c.ok += 1;
            *c.served_by.entry(r.served_by()).or_default() += 1;
        }
        Some((r, _)) => *c.bad_status.entry(r.status.to_string()).or_default() += 1,
        None => c.reset += 1,
    }
}
