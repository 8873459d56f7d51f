//! The VRRP instance state machine (spec §2-§3), sans-IO.
//!
//! `Instance::handle(now, input)` takes time and events as values and returns the actions
//! the I/O layer must perform, in order; `next_deadline()` says when to call it again
//! with `Input::Tick`. Nothing here touches sockets, netlink, clocks or processes, so
//! every transition and timer is tested over simulated time.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::wire::{Advert, Auth, ChecksumForm, Version};

/// Instance state, including keepalived's FAULT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Init,
    Backup,
    Master,
    Fault,
}

impl State {
    /// The word keepalived uses in notify arguments and logs.
    pub fn word(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
        }
    }
}

/// What a notify script is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyKind {
    Master,
    Backup,
    Fault,
    Stop,
    /// `notify_master_rx_lower_pri`: the master heard a lower-priority advert.
    MasterRxLowerPri,
}

impl NotifyKind {
    pub fn word(self) -> &'static str {
        match self {
            NotifyKind::Master => "MASTER",
            NotifyKind::Backup => "BACKUP",
            NotifyKind::Fault => "FAULT",
            NotifyKind::Stop => "STOP",
            NotifyKind::MasterRxLowerPri => "MASTER_RX_LOWER_PRI",
        }
    }
}

/// Gratuitous ARP / NA timing (keepalived's `garp_*`, spec §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GarpParams {
    pub master_delay: Duration,
    pub master_repeat: u32,
    /// Zero = no periodic refresh.
    pub master_refresh: Duration,
    pub master_refresh_repeat: u32,
    pub lower_prio_delay: Duration,
    pub lower_prio_repeat: u32,
}

impl Default for GarpParams {
    fn default() -> Self {
        GarpParams {
            master_delay: Duration::from_secs(5),
            master_repeat: 5,
            master_refresh: Duration::ZERO,
            master_refresh_repeat: 1,
            lower_prio_delay: Duration::from_secs(5),
            lower_prio_repeat: 5,
        }
    }
}

/// Protocol parameters of one instance, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub name: String,
    pub vrid: u8,
    pub version: Version,
    /// Configured priority; 255 = address owner.
    pub priority: u8,
    /// Advertisement interval in centiseconds (v2: a multiple of 100).
    pub advert_int_cs: u16,
    pub preempt: bool,
    pub preempt_delay: Duration,
    /// `state MASTER`: only matters together with priority 255.
    pub start_master: bool,
    pub lower_prio_no_advert: bool,
    /// A master about to yield to a higher priority first sends one advert of its own.
    pub higher_prio_send_advert: bool,
    pub down_timer_adverts: u32,
    pub vips: Vec<IpAddr>,
    pub auth: Auth,
    /// Unicast peers; empty = multicast.
    pub unicast_peers: Vec<IpAddr>,
    pub check_unicast_src: bool,
    pub skip_check_adv_addr: bool,
    /// Checksum form we send for v3/IPv4.
    pub checksum: ChecksumForm,
    pub garp: GarpParams,
}

impl Params {
    /// Defaults of keepalived for a v2 instance with the given VRID.
    pub fn new(name: &str, vrid: u8) -> Params {
        Params {
            name: name.to_string(),
            vrid,
            version: Version::V2,
            priority: 100,
            advert_int_cs: 100,
            preempt: true,
            preempt_delay: Duration::ZERO,
            start_master: false,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            down_timer_adverts: 3,
            vips: Vec::new(),
            auth: Auth::None,
            unicast_peers: Vec::new(),
            check_unicast_src: true,
            skip_check_adv_addr: false,
            checksum: ChecksumForm::PseudoHeader,
            garp: GarpParams::default(),
        }
    }
}

/// Events the state machine reacts to.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Leave INIT (after trackers and addresses are known).
    Start,
    /// Time passed; fire whatever timers are due.
    Tick,
    /// A decoded advert for our VRID on our interface.
    Advert {
        src: IpAddr,
        ttl: u8,
        /// The IP destination was not the multicast group.
        unicast: bool,
        checksum: ChecksumForm,
        advert: Advert,
    },
    /// Tracker summary: `fault` from interfaces/unweighted scripts, `weight` the sum of
    /// weighted trackers' contributions.
    Tracking { fault: bool, weight: i32 },
    /// Sync group: some member is in FAULT (or none is any more).
    GroupFault(bool),
    /// Sync group: another member moved to MASTER or BACKUP.
    SyncTo(State),
    /// A VIP of ours was deleted by someone else while we hold it.
    VipDeleted,
    /// SIGTERM / SIGINT.
    Shutdown,
}

