//! What a new TLS 1.3 handshake costs lbd's server side, without sockets
//! (issue 6): the RSA-2048 PSS-SHA256 and ECDSA P-256 signatures alone,
//! exactly as rustls' aws-lc-rs provider makes them, and whole handshakes
//! between an in-memory rustls client and a server configured by lbd's own
//! `Acceptor` (tickets, session cache, SNI resolver, ALPN as on a bind).
//! Only the server's calls are timed, on the thread's CPU clock, so the
//! figures compare with `openssl speed rsa2048` and with the bench's CPU µs
//! per handshake.
//!
//! `cargo run --release -p lbd --example tls_handshake_cost [seconds] [rsa|ecdsa] [sign|handshake]`
//! (the filters keep a `perf record` of one part clean).

use lbd::tls::acceptor::Acceptor;
use lbd::tls::conf::BindSsl;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, ServerConnection, SignatureScheme,
};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The calling thread's CPU time: the machine is shared, so wall time would
/// count other processes' slices.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the struct passed by pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn key_pair(rsa: bool) -> Res<rcgen::KeyPair> {
    Ok(if rsa {
        rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)?
    } else {
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?
    })
}

/// Signs a 130-byte message (the size of a TLS 1.3 CertificateVerify input)
/// for `secs` seconds; returns signatures per second of thread CPU.
fn signs_per_sec(rsa: bool, secs: f64) -> Res<f64> {
    let kp = key_pair(rsa)?;
    let der = PrivateKeyDer::try_from(kp.serialize_der()).map_err(|e| e.to_string())?;
    let key = rustls::crypto::aws_lc_rs::sign::any_supported_type(&der)?;
    let scheme = if rsa {
        SignatureScheme::RSA_PSS_SHA256
    } else {
        SignatureScheme::ECDSA_NISTP256_SHA256
    };
    let signer = key.choose_scheme(&[scheme]).ok_or("no signer")?;
    let msg = [0x20u8; 130];
    let start = thread_cpu();
    let mut n = 0u64;
    while (thread_cpu() - start).as_secs_f64() < secs {
        for _ in 0..16 {
            signer.sign(&msg)?;
        }
        n += 16;
    }
    Ok(n as f64 / (thread_cpu() - start).as_secs_f64())
}

#[derive(Debug)]
struct NoVerify(Vec<SignatureScheme>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.clone()
    }
}

/// The bench's client: TLS 1.3, X25519, AES-256-GCM, no resumption.
fn client_config() -> Res<Arc<ClientConfig>> {
    let base = rustls::crypto::aws_lc_rs::default_provider();
    let schemes = base.signature_verification_algorithms.supported_schemes();
    let provider = rustls::crypto::CryptoProvider {
        cipher_suites: vec![rustls::crypto::aws_lc_rs::cipher_suite::TLS13_AES_256_GCM_SHA384],
        kx_groups: vec![rustls::crypto::aws_lc_rs::kx_group::X25519],
        ..base
    };
    let mut cfg = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NoVerify(schemes)))
        .with_no_client_auth();
    cfg.resumption = rustls::client::Resumption::disabled();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// An lbd acceptor as `bind :443 ssl crt <pem> alpn h2,http/1.1` builds it.
fn acceptor(rsa: bool, dir: &std::path::Path) -> Res<Acceptor> {
    let kp = key_pair(rsa)?;
    let cert = rcgen::CertificateParams::new(vec!["bench.test".to_string()])?.self_signed(&kp)?;
    let path = dir.join(if rsa { "rsa.pem" } else { "ecdsa.pem" });
    std::fs::write(&path, format!("{}{}", cert.pem(), kp.serialize_pem()))?;
    let ssl = BindSsl {
        enabled: true,
        crts: vec![path],
        alpn: vec!["h2".into(), "http/1.1".into()],
        ..BindSsl::default()
    };
    Ok(Acceptor::build(&ssl, true)?.0)
}

