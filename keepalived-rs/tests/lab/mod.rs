//! Network-namespace lab (spec §6.3): a bridge namespace and node namespaces joined by
//! veth pairs, 10.99.0.0/24 inside only. Drop guards kill every process started here and
//! delete the namespaces, also when a test panics.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static SEQ: AtomicUsize = AtomicUsize::new(0);

pub const RS_BIN: &str = env!("CARGO_BIN_EXE_keepalived-rs");

/// True when the lab can run here (root, iproute2, keepalived); otherwise the test
/// prints why and passes vacuously.
pub fn available(need_keepalived: bool) -> bool {
    let root = nix::unistd::geteuid().is_root();
    let ip = Command::new("ip").arg("-V").output().is_ok();
    let ka = !need_keepalived || Command::new("keepalived").arg("--version").output().is_ok();
    if !(root && ip && ka) {
        eprintln!(
            "SKIP: needs root, iproute2 and keepalived (root={root} ip={ip} keepalived={ka})"
        );
    }
    root && ip && ka
}

fn sh(args: &[&str]) -> String {
    match Command::new(args[0]).args(&args[1..]).output() {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(_) => String::new(),
    }
}

fn must(args: &[&str]) {
    let st = Command::new(args[0]).args(&args[1..]).status();
    assert!(st.is_ok_and(|s| s.success()), "command failed: {args:?}");
}

pub struct Lab {
    pub prefix: String,
    pub dir: PathBuf,
    nodes: Vec<String>,
}

pub struct Node {
    pub ns: String,
    pub ip: String,
}

