//! The sessions' side of the sample engine: [`RuleCtx`] implements
//! [`SampleCtx`] over what an HTTP or TCP session already holds (the parse
//! buffer and its head indexes, no copy per header), and [`State`] holds
//! what rules leave behind: variables and tracked stick-table entries.

use crate::h1::{RequestHead, ResponseHead};
use crate::runtime::{Backend, Frontend};
use crate::sample::{
    HttpMsg, ProxyState, Sample, SampleCtx, ServerState, StickCounter, StickSource, TlsInfo,
    VarScope,
};
use crate::stick::{DataType, EntryRef, KeyInput, StickKey, StickTable};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock, Mutex};

/// `proc.*` variables, shared by every session.
static PROC_VARS: LazyLock<Mutex<HashMap<String, Sample>>> = LazyLock::new(Default::default);

/// What rules leave on a session: variables and tracked entries.
#[derive(Debug, Default)]
pub struct State {
    /// `sess.*` variables: the whole connection.
    sess_vars: Vec<(String, Sample)>,
    /// `txn.*`, `req.*`, `res.*`: one transaction. A transaction's end
    /// empties the values but keeps the names, so the next request on the
    /// connection sets its variables without allocating their names.
    txn_vars: Vec<(VarScope, String, Option<Sample>)>,
    /// Entries tracked by `tcp-request` rules (whole connection).
    pub sess_track: [Option<EntryRef>; 3],
    /// Entries tracked by `http-request`/`http-response` rules.
    pub txn_track: [Option<EntryRef>; 3],
    /// `http-response capture ... id N`: values for the declared response
    /// slots, put in the log record once the slots are filled.
    pub res_captures: Vec<(usize, Vec<u8>)>,
    /// The transaction's unique id (`unique-id-format`), for the
    /// `unique-id` fetch.
    pub unique_id: Option<Box<[u8]>>,
    /// A `tcp-request connection expect-proxy layer4` rule matched: the
    /// connection starts with a PROXY header.
    pub expect_proxy: bool,
}

impl State {
    /// A transaction ends: its variables and tracked entries go.
    pub fn end_txn(&mut self) {
        for v in &mut self.txn_vars {
            v.2 = None;
        }
        self.res_captures.clear();
        self.unique_id = None;
        release(&mut self.txn_track);
    }

    /// The entry tracked by counter `n`: the transaction's, else the
    /// connection's.
    pub fn tracked(&self, n: u8) -> Option<&EntryRef> {
        let n = usize::from(n).min(2);
        self.txn_track[n].as_ref().or(self.sess_track[n].as_ref())
    }

    /// Every distinct tracked entry, for the per-request counters.
    pub fn each_tracked(&self, mut f: impl FnMut(&EntryRef)) {
        for e in self.txn_track.iter().chain(&self.sess_track).flatten() {
            f(e);
        }
    }

    /// The state an h2/h3 stream's transaction starts with: a copy of the
    /// connection's `sess.*` variables (what its `tcp-request` rules set;
    /// what one stream sets stays its own) and handles on the entries those
    /// rules track, which count the stream's request without counting
    /// another connection. The clock is read only when something is tracked.
    pub fn for_stream(&self) -> State {
        let mut now = None;
        let sess_track = std::array::from_fn(|n| {
            let e = self.sess_track[n].as_ref()?;
            let now = *now.get_or_insert_with(crate::stick::clock::now_ms);
            e.table().track(e.key(), now)
        });
        State {
            sess_vars: self.sess_vars.clone(),
            sess_track,
            ..State::default()
        }
    }

    /// Ends the connection: every entry is released (conn_cur goes down).
    pub fn end_session(&mut self) {
        self.end_txn();
        release(&mut self.sess_track);
    }

