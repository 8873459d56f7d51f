//! The compiled runtime: the configuration model turned into objects the data
//! plane uses directly (resolved server addresses, balancers, semaphores,
//! counters). Built once per configuration generation; shared by all worker
//! threads behind `Arc`s. It owns no sockets.

mod backend;
mod lazy;
mod limits;
mod queue;
mod server_state;

pub use backend::{Backend, ServerAddrRt, ServerRt};
pub use lazy::{AddrCell, AddrGuard};
pub use limits::ConnLimit;
pub use queue::{Queue, ServerLease};
pub use server_state::{
    AdminState, HealthState, Level, ServerEvent, ServerObserver, StderrObserver,
};

use crate::config::model::{self, Config, Mode, Proxy};
use crate::http::rules::ProxyRules;
use std::collections::HashMap;
use std::sync::Arc;

/// What a client-facing proxy (frontend or listen) needs at run time.
#[derive(Debug)]
pub struct Frontend {
    pub name: String,
    pub id: u32,
    pub mode: Mode,
    pub conf: Arc<Proxy>,
    pub global: Arc<model::Global>,
    pub maxconn: Option<ConnLimit>,
    /// `default_backend`, or the listen section itself.
    pub default_backend: Option<Arc<Backend>>,
    /// `default_backend`'s rules from the book, found once here rather than
    /// by name (SipHash) in every transaction.
    pub default_rules: Option<Arc<ProxyRules>>,
    /// The first `use_backend` rule when it is static and unconditional
    /// (it then always wins).
    pub use_backend: Option<Arc<Backend>>,
    /// This proxy's compiled rules.
    pub rules: Arc<ProxyRules>,
    /// Every backend and its rules by name, for `use_backend` (dynamic
    /// names included) and the backend's own rules.
    pub book: Arc<RuleBook>,
    /// Connections accepted so far (`cumulated conns: FE`).
    pub total: std::sync::atomic::AtomicU64,
    /// `show stat` counters.
    pub stats: crate::stats::ProxyCounters,
}

/// Backends by name with their compiled rules, shared by the frontends of
/// one generation.
#[derive(Debug, Default)]
pub struct RuleBook {
    /// Stick tables of this generation (the same as `Runtime::tables`).
    pub tables: Arc<crate::stick::TableRegistry>,
    pub backends: HashMap<String, (Arc<Backend>, Arc<ProxyRules>)>,
    /// `userlist` sections, for `http_auth` and `http-request auth`.
    pub userlists: HashMap<String, model::Userlist>,
}

impl RuleBook {
    pub fn backend(&self, name: &[u8]) -> Option<&(Arc<Backend>, Arc<ProxyRules>)> {
        std::str::from_utf8(name)
            .ok()
            .and_then(|n| self.backends.get(n))
    }
}

#[derive(Debug)]
pub struct Runtime {
    pub frontends: Vec<Arc<Frontend>>,
    pub backends: Vec<Arc<Backend>>,
    pub global: Arc<model::Global>,
    pub maxconn: ConnLimit,
    pub threads: usize,
    /// Process-wide counters for `show info`; shared by every generation.
    pub process: &'static crate::stats::ProcessStats,
    /// Names of the enabled proxies in declaration order (`show stat` order).
    pub proxy_order: Vec<String>,
    /// Stick tables by name (`stick-table` lines); a reload may carry
    /// them over with `TableRegistry::from_config_with`.
    pub tables: Arc<crate::stick::TableRegistry>,
    /// ACL and map pattern lists of this generation (`show map`, `add acl`...):
    /// every condition and `map` converter of the runtime is compiled into it.
    pub patterns: Arc<crate::pattern::PatternRegistry>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("Proxy '{proxy}': unable to find required default_backend: '{backend}'.")]
    MissingBackend { proxy: String, backend: String },
    #[error("config : proxy '{proxy}' : {msg}")]
    Rules { proxy: String, msg: String },
    #[error("config : [{file}:{line}] : 'server {proxy}/{server}' : could not resolve address '{host}'.")]
    Resolve {
        proxy: String,
        server: String,
        host: String,
        file: String,
        line: usize,
    },
}

/// Global maxconn when neither the config nor `-n` sets it. HAProxy derives it
/// from the file-descriptor limit; a fixed, generous value is simpler to reason
/// about and still bounds memory.
pub const DEFAULT_GLOBAL_MAXCONN: u32 = 4096;
impl Runtime {
    pub fn build(cfg: &Config) -> Result<Runtime, BuildError> {
        Self::build_with(cfg, None)
    }

    /// Like [`build`](Self::build), taking over the stick tables of
    /// `old_tables` whose definition did not change (a reload keeps their
    /// entries and counters).
    pub fn build_with(
        cfg: &Config,
        old_tables: Option<&crate::stick::TableRegistry>,
    ) -> Result<Runtime, BuildError> {
        Self::build_timed(cfg, old_tables, &mut |_, _| {})
    }

