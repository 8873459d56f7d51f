//! Services on the supervisor (`org.rampart.Supervisor1`): status, logs,
//! start/stop/restart, reboot and power off.

use std::time::Duration;

use lbapi::dbus::{LogLine, ServiceStatus, Supervisor1Proxy};

use crate::{unreachable, Cli, Cmd, Failure};

pub async fn proxy(cli: &Cli) -> Result<Supervisor1Proxy<'static>, Failure> {
    let conn = zbus::connection::Builder::address(cli.bus().as_str())
        .map_err(|e| unreachable("the bus", e))?
        .build()
        .await
        .map_err(|e| unreachable(&format!("the bus at {}", cli.bus()), e))?;
    Supervisor1Proxy::new(&conn)
        .await
        .map_err(|e| unreachable("the supervisor", e))
}

/// Maps a D-Bus error: a refused argument is the user's (1), the rest is
/// reachability (3).
pub fn call_err(e: zbus::Error) -> Failure {
    match &e {
        zbus::Error::MethodError(name, msg, _) if name.as_str().ends_with("InvalidArgs") => {
            Failure(1, msg.clone().unwrap_or_default())
        }
        _ => unreachable("the supervisor", e),
    }
}

pub async fn supervisor_cmd(cli: &Cli) -> Result<(), Failure> {
    let p = proxy(cli).await?;
    match &cli.cmd {
        Cmd::Status => {
            let list = p.list_services().await.map_err(call_err)?;
            let sum = crate::summary::gather(cli).await;
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({
                        "services": list, "lbd": sum.lbd, "vrrp": sum.vrrp,
                        "addresses": sum.addresses,
                    })
                );
            } else {
                print!("{}{}", status_table(&list), sum.text());
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
        _ => {}
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
pub fn status_table(list: &[ServiceStatus]) -> String {
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
