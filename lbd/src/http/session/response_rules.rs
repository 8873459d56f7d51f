//! The `http-response` rules of the backend, then of the frontend, run on
//! a server's response head before it goes to the client. Rewrites change
//! the head in the server buffer; `deny`, `return` and `redirect` put a
//! response lbd builds in place of the server's (which is dropped with its
//! connection), as 2.6 does.

use super::request_rules::{redirect_response, render_var, FmtNames};
use super::{Next, Session};
use crate::config::model::{
    HeaderAction, HttpResponseAction, Proxy, Redirect, ReturnBody, ReturnSpec, VarAction,
};
use crate::h1;
use crate::http::ctx::{ResMsg, RuleCtx, State};
use crate::http::respond::return_bytes;
use crate::http::rewrite::{self, HeaderEdit};
use crate::http::rules::{Compiled, Fmt, Piece, ProxyRules};
use crate::log::{ProxyLogConf, TermCause, TermPhase, Termination, TxnLog};
use crate::runtime::{Backend, Frontend};
use crate::sample::{Sample, VarScope};
use crate::session::ClientInfo;
use std::sync::Arc;

/// A response the rules put in place of the server's.
pub(super) struct Replacement {
    bytes: Vec<u8>,
    /// `P` for `deny`, `L` for `return` and `redirect` (phase `H`).
    cause: TermCause,
}

/// What evaluating a rule over a response needs beside the response.
pub(super) struct ResScope<'a> {
    pub info: &'a ClientInfo,
    pub fe: &'a Frontend,
    pub be: Option<&'a Backend>,
    pub server: Option<&'a str>,
    pub first_request: bool,
}

impl ResScope<'_> {
    /// Runs `f` with the sample context of response `resp` held in `buf`.
    pub(super) fn with<R>(
        &self,
        state: &mut State,
        buf: &[u8],
        resp: &h1::ResponseHead,
        f: impl FnOnce(&mut RuleCtx<'_>) -> R,
    ) -> R {
        let mut cx = RuleCtx::new(self.info, self.fe, state);
        cx.res = Some(ResMsg { buf, head: resp });
        cx.be = self.be;
        cx.server = self.server;
        cx.first_request = self.first_request;
        f(&mut cx)
    }

    /// Renders a log-format value over the response into `out`.
    pub(super) fn render(
        &self,
        state: &mut State,
        f: &Fmt,
        buf: &[u8],
        resp: &h1::ResponseHead,
        out: &mut Vec<u8>,
    ) {
        for p in &f.pieces {
            match p {
                Piece::Text(t) => out.extend_from_slice(t),
                Piece::Expr(e) => {
                    if let Some(v) = self.with(state, buf, resp, |cx| e.eval(cx)) {
                        out.extend_from_slice(&v.to_text());
                    }
                }
                Piece::Var(v) => {
                    let names = FmtNames {
                        info: self.info,
                        fe: &self.fe.name,
                        backend: self.be.map(|b| b.name.as_str()),
                        server: self.server,
                    };
                    render_var(*v, &names, out);
                }
            }
        }
    }

    /// `set-var`, `set-var-fmt`, `unset-var` over a response.
    pub(super) fn var_action(
        &self,
        state: &mut State,
        v: &VarAction,
        c: &Compiled,
        buf: &[u8],
        resp: &h1::ResponseHead,
    ) {
        match v {
            VarAction::Set { var, .. } => {
                let Some((scope, name)) = VarScope::split(var) else {
                    return;
                };
                let val = c
                    .expr
                    .as_ref()
                    .and_then(|e| self.with(state, buf, resp, |cx| e.eval(cx)));
                if let Some(val) = val {
                    state.set_var(scope, name, val);
                }
            }
            VarAction::SetFmt { var, .. } => {
                let Some((scope, name)) = VarScope::split(var) else {
                    return;
                };
                let mut val = Vec::new();
                if let Some(f) = &c.fmt {
                    self.render(state, f, buf, resp, &mut val);
                }
                state.set_var(scope, name, Sample::Str(val));
            }
            VarAction::Unset { var } => {
                if let Some((scope, name)) = VarScope::split(var) {
                    state.unset_var(scope, name);
                }
            }
        }
    }
}

/// Puts the values of `http-response capture` rules in their declared
/// slots, once the header captures have filled them.
pub(super) fn fill_captures(state: &mut State, rec: &mut TxnLog, conf: &ProxyLogConf) {
    for (id, v) in state.res_captures.drain(..) {
        if let (Some(slot), Some(c)) = (
            rec.captured_response.get_mut(id),
            conf.capture_response.get(id),
        ) {
            *slot = Some(c.take(&v));
        }
    }
}

