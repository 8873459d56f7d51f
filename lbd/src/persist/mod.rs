//! Server persistence: the server a request must go to before the balance
//! algorithm is asked, in 2.6's order: `force-persist`/`ignore-persist`
//! (flags only), `use-server`, then `stick match|on`. `stick on` and
//! `stick store-*` keys are recorded with the server once it is known.
//!
//! A persisted server that is down is only used with `option persist` or
//! `force-persist`; otherwise the request is balanced as if nothing had
//! matched (2.6's `SRV_ST_STOPPED` checks). The connect path then redispatches
//! away from a dead persisted server under `option redispatch`, or answers 503.
//!
//! No I/O: the sessions call [`Persistence::on_request`] with their sample
//! context, connect, then [`Persistence::store`].

use crate::config::model::ServerPort;
use crate::connect::Forced;
use crate::http::ctx::{stick_key, RuleCtx};
use crate::http::rules::ProxyRules;
use crate::runtime::{Backend, ServerAddrRt, ServerRt};
use crate::stick::{SrvKey, StickKey, StickRuleKind, StickTable, TableRegistry};
use std::sync::Arc;

/// What persistence decided for one request.
#[derive(Debug, Default)]
pub struct Persistence {
    /// The server to use, if persistence chose one.
    pub forced: Option<Forced>,
    /// A `force-persist` rule matched.
    pub force_persist: bool,
    /// An `ignore-persist` rule matched (cookies are then not looked at).
    pub ignore_persist: bool,
    /// Keys to record with the chosen server: `stick on|store-request`
    /// first, then `store-response` ones.
    stores: Vec<(Arc<StickTable>, StickKey)>,
    /// How many of `stores` came from the request.
    req_stores: usize,
}

/// 2.6 records at most this many keys per stream (`s->store`).
const MAX_STORES: usize = 8;

impl Persistence {
    /// Runs the persist, `use-server` and request-side `stick` rules of
    /// backend `be` (`rules` are its compiled rules).
    pub fn on_request(
        be: &Backend,
        rules: &ProxyRules,
        tables: &TableRegistry,
        cx: &mut RuleCtx<'_>,
    ) -> Persistence {
        let mut p = Persistence::default();
        for r in &rules.persist {
            if r.cond.as_ref().is_none_or(|c| c.holds(cx)) {
                if r.action {
                    p.force_persist = true;
                } else {
                    p.ignore_persist = true;
                }
                break;
            }
        }
        for r in &rules.use_servers {
            if !r.cond.as_ref().is_none_or(|c| c.holds(cx)) {
                continue;
            }
            let Some(idx) = be.servers.iter().position(|s| s.name == r.action) else {
                break;
            };
            if p.may_use(be, idx) {
                p.assign(idx);
                break;
            }
            // A down server lets the next rule have its say, as in 2.6.
        }
        for r in &rules.sticks {
            if r.action.kind == StickRuleKind::StoreResponse {
                continue;
            }
            let Some(table) = tables.get(r.action.table.as_deref().unwrap_or(&be.name)) else {
                continue;
            };
            let is_store = r.action.kind != StickRuleKind::Match;
            // Only the first store rule of each table applies.
            if is_store && p.stores.iter().any(|(t, _)| Arc::ptr_eq(t, table)) {
                continue;
            }
            if !r.cond.as_ref().is_none_or(|c| c.holds(cx)) {
                continue;
            }
            let Some(key) =
                r.c.expr
                    .as_ref()
                    .and_then(|e| e.eval(cx))
                    .and_then(|s| stick_key(table, &s))
            else {
                continue;
            };
            let now = crate::stick::clock::now_ms();
            if r.action.kind != StickRuleKind::StoreRequest {
                if let Some(e) = table.lookup(&key, now) {
                    if p.forced.is_none() {
                        if let Some(idx) = find_target(be, table, e.server_key(), e.server_id()) {
                            if p.may_use(be, idx) {
                                p.assign(idx);
                            }
                        }
                    }
                }
            }
            if is_store && p.stores.len() < MAX_STORES {
                p.stores.push((table.clone(), key));
            }
        }
        p.req_stores = p.stores.len();
        p
    }

