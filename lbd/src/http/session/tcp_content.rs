//! `tcp-request content` rules in an HTTP frontend. 2.6 runs them on each
//! request once its head is in (the H1 layer waits for it, so
//! `inspect-delay` adds nothing), before the `http-request` rules; a
//! `reject` closes the connection, logged as a bad request (`PR`, no
//! status). Entries they track belong to the transaction.

use super::request_rules::Verdict;
use super::{Next, Session};
use crate::config::model::{TcpAction, TcpPhase};
use crate::h1;
use crate::log::{TermCause, TermPhase, Termination};

impl Session {
    /// Runs the frontend's content rules on request `head`, then counts
    /// the request on the entries the connection tracks.
    pub(super) fn content_rules(&mut self, head: &h1::RequestHead) -> Verdict {
        let fe = self.fe.clone();
        for (phase, rule) in &fe.rules.tcp_request {
            if *phase != TcpPhase::Content || !self.cond_holds(rule.cond.as_ref(), head) {
                continue;
            }
            match &rule.action {
                TcpAction::Accept => break,
                TcpAction::Reject => {
                    self.sess.denied_request();
                    // The HTTP layer never saw the request: no line, no
                    // status, no request time in the log.
                    self.rec.request_line = None;
                    self.times.head_done = None;
                    self.rec.termination = Termination::new(TermCause::Proxy, TermPhase::Request);
                    return Verdict::Done(Next::Close);
                }
                TcpAction::Track(t) => {
                    let key = rule.c.expr.as_ref().and_then(|e| self.sample(e, head));
                    self.track(t, key, &fe.conf);
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
                TcpAction::ExpectProxy => {}
            }
        }
        // 2.6's stream_inc_http_req_ctr: each counter once, the stream's
        // entry (counted when tracked) else the connection's.
        let now = crate::stick::clock::now_ms();
        for n in 0..3 {
            if self.state.txn_track[n].is_none() {
                if let Some(e) = &self.state.sess_track[n] {
                    e.on_http_req(now);
                }
            }
        }
        Verdict::Continue
    }
}
