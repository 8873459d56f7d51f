//! The command table and the texts 2.6 prints for `help` and for unknown
//! commands, including its "maybe one of the following" fuzzy suggestions
//! (a distance between character-transition fingerprints of the words).

use crate::config::model::CliLevel;

/// What a keyword runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Help,
    Prompt,
    Quit,
    Operator,
    User,
    ShowCliLevel,
    ShowVersion,
    ShowEnv,
    ShowErrors,
    ShowSess,
    ShowInfo,
    ShowStat,
    ShowServersState,
    /// lbd's own, unlisted: `show servers state` restricted to the rows a
    /// new `-W` worker carries over (see `master::state`).
    CarriedServersState,
    CarriedTables,
    ShowBackend,
    SetTimeout,
    GetWeight,
    SetWeight,
    SetServer,
    DisableServer,
    EnableServer,
    DisableHealth,
    EnableHealth,
    DisableAgent,
    EnableAgent,
    SetMaxconnServer,
    SetMaxconnFrontend,
    SetMaxconnGlobal,
    ClearCounters,
    ShutdownSession,
    ShutdownSessionsServer,
    SetSslCert,
    CommitSslCert,
    AbortSslCert,
    ShowSslCert,
    ShowTable,
    ClearTable,
    SetTable,
}

/// One keyword: its leading words, its `help` line (None = not listed), and
/// the level needed to run it.
#[derive(Debug)]
pub struct Keyword {
    pub words: &'static [&'static str],
    pub usage: Option<&'static str>,
    pub level: CliLevel,
    pub cmd: Cmd,
}

const fn kw(
    words: &'static [&'static str],
    usage: Option<&'static str>,
    level: CliLevel,
    cmd: Cmd,
) -> Keyword {
    Keyword {
        words,
        usage,
        level,
        cmd,
    }
}

use CliLevel::{Admin, Operator, User};

