//! SIGHUP (re-read the file, keep unchanged instances' state and timers) and SIGUSR1
//! (state and counters to the log) for the daemon.

use std::time::Instant;

use super::super::addr::AddrOps;
use super::super::notify;
use super::super::vips::{vip_specs, VipCmd};
use super::Daemon;
use crate::config::{self, InstanceConf};
use crate::fsm::{Input, State};

impl<A: AddrOps> Daemon<A> {
    /// SIGHUP: re-read the file; unchanged instances keep their state and timers.
    pub(super) async fn reload(&mut self) {
        self.log.info("Reloading");
        let parsed = match config::load(&self.path) {
            Ok(p) => p,
            Err(e) => {
                self.log.info(&format!(
                    "reload failed, keeping the running configuration: {e}"
                ));
                return;
            }
        };
        for w in &parsed.warnings {
            self.log.info(&w.to_string());
        }
        if !parsed.errors.is_empty() {
            for e in &parsed.errors {
                self.log.info(&e.to_string());
            }
            self.log
                .info("reload failed, keeping the running configuration");
            return;
        }
        let now = Instant::now();
        let mut new = parsed.config;
        notify::secure_scripts(&mut new, &self.log);
        let mut kept = Vec::new();
        let mut old = std::mem::take(&mut self.insts);
        for c in &new.instances {
            let same = old.iter().position(|i| {
                i.conf.name == c.name
                    && i.conf.interface == c.interface
                    && i.conf.params.vrid == c.params.vrid
            });
            if let Some(pos) = same {
                let mut inst = old.remove(pos);
                inst.fsm.update_params(c.params.clone());
                let ifname = c.interface.clone().unwrap_or_default();
                let _ = inst.vip_tx.send(VipCmd::SetVips(vip_specs(c, &ifname)));
                if inst.fsm.state() == State::Master {
                    let _ = inst.vip_tx.send(VipCmd::Add);
                }
                inst.conf = c.clone();
                kept.push(inst);
            }
        }
        // Instances that are gone resign properly.
        self.insts = old;
        for k in 0..self.insts.len() {
            self.feed(k, now, Input::Shutdown);
        }
        for i in std::mem::take(&mut self.insts) {
            drop(i.vip_tx);
            let _ = i.worker.await;
        }
        self.insts = kept;
        self.cfg = new;
        let fresh: Vec<InstanceConf> = self
            .cfg
            .instances
            .iter()
            .filter(|c| !self.insts.iter().any(|i| i.conf.name == c.name))
            .cloned()
            .collect();
        for c in fresh {
            self.add_instance(c).await;
        }
        self.build_groups();
        self.restart_scripts();
        for k in 0..self.insts.len() {
            self.retrack(k, now);
        }
    }

    /// SIGUSR1: state and counters to the log.
    pub(super) fn dump(&self) {
        for i in &self.insts {
            let c = &i.fsm.counters;
            self.log.info(&format!(
                "({}) state {} prio {} master {:?} rx accepted {} ttl {} version {} auth {} interval {} transport {} source {} addr_mismatch {} other_checksum {}",
                i.conf.name,
                i.fsm.state().word(),
                i.fsm.effective_priority(),
                i.fsm.master_addr(),
                c.accepted,
                c.bad_ttl,
                c.wrong_version,
                c.bad_auth,
                c.interval_mismatch,
                c.transport_mismatch,
                c.unknown_source,
                c.addr_mismatch,
                c.checksum_other_form
            ));
        }
        for s in &self.socks {
            self.log.info(&format!(
                "{}: decode errors {:?}, unknown VRID {}",
                s.ifname, s.counters.decode, s.counters.unknown_vrid
            ));
        }
    }
}
