//! `lbd`: the command line, HAProxy-compatible. Check mode (`-c`) validates
//! and exits with HAProxy's codes; otherwise the configuration is served.

use lbd::cli::{self, Args};
use lbd::config::{self, ProcessEnv};
use std::io::Write;

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
        for line in cli::crypto::report(std::path::Path::new("/sys/bus/pci/devices")) {
            println!("{line}");
        }
    }
}

fn real_main() -> i32 {
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
    let outcome = config::load(&args.files, &env);
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
    if (args.daemon || cfg.global.daemon) && !args.foreground {
        if let Err(e) = lbd::daemon::daemonize() {
            eprintln!("[ALERT]    ({pid}) : Cannot fork: {e}");
            return 1;
        }
    }
    if let Some(path) = args.pidfile.as_ref().or(cfg
        .global
        .pidfile
        .as_ref()
        .map(std::path::Path::new)
        .map(|p| p.to_path_buf())
        .as_ref())
    {
        if let Err(e) = lbd::daemon::write_pidfile(path) {
            eprintln!(
                "[ALERT]    ({}) : Cannot create pidfile {}: {e}",
                std::process::id(),
                path.display()
            );
            return 1;
        }
    }
    let opts = lbd::server::RunOptions {
        maxconn: args.maxconn,
        files: args.files.clone(),
    };
    let inherited = match &args.takeover {
        Some(path) => match lbd::getsocks::fetch(path) {
            Ok(fds) => lbd::reload::Inherited::new(fds),
            Err(e) => {
                // As HAProxy: without the old sockets, bind afresh.
                eprintln!("[WARNING]  ({}) : {e}", std::process::id());
                eprintln!(
                    "[WARNING]  ({}) : Failed to get the sockets from the old process!",
                    std::process::id()
                );
                lbd::reload::Inherited::default()
            }
        },
        None => lbd::reload::Inherited::default(),
    };
    let hooks = lbd::process::Hooks {
        master_worker: args.master_worker || cfg.global.master_worker,
        notify: args.systemd,
        master_cli: args.master_cli.clone(),
        soft_stop_pids: args.soft_stop_pids.clone(),
        hard_stop_pids: args.hard_stop_pids.clone(),
        dbus: args
            .dbus
            .clone()
            .or_else(|| std::env::var("LBD_DBUS_ADDRESS").ok())
            .filter(|b| !b.is_empty())
            .map(|bus| lbd::dbus::Options {
                bus,
                history: args.config_history.clone(),
            }),
    };
    match lbd::server::run(&cfg, &opts, inherited, hooks) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("[ALERT]    ({}) : {e:#}", std::process::id());
            1
        }
    }
}
