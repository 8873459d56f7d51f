//! lbctl: the operator's command line. Talks to the supervisor over D-Bus
//! (`org.rampart.Supervisor1`) and to lbd over its runtime socket. Output
//! fits an 80-column console; `--json` prints machine-readable results.
//!
//! Exit codes: 0 done, 1 the request failed (unknown service, refused
//! command), 2 usage error, 3 cannot reach the supervisor or lbd.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use lbapi::dbus::{LogLine, ServiceStatus, Supervisor1Proxy};
use lbapi::{AdminState, Endpoint, RowType, RuntimeClient};

#[derive(Parser, Debug)]
#[command(name = "lbctl", version, about = "Control a Rampart appliance")]
struct Cli {
    /// D-Bus address of the supervisor's bus.
    #[arg(
        long,
        env = "RAMPART_BUS",
        default_value = "unix:path=/run/dbus/system_bus_socket"
    )]
    bus: String,
    /// lbd's runtime socket (`stats socket`).
    #[arg(long, env = "LBCTL_SOCKET", default_value = "/run/lbd.sock")]
    socket: String,
    /// Machine-readable output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
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
}

/// A failure and the exit code that names its kind.
struct Failure(u8, String);

fn unreachable(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure(3, format!("cannot reach {what}: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, msg)) => {
            eprintln!("lbctl: {msg}");
            ExitCode::from(code)
        }
    }
}

fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.cmd {
        Cmd::Stats => return stats(cli),
        Cmd::Server {
            target,
            action,
            value,
        } => return server(cli, target, action, *value),
        _ => {}
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure(1, e.to_string()))?;
    rt.block_on(supervisor_cmd(cli))
}

async fn proxy(cli: &Cli) -> Result<Supervisor1Proxy<'static>, Failure> {
    let conn = zbus::connection::Builder::address(cli.bus.as_str())
        .map_err(|e| unreachable("the bus", e))?
        .build()
        .await
        .map_err(|e| unreachable(&format!("the bus at {}", cli.bus), e))?;
    Supervisor1Proxy::new(&conn)
        .await
        .map_err(|e| unreachable("the supervisor", e))
}

/// Maps a D-Bus error: a refused argument is the user's (1), the rest is
/// reachability (3).
fn call_err(e: zbus::Error) -> Failure {
    match &e {
        zbus::Error::MethodError(name, msg, _) if name.as_str().ends_with("InvalidArgs") => {
            Failure(1, msg.clone().unwrap_or_default())
        }
        _ => unreachable("the supervisor", e),
    }
}

async fn supervisor_cmd(cli: &Cli) -> Result<(), Failure> {
    let p = proxy(cli).await?;
    match &cli.cmd {
        Cmd::Status => {
            let list = p.list_services().await.map_err(call_err)?;
            if cli.json {
                println!("{}", serde_json::json!({ "services": list }));
            } else {
                print!("{}", status_table(&list));
            }
        }
        Cmd::Logs {
            service,
            lines,
            follow,
        } => {
            let names: Vec<String> = match service {
                Some(s) => vec![s.clone()],
                None => p
                    .list_services()
                    .await
                    .map_err(call_err)?
                    .into_iter()
                    .map(|s| s.name)
                    .collect(),
            };
            let prefix = names.len() > 1;
            let mut last = vec![0u64; names.len()];
            for (k, n) in names.iter().enumerate() {
                let tail = p.log_tail(n, *lines).await.map_err(call_err)?;
                print_lines(cli.json, n, prefix, &tail, &mut last[k]);
            }
            // -f: poll until interrupted (Ctrl-C ends the process).
            if !*follow {
                return Ok(());
            }
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                for (k, n) in names.iter().enumerate() {
                    let new = p.log_since(n, last[k]).await.map_err(call_err)?;
                    print_lines(cli.json, n, prefix, &new, &mut last[k]);
                }
            }
        }
        Cmd::Start { service } => p.start(service).await.map_err(call_err)?,
        Cmd::Stop { service } => p.stop(service).await.map_err(call_err)?,
        Cmd::Restart { service } => p.restart(service).await.map_err(call_err)?,
        Cmd::Reboot => p.reboot().await.map_err(call_err)?,
        Cmd::Poweroff => p.power_off().await.map_err(call_err)?,
        Cmd::Stats | Cmd::Server { .. } => {}
    }
    Ok(())
}

