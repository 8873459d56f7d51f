//! The health of one server as HAProxy 2.6 tracks it, without I/O: check
//! results come in, state transitions come out.
//!
//! Each check (the health check and the agent) has a health counter in
//! `0..rise+fall`: at or above `rise` it counts as up. A server with `check`
//! starts UP with the counter at `rise`, so the first failure takes it DOWN
//! (2.6 has no `init-state`; verified against /usr/sbin/haproxy), while a
//! server that has passed needs `fall` failures. Coming back needs `rise`
//! successes. An agent cannot take a server down by being unreachable, only by
//! answering `down`, `stopped` or `fail`.

use serde::{Deserialize, Serialize};

/// HAProxy's check statuses (`check_status` in the stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckStatus {
    Unknown,
    Ini,
    /// An agent reply without a health word: no status change.
    Checked,
    SockErr,
    L4Ok,
    L4Tout,
    L4Con,
    L6Ok,
    L6Tout,
    L6Rsp,
    L7Tout,
    L7Rsp,
    L7Ok,
    L7OkC,
    L7Sts,
}

/// What a status means for the health counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckResult {
    Neutral,
    Failed,
    Passed,
    /// Passed, but the server asks for no new traffic (404 with disable-on-404).
    CondPass,
}

impl CheckStatus {
    /// The short name shown in the stats (`L4OK`).
    pub fn name(self) -> &'static str {
        use CheckStatus::*;
        match self {
            Unknown => "UNK",
            Ini => "INI",
            Checked => "CHECKED",
            SockErr => "SOCKERR",
            L4Ok => "L4OK",
            L4Tout => "L4TOUT",
            L4Con => "L4CON",
            L6Ok => "L6OK",
            L6Tout => "L6TOUT",
            L6Rsp => "L6RSP",
            L7Tout => "L7TOUT",
            L7Rsp => "L7RSP",
            L7Ok => "L7OK",
            L7OkC => "L7OKC",
            L7Sts => "L7STS",
        }
    }

    /// The description used in logs (`check_desc`).
    pub fn desc(self) -> &'static str {
        use CheckStatus::*;
        match self {
            Unknown => "Unknown",
            Ini => "Initializing",
            Checked => "No status change",
            SockErr => "Socket error",
            L4Ok => "Layer4 check passed",
            L4Tout => "Layer4 timeout",
            L4Con => "Layer4 connection problem",
            L6Ok => "Layer6 check passed",
            L6Tout => "Layer6 timeout",
            L6Rsp => "Layer6 invalid response",
            L7Tout => "Layer7 timeout",
            L7Rsp => "Layer7 invalid response",
            L7Ok => "Layer7 check passed",
            L7OkC => "Layer7 check conditionally passed",
            L7Sts => "Layer7 wrong status",
        }
    }

    /// The number `show servers state` prints (`srv_check_status`).
    pub fn code(self) -> u8 {
        use CheckStatus::*;
        match self {
            Unknown => 0,
            Ini => 1,
            Checked => 3,
            SockErr => 5,
            L4Ok => 6,
            L4Tout => 7,
            L4Con => 8,
            L6Ok => 9,
            L6Tout => 10,
            L6Rsp => 11,
            L7Tout => 12,
            L7Rsp => 13,
            L7Ok => 15,
            L7OkC => 16,
            L7Sts => 17,
        }
    }

    pub fn result(self) -> CheckResult {
        use CheckStatus::*;
        match self {
            Unknown | Ini | Checked => CheckResult::Neutral,
            L4Ok | L6Ok | L7Ok => CheckResult::Passed,
            L7OkC => CheckResult::CondPass,
            SockErr | L4Tout | L4Con | L6Tout | L6Rsp | L7Tout | L7Rsp | L7Sts => {
                CheckResult::Failed
            }
        }
    }

    /// Statuses from layer 5 up carry a response code in messages.
    pub fn has_code(self) -> bool {
        matches!(
            self,
            CheckStatus::L7Ok | CheckStatus::L7OkC | CheckStatus::L7Sts
        )
    }

    /// `ok-status` / `error-status` / `tout-status` names.
    pub fn from_name(s: &str) -> Option<CheckStatus> {
        use CheckStatus::*;
        [
            L4Ok, L4Tout, L4Con, L6Ok, L6Tout, L6Rsp, L7Tout, L7Rsp, L7Ok, L7OkC, L7Sts,
        ]
        .into_iter()
        .find(|c| c.name() == s)
    }
}