    pub fn var(&self, scope: VarScope, name: &str) -> Option<Sample> {
        match scope {
            VarScope::Proc => PROC_VARS.lock().ok()?.get(name).cloned(),
            VarScope::Sess => self
                .sess_vars
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone()),
            _ => self
                .txn_vars
                .iter()
                .find(|(s, n, _)| *s == scope && n == name)
                .and_then(|(_, _, v)| v.clone()),
        }
    }

    /// A session or transaction variable, borrowed (`proc.*` ones live
    /// behind a lock and are not lent).
    pub fn var_ref(&self, scope: VarScope, name: &str) -> Option<&Sample> {
        match scope {
            VarScope::Proc => None,
            VarScope::Sess => self
                .sess_vars
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v),
            _ => self
                .txn_vars
                .iter()
                .find(|(s, n, _)| *s == scope && n == name)
                .and_then(|(_, _, v)| v.as_ref()),
        }
    }

    pub fn set_var(&mut self, scope: VarScope, name: &str, v: Sample) {
        match scope {
            VarScope::Proc => {
                if let Ok(mut m) = PROC_VARS.lock() {
                    m.insert(name.to_string(), v);
                }
            }
            VarScope::Sess => match self.sess_vars.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = v,
                None => self.sess_vars.push((name.to_string(), v)),
            },
            _ => match self
                .txn_vars
                .iter_mut()
                .find(|(s, n, _)| *s == scope && n == name)
            {
                Some(slot) => slot.2 = Some(v),
                None => self.txn_vars.push((scope, name.to_string(), Some(v))),
            },
        }
    }

    pub fn unset_var(&mut self, scope: VarScope, name: &str) {
        match scope {
            VarScope::Proc => {
                if let Ok(mut m) = PROC_VARS.lock() {
                    m.remove(name);
                }
            }
            VarScope::Sess => self.sess_vars.retain(|(n, _)| n != name),
            _ => self
                .txn_vars
                .retain(|(s, n, _)| !(*s == scope && n == name)),
        }
    }
}

/// Releases tracked entries. The clock is read only when there is one:
/// most configs track nothing, and this runs twice per transaction.
fn release(slots: &mut [Option<EntryRef>; 3]) {
    if slots.iter().all(Option::is_none) {
        return;
    }
    let now = crate::stick::clock::now_ms();
    for t in slots {
        if let Some(e) = t.take() {
            e.release(now);
        }
    }
}

/// A request head in its parse buffer.
pub struct ReqMsg<'a> {
    pub buf: &'a [u8],
    pub head: &'a RequestHead,
    pub body: Option<&'a [u8]>,
}

impl HttpMsg for ReqMsg<'_> {
    fn method(&self) -> &[u8] {
        self.head.method_raw.get(self.buf)
    }
    fn uri(&self) -> &[u8] {
        self.head.target.get(self.buf)
    }
    fn status(&self) -> Option<u16> {
        None
    }
    fn header_count(&self) -> usize {
        self.head.headers.len()
    }
    fn header(&self, i: usize) -> (&[u8], &[u8]) {
        let h = &self.head.headers[i];
        if h.dropped {
            return (b"", b"");
        }
        (h.name.get(self.buf), h.value.get(self.buf))
    }
    fn body(&self) -> Option<&[u8]> {
        self.body
    }
    fn version(&self) -> &[u8] {
        // As the request line wrote it, as 2.6's start line keeps it:
        // `HTTP/1.9` says 1.9, and h2/h3 requests bridged in say 2.0/3.0.
        let rest = self.buf.get(self.head.target.end..).unwrap_or(&[]);
        let line = &rest[..memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len())];
        match line.trim_ascii() {
            v if v.starts_with(b"HTTP/") && v.len() > 5 => v,
            _ => self.head.version.as_bytes(),
        }
    }
}

/// A response head in its parse buffer.
pub struct ResMsg<'a> {
    pub buf: &'a [u8],
    pub head: &'a ResponseHead,
}

impl HttpMsg for ResMsg<'_> {
    fn method(&self) -> &[u8] {
        b""
    }
    fn uri(&self) -> &[u8] {
        b""
    }
    fn status(&self) -> Option<u16> {
        Some(self.head.status)
    }
    fn header_count(&self) -> usize {
        self.head.headers.len()
    }
    fn header(&self, i: usize) -> (&[u8], &[u8]) {
        let h = &self.head.headers[i];
        if h.dropped {
            return (b"", b"");
        }
        (h.name.get(self.buf), h.value.get(self.buf))
    }
    fn body(&self) -> Option<&[u8]> {
        None
    }
    fn version(&self) -> &[u8] {
        self.head.version.as_bytes()
    }
}