    /// Runs the `stick store-response` rules over the response in `cx`.
    pub fn on_response(
        &mut self,
        be: &Backend,
        rules: &ProxyRules,
        tables: &TableRegistry,
        cx: &mut RuleCtx<'_>,
    ) {
        for r in &rules.sticks {
            if r.action.kind != StickRuleKind::StoreResponse {
                continue;
            }
            let Some(table) = tables.get(r.action.table.as_deref().unwrap_or(&be.name)) else {
                continue;
            };
            if self.stores[self.req_stores..]
                .iter()
                .any(|(t, _)| Arc::ptr_eq(t, table))
            {
                continue;
            }
            if !r.cond.as_ref().is_none_or(|c| c.holds(cx)) {
                continue;
            }
            let key =
                r.c.expr
                    .as_ref()
                    .and_then(|e| e.eval(cx))
                    .and_then(|s| stick_key(table, &s));
            if let Some(key) = key {
                if self.stores.len() < MAX_STORES {
                    self.stores.push((table.clone(), key));
                }
            }
        }
    }

    /// Records every pending key with `server` (2.6's `process_store_rules`).
    pub fn store(&mut self, server: &ServerRt) {
        let now = crate::stick::clock::now_ms();
        for (table, key) in self.stores.drain(..) {
            let skey: Option<Arc<str>> = match table.def().srvkey {
                SrvKey::Name => Some(server.name.as_str().into()),
                SrvKey::Addr => Some(addr_key(&server.addr.load()).into()),
            };
            if let Some(e) = table.track(&key, now) {
                e.set_server(server.id as i32, skey, now);
                e.release(now);
            }
        }
        self.req_stores = 0;
    }

    /// Whether persistence may send the request to server `idx`: it is up,
    /// or `option persist` / `force-persist` say to try it anyway.
    fn may_use(&self, be: &Backend, idx: usize) -> bool {
        be.servers.get(idx).is_some_and(|s| s.is_usable())
            || be.conf.options.persist
            || self.force_persist
    }

    fn assign(&mut self, index: usize) {
        self.forced = Some(Forced {
            index,
            force_persist: self.force_persist,
        });
    }
}

/// The server an entry sticks to: by its recorded name or address when the
/// table has one (it survives id changes), else by `server_id`.
fn find_target(
    be: &Backend,
    table: &StickTable,
    key: Option<Arc<str>>,
    id: Option<i32>,
) -> Option<usize> {
    if let Some(k) = key {
        let by_key = match table.def().srvkey {
            SrvKey::Name => be.servers.iter().position(|s| *s.name == *k),
            SrvKey::Addr => be
                .servers
                .iter()
                .position(|s| addr_key(&s.addr.load()) == *k),
        };
        if by_key.is_some() {
            return by_key;
        }
    }
    let id = id?;
    be.servers.iter().position(|s| s.id as i32 == id)
}

/// A server's address as `srvkey addr` records it (`ip:port`).
fn addr_key(a: &ServerAddrRt) -> String {
    match a {
        ServerAddrRt::Ip {
            ip,
            port: ServerPort::Fixed(p),
        } => std::net::SocketAddr::new(*ip, *p).to_string(),
        ServerAddrRt::Ip { ip, .. } => ip.to_string(),
        ServerAddrRt::Unix(path) => path.display().to_string(),
        ServerAddrRt::Abstract(name) => format!("abns@{name}"),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tokenizer::ProcessEnv;
    use crate::runtime::Runtime;
    use crate::stick::{DataType, KeyInput, StickKey};

    fn runtime(text: &str, old: Option<&Runtime>) -> Runtime {
        let out = crate::config::load_str("t.cfg", text.as_bytes(), &ProcessEnv);
        let Some(cfg) = out.config else {
            panic!("config refused: {:?}", out.diags);
        };
        match Runtime::build_with(&cfg, old.map(|o| &*o.tables)) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    /// A reload keeps a table whose definition did not change, entries and
    /// counters included; a changed table starts empty.
    #[test]
    fn stick_tables_survive_a_reload() {
        let base = "defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nlisten l\n    bind 127.0.0.1:8000\n    stick-table type ip size 1k expire 1m store conn_cnt\n    stick on src\n    server s1 127.0.0.1:1\n";
        let old = runtime(base, None);
        let Some(t) = old.tables.get("l") else {
            panic!("no table");
        };
        let key = StickKey::from_input(KeyInput::Ipv4([10, 0, 0, 1].into()), t.def().key_type, 4);
        let Some(key) = key else { panic!("key") };
        let now = crate::stick::clock::now_ms();
        if let Some(e) = t.track(&key, now) {
            e.on_conn(now);
        }
        let same = runtime(base, Some(&old));
        let kept = same
            .tables
            .get("l")
            .and_then(|t| t.get(&key, DataType::ConnCnt, now));
        assert_eq!(kept, Some(1));
        let changed = runtime(&base.replace("size 1k", "size 2k"), Some(&old));
        let gone = changed
            .tables
            .get("l")
            .and_then(|t| t.get(&key, DataType::ConnCnt, now));
        assert_eq!(gone, None);
    }
}
