//! `lbctl vrrp`: keepalived-rs's instances and sync groups over
//! `org.rampart.Vrrp1`.

use lbapi::dbus::{InstanceStatus, SyncGroupStatus, Vrrp1Proxy};

use crate::{unreachable, Cli, Failure};

/// `3m05s`, `2h10m`, `4d3h`: short enough for a table column.
pub fn age(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d{h}h")
    } else if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

fn fit(mut line: String) -> String {
    if line.len() > 79 {
        let mut cut = 79;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
    }
    line
}

pub fn table(inst: &[InstanceStatus], groups: &[SyncGroupStatus]) -> String {
    if inst.is_empty() {
        return "No VRRP instances configured.\n".into();
    }
    let mut out = format!(
        "{:<10} {:<6} {:>3} {:<6} {:>7} {:<15} {:>5}  {}\n",
        "INSTANCE", "IFACE", "VID", "STATE", "PRIO", "MASTER", "SINCE", "VIPS"
    );
    for i in inst {
        let prio = if i.priority == i.effective_priority {
            i.priority.to_string()
        } else {
            format!("{}/{}", i.effective_priority, i.priority)
        };
        let master = if i.master_addr.is_empty() {
            "-"
        } else {
            &i.master_addr
        };
        let head = format!(
            "{:<10} {:<6} {:>3} {:<6} {:>7} {:<15} {:>5}  ",
            i.name,
            i.interface,
            i.vrid,
            i.state,
            prio,
            master,
            age(i.last_transition_secs)
        );
        // One VIP per line under the column: an address is never cut.
        let pad = " ".repeat(head.len());
        let mut vips = i.vips.iter();
        out += &fit(head + vips.next().map(String::as_str).unwrap_or("-"));
        out.push('\n');
        for v in vips {
            out += &fit(format!("{pad}{v}"));
            out.push('\n');
        }
    }
    for g in groups {
        out += &fit(format!(
            "sync group {}: {} ({})",
            g.name,
            g.state,
            g.instances.join(", ")
        ));
        out.push('\n');
    }
    out
}

fn call_err(e: zbus::Error) -> Failure {
    if let zbus::Error::MethodError(name, _, _) = &e {
        let n = name.as_str();
        if n.ends_with(".ServiceUnknown") || n.ends_with(".NameHasNoOwner") {
            return Failure(3, "keepalived-rs is not on the bus".into());
        }
    }
    unreachable("keepalived-rs", e)
}

pub async fn run(cli: &Cli) -> Result<(), Failure> {
    let bus = cli.bus();
    let conn = zbus::connection::Builder::address(bus.as_str())
        .map_err(|e| unreachable("the bus", e))?
        .build()
        .await
        .map_err(|e| unreachable(&format!("the bus at {bus}"), e))?;
    let p = Vrrp1Proxy::new(&conn)
        .await
        .map_err(|e| unreachable("keepalived-rs", e))?;
    let inst = p.instances().await.map_err(call_err)?;
    let groups = p.sync_groups().await.map_err(call_err)?;
    if cli.json {
        println!(
            "{}",
            serde_json::json!({"instances": inst, "sync_groups": groups})
        );
    } else {
        print!("{}", table(&inst, &groups));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(age(5), "5s");
        assert_eq!(age(185), "3m05s");
        assert_eq!(age(7800), "2h10m");
        assert_eq!(age(3 * 86400 + 7200), "3d2h");
    }
}
