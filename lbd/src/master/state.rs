//! What a new process takes over from the one it replaces ([`Carried`]:
//! a `-W` worker from the previous worker, a `-x` upgrade from the process
//! it names), and the `server-state-file` 2.6 reads at start-up
//! ([`apply_state_files`]). Server state arrives as `show servers state`
//! text (src/server_state.c, srv_state_srv_update) and becomes runtime API
//! commands, with the same precedence rules as an in-process reload: a
//! change in the configuration wins, and the state set at run time stands
//! where the configuration did not move. Stick tables go through
//! [`crate::stick::carry`].

use crate::api::{execute, Api, SessionState};
use crate::config::model::CliLevel;
use crate::runtime::{Runtime, ServerEvent, ServerObserver};
use std::collections::HashMap;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

/// What a new process takes over from the one it replaces: the previous
/// worker under `-W`, or the process named by `-x` on a binary upgrade.
/// Asked on its CLI before this process serves; applied once the runtime
/// is built. A previous process that does not know a request (HAProxy,
/// another lbd version) answers an error, which carries nothing.
#[derive(Debug, Default)]
pub struct Carried {
    /// Its `show servers state` (the rows that carry something).
    pub servers: Option<String>,
    /// Its stick tables (`_carried_tables`, see [`crate::stick::carry`]).
    pub tables: Option<String>,
}

impl Carried {
    /// Asks the previous process, over connections from `connect`.
    pub fn read(connect: impl Fn() -> Option<UnixStream>) -> Carried {
        let ask = |cmd: &[u8], limit: Duration| -> Option<String> {
            let mut s = connect()?;
            s.set_read_timeout(Some(limit)).ok()?;
            s.set_write_timeout(Some(limit)).ok()?;
            std::io::Write::write_all(&mut s, cmd).ok()?;
            let mut out = String::new();
            std::io::Read::read_to_string(&mut s, &mut out).ok()?;
            Some(out)
        };
        // Only the rows that carry something are asked for; a process that
        // does not know that request is asked for the whole state.
        let servers = match ask(b"_carried_servers_state\n", Duration::from_secs(2)) {
            Some(t) if t.starts_with("1\n") => Some(t),
            _ => ask(b"show servers state\n", Duration::from_secs(2)),
        };
        // Big tables are megabytes of text: more time than for the state.
        let tables = ask(b"_carried_tables\n", Duration::from_secs(5));
        Carried { servers, tables }
    }

    /// Brings `runtime` to what was carried.
    pub fn apply(&self, runtime: &Arc<Runtime>) {
        if let Some(old) = &self.servers {
            apply(runtime, old);
        }
        if let Some(text) = &self.tables {
            crate::stick::carry::import(&runtime.tables, text, crate::stick::clock::now_ms());
        }
    }
}

const ADMF_FMAINT: u32 = 0x01;
const ADMF_CMAINT: u32 = 0x04;
const ADMF_FDRAIN: u32 = 0x08;

/// One server's row of `show servers state`, the fields that carry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    admin: u32,
    uweight: u32,
    iweight: u32,
}

/// One row of `show servers state`: `((backend, server), fields)`.
fn row(line: &str) -> Option<((&str, &str), Row)> {
    if line.starts_with('#') {
        return None;
    }
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 9 {
        return None;
    }
    Some((
        (f[1], f[3]),
        Row {
            admin: f[6].parse().ok()?,
            uweight: f[7].parse().ok()?,
            iweight: f[8].parse().ok()?,
        },
    ))
}

/// Whether a server's old row can change anything on the new worker:
/// one that was neither in maintenance nor drained nor reweighted at run
/// time gives no command whatever the new configuration says.
fn carries(o: &Row) -> bool {
    o.admin != 0 || o.uweight != o.iweight
}

/// The commands that bring server `be/srv` from its new state `n` to the
/// state `o` the old worker had.
fn commands(be: &str, srv: &str, o: &Row, n: &Row, out: &mut Vec<String>) {
    let name = format!("{be}/{srv}");
    let config_moved = (o.admin & ADMF_CMAINT) != (n.admin & ADMF_CMAINT);
    let maint = !config_moved && o.admin & ADMF_FMAINT != 0;
    if o.iweight == n.iweight && o.uweight != n.uweight {
        out.push(format!("set server {name} weight {}", o.uweight));
    }
    if maint {
        out.push(format!("set server {name} state maint"));
    } else if o.admin & ADMF_FDRAIN != 0 {
        out.push(format!("set server {name} state drain"));
    } else if !config_moved && n.admin & ADMF_FMAINT != 0 {
        // `disabled` in the configuration, lifted at run time.
        out.push(format!("set server {name} state ready"));
    }
}

/// The commands that bring the new worker's servers (`new`, its own
/// `show servers state`) to the state the old worker had (`old`).
#[cfg(test)]
fn carry_commands(old: &str, new: &str) -> Vec<String> {
    let old: HashMap<(&str, &str), Row> = old.lines().filter_map(row).collect();
    let mut new: Vec<((&str, &str), Row)> = new.lines().filter_map(row).collect();
    new.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    for ((be, srv), n) in new {
        if let Some(o) = old.get(&(be, srv)).filter(|o| carries(o)) {
            commands(be, srv, o, &n, &mut out);
        }
    }
    out
}

