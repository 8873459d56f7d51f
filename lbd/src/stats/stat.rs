//! `show stat`: one row per frontend, listener, server and backend, built
//! from the runtime into plain [`Row`] values (the snapshot), then printed
//! as CSV, typed lines or JSON. Which fields a row leaves empty follows
//! 2.6.12 exactly (captured from `show stat typed`, which omits them).

use super::counters::{now_ms, Ctr, ProxyCounters, ServerCounters};
use super::fields::{self, f, tag_names, Val, FIELDS, GENERIC, NFIELDS};
use crate::check::state::OpState;
use crate::config::model::{Balance, BindAddr, Mode};
use crate::runtime::{Backend, Frontend, Runtime, ServerAddrRt, ServerRt};
use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;

/// What a row describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Frontend,
    Backend,
    Server,
    Listener,
}

impl Kind {
    /// The `type` column, and the bit of the request's type mask.
    pub fn type_num(self) -> u32 {
        match self {
            Kind::Frontend => 0,
            Kind::Backend => 1,
            Kind::Server => 2,
            Kind::Listener => 3,
        }
    }

    fn letter(self) -> u8 {
        match self {
            Kind::Frontend => b'F',
            Kind::Backend => b'B',
            Kind::Server => b'S',
            Kind::Listener => b'L',
        }
    }

    fn obj_name(self) -> &'static str {
        match self {
            Kind::Frontend => "Frontend",
            Kind::Backend => "Backend",
            Kind::Server => "Server",
            Kind::Listener => "Listener",
        }
    }
}

/// One line of `show stat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub kind: Kind,
    pub iid: u32,
    pub sid: u32,
    /// [`NFIELDS`] values, without the `-` column.
    pub fields: Vec<Val>,
}

impl Row {
    fn new(kind: Kind, iid: u32, sid: u32, pxname: &str, svname: &str) -> Row {
        let mut fields = vec![Val::Empty; NFIELDS];
        fields[f::PXNAME] = Val::str(pxname);
        fields[f::SVNAME] = Val::str(svname);
        fields[f::PID] = Val::U(1);
        fields[f::IID] = Val::U(u64::from(iid));
        fields[f::SID] = Val::U(u64::from(sid));
        fields[f::TYPE] = Val::U(u64::from(kind.type_num()));
        Row {
            kind,
            iid,
            sid,
            fields,
        }
    }

    fn set(&mut self, pos: usize, v: impl Into<Val>) {
        self.fields[pos] = v.into();
    }

    fn set_all(&mut self, pos: &[usize], v: u64) {
        for &p in pos {
            self.fields[p] = Val::U(v);
        }
    }

    /// The `status` column.
    pub fn status(&self) -> &str {
        match &self.fields[f::STATUS] {
            Val::Str(s) => s,
            _ => "",
        }
    }

    /// CSV line: every field followed by a comma, `-` after the generic ones.
    pub fn csv(&self, out: &mut String) {
        for (i, v) in self.fields.iter().enumerate() {
            if i == GENERIC {
                out.push_str("-,");
            }
            v.csv(out);
            out.push(',');
        }
        out.push('\n');
    }

    /// `show stat typed`: one line per non-empty field.
    pub fn typed(&self, out: &mut String) {
        let k = self.kind.letter();
        for (i, v) in self.fields.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            let t = fields::tags_for(i, k);
            let _ = write!(
                out,
                "{}.{}.{}.{}.{}.1:{}{}{}:{}:",
                k as char,
                self.iid,
                self.sid,
                i,
                FIELDS[i].0,
                t[0] as char,
                t[1] as char,
                t[2] as char,
                FIELDS[i].2.name()
            );
            v.csv_raw(out);
            out.push('\n');
        }
    }

    /// `show stat json`: the row's array of field objects.
    pub fn json(&self, out: &mut String) {
        out.push('[');
        let mut first = true;
        for (i, v) in self.fields.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            let (o, n, s) = tag_names(fields::tags_for(i, self.kind.letter()));
            let _ = write!(
                out,
                "{{\"objType\":\"{}\",\"proxyId\":{},\"id\":{},\"field\":{{\"pos\":{},\"name\":\"{}\"}},\"processNum\":1,\"tags\":{{\"origin\":\"{o}\",\"nature\":\"{n}\",\"scope\":\"{s}\"}},\"value\":{{\"type\":\"{}\",\"value\":",
                self.kind.obj_name(),
                self.iid,
                self.sid,
                i,
                FIELDS[i].0,
                FIELDS[i].2.name()
            );
            v.json(out);
            out.push_str("}}");
        }
        out.push(']');
    }
}

