//! Test helpers: a private network namespace, removed on drop even when the test panics,
//! and a way to run async test bodies inside it without touching the host's interfaces.
#![allow(dead_code)]

pub mod faketree;

use std::future::Future;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicU32 = AtomicU32::new(0);

pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new() -> Netns {
        let name = format!(
            "ncfg{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        run("ip", &["netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n <ns> args...`, asserting success; returns stdout.
    pub fn ip(&self, args: &[&str]) -> String {
        let mut a = vec!["-n", self.name.as_str()];
        a.extend_from_slice(args);
        run("ip", &a)
    }

    /// Like `ip` but returns the error text instead of panicking.
    pub fn try_ip(&self, args: &[&str]) -> Result<String, String> {
        let mut a = vec!["-n", self.name.as_str()];
        a.extend_from_slice(args);
        try_run("ip", &a)
    }

    /// A veth pair `a`/`b`, both up.
    pub fn veth(&self, a: &str, b: &str) {
        self.ip(&["link", "add", a, "type", "veth", "peer", "name", b]);
        self.ip(&["link", "set", a, "up"]);
        self.ip(&["link", "set", b, "up"]);
    }

    /// Whether this kernel can create links of `kind` (the CI kernel may lack 8021q or
    /// bonding, and has no module loader).
    pub fn supports(&self, kind: &str, extra: &[&str]) -> bool {
        let name = format!("probe{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let mut a = vec!["link", "add"];
        a.extend_from_slice(extra);
        a.extend_from_slice(&["name", name.as_str(), "type", kind]);
        let ok = self.try_ip(&a).is_ok();
        if ok {
            let _ = self.try_ip(&["link", "del", &name]);
        }
        ok
    }

    /// Runs `body` on a fresh thread that has entered this namespace, on a
    /// current-thread runtime so every task (and every netlink socket) stays there.
    pub fn run<F, Fut>(&self, body: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let path = format!("/run/netns/{}", self.name);
        let t = std::thread::spawn(move || {
            let f = std::fs::File::open(&path).expect("open netns");
            nix::sched::setns(&f, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(body());
        });
        if let Err(p) = t.join() {
            std::panic::resume_unwind(p);
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

pub fn run(cmd: &str, args: &[&str]) -> String {
    match try_run(cmd, args) {
        Ok(s) => s,
        Err(e) => panic!("{cmd} {args:?}: {e}"),
    }
}

pub fn try_run(cmd: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Polls `f` until it returns true or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let end = Instant::now() + limit;
    loop {
        if f().await {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