/// Moves everything one side has to send into the other side.
fn pump(
    from: &mut dyn FnMut(&mut Vec<u8>) -> std::io::Result<usize>,
    buf: &mut Vec<u8>,
) -> Res<()> {
    buf.clear();
    while from(buf)? > 0 {}
    Ok(())
}

/// Handshakes plus one small request/response each, as in the bench;
/// returns (server CPU µs per handshake, client CPU µs per handshake).
fn handshakes(rsa: bool, secs: f64, dir: &std::path::Path) -> Res<(f64, f64)> {
    let server_cfg = acceptor(rsa, dir)?.server_config();
    let client_cfg = client_config()?;
    let name = ServerName::try_from("bench.test")?;
    let (mut server_t, mut client_t) = (Duration::ZERO, Duration::ZERO);
    let mut n = 0u64;
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut app = [0u8; 4096];
    while (server_t + client_t).as_secs_f64() < secs {
        let t0 = thread_cpu();
        let mut c = ClientConnection::new(client_cfg.clone(), name.clone())?;
        pump(&mut |b| c.write_tls(b), &mut buf)?;
        let t1 = thread_cpu();
        client_t += t1 - t0;
        let mut s = ServerConnection::new(server_cfg.clone())?;
        s.read_tls(&mut &buf[..])?;
        s.process_new_packets()?;
        pump(&mut |b| s.write_tls(b), &mut buf)?;
        let t2 = thread_cpu();
        server_t += t2 - t1;
        c.read_tls(&mut &buf[..])?;
        c.process_new_packets()?;
        c.writer()
            .write_all(b"GET / HTTP/1.1\r\nhost: bench.test\r\n\r\n")?;
        pump(&mut |b| c.write_tls(b), &mut buf)?;
        let t3 = thread_cpu();
        client_t += t3 - t2;
        let mut off = 0;
        while off < buf.len() {
            off += s.read_tls(&mut &buf[off..])?;
            s.process_new_packets()?;
        }
        let got = s.reader().read(&mut app)?;
        if got == 0 || s.is_handshaking() {
            return Err("server saw no request".into());
        }
        s.writer()
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")?;
        // The server's tickets go out with (or before) the response, as on a socket.
        pump(&mut |b| s.write_tls(b), &mut buf)?;
        let t4 = thread_cpu();
        server_t += t4 - t3;
        let mut off = 0;
        while off < buf.len() {
            off += c.read_tls(&mut &buf[off..])?;
            c.process_new_packets()?;
        }
        client_t += thread_cpu() - t4;
        n += 1;
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    Ok((per(server_t), per(client_t)))
}

fn main() -> Res<()> {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3.0);
    let dir = std::env::temp_dir().join(format!("lbd-hs-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = (|| -> Res<()> {
        let only: Vec<String> = std::env::args().skip(2).collect();
        let wanted = |what: &str, all: &[&str]| {
            only.iter().any(|o| o == what) || !only.iter().any(|o| all.contains(&o.as_str()))
        };
        for rsa in [true, false] {
            if !wanted(if rsa { "rsa" } else { "ecdsa" }, &["rsa", "ecdsa"]) {
                continue;
            }
            let label = if rsa {
                "RSA-2048 PSS-SHA256"
            } else {
                "ECDSA P-256 SHA256"
            };
            let mut sign_us = f64::NAN;
            if wanted("sign", &["sign", "handshake"]) {
                let sps = signs_per_sec(rsa, secs)?;
                sign_us = 1e6 / sps;
                println!("{label}: {sps:.0} signs/s ({sign_us:.1} µs each, thread CPU)");
            }
            if !wanted("handshake", &["sign", "handshake"]) {
                continue;
            }
            let (server, client) = handshakes(rsa, secs, &dir)?;
            println!(
                "{label}: whole handshake + 1 request, server {server:.1} µs CPU ({:.1} µs outside the signature), client {client:.1} µs",
                server - sign_us
            );
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