impl From<u64> for Val {
    fn from(v: u64) -> Val {
        Val::U(v)
    }
}

impl From<u32> for Val {
    fn from(v: u32) -> Val {
        Val::U(u64::from(v))
    }
}

impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::str(v)
    }
}

impl From<String> for Val {
    fn from(v: String) -> Val {
        Val::str(v)
    }
}

impl Val {
    /// The value as the typed output prints it (no CSV quoting).
    fn csv_raw(&self, out: &mut String) {
        match self {
            Val::Str(s) => out.push_str(s),
            other => other.csv(out),
        }
    }
}

/// `show stat` output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatFormat {
    #[default]
    Csv,
    Typed,
    Json,
}

/// A proxy named in the filter: its numeric id, or its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatProxy {
    Id(u32),
    Name(String),
}

/// The arguments of `show stat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatRequest {
    pub proxy: Option<StatProxy>,
    /// Bit 1 frontends, 2 backends, 4 servers, 8 listeners; -1 all.
    pub types: i32,
    /// Server or listener id; -1 all.
    pub sid: i32,
    pub format: StatFormat,
    pub up_only: bool,
    pub no_maint: bool,
}

impl Default for StatRequest {
    fn default() -> Self {
        StatRequest {
            proxy: None,
            types: -1,
            sid: -1,
            format: StatFormat::Csv,
            up_only: false,
            no_maint: false,
        }
    }
}

impl StatRequest {
    /// Parses the words after `show stat`:
    /// `[domain proxy] [{<iid>|<proxy>} <type> <sid>] [typed|json] [desc] [up|no-maint]`.
    pub fn parse(args: &[&str]) -> Result<Self, String> {
        let mut req = StatRequest::default();
        let mut args = args;
        if args.first() == Some(&"domain") {
            match args.get(1) {
                Some(&"proxy") => args = &args[2..],
                Some(&"dns") => return Err("show stat domain dns is not supported.".into()),
                _ => return Err("Domain not specified\n".trim_end().into()),
            }
        }
        let is_kw = |a: &str| matches!(a, "typed" | "json" | "desc" | "up" | "no-maint");
        if let Some(first) = args.first().filter(|a| !is_kw(a)) {
            let (Some(ty), Some(sid)) = (args.get(1), args.get(2)) else {
                return Err("Require 'proxy' or 'proxy type sid'.".into());
            };
            req.proxy = match first.parse::<i32>() {
                Ok(-1) => None,
                Ok(id) if id > 0 => Some(StatProxy::Id(id as u32)),
                Ok(_) => return Err("No such proxy.".into()),
                Err(_) => Some(StatProxy::Name((*first).to_string())),
            };
            req.types = ty.parse().map_err(|_| "Invalid type.".to_string())?;
            req.sid = sid.parse().map_err(|_| "Invalid sid.".to_string())?;
            args = &args[3..];
        }
        for a in args {
            match *a {
                "typed" => req.format = StatFormat::Typed,
                "json" => req.format = StatFormat::Json,
                "desc" => {}
                "up" => req.up_only = true,
                "no-maint" => req.no_maint = true,
                // 2.6 ignores words it does not know here.
                _ => {}
            }
        }
        Ok(req)
    }

    fn wants(&self, kind: Kind) -> bool {
        self.types == -1 || self.types & (1 << kind.type_num()) != 0
    }
}

/// The proxies of the runtime in declaration order, each with its
/// frontend and backend halves.
pub fn proxies(rt: &Runtime) -> Vec<(Option<&Frontend>, Option<&Backend>)> {
    rt.proxy_order
        .iter()
        .map(|name| {
            (
                rt.frontends
                    .iter()
                    .find(|fe| &fe.name == name)
                    .map(|a| &**a),
                rt.backends.iter().find(|be| &be.name == name).map(|a| &**a),
            )
        })
        .filter(|(fe, be)| fe.is_some() || be.is_some())
        .collect()
}

