//! The `netcfg` command: detect the platform, plan or apply a profile + appliance config,
//! show the network state.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use netcfg::appliance::{ApplianceFile, NetworkConfig};
use netcfg::detect::{self, Facts};
use netcfg::plan::{self, Desired};
use netcfg::{NetHandle, Profile, SysRoot};

#[derive(Parser)]
#[command(
    name = "netcfg",
    about = "Rampart network configuration from a hardware profile"
)]
struct Cli {
    /// Directory holding proc/, sys/ and etc/ (tests point it at a fake tree).
    #[arg(long, global = true, default_value = "/")]
    root: PathBuf,
    /// Directory of hardware profiles.
    #[arg(
        long,
        global = true,
        env = "NETCFG_PROFILES",
        default_value = "/usr/share/rampart/hw-profiles"
    )]
    profiles: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Which profile matches this machine, and what was found.
    Detect,
    /// What apply would change, as a diff. Nothing is changed.
    Plan(Target),
    /// Make the machine match; a second run reports no changes.
    Apply(Target),
    /// Links, addresses, routes and NIC interrupt affinity as they are now.
    Show,
}

#[derive(clap::Args)]
struct Target {
    /// Profile name (`<profiles>/<name>.toml`), `none`, or omitted to auto-detect.
    #[arg(long)]
    profile: Option<String>,
    /// The appliance config (`/config/appliance.toml`).
    #[arg(long)]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("netcfg: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let sys = SysRoot::new(&cli.root);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match cli.cmd {
        Cmd::Detect => detect_cmd(&sys, &cli.profiles),
        Cmd::Show => rt.block_on(show(&sys)),
        Cmd::Plan(t) => rt.block_on(plan_or_apply(&sys, &cli.profiles, t, true)),
        Cmd::Apply(t) => rt.block_on(plan_or_apply(&sys, &cli.profiles, t, false)),
    }
}

fn pick_profile(sys: &SysRoot, dir: &Path, name: Option<&str>) -> Result<Option<Profile>> {
    match name {
        Some("none") => Ok(None),
        Some(n) => Ok(Some(netcfg::profile::load_named(dir, n)?)),
        None => {
            let all = netcfg::profile::load_dir(dir)?;
            let facts = Facts::gather(sys);
            Ok(detect::best(&all, &facts).cloned())
        }
    }
}

