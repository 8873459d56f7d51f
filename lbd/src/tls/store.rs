//! Certificate hot update, as HAProxy's runtime API does it: `set ssl cert
//! <file> <payload>` opens (or extends) a transaction, `commit ssl cert
//! <file>` swaps the new certificate into every bind that loaded `<file>`,
//! `abort ssl cert <file>` drops it, `show ssl cert` lists the files.
//!
//! A commit replaces the SNI table of each bind atomically (`ArcSwap`):
//! handshakes already under way and established connections keep the old
//! certificate, new handshakes get the new one. Nothing here does I/O; the
//! CLI module turns these results into its replies.

use super::certs::{parse_pem, CertTable, SniResolver};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, Weak};

#[derive(Debug, Default)]
struct Txn {
    path: String,
    /// The PEM blocks of each kind given so far.
    certs: Option<String>,
    key: Option<String>,
}

/// Every bind's resolver, and the one transaction HAProxy allows at a time.
#[derive(Debug, Default)]
pub struct CertStore {
    resolvers: Mutex<Vec<Weak<SniResolver>>>,
    txn: Mutex<Option<Txn>>,
}

/// The process-wide store the binds register with.
pub static STORE: LazyLock<CertStore> = LazyLock::new(CertStore::default);

/// The PEM blocks of `payload` that `keep` accepts, concatenated.
fn blocks(payload: &str, keep: impl Fn(&str) -> bool) -> Option<String> {
    let mut out = String::new();
    let mut cur: Option<String> = None;
    for line in payload.lines() {
        let line = line.trim_end();
        if let Some(label) = line.strip_prefix("-----BEGIN ") {
            cur = keep(label.trim_end_matches('-')).then(String::new);
        }
        if let Some(b) = cur.as_mut() {
            b.push_str(line);
            b.push('\n');
            if line.starts_with("-----END ") {
                out.push_str(b);
                cur = None;
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

impl CertStore {
    /// Remembers a bind's resolver (dropped binds fall out on their own).
    pub fn register(&self, r: &Arc<SniResolver>) {
        if let Ok(mut v) = self.resolvers.lock() {
            v.retain(|w| w.strong_count() > 0);
            v.push(Arc::downgrade(r));
        }
    }

    fn live(&self) -> Vec<Arc<SniResolver>> {
        self.resolvers
            .lock()
            .map(|v| v.iter().filter_map(Weak::upgrade).collect())
            .unwrap_or_default()
    }

    /// Every certificate file loaded by a live bind, sorted, without repeats.
    fn files(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .live()
            .iter()
            .flat_map(|r| {
                r.table
                    .load()
                    .files
                    .iter()
                    .map(|c| c.path.display().to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// `set ssl cert <path> <payload>`.
    pub fn set(&self, path: &str, payload: &str) -> Result<String, String> {
        if !self.files().iter().any(|f| f == path) {
            return Err(
                "Can't replace a certificate which is not referenced by the configuration!\n"
                    .into(),
            );
        }
        let certs = blocks(payload, |l| l == "CERTIFICATE");
        let key = blocks(payload, |l| l.ends_with("PRIVATE KEY"));
        let certs_ok = certs
            .as_deref()
            .is_none_or(|c| CertificateDer::pem_slice_iter(c.as_bytes()).all(|r| r.is_ok()));
        let key_ok = key
            .as_deref()
            .is_none_or(|k| PrivateKeyDer::from_pem_slice(k.as_bytes()).is_ok());
        if (certs.is_none() && key.is_none()) || !certs_ok || !key_ok {
            return Err("Can't load the payload\n".into());
        }
        let Ok(mut slot) = self.txn.lock() else {
            return Err("Can't update the certificate!\n".into());
        };
        let created = match slot.as_ref() {
            Some(t) if t.path != path => {
                return Err(format!(
                    "The ongoing transaction is about '{}' but you are trying to set '{path}'\n",
                    t.path
                ))
            }
            Some(_) => false,
            None => true,
        };
        let t = slot.get_or_insert_with(|| Txn {
            path: path.to_string(),
            ..Txn::default()
        });
        if certs.is_some() {
            t.certs = certs;
        }
        if key.is_some() {
            t.key = key;
        }
        Ok(if created {
            format!("Transaction created for certificate {path}!\n")
        } else {
            format!("Transaction updated for certificate {path}!\n")
        })
    }

    /// `commit ssl cert <path>`: one dot per bind updated, as HAProxy
    /// prints one per certificate instance.
    pub fn commit(&self, path: &str) -> Result<String, String> {
        let Ok(mut slot) = self.txn.lock() else {
            return Err(format!("Can't commit {path}!\n"));
        };
        let Some(t) = slot.as_ref() else {
            return Err("No ongoing transaction! !\n".into());
        };
        if t.path != path {
            return Err(format!(
                "The ongoing transaction is about '{}' but you are trying to set '{path}'\n",
                t.path
            ));
        }
        let (Some(certs), Some(key)) = (&t.certs, &t.key) else {
            return Err(
                "The transaction must contain at least a certificate and a private key!\n".into(),
            );
        };
        let pem = format!("{certs}{key}");
        let loaded = parse_pem(path, pem.as_bytes(), None, None).map_err(|_| {
            format!("inconsistencies between private key and certificate loaded '{path}'.\n")
        })?;
        let mut out = format!("Committing {path}");
        for r in self.live() {
            let table = r.table.load();
            if !table.files.iter().any(|c| c.path == Path::new(path)) {
                continue;
            }
            let files = table
                .files
                .iter()
                .map(|c| {
                    if c.path == Path::new(path) {
                        // Names come from the new certificate, except a
                        // crt-list's filters, which the line gave.
                        loaded.clone()
                    } else {
                        c.clone()
                    }
                })
                .collect();
            if let Some(new) = CertTable::new(files) {
                r.table.store(Arc::new(new.strict(table.is_strict())));
                out.push('.');
            }
        }
        *slot = None;
        out.push_str("\nSuccess!\n");
        Ok(out)
    }

    /// `abort ssl cert <path>`.
    pub fn abort(&self, path: &str) -> Result<String, String> {
        let Ok(mut slot) = self.txn.lock() else {
            return Err("No ongoing transaction!\n".into());
        };
        match slot.as_ref() {
            Some(t) if t.path == path => {
                *slot = None;
                Ok(format!("Transaction aborted for certificate '{path}'!\n"))
            }
            _ => Err("No ongoing transaction!\n".into()),
        }
    }

    /// `show ssl cert` (the list form).
    pub fn show(&self) -> String {
        let mut out = String::new();
        if let Ok(slot) = self.txn.lock() {
            if let Some(t) = slot.as_ref() {
                out.push_str(&format!("# transaction\n*{}\n", t.path));
            }
        }
        out.push_str("# filename\n");
        for f in self.files() {
            out.push_str(&f);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arc_swap::ArcSwap;

    fn pem(names: &[&str]) -> (String, String) {
        let kp = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let params =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap_or_else(|e| panic!("{e}"));
        let cert = params.self_signed(&kp).unwrap_or_else(|e| panic!("{e}"));
        (cert.pem(), kp.serialize_pem())
    }

    #[test]
    fn set_then_commit_swaps_the_certificate_for_new_handshakes() {
        let store = CertStore::default();
        let (c1, k1) = pem(&["old.test"]);
        let first = parse_pem("/c/site.pem", format!("{c1}{k1}").as_bytes(), None, None)
            .unwrap_or_else(|e| panic!("{e}"));
        let resolver = Arc::new(SniResolver {
            table: ArcSwap::from_pointee(
                CertTable::new(vec![first.clone()]).unwrap_or_else(|| panic!("empty")),
            ),
        });
        store.register(&resolver);
        assert_eq!(store.show(), "# filename\n/c/site.pem\n");
        assert!(store.set("/c/other.pem", &c1).is_err());
        let (c2, k2) = pem(&["new.test"]);
        assert_eq!(
            store.set("/c/site.pem", &c2),
            Ok("Transaction created for certificate /c/site.pem!\n".into())
        );
        assert_eq!(
            store.commit("/c/site.pem"),
            Err("The transaction must contain at least a certificate and a private key!\n".into())
        );
        assert_eq!(
            store.set("/c/site.pem", &k2),
            Ok("Transaction updated for certificate /c/site.pem!\n".into())
        );
        assert_eq!(
            store.show(),
            "# transaction\n*/c/site.pem\n# filename\n/c/site.pem\n"
        );
        let held = resolver.table.load_full();
        assert_eq!(
            store.commit("/c/site.pem"),
            Ok("Committing /c/site.pem.\nSuccess!\n".into())
        );
        let now = resolver.table.load().pick(Some("new.test"));
        assert!(!Arc::ptr_eq(&now, &first.key));
        // What was loaded before stays valid for whoever holds it.
        assert!(Arc::ptr_eq(&held.pick(None), &first.key));
        assert_eq!(
            store.abort("/c/site.pem"),
            Err("No ongoing transaction!\n".into())
        );
    }

    #[test]
    fn mismatched_key_is_refused_at_commit() {
        let store = CertStore::default();
        let (c1, k1) = pem(&["a.test"]);
        let first = parse_pem("/c/a.pem", format!("{c1}{k1}").as_bytes(), None, None)
            .unwrap_or_else(|e| panic!("{e}"));
        let resolver = Arc::new(SniResolver {
            table: ArcSwap::from_pointee(
                CertTable::new(vec![first]).unwrap_or_else(|| panic!("empty")),
            ),
        });
        store.register(&resolver);
        let (c2, _) = pem(&["a.test"]);
        assert!(store.set("/c/a.pem", &format!("{c2}{k1}")).is_ok());
        assert_eq!(
            store.commit("/c/a.pem"),
            Err("inconsistencies between private key and certificate loaded '/c/a.pem'.\n".into())
        );
        assert_eq!(
            store.abort("/c/a.pem"),
            Ok("Transaction aborted for certificate '/c/a.pem'!\n".into())
        );
    }
}
