//! The daemon loop: owns every instance's state machine and feeds it received adverts,
//! timer ticks, tracker results and link events; performs the actions it returns.
//!
//! Only non-blocking work happens on this task (decode, sendto, channel sends). VIP
//! changes and GARPs run in one worker task per instance (ordered: add, then GARP);
//! scripts run in their own tasks and processes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::addr::{link_mac, AddrOps, LinkEvent};
use super::bus::BusLink;
use super::garp::GarpSocket;
use super::rx::{read_loop, read_loop6};
use super::socket::{NaSocket, Rx6, VrrpSocket, VrrpSocket6};
use super::track::{self, Contribution, ScriptState};
use super::vips::{vip_specs, vip_worker, Announcer, VipCmd};
use super::{notify, Logger};
use crate::config::{Config, InstanceConf, Notifies, NotifyCmd};
use crate::fsm::{Action, Input, Instance, NotifyKind, State};
mod reload;
mod status;

use status::{bus_query, Cause};

use crate::wire::{self, Advert, ChecksumForm, DecodeError, Endpoints};

pub(super) enum Event {
    Rx { sock: usize, data: Vec<u8> },
    Rx6 { sock: usize, rx: Rx6, data: Vec<u8> },
    Script { name: String, ok: bool },
    Net(LinkEvent),
}

struct Inst {
    conf: InstanceConf,
    fsm: Instance,
    sock: usize,
    ifindex: u32,
    src: Option<IpAddr>,
    vip_tx: mpsc::UnboundedSender<VipCmd>,
    worker: JoinHandle<()>,
    /// Tracking summary last fed to the state machine.
    tracking: (bool, i32),
    started: bool,
    /// When the state last changed (or the instance was created).
    since: Instant,
    sent: u64,
    became_master: u64,
}

struct Group {
    name: String,
    members: Vec<usize>,
    notify: Notifies,
    notified: Option<State>,
}

/// Per-reason counters of adverts dropped before an instance saw them.
#[derive(Debug, Default)]
struct SockCounters {
    decode: HashMap<DecodeError, u64>,
    unknown_vrid: u64,
}

enum SockKind {
    V4(Arc<VrrpSocket>),
    V6(Arc<VrrpSocket6>),
}

impl SockKind {
    fn is_v6(&self) -> bool {
        matches!(self, SockKind::V6(_))
    }
}

struct Sock {
    kind: SockKind,
    ifname: String,
    ifindex: u32,
    /// Tells the reader thread to stop.
    reader: Arc<AtomicBool>,
    counters: SockCounters,
}

/// The running daemon.
pub struct Daemon<A: AddrOps> {
    addr: Arc<A>,
    cfg: Config,
    path: PathBuf,
    socks: Vec<Sock>,
    insts: Vec<Inst>,
    groups: Vec<Group>,
    scripts: HashMap<String, (ScriptState, JoinHandle<()>)>,
    links: HashMap<u32, bool>,
    tx: mpsc::Sender<Event>,
    rx: mpsc::Receiver<Event>,
    script_tx: mpsc::Sender<(String, bool)>,
    script_rx: mpsc::Receiver<(String, bool)>,
    fifo: Option<notify::NotifyFifo>,
    bus: Option<BusLink>,
    log: Logger,
}

impl<A: AddrOps> Daemon<A> {
    pub fn new(addr: Arc<A>, mut cfg: Config, path: PathBuf, log: Logger) -> Daemon<A> {
        notify::secure_scripts(&mut cfg, &log);
        let (tx, rx) = mpsc::channel(1024);
        let (script_tx, script_rx) = mpsc::channel(256);
        Daemon {
            addr,
            cfg,
            path,
            socks: Vec::new(),
            insts: Vec::new(),
            groups: Vec::new(),
            scripts: HashMap::new(),
            links: HashMap::new(),
            tx,
            rx,
            script_tx,
            script_rx,
            fifo: None,
            bus: None,
            log,
        }
    }

