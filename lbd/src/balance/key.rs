//! Extraction of hash keys from request parts, with HAProxy 2.6's semantics
//! (src/backend.c `get_server_{sh,uh,ph,hh}`). Pure slicing: nothing here
//! allocates, so the runtime can call it on every request.

use std::net::IpAddr;

/// The bytes HAProxy hashes for `balance source`: the address in network
/// order, 4 bytes for IPv4 and 16 for IPv6. A v4-mapped IPv6 address
/// (`::ffff:a.b.c.d`, seen on a dual-stack listener) stays 16 bytes, as the
/// kernel hands it to HAProxy, so it hashes differently from the bare IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceKey {
    bytes: [u8; 16],
    len: u8,
}

impl SourceKey {
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl AsRef<[u8]> for SourceKey {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

pub fn source_ip_bytes(ip: IpAddr) -> SourceKey {
    let mut bytes = [0u8; 16];
    match ip {
        IpAddr::V4(v4) => {
            bytes[..4].copy_from_slice(&v4.octets());
            SourceKey { bytes, len: 4 }
        }
        IpAddr::V6(v6) => SourceKey {
            bytes: v6.octets(),
            len: 16,
        },
    }
}

/// What `balance source` turns the address into before the optional
/// avalanche: the XOR of its big-endian 32-bit words (HAProxy does not run
/// the configured hash function on addresses).
pub fn fold_source(key: &[u8]) -> u32 {
    key.chunks_exact(4).fold(0u32, |h, w| {
        h ^ u32::from_be_bytes([w[0], w[1], w[2], w[3]])
    })
}

/// The part of the request-target that `balance uri` hashes: the path (the
/// whole target unless `path_only`), cut at `?` unless `whole`, at `len`
/// bytes, and before the `depth+1`-th slash.
pub fn uri_key(
    uri: &[u8],
    whole: bool,
    len: Option<u32>,
    depth: Option<u32>,
    path_only: bool,
) -> &[u8] {
    let uri = if path_only { path_of(uri) } else { uri };
    let limit = match len {
        Some(n) if n > 0 => uri.len().min(n as usize),
        _ => uri.len(),
    };
    let uri = &uri[..limit];
    // HAProxy stores depth+1 and stops on the slash that reaches it, so
    // `depth 0` keeps nothing and `depth 2` keeps "/a/b" of "/a/b/c".
    let stop_at = depth.map(|d| u64::from(d) + 1);
    let mut slashes = 0u64;
    for (i, &c) in uri.iter().enumerate() {
        if c == b'/' {
            slashes += 1;
            if Some(slashes) == stop_at {
                return &uri[..i];
            }
        } else if c == b'?' && !whole {
            return &uri[..i];
        }
    }
    uri
}

/// The path of a request-target (query included), as HAProxy's
/// `http_parse_path`: origin-form as is, the part after the authority for an
/// absolute URI, empty for `*`, authority-form and an absolute URI with no path.
fn path_of(uri: &[u8]) -> &[u8] {
    match uri.first() {
        None | Some(b'*') => &[],
        Some(b'/') => uri,
        Some(c) if c.is_ascii_alphabetic() => {
            let scheme_end = uri
                .iter()
                .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))
                .unwrap_or(uri.len());
            match uri[scheme_end..].strip_prefix(b"://") {
                Some(rest) => match rest.iter().position(|&c| c == b'/') {
                    Some(p) => &rest[p..],
                    None => &[],
                },
                None => &[],
            }
        }
        Some(_) => &[],
    }
}

/// The value of query parameter `name` in `uri` (everything after the first
/// `?`), up to the next `&`. The name matches exactly and case-sensitively,
/// and a parameter without `=` does not match, as in HAProxy.
pub fn url_param_value<'a>(uri: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let q = memchr::memchr(b'?', uri)?;
    param_value(&uri[q + 1..], name.as_bytes())
}

/// The same lookup in an `application/x-www-form-urlencoded` body, for
/// `url_param ... check_post`. Like HAProxy, a value holding bytes that are
/// not URL-safe tokens means the body is not a form and nothing matches; a
/// space or line end ends the value.
pub fn post_param_value<'a>(body: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let value = param_value(body, name.as_bytes())?;
    for (i, &c) in value.iter().enumerate() {
        if is_http_token(c) {
            continue;
        }
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            return Some(&value[..i]);
        }
        return None;
    }
    Some(value)
}

fn param_value<'a>(params: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    for pair in params.split(|&c| c == b'&') {
        if let Some(rest) = pair.strip_prefix(name) {
            if let Some(value) = rest.strip_prefix(b"=") {
                return Some(value);
            }
        }
    }
    None
}