    /// [`build_with`](Self::build_with), telling `phase` how long each part
    /// of the build took (reload timing).
    pub fn build_timed(
        cfg: &Config,
        old_tables: Option<&crate::stick::TableRegistry>,
        phase: &mut dyn FnMut(&'static str, std::time::Duration),
    ) -> Result<Runtime, BuildError> {
        let mut clock = std::time::Instant::now();
        let mut lap = |name: &'static str| {
            let now = std::time::Instant::now();
            phase(name, now - clock);
            clock = now;
        };
        let threads = cfg
            .global
            .nbthread
            .map(|n| n.max(1) as usize)
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            });
        crate::stats::counters::size_shards(threads);
        let global_maxconn = cfg.global.maxconn.unwrap_or(DEFAULT_GLOBAL_MAXCONN);
        // Automatic proxy ids start at 1 in declaration order, skipping ids
        // already claimed with `id`. A global `stats socket` creates 2.6's
        // internal CLI proxy first, which takes 1: user proxies start at 2.
        let mut used: Vec<u32> = cfg.proxies.iter().filter_map(|p| p.id).collect();
        if !cfg.global.stats_sockets.is_empty() {
            used.push(1);
        }
        let mut next_id = 1u32;
        let mut ids = Vec::with_capacity(cfg.proxies.len());
        for p in &cfg.proxies {
            let id = match p.id {
                Some(id) => id,
                None => {
                    while used.contains(&next_id) {
                        next_id += 1;
                    }
                    used.push(next_id);
                    next_id
                }
            };
            ids.push(id);
        }

        // Sized once: regrowing three maps of 1,000 names rehashed each
        // name at every doubling.
        let n = cfg.proxies.len();
        let mut backends = Vec::with_capacity(n);
        let mut by_name: HashMap<&str, Arc<Backend>> = HashMap::with_capacity(n);
        let mut rules_by_name: HashMap<&str, Arc<ProxyRules>> = HashMap::with_capacity(n);
        let patterns = Arc::new(crate::pattern::PatternRegistry::new());
        let tables = Arc::new(match old_tables {
            Some(old) => crate::stick::TableRegistry::from_config_with(cfg, old),
            None => crate::stick::TableRegistry::from_config(cfg),
        });
        let mut book = RuleBook {
            tables: tables.clone(),
            backends: HashMap::with_capacity(n),
            ..RuleBook::default()
        };
        lap("ids+stick tables");
        for p in cfg.proxies.iter().filter(|p| !p.disabled) {
            let r = ProxyRules::compile(p, &patterns).map_err(|msg| BuildError::Rules {
                proxy: p.name.clone(),
                msg,
            })?;
            rules_by_name.insert(p.name.as_str(), Arc::new(r));
        }
        lap("rules+patterns");
        for (p, id) in cfg.proxies.iter().zip(&ids) {
            if p.cap.backend && !p.disabled {
                let be = Arc::new(Backend::build(p, *id, &patterns)?);
                by_name.insert(p.name.as_str(), be.clone());
                if let Some(r) = rules_by_name.get(p.name.as_str()) {
                    book.backends
                        .insert(p.name.clone(), (be.clone(), r.clone()));
                }
                backends.push(be);
            }
        }
        lap("backends+servers");
        for ul in &cfg.userlists {
            book.userlists.insert(ul.name.clone(), ul.clone());
        }
        let book = Arc::new(book);
        let find = |proxy: &str, name: &str| {
            by_name
                .get(name)
                .cloned()
                .ok_or_else(|| BuildError::MissingBackend {
                    proxy: proxy.to_string(),
                    backend: name.to_string(),
                })
        };
        let global = Arc::new(cfg.global.clone());
        let mut frontends = Vec::new();
        for (p, id) in cfg.proxies.iter().zip(&ids) {
            if !p.cap.frontend || p.disabled {
                continue;
            }
            let default_backend = match &p.default_backend {
                Some(name) => Some(find(&p.name, name)?),
                None if p.cap.backend => by_name.get(p.name.as_str()).cloned(),
                None => None,
            };
            for u in p.use_backends.iter().filter(|u| !u.dynamic) {
                find(&p.name, &u.backend)?;
            }
            let default_rules = default_backend
                .as_ref()
                .and_then(|b| book.backends.get(&b.name))
                .map(|(_, r)| r.clone());
            let use_backend = match p.use_backends.first() {
                Some(u) if !u.dynamic && u.cond.is_none() => Some(find(&p.name, &u.backend)?),
                _ => None,
            };
            frontends.push(Arc::new(Frontend {
                name: p.name.clone(),
                id: *id,
                mode: p.mode,
                conf: p.clone(),
                global: global.clone(),
                maxconn: Some(ConnLimit::new(p.maxconn.unwrap_or(global_maxconn))),
                default_backend,
                default_rules,
                use_backend,
                rules: rules_by_name
                    .get(p.name.as_str())
                    .cloned()
                    .unwrap_or_default(),
                book: book.clone(),
                total: std::sync::atomic::AtomicU64::new(0),
                stats: crate::stats::ProxyCounters::default(),
            }));
        }
        lap("frontends");
        // fullconn defaults to 10% of the sum of the maxconn of the
        // frontends that may send traffic to the backend.
        for be in &backends {
            if be.conf.fullconn.is_none() {
                let sum: u64 = frontends
                    .iter()
                    .filter(|f| {
                        f.default_backend
                            .as_ref()
                            .is_some_and(|b| Arc::ptr_eq(b, be))
                            || f.conf
                                .use_backends
                                .iter()
                                .any(|u| !u.dynamic && u.backend == be.name)
                    })
                    .map(|f| {
                        u64::from(
                            f.maxconn
                                .as_ref()
                                .map(|m| m.max())
                                .unwrap_or(global_maxconn),
                        )
                    })
                    .sum();
                let full = (sum / 10).clamp(1, u64::from(u32::MAX)) as u32;
                be.fullconn
                    .store(full, std::sync::atomic::Ordering::Relaxed);
            }
        }
        lap("fullconn");
        Ok(Runtime {
            frontends,
            backends,
            global,
            maxconn: ConnLimit::new(global_maxconn),
            threads,
            process: crate::stats::ProcessStats::global(),
            proxy_order: cfg
                .proxies
                .iter()
                .filter(|p| !p.disabled)
                .map(|p| p.name.clone())
                .collect(),
            tables,
            patterns,
        })
    }
}
