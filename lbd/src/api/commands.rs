//! Running one CLI command: level checks, the session commands (`prompt`,
//! `quit`, `operator`, `user`, `set timeout cli`), the process commands
//! (`show version|env|errors|sess`, `set maxconn global|frontend`), and
//! routing of the stats dumps to the [`StatsProvider`](super::StatsProvider).
//! Server commands live in `server_cmds`.

use super::server_cmds;
use super::usage::{self, Cmd};
use super::{Api, SessionInfo};
use crate::config::model::CliLevel;
use std::fmt::Write as _;
use std::time::Duration;

pub const PERMISSION_DENIED: &str = "Permission denied\n";

/// What a CLI session carries from one command to the next.
#[derive(Debug, Clone)]
pub struct SessionState {
    pub level: CliLevel,
    pub prompt: bool,
    /// The idle timeout (`stats timeout`, `set timeout cli`).
    pub timeout: Duration,
    pub id: u64,
}

/// What a command produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The output, each line ending in LF (an error may lack the last one,
    /// exactly as 2.6 prints it).
    pub text: String,
    /// Skip the empty line that normally follows the output (`user -`).
    pub nolf: bool,
    /// Close the session now, printing nothing more (`quit`).
    pub close: bool,
}

impl Outcome {
    pub fn text(s: impl Into<String>) -> Self {
        Outcome {
            text: s.into(),
            ..Outcome::default()
        }
    }
    pub fn none() -> Self {
        Outcome::default()
    }
}

fn rank(l: CliLevel) -> u8 {
    match l {
        CliLevel::User => 0,
        CliLevel::Operator => 1,
        CliLevel::Admin => 2,
    }
}

/// Whether a session at `have` may run a command needing `need`.
pub fn allowed(have: CliLevel, need: CliLevel) -> bool {
    rank(have) >= rank(need)
}

fn level_name(l: CliLevel) -> &'static str {
    match l {
        CliLevel::User => "user",
        CliLevel::Operator => "operator",
        CliLevel::Admin => "admin",
    }
}

