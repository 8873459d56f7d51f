//! lbd's runtime socket (`stats socket`): the stats table and server
//! actions, as an operator would type them into socat.

use lbapi::{AdminState, Endpoint, RowType, RuntimeClient};

use crate::{unreachable, Cli, Failure};

pub fn client(cli: &Cli) -> Result<RuntimeClient, Failure> {
    let ep: Endpoint = cli
        .socket()
        .parse()
        .map_err(|e| Failure(2, format!("{e}")))?;
    Ok(RuntimeClient::new(ep))
}

pub fn api_err(e: lbapi::ApiError) -> Failure {
    match e {
        lbapi::ApiError::Connect { .. } => unreachable("lbd", e),
        other => Failure(1, other.to_string()),
    }
}

pub fn stats(cli: &Cli) -> Result<(), Failure> {
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

pub fn server(cli: &Cli, target: &str, action: &str, value: Option<u32>) -> Result<(), Failure> {
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
