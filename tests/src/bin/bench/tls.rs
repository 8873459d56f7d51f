//! The TLS and HTTP/2 benchmarks (issue 6, "Performance"): lbd against HAProxy 2.6 on
//! the same workloads, in alternating rounds.
//!
//! Each proxy is started once with one frontend and three binds: TLS with an ECDSA P-256
//! certificate, TLS with an RSA-2048 certificate (both `alpn h2,http/1.1`), and a
//! cleartext `proto h2` bind; the certificates are generated per run. Workloads:
//!
//! - new TLS 1.3 handshakes (no resumption), ECDSA and RSA: `__tls-load`, a rustls client
//!   in its own process, one `GET` per connection (`Connection: close`);
//! - resumed handshakes (TLS 1.3 tickets, the client's shared session store);
//! - HTTPS keep-alive requests with wrk;
//! - h2 with h2load over TLS (ALPN h2) and cleartext.
//!
//! The handshake client pins what both proxies negotiate (TLS 1.3, X25519,
//! TLS_AES_256_GCM_SHA384, OpenSSL's default first suite) and skips certificate and
//! signature checks, so its own cost per handshake stays below a proxy's and the proxy
//! is the bottleneck; its CPU per operation is reported to show it. Idle memory, measured
//! first on the freshly started proxies (RSS does not shrink back after the load
//! rounds): the harness itself holds 5,000 finished handshakes open on each proxy and
//! reads the proxy's VmRSS before and after, then sends one keep-alive `GET` on each of
//! them and reads VmRSS again (idle connections that have served a request, as a
//! browser leaves them). NGINX is skipped (it cannot read the config).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, HandshakeKind, SignatureScheme};
use serde::{Deserialize, Serialize};

use crate::machine;
use crate::procs::{self, Proc};
use crate::run::{self, Env, ProxySpec, STARTUP_LIMIT};
use crate::stats::{median, ratio_summary, RatioSummary};
use crate::{h2, wrk};

/// Concurrent connections of the handshake client: enough to keep a one-thread proxy
/// busy while one handshake waits on the network.
pub const HANDSHAKE_CONNS: usize = 16;
/// Connections held open for the idle-memory measurement.
pub const IDLE_CONNS: usize = 5_000;
const SERVER_NAME: &str = "bench.test";
const ROUND_SLACK: Duration = Duration::from_secs(15);

/// What one workload measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Workload {
    NewEcdsa,
    NewRsa,
    Resumed,
    KeepAlive,
    H2Tls,
    H2Clear,
}

impl Workload {
    pub const TLS: [Workload; 4] = [
        Workload::NewEcdsa,
        Workload::NewRsa,
        Workload::Resumed,
        Workload::KeepAlive,
    ];
    pub const H2: [Workload; 2] = [Workload::H2Tls, Workload::H2Clear];

    /// The name `BENCH_TLS_ONLY` selects a workload by.
    fn key(self) -> &'static str {
        match self {
            Workload::NewEcdsa => "new-ecdsa",
            Workload::NewRsa => "new-rsa",
            Workload::Resumed => "resumed",
            Workload::KeepAlive => "keep-alive",
            Workload::H2Tls => "h2-tls",
            Workload::H2Clear => "h2-clear",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Workload::NewEcdsa => "new TLS 1.3 handshakes/s, ECDSA P-256",
            Workload::NewRsa => "new TLS 1.3 handshakes/s, RSA-2048",
            Workload::Resumed => "resumed TLS 1.3 handshakes/s (tickets), ECDSA",
            Workload::KeepAlive => "HTTPS keep-alive req/s (wrk -c50), ECDSA",
            Workload::H2Tls => "h2 req/s over TLS (h2load -c10 -m10), ECDSA",
            Workload::H2Clear => "h2 req/s cleartext proto h2 (h2load -c10 -m10)",
        }
    }

    /// The target for lbd ÷ HAProxy.
    fn target(self) -> f64 {
        match self {
            Workload::NewEcdsa | Workload::NewRsa => 1.5,
            _ => 1.0,
        }
    }
}

