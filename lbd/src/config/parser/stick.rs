//! `stick-table` and `stick on|match|store-request|store-response` in proxy
//! sections, with 2.6's messages (`parse_stick_table` and the `stick`
//! branch of cfgparse-listen.c). Expressions and conditions stay words here;
//! the rules engine compiles them.

use super::super::diag::Diagnostic;
use super::super::units::{self, UnitError};
use super::{Loader, Status, Target};
use crate::stick::{DataType, KeyType, SrvKey, StickRule, StickRuleKind, StickTableDef, StoreSpec};
use std::borrow::Borrow;

/// 2.6's `STKTABLE_MAX_DT_ARRAY_SIZE`.
const MAX_ARRAY: u32 = 100;

pub(crate) fn keyword(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    if words[0] == "stick-table" {
        stick_table(l, t, words)
    } else {
        stick(l, t, words)
    }
}

fn stick_table(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    if l.draft(t).is_defaults {
        return l.alert("'stick-table' is not supported in 'defaults' section.");
    }
    let name = l.draft(t).proxy.name.clone();
    let clash = l.drafts.iter().find_map(|d| {
        let tb = d.proxy.stick_table.as_ref()?;
        (tb.name == name).then(|| (d.type_str(), d.proxy.name.clone(), tb.location.clone()))
    });
    if let Some((ty, other, loc)) = clash {
        return l.alert(format_args!(
            "stick-table name '{name}' conflicts with table declared in {ty} '{other}' at {}:{}.",
            loc.file, loc.line
        ));
    }
    let location = l.loc();
    match parse_table(words, name, location) {
        Ok((def, _)) if def.peers.is_some() => {
            // Tables are not synchronised: refusing beats silently diverging.
            l.alert("'stick-table ... peers' is not supported yet by lbd.")
        }
        Ok((def, warnings)) => {
            for w in warnings {
                // 2.6 spells this one `parsing [f:l]:`, without the space.
                let text = format!("config : parsing [{}:{}]: {w}", l.file, l.line);
                l.diags.push(Diagnostic::warning(text));
            }
            l.draft(t).proxy.stick_table = Some(def);
            Status::default()
        }
        Err(Msg::Alert(m)) => l.alert(m),
        Err(Msg::AlertNc(m)) => l.alert_nc(m),
    }
}

/// An alert's text and which of 2.6's two spellings of the prefix it uses.
#[derive(Debug, PartialEq, Eq)]
enum Msg {
    /// `parsing [f:l] : ...`
    Alert(String),
    /// `parsing [f:l]: ...`
    AlertNc(String),
}

fn alert(s: String) -> Msg {
    Msg::Alert(s)
}

