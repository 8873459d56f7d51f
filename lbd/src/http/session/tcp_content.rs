//! `tcp-request content` rules in HTTP mode. 2.6 runs the frontend's on
//! each request once its head is in (the H1 layer waits for it, so
//! `inspect-delay` adds nothing), before the `http-request` rules, and the
//! backend's when the stream enters the backend, before the backend's
//! `http-request` rules. A `reject` closes the connection, logged as a
//! bad request (`PR`, no status). Entries they track belong to the
//! transaction.

use super::request_rules::Verdict;
use super::{Next, Session};
use crate::config::model::{Proxy, TcpAction, TcpPhase, TrackAction};
use crate::h1;
use crate::http::rules::ProxyRules;
use crate::log::{TermCause, TermPhase, Termination};

/// Which proxy's rules run: the frontend's see the request before the
/// HTTP layer has counted it, the backend's after.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ContentStage {
    Frontend,
    Backend,
}

impl Session {
    /// Runs the `tcp-request content` rules of `rules` on request `head`.
    /// At the frontend stage, then counts the request on the entries the
    /// connection tracks.
    pub(super) fn content_rules(
        &mut self,
        head: &h1::RequestHead,
        rules: &ProxyRules,
        proxy: &Proxy,
        stage: ContentStage,
    ) -> Verdict {
        // Slots this stage starts tracking; at the backend stage their
        // request is counted only once the rules let it through (2.6
        // counts it in the backend's HTTP processing, which a reject skips).
        let mut fresh = [false; 3];
        for (phase, rule) in &rules.tcp_request {
            if *phase != TcpPhase::Content || !self.cond_holds(rule.cond.as_ref(), head) {
                continue;
            }
            match &rule.action {
                TcpAction::Accept => break,
                TcpAction::Reject => {
                    self.sess.denied_request();
                    if stage == ContentStage::Frontend {
                        // The HTTP layer never saw the request: no line,
                        // no status, no request time in the log.
                        self.rec.request_line = None;
                    }
                    self.times.head_done = None;
                    self.rec.termination = Termination::new(TermCause::Proxy, TermPhase::Request);
                    return Verdict::Done(Next::Close);
                }
                TcpAction::Track(t) => {
                    let key = rule.c.expr.as_ref().and_then(|e| self.sample(e, head));
                    match (stage, t) {
                        (ContentStage::Backend, TrackAction::Track { slot, .. }) => {
                            let n = usize::from(*slot).min(2);
                            let had = self.state.txn_track[n].is_some();
                            self.track_quiet(t, key, proxy);
                            fresh[n] = !had && self.state.txn_track[n].is_some();
                        }
                        _ => self.track(t, key, proxy),
                    }
                }
                TcpAction::Var(v) => self.var_action(v, &rule.c, head),
                TcpAction::Capture { len, .. } => {
                    let v = rule.c.expr.as_ref().and_then(|e| self.sample(e, head));
                    let v = v.map(|s| {
                        let mut b = s.to_text();
                        b.truncate(*len);
                        b
                    });
                    self.rec.captured_request.push(v);
                }
                TcpAction::ExpectProxy | TcpAction::Close => {}
            }
        }
        // The clock is read only for an entry to count on: most configs
        // track nothing, and this runs on every request.
        let mut now = None;
        let mut now = || *now.get_or_insert_with(crate::stick::clock::now_ms);
        match stage {
            ContentStage::Backend => {
                for (n, f) in fresh.iter().enumerate() {
                    if let (true, Some(e)) = (*f, &self.state.txn_track[n]) {
                        e.on_http_req(now());
                    }
                }
            }
            ContentStage::Frontend => {
                // 2.6's stream_inc_http_req_ctr: each counter once, the
                // stream's entry (counted when tracked) else the
                // connection's.
                for n in 0..3 {
                    if self.state.txn_track[n].is_none() {
                        if let Some(e) = &self.state.sess_track[n] {
                            e.on_http_req(now());
                        }
                    }
                }
            }
        }
        Verdict::Continue
    }

    /// `track-scN` at the backend's content stage: the entry counts a
    /// connection now and the request later ([`Self::content_rules`]).
    fn track_quiet(&mut self, t: &TrackAction, key: Option<crate::sample::Sample>, proxy: &Proxy) {
        let TrackAction::Track { slot, table, .. } = t else {
            return;
        };
        let n = usize::from(*slot).min(2);
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
        let now = crate::stick::clock::now_ms();
        if let Some(e) = tbl.track(&k, now) {
            e.on_conn(now);
            self.state.txn_track[n] = Some(e);
        }
    }
}
