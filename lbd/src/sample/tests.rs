use super::*;
use crate::pattern::PatternRegistry;

fn ev(expr: &str, cx: &mut TestCtx) -> Option<Sample> {
    let reg = PatternRegistry::new();
    let env = ParseEnv {
        registry: &reg,
        file: "t",
        line: 1,
    };
    Expr::parse(expr, &env).unwrap().eval(cx)
}

fn st(v: &str) -> Option<Sample> {
    Some(Sample::Str(v.as_bytes().to_vec()))
}

#[test]
fn casts() {
    assert_eq!(Sample::Str(b"42abc".to_vec()).to_int(), Some(42));
    assert_eq!(Sample::Str(b"x".to_vec()).to_int(), None);
    assert_eq!(Sample::Sint(7).cast(SampleType::Str), st("7"));
    assert_eq!(
        Sample::Bool(true).cast(SampleType::Sint),
        Some(Sample::Sint(1))
    );
    assert_eq!(
        Sample::Str(b"10.0.0.1".to_vec()).cast(SampleType::Addr),
        Some(Sample::Ipv4("10.0.0.1".parse().unwrap()))
    );
    assert_eq!(
        Sample::Ipv4("1.2.3.4".parse().unwrap()).cast(SampleType::Ipv6),
        Some(Sample::Ipv6("::ffff:1.2.3.4".parse().unwrap()))
    );
}

#[test]
fn fetches_and_converters() {
    let mut c = TestCtx::with_request(OwnedMsg::request(
        "GET",
        "/a/b?x=1&id=7",
        &[
            ("Host", "Ex.com"),
            ("Cookie", "a=1; sid=ZZ"),
            ("X", "1, 2"),
            ("X", "3"),
        ],
    ));
    assert_eq!(ev("path", &mut c), st("/a/b"));
    assert_eq!(ev("base", &mut c), st("Ex.com/a/b"));
    assert_eq!(ev("query", &mut c), st("x=1&id=7"));
    assert_eq!(
        ev("hdr(x)", &mut c),
        st("3"),
        "the last occurrence by default"
    );
    assert_eq!(ev("hdr(x,1)", &mut c), st("1"));
    assert_eq!(ev("hdr(x,-2)", &mut c), st("2"));
    assert_eq!(ev("req.fhdr(x,1)", &mut c), st("1, 2"));
    assert_eq!(ev("hdr_cnt(x)", &mut c), Some(Sample::Sint(3)));
    assert_eq!(ev("req.cook(sid)", &mut c), st("ZZ"));
    assert_eq!(ev("hdr(host),lower", &mut c), st("ex.com"));
    assert_eq!(ev("hdr(host),upper,length", &mut c), Some(Sample::Sint(6)));
    assert_eq!(ev("str(a.b.c),field(2,.)", &mut c), st("b"));
    assert_eq!(ev("str(a.b.c),field(-1,.)", &mut c), st("c"));
    assert_eq!(ev("str(a..c),word(2,.)", &mut c), st("c"));
    assert_eq!(ev("str(hello),base64", &mut c), st("aGVsbG8="));
    assert_eq!(
        ev("str(aGVsbG8=),b64dec", &mut c),
        Some(Sample::Bin(b"hello".to_vec()))
    );
    assert_eq!(ev("str(ab),hex", &mut c), st("6162"));
    assert_eq!(ev("str(/x/y/x),regsub(x,Z,g)", &mut c), st("/Z/y/Z"));
    assert_eq!(ev("str(abc),regsub(b,X)", &mut c), st("aXc"));
    assert_eq!(
        ev("src,ipmask(24)", &mut c),
        Some(Sample::Ipv4("192.0.2.0".parse().unwrap()))
    );
    assert_eq!(
        ev("int(7),add(3),mul(2),sub(1),div(2),mod(5)", &mut c),
        Some(Sample::Sint(4))
    );
    assert_eq!(ev("int(7),gt(3)", &mut c), Some(Sample::Bool(true)));
    assert_eq!(ev("str(a%20b),url_dec", &mut c), st("a b"));
    assert_eq!(ev("str(a/b),json", &mut c), st("a\\/b"));
    assert_eq!(ev("str(x),concat(<,,>)", &mut c), st("x<>"));
    assert_eq!(
        ev("str(abcdef),bytes(1,3)", &mut c),
        Some(Sample::Bin(b"bcd".to_vec()))
    );
    assert_eq!(ev("str(a),djb2", &mut c), Some(Sample::Sint(177_670)));
    assert_eq!(
        ev("str(123456789),crc32", &mut c),
        Some(Sample::Sint(0xCBF4_3926))
    );
    assert_eq!(ev("int(1),iif(yes,no)", &mut c), st("yes"));
    assert_eq!(ev("method", &mut c), Some(Sample::Meth(b"GET".to_vec())));
    assert_eq!(ev("urlp(id)", &mut c), st("7"));
    assert_eq!(ev("var(txn.nope)", &mut c), None);
    assert_eq!(ev("sc0_http_req_rate", &mut c), None);
    c.tracked.insert((0, StickCounter::HttpReqRate), 12);
    assert_eq!(ev("sc0_http_req_rate", &mut c), Some(Sample::Sint(12)));
    assert_eq!(ev("sc_http_req_rate(0)", &mut c), Some(Sample::Sint(12)));
    assert_eq!(ev("ssl_fc", &mut c), Some(Sample::Bool(false)));
    assert_eq!(ev("ssl_fc_sni", &mut c), None);
}