/// The outcome of one check run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    pub status: CheckStatus,
    /// HTTP status (or agent code) for layer-7 statuses.
    pub code: Option<u16>,
    /// The `info` text: an error, the HTTP reason, the agent's words.
    pub info: String,
    pub duration_ms: u64,
}

impl CheckReport {
    pub fn new(status: CheckStatus, info: impl Into<String>, duration_ms: u64) -> Self {
        CheckReport {
            status,
            code: None,
            info: info.into(),
            duration_ms,
        }
    }

    /// `, reason: ..., code: N, info: "...", check duration: Nms`, as 2.6's
    /// `srv_append_status`.
    pub fn reason_suffix(&self) -> String {
        let mut s = format!(", reason: {}", self.status.desc());
        if let (true, Some(c)) = (self.status.has_code(), self.code) {
            s.push_str(&format!(", code: {c}"));
        }
        if !self.info.is_empty() {
            s.push_str(&format!(", info: \"{}\"", ascii_encode(&self.info)));
        }
        s.push_str(&format!(", check duration: {}ms", self.duration_ms));
        s
    }
}

/// 2.6's `chunk_asciiencode` with `"` escaped: non-printable bytes and the
/// quote become `\xNN`-style escapes so a log line stays one line.
fn ascii_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if !(0x20..0x7f).contains(&b) || b == b'"' {
            out.push_str(&format!("\\x{b:02x}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// One check's health counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub rise: u32,
    pub fall: u32,
    pub value: u32,
}

impl Health {
    /// A fresh check: up, but down at the first failure.
    pub fn starting(rise: u32, fall: u32) -> Self {
        let (rise, fall) = (rise.max(1), fall.max(1));
        Health {
            rise,
            fall,
            value: rise,
        }
    }

    pub fn max(&self) -> u32 {
        self.rise + self.fall - 1
    }

    pub fn is_up(&self) -> bool {
        self.value >= self.rise
    }

    fn fail(&mut self) {
        if self.value > 0 {
            self.value -= 1;
            if self.value < self.rise {
                self.value = 0;
            }
        }
    }

    fn pass(&mut self) {
        if self.value < self.max() {
            self.value += 1;
            if self.value >= self.rise {
                self.value = self.max();
            }
        }
    }
}

/// HAProxy's operational state (`srv_op_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpState {
    Stopped,
    /// NOLB: up, but no new balanced traffic (disable-on-404).
    Stopping,
    Running,
}

/// What the agent said, parsed from its line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentReply {
    pub health: Option<AgentHealth>,
    pub admin: Option<AgentAdmin>,
    /// `NN%` of the configured weight.
    pub weight_pct: Option<u32>,
    /// The text after `#`.
    pub desc: String,
    /// The first word that made no sense.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentHealth {
    Up,
    /// `down`, `stopped` or `fail`.
    Down(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentAdmin {
    Ready,
    Drain,
    Maint,
}

/// Parses the first line of an agent's answer: words separated by spaces,
/// tabs or commas, then an optional `#` description. Later words of a kind
/// win. None when there is no complete line.
pub fn parse_agent_line(buf: &[u8]) -> Option<AgentReply> {
    let end = buf.iter().position(|&b| b == b'\n' || b == b'\r')?;
    let line = String::from_utf8_lossy(&buf[..end]);
    let mut r = AgentReply::default();
    // A '#' starts the description only at the start of a word, as in 2.6.
    let seps = [' ', '\t', ','];
    let mut words = line.as_ref();
    let mut at_word_start = true;
    for (i, ch) in line.char_indices() {
        if ch == '#' && at_word_start {
            words = &line[..i];
            r.desc = line[i + 1..].trim_start().to_string();
            break;
        }
        at_word_start = seps.contains(&ch);
    }
    for w in words.split(seps).filter(|w| !w.is_empty()) {
        let lw = w.to_ascii_lowercase();
        match lw.as_str() {
            "up" => r.health = Some(AgentHealth::Up),
            "down" => r.health = Some(AgentHealth::Down("down")),
            "stopped" => r.health = Some(AgentHealth::Down("stopped")),
            "fail" => r.health = Some(AgentHealth::Down("fail")),
            "ready" => r.admin = Some(AgentAdmin::Ready),
            "drain" => r.admin = Some(AgentAdmin::Drain),
            "maint" => r.admin = Some(AgentAdmin::Maint),
            _ if w.starts_with(|c: char| c.is_ascii_digit()) && w.ends_with('%') => {
                match w[..w.len() - 1].parse::<u32>() {
                    Ok(p) => r.weight_pct = Some(p.min(25600)),
                    Err(_) => {
                        r.error.get_or_insert_with(|| w.to_string());
                    }
                }
            }
            _ => {
                r.error.get_or_insert_with(|| w.to_string());
            }
        }
    }
    Some(r)
}

/// A change the runtime must apply and report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Marked DOWN; the report says why.
    Down(CheckReport),
    /// Marked UP again.
    Up(CheckReport),
    /// NOLB: still up, no new balanced traffic.
    Stopping(CheckReport),
    EnterDrain,
    /// The agent said `drain` again ("remains in forced drain mode").
    StillDrain,
    LeaveDrain,
    EnterMaint,
    LeaveMaint,
    /// The user weight changed (agent `NN%`).
    Weight(u32),
}

/// Which check a timer or a result belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    Health,
    Agent,
}