/// `load-server-state-from-file`: the state 2.6 reads at start-up from the
/// file an operator dumped with `show servers state` (globally
/// `server-state-file`, or per backend `server-state-file-name`, both
/// under `server-state-base`). Rows apply to the backends that ask for
/// their file, with the precedence rules of [`apply`]. Returns 2.6's
/// warnings for files that cannot be read.
pub fn apply_state_files(runtime: &Arc<Runtime>) -> Vec<String> {
    use crate::config::model::LoadServerState;
    let g = &runtime.global;
    let resolve = |f: &str| match &g.server_state_base {
        Some(base) if !f.starts_with('/') => {
            format!("{}/{f}", base.trim_end_matches('/'))
        }
        _ => f.to_string(),
    };
    let mut files: HashMap<String, Option<String>> = HashMap::new();
    let mut warnings = Vec::new();
    let mut rows = String::from("1\n");
    for be in &runtime.backends {
        let path = match be.conf.load_server_state {
            LoadServerState::None => continue,
            LoadServerState::Global => match &g.server_state_file {
                Some(f) => resolve(f),
                None => continue,
            },
            LoadServerState::Local => resolve(
                be.conf
                    .server_state_file_name
                    .as_deref()
                    .unwrap_or(&be.name),
            ),
        };
        let text =
            files
                .entry(path.clone())
                .or_insert_with(|| match std::fs::read_to_string(&path) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        warnings.push(format!("Can't open server state file '{path}': {e}"));
                        None
                    }
                });
        let Some(text) = text else { continue };
        for line in text.lines().skip(1) {
            if row(line).is_some_and(|((b, _), _)| b == be.name) {
                rows.push_str(line);
                rows.push('\n');
            }
        }
    }
    apply(runtime, &rows);
    warnings
}

/// Applying saved state says nothing, as 2.6 loading a state file.
struct Silent;

impl ServerObserver for Silent {
    fn on_change(&self, _ev: &ServerEvent<'_>) {}
}

/// Brings `runtime`'s servers to the state in `old` (the previous worker's
/// `show servers state`). Only the rows that carry something are looked
/// up: with 10,000 servers and nothing set at run time, a reload does no
/// work here.
pub fn apply(runtime: &Arc<Runtime>, old: &str) {
    let wanted: Vec<((&str, &str), Row)> = old
        .lines()
        .filter_map(row)
        .filter(|(_, o)| carries(o))
        .collect();
    if wanted.is_empty() {
        return;
    }
    let backends: HashMap<&str, &crate::runtime::Backend> = runtime
        .backends
        .iter()
        .map(|b| (b.name.as_str(), &**b))
        .collect();
    let mut cmds = Vec::new();
    for ((be, srv), o) in &wanted {
        let Some(s) = backends
            .get(be)
            .and_then(|b| b.servers.iter().find(|s| s.name == *srv))
        else {
            continue;
        };
        let (admin, uweight, iweight) = crate::stats::carried_fields(s);
        let n = Row {
            admin,
            uweight,
            iweight,
        };
        commands(be, srv, o, &n, &mut cmds);
    }
    let api = Api::new(
        runtime.clone(),
        Arc::new(crate::stats::RuntimeStats {
            runtime: runtime.clone(),
        }),
        Arc::new(Silent),
    );
    let mut st = SessionState {
        level: CliLevel::Admin,
        prompt: false,
        timeout: std::time::Duration::from_secs(1),
        id: 0,
    };
    for cmd in cmds {
        let words: Vec<String> = cmd.split_whitespace().map(String::from).collect();
        execute(&api, &mut st, &words, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight\n";

    fn state(rows: &[&str]) -> String {
        format!("{HEAD}{}\n", rows.join("\n"))
    }

    #[test]
    fn runtime_state_carries_where_the_configuration_did_not_move() {
        let old = state(&[
            "3 be 1 s1 127.0.0.1 2 1 1 1 0",
            "3 be 2 s2 127.0.0.1 2 8 1 1 0",
            "3 be 3 s3 127.0.0.1 2 0 5 1 0",
            "3 be 4 s4 127.0.0.1 2 5 1 1 0",
            "3 be 5 gone 127.0.0.1 2 1 1 1 0",
            "3 be 7 s7 127.0.0.1 2 4 1 1 0",
        ]);
        let new = state(&[
            "3 be 1 s1 127.0.0.1 2 0 1 1 0",
            "3 be 2 s2 127.0.0.1 2 0 1 1 0",
            "3 be 3 s3 127.0.0.1 2 0 1 1 0",
            // `disabled` removed from the configuration: it wins.
            "3 be 4 s4 127.0.0.1 2 0 1 1 0",
            "3 be 6 new 127.0.0.1 2 0 1 1 0",
            "3 be 7 s7 127.0.0.1 2 5 1 1 0",
        ]);
        assert_eq!(
            carry_commands(&old, &new),
            vec![
                "set server be/s1 state maint",
                "set server be/s2 state drain",
                "set server be/s3 weight 5",
                "set server be/s7 state ready",
            ]
        );
    }

    #[test]
    fn a_weight_changed_in_the_configuration_wins() {
        let old = state(&["3 be 1 s1 127.0.0.1 2 0 5 1 0"]);
        let new = state(&["3 be 1 s1 127.0.0.1 2 0 2 2 0"]);
        assert!(carry_commands(&old, &new).is_empty());
    }

    #[test]
    fn damaged_rows_of_a_state_file_are_skipped_and_the_rest_applies() {
        let old = state(&[
            "3 be 1 s1 127.0.0.1 2 1 1 1 0",
            "3 be 2 s2",
            "3 be 2 s2 127.0.0.1 2 x 1 1 0",
            "3 be 2 s2 127.0.0.1 2 99999999999999999999 1 1 0",
            "\u{1b}[2J\u{0}garbage",
            "",
        ]);
        let new = state(&[
            "3 be 1 s1 127.0.0.1 2 0 1 1 0",
            "3 be 2 s2 127.0.0.1 2 0 1 1 0",
        ]);
        assert_eq!(
            carry_commands(&old, &new),
            vec!["set server be/s1 state maint"]
        );
    }
}
