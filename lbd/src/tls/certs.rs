//! Certificates for TLS termination: HAProxy's combined PEM files (chain
//! and key together, or the key in `<crt>.key`, an OCSP response in
//! `<crt>.ocsp`), `crt` directories and `crt-list` files, and the resolver
//! that picks a certificate by SNI. The resolver's table sits behind an
//! `ArcSwap` so a certificate can be replaced without touching connections.

use arc_swap::ArcSwap;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a certificate could not be used. The texts are HAProxy 2.6's, after
/// the `'bind ...' in section '...' : ` prefix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CertError {
    #[error("unable to stat SSL certificate from file '{path}' : {reason}.")]
    Stat { path: String, reason: String },
    #[error("unable to load certificate from file '{0}'.")]
    NoCert(String),
    #[error("unable to load SSL private key from PEM file '{0}'.")]
    NoKey(String),
    #[error("inconsistencies between private key and certificate loaded from PEM file '{0}'.")]
    KeyMismatch(String),
    #[error("unable to load crt-list '{path}' : {reason}.")]
    CrtList { path: String, reason: String },
    #[error("no certificate found in directory '{0}'.")]
    EmptyDir(String),
}

/// One loaded certificate and the names it answers for.
#[derive(Debug, Clone)]
pub struct LoadedCert {
    pub path: PathBuf,
    pub key: Arc<CertifiedKey>,
    /// Lower-case DNS names from the SAN (else the CN); `*.x` for wildcards.
    pub names: Vec<String>,
}

fn reason(e: &std::io::Error) -> String {
    crate::config::parser::io_reason(e)
}

/// Parses a combined PEM (and its `.key`/`.ocsp` companions) from bytes.
/// `key_pem` is the content of `<crt>.key` when the PEM holds no key.
pub fn parse_pem(
    shown: &str,
    pem: &[u8],
    key_pem: Option<&[u8]>,
    ocsp: Option<Vec<u8>>,
) -> Result<LoadedCert, CertError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .collect();
    if chain.is_empty() {
        return Err(CertError::NoCert(shown.to_string()));
    }
    let key = match PrivateKeyDer::from_pem_slice(pem) {
        Ok(k) => k,
        Err(_) => key_pem
            .and_then(|k| PrivateKeyDer::from_pem_slice(k).ok())
            .ok_or_else(|| CertError::NoKey(shown.to_string()))?,
    };
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let signer = provider
        .key_provider
        .load_private_key(key)
        .map_err(|_| CertError::NoKey(shown.to_string()))?;
    if !key_matches(&chain[0], signer.as_ref()) {
        return Err(CertError::KeyMismatch(shown.to_string()));
    }
    let mut ck = CertifiedKey::new(chain, signer);
    ck.ocsp = ocsp.filter(|o| !o.is_empty());
    let names = cert_names(&ck.cert[0]);
    Ok(LoadedCert {
        path: PathBuf::from(shown),
        key: Arc::new(ck),
        names,
    })
}

/// Whether the private key belongs to the certificate. Compared here on
/// the SubjectPublicKeyInfo rather than with rustls' `keys_match`, which
/// also insists on an X.509 v3 certificate: OpenSSL 3's `x509 -req` still
/// writes v1 certificates, and HAProxy serves them.
fn key_matches(leaf: &CertificateDer<'_>, key: &dyn rustls::sign::SigningKey) -> bool {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf.as_ref()) else {
        return false;
    };
    match key.public_key() {
        Some(spki) => spki.as_ref() == cert.public_key().raw,
        // A key type that cannot tell its public half: let the handshake
        // be the judge.
        None => true,
    }
}

/// Loads one certificate file with its companions.
pub fn load_file(path: &Path) -> Result<LoadedCert, CertError> {
    let shown = path.display().to_string();
    let pem = std::fs::read(path).map_err(|e| CertError::Stat {
        path: shown.clone(),
        reason: reason(&e),
    })?;
    let with_ext = |ext: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(ext);
        PathBuf::from(p)
    };
    let key_pem = std::fs::read(with_ext(".key")).ok();
    let ocsp = std::fs::read(with_ext(".ocsp")).ok();
    parse_pem(&shown, &pem, key_pem.as_deref(), ocsp)
}

