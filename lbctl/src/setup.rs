//! `lbctl setup`: the first-boot wizard. Asks (on a terminal) or takes
//! (as flags) the management interface and address, the admin password and
//! the hostname, and writes them into appliance.toml atomically, keeping
//! every other key of the file. The password is stored only as a
//! SHA-512 crypt(3) hash.

use std::io::{BufRead, IsTerminal, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::{Cli, Failure};

#[derive(clap::Args, Debug, Clone)]
pub struct SetupArgs {
    /// The file to write.
    #[arg(
        long,
        env = "RAMPART_APPLIANCE",
        default_value = "/config/appliance.toml"
    )]
    pub file: PathBuf,
    /// Management interface (e.g. eth0).
    #[arg(long)]
    pub interface: Option<String>,
    /// Management address as ADDRESS/PREFIX, or `dhcp`.
    #[arg(long)]
    pub address: Option<String>,
    /// Default gateway of the management network (`none` for none).
    #[arg(long)]
    pub gateway: Option<String>,
    #[arg(long)]
    pub hostname: Option<String>,
    /// Read the admin password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Never prompt, even on a terminal: every value must come as a flag.
    #[arg(long)]
    pub no_prompt: bool,
}

impl SetupArgs {
    /// The wizard with every question asked, for the console menu.
    pub fn interactive() -> SetupArgs {
        SetupArgs {
            file: std::env::var_os("RAMPART_APPLIANCE")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/config/appliance.toml")),
            interface: None,
            address: None,
            gateway: None,
            hostname: None,
            password_stdin: false,
            no_prompt: false,
        }
    }
}

/// What the wizard settles on.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    pub interface: String,
    /// None: DHCP.
    pub address: Option<(IpAddr, u8)>,
    pub gateway: Option<IpAddr>,
    pub hostname: String,
    pub password_hash: String,
}

pub fn parse_address(s: &str) -> Result<Option<(IpAddr, u8)>, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("dhcp") {
        return Ok(None);
    }
    let (a, p) = s
        .split_once('/')
        .ok_or_else(|| format!("'{s}': expected ADDRESS/PREFIX (192.0.2.10/24) or dhcp"))?;
    let addr: IpAddr = a
        .parse()
        .map_err(|_| format!("'{a}' is not an IP address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    match p.parse::<u8>() {
        Ok(n) if n <= max && n > 0 => Ok(Some((addr, n))),
        _ => Err(format!("'{p}': the prefix must be 1 to {max}")),
    }
}

pub fn parse_gateway(s: &str) -> Result<Option<IpAddr>, String> {
    let s = s.trim();
    if s.is_empty() || s == "none" {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| format!("'{s}' is not an IP address"))
}

/// RFC 1123 host names: dot-separated labels of letters, digits and inner
/// hyphens, 63 bytes each, 253 in all.
pub fn check_hostname(s: &str) -> Result<String, String> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "'{s}': a host name is letters, digits and hyphens (e.g. lb1.example.net)"
        ))
    }
}

pub fn check_interface(s: &str) -> Result<String, String> {
    let s = s.trim();
    if !s.is_empty()
        && s.len() < 16
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b':')
    {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not an interface name"))
    }
}

pub fn check_password(p: &str) -> Result<(), String> {
    if p.chars().count() < 8 {
        return Err("the password needs at least 8 characters".into());
    }
    Ok(())
}

pub fn hash_password(p: &str) -> Result<String, Failure> {
    pwhash::sha512_crypt::hash(p).map_err(|e| Failure(1, format!("cannot hash the password: {e}")))
}

/// The first interface that is not loopback, as a default to offer.
fn default_interface() -> String {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "lo")
        .collect();
    names.sort();
    names.into_iter().next().unwrap_or_else(|| "eth0".into())
}

/// Line-at-a-time questions on the terminal; the password with echo off.
struct Prompter<'a> {
    input: Box<dyn BufRead + 'a>,
    out: Box<dyn Write + 'a>,
}

impl Prompter<'_> {
    fn line(&mut self, question: &str) -> Result<String, Failure> {
        write!(self.out, "{question}").map_err(io)?;
        self.out.flush().map_err(io)?;
        let mut s = String::new();
        if self.input.read_line(&mut s).map_err(io)? == 0 {
            return Err(Failure(1, "setup cancelled (end of input)".into()));
        }
        Ok(s.trim_end_matches(['\r', '\n']).to_string())
    }

    /// Asks until `check` accepts; an empty answer takes `default`.
    fn ask<T>(
        &mut self,
        question: &str,
        default: &str,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, Failure> {
        loop {
            let q = if default.is_empty() {
                format!("{question}: ")
            } else {
                format!("{question} [{default}]: ")
            };
            let a = self.line(&q)?;
            let a = if a.trim().is_empty() { default } else { &a };
            match check(a) {
                Ok(v) => return Ok(v),
                Err(e) => writeln!(self.out, "  {e}").map_err(io)?,
            }
        }
    }

    fn password(&mut self) -> Result<String, Failure> {
        loop {
            let p = self.secret("Admin password: ")?;
            if let Err(e) = check_password(&p) {
                writeln!(self.out, "  {e}").map_err(io)?;
                continue;
            }
            if self.secret("Again: ")? == p {
                return Ok(p);
            }
            writeln!(self.out, "  the two passwords differ").map_err(io)?;
        }
    }

    fn secret(&mut self, q: &str) -> Result<String, Failure> {
        let echo_off = EchoOff::new();
        let p = self.line(q);
        // ECHONL echoed the Enter already when echo is off.
        if echo_off.0.is_none() {
            writeln!(self.out).map_err(io)?;
        }
        p
    }
}