/// Intervals of one check, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    pub inter: u64,
    pub fastinter: Option<u64>,
    pub downinter: Option<u64>,
}

/// Everything health-related about one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHealth {
    pub check: Option<Health>,
    pub agent: Option<Health>,
    pub op: OpState,
    pub drain: bool,
    pub maint: bool,
    /// Configured weight (`iweight`).
    pub iweight: u32,
    /// Current user weight (`uweight`), moved by the agent.
    pub uweight: u32,
    pub last_check: Option<CheckReport>,
    pub last_agent: Option<CheckReport>,
}

impl ServerHealth {
    pub fn new(check: Option<Health>, agent: Option<Health>, weight: u32) -> Self {
        ServerHealth {
            check,
            agent,
            op: OpState::Running,
            drain: false,
            maint: false,
            iweight: weight,
            uweight: weight,
            last_check: None,
            last_agent: None,
        }
    }

    /// The weight balancing should use: 0 while draining or NOLB, since both
    /// mean "no new balanced traffic" (persistence is not there yet).
    pub fn effective_weight(&self) -> u32 {
        if self.drain || self.op == OpState::Stopping {
            0
        } else {
            self.uweight
        }
    }

    pub fn is_up(&self) -> bool {
        self.op != OpState::Stopped && !self.maint
    }

    fn others_up(&self) -> bool {
        self.check.is_none_or(|h| h.is_up()) && self.agent.is_none_or(|h| h.is_up())
    }

    /// Forced maintenance (2.6's srv_update_status): the health check drops
    /// to 0 and the server counts as stopped underneath the MAINT flag.
    pub fn enter_admin_maint(&mut self) {
        if let Some(h) = self.check.as_mut() {
            h.value = 0;
        }
        self.op = OpState::Stopped;
    }

    /// Leaving forced maintenance: an enabled check restarts at `rise`
    /// (shown as `UP 1/<fall>` until the next check confirms it), and the
    /// server is UP again if its checks allow it. 2.6's comment says "check
    /// immediately", but the check task keeps its schedule; so does lbd's.
    pub fn leave_admin_maint(&mut self, check_enabled: bool) {
        if check_enabled {
            if let Some(h) = self.check.as_mut() {
                h.value = h.rise;
            }
        }
        let check_ok = !check_enabled || self.check.is_none_or(|h| h.is_up());
        if check_ok && self.agent.is_none_or(|h| h.is_up()) {
            self.op = OpState::Running;
        }
    }

    /// Applies a health-check result.
    pub fn on_check(&mut self, r: CheckReport) -> Vec<Transition> {
        self.last_check = Some(r.clone());
        let Some(h) = self.check.as_mut() else {
            return Vec::new();
        };
        let result = r.status.result();
        match result {
            CheckResult::Failed => h.fail(),
            CheckResult::Passed | CheckResult::CondPass => h.pass(),
            CheckResult::Neutral => return Vec::new(),
        }
        self.settle(result, r, Probe::Health)
    }

