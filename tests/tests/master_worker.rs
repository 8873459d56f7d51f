//! Master-worker mode (`-W`/`-Ws`, spec section 10), as HAProxy 2.6 runs
//! it: a master that binds nothing and forks workers; SIGUSR2 re-executes
//! the master (argv[0], so a binary replaced on disk takes over), whose
//! new worker takes the listeners from the old one without refusing a
//! connection; a broken configuration leaves the old worker serving; the
//! master CLI's `show proc` and `@1`/`@!<pid>` forwarding; `-Ws` speaks
//! sd_notify from the master; a worker that dies takes the master down.
//! Every test passes against HAProxy 2.6 too.

use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tests::stats_socket::wait_socket;
use tests::*;

const DEADLINE: Duration = Duration::from_secs(10);

/// One master CLI request. 2.6's master CLI answers once the client has
/// finished sending (shut down its side), and now and then resets the
/// connection instead of answering: that is tried again. lbd answers after
/// the line.
fn cli(sock: &Path, line: &str) -> String {
    use std::io::{Read, Write};
    let deadline = Instant::now() + DEADLINE;
    loop {
        let mut s = match std::os::unix::net::UnixStream::connect(sock) {
            Ok(s) => s,
            // A master re-executing binds its CLI again.
            Err(e) => {
                assert!(Instant::now() < deadline, "connect {}: {e}", sock.display());
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        let _ = s.set_read_timeout(Some(DEADLINE));
        s.write_all(format!("{line}\n").as_bytes())
            .unwrap_or_else(|e| panic!("send {line:?}: {e}"));
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        match s.read_to_end(&mut out) {
            Ok(_) => return String::from_utf8_lossy(&out).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                assert!(Instant::now() < deadline, "{line:?}: {e}");
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("no close after {line:?}: {e}"),
        }
    }
}

fn signal(pid: u32, sig: Signal) {
    kill(Pid::from_raw(pid as i32), sig).unwrap_or_else(|e| panic!("kill {pid}: {e}"));
}

fn pid_alive(pid: u32) -> bool {
    kill(Pid::from_raw(pid as i32), None).is_ok()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| s.split_whitespace().nth(2) == Some("Z"))
}

/// A configuration with the master CLI path for `-S`.
fn setup(backend: &HttpBackend) -> (TempDir, String, u16, PathBuf) {
    let port = free_port();
    let dir = TempDir::new();
    let master_sock = dir.join("master.sock");
    let cfg = http_config(port, "", &server_lines(&[backend], ""));
    (dir, cfg, port, master_sock)
}

fn start_master(dir: TempDir, cfg: &str, master_sock: &Path, extra: &[&str]) -> LbdProcess {
    let s = master_sock.display().to_string();
    let mut args = vec!["-W", "-S", s.as_str()];
    args.extend_from_slice(extra);
    let lbd = LbdProcess::start_with(dir, cfg, &args, &[]);
    wait_socket(master_sock);
    lbd
}

/// The `show proc` rows: (pid, type, reloads) under "# workers" and under
/// "# old workers".
#[derive(Debug)]
struct Procs {
    master: Vec<String>,
    workers: Vec<Vec<String>>,
    old: Vec<Vec<String>>,
}

fn show_proc(master_sock: &Path) -> Procs {
    let text = cli(master_sock, "show proc");
    let mut p = Procs {
        master: Vec::new(),
        workers: Vec::new(),
        old: Vec::new(),
    };
    let mut section = "";
    for line in text.lines() {
        match line {
            "# workers" | "# old workers" | "# programs" => section = line,
            l if l.starts_with("#<PID>") || l.is_empty() => {}
            l => {
                let f: Vec<String> = l.split_whitespace().map(String::from).collect();
                match section {
                    "" => p.master = f,
                    "# workers" => p.workers.push(f),
                    "# old workers" => p.old.push(f),
                    _ => {}
                }
            }
        }
    }
    p
}

fn current_worker(master_sock: &Path) -> u32 {
    let p = show_proc(master_sock);
    assert_eq!(p.workers.len(), 1, "{p:?}");
    p.workers[0][0]
        .parse()
        .unwrap_or_else(|e| panic!("{p:?}: {e}"))
}

fn outcomes(stderr: &str) -> (usize, usize) {
    (
        stderr.matches("Loading success.").count(),
        stderr.matches("Loading failure!").count(),
    )
}

/// SIGUSR2 to the master, then its verdict: true when the reload loaded.
fn reload(pid: u32, stderr: impl Fn() -> String, hint: impl Fn() -> String) -> bool {
    let before = outcomes(&stderr());
    signal(pid, Signal::SIGUSR2);
    let deadline = Instant::now() + DEADLINE;
    loop {
        let now = outcomes(&stderr());
        if now.0 > before.0 {
            return true;
        }
        if now.1 > before.1 {
            return false;
        }
        assert!(Instant::now() < deadline, "no verdict{}", hint());
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn get(port: u16) -> String {
    curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("http://127.0.0.1:{port}/"),
    ])
    .stdout_str()
    .to_string()
}

fn wait_gone(pid: u32) {
    let deadline = Instant::now() + DEADLINE;
    while pid_alive(pid) {
        assert!(Instant::now() < deadline, "process {pid} still running");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_master_forks_a_worker_that_serves_and_show_proc_lists_both() {
    let a = HttpBackend::start("A");
    let (dir, cfg, port, msock) = setup(&a);
    let lbd = start_master(dir, &cfg, &msock, &[]);
    let p = show_proc(&msock);
    assert_eq!(p.master[0], lbd.pid().to_string(), "{p:?}");
    assert_eq!(&p.master[1..4], ["master", "0", "[failed:"], "{p:?}");
    let worker = current_worker(&msock);
    assert_ne!(worker, lbd.pid(), "{p:?}");
    assert_eq!(p.workers[0][1..3], ["worker", "0"], "{p:?}");
    // The worker serves, the master holds no listener.
    assert_eq!(get(port), "200");
    let stderr = lbd.stderr();
    assert!(
        stderr.contains(&format!("New worker ({worker}) forked")),
        "{stderr}"
    );
    // Header as 2.6 prints it.
    let text = cli(&msock, "show proc");
    assert!(
        text.starts_with(
            "#<PID>          <type>          <reloads>       <uptime>        <version>      \n"
        ),
        "{text:?}"
    );
    assert!(text.ends_with("# programs\n\n"), "{text:?}");
}

#[test]
fn sigusr2_starts_a_new_worker_under_traffic_without_refusing_anyone() {
    let a = HttpBackend::start("A");
    let (dir, cfg, port, msock) = setup(&a);
    let lbd = start_master(dir, &cfg, &msock, &[]);
    let first = current_worker(&msock);
    let hammer = Hammer::start(port, 4);
    std::thread::sleep(Duration::from_millis(200));
    for _ in 0..3 {
        assert!(
            reload(lbd.pid(), || lbd.stderr(), || lbd.output_hint()),
            "reload refused{}",
            lbd.output_hint()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let counts = hammer.finish();
    assert!(counts.ok > 50, "too little traffic: {counts:?}");
    assert_eq!(counts.failures(), 0, "{counts:?}{}", lbd.output_hint());
    let now = current_worker(&msock);
    assert_ne!(now, first, "still the first worker");
    let p = show_proc(&msock);
    assert_eq!(
        p.master[0],
        lbd.pid().to_string(),
        "the master moved: {p:?}"
    );
    assert_eq!(&p.master[2..4], ["3", "[failed:"], "{p:?}");
    // The first worker had nothing in flight: it is gone.
    wait_gone(first);
    let stderr = lbd.stderr();
    assert!(
        stderr.contains(&format!("Former worker ({first}) exited with code 0")),
        "{stderr}"
    );
}

#[test]
fn the_master_cli_reload_command_reloads_too() {
    let a = HttpBackend::start("A");
    let (dir, cfg, _port, msock) = setup(&a);
    let lbd = start_master(dir, &cfg, &msock, &[]);
    let first = current_worker(&msock);
    let before = outcomes(&lbd.stderr()).0;
    // 2.6 closes the connection without a word.
    assert_eq!(cli(&msock, "reload"), "");
    let deadline = Instant::now() + DEADLINE;
    while outcomes(&lbd.stderr()).0 == before {
        assert!(Instant::now() < deadline, "no reload{}", lbd.output_hint());
        std::thread::sleep(Duration::from_millis(10));
    }
    wait_socket(&msock);
    assert_ne!(current_worker(&msock), first);
}

#[test]
fn a_broken_config_on_reload_keeps_the_old_worker_serving() {
    let a = HttpBackend::start("A");
    let (dir, cfg, port, msock) = setup(&a);
    let lbd = start_master(dir, &cfg, &msock, &[]);
    let worker = current_worker(&msock);
    lbd.rewrite_config(&format!("{cfg}\nfrontend broken\n    bogus-keyword\n"));
    assert!(
        !reload(lbd.pid(), || lbd.stderr(), || lbd.output_hint()),
        "a broken config loaded{}",
        lbd.output_hint()
    );
    assert!(
        lbd.stderr().contains("bogus-keyword"),
        "{}",
        lbd.output_hint()
    );
    assert_eq!(get(port), "200");
    wait_socket(&msock);
    let p = show_proc(&msock);
    assert_eq!(&p.master[2..5], ["1", "[failed:", "1]"], "{p:?}");
    // The same worker, one reload older, still current.
    assert_eq!(p.workers.len(), 1, "{p:?}");
    assert_eq!(p.workers[0][0], worker.to_string(), "{p:?}");
    assert_eq!(p.workers[0][2], "1", "{p:?}");
    // And once the file is fixed, the next reload takes.
    lbd.rewrite_config(&cfg);
    assert!(reload(lbd.pid(), || lbd.stderr(), || lbd.output_hint()));
    wait_socket(&msock);
    assert_ne!(current_worker(&msock), worker);
    assert_eq!(get(port), "200");
}

#[test]
fn an_old_worker_drains_its_slow_request_while_listed_as_old() {
    let slow = HttpBackend::builder("slow")
        .delay(Duration::from_millis(1500))
        .start();
    let (dir, cfg, port, msock) = setup(&slow);
    let lbd = start_master(dir, &cfg, &msock, &[]);
    let first = current_worker(&msock);
    let t = std::thread::spawn(move || get(port));
    std::thread::sleep(Duration::from_millis(300));
    assert!(reload(lbd.pid(), || lbd.stderr(), || lbd.output_hint()));
    wait_socket(&msock);
    let p = show_proc(&msock);
    assert_eq!(p.old.len(), 1, "{p:?}");
    assert_eq!(p.old[0][0], first.to_string(), "{p:?}");
    assert_eq!(p.old[0][2], "1", "{p:?}");
    assert_eq!(t.join().unwrap_or_default(), "200");
    wait_gone(first);
}

#[test]
fn at_1_and_at_pid_forward_to_the_worker_cli() {
    let a = HttpBackend::start("A");
    let (dir, cfg, _port, msock) = setup(&a);
    let lbd = start_master(dir, &cfg, &msock, &[]);
    let worker = current_worker(&msock);
    let info = cli(&msock, "@1 show info");
    assert!(info.contains(&format!("\nPid: {worker}\n")), "{info}");
    let info = cli(&msock, &format!("@!{worker} show info"));
    assert!(info.contains(&format!("\nPid: {worker}\n")), "{info}");
    let none = cli(&msock, &format!("@!{} show info", lbd.pid() + 100_000));
    assert_eq!(
        none,
        format!(
            "Can't find the target PID matching the prefix '@!{}'\n",
            lbd.pid() + 100_000
        )
    );
    assert_eq!(
        cli(&msock, "@2 show info"),
        "Can't find the target PID matching the prefix '@2'\n"
    );
}

#[test]
fn a_worker_killed_takes_the_master_down_with_its_exit_code() {
    let a = HttpBackend::start("A");
    let (dir, cfg, _port, msock) = setup(&a);
    let mut lbd = start_master(dir, &cfg, &msock, &[]);
    let worker = current_worker(&msock);
    signal(worker, Signal::SIGKILL);
    let status = lbd.wait_exit(DEADLINE);
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(137),
        "{}",
        lbd.output_hint()
    );
    let stderr = lbd.stderr();
    assert!(
        stderr.contains(&format!(
            "Current worker ({worker}) exited with code 137 (Killed)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("exit-on-failure: killing every processes with SIGTERM"),
        "{stderr}"
    );
}

#[test]
fn sigterm_to_the_master_stops_everyone() {
    let a = HttpBackend::start("A");
    let (dir, cfg, port, msock) = setup(&a);
    let mut lbd = start_master(dir, &cfg, &msock, &[]);
    let worker = current_worker(&msock);
    signal(lbd.pid(), Signal::SIGTERM);
    assert!(lbd.wait_exit(DEADLINE).is_some(), "{}", lbd.output_hint());
    wait_gone(worker);
    assert_ne!(get(port), "200");
    assert!(lbd.stderr().contains("Exiting Master process..."));
}

#[test]
fn sigusr1_to_the_master_soft_stops_the_workers() {
    let slow = HttpBackend::builder("slow")
        .delay(Duration::from_millis(800))
        .start();
    let (dir, cfg, port, msock) = setup(&slow);
    let mut lbd = start_master(dir, &cfg, &msock, &[]);
    let t = std::thread::spawn(move || get(port));
    std::thread::sleep(Duration::from_millis(200));
    signal(lbd.pid(), Signal::SIGUSR1);
    // The request in flight finishes, then everyone leaves with 0.
    assert_eq!(t.join().unwrap_or_default(), "200");
    let status = lbd.wait_exit(DEADLINE);
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        lbd.output_hint()
    );
}

/// A master started from a copy of the binary, for replacing it on disk.
struct Copied {
    child: Child,
    dir: TempDir,
}

impl Drop for Copied {
    fn drop(&mut self) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + DEADLINE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_binary_replaced_on_disk_becomes_the_master_on_reload() {
    let a = HttpBackend::start("A");
    let (dir, cfg, port, msock) = setup(&a);
    let bin = dir.join("proxy-bin");
    std::fs::copy(lbd_bin(), &bin).unwrap_or_else(|e| panic!("copy: {e}"));
    let cfg_path = dir.write("lbd.cfg", &cfg);
    let err_path = dir.join("stderr");
    let stderr = std::fs::File::create(&err_path).unwrap_or_else(|e| panic!("{e}"));
    let child = Command::new(&bin)
        .args(["-W", "-S"])
        .arg(&msock)
        .arg("-f")
        .arg(&cfg_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let c = Copied { child, dir };
    let pid = c.child.id();
    let read_err = || std::fs::read_to_string(&err_path).unwrap_or_default();
    let deadline = Instant::now() + DEADLINE;
    while outcomes(&read_err()).0 == 0 {
        assert!(Instant::now() < deadline, "not started: {}", read_err());
        std::thread::sleep(Duration::from_millis(10));
    }
    // Answering on its CLI, the master is in its loop, signals in hand.
    wait_socket(&msock);
    current_worker(&msock);
    let exe_ino = || {
        std::fs::metadata(format!("/proc/{pid}/exe"))
            .map(|m| m.ino())
            .unwrap_or_default()
    };
    let old_ino = exe_ino();
    // Replace the file (a new inode), as a package upgrade does.
    let staged = c.dir.join("proxy-bin.new");
    std::fs::copy(lbd_bin(), &staged).unwrap_or_else(|e| panic!("copy: {e}"));
    std::fs::rename(&staged, &bin).unwrap_or_else(|e| panic!("rename: {e}"));
    let new_ino = std::fs::metadata(&bin).map(|m| m.ino()).unwrap_or_default();
    assert_ne!(old_ino, new_ino);
    assert!(reload(pid, read_err, read_err), "{}", read_err());
    assert_eq!(
        exe_ino(),
        new_ino,
        "the master did not re-execute the new file"
    );
    wait_socket(&msock);
    let p = show_proc(&msock);
    assert_eq!(p.master[0], pid.to_string(), "{p:?}");
    assert_eq!(p.master[2], "1", "{p:?}");
    assert_eq!(get(port), "200");
}

/// Reads notifications until one line equals `want`; returns all read.
fn wait_note(sock: &UnixDatagram, want: &str, seen: &mut String, hint: &dyn Fn() -> String) {
    let deadline = Instant::now() + DEADLINE;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no {want} in {seen:?}{}", hint());
        let _ = sock.set_read_timeout(Some(left));
        if let Ok(n) = sock.recv(&mut buf) {
            let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
            seen.push_str(&msg);
            seen.push('|');
            if msg.lines().any(|l| l == want) {
                return;
            }
        }
    }
}

#[test]
fn ws_the_master_notifies_ready_reloading_and_stopping() {
    let a = HttpBackend::start("A");
    let (dir, cfg, port, msock) = setup(&a);
    let npath = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&npath).unwrap_or_else(|e| panic!("bind: {e}"));
    let n = npath.display().to_string();
    let s = msock.display().to_string();
    let mut lbd = LbdProcess::start_with(dir, &cfg, &["-Ws", "-S", &s], &[("NOTIFY_SOCKET", &n)]);
    let hint = || lbd.output_hint();
    let mut seen = String::new();
    wait_note(&sock, "READY=1", &mut seen, &hint);
    assert!(
        seen.contains(&format!("MAINPID={}", lbd.pid())),
        "MAINPID is not the master: {seen}"
    );
    assert_eq!(get(port), "200");
    signal(lbd.pid(), Signal::SIGUSR2);
    let mut seen = String::new();
    wait_note(&sock, "RELOADING=1", &mut seen, &hint);
    assert!(!seen.contains("READY=1"), "READY before RELOADING: {seen}");
    wait_note(&sock, "READY=1", &mut seen, &hint);
    signal(lbd.pid(), Signal::SIGTERM);
    if !is_haproxy() {
        // The packaged HAProxy 2.6.12 sent no STOPPING=1 here (seen in
        // this test); lbd says it on every stop, as systemd documents.
        wait_note(&sock, "STOPPING=1", &mut seen, &hint);
    }
    assert!(lbd.wait_exit(DEADLINE).is_some());
}

#[test]
fn a_worker_does_not_outlive_its_master() {
    let a = HttpBackend::start("A");
    let (dir, cfg, _port, msock) = setup(&a);
    let mut lbd = start_master(dir, &cfg, &msock, &[]);
    let worker = current_worker(&msock);
    signal(lbd.pid(), Signal::SIGKILL);
    assert!(lbd.wait_exit(DEADLINE).is_some());
    wait_gone(worker);
}

/// The sockets `pid` holds, by inode.
fn sockets_of(pid: u32) -> std::collections::HashSet<String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .map(|l| l.to_string_lossy().into_owned())
                .filter(|l| l.starts_with("socket:"))
                .collect()
        })
        .unwrap_or_default()
}

/// Workers are forked from the master without an exec: the newest one must
/// hold none of the master's sockets (its ends of the older workers'
/// socketpairs, its CLI), and the workers still go when the master dies.
#[test]
fn a_new_worker_shares_no_socket_with_the_master_and_dies_with_it() {
    let slow = HttpBackend::builder("slow")
        .delay(Duration::from_secs(60))
        .start();
    let (dir, cfg, port, msock) = setup(&slow);
    let mut lbd = start_master(dir, &cfg, &msock, &[]);
    let first = current_worker(&msock);
    // A request that keeps the first worker draining, listed as old.
    let _inflight = std::thread::spawn(move || get(port));
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..2 {
        assert!(reload(lbd.pid(), || lbd.stderr(), || lbd.output_hint()));
        wait_socket(&msock);
    }
    let p = show_proc(&msock);
    assert!(p.old.iter().any(|w| w[0] == first.to_string()), "{p:?}");
    let newest = current_worker(&msock);
    let master = sockets_of(lbd.pid());
    let worker = sockets_of(newest);
    assert!(!master.is_empty() && !worker.is_empty());
    let shared: Vec<&String> = master.intersection(&worker).collect();
    assert!(shared.is_empty(), "master and worker share {shared:?}");
    let all: Vec<u32> = p
        .old
        .iter()
        .filter_map(|w| w[0].parse().ok())
        .chain([newest])
        .collect();
    signal(lbd.pid(), Signal::SIGKILL);
    assert!(lbd.wait_exit(DEADLINE).is_some());
    for pid in all {
        wait_gone(pid);
    }
}

#[test]
fn ws_the_master_pings_the_watchdog() {
    if is_haproxy() {
        // HAProxy 2.6 sends no WATCHDOG=1; lbd does when systemd asks.
        return;
    }
    let a = HttpBackend::start("A");
    let (dir, cfg, _port, _msock) = setup(&a);
    let npath = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&npath).unwrap_or_else(|e| panic!("bind: {e}"));
    let n = npath.display().to_string();
    let lbd = LbdProcess::start_with(
        dir,
        &cfg,
        &["-Ws"],
        &[("NOTIFY_SOCKET", &n), ("WATCHDOG_USEC", "200000")],
    );
    let hint = || lbd.output_hint();
    let mut seen = String::new();
    let started = Instant::now();
    for _ in 0..3 {
        wait_note(&sock, "WATCHDOG=1", &mut seen, &hint);
    }
    // Every 100 ms (half the period): three pings well within 2 s.
    assert!(started.elapsed() < Duration::from_secs(2), "{seen}");
}
