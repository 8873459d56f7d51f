//! What a reload carries from the old generation to the new one: server
//! state set at run time, by backend and server name, with the precedence
//! rules of 2.6's server-state-file (src/server_state.c,
//! srv_state_srv_update): a change in the configuration wins over the
//! state saved from the runtime API, and the runtime state is applied
//! where the configuration did not move. Stick tables are carried while
//! the new runtime is built (`Runtime::build_with`), since its rules hold
//! them.

use crate::check::state::{OpState, Transition};
use crate::runtime::{Backend, Runtime, ServerObserver, ServerRt};
use std::sync::atomic::Ordering;

/// Applies the old generation's server state to the servers of the new one
/// that have the same backend and server name. Returns how many servers
/// took state over.
pub fn server_state(old: &Runtime, new: &Runtime, obs: &dyn ServerObserver) -> usize {
    let mut n = 0;
    for nb in &new.backends {
        let Some(ob) = old.backends.iter().find(|b| b.name == nb.name) else {
            continue;
        };
        for (idx, ns) in nb.servers.iter().enumerate() {
            let Some(os) = ob.servers.iter().find(|s| s.name == ns.name) else {
                continue;
            };
            carry_server(nb, idx, ns, os, obs);
            n += 1;
        }
    }
    n
}

fn carry_server(nb: &Backend, idx: usize, ns: &ServerRt, os: &ServerRt, obs: &dyn ServerObserver) {
    let old_h = os.health.snapshot();
    let old_forced_maint = os.admin_maint.load(Ordering::Relaxed);
    // `disabled` in the configuration is 2.6's CMAINT: when it changed, the
    // new configuration's word stands; otherwise the forced state seen at
    // run time (FMAINT) is what the operator last asked for.
    let maint = if os.conf.disabled != ns.conf.disabled {
        ns.conf.disabled
    } else {
        old_forced_maint
    };
    ns.admin_maint.store(maint, Ordering::Relaxed);
    let check_disabled_at_runtime =
        os.conf.check.enabled && !os.check_enabled.load(Ordering::Relaxed);
    if ns.conf.check.enabled && check_disabled_at_runtime {
        ns.check_enabled.store(false, Ordering::Relaxed);
    }
    if os.conf.agent.enabled && !os.agent_enabled.load(Ordering::Relaxed) && ns.conf.agent.enabled {
        ns.agent_enabled.store(false, Ordering::Relaxed);
    }
    // Silent: HAProxy prints nothing when it applies saved state. The
    // returned transition is a weight change, which has no log line, so
    // the data-plane flags and the balancer are refreshed by apply_health.
    nb.apply_health(idx, obs, |h| {
        // Drain survives unless it only came from a zero weight that the
        // new configuration raised.
        if !maint && old_h.drain && (old_h.iweight > 0 || h.iweight == 0) {
            h.drain = true;
        }
        if old_h.iweight == h.iweight {
            h.uweight = old_h.uweight;
        }
        h.maint = old_h.maint;
        // The operational state: a server seen DOWN stays DOWN until its
        // check rises again; one seen UP stays UP at full health.
        match (h.check.as_mut(), old_h.op) {
            (Some(c), OpState::Stopped) => {
                c.value = 0;
                h.op = OpState::Stopped;
            }
            (Some(c), OpState::Running | OpState::Stopping) => {
                let carried = old_h.check.map(|o| o.value).unwrap_or(c.max());
                c.value = carried.clamp(c.rise, c.max());
                h.op = old_h.op;
            }
            (None, _) => {}
        }
        if maint {
            h.enter_admin_maint();
        }
        vec![Transition::Weight(h.uweight)]
    });
}