fn print_lines(json: bool, name: &str, prefix: bool, lines: &[LogLine], last: &mut u64) {
    for l in lines {
        if json {
            println!(
                "{}",
                serde_json::json!({"service": name, "seq": l.seq, "stream": l.stream, "line": l.line})
            );
        } else if prefix {
            println!("{name}| {}", l.line);
        } else {
            println!("{}", l.line);
        }
        *last = (*last).max(l.seq);
    }
}

/// The 80-column services table.
fn status_table(list: &[ServiceStatus]) -> String {
    let mut out = format!(
        "{:<14} {:<10} {:>7} {:>4}  {}\n",
        "SERVICE", "STATE", "PID", "RST", "LAST EXIT / STATUS"
    );
    for s in list {
        let pid = if s.pid == 0 {
            "-".to_string()
        } else {
            s.pid.to_string()
        };
        let note = match (s.status_text.is_empty(), s.last_exit.is_empty()) {
            (false, _) => s.status_text.clone(),
            (true, false) => s.last_exit.clone(),
            (true, true) => String::new(),
        };
        let mut line = format!(
            "{:<14} {:<10} {:>7} {:>4}  {}",
            s.name,
            s.state.word(),
            pid,
            s.restarts,
            note
        );
        line.truncate(79);
        out += &line;
        out.push('\n');
    }
    out
}

fn client(cli: &Cli) -> Result<RuntimeClient, Failure> {
    let ep: Endpoint = cli.socket.parse().map_err(|e| Failure(2, format!("{e}")))?;
    Ok(RuntimeClient::new(ep))
}

fn api_err(e: lbapi::ApiError) -> Failure {
    match e {
        lbapi::ApiError::Connect { .. } => unreachable("lbd", e),
        other => Failure(1, other.to_string()),
    }
}

fn stats(cli: &Cli) -> Result<(), Failure> {
    let rows = client(cli)?.show_stat().map_err(api_err)?;
    if cli.json {
        let v: Vec<_> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "proxy": r.pxname(), "name": r.svname(), "status": r.status(),
                    "weight": r.weight(), "scur": r.scur(), "stot": r.stot(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
        return Ok(());
    }
    println!(
        "{:<20} {:<16} {:<8} {:>6} {:>6} {:>10}",
        "PROXY", "NAME", "STATUS", "WEIGHT", "CUR", "TOTAL"
    );
    for r in &rows {
        let w = match r.row_type() {
            Some(RowType::Server) | Some(RowType::Backend) => {
                r.weight().map(|w| w.to_string()).unwrap_or_default()
            }
            _ => String::new(),
        };
        println!(
            "{:<20} {:<16} {:<8} {:>6} {:>6} {:>10}",
            r.pxname(),
            r.svname(),
            r.status(),
            w,
            r.scur().unwrap_or(0),
            r.stot().unwrap_or(0)
        );
    }
    Ok(())
}

fn server(cli: &Cli, target: &str, action: &str, value: Option<u32>) -> Result<(), Failure> {
    let Some((be, srv)) = target.split_once('/') else {
        return Err(Failure(2, format!("'{target}': expected BACKEND/SERVER")));
    };
    let c = client(cli)?;
    let state = match action {
        "drain" => Some(AdminState::Drain),
        "maint" => Some(AdminState::Maint),
        "ready" => Some(AdminState::Ready),
        "weight" => None,
        _ => {
            return Err(Failure(
                2,
                format!("'{action}': expected drain, maint, ready or weight N"),
            ))
        }
    };
    match (state, value) {
        (Some(st), None) => c.set_server_state(be, srv, st).map_err(api_err)?,
        (None, Some(w)) => c.set_server_weight(be, srv, w).map_err(api_err)?,
        (None, None) => return Err(Failure(2, "weight needs a value".into())),
        (Some(_), Some(_)) => return Err(Failure(2, format!("{action} takes no value"))),
    }
    if cli.json {
        println!(
            "{}",
            serde_json::json!({"server": target, "action": action, "ok": true})
        );
    }
    Ok(())
}