#[test]
fn unknown_names_are_refused() {
    let reg = PatternRegistry::new();
    let env = ParseEnv {
        registry: &reg,
        file: "t",
        line: 1,
    };
    assert!(Expr::parse("nosuch", &env).is_err());
    assert!(Expr::parse("path,nosuch", &env).is_err());
    assert!(Expr::parse("hdr(x", &env).is_err());
}

/// The parse error of `expr`.
fn perr(expr: &str) -> String {
    let reg = PatternRegistry::new();
    let env = ParseEnv {
        registry: &reg,
        file: "t",
        line: 1,
    };
    Expr::parse(expr, &env).unwrap_err()
}

#[test]
fn converter_arguments_are_read_as_2_6_reads_them() {
    let mut c = TestCtx::with_request(OwnedMsg::request("GET", "/a/b", &[]));
    // Quotes protect `,` and `)`; parentheses do not nest.
    assert_eq!(ev(r#"path,regsub("(a|b)",x,g)"#, &mut c), st("/x/x"));
    assert_eq!(ev("path,regsub('/(a)/',<\\1>)", &mut c), st("<a>b"));
    assert_eq!(ev(r#"str(x),concat("a,b",,')')"#, &mut c), st("xa,b)"));
    assert_eq!(ev(r#"str(x),concat(\"q\ \')"#, &mut c), st("x\"q '"));
    assert_eq!(ev(r"str(x),concat(\t)", &mut c), st("x\t"));
    // Inside single quotes a backslash is itself.
    assert_eq!(ev(r"str(x),concat('\n')", &mut c), st("x\\n"));
    // `\,` and `\)` are not escapes: the backslash stays and the `,` or `)`
    // still ends the argument.
    assert_eq!(ev(r"str(x),concat(a\,b)", &mut c), st("xa\\"));
    assert_eq!(
        perr("path,regsub(^/(a),x)"),
        "converter 'regsub' expects 2 argument(s)"
    );
    assert_eq!(
        perr(r"path,concat(a\)b)"),
        "missing comma after converter 'concat'"
    );
    assert_eq!(
        perr("path,lower(a"),
        "missing closing ')' in converter 'lower'"
    );
}

/// Vectors captured from HAProxy 2.6.12 (`http-request return lf-string`).
#[test]
fn hashes_digests_and_dates_match_2_6() {
    let mut c = TestCtx::default();
    let int = |v: i64| Some(Sample::Sint(v));
    assert_eq!(ev("str(abc),wt6", &mut c), int(2483038440));
    assert_eq!(ev("str(123456789),wt6", &mut c), int(2225171485));
    assert_eq!(ev("str(123456789),crc32c", &mut c), int(3808858755));
    assert_eq!(ev("str(123456789),crc32", &mut c), int(3421780262));
    assert_eq!(ev("str(abc),xxh32", &mut c), int(852579327));
    assert_eq!(ev("str(abc),xxh32(5)", &mut c), int(1562728233));
    assert_eq!(ev("str(abc),xxh64", &mut c), int(4952883123889572249));
    assert_eq!(ev("str(abc),xxh3", &mut c), int(8696274497037089104));
    assert_eq!(ev("str(abc),xxh3(7)", &mut c), int(5260018501835528466));
    assert_eq!(
        ev("str(abc),sha1,hex", &mut c),
        st("A9993E364706816ABA3E25717850C26C9CD0D89D")
    );
    assert_eq!(
        ev("str(abc),sha2(384),hex", &mut c),
        st("CB00753F45A35E8BB5A03D699AC65007272C32AB0EDED1631A8B605A43FF5BED8086072BA1E7CC2358BAECA134C825A7")
    );
    assert_eq!(
        ev("str(abc),hmac(sha256,a2V5),hex", &mut c),
        st("9C196E32DC0175F86F4B1CB89289D6619DE6BEE699E4C378E68309ED97A1A6AB")
    );
    c.vars
        .insert((VarScope::Txn, "k".into()), Sample::Str(b"a2V5".to_vec()));
    assert_eq!(
        ev("str(abc),hmac(sha256,txn.k),hex", &mut c),
        st("9C196E32DC0175F86F4B1CB89289D6619DE6BEE699E4C378E68309ED97A1A6AB")
    );
    assert_eq!(ev("bin(FBFF),ub64enc", &mut c), st("-_8"));
    assert_eq!(ev("str(-_8),ub64dec,hex", &mut c), st("FBFF"));
    assert_eq!(
        ev("int(1700000000),http_date", &mut c),
        st("Tue, 14 Nov 2023 22:13:20 GMT")
    );
    assert_eq!(
        ev("int(1700000000123),http_date(0,ms)", &mut c),
        st("Tue, 14 Nov 2023 22:13:20.123 GMT")
    );
    assert_eq!(
        ev("int(1700000000),http_date(3600)", &mut c),
        st("Tue, 14 Nov 2023 23:13:20 GMT")
    );
    assert_eq!(
        ev("int(1700000000),utime(%Y-%m-%dT%H:%M:%S)", &mut c),
        st("2023-11-14T22:13:20")
    );
    assert_eq!(
        ev("int(1700000000),utime(%a_%j_%e,60)", &mut c),
        st("Tue_318_14")
    );
    assert!(perr("str(a),sha2(100)").contains("Unsupported number of bits"));
    assert!(perr("str(a),http_date(0,h)").contains("Invalid unit"));
}

#[test]
fn url_fetches_uuid_and_table_converters() {
    let mut c = TestCtx::with_request(OwnedMsg::request("GET", "http://10.1.2.3:8080/x?y", &[]));
    assert_eq!(
        ev("url_ip", &mut c),
        Some(Sample::Ipv4("10.1.2.3".parse().unwrap()))
    );
    assert_eq!(ev("url_port", &mut c), Some(Sample::Sint(8080)));
    let mut o = TestCtx::with_request(OwnedMsg::request("GET", "/x", &[]));
    assert_eq!(ev("url_ip", &mut o), None, "origin-form has no host");
    assert_eq!(ev("unique-id", &mut o), None, "no unique-id-format");
    let u = ev("uuid", &mut o).unwrap().to_text();
    assert_eq!(u.len(), 36);
    assert_eq!(u[14], b'4', "version 4");
    c.keyed
        .insert(("abc".into(), StickCounter::HttpReqRate), 12);
    assert_eq!(
        ev("str(abc),table_http_req_rate(t)", &mut c),
        Some(Sample::Sint(12))
    );
    assert_eq!(ev("str(zz),table_http_req_rate(t)", &mut c), None);
    assert!(perr("str(a),table_nosuch(t)").contains("unknown converter"));
}

/// The text a log-format `%[...]` prints is the same whether the fetch
/// lends its value or the sample is built and converted.
#[test]
fn lent_text_is_the_sample_text() {
    let mut c = TestCtx::with_request(OwnedMsg::request("GET", "/a/b?x=1", &[("Host", "Ex.com")]));
    c.vars
        .insert((VarScope::Txn, "site".into()), Sample::Str(b"be1".to_vec()));
    c.vars
        .insert((VarScope::Txn, "n".into()), Sample::Sint(-42));
    c.src = Some("10.1.2.3:5".parse().unwrap());
    let reg = PatternRegistry::new();
    let env = ParseEnv {
        registry: &reg,
        file: "t",
        line: 1,
    };
    for e in [
        "path",
        "url",
        "method",
        "var(txn.site)",
        "var(txn.n)",
        "var(txn.none)",
        "var(txn.none,dflt)",
        "src",
        "hdr(host),lower",
        "bool(1)",
    ] {
        let x = Expr::parse(e, &env).unwrap();
        let mut lent = Vec::new();
        x.append_text(&mut c, &mut lent);
        let built = x.eval(&mut c).map(|s| s.to_text()).unwrap_or_default();
        assert_eq!(lent, built, "{e}");
    }
}