/// Runs one request's words (`payload` is the text gathered after `<<`).
pub fn execute(
    api: &Api,
    st: &mut SessionState,
    args: &[String],
    payload: Option<&str>,
) -> Outcome {
    // Map and ACL commands run at any level in 2.6 (spec 7.2).
    if let Some(out) = super::map_cmds::execute(&api.runtime.patterns, args, payload) {
        return out;
    }
    let Some(kw) = usage::find(args) else {
        return Outcome::text(usage::usage(args));
    };
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    // `operator -` / `user -`: no empty line after the command (2.6 sets
    // this before checking the level).
    let nolf = matches!(kw.cmd, Cmd::Operator | Cmd::User) && arg(1) == "-";
    if !allowed(st.level, kw.level) {
        return Outcome {
            text: PERMISSION_DENIED.into(),
            nolf,
            close: false,
        };
    }
    let out = match kw.cmd {
        Cmd::Help => Outcome::text(usage::usage(args)),
        Cmd::Prompt => {
            st.prompt = !st.prompt;
            Outcome::none()
        }
        Cmd::Quit => Outcome {
            close: true,
            ..Outcome::default()
        },
        Cmd::Operator => {
            st.level = CliLevel::Operator;
            Outcome::none()
        }
        Cmd::User => {
            st.level = CliLevel::User;
            Outcome::none()
        }
        Cmd::ShowCliLevel => Outcome::text(format!("{}\n", level_name(st.level))),
        Cmd::ShowVersion => Outcome::text(format!("{}\n", env!("CARGO_PKG_VERSION"))),
        Cmd::ShowEnv => show_env(arg(2)),
        Cmd::ShowErrors => Outcome::text(format!(
            "Total events captured on [{}] : 0\n",
            chrono::Local::now().format("%d/%b/%Y:%H:%M:%S%.3f")
        )),
        Cmd::ShowSess => show_sess(api, arg(2)),
        Cmd::ShutdownSession => shutdown_session(arg(2)),
        Cmd::ShowInfo => {
            let rest = &args[2..];
            let typed = rest.iter().any(|a| a == "typed");
            let json = rest.iter().any(|a| a == "json");
            Outcome::text(api.stats.show_info(typed, json))
        }
        Cmd::ShowStat => {
            let rest: Vec<&str> = args[2..].iter().map(String::as_str).collect();
            provider_result(api.stats.show_stat(&rest))
        }
        Cmd::ShowServersState => {
            let be = args.get(3).map(String::as_str).filter(|b| !b.is_empty());
            provider_result(api.stats.show_servers_state(be))
        }
        Cmd::CarriedServersState => {
            let mut out = String::new();
            crate::stats::show_carried_servers_state(&api.runtime, &mut out);
            Outcome::text(out)
        }
        Cmd::CarriedTables => Outcome::text(crate::stick::carry::export(
            &api.runtime.tables,
            crate::stick::clock::now_ms(),
        )),
        Cmd::ShowBackend => Outcome::text(api.stats.show_backend()),
        Cmd::SetTimeout => set_timeout(st, arg(2), arg(3)),
        Cmd::SetMaxconnGlobal => set_maxconn_global(api, arg(3)),
        Cmd::SetMaxconnFrontend => set_maxconn_frontend(api, arg(3), arg(4)),
        Cmd::ClearCounters => clear_counters(api, st, arg(2) == "all"),
        Cmd::GetWeight
        | Cmd::SetWeight
        | Cmd::SetServer
        | Cmd::DisableServer
        | Cmd::ShutdownSessionsServer
        | Cmd::EnableServer
        | Cmd::DisableHealth
        | Cmd::EnableHealth
        | Cmd::DisableAgent
        | Cmd::EnableAgent
        | Cmd::SetMaxconnServer => server_cmds::run(api, kw.cmd, args),
        Cmd::SetSslCert | Cmd::CommitSslCert | Cmd::AbortSslCert | Cmd::ShowSslCert => {
            ssl_cert(kw.cmd, arg(3), payload)
        }
        Cmd::ShowTable | Cmd::ClearTable | Cmd::SetTable => {
            super::table_cmds::run(&api.runtime.tables, st.level, kw.cmd, args)
        }
    };
    Outcome { nolf, ..out }
}

/// `set|commit|abort|show ssl cert`: certificate updates without a reload
/// (the store swaps each bind's SNI table atomically on commit).
fn ssl_cert(cmd: Cmd, file: &str, payload: Option<&str>) -> Outcome {
    let store = &*crate::tls::store::STORE;
    let r = match cmd {
        Cmd::SetSslCert if file.is_empty() => {
            Err("'set ssl cert expects a filename and a certificate as a payload\n".into())
        }
        Cmd::SetSslCert => store.set(file, payload.unwrap_or("")),
        Cmd::CommitSslCert if file.is_empty() => {
            Err("'commit ssl cert expects a filename\n".into())
        }
        Cmd::CommitSslCert => store.commit(file),
        Cmd::AbortSslCert if file.is_empty() => Err("'abort ssl cert' expects a filename\n".into()),
        Cmd::AbortSslCert => store.abort(file),
        _ => Ok(store.show()),
    };
    match r {
        Ok(t) | Err(t) => Outcome::text(t),
    }
}

/// A provider's error text is printed as 2.6 prints errors: one line.
fn provider_result(r: Result<String, String>) -> Outcome {
    match r {
        Ok(s) => Outcome::text(s),
        Err(e) if e.ends_with('\n') => Outcome::text(e),
        Err(e) => Outcome::text(format!("{e}\n")),
    }
}

fn show_env(name: &str) -> Outcome {
    let mut out = String::new();
    for (k, v) in std::env::vars_os() {
        let (k, v) = (k.to_string_lossy(), v.to_string_lossy());
        if name.is_empty() || k == name {
            out.push_str(&format!("{k}={v}\n"));
            if !name.is_empty() {
                return Outcome::text(out);
            }
        }
    }
    if !name.is_empty() {
        return Outcome::text("Variable not found\n");
    }
    Outcome::text(out)
}

