//! The map and ACL commands of the CLI (spec 6, 7.6): `show|get|set|add|del|
//! clear|prepare|commit map|acl`, over the runtime's pattern registry. 2.6
//! runs them at any level.

use super::commands::Outcome;
use crate::pattern::{PatternRef, PatternRegistry, RefKind};
use crate::sample::{Sample, SampleType};
use std::fmt::Write as _;
use std::sync::Arc;

/// Runs the command when it is a map/ACL one; None otherwise.
pub fn execute(reg: &PatternRegistry, args: &[String], payload: Option<&str>) -> Option<Outcome> {
    let verb = args.first()?.as_str();
    let what = args.get(1)?.as_str();
    let kind = match what {
        "map" => RefKind::Map,
        "acl" => RefKind::Acl,
        _ => return None,
    };
    if !matches!(
        verb,
        "show" | "get" | "set" | "add" | "del" | "clear" | "prepare" | "commit"
    ) {
        return None;
    }
    let mut rest: Vec<&str> = args[2..]
        .iter()
        .map(String::as_str)
        .filter(|a| !a.is_empty())
        .collect();
    let ver = match rest.first().and_then(|a| a.strip_prefix('@')) {
        Some(v) => {
            let v = v.parse::<u32>().ok();
            rest.remove(0);
            v
        }
        None => None,
    };
    let unknown = || {
        Outcome::text(match kind {
            RefKind::Map => "Unknown map identifier. Please use #<id> or <file>.\n",
            RefKind::Acl => "Unknown ACL identifier. Please use #<id> or <file>.\n",
        })
    };
    if verb == "show" && rest.is_empty() {
        return Some(Outcome::text(list(reg, kind)));
    }
    let r = match rest.first() {
        Some(n) => match reg.find(n, kind) {
            Some(r) => r,
            None => return Some(unknown()),
        },
        None => {
            return Some(Outcome::text(match (verb, kind) {
                ("get", RefKind::Map) => "Missing map identifier and/or key.\n",
                ("get", RefKind::Acl) => "Missing ACL identifier and/or key.\n",
                ("set", _) => "'set map' expects three parameters: map identifier, key and value.\n",
                ("add", RefKind::Map) => "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n",
                ("add", RefKind::Acl) => "'add acl' expects two parameters: ACL identifier and pattern.\n",
                ("del", _) => "This command expects two parameters: map identifier and key.\n",
                _ => "Missing map identifier.\n",
            }))
        }
    };
    let text = |s: &str| Some(Outcome::text(s.to_string()));
    match verb {
        "show" => Some(Outcome::text(show(&r, ver))),
        "get" => match rest.get(1) {
            Some(k) => Some(Outcome::text(get(&r, kind, k))),
            None => text(if kind == RefKind::Map {
                "Missing map identifier and/or key.\n"
            } else {
                "Missing ACL identifier and/or key.\n"
            }),
        },
        "set" => {
            if rest.len() < 3 {
                return text(
                    "'set map' expects three parameters: map identifier, key and value.\n",
                );
            }
            match r.set(rest[1], &rest[2..].join(" ")) {
                Ok(true) => Some(Outcome::none()),
                Ok(false) => text(if rest[1].starts_with('#') {
                    "key or pattern not found.\n"
                } else {
                    "entry not found.\n"
                }),
                Err(e) => Some(Outcome::text(format!("{e}.\n"))),
            }
        }
        "add" => {
            if kind == RefKind::Acl && r.kind() == RefKind::Map {
                return text("This ACL is shared with a map containing samples. You must use the command 'add map' to add values.\n");
            }
            let mut kv: Vec<(String, Option<String>)> = Vec::new();
            match (kind, rest.len(), payload) {
                (RefKind::Map, 1, Some(p)) => {
                    for line in p.lines().map(str::trim).filter(|l| !l.is_empty()) {
                        let (k, v) = line.split_once([' ', '\t']).unwrap_or((line, ""));
                        kv.push((k.to_string(), Some(v.trim().to_string())));
                    }
                }
                (RefKind::Acl, 1, Some(p)) => {
                    kv.extend(p.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| (l.to_string(), None)));
                }
                (RefKind::Map, n, _) if n >= 3 => kv.push((rest[1].to_string(), Some(rest[2..].join(" ")))),
                (RefKind::Acl, n, _) if n >= 2 => kv.push((rest[1].to_string(), None)),
                (RefKind::Map, _, _) => return text("'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n"),
                (RefKind::Acl, _, _) => return text("'add acl' expects two parameters: ACL identifier and pattern.\n"),
            }
            match r.add_many(ver, &kv) {
                Ok(()) => Some(Outcome::none()),
                Err(e) => Some(Outcome::text(format!("{e}.\n"))),
            }
        }
        "del" => {
            let Some(k) = rest.get(1) else {
                return text("This command expects two parameters: map identifier and key.\n");
            };
            match r.del(k) {
                Ok(true) => Some(Outcome::none()),
                _ => text("Key not found.\n"),
            }
        }
        "clear" => match r.clear(ver) {
            Ok(()) => Some(Outcome::none()),
            Err(e) => Some(Outcome::text(format!("{e}.\n"))),
        },
        "prepare" => Some(Outcome::text(format!(
            "New version created: {}\n",
            r.prepare()
        ))),
        _ => {
            let Some(v) = ver else {
                return text("Missing version number.\n");
            };
            match r.commit(v) {
                Ok(()) => Some(Outcome::none()),
                Err(_) => text("Version number out of range.\n"),
            }
        }
    }
}

