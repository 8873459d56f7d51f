//! TLS termination on a bind: `BindSsl` turned into a rustls server
//! configuration (certificates by SNI, ALPN, versions, suites, client
//! certificate verification, resumption), and the handshake that turns an
//! accepted socket into a [`TlsConn`] with its [`TlsInfo`].

use super::certs::{self, CertError, CertTable, SniResolver};
use super::ciphers;
use super::conf::{BindSsl, TlsParams, TlsVersion, Verify};
use super::conn::TlsConn;
use super::TlsInfo;
use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use rustls::server::{ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpStream;

/// HAProxy's `tune.ssl.cachesize` default: sessions kept for resumption.
const SESSION_CACHE: usize = 20_000;

/// Why a bind's TLS settings cannot be used; texts follow HAProxy 2.6 where
/// it has one (the caller adds the bind/proxy prefix).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("{0}")]
    Cert(#[from] CertError),
    #[error("no certificate specified")]
    NoCert,
    #[error("Couldn't open the ca-file '{path}' ({reason}).")]
    CaFile { path: String, reason: String },
    #[error("unable to configure CRL file '{path}' : {reason}.")]
    CrlFile { path: String, reason: String },
    #[error("verify is enabled but no CA file specified")]
    VerifyWithoutCa,
    #[error("unable to set SSL cipher list to '{0}'")]
    Ciphers(String),
    #[error("unable to set TLS 1.3 cipher suites to '{0}'")]
    Ciphersuites(String),
    #[error("unable to set SSL curves list to '{0}'")]
    Curves(String),
    #[error(
        "'{0}' is not supported by lbd: its TLS library (rustls) only speaks TLSv1.2 and TLSv1.3."
    )]
    OldVersion(String),
    #[error("no TLS version left enabled (lbd speaks TLSv1.2 and TLSv1.3)")]
    NoVersion,
    #[error("TLS setup failed: {0}")]
    Rustls(String),
}

/// A bind's TLS, ready to accept handshakes.
#[derive(Debug)]
pub struct Acceptor {
    config: Arc<ServerConfig>,
    /// The SNI table, swappable for certificate updates.
    pub resolver: Arc<SniResolver>,
}

/// What building an acceptor has to say besides errors.
#[derive(Debug, Default)]
pub struct Notes {
    pub warnings: Vec<String>,
}

fn io_reason(e: &std::io::Error) -> String {
    crate::config::parser::io_reason(e)
}

/// The protocol versions a `TlsParams` leaves enabled.
pub fn versions(p: &TlsParams) -> Result<Vec<&'static SupportedProtocolVersion>, TlsSetupError> {
    for (kw, v) in [("ssl-min-ver", p.min_ver), ("ssl-max-ver", p.max_ver)] {
        if let Some(v) = v.filter(|v| *v < TlsVersion::Tls12) {
            return Err(TlsSetupError::OldVersion(format!("{kw} {}", v.name())));
        }
    }
    let min = p.min_ver.unwrap_or(TlsVersion::Tls12);
    let max = p.max_ver.unwrap_or(TlsVersion::Tls13);
    let mut out = Vec::new();
    if min <= TlsVersion::Tls13 && max >= TlsVersion::Tls13 && !p.no_tls13 {
        out.push(&rustls::version::TLS13);
    }
    if min <= TlsVersion::Tls12 && max >= TlsVersion::Tls12 && !p.no_tls12 {
        out.push(&rustls::version::TLS12);
    }
    if out.is_empty() {
        return Err(TlsSetupError::NoVersion);
    }
    Ok(out)
}

