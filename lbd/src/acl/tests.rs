use super::*;
use crate::pattern::PatternRegistry;
use crate::sample::{OwnedMsg, TestCtx};

fn w(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn env(reg: &PatternRegistry) -> ParseEnv<'_> {
    ParseEnv {
        registry: reg,
        file: "t.cfg",
        line: 1,
    }
}

fn ctx(method: &str, uri: &str, hdrs: &[(&str, &str)]) -> TestCtx {
    TestCtx::with_request(OwnedMsg::request(method, uri, hdrs))
}

/// Whether the ACL line (after `acl x`) matches the request.
fn m(line: &str, cx: &mut TestCtx) -> bool {
    let reg = PatternRegistry::new();
    let t = AclTerm::parse(&w(line), "x", &env(&reg)).unwrap();
    t.eval(cx)
}

#[test]
fn match_methods_and_suffixes() {
    let mut c = ctx(
        "GET",
        "/api/v2/users?id=7",
        &[("Host", "www.Example.com"), ("X", "a, b")],
    );
    assert!(m("path_beg /api", &mut c));
    assert!(!m("path_beg /v2", &mut c));
    assert!(m("path_end /users", &mut c));
    assert!(m("path_sub v2/u", &mut c));
    assert!(m("path_dir v2", &mut c));
    assert!(!m("path_dir v", &mut c));
    assert!(m("hdr_dom(host) -i example", &mut c));
    assert!(!m("hdr_dom(host) example", &mut c));
    assert!(m("path_reg ^/api/v[0-9]+/", &mut c));
    assert!(m("path_len 13", &mut c));
    assert!(m("path -m beg /api", &mut c));
    assert!(m("hdr(host) -i www.example.com", &mut c));
    assert!(!m("hdr(host) www.example.com", &mut c));
    assert!(
        m("hdr(x) b", &mut c),
        "every comma-separated value is tried"
    );
    assert!(m("urlp(id) 7", &mut c));
    assert!(m("urlp_val(id) gt 5", &mut c));
    assert!(!m("urlp_val(id) lt 5", &mut c));
    assert!(m("urlp_val(id) 1:10", &mut c));
    assert!(m("hdr_cnt(x) 2", &mut c), "values split on commas");
    assert!(m("method get", &mut c), "method matches without case");
    assert!(!m("hdr(nope) -m found", &mut c));
    assert!(m("hdr(host) -m found", &mut c));
    assert!(m("src 192.0.2.0/24", &mut c));
    assert!(!m("src 10.0.0.0/8 ::1", &mut c));
    assert!(m("always_true", &mut c));
}

#[test]
fn flags_and_errors_read_like_haproxy() {
    let reg = PatternRegistry::new();
    let e = env(&reg);
    let mut set = AclSet::new();
    assert_eq!(
        set.add(&w("a nosuch /x"), &e).unwrap_err(),
        "error detected while parsing ACL 'a' : unknown fetch method 'nosuch' in ACL expression 'nosuch'."
    );
    assert_eq!(
        set.add(&w("a path -x y"), &e).unwrap_err(),
        "error detected while parsing ACL 'a' : '-x' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'."
    );
    assert_eq!(
        set.add(&w("a path -m foo x"), &e).unwrap_err(),
        "error detected while parsing ACL 'a' : unknown matching method 'foo' when parsing ACL expression."
    );
    assert_eq!(
        set.add(&w("a req.body x"), &e).unwrap_err(),
        "error detected while parsing ACL 'a' : matching method must be specified first (using '-m') when using a sample fetch of this type ('req.body')."
    );
    assert_eq!(
        set.add(&w("a! path x"), &e).unwrap_err(),
        "character '!' is not permitted in acl name 'a!'."
    );
    assert!(set
        .add(&w("a src 1.2.3.4 badip"), &e)
        .unwrap_err()
        .contains("'badip' is not a valid IPv4 or IPv6 address"));
}

#[test]
fn conditions_or_and_negation_anonymous_and_predefined() {
    let reg = PatternRegistry::new();
    let e = env(&reg);
    let mut set = AclSet::new();
    set.add(&w("api path_beg /api"), &e).unwrap();
    set.add(&w("api path_beg /v2"), &e).unwrap();
    set.add(&w("adm hdr(x-admin) -m found"), &e).unwrap();
    let cond = |s: &str| parse_cond(&w(s), &set, &e).unwrap().unwrap();
    let mut c = ctx("POST", "/v2/x", &[]);
    assert!(cond("if api").eval(&mut c), "same-name lines OR together");
    assert!(!cond("if api adm").eval(&mut c));
    assert!(cond("if adm || api").eval(&mut c));
    assert!(cond("if api !adm").eval(&mut c));
    assert!(cond("unless adm").eval(&mut c));
    assert!(cond("if METH_POST { path_beg /v2 }").eval(&mut c));
    assert!(!cond("if METH_GET").eval(&mut c));
    assert!(cond("if TRUE").eval(&mut c));
    assert!(cond("if HTTP_URL_SLASH").eval(&mut c));
    assert_eq!(
        parse_cond(&w("if nope"), &set, &e).unwrap_err(),
        "no such ACL : 'nope'."
    );
    assert_eq!(
        parse_cond(&w("if { path_beg /a"), &set, &e).unwrap_err(),
        "missing closing '}' in condition."
    );
}