/// The commands lbd answers, with 2.6's usage texts. `help`, `prompt` and
/// `quit` carry no usage line: every listing ends with theirs.
pub static KEYWORDS: &[Keyword] = &[
    kw(&["help"], None, User, Cmd::Help),
    kw(&["prompt"], None, User, Cmd::Prompt),
    kw(&["quit"], None, User, Cmd::Quit),
    kw(
        &["operator"],
        Some("operator                                : lower the level of the current CLI session to operator"),
        Operator,
        Cmd::Operator,
    ),
    kw(
        &["user"],
        Some("user                                    : lower the level of the current CLI session to user"),
        User,
        Cmd::User,
    ),
    kw(
        &["show", "cli", "level"],
        Some("show cli level                          : display the level of the current CLI session"),
        User,
        Cmd::ShowCliLevel,
    ),
    kw(
        &["show", "version"],
        Some("show version                            : show version of the current process"),
        User,
        Cmd::ShowVersion,
    ),
    kw(
        &["show", "env"],
        Some("show env [var]                          : dump environment variables known to the process"),
        Operator,
        Cmd::ShowEnv,
    ),
    kw(
        &["show", "errors"],
        Some("show errors [<px>] [request|response]   : report last request and/or response errors for each proxy"),
        Operator,
        Cmd::ShowErrors,
    ),
    kw(
        &["show", "sess"],
        Some("show sess [id]                          : report the list of current sessions or dump this exact session"),
        Operator,
        Cmd::ShowSess,
    ),
    kw(
        &["show", "info"],
        Some("show info [desc|json|typed|float]*      : report information about the running process"),
        User,
        Cmd::ShowInfo,
    ),
    kw(
        &["show", "stat"],
        Some("show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server"),
        User,
        Cmd::ShowStat,
    ),
    kw(
        &["show", "servers", "state"],
        Some("show servers state [<backend>]          : dump volatile server information (all or for a single backend)"),
        User,
        Cmd::ShowServersState,
    ),
    kw(
        &["_carried_servers_state"],
        None,
        Admin,
        Cmd::CarriedServersState,
    ),
    kw(&["_carried_tables"], None, Admin, Cmd::CarriedTables),
    kw(
        &["show", "backend"],
        Some("show backend                            : list backends in the current running config"),
        User,
        Cmd::ShowBackend,
    ),
    kw(
        &["set", "timeout"],
        Some("set timeout [cli] <delay>               : change a timeout setting"),
        User,
        Cmd::SetTimeout,
    ),
    kw(
        &["get", "weight"],
        Some("get weight <bk>/<srv>                   : report a server's current weight"),
        User,
        Cmd::GetWeight,
    ),
    kw(
        &["set", "weight"],
        Some("set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)"),
        Admin,
        Cmd::SetWeight,
    ),
    kw(
        &["set", "server"],
        Some("set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl"),
        Admin,
        Cmd::SetServer,
    ),
    kw(
        &["disable", "server"],
        Some("disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)"),
        Admin,
        Cmd::DisableServer,
    ),
    kw(
        &["enable", "server"],
        Some("enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)"),
        Admin,
        Cmd::EnableServer,
    ),
    kw(
        &["disable", "health"],
        Some("disable health                          : disable health checks"),
        Admin,
        Cmd::DisableHealth,
    ),
    kw(
        &["enable", "health"],
        Some("enable health                           : enable health checks"),
        Admin,
        Cmd::EnableHealth,
    ),
    kw(
        &["disable", "agent"],
        Some("disable agent                           : disable agent checks"),
        Admin,
        Cmd::DisableAgent,
    ),
    kw(
        &["enable", "agent"],
        Some("enable agent                            : enable agent checks"),
        Admin,
        Cmd::EnableAgent,
    ),
    kw(
        &["set", "maxconn", "server"],
        Some("set maxconn server <bk>/<srv>           : change a server's maxconn setting"),
        Admin,
        Cmd::SetMaxconnServer,
    ),
    kw(
        &["set", "maxconn", "frontend"],
        Some("set maxconn frontend <frontend> <value> : change a frontend's maxconn setting"),
        Admin,
        Cmd::SetMaxconnFrontend,
    ),
    kw(
        &["set", "maxconn", "global"],
        Some("set maxconn global <value>              : change the per-process maxconn setting"),
        Admin,
        Cmd::SetMaxconnGlobal,
    ),
    kw(
        &["clear", "counters"],
        Some("clear counters [all]                    : clear max statistics counters (or all counters)"),
        Operator,
        Cmd::ClearCounters,
    ),
    kw(
        &["shutdown", "session"],
        Some("shutdown session [id]                   : kill a specific session"),
        Admin,
        Cmd::ShutdownSession,
    ),
    kw(
        &["shutdown", "sessions", "server"],
        Some("shutdown sessions server <bk>/<srv>     : kill sessions on a server"),
        Admin,
        Cmd::ShutdownSessionsServer,
    ),
    kw(
        &["set", "ssl", "cert"],
        Some("set ssl cert <certfile> <payload>       : replace a certificate file"),
        Admin,
        Cmd::SetSslCert,
    ),
    kw(
        &["commit", "ssl", "cert"],
        Some("commit ssl cert <certfile>              : commit a certificate file"),
        Admin,
        Cmd::CommitSslCert,
    ),
    kw(
        &["abort", "ssl", "cert"],
        Some("abort ssl cert <certfile>               : abort a transaction for a certificate file"),
        Admin,
        Cmd::AbortSslCert,
    ),
    kw(
        &["show", "ssl", "cert"],
        Some("show ssl cert [<certfile>]              : display the SSL certificates used in memory, or the details of a file"),
        Operator,
        Cmd::ShowSslCert,
    ),
    // Below `operator`, 2.6 answers these itself (header only, or
    // `Permission denied` for keys): table_cmds checks the level.
    kw(
        &["clear", "table"],
        Some("clear table <table> [<filter>]*         : remove an entry from a table (filter: data/key)"),
        User,
        Cmd::ClearTable,
    ),
    kw(
        &["set", "table"],
        Some("set table <table> key <k> [data.* <v>]* : update or create a table entry's data"),
        User,
        Cmd::SetTable,
    ),
    kw(
        &["show", "table"],
        Some("show table <table> [<filter>]*          : report table usage stats or dump this table's contents (filter: data/key)"),
        User,
        Cmd::ShowTable,
    ),
];

/// The first keyword whose words all lead `args` (2.6's cli_find_kw).
pub fn find(args: &[String]) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|k| {
        k.words.len() <= args.len() && k.words.iter().zip(args).all(|(w, a)| *w == a.as_str())
    })
}

/// Words compared when matching, as 2.6's CLI_PREFIX_KW_NB.
const PREFIX_WORDS: usize = 5;
/// Fuzzy suggestions kept, as 2.6's CLI_MAX_MATCHES.
const MAX_MATCHES: usize = 5;

const TRAILER: &str = "  help [<command>]                        : list matching or all commands
  prompt                                  : toggle interactive mode with prompt
  quit                                    : disconnect
";