/// Loads a `crt` argument: a file, or every certificate of a directory in
/// name order (skipping `.key`, `.ocsp`, `.issuer`, `.sctl` and dotfiles).
pub fn load_crt(path: &Path) -> Result<Vec<LoadedCert>, CertError> {
    let meta = std::fs::metadata(path).map_err(|e| CertError::Stat {
        path: path.display().to_string(),
        reason: reason(&e),
    })?;
    if !meta.is_dir() {
        return Ok(vec![load_file(path)?]);
    }
    let rd = std::fs::read_dir(path).map_err(|e| CertError::Stat {
        path: path.display().to_string(),
        reason: reason(&e),
    })?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or(".");
            !name.starts_with('.')
                && ![".key", ".ocsp", ".issuer", ".sctl"]
                    .iter()
                    .any(|x| name.ends_with(x))
                && p.is_file()
        })
        .collect();
    files.sort();
    files.iter().map(|p| load_file(p)).collect()
}

/// Loads a `crt-list`: one `<crt> [[ssl options]] [sni filter...]` per
/// line; filters replace the certificate's own names (`!name` excludes).
pub fn load_crt_list(path: &Path) -> Result<Vec<LoadedCert>, CertError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CertError::CrtList {
        path: shown.clone(),
        reason: reason(&e),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (crt, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        // Per-line ssl options in brackets are not applied (yet).
        let rest = match (rest.find('['), rest.find(']')) {
            (Some(a), Some(b)) if a < b => format!("{} {}", &rest[..a], &rest[b + 1..]),
            _ => rest.to_string(),
        };
        let crt_path = if Path::new(crt).is_absolute() {
            PathBuf::from(crt)
        } else {
            base.join(crt)
        };
        let mut certs = load_crt(&crt_path)?;
        let filters: Vec<&str> = rest.split_whitespace().collect();
        let (neg, pos): (Vec<&str>, Vec<&str>) = filters.iter().partition(|f| f.starts_with('!'));
        for c in &mut certs {
            if !pos.is_empty() {
                c.names = pos.iter().map(|s| s.to_ascii_lowercase()).collect();
            }
            c.names
                .retain(|n| !neg.iter().any(|x| x[1..].eq_ignore_ascii_case(n)));
        }
        out.extend(certs);
    }
    Ok(out)
}

/// The DNS names of a certificate: SAN dNSName entries, else the CN.
pub fn cert_names(der: &CertificateDer<'_>) -> Vec<String> {
    use x509_parser::prelude::*;
    let Ok((_, cert)) = X509Certificate::from_der(der.as_ref()) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for gn in &san.value.general_names {
            if let GeneralName::DNSName(n) = gn {
                names.push(n.to_ascii_lowercase());
            }
        }
    }
    if names.is_empty() {
        for cn in cert.subject().iter_common_name() {
            if let Ok(s) = cn.as_str() {
                names.push(s.to_ascii_lowercase());
            }
        }
    }
    names
}

/// The SNI table of one bind: exact names, wildcard suffixes, the default.
#[derive(Debug, Clone)]
pub struct CertTable {
    exact: HashMap<String, Arc<CertifiedKey>>,
    /// `*.example.com` is stored under `example.com`.
    wildcard: HashMap<String, Arc<CertifiedKey>>,
    default: Arc<CertifiedKey>,
    /// `strict-sni`: no certificate (the handshake fails) unless the SNI
    /// names one; the default certificate is never served.
    strict: bool,
    /// Every certificate with the file it came from, in load order (for
    /// `set ssl cert` and `show ssl cert`).
    pub files: Vec<LoadedCert>,
}

impl CertTable {
    /// Builds the table; the first certificate is the default. For a name
    /// given twice, the first certificate keeps it.
    pub fn new(certs: Vec<LoadedCert>) -> Option<CertTable> {
        let default = certs.first()?.key.clone();
        let mut exact = HashMap::new();
        let mut wildcard = HashMap::new();
        for c in &certs {
            for n in &c.names {
                match n.strip_prefix("*.") {
                    Some(suffix) => wildcard.entry(suffix.to_string()),
                    None => exact.entry(n.clone()),
                }
                .or_insert_with(|| c.key.clone());
            }
        }
        Some(CertTable {
            exact,
            wildcard,
            default,
            strict: false,
            files: certs,
        })
    }

