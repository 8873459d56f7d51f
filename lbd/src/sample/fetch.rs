//! Sample fetches (spec 5.4): what each name reads from the session.

use super::ctx::{HttpMsg, StickCounter, StickSource, VarScope};
use super::{str_to_int, ParseEnv, Sample, SampleCtx, SampleRef, SampleType};
use std::net::{IpAddr, SocketAddr};

/// A compiled fetch: the name as written, what it reads, its output type.
#[derive(Debug, Clone)]
pub struct Fetch {
    name: String,
    kind: Kind,
    out: SampleType,
}

/// Which message a header fetch reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Req,
    Res,
}

#[derive(Debug, Clone)]
enum Kind {
    Const(Sample),
    Src,
    Dst,
    SrcPort,
    DstPort,
    Path,
    Pathq,
    Query,
    Url,
    UrlIp,
    UrlPort,
    Uuid,
    UniqueId,
    /// `fc_pp_authority`, `fc_pp_unique_id`: TLVs of the received PROXY v2
    /// header.
    PpAuthority,
    PpUniqueId,
    Base,
    UrlParam(String),
    UrlParamVal(String),
    Method,
    Hdr {
        side: Side,
        name: Option<String>,
        occ: Option<i64>,
        full: bool,
    },
    HdrCnt(Side, Option<String>),
    HdrIp(Side, String, Option<i64>),
    HdrVal(Side, String, Option<i64>),
    Cook(Side, String),
    CookCnt(Side, String),
    CookVal(Side, String),
    Body,
    BodyLen,
    BodyParam(String),
    Ver(Side),
    ProtoHttp,
    FirstReq,
    ReqLen,
    Payload(usize, usize),
    ResLen,
    ResPayload(usize, usize),
    Status,
    NbSrv(Option<String>),
    BeConn(Option<String>),
    BeSessRate(Option<String>),
    ConnSlots(Option<String>),
    Queue(Option<String>),
    AvgQueue(Option<String>),
    SrvIsUp(Option<String>, String),
    SrvConn(Option<String>, String),
    SrvQueue(Option<String>, String),
    FeName,
    BeName,
    SrvName,
    FeId,
    BeId,
    Hostname,
    Env(String),
    Date(i64),
    Rand(Option<u64>),
    Var(VarScope, String, Option<Sample>),
    Stick(Tracked, StickCounter, bool),
    Tls(TlsField),
    SslSni,
    SslHelloType,
    SslVer,
    RdpCookieCnt,
    WaitEnd,
    /// `http_auth(<userlist>)`: the Basic credentials are valid.
    HttpAuth(String),
    /// `http_auth_group(<userlist>)`: the user name; in an ACL, each of
    /// the user's groups (2.6 matches the patterns as group names).
    HttpAuthGroup(String),
}

/// Where a stick fetch finds its entry.
#[derive(Debug, Clone)]
enum Tracked {
    Counter(u8),
    /// `sc_*(n[,table])`.
    CounterArg,
    /// `src_*([table])`: the source address in that table.
    Src(Option<String>),
}

#[derive(Debug, Clone, Copy)]
enum TlsField {
    Fc,
    Sni,
    Alpn,
    Protocol,
    Cipher,
    HasCrt,
    CUsed,
    CVerify,
    SDn,
    IDn,
    Serial,
}

/// Every fetch name lbd knows (also used to resolve `path_beg` & co).
const NAMES: &[&str] = &[
    "always_true",
    "always_false",
    "int",
    "str",
    "bool",
    "ipv4",
    "ipv6",
    "bin",
    "src",
    "dst",
    "src_port",
    "dst_port",
    "path",
    "pathq",
    "query",
    "url",
    "base",
    "url_param",
    "urlp",
    "urlp_val",
    "method",
    "hdr",
    "req.hdr",
    "req.fhdr",
    "hdr_cnt",
    "req.hdr_cnt",
    "req.fhdr_cnt",
    "hdr_ip",
    "req.hdr_ip",
    "hdr_val",
    "req.hdr_val",
    "res.hdr",
    "shdr",
    "res.fhdr",
    "res.hdr_cnt",
    "shdr_cnt",
    "res.hdr_ip",
    "shdr_ip",
    "res.hdr_val",
    "shdr_val",
    "cook",
    "req.cook",
    "req.cookie",
    "cook_cnt",
    "req.cook_cnt",
    "cook_val",
    "req.cook_val",
    "res.cook",
    "scook",
    "res.cook_cnt",
    "scook_cnt",
    "res.cook_val",
    "scook_val",
    "req.body",
    "req.body_len",
    "req.body_size",
    "req.body_param",
    "req.ver",
    "req_ver",
    "res.ver",
    "resp_ver",
    "req.proto_http",
    "req_proto_http",
    "http_first_req",
    "req.len",
    "req_len",
    "req.payload",
    "payload",
    "res.len",
    "res.payload",
    "status",
    "nbsrv",
    "be_conn",
    "be_sess_rate",
    "connslots",
    "queue",
    "avg_queue",
    "srv_is_up",
    "srv_conn",
    "srv_queue",
    "fe_name",
    "be_name",
    "srv_name",
    "fe_id",
    "be_id",
    "hostname",
    "env",
    "date",
    "rand",
    "url_ip",
    "url_port",
    "uuid",
    "unique-id",
    "fc_pp_authority",
    "fc_pp_unique_id",
    "stopping",
    "var",
    "ssl_fc",
    "ssl_fc_sni",
    "ssl_fc_alpn",
    "ssl_fc_protocol",
    "ssl_fc_cipher",
    "ssl_fc_has_crt",
    "ssl_c_used",
    "ssl_c_verify",
    "ssl_c_err",
    "ssl_c_s_dn",
    "ssl_c_i_dn",
    "ssl_c_serial",
    "req.ssl_sni",
    "req_ssl_sni",
    "req.ssl_hello_type",
    "req_ssl_hello_type",
    "req.ssl_ver",
    "req_ssl_ver",
    "req.rdp_cookie_cnt",
    "rdp_cookie_cnt",
    "wait_end",
    "http_auth",
    "http_auth_group",
];

