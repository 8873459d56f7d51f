//! `http-after-response` rules: the last word on every response the client
//! gets, forwarded or built by lbd (errors, `deny`, `return`, redirects,
//! the stats page), the backend's rules first, then the frontend's, as 2.6
//! runs them. They see the response, the connection and the transaction's
//! variables; the request is no longer there to fetch from.

use super::response_rules::{header_edit, ResScope};
use super::Session;
use crate::config::model::HttpResponseAction;
use crate::h1;
use crate::http::rewrite;

impl Session {
    /// Runs the rules over the whole response in `msg` (head, and body if
    /// any); None when no rule changed it.
    pub(super) fn after_response(&mut self, msg: &[u8]) -> Option<Vec<u8>> {
        let be = self.cur_be.clone();
        let sets = self.response_rule_sets(be.as_ref());
        if sets.iter().flatten().all(|r| r.http_after.is_empty()) {
            return None;
        }
        let fe = self.fe.clone();
        let scope = ResScope {
            info: &self.info,
            fe: &fe,
            be: be.as_deref(),
            server: self.rec.server.as_deref(),
            first_request: self.first_request(),
        };
        let state = &mut self.state;
        let mut cur: Option<Vec<u8>> = None;
        for rules in sets.iter().flatten() {
            for rule in &rules.http_after {
                let buf = cur.as_deref().unwrap_or(msg);
                let Ok(Some(resp)) = h1::parse_response(buf, h1::Method::Get, &self.opts) else {
                    return cur;
                };
                if let Some(c) = &rule.cond {
                    if !scope.with(state, buf, &resp, |cx| c.holds(cx)) {
                        continue;
                    }
                }
                let mut out = Vec::with_capacity(buf.len() + 64);
                match &rule.action {
                    HttpResponseAction::Allow => break,
                    HttpResponseAction::Header(h) => {
                        let mut v = Vec::new();
                        if let Some(f) = &rule.c.fmt {
                            scope.render(state, f, buf, &resp, &mut v);
                        }
                        let Some(edit) = header_edit(h, &rule.c, &v) else {
                            continue;
                        };
                        rewrite::response_head(&mut out, buf, &resp, None, Some(edit));
                    }
                    HttpResponseAction::SetStatus { status, reason } => {
                        let reason = reason
                            .as_deref()
                            .unwrap_or_else(|| crate::http::respond::reason(*status));
                        let st = Some((*status, reason.as_bytes()));
                        rewrite::response_head(&mut out, buf, &resp, st, None);
                    }
                    HttpResponseAction::Var(v) => {
                        scope.var_action(state, v, &rule.c, buf, &resp);
                        continue;
                    }
                    _ => continue,
                }
                out.extend_from_slice(&buf[resp.head_len.min(buf.len())..]);
                cur = Some(out);
            }
        }
        cur
    }

    /// The rules over a forwarded response, whose head is in the server
    /// buffer.
    pub(super) fn after_forwarded(&mut self, resp: &mut h1::ResponseHead, method: h1::Method) {
        let sets = self.response_rule_sets(self.cur_be.as_ref());
        if sets.iter().flatten().all(|r| r.http_after.is_empty()) {
            return;
        }
        let head = self.sbuf.bytes()[..resp.head_len.min(self.sbuf.len())].to_vec();
        if let Some(new) = self.after_response(&head) {
            self.install_response_head(resp, method, &new);
        }
    }
}