/// A header rewrite as the h1 writer takes it; None for a model/compiled
/// mismatch (never built by the compiler).
pub(super) fn header_edit<'a>(
    h: &'a HeaderAction,
    c: &'a Compiled,
    v: &'a [u8],
) -> Option<HeaderEdit<'a>> {
    Some(match (h, &c.regex) {
        (HeaderAction::Set { name, .. }, _) => HeaderEdit::Set(name, v),
        (HeaderAction::Add { name, .. }, _) => HeaderEdit::Add(name, v),
        (HeaderAction::Del { name }, _) => HeaderEdit::Del(name),
        (HeaderAction::Replace { name, .. }, Some(re)) => HeaderEdit::Replace(name, re, v),
        (HeaderAction::ReplaceValue { name, .. }, Some(re)) => {
            HeaderEdit::ReplaceValue(name, re, v)
        }
        _ => return None,
    })
}

impl Session {
    /// The backend's rules, then the frontend's (a listen section's once),
    /// each with the proxy it belongs to. On the stack: this runs up to
    /// three times per response.
    pub(super) fn response_rule_sets(
        &self,
        be: Option<&Arc<Backend>>,
    ) -> [Option<Arc<ProxyRules>>; 2] {
        let fe = &self.fe;
        match be {
            Some(be) if be.conf.cap.frontend && be.name == fe.name => [self.rules_of(be), None],
            Some(be) => [self.rules_of(be), Some(fe.rules.clone())],
            None => [Some(fe.rules.clone()), None],
        }
    }

    /// Runs the `http-response` rules on `resp`; Some when a rule answers
    /// in the server's place.
    pub(super) fn response_rules(
        &mut self,
        resp: &mut h1::ResponseHead,
        be: &Arc<Backend>,
        method: h1::Method,
    ) -> Option<Replacement> {
        let fe = self.fe.clone();
        let sets = self.response_rule_sets(Some(be));
        for rules in sets.into_iter().flatten() {
            let proxy: &Proxy = if Arc::ptr_eq(&rules, &fe.rules) {
                &fe.conf
            } else {
                &be.conf
            };
            for rule in &rules.http_response {
                let holds = match &rule.cond {
                    None => true,
                    Some(c) => self.with_res_ctx(resp, be, |cx| c.holds(cx)),
                };
                if !holds {
                    continue;
                }
                match &rule.action {
                    HttpResponseAction::Allow => break,
                    HttpResponseAction::Deny(spec) => {
                        self.denied_response(be);
                        let bytes = self.res_answer(spec, &rule.c, resp, be, proxy);
                        return Some(Replacement {
                            bytes,
                            cause: TermCause::Proxy,
                        });
                    }
                    HttpResponseAction::Return(spec) => {
                        let bytes = self.res_answer(spec, &rule.c, resp, be, proxy);
                        return Some(Replacement {
                            bytes,
                            cause: TermCause::Local,
                        });
                    }
                    HttpResponseAction::Redirect(r) => {
                        if let Some(bytes) = self.res_redirect(r, &rule.c, resp, be) {
                            return Some(Replacement {
                                bytes,
                                cause: TermCause::Local,
                            });
                        }
                    }
                    HttpResponseAction::Header(h) => {
                        let mut v = Vec::new();
                        if let Some(f) = &rule.c.fmt {
                            self.render_res(f, resp, be, &mut v);
                        }
                        if let Some(edit) = header_edit(h, &rule.c, &v) {
                            self.rewrite_response(resp, method, None, Some(edit));
                        }
                    }
                    HttpResponseAction::SetStatus { status, reason } => {
                        let reason = reason
                            .clone()
                            .unwrap_or_else(|| crate::http::respond::reason(*status).to_string());
                        self.rewrite_response(
                            resp,
                            method,
                            Some((*status, reason.as_bytes())),
                            None,
                        );
                        self.rec.status = Some(resp.status);
                    }
                    HttpResponseAction::Var(v) => {
                        let scope = ResScope {
                            info: &self.info,
                            fe: &self.fe,
                            be: Some(be),
                            server: self.rec.server.as_deref(),
                            first_request: self.first_request(),
                        };
                        scope.var_action(&mut self.state, v, &rule.c, self.sbuf.bytes(), resp);
                    }
                    HttpResponseAction::SetLogLevel(l) => {
                        if l == "silent" {
                            self.silent = true;
                        }
                    }
                    HttpResponseAction::Capture { id, .. } => {
                        let v = rule
                            .c
                            .expr
                            .as_ref()
                            .and_then(|e| self.with_res_ctx(resp, be, |cx| e.eval(cx)));
                        if let Some(v) = v {
                            self.state.res_captures.push((*id, v.to_text()));
                        }
                    }
                    HttpResponseAction::Track(t) => {
                        let key = rule
                            .c
                            .expr
                            .as_ref()
                            .and_then(|e| self.with_res_ctx(resp, be, |cx| e.eval(cx)));
                        self.track(t, key, proxy);
                    }
                }
            }
        }
        None
    }