#[test]
fn big_ip_list_is_indexed_not_scanned() {
    let dir = std::env::temp_dir().join(format!("lbd-acl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("ips.lst");
    let mut text = String::from("# blocked\n\n");
    for i in 0..100_000u32 {
        let a = std::net::Ipv4Addr::from(0x0a00_0000 + i * 7);
        text.push_str(&format!("{a}\n"));
    }
    text.push_str("172.16.0.0/12\n");
    std::fs::write(&f, text).unwrap();
    let reg = PatternRegistry::new();
    let line = format!("src -f {}", f.display());
    let t = AclTerm::parse(&w(&line), "x", &env(&reg)).unwrap();
    let mut c = TestCtx::default();
    let mut at = |ip: &str| {
        c.src = Some(format!("{ip}:1").parse().unwrap());
        t.eval(&mut c)
    };
    assert!(at(
        &std::net::Ipv4Addr::from(0x0a00_0000 + 99_999 * 7).to_string()
    ));
    assert!(!at(
        &std::net::Ipv4Addr::from(0x0a00_0000 + 99_999 * 7 + 1).to_string()
    ));
    assert!(at("172.20.1.1"));
    // Structure, not timing: one hash table per prefix length, so a lookup
    // costs at most 33 probes whatever the list size.
    let r = reg
        .find(&f.display().to_string(), crate::pattern::RefKind::Acl)
        .unwrap();
    assert_eq!(r.versions().2, 100_001);
    let idx = crate::pattern::Index::build(
        crate::pattern::MatchMethod::Ip,
        false,
        &r.entries(None)
            .iter()
            .map(|e| (e.key.as_str(), None))
            .collect::<Vec<_>>(),
        None,
    )
    .unwrap();
    assert!(idx.ip_prefix_lengths() <= 33);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn dotted_versions_for_ssl_ver_and_int_ranges_with_dashes() {
    // The start of a ClientHello whose client_version is 3.1 (TLS 1.0):
    // record header, handshake header, then the version HAProxy reports.
    let mut c = TestCtx {
        payload: Some(vec![0x16, 3, 1, 0, 6, 1, 0, 0, 2, 3, 1]),
        ..TestCtx::default()
    };
    assert!(m("req.ssl_ver 3.1", &mut c));
    assert!(m("req.ssl_ver 3.0:3.3", &mut c));
    assert!(m("req.ssl_ver 3.0-3.1", &mut c));
    assert!(m("req.ssl_ver ge 3.1", &mut c));
    assert!(!m("req.ssl_ver gt 3.1", &mut c));
    assert!(m("req.ssl_ver lt 3.2", &mut c));
    assert!(!m("req.ssl_ver le 3", &mut c), "3 is 3.0");
    assert!(
        m("req.ssl_ver -m int 196609", &mut c),
        "-m int takes plain ints"
    );
    let mut c = ctx("GET", "/", &[("A", "1"), ("B", "2"), ("C", "3")]);
    assert!(m("req.hdr_cnt 2-4", &mut c));
    assert!(!m("req.hdr_cnt 4-9", &mut c));
    let reg = PatternRegistry::new();
    let err = |line: &str| AclTerm::parse(&w(line), "x", &env(&reg)).unwrap_err();
    assert_eq!(
        err("req.ssl_ver 70000.1"),
        "'70000.1' is not a dotted number."
    );
    assert_eq!(
        err("req.ssl_ver 3.3-3.1"),
        "'3.3-3.1' is not a valid dotted number range."
    );
    assert_eq!(err("req.ssl_ver -m int 3.1"), "'3.1' is not a number.");
    assert_eq!(err("dst_port 5:1"), "'5:1' is not a valid number range.");
    assert_eq!(
        err("dst_port gt x"),
        "'x' is neither a number nor a supported operator."
    );
    assert_eq!(
        err("req.ssl_ver gt 3.70000"),
        "'3.70000' contains too large a minor value."
    );
}

#[test]
fn map_file_as_acl_list_and_host_names() {
    let dir = std::env::temp_dir().join(format!("lbd-acl-M-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("hosts.map");
    std::fs::write(
        &f,
        "# hosts\nwww.example.com be1\napi.example.com  be2 with spaces\n",
    )
    .unwrap();
    let f = f.display();
    let mut c = ctx("GET", "/", &[("Host", "api.example.com")]);
    assert!(
        m(&format!("hdr(host) -M -f {f}"), &mut c),
        "the key is the first word"
    );
    assert!(
        !m(&format!("hdr(host) -f {f}"), &mut c),
        "without -M the whole line is the key"
    );
    let reg = PatternRegistry::new();
    let err = |line: &str| AclTerm::parse(&w(line), "x", &env(&reg)).unwrap_err();
    assert!(err("src localhost").contains("lbd does not resolve host names"));
    assert_eq!(
        err("src -n localhost"),
        "'localhost' is not a valid IPv4 or IPv6 address."
    );
    std::fs::remove_dir_all(&dir).ok();
}
