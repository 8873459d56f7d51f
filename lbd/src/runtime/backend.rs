//! Backends and servers at run time: resolved addresses, live counters and the
//! balancer. Server state changes rebuild the balancer and swap it in
//! atomically; the pick path takes no lock.

use super::queue::Queue;
use super::BuildError;
use crate::balance::{Balancer, KeyNeed, LbInput, LbServer};
use crate::config::model::{Mode, Proxy, Server, ServerAddr, ServerPort};
use arc_swap::ArcSwap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAddrRt {
    /// Resolved IP; the port may come from the client's destination port.
    Ip {
        ip: IpAddr,
        port: ServerPort,
    },
    Unix(PathBuf),
    Abstract(String),
}

impl ServerAddrRt {
    /// The address to connect to for a client whose destination port was `dst_port`.
    pub fn socket_addr(&self, dst_port: u16) -> Option<SocketAddr> {
        match self {
            ServerAddrRt::Ip { ip, port } => {
                let p = match *port {
                    ServerPort::Fixed(p) => p,
                    ServerPort::FromClient(off) => {
                        let p = i32::from(dst_port) + off;
                        u16::try_from(p).ok()?
                    }
                };
                Some(SocketAddr::new(*ip, p))
            }
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct ServerRt {
    pub name: String,
    pub id: u32,
    /// Swappable at run time (`set server <b>/<s> addr`): the connect path
    /// loads it once per connection attempt.
    pub addr: super::lazy::AddrCell,
    pub conf: Arc<Server>,
    /// Unusable for maintenance: forced (`admin_maint`) or asked by the agent.
    pub maint: AtomicBool,
    /// Forced maintenance: `disabled` in the configuration, or the runtime
    /// API's `disable server` / `set server ... state maint`.
    pub admin_maint: AtomicBool,
    /// `maxconn` and `minconn`, changeable with `set maxconn server`
    /// (0 = unlimited / unset).
    pub maxconn: AtomicU32,
    pub minconn: AtomicU32,
    /// `disable health` / `disable agent` pause the probes.
    pub check_enabled: AtomicBool,
    pub agent_enabled: AtomicBool,
    /// Operationally up (health checks flip this).
    pub up: AtomicBool,
    pub weight: AtomicU32,
    /// Connections currently using this server (active sessions).
    pub cur: AtomicU32,
    pub total: AtomicU64,
    /// Requests waiting for this server in particular.
    pub queue: Queue,
    /// `slowstart`: when the server last came back up (ms since the
    /// process clock's origin); 0 when not ramping.
    pub ramp_since_ms: AtomicU64,
    /// Bumped to end every session on this server (`on-marked-down
    /// shutdown-sessions`, `on-marked-up shutdown-backup-sessions`).
    pub kill: crate::kill::KillSwitch,
    /// Health-check and agent state (runtime/server_state.rs). `up` and
    /// `weight` above are what it decided last.
    pub health: super::server_state::HealthState,
    /// `show stat` counters.
    pub stats: crate::stats::ServerCounters,
    /// `sni <expr>` of an `ssl` server, compiled against the runtime's
    /// pattern registry so that `set map` reaches the maps it names.
    /// Boxed: rare, and inline it made every server ~100 bytes bigger.
    pub sni_expr: Option<Box<crate::sample::Expr>>,
}

/// Why a server's sessions were killed: the low bits of its kill number.
const KILL_DOWN: u64 = 0;
const KILL_ADMIN: u64 = 1;
const KILL_HARD_STOP: u64 = 2;

impl ServerRt {
    /// Ends every session on this server: `admin` for the CLI's `shutdown
    /// sessions server` (logged `K`), else because it went down (`D`). The
    /// two low bits of the generation number carry why.
    pub fn kill_sessions(&self, admin: bool) {
        let why = if admin { KILL_ADMIN } else { KILL_DOWN };
        self.kill.send_modify(|g| (((g >> 2) + 1) << 2) | why);
    }

    /// The generation's hard stop (`hard-stop-after`) ends the sessions
    /// still on this server: a request waiting for its answer gets a 502.
    pub fn hard_stop_sessions(&self) {
        self.kill
            .send_modify(|g| (((g >> 2) + 1) << 2) | KILL_HARD_STOP);
    }

    /// How a session ended by [`ServerRt::kill_sessions`] (or a hard stop)
    /// terminates.
    pub fn kill_cause(v: u64) -> crate::log::TermCause {
        if v & 3 == KILL_DOWN {
            crate::log::TermCause::Down
        } else {
            crate::log::TermCause::Killed
        }
    }

    /// The kill was the generation's hard stop.
    pub fn killed_by_hard_stop(v: u64) -> bool {
        v & 3 == KILL_HARD_STOP
    }

    pub fn is_usable(&self) -> bool {
        self.up.load(Ordering::Relaxed) && !self.maint.load(Ordering::Relaxed)
    }
}

#[derive(Debug)]
pub struct Backend {
    pub name: String,
    pub id: u32,
    pub mode: Mode,
    pub conf: Arc<Proxy>,
    pub servers: Vec<Arc<ServerRt>>,
    balancer: ArcSwap<Balancer>,
    /// Requests waiting for any server of the backend.
    pub queue: Queue,
    /// `fullconn`, or 10% of the maxconn of the frontends that use this
    /// backend (set once the frontends are known).
    pub fullconn: AtomicU32,
    /// `balance hash <expr>`: the fetch, parsed once.
    pub hash_fetch: Option<crate::sample::SimpleFetch>,
    pub cur: AtomicU32,
    pub total: AtomicU64,
    /// `show stat` counters.
    pub stats: crate::stats::ServerCounters,
    /// Whether any server has an `sni <expr>`: requests to backends
    /// without one skip evaluating SNIs altogether.
    pub has_sni_exprs: bool,
    /// Some server may differ from its configuration in what a `-W` reload
    /// carries over (maintenance, drain, weight): set by every change of
    /// those (runtime/server_state.rs), and from the start when a server is
    /// `disabled`. The old worker lists only such backends' servers for
    /// its successor instead of reading 10,000 cold servers per reload.
    pub carried_dirty: AtomicBool,
}

impl std::fmt::Debug for Balancer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Balancer")
    }
}

fn resolve(p: &Proxy, s: &Server) -> Result<ServerAddrRt, BuildError> {
    Ok(match &s.addr {
        ServerAddr::Ip { ip, port } => ServerAddrRt::Ip {
            ip: *ip,
            port: *port,
        },
        ServerAddr::Host { host, port } => {
            let err = || BuildError::Resolve {
                proxy: p.name.clone(),
                server: s.name.clone(),
                host: host.clone(),
                file: s.location.file.clone(),
                line: s.location.line,
            };
            let ip = (host.as_str(), 0u16)
                .to_socket_addrs()
                .map_err(|_| err())?
                .next()
                .ok_or_else(err)?
                .ip();
            ServerAddrRt::Ip { ip, port: *port }
        }
        ServerAddr::Unix(path) => ServerAddrRt::Unix(path.clone()),
        ServerAddr::Abstract(name) => ServerAddrRt::Abstract(name.clone()),
    })
}

/// The compiled `sni <expr>` of `s`, when it is an `ssl` server with one.
fn compile_sni(
    p: &Proxy,
    s: &Server,
    registry: &crate::pattern::PatternRegistry,
) -> Result<Option<Box<crate::sample::Expr>>, BuildError> {
    let Some(text) = s.ssl.sni_expr.as_deref().filter(|_| s.ssl.enabled) else {
        return Ok(None);
    };
    let env = crate::sample::ParseEnv {
        registry,
        file: &s.location.file,
        line: s.location.line,
    };
    crate::sample::Expr::parse(text, &env)
        .map(|e| Some(Box::new(e)))
        .map_err(|e| BuildError::Rules {
            proxy: p.name.clone(),
            msg: format!(
                "server '{}' : error detected while parsing sni expression : {e}",
                s.name
            ),
        })
}

impl Backend {
    /// Compiles `p`'s servers; their `sni` expressions load the maps they
    /// name into `registry` (the runtime's).
    pub fn build(
        p: &Arc<Proxy>,
        id: u32,
        registry: &crate::pattern::PatternRegistry,
    ) -> Result<Backend, BuildError> {
        let mut servers = Vec::with_capacity(p.servers.len());
        let mut next_sid = 1u32;
        let now = crate::stats::counters::now_ms();
        for s in &p.servers {
            let sid = s.id.unwrap_or_else(|| {
                while p.servers.iter().any(|o| o.id == Some(next_sid)) {
                    next_sid += 1;
                }
                let v = next_sid;
                next_sid += 1;
                v
            });
            servers.push(Arc::new(ServerRt {
                name: s.name.clone(),
                id: sid,
                addr: super::lazy::AddrCell::new(resolve(p, s)?),
                conf: s.clone(),
                maint: AtomicBool::new(s.disabled),
                admin_maint: AtomicBool::new(s.disabled),
                maxconn: AtomicU32::new(s.maxconn.unwrap_or(0)),
                minconn: AtomicU32::new(s.minconn.unwrap_or(0)),
                check_enabled: AtomicBool::new(s.check.enabled),
                agent_enabled: AtomicBool::new(s.agent.enabled),
                up: AtomicBool::new(true),
                weight: AtomicU32::new(s.weight),
                cur: AtomicU32::new(0),
                total: AtomicU64::new(0),
                queue: Queue::default(),
                ramp_since_ms: AtomicU64::new(0),
                kill: Default::default(),
                health: super::server_state::HealthState::new(s),
                stats: crate::stats::ServerCounters::new_at(now),
                sni_expr: compile_sni(p, s, registry)?,
            }));
        }
        let has_sni_exprs = servers.iter().any(|s| s.sni_expr.is_some());
        let carried_dirty = AtomicBool::new(servers.iter().any(|s| s.conf.disabled));
        let balancer = ArcSwap::from_pointee(make_balancer(p, &servers));
        Ok(Backend {
            name: p.name.clone(),
            id,
            mode: p.mode,
            conf: p.clone(),
            servers,
            balancer,
            queue: Queue::default(),
            fullconn: AtomicU32::new(p.fullconn.unwrap_or(0)),
            hash_fetch: match &p.balance {
                crate::config::model::Balance::Hash { expr } => crate::sample::parse(expr).ok(),
                _ => None,
            },
            cur: AtomicU32::new(0),
            total: AtomicU64::new(0),
            stats: crate::stats::ServerCounters::new(),
            has_sni_exprs,
            carried_dirty,
        })
    }

