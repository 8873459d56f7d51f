//! rampart-supervisor: `--pid1` on the appliance, `--host` on a developer's
//! machine. See the library for the parts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use supervisor::boot::{BootControl, FileBootControl, NoBootControl};
use supervisor::config::{ServicesFile, Vars};
use supervisor::pid1;
use supervisor::runtime::{Options, PowerAction, Supervisor};

#[derive(Parser, Debug)]
#[command(
    name = "rampart-supervisor",
    version,
    about = "Runs Rampart's services"
)]
struct Cli {
    /// Run as the box's PID 1 (mounts, modules, reboot on shutdown).
    #[arg(long, conflicts_with = "host")]
    pid1: bool,
    /// Run as an ordinary process (the default when not PID 1).
    #[arg(long)]
    host: bool,
    /// The services file (default: DIR/services.toml with --config-dir, else
    /// /etc/rampart/services.toml).
    #[arg(long)]
    services: Option<PathBuf>,
    /// ${config_dir} in the services file (default: the services file's directory; /config as PID 1).
    #[arg(long)]
    config_dir: Option<PathBuf>,
    /// ${run_dir}: sockets and the notify socket (default: /run/rampart as PID 1,
    /// else $XDG_RUNTIME_DIR/rampart or /tmp/rampart-UID).
    #[arg(long)]
    run_dir: Option<PathBuf>,
    /// Do not echo service output to the console.
    #[arg(long)]
    quiet: bool,
    /// Bless the boot by writing this file (default: no boot control).
    #[arg(long)]
    bless_file: Option<PathBuf>,
    /// PID 1: skip the mounts (tests in a PID namespace).
    #[arg(long)]
    no_mounts: bool,
    /// PID 1: exit after the orderly stop instead of reboot(2) (tests).
    #[arg(long)]
    no_reboot: bool,
    /// PID 1: the config partition to mount on /config.
    #[arg(long)]
    config_device: Option<PathBuf>,
    /// PID 1: the hardware profile (its `modules` are loaded with modprobe).
    #[arg(long)]
    hw_profile: Option<PathBuf>,
    /// PID 1: the network setup program, run as `PROG apply PROFILE`.
    #[arg(long)]
    netcfg: Option<PathBuf>,
}

fn default_run_dir(pid1: bool) -> PathBuf {
    if pid1 {
        return PathBuf::from("/run/rampart");
    }
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(d) => PathBuf::from(d).join("rampart"),
        None => PathBuf::from(format!("/tmp/rampart-{}", nix::unistd::getuid())),
    }
}

fn main() {
    let cli = Cli::parse();
    let pid1 = cli.pid1 || (!cli.host && std::process::id() == 1);
    if !pid1 {
        match run(&cli, false) {
            Ok(_) => std::process::exit(0),
            Err(e) => {
                eprintln!("rampart-supervisor: {e:#}");
                std::process::exit(1);
            }
        }
    }
    // PID 1 never returns: on an error it logs, waits, and tries again.
    loop {
        match run(&cli, true) {
            Ok(action) => {
                if cli.no_reboot {
                    std::process::exit(0);
                }
                // reboot(2) from a process that is not PID 1 would take the
                // whole host down (`--pid1` typed on a workstation): only
                // the init of a machine or of a PID namespace may call it.
                if std::process::id() != 1 {
                    eprintln!("rampart-supervisor: not PID 1: exiting instead of {action:?}");
                    std::process::exit(0);
                }
                let off = action == PowerAction::PowerOff;
                eprintln!(
                    "rampart-supervisor: {}",
                    if off { "powering off" } else { "rebooting" }
                );
                let e = pid1::power(off);
                eprintln!("rampart-supervisor: reboot(2) failed: {e}");
            }
            Err(e) => eprintln!("rampart-supervisor: {e:#}; retrying in 5 s"),
        }
        std::thread::sleep(Duration::from_secs(5));
    }
}

fn run(cli: &Cli, pid1: bool) -> anyhow::Result<PowerAction> {
    if pid1 && !cli.no_mounts {
        pid1::early_mounts();
        if let Some(dev) = &cli.config_device {
            pid1::mount_config(dev, Path::new("/config"));
        }
    }
    if pid1 {
        if let Some(p) = &cli.hw_profile {
            match std::fs::read_to_string(p)
                .map_err(|e| e.to_string())
                .and_then(|t| pid1::profile_modules(&t))
            {
                Ok(mods) => pid1::load_modules(&mods),
                Err(e) => eprintln!("supervisor: hardware profile {}: {e}", p.display()),
            }
        }
        pid1::apply_network(cli.netcfg.as_deref(), cli.hw_profile.as_deref());
    } else {
        // Orphans of our services come to us, as they would to PID 1.
        if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
            eprintln!("supervisor: cannot become a subreaper: {e}");
        }
    }
    let services = match (&cli.services, &cli.config_dir) {
        (Some(s), _) => s.clone(),
        (None, Some(d)) => d.join("services.toml"),
        (None, None) => PathBuf::from("/etc/rampart/services.toml"),
    };
    let config_dir = match &cli.config_dir {
        Some(d) => d.clone(),
        None if pid1 => PathBuf::from("/config"),
        None => services.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let config_dir = std::path::absolute(&config_dir).unwrap_or(config_dir);
    let run_dir = cli.run_dir.clone().unwrap_or_else(|| default_run_dir(pid1));
    let bin_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let mut vars = Vars::default();
    for (k, v) in [
        ("config_dir", &config_dir),
        ("run_dir", &run_dir),
        ("bin_dir", &bin_dir),
    ] {
        vars.0
            .insert(k.to_string(), v.to_string_lossy().into_owned());
    }
    let mut file = ServicesFile::load(&services, &vars)?;
    for msg in file.resolve(|p| p.exists(), installed) {
        eprintln!("supervisor: {msg}");
    }
    let boot: Box<dyn BootControl> = match &cli.bless_file {
        Some(p) => Box::new(FileBootControl { path: p.clone() }),
        None => Box::new(NoBootControl),
    };
    let opts = Options {
        run_dir,
        echo: !cli.quiet,
        boot,
        pid1,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let sup = Supervisor::new(file, opts);
    Ok(rt.block_on(sup.run())?)
}

/// Whether `program` can be run: a path to an executable file, or a name
/// found in one of `$PATH`'s directories (as `Command` will search it).
fn installed(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let runnable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        return runnable(Path::new(program));
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| runnable(&d.join(program))))
}
