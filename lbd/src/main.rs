//! `lbd`: the command line, HAProxy-compatible. Check mode (`-c`) validates
//! and exits with HAProxy's codes; otherwise the configuration is served.

use lbd::cli::{self, Args};
use lbd::config::{self, ProcessEnv};
use std::io::Write;

/// jemalloc instead of glibc malloc: a proxy allocates and frees per request
/// and per stream, and a reload builds and frees a whole generation (10,000
/// servers). Same-run A/B with the bench harness (tests/bench/results/
/// 2026-11-22-session8.md): h2 requests ~6% cheaper, RSA handshakes ~1.5%,
/// idle TLS memory still under HAProxy's. `--no-default-features` builds
/// on glibc malloc.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's built-in options (its `malloc_conf` symbol; `_RJEM_MALLOC_CONF`
/// in the environment is read after it and overrides what it names).
///
/// A larger thread cache: every h2 stream's task is one ~10 KiB allocation,
/// and with 100 streams open (h2load -c10 -m10) jemalloc's default 20 cached
/// slots for that size class ran dry on every stream, as did its cache
/// collection every 64 KiB allocated; the stream's malloc cost ~1,260
/// instructions and its free ~840. With 128 slots per small class and a
/// collection every 4 MiB, lbd's user-space instructions per cleartext h2
/// request fell from 47.0k to 44.7k (callgrind, 10,000 requests). The cache
/// holds at most 128 freed objects per size class and thread, the same kind
/// of per-thread reserve HAProxy's pools keep.
///
/// No transparent huge pages: session 9 built in `thp:always` to spare a
/// fresh `-W` worker its page faults, and on that VM a reload's CPU fell
/// from ~26 to ~20 ms; on the next (AMD EPYC, kernel 6.18) every new
/// thread's arena and every 2 MiB of heap was zeroed at fault time and a
/// `-W` reload's CPU rose from ~37 to 45-55 ms. What huge pages do is the
/// machine's, so an operator who measured better sets them in
/// `_RJEM_MALLOC_CONF` (`lbd -vv` names both).
#[cfg(feature = "jemalloc")]
const JEMALLOC_CONF: &std::ffi::CStr = c"tcache_nslots_small_min:128,tcache_gc_incr_bytes:4194304";

#[cfg(feature = "jemalloc")]
#[export_name = "_rjem_malloc_conf"]
#[allow(non_upper_case_globals)]
pub static malloc_conf: Option<&'static std::ffi::c_char> =
    // SAFETY: the pointer is to the first byte of a NUL-terminated string
    // literal, which lives for the whole program and is never written.
    Some(unsafe { &*JEMALLOC_CONF.as_ptr() });

const JEMALLOC_ENV: &str = "_RJEM_MALLOC_CONF";

fn main() {
    std::process::exit(real_main());
}

fn usage_error(e: &cli::ArgError) -> i32 {
    eprintln!("[ALERT]    ({}) : {e}", std::process::id());
    eprintln!("Usage : lbd [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]");
    eprintln!("        [ -p <pidfile> ] [ -c ] [ -q ] [ -dW ] [ -C <dir> ] [ -- <cfgfile>* ]");
    1
}

fn version(level: u8) {
    println!(
        "lbd version {} (HAProxy {} compatible) - Rampart",
        env!("CARGO_PKG_VERSION"),
        config::LBD_VERSION_COMPAT
    );
    if level >= 2 {
        println!("Running on: {}", std::env::consts::ARCH);
        let feats: Vec<String> = config::FEATURES.iter().map(|f| format!("+{f}")).collect();
        println!("Feature list : {}", feats.join(" "));
        println!("Built with multi-threading support.");
        #[cfg(feature = "jemalloc")]
        println!(
            "Built with jemalloc as the memory allocator (options: {}).",
            match std::env::var(JEMALLOC_ENV) {
                Ok(o) => format!(
                    "{}, then {o} from {JEMALLOC_ENV}",
                    JEMALLOC_CONF.to_string_lossy()
                ),
                Err(_) => format!(
                    "{}, built in; {JEMALLOC_ENV} adds or overrides",
                    JEMALLOC_CONF.to_string_lossy()
                ),
            }
        );
        for line in cli::crypto::report(std::path::Path::new("/sys/bus/pci/devices")) {
            println!("{line}");
        }
    }
}

