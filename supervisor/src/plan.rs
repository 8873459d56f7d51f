//! The set of services as one machine with no I/O: starts each once its
//! dependencies are ready, stops them in reverse order on shutdown, and asks
//! for the boot blessing once the `bless` service is ready.

use std::time::Instant;

use lbapi::dbus::ServiceStatus;

use crate::config::ServiceSpec;
use crate::order::{start_order, OrderError};
use crate::service::{Action, Input, Policy, Service};

/// What the runtime must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Service(usize, Action),
    /// Mark this boot good (once per supervisor run).
    Bless,
    /// Shutdown finished: no service process is left.
    AllStopped,
}

#[derive(Debug)]
pub struct Plan {
    services: Vec<Service>,
    deps: Vec<Vec<usize>>,
    order: Vec<usize>,
    bless: Vec<bool>,
    blessed: bool,
    started: bool,
    shutting_down: bool,
    announced_stop: bool,
}

impl Plan {
    pub fn new(specs: &[ServiceSpec], now: Instant) -> Result<Plan, OrderError> {
        let order = start_order(specs)?;
        let index = |n: &str| specs.iter().position(|s| s.name == n);
        Ok(Plan {
            services: specs
                .iter()
                .map(|s| Service::new(&s.name, Policy::from(s), now))
                .collect(),
            deps: specs
                .iter()
                .map(|s| s.after.iter().filter_map(|a| index(a)).collect())
                .collect(),
            order,
            bless: specs.iter().map(|s| s.bless).collect(),
            blessed: false,
            started: false,
            shutting_down: false,
            announced_stop: false,
        })
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.services.iter().position(|s| s.name == name)
    }
    pub fn service(&self, i: usize) -> &Service {
        &self.services[i]
    }
    pub fn len(&self) -> usize {
        self.services.len()
    }
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down
    }

    /// Status of every service, in start order.
    pub fn statuses(&self, now: Instant) -> Vec<ServiceStatus> {
        self.order
            .iter()
            .map(|&i| self.services[i].status(now))
            .collect()
    }

    pub fn start_all(&mut self, now: Instant) -> Vec<Step> {
        self.started = true;
        let mut out = Vec::new();
        self.advance(now, &mut out);
        out
    }

    pub fn stop_all(&mut self, now: Instant) -> Vec<Step> {
        self.shutting_down = true;
        let mut out = Vec::new();
        self.advance(now, &mut out);
        out
    }

    /// Feeds one input to service `i`.
    pub fn handle(&mut self, now: Instant, i: usize, input: Input) -> Vec<Step> {
        let mut out = Vec::new();
        if self.shutting_down && matches!(input, Input::Start | Input::Restart) {
            return out;
        }
        let actions = self.services[i].handle(now, input);
        self.collect(i, actions, &mut out);
        self.advance(now, &mut out);
        out
    }

    pub fn on_time(&mut self, now: Instant) -> Vec<Step> {
        let mut out = Vec::new();
        for i in 0..self.services.len() {
            if self.services[i].next_deadline().is_some_and(|t| t <= now) {
                let actions = self.services[i].on_time(now);
                self.collect(i, actions, &mut out);
            }
        }
        self.advance(now, &mut out);
        out
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.services.iter().filter_map(|s| s.next_deadline()).min()
    }

    fn collect(&mut self, i: usize, actions: Vec<Action>, out: &mut Vec<Step>) {
        for a in actions {
            if a == Action::BecameReady && self.bless[i] && !self.blessed {
                self.blessed = true;
                out.push(Step::Service(i, a));
                out.push(Step::Bless);
                continue;
            }
            out.push(Step::Service(i, a));
        }
    }

    /// Starts what may start, or on shutdown stops what may stop, until
    /// nothing changes.
    fn advance(&mut self, now: Instant, out: &mut Vec<Step>) {
        loop {
            let mut changed = false;
            if self.shutting_down {
                for k in (0..self.order.len()).rev() {
                    let i = self.order[k];
                    let s = &self.services[i];
                    let settled = matches!(
                        s.state(),
                        lbapi::dbus::ServiceState::Exited | lbapi::dbus::ServiceState::Failed
                    ) || s.state() == lbapi::dbus::ServiceState::Stopping;
                    if settled {
                        continue;
                    }
                    let dependents_down = (0..self.services.len())
                        .filter(|&j| self.deps[j].contains(&i))
                        .all(|j| !self.services[j].is_running());
                    if dependents_down {
                        let actions = self.services[i].handle(now, Input::Stop);
                        self.collect(i, actions, out);
                        changed = true;
                    }
                }
                if !changed && !self.announced_stop && self.services.iter().all(|s| !s.is_running())
                {
                    self.announced_stop = true;
                    out.push(Step::AllStopped);
                }
            } else if self.started {
                for k in 0..self.order.len() {
                    let i = self.order[k];
                    if self.services[i].state() != lbapi::dbus::ServiceState::Waiting {
                        continue;
                    }
                    if self.deps[i].iter().all(|&d| self.services[d].is_ready()) {
                        let actions = self.services[i].handle(now, Input::Start);
                        self.collect(i, actions, out);
                        changed = true;
                    }
                }
            }
            if !changed {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ServicesFile, Vars};
    use crate::service::{ExitKind, Signal};
    use lbapi::dbus::ServiceState;
    use std::path::Path;
    use std::time::Duration;

    fn plan(text: &str, now: Instant) -> Plan {
        let f = ServicesFile::parse(text, Path::new("t.toml"), &Vars::default()).unwrap();
        Plan::new(&f.services, now).unwrap()
    }

    const STACK: &str = r#"
        [[service]]
        name = "lbd"
        command = ["lbd"]
        after = ["dbus"]
        ready = "notify"
        bless = true
        [[service]]
        name = "dbus"
        command = ["dbus-daemon"]
        ready = "notify"
        [[service]]
        name = "webui"
        command = ["webui"]
        after = ["lbd"]
    "#;

    fn spawns(steps: &[Step]) -> Vec<usize> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Service(i, Action::Spawn) => Some(*i),
                _ => None,
            })
            .collect()
    }

    fn ready(n: bool) -> Input {
        Input::Notify(crate::notify::NotifyMessage {
            ready: n,
            ..Default::default()
        })
    }

    #[test]
    fn starts_in_dependency_order_after_readiness_and_blesses_once() {
        let t = Instant::now();
        let mut p = plan(STACK, t);
        let (lbd, dbus, webui) = (0, 1, 2);
        assert_eq!(spawns(&p.start_all(t)), [dbus]);
        assert!(spawns(&p.handle(t, dbus, Input::Spawned { pid: 10 })).is_empty());
        let steps = p.handle(t, dbus, ready(true));
        assert_eq!(spawns(&steps), [lbd]);
        p.handle(t, lbd, Input::Spawned { pid: 11 });
        let steps = p.handle(t, lbd, ready(true));
        assert!(steps.contains(&Step::Bless));
        assert_eq!(spawns(&steps), [webui]);
        let steps = p.handle(t, webui, Input::Spawned { pid: 12 });
        assert!(!steps.contains(&Step::Bless));
        assert!(p.service(webui).is_ready());
        let names: Vec<String> = p.statuses(t).into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["dbus", "lbd", "webui"]);
    }

    #[test]
    fn shutdown_stops_in_reverse_waiting_for_each_exit() {
        let t = Instant::now();
        let mut p = plan(STACK, t);
        let (lbd, dbus, webui) = (0, 1, 2);
        p.start_all(t);
        for (i, pid) in [(dbus, 10), (lbd, 11)] {
            p.handle(t, i, Input::Spawned { pid });
            p.handle(t, i, ready(true));
        }
        p.handle(t, webui, Input::Spawned { pid: 12 });
        let steps = p.stop_all(t);
        assert_eq!(steps, [Step::Service(webui, Action::Signal(Signal::Term))]);
        let steps = p.handle(t, webui, Input::Exited(ExitKind::Code(0)));
        assert!(steps.contains(&Step::Service(lbd, Action::Signal(Signal::Term))));
        assert!(!steps.contains(&Step::Service(dbus, Action::Signal(Signal::Term))));
        // lbd ignores SIGTERM: killed at its stop timeout, then dbus stops.
        let later = t + Duration::from_secs(10);
        let steps = p.on_time(later);
        assert!(steps.contains(&Step::Service(lbd, Action::Signal(Signal::Kill))));
        let steps = p.handle(later, lbd, Input::Exited(ExitKind::Signal(9)));
        assert!(steps.contains(&Step::Service(dbus, Action::Signal(Signal::Term))));
        assert_eq!(
            p.service(lbd).last_exit(),
            "killed by SIGKILL (did not stop in time)"
        );
        let steps = p.handle(later, dbus, Input::Exited(ExitKind::Code(0)));
        assert!(steps.contains(&Step::AllStopped));
        assert_eq!(p.service(lbd).state(), ServiceState::Exited);
    }

    #[test]
    fn shutdown_before_dependencies_ready_skips_waiting_services() {
        let t = Instant::now();
        let mut p = plan(STACK, t);
        p.start_all(t);
        p.handle(t, 1, Input::Spawned { pid: 10 });
        let steps = p.stop_all(t);
        assert!(!spawns(&steps).contains(&0));
        assert!(steps.contains(&Step::Service(1, Action::Signal(Signal::Term))));
        assert_eq!(p.service(0).state(), ServiceState::Exited);
        assert_eq!(p.service(2).state(), ServiceState::Exited);
        let steps = p.handle(t, 1, Input::Exited(ExitKind::Code(0)));
        assert!(steps.contains(&Step::AllStopped));
    }
}
