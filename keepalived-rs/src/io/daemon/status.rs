//! The daemon as `org.rampart.Vrrp1` shows it: status snapshots for method calls, and
//! the `Transition` signal with the reason taken from the input that caused it.

use std::net::IpAddr;
use std::time::Instant;

use lbapi::dbus::{InstanceStatus, SyncGroupStatus, VrrpCounters};

use super::super::addr::AddrOps;
use super::super::bus::{BusLink, Query, TransitionSignal};
use super::Daemon;
use crate::config::VipConf;
use crate::fsm::{Input, State};

/// What made the state machine move, kept while it handles the input.
#[derive(Debug, Clone, Copy)]
pub(super) enum Cause {
    Start,
    Timer,
    Advert,
    Tracking { fault: bool },
    GroupFault,
    Sync,
    VipDeleted,
    Shutdown,
}

impl Cause {
    pub(super) fn of(input: &Input) -> Cause {
        match input {
            Input::Start => Cause::Start,
            Input::Tick => Cause::Timer,
            Input::Advert { .. } => Cause::Advert,
            Input::Tracking { fault, .. } => Cause::Tracking { fault: *fault },
            Input::GroupFault(_) => Cause::GroupFault,
            Input::SyncTo(_) => Cause::Sync,
            Input::VipDeleted => Cause::VipDeleted,
            Input::Shutdown => Cause::Shutdown,
        }
    }

    /// The `reason` argument of the signal.
    fn reason(self, from: State, to: State) -> &'static str {
        match (self, to) {
            (Cause::Start, _) => "start",
            (Cause::Timer, State::Master) if from == State::Backup => "master down timer",
            (Cause::Timer, _) => "timer",
            (Cause::Advert, State::Backup) => "higher priority advert",
            (Cause::Advert, _) => "advert",
            (Cause::Tracking { fault: true }, _) => "interface or tracker fault",
            (Cause::Tracking { fault: false }, _) => "tracking",
            (Cause::GroupFault, _) => "sync group fault",
            (Cause::Sync, _) => "sync group",
            (Cause::VipDeleted, _) => "VIP deleted",
            (Cause::Shutdown, _) => "shutdown",
        }
    }
}

/// The next bus query, or never when there is no bus.
pub(super) async fn bus_query(bus: &mut Option<BusLink>) -> Option<Query> {
    match bus {
        Some(b) => b.queries.recv().await,
        None => std::future::pending().await,
    }
}

fn vip_text(v: &VipConf) -> String {
    format!("{}/{}", v.addr, v.prefix_len)
}

fn ip_text(a: Option<IpAddr>) -> String {
    a.map(|a| a.to_string()).unwrap_or_default()
}

impl<A: AddrOps> Daemon<A> {
    pub(super) fn transitioned(
        &mut self,
        k: usize,
        now: Instant,
        from: State,
        to: State,
        c: Cause,
    ) {
        let inst = &mut self.insts[k];
        inst.since = now;
        if to == State::Master {
            inst.became_master += 1;
        }
        if let Some(b) = &self.bus {
            let _ = b.signals.send(TransitionSignal {
                instance: inst.conf.name.clone(),
                from: from.word().to_string(),
                to: to.word().to_string(),
                reason: c.reason(from, to).to_string(),
            });
        }
    }

    pub(super) fn answer(&self, q: Query) {
        // The caller may have given up (timeout): a dropped receiver is fine.
        match q {
            Query::Instances(tx) => {
                let _ = tx.send((0..self.insts.len()).map(|k| self.status_of(k)).collect());
            }
            Query::SyncGroups(tx) => {
                let _ = tx.send(self.groups.iter().map(|g| self.group_status(g)).collect());
            }
        }
    }

    fn status_of(&self, k: usize) -> InstanceStatus {
        let i = &self.insts[k];
        let c = &i.fsm.counters;
        let state = i.fsm.state();
        let master = match state {
            State::Master => i.src,
            State::Backup => i.fsm.master_addr(),
            _ => None,
        };
        let v6 = i.conf.vips.first().is_some_and(|v| v.addr.is_ipv6());
        InstanceStatus {
            name: i.conf.name.clone(),
            interface: i.conf.interface.clone().unwrap_or_default(),
            vrid: i.conf.params.vrid,
            version: i.conf.params.version.number(),
            family: if v6 { "IPv6" } else { "IPv4" }.to_string(),
            state: state.word().to_string(),
            priority: i.conf.params.priority,
            effective_priority: i.fsm.effective_priority(),
            master_addr: ip_text(master),
            vips: i.conf.vips.iter().map(vip_text).collect(),
            excluded_vips: i.conf.vips_excluded.iter().map(vip_text).collect(),
            last_transition_secs: i.since.elapsed().as_secs(),
            sync_group: self
                .groups
                .iter()
                .find(|g| g.members.contains(&k))
                .map(|g| g.name.clone())
                .unwrap_or_default(),
            counters: VrrpCounters {
                accepted: c.accepted,
                bad_ttl: c.bad_ttl,
                wrong_version: c.wrong_version,
                bad_auth: c.bad_auth,
                interval_mismatch: c.interval_mismatch,
                transport_mismatch: c.transport_mismatch,
                unknown_source: c.unknown_source,
                addr_mismatch: c.addr_mismatch,
                checksum_other_form: c.checksum_other_form,
                own_address: c.own_address,
                sent: i.sent,
                became_master: i.became_master,
            },
        }
    }

    fn group_status(&self, g: &super::Group) -> SyncGroupStatus {
        let states: Vec<State> = g
            .members
            .iter()
            .map(|&m| self.insts[m].fsm.state())
            .collect();
        // Members disagree only for the instant of a move, or when one is in FAULT and
        // the group follows it.
        let state = if states.contains(&State::Fault) {
            State::Fault
        } else {
            states.first().copied().unwrap_or(State::Init)
        };
        SyncGroupStatus {
            name: g.name.clone(),
            state: state.word().to_string(),
            instances: g
                .members
                .iter()
                .map(|&m| self.insts[m].conf.name.clone())
                .collect(),
        }
    }
}
