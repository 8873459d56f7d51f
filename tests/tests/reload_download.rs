//! A long download survives a reload (issue 7): 100 MB streamed from the
//! backend to a client that reads 1 MB every 20 ms, started before a reload
//! (SIGUSR2 in master-worker mode) or a binary upgrade (`-x` + `-sf`),
//! arrives whole and unaltered after it: the old generation (or process)
//! keeps the transfer until its last byte.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tests::stats_socket::wait_socket;
use tests::*;

const SIZE: u64 = 100 << 20;
const READ_CHUNK: usize = 1 << 20;
const READ_PAUSE: Duration = Duration::from_millis(20);

/// The byte at `pos` of the download: not periodic over any buffer size a
/// proxy would use, so a lost, doubled or shifted block changes the digest.
fn byte_at(pos: u64) -> u8 {
    let x = pos.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 56) as u8 ^ (pos >> 20) as u8
}

/// FNV-1a over the bytes, streaming.
#[derive(Clone, Copy)]
struct Digest(u64);

impl Digest {
    fn new() -> Digest {
        Digest(0xcbf2_9ce4_8422_2325)
    }
    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

fn expected_digest() -> Digest {
    let mut d = Digest::new();
    let mut buf = vec![0u8; READ_CHUNK];
    let mut pos = 0u64;
    while pos < SIZE {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = byte_at(pos + i as u64);
        }
        d.update(&buf);
        pos += READ_CHUNK as u64;
    }
    d
}

/// A backend answering every request with the 100 MB body, generated as it
/// is written. Runs on its own thread until the test process ends.
fn big_backend() -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut b = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut b) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&b[..n]),
                    }
                }
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {SIZE}\r\nconnection: close\r\n\r\n"
                );
                if s.write_all(resp.as_bytes()).is_err() {
                    return;
                }
                let mut buf = vec![0u8; 64 << 10];
                let mut pos = 0u64;
                while pos < SIZE {
                    for (i, b) in buf.iter_mut().enumerate() {
                        *b = byte_at(pos + i as u64);
                    }
                    if s.write_all(&buf).is_err() {
                        return;
                    }
                    pos += buf.len() as u64;
                }
            });
        }
    });
    addr
}

/// The download in progress: the client side, reading slowly.
struct Download {
    s: TcpStream,
    body_read: u64,
    digest: Digest,
    pending: Vec<u8>,
}

impl Download {
    /// Connects, sends the request and reads the response head.
    fn start(port: u16) -> Download {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
        let _ = s.set_read_timeout(Some(Duration::from_secs(15)));
        s.write_all(b"GET /big HTTP/1.1\r\nhost: big\r\n\r\n")
            .unwrap_or_else(|e| panic!("send: {e}"));
        let mut head = Vec::new();
        let mut b = [0u8; 4096];
        let end = loop {
            if let Some(p) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            match s.read(&mut b) {
                Ok(0) => panic!("closed before the response head"),
                Ok(n) => head.extend_from_slice(&b[..n]),
                Err(e) => panic!("reading the head: {e}"),
            }
        };
        let text = String::from_utf8_lossy(&head[..end]).into_owned();
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(
            text.to_ascii_lowercase()
                .contains(&format!("content-length: {SIZE}")),
            "{text}"
        );
        Download {
            s,
            body_read: 0,
            digest: Digest::new(),
            pending: head[end..].to_vec(),
        }
    }

    /// Reads up to 1 MB, then pauses as a slow reader does. False at EOF.
    fn step(&mut self) -> bool {
        let mut chunk = std::mem::take(&mut self.pending);
        let mut b = vec![0u8; 64 << 10];
        // Never past the announced length: the proxy may keep the client
        // connection alive after it, as HAProxy does.
        let want = (READ_CHUNK as u64).min(SIZE - self.body_read) as usize;
        while chunk.len() < want {
            let room = (want - chunk.len()).min(b.len());
            match self.s.read(&mut b[..room]) {
                Ok(0) => break,
                Ok(n) => chunk.extend_from_slice(&b[..n]),
                Err(e) => panic!("download broke at byte {}: {e}", self.body_read),
            }
        }
        let more = !chunk.is_empty();
        self.body_read += chunk.len() as u64;
        self.digest.update(&chunk);
        std::thread::sleep(READ_PAUSE);
        more && self.body_read < SIZE
    }

