use super::*;

fn conf(mode: CookieMode, indirect: bool) -> CookieConf {
    CookieConf {
        name: "SERVERID".into(),
        mode,
        indirect,
        ..CookieConf::default()
    }
}

const SERVERS: &[(Option<&str>, bool)] = &[(Some("s1"), true), (Some("s2"), false), (None, true)];

fn req(c: &CookieConf, v: &str, flags: PersistFlags) -> (CookieTxn, HeaderChange) {
    let mut t = CookieTxn::default();
    let ch = t.request_header(v.as_bytes(), Some(c), None, SERVERS, flags, 1_700_000_000);
    (t, ch)
}

fn replaced(s: &str) -> HeaderChange {
    HeaderChange::Replace(s.as_bytes().to_vec())
}

#[test]
fn insert_indirect_removes_only_our_cookie() {
    let c = conf(CookieMode::Insert, true);
    let (t, ch) = req(&c, "SERVERID=s1", PersistFlags::default());
    assert_eq!(
        (t.direct, t.client, ch),
        (Some(0), ClientCookie::Valid, HeaderChange::Remove)
    );
    let (_, ch) = req(&c, "a=1; SERVERID=s1", PersistFlags::default());
    assert_eq!(ch, replaced("a=1"));
    let (_, ch) = req(&c, "SERVERID=s1; a=1", PersistFlags::default());
    assert_eq!(ch, replaced("a=1"));
    let (_, ch) = req(&c, "a=1;SERVERID=s1;  b=2", PersistFlags::default());
    assert_eq!(ch, replaced("a=1; b=2"));
}

#[test]
fn spaces_around_equal_are_dropped_and_unknown_is_invalid() {
    let c = conf(CookieMode::Insert, false);
    let (t, ch) = req(&c, "a = 1; SERVERID=zz", PersistFlags::default());
    assert_eq!(ch, replaced("a=1; SERVERID=zz"));
    assert_eq!((t.direct, t.client), (None, ClientCookie::Invalid));
}

#[test]
fn down_server_needs_persist() {
    let c = conf(CookieMode::Insert, false);
    let (t, _) = req(&c, "SERVERID=s2", PersistFlags::default());
    assert_eq!((t.direct, t.client), (None, ClientCookie::Down));
    let persist = PersistFlags {
        option_persist: true,
        ..PersistFlags::default()
    };
    let (t, _) = req(&c, "SERVERID=s2", persist);
    assert_eq!((t.direct, t.client), (Some(1), ClientCookie::Down));
    let ignore = PersistFlags {
        ignore: true,
        ..PersistFlags::default()
    };
    let (t, _) = req(&c, "SERVERID=s1", ignore);
    assert_eq!((t.direct, t.client), (None, ClientCookie::Unused));
}

#[test]
fn prefix_strips_the_server_part() {
    let c = conf(CookieMode::Prefix, false);
    let (t, ch) = req(&c, "JSESSIONID=1; SERVERID=s1~abc", PersistFlags::default());
    assert_eq!(ch, replaced("JSESSIONID=1; SERVERID=abc"));
    assert_eq!(t.direct, Some(0));
}

#[test]
fn response_rewrite_prefix_insert() {
    let mut t = CookieTxn::default();
    let ex = Exchange {
        server_cookie: Some("s1"),
        ..Exchange::default()
    };
    let rw = conf(CookieMode::Rewrite, false);
    let ch = t.response_header(b"SERVERID=x; path=/", Some(&rw), None, &ex);
    assert_eq!(
        (ch, t.server),
        (replaced("SERVERID=s1; path=/"), ServerCookie::Replaced)
    );
    let pfx = conf(CookieMode::Prefix, false);
    let ch = t.response_header(b"SERVERID=abc", Some(&pfx), None, &ex);
    assert_eq!(ch, replaced("SERVERID=s1~abc"));
    let ins = conf(CookieMode::Insert, false);
    let ch = t.response_header(b"SERVERID=abc", Some(&ins), None, &ex);
    assert_eq!(
        (ch, t.server),
        (HeaderChange::Remove, ServerCookie::Deleted)
    );
}

#[test]
fn insert_value_and_attributes() {
    let mut c = conf(CookieMode::Insert, true);
    c.httponly = true;
    c.secure = true;
    c.domains = vec!["a.example".into(), "b.example".into()];
    c.attrs = vec!["SameSite=Lax".into()];
    let mut t = CookieTxn::default();
    let ex = Exchange {
        server_cookie: Some("s1"),
        cacheable: true,
        now: 1_700_000_000,
        ..Exchange::default()
    };
    let got = t.insert(&c, &ex);
    let (v, private) = got.unwrap_or_default();
    assert_eq!(
        String::from_utf8_lossy(&v),
        "SERVERID=s1; path=/; domain=a.example; domain=b.example; HttpOnly; Secure; SameSite=Lax"
    );
    assert!(!private);
    assert_eq!(t.server, ServerCookie::Inserted);
    // Already on its server: nothing to insert.
    let mut t = CookieTxn::default();
    let direct = Exchange { direct: true, ..ex };
    assert!(t.insert(&c, &direct).is_none());
}

