//! keepalived.conf subset (spec §4): the typed model and the keyword interpreter.
//!
//! Unknown keywords, surplus words and bad values warn with `file:line` and are
//! skipped, as keepalived does; only constructs we cannot honour safely (substitution,
//! conditionals, AH auth, instances without a VRID) are errors.

pub mod lexer;
mod model;

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use crate::fsm::Params;
use crate::wire::{Auth, ChecksumForm, Version};
pub use lexer::{Loc, Node};
pub use model::*;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {0}: {1}")]
    Io(String, String),
    #[error("{0}: {1}")]
    Syntax(Loc, String),
    #[error("{0}: unsupported: {1}")]
    Unsupported(Loc, String),
}

pub fn load(path: &Path) -> Result<Parsed, ConfigError> {
    let mut warnings = Vec::new();
    let nodes = lexer::parse_file(path, &mut |loc, msg| warnings.push(Diag { loc, msg }))?;
    Ok(interpret(&nodes, warnings))
}

pub fn load_str(name: &str, text: &str) -> Result<Parsed, ConfigError> {
    let mut warnings = Vec::new();
    let nodes = lexer::parse_str(name, text, &mut |loc, msg| warnings.push(Diag { loc, msg }))?;
    Ok(interpret(&nodes, warnings))
}

struct Ctx {
    out: Parsed,
}

impl Ctx {
    fn warn(&mut self, n: &Node, msg: impl Into<String>) {
        self.out.warnings.push(Diag {
            loc: n.loc.clone(),
            msg: msg.into(),
        });
    }

    fn error(&mut self, n: &Node, msg: impl Into<String>) {
        self.out.errors.push(Diag {
            loc: n.loc.clone(),
            msg: msg.into(),
        });
    }

    /// Warns about words past `used` (keepalived silently drops them).
    fn surplus(&mut self, n: &Node, used: usize) {
        if n.words.len() > used + 1 {
            let extra = n.words[used + 1..].join(" ");
            self.warn(
                n,
                format!(
                    "{}: ignoring extra words '{extra}' (one keyword per line)",
                    n.keyword()
                ),
            );
        }
    }

    fn arg<'a>(&mut self, n: &'a Node) -> Option<&'a str> {
        match n.args().first() {
            Some(a) => Some(a),
            None => {
                self.warn(n, format!("{}: missing value", n.keyword()));
                None
            }
        }
    }

    fn num<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
        &mut self,
        n: &Node,
        lo: T,
        hi: T,
    ) -> Option<T> {
        let a = self.arg(n)?;
        self.surplus(n, 1);
        match a.parse::<T>() {
            Ok(v) if v >= lo && v <= hi => Some(v),
            _ => {
                self.warn(
                    n,
                    format!("{}: invalid value '{a}' (expected {lo}..{hi})", n.keyword()),
                );
                None
            }
        }
    }

    fn secs(&mut self, n: &Node, lo: f64, hi: f64) -> Option<Duration> {
        self.num::<f64>(n, lo, hi).map(Duration::from_secs_f64)
    }

    /// A boolean keyword with an optional on/off argument.
    fn flag(&mut self, n: &Node) -> bool {
        self.surplus(n, 1);
        match n.args().first().map(|s| s.to_ascii_lowercase()) {
            None => true,
            Some(s) if matches!(s.as_str(), "on" | "true" | "yes") => true,
            Some(s) if matches!(s.as_str(), "off" | "false" | "no") => false,
            Some(s) => {
                self.warn(n, format!("{}: invalid boolean '{s}'", n.keyword()));
                true
            }
        }
    }

    fn ip(&mut self, n: &Node, s: &str) -> Option<IpAddr> {
        match s.parse() {
            Ok(a) => Some(a),
            Err(_) => {
                self.warn(n, format!("invalid address '{s}'"));
                None
            }
        }
    }

    fn unknown(&mut self, n: &Node) {
        self.warn(n, format!("Unknown keyword '{}'", n.keyword()));
    }
}