    /// Serve queries and send transition signals on this bus connection.
    pub fn set_bus(&mut self, link: BusLink) {
        self.bus = Some(link);
    }

    /// Runs until SIGTERM/SIGINT.
    pub async fn run(mut self) -> anyhow::Result<()> {
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let mut hup = signal(SignalKind::hangup())?;
        let mut dump = signal(SignalKind::user_defined1())?;
        match self.addr.watch() {
            Ok(mut w) => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    while let Some(ev) = w.recv().await {
                        if tx.send(Event::Net(ev)).await.is_err() {
                            break;
                        }
                    }
                });
            }
            Err(e) => self.log.info(&format!("link monitoring unavailable: {e}")),
        }
        if let Some(path) = self.cfg.global.notify_fifo.clone() {
            match notify::NotifyFifo::open(std::path::Path::new(&path)) {
                Ok(f) => self.fifo = Some(f),
                Err(e) => self
                    .log
                    .info(&format!("cannot open notify_fifo {path}: {e}")),
            }
        }
        if !self.cfg.global.startup_delay.is_zero() {
            tokio::time::sleep(self.cfg.global.startup_delay).await;
        }
        let confs = self.cfg.instances.clone();
        for c in confs {
            self.add_instance(c).await;
        }
        self.build_groups();
        self.restart_scripts();
        for k in 0..self.insts.len() {
            self.retrack(k, Instant::now());
        }
        loop {
            let deadline = self
                .insts
                .iter()
                .filter_map(|i| i.fsm.next_deadline())
                .min();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = term.recv() => break,
                _ = int.recv() => break,
                _ = hup.recv() => self.reload().await,
                _ = dump.recv() => self.dump(),
                Some(q) = bus_query(&mut self.bus) => self.answer(q),
                Some(ev) = self.rx.recv() => self.event(ev).await,
                _ = sleep => {
                    // An advert that arrived before the deadline may still sit in the
                    // channel or the socket when this thread is scheduled late (a loaded
                    // box): take it first, or a backup would take over from a live master.
                    self.drain_received().await;
                    let now = Instant::now();
                    for k in 0..self.insts.len() {
                        if self.insts[k].fsm.next_deadline().is_some_and(|d| d <= now) {
                            self.feed(k, now, Input::Tick);
                        }
                    }
                }
                Some((name, ok)) = self.script_rx.recv() => self.event(Event::Script { name, ok }).await,
            }
        }
        self.log.info("Stopping");
        self.shutdown().await;
        Ok(())
    }

    /// Handles every datagram already received: queued by the reader threads or still in
    /// the sockets.
    async fn drain_received(&mut self) {
        while let Ok(ev) = self.rx.try_recv() {
            self.event(ev).await;
        }
        let mut buf = vec![0u8; 65536];
        for k in 0..self.socks.len() {
            loop {
                let got = match &self.socks[k].kind {
                    SockKind::V4(s) => s.try_recv(&mut buf).map(|n| (n, None)),
                    SockKind::V6(s) => s
                        .try_recv(&mut buf)
                        .map(|r| (r.len.min(buf.len()), Some(r))),
                };
                let Ok((n, rx6)) = got else { break };
                self.rx_advert(k, &buf[..n], rx6, Instant::now());
            }
        }
    }

    async fn add_instance(&mut self, conf: InstanceConf) {
        let name = conf.name.clone();
        let Some(ifname) = conf.interface.clone() else {
            self.log
                .info(&format!("({name}) no interface; instance skipped"));
            return;
        };
        let v6 = conf.vips.first().is_some_and(|v| v.addr.is_ipv6());
        let ifindex = match self.addr.link_index(&ifname).await {
            Ok(i) => i,
            Err(e) => {
                self.log.info(&format!("({name}) {e}; instance skipped"));
                return;
            }
        };
        let src = match conf.unicast_src_ip.or(conf.mcast_src_ip) {
            Some(a) if a.is_ipv6() == v6 => Some(a),
            _ => self.primary_addr(&ifname, &conf, v6).await,
        };
        let sock = match self
            .socks
            .iter()
            .position(|s| s.ifindex == ifindex && s.kind.is_v6() == v6)
        {
            Some(s) => s,
            None => match self.open_socket(&ifname, ifindex, v6) {
                Ok(s) => s,
                Err(e) => {
                    self.log.info(&format!(
                        "({name}) cannot open VRRP socket on {ifname}: {e}; instance skipped"
                    ));
                    return;
                }
            },
        };
        let up = self.addr.link_is_up(&ifname).await.unwrap_or(false);
        self.links.insert(ifindex, up);
        let mac = link_mac(&ifname);
        let garp = match mac.map(|mac| GarpSocket::open(ifindex, mac)) {
            Some(Ok(g)) if !v6 => Some(g),
            Some(Err(e)) if !v6 => {
                self.log
                    .info(&format!("({name}) cannot open GARP socket: {e}"));
                None
            }
            _ => None,
        };
        let na = match mac.map(|mac| NaSocket::open(&ifname, ifindex, mac)) {
            Some(Ok(n)) if v6 => Some(n),
            Some(Err(e)) if v6 => {
                self.log
                    .info(&format!("({name}) cannot open ICMPv6 socket: {e}"));
                None
            }
            _ => None,
        };
        let announcer = Announcer {
            garp,
            na,
            ifname: ifname.clone(),
        };
        let (vip_tx, vip_rx) = mpsc::unbounded_channel();
        let worker = tokio::spawn(vip_worker(
            self.addr.clone(),
            vip_rx,
            vip_specs(&conf, &ifname),
            announcer,
            (self.cfg.global.garp_interval, self.cfg.global.gna_interval),
            self.log.clone(),
        ));
        let mut fsm = Instance::new(conf.params.clone());
        fsm.set_source(src);
        self.log.info(&format!(
            "({name}) Entering INIT STATE on {ifname} (VRID {})",
            conf.params.vrid
        ));
        self.insts.push(Inst {
            conf,
            fsm,
            sock,
            ifindex,
            src,
            vip_tx,
            worker,
            tracking: (false, 0),
            started: false,
            since: Instant::now(),
            sent: 0,
            became_master: 0,
        });
    }

    /// Opens the interface's VRRP socket of one family and its reader thread.
    fn open_socket(&mut self, ifname: &str, ifindex: u32, v6: bool) -> std::io::Result<usize> {
        let stop = Arc::new(AtomicBool::new(false));
        let (idx, tx, stop2) = (self.socks.len(), self.tx.clone(), stop.clone());
        let thread = std::thread::Builder::new().name(format!("vrrp-rx-{ifname}"));
        let kind = if v6 {
            let s = Arc::new(VrrpSocket6::open(ifname, ifindex)?);
            let s2 = s.clone();
            thread.spawn(move || read_loop6(s2, idx, tx, stop2))?;
            SockKind::V6(s)
        } else {
            let s = Arc::new(VrrpSocket::open(
                ifname,
                ifindex,
                self.cfg.global.mcast_group4,
            )?);
            let s2 = s.clone();
            thread.spawn(move || read_loop(s2, idx, tx, stop2))?;
            SockKind::V4(s)
        };
        self.socks.push(Sock {
            kind,
            ifname: ifname.to_string(),
            ifindex,
            reader: stop,
            counters: SockCounters::default(),
        });
        Ok(idx)
    }

    /// The advert source: IPv4, the interface's first address that is not one of our
    /// VIPs; IPv6, its link-local address.
    async fn primary_addr(&self, ifname: &str, conf: &InstanceConf, v6: bool) -> Option<IpAddr> {
        let addrs = self.addr.addresses(ifname).await.ok()?;
        addrs.into_iter().map(|(a, _)| a).find(|a| match a {
            IpAddr::V4(_) => !v6 && !conf.vips.iter().any(|v| v.addr == *a),
            IpAddr::V6(l) => v6 && (l.segments()[0] & 0xffc0) == 0xfe80,
        })
    }

    fn build_groups(&mut self) {
        self.groups = self
            .cfg
            .sync_groups
            .iter()
            .map(|g| Group {
                name: g.name.clone(),
                members: g
                    .members
                    .iter()
                    .filter_map(|m| self.insts.iter().position(|i| &i.conf.name == m))
                    .collect(),
                notify: g.notify.clone(),
                notified: None,
            })
            .collect();
    }

    /// (Re)starts the runners of every tracked script, keeping known results.
    fn restart_scripts(&mut self) {
        let mut wanted: Vec<String> = self
            .insts
            .iter()
            .flat_map(|i| i.conf.track_scripts.iter().map(|t| t.name.clone()))
            .collect();
        for g in &self.cfg.sync_groups {
            wanted.extend(g.track_scripts.iter().map(|t| t.name.clone()));
        }
        let mut old = std::mem::take(&mut self.scripts);
        for s in self.cfg.scripts.iter().filter(|s| wanted.contains(&s.name)) {
            let state = match old.remove(&s.name) {
                Some((st, task)) => {
                    task.abort();
                    st
                }
                None => ScriptState::new(s),
            };
            let user = s
                .user
                .clone()
                .or_else(|| self.cfg.global.script_user.clone());
            let task = tokio::spawn(track::run_script(s.clone(), user, self.script_tx.clone()));
            self.scripts.insert(s.name.clone(), (state, task));
        }
        for (_, (_, task)) in old {
            task.abort();
        }
    }

    /// Recomputes instance `k`'s tracking and feeds changes (and group faults).
    fn retrack(&mut self, k: usize, now: Instant) {
        let Some((fault, weight, known)) = self.tracking_of(k) else {
            return;
        };
        let inst = &mut self.insts[k];
        if (fault, weight) != inst.tracking {
            inst.tracking = (fault, weight);
            self.feed(k, now, Input::Tracking { fault, weight });
        }
        if let Some(g) = self.groups.iter().position(|g| g.members.contains(&k)) {
            let members = self.groups[g].members.clone();
            let any = members.iter().any(|&m| self.insts[m].tracking.0);
            for m in members {
                self.feed(m, now, Input::GroupFault(any));
            }
        }
        if known && !self.insts[k].started {
            self.insts[k].started = true;
            self.feed(k, now, Input::Start);
        }
    }

    /// (fault, weight, all trackers reported) for instance `k`.
    fn tracking_of(&self, k: usize) -> Option<(bool, i32, bool)> {
        let inst = self.insts.get(k)?;
        let mut fault = false;
        let mut weight = 0i32;
        let mut known = true;
        let mut add = |c: Contribution| match c {
            Contribution::Fault => fault = true,
            Contribution::Weight(w) => weight += w,
        };
        let group = self
            .cfg
            .sync_groups
            .iter()
            .find(|g| g.members.contains(&inst.conf.name));
        let group_scripts = group.map(|g| g.track_scripts.as_slice()).unwrap_or(&[]);
        for t in inst.conf.track_scripts.iter().chain(group_scripts) {
            let Some(conf) = self.cfg.scripts.iter().find(|s| s.name == t.name) else {
                continue;
            };
            match self.scripts.get(&t.name).and_then(|(s, _)| s.up) {
                Some(up) => add(track::contribution(
                    t.weight.unwrap_or(conf.weight),
                    t.reverse || conf.reverse,
                    up,
                )),
                None => known = false,
            }
        }
        let group_ifs = group.map(|g| g.track_interfaces.as_slice()).unwrap_or(&[]);
        for t in inst.conf.track_interfaces.iter().chain(group_ifs) {
            let up = std::fs::read_to_string(format!("/sys/class/net/{}/operstate", t.name))
                .map(|s| s.trim() != "down")
                .unwrap_or(false);
            add(track::contribution(t.weight.unwrap_or(0), t.reverse, up));
        }
        if !inst.conf.dont_track_primary && !self.links.get(&inst.ifindex).copied().unwrap_or(false)
        {
            fault = true;
        }
        if inst.src.is_none() {
            fault = true;
        }
        Some((fault, weight, known))
    }

    async fn event(&mut self, ev: Event) {
        let now = Instant::now();
        match ev {
            Event::Rx { sock, data } => self.rx_advert(sock, &data, None, now),
            Event::Rx6 { sock, rx, data } => self.rx_advert(sock, &data, Some(rx), now),
            Event::Script { name, ok } => {
                let changed = self
                    .scripts
                    .get_mut(&name)
                    .is_some_and(|(s, _)| s.record(ok));
                if changed {
                    let word = if ok { "succeeded" } else { "failed" };
                    self.log
                        .info(&format!("Script `{name}` now returning {word}"));
                    for k in 0..self.insts.len() {
                        self.retrack(k, now);
                    }
                }
            }
            Event::Net(ev @ (LinkEvent::LinkUp { .. } | LinkEvent::LinkDown { .. })) => {
                // The event says it all: no netlink round trip on the protocol loop.
                let (index, ifname, up) = match ev {
                    LinkEvent::LinkUp { index, ifname } => (index, ifname, true),
                    LinkEvent::LinkDown { index, ifname } => (index, ifname, false),
                    _ => return,
                };
                if self.links.insert(index, up) != Some(up) {
                    self.log.info(&format!(
                        "Netlink reports {ifname} {}",
                        if up { "up" } else { "down" }
                    ));
                }
                for k in 0..self.insts.len() {
                    self.retrack(k, now);
                }
            }
            Event::Net(LinkEvent::AddrRemoved { index, addr, .. }) => {
                for k in 0..self.insts.len() {
                    let i = &self.insts[k];
                    if i.ifindex != index {
                        continue;
                    }
                    let ours = i.conf.vips.iter().any(|v| v.addr == addr);
                    let lost_src = i.src == Some(addr);
                    if ours && i.fsm.state() == State::Master {
                        self.feed(k, now, Input::VipDeleted);
                    }
                    if lost_src {
                        self.log.info(&format!(
                            "({}) source address {addr} removed",
                            self.insts[k].conf.name
                        ));
                        self.insts[k].src = None;
                        self.insts[k].fsm.set_source(None);
                        self.retrack(k, now);
                    }
                }
            }
            Event::Net(LinkEvent::AddrAdded { index, .. }) => {
                for k in 0..self.insts.len() {
                    if self.insts[k].ifindex == index && self.insts[k].src.is_none() {
                        let (ifname, conf) = (
                            self.insts[k].conf.interface.clone().unwrap_or_default(),
                            self.insts[k].conf.clone(),
                        );
                        let v6 = conf.vips.first().is_some_and(|v| v.addr.is_ipv6());
                        let src = self.primary_addr(&ifname, &conf, v6).await;
                        self.insts[k].src = src;
                        self.insts[k].fsm.set_source(src);
                        self.retrack(k, now);
                    }
                }
            }
        }
    }

    /// Decodes one received datagram (v4: IP header included; v6: payload plus the
    /// header facts from control messages) and hands it to the instance of its VRID.
    fn rx_advert(&mut self, sock: usize, data: &[u8], rx6: Option<Rx6>, now: Instant) {
        let group4 = self.cfg.global.mcast_group4;
        let res = match rx6 {
            None => wire::parse_ipv4(data).and_then(|ip| {
                let vrrp = &data[ip.header_len..ip.total_len];
                wire::decode_v4(vrrp, ip.src, ip.dst)
                    .map(|(ad, form)| (IpAddr::V4(ip.src), ip.ttl, ip.dst != group4, ad, form))
            }),
            Some(r) => {
                wire::decode_v6(&data[..r.len.min(data.len())], Some((r.src, r.dst))).map(|ad| {
                    (
                        IpAddr::V6(r.src),
                        r.hop_limit,
                        r.dst != wire::MCAST_V6,
                        ad,
                        ChecksumForm::PseudoHeader,
                    )
                })
            }
        };
        let Some(s) = self.socks.get_mut(sock) else {
            return;
        };
        let (src, ttl, unicast, advert, checksum) = match res {
            Ok(r) => r,
            Err(e) => {
                let n = s.counters.decode.entry(e).or_insert(0);
                *n += 1;
                if *n == 1 {
                    self.log
                        .info(&format!("dropped advert on {}: {e}", s.ifname));
                }
                return;
            }
        };
        let k = self
            .insts
            .iter()
            .position(|i| i.sock == sock && i.conf.params.vrid == advert.vrid);
        let Some(k) = k else {
            s.counters.unknown_vrid += 1;
            return;
        };
        self.feed(
            k,
            now,
            Input::Advert {
                src,
                ttl,
                unicast,
                checksum,
                advert,
            },
        );
    }

    /// Feeds one input and performs the actions, propagating sync-group moves.
    fn feed(&mut self, k: usize, now: Instant, input: Input) {
        let mut queue = vec![(k, input)];
        while let Some((k, input)) = queue.pop() {
            let cause = Cause::of(&input);
            let actions = self.insts[k].fsm.handle(now, input);
            for a in actions {
                if let Action::Transition { from, to } = a {
                    self.transitioned(k, now, from, to, cause);
                    if let Some(g) = self.groups.iter().position(|g| g.members.contains(&k)) {
                        if matches!(to, State::Master | State::Backup) {
                            for &m in &self.groups[g].members {
                                if m != k && self.insts[m].fsm.state() != to {
                                    queue.push((m, Input::SyncTo(to)));
                                }
                            }
                        }
                    }
                }
                self.perform(k, a);
            }
            self.group_notify();
        }
    }

    fn perform(&mut self, k: usize, a: Action) {
        let inst = &self.insts[k];
        match a {
            Action::SendAdvert { priority } => self.send_advert(k, priority),
            Action::AddVips => {
                let _ = inst.vip_tx.send(VipCmd::Add);
            }
            Action::DelVips => {
                let _ = inst.vip_tx.send(VipCmd::Del);
            }
            Action::Garp { repeat } => {
                let _ = inst.vip_tx.send(VipCmd::Garp(repeat));
            }
            Action::Notify { kind, priority } => self.run_notify(k, kind, priority),
            Action::Transition { .. } => {}
            Action::Log(m) => self.log.info(&m),
        }
    }

    fn send_advert(&mut self, k: usize, priority: u8) {
        self.insts[k].sent += 1;
        let inst = &self.insts[k];
        let Some(src) = inst.src else {
            return;
        };
        let p = inst.fsm.params();
        let advert = Advert {
            version: p.version,
            vrid: p.vrid,
            priority,
            interval_cs: p.advert_int_cs,
            addrs: p.vips.clone(),
            auth: p.auth,
        };
        let group = match src {
            IpAddr::V4(_) => IpAddr::V4(self.cfg.global.mcast_group4),
            IpAddr::V6(_) => IpAddr::V6(wire::MCAST_V6),
        };
        let dsts: Vec<IpAddr> = if p.unicast_peers.is_empty() {
            vec![group]
        } else {
            p.unicast_peers
                .iter()
                .copied()
                .filter(|a| a.is_ipv6() == src.is_ipv6())
                .collect()
        };
        for dst in dsts {
            let bytes = advert.encode(p.checksum, Endpoints { src, dst });
            let sent = match (&self.socks[inst.sock].kind, src, dst) {
                (SockKind::V4(s), IpAddr::V4(a), IpAddr::V4(b)) => {
                    let ttl = match inst.conf.unicast_ttl {
                        Some(t) if !p.unicast_peers.is_empty() => t,
                        _ => wire::VRRP_TTL,
                    };
                    s.send(a, b, &bytes, ttl)
                }
                (SockKind::V6(s), IpAddr::V6(a), IpAddr::V6(b)) => s.send(a, b, &bytes),
                _ => Ok(()),
            };
            if let Err(e) = sent {
                self.log
                    .detail(&format!("({}) advert to {dst} not sent: {e}", p.name));
            }
        }
    }

    fn run_notify(&self, k: usize, kind: NotifyKind, priority: u8) {
        let inst = &self.insts[k];
        let n = &inst.conf.notify;
        let specific = match kind {
            NotifyKind::Master => &n.master,
            NotifyKind::Backup => &n.backup,
            NotifyKind::Fault => &n.fault,
            NotifyKind::Stop => &n.stop,
            NotifyKind::MasterRxLowerPri => &n.master_rx_lower_pri,
        };
        let user = self.cfg.global.script_user.as_deref();
        if let Some(cmd) = specific {
            self.spawn_logged(cmd, &[], user);
        }
        if let (Some(f), false) = (&self.fifo, kind == NotifyKind::MasterRxLowerPri) {
            f.send("INSTANCE", &inst.conf.name, kind.word(), Some(priority));
        }
        if kind != NotifyKind::MasterRxLowerPri {
            if let Some(cmd) = &n.any {
                let extra = [
                    "INSTANCE".to_string(),
                    inst.conf.name.clone(),
                    kind.word().to_string(),
                    priority.to_string(),
                ];
                self.spawn_logged(cmd, &extra, user);
            }
        }
    }

    fn spawn_logged(&self, cmd: &NotifyCmd, extra: &[String], user: Option<&str>) {
        if let Err(e) = notify::spawn(cmd, extra, user) {
            self.log.info(&e);
        }
    }

    /// Group notify scripts run when all members agree on a new state.
    fn group_notify(&mut self) {
        for g in 0..self.groups.len() {
            let states: Vec<State> = self.groups[g]
                .members
                .iter()
                .map(|&m| self.insts[m].fsm.state())
                .collect();
            let Some(&first) = states.first() else {
                continue;
            };
            if first == State::Init
                || states.iter().any(|&s| s != first)
                || self.groups[g].notified == Some(first)
            {
                continue;
            }
            self.groups[g].notified = Some(first);
            let grp = &self.groups[g];
            self.log.info(&format!(
                "VRRP_Group({}) Syncing instances to {} state",
                grp.name,
                first.word()
            ));
            let n = &grp.notify;
            let specific = match first {
                State::Master => &n.master,
                State::Backup => &n.backup,
                State::Fault => &n.fault,
                State::Init => &None,
            };
            let user = self.cfg.global.script_user.as_deref();
            if let Some(cmd) = specific {
                self.spawn_logged(cmd, &[], user);
            }
            if let Some(f) = &self.fifo {
                f.send("GROUP", &grp.name, first.word(), None);
            }
            if let Some(cmd) = &n.any {
                let extra = [
                    "GROUP".to_string(),
                    grp.name.clone(),
                    first.word().to_string(),
                    "0".to_string(),
                ];
                self.spawn_logged(cmd, &extra, user);
            }
        }
    }

    async fn shutdown(&mut self) {
        let now = Instant::now();
        for k in 0..self.insts.len() {
            self.feed(k, now, Input::Shutdown);
        }
        for (_, (_, task)) in self.scripts.drain() {
            task.abort();
        }
        for s in &self.socks {
            s.reader.store(true, Ordering::Relaxed);
        }
        for i in std::mem::take(&mut self.insts) {
            drop(i.vip_tx);
            let _ = tokio::time::timeout(std::time::Duration::from_secs(3), i.worker).await;
        }
    }
}
