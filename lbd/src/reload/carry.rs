//! What a reload carries from the old generation to the new one: server
//! state set at run time, by backend and server name, with the precedence
//! rules of 2.6's server-state-file (src/server_state.c,
//! srv_state_srv_update): a change in the configuration wins over the
//! state saved from the runtime API, and the runtime state is applied
//! where the configuration did not move. Stick tables are carried while
//! the new runtime is built (`Runtime::build_with`), since its rules hold
//! them.

use crate::check::state::OpState;
use crate::runtime::{Backend, Runtime, ServerRt};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

/// Applies the old generation's server state to the servers of the new one
/// that have the same backend and server name. Returns how many servers
/// took state over.
///
/// Names are looked up in maps, not by scanning: with 1,000 backends of
/// 10 servers a scan per name was half a million string comparisons on
/// the serving thread. A backend's balancer is rebuilt once, after all its
/// servers took their state, and only when one of them changed in a way
/// the balancer sees (usually none did); nothing is logged (2.6 prints nothing
/// when it applies saved state either).
pub fn server_state(old: &Runtime, new: &Runtime) -> usize {
    let old_backends: HashMap<&str, &Backend> = old
        .backends
        .iter()
        .map(|b| (b.name.as_str(), &**b))
        .collect();
    let mut n = 0;
    for nb in &new.backends {
        let Some(ob) = old_backends.get(nb.name.as_str()) else {
            continue;
        };
        let mut by_name: Option<HashMap<&str, &ServerRt>> = None;
        let mut changed = false;
        for (idx, ns) in nb.servers.iter().enumerate() {
            // An unchanged backend lists its servers in the same order: try
            // the same position before building the map.
            let os = match ob.servers.get(idx) {
                Some(os) if os.name == ns.name => Some(&**os),
                _ => by_name
                    .get_or_insert_with(|| {
                        ob.servers.iter().map(|s| (s.name.as_str(), &**s)).collect()
                    })
                    .get(ns.name.as_str())
                    .copied(),
            };
            let Some(os) = os else {
                continue;
            };
            changed |= carry_server(nb, idx, ns, os);
            n += 1;
        }
        if changed {
            nb.refresh_balancer();
        }
    }
    n
}

