//! The `http-request` and `redirect` rules of one proxy, run on a parsed
//! request: final actions answer the request here; rewrites change the
//! head in the client buffer so later rules and the server see them.

use super::{Next, RequestEdits, Session};
use crate::config::model::{
    HeaderAction, HttpRequestAction, LinePart, Proxy, Redirect, RedirectKind, ReturnBody,
    ReturnSpec, Service, TrackAction, VarAction,
};
use crate::h1::{self, ErrorLayer};
use crate::http::ctx::{ReqMsg, RuleCtx};
use crate::http::respond::{error_bytes, return_bytes};
use crate::http::rewrite::{self, HeaderEdit};
use crate::http::rules::{Compiled, Cond, Fmt, FmtVar, Piece, ProxyRules};
use crate::log::{TermCause, TermPhase, Termination};
use crate::sample::{Expr, Sample, VarScope};
use std::time::Duration;

thread_local! {
    /// A header action's rendered value and new head (see `header_action`).
    static SCRATCH: std::cell::Cell<(Vec<u8>, Vec<u8>)> = Default::default();
}

/// The 30x answer of redirect `r` to `loc`, as 2.6 builds it.
pub(super) fn redirect_response(r: &Redirect, loc: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(loc.len() + 128);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(r.code.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(crate::http::respond::reason(r.code).as_bytes());
    out.extend_from_slice(b"\r\ncontent-length: 0\r\nlocation: ");
    out.extend_from_slice(loc);
    out.extend_from_slice(b"\r\n");
    if matches!(r.code, 302 | 303 | 307) {
        out.extend_from_slice(b"cache-control: no-cache\r\n");
    }
    if let Some(ck) = &r.cookie {
        out.extend_from_slice(b"set-cookie: ");
        out.extend_from_slice(ck.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// What a rule set decided.
pub(super) enum Verdict {
    /// Go on (to the next rule set, then the backend).
    Continue,
    /// The request was answered or the connection ended.
    Done(Next),
}

impl Session {
    /// Runs `f` with the sample context of this request.
    pub(super) fn with_ctx<R>(
        &mut self,
        head: &h1::RequestHead,
        f: impl FnOnce(&mut RuleCtx<'_>) -> R,
    ) -> R {
        // Disjoint field borrows: no Arc clone per evaluated condition.
        let buf = self.cbuf.bytes();
        let body = self.fe.conf.options.http_buffer_request.then(|| {
            let rest = &buf[head.head_len.min(buf.len())..];
            match head.framing {
                h1::BodyFraming::ContentLength(n) => &rest[..rest.len().min(n as usize)],
                _ => rest,
            }
        });
        let mut cx = RuleCtx::new(&self.info, &self.fe, &mut self.state);
        cx.req = Some(ReqMsg { buf, head, body });
        cx.be = self.cur_be.as_deref();
        cx.first_request = self.requests <= 1 && !self.info.mux_stream;
        f(&mut cx)
    }

    /// Whether a rule's condition holds for this request.
    pub(super) fn cond_holds(&mut self, cond: Option<&Cond>, head: &h1::RequestHead) -> bool {
        match cond {
            None => true,
            Some(c) => self.with_ctx(head, |cx| c.holds(cx)),
        }
    }

    /// Evaluates a sample expression for this request.
    pub(super) fn sample(&mut self, e: &Expr, head: &h1::RequestHead) -> Option<Sample> {
        self.with_ctx(head, |cx| e.eval(cx))
    }

    /// Renders a log-format value for this request into `out`.
    pub(super) fn render(&mut self, f: &Fmt, head: &h1::RequestHead, out: &mut Vec<u8>) {
        for p in &f.pieces {
            match p {
                Piece::Text(t) => out.extend_from_slice(t),
                Piece::Expr(e) => self.with_ctx(head, |cx| e.append_text(cx, out)),
                Piece::Var(v) => self.render_var(*v, out),
            }
        }
    }

    pub(super) fn render_var(&self, v: FmtVar, out: &mut Vec<u8>) {
        let names = FmtNames {
            info: &self.info,
            fe: &self.fe.name,
            backend: self.rec.backend.as_deref(),
            server: self.rec.server.as_deref(),
        };
        render_var(v, &names, out);
    }

    fn rendered(&mut self, c: &Compiled, head: &h1::RequestHead) -> Vec<u8> {
        let mut v = Vec::new();
        if let Some(f) = &c.fmt {
            self.render(f, head, &mut v);
        }
        v
    }

    /// Puts a rewritten head in place of the current one and parses it
    /// again. False when it does not fit or no longer parses (a failed
    /// rewrite: HAProxy answers 500).
    fn install_head(&mut self, head: &mut h1::RequestHead, new: &[u8]) -> bool {
        if new.len() > self.opts.max_head || !self.cbuf.replace_front(head.head_len, new) {
            return false;
        }
        match h1::parse_request(self.cbuf.bytes(), &self.opts) {
            Ok(Some(h)) => {
                *head = h;
                true
            }
            _ => false,
        }
    }

    fn rewrite(
        &mut self,
        head: &mut h1::RequestHead,
        method: Option<&[u8]>,
        target: Option<&[u8]>,
        edit: Option<HeaderEdit<'_>>,
    ) -> bool {
        let mut out = Vec::with_capacity(head.head_len + 64);
        rewrite::request_head(&mut out, self.cbuf.bytes(), head, method, target, edit);
        self.install_head(head, &out)
    }

    fn header_action(
        &mut self,
        head: &mut h1::RequestHead,
        h: &HeaderAction,
        c: &Compiled,
    ) -> bool {
        // The value and the new head go to buffers the thread reuses: no
        // allocation per rewrite once they have grown.
        let (mut v, mut new) = SCRATCH.take();
        v.clear();
        new.clear();
        if let Some(f) = &c.fmt {
            self.render(f, head, &mut v);
        }
        let done = self.edit_header(head, h, c, &v, &mut new);
        SCRATCH.set((v, new));
        done
    }

    fn edit_header(
        &mut self,
        head: &mut h1::RequestHead,
        h: &HeaderAction,
        c: &Compiled,
        v: &[u8],
        new: &mut Vec<u8>,
    ) -> bool {
        let edit = match (h, &c.regex) {
            (HeaderAction::Set { name, .. }, _) => HeaderEdit::Set(name, v),
            (HeaderAction::Add { name, .. }, _) => HeaderEdit::Add(name, v),
            (HeaderAction::Del { name }, _) => HeaderEdit::Del(name),
            (HeaderAction::Replace { name, .. }, Some(re)) => HeaderEdit::Replace(name, re, v),
            (HeaderAction::ReplaceValue { name, .. }, Some(re)) => {
                HeaderEdit::ReplaceValue(name, re, v)
            }
            _ => return true,
        };
        let buf = self.cbuf.bytes();
        let absent = |n: &str| !rewrite::has_field(buf, &head.headers, n);
        let append = match edit {
            HeaderEdit::Del(n) | HeaderEdit::Replace(n, ..) | HeaderEdit::ReplaceValue(n, ..)
                if absent(n) =>
            {
                return true;
            }
            HeaderEdit::Add(n, v) => Some((n, v)),
            HeaderEdit::Set(n, v) if absent(n) => Some((n, v)),
            _ => None,
        };
        // Appending a plain header needs no new parse of the head.
        if let Some((n, v)) = append {
            let max = self.opts.max_headers;
            if let Some(field) =
                rewrite::append_field(new, buf, head.head_len, &head.headers, max, n, v)
            {
                if new.len() > self.opts.max_head || !self.cbuf.replace_front(head.head_len, new) {
                    return false;
                }
                head.head_len = new.len();
                head.headers.push(field);
                return true;
            }
        }
        self.rewrite(head, None, None, Some(edit))
    }

    /// `set-*` / `replace-*` on the request line.
    fn line_action(&mut self, head: &mut h1::RequestHead, part: LinePart, c: &Compiled) -> bool {
        let v = self.rendered(c, head);
        let buf = self.cbuf.bytes();
        let target = head.target.get(buf);
        let (prefix, path, query) = rewrite::split_target(target);
        let new_target: Vec<u8> = match (&c.regex, part) {
            (None, LinePart::Method) => return self.rewrite(head, Some(&v), None, None),
            (None, LinePart::Path) => [prefix, &v, query].concat(),
            (None, LinePart::PathQuery) => [prefix, &v].concat(),
            (None, LinePart::Query) => {
                if v.is_empty() {
                    [prefix, path].concat()
                } else {
                    [prefix, path, b"?", &v].concat()
                }
            }
            (None, LinePart::Uri) => v,
            (Some(re), LinePart::Path) => match rewrite::replace_whole(re, &v, path) {
                Some(p) => [prefix, &p, query].concat(),
                None => return true,
            },
            (Some(re), LinePart::PathQuery) => {
                let pq = [path, query].concat();
                match rewrite::replace_whole(re, &v, &pq) {
                    Some(p) => [prefix, &p].concat(),
                    None => return true,
                }
            }
            (Some(re), _) => match rewrite::replace_whole(re, &v, target) {
                Some(t) => t,
                None => return true,
            },
        };
        self.rewrite(head, None, Some(&new_target), None)
    }

    /// The bytes of a `return`/`deny`/`tarpit` answer.
    fn answer_bytes(
        &mut self,
        spec: &ReturnSpec,
        c: &Compiled,
        head: &h1::RequestHead,
        proxy: &Proxy,
    ) -> Vec<u8> {
        if let (ReturnBody::Format(_), Some(f)) = (&spec.body, &c.fmt) {
            let mut body = Vec::new();
            self.render(f, head, &mut body);
            let mut s = spec.clone();
            s.body = ReturnBody::Bytes(body);
            return return_bytes(&s, &[proxy]);
        }
        return_bytes(spec, &[proxy])
    }

    /// The 30x of a redirect, or None when `ignore-empty` skips it.
    pub(super) fn redirect_bytes(
        &mut self,
        r: &Redirect,
        c: &Compiled,
        head: &h1::RequestHead,
    ) -> Option<Vec<u8>> {
        let mut dest_v = Vec::with_capacity(64);
        match &c.fmt {
            Some(f) => self.render(f, head, &mut dest_v),
            None => {
                let self_prefix = r.kind == RedirectKind::Prefix && r.target == "/";
                if !self_prefix {
                    dest_v.extend_from_slice(r.target.as_bytes());
                }
            }
        }
        let buf = self.cbuf.bytes();
        let mut loc = Vec::with_capacity(128);
        let dest = |loc: &mut Vec<u8>| loc.extend_from_slice(&dest_v);
        let path = || {
            let (_, p, q) = rewrite::split_target(head.target.get(buf));
            let mut v = [p, q].concat();
            if v.is_empty() {
                v.push(b'/');
            }
            if r.drop_query {
                if let Some(i) = memchr::memchr(b'?', &v) {
                    v.truncate(i);
                }
            }
            v
        };
        match r.kind {
            RedirectKind::Location => {
                dest(&mut loc);
                if loc.is_empty() && r.ignore_empty {
                    return None;
                }
            }
            RedirectKind::Prefix => {
                dest(&mut loc);
                loc.extend_from_slice(&path());
            }
            RedirectKind::Scheme => {
                dest(&mut loc);
                loc.extend_from_slice(b"://");
                if let Some(h) = super::find_header(&head.headers, buf, "host") {
                    loc.extend_from_slice(h);
                }
                loc.extend_from_slice(&path());
            }
        }
        if r.append_slash && r.kind != RedirectKind::Location && loc.last() != Some(&b'/') {
            loc.push(b'/');
        }
        Some(redirect_response(r, &loc))
    }

    /// Whether a `stats admin if|unless <cond>` rule of `proxy` grants this
    /// request the stats page's admin form (the first that holds does, as
    /// in 2.6). Without such a rule every POST is answered `;st=DENY`.
    pub(super) fn stats_admin(&mut self, proxy: &Proxy, head: &h1::RequestHead) -> bool {
        let rules = if proxy.name == self.fe.conf.name {
            self.fe.rules.clone()
        } else {
            match self.fe.book.backends.get(&proxy.name) {
                Some((_, r)) => r.clone(),
                None => return false,
            }
        };
        rules
            .stats_admin
            .iter()
            .any(|c| self.cond_holds(Some(c), head))
    }

    /// A request the rules answered with `bytes`.
    async fn answer(
        &mut self,
        head: &h1::RequestHead,
        bytes: &[u8],
        cause: TermCause,
        phase: TermPhase,
    ) -> Verdict {
        self.rec.termination = Termination::new(cause, phase);
        Verdict::Done(self.local_response(head, bytes).await)
    }

    /// A rewrite that failed: 500, as 2.6 answers a failed rewrite.
    async fn rewrite_failed(&mut self, head: &h1::RequestHead, proxy: &Proxy) -> Verdict {
        let bytes = error_bytes(500, ErrorLayer::Http, &[proxy]);
        self.answer(head, &bytes, TermCause::Internal, TermPhase::Request)
            .await
    }

    /// Runs `proxy`'s `http-request` rules, then its `redirect` rules.
    pub(super) async fn request_rules(
        &mut self,
        head: &mut h1::RequestHead,
        rules: &ProxyRules,
        proxy: &Proxy,
        _edits: &mut RequestEdits,
    ) -> Verdict {
        for rule in &rules.http_request {
            if !self.cond_holds(rule.cond.as_ref(), head) {
                continue;
            }
            match &rule.action {
                HttpRequestAction::Allow => break,
                HttpRequestAction::Deny(spec) => {
                    self.sess.denied_request();
                    self.log_refused_cookies(head);
                    let bytes = self.answer_bytes(spec, &rule.c, head, proxy);
                    return self
                        .answer(head, &bytes, TermCause::Proxy, TermPhase::Request)
                        .await;
                }
                HttpRequestAction::Tarpit(spec) => {
                    self.sess.denied_request();
                    self.log_refused_cookies(head);
                    // Holding costs one timer: the task sleeps, nothing polls.
                    let t = proxy
                        .timeouts
                        .tarpit
                        .or(self.fe.conf.timeouts.tarpit)
                        .or(proxy.timeouts.connect)
                        .unwrap_or(0);
                    tokio::time::sleep(Duration::from_millis(t)).await;
                    let bytes = self.answer_bytes(spec, &rule.c, head, proxy);
                    return self
                        .answer(head, &bytes, TermCause::Proxy, TermPhase::Tarpit)
                        .await;
                }
                HttpRequestAction::Reject => {
                    self.sess.denied_request();
                    self.rec.termination = Termination::new(TermCause::Proxy, TermPhase::Request);
                    return Verdict::Done(Next::Close);
                }
                HttpRequestAction::Auth { realm } => {
                    let realm = realm.clone().unwrap_or_else(|| proxy.name.clone());
                    let bytes = crate::http::auth::unauthorized(&realm, &[proxy]);
                    return self
                        .answer(head, &bytes, TermCause::Local, TermPhase::Request)
                        .await;
                }
                HttpRequestAction::Redirect(r) => {
                    if let Some(bytes) = self.redirect_bytes(r, &rule.c, head) {
                        return self
                            .answer(head, &bytes, TermCause::Local, TermPhase::Request)
                            .await;
                    }
                }
                HttpRequestAction::Return(spec) => {
                    let bytes = self.answer_bytes(spec, &rule.c, head, proxy);
                    return self
                        .answer(head, &bytes, TermCause::Local, TermPhase::Request)
                        .await;
                }
                HttpRequestAction::Header(h) => {
                    if !self.header_action(head, h, &rule.c) {
                        return self.rewrite_failed(head, proxy).await;
                    }
                }
                HttpRequestAction::SetLine { part, .. }
                | HttpRequestAction::ReplaceLine { part, .. } => {
                    if !self.line_action(head, *part, &rule.c) {
                        return self.rewrite_failed(head, proxy).await;
                    }
                }
                HttpRequestAction::Var(v) => self.var_action(v, &rule.c, head),
                HttpRequestAction::SetLogLevel(level) => {
                    if level == "silent" {
                        self.silent = true;
                    }
                }
                HttpRequestAction::Capture { len, .. } => {
                    let v = rule.c.expr.as_ref().and_then(|e| self.sample(e, head));
                    let v = v.map(|s| {
                        let mut b = s.to_text();
                        b.truncate(*len);
                        b
                    });
                    self.rec.captured_request.push(v);
                }
                HttpRequestAction::CaptureId { id, .. } => {
                    let v = rule.c.expr.as_ref().and_then(|e| self.sample(e, head));
                    let Some(conf) = self.log.active() else {
                        continue;
                    };
                    if let (Some(v), Some(slot), Some(c)) = (
                        v,
                        self.rec.captured_request.get_mut(*id),
                        conf.capture_request.get(*id),
                    ) {
                        *slot = Some(c.take(&v.to_text()));
                    }
                }
                HttpRequestAction::Track(t) => {
                    let key = rule.c.expr.as_ref().and_then(|e| self.sample(e, head));
                    self.track(t, key, proxy);
                }
                HttpRequestAction::UseService(Service::PrometheusExporter) => {
                    let Some(rt) = crate::stats::current() else {
                        continue;
                    };
                    let target = head.target.get(self.cbuf.bytes());
                    let query = memchr::memchr(b'?', target)
                        .map(|q| String::from_utf8_lossy(&target[q + 1..]).into_owned())
                        .unwrap_or_default();
                    self.applet_log(proxy, "<PROMEX>");
                    let bytes = crate::stats::promex::respond(&rt, &query);
                    return Verdict::Done(self.local_response(head, &bytes).await);
                }
            }
        }
        for rule in &rules.redirects {
            if !self.cond_holds(rule.cond.as_ref(), head) {
                continue;
            }
            if let Some(bytes) = self.redirect_bytes(&rule.action, &rule.c, head) {
                return self
                    .answer(head, &bytes, TermCause::Local, TermPhase::Request)
                    .await;
            }
        }
        Verdict::Continue
    }

    pub(super) fn var_action(&mut self, v: &VarAction, c: &Compiled, head: &h1::RequestHead) {
        match v {
            VarAction::Set { var, .. } => {
                let Some((scope, name)) = VarScope::split(var) else {
                    return;
                };
                if let Some(val) = c.expr.as_ref().and_then(|e| self.sample(e, head)) {
                    self.state.set_var(scope, name, val);
                }
            }
            VarAction::SetFmt { var, .. } => {
                let Some((scope, name)) = VarScope::split(var) else {
                    return;
                };
                let val = self.rendered(c, head);
                self.state.set_var(scope, name, Sample::Str(val));
            }
            VarAction::Unset { var } => {
                if let Some((scope, name)) = VarScope::split(var) {
                    self.state.unset_var(scope, name);
                }
            }
        }
    }

    /// `track-scN` (the first rule to fill a slot wins) and `sc-inc-gpc*`.
    pub(super) fn track(&mut self, t: &TrackAction, key: Option<Sample>, proxy: &Proxy) {
        let now = crate::stick::clock::now_ms();
        match t {
            TrackAction::Track { slot, table, .. } => {
                let n = usize::from(*slot).min(2);
                // The transaction's own counter: one the connection tracks
                // does not stop it (2.6 looks at the stream's alone).
                if self.state.txn_track[n].is_some() {
                    return;
                }
                let name = table.as_deref().unwrap_or(&proxy.name);
                let Some(tbl) = self.fe.book.tables.get(name).cloned() else {
                    return;
                };
                let Some(k) = key.and_then(|k| crate::http::ctx::stick_key(&tbl, &k)) else {
                    return;
                };
                if let Some(e) = tbl.track(&k, now) {
                    // Tracking from http-request counts this request at once,
                    // as 2.6 does when the stream starts tracking, and a
                    // connection (its stream_start_counters).
                    e.on_conn(now);
                    e.on_http_req(now);
                    self.state.txn_track[n] = Some(e);
                }
            }
            TrackAction::IncGpc { gpc, slot } => {
                if let Some(e) = self.state.tracked(*slot) {
                    if *gpc == 0 {
                        e.inc_gpc0(now);
                    } else {
                        e.inc_gpc1(now);
                    }
                }
            }
        }
    }
}

/// What `%ci`, `%f`, `%b`, `%s`... print in a rule value.
pub(super) struct FmtNames<'a> {
    pub info: &'a crate::session::ClientInfo,
    pub fe: &'a str,
    pub backend: Option<&'a str>,
    pub server: Option<&'a str>,
}

pub(super) fn render_var(v: FmtVar, n: &FmtNames<'_>, out: &mut Vec<u8>) {
    use std::io::Write;
    let _ = match v {
        FmtVar::ClientIp => match n.info.src {
            Some(a) => write!(out, "{}", a.ip()),
            None => Ok(()),
        },
        FmtVar::ClientPort => match n.info.src {
            Some(a) => write!(out, "{}", a.port()),
            None => Ok(()),
        },
        FmtVar::FrontendIp => match n.info.dst {
            Some(a) => write!(out, "{}", a.ip()),
            None => Ok(()),
        },
        FmtVar::FrontendPort => match n.info.dst {
            Some(a) => write!(out, "{}", a.port()),
            None => Ok(()),
        },
        FmtVar::Frontend => write!(out, "{}", n.fe),
        FmtVar::Backend => match n.backend {
            Some(b) => write!(out, "{b}"),
            None => Ok(()),
        },
        FmtVar::Server => match n.server {
            Some(s) => write!(out, "{s}"),
            None => Ok(()),
        },
        FmtVar::Hostname => match nix::unistd::gethostname() {
            Ok(h) => write!(out, "{}", h.to_string_lossy()),
            Err(_) => Ok(()),
        },
    };
}

/// The request body when all of it is in `buf` (the head first).
pub(super) fn complete_body<'a>(head: &h1::RequestHead, buf: &'a [u8]) -> Option<&'a [u8]> {
    let rest = buf.get(head.head_len..)?;
    match head.framing {
        h1::BodyFraming::None => Some(b""),
        h1::BodyFraming::ContentLength(n) => rest.get(..usize::try_from(n).ok()?),
        _ => None,
    }
}