/// The three listening ports of one proxy.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub ecdsa: u16,
    pub rsa: u16,
    pub h2c: u16,
}

/// The proxy config: one frontend, three binds, one server.
pub fn config(threads: usize, p: Ports, backend: u16, ecdsa: &Path, rsa: &Path) -> String {
    format!(
        "global
    nbthread {threads}
    maxconn 6000

defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 60s
    timeout server 30s

frontend fe
    bind 127.0.0.1:{} ssl crt {} alpn h2,http/1.1
    bind 127.0.0.1:{} ssl crt {} alpn h2,http/1.1
    bind 127.0.0.1:{} proto h2
    default_backend be

backend be
    server s1 127.0.0.1:{backend}
",
        p.ecdsa,
        ecdsa.display(),
        p.rsa,
        rsa.display(),
        p.h2c,
    )
}

/// A self-signed certificate for [`SERVER_NAME`] with a key of `alg`, as HAProxy's
/// combined PEM (certificate, then key).
fn combined_pem(rsa: bool) -> Result<String> {
    let key = if rsa {
        rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
    } else {
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
    }
    .context("generating a key")?;
    let mut params = rcgen::CertificateParams::new(vec![SERVER_NAME.to_string()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, SERVER_NAME);
    let cert = params
        .self_signed(&key)
        .context("signing the certificate")?;
    Ok(format!("{}{}", cert.pem(), key.serialize_pem()))
}

/// Accepts any certificate and signature: the benchmark measures the server's work, and
/// checking would make the client, not the proxy, the bottleneck.
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
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.clone()
    }
}

/// TLS 1.3 only, X25519 only (OpenSSL 3.0 has no hybrid post-quantum group; offering one
/// would give rustls more work than OpenSSL), one suite.
fn client_config(resume: bool) -> Result<Arc<ClientConfig>> {
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
    if !resume {
        cfg.resumption = rustls::client::Resumption::disabled();
    }
    Ok(Arc::new(cfg))
}

fn server_name() -> Result<ServerName<'static>> {
    ServerName::try_from(SERVER_NAME).context("server name")
}

/// One connection: handshake, `GET /`, the whole response. Returns whether the
/// handshake resumed a session.
fn one_request(addr: SocketAddr, cfg: &Arc<ClientConfig>) -> Result<bool> {
    let tcp = TcpStream::connect(addr)?;
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
    let conn = rustls::ClientConnection::new(cfg.clone(), server_name()?)?;
    let mut s = rustls::StreamOwned::new(conn, tcp);
    s.write_all(b"GET / HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n")?;
    let mut resp = Vec::with_capacity(256);
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => resp.extend_from_slice(&chunk[..n]),
            // A close without close_notify ends the response as well.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e.into()),
        }
    }
    if !resp.starts_with(b"HTTP/1.1 200") {
        bail!("unexpected response {:?}", String::from_utf8_lossy(&resp));
    }
    Ok(s.conn.handshake_kind() == Some(HandshakeKind::Resumed))
}

/// What `__tls-load` prints.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LoadResult {
    pub ok: u64,
    pub errors: u64,
    pub resumed: u64,
    pub elapsed_us: u64,
    /// The client's own CPU time (user+system).
    pub cpu_us: u64,
    pub first_error: Option<String>,
}

fn own_cpu_us() -> u64 {
    // SAFETY: getrusage only writes into the struct passed by pointer.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0;
    }
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    us(ru.ru_utime) + us(ru.ru_stime)
}

