//! How a health check reaches its server: in clear or over TLS, with or
//! without a PROXY header first. The rules are HAProxy 2.6's
//! (`init_srv_check()`): a check aimed at the server's own address and
//! port speaks what traffic speaks (`ssl`, `send-proxy*`), a check moved
//! elsewhere with `port`/`addr` speaks clear text, and the `check-*`
//! keywords override either way. Which HTTP multiplexer an HTTP check
//! speaks is 2.6's too: `check-proto`, else the server's `proto` when it
//! is an HTTP one, else what TLS ALPN negotiates (h2 or HTTP/1.1). Pure:
//! resolving never touches a socket or a file; [`super`] connects.

use crate::config::model::{MuxProto, ProxyProtoVersion, Server};
use crate::tls::conf::{ServerSsl, Verify};
use std::net::SocketAddr;

/// `check-proto <name>`: HAProxy 2.6's multiplexer names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CheckProto {
    H1,
    H2,
    /// `none`: the TCP pass-through multiplexer, for `tcp-check`s.
    None,
}

impl CheckProto {
    /// Whether the multiplexer is an HTTP one (2.6's `PROTO_MODE_HTTP`).
    pub fn is_http(self) -> bool {
        self != CheckProto::None
    }
}

/// The `check-ssl`, `no-check-ssl`, `check-sni`, `check-alpn`,
/// `check-proto` and `check-send-proxy` keywords of one server line; all
/// unset by default.
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
    /// `check-proto`.
    pub proto: Option<CheckProto>,
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
            "check-proto" => need().and_then(|v| {
                self.proto = Some(match v {
                    "h1" => CheckProto::H1,
                    "h2" => CheckProto::H2,
                    "none" => CheckProto::None,
                    // Known to 2.6 (FastCGI applications), not built here.
                    "fcgi" => {
                        return Err(format!(
                            "'{kw}' : MUX protocol 'fcgi' is not supported by lbd"
                        ))
                    }
                    // 2.6's text, two spaces included.
                    _ => return Err(format!("'{kw}' :  unknown MUX protocol '{v}'")),
                });
                Ok(2)
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

/// Which HTTP version an HTTP check speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CheckMux {
    /// HTTP/1.x, whatever ALPN says.
    H1,
    /// HTTP/2 (prior knowledge on clear text), whatever ALPN says.
    H2,
    /// h2 when the TLS handshake negotiated it, else HTTP/1.x.
    #[default]
    ByAlpn,
}

/// What the health check of one server does after connecting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckTransport {
    /// A PROXY header first, in this version (see [`Self::proxy_header`]).
    pub proxy: Option<ProxyProtoVersion>,
    /// A TLS handshake next, with these settings.
    pub tls: Option<ServerSsl>,
    /// The HTTP multiplexer of an HTTP check.
    pub mux: CheckMux,
}

impl CheckTransport {
    /// The transport of `srv`'s health check. `http` is true for an HTTP
    /// check. `moved` is true when the
    /// check does not go to the server's own address and port (`port`,
    /// `addr`, or an `http-check connect` with its own port or address).
    pub fn resolve(srv: &Server, over: &CheckOverrides, http: bool, moved: bool) -> CheckTransport {
        let own = !moved && srv.check.port.is_none() && srv.check.addr.is_none();
        let tls_on = over.ssl.unwrap_or(own && srv.ssl.enabled);
        let proxy_on = over.send_proxy || (own && srv.send_proxy.is_some());
        let proxy = proxy_on.then_some(srv.send_proxy.unwrap_or(ProxyProtoVersion::V1));
        let tls = tls_on.then(|| {
            let mut ssl = srv.ssl.clone();
            ssl.enabled = true;
            ssl.verify.get_or_insert(Verify::Required);
            ssl.sni = over.sni.clone();
            // The server's `alpn` is offered as it is, `h2` included: as
            // in 2.6, a check that negotiates h2 speaks h2.
            if let Some(a) = &over.alpn {
                ssl.alpn = a.clone();
            }
            ssl
        });
        // 2.6's init_srv_check(): the server's HTTP `proto` is inherited by
        // HTTP checks only (and `check-proto` is checked against the check
        // type when the configuration is loaded).
        let mux = match (over.proto, srv.proto) {
            (Some(CheckProto::H2), _) => CheckMux::H2,
            (Some(CheckProto::H1), _) => CheckMux::H1,
            (None, Some(MuxProto::H2)) if http => CheckMux::H2,
            (None, Some(MuxProto::H1)) if http => CheckMux::H1,
            _ => CheckMux::ByAlpn,
        };
        CheckTransport { proxy, tls, mux }
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
        let t = CheckTransport::resolve(&s, &CheckOverrides::default(), true, false);
        assert_eq!(t.proxy, Some(ProxyProtoVersion::V2));
        assert_eq!(t.mux, CheckMux::ByAlpn);
        let v2 = t.proxy_header(None).unwrap_or_default();
        let tls = t.tls.unwrap_or_else(|| panic!("no TLS"));
        // Checks send no SNI unless `check-sni`, and offer the server's ALPN.
        assert_eq!(tls.sni, None);
        assert_eq!(tls.alpn, vec!["h2".to_string(), "http/1.1".to_string()]);
        // v2 LOCAL, no addresses, no TLV.
        assert_eq!(&v2[12..16], &[0x20, 0x00, 0, 0]);
    }

    #[test]
    fn a_moved_check_speaks_clear_text_unless_told() {
        let s = server("ssl verify none send-proxy check port 8080");
        let t = CheckTransport::resolve(&s, &CheckOverrides::default(), true, false);
        assert_eq!(t, CheckTransport::default());
        let t = CheckTransport::resolve(
            &server("ssl verify none send-proxy check"),
            &CheckOverrides::default(),
            true,
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
        let t = CheckTransport::resolve(&s, &over, true, false);
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
        let t = CheckTransport::resolve(&s, &CheckOverrides::default(), true, false);
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
        assert_eq!(CheckTransport::resolve(&s, &over, true, false).tls, None);
        // A clear-text server gets TLS checks with `check-ssl`, verifying by
        // default as traffic would.
        let s = server("check");
        assert_eq!(over.keyword("check-ssl", None), Some(Ok(1)));
        let tls = CheckTransport::resolve(&s, &over, true, false).tls;
        assert_eq!(tls.and_then(|t| t.verify), Some(Verify::Required));
    }

    #[test]
    fn http_checks_inherit_an_http_proto_and_check_proto_wins() {
        let none = CheckOverrides::default();
        let h2 = server("proto h2 check");
        assert_eq!(
            CheckTransport::resolve(&h2, &none, true, false).mux,
            CheckMux::H2
        );
        // A TCP check of an h2 server only connects.
        assert_eq!(
            CheckTransport::resolve(&h2, &none, false, false).mux,
            CheckMux::ByAlpn
        );
        let mut over = CheckOverrides::default();
        assert_eq!(over.keyword("check-proto", Some("h1")), Some(Ok(2)));
        assert_eq!(
            CheckTransport::resolve(&h2, &over, true, false).mux,
            CheckMux::H1
        );
        assert_eq!(over.keyword("check-proto", Some("h2")), Some(Ok(2)));
        let plain = server("check");
        assert_eq!(
            CheckTransport::resolve(&plain, &over, true, false).mux,
            CheckMux::H2
        );
        assert_eq!(
            over.keyword("check-proto", Some("spdy")),
            Some(Err(
                "'check-proto' :  unknown MUX protocol 'spdy'".to_string()
            ))
        );
        assert!(matches!(over.keyword("check-proto", None), Some(Err(_))));
    }
}