    /// Reads to the end; returns the byte count and digest.
    fn finish(mut self) -> (u64, u64) {
        while self.step() {}
        // Anything past the announced length would be a framing error.
        let mut extra = [0u8; 16];
        let _ = self.s.set_read_timeout(Some(Duration::from_millis(500)));
        if let Ok(n) = self.s.read(&mut extra) {
            self.body_read += n as u64;
        }
        (self.body_read, self.digest.0)
    }
}

fn config(port: u16, backend: std::net::SocketAddr, admin: Option<&Path>) -> String {
    let global = admin
        .map(|p| {
            format!(
                "    stats socket {} level admin expose-fd listeners\n",
                p.display()
            )
        })
        .unwrap_or_default();
    format!(
        "global
{global}
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:{port}
    default_backend be

backend be
    server big {backend}
"
    )
}

fn wait_stderr(lbd: &LbdProcess, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !lbd.stderr().contains(text) {
        assert!(
            Instant::now() < deadline,
            "no {text:?}{}",
            lbd.output_hint()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn assert_intact(got: (u64, u64), hint: &str) {
    assert_eq!(got.0, SIZE, "bytes received{hint}");
    assert_eq!(
        got.1,
        expected_digest().0,
        "the body was altered in transit{hint}"
    );
}

#[test]
fn a_100mb_download_to_a_slow_reader_survives_a_sigusr2_reload() {
    let backend = big_backend();
    let port = free_port();
    let cfg = config(port, backend, None);
    let lbd = LbdProcess::start_with(TempDir::new(), &cfg, &["-W"], &[]);
    let mut dl = Download::start(port);
    for _ in 0..5 {
        assert!(dl.step());
    }
    kill(Pid::from_raw(lbd.pid() as i32), Signal::SIGUSR2).unwrap_or_else(|e| panic!("{e}"));
    wait_stderr(&lbd, "Loading success.");
    assert!(
        dl.body_read < SIZE / 2,
        "the download ended too soon to span the reload"
    );
    // New clients are served meanwhile (the head is checked, then dropped).
    drop(Download::start(port));
    assert_intact(dl.finish(), &lbd.output_hint());
}

#[test]
fn a_100mb_download_to_a_slow_reader_survives_a_binary_upgrade() {
    let backend = big_backend();
    let port = free_port();
    let old_dir = TempDir::new();
    let admin = old_dir.join("admin.sock");
    let cfg = config(port, backend, Some(&admin));
    let mut old = LbdProcess::start_with(old_dir, &cfg, &[], &[]);
    wait_socket(&admin);
    let mut dl = Download::start(port);
    for _ in 0..5 {
        assert!(dl.step());
    }
    let new_dir = TempDir::new();
    let new_admin = new_dir.join("admin.sock");
    let new_cfg = config(port, backend, Some(&new_admin));
    let admin_s = admin.display().to_string();
    let old_pid = old.pid().to_string();
    let new = LbdProcess::start_with(new_dir, &new_cfg, &["-x", &admin_s, "-sf", &old_pid], &[]);
    wait_socket(&new_admin);
    assert!(
        dl.body_read < SIZE / 2,
        "the download ended too soon to span the upgrade"
    );
    // The old process lingers for the download only.
    assert!(old.is_running(), "{}", old.output_hint());
    let got = dl.finish();
    assert_intact(got, &old.output_hint());
    assert!(
        old.wait_exit(Duration::from_secs(10)).is_some(),
        "the old process outlived its last transfer{}",
        old.output_hint()
    );
    assert!(
        !new.stderr().contains("Failed to get the sockets"),
        "{}",
        new.output_hint()
    );
}

#[test]
fn a_100mb_download_to_a_slow_reader_arrives_intact_without_a_reload() {
    // The baseline for the two above: a failure here is not the reload's.
    let backend = big_backend();
    let port = free_port();
    let lbd = LbdProcess::start_with(TempDir::new(), &config(port, backend, None), &[], &[]);
    assert_intact(Download::start(port).finish(), &lbd.output_hint());
}
