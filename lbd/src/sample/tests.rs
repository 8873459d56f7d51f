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
