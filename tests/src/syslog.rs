//! A UDP syslog receiver on 127.0.0.1 and parsers for HAProxy's `httplog` and
//! `tcplog` lines, so logging tests compare fields rather than whole lines
//! (dates, ports and timers change from run to run).

use std::net::UdpSocket;
use std::time::{Duration, Instant};

/// Receives datagrams on 127.0.0.1; the socket closes when dropped.
#[derive(Debug)]
pub struct SyslogReceiver {
    sock: UdpSocket,
}

impl SyslogReceiver {
    pub fn start() -> SyslogReceiver {
        let sock = match UdpSocket::bind("127.0.0.1:0") {
            Ok(s) => s,
            Err(e) => panic!("cannot bind a UDP syslog receiver: {e}"),
        };
        SyslogReceiver { sock }
    }

    pub fn port(&self) -> u16 {
        match self.sock.local_addr() {
            Ok(a) => a.port(),
            Err(e) => panic!("receiver has no address: {e}"),
        }
    }

    /// The next datagram received within `within`, as text.
    pub fn next(&self, within: Duration) -> Option<String> {
        let _ = self
            .sock
            .set_read_timeout(Some(within.max(Duration::from_millis(1))));
        let mut buf = vec![0u8; 65536];
        match self.sock.recv(&mut buf) {
            Ok(n) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(_) => None,
        }
    }

    /// The first message (header stripped) for which `pred` holds, within `within`.
    pub fn wait_for(&self, within: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let line = self.next(left)?;
            let msg = strip_header(&line).1.to_string();
            if pred(&msg) {
                return Some(msg);
            }
        }
    }

    /// Every datagram that arrives within `within`.
    pub fn drain(&self, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        let mut out = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next(left) {
                Some(l) => out.push(l),
                None => break,
            }
        }
        out
    }
}

/// Splits a default-format line `<PRI>Mmm dd hh:mm:ss tag[pid]: msg\n` into
/// (PRI, msg). Lines without a header come back whole with PRI None.
pub fn strip_header(line: &str) -> (Option<u32>, &str) {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let Some(rest) = line.strip_prefix('<') else {
        return (None, line);
    };
    let Some((pri, rest)) = rest.split_once('>') else {
        return (None, line);
    };
    let pri = pri.parse().ok();
    match rest.find("]: ") {
        Some(i) => (pri, &rest[i + 3..]),
        None => (pri, rest),
    }
}

/// The fields of an `option httplog` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLog {
    pub client: String,
    pub date: String,
    pub frontend: String,
    pub backend: String,
    pub server: String,
    /// TR/Tw/Tc/Tr/Ta.
    pub timers: Vec<String>,
    pub status: String,
    pub bytes: String,
    pub cookies: (String, String),
    pub termination: String,
    /// ac/fc/bc/sc/rc.
    pub conns: Vec<String>,
    /// sq/bq.
    pub queues: Vec<String>,
    /// `{..}` capture blocks, in order.
    pub captures: Vec<String>,
    /// The quoted request, quotes removed.
    pub request: String,
}

impl HttpLog {
    pub fn parse(msg: &str) -> Option<HttpLog> {
        let q = msg.find(" \"")?;
        let (head, req) = (&msg[..q], &msg[q + 2..]);
        let request = req.strip_suffix('"')?.to_string();
        let w: Vec<&str> = head.split(' ').collect();
        if w.len() < 11 {
            return None;
        }
        let (be, srv) = w[3].split_once('/')?;
        let slash = |s: &str| s.split('/').map(str::to_string).collect::<Vec<_>>();
        Some(HttpLog {
            client: w[0].to_string(),
            date: w[1].trim_matches(['[', ']']).to_string(),
            frontend: w[2].to_string(),
            backend: be.to_string(),
            server: srv.to_string(),
            timers: slash(w[4]),
            status: w[5].to_string(),
            bytes: w[6].to_string(),
            cookies: (w[7].to_string(), w[8].to_string()),
            termination: w[9].to_string(),
            conns: slash(w[10]),
            queues: w.get(11).map(|s| slash(s)).unwrap_or_default(),
            captures: w[12.min(w.len())..].iter().map(|s| s.to_string()).collect(),
            request,
        })
    }
}

/// The fields of an `option tcplog` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpLog {
    pub client: String,
    pub frontend: String,
    pub backend: String,
    pub server: String,
    /// Tw/Tc/Tt.
    pub timers: Vec<String>,
    pub bytes: String,
    pub termination: String,
    pub conns: Vec<String>,
    pub queues: Vec<String>,
}

impl TcpLog {
    pub fn parse(msg: &str) -> Option<TcpLog> {
        let w: Vec<&str> = msg.split(' ').collect();
        if w.len() != 9 {
            return None;
        }
        let (be, srv) = w[3].split_once('/')?;
        let slash = |s: &str| s.split('/').map(str::to_string).collect::<Vec<_>>();
        Some(TcpLog {
            client: w[0].to_string(),
            frontend: w[2].to_string(),
            backend: be.to_string(),
            server: srv.to_string(),
            timers: slash(w[4]),
            bytes: w[5].to_string(),
            termination: w[6].to_string(),
            conns: slash(w[7]),
            queues: slash(w[8]),
        })
    }
}