    /// The same table under `strict-sni` (`on`) or not.
    pub fn strict(self, on: bool) -> CertTable {
        CertTable { strict: on, ..self }
    }

    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// What the handshake gets: [`pick`](Self::pick), or under
    /// `strict-sni` only a certificate the SNI names (2.6 aborts the
    /// handshake otherwise, no SNI included).
    pub fn resolve(&self, sni: Option<&str>) -> Option<Arc<CertifiedKey>> {
        if !self.strict {
            return Some(self.pick(sni));
        }
        let name = sni?.trim_end_matches('.').to_ascii_lowercase();
        if let Some(k) = self.exact.get(&name) {
            return Some(k.clone());
        }
        let (_, parent) = name.split_once('.')?;
        self.wildcard.get(parent).cloned()
    }

    /// The certificate for an SNI name (None: no SNI), as HAProxy picks it:
    /// exact name, then a wildcard on the first label, then the default.
    pub fn pick(&self, sni: Option<&str>) -> Arc<CertifiedKey> {
        let Some(name) = sni.map(|s| s.trim_end_matches('.').to_ascii_lowercase()) else {
            return self.default.clone();
        };
        if let Some(k) = self.exact.get(&name) {
            return k.clone();
        }
        if let Some((_, parent)) = name.split_once('.') {
            if let Some(k) = self.wildcard.get(parent) {
                return k.clone();
            }
        }
        self.default.clone()
    }
}

/// rustls' hook: picks from the current table.
#[derive(Debug)]
pub struct SniResolver {
    pub table: ArcSwap<CertTable>,
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.table.load().resolve(hello.server_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(names: &[&str]) -> (String, Vec<u8>) {
        let kp = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let params =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap_or_else(|e| panic!("{e}"));
        let cert = params.self_signed(&kp).unwrap_or_else(|e| panic!("{e}"));
        (cert.pem(), kp.serialize_pem().into_bytes())
    }

    #[test]
    fn strict_sni_serves_only_named_certificates() {
        let (crt, key) = make(&["a.test", "*.w.test"]);
        let c =
            parse_pem("a.pem", crt.as_bytes(), Some(&key), None).unwrap_or_else(|e| panic!("{e}"));
        let t = CertTable::new(vec![c]).unwrap_or_else(|| panic!("empty"));
        assert!(t.resolve(Some("nope.test")).is_some());
        let t = t.strict(true);
        assert!(t.resolve(Some("A.test.")).is_some());
        assert!(t.resolve(Some("x.w.test")).is_some());
        assert!(t.resolve(Some("nope.test")).is_none());
        assert!(t.resolve(None).is_none());
    }

    #[test]
    fn combined_pem_or_separate_key() {
        let (crt, key) = make(&["a.test"]);
        let mut both = crt.clone().into_bytes();
        both.extend_from_slice(&key);
        let c = parse_pem("a.pem", &both, None, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.names, vec!["a.test".to_string()]);
        assert!(parse_pem("a.pem", crt.as_bytes(), Some(&key), None).is_ok());
        assert_eq!(
            parse_pem("a.pem", crt.as_bytes(), None, None).err(),
            Some(CertError::NoKey("a.pem".into()))
        );
        assert_eq!(
            parse_pem("a.pem", b"junk", None, None).err(),
            Some(CertError::NoCert("a.pem".into()))
        );
        let (_, other_key) = make(&["b.test"]);
        assert_eq!(
            parse_pem("a.pem", crt.as_bytes(), Some(&other_key), None).err(),
            Some(CertError::KeyMismatch("a.pem".into()))
        );
    }

    #[test]
    fn sni_picks_exact_then_wildcard_then_default() {
        let load = |names: &[&str]| {
            let (crt, key) = make(names);
            parse_pem(names[0], crt.as_bytes(), Some(&key), None).unwrap_or_else(|e| panic!("{e}"))
        };
        let a = load(&["a.test"]);
        let w = load(&["*.w.test"]);
        let t = CertTable::new(vec![a.clone(), w.clone()]).unwrap_or_else(|| panic!("empty"));
        assert!(Arc::ptr_eq(&t.pick(Some("A.TEST")), &a.key));
        assert!(Arc::ptr_eq(&t.pick(Some("x.w.test")), &w.key));
        assert!(Arc::ptr_eq(&t.pick(Some("x.y.w.test")), &a.key));
        assert!(Arc::ptr_eq(&t.pick(None), &a.key));
    }
}
