//! lbd's `org.rampart.Lbd1` on a private dbus-daemon whose policy is the
//! appliance's own file (buildroot-overlay), with the `users` group standing
//! in for `rampart-admin`. lbd only: HAProxy has no D-Bus service, so these
//! tests return at once against it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lbapi::dbus::Lbd1Proxy;
use tests::*;

/// The client side's runtime. Each test enters it first: proxies and signal
/// streams unsubscribe when dropped, and that needs a runtime.
static RT: std::sync::LazyLock<tokio::runtime::Runtime> = std::sync::LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("no tokio runtime: {e}"))
});

/// A private bus, stopped on drop.
struct Bus {
    child: Child,
    address: String,
    _dir: TempDir,
}

impl Bus {
    fn start() -> Bus {
        let dir = TempDir::new();
        let policy = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../buildroot-overlay/etc/dbus-1/system.d/org.rampart.Lbd.conf"
        ))
        .unwrap_or_else(|e| panic!("cannot read the policy file: {e}"))
        .replace("\"rampart-admin\"", "\"users\"");
        let policy_path = dir.write("org.rampart.Lbd.conf", policy);
        // The system bus's defaults (/usr/share/dbus-1/system.conf): method
        // calls are denied unless a service's policy allows them.
        let conf = format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
  </policy>
  <include>{}</include>