    /// Rebuilds the balancer after a server's weight or state changed, and
    /// offers any free slot to the requests waiting in queues.
    pub fn refresh_balancer(&self) {
        self.balancer
            .store(Arc::new(make_balancer(&self.conf, &self.servers)));
        self.kick_queues();
    }

    /// Whether any server could take traffic, even if all are full now.
    pub fn has_servers(&self) -> bool {
        self.balancer.load().has_servers()
    }

    pub fn key_need(&self) -> KeyNeedGuard {
        KeyNeedGuard(self.balancer.load_full())
    }

    /// Picks a server for a request whose hash key (if the algorithm needs
    /// one) is `key`.
    pub fn pick(&self, key: Option<&[u8]>, exclude: Option<usize>) -> Option<usize> {
        let b = self.balancer.load();
        let input = match key {
            Some(k) => LbInput::Key(k),
            None => LbInput::None,
        };
        b.pick(input, self, exclude)
    }
}

/// Keeps the balancer alive while the caller inspects what key it needs.
pub struct KeyNeedGuard(Arc<Balancer>);

impl KeyNeedGuard {
    pub fn get(&self) -> &KeyNeed {
        self.0.key_need()
    }
}

/// The origin of `ramp_since_ms`.
static CLOCK_ORIGIN: std::sync::LazyLock<std::time::Instant> =
    std::sync::LazyLock::new(std::time::Instant::now);

fn clock_ms() -> u64 {
    CLOCK_ORIGIN.elapsed().as_millis() as u64 + 1
}

impl ServerRt {
    /// Starts the `slowstart` ramp (the server just came back up).
    pub fn start_ramp(&self) {
        if self.conf.slowstart.is_some_and(|d| d > 0) {
            self.ramp_since_ms.store(clock_ms(), Ordering::Relaxed);
        }
    }