// RFC 7230 tchar, which is what HAProxy's HTTP_IS_TOKEN accepts.
fn is_http_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// The part of a header value that `balance hdr(...)` hashes. With
/// `use_domain_only` only the label before the last dot is kept
/// ("www.example.com" -> "example"); a value without a dot is kept whole.
pub fn hdr_key(value: &[u8], use_domain_only: bool) -> &[u8] {
    if !use_domain_only || value.is_empty() {
        return value;
    }
    // HAProxy's backward scan never looks at a dot in the first byte, nor at
    // the byte just before the last dot; keeping those corners identical
    // makes odd values hash the same as on HAProxy.
    let Some(dot) = value[1..].iter().rposition(|&c| c == b'.') else {
        return value;
    };
    let end = dot + 1;
    let start = value[..end - 1]
        .iter()
        .rposition(|&c| c == b'.')
        .map_or(0, |p| p + 1);
    &value[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn source_bytes_keep_family_width() {
        let v4 = source_ip_bytes(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)));
        assert_eq!(v4.as_bytes(), &[192, 0, 2, 7]);
        assert_eq!(fold_source(v4.as_bytes()), 0xc000_0207);
        let mapped = source_ip_bytes(IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped()));
        assert_eq!(mapped.as_bytes().len(), 16);
        assert_eq!(fold_source(mapped.as_bytes()), 0xc000_0207 ^ 0x0000_ffff);
        let v6 = source_ip_bytes(IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(fold_source(v6.as_bytes()), 1);
    }

    #[test]
    fn uri_stops_at_query_unless_whole() {
        assert_eq!(uri_key(b"/a/b?x=1", false, None, None, false), b"/a/b");
        assert_eq!(uri_key(b"/a/b?x=1", true, None, None, false), b"/a/b?x=1");
    }

    #[test]
    fn uri_len_and_depth() {
        assert_eq!(uri_key(b"/abcdef", false, Some(4), None, false), b"/abc");
        assert_eq!(uri_key(b"/abcdef", false, Some(0), None, false), b"/abcdef");
        assert_eq!(uri_key(b"/a/b/c", false, None, Some(2), false), b"/a/b");
        assert_eq!(uri_key(b"/a/b/c", false, None, Some(1), false), b"/a");
        assert_eq!(uri_key(b"/a/b/c", false, None, Some(0), false), b"");
        assert_eq!(uri_key(b"/a/b/c", false, None, Some(9), false), b"/a/b/c");
    }

    #[test]
    fn uri_path_only_drops_scheme_and_authority() {
        let abs = b"http://example.com/x/y?q";
        assert_eq!(
            uri_key(abs, false, None, None, false),
            b"http://example.com/x/y"
        );
        assert_eq!(uri_key(abs, false, None, None, true), b"/x/y");
        assert_eq!(uri_key(abs, true, None, None, true), b"/x/y?q");
        assert_eq!(uri_key(b"http://example.com", false, None, None, true), b"");
        assert_eq!(uri_key(b"example.com:443", false, None, None, true), b"");
        assert_eq!(uri_key(b"*", false, None, None, true), b"");
        assert_eq!(uri_key(b"/p?q", false, None, None, true), b"/p");
    }

    #[test]
    fn url_param_finds_exact_names() {
        let uri = b"/p?userid=7&user=alice&empty=&flag";
        assert_eq!(url_param_value(uri, "user"), Some(&b"alice"[..]));
        assert_eq!(url_param_value(uri, "userid"), Some(&b"7"[..]));
        assert_eq!(url_param_value(uri, "empty"), Some(&b""[..]));
        assert_eq!(url_param_value(uri, "flag"), None);
        assert_eq!(url_param_value(uri, "User"), None);
        assert_eq!(url_param_value(b"/p/user=alice", "user"), None);
    }

    #[test]
    fn post_param_rejects_non_form_bodies() {
        assert_eq!(post_param_value(b"a=1&user=bob", "user"), Some(&b"bob"[..]));
        assert_eq!(post_param_value(b"user=bob\r\n", "user"), Some(&b"bob"[..]));
        assert_eq!(post_param_value(b"user=b\x00b", "user"), None);
    }

    #[test]
    fn hdr_domain_only_keeps_the_registered_label() {
        assert_eq!(hdr_key(b"www.example.com", true), b"example");
        assert_eq!(hdr_key(b"example.com", true), b"example");
        assert_eq!(hdr_key(b"a.b.example.com:8080", true), b"example");
        assert_eq!(hdr_key(b"localhost", true), b"localhost");
        assert_eq!(hdr_key(b".com", true), b".com");
        assert_eq!(hdr_key(b"www.example.com", false), b"www.example.com");
    }
}