fn real_main() -> i32 {
    lbd::reload::timing::startup_mark("main");
    let args: Args = match cli::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => return usage_error(&e),
    };
    if args.version > 0 {
        version(args.version);
        return 0;
    }
    if let Some(cond) = &args.eval_cond {
        // As `haproxy -cc`: 0 when true, 1 when false, 2 on error.
        return match config::cond::eval(cond, &ProcessEnv) {
            Ok(true) => 0,
            Ok(false) => 1,
            Err(e) => {
                eprintln!(
                    "[ALERT]    ({}) : Failed to evaluate condition: {} at position {}",
                    std::process::id(),
                    e.msg,
                    e.pos
                );
                2
            }
        };
    }
    // The variables HAProxy sets for its configuration to use.
    let peer = args.local_peer.clone().unwrap_or_else(|| {
        nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    // Still single-threaded here: nothing else reads the environment.
    std::env::set_var("HAPROXY_LOCALPEER", peer);
    if let Some(dir) = &args.chdir {
        if let Err(e) = std::env::set_current_dir(dir) {
            eprintln!(
                "[ALERT]    ({}) : Cannot chdir to {}: {e}",
                std::process::id(),
                dir.display()
            );
            return 1;
        }
    }
    let pid = std::process::id();
    let env = ProcessEnv;
    if args.check {
        let report = config::run_check(&args.files, args.quiet, args.zero_warning, pid, &env);
        print!("{}", report.stdout);
        eprint!("{}", report.stderr);
        let _ = std::io::stdout().flush();
        return report.exit_code;
    }
    let mut worker = lbd::master::worker::from_env();
    // A master that re-executed itself for a reload: a bad configuration
    // now leaves it serving with its old workers (2.6's wait mode).
    let reexec = worker.is_none() && std::env::var_os(lbd::master::ENV_REEXEC).is_some();
    let master_opts = || lbd::master::Options {
        notify: args.systemd,
        cli: args.master_cli.clone(),
        argv: std::env::args_os().collect(),
    };
    if reexec {
        // A reload: the new worker parses the files and reports their
        // alerts; one that exits before it is ready is 2.6's "Loading
        // failure!" and the old workers keep serving. Parsing here too
        // would add a whole parse of a big configuration to every reload
        // (about 30 ms for 10,000 servers) for the same outcome.
        match lbd::master::fork_early() {
            lbd::master::Role::Master(forked) => return lbd::master::run(master_opts(), forked),
            // The new worker, forked: on to parse and serve.
            lbd::master::Role::Worker(w) => worker = Some(w),
        }
    }
    let outcome = config::load(&args.files, &env);
    lbd::reload::timing::startup_mark("parsed");
    // As HAProxy, only after parsing: for the runtime and child processes,
    // not for expansion inside the files themselves.
    std::env::set_var("HAPROXY_CFGFILES", outcome.files.join(";"));
    for d in &outcome.diags {
        eprint!("{}", d.render(pid));
    }
    let Some(cfg) = outcome.config else {
        return 1;
    };
    let zero_warning = args.zero_warning || cfg.global.zero_warning;
    if zero_warning
        && outcome
            .diags
            .iter()
            .any(|d| d.severity == config::diag::Severity::Warning)
    {
        eprintln!(
            "[ALERT]    ({pid}) : config : Some warnings were found and 'zero-warning' is set. Aborting."
        );
        return 1;
    }
    let master = worker.is_none() && (args.master_worker || cfg.global.master_worker);
    if worker.is_none() && (args.daemon || cfg.global.daemon) && !args.foreground {
        if let Err(e) = lbd::daemon::daemonize() {
            eprintln!("[ALERT]    ({pid}) : Cannot fork: {e}");
            return 1;
        }
    }
    let pidfile = args
        .pidfile
        .clone()
        .or_else(|| cfg.global.pidfile.as_ref().map(std::path::PathBuf::from));
    if let Some(path) = pidfile.filter(|_| worker.is_none()) {
        if let Err(e) = lbd::daemon::write_pidfile(&path) {
            eprintln!(
                "[ALERT]    ({}) : Cannot create pidfile {}: {e}",
                std::process::id(),
                path.display()
            );
            return 1;
        }
    }
    if master {
        match lbd::master::fork_early() {
            lbd::master::Role::Master(forked) => {
                drop(cfg);
                return lbd::master::run(master_opts(), forked);
            }
            // The first worker, forked with the configuration parsed
            // above (its warnings said once, as 2.6).
            lbd::master::Role::Worker(w) => worker = Some(w),
        }
    }
    let opts = lbd::server::RunOptions {
        maxconn: args.maxconn,
        files: args.files.clone(),
    };
    let from_worker = worker.as_ref().and_then(|w| w.takeover.as_ref());
    // Server state and stick tables of the process this one replaces: the
    // previous worker, or the one `-x` names (lbd or HAProxy) on a binary
    // upgrade.
    let carried = match (from_worker, &args.takeover) {
        (Some(fd), _) => Some(lbd::master::worker::read_carried(fd)),
        (None, Some(path)) => Some(lbd::master::state::Carried::read(|| {
            std::os::unix::net::UnixStream::connect(path).ok()
        })),
        (None, None) => None,
    };
    lbd::reload::timing::startup_mark("server state read");
    let fetched = match (from_worker, &args.takeover) {
        (Some(fd), _) => Some(lbd::master::worker::take_sockets(fd)),
        (None, Some(path)) => Some(lbd::getsocks::fetch(path)),
        (None, None) => None,
    };
    let inherited = match fetched {
        Some(Ok(fds)) => lbd::reload::Inherited::new(fds),
        Some(Err(e)) => {
            // As HAProxy: without the old sockets, bind afresh.
            eprintln!("[WARNING]  ({}) : {e}", std::process::id());
            eprintln!(
                "[WARNING]  ({}) : Failed to get the sockets from the old process!",
                std::process::id()
            );
            lbd::reload::Inherited::default()
        }
        None => lbd::reload::Inherited::default(),
    };
    lbd::reload::timing::startup_mark("sockets taken");
    // A worker's predecessors are the master's business.
    let first = worker.as_ref().is_none_or(|w| w.takeover.is_none());
    let keep = |pids: &Vec<i32>| if first { pids.clone() } else { Vec::new() };
    let hooks = lbd::process::Hooks {
        notify: args.systemd && worker.is_none(),
        soft_stop_pids: keep(&args.soft_stop_pids),
        hard_stop_pids: keep(&args.hard_stop_pids),
        dbus: args
            .dbus
            .clone()
            .or_else(|| std::env::var("LBD_DBUS_ADDRESS").ok())
            .filter(|b| !b.is_empty())
            .map(|bus| lbd::dbus::Options {
                bus,
                history: args.config_history.clone(),
            }),
        worker: worker.map(|w| std::sync::Arc::new(std::sync::Mutex::new(Some(w.link)))),
        carried: carried.map(std::sync::Arc::new),
    };
    match lbd::server::run(cfg, &opts, inherited, hooks) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("[ALERT]    ({}) : {e:#}", std::process::id());
            1
        }
    }
}
