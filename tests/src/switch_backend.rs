//! Backends a test can switch while the proxy runs: an HTTP server that
//! answers 200, answers another status, hangs, or refuses connections and
//! comes back on the same port; and a TCP agent that answers a set line
//! (`up`, `drain`, `50%`...). Health-check tests drive server state with them.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::backend::runtime;

/// What the switchable HTTP backend does with the next request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// This status with this body, `x-served-by: <name>`, then close.
    Answer(u16, String),
    /// Accept and never answer.
    Hang,
    /// Nothing listens: connections are refused.
    Refuse,
}

#[derive(Debug)]
struct Shared {
    name: String,
    behaviour: Mutex<Behaviour>,
    requests: AtomicUsize,
}

/// An HTTP backend whose behaviour changes on demand; stops when dropped.
#[derive(Debug)]
pub struct SwitchBackend {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: Mutex<Option<JoinHandle<()>>>,
}

fn bind(addr: &str) -> std::net::TcpListener {
    let l = match std::net::TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) => panic!("cannot bind {addr}: {e}"),
    };
    if let Err(e) = l.set_nonblocking(true) {
        panic!("cannot make listener non-blocking: {e}");
    }
    l
}

fn local(l: &std::net::TcpListener) -> SocketAddr {
    match l.local_addr() {
        Ok(a) => a,
        Err(e) => panic!("cannot read a listener address: {e}"),
    }
}

impl SwitchBackend {
    /// Starts answering 200 `ok` with `x-served-by: <name>`.
    pub fn start(name: &str) -> SwitchBackend {
        let l = bind("127.0.0.1:0");
        let addr = local(&l);
        let shared = Arc::new(Shared {
            name: name.to_string(),
            behaviour: Mutex::new(Behaviour::Answer(200, "ok".into())),
            requests: AtomicUsize::new(0),
        });
        let b = SwitchBackend {
            addr,
            shared,
            task: Mutex::new(None),
        };
        b.listen(l);
        b
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests answered (health checks included).
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    fn listen(&self, l: std::net::TcpListener) {
        let shared = self.shared.clone();
        let task = runtime().spawn(async move {
            let Ok(listener) = TcpListener::from_std(l) else {
                return;
            };
            let mut conns = tokio::task::JoinSet::new();
            loop {
                while conns.try_join_next().is_some() {}
                if let Ok((s, _)) = listener.accept().await {
                    conns.spawn(serve(s, shared.clone()));
                }
            }
        });
        if let Ok(mut t) = self.task.lock() {
            *t = Some(task);
        }
    }

    /// Switches behaviour; `Refuse` closes the port, anything else reopens it.
    pub fn set(&self, b: Behaviour) {
        let was_refusing = match self.shared.behaviour.lock() {
            Ok(mut cur) => std::mem::replace(&mut *cur, b.clone()) == Behaviour::Refuse,
            Err(_) => false,
        };
        if b == Behaviour::Refuse {
            if let Ok(mut t) = self.task.lock() {
                if let Some(t) = t.take() {
                    t.abort();
                }
            }
            // Wait until the port really refuses, so the caller's deadline
            // measures the proxy and not this teardown.
            let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while std::net::TcpStream::connect(self.addr).is_ok()
                && std::time::Instant::now() < until
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        } else if was_refusing {
            self.listen(bind(&self.addr.to_string()));
        }
    }
}

impl Drop for SwitchBackend {
    fn drop(&mut self) {
        if let Ok(mut t) = self.task.lock() {
            if let Some(t) = t.take() {
                t.abort();
            }
        }
    }
}

async fn serve(mut s: TcpStream, shared: Arc<Shared>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.drain(..end + 4);
            let b = match shared.behaviour.lock() {
                Ok(b) => b.clone(),
                Err(_) => return,
            };
            let (code, body) = match b {
                Behaviour::Answer(c, body) => (c, body),
                Behaviour::Hang => {
                    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                    return;
                }
                Behaviour::Refuse => return,
            };
            shared.requests.fetch_add(1, Ordering::SeqCst);
            let reason = match code {
                200 => "OK",
                404 => "Not Found",
                500 => "Internal Server Error",
                503 => "Service Unavailable",
                _ => "Other",
            };
            let resp = format!(
                "HTTP/1.1 {code} {reason}\r\ncontent-length: {}\r\nx-served-by: {}\r\n\r\n{body}",
                body.len(),
                shared.name
            );
            if s.write_all(resp.as_bytes()).await.is_err() {
                return;
            }
        }
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A TCP agent (`agent-check`): every connection gets the current line.
#[derive(Debug)]
pub struct AgentBackend {
    addr: SocketAddr,
    line: Arc<Mutex<String>>,
    task: JoinHandle<()>,
}

impl AgentBackend {
    pub fn start(line: &str) -> AgentBackend {
        let l = bind("127.0.0.1:0");
        let addr = local(&l);
        let line = Arc::new(Mutex::new(line.to_string()));
        let shared = line.clone();
        let task = runtime().spawn(async move {
            let Ok(listener) = TcpListener::from_std(l) else {
                return;
            };
            loop {
                if let Ok((mut s, _)) = listener.accept().await {
                    let text = shared.lock().map(|l| l.clone()).unwrap_or_default();
                    tokio::spawn(async move {
                        let _ = s.write_all(format!("{text}\n").as_bytes()).await;
                        let _ = s.shutdown().await;
                    });
                }
            }
        });
        AgentBackend { addr, line, task }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn set(&self, line: &str) {
        if let Ok(mut l) = self.line.lock() {
            *l = line.to_string();
        }
    }
}

impl Drop for AgentBackend {
    fn drop(&mut self) {
        self.task.abort();
    }
}