/// Whether `name` is a fetch keyword.
pub fn is_known(name: &str) -> bool {
    NAMES.contains(&name) || stick_fetch(name).is_some()
}

/// `sc0_http_req_rate`, `sc_conn_cur`, `src_get_gpc0`, `inc_gpc0`...: the
/// entry, the counter, and whether it increments.
fn stick_fetch(name: &str) -> Option<(Tracked, StickCounter, bool)> {
    let (src, rest) = if let Some(r) = name.strip_prefix("src_") {
        (Tracked::Src(None), r)
    } else if let Some(r) = name.strip_prefix("sc_") {
        (Tracked::CounterArg, r)
    } else if name.len() > 4 && name.starts_with("sc") && name.as_bytes()[3] == b'_' {
        let n = name.as_bytes()[2].checked_sub(b'0').filter(|n| *n <= 2)?;
        (Tracked::Counter(n), &name[4..])
    } else {
        return None;
    };
    let (what, inc) = match rest {
        "inc_gpc0" => (StickCounter::Gpc0, true),
        "inc_gpc1" => (StickCounter::Gpc1, true),
        "clr_gpc0" => (StickCounter::ClrGpc0, false),
        "clr_gpc1" => (StickCounter::ClrGpc1, false),
        "tracked" => (StickCounter::Trackers, false),
        r => (StickCounter::from_suffix(r)?, false),
    };
    Some((src, what, inc))
}

fn opt_arg(args: &[String], i: usize) -> Option<String> {
    args.get(i).filter(|a| !a.is_empty()).cloned()
}

fn occ_arg(name: &str, args: &[String]) -> Result<Option<i64>, String> {
    match args.get(1).filter(|a| !a.is_empty()) {
        None => Ok(None),
        Some(a) => a
            .parse()
            .map(Some)
            .map_err(|_| format!("invalid occurrence '{a}' for fetch method '{name}'")),
    }
}

