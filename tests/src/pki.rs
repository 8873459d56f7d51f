//! A throwaway certificate authority for TLS tests: a CA and leaf
//! certificates generated at run time (no private key is ever committed),
//! written as HAProxy's combined PEM files (chain + key in one file).

use std::path::{Path, PathBuf};

/// A CA that signs leaf certificates.
pub struct Pki {
    ca_params: rcgen::CertificateParams,
    ca_key: rcgen::KeyPair,
    ca_pem: String,
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("test PKI: {e}"),
    }
}

impl Pki {
    /// A new CA named `cn`.
    pub fn new(cn: &str) -> Pki {
        let ca_key = ok(rcgen::KeyPair::generate());
        let mut ca_params = ok(rcgen::CertificateParams::new(Vec::<String>::new()));
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca_pem = ok(ca_params.self_signed(&ca_key)).pem();
        Pki {
            ca_params,
            ca_key,
            ca_pem,
        }
    }

    /// Writes the CA certificate to `dir/name` (a `ca-file`).
    pub fn write_ca(&self, dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        ok(std::fs::write(&p, &self.ca_pem));
        p
    }

    /// A leaf certificate for `names` (SANs; the first is also the CN),
    /// signed by this CA, as one combined PEM: certificate, then key.
    pub fn leaf_pem(&self, names: &[&str]) -> String {
        let key = ok(rcgen::KeyPair::generate());
        let mut params = ok(rcgen::CertificateParams::new(
            names.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        ));
        if let Some(first) = names.first() {
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, *first);
        }
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let issuer = rcgen::Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = ok(params.signed_by(&key, &issuer));
        format!("{}{}", cert.pem(), key.serialize_pem())
    }

    /// Writes [`Pki::leaf_pem`] to `dir/name` and returns its path.
    pub fn write_leaf(&self, dir: &Path, name: &str, names: &[&str]) -> PathBuf {
        let p = dir.join(name);
        ok(std::fs::write(&p, self.leaf_pem(names)));
        p
    }
}