/// The aws-lc-rs provider restricted to the configured suites.
pub fn provider(p: &TlsParams, notes: &mut Notes) -> Result<CryptoProvider, TlsSetupError> {
    let mut suites = Vec::new();
    for (list, tls13) in [(&p.ciphersuites, true), (&p.ciphers, false)] {
        match list {
            None => suites.extend(ciphers::all(tls13)),
            Some(l) => {
                let sel = ciphers::select(l, tls13);
                if sel.suites.is_empty() {
                    return Err(if tls13 {
                        TlsSetupError::Ciphersuites(l.clone())
                    } else {
                        TlsSetupError::Ciphers(l.clone())
                    });
                }
                if !sel.ignored.is_empty() {
                    notes.warnings.push(format!(
                        "'{}' : lbd (rustls) ignores {} it does not implement: {}.",
                        if tls13 { "ciphersuites" } else { "ciphers" },
                        if sel.ignored.len() == 1 {
                            "an entry"
                        } else {
                            "entries"
                        },
                        sel.ignored.join(", ")
                    ));
                }
                suites.extend(sel.suites);
            }
        }
    }
    Ok(CryptoProvider {
        cipher_suites: suites,
        ..rustls::crypto::aws_lc_rs::default_provider()
    })
}

/// The key exchange groups of a `curves` (or `ecdhe`) list, in its order.
/// OpenSSL names groups rustls lacks (P-521, X448, ...) are left out with a
/// warning; a list left empty, or a name no one knows, is refused as 2.6
/// refuses what OpenSSL cannot set.
pub fn kx_groups(
    list: &str,
    notes: &mut Notes,
) -> Result<Vec<&'static dyn rustls::crypto::SupportedKxGroup>, TlsSetupError> {
    use rustls::crypto::aws_lc_rs::kx_group as kx;
    let mut groups = Vec::new();
    let mut ignored = Vec::new();
    for name in list.split(':').filter(|n| !n.is_empty()) {
        let g: &'static dyn rustls::crypto::SupportedKxGroup = match name {
            "X25519" | "x25519" => kx::X25519,
            "P-256" | "prime256v1" | "secp256r1" => kx::SECP256R1,
            "P-384" | "secp384r1" => kx::SECP384R1,
            "X25519MLKEM768" => kx::X25519MLKEM768,
            "SecP256r1MLKEM768" => kx::SECP256R1MLKEM768,
            "P-521" | "secp521r1" | "X448" | "x448" | "ffdhe2048" | "ffdhe3072" | "ffdhe4096"
            | "ffdhe6144" | "ffdhe8192" => {
                ignored.push(name.to_string());
                continue;
            }
            _ => return Err(TlsSetupError::Curves(list.to_string())),
        };
        if !groups
            .iter()
            .any(|x: &&dyn rustls::crypto::SupportedKxGroup| x.name() == g.name())
        {
            groups.push(g);
        }
    }
    if groups.is_empty() {
        return Err(TlsSetupError::Curves(list.to_string()));
    }
    if !ignored.is_empty() {
        notes.warnings.push(format!(
            "'curves' : lbd (rustls) ignores {} it does not implement: {}.",
            if ignored.len() == 1 {
                "a group"
            } else {
                "groups"
            },
            ignored.join(", ")
        ));
    }
    Ok(groups)
}

/// Loads a CA bundle (`ca-file`).
pub fn load_roots(path: &Path) -> Result<RootCertStore, TlsSetupError> {
    let shown = path.display().to_string();
    let data = std::fs::read(path).map_err(|e| TlsSetupError::CaFile {
        path: shown.clone(),
        reason: io_reason(&e),
    })?;
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(&data).filter_map(Result::ok) {
        let _ = roots.add(c);
    }
    if roots.is_empty() {
        return Err(TlsSetupError::CaFile {
            path: shown,
            reason: "no certificate in it".into(),
        });
    }
    Ok(roots)
}

/// Loads a CRL file (`crl-file`).
pub fn load_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsSetupError> {
    let shown = path.display().to_string();
    let data = std::fs::read(path).map_err(|e| TlsSetupError::CrlFile {
        path: shown.clone(),
        reason: io_reason(&e),
    })?;
    let crls: Vec<_> = CertificateRevocationListDer::pem_slice_iter(&data)
        .filter_map(Result::ok)
        .collect();
    if crls.is_empty() {
        return Err(TlsSetupError::CrlFile {
            path: shown,
            reason: "no CRL in it".into(),
        });
    }
    Ok(crls)
}