impl Fetch {
    pub(crate) fn new(
        name: &str,
        args: Option<Vec<String>>,
        _env: &ParseEnv<'_>,
    ) -> Result<Fetch, String> {
        use SampleType as T;
        let a = args.unwrap_or_default();
        let need = |n: usize| -> Result<(), String> {
            if a.len() < n || a.iter().take(n).any(String::is_empty) {
                Err(format!("fetch method '{name}' : missing args"))
            } else {
                Ok(())
            }
        };
        let first = || a.first().cloned().unwrap_or_default();
        let side = if name.starts_with("res.") || name.starts_with('s') && name != "str" {
            Side::Res
        } else {
            Side::Req
        };
        let (kind, out) = match name {
            "always_true" => (Kind::Const(Sample::Bool(true)), T::Bool),
            "always_false" => (Kind::Const(Sample::Bool(false)), T::Bool),
            "int" => {
                need(1)?;
                let v = first().parse().map_err(|_| {
                    format!("fetch method 'int' : '{}' is not a valid integer", first())
                })?;
                (Kind::Const(Sample::Sint(v)), T::Sint)
            }
            "str" => (Kind::Const(Sample::Str(first().into_bytes())), T::Str),
            "bool" => {
                need(1)?;
                let v = matches!(first().as_str(), "1" | "true" | "TRUE");
                (Kind::Const(Sample::Bool(v)), T::Bool)
            }
            "ipv4" | "ipv6" => {
                need(1)?;
                let ip: IpAddr = first().parse().map_err(|_| {
                    format!("fetch method '{name}' : invalid address '{}'", first())
                })?;
                let s = match ip {
                    IpAddr::V4(a) => Sample::Ipv4(a),
                    IpAddr::V6(a) => Sample::Ipv6(a),
                };
                (Kind::Const(s), T::Addr)
            }
            "bin" => {
                need(1)?;
                let f = first();
                let b: Option<Vec<u8>> = (0..f.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(f.get(i..i + 2)?, 16).ok())
                    .collect();
                (
                    Kind::Const(Sample::Bin(b.ok_or_else(|| {
                        format!("fetch method 'bin' : invalid hex string '{f}'")
                    })?)),
                    T::Bin,
                )
            }
            "src" => (Kind::Src, T::Addr),
            "dst" => (Kind::Dst, T::Addr),
            "src_port" => (Kind::SrcPort, T::Sint),
            "dst_port" => (Kind::DstPort, T::Sint),
            "path" => (Kind::Path, T::Str),
            "pathq" => (Kind::Pathq, T::Str),
            "query" => (Kind::Query, T::Str),
            "url" => (Kind::Url, T::Str),
            "url_ip" => (Kind::UrlIp, T::Ipv4),
            "url_port" => (Kind::UrlPort, T::Sint),
            "uuid" => {
                if !matches!(a.first().map(String::as_str), None | Some("") | Some("4")) {
                    return Err("Unsupported UUID version: '{}'".replace("{}", &first()));
                }
                (Kind::Uuid, T::Str)
            }
            "unique-id" => (Kind::UniqueId, T::Str),
            "fc_pp_authority" => (Kind::PpAuthority, T::Str),
            "fc_pp_unique_id" => (Kind::PpUniqueId, T::Str),
            "base" => (Kind::Base, T::Str),
            "url_param" | "urlp" => (Kind::UrlParam(first()), T::Str),
            "urlp_val" => (Kind::UrlParamVal(first()), T::Sint),
            "method" => (Kind::Method, T::Meth),
            "hdr" | "req.hdr" | "req.fhdr" | "res.hdr" | "shdr" | "res.fhdr" => (
                Kind::Hdr {
                    side,
                    name: opt_arg(&a, 0),
                    occ: occ_arg(name, &a)?,
                    full: name.ends_with("fhdr"),
                },
                T::Str,
            ),
            "hdr_cnt" | "req.hdr_cnt" | "req.fhdr_cnt" | "res.hdr_cnt" | "shdr_cnt" => {
                (Kind::HdrCnt(side, opt_arg(&a, 0)), T::Sint)
            }
            "hdr_ip" | "req.hdr_ip" | "res.hdr_ip" | "shdr_ip" => {
                need(1)?;
                (Kind::HdrIp(side, first(), occ_arg(name, &a)?), T::Addr)
            }
            "hdr_val" | "req.hdr_val" | "res.hdr_val" | "shdr_val" => {
                need(1)?;
                (Kind::HdrVal(side, first(), occ_arg(name, &a)?), T::Sint)
            }
            "cook" | "req.cook" | "req.cookie" | "res.cook" | "scook" => {
                (Kind::Cook(side, first()), T::Str)
            }
            "cook_cnt" | "req.cook_cnt" | "res.cook_cnt" | "scook_cnt" => {
                (Kind::CookCnt(side, first()), T::Sint)
            }
            "cook_val" | "req.cook_val" | "res.cook_val" | "scook_val" => {
                (Kind::CookVal(side, first()), T::Sint)
            }
            "req.body" => (Kind::Body, T::Bin),
            "req.body_len" | "req.body_size" => (Kind::BodyLen, T::Sint),
            "req.body_param" => (Kind::BodyParam(first()), T::Str),
            "req.ver" | "req_ver" => (Kind::Ver(Side::Req), T::Str),
            "res.ver" | "resp_ver" => (Kind::Ver(Side::Res), T::Str),
            "req.proto_http" | "req_proto_http" => (Kind::ProtoHttp, T::Bool),
            "http_first_req" => (Kind::FirstReq, T::Bool),
            "req.len" | "req_len" => (Kind::ReqLen, T::Sint),
            "req.payload" | "payload" => {
                need(2)?;
                let num = |s: &str| {
                    s.parse::<usize>().map_err(|_| {
                        format!("fetch method '{name}' : invalid offset or length '{s}'")
                    })
                };
                (Kind::Payload(num(&a[0])?, num(&a[1])?), T::Bin)
            }
            "res.len" => (Kind::ResLen, T::Sint),
            "res.payload" => {
                need(2)?;
                let num = |s: &str| {
                    s.parse::<usize>().map_err(|_| {
                        format!("fetch method '{name}' : invalid offset or length '{s}'")
                    })
                };
                (Kind::ResPayload(num(&a[0])?, num(&a[1])?), T::Bin)
            }
            "status" => (Kind::Status, T::Sint),
            "nbsrv" => (Kind::NbSrv(opt_arg(&a, 0)), T::Sint),
            "be_conn" => (Kind::BeConn(opt_arg(&a, 0)), T::Sint),
            "be_sess_rate" => (Kind::BeSessRate(opt_arg(&a, 0)), T::Sint),
            "connslots" => (Kind::ConnSlots(opt_arg(&a, 0)), T::Sint),
            "queue" => (Kind::Queue(opt_arg(&a, 0)), T::Sint),
            "avg_queue" => (Kind::AvgQueue(opt_arg(&a, 0)), T::Sint),
            "srv_is_up" | "srv_conn" | "srv_queue" => {
                need(1)?;
                let f = first();
                let (be, srv) = match f.split_once('/') {
                    Some((b, s)) => (Some(b.to_string()), s.to_string()),
                    None => (None, f),
                };
                let k = match name {
                    "srv_is_up" => Kind::SrvIsUp(be, srv),
                    "srv_conn" => Kind::SrvConn(be, srv),
                    _ => Kind::SrvQueue(be, srv),
                };
                (
                    k,
                    if name == "srv_is_up" {
                        T::Bool
                    } else {
                        T::Sint
                    },
                )
            }
            "fe_name" => (Kind::FeName, T::Str),
            "be_name" => (Kind::BeName, T::Str),
            "srv_name" => (Kind::SrvName, T::Str),
            "fe_id" => (Kind::FeId, T::Sint),
            "be_id" => (Kind::BeId, T::Sint),
            "hostname" => (Kind::Hostname, T::Str),
            "env" => {
                need(1)?;
                (Kind::Env(first()), T::Str)
            }
            "date" => (
                Kind::Date(a.first().and_then(|o| o.parse().ok()).unwrap_or(0)),
                T::Sint,
            ),
            "rand" => (Kind::Rand(a.first().and_then(|o| o.parse().ok())), T::Sint),
            "stopping" => (Kind::Const(Sample::Bool(false)), T::Bool),
            "var" => {
                need(1)?;
                let f = first();
                let (scope, vname) = VarScope::split(&f).ok_or_else(|| {
                    format!("fetch method 'var' : invalid variable name '{f}'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req' or 'res'")
                })?;
                let def = opt_arg(&a, 1).map(|d| Sample::Str(d.into_bytes()));
                (Kind::Var(scope, vname.to_string(), def), T::Any)
            }
            "ssl_fc" => (Kind::Tls(TlsField::Fc), T::Bool),
            "ssl_fc_sni" => (Kind::Tls(TlsField::Sni), T::Str),
            "ssl_fc_alpn" => (Kind::Tls(TlsField::Alpn), T::Str),
            "ssl_fc_protocol" => (Kind::Tls(TlsField::Protocol), T::Str),
            "ssl_fc_cipher" => (Kind::Tls(TlsField::Cipher), T::Str),
            "ssl_fc_has_crt" => (Kind::Tls(TlsField::HasCrt), T::Bool),
            "ssl_c_used" => (Kind::Tls(TlsField::CUsed), T::Bool),
            "ssl_c_verify" | "ssl_c_err" => (Kind::Tls(TlsField::CVerify), T::Sint),
            "ssl_c_s_dn" => (Kind::Tls(TlsField::SDn), T::Str),
            "ssl_c_i_dn" => (Kind::Tls(TlsField::IDn), T::Str),
            "ssl_c_serial" => (Kind::Tls(TlsField::Serial), T::Bin),
            "req.ssl_sni" | "req_ssl_sni" => (Kind::SslSni, T::Str),
            "req.ssl_hello_type" | "req_ssl_hello_type" => (Kind::SslHelloType, T::Sint),
            "req.ssl_ver" | "req_ssl_ver" => (Kind::SslVer, T::Sint),
            "req.rdp_cookie_cnt" | "rdp_cookie_cnt" => (Kind::RdpCookieCnt, T::Sint),
            "wait_end" => (Kind::WaitEnd, T::Bool),
            "http_auth" => {
                need(1)?;
                (Kind::HttpAuth(first()), T::Bool)
            }
            "http_auth_group" => {
                need(1)?;
                (Kind::HttpAuthGroup(first()), T::Str)
            }
            _ => match stick_fetch(name) {
                Some((src, what, inc)) => {
                    let src = match src {
                        Tracked::Src(_) => Tracked::Src(opt_arg(&a, 0)),
                        Tracked::CounterArg => {
                            need(1)?;
                            match first().parse::<u8>() {
                                Ok(n) if n <= 2 => Tracked::Counter(n),
                                _ => {
                                    return Err(format!(
                                        "fetch method '{name}' : invalid stick counter '{}'",
                                        first()
                                    ))
                                }
                            }
                        }
                        t => t,
                    };
                    (Kind::Stick(src, what, inc), T::Sint)
                }
                None => return Err(format!("unknown fetch method '{name}'")),
            },
        };
        Ok(Fetch {
            name: name.into(),
            kind,
            out,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn out_type(&self) -> SampleType {
        self.out
    }

    /// Whether an ACL should try every value (`hdr(x)` without occurrence).
    pub(crate) fn multi(&self) -> bool {
        matches!(
            &self.kind,
            Kind::Hdr { occ: None, .. }
                | Kind::HdrIp(_, _, None)
                | Kind::HdrVal(_, _, None)
                | Kind::Cook(..)
                | Kind::HttpAuthGroup(_)
        )
    }

    /// The sample for expressions: for multi-valued header fetches, the last
    /// occurrence (HAProxy's default of -1); for cookies, the first.
    pub(crate) fn eval(&self, cx: &mut dyn SampleCtx, _acl: bool) -> Option<Sample> {
        match &self.kind {
            Kind::Hdr {
                side,
                name,
                occ,
                full,
            } => {
                let m = msg(cx, *side)?;
                let v = nth_value(m, name.as_deref(), *full, occ.unwrap_or(-1))?;
                Some(Sample::Str(v.to_vec()))
            }
            Kind::HdrIp(side, name, occ) => {
                let m = msg(cx, *side)?;
                let v = nth_value(m, Some(name), false, occ.unwrap_or(-1))?;
                ip_of(v)
            }
            Kind::HdrVal(side, name, occ) => {
                let m = msg(cx, *side)?;
                let v = nth_value(m, Some(name), false, occ.unwrap_or(-1))?;
                str_to_int(v).map(Sample::Sint)
            }
            Kind::Cook(side, name) => {
                let m = msg(cx, *side)?;
                let mut found = None;
                for_each_cookie(m, *side, name, &mut |v| {
                    found = Some(v.to_vec());
                    true
                });
                found.map(Sample::Str)
            }
            _ => self.eval_single(cx),
        }
    }

    /// For fetches that read straight from the message or the variables:
    /// feeds `f` each value an ACL tests, borrowed, until it returns true,
    /// and returns whether one did. The values and their order are those of
    /// [`Fetch::eval`] / [`Fetch::eval_all`]. None when this fetch has no
    /// borrowed form (the caller evaluates it the usual way).
    pub(crate) fn test_borrowed(
        &self,
        cx: &mut dyn SampleCtx,
        f: &mut dyn FnMut(SampleRef<'_>) -> bool,
    ) -> Option<bool> {
        let bytes = |v: Option<&[u8]>, f: &mut dyn FnMut(SampleRef<'_>) -> bool| {
            Some(v.is_some_and(|v| f(SampleRef::Bytes(v))))
        };
        match &self.kind {
            Kind::Path => bytes(cx.req().map(|r| path_of(r.uri())), f),
            Kind::Url => bytes(cx.req().map(|r| r.uri()), f),
            Kind::Method => bytes(cx.req().map(|r| r.method()), f),
            Kind::Query => {
                let u = cx.req().map(|r| r.uri());
                bytes(u.and_then(|u| Some(&u[memchr::memchr(b'?', u)? + 1..])), f)
            }
            Kind::Hdr {
                side,
                name,
                occ: None,
                full,
            } => {
                let Some(m) = msg(cx, *side) else {
                    return Some(false);
                };
                for i in 0..m.header_count() {
                    let (n, v) = m.header(i);
                    if name
                        .as_deref()
                        .is_some_and(|x| !n.eq_ignore_ascii_case(x.as_bytes()))
                    {
                        continue;
                    }
                    let hit = if *full {
                        f(SampleRef::Bytes(v.trim_ascii()))
                    } else {
                        v.split(|&c| c == b',')
                            .any(|part| f(SampleRef::Bytes(part.trim_ascii())))
                    };
                    if hit {
                        return Some(true);
                    }
                }
                Some(false)
            }
            Kind::Var(scope, n, def) => {
                match cx.with_var(*scope, n, &mut |v| f(SampleRef::Sample(v))) {
                    Some(hit) => Some(hit),
                    None => Some(def.as_ref().is_some_and(|d| f(SampleRef::Sample(d)))),
                }
            }
            _ => None,
        }
    }

    /// Appends the text of [`Fetch::eval`]'s sample to `out` when this fetch
    /// can lend it (a variable, the path...), and returns whether it could;
    /// nothing is appended for an absent sample.
    pub(crate) fn append_text(&self, cx: &mut dyn SampleCtx, out: &mut Vec<u8>) -> bool {
        let v = match &self.kind {
            Kind::Path => cx.req().map(|r| path_of(r.uri())),
            Kind::Url => cx.req().map(|r| r.uri()),
            Kind::Method => cx.req().map(|r| r.method()),
            Kind::Var(scope, n, def) => {
                let lent = cx.with_var(*scope, n, &mut |v| {
                    v.append_text(out);
                    true
                });
                if let (None, Some(d)) = (lent, def) {
                    d.append_text(out);
                }
                return true;
            }
            _ => return false,
        };
        if let Some(v) = v {
            out.extend_from_slice(v);
        }
        true
    }

    /// Every value, for ACLs.
    pub(crate) fn eval_all(&self, cx: &mut dyn SampleCtx) -> Vec<Sample> {
        let mut out = Vec::new();
        match &self.kind {
            Kind::Hdr {
                side, name, full, ..
            } => {
                if let Some(m) = msg(cx, *side) {
                    for_each_value(m, name.as_deref(), *full, &mut |v| {
                        out.push(Sample::Str(v.to_vec()));
                    });
                }
            }
            Kind::HdrIp(side, name, _) | Kind::HdrVal(side, name, _) => {
                let ip = matches!(self.kind, Kind::HdrIp(..));
                if let Some(m) = msg(cx, *side) {
                    for_each_value(m, Some(name), false, &mut |v| {
                        let s = if ip {
                            ip_of(v)
                        } else {
                            str_to_int(v).map(Sample::Sint)
                        };
                        out.extend(s);
                    });
                }
            }
            Kind::Cook(side, name) => {
                if let Some(m) = msg(cx, *side) {
                    for_each_cookie(m, *side, name, &mut |v| {
                        out.push(Sample::Str(v.to_vec()));
                        false
                    });
                }
            }
            Kind::HttpAuthGroup(list) => {
                if let Some((_, groups)) = auth_user(cx, list) {
                    out.extend(groups.into_iter().map(|g| Sample::Str(g.into_bytes())));
                }
            }
            _ => out.extend(self.eval_single(cx)),
        }
        out
    }

    fn eval_single(&self, cx: &mut dyn SampleCtx) -> Option<Sample> {
        let int = |v: i64| Some(Sample::Sint(v));
        match &self.kind {
            Kind::Const(s) => Some(s.clone()),
            Kind::Src => addr(cx.src()),
            Kind::Dst => addr(cx.dst()),
            Kind::SrcPort => int(i64::from(cx.src()?.port())),
            Kind::DstPort => int(i64::from(cx.dst()?.port())),
            Kind::Path => {
                let p = path_of(cx.req()?.uri());
                Some(Sample::Str(p.to_vec()))
            }
            Kind::Pathq => Some(Sample::Str(super::uri_path(cx.req()?.uri()).to_vec())),
            Kind::Query => {
                let u = cx.req()?.uri();
                let q = memchr::memchr(b'?', u)?;
                Some(Sample::Str(u[q + 1..].to_vec()))
            }
            Kind::Url => Some(Sample::Str(cx.req()?.uri().to_vec())),
            Kind::UrlIp => {
                let (host, _) = super::conv_more::url_authority(cx.req()?.uri())?;
                Some(Sample::Ipv4(std::str::from_utf8(host).ok()?.parse().ok()?))
            }
            Kind::UrlPort => {
                let (host, port) = super::conv_more::url_authority(cx.req()?.uri())?;
                // 2.6 answers only for an absolute URI whose host is an IPv4
                // address, and 80 when the port is not written.
                std::str::from_utf8(host)
                    .ok()?
                    .parse::<std::net::Ipv4Addr>()
                    .ok()?;
                int(port.map_or(Some(80), |p| std::str::from_utf8(p).ok()?.parse().ok())?)
            }
            Kind::Uuid => Some(Sample::Str(super::conv_more::uuid4().into_bytes())),
            Kind::UniqueId => cx.unique_id().map(|u| Sample::Str(u.to_vec())),
            Kind::PpAuthority => cx
                .proxy_tlvs()?
                .authority
                .as_ref()
                .map(|a| Sample::Str(a.as_bytes().to_vec())),
            Kind::PpUniqueId => cx
                .proxy_tlvs()?
                .unique_id
                .as_ref()
                .map(|u| Sample::Str(u.clone())),
            Kind::Base => {
                let r = cx.req()?;
                let host = nth_value(r, Some("host"), true, -1)?;
                let mut v = host.to_vec();
                v.extend_from_slice(path_of(r.uri()));
                Some(Sample::Str(v))
            }
            Kind::UrlParam(n) => {
                let v = crate::balance::key::url_param_value(cx.req()?.uri(), n)?;
                Some(Sample::Str(v.to_vec()))
            }
            Kind::UrlParamVal(n) => {
                let v = crate::balance::key::url_param_value(cx.req()?.uri(), n)?;
                str_to_int(v).map(Sample::Sint)
            }
            Kind::Method => Some(Sample::Meth(cx.req()?.method().to_vec())),
            Kind::HdrCnt(side, name) => {
                let m = msg(cx, *side)?;
                let mut n = 0;
                for_each_value(m, name.as_deref(), false, &mut |_| n += 1);
                int(n)
            }
            Kind::CookCnt(side, name) => {
                let m = msg(cx, *side)?;
                let mut n = 0;
                for_each_cookie(m, *side, name, &mut |_| {
                    n += 1;
                    false
                });
                int(n)
            }
            Kind::CookVal(side, name) => {
                let m = msg(cx, *side)?;
                let mut found = None;
                for_each_cookie(m, *side, name, &mut |v| {
                    found = str_to_int(v);
                    true
                });
                found.map(Sample::Sint)
            }
            Kind::Body => Some(Sample::Bin(cx.req()?.body()?.to_vec())),
            Kind::BodyLen => int(cx.req()?.body()?.len() as i64),
            Kind::BodyParam(n) => {
                let b = cx.req()?.body()?;
                let q = [b"?", b].concat();
                let v = crate::balance::key::url_param_value(&q, n)?;
                Some(Sample::Str(v.to_vec()))
            }
            Kind::Ver(side) => {
                let m = msg(cx, *side)?;
                let v = m.version();
                Some(Sample::Str(v.strip_prefix(b"HTTP/").unwrap_or(v).to_vec()))
            }
            Kind::ProtoHttp => Some(Sample::Bool(cx.req().is_some())),
            Kind::FirstReq => Some(Sample::Bool(cx.first_request())),
            Kind::ReqLen => int(cx.payload()?.len() as i64),
            Kind::Payload(off, len) => {
                let p = cx.payload()?;
                let end = if *len == 0 { p.len() } else { off + len };
                p.get(*off..end).map(|b| Sample::Bin(b.to_vec()))
            }
            Kind::ResLen => int(cx.res_payload()?.len() as i64),
            Kind::ResPayload(off, len) => {
                let p = cx.res_payload()?;
                let end = if *len == 0 { p.len() } else { off + len };
                p.get(*off..end).map(|b| Sample::Bin(b.to_vec()))
            }
            Kind::Status => int(i64::from(cx.res()?.status()?)),
            Kind::NbSrv(b) => int(cx.proxy_state(b.as_deref())?.nbsrv),
            Kind::BeConn(b) => int(cx.proxy_state(b.as_deref())?.conn),
            Kind::BeSessRate(b) => int(cx.proxy_state(b.as_deref())?.sess_rate),
            Kind::ConnSlots(b) => int(cx.proxy_state(b.as_deref())?.connslots),
            Kind::Queue(b) => int(cx.proxy_state(b.as_deref())?.queue),
            Kind::AvgQueue(b) => {
                let p = cx.proxy_state(b.as_deref())?;
                int(if p.nbsrv > 0 {
                    p.queue / p.nbsrv
                } else {
                    p.queue
                })
            }
            Kind::SrvIsUp(b, s) => Some(Sample::Bool(cx.server_state(b.as_deref(), s)?.up)),
            Kind::SrvConn(b, s) => int(cx.server_state(b.as_deref(), s)?.conn),
            Kind::SrvQueue(b, s) => int(cx.server_state(b.as_deref(), s)?.queue),
            Kind::FeName => Some(Sample::Str(cx.frontend_name().as_bytes().to_vec())),
            Kind::BeName => Some(Sample::Str(cx.backend_name()?.as_bytes().to_vec())),
            Kind::SrvName => Some(Sample::Str(cx.server_name()?.as_bytes().to_vec())),
            Kind::FeId => int(cx.frontend_id()),
            Kind::BeId => int(cx.proxy_state(None)?.id),
            Kind::Hostname => nix::unistd::gethostname()
                .ok()
                .map(|h| Sample::Str(h.to_string_lossy().into_owned().into_bytes())),
            Kind::Env(n) => std::env::var_os(n)
                .map(|v| Sample::Str(v.to_string_lossy().into_owned().into_bytes())),
            Kind::Date(off) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                int(now + off)
            }
            Kind::Rand(range) => {
                let v = fastrand::u32(..);
                int(match range {
                    Some(r) => ((u64::from(v) * r) >> 32) as i64,
                    None => i64::from(v),
                })
            }
            Kind::Var(scope, n, def) => cx.var(*scope, n).or_else(|| def.clone()),
            Kind::Stick(src, what, inc) => {
                let src = match src {
                    Tracked::Counter(n) => StickSource::Tracked(*n),
                    Tracked::Src(t) => StickSource::Key {
                        table: t.clone(),
                        key: addr(cx.src())?,
                    },
                    Tracked::CounterArg => return None,
                };
                let v = if *inc {
                    cx.stick_inc(src, *what)
                } else {
                    cx.stick(src, *what)
                }?;
                int(v)
            }
            Kind::Tls(f) => tls_field(cx, *f),
            Kind::SslSni => {
                crate::sample::tls_hello::sni(cx.payload()?).map(|s| Sample::Str(s.into_bytes()))
            }
            Kind::SslHelloType => int(i64::from(crate::sample::tls_hello::hello_type(
                cx.payload()?,
            )?)),
            Kind::SslVer => int(i64::from(crate::sample::tls_hello::version(cx.payload()?)?)),
            Kind::RdpCookieCnt => int(0),
            Kind::WaitEnd => Some(Sample::Bool(true)),
            Kind::HttpAuth(list) => {
                nth_value(cx.req()?, Some("authorization"), true, 1)?;
                Some(Sample::Bool(auth_user(cx, list).is_some()))
            }
            Kind::HttpAuthGroup(list) => {
                auth_user(cx, list).map(|(u, _)| Sample::Str(u.into_bytes()))
            }
            Kind::Hdr { .. } | Kind::HdrIp(..) | Kind::HdrVal(..) | Kind::Cook(..) => {
                self.eval(cx, false)
            }
        }
    }
}

fn tls_field(cx: &dyn SampleCtx, f: TlsField) -> Option<Sample> {
    let t = cx.tls();
    let s = |v: &Option<String>| v.as_ref().map(|v| Sample::Str(v.as_bytes().to_vec()));
    match f {
        TlsField::Fc => Some(Sample::Bool(t.is_some())),
        TlsField::Sni => s(&t?.sni),
        TlsField::Alpn => s(&t?.alpn),
        TlsField::Protocol => s(&t?.protocol),
        TlsField::Cipher => s(&t?.cipher),
        TlsField::HasCrt | TlsField::CUsed => Some(Sample::Bool(t?.client_cert_used)),
        TlsField::CVerify => Some(Sample::Sint(t?.verify_result.unwrap_or(0))),
        TlsField::SDn => s(&t?.subject_dn),
        TlsField::IDn => s(&t?.issuer_dn),
        TlsField::Serial => t?.serial.as_ref().map(|v| Sample::Bin(v.clone())),
    }
}

fn addr(a: Option<SocketAddr>) -> Option<Sample> {
    Some(match a?.ip() {
        IpAddr::V4(a) => Sample::Ipv4(a),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => Sample::Ipv4(v4),
            None => Sample::Ipv6(a),
        },
    })
}

fn ip_of(v: &[u8]) -> Option<Sample> {
    match std::str::from_utf8(v).ok()?.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => Some(Sample::Ipv4(a)),
        IpAddr::V6(a) => Some(Sample::Ipv6(a)),
    }
}

fn msg(cx: &dyn SampleCtx, side: Side) -> Option<&dyn HttpMsg> {
    match side {
        Side::Req => cx.req(),
        Side::Res => cx.res(),
    }
}

/// The path without the query string (absolute URIs lose scheme and host).
pub fn path_of(uri: &[u8]) -> &[u8] {
    let p = super::uri_path(uri);
    match memchr::memchr(b'?', p) {
        Some(q) => &p[..q],
        None => p,
    }
}

/// Calls `f` with each value of header `name` (every header when None),
/// split on commas unless `full`, trimmed.
fn for_each_value(m: &dyn HttpMsg, name: Option<&str>, full: bool, f: &mut dyn FnMut(&[u8])) {
    for i in 0..m.header_count() {
        let (n, v) = m.header(i);
        if name.is_some_and(|x| !n.eq_ignore_ascii_case(x.as_bytes())) {
            continue;
        }
        if full {
            f(v.trim_ascii());
        } else {
            for part in v.split(|&c| c == b',') {
                f(part.trim_ascii());
            }
        }
    }
}

/// The value at occurrence `occ` (1-based; negative counts from the end).
fn nth_value<'m>(m: &'m dyn HttpMsg, name: Option<&str>, full: bool, occ: i64) -> Option<&'m [u8]> {
    let mut vals: Vec<&'m [u8]> = Vec::new();
    for i in 0..m.header_count() {
        let (n, v) = m.header(i);
        if name.is_some_and(|x| !n.eq_ignore_ascii_case(x.as_bytes())) {
            continue;
        }
        if full {
            vals.push(v.trim_ascii());
        } else {
            vals.extend(v.split(|&c| c == b',').map(<[u8]>::trim_ascii));
        }
    }
    let idx = if occ > 0 {
        usize::try_from(occ - 1).ok()?
    } else if occ < 0 {
        vals.len().checked_sub(usize::try_from(-occ).ok()?)?
    } else {
        vals.len().checked_sub(1)?
    };
    vals.get(idx).copied()
}