fn interpret(nodes: &[Node], warnings: Vec<Diag>) -> Parsed {
    let mut cx = Ctx {
        out: Parsed {
            warnings,
            ..Parsed::default()
        },
    };
    // global_defs first: instances resolve their defaults against it wherever it sits.
    for n in nodes.iter().filter(|n| n.keyword() == "global_defs") {
        global(&mut cx, n);
    }
    let global = cx.out.config.global.clone();
    for n in nodes {
        match n.keyword() {
            "global_defs" => {}
            "vrrp_script" => vrrp_script(&mut cx, n, false),
            "vrrp_track_lbd" => vrrp_script(&mut cx, n, true),
            "vrrp_instance" => instance(&mut cx, n, &global),
            "vrrp_sync_group" => sync_group(&mut cx, n),
            "virtual_server"
            | "virtual_server_group"
            | "static_ipaddress"
            | "static_routes"
            | "static_rules"
            | "linkbeat_use_polling"
            | "net_namespace"
            | "vrrp_track_file"
            | "track_file"
            | "vrrp_track_process"
            | "bfd_instance" => cx.warn(
                n,
                format!(
                    "'{}' is not supported by keepalived-rs; ignored",
                    n.keyword()
                ),
            ),
            _ => cx.unknown(n),
        }
    }
    check_references(&mut cx);
    cx.out
}

fn global(cx: &mut Ctx, b: &Node) {
    let g = &mut cx.out.config.global.clone();
    for n in b.children() {
        match n.keyword() {
            "router_id" => {
                g.router_id = cx.arg(n).map(str::to_string);
                cx.surplus(n, 1);
            }
            "vrrp_version" => match cx.num::<u8>(n, 2, 3) {
                Some(3) => g.vrrp_version = Version::V3,
                Some(_) => g.vrrp_version = Version::V2,
                None => {}
            },
            "script_user" => g.script_user = n.args().first().cloned(),
            "notify_fifo" | "vrrp_notify_fifo" => g.notify_fifo = cx.arg(n).map(str::to_string),
            "enable_script_security" => g.enable_script_security = cx.flag(n),
            "vrrp_garp_master_delay" => {
                if let Some(d) = cx.secs(n, 0.0, 1000.0) {
                    g.garp.master_delay = d;
                }
            }
            "vrrp_garp_master_repeat" => {
                if let Some(r) = cx.num(n, 0, 1000) {
                    g.garp.master_repeat = r;
                }
            }
            "vrrp_garp_master_refresh" => {
                if let Some(d) = cx.secs(n, 0.0, 100_000.0) {
                    g.garp.master_refresh = d;
                }
            }
            "vrrp_garp_master_refresh_repeat" => {
                if let Some(r) = cx.num(n, 1, 1000) {
                    g.garp.master_refresh_repeat = r;
                }
            }
            "vrrp_garp_lower_prio_delay" => {
                if let Some(d) = cx.secs(n, 0.0, 1000.0) {
                    g.garp.lower_prio_delay = d;
                }
            }
            "vrrp_garp_lower_prio_repeat" => {
                if let Some(r) = cx.num(n, 0, 1000) {
                    g.garp.lower_prio_repeat = r;
                }
            }
            "vrrp_min_garp" => {
                if cx.flag(n) {
                    g.garp.master_repeat = 1;
                    g.garp.master_delay = Duration::ZERO;
                }
            }
            "vrrp_lower_prio_no_advert" => g.lower_prio_no_advert = cx.flag(n),
            "vrrp_higher_prio_send_advert" => g.higher_prio_send_advert = cx.flag(n),
            "vrrp_check_unicast_src" => g.check_unicast_src = cx.flag(n),
            "vrrp_skip_check_adv_addr" => g.skip_check_adv_addr = cx.flag(n),
            "v3_checksum_as_v2" => g.v3_checksum_as_v2 = cx.flag(n),
            "vrrp_mcast_group4" => {
                if let Some(IpAddr::V4(a)) = n.args().first().and_then(|s| s.parse().ok()) {
                    g.mcast_group4 = a;
                } else {
                    cx.warn(n, "vrrp_mcast_group4: invalid IPv4 address");
                }
            }
            "vrrp_startup_delay" => {
                if let Some(d) = cx.secs(n, 0.0, 1000.0) {
                    g.startup_delay = d;
                }
            }
            "vrrp_strict" => cx.warn(
                n,
                "vrrp_strict is not supported (no firewall rules are installed); ignored",
            ),
            "vrrp_garp_interval" => {
                if let Some(d) = cx.secs(n, 0.0, 1000.0) {
                    g.garp_interval = d;
                }
            }
            "vrrp_gna_interval" => {
                if let Some(d) = cx.secs(n, 0.0, 1000.0) {
                    g.gna_interval = d;
                }
            }
            "notification_email"
            | "notification_email_from"
            | "smtp_server"
            | "smtp_connect_timeout"
            | "max_auto_priority"
            | "vrrp_mcast_group6"
            | "dynamic_interfaces"
            | "vrrp_no_swap"
            | "vrrp_rt_priority"
            | "vrrp_priority"
            | "enable_dbus"
            | "lvs_id" => {}
            _ => cx.unknown(n),
        }
    }
    cx.out.config.global = g.clone();
}