/// `show sess [<id>|all]`: the proxied sessions (lbd::stats::sess) and the
/// CLI sessions, one summary line each in 2.6's form. The fields a tool
/// reads (id, proto, src, fe, be, srv, age) are real; the internal ones
/// (ts, epoch, calls, rate, cpu, lat, the channel flags, fds, exp) are
/// HAProxy-shaped placeholders. `show sess <id>` answers with the summary
/// line rather than 2.6's multi-line dump.
fn show_sess(api: &Api, which: &str) -> Outcome {
    let only = match which {
        "" | "all" => None,
        id => match parse_ptr(id) {
            Some(id) => Some(id),
            None => return Outcome::text("Session not found.\n"),
        },
    };
    let mut out = String::new();
    for e in crate::stats::sess::list() {
        if only.is_some_and(|id| id != e.id) || !e.in_stream() {
            continue;
        }
        proxied_line(&mut out, &e);
    }
    for s in api.sessions.list() {
        let SessionInfo {
            id,
            proto,
            src,
            started,
        } = s;
        if only.is_some_and(|o| o != id) {
            continue;
        }
        out.push_str(&format!(
            "0x{id:x}: proto={proto} src={src} fe=GLOBAL be=<NONE> srv=<none> ts=00 epoch=0 age={} calls=1 rate=0 cpu=0 lat=0 rq[f=c08000h,i=0,an=00h,rx=,wx=,ax=] rp[f=80008002h,i=0,an=00h,rx=,wx=,ax=] scf=[8,200h,fd=-1] scb=[8,1h,fd=-1] exp= rc=0 c_exp=\n",
            age(started.elapsed())
        ));
    }
    if only.is_some() && out.is_empty() {
        return Outcome::text("Session not found.\n");
    }
    Outcome::text(out)
}

fn proxied_line(out: &mut String, e: &crate::stats::sess::SessEntry) {
    use crate::config::model::Mode;
    let src = match e.src {
        Some(a) => a.to_string(),
        None => "unix:1".into(),
    };
    let (be, srv) = match e.target() {
        Some((b, s)) => (b.to_string(), s.to_string()),
        // 2.6 names the frontend's own backend side (a listen) until a
        // backend is chosen, <NONE> for a pure frontend.
        None if e.fe.conf.cap.backend => (e.fe.name.clone(), "<none>".into()),
        None => ("<NONE>".into(), "<none>".into()),
    };
    // The flag words 2.6 printed for an established TCP and HTTP stream.
    let (rq, rp, scf, scb) = match e.fe.mode {
        Mode::Tcp => ("808000h,i=0,an=00h", "80008000h,i=0,an=00h", "0h", "1h"),
        Mode::Http => (
            "49c40080h,i=0,an=8000h",
            "80400000h,i=0,an=1400000h",
            "80h",
            "11h",
        ),
    };
    let _ = writeln!(
        out,
        "0x{:x}: proto={} src={src} fe={} be={be} srv={srv} ts=00 epoch=0 age={} calls=2 rate=0 cpu=0 lat=0 rq[f={rq},rx=,wx=,ax=] rp[f={rp},rx=,wx=,ax=] scf=[8,{scf},fd=-1] scb=[8,{scb},fd=-1] exp= rc=0 c_exp=",
        e.id,
        e.proto,
        e.fe.name,
        age(e.started.elapsed()),
    );
}