fn detect_cmd(sys: &SysRoot, dir: &Path) -> Result<ExitCode> {
    let facts = Facts::gather(sys);
    let profiles = netcfg::profile::load_dir(dir).unwrap_or_else(|e| {
        eprintln!("netcfg: {e}");
        Vec::new()
    });
    let best = detect::best(&profiles, &facts);
    println!(
        "profile: {}",
        best.map_or("(none matches)", |p| p.name.as_str())
    );
    println!(
        "dmi: vendor={} product={}",
        facts.dmi_vendor.as_deref().unwrap_or("-"),
        facts.dmi_product.as_deref().unwrap_or("-")
    );
    println!("cpus: {} online", facts.online_cpus);
    let yn = |f: &str| if facts.has_flag(f) { "yes" } else { "no" };
    println!(
        "cpu crypto: aes={} vaes={} pclmulqdq={} sha_ni={} avx2={} avx512f={}",
        yn("aes"),
        yn("vaes"),
        yn("pclmulqdq"),
        yn("sha_ni"),
        yn("avx2"),
        yn("avx512f")
    );
    let qat = detect::qat_present(&facts, best);
    if qat.is_empty() {
        println!("qat: absent");
    } else {
        println!("qat: {}", qat.join(", "));
    }
    println!("nics:");
    let irqs = sys.interrupts().unwrap_or_default();
    for n in &facts.nics {
        let names: Vec<String> = irqs
            .iter()
            .filter(|i| n.irqs.contains(&i.number))
            .map(|i| format!("{}:{}", i.number, i.name))
            .collect();
        println!(
            "  {} driver={} pci={} id={} mac={} queues rx={} tx={} irqs=[{}]",
            n.ifname,
            n.driver.as_deref().unwrap_or("-"),
            n.pci_path.as_deref().unwrap_or("-"),
            n.pci_id.map_or("-".to_string(), |i| i.to_string()),
            n.mac.as_deref().unwrap_or("-"),
            n.rx_queues,
            n.tx_queues,
            names.join(" ")
        );
    }
    if let Some(p) = best {
        for r in &p.nics {
            match detect::resolve(r, &facts.nics) {
                Some(n) => println!("role {} {} <- {}", r.role.as_str(), r.name, n.ifname),
                None => println!("role {} {} <- (not found)", r.role.as_str(), r.name),
            }
        }
        if p.crypto.aes_ni == netcfg::profile::Expect::Required && !facts.has_flag("aes") {
            println!(
                "warning: profile {} requires AES-NI and the CPU lacks it",
                p.name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn plan_or_apply(sys: &SysRoot, dir: &Path, t: Target, dry_run: bool) -> Result<ExitCode> {
    let profile = pick_profile(sys, dir, t.profile.as_deref())?;
    let (hostname, cfg) = match &t.config {
        Some(p) => {
            let f = ApplianceFile::load(p)?;
            (f.hostname, f.network)
        }
        None => (None, NetworkConfig::default()),
    };
    let renames = profile
        .as_ref()
        .map(|p| plan::renames_for(p, sys))
        .unwrap_or_default();
    let desired = Desired::build(profile.as_ref(), &cfg, renames);
    let net = NetHandle::new().await.context("netlink")?;
    let actions = plan::plan(&net, &desired).await?;
    let (sys_changes, errors) =
        plan::system_changes(sys, profile.as_ref(), hostname.as_deref(), &cfg, dry_run);
    println!(
        "profile: {}",
        profile.as_ref().map_or("none", |p| p.name.as_str())
    );
    let net_changes = if dry_run {
        actions.iter().map(|a| a.change()).collect()
    } else {
        plan::execute(&net, &actions).await?
    };
    let total = net_changes.len() + sys_changes.len();
    for c in net_changes.iter().chain(&sys_changes) {
        println!("{c}");
    }
    if total == 0 {
        println!("no changes");
    } else if !dry_run {
        println!("applied {total} change(s)");
    }
    for e in &errors {
        eprintln!("netcfg: error: {e}");
    }
    if errors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        bail!("{} error(s)", errors.len())
    }
}

async fn show(sys: &SysRoot) -> Result<ExitCode> {
    let net = NetHandle::new().await.context("netlink")?;
    let links = net.links().await?;
    for l in &links {
        let kind = l.kind.as_deref().unwrap_or("-");
        let state = match (l.up, l.running) {
            (true, true) => "UP",
            (true, false) => "NO-CARRIER",
            _ => "DOWN",
        };
        let master = l
            .controller
            .and_then(|c| links.iter().find(|x| x.index == c))
            .map_or(String::new(), |m| format!(" master {}", m.name));
        println!(
            "{}: {} kind {kind} mtu {} {state}{master}",
            l.index, l.name, l.mtu
        );
        for a in net.address_states(&l.name).await? {
            let label = a
                .label
                .filter(|x| *x != l.name)
                .map_or(String::new(), |x| format!(" label {x}"));
            let owner = if a.ours { " (netcfg)" } else { "" };
            println!("    {}{label}{owner}", a.cidr);
        }
    }
    println!("routes:");
    for r in net.routes().await? {
        let dev = r
            .oif
            .and_then(|o| links.iter().find(|x| x.index == o))
            .map_or(String::new(), |l| format!(" dev {}", l.name));
        let owner = if r.ours { " (netcfg)" } else { "" };
        println!("    {}{dev}{owner}", netcfg::links::route_text(&r));
    }
    let irqs = sys.interrupts().unwrap_or_default();
    for n in sys.nics().unwrap_or_default() {
        if n.irqs.is_empty() {
            continue;
        }
        println!("irqs of {}:", n.ifname);
        let aff = sys.affinities(&n.irqs);
        for i in irqs.iter().filter(|i| n.irqs.contains(&i.number)) {
            println!(
                "    {} {} -> cpus {}",
                i.number,
                i.name,
                aff.get(&i.number).map_or("?", String::as_str)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