/// `vrrp_script`, or with `lbd` the `vrrp_track_lbd` extension that shares its
/// interval/timeout/weight/rise/fall keywords and is referenced from `track_script`.
fn vrrp_script(cx: &mut Ctx, b: &Node, lbd: bool) {
    let Some(name) = b.args().first().cloned() else {
        cx.error(b, "vrrp_script without a name");
        return;
    };
    let mut s = VrrpScript {
        name,
        script: String::new(),
        interval: Duration::from_secs(1),
        timeout: Duration::ZERO,
        weight: 0,
        reverse: false,
        rise: 1,
        fall: 1,
        user: None,
        init_fail: false,
        lbd: if lbd {
            Some(LbdCheck {
                socket: String::new(),
                backend: String::new(),
            })
        } else {
            None
        },
        loc: b.loc.clone(),
    };
    for n in b.children() {
        match (n.keyword(), s.lbd.as_mut()) {
            ("socket", Some(l)) => l.socket = n.args().first().cloned().unwrap_or_default(),
            ("backend", Some(l)) => l.backend = n.args().first().cloned().unwrap_or_default(),
            _ => {}
        }
        match n.keyword() {
            "socket" | "backend" if s.lbd.is_some() => cx.surplus(n, 1),
            "script" => {
                s.script = cx.arg(n).unwrap_or("").to_string();
                cx.surplus(n, 1);
            }
            "interval" => s.interval = cx.secs(n, 0.001, 86_400.0).unwrap_or(s.interval),
            "timeout" => s.timeout = cx.secs(n, 0.001, 86_400.0).unwrap_or(s.timeout),
            "weight" => {
                if let Some(w) = n
                    .args()
                    .first()
                    .and_then(|w| w.parse::<i32>().ok())
                    .filter(|w| (-253..=253).contains(w))
                {
                    s.weight = w;
                    s.reverse = n.args().get(1).is_some_and(|r| r == "reverse");
                } else {
                    cx.warn(n, "weight: invalid value (expected -253..253)");
                }
            }
            "rise" => s.rise = cx.num(n, 1, 1000).unwrap_or(s.rise),
            "fall" => s.fall = cx.num(n, 1, 1000).unwrap_or(s.fall),
            "user" => s.user = n.args().first().cloned(),
            "init_fail" => s.init_fail = cx.flag(n),
            _ => cx.unknown(n),
        }
    }
    if s.timeout.is_zero() {
        s.timeout = s.interval;
    }
    match &s.lbd {
        Some(l) if l.socket.is_empty() || l.backend.is_empty() => {
            cx.error(
                b,
                format!("vrrp_track_lbd {}: socket and backend are required", s.name),
            );
            return;
        }
        None if s.script.is_empty() => {
            cx.error(b, format!("vrrp_script {}: no script given", s.name));
            return;
        }
        _ => {}
    }
    cx.out.config.scripts.push(s);
}