/// Builds the rows `req` asks for. Err is the CLI's reply for an unknown proxy.
pub fn collect(rt: &Runtime, req: &StatRequest) -> Result<Vec<Row>, String> {
    let now = now_ms();
    let all = proxies(rt);
    if let Some(p) = &req.proxy {
        let found = all.iter().any(|(fe, be)| {
            let (id, name) = match (fe, be) {
                (Some(fe), _) => (fe.id, fe.name.as_str()),
                (None, Some(be)) => (be.id, be.name.as_str()),
                _ => return false,
            };
            match p {
                StatProxy::Id(i) => *i == id,
                StatProxy::Name(n) => n == name,
            }
        });
        if !found {
            return Err("No such proxy.".into());
        }
    }
    let mut rows = Vec::new();
    for (fe, be) in all {
        let (id, name) = match (fe, be) {
            (Some(fe), _) => (fe.id, fe.name.as_str()),
            (None, Some(be)) => (be.id, be.name.as_str()),
            _ => continue,
        };
        match &req.proxy {
            Some(StatProxy::Id(i)) if *i != id => continue,
            Some(StatProxy::Name(n)) if n != name => continue,
            _ => {}
        }
        if let Some(fe) = fe {
            if req.wants(Kind::Frontend) {
                rows.push(frontend_row(rt, fe, now));
            }
            if req.wants(Kind::Listener) && fe.conf.options.socket_stats {
                for row in listener_rows(fe) {
                    if req.sid == -1 || req.sid as u32 == row.sid {
                        rows.push(row);
                    }
                }
            }
        }
        if let Some(be) = be {
            if req.wants(Kind::Server) {
                for s in &be.servers {
                    if req.sid != -1 && req.sid as u32 != s.id {
                        continue;
                    }
                    let h = s.health.snapshot();
                    if req.no_maint && (h.maint || s.maint.load(Relaxed)) {
                        continue;
                    }
                    // `up` hides servers in maintenance and servers down
                    // for good (not on their way back up), as 2.6.
                    let maint = h.maint || s.maint.load(Relaxed);
                    let down_for_good = h.op == OpState::Stopped
                        && (h.check.is_none() && h.agent.is_none()
                            || h.agent.is_some_and(|a| a.value == 0)
                            || h.check.is_some_and(|c| c.value == 0));
                    if req.up_only && (maint || down_for_good) {
                        continue;
                    }
                    rows.push(server_row(be, s, now));
                }
            }
            if req.wants(Kind::Backend) {
                rows.push(backend_row(be, now, req.up_only || req.no_maint));
            }
        }
    }
    Ok(rows)
}

/// Renders `rows` in `format` (the CLI adds the final empty line).
pub fn render(rows: &[Row], format: StatFormat, out: &mut String) {
    match format {
        StatFormat::Csv => {
            fields::csv_header(out);
            for r in rows {
                r.csv(out);
            }
        }
        StatFormat::Typed => {
            for r in rows {
                r.typed(out);
            }
        }
        StatFormat::Json => {
            out.push('[');
            for (i, r) in rows.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                r.json(out);
            }
            out.push_str("]\n");
        }
    }
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Http => "http",
        Mode::Tcp => "tcp",
    }
}

/// The module columns (ssl, h2, h1) every frontend and backend row carries.
const MODULE_COLS: std::ops::Range<usize> = f::SSL_SESS..NFIELDS;
const SSL_COLS: [usize; 3] = [f::SSL_SESS, f::SSL_REUSED_SESS, f::SSL_FAILED_HANDSHAKE];

fn http_cols(row: &mut Row, c: &ProxyCounters) {
    let classes = [
        (f::HRSP_1XX, Ctr::Hrsp1xx),
        (f::HRSP_2XX, Ctr::Hrsp2xx),
        (f::HRSP_3XX, Ctr::Hrsp3xx),
        (f::HRSP_4XX, Ctr::Hrsp4xx),
        (f::HRSP_5XX, Ctr::Hrsp5xx),
        (f::HRSP_OTHER, Ctr::HrspOther),
    ];
    for (pos, ctr) in classes {
        row.set(pos, c.totals.get(ctr));
    }
}