/// A session id as 2.6 reads it (strtoul base 0: `0x` hex, else decimal).
fn parse_ptr(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// `shutdown session <id>`: ends a proxied session (its task selects on
/// the registry entry's kill signal).
fn shutdown_session(id: &str) -> Outcome {
    if id.is_empty() {
        return Outcome::text("Session pointer expected (use 'show sess').\n");
    }
    match parse_ptr(id) {
        Some(id) if crate::stats::sess::kill(id) => Outcome::none(),
        _ => Outcome::text("No such session (use 'show sess').\n"),
    }
}

/// 2.6's human_time for `age=`: `1d2h`, `3h4m`, `5m6s`, `7s`.
fn age(d: Duration) -> String {
    let s = d.as_secs();
    let (days, h, m, sec) = (s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    if days > 0 {
        format!("{days}d{h}h")
    } else if h > 0 {
        format!("{h}h{m}m")
    } else if m > 0 {
        format!("{m}m{sec}s")
    } else {
        format!("{sec}s")
    }
}

fn set_timeout(st: &mut SessionState, what: &str, value: &str) -> Outcome {
    if what != "cli" {
        return Outcome::text("'set timeout' only supports 'cli'.\n");
    }
    if value.is_empty() {
        return Outcome::text("Expects an integer value.\n");
    }
    // Seconds by default; any of 2.6's time units may follow, and the
    // result is kept in whole seconds.
    match crate::config::units::parse_time_with(value, 1000) {
        Ok(ms) if ms >= 1000 => {
            st.timeout = Duration::from_secs(ms / 1000);
            Outcome::none()
        }
        _ => Outcome::text("Invalid timeout value.\n"),
    }
}

pub use crate::config::units::atoi;

/// `clear counters`: the maxima (and the process's rate maxima);
/// `clear counters all`, admin only: every counter of every proxy and
/// server. State timers (`lastchg`, `downtime`) are not counters and stay.
fn clear_counters(api: &Api, st: &SessionState, all: bool) -> Outcome {
    if all && !allowed(st.level, CliLevel::Admin) {
        return Outcome::text(PERMISSION_DENIED);
    }
    let rt = &api.runtime;
    for fe in &rt.frontends {
        fe.stats.clear(all);
    }
    for be in &rt.backends {
        be.stats.clear(all);
        for srv in &be.servers {
            srv.stats.clear(all);
        }
    }
    rt.process.conn_rate.clear_max();
    rt.process.sess_rate.clear_max();
    Outcome::none()
}

fn set_maxconn_global(api: &Api, value: &str) -> Outcome {
    if value.is_empty() {
        return Outcome::text("Expects an integer value.\n");
    }
    let v = atoi(value);
    let hard = i64::from(api.hard_maxconn);
    if v > hard {
        return Outcome::text("Value out of range.\n");
    }
    let v = if v <= 0 { hard } else { v };
    api.runtime.maxconn.resize(v as u32);
    Outcome::none()
}

fn set_maxconn_frontend(api: &Api, name: &str, value: &str) -> Outcome {
    if name.is_empty() {
        return Outcome::text("A frontend name is expected.\n");
    }
    let Some(fe) = api.runtime.frontends.iter().find(|f| f.name == name) else {
        return Outcome::text("No such frontend.\n");
    };
    if value.is_empty() {
        return Outcome::text("Integer value expected.\n");
    }
    let v = atoi(value);
    if v < 0 {
        return Outcome::text("Value out of range.\n");
    }
    if let Some(limit) = &fe.maxconn {
        // 0 leaves the frontend bounded by the global limit only.
        let v = if v == 0 {
            api.hard_maxconn
        } else {
            v.min(i64::from(u32::MAX)) as u32
        };
        limit.resize(v);
    }
    Outcome::none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order() {
        assert!(allowed(CliLevel::Admin, CliLevel::Operator));
        assert!(allowed(CliLevel::Operator, CliLevel::Operator));
        assert!(!allowed(CliLevel::User, CliLevel::Operator));
        assert!(!allowed(CliLevel::Operator, CliLevel::Admin));
    }

    #[test]
    fn ages() {
        assert_eq!(age(Duration::from_secs(5)), "5s");
        assert_eq!(age(Duration::from_secs(65)), "1m5s");
        assert_eq!(age(Duration::from_secs(3700)), "1h1m");
    }
}