/// Everything a fetch may read during rule evaluation.
pub struct RuleCtx<'a> {
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    pub req: Option<ReqMsg<'a>>,
    pub res: Option<ResMsg<'a>>,
    pub payload: Option<&'a [u8]>,
    /// What the server sent so far (`tcp-response content`).
    pub res_payload: Option<&'a [u8]>,
    pub fe: &'a Frontend,
    pub be: Option<&'a Backend>,
    pub server: Option<&'a str>,
    pub state: &'a mut State,
    pub first_request: bool,
    /// The client connection's TLS details (`ssl_fc*`, `ssl_c*`), converted
    /// for the sample engine on first use.
    pub tls: Option<&'a crate::tls::TlsInfo>,
    pub tls_sample: std::cell::OnceCell<Option<TlsInfo>>,
    /// The PROXY header received on an `accept-proxy` bind (`fc_pp_*`).
    pub proxy: Option<&'a crate::proxyproto::Header>,
}

impl<'a> RuleCtx<'a> {
    /// A context over the client connection alone: no message, no payload,
    /// no backend yet; callers fill in what their rule phase sees.
    pub fn new(
        info: &'a crate::session::ClientInfo,
        fe: &'a Frontend,
        state: &'a mut State,
    ) -> Self {
        RuleCtx {
            src: info.src,
            dst: info.dst,
            req: None,
            res: None,
            payload: None,
            res_payload: None,
            fe,
            be: None,
            server: None,
            state,
            first_request: true,
            tls: info.tls.as_deref(),
            tls_sample: std::cell::OnceCell::new(),
            proxy: info.proxy.as_deref(),
        }
    }
}

/// The stick-table data type a counter fetch reads.
fn data_type(c: StickCounter) -> Option<DataType> {
    use StickCounter::*;
    Some(match c {
        ConnCnt => DataType::ConnCnt,
        ConnCur => DataType::ConnCur,
        ConnRate => DataType::ConnRate,
        SessCnt => DataType::SessCnt,
        SessRate => DataType::SessRate,
        HttpReqCnt => DataType::HttpReqCnt,
        HttpReqRate => DataType::HttpReqRate,
        HttpErrCnt => DataType::HttpErrCnt,
        HttpErrRate => DataType::HttpErrRate,
        BytesInCnt | KbytesIn => DataType::BytesInCnt,
        BytesInRate => DataType::BytesInRate,
        BytesOutCnt | KbytesOut => DataType::BytesOutCnt,
        BytesOutRate => DataType::BytesOutRate,
        Gpc0 | ClrGpc0 => DataType::Gpc0,
        Gpc1 | ClrGpc1 => DataType::Gpc1,
        Gpc0Rate => DataType::Gpc0Rate,
        Gpc1Rate => DataType::Gpc1Rate,
        Gpt0 => DataType::Gpt0,
        ServerId => DataType::ServerId,
        Trackers => return None,
    })
}

/// A sample as a stick-table key of `table`'s type.
pub fn stick_key(table: &StickTable, s: &Sample) -> Option<StickKey> {
    let input = match s {
        Sample::Bool(b) => KeyInput::Bool(*b),
        Sample::Sint(i) => KeyInput::Int(*i),
        Sample::Ipv4(a) => KeyInput::Ipv4(*a),
        Sample::Ipv6(a) => KeyInput::Ipv6(*a),
        Sample::Str(v) | Sample::Meth(v) => KeyInput::Str(v),
        Sample::Bin(v) => KeyInput::Bin(v),
    };
    let def = table.def();
    StickKey::from_input(input, def.key_type, def.key_size)
}

impl RuleCtx<'_> {
    fn table(&self, name: Option<&str>) -> Option<&Arc<StickTable>> {
        let name = name.unwrap_or(&self.fe.name);
        self.fe.book.tables.get(name)
    }

    fn counter(e: &EntryRef, what: StickCounter, now: u64) -> Option<i64> {
        let v = e.get(data_type(what)?, now)?;
        Some(match what {
            StickCounter::KbytesIn | StickCounter::KbytesOut => v >> 10,
            _ => v,
        })
    }
}

