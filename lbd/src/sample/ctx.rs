//! What a sample fetch may ask of the session it runs in.
//!
//! The sessions (HTTP, TCP) implement [`SampleCtx`] over what they already
//! hold, borrowing: no fetch copies a request to look at it. Stick-table
//! counters, variables and TLS details are delegated the same way, so this
//! module knows nothing of how they are stored.

use super::Sample;
use std::collections::HashMap;
use std::net::SocketAddr;

/// One HTTP message (request or response) as the fetches see it.
pub trait HttpMsg {
    fn method(&self) -> &[u8];
    fn uri(&self) -> &[u8];
    /// The response status; None on a request.
    fn status(&self) -> Option<u16>;
    fn header_count(&self) -> usize;
    /// Header `i` (0-based, in wire order) as (name, value).
    fn header(&self, i: usize) -> (&[u8], &[u8]);
    /// The body, when buffered (`option http-buffer-request`).
    fn body(&self) -> Option<&[u8]>;
    /// The version as on the wire, e.g. `HTTP/1.1`.
    fn version(&self) -> &[u8] {
        b"HTTP/1.1"
    }
}

/// Variable scopes (`var(txn.x)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarScope {
    Proc,
    Sess,
    Txn,
    Req,
    Res,
}

impl VarScope {
    pub fn parse(s: &str) -> Option<VarScope> {
        Some(match s {
            "proc" => VarScope::Proc,
            "sess" => VarScope::Sess,
            "txn" => VarScope::Txn,
            "req" => VarScope::Req,
            "res" => VarScope::Res,
            _ => return None,
        })
    }

    /// Splits `txn.name` into its scope and name.
    pub fn split(full: &str) -> Option<(VarScope, &str)> {
        let (s, n) = full.split_once('.')?;
        if n.is_empty() {
            return None;
        }
        Some((VarScope::parse(s)?, n))
    }
}

/// A stick-table counter a fetch reads or increments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StickCounter {
    ConnCnt,
    ConnCur,
    ConnRate,
    SessCnt,
    SessRate,
    HttpReqCnt,
    HttpReqRate,
    HttpErrCnt,
    HttpErrRate,
    BytesInCnt,
    BytesInRate,
    BytesOutCnt,
    BytesOutRate,
    Gpc0,
    Gpc1,
    Gpc0Rate,
    Gpc1Rate,
    Gpt0,
    ServerId,
    /// `trackers`: how many sessions track the entry.
    Trackers,
    /// `clr_gpc0`: read then reset (used with `stick_inc`-style calls).
    ClrGpc0,
    ClrGpc1,
    /// `kbytes_in` / `kbytes_out`.
    KbytesIn,
    KbytesOut,
}

impl StickCounter {
    /// The counter a fetch suffix names (`http_req_rate`, `get_gpc0`...).
    pub fn from_suffix(s: &str) -> Option<StickCounter> {
        use StickCounter::*;
        Some(match s {
            "conn_cnt" => ConnCnt,
            "conn_cur" => ConnCur,
            "conn_rate" => ConnRate,
            "sess_cnt" => SessCnt,
            "sess_rate" => SessRate,
            "http_req_cnt" => HttpReqCnt,
            "http_req_rate" => HttpReqRate,
            "http_err_cnt" => HttpErrCnt,
            "http_err_rate" => HttpErrRate,
            "bytes_in_cnt" => BytesInCnt,
            "bytes_in_rate" => BytesInRate,
            "bytes_out_cnt" => BytesOutCnt,
            "bytes_out_rate" => BytesOutRate,
            "kbytes_in" => KbytesIn,
            "kbytes_out" => KbytesOut,
            "get_gpc0" => Gpc0,
            "get_gpc1" => Gpc1,
            "gpc0_rate" => Gpc0Rate,
            "gpc1_rate" => Gpc1Rate,
            "get_gpt0" => Gpt0,
            "server_id" => ServerId,
            "trackers" => Trackers,
            _ => return None,
        })
    }
}

/// Which stick-table entry a stick fetch looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum StickSource {
    /// `sc0_*`, `sc1_*`, `sc2_*`, `sc_*(n)`: the entry tracked by counter n.
    Tracked(u8),
    /// `src_*([table])` and `table_*(table)`: look the key up; None means the
    /// current proxy's own table.
    Key { table: Option<String>, key: Sample },
}