/// Parses the words of a `stick-table` line into a definition and the
/// warnings to print.
fn parse_table(
    words: &[String],
    name: String,
    location: crate::config::model::Location,
) -> Result<(StickTableDef, Vec<String>), Msg> {
    let kw = &words[0];
    let arg = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let mut key: Option<(KeyType, usize)> = None;
    let mut size: u64 = 0;
    let mut expire = None;
    let mut nopurge = false;
    let mut peers = None;
    let mut srvkey = SrvKey::Name;
    let mut store: Vec<StoreSpec> = Vec::new();
    let mut warnings = Vec::new();
    let mut i = 1;
    while !arg(i).is_empty() {
        match arg(i) {
            "size" => {
                i += 1;
                if arg(i).is_empty() {
                    return Err(alert(format!("{kw}: missing argument after 'size'.")));
                }
                size = match units::parse_size(arg(i)) {
                    Ok(v) => v,
                    Err(UnitError::BadChar(c)) => {
                        return Err(alert(format!(
                            "{kw}: unexpected character '{c}' in argument of 'size'."
                        )))
                    }
                    // 2.6 keeps the low 32 bits of an oversized value.
                    Err(_) => u64::from(u32::MAX),
                };
                i += 1;
            }
            "peers" => {
                i += 1;
                if arg(i).is_empty() {
                    return Err(alert(format!("{kw}: missing argument after 'peers'.")));
                }
                peers = Some(arg(i).to_string());
                i += 1;
            }
            "expire" => {
                i += 1;
                let a = arg(i);
                if a.is_empty() {
                    return Err(alert(format!("{kw}: missing argument after 'expire'.")));
                }
                expire = Some(match units::parse_time(a) {
                    Ok(v) => v as u32,
                    Err(UnitError::Overflow) => {
                        return Err(Msg::AlertNc(format!(
                            "{kw}: timer overflow in argument <{a}> to <expire>, maximum value is 2147483647 ms (~24.8 days)."
                        )))
                    }
                    Err(UnitError::BadChar(c)) => {
                        return Err(alert(format!(
                            "{kw}: unexpected character '{c}' in argument of 'expire'."
                        )))
                    }
                    Err(UnitError::Empty) => 0,
                });
                i += 1;
            }
            "nopurge" => {
                nopurge = true;
                i += 1;
            }
            "type" => {
                i += 1;
                let (ty, default) = match arg(i) {
                    "ip" => (KeyType::Ip, 4),
                    "ipv6" => (KeyType::Ipv6, 16),
                    "integer" => (KeyType::Integer, 4),
                    "string" => (KeyType::String, 32),
                    "binary" => (KeyType::Binary, 32),
                    other => return Err(alert(format!("{kw}: unknown type '{other}'."))),
                };
                i += 1;
                let mut ksize = default;
                if matches!(ty, KeyType::String | KeyType::Binary) && arg(i) == "len" {
                    i += 1;
                    // atol(): leading digits; 0 (or none) is refused.
                    let n = units::atoi(arg(i)).max(0) as usize;
                    if n == 0 {
                        return Err(alert(format!("{kw}: unknown type '{}'.", arg(i))));
                    }
                    ksize = if ty == KeyType::String { n + 1 } else { n };
                    i += 1;
                }
                key = Some((ty, ksize));
            }
            "store" => {
                i += 1;
                parse_store(kw, arg(i), &mut store, &mut warnings)?;
                i += 1;
                let has = |t| store.iter().any(|s: &StoreSpec| s.data == t);
                if has(DataType::Gpt) && has(DataType::Gpt0) {
                    return Err(alert(format!("{kw}: simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' overrides 'gpt0'.")));
                }
                if has(DataType::Gpc) && (has(DataType::Gpc0) || has(DataType::Gpc1)) {
                    return Err(alert(format!("{kw}: simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'.")));
                }
                if has(DataType::GpcRate) && (has(DataType::Gpc0Rate) || has(DataType::Gpc1Rate)) {
                    return Err(alert(format!("{kw}: simultaneous usage of 'gpc_rate' and 'gpc[0/1]_rate' in a same table is not permitted as 'gpc_rate' overrides 'gpc[0/1]_rate'.")));
                }
            }
            "srvkey" => {
                i += 1;
                srvkey = match arg(i) {
                    "name" => SrvKey::Name,
                    "addr" => SrvKey::Addr,
                    other => {
                        return Err(alert(format!("{kw} : unknown server key type '{other}'.")))
                    }
                };
                i += 1;
            }
            other => return Err(alert(format!("{kw}: unknown argument '{other}'."))),
        }
    }
    if size == 0 {
        return Err(alert(format!("{kw}: missing size.")));
    }
    let Some((key_type, key_size)) = key else {
        return Err(alert(format!("{kw}: missing type.")));
    };
    store.sort_by_key(|s| s.data);
    let def = StickTableDef {
        name,
        key_type,
        key_size,
        size: size.min(u64::from(u32::MAX)) as u32,
        expire_ms: expire.filter(|&e| e > 0),
        nopurge,
        peers,
        srvkey,
        store,
        location,
    };
    Ok((def, warnings))
}

