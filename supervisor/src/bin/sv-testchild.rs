//! A service for the supervisor's tests: behaves as its arguments say
//! (`notify`, `ready-after=MS`, `crash=CODE`, `no-ping`, `ignore-term`,
//! `orphan=FILE`) and appends what it does to `$SV_EVENTS`, so a test can
//! check ordering across services.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::time::Duration;

use nix::sys::signal::{SigSet, Signal};

fn event(what: &str) {
    let name = std::env::var("SV_NAME").unwrap_or_else(|_| "child".into());
    if let Some(path) = std::env::var_os("SV_EVENTS") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            // One write: `writeln!` on a File writes piece by piece, and
            // services starting together interleaved their lines
            // ("crash start webui" / "orphaner").
            let _ = f.write_all(format!("{what} {name}\n").as_bytes());
        }
    }
}

fn notify(msg: &str) {
    if let Some(path) = std::env::var_os("NOTIFY_SOCKET") {
        if let Ok(s) = UnixDatagram::unbound() {
            let _ = s.send_to(msg.as_bytes(), path);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |k: &str| args.iter().any(|a| a == k);
    let val = |k: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            .map(str::to_string)
    };
    if has("worker") {
        std::thread::sleep(Duration::from_millis(1000));
        return;
    }
    // SIGTERM stays blocked: the main thread takes it with sigwait, and with
    // `ignore-term` never does.
    let mut term = SigSet::empty();
    term.add(Signal::SIGTERM);
    let _ = term.thread_block();

    event("start");
    println!("started pid={}", std::process::id());
    eprintln!("this goes to stderr");
    if let Some(file) = val("orphan") {
        if let Ok(exe) = std::env::current_exe() {
            if let Ok(child) = std::process::Command::new(exe)
                .arg("worker")
                .process_group(0)
                .spawn()
            {
                let _ = std::fs::write(&file, child.id().to_string());
            }
        }
    }
    if let Some(ms) = val("ready-after").and_then(|v| v.parse().ok()) {
        std::thread::sleep(Duration::from_millis(ms));
    }
    if has("notify") {
        // Logged first: the supervisor may start a dependent at once.
        event("ready");
        notify("READY=1\nSTATUS=serving");
    }
    if let Some(code) = val("crash").and_then(|v| v.parse::<i32>().ok()) {
        println!("crashing with {code}");
        event("crash");
        std::process::exit(code);
    }
    let ping = std::env::var("WATCHDOG_USEC")
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    if let (Some(usec), false) = (ping, has("no-ping")) {
        std::thread::spawn(move || loop {
            notify("WATCHDOG=1");
            std::thread::sleep(Duration::from_micros(usec / 4));
        });
    }
    if has("ignore-term") {
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    let _ = term.wait();
    event("term");
    println!("stopping");
}