/// Loads every `crt` and `crt-list` of a bind, in order.
pub fn load_certs(ssl: &BindSsl) -> Result<Vec<certs::LoadedCert>, TlsSetupError> {
    let mut all = Vec::new();
    for c in &ssl.crts {
        all.extend(certs::load_crt(c)?);
    }
    for l in &ssl.crt_lists {
        all.extend(certs::load_crt_list(l)?);
    }
    Ok(all)
}

impl Acceptor {
    /// Builds the acceptor. `_http` (the bind is in mode http) no longer
    /// changes anything since h2 is served; kept for the callers.
    pub fn build(ssl: &BindSsl, _http: bool) -> Result<(Acceptor, Notes), TlsSetupError> {
        let mut notes = Notes::default();
        let table = CertTable::new(load_certs(ssl)?)
            .ok_or(TlsSetupError::NoCert)?
            .strict(ssl.strict_sni);
        let mut provider = provider(&ssl.params, &mut notes)?;
        if let Some(list) = ssl.curves.as_ref().or(ssl.ecdhe.as_ref()) {
            provider.kx_groups = kx_groups(list, &mut notes)?;
        }
        let provider = Arc::new(provider);
        let versions = versions(&ssl.params)?;
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| TlsSetupError::Rustls(e.to_string()))?;
        let builder = match (ssl.verify, &ssl.ca_file) {
            (Verify::None, _) => builder.with_no_client_auth(),
            (_, None) => return Err(TlsSetupError::VerifyWithoutCa),
            (verify, Some(ca)) => {
                let roots = Arc::new(load_roots(ca)?);
                let mut vb = WebPkiClientVerifier::builder_with_provider(roots, provider.clone());
                if let Some(crl) = &ssl.crl_file {
                    vb = vb.with_crls(load_crls(crl)?);
                }
                if verify == Verify::Optional {
                    vb = vb.allow_unauthenticated();
                }
                if ssl.no_ca_names {
                    vb = vb.clear_root_hint_subjects();
                }
                let v = vb
                    .build()
                    .map_err(|e| TlsSetupError::Rustls(e.to_string()))?;
                builder.with_client_cert_verifier(v)
            }
        };
        let resolver = Arc::new(SniResolver {
            table: ArcSwap::from_pointee(table),
        });
        super::store::STORE.register(&resolver);
        let mut cfg = builder.with_cert_resolver(resolver.clone());
        // h2 is served in mode http (crate::http2); a tcp-mode bind passes
        // whatever the client speaks, so every name is advertised as written.
        let alpn = ssl.alpn.clone();
        cfg.alpn_protocols = alpn.into_iter().map(String::into_bytes).collect();
        cfg.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE);
        // 2.6 picks the cipher suite in the configured order (OpenSSL's
        // server preference) unless `prefer-client-ciphers`.
        cfg.ignore_client_order = !ssl.prefer_client_ciphers;
        if !ssl.params.no_tls_tickets {
            cfg.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new()
                .map_err(|e| TlsSetupError::Rustls(e.to_string()))?;
        }
        Ok((
            Acceptor {
                config: Arc::new(cfg),
                resolver,
            },
            notes,
        ))
    }

    /// The rustls configuration handshakes run with (for in-process
    /// measurements: `examples/tls_handshake_cost.rs`).
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.config.clone()
    }

    /// Runs the server side of a handshake on an accepted socket (the
    /// caller bounds it with `timeout client`).
    pub async fn accept(&self, tcp: TcpStream) -> std::io::Result<TlsConn> {
        let acceptor = tokio_rustls::TlsAcceptor::from(self.config.clone());
        let tls = acceptor.accept(tcp).await?;
        let (tcp, conn) = tls.into_inner();
        let info = info_of(&conn);
        Ok(TlsConn::new(
            tcp,
            rustls::Connection::Server(conn),
            Some(Arc::new(info)),
        ))
    }
}

