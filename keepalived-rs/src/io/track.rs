//! Trackers (spec §2.5, §4.3): `vrrp_script` runners with rise/fall hysteresis and the
//! pure rules that turn script and interface states into FAULT or a priority weight.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::{LbdCheck, VrrpScript};

/// What one tracker contributes to an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contribution {
    Fault,
    Weight(i32),
}

/// keepalived's rule: weight 0 → failure means FAULT; otherwise (negated by `reverse`)
/// a positive weight is added while up, a negative one while down.
pub fn contribution(weight: i32, reverse: bool, up: bool) -> Contribution {
    if weight == 0 {
        return if up {
            Contribution::Weight(0)
        } else {
            Contribution::Fault
        };
    }
    let w = if reverse { -weight } else { weight };
    match (w > 0, up) {
        (true, true) | (false, false) => Contribution::Weight(w),
        _ => Contribution::Weight(0),
    }
}

/// Rise/fall hysteresis of one script. `None` until the first result, unless
/// `init_fail` says to assume failure.
#[derive(Debug, Clone)]
pub struct ScriptState {
    pub up: Option<bool>,
    rise: u32,
    fall: u32,
    streak: u32,
}

impl ScriptState {
    pub fn new(s: &VrrpScript) -> ScriptState {
        ScriptState {
            up: if s.init_fail { Some(false) } else { None },
            rise: s.rise,
            fall: s.fall,
            streak: 0,
        }
    }

    /// Records one run; returns true when the reported state changed.
    pub fn record(&mut self, ok: bool) -> bool {
        match self.up {
            None => {
                self.up = Some(ok);
                true
            }
            Some(cur) if cur == ok => {
                self.streak = 0;
                false
            }
            Some(_) => {
                self.streak += 1;
                let need = if ok { self.rise } else { self.fall };
                if self.streak >= need {
                    self.up = Some(ok);
                    self.streak = 0;
                    true
                } else {
                    false
                }
            }
        }
    }
}

/// Whether `backend` has a server up in lbd's `show stat` rows: any server row whose
/// status starts with UP (`UP`, `UP 1/3`); a backend without server rows counts by its
/// own row.
pub fn backend_has_server_up(rows: &[lbapi::StatRow], backend: &str) -> bool {
    let mine = || rows.iter().filter(|r| r.pxname() == backend);
    let servers: Vec<&lbapi::StatRow> = mine()
        .filter(|r| r.row_type() == Some(lbapi::RowType::Server))
        .collect();
    if servers.is_empty() {
        return mine().any(|r| {
            r.row_type() == Some(lbapi::RowType::Backend) && r.status().starts_with("UP")
        });
    }
    servers.iter().any(|r| r.status().starts_with("UP"))
}

async fn lbd_check(check: &LbdCheck, timeout: Duration) -> bool {
    let Ok(endpoint) = check.socket.parse::<lbapi::Endpoint>() else {
        return false;
    };
    let client = lbapi::RuntimeClient::new(endpoint).with_timeout(timeout);
    let backend = check.backend.clone();
    // The client is blocking; keep it off the protocol loop's thread.
    let job = tokio::task::spawn_blocking(move || {
        client
            .show_stat()
            .map(|rows| backend_has_server_up(&rows, &backend))
    });
    matches!(tokio::time::timeout(timeout, job).await, Ok(Ok(Ok(true))))
}

/// Runs the check every `interval` (timeout = failure) and reports each result.
pub async fn run_script(s: VrrpScript, user: Option<String>, tx: mpsc::Sender<(String, bool)>) {
    if let Some(check) = s.lbd.clone() {
        let mut tick = tokio::time::interval(s.interval.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let ok = lbd_check(&check, s.timeout).await;
            if tx.send((s.name.clone(), ok)).await.is_err() {
                return;
            }
        }
    }
    let Some(argv) = shlex::split(&s.script).filter(|v| !v.is_empty()) else {
        return;
    };
    let mut tick = tokio::time::interval(s.interval.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let mut c = tokio::process::Command::new(&argv[0]);
        c.args(&argv[1..])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true);
        if let Some(u) = &user {
            if super::notify::set_user(&mut c, u).is_err() {
                return;
            }
        }
        let ok = match c.spawn() {
            Ok(mut child) => match tokio::time::timeout(s.timeout, child.wait()).await {
                Ok(Ok(st)) => st.success(),
                _ => false,
            },
            Err(_) => false,
        };
        if tx.send((s.name.clone(), ok)).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Loc;

    fn script(rise: u32, fall: u32, init_fail: bool) -> VrrpScript {
        VrrpScript {
            name: "chk".into(),
            script: "/bin/true".into(),
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            weight: -60,
            reverse: false,
            rise,
            fall,
            user: None,
            init_fail,
            lbd: None,
            loc: Loc {
                file: "t".into(),
                line: 1,
            },
        }
    }

    #[test]
    fn weights_and_fault() {
        assert_eq!(contribution(-60, false, false), Contribution::Weight(-60));
        assert_eq!(contribution(-60, false, true), Contribution::Weight(0));
        assert_eq!(contribution(10, false, true), Contribution::Weight(10));
        assert_eq!(contribution(10, false, false), Contribution::Weight(0));
        assert_eq!(contribution(10, true, false), Contribution::Weight(-10));
        assert_eq!(contribution(0, false, false), Contribution::Fault);
        assert_eq!(contribution(0, false, true), Contribution::Weight(0));
    }

    #[test]
    fn rise_and_fall_hysteresis() {
        let mut s = ScriptState::new(&script(2, 3, false));
        assert_eq!(s.up, None);
        assert!(s.record(true), "first result decides");
        assert!(!s.record(false) && !s.record(false));
        assert!(s.record(false), "down after fall=3");
        assert!(!s.record(true));
        assert!(!s.record(false), "a success streak is broken by a failure");
        assert!(!s.record(true));
        assert!(s.record(true), "up after rise=2");
        let s = ScriptState::new(&script(1, 1, true));
        assert_eq!(s.up, Some(false));
    }

    #[test]
    fn lbd_backend_up_means_a_server_up() {
        let csv = "# pxname,svname,status,type,\n\
                   web,s1,DOWN,2,\nweb,s2,UP 1/3,2,\nweb,BACKEND,UP,1,\n\
                   api,s1,DOWN,2,\napi,s2,MAINT,2,\napi,BACKEND,DOWN,1,\n\
                   solo,BACKEND,UP,1,\n";
        let rows = lbapi::parse_stat_csv(csv).expect("csv");
        assert!(backend_has_server_up(&rows, "web"));
        assert!(!backend_has_server_up(&rows, "api"));
        assert!(backend_has_server_up(&rows, "solo"));
        assert!(!backend_has_server_up(&rows, "missing"));
    }
}