/// What the I/O layer must do, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    SendAdvert {
        priority: u8,
    },
    /// Install every VIP (idempotent: present ones are left alone).
    AddVips,
    /// Remove every VIP that is present (also the crash cleanup at start).
    DelVips,
    /// `repeat` rounds of one GARP/NA per VIP, in config order.
    Garp {
        repeat: u32,
    },
    Notify {
        kind: NotifyKind,
        priority: u8,
    },
    Transition {
        from: State,
        to: State,
    },
    Log(String),
}

/// Per-reason receive counters (spec §1.7). Decode errors are counted by the socket
/// layer, which sees them before the VRID is known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RxCounters {
    pub accepted: u64,
    pub bad_ttl: u64,
    pub wrong_version: u64,
    pub bad_auth: u64,
    pub interval_mismatch: u64,
    pub transport_mismatch: u64,
    pub unknown_source: u64,
    pub addr_mismatch: u64,
    pub checksum_other_form: u64,
    pub own_address: u64,
}

/// One VRRP instance.
#[derive(Debug)]
pub struct Instance {
    params: Params,
    state: State,
    /// Our advert source, the tie-break key.
    source: Option<IpAddr>,
    /// Master_Adver_Interval in centiseconds (v3 backups adopt the master's).
    master_adver_cs: u16,
    track_fault: bool,
    group_fault: bool,
    track_weight: i32,
    master_addr: Option<IpAddr>,
    adver_at: Option<Instant>,
    master_down_at: Option<Instant>,
    garp_at: Option<Instant>,
    /// Second GARP burst after answering a lower-priority master.
    garp_lower_at: Option<Instant>,
    garp_refresh_at: Option<Instant>,
    preempt_until: Option<Instant>,
    stopped: bool,
    logged: HashSet<&'static str>,
    pub counters: RxCounters,
}

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