fn list(reg: &PatternRegistry, kind: RefKind) -> String {
    let mut out = String::from("# id (file) description\n");
    for r in reg.list(kind) {
        let (cur, next, n) = r.versions();
        let _ = writeln!(
            out,
            "{} ({}) {}. curr_ver={cur} next_ver={next} entry_cnt={n}",
            r.id(),
            r.name(),
            r.desc()
        );
    }
    out
}

fn show(r: &Arc<PatternRef>, ver: Option<u32>) -> String {
    let mut out = String::new();
    for e in r.entries(ver) {
        match &e.value {
            Some(v) if r.kind() == RefKind::Map => {
                let _ = writeln!(out, "0x{:x} {} {v}", e.uid, e.key);
            }
            _ => {
                let _ = writeln!(out, "0x{:x} {}", e.uid, e.key);
            }
        }
    }
    out
}

fn get(r: &Arc<PatternRef>, kind: RefKind, key: &str) -> String {
    let mut out = String::new();
    let s = Sample::Str(key.as_bytes().to_vec());
    r.lookup_views(&s, &mut |method, icase, ty, tree, hit| {
        let case = if icase { "insensitive" } else { "sensitive" };
        let head = format!("type={}, case={case}, ", method.name());
        let (yes, no) = match kind {
            RefKind::Map => ("found=yes", "found=no"),
            RefKind::Acl => ("match=yes", "match=no"),
        };
        match hit {
            None => {
                let _ = writeln!(out, "{head}{no}");
            }
            Some(h) => {
                let idx = if tree { "tree" } else { "list" };
                match kind {
                    RefKind::Map => {
                        let v = h
                            .value
                            .map(|v| String::from_utf8_lossy(&v.to_text()).into_owned())
                            .unwrap_or_default();
                        let t = match ty {
                            Some(SampleType::Sint) => "int",
                            Some(SampleType::Addr | SampleType::Ipv4 | SampleType::Ipv6) => "ip",
                            _ => "str",
                        };
                        let _ = writeln!(
                            out,
                            "{head}{yes}, idx={idx}, key=\"{}\", value=\"{v}\", type=\"{t}\"",
                            h.key
                        );
                    }
                    RefKind::Acl => {
                        let _ = writeln!(out, "{head}{yes}, idx={idx}, pattern=\"{}\"", h.key);
                    }
                }
            }
        }
    });
    out
}