/// The state fetches' view of a backend (`nbsrv`, `be_conn`...).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyState {
    pub id: i64,
    /// Usable servers (`nbsrv`).
    pub nbsrv: i64,
    /// Current connections (`be_conn`).
    pub conn: i64,
    /// Requests queued in the backend (`queue`).
    pub queue: i64,
    /// Free connection slots plus free queue slots; -1 when unlimited.
    pub connslots: i64,
    pub sess_rate: i64,
}

/// One server as the state fetches see it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerState {
    pub id: i64,
    pub up: bool,
    pub conn: i64,
    pub queue: i64,
}

/// The front TLS connection, when there is one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInfo {
    pub sni: Option<String>,
    pub protocol: Option<String>,
    pub cipher: Option<String>,
    pub alpn: Option<String>,
    pub client_cert_used: bool,
    /// `ssl_c_verify`: 0 when the certificate verified.
    pub verify_result: Option<i64>,
    pub subject_dn: Option<String>,
    pub issuer_dn: Option<String>,
    /// Serial number bytes.
    pub serial: Option<Vec<u8>>,
}

/// Everything a fetch can read. Object-safe; methods borrow from the session.
pub trait SampleCtx {
    fn src(&self) -> Option<SocketAddr>;
    fn dst(&self) -> Option<SocketAddr>;
    fn req(&self) -> Option<&dyn HttpMsg>;
    fn res(&self) -> Option<&dyn HttpMsg>;
    /// The `tcp-request content` buffer.
    fn payload(&self) -> Option<&[u8]>;
    /// The `tcp-response content` buffer.
    fn res_payload(&self) -> Option<&[u8]> {
        None
    }
    fn frontend_name(&self) -> &str;
    fn backend_name(&self) -> Option<&str>;
    fn server_name(&self) -> Option<&str>;
    /// A backend's state; None means the current backend.
    fn proxy_state(&self, backend: Option<&str>) -> Option<ProxyState>;
    /// A server's state; `backend` None means the current backend.
    fn server_state(&self, _backend: Option<&str>, _server: &str) -> Option<ServerState> {
        None
    }
    fn var(&self, scope: VarScope, name: &str) -> Option<Sample>;
    /// Calls `f` on variable `name` without copying it when the context
    /// can lend it; None when the variable is not set.
    fn with_var(
        &self,
        scope: VarScope,
        name: &str,
        f: &mut dyn FnMut(&Sample) -> bool,
    ) -> Option<bool> {
        self.var(scope, name).map(|v| f(&v))
    }
    fn set_var(&mut self, scope: VarScope, name: &str, v: Sample);
    fn unset_var(&mut self, scope: VarScope, name: &str);
    fn stick(&mut self, src: StickSource, what: StickCounter) -> Option<i64>;
    /// `inc_gpc0` and friends: increments, then returns the new value.
    fn stick_inc(&mut self, src: StickSource, what: StickCounter) -> Option<i64>;
    fn tls(&self) -> Option<&TlsInfo>;
    /// The frontend's numeric id (`fe_id`).
    fn frontend_id(&self) -> i64 {
        0
    }
    /// The TLVs of the PROXY v2 header the client connection arrived with
    /// (`accept-proxy`), for the `fc_pp_*` fetches.
    fn proxy_tlvs(&self) -> Option<&crate::proxyproto::Tlvs> {
        None
    }
    /// The request's unique id (`unique-id-format`), when one is set.
    fn unique_id(&self) -> Option<&[u8]> {
        None
    }
    /// Whether this is the first request of the connection (`http_first_req`).
    fn first_request(&self) -> bool {
        true
    }
}

/// A request or response held by value, for tests and for [`TestCtx`].
#[derive(Debug, Clone, Default)]
pub struct OwnedMsg {
    pub method: Vec<u8>,
    pub uri: Vec<u8>,
    pub version: Vec<u8>,
    pub status: Option<u16>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Option<Vec<u8>>,
}

impl OwnedMsg {
    /// A request `method uri HTTP/1.1` with the given headers.
    pub fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> OwnedMsg {
        OwnedMsg {
            method: method.into(),
            uri: uri.into(),
            version: b"HTTP/1.1".to_vec(),
            status: None,
            headers: headers
                .iter()
                .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
            body: None,
        }
    }

    /// A response with `status` and the given headers.
    pub fn response(status: u16, headers: &[(&str, &str)]) -> OwnedMsg {
        let mut m = OwnedMsg::request("", "", headers);
        m.status = Some(status);
        m
    }
}