fn frontend_row(rt: &Runtime, fe: &Frontend, now: u64) -> Row {
    let c = &fe.stats;
    let t = &c.totals;
    let mut row = Row::new(Kind::Frontend, fe.id, 0, &fe.name, "FRONTEND");
    let cur = fe.maxconn.as_ref().map(|m| m.current()).unwrap_or(0);
    row.set(f::SCUR, cur);
    row.set(f::SMAX, c.smax.load(Relaxed).max(cur));
    row.set(
        f::SLIM,
        fe.maxconn
            .as_ref()
            .map(|m| m.max())
            .unwrap_or(rt.maxconn.max()),
    );
    row.set(f::STOT, t.get(Ctr::Stot));
    row.set(f::BIN, t.get(Ctr::Bin));
    row.set(f::BOUT, t.get(Ctr::Bout));
    row.set(f::DREQ, t.get(Ctr::Dreq));
    row.set(f::DRESP, t.get(Ctr::Dresp));
    row.set(f::EREQ, t.get(Ctr::Ereq));
    row.set(f::STATUS, "OPEN");
    row.set(f::RATE, c.sess_rate.rate(now));
    row.set(f::RATE_LIM, 0u64);
    row.set(f::RATE_MAX, c.sess_rate.max(now));
    let http = fe.mode == Mode::Http;
    if http {
        http_cols(&mut row, c);
        row.set(f::INTERCEPTED, t.get(Ctr::Intercepted));
        row.set_all(&[f::CACHE_LOOKUPS, f::CACHE_HITS], 0);
    }
    row.set(f::REQ_RATE, c.req_rate.rate(now));
    row.set(f::REQ_RATE_MAX, c.req_rate.max(now));
    row.set(f::REQ_TOT, t.get(Ctr::ReqTot));
    row.set_all(&[f::COMP_IN, f::COMP_OUT, f::COMP_BYP, f::COMP_RSP], 0);
    row.set(f::MODE, mode_name(fe.mode));
    row.set(f::CONN_RATE, c.conn_rate.rate(now));
    row.set(f::CONN_RATE_MAX, c.conn_rate.max(now));
    row.set(f::CONN_TOT, t.get(Ctr::ConnTot));
    row.set(f::DCON, t.get(Ctr::Dcon));
    row.set(f::DSES, t.get(Ctr::Dses));
    row.set(f::WREW, t.get(Ctr::Wrew));
    row.set(f::EINT, t.get(Ctr::Eint));
    module_cols(&mut row, c, http, false);
    row
}

/// ssl, h2 and h1 module columns: TLS and HTTP/2 do not exist yet (0).
fn module_cols(row: &mut Row, c: &ProxyCounters, http: bool, backend: bool) {
    for p in MODULE_COLS {
        row.set(p, 0u64);
    }
    if http && !backend {
        let t = &c.totals;
        row.set(f::H1_TOTAL_CONNECTIONS, t.get(Ctr::H1Conns));
        row.set(f::H1_TOTAL_STREAMS, t.get(Ctr::H1Streams));
        row.set(f::H1_BYTES_IN, t.get(Ctr::Bin));
        row.set(f::H1_BYTES_OUT, t.get(Ctr::Bout));
    }
}

/// Listener rows (`option socket-stats`): one per bound address, named by
/// the bind's `name` or `sock-<id>`, with the columns 2.6 fills there.
fn listener_rows(fe: &Frontend) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut next = 1u32;
    let counters = fe.stats.listener_list();
    let mut idx = 0usize;
    for b in &fe.conf.binds {
        for a in &b.addrs {
            let id = match b.id {
                Some(id) if b.addrs.len() == 1 => id,
                _ => next,
            };
            next = next.max(id) + 1;
            let name = b.name.clone().unwrap_or_else(|| format!("sock-{id}"));
            let mut row = Row::new(Kind::Listener, fe.id, id, &fe.name, &name);
            row.set_all(&[f::DCON, f::DSES, f::WREW, f::EINT], 0);
            let (cur, smax, t) = match counters.get(idx) {
                Some(l) => (
                    l.cur.load(Relaxed),
                    l.c.smax.load(Relaxed),
                    Some(&l.c.totals),
                ),
                None => (0, 0, None),
            };
            idx += 1;
            let get = |c: Ctr| t.map(|t| t.get(c)).unwrap_or(0);
            row.set(f::SCUR, cur);
            row.set(f::SMAX, smax);
            row.set(f::STOT, get(Ctr::Stot));
            row.set(f::BIN, get(Ctr::Bin));
            row.set(f::BOUT, get(Ctr::Bout));
            row.set(f::DREQ, get(Ctr::Dreq));
            row.set(f::DRESP, get(Ctr::Dresp));
            row.set(f::EREQ, get(Ctr::Ereq));
            let slim = b.maxconn.unwrap_or(0);
            row.set(f::SLIM, slim);
            // 2.6's listener states: FULL when maxconn is reached.
            let full = slim > 0 && cur >= slim;
            row.set(f::STATUS, if full { "FULL" } else { "OPEN" });
            row.set(f::ADDR, bind_addr(a));
            row.set(f::MODE, mode_name(fe.mode));
            row.set_all(&SSL_COLS, 0);
            rows.push(row);
        }
    }
    rows
}