/// Turns terminal echo off on stdin for its lifetime.
struct EchoOff(Option<nix::sys::termios::Termios>);

impl EchoOff {
    fn new() -> EchoOff {
        use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
        let stdin = std::io::stdin();
        let Ok(old) = tcgetattr(&stdin) else {
            return EchoOff(None);
        };
        let mut t = old.clone();
        t.local_flags.remove(LocalFlags::ECHO);
        t.local_flags.insert(LocalFlags::ECHONL);
        if tcsetattr(&stdin, SetArg::TCSANOW, &t).is_err() {
            return EchoOff(None);
        }
        EchoOff(Some(old))
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(old) = &self.0 {
            let _ = nix::sys::termios::tcsetattr(
                std::io::stdin(),
                nix::sys::termios::SetArg::TCSANOW,
                old,
            );
        }
    }
}

fn io(e: std::io::Error) -> Failure {
    Failure(1, e.to_string())
}

fn usage(e: String) -> Failure {
    Failure(2, e)
}

/// Values from flags, or from the prompts for those missing when stdin is a
/// terminal.
fn answers(a: &SetupArgs) -> Result<Answers, Failure> {
    let tty = !a.no_prompt && std::io::stdin().is_terminal() && !a.password_stdin;
    let current = read_table(&a.file).unwrap_or_default();
    let cur = |path: &[&str]| -> String {
        let mut v = Some(&current);
        let mut out = None;
        for (i, k) in path.iter().enumerate() {
            let item = v.and_then(|t| t.get(*k));
            if i + 1 == path.len() {
                out = item.and_then(|x| x.as_str()).map(str::to_string);
            } else {
                v = item.and_then(|x| x.as_table());
            }
        }
        out.unwrap_or_default()
    };
    if !tty {
        let need = |v: &Option<String>, flag: &str| {
            v.clone()
                .ok_or_else(|| usage(format!("{flag} is needed without a terminal")))
        };
        let interface = check_interface(&need(&a.interface, "--interface")?).map_err(usage)?;
        let address = parse_address(&need(&a.address, "--address")?).map_err(usage)?;
        let gateway = parse_gateway(a.gateway.as_deref().unwrap_or("")).map_err(usage)?;
        let hostname = check_hostname(&need(&a.hostname, "--hostname")?).map_err(usage)?;
        if !a.password_stdin {
            return Err(usage(
                "--password-stdin is needed without a terminal (never put a password in argv)"
                    .into(),
            ));
        }
        let mut p = String::new();
        std::io::stdin().lock().read_line(&mut p).map_err(io)?;
        let p = p.trim_end_matches(['\r', '\n']);
        check_password(p).map_err(|e| Failure(1, e))?;
        return Ok(Answers {
            interface,
            address,
            gateway,
            hostname,
            password_hash: hash_password(p)?,
        });
    }
    let stdin = std::io::stdin();
    let mut pr = Prompter {
        input: Box::new(stdin.lock()),
        out: Box::new(std::io::stdout()),
    };
    writeln!(
        pr.out,
        "Rampart first-boot setup. Enter keeps the value in [brackets]."
    )
    .map_err(io)?;
    let interface = match &a.interface {
        Some(i) => check_interface(i).map_err(usage)?,
        None => {
            let d = Some(cur(&["network", "management", "interface"]))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(default_interface);
            pr.ask("Management interface", &d, check_interface)?
        }
    };
    let address = match &a.address {
        Some(s) => parse_address(s).map_err(usage)?,
        None => {
            let d = Some(cur(&["network", "management", "address"]))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "dhcp".into());
            pr.ask(
                "Management address (ADDRESS/PREFIX or dhcp)",
                &d,
                parse_address,
            )?
        }
    };
    let gateway = match (&a.gateway, address) {
        (Some(g), _) => parse_gateway(g).map_err(usage)?,
        (None, None) => None,
        (None, Some(_)) => {
            let d = Some(cur(&["network", "management", "gateway"]))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "none".into());
            pr.ask("Default gateway (or none)", &d, parse_gateway)?
        }
    };
    let hostname = match &a.hostname {
        Some(h) => check_hostname(h).map_err(usage)?,
        None => {
            let d = Some(cur(&["hostname"]))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "rampart".into());
            pr.ask("Hostname", &d, check_hostname)?
        }
    };
    let p = pr.password()?;
    Ok(Answers {
        interface,
        address,
        gateway,
        hostname,
        password_hash: hash_password(&p)?,
    })
}