/// 2.6's usage message: the `help` listing when `args` starts with `help`,
/// else the answer to an unknown command. It lists the keywords matching the
/// leading words of `args`, or the closest ones when a word is misspelt.
pub fn usage(args: &[String]) -> String {
    let (args, is_help) = match args.split_first() {
        Some((first, rest)) if first == "help" => (rest, true),
        _ => (args, false),
    };
    let arg = |i: usize| args.get(i).map(String::as_str).filter(|a| !a.is_empty());
    // The number of leading words that some keyword matches exactly.
    let mut length = 0;
    for k in KEYWORDS {
        for (idx, w) in k.words.iter().enumerate().take(PREFIX_WORDS) {
            if arg(idx) != Some(*w) {
                break;
            }
            length = length.max(idx + 1);
        }
    }
    let mut out = String::new();
    out.push_str(if is_help {
        "The following commands are valid at this level:\n"
    } else if length == 0 && arg(0).is_none() {
        "Unknown command. Please enter one of the following commands only:\n"
    } else {
        "Unknown command, but maybe one of the following ones is a better match:\n"
    });
    let leads = |k: &Keyword| {
        (0..length).all(|i| match (k.words.get(i), arg(i)) {
            (Some(w), Some(a)) => *w == a,
            _ => false,
        })
    };
    let mut entries: Vec<&Keyword> = Vec::new();
    if arg(length).is_some() {
        let mut matches: Vec<(&Keyword, usize)> = Vec::new();
        for k in KEYWORDS.iter().filter(|k| k.usage.is_some()) {
            if !leads(k) || k.words.len() < length {
                continue;
            }
            let mut typed = [0u8; 1024];
            let mut known = [0u8; 1024];
            let mut total = 0;
            for a in (length..PREFIX_WORDS).map_while(arg) {
                fingerprint(&mut typed, a);
                total += a.len();
            }
            for w in k.words.iter().skip(length).take(PREFIX_WORDS - length) {
                fingerprint(&mut known, w);
                total += w.len();
            }
            let dist: usize = typed
                .iter()
                .zip(known.iter())
                .map(|(a, b)| a.abs_diff(*b) as usize)
                .sum();
            let worst = if matches.len() == MAX_MATCHES {
                matches[MAX_MATCHES - 1].1
            } else {
                usize::MAX
            };
            if dist < 5 * total / 2 && dist < worst {
                // Earlier keywords win ties, as in 2.6's insertion.
                let pos = matches.partition_point(|m| m.1 <= dist);
                matches.insert(pos, (k, dist));
                matches.truncate(MAX_MATCHES);
            }
        }
        if let Some(&(_, best)) = matches.first() {
            entries.extend(
                matches
                    .iter()
                    .take_while(|m| m.1 <= 5 * best / 2)
                    .map(|m| m.0),
            );
        }
    }
    if entries.is_empty() {
        entries.extend(
            KEYWORDS
                .iter()
                .filter(|k| k.usage.is_some() && k.words.len() >= length && leads(k)),
        );
    }
    let mut lines: Vec<&str> = entries.iter().filter_map(|k| k.usage).collect();
    lines.sort_unstable();
    for l in lines {
        out.push_str("  ");
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(TRAILER);
    out
}

/// Adds `word`'s character transitions to a 32x32 fingerprint: letters are
/// 1..=26, digits 27, anything else 28, which also marks start and end.
fn fingerprint(fp: &mut [u8; 1024], word: &str) {
    let class = |c: u8| match c.to_ascii_lowercase() {
        c @ b'a'..=b'z' => usize::from(c - b'a' + 1),
        b'0'..=b'9' => 27,
        _ => 28,
    };
    let mut from = 28;
    for &c in word.as_bytes() {
        let to = class(c);
        fp[to] = 1;
        fp[32 * from + to] = fp[32 * from + to].wrapping_add(1);
        from = to;
    }
    fp[32 * from + 28] = fp[32 * from + 28].wrapping_add(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn prefix_lookup() {
        assert_eq!(
            find(&args("show cli level x")).map(|k| k.cmd),
            Some(Cmd::ShowCliLevel)
        );
        assert_eq!(find(&args("set maxconn")).map(|k| k.cmd), None);
        assert_eq!(
            find(&args("set maxconn global 10")).map(|k| k.cmd),
            Some(Cmd::SetMaxconnGlobal)
        );
    }

    #[test]
    fn help_lists_everything_sorted_then_the_trailer() {
        let h = usage(&args("help"));
        assert!(h.starts_with("The following commands are valid at this level:\n  abort ssl cert "));
        assert!(h.ends_with("  quit                                    : disconnect\n"));
        let lines: Vec<&str> = h.lines().skip(1).collect();
        let body = &lines[..lines.len() - 3];
        let mut sorted = body.to_vec();
        sorted.sort_unstable();
        assert_eq!(body, &sorted[..]);
    }

    #[test]
    fn empty_line_lists_all() {
        let u = usage(&[]);
        assert!(
            u.starts_with("Unknown command. Please enter one of the following commands only:\n")
        );
        let unlisted = KEYWORDS.iter().filter(|k| k.usage.is_none()).count();
        // Internal commands (`_getsocks`, `_carried_*`) are not listed.
        assert_eq!(unlisted, 5);
        assert_eq!(u.lines().count(), KEYWORDS.len() - unlisted + 4);
    }

    #[test]
    fn misspelt_word_suggests_close_commands() {
        let u = usage(&args("show vesion"));
        assert!(u.starts_with(
            "Unknown command, but maybe one of the following ones is a better match:\n"
        ));
        assert!(u.contains("  show version "), "{u}");
        assert!(!u.contains("set maxconn"), "{u}");
        // A partial keyword lists its completions.
        let u = usage(&args("set maxconn"));
        assert!(u.starts_with("Unknown command, but maybe"));
        assert!(u.contains("set maxconn global"), "{u}");
    }
}