fn bind_addr(a: &BindAddr) -> String {
    match a {
        BindAddr::Tcp(sa) => sa.to_string(),
        BindAddr::Unix(_) | BindAddr::Abstract(_) => "unix".into(),
        BindAddr::Fd(n) => format!("fd@{n}"),
    }
}

fn server_addr(s: &ServerRt) -> String {
    match &**s.addr.load() {
        ServerAddrRt::Ip { ip, port } => {
            let port = match port {
                crate::config::model::ServerPort::Fixed(p) => *p as i64,
                crate::config::model::ServerPort::FromClient(off) => i64::from(*off),
            };
            match ip {
                std::net::IpAddr::V6(v6) => format!("[{v6}]:{port}"),
                std::net::IpAddr::V4(v4) => format!("{v4}:{port}"),
            }
        }
        _ => "unix".into(),
    }
}

/// The server's status word as 2.6's `srv_hlt_st`.
pub fn server_status(s: &ServerRt) -> String {
    let h = s.health.snapshot();
    if h.maint || s.maint.load(Relaxed) {
        return "MAINT".into();
    }
    // `disable health`: 2.6 shows the server as if it had no check.
    let check = h.check.filter(|_| s.check_enabled.load(Relaxed));
    match h.op {
        OpState::Running => {
            let going_down = check.is_some_and(|c| c.value < c.max());
            let word = if h.drain {
                if h.agent.is_some() {
                    return "DRAIN (agent)".into();
                }
                "DRAIN"
            } else if check.is_none() {
                return "no check".into();
            } else {
                "UP"
            };
            match check {
                Some(c) if going_down => {
                    format!("{word} {}/{}", (c.value + 1).saturating_sub(c.rise), c.fall)
                }
                _ => word.into(),
            }
        }
        OpState::Stopping => match check {
            Some(c) if c.value < c.max() => {
                format!("NOLB {}/{}", (c.value + 1).saturating_sub(c.rise), c.fall)
            }
            _ => "NOLB".into(),
        },
        OpState::Stopped => {
            if h.agent.is_some_and(|a| a.value == 0) {
                "DOWN (agent)".into()
            } else {
                match check {
                    Some(c) if c.value > 0 => format!("DOWN {}/{}", c.value, c.rise),
                    _ => "DOWN".into(),
                }
            }
        }
    }
}

fn timing_cols(row: &mut Row, c: &ServerCounters, samples: u64) {
    row.set(f::QTIME, c.qtime.avg(samples));
    row.set(f::CTIME, c.ctime.avg(samples));
    row.set(f::RTIME, c.rtime.avg(samples));
    row.set(f::TTIME, c.ttime.avg(samples));
    row.set(f::QTIME_MAX, c.qtime.max());
    row.set(f::CTIME_MAX, c.ctime.max());
    row.set(f::RTIME_MAX, c.rtime.max());
    row.set(f::TTIME_MAX, c.ttime.max());
}

fn lastsess(c: &ServerCounters, now: u64) -> Val {
    match c.last_sess_ms.load(Relaxed) {
        0 => Val::S(-1),
        t => Val::S((now.saturating_sub(t) / 1000) as i64),
    }
}

