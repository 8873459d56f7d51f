//! How a health check reaches its server: in clear or over TLS, with or
//! without a PROXY header first. The rules are HAProxy 2.6's
//! (`init_srv_check()`): a check aimed at the server's own address and
//! port speaks what traffic speaks (`ssl`, `send-proxy*`), a check moved
//! elsewhere with `port`/`addr` speaks clear text, and the `check-*`
//! keywords override either way. Pure: resolving never touches a socket
//! or a file; [`super`] connects.

use crate::config::model::{ProxyProtoVersion, Server};
use crate::tls::conf::{ServerSsl, Verify};
use std::net::SocketAddr;

/// The `check-ssl`, `no-check-ssl`, `check-sni`, `check-alpn` and
/// `check-send-proxy` keywords of one server line; all unset by default.
/// Serialisable so that it can sit in the configuration model.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckOverrides {
    /// `check-ssl` (Some(true)) or `no-check-ssl` (Some(false)).
    pub ssl: Option<bool>,
    /// `check-send-proxy`. `no-check-send-proxy` only clears it: as in 2.6,
    /// a check aimed at the server still inherits `send-proxy`.
    pub send_proxy: bool,
    /// `check-sni`: the server's `sni` expression is never used by checks.
    pub sni: Option<String>,
    /// `check-alpn`.
    pub alpn: Option<Vec<String>>,
}

impl CheckOverrides {
    /// Applies one server-line keyword if it is one of ours: Some(number of
    /// words used) or Some(Err(HAProxy's message)); None for other keywords.
    pub fn keyword(&mut self, kw: &str, val: Option<&str>) -> Option<Result<usize, String>> {
        let need = || val.ok_or_else(|| format!("'{kw}' : missing value"));
        Some(match kw {
            "check-ssl" => {
                self.ssl = Some(true);
                Ok(1)
            }
            "no-check-ssl" => {
                self.ssl = Some(false);
                Ok(1)
            }
            "check-send-proxy" => {
                self.send_proxy = true;
                Ok(1)
            }
            "no-check-send-proxy" => {
                self.send_proxy = false;
                Ok(1)
            }
            "check-sni" => need().map(|v| {
                self.sni = Some(v.to_string());
                2
            }),
            "check-alpn" => need().map(|v| {
                self.alpn = Some(
                    v.split(',')
                        .filter(|a| !a.is_empty())
                        .map(str::to_string)
                        .collect(),
                );
                2
            }),
            _ => return None,
        })
    }
}

/// What the health check of one server does after connecting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckTransport {
    /// A PROXY header first, in this version (see [`Self::proxy_header`]).
    pub proxy: Option<ProxyProtoVersion>,
    /// A TLS handshake next, with these settings.
    pub tls: Option<ServerSsl>,
}

impl CheckTransport {
    /// The transport of `srv`'s health check. `moved` is true when the
    /// check does not go to the server's own address and port (`port`,
    /// `addr`, or an `http-check connect` with its own port or address).
    pub fn resolve(srv: &Server, over: &CheckOverrides, moved: bool) -> CheckTransport {
        let own = !moved && srv.check.port.is_none() && srv.check.addr.is_none();
        let tls_on = over.ssl.unwrap_or(own && srv.ssl.enabled);
        let proxy_on = over.send_proxy || (own && srv.send_proxy.is_some());
        let proxy = proxy_on.then_some(srv.send_proxy.unwrap_or(ProxyProtoVersion::V1));
        let tls = tls_on.then(|| {
            let mut ssl = srv.ssl.clone();
            ssl.enabled = true;
            ssl.verify.get_or_insert(Verify::Required);
            ssl.sni = over.sni.clone();
            // lbd's checks speak HTTP/1 only, so an inherited `h2` is not
            // offered: the server would pick it and read our request as a
            // broken preface.
            ssl.alpn = match &over.alpn {
                Some(a) => a.clone(),
                None => ssl.alpn.iter().filter(|a| *a != "h2").cloned().collect(),
            };
            ssl
        });
        CheckTransport { proxy, tls }
    }