    /// Whether the weight is still ramping up after `slowstart`.
    pub fn ramping(&self) -> bool {
        let since = self.ramp_since_ms.load(Ordering::Relaxed);
        match (since, self.conf.slowstart) {
            (0, _) | (_, None) => false,
            (since, Some(d)) => clock_ms().saturating_sub(since) < d,
        }
    }

    /// The weight the balancer uses: the current weight, scaled down
    /// linearly while `slowstart` ramps (never below 1 for a weighted
    /// server, so it still gets some traffic), as HAProxy's throttle.
    pub fn balanced_weight(&self) -> u32 {
        let w = self.weight.load(Ordering::Relaxed);
        let since = self.ramp_since_ms.load(Ordering::Relaxed);
        match (since, self.conf.slowstart) {
            (s, Some(d)) if s > 0 && d > 0 && w > 0 => {
                let elapsed = clock_ms().saturating_sub(s);
                if elapsed >= d {
                    w
                } else {
                    ((u64::from(w) * elapsed / d) as u32).max(1)
                }
            }
            _ => w,
        }
    }
}

fn make_balancer(p: &Proxy, servers: &[Arc<ServerRt>]) -> Balancer {
    let lb: Vec<LbServer> = servers
        .iter()
        .map(|s| LbServer {
            id: s.id,
            weight: s.balanced_weight(),
            backup: s.conf.backup,
            usable: s.is_usable(),
        })
        .collect();
    Balancer::new(&p.balance, p.hash_type, &lb, p.options.allbackups)
}
