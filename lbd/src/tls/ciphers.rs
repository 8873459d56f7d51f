//! OpenSSL cipher names (as `ciphers`/`ciphersuites` and HAProxy's logs
//! spell them) mapped to the suites rustls offers on aws-lc-rs.

use rustls::crypto::aws_lc_rs::cipher_suite as cs;
use rustls::{CipherSuite, SupportedCipherSuite};

/// Every suite lbd can negotiate, with its OpenSSL name.
const TABLE: &[(&str, SupportedCipherSuite)] = &[
    ("TLS_AES_128_GCM_SHA256", cs::TLS13_AES_128_GCM_SHA256),
    ("TLS_AES_256_GCM_SHA384", cs::TLS13_AES_256_GCM_SHA384),
    (
        "TLS_CHACHA20_POLY1305_SHA256",
        cs::TLS13_CHACHA20_POLY1305_SHA256,
    ),
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
    (
        "ECDHE-RSA-AES128-GCM-SHA256",
        cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "ECDHE-RSA-AES256-GCM-SHA384",
        cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "ECDHE-RSA-CHACHA20-POLY1305",
        cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
];

/// The OpenSSL name of a negotiated suite (`ssl_fc_cipher`, `%sslc`).
pub fn openssl_name(suite: CipherSuite) -> String {
    TABLE
        .iter()
        .find(|(_, s)| s.suite() == suite)
        .map(|(n, _)| (*n).to_string())
        .unwrap_or_else(|| format!("{suite:?}"))
}

/// The outcome of mapping one cipher string.
#[derive(Debug, Default)]
pub struct Selected {
    pub suites: Vec<SupportedCipherSuite>,
    /// Names (or OpenSSL class keywords) that lbd cannot honour.
    pub ignored: Vec<String>,
}

/// Maps an OpenSSL cipher list (`:`-separated; `,` and spaces are accepted
/// as OpenSSL does) for one protocol family. Like OpenSSL, the list is
/// usable when at least one entry is; the caller warns about `ignored` and
/// refuses the list when `suites` is empty.
pub fn select(list: &str, tls13: bool) -> Selected {
    let mut out = Selected::default();
    for name in list
        .split([':', ',', ' '])
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        // `!x`/`-x` remove entries from what OpenSSL's class keywords add;
        // with explicit names only, removing is a no-op.
        if name.starts_with('!') || name.starts_with('-') {
            continue;
        }
        let hit = TABLE
            .iter()
            .find(|(n, s)| *n == name && is_tls13(s) == tls13);
        match hit {
            Some((_, s)) if !out.suites.iter().any(|o| o.suite() == s.suite()) => {
                out.suites.push(*s)
            }
            Some(_) => {}
            None => out.ignored.push(name.to_string()),
        }
    }
    out
}

fn is_tls13(s: &SupportedCipherSuite) -> bool {
    matches!(s, SupportedCipherSuite::Tls13(_))
}

/// All suites of the other family, to complete a list that names only one.
pub fn all(tls13: bool) -> Vec<SupportedCipherSuite> {
    DEFAULT_ORDER
        .iter()
        .filter_map(|name| TABLE.iter().find(|(n, _)| n == name))
        .filter(|(_, s)| is_tls13(s) == tls13)
        .map(|(_, s)| *s)
        .collect()
}

/// Without `ciphers`/`ciphersuites`, HAProxy 2.6 uses OpenSSL 3.0's
/// defaults, in their order (`openssl ciphers -s DEFAULT`); with server
/// preference on, that order picks the suite.
const DEFAULT_ORDER: &[&str] = &[
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_every_suite_in_openssl_order() {
        let names = |v: Vec<SupportedCipherSuite>| -> Vec<String> {
            v.iter().map(|s| openssl_name(s.suite())).collect()
        };
        assert_eq!(
            names(all(true)),
            [
                "TLS_AES_256_GCM_SHA384",
                "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_AES_128_GCM_SHA256"
            ]
        );
        assert_eq!(all(false).len(), TABLE.len() - 3);
        assert_eq!(names(all(false))[0], "ECDHE-ECDSA-AES256-GCM-SHA384");
    }

    #[test]
    fn maps_openssl_names_and_reports_the_rest() {
        let s = select(
            "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:!aNULL",
            false,
        );
        assert_eq!(s.suites.len(), 1);
        assert_eq!(s.ignored, vec!["DHE-RSA-AES256-GCM-SHA384".to_string()]);
        let s = select("TLS_AES_256_GCM_SHA384", true);
        assert_eq!(s.suites[0].suite(), CipherSuite::TLS13_AES_256_GCM_SHA384);
        assert!(select("FOO", false).suites.is_empty());
        // A TLS 1.3 name in `ciphers` is not a TLS 1.2 suite.
        assert!(select("TLS_AES_128_GCM_SHA256", false).suites.is_empty());
    }

    #[test]
    fn names_negotiated_suites_as_openssl() {
        assert_eq!(
            openssl_name(CipherSuite::TLS13_AES_256_GCM_SHA384),
            "TLS_AES_256_GCM_SHA384"
        );
        assert_eq!(
            openssl_name(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
            "ECDHE-RSA-AES128-GCM-SHA256"
        );
    }
}