/// Columns servers and backends share.
fn be_common(row: &mut Row, c: &ServerCounters, mode: Mode, now: u64) {
    let t = &c.totals;
    row.set(f::STOT, t.get(Ctr::Stot));
    row.set(f::BIN, t.get(Ctr::Bin));
    row.set(f::BOUT, t.get(Ctr::Bout));
    row.set(f::DRESP, t.get(Ctr::Dresp));
    row.set(f::ECON, t.get(Ctr::Econ));
    row.set(f::ERESP, t.get(Ctr::Eresp));
    row.set(f::WRETR, t.get(Ctr::Wretr));
    row.set(f::WREDIS, t.get(Ctr::Wredis));
    row.set(f::LASTCHG, c.lastchg_s(now));
    row.set(f::LBTOT, t.get(Ctr::Lbtot));
    row.set(f::RATE, c.sess_rate.rate(now));
    row.set(f::RATE_MAX, c.sess_rate.max(now));
    if mode == Mode::Http {
        http_cols(row, c);
        row.set(f::REQ_TOT, t.get(Ctr::ReqTot));
    }
    row.set(f::CLI_ABRT, t.get(Ctr::CliAbrt));
    row.set(f::SRV_ABRT, t.get(Ctr::SrvAbrt));
    row.fields[f::LASTSESS] = lastsess(c, now);
    timing_cols(row, c, t.get(Ctr::Lbtot).max(t.get(Ctr::Stot)));
    row.set(f::MODE, mode_name(mode));
    row.set(f::WREW, t.get(Ctr::Wrew));
    row.set(f::CONNECT, t.get(Ctr::Connect));
    row.set(f::REUSE, t.get(Ctr::Reuse));
    row.set(f::EINT, t.get(Ctr::Eint));
}

fn server_row(be: &Backend, s: &ServerRt, now: u64) -> Row {
    let c = &s.stats;
    let h = s.health.snapshot();
    let mut row = Row::new(Kind::Server, be.id, s.id, &be.name, &s.name);
    let q = s.queue.len() as u32;
    let cur = s.cur.load(Relaxed);
    row.set(f::QCUR, q);
    row.set(f::QMAX, s.queue.max.load(Relaxed).max(q));
    row.set(f::SCUR, cur);
    row.set(f::SMAX, c.smax.load(Relaxed).max(cur));
    if let Some(m) = s.conf.maxconn.filter(|&m| m > 0) {
        row.set(f::SLIM, m);
    }
    be_common(&mut row, c, be.mode, now);
    row.set(f::STATUS, server_status(s));
    // A draining server keeps showing its weight (2.6 keeps its eweight and
    // only the balancer skips it); the backend's sum leaves it out.
    let weight = if h.drain {
        h.uweight
    } else {
        s.balanced_weight()
    };
    row.set(f::WEIGHT, weight);
    row.set(f::UWEIGHT, h.uweight);
    row.set(f::ACT, u32::from(!s.conf.backup));
    row.set(f::BCK, u32::from(s.conf.backup));
    if let Some(chk) = h.check.filter(|_| s.check_enabled.load(Relaxed)) {
        row.set(f::CHKFAIL, c.totals.get(Ctr::Chkfail));
        row.set(f::CHKDOWN, c.totals.get(Ctr::Chkdown));
        row.set(f::DOWNTIME, c.downtime_s(now));
        row.set(f::CHECK_RISE, chk.rise);
        row.set(f::CHECK_FALL, chk.fall);
        row.set(f::CHECK_HEALTH, chk.value);
        match &h.last_check {
            Some(r) => {
                row.set(f::CHECK_STATUS, r.status.name());
                if let Some(code) = r.code {
                    row.set(f::CHECK_CODE, u32::from(code));
                }
                row.set(f::CHECK_DURATION, r.duration_ms);
                row.set(f::CHECK_DESC, r.status.desc());
                if !r.info.is_empty() {
                    row.set(f::LAST_CHK, r.info.as_str());
                }
            }
            None => {
                row.set(f::CHECK_STATUS, "* INI");
                row.set(f::CHECK_DESC, "Initializing");
            }
        }
    }
    if let Some(agent) = h.agent {
        row.set(f::AGENT_RISE, agent.rise);
        row.set(f::AGENT_FALL, agent.fall);
        row.set(f::AGENT_HEALTH, agent.value);
        if let Some(r) = &h.last_agent {
            row.set(f::AGENT_STATUS, r.status.name());
            row.set(f::AGENT_DURATION, r.duration_ms);
            row.set(f::AGENT_DESC, r.status.desc());
            if !r.info.is_empty() {
                row.set(f::LAST_AGT, r.info.as_str());
            }
        }
    }
    if let Some(mq) = s.conf.maxqueue.filter(|&m| m > 0) {
        row.set(f::QLIMIT, mq);
    }
    if s.ramping() {
        let w = s.weight.load(Relaxed).max(1);
        row.set(f::THROTTLE, s.balanced_weight() * 100 / w);
    }
    row.set(f::ADDR, server_addr(s));
    if let Some(ck) = &s.conf.cookie {
        row.set(f::COOKIE, ck.as_str());
    }
    row.set_all(
        &[
            f::SRV_ICUR,
            f::IDLE_CONN_CUR,
            f::SAFE_CONN_CUR,
            f::USED_CONN_CUR,
            f::NEED_CONN_EST,
        ],
        0,
    );
    row.set_all(&SSL_COLS, 0);
    row
}