/// Calls `f` with each value of cookie `name` (`Cookie` on requests,
/// `Set-Cookie` on responses) until it returns true.
fn for_each_cookie(m: &dyn HttpMsg, side: Side, name: &str, f: &mut dyn FnMut(&[u8]) -> bool) {
    let hname: &[u8] = if side == Side::Req {
        b"cookie"
    } else {
        b"set-cookie"
    };
    for i in 0..m.header_count() {
        let (n, v) = m.header(i);
        if !n.eq_ignore_ascii_case(hname) {
            continue;
        }
        let parts: Vec<&[u8]> = if side == Side::Req {
            v.split(|&c| c == b';').collect()
        } else {
            v.split(|&c| c == b';').take(1).collect()
        };
        for part in parts {
            let part = part.trim_ascii();
            let (k, val) = match memchr::memchr(b'=', part) {
                Some(eq) => (&part[..eq], &part[eq + 1..]),
                None => (part, &b""[..]),
            };
            if (name.is_empty() || k.trim_ascii() == name.as_bytes()) && f(val.trim_ascii()) {
                return;
            }
        }
    }
}

/// The user (and groups) the request's Basic credentials authenticate in
/// userlist `list`.
fn auth_user(cx: &mut dyn SampleCtx, list: &str) -> Option<(String, Vec<String>)> {
    let h = nth_value(cx.req()?, Some("authorization"), true, 1)?;
    crate::http::auth::fetch_user(list, h)
}