/// Carries one server's state; true when the balancer must be rebuilt.
fn carry_server(nb: &Backend, idx: usize, ns: &ServerRt, os: &ServerRt) -> bool {
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
    if maint {
        nb.carried_dirty.store(true, Ordering::Relaxed);
    }
    let check_disabled_at_runtime =
        os.conf.check.enabled && !os.check_enabled.load(Ordering::Relaxed);
    if ns.conf.check.enabled && check_disabled_at_runtime {
        ns.check_enabled.store(false, Ordering::Relaxed);
    }
    if os.conf.agent.enabled && !os.agent_enabled.load(Ordering::Relaxed) && ns.conf.agent.enabled {
        ns.agent_enabled.store(false, Ordering::Relaxed);
    }
    nb.apply_health_quietly(idx, |h| {
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{AdminState, StderrObserver};

    fn runtime(text: &str) -> Runtime {
        let env = HashMap::<String, String>::new();
        let out = crate::config::load_str("t.cfg", text.as_bytes(), &env);
        let cfg = out.config.unwrap_or_else(|| panic!("{:?}", out.diags));
        Runtime::build(&cfg).unwrap_or_else(|e| panic!("{e}"))
    }

    fn backend<'a>(rt: &'a Runtime, name: &str) -> &'a Backend {
        rt.backends
            .iter()
            .find(|b| b.name == name)
            .unwrap_or_else(|| panic!("no backend {name}"))
    }

    fn server_idx(be: &Backend, name: &str) -> usize {
        be.servers
            .iter()
            .position(|s| s.name == name)
            .unwrap_or_else(|| panic!("no server {name}"))
    }

    const HEAD: &str = "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n";

    #[test]
    fn state_follows_the_names_when_servers_and_backends_move() {
        let old = runtime(&format!(
            "{HEAD}backend a\n    server s1 127.0.0.1:81\n    server s2 127.0.0.1:82\n    server s3 127.0.0.1:83\n\
             backend b\n    server s1 127.0.0.1:91\n"
        ));
        let a = backend(&old, "a");
        a.set_admin(server_idx(a, "s2"), AdminState::Maint, &StderrObserver);
        let b = backend(&old, "b");
        b.set_admin(server_idx(b, "s1"), AdminState::Drain, &StderrObserver);

        // Backends swapped, servers reordered, one server gone, one new.
        let new = runtime(&format!(
            "{HEAD}backend b\n    server s1 127.0.0.1:91\n\
             backend a\n    server s3 127.0.0.1:83\n    server s4 127.0.0.1:84\n    server s2 127.0.0.1:82\n"
        ));
        assert_eq!(server_state(&old, &new), 3, "a/s3, a/s2 and b/s1 carry");

        let a = backend(&new, "a");
        let s2 = server_idx(a, "s2");
        assert!(a.servers[s2].admin_maint.load(Ordering::Relaxed));
        assert!(!a.servers[s2].is_usable());
        for name in ["s3", "s4"] {
            assert!(a.servers[server_idx(a, name)].is_usable(), "{name}");
        }
        // The balancer was rebuilt after the carry: s2 never gets traffic.
        for _ in 0..20 {
            assert_ne!(a.pick(None, None), Some(s2));
        }
        let b = backend(&new, "b");
        assert!(b.servers[0].health.snapshot().drain, "b/s1 stays drained");
        assert_eq!(b.servers[0].weight.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn the_next_worker_is_told_only_of_servers_changed_at_run_time() {
        let rt = runtime(&format!(
            "{HEAD}backend a\n    server s1 127.0.0.1:81\n    server s2 127.0.0.1:82\n\
             backend b\n    server s1 127.0.0.1:91\n    server s2 127.0.0.1:92 disabled\n\
             backend c\n    server s1 127.0.0.1:93 weight 5\n\
             backend d\n    server s1 127.0.0.1:94\n\
             backend e\n    server s1 127.0.0.1:95\n"
        ));
        let dirty = |name| backend(&rt, name).carried_dirty.load(Ordering::Relaxed);
        // `disabled` in the configuration is listed from the start.
        assert!(dirty("b"));
        assert!(!dirty("a") && !dirty("c") && !dirty("d") && !dirty("e"));

        let a = backend(&rt, "a");
        a.set_admin(server_idx(a, "s2"), AdminState::Drain, &StderrObserver);
        backend(&rt, "c").apply_health(0, &StderrObserver, |h| {
            h.uweight = 2;
            vec![crate::check::state::Transition::Weight(2)]
        });
        // Set and lifted again: marked, and read for nothing.
        let d = backend(&rt, "d");
        d.set_admin(0, AdminState::Maint, &StderrObserver);
        d.set_admin(0, AdminState::Ready, &StderrObserver);
        // A change that carries nothing (here: no change) marks nothing.
        backend(&rt, "e").apply_health(0, &StderrObserver, |_| Vec::new());
        assert!(dirty("a") && dirty("c") && dirty("d") && !dirty("e"));

        let mut out = String::new();
        crate::stats::show_carried_servers_state(&rt, &mut out);
        let rows: Vec<(&str, &str)> = out
            .lines()
            .skip(2)
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                (f[1], f[3])
            })
            .collect();
        assert_eq!(rows, vec![("a", "s2"), ("b", "s2"), ("c", "s1")], "{out}");
    }

    #[test]
    fn a_server_of_the_same_name_in_another_backend_takes_nothing() {
        let old = runtime(&format!(
            "{HEAD}backend a\n    server s1 127.0.0.1:81\nbackend b\n    server s1 127.0.0.1:91\n"
        ));
        let a = backend(&old, "a");
        a.set_admin(0, AdminState::Maint, &StderrObserver);
        let new = runtime(&format!(
            "{HEAD}backend c\n    server s1 127.0.0.1:81\nbackend b\n    server s1 127.0.0.1:91\n"
        ));
        assert_eq!(server_state(&old, &new), 1);
        assert!(backend(&new, "c").servers[0].is_usable());
        assert!(backend(&new, "b").servers[0].is_usable());
    }
}