/// One `store` argument: a comma-separated list of `name[(arg[,arg2])]`.
fn parse_store(
    kw: &str,
    list: &str,
    store: &mut Vec<StoreSpec>,
    warnings: &mut Vec<String>,
) -> Result<(), Msg> {
    let mut rest = list;
    while !rest.is_empty() {
        // The name runs to '(' or ','; an argument list runs to ')'.
        let name_end = rest.find(['(', ',']).unwrap_or(rest.len());
        let name = &rest[..name_end];
        let mut args: Vec<&str> = Vec::new();
        let mut after = &rest[name_end..];
        if let Some(inner) = after.strip_prefix('(') {
            let Some(close) = inner.find(')') else {
                return Err(alert(format!(
                    "{kw}: missing closing parenthesis after store option '{name}'."
                )));
            };
            let a = &inner[..close];
            // 2.6 splits at the last comma inside the parentheses.
            match a.rfind(',') {
                Some(c) => args.extend([&a[..c], &a[c + 1..]]),
                None => args.push(a),
            }
            after = &inner[close + 1..];
            // Anything up to the next comma after ')' is ignored, as in 2.6.
            after = after.find(',').map(|c| &after[c..]).unwrap_or("");
        }
        rest = after.strip_prefix(',').unwrap_or(after);
        let Some(data) = DataType::from_name(name) else {
            return Err(alert(format!("{kw}: unknown store option '{name}'.")));
        };
        if store.iter().any(|s| s.data == data) {
            warnings.push(format!(
                "{kw}: store option '{name}' already enabled, ignored."
            ));
            continue;
        }
        let mut args = args.into_iter();
        let mut nbelem = 1;
        if data.is_array() {
            let Some(n) = args.next() else {
                return Err(alert(format!(
                    "{kw}: missing argument to store option '{name}'."
                )));
            };
            let n = units::atoi(n).clamp(0, i64::from(u32::MAX)) as u32;
            if n == 0 || n > MAX_ARRAY {
                return Err(alert(format!("{kw}: array size is out of allowed range (1-{MAX_ARRAY}) for store option '{name}'.")));
            }
            nbelem = n;
        }
        let mut period_ms = 0;
        let a = args.next();
        if data.is_rate() {
            let Some(a) = a else {
                return Err(alert(format!(
                    "{kw}: missing argument to store option '{name}'."
                )));
            };
            period_ms = match units::parse_time(a) {
                Ok(v) => v as u32,
                Err(_) => {
                    return Err(alert(format!(
                        "{kw}: error when processing store option '{name}'."
                    )))
                }
            };
        } else if a.is_some() {
            return Err(alert(format!(
                "{kw}: unexpected argument to store option '{name}'."
            )));
        }
        store.push(StoreSpec {
            data,
            period_ms,
            nbelem,
        });
    }
    Ok(())
}

fn stick(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let kw = &words[0];
    if l.draft(t).is_defaults {
        return l.alert(format_args!("'{kw}' not allowed in 'defaults' section."));
    }
    if !l.draft(t).proxy.cap.backend {
        let (ty, name) = (l.draft(t).type_str(), l.draft(t).proxy.name.clone());
        l.warn(format_args!(
            "'{kw}' ignored because {ty} '{name}' has no backend capability."
        ));
        return Status::default();
    }
    let arg = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let kind = match arg(1) {
        "store" | "store-request" => StickRuleKind::StoreRequest,
        "store-response" => StickRuleKind::StoreResponse,
        "match" => StickRuleKind::Match,
        "on" => StickRuleKind::On,
        _ => return l.alert(format_args!("'{kw}' expects 'on', 'match', or 'store'.")),
    };
    if arg(2).is_empty() {
        return l.alert(format_args!("'{kw}' expects a fetch method."));
    }
    let expr = arg(2).to_string();
    let mut i = 3;
    let mut table = None;
    if arg(i) == "table" {
        table = Some(arg(i + 1).to_string());
        i += 2;
    }
    let cond = match arg(i) {
        "if" | "unless" => Some(words[i..].to_vec()),
        "" => None,
        other => return l.alert(format_args!("'{kw}': unknown keyword '{other}'.")),
    };
    let location = l.loc();
    l.draft(t).proxy.stick_rules.push(StickRule {
        kind,
        expr,
        table,
        cond,
        location,
    });
    Status::default()
}