impl Instance {
    pub fn new(params: Params) -> Instance {
        let m = params.advert_int_cs;
        Instance {
            params,
            state: State::Init,
            source: None,
            master_adver_cs: m,
            track_fault: false,
            group_fault: false,
            track_weight: 0,
            master_addr: None,
            adver_at: None,
            master_down_at: None,
            garp_at: None,
            garp_lower_at: None,
            garp_refresh_at: None,
            preempt_until: None,
            stopped: false,
            logged: HashSet::new(),
            counters: RxCounters::default(),
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn master_addr(&self) -> Option<IpAddr> {
        self.master_addr
    }

    /// Sets the advert source address (interface primary or configured src IP).
    pub fn set_source(&mut self, src: Option<IpAddr>) {
        self.source = src;
    }

    /// Replaces the parameters on reload, keeping state and timers (SIGHUP).
    pub fn update_params(&mut self, params: Params) {
        if self.state != State::Backup || params.advert_int_cs != self.params.advert_int_cs {
            self.master_adver_cs = params.advert_int_cs;
        }
        self.params = params;
    }

    /// Priority after tracking, clamped to 1..254; an owner's 255 never changes.
    pub fn effective_priority(&self) -> u8 {
        if self.params.priority == 255 {
            return 255;
        }
        (i32::from(self.params.priority) + self.track_weight).clamp(1, 254) as u8
    }

    fn faulty(&self) -> bool {
        self.track_fault || self.group_fault
    }

    /// Skew_Time: v2 (256 − prio)/256 s regardless of the interval; v3 scaled by M.
    pub fn skew_time(&self) -> Duration {
        let p = 256 - u64::from(self.effective_priority());
        match self.params.version {
            Version::V2 => us(p * 1_000_000 / 256),
            Version::V3 => us(p * u64::from(self.master_adver_cs) * 10_000 / 256),
        }
    }

    /// Master_Down_Interval = down_timer_adverts × M + Skew_Time.
    pub fn master_down_interval(&self) -> Duration {
        let m = u64::from(self.master_adver_cs) * 10_000;
        us(u64::from(self.params.down_timer_adverts) * m) + self.skew_time()
    }

    fn advert_interval(&self) -> Duration {
        us(u64::from(self.params.advert_int_cs) * 10_000)
    }

    /// The earliest time `Input::Tick` has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        [
            self.adver_at,
            self.master_down_at,
            self.garp_at,
            self.garp_lower_at,
            self.garp_refresh_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn log(&self, out: &mut Vec<Action>, msg: String) {
        out.push(Action::Log(format!("({}) {}", self.params.name, msg)));
    }

    /// Logs a receive error class once until the next state change (as keepalived does).
    fn log_once(&mut self, out: &mut Vec<Action>, class: &'static str, msg: String) {
        if self.logged.insert(class) {
            self.log(out, msg);
        }
    }

    pub fn handle(&mut self, now: Instant, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        if self.stopped {
            return out;
        }
        match input {
            Input::Start => self.start(now, &mut out),
            Input::Tick => self.tick(now, &mut out),
            Input::Advert {
                src,
                ttl,
                unicast,
                checksum,
                advert,
            } => {
                if self.check_advert(src, ttl, unicast, checksum, &advert, &mut out) {
                    self.counters.accepted += 1;
                    self.advert(now, src, &advert, &mut out);
                }
            }
            Input::Tracking { fault, weight } => {
                self.track_weight = weight;
                self.track_fault = fault;
                self.refault(now, &mut out);
            }
            Input::GroupFault(f) => {
                self.group_fault = f;
                self.refault(now, &mut out);
            }
            Input::SyncTo(State::Master) if self.state == State::Backup => {
                self.log(&mut out, "Syncing instances to MASTER state".into());
                self.become_master(now, &mut out);
            }
            Input::SyncTo(State::Backup) if self.state == State::Master => {
                self.become_backup(now, &mut out);
            }
            Input::SyncTo(_) => {}
            Input::VipDeleted if self.state == State::Master => {
                // Never run as master without the VIP: put it back and re-announce.
                self.log(
                    &mut out,
                    "virtual address removed externally, re-adding".into(),
                );
                out.push(Action::AddVips);
                out.push(Action::Garp {
                    repeat: self.params.garp.master_repeat,
                });
            }
            Input::VipDeleted => {}
            Input::Shutdown => {
                if self.state == State::Master {
                    out.push(Action::SendAdvert { priority: 0 });
                    out.push(Action::DelVips);
                }
                out.push(Action::Notify {
                    kind: NotifyKind::Stop,
                    priority: self.effective_priority(),
                });
                self.clear_timers();
                self.stopped = true;
            }
        }
        out
    }

    fn clear_timers(&mut self) {
        self.adver_at = None;
        self.master_down_at = None;
        self.garp_at = None;
        self.garp_lower_at = None;
        self.garp_refresh_at = None;
    }

    fn set_state(&mut self, to: State, out: &mut Vec<Action>) {
        let from = self.state;
        self.state = to;
        self.logged.clear();
        self.clear_timers();
        self.log(out, format!("Entering {} STATE", to.word()));
        out.push(Action::Transition { from, to });
    }

    fn start(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.state != State::Init {
            return;
        }
        // Leftover VIPs from a crash must go before anyone relies on our state.
        out.push(Action::DelVips);
        if self.faulty() {
            self.enter_fault(out);
        } else if self.params.priority == 255 && self.params.start_master {
            self.become_master(now, out);
        } else {
            self.become_backup(now, out);
        }
    }

    fn tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        match self.state {
            State::Backup if due(self.master_down_at) => self.become_master(now, out),
            State::Master => {
                if let Some(at) = self.adver_at.filter(|&t| t <= now) {
                    out.push(Action::SendAdvert {
                        priority: self.effective_priority(),
                    });
                    // Keep the cadence from the deadline, not from when we woke up: at
                    // 10 ms a few hundred µs of wake-up latency per advert would otherwise
                    // stretch the interval for every backup. Far behind: restart from now.
                    let next = at + self.advert_interval();
                    self.adver_at = Some(if next > now {
                        next
                    } else {
                        now + self.advert_interval()
                    });
                }
                if due(self.garp_at) {
                    self.garp_at = None;
                    out.push(Action::Garp {
                        repeat: self.params.garp.master_repeat,
                    });
                }
                if due(self.garp_lower_at) {
                    self.garp_lower_at = None;
                    out.push(Action::Garp {
                        repeat: self.params.garp.lower_prio_repeat,
                    });
                }
                if due(self.garp_refresh_at) {
                    out.push(Action::Garp {
                        repeat: self.params.garp.master_refresh_repeat,
                    });
                    self.garp_refresh_at = Some(now + self.params.garp.master_refresh);
                }
            }
            _ => {}
        }
    }

    fn become_master(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.set_state(State::Master, out);
        self.master_adver_cs = self.params.advert_int_cs;
        self.preempt_until = None;
        self.master_addr = self.source;
        let prio = self.effective_priority();
        // Advert first so the old master drops the VIPs before our GARPs (spec §3.1).
        out.push(Action::SendAdvert { priority: prio });
        out.push(Action::AddVips);
        out.push(Action::Garp {
            repeat: self.params.garp.master_repeat,
        });
        let g = &self.params.garp;
        if !g.master_delay.is_zero() {
            self.garp_at = Some(now + g.master_delay);
        }
        if !g.master_refresh.is_zero() {
            self.garp_refresh_at = Some(now + g.master_refresh);
        }
        out.push(Action::Notify {
            kind: NotifyKind::Master,
            priority: prio,
        });
        self.adver_at = Some(now + self.advert_interval());
    }

    fn become_backup(&mut self, now: Instant, out: &mut Vec<Action>) {
        let was_master = self.state == State::Master;
        self.set_state(State::Backup, out);
        if was_master {
            out.push(Action::DelVips);
        }
        out.push(Action::Notify {
            kind: NotifyKind::Backup,
            priority: self.effective_priority(),
        });
        self.master_down_at = Some(now + self.master_down_interval());
    }

    fn enter_fault(&mut self, out: &mut Vec<Action>) {
        if self.state == State::Master {
            out.push(Action::SendAdvert { priority: 0 });
            out.push(Action::DelVips);
        }
        self.set_state(State::Fault, out);
        self.master_addr = None;
        out.push(Action::Notify {
            kind: NotifyKind::Fault,
            priority: self.effective_priority(),
        });
    }

    /// Re-evaluates FAULT after a tracker or group change.
    fn refault(&mut self, now: Instant, out: &mut Vec<Action>) {
        match (self.state, self.faulty()) {
            (State::Init, _) | (State::Fault, true) => {}
            (State::Fault, false) => self.become_backup(now, out),
            (_, true) => self.enter_fault(out),
            (_, false) => {}
        }
    }

    /// Instance-level receive checks of spec §1.7; false = drop.
    fn check_advert(
        &mut self,
        src: IpAddr,
        ttl: u8,
        unicast: bool,
        checksum: ChecksumForm,
        ad: &Advert,
        out: &mut Vec<Action>,
    ) -> bool {
        // A copy keeps the borrow checker out of the log calls; adverts are tens per second at most.
        let p = self.params.clone();
        let want_unicast = !p.unicast_peers.is_empty();
        if !unicast && ttl != 255 {
            self.counters.bad_ttl += 1;
            self.log_once(
                out,
                "ttl",
                format!("invalid TTL/HL. Received {ttl} and expect 255"),
            );
            return false;
        }
        if unicast != want_unicast {
            self.counters.transport_mismatch += 1;
            let msg = if want_unicast {
                "Expected unicast packet but received multicast"
            } else {
                "Expected multicast packet but received unicast"
            };
            self.log_once(out, "transport", msg.to_string());
            return false;
        }
        if ad.version != p.version {
            self.counters.wrong_version += 1;
            let msg = format!(
                "wrong version. Received {} and expect {}",
                ad.version.number(),
                p.version.number()
            );
            self.log_once(out, "version", msg);
            return false;
        }
        if want_unicast && p.check_unicast_src && !p.unicast_peers.contains(&src) {
            self.counters.unknown_source += 1;
            self.log_once(
                out,
                "source",
                format!("advert from {src} which is not a unicast peer"),
            );
            return false;
        }
        if Some(src) == self.source {
            self.counters.own_address += 1;
            self.log_once(
                out,
                "own",
                format!("advert from our own address {src}: duplicate address?"),
            );
            return false;
        }
        if ad.version == Version::V2 {
            let theirs = match ad.auth {
                Auth::None => 0,
                Auth::Pass(_) => 1,
                Auth::Other(t) => t,
            };
            let ours = match p.auth {
                Auth::Pass(_) => 1,
                _ => 0,
            };
            if theirs != ours || ad.auth != p.auth {
                self.counters.bad_auth += 1;
                let msg = if theirs != ours {
                    format!("received a {theirs} auth, expecting {ours}!")
                } else {
                    "bad password".to_string()
                };
                self.log_once(out, "auth", msg);
                return false;
            }
            if ad.interval_cs != p.advert_int_cs {
                self.counters.interval_mismatch += 1;
                let msg = format!(
                    "advertisement interval mismatch mine={} sec rcv'd={} sec: dropping (both nodes may become MASTER)",
                    p.advert_int_cs / 100,
                    ad.interval_cs / 100
                );
                self.log_once(out, "interval", msg);
                return false;
            }
        }
        if !p.skip_check_adv_addr && !same_set(&ad.addrs, &p.vips) {
            self.counters.addr_mismatch += 1;
            let msg = format!(
                "advert from {src} carries {} address(es) that differ from ours ({}); keepalived 2.2.x peers drop such adverts",
                ad.addrs.len(),
                p.vips.len()
            );
            self.log_once(out, "addrs", msg);
        }
        if p.version == Version::V3 && src.is_ipv4() && checksum != p.checksum {
            self.counters.checksum_other_form += 1;
            let msg = format!(
                "{src} uses v3 checksum form {checksum:?}, we send {:?}",
                p.checksum
            );
            self.log_once(out, "csum", msg);
        }
        true
    }

    fn advert(&mut self, now: Instant, src: IpAddr, ad: &Advert, out: &mut Vec<Action>) {
        let ours = self.effective_priority();
        match self.state {
            State::Backup => self.backup_advert(now, src, ad, ours, out),
            State::Master => self.master_advert(now, src, ad, ours, out),
            State::Init | State::Fault => {}
        }
    }

    fn adopt_interval(&mut self, ad: &Advert, out: &mut Vec<Action>) {
        if self.params.version == Version::V3 && ad.interval_cs != self.master_adver_cs {
            let msg = format!(
                "advertisement interval updated from {}ms to {}ms by master",
                u32::from(self.master_adver_cs) * 10,
                u32::from(ad.interval_cs) * 10
            );
            self.log(out, msg);
            self.master_adver_cs = ad.interval_cs;
        }
    }

    fn backup_advert(
        &mut self,
        now: Instant,
        src: IpAddr,
        ad: &Advert,
        ours: u8,
        out: &mut Vec<Action>,
    ) {
        if ad.priority == 0 {
            self.master_down_at = Some(now + self.skew_time());
            return;
        }
        let delaying =
            !self.params.preempt_delay.is_zero() && self.preempt_until.is_none_or(|t| t > now);
        if !self.params.preempt || ad.priority >= ours || delaying {
            if !self.params.preempt_delay.is_zero() {
                if ad.priority > ours {
                    self.preempt_until = None;
                } else if self.preempt_until.is_none() {
                    self.preempt_until = Some(now + self.params.preempt_delay);
                    let msg = format!(
                        "start preempt delay ({:.6})",
                        self.params.preempt_delay.as_secs_f64()
                    );
                    self.log(out, msg);
                }
            }
            self.adopt_interval(ad, out);
            self.master_down_at = Some(now + self.master_down_interval());
            self.master_addr = Some(src);
        } else {
            let msg = format!(
                "received lower priority ({}) advert from {src} - discarding",
                ad.priority
            );
            self.log_once(out, "lower", msg);
        }
    }

    fn master_advert(
        &mut self,
        now: Instant,
        src: IpAddr,
        ad: &Advert,
        mut ours: u8,
        out: &mut Vec<Action>,
    ) {
        if ad.priority == 255 && ours == 255 && self.source != Some(src) {
            // Two address owners: keepalived reports it and backs itself off to 254,
            // so the other owner (whose 255 is now higher) keeps the VIPs.
            self.log(out, "CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority".to_string());
            self.params.priority = 254;
            ours = self.effective_priority();
        }
        if ad.priority == 0 {
            out.push(Action::SendAdvert { priority: ours });
            self.adver_at = Some(now + self.advert_interval());
            return;
        }
        let theirs_higher_ip = match self.source {
            Some(me) => ip_key(src) > ip_key(me),
            None => false,
        };
        if ad.priority > ours || (ad.priority == ours && theirs_higher_ip) {
            let msg = if ad.priority > ours {
                format!(
                    "Master received advert from {src} with higher priority {}, ours {ours}",
                    ad.priority
                )
            } else {
                format!("Master received advert from {src} with same priority {ours} but higher IP address than ours")
            };
            self.log(out, msg);
            if self.params.higher_prio_send_advert {
                out.push(Action::SendAdvert { priority: ours });
            }
            self.become_backup(now, out);
            self.adopt_interval(ad, out);
            self.master_down_at = Some(now + self.master_down_interval());
            self.master_addr = Some(src);
        } else {
            let msg = format!(
                "Received advert from {src} with lower priority {}, ours {ours}, forcing new election",
                ad.priority
            );
            self.log(out, msg);
            if !self.params.lower_prio_no_advert {
                out.push(Action::SendAdvert { priority: ours });
                out.push(Action::Garp {
                    repeat: self.params.garp.lower_prio_repeat,
                });
                let delay = self.params.garp.lower_prio_delay;
                if !delay.is_zero() && self.garp_lower_at.is_none() {
                    self.garp_lower_at = Some(now + delay);
                }
                self.adver_at = Some(now + self.advert_interval());
            }
            out.push(Action::Notify {
                kind: NotifyKind::MasterRxLowerPri,
                priority: ours,
            });
        }
    }
}

/// Addresses compare as unsigned integers in network order.
fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn same_set(a: &[IpAddr], b: &[IpAddr]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

#[cfg(test)]
mod tests;