fn vip_entry(cx: &mut Ctx, n: &Node) -> Option<VipConf> {
    let first = n.keyword();
    let (addr_s, len_s) = match first.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (first, None),
    };
    let addr = cx.ip(n, addr_s)?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix_len = match len_s.map(str::parse::<u8>) {
        None => max,
        Some(Ok(l)) if l <= max => l,
        Some(_) => {
            cx.warn(n, format!("invalid prefix length in '{first}'"));
            return None;
        }
    };
    let mut v = VipConf {
        addr,
        prefix_len,
        dev: None,
        label: None,
        brd: None,
        scope: None,
        no_track: false,
    };
    let mut it = n.args().iter();
    while let Some(opt) = it.next() {
        match opt.as_str() {
            "dev" => v.dev = it.next().cloned(),
            "label" => {
                v.label = it.next().cloned();
                if v.label.as_ref().is_some_and(|l| l.len() > 15) {
                    cx.warn(n, "label longer than 15 characters; ignored");
                    v.label = None;
                }
            }
            "brd" => v.brd = it.next().and_then(|b| b.parse().ok()),
            "scope" => v.scope = it.next().cloned(),
            "no_track" => v.no_track = true,
            other => cx.warn(
                n,
                format!("unknown option '{other}' of virtual address {first}"),
            ),
        }
    }
    Some(v)
}

fn track_refs(cx: &mut Ctx, b: &Node) -> Vec<TrackRef> {
    let mut out = Vec::new();
    for n in b.children() {
        let mut t = TrackRef {
            name: n.keyword().to_string(),
            weight: None,
            reverse: false,
        };
        let mut it = n.args().iter();
        while let Some(o) = it.next() {
            match o.as_str() {
                "weight" => match it
                    .next()
                    .and_then(|w| w.parse::<i32>().ok())
                    .filter(|w| (-254..=254).contains(w))
                {
                    Some(w) => t.weight = Some(w),
                    None => cx.warn(n, "weight: invalid value (expected -254..254)"),
                },
                "reverse" => t.reverse = true,
                "noreverse" => t.reverse = false,
                other => cx.warn(n, format!("unknown option '{other}' of {}", t.name)),
            }
        }
        out.push(t);
    }
    out
}

fn notify_cmd(cx: &mut Ctx, n: &Node) -> Option<NotifyCmd> {
    let cmd = cx.arg(n)?.to_string();
    cx.surplus(n, 2);
    Some(NotifyCmd {
        cmd,
        user: n.args().get(1).cloned(),
    })
}

fn notify_kw(cx: &mut Ctx, n: &Node, notify: &mut Notifies) -> bool {
    let slot = match n.keyword() {
        "notify_master" => &mut notify.master,
        "notify_backup" => &mut notify.backup,
        "notify_fault" => &mut notify.fault,
        "notify_stop" => &mut notify.stop,
        "notify" => &mut notify.any,
        "notify_master_rx_lower_pri" => &mut notify.master_rx_lower_pri,
        _ => return false,
    };
    *slot = notify_cmd(cx, n);
    true
}