#[cfg(test)]
mod pp_tests {
    use crate::pattern::PatternRegistry;
    use crate::proxyproto::Tlvs;
    use crate::sample::ctx::TestCtx;
    use crate::sample::{Expr, ParseEnv, Sample};

    fn ev(expr: &str, cx: &mut TestCtx) -> Option<Sample> {
        let reg = PatternRegistry::new();
        let env = ParseEnv {
            registry: &reg,
            file: "t",
            line: 1,
        };
        Expr::parse(expr, &env).ok()?.eval(cx)
    }

    #[test]
    fn fc_pp_fetches_read_the_received_tlvs() {
        let mut cx = TestCtx::default();
        assert_eq!(ev("fc_pp_authority", &mut cx), None, "no PROXY header");
        cx.proxy_tlvs = Some(Tlvs {
            authority: Some("app.example".into()),
            unique_id: Some(Vec::new()),
            ..Tlvs::default()
        });
        assert_eq!(
            ev("fc_pp_authority", &mut cx),
            Some(Sample::Str(b"app.example".to_vec()))
        );
        // An empty unique-id TLV is still a TLV, as in HAProxy.
        assert_eq!(
            ev("fc_pp_unique_id", &mut cx),
            Some(Sample::Str(Vec::new()))
        );
        cx.proxy_tlvs = Some(Tlvs::default());
        assert_eq!(ev("fc_pp_unique_id", &mut cx), None);
    }
}