/// `__tls-load ADDR new|resume CONNS MS`: CONNS threads each run [`one_request`] in a
/// loop for MS milliseconds; prints a [`LoadResult`] as JSON.
pub fn load_main(args: &[String]) -> Result<()> {
    let addr = run::parse_addr(args.first())?;
    let resume = match args.get(1).map(String::as_str) {
        Some("new") => false,
        Some("resume") => true,
        other => bail!("__tls-load: new or resume, not {other:?}"),
    };
    let conns: usize = args.get(2).context("missing connection count")?.parse()?;
    let ms: u64 = args.get(3).context("missing duration")?.parse()?;
    let cfg = client_config(resume)?;
    if resume {
        // A first full handshake fills the session store.
        one_request(addr, &cfg)?;
    }
    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let resumed = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let cpu0 = own_cpu_us();
    let start = Instant::now();
    let end = start + Duration::from_millis(ms);
    let threads: Vec<_> = (0..conns)
        .map(|_| {
            let (cfg, ok, errors, resumed, first_error) = (
                cfg.clone(),
                ok.clone(),
                errors.clone(),
                resumed.clone(),
                first_error.clone(),
            );
            std::thread::spawn(move || {
                while Instant::now() < end {
                    match one_request(addr, &cfg) {
                        Ok(r) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            resumed.fetch_add(r as u64, Ordering::Relaxed);
                        }
                        Err(e) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            if let Ok(mut f) = first_error.lock() {
                                f.get_or_insert_with(|| format!("{e:#}"));
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    let r = LoadResult {
        ok: ok.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        resumed: resumed.load(Ordering::Relaxed),
        elapsed_us: start.elapsed().as_micros() as u64,
        cpu_us: own_cpu_us().saturating_sub(cpu0),
        first_error: first_error.lock().ok().and_then(|f| f.clone()),
    };
    println!("{}", serde_json::to_string(&r)?);
    Ok(())
}

/// One round of one workload on one proxy.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub proxy: String,
    pub workload: Workload,
    pub round: usize,
    /// Operations (handshakes or requests) per second.
    pub rate: f64,
    pub ops: u64,
    pub errors: u64,
    /// Handshakes that resumed a session (handshake workloads).
    pub resumed: u64,
    pub cpu_us: u64,
    /// The load generator's CPU, when it reports it (`__tls-load`).
    pub client_cpu_us: Option<u64>,
    /// Share of the machine's CPU the hypervisor stole during the round's group (percent).
    pub steal_pct: f64,
}

struct Instance {
    name: String,
    proc_: Proc,
    ports: Ports,
    pids: Vec<u32>,
}

/// One workload round against `inst`.
fn round(env: &Env, inst: &Instance, w: Workload) -> Result<Sample> {
    let secs = env.opts.secs;
    let limit = Duration::from_secs(secs) + ROUND_SLACK;
    let others = &env.placement.others;
    let before = procs::cpu_micros(&inst.pids);
    let (ops, rate, errors, resumed, client_cpu_us) = match w {
        Workload::NewEcdsa | Workload::NewRsa | Workload::Resumed => {
            let port = if w == Workload::NewRsa {
                inst.ports.rsa
            } else {
                inst.ports.ecdsa
            };
            let mut cmd = Command::new(&env.self_exe);
            cmd.args([
                "__tls-load".to_string(),
                format!("127.0.0.1:{port}"),
                if w == Workload::Resumed {
                    "resume"
                } else {
                    "new"
                }
                .to_string(),
                HANDSHAKE_CONNS.to_string(),
                (secs * 1000).to_string(),
            ]);
            let out = procs::run_bounded("tls-load", cmd, limit, others)?;
            let r: LoadResult = serde_json::from_str(out.trim())
                .with_context(|| format!("tls-load said {out:?}"))?;
            if r.ok == 0 {
                bail!(
                    "no handshake completed through port {port}: {}",
                    r.first_error.unwrap_or_default()
                );
            }
            let rate = r.ok as f64 / (r.elapsed_us.max(1) as f64 / 1e6);
            (r.ok, rate, r.errors, r.resumed, Some(r.cpu_us))
        }
        Workload::KeepAlive => {
            let url = format!("https://127.0.0.1:{}/", inst.ports.ecdsa);
            let mut cmd = Command::new("wrk");
            cmd.args(wrk::args(&url, env.opts.conns, secs));
            let out = procs::run_bounded("wrk", cmd, limit, others)?;
            let r = wrk::parse(&out)?;
            if r.requests == 0 {
                bail!("wrk completed no request through {url}:\n{out}");
            }
            (r.requests, r.requests_per_sec, r.errors, 0, None)
        }
        Workload::H2Tls | Workload::H2Clear => {
            let url = if w == Workload::H2Tls {
                format!("https://127.0.0.1:{}/", inst.ports.ecdsa)
            } else {
                format!("http://127.0.0.1:{}/", inst.ports.h2c)
            };
            let mut cmd = Command::new("h2load");
            cmd.args(h2::args(&url, secs));
            let out = procs::run_bounded("h2load", cmd, limit, others)?;
            let r = h2::parse(&out)?;
            if r.succeeded == 0 {
                bail!("h2load completed no request through {url}:\n{out}");
            }
            (r.succeeded, r.rps, r.errors, 0, None)
        }
    };
    let cpu_us = procs::cpu_micros(&inst.pids).saturating_sub(before);
    Ok(Sample {
        proxy: inst.name.clone(),
        workload: w,
        round: 0,
        rate,
        ops,
        errors,
        resumed,
        cpu_us,
        client_cpu_us,
        steal_pct: 0.0,
    })
}

/// Idle memory of one proxy: VmRSS with [`IDLE_CONNS`] finished handshakes held open,
/// then with the same connections idle after one keep-alive request each.
#[derive(Debug, Clone, Serialize)]
pub struct IdleSample {
    pub proxy: String,
    pub before_kib: u64,
    pub after_kib: u64,
    pub after_request_kib: u64,
    pub conns: usize,
}

impl IdleSample {
    pub fn kib_per_conn(&self) -> f64 {
        self.after_kib.saturating_sub(self.before_kib) as f64 / self.conns as f64
    }

    pub fn kib_per_conn_after_request(&self) -> f64 {
        self.after_request_kib.saturating_sub(self.before_kib) as f64 / self.conns as f64
    }
}

/// One keep-alive `GET /` on an established connection, reading the whole response
/// (framed by Content-Length) so the connection is idle again afterwards.
fn keep_alive_request(conn: &mut rustls::ClientConnection, tcp: &mut TcpStream) -> Result<()> {
    let mut s = rustls::Stream::new(conn, tcp);
    s.write_all(b"GET / HTTP/1.1\r\nHost: bench.test\r\n\r\n")?;
    let mut resp = Vec::with_capacity(512);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = resp.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&resp[..end]).to_ascii_lowercase();
            if !head.starts_with("http/1.1 200") {
                bail!("unexpected response {head:?}");
            }
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .context("response without Content-Length")?;
            if resp.len() >= end + 4 + len {
                return Ok(());
            }
        }
        match s.read(&mut chunk)? {
            0 => bail!("connection closed after {} response bytes", resp.len()),
            n => resp.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Reads VmRSS until two reads 200 ms apart agree (the proxy has finished the last
/// handshakes), at most 3 s.
fn settled_rss(pids: &[u32]) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut last = procs::memory_kib(pids).0;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        let now = procs::memory_kib(pids).0;
        if now == last {
            break;
        }
        last = now;
    }
    last
}

fn idle(inst: &Instance) -> Result<IdleSample> {
    let addr = SocketAddr::from(([127, 0, 0, 1], inst.ports.ecdsa));
    let cfg = client_config(false)?;
    let before_kib = settled_rss(&inst.pids);
    let mut held = Vec::with_capacity(IDLE_CONNS);
    for i in 0..IDLE_CONNS {
        let mut tcp = TcpStream::connect(addr)
            .with_context(|| format!("{}: idle connection {i}", inst.name))?;
        tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut conn = rustls::ClientConnection::new(cfg.clone(), server_name()?)?;
        // Bounded: a TLS 1.3 handshake is a few flights.
        for _ in 0..16 {
            if !conn.is_handshaking() {
                break;
            }
            conn.complete_io(&mut tcp)
                .with_context(|| format!("{}: handshake {i}", inst.name))?;
        }
        if conn.is_handshaking() {
            bail!("{}: handshake {i} did not finish", inst.name);
        }
        held.push((conn, tcp));
    }
    let after_kib = settled_rss(&inst.pids);
    for (i, (conn, tcp)) in held.iter_mut().enumerate() {
        keep_alive_request(conn, tcp)
            .with_context(|| format!("{}: request on idle connection {i}", inst.name))?;
    }
    let after_request_kib = settled_rss(&inst.pids);
    drop(held);
    Ok(IdleSample {
        proxy: inst.name.clone(),
        before_kib,
        after_kib,
        after_request_kib,
        conns: IDLE_CONNS,
    })
}

/// Per workload and proxy, medians over rounds.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub workload: Workload,
    pub proxy: String,
    pub rate: f64,
    pub cpu_us_per_op: f64,
    pub client_cpu_us_per_op: Option<f64>,
    pub errors: u64,
    /// Share of handshakes that resumed (handshake workloads).
    pub resumed_share: Option<f64>,
}

/// lbd ÷ HAProxy for one workload.
#[derive(Debug, Clone, Serialize)]
pub struct Vs {
    pub workload: Workload,
    pub rate: RatioSummary,
    pub cpu: RatioSummary,
    pub target: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TlsSummary {
    pub rows: Vec<Row>,
    pub vs_haproxy: Vec<Vs>,
    pub idle: Vec<IdleSample>,
    pub samples: Vec<Sample>,
    /// Round groups run again because the hypervisor stole more than `--max-steal`.
    pub discarded_rounds: usize,
}

/// Runs `workloads` (and the idle-memory measurement when `idle_rss`) on every proxy
/// but NGINX.
pub fn run(
    env: &Env,
    proxies: &[ProxySpec],
    workloads: &[Workload],
    idle_rss: bool,
) -> Result<TlsSummary> {
    // `BENCH_TLS_ONLY=new-rsa` (a comma list of `Workload::key`s, and `idle` for the
    // idle-memory step) runs just those: for profiling one of them.
    let only = std::env::var("BENCH_TLS_ONLY").ok();
    let workloads: Vec<Workload> = workloads
        .iter()
        .copied()
        .filter(|w| {
            only.as_ref()
                .is_none_or(|o| o.split(',').any(|k| k == w.key()))
        })
        .collect();
    let workloads = &workloads[..];
    let idle_rss = idle_rss
        && only
            .as_ref()
            .is_none_or(|o| o.split(',').any(|k| k == "idle"));
    let backend_port = procs::free_port()?;
    let mut cmd = Command::new(&env.self_exe);
    cmd.args([
        "__http-backend".to_string(),
        format!("127.0.0.1:{backend_port}"),
    ]);
    let mut backend = procs::spawn("tls-backend", cmd, env.dir, &env.placement.others)?;
    procs::wait_listening(&mut backend, backend_port, STARTUP_LIMIT)?;
    let (ecdsa, rsa) = write_certs(env.dir)?;

    let mut inst = Vec::new();
    for p in proxies.iter().filter(|p| p.name != "nginx") {
        let ports = Ports {
            ecdsa: procs::free_port()?,
            rsa: procs::free_port()?,
            h2c: procs::free_port()?,
        };
        let text = config(env.opts.threads, ports, backend_port, &ecdsa, &rsa);
        let mut proc_ = run::launch(env, p, "tls", ports.ecdsa, &text)?;
        procs::wait_listening(&mut proc_, ports.h2c, STARTUP_LIMIT)?;
        let pids = procs::process_tree(proc_.pid());
        inst.push(Instance {
            name: p.label(),
            proc_,
            ports,
            pids,
        });
    }

    // Idle memory first, on fresh processes: the allocator keeps what the load rounds
    // grew, which would hide what idle connections cost.
    let mut idle_samples = Vec::new();
    if idle_rss {
        for i in &mut inst {
            idle_samples.push(idle(i)?);
            i.proc_.check_alive()?;
        }
    }

    let mut samples = Vec::new();
    let mut discarded = 0;
    for &w in workloads {
        for i in &inst {
            round(env, i, w).with_context(|| format!("warm-up of {} ({w:?})", i.name))?;
        }
        for r in 0..env.opts.rounds {
            let n = inst.len();
            // One round of every proxy, again if the hypervisor stole too much of it.
            let (group, pct, d) =
                machine::with_low_steal(env.opts.max_steal, env.opts.rounds, || {
                    let mut group = Vec::new();
                    for j in 0..n {
                        let k = if r % 2 == 0 { j } else { n - 1 - j };
                        let mut s = round(env, &inst[k], w)
                            .with_context(|| format!("round {r} of {} ({w:?})", inst[k].name))?;
                        s.round = r;
                        group.push(s);
                        inst[k].proc_.check_alive()?;
                    }
                    Ok(group)
                })?;
            samples.extend(group.into_iter().map(|s| Sample {
                steal_pct: pct,
                ..s
            }));
            discarded += d;
            backend.check_alive()?;
        }
    }

    Ok(summarize(
        workloads,
        &inst,
        samples,
        idle_samples,
        discarded,
    ))
}

fn write_certs(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let ecdsa = dir.join("bench-ecdsa.pem");
    let rsa = dir.join("bench-rsa.pem");
    std::fs::write(&ecdsa, combined_pem(false)?)?;
    std::fs::write(&rsa, combined_pem(true)?)?;
    Ok((ecdsa, rsa))
}

fn summarize(
    workloads: &[Workload],
    inst: &[Instance],
    samples: Vec<Sample>,
    idle: Vec<IdleSample>,
    discarded_rounds: usize,
) -> TlsSummary {
    let mut rows = Vec::new();
    let mut vs_haproxy = Vec::new();
    for &w in workloads {
        let of = |name: &str| -> Vec<&Sample> {
            samples
                .iter()
                .filter(|s| s.workload == w && s.proxy == name)
                .collect()
        };
        for i in inst {
            let s = of(&i.name);
            let per_op = |cpu: u64, ops: u64| cpu as f64 / ops.max(1) as f64;
            let client: Vec<f64> = s
                .iter()
                .filter_map(|x| x.client_cpu_us.map(|c| per_op(c, x.ops)))
                .collect();
            let ops: u64 = s.iter().map(|x| x.ops).sum();
            let resumed: u64 = s.iter().map(|x| x.resumed).sum();
            rows.push(Row {
                workload: w,
                proxy: i.name.clone(),
                rate: median(&s.iter().map(|x| x.rate).collect::<Vec<_>>()),
                cpu_us_per_op: median(
                    &s.iter()
                        .map(|x| per_op(x.cpu_us, x.ops))
                        .collect::<Vec<_>>(),
                ),
                client_cpu_us_per_op: (!client.is_empty()).then(|| median(&client)),
                errors: s.iter().map(|x| x.errors).sum(),
                resumed_share: s
                    .iter()
                    .any(|x| x.client_cpu_us.is_some())
                    .then(|| resumed as f64 / ops.max(1) as f64),
            });
        }
        let (l, h) = (of("lbd"), of("haproxy"));
        if !l.is_empty() && !h.is_empty() {
            let rate = |v: &[&Sample]| v.iter().map(|x| x.rate).collect::<Vec<_>>();
            let cpu = |v: &[&Sample]| {
                v.iter()
                    .map(|x| x.cpu_us as f64 / x.ops.max(1) as f64)
                    .collect::<Vec<_>>()
            };
            vs_haproxy.push(Vs {
                workload: w,
                rate: ratio_summary(&rate(&l), &rate(&h)),
                cpu: ratio_summary(&cpu(&l), &cpu(&h)),
                target: w.target(),
            });
        }
    }
    TlsSummary {
        rows,
        vs_haproxy,
        idle,
        samples,
        discarded_rounds,
    }
}

fn ratio_cell(r: &RatioSummary) -> String {
    format!("{:.3} [{:.3}–{:.3}]", r.median, r.p25, r.p75)
}

pub fn table(s: &TlsSummary) -> String {
    let mut t = String::new();
    if !s.rows.is_empty() {
        t.push_str(
            "| workload | proxy | ops/s | CPU µs/op | client µs/op | resumed | errors |\n\
             |---|---|---:|---:|---:|---:|---:|\n",
        );
        for r in &s.rows {
            t.push_str(&format!(
                "| {} | {} | {:.0} | {:.1} | {} | {} | {} |\n",
                r.workload.label(),
                r.proxy,
                r.rate,
                r.cpu_us_per_op,
                r.client_cpu_us_per_op
                    .map_or("–".into(), |c| format!("{c:.1}")),
                r.resumed_share
                    .map_or("–".into(), |c| format!("{:.0}%", c * 100.0)),
                r.errors,
            ));
        }
    }
    if !s.vs_haproxy.is_empty() {
        t.push_str(
            "\n| lbd ÷ haproxy (median [p25–p75] of per-round ratios) | ops/s | CPU per op | target ops/s | met |\n\
             |---|---:|---:|---:|---|\n",
        );
        for v in &s.vs_haproxy {
            t.push_str(&format!(
                "| {} | {} | {} | ≥ {:.1} | {} |\n",
                v.workload.label(),
                ratio_cell(&v.rate),
                ratio_cell(&v.cpu),
                v.target,
                if v.rate.median >= v.target {
                    "yes"
                } else {
                    "no"
                },
            ));
        }
    }
    if !s.samples.is_empty() {
        let steal: Vec<f64> = s.samples.iter().map(|x| x.steal_pct).collect();
        t.push_str(&format!(
            "\nsteal (CPU the hypervisor took, share of the machine): median {:.1}%, max {:.1}% per kept round; {} round group(s) redone for steal above --max-steal\n",
            median(&steal),
            steal.iter().copied().fold(0.0, f64::max),
            s.discarded_rounds,
        ));
    }
    if !s.idle.is_empty() {
        t.push_str(&format!(
            "\n| idle memory ({IDLE_CONNS} TLS 1.3 connections, handshake done, no request) | RSS before MiB | RSS after MiB | KiB per connection | after one keep-alive request: RSS MiB | KiB per connection |\n\
             |---|---:|---:|---:|---:|---:|\n"
        ));
        for i in &s.idle {
            t.push_str(&format!(
                "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
                i.proxy,
                i.before_kib as f64 / 1024.0,
                i.after_kib as f64 / 1024.0,
                i.kib_per_conn(),
                i.after_request_kib as f64 / 1024.0,
                i.kib_per_conn_after_request(),
            ));
        }
        let per = |name: &str| -> Vec<f64> {
            s.idle
                .iter()
                .filter(|i| i.proxy == name)
                .map(IdleSample::kib_per_conn)
                .collect()
        };
        let (l, h) = (per("lbd"), per("haproxy"));
        if !l.is_empty() && !h.is_empty() {
            let r = median(&l) / median(&h);
            t.push_str(&format!(
                "\nidle KiB per connection, lbd ÷ haproxy (medians): {r:.3} (target ≤ 1: {})\n",
                if r <= 1.0 { "met" } else { "not met" }
            ));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_has_two_tls_binds_and_a_cleartext_h2_bind() {
        let p = Ports {
            ecdsa: 8001,
            rsa: 8002,
            h2c: 8003,
        };
        let c = config(1, p, 9001, Path::new("/x/e.pem"), Path::new("/x/r.pem"));
        assert!(c.contains("bind 127.0.0.1:8001 ssl crt /x/e.pem alpn h2,http/1.1"));
        assert!(c.contains("bind 127.0.0.1:8002 ssl crt /x/r.pem alpn h2,http/1.1"));
        assert!(c.contains("bind 127.0.0.1:8003 proto h2"));
        assert!(c.contains("server s1 127.0.0.1:9001"));
    }

    #[test]
    fn generated_certificates_are_combined_pems() {
        for rsa in [false, true] {
            let pem = combined_pem(rsa).unwrap_or_default();
            assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
            assert!(pem.contains("PRIVATE KEY-----"));
        }
    }
}
