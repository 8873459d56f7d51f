//! `keepalived-rs`: command line compatible with keepalived's usual flags, so it drops
//! into existing units and scripts.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use keepalived_rs::config;
use keepalived_rs::io::daemon::Daemon;
use keepalived_rs::io::{bus, log, Logger};

const USAGE: &str = "Usage: keepalived-rs [OPTION...]
  -f, --use-file=FILE          Use the specified configuration file (default /etc/keepalived/keepalived.conf)
  -P, --vrrp                   Only run the VRRP subsystem (always the case)
  -l, --log-console            Log messages to the console
  -D, --log-detail             Detailed log messages
  -S, --log-facility=[0-7]     Set syslog facility to LOG_LOCAL[0-7] (default LOG_DAEMON)
  -G, --no-syslog              Don't log via syslog
      --dbus=BUS               Serve org.rampart.Vrrp1 on BUS: system, session or a D-Bus
                               address (also $KEEPALIVED_RS_DBUS); off by default
  -n, --dont-fork              Don't fork the daemon process
  -p, --pid=FILE               Use the specified pidfile for the parent process
  -r, --vrrp_pid=FILE          Use the specified pidfile for the VRRP child process
  -c, --checkers_pid=FILE      Accepted for compatibility; no checker process exists
  -t, --config-test[=FILE]     Check the configuration for obvious errors
  -v, --version                Display the version number
  -h, --help                   Display this help message";

#[derive(Debug, Default)]
struct Cli {
    file: Option<PathBuf>,
    console: bool,
    detail: bool,
    foreground: bool,
    pid: Option<PathBuf>,
    vrrp_pid: Option<PathBuf>,
    test: bool,
    /// LOG_LOCALn from `-S n`; LOG_DAEMON when none.
    facility: Option<u8>,
    no_syslog: bool,
    dbus: Option<String>,
}

enum Parsed {
    Run(Cli),
    Exit(ExitCode),
}