/// The negotiated details of a finished server-side handshake.
pub fn info_of(conn: &rustls::ServerConnection) -> TlsInfo {
    let mut info = TlsInfo {
        sni: conn.server_name().map(str::to_string),
        protocol: conn
            .protocol_version()
            .map(super::protocol_name)
            .unwrap_or(""),
        cipher: conn
            .negotiated_cipher_suite()
            .map(|s| ciphers::openssl_name(s.suite()))
            .unwrap_or_default(),
        alpn: conn
            .alpn_protocol()
            .map(|a| String::from_utf8_lossy(a).into_owned()),
        resumed: conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
        ..TlsInfo::default()
    };
    if let Some(leaf) = conn.peer_certificates().and_then(|c| c.first()) {
        info.client_cert_used = true;
        if let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf.as_ref()) {
            info.subject_dn = Some(oneline_dn(cert.subject()));
            info.issuer_dn = Some(oneline_dn(cert.issuer()));
            info.serial = Some(cert.raw_serial().to_vec());
        }
    }
    info
}

/// OpenSSL's `X509_NAME_oneline` form, which `ssl_c_s_dn` prints:
/// `/C=FR/O=Example/CN=client`.
pub fn oneline_dn(name: &x509_parser::x509::X509Name<'_>) -> String {
    let mut out = String::new();
    for rdn in name.iter() {
        for attr in rdn.iter() {
            let oid = attr.attr_type().to_id_string();
            let key = match oid.as_str() {
                "2.5.4.3" => "CN",
                "2.5.4.6" => "C",
                "2.5.4.7" => "L",
                "2.5.4.8" => "ST",
                "2.5.4.10" => "O",
                "2.5.4.11" => "OU",
                "2.5.4.5" => "serialNumber",
                "1.2.840.113549.1.9.1" => "emailAddress",
                "0.9.2342.19200300.100.1.25" => "DC",
                other => other,
            };
            let val = attr
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|_| String::from_utf8_lossy(attr.as_slice()).into_owned());
            out.push('/');
            out.push_str(key);
            out.push('=');
            out.push_str(&val);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::PrivateKeyDer;
    use std::path::PathBuf;

    fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("{e:?}"))
    }

    struct Ca {
        params: rcgen::CertificateParams,
        key: rcgen::KeyPair,
        pem: String,
    }

    fn ca() -> Ca {
        let key = ok(rcgen::KeyPair::generate());
        let mut params = ok(rcgen::CertificateParams::new(Vec::<String>::new()));
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        let pem = ok(params.self_signed(&key)).pem();
        Ca { params, key, pem }
    }

    /// (certificate PEM, key PEM) for `name`, signed by `ca`.
    fn leaf(ca: &Ca, name: &str) -> (String, String) {
        let key = ok(rcgen::KeyPair::generate());
        let mut params = ok(rcgen::CertificateParams::new(vec![name.to_string()]));
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Rampart");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let issuer = rcgen::Issuer::from_params(&ca.params, &ca.key);
        (
            ok(params.signed_by(&key, &issuer)).pem(),
            key.serialize_pem(),
        )
    }

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("lbd-tls-{}-{tag}", std::process::id()));
        ok(std::fs::create_dir_all(&d));
        d
    }

    /// Runs a handshake in memory between `client` and `server`.
    fn handshake(client: &mut rustls::ClientConnection, server: &mut rustls::ServerConnection) {
        for _ in 0..20 {
            let mut buf = Vec::new();
            while client.wants_write() {
                ok(client.write_tls(&mut buf));
            }
            let mut rd = &buf[..];
            while !rd.is_empty() {
                ok(server.read_tls(&mut rd));
            }
            ok(server.process_new_packets());
            let mut buf = Vec::new();
            while server.wants_write() {
                ok(server.write_tls(&mut buf));
            }
            let mut rd = &buf[..];
            while !rd.is_empty() {
                ok(client.read_tls(&mut rd));
            }
            ok(client.process_new_packets());
            if !client.is_handshaking() && !server.is_handshaking() {
                return;
            }
        }
        panic!("handshake did not finish");
    }

    #[test]
    fn negotiated_details_reach_tls_info() {
        let ca = ca();
        let dir = tmp("info");
        let (crt, key) = leaf(&ca, "site.test");
        ok(std::fs::write(dir.join("site.pem"), format!("{crt}{key}")));
        ok(std::fs::write(dir.join("ca.pem"), &ca.pem));
        let ssl = BindSsl {
            enabled: true,
            crts: vec![dir.join("site.pem")],
            alpn: vec!["h2".into(), "http/1.1".into()],
            ca_file: Some(dir.join("ca.pem")),
            verify: Verify::Required,
            ..BindSsl::default()
        };
        let (acc, notes) = ok(Acceptor::build(&ssl, true));
        // h2 is served (crate::http2): advertised as written, no warning.
        assert!(notes.warnings.is_empty(), "{:?}", notes.warnings);
        let mut server = ok(rustls::ServerConnection::new(acc.config.clone()));

        let mut roots = RootCertStore::empty();
        ok(roots.add(ok(CertificateDer::from_pem_slice(ca.pem.as_bytes()))));
        let (ccrt, ckey) = leaf(&ca, "client.test");
        let chain = vec![ok(CertificateDer::from_pem_slice(ccrt.as_bytes()))];
        let ckey = ok(PrivateKeyDer::from_pem_slice(ckey.as_bytes()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut cfg = ok(ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions())
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, ckey));
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let name = ok(rustls::pki_types::ServerName::try_from("site.test"));
        let mut client = ok(rustls::ClientConnection::new(Arc::new(cfg), name));
        handshake(&mut client, &mut server);

        let info = info_of(&server);
        assert_eq!(info.sni.as_deref(), Some("site.test"));
        assert_eq!(info.protocol, "TLSv1.3");
        assert!(info.cipher.starts_with("TLS_"), "{}", info.cipher);
        assert_eq!(info.alpn.as_deref(), Some("h2"));
        assert!(info.client_cert_used);
        assert_eq!(info.verify_result, 0);
        assert_eq!(
            info.subject_dn.as_deref(),
            Some("/O=Rampart/CN=client.test")
        );
        assert_eq!(info.issuer_dn.as_deref(), Some("/CN=Test CA"));
        assert!(info.serial.is_some_and(|s| !s.is_empty()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn versions_follow_min_max_and_refuse_old_ones() {
        let p = |min, max| TlsParams {
            min_ver: min,
            max_ver: max,
            ..TlsParams::default()
        };
        assert_eq!(ok(versions(&p(None, None))).len(), 2);
        let only13 = ok(versions(&p(Some(TlsVersion::Tls13), None)));
        assert_eq!(only13.len(), 1);
        assert_eq!(only13[0].version, rustls::ProtocolVersion::TLSv1_3);
        assert!(matches!(
            versions(&p(Some(TlsVersion::Tls10), None)),
            Err(TlsSetupError::OldVersion(_))
        ));
        assert!(matches!(
            versions(&TlsParams {
                no_tls12: true,
                no_tls13: true,
                ..TlsParams::default()
            }),
            Err(TlsSetupError::NoVersion)
        ));
    }

    #[test]
    fn curves_map_openssl_names_and_leave_out_what_rustls_lacks() {
        let mut notes = Notes::default();
        let g = kx_groups("P-384:X25519:P-521:prime256v1:X25519", &mut notes)
            .unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<_> = g.iter().map(|g| g.name()).collect();
        assert_eq!(
            names,
            [
                rustls::NamedGroup::secp384r1,
                rustls::NamedGroup::X25519,
                rustls::NamedGroup::secp256r1
            ]
        );
        assert!(notes.warnings[0].contains("P-521"), "{:?}", notes.warnings);
        assert!(matches!(
            kx_groups("X448", &mut notes),
            Err(TlsSetupError::Curves(_))
        ));
        assert!(matches!(
            kx_groups("P-256:BOGUS", &mut notes),
            Err(TlsSetupError::Curves(_))
        ));
    }
}
