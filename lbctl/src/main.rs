//! lbctl: the operator's command line. Talks to the supervisor
//! (`org.rampart.Supervisor1`) and lbd (`org.rampart.Lbd1`) over D-Bus, to
//! lbd's runtime socket for stats and server actions, and writes
//! appliance.toml for first-boot setup. Output fits an 80-column console;
//! `--json` prints machine-readable results. Started as `lbctl-console` (the
//! console's login program) or `lbctl menu`, it shows a numbered menu.
//!
//! Exit codes: 0 done, 1 the request failed (unknown service, refused
//! configuration, invalid answer), 2 usage error, 3 cannot reach the
//! supervisor or lbd.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod config;
mod diff;
mod menu;
mod net;
mod runtime;
mod services;
mod setup;
mod summary;
mod vrrp;

#[derive(Parser, Debug, Clone)]
#[command(name = "lbctl", version, about = "Control a Rampart appliance")]
pub struct Cli {
    /// D-Bus address of the appliance's bus (default: the system bus, or
    /// RUN_DIR/bus in host mode).
    #[arg(long, env = "RAMPART_BUS", global = true)]
    bus: Option<String>,
    /// lbd's runtime socket (`stats socket`; default /run/lbd.sock, or
    /// RUN_DIR/lbd.sock in host mode).
    #[arg(long, env = "LBCTL_SOCKET", global = true)]
    socket: Option<String>,
    /// The supervisor's run directory in host mode (`--run-dir` of
    /// rampart-supervisor; default $XDG_RUNTIME_DIR/rampart or
    /// /tmp/rampart-UID when the system bus is absent).
    #[arg(long, env = "RAMPART_RUN_DIR", global = true)]
    run_dir: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Cmd {
    /// Services and their state.
    Status,
    /// A service's captured output (all services without a name).
    Logs {
        service: Option<String>,
        #[arg(short = 'n', long, default_value_t = 50)]
        lines: u32,
        /// Keep printing new lines.
        #[arg(short, long)]
        follow: bool,
    },
    Start {
        service: String,
    },
    Stop {
        service: String,
    },
    Restart {
        service: String,
    },
    /// Stop every service and reboot (host mode: stop and exit).
    Reboot,
    /// Stop every service and power off (host mode: stop and exit).
    Poweroff,
    /// lbd's frontends, backends and servers.
    Stats,
    /// Change a server: `lbctl server BACKEND/SERVER drain|maint|ready|weight N`.
    Server {
        target: String,
        action: String,
        value: Option<u32>,
    },
    /// lbd's configuration: show, check, diff, apply, confirm, rollback, history.
    #[command(subcommand)]
    Config(config::ConfigCmd),
    /// VRRP instances and sync groups (keepalived-rs).
    Vrrp,
    /// Network links and addresses on this box.
    Net,
    /// First-boot setup: management address, admin password, hostname.
    Setup(setup::SetupArgs),
    /// The numbered console menu (also when started as `lbctl-console`).
    Menu,
}

/// A failure and the exit code that names its kind.
#[derive(Debug)]
pub struct Failure(pub u8, pub String);

pub fn unreachable(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure(3, format!("cannot reach {what}: {e}"))
}

const SYSTEM_BUS: &str = "/run/dbus/system_bus_socket";
const SYSTEM_SOCKET: &str = "/run/lbd.sock";

impl Cli {
    /// The host-mode run directory: given, or the supervisor's default when
    /// this machine has no system bus of ours.
    fn host_run_dir(&self) -> Option<PathBuf> {
        if let Some(d) = &self.run_dir {
            return Some(d.clone());
        }
        if std::path::Path::new(SYSTEM_BUS).exists() && std::path::Path::new(SYSTEM_SOCKET).exists()
        {
            return None;
        }
        let candidates = [
            std::env::var_os("XDG_RUNTIME_DIR").map(|d| PathBuf::from(d).join("rampart")),
            Some(PathBuf::from(format!(
                "/tmp/rampart-{}",
                nix::unistd::getuid()
            ))),
        ];
        candidates
            .into_iter()
            .flatten()
            .find(|d| d.join("bus").exists())
    }

    pub fn bus(&self) -> String {
        if let Some(b) = &self.bus {
            return b.clone();
        }
        match self.host_run_dir() {
            Some(d) => format!("unix:path={}", d.join("bus").display()),
            None => format!("unix:path={SYSTEM_BUS}"),
        }
    }

    pub fn socket(&self) -> String {
        if let Some(s) = &self.socket {
            return s.clone();
        }
        match self.host_run_dir() {
            Some(d) => d.join("lbd.sock").display().to_string(),
            None => SYSTEM_SOCKET.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let console = std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .is_some_and(|n| n == "lbctl-console");
    let cli = if console {
        // The login program gets no arguments worth parsing.
        let mut cli = Cli::parse_from(["lbctl", "menu"]);
        cli.json = false;
        cli
    } else {
        Cli::parse()
    };
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, msg)) => {
            eprintln!("lbctl: {msg}");
            ExitCode::from(code)
        }
    }
}

fn tokio() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure(1, e.to_string()))
}

/// A daemon that takes the call and never answers must not hang the
/// console: past this, it counts as unreachable.
const CALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

async fn bounded(f: impl std::future::Future<Output = Result<(), Failure>>) -> Result<(), Failure> {
    tokio::time::timeout(CALL_LIMIT, f)
        .await
        .unwrap_or_else(|_| {
            Err(Failure(
                3,
                format!("no answer within {} s", CALL_LIMIT.as_secs()),
            ))
        })
}

pub fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.cmd {
        Cmd::Stats => runtime::stats(cli),
        Cmd::Server {
            target,
            action,
            value,
        } => runtime::server(cli, target, action, *value),
        Cmd::Config(c) => tokio()?.block_on(bounded(config::run(cli, c))),
        Cmd::Setup(a) => setup::run(cli, a),
        Cmd::Menu => menu::run(cli),
        Cmd::Vrrp => tokio()?.block_on(bounded(vrrp::run(cli))),
        Cmd::Net => net::run(cli),
        _ => tokio()?.block_on(services::supervisor_cmd(cli)),
    }
}
