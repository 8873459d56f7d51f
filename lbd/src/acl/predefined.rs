//! The ACLs every proxy knows without declaring them (spec 5.3).

use super::{Acl, AclTerm};
use crate::sample::ParseEnv;

const LIST: &[(&str, &str)] = &[
    ("FALSE", "always_false"),
    ("TRUE", "always_true"),
    ("LOCALHOST", "src 127.0.0.1/8 ::1"),
    ("HTTP", "req.proto_http"),
    ("HTTP_1.0", "req.ver 1.0"),
    ("HTTP_1.1", "req.ver 1.1"),
    ("HTTP_2.0", "req.ver 2.0"),
    ("HTTP_CONTENT", "req.hdr_val(content-length) gt 0"),
    ("HTTP_URL_ABS", "url_reg ^[^/:]*://"),
    ("HTTP_URL_SLASH", "url_beg /"),
    ("HTTP_URL_STAR", "url *"),
    ("METH_CONNECT", "method CONNECT"),
    ("METH_DELETE", "method DELETE"),
    ("METH_GET", "method GET HEAD"),
    ("METH_HEAD", "method HEAD"),
    ("METH_OPTIONS", "method OPTIONS"),
    ("METH_POST", "method POST"),
    ("METH_PUT", "method PUT"),
    ("METH_TRACE", "method TRACE"),
    ("RDP_COOKIE", "req.rdp_cookie_cnt gt 0"),
    ("REQ_CONTENT", "req.len gt 0"),
    ("WAIT_END", "wait_end"),
];

/// Compiles the predefined ACL `name`.
pub(super) fn build(name: &str, env: &ParseEnv<'_>) -> Option<Acl> {
    let (_, def) = LIST.iter().find(|(n, _)| *n == name)?;
    let words: Vec<String> = def.split(' ').map(str::to_string).collect();
    let term = AclTerm::parse(&words, name, env).ok()?;
    Some(Acl {
        name: name.to_string(),
        terms: vec![term],
    })
}