fn instance(cx: &mut Ctx, b: &Node, g: &Global) {
    let Some(name) = b.args().first().cloned() else {
        cx.error(b, "vrrp_instance without a name");
        return;
    };
    let mut i = InstanceConf {
        name: name.clone(),
        interface: None,
        mcast_src_ip: None,
        unicast_src_ip: None,
        unicast_ttl: None,
        vips: Vec::new(),
        vips_excluded: Vec::new(),
        track_interfaces: Vec::new(),
        track_scripts: Vec::new(),
        notify: Notifies::default(),
        dont_track_primary: false,
        params: Params::new(&name, 0),
        loc: b.loc.clone(),
    };
    let p = &mut i.params.clone();
    p.garp = g.garp.clone();
    p.lower_prio_no_advert = g.lower_prio_no_advert;
    p.higher_prio_send_advert = g.higher_prio_send_advert;
    p.skip_check_adv_addr = g.skip_check_adv_addr;
    let mut vrid: Option<u8> = None;
    let mut priority: Option<u8> = None;
    let mut version: Option<Version> = None;
    let mut advert_int = 1.0f64;
    let mut advert_node: Option<Node> = None;
    let mut check_src = g.check_unicast_src;
    let mut csum_v2 = g.v3_checksum_as_v2;
    let mut auth_pass: Option<(String, Node)> = None;
    for n in b.children() {
        if notify_kw(cx, n, &mut i.notify) {
            continue;
        }
        match n.keyword() {
            "state" => match cx.arg(n) {
                Some("MASTER") => p.start_master = true,
                Some("BACKUP") => p.start_master = false,
                Some(o) => cx.warn(n, format!("state: invalid value '{o}' (MASTER or BACKUP)")),
                None => {}
            },
            "interface" => {
                i.interface = cx.arg(n).map(str::to_string);
                cx.surplus(n, 1);
            }
            "virtual_router_id" => vrid = cx.num(n, 1, 255),
            "priority" => priority = cx.num(n, 1, 255),
            "advert_int" => {
                if let Some(a) = cx.num::<f64>(n, 0.01, 255.0) {
                    advert_int = a;
                    advert_node = Some(n.clone());
                }
            }
            "version" => {
                version = match cx.num::<u8>(n, 2, 3) {
                    Some(3) => Some(Version::V3),
                    Some(_) => Some(Version::V2),
                    None => version,
                }
            }
            "nopreempt" => p.preempt = false,
            "preempt" => p.preempt = true,
            "preempt_delay" => p.preempt_delay = cx.secs(n, 0.0, 1000.0).unwrap_or(p.preempt_delay),
            "mcast_src_ip" => i.mcast_src_ip = cx.arg(n).and_then(|s| s.parse().ok()),
            "unicast_src_ip" => i.unicast_src_ip = cx.arg(n).and_then(|s| s.parse().ok()),
            "unicast_peer" => {
                for e in n.children() {
                    if let Some(a) = cx.ip(e, e.keyword()) {
                        p.unicast_peers.push(a);
                    }
                }
            }
            "check_unicast_src" => check_src = cx.flag(n),
            "unicast_ttl" => i.unicast_ttl = cx.num(n, 1u8, 255u8),
            "unicast_fault_no_peer" | "garp_extra_if" | "debug" => {}
            "virtual_ipaddress" => {
                for e in n.children() {
                    if let Some(v) = vip_entry(cx, e) {
                        i.vips.push(v);
                    }
                }
            }
            "virtual_ipaddress_excluded" => {
                for e in n.children() {
                    if let Some(v) = vip_entry(cx, e) {
                        i.vips_excluded.push(v);
                    }
                }
            }
            "track_interface" => i.track_interfaces.extend(track_refs(cx, n)),
            "track_script" => i.track_scripts.extend(track_refs(cx, n)),
            "authentication" => {
                for e in n.children() {
                    match e.keyword() {
                        "auth_type" => match e.args().first().map(String::as_str) {
                            Some("PASS") => {}
                            Some("AH") => cx.error(e, "auth_type AH is not supported"),
                            _ => cx.warn(e, "auth_type: expected PASS"),
                        },
                        "auth_pass" => auth_pass = e.args().first().map(|a| (a.clone(), e.clone())),
                        _ => cx.unknown(e),
                    }
                }
            }
            "garp_master_delay" => {
                p.garp.master_delay = cx.secs(n, 0.0, 1000.0).unwrap_or(p.garp.master_delay)
            }
            "garp_master_repeat" => {
                p.garp.master_repeat = cx.num(n, 0, 1000).unwrap_or(p.garp.master_repeat)
            }
            "garp_master_refresh" => {
                p.garp.master_refresh = cx.secs(n, 0.0, 1e5).unwrap_or(p.garp.master_refresh)
            }
            "garp_master_refresh_repeat" => {
                p.garp.master_refresh_repeat =
                    cx.num(n, 1, 1000).unwrap_or(p.garp.master_refresh_repeat)
            }
            "garp_lower_prio_delay" => {
                p.garp.lower_prio_delay = cx.secs(n, 0.0, 1000.0).unwrap_or(p.garp.lower_prio_delay)
            }
            "garp_lower_prio_repeat" => {
                p.garp.lower_prio_repeat = cx.num(n, 0, 1000).unwrap_or(p.garp.lower_prio_repeat)
            }
            "lower_prio_no_advert" => p.lower_prio_no_advert = cx.flag(n),
            "higher_prio_send_advert" => p.higher_prio_send_advert = cx.flag(n),
            "v3_checksum_as_v2" => csum_v2 = cx.flag(n),
            "skip_check_adv_addr" => p.skip_check_adv_addr = cx.flag(n),
            "accept" => {}
            "no_accept" => cx.warn(n, "no_accept is not supported; VIPs accept traffic"),
            "down_timer_adverts" => {
                p.down_timer_adverts = cx.num(n, 1, 100).unwrap_or(p.down_timer_adverts)
            }
            "dont_track_primary" => i.dont_track_primary = true,
            "use_vmac" | "vmac_xmit_base" | "strict_mode" | "virtual_routes" | "virtual_rules"
            | "track_file" | "track_process" | "track_bfd" | "native_ipv6" | "smtp_alert" => cx
                .warn(
                    n,
                    format!(
                        "'{}' is not supported by keepalived-rs; ignored",
                        n.keyword()
                    ),
                ),
            _ => cx.unknown(n),
        }
    }
    let Some(vrid) = vrid else {
        cx.error(
            b,
            format!("({name}) virtual_router_id is required; instance ignored"),
        );
        return;
    };
    p.vrid = vrid;
    p.priority = priority.unwrap_or(if p.start_master { 255 } else { 100 });
    let v6 = i.vips.first().is_some_and(|v| v.addr.is_ipv6());
    if i.vips.iter().any(|v| v.addr.is_ipv6() != v6) {
        cx.error(
            b,
            format!("({name}) virtual_ipaddress mixes address families"),
        );
        return;
    }
    p.version = if v6 {
        Version::V3
    } else {
        version.unwrap_or(g.vrrp_version)
    };
    let cs = (advert_int * 100.0).round() as u16;
    p.advert_int_cs = match p.version {
        Version::V2 => {
            let whole = advert_int.round().max(1.0);
            if (whole - advert_int).abs() > 1e-9 {
                let at = advert_node.as_ref().unwrap_or(b);
                cx.warn(at, format!("({name}) VRRPv2 advertisement interval {advert_int:.6}s must be an integer. rounding"));
            }
            (whole as u16) * 100
        }
        Version::V3 => cs.clamp(1, 4095),
    };
    if let Some((pass, at)) = auth_pass {
        if p.version == Version::V3 {
            cx.warn(
                &at,
                format!("({name}) authentication is ignored with VRRPv3"),
            );
        } else {
            if pass.len() > 8 {
                cx.warn(&at, "Truncating auth_pass to 8 characters");
            }
            cx.warn(
                b,
                format!("({name}) PASS authentication is a cleartext token, not security"),
            );
            p.auth = Auth::pass(&pass);
        }
    }
    p.check_unicast_src = check_src || !p.unicast_peers.is_empty();
    p.checksum = if csum_v2 {
        ChecksumForm::Plain
    } else {
        ChecksumForm::PseudoHeader
    };
    if !p.preempt && p.priority == 255 {
        cx.warn(
            b,
            format!("({name}) nopreempt is invalid with priority 255; ignored"),
        );
        p.preempt = true;
    }
    p.vips = i.vips.iter().map(|v| v.addr).collect();
    if i.vips.is_empty() {
        cx.warn(b, format!("({name}) no virtual_ipaddress"));
    }
    if i.interface.is_none() && i.unicast_src_ip.is_none() {
        cx.error(b, format!("({name}) interface is required"));
        return;
    }
    i.params = p.clone();
    cx.out.config.instances.push(i);
}

