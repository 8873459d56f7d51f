//! The single-fetch parser `balance hash <expr>` and the log formats use:
//! a fetch name with at most one argument, evaluated over a borrowed request.
//! The full engine (converters, ACL matching) is the rest of this module.

use crate::h1::HeaderField;
use std::net::SocketAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimpleFetch {
    Src,
    Dst,
    Method,
    Path,
    Url,
    Query,
    /// `base`: host header + path.
    Base,
    Hdr(String),
    Cookie(String),
    UrlParam(String),
}

/// Parses `fetch` or `fetch(arg)`.
pub fn parse(expr: &str) -> Result<SimpleFetch, String> {
    let expr = expr.trim();
    let (name, arg) = match expr.find('(') {
        Some(i) if expr.ends_with(')') => (&expr[..i], Some(&expr[i + 1..expr.len() - 1])),
        Some(_) => return Err(format!("missing closing ')' in sample expression '{expr}'")),
        None => (expr, None),
    };
    let need = |what: &str| -> Result<String, String> {
        match arg {
            Some(a) if !a.is_empty() && !a.contains([',', '(', ')']) => Ok(a.to_string()),
            _ => Err(format!("fetch method '{what}' expects one argument")),
        }
    };
    let no_arg = |f: SimpleFetch| -> Result<SimpleFetch, String> {
        match arg {
            None | Some("") => Ok(f),
            Some(_) => Err(format!("fetch method '{name}' takes no argument")),
        }
    };
    match name {
        "src" => no_arg(SimpleFetch::Src),
        "dst" => no_arg(SimpleFetch::Dst),
        "method" => no_arg(SimpleFetch::Method),
        "path" => no_arg(SimpleFetch::Path),
        "url" => no_arg(SimpleFetch::Url),
        "query" => no_arg(SimpleFetch::Query),
        "base" => no_arg(SimpleFetch::Base),
        "hdr" | "req.hdr" | "req.fhdr" => Ok(SimpleFetch::Hdr(need(name)?)),
        "cook" | "req.cook" | "req.cookie" => Ok(SimpleFetch::Cookie(need(name)?)),
        "url_param" | "urlp" => Ok(SimpleFetch::UrlParam(need(name)?)),
        _ => Err(format!(
            "sample expression '{expr}' is not supported yet by lbd (supported until the sample engine lands: src, dst, method, path, url, query, base, hdr(), req.cook(), url_param())"
        )),
    }
}

/// What an HTTP request offers to the fetches.
pub struct RequestView<'a> {
    pub buf: &'a [u8],
    pub method: &'a [u8],
    pub target: &'a [u8],
    pub headers: &'a [HeaderField],
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
}

impl RequestView<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| !h.dropped && h.name.get(self.buf).eq_ignore_ascii_case(name.as_bytes()))
            .map(|h| h.value.get(self.buf))
    }

    fn path(&self) -> &[u8] {
        let t = self.target;
        // Absolute form: skip scheme://authority.
        let t = match memchr::memmem::find(t, b"://") {
            Some(i) if t.first() != Some(&b'/') => {
                let rest = &t[i + 3..];
                match memchr::memchr(b'/', rest) {
                    Some(j) => &rest[j..],
                    None => b"/",
                }
            }
            _ => t,
        };
        match memchr::memchr(b'?', t) {
            Some(q) => &t[..q],
            None => t,
        }
    }
}

/// The path of a request target, query included: absolute URIs lose their
/// scheme and authority (HAProxy's `http_parse_path`).
pub fn uri_path(target: &[u8]) -> &[u8] {
    if target.first() == Some(&b'/') {
        return target;
    }
    match memchr::memmem::find(target, b"://") {
        Some(i) => {
            let rest = &target[i + 3..];
            match memchr::memchr(b'/', rest) {
                Some(j) => &rest[j..],
                None => b"",
            }
        }
        None => target,
    }
}

fn ip_bytes(sa: Option<SocketAddr>) -> Option<Vec<u8>> {
    sa.map(|s| match s.ip() {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    })
}

/// The bytes the fetch yields for this request, or None when absent.
pub fn eval(f: &SimpleFetch, r: &RequestView<'_>) -> Option<Vec<u8>> {
    match f {
        SimpleFetch::Src => ip_bytes(r.src),
        SimpleFetch::Dst => ip_bytes(r.dst),
        SimpleFetch::Method => Some(r.method.to_vec()),
        SimpleFetch::Path => Some(r.path().to_vec()),
        SimpleFetch::Url => Some(r.target.to_vec()),
        SimpleFetch::Query => memchr::memchr(b'?', r.target).map(|q| r.target[q + 1..].to_vec()),
        SimpleFetch::Base => {
            let mut v = r.header("host")?.to_vec();
            v.extend_from_slice(r.path());
            Some(v)
        }
        SimpleFetch::Hdr(name) => r.header(name).map(<[u8]>::to_vec),
        SimpleFetch::UrlParam(name) => {
            crate::balance::key::url_param_value(r.target, name).map(<[u8]>::to_vec)
        }
        SimpleFetch::Cookie(name) => {
            for h in r
                .headers
                .iter()
                .filter(|h| !h.dropped && h.name.get(r.buf).eq_ignore_ascii_case(b"cookie"))
            {
                for part in h.value.get(r.buf).split(|&c| c == b';') {
                    let part = part.trim_ascii();
                    if let Some(eq) = memchr::memchr(b'=', part) {
                        if &part[..eq] == name.as_bytes() {
                            return Some(part[eq + 1..].to_vec());
                        }
                    }
                }
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_supported_forms_and_refuses_others() {
        assert_eq!(parse("src"), Ok(SimpleFetch::Src));
        assert_eq!(
            parse("req.cookie(id)"),
            Ok(SimpleFetch::Cookie("id".into()))
        );
        assert_eq!(parse("hdr(host)"), Ok(SimpleFetch::Hdr("host".into())));
        assert!(parse("hdr").is_err());
        assert!(parse("path,lower")
            .unwrap_err()
            .contains("not supported yet"));
        assert!(parse("src(1)").is_err());
    }

    #[test]
    fn evaluates_cookies_paths_and_params() {
        let raw = b"GET http://h/a/b?x=1&id=7 HTTP/1.1\r\nHost: h\r\nCookie: a=1; id=42\r\n\r\n";
        let head = crate::h1::parse_request(raw, &crate::h1::ParseOptions::default())
            .unwrap()
            .unwrap();
        let view = RequestView {
            buf: raw,
            method: head.method_raw.get(raw),
            target: head.target.get(raw),
            headers: &head.headers,
            src: None,
            dst: None,
        };
        assert_eq!(
            eval(&SimpleFetch::Cookie("id".into()), &view),
            Some(b"42".to_vec())
        );
        assert_eq!(eval(&SimpleFetch::Path, &view), Some(b"/a/b".to_vec()));
        assert_eq!(
            eval(&SimpleFetch::UrlParam("id".into()), &view),
            Some(b"7".to_vec())
        );
        assert_eq!(eval(&SimpleFetch::Base, &view), Some(b"h/a/b".to_vec()));
        assert_eq!(eval(&SimpleFetch::Src, &view), None);
    }
}
