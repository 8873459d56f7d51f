//! `lbd::stats` against the real HAProxy 2.6: the same configuration is
//! given to /usr/sbin/haproxy (with a stats socket) and to lbd's parser and
//! runtime, and `show stat`, `show servers state`, `show backend` and the
//! field names of `show info` must agree. lbd's own socket server is wired
//! elsewhere, so lbd's side calls the renderers directly.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tests::{free_port, TempDir};

const HAPROXY: &str = "/usr/sbin/haproxy";

/// A running haproxy, killed on drop.
struct Haproxy {
    child: Child,
    sock: PathBuf,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Haproxy {
    fn start(cfg: &Path, sock: PathBuf) -> Haproxy {
        let child = Command::new(HAPROXY)
            .arg("-db")
            .arg("-f")
            .arg(cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {HAPROXY}: {e}"));
        let h = Haproxy { child, sock };
        let deadline = Instant::now() + Duration::from_secs(10);
        while UnixStream::connect(&h.sock).is_err() {
            assert!(
                Instant::now() < deadline,
                "haproxy's stats socket never came up"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        h
    }

    /// Sends one command in non-interactive mode and reads to EOF.
    fn cmd(&self, line: &str) -> String {
        let mut s = UnixStream::connect(&self.sock).unwrap_or_else(|e| panic!("connect: {e}"));
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        s.write_all(format!("{line}\n").as_bytes())
            .unwrap_or_else(|e| panic!("write: {e}"));
        let mut out = String::new();
        s.read_to_string(&mut out)
            .unwrap_or_else(|e| panic!("read: {e}"));
        // The CLI ends every reply with an empty line; the renderers leave
        // it to the socket server.
        out.strip_suffix('\n').unwrap_or(&out).to_string()
    }
}

fn config(dir: &TempDir) -> (String, PathBuf) {
    let sock = dir.join("admin.sock");
    let (fe, s1, s2, li1, li2, s3) = (
        free_port(),
        free_port(),
        free_port(),
        free_port(),
        free_port(),
        free_port(),
    );
    let cfg = format!(
        "global
    stats socket {} level admin
    maxconn 2000
    node lbtest

defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe_main
    bind 127.0.0.1:{fe}
    default_backend be_app

backend be_app
    balance leastconn
    server app1 127.0.0.1:{s1} cookie a1 maxconn 10 maxqueue 5
    server app2 127.0.0.1:{s2} weight 50

listen li
    bind 127.0.0.1:{li1} name web
    bind 127.0.0.1:{li2}
    option socket-stats
    mode tcp
    server s1 127.0.0.1:{s3} backup
",
        sock.display()
    );
    (cfg, sock)
}

fn lbd_runtime(cfg: &str) -> lbd::runtime::Runtime {
    let env: HashMap<String, String> = HashMap::new();
    let out = lbd::config::load_str("stats.cfg", cfg.as_bytes(), &env);
    let model = out
        .config
        .unwrap_or_else(|| panic!("lbd rejects the configuration: {:?}", out.diags));
    lbd::runtime::Runtime::build(&model).unwrap_or_else(|e| panic!("runtime: {e}"))
}

/// Columns that depend on when the process started.
const CLOCK_COLUMNS: [usize; 1] = [23];

#[test]
fn show_stat_and_friends_match_haproxy() {
    if !Path::new(HAPROXY).exists() {
        eprintln!("skipped: {HAPROXY} is not installed");
        return;
    }
    let dir = TempDir::new();
    let (cfg, sock) = config(&dir);
    let cfg_path = dir.write("haproxy.cfg", &cfg);
    let hap = Haproxy::start(&cfg_path, sock);
    let rt = lbd_runtime(&cfg);

    // show stat: identical header, rows of the same kinds in the same
    // order, 128 columns each, identical values but the clock's.
    let theirs = hap.cmd("show stat");
    let mut ours = String::new();
    let req = lbd::stats::StatRequest::parse(&[]).unwrap_or_else(|e| panic!("{e}"));
    lbd::stats::show_stat(&rt, &req, &mut ours);
    let (t_lines, o_lines): (Vec<&str>, Vec<&str>) =
        (theirs.lines().collect(), ours.lines().collect());
    assert_eq!(o_lines.first(), t_lines.first(), "header line");
    assert_eq!(o_lines.len(), t_lines.len(), "rows:\n{ours}\nvs\n{theirs}");
    for (o, t) in o_lines.iter().zip(&t_lines).skip(1) {
        let (of, tf): (Vec<&str>, Vec<&str>) = (o.split(',').collect(), t.split(',').collect());
        assert_eq!(of.len(), 129, "{o}");
        assert_eq!(of.len(), tf.len(), "{o}\nvs\n{t}");
        for (i, (a, b)) in of.iter().zip(&tf).enumerate() {
            if CLOCK_COLUMNS.contains(&i) {
                assert_eq!(a.is_empty(), b.is_empty(), "column {i} of\n{o}\nvs\n{t}");
            } else {
                assert_eq!(a, b, "column {i} of\n{o}\nvs\n{t}");
            }
        }
    }

    // Filters and modifiers pick the same rows.
    for args in [
        "be_app 2 -1",
        "-1 4 -1",
        "li -1 -1",
        "3 -1 2",
        "up",
        "no-maint",
    ] {
        let theirs = hap.cmd(&format!("show stat {args}"));
        let words: Vec<&str> = args.split(' ').collect();
        let req = lbd::stats::StatRequest::parse(&words).unwrap_or_else(|e| panic!("{e}"));
        let mut ours = String::new();
        lbd::stats::show_stat(&rt, &req, &mut ours);
        let key = |s: &str| -> Vec<String> {
            s.lines()
                .map(|l| {
                    let f: Vec<&str> = l.split(',').collect();
                    format!(
                        "{}/{}/{}",
                        f[0],
                        f.get(1).unwrap_or(&""),
                        f.get(17).unwrap_or(&"")
                    )
                })
                .collect()
        };
        assert_eq!(key(&ours), key(&theirs), "show stat {args}");
    }
    let mut ours = String::new();
    let req =
        lbd::stats::StatRequest::parse(&["nope", "-1", "-1"]).unwrap_or_else(|e| panic!("{e}"));
    lbd::stats::show_stat(&rt, &req, &mut ours);
    assert_eq!(ours, hap.cmd("show stat nope -1 -1"));

    // show servers state, but srv_time_since_last_change.
    let mut ours = String::new();
    lbd::stats::show_servers_state(&rt, None, &mut ours).unwrap_or_else(|e| panic!("{e}"));
    let norm = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| {
                let mut f: Vec<&str> = l.split(' ').collect();
                if f.len() > 20 && !l.starts_with('#') {
                    f[9] = "T";
                }
                f.join(" ")
            })
            .collect()
    };
    assert_eq!(norm(&ours), norm(&hap.cmd("show servers state")));

    let mut ours = String::new();
    lbd::stats::show_backend(&rt, &mut ours);
    assert_eq!(ours, hap.cmd("show backend"));

    // show info: the same field names in the same order, and the values
    // hatop insists on.
    let mut ours = String::new();
    lbd::stats::show_info(&rt, &mut ours, false, false);
    let names = |s: &str| -> Vec<String> {
        s.lines()
            .filter_map(|l| l.split_once(": ").map(|(n, _)| n.to_string()))
            .collect()
    };
    assert_eq!(names(&ours), names(&hap.cmd("show info")));
    for needed in [
        "Name: HAProxy",
        "Nbproc: 1",
        "Process_num: 1",
        "node: lbtest",
        "Maxconn: 2000",
    ] {
        assert!(ours.lines().any(|l| l == needed), "{needed} in\n{ours}");
    }
    let typed_names = |s: &str| -> Vec<String> {
        s.lines()
            .filter_map(|l| {
                l.split_once(':').map(|(a, rest)| {
                    format!(
                        "{a}:{}",
                        rest.split(':').take(2).collect::<Vec<_>>().join(":")
                    )
                })
            })
            .collect()
    };
    let mut ours = String::new();
    lbd::stats::show_info(&rt, &mut ours, true, false);
    assert_eq!(typed_names(&ours), typed_names(&hap.cmd("show info typed")));
}
