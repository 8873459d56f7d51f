//! HAProxy's runtime API (the `stats socket` CLI): binding the sockets,
//! one task per client, the 2.6 session semantics (non-interactive and
//! `prompt` modes, `;`-separated commands, payloads, levels) and the
//! commands that act on the runtime.
//!
//! The stats dumps (`show info|stat|servers state|backend`) are produced
//! elsewhere and reach this module through [`StatsProvider`]. This module
//! never blocks the data plane: a CLI client only ever holds its own task,
//! a slot of `stats maxconn`, and short-lived health-state locks.

mod commands;
mod map_cmds;
mod parse;
mod server_cmds;
mod session;
mod table_cmds;
mod usage;

pub use commands::{allowed, execute, Outcome, SessionState, PERMISSION_DENIED};
pub use parse::{next_request, split_words, starts_payload, FrameError, Framed, MAX_LINE};
pub use server_cmds::parse_weight;
pub use session::serve_client;
pub use usage::{usage, Cmd, Keyword, KEYWORDS};

use crate::config::model::{Bind, CliLevel, Global};
use crate::listener::{bind_all, BindError, BoundSocket};
use crate::runtime::{ConnLimit, Runtime, ServerObserver};
use crate::server::Stop;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The stats dumps, rendered by the stats module. Errors are the texts the
/// CLI prints (e.g. `Can't find backend.`).
pub trait StatsProvider: Send + Sync {
    /// `show info [typed] [json]`.
    fn show_info(&self, typed: bool, json: bool) -> String;
    /// `show stat <args>`: the words after `show stat`.
    fn show_stat(&self, args: &[&str]) -> Result<String, String>;
    /// `show servers state [<backend>]`.
    fn show_servers_state(&self, backend: Option<&str>) -> Result<String, String>;
    /// `show backend`.
    fn show_backend(&self) -> String;
}

/// 2.6's default `stats maxconn`: 10 concurrent CLI sessions (cli.c).
pub const DEFAULT_MAXCONN: u32 = 10;

/// Everything a CLI session acts on.
pub struct Api {
    pub runtime: Arc<Runtime>,
    pub stats: Arc<dyn StatsProvider>,
    /// Told about server state changes made from the CLI.
    pub observer: Arc<dyn ServerObserver>,
    /// The global maxconn at start-up: `set maxconn global` may not exceed it.
    pub hard_maxconn: u32,
    pub sessions: Sessions,
}

impl Api {
    pub fn new(
        runtime: Arc<Runtime>,
        stats: Arc<dyn StatsProvider>,
        observer: Arc<dyn ServerObserver>,
    ) -> Api {
        Api {
            hard_maxconn: runtime.maxconn.max(),
            runtime,
            stats,
            observer,
            sessions: Sessions::default(),
        }
    }
}

/// One live CLI session, for `show sess`.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: u64,
    /// `unix_stream` or `tcpv4`/`tcpv6`.
    pub proto: &'static str,
    pub src: String,
    pub started: Instant,
}

/// The live CLI sessions.
#[derive(Debug, Default)]
pub struct Sessions {
    next: AtomicU64,
    live: Mutex<HashMap<u64, SessionInfo>>,
}

/// Removes its session from the registry when dropped.
pub struct SessionGuard<'a> {
    sessions: &'a Sessions,
    pub id: u64,
}

impl Sessions {
    pub fn register(&self, proto: &'static str, src: String) -> SessionGuard<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let info = SessionInfo {
            id,
            proto,
            src,
            started: Instant::now(),
        };
        self.lock().insert(id, info);
        SessionGuard { sessions: self, id }
    }

    pub fn list(&self) -> Vec<SessionInfo> {
        let mut v: Vec<SessionInfo> = self.lock().values().cloned().collect();
        v.sort_by_key(|s| s.id);
        v
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, SessionInfo>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for SessionGuard<'_> {
    fn drop(&mut self) {
        self.sessions.lock().remove(&self.id);
    }
}

/// A bound `stats socket`, ready to serve once the runtime runs.
#[derive(Debug)]
pub struct StatsListener {
    pub sock: BoundSocket,
    pub level: CliLevel,
    /// `expose-fd listeners`: answers `_getsocks` (lbd/src/getsocks.rs).
    pub expose_fd: bool,
}

/// Binds every `stats socket` (with `mode`, `user`, `group` applied to a
/// unix socket's file). Called before privileges are dropped.
pub fn bind(g: &Global) -> Result<Vec<StatsListener>, BindError> {
    let mut out = Vec::new();
    for s in &g.stats_sockets {
        let bind = Bind {
            addrs: vec![s.addr.clone()],
            mode: s.mode,
            user: s.user.clone(),
            group: s.group.clone(),
            uid: s.uid,
            gid: s.gid,
            location: s.location.clone(),
            ..Bind::default()
        };
        let backlog = g.stats_maxconn.unwrap_or(DEFAULT_MAXCONN);
        for (_addr, sock) in bind_all(&bind, 1, Some(backlog), false)? {
            out.push(StatsListener {
                sock,
                level: s.level,
                expose_fd: s.expose_fd_listeners,
            });
        }
    }
    Ok(out)
}