fn sync_group(cx: &mut Ctx, b: &Node) {
    let Some(name) = b.args().first().cloned() else {
        cx.error(b, "vrrp_sync_group without a name");
        return;
    };
    let mut s = SyncGroup {
        name,
        members: Vec::new(),
        notify: Notifies::default(),
        track_interfaces: Vec::new(),
        track_scripts: Vec::new(),
        tracking_weight: false,
    };
    for n in b.children() {
        if notify_kw(cx, n, &mut s.notify) {
            continue;
        }
        match n.keyword() {
            "group" => {
                for e in n.children() {
                    s.members.extend(e.words.iter().cloned());
                }
            }
            "track_interface" => s.track_interfaces.extend(track_refs(cx, n)),
            "track_script" => s.track_scripts.extend(track_refs(cx, n)),
            "sync_group_tracking_weight" => s.tracking_weight = cx.flag(n),
            "global_tracking" => cx.warn(n, "global_tracking is deprecated"),
            _ => cx.unknown(n),
        }
    }
    cx.out.config.sync_groups.push(s);
}

/// Cross-references: tracked scripts exist, group members exist, unique VRIDs per
/// interface, trackers with weights on sync-group members are ignored (as 2.2.x).
fn check_references(cx: &mut Ctx) {
    let cfg = &mut cx.out.config;
    let mut warns = Vec::new();
    for i in &cfg.instances {
        for t in &i.track_scripts {
            if !cfg.scripts.iter().any(|s| s.name == t.name) {
                warns.push(Diag {
                    loc: i.loc.clone(),
                    msg: format!("({}) track_script {} not found", i.name, t.name),
                });
            }
        }
    }
    for g in &cfg.sync_groups {
        for m in &g.members {
            if !cfg.instances.iter().any(|i| &i.name == m) {
                warns.push(Diag {
                    loc: cfg.instances.first().map(|i| i.loc.clone()).unwrap_or(Loc {
                        file: "?".into(),
                        line: 0,
                    }),
                    msg: format!("sync group {}: instance {m} not found", g.name),
                });
            }
        }
        if g.tracking_weight {
            continue;
        }
        for i in cfg
            .instances
            .iter_mut()
            .filter(|i| g.members.contains(&i.name))
        {
            let scripts = &cfg.scripts;
            let weighted = |t: &TrackRef| {
                t.weight
                    .or_else(|| scripts.iter().find(|s| s.name == t.name).map(|s| s.weight))
                    .unwrap_or(0)
                    != 0
            };
            for t in i.track_scripts.iter().filter(|t| weighted(t)) {
                warns.push(Diag {
                    loc: i.loc.clone(),
                    msg: format!(
                        "({}) ignoring tracked script {} with weights due to SYNC group",
                        i.name, t.name
                    ),
                });
            }
            i.track_scripts.retain(|t| !weighted(t));
            i.track_interfaces.retain(|t| t.weight.unwrap_or(0) == 0);
        }
    }
    let mut seen: Vec<(Option<String>, u8, bool)> = Vec::new();
    for i in &cfg.instances {
        let key = (
            i.interface.clone(),
            i.params.vrid,
            i.vips.first().is_some_and(|v| v.addr.is_ipv6()),
        );
        if seen.contains(&key) {
            cx.out.errors.push(Diag {
                loc: i.loc.clone(),
                msg: format!(
                    "({}) VRID {} is already used on this interface",
                    i.name, i.params.vrid
                ),
            });
        }
        seen.push(key);
    }
    cx.out.warnings.extend(warns);
}

#[cfg(test)]
mod tests;