</busconfig>
"#,
            dir.join("bus").display(),
            policy_path.display()
        );
        let conf_path = dir.write("bus.conf", conf);
        let mut child = Command::new("dbus-daemon")
            .arg("--config-file")
            .arg(&conf_path)
            .args(["--print-address", "--nofork"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start dbus-daemon (apt-get install dbus): {e}"));
        let mut line = String::new();
        let out = child.stdout.take().map(BufReader::new);
        if let Some(mut out) = out {
            let _ = out.read_line(&mut line);
        }
        assert!(!line.trim().is_empty(), "dbus-daemon printed no address");
        Bus {
            child,
            address: line.trim().to_string(),
            _dir: dir,
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// lbd serving on a private bus, and a client of it.
struct Harness {
    lbd: LbdProcess,
    proxy: Lbd1Proxy<'static>,
    bus: Bus,
}

impl Harness {
    fn start(config: &str) -> Harness {
        Harness::start_on(Bus::start(), config, &[])
    }

    /// lbd on `bus`, with extra arguments.
    fn start_on(bus: Bus, config: &str, args: &[&str]) -> Harness {
        let mut all = vec!["--dbus", bus.address.as_str()];
        all.extend_from_slice(args);
        let lbd = LbdProcess::start_with(TempDir::new(), config, &all, &[]);
        let proxy = RT.block_on(async {
            let conn = async {
                zbus::connection::Builder::address(bus.address.as_str())?
                    .build()
                    .await
            };
            let conn = conn
                .await
                .unwrap_or_else(|e| panic!("cannot connect to the test bus: {e}"));
            Lbd1Proxy::new(&conn)
                .await
                .unwrap_or_else(|e| panic!("no Lbd1 proxy: {e}"))
        });
        let h = Harness { lbd, proxy, bus };
        // lbd takes its name just before its first generation starts.
        let deadline = Instant::now() + Duration::from_secs(5);
        while RT.block_on(h.proxy.stats()).is_err() {
            assert!(
                Instant::now() < deadline,
                "lbd never served on D-Bus{}",
                h.lbd.output_hint()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        h
    }

    /// Stops lbd (SIGTERM) and starts it again on the same bus with the
    /// configuration file as lbd left it and the same `args`.
    fn restart(self, args: &[&str]) -> Harness {
        let Harness {
            mut lbd,
            proxy,
            bus,
            ..
        } = self;
        drop(proxy);
        let text = std::fs::read_to_string(lbd.config_path())
            .unwrap_or_else(|e| panic!("cannot read the config: {e}"));
        let pid = nix::unistd::Pid::from_raw(lbd.pid() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        assert!(
            lbd.wait_exit(Duration::from_secs(5)).is_some(),
            "lbd did not stop{}",
            lbd.output_hint()
        );
        drop(lbd);
        Harness::start_on(bus, &text, args)
    }

    fn call<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        RT.block_on(f)
    }

    /// `dbus-send` as `nobody`, with the admin stand-in group or none.
    fn call_as_nobody(&self, admin: bool, method: &str, args: &[&str]) -> (bool, String) {
        let groups = if admin {
            "--groups=100"
        } else {
            "--clear-groups"
        };
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", groups, "dbus-send"])
            .arg(format!("--bus={}", self.bus.address))
            .args([
                "--print-reply",
                "--dest=org.rampart.Lbd",
                "/org/rampart/Lbd",
                &format!("org.rampart.Lbd1.{method}"),
            ])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run setpriv: {e}"));
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }
}

fn config(port: u16, servers: &[&HttpBackend], extra: &str) -> String {
    http_config(port, "", &server_lines(servers, extra))
}

fn served_by(port: u16) -> String {
    RawClient::connect(port)
        .request(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .served_by()
}

/// Waits until every one of a few requests is served by `name`.
fn wait_served_by(port: u16, name: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        if (0..4).all(|_| served_by(port) == name) {
            return;
        }
        assert!(Instant::now() < deadline, "traffic never went to {name}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn validate_cites_lines_and_apply_moves_traffic_with_history_and_signals() {
    if is_haproxy() {
        return;
    }
    let _rt = RT.enter();
    let (a, b) = (HttpBackend::start("a"), HttpBackend::start("b"));
    let port = free_port();
    let h = Harness::start(&config(port, &[&a], ""));
    assert_eq!(served_by(port), "a");

    let bad = format!("{}    frobnicate yes\n", config(port, &[&b], ""));
    let bad_line = bad.lines().count() as u32;
    let errs = h.call(h.proxy.validate(&bad)).unwrap();
    let e = errs.iter().find(|e| e.is_alert()).expect("an alert");
    assert_eq!(
        (e.line, e.keyword.as_str()),
        (bad_line, "frobnicate"),
        "{errs:?}"
    );
    let err = h.call(h.proxy.apply(&bad, 0)).unwrap_err().to_string();
    assert!(err.contains("frobnicate"), "{err}");
    assert_eq!(served_by(port), "a", "a rejected text changed nothing");

    let good = config(port, &[&b], "");
    assert!(h
        .call(h.proxy.validate(&good))
        .unwrap()
        .iter()
        .all(|e| !e.is_alert()));
    let mut applied = h.call(h.proxy.receive_config_applied()).unwrap();
    let mut reloaded = h.call(h.proxy.receive_reloaded()).unwrap();
    let v = h.call(h.proxy.apply(&good, 0)).unwrap();
    assert_eq!(v, 2, "version 1 is the file lbd started with");
    assert_eq!(served_by(port), "b");
    assert_eq!(h.call(h.proxy.config_text()).unwrap(), good);
    assert_eq!(std::fs::read_to_string(h.lbd.config_path()).unwrap(), good);

    let sig = h.call(async { tokio::time::timeout(Duration::from_secs(5), applied.next()).await });
    assert_eq!(sig.unwrap().unwrap().args().unwrap().version, 2);
    let sig = h.call(async { tokio::time::timeout(Duration::from_secs(5), reloaded.next()).await });
    assert_eq!(sig.unwrap().unwrap().args().unwrap().generation, 2);

    let hist = h.call(h.proxy.history()).unwrap();
    assert_eq!(hist.iter().map(|v| v.id).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(hist[1].size, good.len() as u64);
    assert!(h.lbd.dir().join(".lbd-history/1.cfg").exists());
    let model = h.call(h.proxy.config_model()).unwrap();
    assert!(model.contains("\"fe\""), "{model}");
}

#[test]
fn unconfirmed_apply_rolls_back_by_itself_and_confirm_keeps_it() {
    if is_haproxy() {
        return;
    }
    let _rt = RT.enter();
    let (a, b) = (HttpBackend::start("a"), HttpBackend::start("b"));
    let port = free_port();
    let h = Harness::start(&config(port, &[&a], ""));
    let to_b = config(port, &[&b], "");

    let v = h.call(h.proxy.apply(&to_b, 2)).unwrap();
    assert_eq!(served_by(port), "b");
    assert_eq!(h.call(h.proxy.pending_version()).unwrap(), v);
    wait_served_by(port, "a", Duration::from_secs(8));
    assert_eq!(h.call(h.proxy.pending_version()).unwrap(), 0);
    let hist = h.call(h.proxy.history()).unwrap();
    let last = hist.last().unwrap();
    assert!(last.comment.contains("not confirmed"), "{hist:?}");
    assert_eq!(
        h.call(h.proxy.config_text()).unwrap(),
        config(port, &[&a], "")
    );

    let v = h.call(h.proxy.apply(&to_b, 2)).unwrap();
    h.call(h.proxy.confirm()).unwrap();
    // Past the deadline, it stays.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(served_by(port), "b");
    assert_eq!(h.call(h.proxy.current_version()).unwrap(), v);
    assert!(
        h.call(h.proxy.confirm()).is_err(),
        "nothing left to confirm"
    );
}

#[test]
fn a_pending_confirmation_survives_a_restart_and_still_rolls_back() {
    if is_haproxy() {
        return;
    }
    let _rt = RT.enter();
    let (a, b) = (HttpBackend::start("a"), HttpBackend::start("b"));
    let port = free_port();
    let history = TempDir::new();
    let hist_s = history.path().display().to_string();
    let args = ["--config-history", hist_s.as_str()];
    let h = Harness::start_on(Bus::start(), &config(port, &[&a], ""), &args);
    let v = h.call(h.proxy.apply(&config(port, &[&b], ""), 4)).unwrap();
    assert!(history.path().join("pending").exists());

    // Restarted well before the deadline: still pending, still b, and the
    // rollback comes when the first process would have done it.
    let applied = Instant::now();
    let h = h.restart(&args);
    assert_eq!(served_by(port), "b", "{}", h.lbd.output_hint());
    assert_eq!(
        h.call(h.proxy.pending_version()).unwrap(),
        v,
        "the confirmation was forgotten{}",
        h.lbd.output_hint()
    );
    wait_served_by(port, "a", Duration::from_secs(10));
    assert!(
        applied.elapsed() >= Duration::from_secs(3),
        "rolled back too early: {:?}",
        applied.elapsed()
    );
    assert_eq!(h.call(h.proxy.pending_version()).unwrap(), 0);
    assert!(!history.path().join("pending").exists());
    let hist = h.call(h.proxy.history()).unwrap();
    assert!(
        hist.last()
            .is_some_and(|l| l.comment.contains("not confirmed")),
        "{hist:?}"
    );
}

#[test]
fn a_confirmation_deadline_that_passed_while_down_rolls_back_at_start() {
    if is_haproxy() {
        return;
    }
    let _rt = RT.enter();
    let (a, b) = (HttpBackend::start("a"), HttpBackend::start("b"));
    let port = free_port();
    let history = TempDir::new();
    let hist_s = history.path().display().to_string();
    let args = ["--config-history", hist_s.as_str()];
    let h = Harness::start_on(Bus::start(), &config(port, &[&a], ""), &args);
    h.call(h.proxy.apply(&config(port, &[&b], ""), 1)).unwrap();
    let Harness {
        mut lbd,
        proxy,
        bus,
    } = h;
    drop(proxy);
    let text = std::fs::read_to_string(lbd.config_path()).unwrap_or_default();
    // Down before the deadline (SIGKILL: no chance to roll back on the way
    // out), and it passes while down.
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(lbd.pid() as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
    assert!(lbd.wait_exit(Duration::from_secs(5)).is_some());
    drop(lbd);
    assert!(history.path().join("pending").exists());
    std::thread::sleep(Duration::from_millis(1500));
    let h = Harness::start_on(bus, &text, &args);
    wait_served_by(port, "a", Duration::from_secs(5));
    assert_eq!(h.call(h.proxy.pending_version()).unwrap(), 0);
    assert!(
        h.lbd.stderr().contains("not confirmed in time"),
        "{}",
        h.lbd.output_hint()
    );
}

#[test]
fn rollback_puts_an_old_version_back_as_a_new_one() {
    if is_haproxy() {
        return;
    }
    let _rt = RT.enter();
    let (a, b) = (HttpBackend::start("a"), HttpBackend::start("b"));
    let port = free_port();
    let h = Harness::start(&config(port, &[&a], ""));
    assert_eq!(
        h.call(h.proxy.apply(&config(port, &[&b], ""), 0)).unwrap(),
        2
    );
    assert_eq!(served_by(port), "b");
    assert_eq!(h.call(h.proxy.rollback(1)).unwrap(), 3);
    assert_eq!(served_by(port), "a");
    let hist = h.call(h.proxy.history()).unwrap();
    assert_eq!(hist[2].comment, "rollback to 1");
    assert!(h.call(h.proxy.rollback(42)).is_err());
}

#[test]
fn server_actions_move_traffic_and_signal() {
    if is_haproxy() {
        return;
    }
    let _rt = RT.enter();
    let (a, b, c) = (
        HttpBackend::start("a"),
        HttpBackend::start("b"),
        HttpBackend::start("c"),
    );
    let port = free_port();
    let h = Harness::start(&config(port, &[&a, &b], ""));
    let mut changes = h.call(h.proxy.receive_server_state_changed()).unwrap();

    h.call(h.proxy.set_server_state("be", "s1", "maint"))
        .unwrap();
    assert!((0..6).all(|_| served_by(port) == "b"));
    let sig = h.call(async { tokio::time::timeout(Duration::from_secs(5), changes.next()).await });
    let sig = sig.unwrap().unwrap();
    let args = sig.args().unwrap();
    assert_eq!(
        (args.backend, args.server, args.state),
        ("be", "s1", "MAINT")
    );
    assert!(h
        .lbd
        .stderr()
        .contains("Server be/s1 is going DOWN for maintenance"));
    let stats = h.call(h.proxy.stats()).unwrap();
    let s1 = stats
        .iter()
        .find(|r| r.proxy == "be" && r.name == "s1")
        .unwrap();
    assert_eq!(s1.status, "MAINT");

    h.call(h.proxy.set_server_state("be", "s1", "ready"))
        .unwrap();
    h.call(h.proxy.set_server_weight("be", "s2", 0)).unwrap();
    assert!((0..6).all(|_| served_by(port) == "a"));

    h.call(h.proxy.set_server_addr("be", "s1", "127.0.0.1", c.port()))
        .unwrap();
    assert!((0..4).all(|_| served_by(port) == "c"));

    let err = h.call(h.proxy.set_server_state("be", "nope", "maint"));
    assert!(err.unwrap_err().to_string().contains("No such server"));
    let err = h.call(h.proxy.set_server_state("be", "s1", "sideways"));
    assert!(err.is_err());
}

#[test]
fn only_the_admin_group_may_change_things() {
    if is_haproxy() {
        return;
    }
    let _rt = RT.enter();
    let a = HttpBackend::start("a");
    let port = free_port();
    let h = Harness::start(&config(port, &[&a], ""));
    let (ok, out) = h.call_as_nobody(false, "ConfigText", &[]);
    assert!(ok && out.contains("frontend fe"), "{out}");
    let (ok, out) = h.call_as_nobody(
        false,
        "SetServerState",
        &["string:be", "string:s1", "string:maint"],
    );
    assert!(!ok && out.contains("AccessDenied"), "{out}");
    assert_eq!(served_by(port), "a");
    let (ok, out) = h.call_as_nobody(false, "Reload", &[]);
    assert!(!ok && out.contains("AccessDenied"), "{out}");

    let (ok, out) = h.call_as_nobody(
        true,
        "SetServerState",
        &["string:be", "string:s1", "string:maint"],
    );
    assert!(ok, "{out}");
    let r =
        RawClient::connect(port).request(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(r.status, 503, "the only server is in maintenance");
}

/// The pid of the process that owns lbd's name on the bus.
fn name_owner_pid(h: &Harness) -> Option<u32> {
    h.call(async {
        let dbus = zbus::fdo::DBusProxy::new(h.proxy.inner().connection())
            .await
            .ok()?;
        let name = zbus::names::BusName::try_from(lbapi::dbus::LBD_BUS_NAME).ok()?;
        dbus.get_connection_unix_process_id(name).await.ok()
    })
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.split_whitespace().nth(2) != Some("Z"))
}

#[test]
fn in_master_worker_mode_the_new_worker_takes_the_name_while_the_old_one_drains() {
    if is_haproxy() {
        return;
    }
    let _rt = RT.enter();
    let slow = HttpBackend::builder("slow")
        .delay(Duration::from_millis(2500))
        .start();
    let port = free_port();
    let h = Harness::start_on(Bus::start(), &config(port, &[&slow], ""), &["-W"]);
    let master = h.lbd.pid();
    let first = name_owner_pid(&h).expect("the name has an owner");
    assert_ne!(first, master, "a worker serves D-Bus, not the master");

    // A request in flight keeps the first worker draining after the reload.
    let t = std::thread::spawn(move || served_by(port));
    let deadline = Instant::now() + Duration::from_secs(5);
    while slow.active() == 0 {
        assert!(Instant::now() < deadline, "the slow request never arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    let loaded = || h.lbd.stderr().matches("Loading success.").count();
    let before = loaded();
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(master as i32),
        nix::sys::signal::Signal::SIGUSR2,
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let second = loop {
        match name_owner_pid(&h) {
            Some(p) if p != first && loaded() > before => break p,
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "the name never moved to the new worker{}",
            h.lbd.output_hint()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_ne!(second, master);
    assert!(
        alive(first),
        "the old worker still drains its request while the new one owns the name"
    );
    // The new worker answers: a server action there changes its traffic.
    h.call(h.proxy.set_server_state("be", "s1", "maint"))
        .unwrap_or_else(|e| panic!("SetServerState on the new worker: {e}"));
    let r =
        RawClient::connect(port).request(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(
        r.status, 503,
        "the new worker put its only server in maintenance"
    );
    assert_eq!(
        t.join().unwrap_or_default(),
        "slow",
        "the drained request completed"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(first) {
        assert!(Instant::now() < deadline, "the old worker never left");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(name_owner_pid(&h), Some(second));
}