/// The post-parse check of `stick` rules (2.6's check_config_validity):
/// each must name an existing table. Returns the alerts, all fatal. Meant
/// for the loader's cross-check, beside the `use_backend` checks.
pub(crate) fn check_refs<P: Borrow<crate::config::model::Proxy>>(proxies: &[P]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for p in proxies.iter().map(Borrow::borrow).filter(|p| !p.disabled) {
        for r in &p.stick_rules {
            let name = r.table.as_deref().unwrap_or(&p.name);
            let found = proxies.iter().any(|o| {
                o.borrow()
                    .stick_table
                    .as_ref()
                    .is_some_and(|t| t.name == name)
            });
            if !found {
                let what = if r.kind == StickRuleKind::StoreResponse {
                    "store table"
                } else {
                    "stick-table"
                };
                out.push(Diagnostic::alert(format!(
                    "config : Proxy '{}': unable to find {what} '{name}'.",
                    p.name
                )));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stick_rules_must_name_a_table() {
        let rule = |table: Option<&str>, kind| StickRule {
            kind,
            expr: "src".into(),
            table: table.map(String::from),
            cond: None,
            location: Default::default(),
        };
        let (st, _) = match parse("stick-table type ip size 1k") {
            Ok(v) => v,
            Err(e) => panic!("{e:?}"),
        };
        let mut be = crate::config::model::Proxy {
            name: "be".into(),
            ..Default::default()
        };
        be.stick_rules = vec![
            rule(Some("t"), StickRuleKind::On),
            rule(None, StickRuleKind::Match),
            rule(Some("x"), StickRuleKind::StoreResponse),
        ];
        let holder = crate::config::model::Proxy {
            name: "t".into(),
            stick_table: Some(st),
            ..Default::default()
        };
        let texts: Vec<String> = check_refs(&[be, holder])
            .iter()
            .map(|d| format!("{d:?}"))
            .collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[0].contains("config : Proxy 'be': unable to find stick-table 'be'."));
        assert!(texts[1].contains("config : Proxy 'be': unable to find store table 'x'."));
    }

    fn parse(line: &str) -> Result<(StickTableDef, Vec<String>), Msg> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse_table(&words, "t".into(), Default::default())
    }

    fn err(line: &str) -> String {
        match parse(line) {
            Err(Msg::Alert(m) | Msg::AlertNc(m)) => m,
            Ok(_) => String::from("<ok>"),
        }
    }

    #[test]
    fn full_line_with_every_store_type() {
        let (def, warns) = match parse("stick-table type string len 64 size 100k expire 30s srvkey addr store gpc0,gpc1,gpc0_rate(10s),gpc1_rate(1m),gpt0,conn_cnt,conn_cur,conn_rate(10s),sess_cnt,sess_rate(10s),http_req_cnt,http_req_rate(10s),http_err_cnt,http_err_rate(10s),bytes_in_cnt,bytes_in_rate(1s),bytes_out_cnt,bytes_out_rate(1s),server_id store http_fail_cnt,http_fail_rate(5s)") {
            Ok(v) => v,
            Err(e) => panic!("{e:?}"),
        };
        assert!(warns.is_empty());
        assert_eq!(def.key_type, KeyType::String);
        assert_eq!(def.key_size, 65);
        assert_eq!(def.size, 102_400);
        assert_eq!(def.expire_ms, Some(30_000));
        assert_eq!(def.srvkey, SrvKey::Addr);
        assert_eq!(def.store.len(), 21);
        // Sorted into 2.6's print order.
        assert_eq!(def.store[0].data, DataType::ServerId);
        assert_eq!(
            def.spec(DataType::Gpc1Rate).map(|s| s.period_ms),
            Some(60_000)
        );
    }

    #[test]
    fn arrays_take_a_count_then_a_period() {
        let (def, _) =
            match parse("stick-table type ip size 1k store gpc(3),gpc_rate(2,10s),gpt(2)") {
                Ok(v) => v,
                Err(e) => panic!("{e:?}"),
            };
        let s = def.spec(DataType::GpcRate).copied();
        assert_eq!(s.map(|s| (s.nbelem, s.period_ms)), Some((2, 10_000)));
        assert_eq!(def.spec(DataType::Gpc).map(|s| s.nbelem), Some(3));
    }

    #[test]
    fn errors_read_like_haproxy() {
        assert_eq!(
            err("stick-table type foo size 1k"),
            "stick-table: unknown type 'foo'."
        );
        assert_eq!(err("stick-table type ip"), "stick-table: missing size.");
        assert_eq!(err("stick-table size 10"), "stick-table: missing type.");
        assert_eq!(err("stick-table"), "stick-table: missing size.");
        assert_eq!(
            err("stick-table type ip size 1k store bad"),
            "stick-table: unknown store option 'bad'."
        );
        assert_eq!(
            err("stick-table type ip size 1k store http_req_rate"),
            "stick-table: missing argument to store option 'http_req_rate'."
        );
        assert_eq!(
            err("stick-table type ip size 1k store gpc0(3)"),
            "stick-table: unexpected argument to store option 'gpc0'."
        );
        assert_eq!(
            err("stick-table type ip size 1k store http_req_rate(10s"),
            "stick-table: missing closing parenthesis after store option 'http_req_rate'."
        );
        assert_eq!(
            err("stick-table type ip size 1x"),
            "stick-table: unexpected character 'x' in argument of 'size'."
        );
        assert_eq!(
            err("stick-table type ip size 1k expire 3q"),
            "stick-table: unexpected character 'q' in argument of 'expire'."
        );
        assert_eq!(
            err("stick-table type ip size 1k srvkey foo"),
            "stick-table : unknown server key type 'foo'."
        );
        assert_eq!(
            err("stick-table type ip size 1k bogus"),
            "stick-table: unknown argument 'bogus'."
        );
        assert_eq!(
            err("stick-table type string len 0 size 1k"),
            "stick-table: unknown type '0'."
        );
        assert_eq!(
            err("stick-table type ip size"),
            "stick-table: missing argument after 'size'."
        );
        assert_eq!(
            err("stick-table type ip size 1k store gpc(0)"),
            "stick-table: array size is out of allowed range (1-100) for store option 'gpc'."
        );
        assert_eq!(
            err("stick-table type ip size 1k store gpc(2),gpc0"),
            "stick-table: simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'."
        );
        assert_eq!(
            err("stick-table type ip size 1k expire 30d"),
            "stick-table: timer overflow in argument <30d> to <expire>, maximum value is 2147483647 ms (~24.8 days)."
        );
        assert_eq!(
            err("stick-table type ip size 1k store http_req_rate(3q)"),
            "stick-table: error when processing store option 'http_req_rate'."
        );
        assert_eq!(
            err("stick-table type ip size 1k store gpc_rate(2)"),
            "stick-table: missing argument to store option 'gpc_rate'."
        );
    }

    #[test]
    fn a_repeated_store_type_warns() {
        let (_, w) = match parse("stick-table type ip size 1k store gpc0,gpc0") {
            Ok(v) => v,
            Err(e) => panic!("{e:?}"),
        };
        assert_eq!(
            w,
            vec!["stick-table: store option 'gpc0' already enabled, ignored.".to_string()]
        );
    }
}