/// Starts accepting CLI clients on every listener, on the current Tokio
/// runtime. `stats maxconn` bounds the sessions of all sockets together;
/// clients above it wait in the backlog. Accepting stops on a soft stop.
pub fn start(
    api: Arc<Api>,
    listeners: Vec<StatsListener>,
    g: &Global,
    stop: watch::Receiver<Stop>,
) {
    let limit = ConnLimit::new(g.stats_maxconn.unwrap_or(DEFAULT_MAXCONN));
    let timeout = Duration::from_millis(g.stats_timeout.max(1));
    for l in listeners {
        let ctx = AcceptCtx {
            api: api.clone(),
            limit: limit.clone(),
            level: l.level,
            timeout,
            stop: stop.clone(),
            expose_fd: l.expose_fd,
        };
        match l.sock {
            BoundSocket::Tcp(std_l) => match tokio::net::TcpListener::from_std(std_l) {
                Ok(tl) => {
                    tokio::spawn(accept_tcp(ctx, tl));
                }
                Err(e) => crate::server::say("[ALERT]", &format!("stats socket: {e}")),
            },
            BoundSocket::Unix(std_l) => match tokio::net::UnixListener::from_std(std_l) {
                Ok(ul) => {
                    tokio::spawn(accept_unix(ctx, ul));
                }
                Err(e) => crate::server::say("[ALERT]", &format!("stats socket: {e}")),
            },
        }
    }
}

struct AcceptCtx {
    api: Arc<Api>,
    limit: ConnLimit,
    level: CliLevel,
    timeout: Duration,
    stop: watch::Receiver<Stop>,
    expose_fd: bool,
}

impl AcceptCtx {
    fn state(&self) -> SessionState {
        SessionState {
            level: self.level,
            prompt: false,
            timeout: self.timeout,
            id: 0,
        }
    }
}

async fn accept_tcp(ctx: AcceptCtx, l: tokio::net::TcpListener) {
    let mut stop = ctx.stop.clone();
    loop {
        let permit = tokio::select! {
            p = ctx.limit.acquire() => p,
            _ = stop.changed() => return,
        };
        let accepted = tokio::select! {
            r = l.accept() => r,
            _ = stop.changed() => return,
        };
        match accepted {
            Ok((s, peer)) => {
                let _ = s.set_nodelay(true);
                let proto = if peer.is_ipv4() { "tcpv4" } else { "tcpv6" };
                let api = ctx.api.clone();
                let st = ctx.state();
                tokio::spawn(async move {
                    let guard = api.sessions.register(proto, peer.to_string());
                    let st = SessionState { id: guard.id, ..st };
                    serve_client(&api, s, st).await;
                    drop(guard);
                    drop(permit);
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

async fn accept_unix(ctx: AcceptCtx, l: tokio::net::UnixListener) {
    let mut stop = ctx.stop.clone();
    let mut n = 0u64;
    loop {
        let permit = tokio::select! {
            p = ctx.limit.acquire() => p,
            _ = stop.changed() => return,
        };
        let accepted = tokio::select! {
            r = l.accept() => r,
            _ = stop.changed() => return,
        };
        match accepted {
            Ok((s, _)) => {
                n += 1;
                let api = ctx.api.clone();
                let st = ctx.state();
                let expose_fd = ctx.expose_fd;
                tokio::spawn(async move {
                    let s = match expose_fd {
                        true => match crate::getsocks::intercept(s).await {
                            Some(s) => s,
                            None => return,
                        },
                        false => s,
                    };
                    let guard = api.sessions.register("unix_stream", format!("unix:{n}"));
                    let st = SessionState { id: guard.id, ..st };
                    serve_client(&api, s, st).await;
                    drop(guard);
                    drop(permit);
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// A [`StatsProvider`] for when no stats module is plugged in: every dump
/// is empty (the `# ...` header lines are the stats module's business).
#[derive(Debug, Default)]
pub struct NoStats;

impl StatsProvider for NoStats {
    fn show_info(&self, _typed: bool, _json: bool) -> String {
        String::new()
    }
    fn show_stat(&self, _args: &[&str]) -> Result<String, String> {
        Ok(String::new())
    }
    fn show_servers_state(&self, _backend: Option<&str>) -> Result<String, String> {
        Ok(String::new())
    }
    fn show_backend(&self) -> String {
        String::new()
    }
}
