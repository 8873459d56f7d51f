//! `show servers state` (format version 1, spec 7.5) and `show backend`.

use crate::check::state::{CheckResult, OpState};
use crate::config::model::ServerPort;
use crate::runtime::{Backend, Runtime, ServerAddrRt, ServerRt};
use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;

const HEADER: &str = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

/// `show servers state [<backend>]`. Err is `Can't find backend.`.
pub fn show_servers_state(
    rt: &Runtime,
    backend: Option<&str>,
    out: &mut String,
) -> Result<(), String> {
    let backends: Vec<&Backend> = match backend {
        Some(name) => {
            let be = rt
                .backends
                .iter()
                .find(|b| b.name == name || name.parse::<u32>().is_ok_and(|id| id == b.id))
                .ok_or_else(|| "Can't find backend.".to_string())?;
            vec![be]
        }
        None => super::stat::proxies(rt)
            .into_iter()
            .filter_map(|(_, be)| be)
            .collect(),
    };
    out.push_str("1\n");
    out.push_str(HEADER);
    let now = super::counters::now_ms();
    for be in backends {
        for s in &be.servers {
            server_line(be, s, now, out);
        }
    }
    Ok(())
}

/// `show servers state` for the servers whose state was set at run time
/// (maintenance, drain, weight): the rows a new `-W` worker carries over.
/// Skipping the others spares the old worker formatting 10,000 rows, and
/// the new one reading them, on every reload of a big configuration.
pub fn show_carried_servers_state(rt: &Runtime, out: &mut String) {
    out.push_str("1\n");
    out.push_str(HEADER);
    let now = super::counters::now_ms();
    for be in rt.backends.iter().filter(|b| b.carried_dirty.load(Relaxed)) {
        for s in &be.servers {
            let (admin, uweight, iweight) = carried_fields(s);
            if admin != 0 || uweight != iweight {
                server_line(be, s, now, out);
            }
        }
    }
}

/// 2.6's `srv_admin_state` bits.
const ADMF_FMAINT: u32 = 0x01;
const ADMF_CMAINT: u32 = 0x04;
const ADMF_FDRAIN: u32 = 0x08;

/// A server's `srv_admin_state`, `srv_uweight` and `srv_iweight`: what a
/// new `-W` worker carries over from the one it replaces.
pub fn carried_fields(s: &ServerRt) -> (u32, u32, u32) {
    let h = s.health.snapshot();
    (admin_state(s, &h), h.uweight, h.iweight)
}

fn admin_state(s: &ServerRt, h: &crate::check::state::ServerHealth) -> u32 {
    let in_maint = s.admin_maint.load(Relaxed) || h.maint;
    // `disabled` in the config is both a config and a forced maintenance
    // in 2.6 (5); `enable server` lifts the forced one only (4).
    let mut admin = 0;
    if s.conf.disabled {
        admin |= ADMF_CMAINT;
    }
    if in_maint {
        admin |= ADMF_FMAINT;
    }
    if h.drain {
        admin |= ADMF_FDRAIN;
    }
    admin
}

fn server_line(be: &Backend, s: &ServerRt, now: u64, out: &mut String) {
    let h = s.health.snapshot();
    // 2.6 stops a server it puts in maintenance (forced from the CLI or
    // the config's `disabled`, or asked by the agent): op state 0 and a
    // check health of 0 until it leaves.
    let forced = s.admin_maint.load(Relaxed);
    let in_maint = forced || h.maint;
    let op = match h.op {
        _ if in_maint => 0,
        OpState::Stopped => 0,
        OpState::Running if s.ramping() => 1,
        OpState::Running => 2,
        OpState::Stopping => 3,
    };
    let admin = admin_state(s, &h);
    let (status, result) = match &h.last_check {
        Some(r) => (
            r.status.code(),
            match r.status.result() {
                CheckResult::Neutral => 1,
                CheckResult::Failed => 2,
                CheckResult::Passed => 3,
                CheckResult::CondPass => 4,
            },
        ),
        None => (1, 0),
    };
    let health = match h.check {
        _ if in_maint => 0,
        Some(c) => c.value,
        None => s.conf.check.rise,
    };
    // 0x02 configured, 0x04 enabled (`disable health` clears it), 0x08
    // paused by maintenance; a server without checks shows only the pause
    // of a `disabled` in its config.
    let check_state = match h.check {
        Some(_) => {
            let enabled = if s.check_enabled.load(Relaxed) {
                0x04
            } else {
                0
            };
            0x02 | enabled | if in_maint { 0x08 } else { 0 }
        }
        None if s.conf.disabled => 0x08,
        None => 0,
    };
    let agent_state = if h.agent.is_some() { 0x16 } else { 0 };
    let addr_now = s.addr.load();
    let (addr, port) = match &**addr_now {
        ServerAddrRt::Ip { ip, port } => (
            ip.to_string(),
            match port {
                ServerPort::Fixed(p) => i64::from(*p),
                ServerPort::FromClient(off) => i64::from(*off),
            },
        ),
        ServerAddrRt::Unix(p) => (p.display().to_string(), 0),
        ServerAddrRt::Abstract(n) => (format!("abns@{n}"), 0),
    };
    let dash = |v: Option<String>| v.filter(|s| !s.is_empty()).unwrap_or_else(|| "-".into());
    let _ = writeln!(
        out,
        "{} {} {} {} {} {op} {admin} {} {} {} {status} {result} {health} {check_state} {agent_state} {} {} - {port} - 0 {} {} {} {}",
        be.id,
        be.name,
        s.id,
        s.name,
        addr,
        h.uweight,
        h.iweight,
        s.stats.lastchg_s(now),
        u8::from(be.conf.id.is_some()),
        u8::from(s.conf.id.is_some()),
        s.conf.check.port.unwrap_or(0),
        dash(s.conf.check.addr.map(|a| a.to_string())),
        dash(s.conf.agent.addr.map(|a| a.to_string())),
        s.conf.agent.port.unwrap_or(0),
    );
}

/// `show backend`: every proxy with the backend capability, `listen`
/// included, in declaration order.
pub fn show_backend(rt: &Runtime, out: &mut String) {
    out.push_str("# name\n");
    for (_, be) in super::stat::proxies(rt) {
        if let Some(be) = be {
            out.push_str(&be.name);
            out.push('\n');
        }
    }
}
