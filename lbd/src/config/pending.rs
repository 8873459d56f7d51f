//! Keywords that later issues implement: one table saying, for each, whether
//! lbd refuses it for now (ALERT) or accepts it without effect (WARNING).
//!
//! Shrink these tables as features land; nothing here is ever ignored
//! silently.

use super::parser::{Loader, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// Refused: `'<kw>' is not supported yet by lbd.`
    Unsupported,
    /// Accepted with a warning: it has no effect yet.
    Accepted,
}

/// Proxy-section keywords.
const PROXY: &[(&str, Pending)] = &[
    ("compression", Pending::Accepted),
    ("tcp-check", Pending::Unsupported),
    ("declare", Pending::Unsupported),
    ("filter", Pending::Unsupported),
    ("persist", Pending::Unsupported),
    ("monitor", Pending::Unsupported),
    ("error-log-format", Pending::Unsupported),
    ("email-alert", Pending::Unsupported),
    ("external-check", Pending::Unsupported),
    ("hash-balance-factor", Pending::Unsupported),
    ("rate-limit", Pending::Unsupported),
    ("max-keep-alive-queue", Pending::Unsupported),
    ("max-session-srv-conns", Pending::Unsupported),
    ("source", Pending::Unsupported),
    ("dispatch", Pending::Unsupported),
    ("bind-process", Pending::Unsupported),
    ("grace", Pending::Unsupported),
    ("guid", Pending::Unsupported),
];

/// `option` names.
const OPTIONS: &[(&str, Pending)] = &[
    ("ssl-hello-chk", Pending::Unsupported),
    ("tcp-check", Pending::Unsupported),
    ("mysql-check", Pending::Unsupported),
    ("pgsql-check", Pending::Unsupported),
    ("redis-check", Pending::Unsupported),
    ("ldap-check", Pending::Unsupported),
    ("smtpchk", Pending::Unsupported),
    ("spop-check", Pending::Unsupported),
    ("external-check", Pending::Unsupported),
    ("originalto", Pending::Unsupported),
    ("http-pretend-keepalive", Pending::Unsupported),
    ("http-no-delay", Pending::Unsupported),
    ("http-restrict-req-hdr-names", Pending::Unsupported),
    ("h1-case-adjust-bogus-client", Pending::Unsupported),
    ("h1-case-adjust-bogus-server", Pending::Unsupported),
    ("log-health-checks", Pending::Unsupported),
    ("checkcache", Pending::Unsupported),
    ("contstats", Pending::Unsupported),
    ("disable-h2-upgrade", Pending::Unsupported),
    ("transparent", Pending::Unsupported),
    ("idle-close-on-response", Pending::Unsupported),
];

/// `global` keywords refused or accepted for now.
const GLOBAL: &[(&str, Pending)] = &[
    ("max-spread-checks", Pending::Unsupported),
    ("lua-load", Pending::Unsupported),
    ("lua-prepend-path", Pending::Unsupported),
    ("expose-experimental-directives", Pending::Unsupported),
    ("h1-case-adjust", Pending::Unsupported),
    ("h1-case-adjust-file", Pending::Unsupported),
    ("unix-bind", Pending::Unsupported),
    ("external-check", Pending::Unsupported),
    ("insecure-fork-wanted", Pending::Unsupported),
    ("localpeer", Pending::Unsupported),
    ("set-dumpable", Pending::Unsupported),
];

/// Global keywords that are parsed and ignored with a NOTICE (spec 3).
const IGNORED_GLOBAL: &[&str] = &[
    "cpu-map",
    "noepoll",
    "nopoll",
    "busy-polling",
    "maxsslrate",
    "maxconnrate",
    "maxsessrate",
    "maxpipes",
    "maxzlibmem",
    "maxcomprate",
    "maxcompcpuusage",
    "nbproc",
    "numa-cpu-mapping",
    "nogetaddrinfo",
    "noktls",
    "thread-groups",
    "thread-group",
    "quiet",
    "debug",
    "profiling.tasks",
    "profiling.memory",
    "maxsslconn",
];

/// `bind` options known to HAProxy that lbd does not handle yet.
const BIND: &[&str] = &[
    "npn",
    "ca-ignore-err",
    "crt-ignore-err",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "allow-0rtt",
    "accept-netscaler-cip",
    "mss",
    "defer-accept",
    "tfo",
    "transparent",
    "interface",
    "namespace",
    "nice",
    "tcp-ut",
    "process",
    "thread",
    "shards",
    "level",
    "severity-output",
    "expose-fd",
    "generate-certificates",
    "ca-sign-file",
    "ca-sign-pass",
    "quic-cc-algo",
    "ssl-default",
];

/// `server` parameters known to HAProxy that lbd does not handle yet.
const SERVER: &[&str] = &[
    "npn",
    "check-via-socks4",
    "no-ssl-reuse",
    "curves",
    "track",
    "observe",
    "error-limit",
    "on-error",
    "resolvers",
    "resolve-prefer",
    "resolve-opts",
    "resolve-net",
    "init-addr",
    "max-reuse",
    "redir",
    "proto",
    "ws",
    "tfo",
    "source",
    "usesrc",
    "namespace",
    "socks4",
    "non-stick",
    "stick",
    "tcp-ut",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "allow-0rtt",
    "log-proto",
    "set-proxy-v2-tlv-fmt",
    "shard",
    "check-reuse-pool",
    "sni-auto",
];

