//! The TLS part of the configuration model: what `bind ... ssl`, `server ...
//! ssl` and the `ssl-default-*` globals say, as plain serialisable values.
//! Loading files and building rustls objects is `acceptor`/`connector`'s job.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `verify none|optional|required`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Verify {
    #[default]
    None,
    Optional,
    Required,
}

impl Verify {
    pub fn parse(s: &str) -> Option<Verify> {
        match s {
            "none" => Some(Verify::None),
            "optional" => Some(Verify::Optional),
            "required" => Some(Verify::Required),
            _ => None,
        }
    }
}

/// A protocol version as `ssl-min-ver`/`ssl-max-ver` spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TlsVersion {
    Ssl3,
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl TlsVersion {
    pub fn parse(s: &str) -> Option<TlsVersion> {
        match s {
            "SSLv3" => Some(TlsVersion::Ssl3),
            "TLSv1.0" => Some(TlsVersion::Tls10),
            "TLSv1.1" => Some(TlsVersion::Tls11),
            "TLSv1.2" => Some(TlsVersion::Tls12),
            "TLSv1.3" => Some(TlsVersion::Tls13),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Ssl3 => "SSLv3",
            TlsVersion::Tls10 => "TLSv1.0",
            TlsVersion::Tls11 => "TLSv1.1",
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }
}

/// The protocol and cipher settings that binds and servers share, and that
/// `ssl-default-{bind,server}-*` preset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TlsParams {
    /// `ciphers` (TLS 1.2, OpenSSL names separated by `:`).
    pub ciphers: Option<String>,
    /// `ciphersuites` (TLS 1.3).
    pub ciphersuites: Option<String>,
    pub min_ver: Option<TlsVersion>,
    pub max_ver: Option<TlsVersion>,
    /// `no-tlsv12`, `no-tlsv13`.
    pub no_tls12: bool,
    pub no_tls13: bool,
    pub no_tls_tickets: bool,
}

/// `bind ... ssl crt ...` (spec 4.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BindSsl {
    /// `ssl`: without it the certificates are loaded but TLS stays off, as
    /// in HAProxy.
    pub enabled: bool,
    /// `crt`: files or directories, in order; the first certificate loaded is
    /// the default one.
    pub crts: Vec<PathBuf>,
    /// `crt-list` files.
    pub crt_lists: Vec<PathBuf>,
    /// `alpn`, as written.
    pub alpn: Vec<String>,
    pub ca_file: Option<PathBuf>,
    pub crl_file: Option<PathBuf>,
    pub verify: Verify,
    pub params: TlsParams,
    /// `prefer-client-ciphers`: the client's order of cipher suites wins;
    /// without it the configured order does, as 2.6 (which sets OpenSSL's
    /// server preference unless told otherwise).
    #[serde(default)]
    pub prefer_client_ciphers: bool,
    /// `strict-sni`: a handshake whose SNI names no certificate fails.
    #[serde(default)]
    pub strict_sni: bool,
    /// `curves` (else `ssl-default-bind-curves`): key exchange groups in
    /// order, OpenSSL names separated by `:`.
    #[serde(default)]
    pub curves: Option<String>,
    /// `ecdhe`: one group, used when `curves` is not set.
    #[serde(default)]
    pub ecdhe: Option<String>,
    /// `no-ca-names`: the certificate request names no CA.
    #[serde(default)]
    pub no_ca_names: bool,
}

/// `server ... ssl ...` (spec 4.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ServerSsl {
    pub enabled: bool,
    /// `verify`; None means the global `ssl-server-verify` (required unless
    /// set to none).
    pub verify: Option<Verify>,
    pub ca_file: Option<PathBuf>,
    pub crl_file: Option<PathBuf>,
    /// `crt`: a client certificate (chain + key) presented to the server.
    pub crt: Option<PathBuf>,
    /// `sni str(<name>)`: a constant name, known before any request.
    pub sni: Option<String>,
    /// `sni <expr>` of any other form (`req.hdr(host)`), as written: each
    /// request evaluates it (see `crate::connect::server_sni`).
    pub sni_expr: Option<String>,
    /// `alpn`, as written.
    pub alpn: Vec<String>,
    /// `verifyhost`: the name checked in the server's certificate.
    pub verifyhost: Option<String>,
    pub params: TlsParams,
    /// `ssl-default-server-options` were applied (once, to the first
    /// `default-server` or `server` line; later lines inherit them).
    #[serde(skip)]
    pub defaults_applied: bool,
}

/// `ssl-default-*` and `ssl-server-verify` from the global section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SslDefaults {
    /// `ssl-default-bind-options` words, applied before each bind's own.
    pub bind_options: Vec<String>,
    pub bind_ciphers: Option<String>,
    pub bind_ciphersuites: Option<String>,
    /// `ssl-default-bind-curves`.
    #[serde(default)]
    pub bind_curves: Option<String>,
    pub server_options: Vec<String>,
    pub server_ciphers: Option<String>,
    pub server_ciphersuites: Option<String>,
    /// `ssl-server-verify none`: servers without `verify` skip verification.
    pub server_verify_none: bool,
}
