//! `show table`, `set table` and `clear table`, answering as 2.6 does
//! (stick_table.c's `cli_parse_table_req` and its I/O handler), including
//! its quirks: below `operator` a dump stops at the header, a key command
//! is refused, and a bare `clear table <t>` (or `set table <t>`) empties
//! the table silently or does nothing at all.

use super::usage::Cmd;
use super::Outcome;
use crate::config::model::CliLevel;
use crate::stick::{dump, DataType, KeyType, StickKey, StickTable, TableRegistry};

/// 2.6's `STKTABLE_FILTER_LEN`.
const MAX_FILTERS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Show,
    Clear,
    Set,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "le" => Op::Le,
            "lt" => Op::Lt,
            "ge" => Op::Ge,
            "gt" => Op::Gt,
            _ => return None,
        })
    }

    fn holds(self, data: i64, value: i64) -> bool {
        match self {
            Op::Eq => data == value,
            Op::Ne => data != value,
            Op::Le => data <= value,
            Op::Lt => data < value,
            Op::Ge => data >= value,
            Op::Gt => data > value,
        }
    }
}

struct Filter {
    data: DataType,
    op: Op,
    value: i64,
}

/// Runs one table command for a session at `level`.
pub fn run(tables: &TableRegistry, level: CliLevel, cmd: Cmd, args: &[String]) -> Outcome {
    let action = match cmd {
        Cmd::ShowTable => Action::Show,
        Cmd::ClearTable => Action::Clear,
        _ => Action::Set,
    };
    Outcome::text(answer(
        tables,
        level,
        action,
        args,
        crate::stick::clock::now_ms(),
    ))
}

fn answer(
    tables: &TableRegistry,
    level: CliLevel,
    action: Action,
    args: &[String],
    now: u64,
) -> String {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let oper = super::allowed(level, CliLevel::Operator);
    if arg(2).is_empty() {
        if action != Action::Show {
            return usage_error(action).into();
        }
        return tables.iter().map(|t| dump::head_line(t)).collect();
    }
    let Some(t) = tables.get(arg(2)) else {
        return "No such table\n".into();
    };
    let mut filters = Vec::new();
    if arg(3) == "key" {
        return per_key(t, oper, action, args, now);
    } else if arg(3).starts_with("data.") {
        if action == Action::Set {
            return "content-based lookup is only supported with the \"show\" and \"clear\" actions\n".into();
        }
        match parse_filters(t, args) {
            Ok(f) => filters = f,
            Err(e) => return e,
        }
    } else if !arg(3).is_empty() {
        return usage_error(action).into();
    }
    let keep = |d: &crate::stick::EntryData, now: u64| {
        filters.iter().all(|f| {
            let period = t.def().spec(f.data).map(|s| s.period_ms).unwrap_or(0);
            let v = d.read(f.data, 0, period, now).unwrap_or(0);
            f.op.holds(v, f.value)
        })
    };
    let mut out = String::new();
    if action == Action::Show {
        out.push_str(&dump::head_line(t));
        if !oper {
            out.push_str("# contents not dumped due to insufficient privileges\n");
            return out;
        }
        for e in t.snapshot(now) {
            if keep(&e.data, now) {
                out.push_str(&dump::entry_line(t.def(), &e, now));
            }
        }
    } else if oper {
        // 2.6 runs its clear loop for `set table <t>` without a key too.
        t.clear_where(now, keep);
    }
    out
}

fn usage_error(action: Action) -> &'static str {
    match action {
        Action::Show => "Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n",
        Action::Clear => "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>\n",
        Action::Set => "Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n",
    }
}

/// 2.6's `strl2llrc`: an optional `-` then digits, nothing else.
fn parse_ll(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_filters(t: &StickTable, args: &[String]) -> Result<Vec<Filter>, String> {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let mut out = Vec::new();
    let mut i = 0;
    while i < MAX_FILTERS {
        if i > 0 && arg(3 + 3 * i).is_empty() {
            break;
        }
        let n = i + 1;
        // 2.6 skips five characters without checking for `data.`.
        let name = arg(3 + 3 * i).get(5..).unwrap_or("");
        let Some(data) = DataType::from_name(name) else {
            return Err(format!("Filter entry #{n}: Unknown data type\n"));
        };
        if !t.def().stores(data) {
            return Err(format!(
                "Filter entry #{n}: Data type not stored in this table\n"
            ));
        }
        let Some(op) = Op::parse(arg(4 + 3 * i)) else {
            return Err(format!("Filter entry #{n}: Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n"));
        };
        let Some(value) = parse_ll(arg(5 + 3 * i)) else {
            return Err(format!(
                "Filter entry #{n}: Require a valid integer value to compare against\n"
            ));
        };
        out.push(Filter { data, op, value });
        i += 1;
    }
    if !arg(3 + 3 * i).is_empty() {
        return Err(format!(
            "Detected extra data in filter, {}th word of input, after '{}'\n",
            3 + 3 * i + 1,
            arg(2 + 3 * i)
        ));
    }
    Ok(out)
}

fn per_key(t: &StickTable, oper: bool, action: Action, args: &[String], now: u64) -> String {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    if arg(4).is_empty() {
        return "Key value expected\n".into();
    }
    let def = t.def();
    if def.key_type == KeyType::Binary {
        return match action {
            Action::Show => "Showing keys from tables of type other than ip, ipv6, string and integer is not supported\n",
            Action::Clear => "Removing keys from tables of type other than ip, ipv6, string and integer is not supported\n",
            Action::Set => "Inserting keys into tables of type other than ip, ipv6, string and integer is not supported\n",
        }
        .into();
    }
    let key = match StickKey::parse_cli(arg(4), def.key_type, def.key_size) {
        Ok(k) => k,
        Err(e) => return e.into(),
    };
    if !oper {
        return super::PERMISSION_DENIED.into();
    }
    match action {
        Action::Show => match t.snapshot_key(&key, now) {
            Some(e) => dump::head_line(t) + &dump::entry_line(def, &e, now),
            None => String::new(),
        },
        Action::Clear => match t.remove(&key) {
            Err(e) => format!("{e}\n"),
            Ok(_) => String::new(),
        },
        Action::Set => t
            .set_with(&key, now, |d| {
                // Values are written as they parse: an error keeps the
                // entry and what came before it, as 2.6 does.
                let mut i = 5;
                while !arg(i).is_empty() {
                    let Some(name) = arg(i).strip_prefix("data.") else {
                        return "\"data.<type>\" followed by a value expected\n".to_string();
                    };
                    let Some(dt) = DataType::from_name(name) else {
                        return "Unknown data type\n".into();
                    };
                    if !def.stores(dt) {
                        return "Data type not stored in this table\n".into();
                    }
                    let Some(v) = parse_ll(arg(i + 1)) else {
                        return "Require a valid integer value to store\n".into();
                    };
                    d.write(dt, 0, v, now);
                    i += 2;
                }
                String::new()
            })
            .unwrap_or_else(|| "Unable to allocate a new entry\n".into()),
    }
}