fn find(table: &[(&str, Pending)], kw: &str) -> Option<Pending> {
    table.iter().find(|(k, _)| *k == kw).map(|(_, p)| *p)
}

pub fn lookup(kw: &str) -> Option<Pending> {
    find(PROXY, kw)
}

pub fn lookup_option(name: &str) -> Option<Pending> {
    find(OPTIONS, name)
}

pub fn lookup_global(kw: &str) -> Option<Pending> {
    find(GLOBAL, kw)
}

pub fn is_ignored_global(kw: &str) -> bool {
    IGNORED_GLOBAL.contains(&kw)
}

pub fn is_bind_keyword(kw: &str) -> bool {
    BIND.contains(&kw)
}

pub fn is_server_keyword(kw: &str) -> bool {
    SERVER.contains(&kw)
}

/// Emits the diagnostic for a pending keyword.
pub(crate) fn report(l: &mut Loader<'_>, kw: &str, p: Pending) -> Status {
    match p {
        Pending::Unsupported => l.alert(format_args!("'{kw}' is not supported yet by lbd.")),
        Pending::Accepted => {
            l.warn(format_args!(
                "'{kw}' is accepted but not implemented yet by lbd; it has no effect."
            ));
            Status::default()
        }
    }
}

/// The closest keyword when it is plausibly a typo (edit distance with
/// transpositions, at most 2 and less than half the word).
pub fn did_you_mean<'k>(word: &str, candidates: &[&'k str]) -> Option<&'k str> {
    let w: Vec<char> = word.chars().collect();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = distance(&w, &c.chars().collect::<Vec<_>>());
        if d <= 2 && d * 2 < w.len().max(1) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn distance(a: &[char], b: &[char]) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// Warnings for settings that parse into the model but that the runtime does
/// not act on yet, so that nothing is ignored silently. Each entry goes away
/// when its feature lands.
pub fn inactive_warnings(cfg: &super::model::Config) -> Vec<super::diag::Diagnostic> {
    let mut out = Vec::new();
    for px in &cfg.proxies {
        for s in &px.servers {
            let o = s.proxy_v2_options;
            if o.cert_sig || o.cert_key {
                out.push(super::diag::Diagnostic::warning(format!(
                    "parsing [{}:{}] : 'server {}/{}' : 'proxy-v2-options' 'cert-sig' and \
                     'cert-key' are accepted but lbd does not send these sub-TLVs yet.",
                    s.location.file, s.location.line, px.name, s.name
                )));
            }
        }
        // lbd runs `tcp-response content` rules in TCP mode only.
        if px.mode == super::model::Mode::Http {
            if let Some(r) = px.tcp_response.first() {
                out.push(super::diag::Diagnostic::warning(format!(
                    "parsing [{}:{}] : 'tcp-response content' rules in HTTP {} '{}' are \
                     accepted but lbd does not run them yet.",
                    r.location.file,
                    r.location.line,
                    if px.cap.frontend { "listen" } else { "backend" },
                    px.name
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
    fn typo_hints() {
        assert_eq!(did_you_mean("chekc", &["check", "weight"]), Some("check"));
        assert_eq!(did_you_mean("wieght", &["check", "weight"]), Some("weight"));
        assert_eq!(did_you_mean("zzzzzz", &["check", "weight"]), None);
    }

    #[test]
    fn proxy_v2_options_parse_and_warn_on_what_is_not_sent() {
        let env = std::collections::HashMap::<String, String>::new();
        let text = "backend be
    server a 127.0.0.1:80 send-proxy-v2 proxy-v2-options authority,crc32c
    server b 127.0.0.1:81 send-proxy-v2 proxy-v2-options ssl,cert-sig
    server c 127.0.0.1:82 proxy-v2-options bogus
";
        let out = crate::config::load_str("t.cfg", text.as_bytes(), &env);
        let texts: Vec<&str> = out.diags.iter().map(|d| d.text.as_str()).collect();
        assert!(out.config.is_none(), "{texts:?}");
        assert!(
            texts
                .iter()
                .any(|t| t.contains("'bogus' : proxy v2 option not implemented")),
            "{texts:?}"
        );
        let out = crate::config::load_str(
            "t.cfg",
            &text.as_bytes()[..text.rfind("    server c").unwrap_or(0)],
            &env,
        );
        let texts: Vec<&str> = out.diags.iter().map(|d| d.text.as_str()).collect();
        let Some(cfg) = out.config else {
            panic!("{texts:?}")
        };
        let o = cfg.proxies[0].servers[0].proxy_v2_options;
        assert!(o.authority && o.crc32c);
        let pp: Vec<&&str> = texts
            .iter()
            .filter(|t| t.contains("proxy-v2-options"))
            .collect();
        assert_eq!(pp.len(), 1, "{texts:?}");
        assert!(pp[0].contains("'server be/b'"), "{texts:?}");
    }

    #[test]
    fn tables_have_no_duplicates() {
        for t in [PROXY, OPTIONS, GLOBAL] {
            for (i, (k, _)) in t.iter().enumerate() {
                assert!(!t[i + 1..].iter().any(|(o, _)| o == k), "{k}");
            }
        }
    }
}