impl HttpMsg for OwnedMsg {
    fn method(&self) -> &[u8] {
        &self.method
    }
    fn uri(&self) -> &[u8] {
        &self.uri
    }
    fn status(&self) -> Option<u16> {
        self.status
    }
    fn header_count(&self) -> usize {
        self.headers.len()
    }
    fn header(&self, i: usize) -> (&[u8], &[u8]) {
        let (n, v) = &self.headers[i];
        (n, v)
    }
    fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }
    fn version(&self) -> &[u8] {
        &self.version
    }
}

/// A plain context for unit tests (and for evaluating constant expressions).
#[derive(Debug, Clone, Default)]
pub struct TestCtx {
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    pub req: Option<OwnedMsg>,
    pub res: Option<OwnedMsg>,
    pub payload: Option<Vec<u8>>,
    pub frontend: String,
    pub backend: Option<String>,
    pub server: Option<String>,
    pub proxies: HashMap<String, ProxyState>,
    pub servers: HashMap<(String, String), ServerState>,
    pub vars: HashMap<(VarScope, String), Sample>,
    /// Counters by (tracked counter number, counter).
    pub tracked: HashMap<(u8, StickCounter), i64>,
    /// Counters by (key as text, counter).
    pub keyed: HashMap<(String, StickCounter), i64>,
    pub tls: Option<TlsInfo>,
    pub proxy_tlvs: Option<crate::proxyproto::Tlvs>,
}

impl TestCtx {
    /// A context holding this request from 192.0.2.1:40000 to 127.0.0.1:80.
    pub fn with_request(req: OwnedMsg) -> TestCtx {
        TestCtx {
            src: "192.0.2.1:40000".parse().ok(),
            dst: "127.0.0.1:80".parse().ok(),
            req: Some(req),
            frontend: "fe".into(),
            backend: Some("be".into()),
            ..TestCtx::default()
        }
    }

    fn key_text(src: &StickSource) -> Option<String> {
        match src {
            StickSource::Key { key, .. } => Some(String::from_utf8_lossy(&key.to_text()).into()),
            StickSource::Tracked(_) => None,
        }
    }
}

impl SampleCtx for TestCtx {
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
        self.payload.as_deref()
    }
    fn frontend_name(&self) -> &str {
        &self.frontend
    }
    fn backend_name(&self) -> Option<&str> {
        self.backend.as_deref()
    }
    fn server_name(&self) -> Option<&str> {
        self.server.as_deref()
    }
    fn proxy_state(&self, backend: Option<&str>) -> Option<ProxyState> {
        let name = backend.or(self.backend.as_deref())?;
        self.proxies.get(name).copied()
    }
    fn server_state(&self, backend: Option<&str>, server: &str) -> Option<ServerState> {
        let be = backend.or(self.backend.as_deref())?;
        self.servers
            .get(&(be.to_string(), server.to_string()))
            .copied()
    }
    fn var(&self, scope: VarScope, name: &str) -> Option<Sample> {
        self.vars.get(&(scope, name.to_string())).cloned()
    }
    fn set_var(&mut self, scope: VarScope, name: &str, v: Sample) {
        self.vars.insert((scope, name.to_string()), v);
    }
    fn unset_var(&mut self, scope: VarScope, name: &str) {
        self.vars.remove(&(scope, name.to_string()));
    }
    fn stick(&mut self, src: StickSource, what: StickCounter) -> Option<i64> {
        match &src {
            StickSource::Tracked(n) => self.tracked.get(&(*n, what)).copied(),
            StickSource::Key { .. } => {
                let k = Self::key_text(&src)?;
                self.keyed.get(&(k, what)).copied()
            }
        }
    }
    fn stick_inc(&mut self, src: StickSource, what: StickCounter) -> Option<i64> {
        let slot = match &src {
            StickSource::Tracked(n) => self.tracked.entry((*n, what)).or_insert(0),
            StickSource::Key { .. } => {
                let k = Self::key_text(&src)?;
                self.keyed.entry((k, what)).or_insert(0)
            }
        };
        *slot += 1;
        Some(*slot)
    }
    fn proxy_tlvs(&self) -> Option<&crate::proxyproto::Tlvs> {
        self.proxy_tlvs.as_ref()
    }
    fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }
}
