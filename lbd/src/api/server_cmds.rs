//! The CLI commands that act on one server: weight, administrative state,
//! address, maxconn, and pausing its checks. State and weight changes go
//! through `Backend::apply_health`, so the balancer is rebuilt and the
//! observer prints 2.6's lines, exactly as for a health-check transition.

use super::commands::Outcome;
use super::usage::Cmd;
use super::Api;
use crate::check::state::Transition;
use crate::config::model::{Balance, HashMethod, ServerPort};
use crate::runtime::AdminState;
use crate::runtime::{Backend, ServerAddrRt, ServerRt};
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

const UPDATER: &str = " by 'stats socket command'\n";

pub fn run(api: &Api, cmd: Cmd, args: &[String]) -> Outcome {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    // `set maxconn server <b>/<s>` has its server one word later.
    let at = match cmd {
        Cmd::SetMaxconnServer | Cmd::ShutdownSessionsServer => 3,
        _ => 2,
    };
    if cmd == Cmd::GetWeight {
        return get_weight(api, arg(2));
    }
    let (be, idx) = match find_server(api, arg(at)) {
        Ok(x) => x,
        Err(e) => return Outcome::text(e),
    };
    let srv = &be.servers[idx];
    let was_up = srv.is_usable();
    let text = match cmd {
        Cmd::SetWeight => set_weight(api, &be, idx, arg(3)),
        Cmd::SetServer => set_server(api, &be, idx, &args[3.min(args.len())..]),
        Cmd::DisableServer => set_admin(api, &be, idx, AdminState::Maint),
        Cmd::EnableServer => set_admin(api, &be, idx, AdminState::Ready),
        Cmd::DisableHealth => {
            srv.check_enabled.store(false, Ordering::Relaxed);
            None
        }
        Cmd::EnableHealth if !srv.conf.check.enabled => {
            Some("Health check was not configured on this server, cannot enable.\n".into())
        }
        Cmd::EnableHealth => {
            srv.check_enabled.store(true, Ordering::Relaxed);
            None
        }
        Cmd::DisableAgent => {
            srv.agent_enabled.store(false, Ordering::Relaxed);
            None
        }
        Cmd::EnableAgent if !srv.conf.agent.enabled => {
            Some("Agent was not configured on this server, cannot enable.\n".into())
        }
        Cmd::EnableAgent => {
            srv.agent_enabled.store(true, Ordering::Relaxed);
            None
        }
        Cmd::SetMaxconnServer => set_maxconn(&be, srv, arg(4)),
        Cmd::ShutdownSessionsServer => {
            // Every session on the server selects on its kill signal (the
            // same one `on-marked-down shutdown-sessions` uses).
            srv.kill_sessions(true);
            None
        }
        _ => None,
    };
    // `lastchg`, `downtime` and `chkdown` move as for a check transition.
    crate::stats::feed::state_seen(&be, srv, was_up);
    Outcome::text(text.unwrap_or_default())
}

/// `<backend>/<server>` to the backend and the server's index, with 2.6's
/// error texts.
fn find_server(api: &Api, spec: &str) -> Result<(Arc<Backend>, usize), &'static str> {
    let (be_name, srv_name) = match spec.split_once('/') {
        Some((b, s)) if !b.is_empty() && !s.is_empty() => (b, s),
        _ => return Err("Require 'backend/server'.\n"),
    };
    let be = api
        .runtime
        .backends
        .iter()
        .find(|b| b.name == be_name)
        .ok_or("No such backend.\n")?;
    let idx = be
        .servers
        .iter()
        .position(|s| s.name == srv_name)
        .ok_or("No such server.\n")?;
    Ok((be.clone(), idx))
}