fn parse_args(args: &[String]) -> Result<Parsed, String> {
    let mut cli = Cli::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if a.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ if a.starts_with('-')
                && !a.starts_with("--")
                && a.len() > 2
                && "fprctS".contains(&a[1..2]) =>
            {
                (a[..2].to_string(), Some(a[2..].to_string()))
            }
            _ => (a.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("option {name} needs a value"))
        };
        match flag.as_str() {
            "-f" | "--use-file" => cli.file = Some(PathBuf::from(value("-f")?)),
            "-p" | "--pid" => cli.pid = Some(PathBuf::from(value("-p")?)),
            "-r" | "--vrrp_pid" => cli.vrrp_pid = Some(PathBuf::from(value("-r")?)),
            "-c" | "--checkers_pid" => {
                value("-c")?;
            }
            "-t" | "--config-test" => {
                cli.test = true;
                if let Some(f) = inline.clone().filter(|f| !f.is_empty()) {
                    cli.file = Some(PathBuf::from(f));
                }
            }
            "-S" | "--log-facility" => {
                let v = value("-S")?;
                cli.facility = Some(
                    log::facility_of_flag(&v)
                        .ok_or_else(|| format!("invalid log facility '{v}' (0-7)"))?,
                );
            }
            "-G" | "--no-syslog" => cli.no_syslog = true,
            "--dbus" => cli.dbus = Some(value("--dbus")?),
            "-P" | "--vrrp" | "-C" | "--check" | "-x" | "--snmp" | "-m" | "--core-dump" => {}
            "-l" | "--log-console" => cli.console = true,
            "-D" | "--log-detail" => cli.detail = true,
            "-n" | "--dont-fork" => cli.foreground = true,
            "-v" | "--version" => {
                println!(
                    "keepalived-rs {} (VRRP compatible with Keepalived v2.2.7)",
                    env!("CARGO_PKG_VERSION")
                );
                return Ok(Parsed::Exit(ExitCode::SUCCESS));
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(Parsed::Exit(ExitCode::SUCCESS));
            }
            // keepalived also accepts combined short flags such as -nlD.
            f if f.starts_with('-')
                && !f.starts_with("--")
                && f[1..].chars().all(|c| "PlDnCmxG".contains(c)) =>
            {
                for c in f[1..].chars() {
                    match c {
                        'l' => cli.console = true,
                        'D' => cli.detail = true,
                        'n' => cli.foreground = true,
                        'G' => cli.no_syslog = true,
                        _ => {}
                    }
                }
            }
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
        i += 1;
    }
    Ok(Parsed::Run(cli))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cli = match parse_args(&args) {
        Ok(Parsed::Run(c)) => c,
        Ok(Parsed::Exit(code)) => return code,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let path = cli
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from("/etc/keepalived/keepalived.conf"));
    let log = if cli.test || cli.no_syslog {
        Logger::new(cli.detail, true, None)
    } else {
        let facility = cli.facility.unwrap_or(log::FACILITY_DAEMON);
        Logger::new(
            cli.detail,
            cli.console,
            Some((facility, PathBuf::from("/dev/log"))),
        )
    };
    let dbus = cli
        .dbus
        .clone()
        .or_else(|| std::env::var("KEEPALIVED_RS_DBUS").ok())
        .filter(|b| !b.is_empty());
    let parsed = match config::load(&path) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    for w in &parsed.warnings {
        log.info(&format!("WARNING - {w}"));
    }
    for e in &parsed.errors {
        log.info(&format!("ERROR - {e}"));
    }
    if cli.test {
        return if parsed.errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    if !parsed.errors.is_empty() {
        return ExitCode::from(1);
    }
    if !cli.foreground {
        // Before the runtime starts: the process is still single-threaded.
        if let Err(e) = nix::unistd::daemon(true, cli.console) {
            eprintln!("cannot daemonize: {e}");
            return ExitCode::from(1);
        }
    }
    let pid = std::process::id().to_string();
    for f in [&cli.pid, &cli.vrrp_pid].into_iter().flatten() {
        if let Err(e) = std::fs::write(f, format!("{pid}\n")) {
            log.info(&format!("cannot write pid file {}: {e}", f.display()));
        }
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    log.info("Starting VRRP child process (keepalived-rs)");
    let result = rt.block_on(async {
        let handle = netcfg::NetHandle::new()
            .await
            .map_err(|e| anyhow::anyhow!("netlink: {e}"))?;
        let mut daemon = Daemon::new(Arc::new(handle), parsed.config, path, log.clone());
        if let Some(b) = &dbus {
            // D-Bus is a window on the daemon, never a condition for running it.
            match bus::serve(&bus::BusAddress::parse(b)).await {
                Ok(link) => daemon.set_bus(link),
                Err(e) => log.info(&format!("D-Bus ({b}) unavailable: {e}")),
            }
        }
        daemon.run().await
    });
    for f in [&cli.pid, &cli.vrrp_pid].into_iter().flatten() {
        let _ = std::fs::remove_file(f);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log.info(&format!("exiting: {e}"));
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Cli {
        let v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match parse_args(&v) {
            Ok(Parsed::Run(c)) => c,
            _ => Cli::default(),
        }
    }

    #[test]
    fn keepalived_flags() {
        let c = run(&[
            "-P",
            "-n",
            "-l",
            "-D",
            "-f",
            "a.conf",
            "-p",
            "a.pid",
            "-r",
            "a_vrrp.pid",
            "-c",
            "a_chk.pid",
        ]);
        assert_eq!(c.file, Some(PathBuf::from("a.conf")));
        assert!(c.foreground && c.console && c.detail && !c.test);
        assert_eq!(c.vrrp_pid, Some(PathBuf::from("a_vrrp.pid")));
        let c = run(&["-nlD", "--use-file=/x.conf", "-t"]);
        assert!(c.foreground && c.console && c.detail && c.test);
        assert_eq!(c.file, Some(PathBuf::from("/x.conf")));
        let c = run(&["-f/y.conf"]);
        assert_eq!(c.file, Some(PathBuf::from("/y.conf")));
        assert!(parse_args(&["--bogus".to_string()]).is_err());
        let c = run(&["-S", "3", "--dbus=session", "-nG"]);
        assert_eq!(c.facility, Some(19));
        assert_eq!(c.dbus.as_deref(), Some("session"));
        assert!(c.no_syslog && c.foreground);
        assert_eq!(run(&["-S7"]).facility, Some(23));
        assert!(parse_args(&["-S".to_string(), "9".to_string()]).is_err());
    }
}