    /// Applies an agent exchange: Ok with its reply, or Err with the
    /// connection failure (which changes nothing but the last status).
    pub fn on_agent(
        &mut self,
        reply: Result<AgentReply, CheckReport>,
        duration_ms: u64,
    ) -> Vec<Transition> {
        let reply = match reply {
            Ok(r) => r,
            Err(report) => {
                self.last_agent = Some(report);
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        match reply.admin {
            Some(AgentAdmin::Drain) if self.drain => out.push(Transition::StillDrain),
            Some(AgentAdmin::Drain) => {
                self.drain = true;
                out.push(Transition::EnterDrain);
            }
            Some(AgentAdmin::Maint) if !self.maint => {
                self.maint = true;
                out.push(Transition::EnterMaint);
            }
            Some(AgentAdmin::Ready) => {
                if self.drain {
                    self.drain = false;
                    out.push(Transition::LeaveDrain);
                }
                if self.maint {
                    self.maint = false;
                    out.push(Transition::LeaveMaint);
                }
            }
            _ => {}
        }
        if let Some(p) = reply.weight_pct {
            let w = (u64::from(self.iweight) * u64::from(p) / 100).min(256) as u32;
            if w != self.uweight {
                self.uweight = w;
                out.push(Transition::Weight(w));
            }
        }
        let Some(health) = reply.health else {
            self.last_agent = Some(CheckReport::new(CheckStatus::Checked, "", duration_ms));
            return out;
        };
        let (status, word) = match health {
            AgentHealth::Up => (CheckStatus::L7Ok, "up"),
            AgentHealth::Down(w) => (CheckStatus::L7Sts, w),
        };
        let mut msg = reply.desc.clone();
        if msg.is_empty() || status == CheckStatus::L7Ok {
            if let Some(e) = &reply.error {
                msg = e.clone();
            }
        }
        let info = if msg.is_empty() {
            format!("via agent : {word}")
        } else {
            format!("via agent : {word} ({msg})")
        };
        let report = CheckReport {
            status,
            code: Some(0),
            info,
            duration_ms,
        };
        self.last_agent = Some(report.clone());
        if let Some(a) = self.agent.as_mut() {
            match health {
                AgentHealth::Up => a.value = a.max(),
                AgentHealth::Down(_) => a.value = 0,
            }
        }
        out.extend(self.settle(status.result(), report, Probe::Agent));
        out
    }

    /// 2.6's check_notify_failure / _success / _stopping.
    fn settle(&mut self, result: CheckResult, r: CheckReport, probe: Probe) -> Vec<Transition> {
        if self.maint {
            return Vec::new();
        }
        let counter = match probe {
            Probe::Health => self.check,
            Probe::Agent => self.agent,
        };
        match result {
            CheckResult::Failed => {
                if counter.is_some_and(|h| h.value == 0) && self.op != OpState::Stopped {
                    self.op = OpState::Stopped;
                    return vec![Transition::Down(r)];
                }
            }
            CheckResult::Passed => {
                if self.others_up() && self.op != OpState::Running {
                    // The agent cannot lift the health check's NOLB.
                    if probe == Probe::Agent && self.op == OpState::Stopping {
                        return Vec::new();
                    }
                    self.op = OpState::Running;
                    return vec![Transition::Up(r)];
                }
            }
            CheckResult::CondPass => {
                if self.others_up() && self.op != OpState::Stopping {
                    self.op = OpState::Stopping;
                    return vec![Transition::Stopping(r)];
                }
            }
            CheckResult::Neutral => {}
        }
        Vec::new()
    }

    /// How long to wait before running `probe` again (2.6's srv_getinter):
    /// `inter` while steady up, `downinter` while fully down, `fastinter`
    /// while in between.
    pub fn next_interval(&self, probe: Probe, iv: Intervals) -> u64 {
        let h = match probe {
            Probe::Health => self.check,
            Probe::Agent => self.agent,
        };
        let Some(h) = h else {
            return iv.inter;
        };
        if h.value == h.max() {
            return iv.inter;
        }
        if self.op == OpState::Stopped && h.value == 0 {
            return iv.downinter.unwrap_or(iv.inter);
        }
        iv.fastinter.unwrap_or(iv.inter)
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