fn get_weight(api: &Api, spec: &str) -> Outcome {
    let (be_name, srv_name) = match spec.split_once('/') {
        Some((b, s)) if !s.is_empty() => (b, s),
        _ => return Outcome::text("Require 'backend/server'.\n"),
    };
    let Some(be) = api.runtime.backends.iter().find(|b| b.name == be_name) else {
        return Outcome::text("No such backend.\n");
    };
    let Some(srv) = be.servers.iter().find(|s| s.name == srv_name) else {
        return Outcome::text("No such server.\n");
    };
    let h = srv.health.snapshot();
    Outcome::text(format!("{} (initial {})\n", h.uweight, h.iweight))
}

/// Whether the backend's algorithm can take arbitrary weights at run time
/// (2.6's BE_LB_PROP_DYN).
fn dynamic_weights(be: &Backend) -> bool {
    match be.conf.balance {
        Balance::StaticRr => false,
        Balance::RoundRobin | Balance::LeastConn | Balance::First | Balance::Random { .. } => true,
        _ => be.conf.hash_type.method == HashMethod::Consistent,
    }
}

/// C's strtol on a decimal: the value and the unparsed rest, or None when
/// no digit was read.
fn strtol(s: &str) -> Option<(i64, &str)> {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = digits.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    let v = digits[..n]
        .parse::<i64>()
        .unwrap_or(i64::MAX)
        .saturating_mul(if neg { -1 } else { 1 });
    Some((v, &digits[n..]))
}

/// 2.6's server_parse_weight_change_request.
pub fn parse_weight(be: &Backend, iweight: u32, s: &str) -> Result<u32, &'static str> {
    if s.is_empty() {
        return Err("Require <weight> or <weight%>.\n");
    }
    let Some((w, rest)) = strtol(s) else {
        return Err("Empty weight string empty or preceded by garbage");
    };
    let w = if rest == "%" {
        if w < 0 {
            return Err("Relative weight must be positive.\n");
        }
        (i64::from(iweight) * w.min(25600) / 100).min(256)
    } else if !(0..=256).contains(&w) {
        return Err("Absolute weight can only be between 0 and 256 inclusive.\n");
    } else if !rest.is_empty() {
        return Err("Trailing garbage in weight string");
    } else {
        w
    };
    let w = w as u32;
    if w != 0 && w != iweight && !dynamic_weights(be) {
        return Err(
            "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n",
        );
    }
    Ok(w)
}

fn set_weight(api: &Api, be: &Backend, idx: usize, value: &str) -> Option<String> {
    let iweight = be.servers[idx].health.snapshot().iweight;
    match parse_weight(be, iweight, value) {
        Ok(w) => {
            be.apply_health(idx, api.observer.as_ref(), |h| {
                if h.uweight == w {
                    return Vec::new();
                }
                h.uweight = w;
                vec![Transition::Weight(w)]
            });
            None
        }
        Err(e) => Some(e.into()),
    }
}

fn set_admin(api: &Api, be: &Backend, idx: usize, to: AdminState) -> Option<String> {
    be.set_admin(idx, to, api.observer.as_ref());
    None
}

fn set_server(api: &Api, be: &Backend, idx: usize, rest: &[String]) -> Option<String> {
    let arg = |i: usize| rest.get(i).map(String::as_str).unwrap_or("");
    match arg(0) {
        "weight" => set_weight(api, be, idx, arg(1)),
        "state" => match arg(1) {
            "ready" => set_admin(api, be, idx, AdminState::Ready),
            "drain" => set_admin(api, be, idx, AdminState::Drain),
            "maint" => set_admin(api, be, idx, AdminState::Maint),
            _ => Some("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n".into()),
        },
        "addr" => {
            if arg(1).is_empty() {
                return Some(
                    "set server <b>/<s> addr requires an address and optionally a port.\n".into(),
                );
            }
            let port = (arg(2) == "port").then(|| arg(3));
            Some(set_addr(&be.servers[idx], arg(1), port))
        }
        w @ ("health" | "agent" | "agent-addr" | "agent-port" | "agent-send" | "check-addr"
        | "check-port" | "fqdn" | "ssl") => {
            Some(format!("'set server <srv> {w}' is not supported yet by lbd.\n"))
        }
        _ => Some(
            "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n"
                .into(),
        ),
    }
}