fn read_table(path: &Path) -> Result<toml::Table, Failure> {
    match std::fs::read_to_string(path) {
        Ok(t) => t
            .parse::<toml::Table>()
            .map_err(|e| Failure(1, format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(toml::Table::new()),
        Err(e) => Err(Failure(1, format!("{}: {e}", path.display()))),
    }
}

/// `current` with the answers merged in; every other key stays.
pub fn merge(mut current: toml::Table, a: &Answers) -> toml::Table {
    use toml::Value;
    current.insert("hostname".into(), Value::String(a.hostname.clone()));
    let net = current
        .entry("network")
        .or_insert_with(|| Value::Table(toml::Table::new()));
    if !net.is_table() {
        *net = Value::Table(toml::Table::new());
    }
    if let Some(net) = net.as_table_mut() {
        let mut m = toml::Table::new();
        m.insert("interface".into(), Value::String(a.interface.clone()));
        match a.address {
            None => {
                m.insert("dhcp".into(), Value::Boolean(true));
            }
            Some((ip, len)) => {
                m.insert("address".into(), Value::String(format!("{ip}/{len}")));
                if let Some(g) = a.gateway {
                    m.insert("gateway".into(), Value::String(g.to_string()));
                }
            }
        }
        // Keep an MTU the operator set before; the rest is what we asked.
        if let Some(mtu) = net.get("management").and_then(|v| v.get("mtu")).cloned() {
            m.insert("mtu".into(), mtu);
        }
        net.insert("management".into(), Value::Table(m));
    }
    let admin = current
        .entry("admin")
        .or_insert_with(|| Value::Table(toml::Table::new()));
    if !admin.is_table() {
        *admin = Value::Table(toml::Table::new());
    }
    if let Some(admin) = admin.as_table_mut() {
        admin.insert(
            "password_hash".into(),
            Value::String(a.password_hash.clone()),
        );
    }
    current
}

/// Write to a temporary file beside `path`, fsync, rename over it, fsync the
/// directory: a power cut leaves the old file or the new one, never half.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let res = (|| {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            // It holds the admin password's hash: not for everyone's eyes.
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

pub fn run(cli: &Cli, a: &SetupArgs) -> Result<(), Failure> {
    let current = read_table(&a.file)?;
    let ans = answers(a)?;
    let table = merge(current, &ans);
    let text = format!(
        "# Rampart appliance settings (lbctl setup writes the hostname, the\n# management network and the admin password hash).\n{}",
        toml::to_string(&table).map_err(|e| Failure(1, e.to_string()))?
    );
    write_atomic(&a.file, &text)
        .map_err(|e| Failure(1, format!("cannot write {}: {e}", a.file.display())))?;
    let addr = match ans.address {
        Some((ip, l)) => format!("{ip}/{l}"),
        None => "dhcp".into(),
    };
    if cli.json {
        println!(
            "{}",
            serde_json::json!({
                "file": a.file, "hostname": ans.hostname, "interface": ans.interface,
                "address": addr, "gateway": ans.gateway.map(|g| g.to_string()),
            })
        );
    } else {
        println!(
            "Saved {}: {} on {} {}{}.",
            a.file.display(),
            ans.hostname,
            ans.interface,
            addr,
            ans.gateway.map(|g| format!(" via {g}")).unwrap_or_default()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked() {
        assert_eq!(
            parse_address("192.0.2.10/24"),
            Ok(Some(("192.0.2.10".parse().unwrap(), 24)))
        );
        assert_eq!(parse_address("DHCP"), Ok(None));
        assert!(parse_address("192.0.2.10").is_err());
        assert!(parse_address("192.0.2.10/33").is_err());
        assert!(parse_address("2001:db8::1/129").is_err());
        assert!(check_hostname("lb1.example.net").is_ok());
        assert!(check_hostname("-lb").is_err());
        assert!(check_hostname("lb_1").is_err());
        assert!(check_password("short").is_err());
        assert_eq!(parse_gateway("none"), Ok(None));
    }

    #[test]
    fn merge_keeps_other_keys_and_stores_only_the_hash() {
        let cur: toml::Table = "[network.management]\ninterface = \"eth9\"\nmtu = 9000\n[[network.interface]]\nname = \"eth1\"\n[webui]\nport = 443\n"
            .parse()
            .unwrap();
        let a = Answers {
            interface: "eth0".into(),
            address: Some(("192.0.2.10".parse().unwrap(), 24)),
            gateway: Some("192.0.2.1".parse().unwrap()),
            hostname: "lb1".into(),
            password_hash: hash_password("correct horse").unwrap_or_default(),
        };
        let t = merge(cur, &a);
        let text = toml::to_string(&t).unwrap();
        assert!(text.contains("port = 443"), "{text}");
        assert!(text.contains("name = \"eth1\""), "{text}");
        assert!(text.contains("mtu = 9000"), "{text}");
        assert!(text.contains("address = \"192.0.2.10/24\""), "{text}");
        assert!(!text.contains("correct horse"));
        let h = t["admin"]["password_hash"].as_str().unwrap();
        assert!(pwhash::unix::verify("correct horse", h));
    }
}