impl Lab {
    /// Nodes `a`, `b`, ... with addresses 10.99.0.11, .12, ...
    pub fn new(count: usize) -> Lab {
        let prefix = format!(
            "kr{}x{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(&prefix);
        let _ = std::fs::create_dir_all(&dir);
        let mut lab = Lab {
            prefix: prefix.clone(),
            dir,
            nodes: Vec::new(),
        };
        let sw = lab.sw();
        must(&["ip", "netns", "add", &sw]);
        lab.nodes.push(sw.clone());
        must(&[
            "ip",
            "-n",
            &sw,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ]);
        must(&["ip", "-n", &sw, "link", "set", "br0", "up"]);
        for k in 0..count {
            let node = lab.node(k);
            must(&["ip", "netns", "add", &node.ns]);
            lab.nodes.push(node.ns.clone());
            // No DAD: link-locals are usable at once, as on a long-running box.
            must(&[
                "ip",
                "netns",
                "exec",
                &node.ns,
                "sysctl",
                "-qw",
                "net.ipv6.conf.default.accept_dad=0",
            ]);
            must(&[
                "ip",
                "netns",
                "exec",
                &node.ns,
                "sysctl",
                "-qw",
                "net.ipv6.conf.all.accept_dad=0",
            ]);
            let port = format!("p{k}");
            must(&[
                "ip", "link", "add", "eth0", "netns", &node.ns, "type", "veth", "peer", "name",
                &port, "netns", &sw,
            ]);
            must(&["ip", "-n", &sw, "link", "set", &port, "master", "br0", "up"]);
            must(&["ip", "-n", &node.ns, "link", "set", "lo", "up"]);
            must(&["ip", "-n", &node.ns, "link", "set", "eth0", "up"]);
            must(&[
                "ip",
                "-n",
                &node.ns,
                "addr",
                "add",
                &format!("{}/24", node.ip),
                "dev",
                "eth0",
            ]);
        }
        lab
    }

    pub fn sw(&self) -> String {
        format!("{}sw", self.prefix)
    }

    pub fn node(&self, k: usize) -> Node {
        Node {
            ns: format!("{}{}", self.prefix, (b'a' + k as u8) as char),
            ip: format!("10.99.0.{}", 11 + k),
        }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        assert!(std::fs::write(&p, text).is_ok());
        p
    }

    /// Starts keepalived-rs in node `k` with `conf`.
    pub fn start_rs(&self, k: usize, conf: &str) -> Proc {
        self.start_rs_with(k, conf, &[])
    }

    /// Starts keepalived-rs in node `k` with `conf` and extra `(flag, value)` options.
    pub fn start_rs_with(&self, k: usize, conf: &str, extra: &[(&str, &str)]) -> Proc {
        let n = self.node(k);
        let cfg = self.write(&format!("rs{k}.conf"), conf);
        let log = self.dir.join(format!("rs{k}.log"));
        let pid = self.dir.join(format!("rs{k}.pid"));
        let args = ["netns", "exec", &n.ns, RS_BIN, "-P", "-n", "-l", "-D", "-f"];
        let mut opts = vec![("-p", pid.clone())];
        opts.extend(extra.iter().map(|(f, v)| (*f, PathBuf::from(v))));
        Proc::spawn(&args, &cfg, &opts, log, vec![pid])
    }

    /// Starts the real keepalived 2.2.7 in node `k` with `conf` and its own pid files.
    pub fn start_ka(&self, k: usize, conf: &str) -> Proc {
        let n = self.node(k);
        let cfg = self.write(&format!("ka{k}.conf"), conf);
        let log = self.dir.join(format!("ka{k}.log"));
        let main = self.dir.join(format!("ka{k}.pid"));
        let vrrp = self.dir.join(format!("ka{k}_vrrp.pid"));
        let chk = self.dir.join(format!("ka{k}_chk.pid"));
        let args = [
            "netns",
            "exec",
            &n.ns,
            "keepalived",
            "-P",
            "-n",
            "-l",
            "-D",
            "-f",
        ];
        Proc::spawn(
            &args,
            &cfg,
            &[("-p", main.clone()), ("-r", vrrp.clone()), ("-c", chk)],
            log,
            vec![vrrp, main],
        )
    }

    /// Any other program in node `k` (killed on drop).
    pub fn spawn_in(&self, k: usize, name: &str, argv: &[&str]) -> Proc {
        let n = self.node(k);
        let log = self.dir.join(format!("{name}{k}.log"));
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = Command::new("ip")
            .args(["netns", "exec", &n.ns])
            .args(argv)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn");
        Proc {
            child,
            log,
            pids: Vec::new(),
        }
    }

    pub fn has_vip(&self, k: usize, vip: &str) -> bool {
        let out = sh(&[
            "ip",
            "-n",
            &self.node(k).ns,
            "-o",
            "addr",
            "show",
            "dev",
            "eth0",
        ]);
        out.split_whitespace()
            .any(|w| w.split('/').next() == Some(vip))
    }

    /// Polls `cond` every 5 ms until `limit`; the time it took, or None.
    pub fn wait(&self, limit: Duration, mut cond: impl FnMut() -> bool) -> Option<Duration> {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if cond() {
                return Some(t0.elapsed());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    /// Holds `cond` true for all of `span` (checked every 20 ms).
    pub fn holds(&self, span: Duration, mut cond: impl FnMut() -> bool) -> bool {
        let t0 = Instant::now();
        while t0.elapsed() < span {
            if !cond() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// Partitions node `k` from the bridge (port disabled; its link stays up) or heals it.
    pub fn partition(&self, k: usize, cut: bool) {
        let port = format!("p{k}");
        must(&[
            "bridge",
            "-n",
            &self.sw(),
            "link",
            "set",
            "dev",
            &port,
            "state",
            if cut { "0" } else { "3" },
        ]);
    }

    pub fn link(&self, k: usize, up: bool) {
        must(&[
            "ip",
            "-n",
            &self.node(k).ns,
            "link",
            "set",
            "eth0",
            if up { "up" } else { "down" },
        ]);
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in &self.nodes {
            // Anything still running in our namespaces was started by this lab.
            for pid in sh(&["ip", "netns", "pids", ns]).split_whitespace() {
                if let Ok(p) = pid.parse::<i32>() {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(p),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
            }
        }
        for ns in self.nodes.iter().rev() {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("lab files kept in {}", self.dir.display());
        }
    }
}

/// A daemon started in a namespace; killed on drop.
pub struct Proc {
    child: Child,
    pub log: PathBuf,
    /// Pid files, innermost process first (keepalived: VRRP child, then parent).
    pids: Vec<PathBuf>,
}

impl Proc {
    fn spawn(
        args: &[&str],
        cfg: &Path,
        pidfiles: &[(&str, PathBuf)],
        log: PathBuf,
        pids: Vec<PathBuf>,
    ) -> Proc {
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let mut c = Command::new("ip");
        c.args(args).arg(cfg);
        for (flag, p) in pidfiles {
            c.arg(flag).arg(p);
        }
        let child = c
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn daemon");
        Proc { child, log, pids }
    }

    fn pid_of(&self, f: &Path) -> Option<nix::unistd::Pid> {
        let t = std::fs::read_to_string(f).ok()?;
        t.trim().parse::<i32>().ok().map(nix::unistd::Pid::from_raw)
    }

    /// Waits until every pid file is written (the daemon is up).
    pub fn wait_ready(&self) {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(5) {
            if self.pids.iter().all(|p| self.pid_of(p).is_some()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("daemon did not start; log:\n{}", self.log_text());
    }

    /// Crash: SIGKILL every process of the daemon (no priority-0 advert).
    pub fn crash(&mut self) {
        for p in self.pids.clone() {
            if let Some(pid) = self.pid_of(&p) {
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // keepalived refuses to start over a pid file whose process still exists.
        for p in &self.pids {
            let _ = std::fs::remove_file(p);
        }
    }

    /// Graceful stop: SIGTERM to the main process and wait for it.
    pub fn stop(&mut self) {
        if let Some(pid) = self.pids.last().and_then(|p| self.pid_of(p)) {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        }
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.crash();
    }

    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        if let Some(pid) = self.pids.last().and_then(|p| self.pid_of(p)) {
            let _ = nix::sys::signal::kill(pid, sig);
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.crash();
        }
    }
}

/// A keepalived.conf for VRID 51 with the IPv6 VIP fd99::100/64 (always VRRPv3).
pub fn conf6(prio: u8, advert: &str, extra: &str) -> String {
    format!(
        "vrrp_instance VI_6 {{\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority {prio}\n  advert_int {advert}\n{extra}\n  virtual_ipaddress {{\n    fd99::100/64\n  }}\n}}\n"
    )
}

/// A keepalived.conf for VRID 51 with VIP 10.99.0.100/24.
pub fn conf(version: u8, prio: u8, advert: &str, extra: &str) -> String {
    format!(
        "global_defs {{\n  vrrp_version {version}\n}}\n\
         vrrp_instance VI_1 {{\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority {prio}\n  advert_int {advert}\n{extra}\n  virtual_ipaddress {{\n    10.99.0.100/24\n  }}\n}}\n"
    )
}

/// tcpdump on the bridge (`-tt` wire timestamps): ARP, IPv4 and IPv6.
pub struct Capture {
    proc: Proc,
}

/// One captured frame: epoch seconds and tcpdump's text.
#[derive(Debug, Clone)]
pub struct Frame {
    pub t: f64,
    pub text: String,
}

impl Capture {
    pub fn start(lab: &Lab) -> Option<Capture> {
        Capture::start_on(lab, "br0")
    }

    /// Captures on one bridge port (`p0`, `p1`...): what that node sends and receives.
    pub fn start_on(lab: &Lab, dev: &str) -> Option<Capture> {
        if Command::new("tcpdump").arg("--version").output().is_err() {
            eprintln!("SKIP capture: no tcpdump");
            return None;
        }
        let log = lab.dir.join("capture.txt");
        let out = std::fs::File::create(&log).ok()?;
        let err = std::fs::File::create(lab.dir.join("capture.err")).ok()?;
        let sw = lab.sw();
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &sw,
                "tcpdump",
                "-i",
                dev,
                "-l",
                "-n",
                "-e",
                "-tt",
                "-U",
                "arp or ip or ip6",
            ])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .ok()?;
        let cap = Capture {
            proc: Proc {
                child,
                log,
                pids: Vec::new(),
            },
        };
        let ready = lab.wait(Duration::from_secs(5), || {
            std::fs::read_to_string(lab.dir.join("capture.err"))
                .is_ok_and(|t| t.contains("listening on"))
        });
        ready.map(|_| cap)
    }

    pub fn frames(&self) -> Vec<Frame> {
        self.proc
            .log_text()
            .lines()
            .filter_map(|l| {
                let (t, rest) = l.split_once(' ')?;
                Some(Frame {
                    t: t.parse().ok()?,
                    text: rest.to_string(),
                })
            })
            .collect()
    }
}

/// Seconds since the epoch, comparable with `-tt` timestamps.
pub fn epoch() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