/// 2.6's srv_update_addr_port: a literal IP (no resolution) and an optional
/// port, `+N`/`-N` for a port mapped from the client's.
fn set_addr(srv: &ServerRt, addr: &str, port: Option<&str>) -> String {
    let cur = srv.addr.load_full();
    let ServerAddrRt::Ip {
        ip: cur_ip,
        port: cur_port,
    } = *cur
    else {
        let Ok(_) = addr.parse::<IpAddr>() else {
            return format!("Invalid addr '{addr}'{UPDATER}");
        };
        return format!(
            "Update for the current server address family is only supported through configuration file{UPDATER}"
        );
    };
    let mut msg = String::new();
    let (mut ip, mut new_port) = (cur_ip, cur_port);
    let finish = |msg: String, ip: IpAddr, port: ServerPort| {
        if ip != cur_ip || port != cur_port {
            srv.addr.store(Arc::new(ServerAddrRt::Ip { ip, port }));
        }
        format!("{msg}{UPDATER}")
    };
    let Ok(parsed) = addr.parse::<IpAddr>() else {
        return format!("Invalid addr '{addr}'{UPDATER}");
    };
    if parsed == cur_ip {
        msg.push_str("no need to change the addr");
    } else {
        msg = format!("IP changed from '{cur_ip}' to '{addr}'");
        ip = parsed;
    }
    let Some(port) = port else {
        return finish(msg, ip, new_port);
    };
    msg.push_str(", ");
    let Some((n, _)) = strtol(port) else {
        msg.push_str(&format!("problem converting port '{port}' to an int"));
        return finish(msg, ip, new_port);
    };
    let signed = port.starts_with(['+', '-']);
    let wanted = if signed {
        if matches!(cur_port, ServerPort::Fixed(_)) && srv.conf.check.port.is_none() {
            msg.push_str("can't change <port> to port map because it is incompatible with current health check port configuration (use 'port' statement from the 'server' directive.");
            return finish(msg, ip, new_port);
        }
        ServerPort::FromClient(n.clamp(-65535, 65535) as i32)
    } else {
        ServerPort::Fixed(n as u16)
    };
    if wanted == cur_port {
        msg.push_str("no need to change the port");
    } else {
        let shown = |p: ServerPort| match p {
            ServerPort::Fixed(p) => p.to_string(),
            ServerPort::FromClient(o) if o < 0 => o.to_string(),
            ServerPort::FromClient(o) => format!("+{o}"),
        };
        msg.push_str(&format!(
            "port changed from '{}' to '{}'",
            shown(cur_port),
            shown(wanted)
        ));
        new_port = wanted;
    }
    finish(msg, ip, new_port)
}

/// 2.6's server_parse_maxconn_change_request: a static limit (maxconn equal
/// to minconn) moves both.
fn set_maxconn(be: &Backend, srv: &ServerRt, value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("Require <maxconn>.\n".into());
    }
    let Some((v, rest)) = strtol(value) else {
        return Some("maxconn string empty or preceded by garbage".into());
    };
    if !rest.is_empty() {
        return Some("Trailing garbage in maxconn string".into());
    }
    let v = v.clamp(0, i64::from(u32::MAX)) as u32;
    if srv.maxconn.load(Ordering::Relaxed) == srv.minconn.load(Ordering::Relaxed) {
        srv.minconn.store(v, Ordering::Relaxed);
    }
    srv.maxconn.store(v, Ordering::Relaxed);
    be.kick_queues();
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_like_c() {
        assert_eq!(strtol("12%"), Some((12, "%")));
        assert_eq!(strtol("-3"), Some((-3, "")));
        assert_eq!(strtol("abc"), None);
        assert_eq!(strtol(""), None);
    }
}
