//! Server persistence: the server a request must go to before the balance
//! algorithm is asked, in 2.6's order: `force-persist`/`ignore-persist`
//! (flags only), the `cookie` (module [`cookie`]), `use-server`, then
//! `stick match|on`. `stick on` and
//! `stick store-*` keys are recorded with the server once it is known.
//!
//! A persisted server that is down is only used with `option persist` or
//! `force-persist`; otherwise the request is balanced as if nothing had
//! matched (2.6's `SRV_ST_STOPPED` checks). The connect path then redispatches
//! away from a dead persisted server under `option redispatch`, or answers 503.
//!
//! No I/O: the sessions call [`Persistence::on_request`] with their sample
//! context, connect, then [`Persistence::store`].

pub mod cookie;

use crate::config::model::{CookieCapture, ServerPort};
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
    /// The cookie's findings, when the backend has a `cookie` or the
    /// frontend a `capture cookie`.
    cookie: Option<cookie::CookieTxn>,
    /// The request head with its `Cookie` headers rewritten, to send
    /// instead of the client's.
    cookie_head: Option<Vec<u8>>,
    /// The frontend's `capture cookie`, kept for the response.
    capture: Option<CookieCapture>,
}

/// A backend's servers as the cookie sees them: their `cookie`, else the
/// dynamic one (computed per request, only for `cookie ... dynamic`, as the
/// address may change at run time).
struct CookieView<'a> {
    servers: &'a [Arc<ServerRt>],
    dynamic: Vec<Option<String>>,
}

impl<'a> CookieView<'a> {
    fn new(be: &'a Backend) -> Self {
        let key = be
            .conf
            .dynamic_cookie_key
            .as_deref()
            .filter(|_| be.conf.cookie.as_ref().is_some_and(|c| c.dynamic));
        let dynamic = match key {
            Some(k) => be
                .servers
                .iter()
                .map(|s| match (&s.conf.cookie, &**s.addr.load()) {
                    (None, ServerAddrRt::Ip { ip, port }) => {
                        let p = match port {
                            ServerPort::Fixed(p) => u32::from(*p),
                            ServerPort::FromClient(off) => *off as u32,
                        };
                        Some(cookie::dynamic_cookie(k, *ip, p))
                    }
                    _ => None,
                })
                .collect(),
            None => Vec::new(),
        };
        CookieView {
            servers: &be.servers,
            dynamic,
        }
    }
}

impl cookie::CookieServers for CookieView<'_> {
    fn count(&self) -> usize {
        self.servers.len()
    }
    fn cookie(&self, i: usize) -> Option<&str> {
        let s = self.servers.get(i)?;
        s.conf
            .cookie
            .as_deref()
            .or_else(|| self.dynamic.get(i)?.as_deref())
    }
    fn running(&self, i: usize) -> bool {
        self.servers.get(i).is_some_and(|s| s.is_usable())
    }
}

