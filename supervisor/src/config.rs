//! The services file (`services.toml`): what to run, in what order, how to
//! tell it is ready, and how to restart it. Parsing and validation only;
//! nothing here touches a process.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", .path.display())]
    Syntax { path: PathBuf, message: String },
    #[error("{}: service '{service}': {message}", .path.display())]
    Invalid {
        path: PathBuf,
        service: String,
        message: String,
    },
    #[error("{}: {source}", .path.display())]
    Order {
        path: PathBuf,
        #[source]
        source: crate::order::OrderError,
    },
}

/// The whole file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServicesFile {
    #[serde(default)]
    pub supervisor: SupervisorSection,
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceSpec>,
}

/// Settings of the supervisor itself.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SupervisorSection {
    /// D-Bus address to serve `org.rampart.Supervisor1` on (e.g.
    /// `unix:path=/run/dbus/system_bus_socket`); none means no D-Bus.
    pub bus: Option<String>,
    /// The service that provides that bus: the supervisor connects once it
    /// is ready (none: the bus exists before the supervisor starts).
    pub bus_service: Option<String>,
}

/// One `[[service]]` table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    pub name: String,
    /// Program and arguments (no shell).
    pub command: Vec<String>,
    /// Run this instead when `command`'s program is not installed: the
    /// image's choice first, the common one as the fallback (busd, else
    /// dbus-daemon).
    #[serde(default)]
    pub fallback_command: Vec<String>,
    /// Run the service only on a system where this path exists (looked at
    /// once, when the supervisor starts): a keepalived.conf on /config, or
    /// the demo's VRRP network namespace. Otherwise it is left out, and the
    /// services after it do not wait for it.
    pub condition_path: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// User and group to drop to (only when the supervisor runs as root).
    pub user: Option<String>,
    pub group: Option<String>,
    /// Services that must be ready before this one starts (and that stop
    /// after it).
    #[serde(default)]
    pub after: Vec<String>,
    #[serde(default)]
    pub ready: Readiness,
    #[serde(default = "d_30s", deserialize_with = "de_duration")]
    pub ready_timeout: Duration,
    /// The service must send WATCHDOG=1 at least this often once ready.
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub watchdog: Option<Duration>,
    #[serde(default = "d_10s", deserialize_with = "de_duration")]
    pub stop_timeout: Duration,
    #[serde(default)]
    pub restart: RestartPolicy,
    #[serde(default = "d_1s", deserialize_with = "de_duration")]
    pub backoff_initial: Duration,
    #[serde(default = "d_60s", deserialize_with = "de_duration")]
    pub backoff_max: Duration,
    /// More than this many crashes within `crash_window` and the service is
    /// marked failed instead of restarted.
    #[serde(default = "d_crash_limit")]
    pub crash_limit: u32,
    #[serde(default = "d_60s", deserialize_with = "de_duration")]
    pub crash_window: Duration,
    /// Bless the boot (mark the running slot good) once this is ready.
    #[serde(default)]
    pub bless: bool,
    /// Output lines kept for `lbctl logs`.
    #[serde(default = "d_log_lines")]
    pub log_lines: usize,
}

fn d_30s() -> Duration {
    Duration::from_secs(30)
}
fn d_10s() -> Duration {
    Duration::from_secs(10)
}
fn d_1s() -> Duration {
    Duration::from_secs(1)
}
fn d_60s() -> Duration {
    Duration::from_secs(60)
}
fn d_crash_limit() -> u32 {
    5
}
fn d_log_lines() -> usize {
    1000
}

/// How the supervisor learns that a service is ready.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Readiness {
    /// Ready once spawned.
    #[default]
    Started,
    /// Ready on sd_notify READY=1.
    Notify,
    /// Ready once 127.0.0.1:PORT accepts a connection.
    Tcp(u16),
    /// Ready once the unix socket at PATH accepts a connection.
    Unix(PathBuf),
}

impl std::str::FromStr for Readiness {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "started" => Ok(Readiness::Started),
            "notify" => Ok(Readiness::Notify),
            _ => {
                if let Some(p) = s.strip_prefix("tcp:") {
                    return p
                        .parse::<u16>()
                        .ok()
                        .filter(|p| *p != 0)
                        .map(Readiness::Tcp)
                        .ok_or_else(|| format!("'{p}' is not a TCP port"));
                }
                if let Some(p) = s.strip_prefix("unix:") {
                    // Checked for an absolute path after ${vars} expansion.
                    return Ok(Readiness::Unix(PathBuf::from(p)));
                }
                Err(format!(
                    "ready = '{s}': expected \"started\", \"notify\", \"tcp:PORT\" or \"unix:/PATH\""
                ))
            }
        }
    }
}

impl<'de> Deserialize<'de> for Readiness {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// When an exited service is started again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    #[default]
    Always,
    /// Only after a non-zero exit or a signal.
    OnFailure,
    Never,
}

