//! The UDP syslog sink the proxies log to: a thread in the harness that reads and discards
//! datagrams, counting them, and timestamps on arrival the few whose text contains a
//! watched string (the failover benchmark watches for "is DOWN"). Its CPU is the harness's,
//! never a proxy's. The kernel's own drop count for the socket is read from /proc/net/udp,
//! so a line lost because the sink fell behind is told apart from one the proxy never sent.

use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// A datagram that contained a watched string, with when it arrived.
#[derive(Debug, Clone)]
pub struct Marked {
    pub at: Instant,
    pub text: String,
}

struct Shared {
    datagrams: AtomicU64,
    marked: Mutex<Vec<Marked>>,
    stop: AtomicBool,
}

pub struct SyslogSink {
    port: u16,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Large enough to absorb a burst of a few thousand lines while the reader is descheduled.
const RCVBUF: libc::c_int = 32 << 20;

impl SyslogSink {
    pub fn start(watch: &[&str]) -> Result<SyslogSink> {
        let sock = UdpSocket::bind("127.0.0.1:0").context("binding the syslog sink")?;
        set_rcvbuf(&sock);
        // The reader wakes this often to notice the stop flag.
        sock.set_read_timeout(Some(Duration::from_millis(50)))?;
        let port = sock.local_addr()?.port();
        let shared = Arc::new(Shared {
            datagrams: AtomicU64::new(0),
            marked: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let watch: Vec<String> = watch.iter().map(|s| s.to_string()).collect();
        let sh = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("syslog-sink-{port}"))
            .spawn(move || read_loop(sock, &sh, &watch))
            .context("starting the syslog sink thread")?;
        Ok(SyslogSink {
            port,
            shared,
            thread: Some(thread),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn datagrams(&self) -> u64 {
        self.shared.datagrams.load(Ordering::Relaxed)
    }

    /// Watched datagrams received so far, in arrival order.
    pub fn marked(&self) -> Vec<Marked> {
        self.shared
            .marked
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    /// Datagrams the kernel dropped for this socket (receive buffer full).
    pub fn kernel_drops(&self) -> u64 {
        udp_drops(self.port).unwrap_or(0)
    }
}

impl Drop for SyslogSink {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn read_loop(sock: UdpSocket, shared: &Shared, watch: &[String]) {
    let mut buf = vec![0u8; 64 * 1024];
    while !shared.stop.load(Ordering::Relaxed) {
        let Ok(n) = sock.recv(&mut buf) else {
            continue;
        };
        let at = Instant::now();
        shared.datagrams.fetch_add(1, Ordering::Relaxed);
        if watch.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(&buf[..n]);
        if watch.iter().any(|w| text.contains(w.as_str())) {
            if let Ok(mut m) = shared.marked.lock() {
                m.push(Marked {
                    at,
                    text: text.trim_end().to_string(),
                });
            }
        }
    }
}

/// SO_RCVBUFFORCE (root) goes past net.core.rmem_max; SO_RCVBUF is the fallback.
fn set_rcvbuf(sock: &UdpSocket) {
    let size: libc::c_int = RCVBUF;
    for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
        // SAFETY: setsockopt reads `size` (a c_int on our stack) for the length given.
        let rc = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            return;
        }
    }
}

/// The `drops` column of /proc/net/udp for the socket bound to 127.0.0.1:port.
fn udp_drops(port: u16) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/udp").ok()?;
    parse_udp_drops(&text, port)
}

fn parse_udp_drops(text: &str, port: u16) -> Option<u64> {
    let local = format!("0100007F:{port:04X}");
    text.lines()
        .skip(1)
        .find(|l| l.split_whitespace().nth(1) == Some(local.as_str()))
        .and_then(|l| l.split_whitespace().last()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_datagrams_and_timestamps_watched_ones() {
        let Ok(sink) = SyslogSink::start(&["is DOWN"]) else {
            return;
        };
        let Ok(tx) = UdpSocket::bind("127.0.0.1:0") else {
            return;
        };
        let to = ("127.0.0.1", sink.port());
        for msg in [
            "<134>a request",
            "<129>Server be/s1 is DOWN, reason",
            "<134>b",
        ] {
            let _ = tx.send_to(msg.as_bytes(), to);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while sink.datagrams() < 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(sink.datagrams(), 3);
        let m = sink.marked();
        assert_eq!(m.len(), 1);
        assert!(m[0].text.contains("be/s1 is DOWN"));
        assert_eq!(sink.kernel_drops(), 0);
    }

    #[test]
    fn reads_the_drop_column() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
                    12: 0100007F:1414 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000 17\n";
        assert_eq!(parse_udp_drops(text, 0x1414), Some(17));
        assert_eq!(parse_udp_drops(text, 1), None);
    }
}