    /// Sends `r` in place of the server's response; the server's bytes are
    /// dropped (its connection is closed by the caller).
    pub(super) async fn send_replacement(
        &mut self,
        head: &h1::RequestHead,
        r: Replacement,
        request_done: bool,
    ) -> Next {
        let n = self.sbuf.len();
        self.sbuf.consume(n);
        self.rec.termination = Termination::new(r.cause, TermPhase::Headers);
        self.send_local_with(head, &r.bytes, !request_done).await
    }

    /// `dresp` on the frontend, the backend and the server, as 2.6 counts
    /// an `http-response deny`.
    fn denied_response(&self, be: &Backend) {
        use crate::stats::Ctr;
        self.fe.stats.totals.inc(Ctr::Dresp);
        be.stats.totals.inc(Ctr::Dresp);
        let srv = self.rec.server.as_deref();
        if let Some(s) = be.servers.iter().find(|s| Some(s.name.as_str()) == srv) {
            s.stats.totals.inc(Ctr::Dresp);
        }
    }

    /// The bytes of an `http-response deny|return`.
    fn res_answer(
        &mut self,
        spec: &ReturnSpec,
        c: &Compiled,
        resp: &h1::ResponseHead,
        be: &Arc<Backend>,
        proxy: &Proxy,
    ) -> Vec<u8> {
        if let (ReturnBody::Format(_), Some(f)) = (&spec.body, &c.fmt) {
            let mut body = Vec::new();
            self.render_res(f, resp, be, &mut body);
            let mut s = spec.clone();
            s.body = ReturnBody::Bytes(body);
            return return_bytes(&s, &[proxy]);
        }
        return_bytes(spec, &[proxy])
    }

    /// `http-response redirect location <fmt>`; None when `ignore-empty`
    /// skips an empty location.
    fn res_redirect(
        &mut self,
        r: &Redirect,
        c: &Compiled,
        resp: &h1::ResponseHead,
        be: &Arc<Backend>,
    ) -> Option<Vec<u8>> {
        let mut loc = Vec::with_capacity(64);
        match &c.fmt {
            Some(f) => self.render_res(f, resp, be, &mut loc),
            None => loc.extend_from_slice(r.target.as_bytes()),
        }
        if loc.is_empty() && r.ignore_empty {
            return None;
        }
        Some(redirect_response(r, &loc))
    }

    pub(super) fn with_res_ctx<R>(
        &mut self,
        resp: &h1::ResponseHead,
        be: &Arc<Backend>,
        f: impl FnOnce(&mut RuleCtx<'_>) -> R,
    ) -> R {
        let scope = ResScope {
            info: &self.info,
            fe: &self.fe,
            be: Some(be),
            server: self.rec.server.as_deref(),
            first_request: self.first_request(),
        };
        scope.with(&mut self.state, self.sbuf.bytes(), resp, f)
    }

    fn render_res(
        &mut self,
        f: &Fmt,
        resp: &h1::ResponseHead,
        be: &Arc<Backend>,
        out: &mut Vec<u8>,
    ) {
        let scope = ResScope {
            info: &self.info,
            fe: &self.fe,
            be: Some(be),
            server: self.rec.server.as_deref(),
            first_request: self.first_request(),
        };
        scope.render(&mut self.state, f, self.sbuf.bytes(), resp, out);
    }

    /// Rebuilds the response head in the server buffer; a rewrite that does
    /// not fit leaves the response as it was.
    fn rewrite_response(
        &mut self,
        resp: &mut h1::ResponseHead,
        method: h1::Method,
        status: Option<(u16, &[u8])>,
        edit: Option<HeaderEdit<'_>>,
    ) {
        let mut out = Vec::with_capacity(resp.head_len + 64);
        rewrite::response_head(&mut out, self.sbuf.bytes(), resp, status, edit);
        self.install_response_head(resp, method, &out);
    }

    /// Puts `new` in place of the response head in the server buffer.
    pub(super) fn install_response_head(
        &mut self,
        resp: &mut h1::ResponseHead,
        method: h1::Method,
        new: &[u8],
    ) {
        if new.len() > self.opts.max_head || !self.sbuf.replace_front(resp.head_len, new) {
            return;
        }
        if let Ok(Some(h)) = h1::parse_response(self.sbuf.bytes(), method, &self.opts) {
            *resp = h;
        }
    }
}