/// Wall-clock seconds, the time cookie dates are written in.
fn unix_now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
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
        if let Some(req) = &cx.req {
            let capture = cx.fe.conf.capture_cookie.as_ref();
            p.cookie_request(be, capture, req.buf, req.head);
        }
        for r in &rules.use_servers {
            if p.forced.is_some() {
                break;
            }
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
        self.req_stores = 0;
        if self.stores.is_empty() {
            // No clock read for the common case: nothing to store.
            return;
        }
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
    }

    /// Reads the request's `Cookie` headers (2.6's
    /// `http_manage_client_side_cookies`).
    fn cookie_request(
        &mut self,
        be: &Backend,
        capture: Option<&CookieCapture>,
        buf: &[u8],
        head: &crate::h1::RequestHead,
    ) {
        let conf = be.conf.cookie.as_ref();
        if conf.is_none() && capture.is_none() {
            return;
        }
        let flags = cookie::PersistFlags {
            ignore: self.ignore_persist,
            force: self.force_persist,
            option_persist: be.conf.options.persist,
        };
        let now = unix_now();
        let mut txn = cookie::CookieTxn::default();
        let view = CookieView::new(be);
        let mut changes = Vec::new();
        for (i, h) in head.headers.iter().enumerate() {
            if h.dropped || !h.name.get(buf).eq_ignore_ascii_case(b"cookie") {
                continue;
            }
            let value = h.value.get(buf);
            match txn.request_header(value, conf, capture, &view, flags, now) {
                cookie::HeaderChange::Keep => {}
                c => changes.push((i, c)),
            }
        }
        if let Some(i) = txn.direct {
            self.assign(i);
        }
        self.capture = capture.cloned();
        if !changes.is_empty() {
            self.cookie_head = Some(cookie::request_head(buf, head, &changes));
        }
        self.cookie = Some(txn);
    }

    /// The request head to send instead of the client's, when the cookie
    /// rewrote a `Cookie` header (`indirect`, `prefix`).
    pub fn take_cookie_head(&mut self) -> Option<Vec<u8>> {
        self.cookie_head.take()
    }

    /// Handles the server's `Set-Cookie` headers and the insertion of
    /// ours (2.6's `http_manage_server_side_cookies` and what follows it
    /// in `http_process_res_common`). `server` answered; `redispatched`:
    /// the request left the server its cookie chose. Returns the new
    /// response head when anything changed.
    pub fn cookie_response(
        &mut self,
        be: &Backend,
        server: usize,
        redispatched: bool,
        method: crate::h1::Method,
        resp: &crate::h1::ResponseHead,
        buf: &[u8],
    ) -> Option<Vec<u8>> {
        use crate::h1::Method;
        let txn = self.cookie.as_mut()?;
        if resp.status < 200 && resp.status != 101 {
            return None;
        }
        let conf = be.conf.cookie.as_ref();
        let flags = cookie::PersistFlags {
            ignore: self.ignore_persist,
            force: self.force_persist,
            option_persist: be.conf.options.persist,
        };
        let safe = matches!(
            method,
            Method::Get | Method::Head | Method::Options | Method::Trace
        );
        let view = CookieView::new(be);
        let ex = cookie::Exchange {
            server_cookie: cookie::CookieServers::cookie(&view, server),
            direct: txn.direct == Some(server) && !redispatched,
            is_post: method == Method::Post,
            flags,
            cacheable: conf.is_some_and(|c| c.nocache) && cookie::cacheable(safe, resp, buf),
            now: unix_now(),
        };
        let capture = self.capture.as_ref();
        let mut changes = Vec::new();
        // Every Set-Cookie first, then every Set-Cookie2, as 2.6 walks them.
        for v2 in [false, true] {
            let name: &[u8] = if v2 { b"set-cookie2" } else { b"set-cookie" };
            for (i, h) in resp.headers.iter().enumerate() {
                if h.dropped || !h.name.get(buf).eq_ignore_ascii_case(name) {
                    continue;
                }
                let value = h.value.get(buf);
                let change = if v2 {
                    txn.response_header2(value, conf, capture, &ex)
                } else {
                    txn.response_header(value, conf, capture, &ex)
                };
                if change != cookie::HeaderChange::Keep {
                    changes.push((i, change));
                }
            }
        }
        changes.sort_by_key(|(i, _)| *i);
        let inserted = conf.and_then(|c| txn.insert(c, &ex));
        let mut append: Vec<(&str, &[u8])> = Vec::new();
        if let Some((v, private)) = &inserted {
            append.push(("Set-Cookie", v));
            if *private {
                append.push(("Cache-control", b"private"));
            }
        }
        if changes.is_empty() && append.is_empty() {
            return None;
        }
        Some(cookie::response_head(buf, resp, &changes, &append))
    }

    /// Puts the cookie's log fields in `rec`: the `%tsc` letters when the
    /// backend has a cookie, and the `capture cookie` values.
    pub fn log_cookie(&self, be: &Backend, rec: &mut crate::log::TxnLog) {
        let Some(txn) = &self.cookie else {
            return;
        };
        if be.conf.cookie.is_some() {
            rec.cookie_letters = Some(txn.letters());
        }
        rec.client_cookie.clone_from(&txn.captured_request);
        rec.server_cookie.clone_from(&txn.captured_response);
    }

    /// The cookie fields of the log for a request `deny` or `tarpit`
    /// answered: 2.6 reads the request's cookies then, for the capture and
    /// `%tsc`'s letters, with the backend's cookie once one is chosen
    /// (before, the frontend has none to read).
    pub fn log_refused(
        be: Option<&Backend>,
        capture: Option<&CookieCapture>,
        buf: &[u8],
        head: &crate::h1::RequestHead,
        rec: &mut crate::log::TxnLog,
    ) {
        let mut p = Persistence::default();
        if let Some(be) = be {
            p.cookie_request(be, capture, buf, head);
            p.log_cookie(be, rec);
            return;
        }
        let Some(capture) = capture else {
            return;
        };
        let none: &[(Option<&str>, bool)] = &[];
        let mut txn = cookie::CookieTxn::default();
        for h in head.headers.iter().filter(|h| !h.dropped) {
            if h.name.get(buf).eq_ignore_ascii_case(b"cookie") {
                let flags = cookie::PersistFlags::default();
                txn.request_header(h.value.get(buf), None, Some(capture), none, flags, 0);
            }
        }
        rec.client_cookie = txn.captured_request;
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