fn algo_name(b: &Balance) -> &'static str {
    match b {
        Balance::RoundRobin => "roundrobin",
        Balance::StaticRr => "static-rr",
        Balance::LeastConn => "leastconn",
        Balance::First => "first",
        Balance::Source => "source",
        Balance::Uri { .. } => "uri",
        Balance::UrlParam { .. } => "url_param",
        Balance::Hdr { .. } => "hdr",
        Balance::Random { .. } => "random",
        Balance::Hash { .. } => "hash",
        #[allow(unreachable_patterns)]
        _ => "roundrobin",
    }
}

/// Backend status and weights as 2.6's `stats_fill_be_stats_computesrv`:
/// the summed weight of the usable active servers, or of the backups when
/// no active is usable.
fn backend_row(be: &Backend, now: u64, counts_in_status: bool) -> Row {
    let c = &be.stats;
    let mut row = Row::new(Kind::Backend, be.id, 0, &be.name, "BACKEND");
    let q = be.queue.len() as u32;
    let cur = be.cur.load(Relaxed);
    row.set(f::QCUR, q);
    row.set(f::QMAX, be.queue.max.load(Relaxed).max(q));
    row.set(f::SCUR, cur);
    row.set(f::SMAX, c.smax.load(Relaxed).max(cur));
    row.set(f::SLIM, be.fullconn.load(Relaxed));
    be_common(&mut row, c, be.mode, now);
    row.set(f::DREQ, c.totals.get(Ctr::Dreq));
    let (act, bck) = be.usable_counts();
    let mut nbup = 0;
    let (mut w_act, mut w_bck, mut uw_act, mut uw_bck) = (0u32, 0u32, 0u32, 0u32);
    for s in &be.servers {
        let h = s.health.snapshot();
        if h.op != OpState::Stopped {
            nbup += 1;
        }
        if s.is_usable() {
            if s.conf.backup {
                w_bck += s.balanced_weight();
                uw_bck += h.uweight;
            } else {
                w_act += s.balanced_weight();
                uw_act += h.uweight;
            }
        }
    }
    // Without `option allbackups` only the first backup serves; its weight
    // is what 2.6 shows.
    let (weight, uweight) = if act > 0 {
        (w_act, uw_act)
    } else if be.conf.options.allbackups {
        (w_bck, uw_bck)
    } else {
        be.servers
            .iter()
            .find(|s| s.conf.backup && s.is_usable())
            .map(|s| (s.balanced_weight(), s.health.snapshot().uweight))
            .unwrap_or((0, 0))
    };
    let mut status = if weight > 0 || be.servers.is_empty() {
        "UP".to_string()
    } else {
        "DOWN".to_string()
    };
    if counts_in_status {
        let _ = write!(status, " ({nbup}/{})", be.servers.len());
    }
    row.set(f::STATUS, status);
    row.set(f::WEIGHT, weight);
    row.set(f::UWEIGHT, uweight);
    row.set(f::ACT, act as u32);
    row.set(f::BCK, bck as u32);
    row.set(f::CHKDOWN, c.totals.get(Ctr::Chkdown));
    row.set(f::DOWNTIME, c.downtime_s(now));
    if be.mode == Mode::Http {
        row.set_all(&[f::CACHE_LOOKUPS, f::CACHE_HITS], 0);
    }
    row.set_all(&[f::COMP_IN, f::COMP_OUT, f::COMP_BYP, f::COMP_RSP], 0);
    row.set(f::ALGO, algo_name(&be.conf.balance));
    row.set_all(
        &[
            f::AGG_SERVER_STATUS,
            f::AGG_SERVER_CHECK_STATUS,
            f::AGG_CHECK_STATUS,
        ],
        0,
    );
    module_cols(&mut row, c, be.mode == Mode::Http, true);
    row
}

/// `show stat [args]`: the whole reply (header included for CSV), or the
/// error text.
pub fn show_stat(rt: &Runtime, req: &StatRequest, out: &mut String) {
    match collect(rt, req) {
        Ok(rows) => render(&rows, req.format, out),
        Err(e) => {
            out.push_str(&e);
            out.push('\n');
        }
    }
}