    /// The PROXY header to write before anything else, if any. With no
    /// client behind a check, 2.6.12 (captured) announces the check
    /// connection's own addresses in v1, and the LOCAL command in v2, with
    /// an empty SSL TLV for `send-proxy-v2-ssl[-cn]`.
    pub fn proxy_header(&self, conn: Option<(SocketAddr, SocketAddr)>) -> Option<Vec<u8>> {
        use crate::proxyproto::{encode_v1, encode_v2, SslTlv, Tlvs};
        Some(match self.proxy? {
            ProxyProtoVersion::V1 => encode_v1(conn),
            ProxyProtoVersion::V2 => encode_v2(None, &Tlvs::default()),
            ProxyProtoVersion::V2Ssl { .. } => {
                let tlvs = Tlvs {
                    ssl: Some(SslTlv::default()),
                    ..Tlvs::default()
                };
                encode_v2(None, &tlvs)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(words: &str) -> Server {
        let text =
            format!("defaults\n    mode http\nbackend be\n    server s 127.0.0.1:443 {words}\n");
        let env = std::collections::HashMap::<String, String>::new();
        let out = crate::config::load_str("t.cfg", text.as_bytes(), &env);
        let cfg = out.config.unwrap_or_else(|| panic!("{:?}", out.diags));
        (*cfg.proxies[0].servers[0]).clone()
    }

    #[test]
    fn checks_aimed_at_the_server_inherit_ssl_and_proxy() {
        let s = server("ssl verify none sni str(app.test) alpn h2,http/1.1 send-proxy-v2 check");
        let t = CheckTransport::resolve(&s, &CheckOverrides::default(), false);
        assert_eq!(t.proxy, Some(ProxyProtoVersion::V2));
        let v2 = t.proxy_header(None).unwrap_or_default();
        let tls = t.tls.unwrap_or_else(|| panic!("no TLS"));
        // Checks send no SNI unless `check-sni`, and never offer h2.
        assert_eq!(tls.sni, None);
        assert_eq!(tls.alpn, vec!["http/1.1".to_string()]);
        // v2 LOCAL, no addresses, no TLV.
        assert_eq!(&v2[12..16], &[0x20, 0x00, 0, 0]);
    }

    #[test]
    fn a_moved_check_speaks_clear_text_unless_told() {
        let s = server("ssl verify none send-proxy check port 8080");
        let t = CheckTransport::resolve(&s, &CheckOverrides::default(), false);
        assert_eq!(t, CheckTransport::default());
        let t = CheckTransport::resolve(
            &server("ssl verify none send-proxy check"),
            &CheckOverrides::default(),
            true,
        );
        assert_eq!(t, CheckTransport::default());
        let mut over = CheckOverrides::default();
        for (kw, v) in [
            ("check-ssl", None),
            ("check-send-proxy", None),
            ("check-sni", Some("chk.test")),
            ("check-alpn", Some("http/1.1")),
        ] {
            assert!(matches!(over.keyword(kw, v), Some(Ok(_))));
        }
        let t = CheckTransport::resolve(&s, &over, false);
        let conn = "127.0.0.1:46928"
            .parse()
            .ok()
            .zip("127.0.0.1:39453".parse().ok());
        assert_eq!(
            t.proxy_header(conn).as_deref(),
            Some(&b"PROXY TCP4 127.0.0.1 127.0.0.1 46928 39453\r\n"[..])
        );
        let tls = t.tls.unwrap_or_else(|| panic!("no TLS"));
        assert_eq!(tls.sni.as_deref(), Some("chk.test"));
    }

    #[test]
    fn v2_ssl_checks_send_local_with_an_empty_ssl_tlv() {
        let s = server("send-proxy-v2-ssl-cn check");
        let t = CheckTransport::resolve(&s, &CheckOverrides::default(), false);
        // Captured from HAProxy 2.6.12.
        let want = b"\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x08\x20\x00\x05\x00\x00\x00\x00\x00";
        assert_eq!(t.proxy_header(None).as_deref(), Some(&want[..]));
    }

    #[test]
    fn no_check_ssl_wins_over_ssl() {
        let s = server("ssl verify none check");
        let mut over = CheckOverrides::default();
        assert_eq!(over.keyword("no-check-ssl", None), Some(Ok(1)));
        assert_eq!(over.keyword("weight", Some("2")), None);
        assert_eq!(CheckTransport::resolve(&s, &over, false).tls, None);
        // A clear-text server gets TLS checks with `check-ssl`, verifying by
        // default as traffic would.
        let s = server("check");
        assert_eq!(over.keyword("check-ssl", None), Some(Ok(1)));
        let tls = CheckTransport::resolve(&s, &over, false).tls;
        assert_eq!(tls.and_then(|t| t.verify), Some(Verify::Required));
    }
}