impl SampleCtx for RuleCtx<'_> {
    fn src(&self) -> Option<SocketAddr> {
        self.src
    }
    fn dst(&self) -> Option<SocketAddr> {
        self.dst
    }
    fn req(&self) -> Option<&dyn HttpMsg> {
        self.req.as_ref().map(|m| m as &dyn HttpMsg)
    }
    fn res(&self) -> Option<&dyn HttpMsg> {
        self.res.as_ref().map(|m| m as &dyn HttpMsg)
    }
    fn payload(&self) -> Option<&[u8]> {
        self.payload
    }
    fn res_payload(&self) -> Option<&[u8]> {
        self.res_payload
    }
    fn frontend_name(&self) -> &str {
        &self.fe.name
    }
    fn backend_name(&self) -> Option<&str> {
        self.be.map(|b| b.name.as_str())
    }
    fn server_name(&self) -> Option<&str> {
        self.server
    }
    fn proxy_state(&self, backend: Option<&str>) -> Option<ProxyState> {
        let be = match backend {
            Some(n) => &self.fe.book.backends.get(n)?.0,
            None => self.be.or(self.fe.default_backend.as_deref())?,
        };
        let nbsrv = be.servers.iter().filter(|s| s.is_usable()).count() as i64;
        Some(ProxyState {
            id: i64::from(be.id),
            nbsrv,
            conn: i64::from(be.cur.load(Ordering::Relaxed)),
            queue: 0,
            connslots: -1,
            sess_rate: 0,
        })
    }
    fn server_state(&self, backend: Option<&str>, server: &str) -> Option<ServerState> {
        let be = match backend {
            Some(n) => &self.fe.book.backends.get(n)?.0,
            None => self.be.or(self.fe.default_backend.as_deref())?,
        };
        let s = be.servers.iter().find(|s| s.name == server)?;
        Some(ServerState {
            id: i64::from(s.id),
            up: s.is_usable(),
            conn: i64::from(s.cur.load(Ordering::Relaxed)),
            queue: 0,
        })
    }
    fn var(&self, scope: VarScope, name: &str) -> Option<Sample> {
        self.state.var(scope, name)
    }
    fn with_var(
        &self,
        scope: VarScope,
        name: &str,
        f: &mut dyn FnMut(&Sample) -> bool,
    ) -> Option<bool> {
        match self.state.var_ref(scope, name) {
            Some(v) => Some(f(v)),
            None => self.state.var(scope, name).map(|v| f(&v)),
        }
    }
    fn set_var(&mut self, scope: VarScope, name: &str, v: Sample) {
        self.state.set_var(scope, name, v);
    }
    fn unset_var(&mut self, scope: VarScope, name: &str) {
        self.state.unset_var(scope, name);
    }
    fn stick(&mut self, src: StickSource, what: StickCounter) -> Option<i64> {
        let now = crate::stick::clock::now_ms();
        match src {
            StickSource::Tracked(n) => Self::counter(self.state.tracked(n)?, what, now),
            StickSource::Key { table, key } => {
                let t = self.table(table.as_deref())?.clone();
                let k = stick_key(&t, &key)?;
                match what {
                    StickCounter::Trackers => None,
                    _ => t.get(&k, data_type(what)?, now).map(|v| match what {
                        StickCounter::KbytesIn | StickCounter::KbytesOut => v >> 10,
                        _ => v,
                    }),
                }
            }
        }
    }
    fn stick_inc(&mut self, src: StickSource, what: StickCounter) -> Option<i64> {
        let now = crate::stick::clock::now_ms();
        let inc = |e: &EntryRef| match what {
            StickCounter::Gpc0 => e.inc_gpc0(now),
            StickCounter::Gpc1 => e.inc_gpc1(now),
            StickCounter::ClrGpc0 => e.clr_gpc0(now),
            _ => None,
        };
        match src {
            StickSource::Tracked(n) => inc(self.state.tracked(n)?),
            StickSource::Key { table, key } => {
                let t = self.table(table.as_deref())?.clone();
                let k = stick_key(&t, &key)?;
                let e = t.lookup(&k, now)?;
                inc(&e)
            }
        }
    }
    fn tls(&self) -> Option<&TlsInfo> {
        self.tls_sample
            .get_or_init(|| self.tls.map(|t| t.to_sample()))
            .as_ref()
    }
    fn frontend_id(&self) -> i64 {
        i64::from(self.fe.id)
    }
    fn proxy_tlvs(&self) -> Option<&crate::proxyproto::Tlvs> {
        self.proxy.map(|h| &h.tlvs)
    }
    fn first_request(&self) -> bool {
        self.first_request
    }
    fn unique_id(&self) -> Option<&[u8]> {
        self.state.unique_id.as_deref()
    }
}