#[test]
fn dates_round_trip_and_expire() {
    let mut c = conf(CookieMode::Insert, false);
    c.maxidle = 30;
    c.maxlife = 60;
    let now = 1_700_000_000u32;
    let mut t = CookieTxn::default();
    let ex = Exchange {
        server_cookie: Some("s1"),
        now,
        ..Exchange::default()
    };
    let (v, _) = t.insert(&c, &ex).unwrap_or_default();
    let v = String::from_utf8_lossy(&v).to_string();
    let cookie = v.split(';').next().unwrap_or("");
    // Fresh: valid, no refresh within the same 4 s slot.
    let (t, _) = {
        let mut t = CookieTxn::default();
        let ch = t.request_header(
            cookie.as_bytes(),
            Some(&c),
            None,
            SERVERS,
            PersistFlags::default(),
            now,
        );
        (t, ch)
    };
    assert_eq!((t.direct, t.client), (Some(0), ClientCookie::Valid));
    let mut t2 = CookieTxn::default();
    t2.request_header(
        cookie.as_bytes(),
        Some(&c),
        None,
        SERVERS,
        PersistFlags::default(),
        now + 40,
    );
    assert_eq!((t2.direct, t2.client), (None, ClientCookie::Expired));
    let mut c2 = c.clone();
    c2.maxidle = 0;
    let mut t3 = CookieTxn::default();
    t3.request_header(
        cookie.as_bytes(),
        Some(&c2),
        None,
        SERVERS,
        PersistFlags::default(),
        now + 70,
    );
    assert_eq!((t3.direct, t3.client), (None, ClientCookie::Old));
}

#[test]
fn base64_30_bits() {
    let mut v = Vec::new();
    s30_to_b64(425_000_000, &mut v);
    assert_eq!(b64_to_s30(&v), Some(425_000_000));
    assert_eq!(b64_to_s30(b"AB=CD"), None);
}

/// Captured from HAProxy 2.6.12: `dynamic-cookie-key mykey`, `cookie SRVID
/// insert dynamic`, `server s1 127.0.0.1:18081`.
#[test]
fn dynamic_cookie_matches_haproxy() {
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    assert_eq!(dynamic_cookie("mykey", ip, 18081), "4865a0a1433d2679");
}

/// Vectors captured from HAProxy 2.6.12 (`cookie SRV insert indirect`,
/// `rewrite` and `prefix`, the server sending these `Set-Cookie2` values): removing one
/// cookie of several leaves 2.6's stale tail in the header.
#[test]
fn set_cookie2_lists_as_26_edits_them() {
    let ex = Exchange {
        server_cookie: Some("s1"),
        ..Exchange::default()
    };
    let named = |mode, indirect| CookieConf {
        name: "SRV".into(),
        ..conf(mode, indirect)
    };
    let ins = named(CookieMode::Insert, true);
    let rw = named(CookieMode::Rewrite, false);
    let pfx = named(CookieMode::Prefix, false);
    let cases: &[(&CookieConf, &str, HeaderChange)] = &[
        (
            &ins,
            "SRV=abc; Version=1, other=1",
            replaced("other=1; Version=1, other=1"),
        ),
        (
            &ins,
            "a=1, SRV = zz ; Path=\"/,x\", b=2",
            replaced("a=1, b=2=zz ; Path=\"/,x\", b=2"),
        ),
        (&ins, "q=1,SRV=e,r=2", replaced("q=1, r=2e,r=2")),
        (&ins, "SRV=only", HeaderChange::Remove),
        (&ins, "a=1, b=2", HeaderChange::Keep),
        (
            &rw,
            "a=1, SRV = zz ; Path=\"/,x\", b=2",
            replaced("a=1, SRV=s1 ; Path=\"/,x\", b=2"),
        ),
        (&rw, "q=1,SRV=e,r=2", replaced("q=1,SRV=s1,r=2")),
        (&pfx, "q=1,SRV=e,r=2", replaced("q=1,SRV=s1~e,r=2")),
    ];
    for (c, v, want) in cases {
        let mut t = CookieTxn::default();
        let got = t.response_header2(v.as_bytes(), Some(c), None, &ex);
        assert_eq!(&got, want, "{v}");
        let touched = *want != HeaderChange::Keep;
        assert_eq!(t.server != ServerCookie::None, touched, "{v}");
    }
}