/// `500ms`, `10s`, `2m`, `1h`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a duration (e.g. 500ms, 10s, 2m)"))?;
    let ms = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(format!("'{s}': unknown unit '{unit}' (ms, s, m, h)")),
    };
    Ok(Duration::from_millis(n.saturating_mul(ms)))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawDuration {
    Secs(u64),
    Text(String),
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    match RawDuration::deserialize(d)? {
        RawDuration::Secs(n) => Ok(Duration::from_secs(n)),
        RawDuration::Text(s) => parse_duration(&s).map_err(serde::de::Error::custom),
    }
}

fn de_opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    de_duration(d).map(Some)
}

/// Values substituted for `${name}` in commands, environment, readiness
/// paths and the bus address, so one file serves the box and a host.
#[derive(Debug, Clone, Default)]
pub struct Vars(pub BTreeMap<String, String>);

impl Vars {
    pub fn expand(&self, s: &str) -> Result<String, String> {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(end) = after.find('}') else {
                return Err(format!("'{s}': unterminated ${{"));
            };
            let name = &after[..end];
            match self.0.get(name) {
                Some(v) => out.push_str(v),
                None => return Err(format!("'{s}': unknown variable ${{{name}}}")),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

impl ServicesFile {
    /// Reads, expands and validates a services file.
    pub fn load(path: &Path, vars: &Vars) -> Result<ServicesFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path, vars)
    }

    /// Parses `text` (named `path` in errors), expands `${vars}`, validates.
    pub fn parse(text: &str, path: &Path, vars: &Vars) -> Result<ServicesFile, ConfigError> {
        let mut file: ServicesFile = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |service: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            service: service.to_string(),
            message,
        };
        if let Some(bus) = &mut file.supervisor.bus {
            *bus = vars.expand(bus).map_err(|m| invalid("[supervisor]", m))?;
        }
        let mut seen = std::collections::HashSet::new();
        for svc in &mut file.services {
            let name = svc.name.clone();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(
                    &name,
                    "names use letters, digits, '-' and '_'".into(),
                ));
            }
            if !seen.insert(name.clone()) {
                return Err(invalid(&name, "defined twice".into()));
            }
            if svc.command.is_empty() {
                return Err(invalid(&name, "command is empty".into()));
            }
            for arg in svc.command.iter_mut().chain(&mut svc.fallback_command) {
                *arg = vars.expand(arg).map_err(|m| invalid(&name, m))?;
            }
            if let Some(c) = &mut svc.condition_path {
                *c = vars.expand(c).map_err(|m| invalid(&name, m))?;
            }
            for v in svc.env.values_mut() {
                *v = vars.expand(v).map_err(|m| invalid(&name, m))?;
            }
            if let Readiness::Unix(p) = &svc.ready {
                let expanded = vars
                    .expand(&p.to_string_lossy())
                    .map_err(|m| invalid(&name, m))?;
                if !expanded.starts_with('/') {
                    return Err(invalid(
                        &name,
                        format!("ready = 'unix:{expanded}': not an absolute path"),
                    ));
                }
                svc.ready = Readiness::Unix(PathBuf::from(expanded));
            }
            if svc.backoff_initial.is_zero() || svc.backoff_max < svc.backoff_initial {
                return Err(invalid(
                    &name,
                    "backoff_initial must be > 0 and <= backoff_max".into(),
                ));
            }
            if svc.watchdog.is_some_and(|w| w.is_zero()) {
                return Err(invalid(&name, "watchdog must be > 0".into()));
            }
        }
        if let Some(bs) = &file.supervisor.bus_service {
            if !seen.contains(bs) {
                return Err(invalid(bs, "named by bus_service but not defined".into()));
            }
        }
        crate::order::start_order(&file.services).map_err(|source| ConfigError::Order {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(file)
    }

    /// Fits the file to this system: leaves out the services whose
    /// `condition_path` does not exist and switches to `fallback_command`
    /// where the program is not installed. Returns what it did, for the log.
    pub fn resolve(
        &mut self,
        exists: impl Fn(&Path) -> bool,
        installed: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let mut said = Vec::new();
        let mut skipped = Vec::new();
        for svc in &mut self.services {
            if let Some(c) = &svc.condition_path {
                if !exists(Path::new(c)) {
                    said.push(format!("{}: left out ({c} does not exist)", svc.name));
                    skipped.push(svc.name.clone());
                    continue;
                }
            }
            if !svc.fallback_command.is_empty() && !installed(&svc.command[0]) {
                said.push(format!(
                    "{}: {} is not installed; running {}",
                    svc.name, svc.command[0], svc.fallback_command[0]
                ));
                svc.command = std::mem::take(&mut svc.fallback_command);
            }
        }
        self.services.retain(|s| !skipped.contains(&s.name));
        for svc in &mut self.services {
            svc.after.retain(|a| !skipped.contains(a));
        }
        if self
            .supervisor
            .bus_service
            .as_ref()
            .is_some_and(|b| skipped.contains(b))
        {
            said.push("no bus service: D-Bus is off".into());
            self.supervisor.bus_service = None;
            self.supervisor.bus = None;
        }
        said
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServicesFile, ConfigError> {
        let mut vars = Vars::default();
        vars.0.insert("run_dir".into(), "/run/x".into());
        vars.0.insert("config_dir".into(), "/cfg".into());
        ServicesFile::parse(text, Path::new("services.toml"), &vars)
    }

    #[test]
    fn full_service_parses_with_defaults() {
        let f = parse(
            r#"
            [supervisor]
            bus = "unix:path=${run_dir}/bus"
            bus_service = "dbus"
            [[service]]
            name = "dbus"
            command = ["dbus-daemon", "--address=unix:path=${run_dir}/bus"]
            ready = "unix:${run_dir}/bus"
            [[service]]
            name = "lbd"
            command = ["lbd", "-f", "x.cfg"]
            after = ["dbus"]
            ready = "notify"
            watchdog = "10s"
            stop_timeout = 3
            backoff_initial = "500ms"
            restart = "on-failure"
            env = { RUST_LOG = "info" }
            bless = true
            "#,
        )
        .unwrap();
        assert_eq!(f.supervisor.bus.as_deref(), Some("unix:path=/run/x/bus"));
        let dbus = &f.services[0];
        assert_eq!(dbus.command[1], "--address=unix:path=/run/x/bus");
        assert_eq!(dbus.ready, Readiness::Unix("/run/x/bus".into()));
        assert_eq!(dbus.restart, RestartPolicy::Always);
        assert_eq!(dbus.stop_timeout, Duration::from_secs(10));
        let lbd = &f.services[1];
        assert_eq!(lbd.watchdog, Some(Duration::from_secs(10)));
        assert_eq!(lbd.stop_timeout, Duration::from_secs(3));
        assert_eq!(lbd.backoff_initial, Duration::from_millis(500));
        assert_eq!(lbd.restart, RestartPolicy::OnFailure);
        assert!(lbd.bless);
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse("[[service]]\nname = \"a\"\ncommand = [\"x\"]\nreddy = \"notify\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `reddy`"), "{e}");
        let e = parse("[[service]]\nname = \"a\"\ncommand = [\"x\"]\nready = \"tcp:0\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("'0' is not a TCP port"), "{e}");
        let e = parse("[[service]]\nname = \"a\"\ncommand = []\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "services.toml: service 'a': command is empty");
        let e = parse("[[service]]\nname = \"a\"\ncommand = [\"${nope}\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variable ${nope}"), "{e}");
        let e = parse("[[service]]\nname = \"a\"\ncommand = [\"x\"]\nwatchdog = \"5 parsecs\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown unit"), "{e}");
        let e = parse(
            "[[service]]\nname = \"a\"\ncommand = [\"x\"]\n[[service]]\nname = \"a\"\ncommand = [\"y\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("defined twice"), "{e}");
        let e = parse("[[service]]\nname = \"a\"\ncommand = [\"x\"]\nafter = [\"b\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("'a' needs 'b', which is not defined"), "{e}");
    }

    #[test]
    fn resolve_leaves_out_unmet_conditions_and_falls_back() {
        let mut f = parse(
            r#"
            [supervisor]
            bus = "unix:path=/run/bus"
            bus_service = "dbus"
            [[service]]
            name = "dbus"
            command = ["busd", "--print-address"]
            fallback_command = ["dbus-daemon", "--system"]
            [[service]]
            name = "lbd"
            command = ["lbd"]
            after = ["dbus"]
            [[service]]
            name = "vrrp"
            command = ["keepalived-rs"]
            condition_path = "${config_dir}/keepalived.conf"
            after = ["lbd"]
            [[service]]
            name = "webui"
            command = ["webui"]
            after = ["vrrp", "lbd"]
            "#,
        )
        .unwrap();
        let said = f.resolve(|p| p != Path::new("/cfg/keepalived.conf"), |p| p != "busd");
        assert_eq!(
            said,
            [
                "dbus: busd is not installed; running dbus-daemon",
                "vrrp: left out (/cfg/keepalived.conf does not exist)"
            ]
        );
        let names: Vec<_> = f.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["dbus", "lbd", "webui"]);
        assert_eq!(f.services[0].command, ["dbus-daemon", "--system"]);
        assert_eq!(f.services[2].after, ["lbd"]);
        assert!(crate::order::start_order(&f.services).is_ok());

        // Everything present: nothing changes.
        let mut g = f.clone();
        assert!(g.resolve(|_| true, |_| true).is_empty());
        assert_eq!(g, f);

        // The bus service itself left out: no D-Bus rather than a wait forever.
        let mut h = parse(
            "[supervisor]\nbus = \"unix:path=/b\"\nbus_service = \"dbus\"\n[[service]]\nname = \"dbus\"\ncommand = [\"x\"]\ncondition_path = \"/nope\"\n",
        )
        .unwrap();
        let said = h.resolve(|_| false, |_| true);
        assert_eq!(
            said.last().map(String::as_str),
            Some("no bus service: D-Bus is off")
        );
        assert_eq!(h.supervisor.bus, None);
        assert!(h.services.is_empty());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("s").is_err());
    }
}
