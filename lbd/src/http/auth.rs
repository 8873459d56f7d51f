//! HTTP Basic authentication against `userlist` sections: what
//! `http_auth(<userlist>)` and `http_auth_group(<userlist>)` decide, and
//! the 401 that `http-request auth` sends.
//!
//! Passwords are either clear (`insecure-password`) or crypt(3) hashes,
//! checked as glibc's crypt would (`$6$`, `$5$`, `$1$`, bcrypt, DES).

use crate::config::model::Userlist;

/// Decodes an `Authorization: Basic <b64>` value into (user, password).
pub fn basic_credentials(header: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let v = header.trim_ascii();
    let sp = memchr::memchr(b' ', v)?;
    if !v[..sp].eq_ignore_ascii_case(b"basic") {
        return None;
    }
    let raw = b64decode(v[sp + 1..].trim_ascii())?;
    let colon = memchr::memchr(b':', &raw)?;
    Some((raw[..colon].to_vec(), raw[colon + 1..].to_vec()))
}

fn b64decode(s: &[u8]) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let s: Vec<u8> = s.iter().copied().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let n = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        for i in 0..n {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

/// The user of `ul` the credentials in `authorization` name, when the
/// password matches.
pub fn authenticate<'a>(ul: &'a Userlist, authorization: &[u8]) -> Option<&'a str> {
    let (user, pass) = basic_credentials(authorization)?;
    let u = ul.users.iter().find(|u| u.name.as_bytes() == user)?;
    let ok = if u.insecure {
        u.password.as_bytes() == pass
    } else {
        std::str::from_utf8(&pass)
            .ok()
            .is_some_and(|p| pwhash::unix::verify(p, &u.password))
    };
    ok.then_some(u.name.as_str())
}

/// The userlist `name` of the running configuration.
fn running_userlist(name: &str) -> Option<Userlist> {
    let rt = crate::stats::current()?;
    rt.frontends.first()?.book.userlists.get(name).cloned()
}

/// `http_auth(<userlist>)` and `http_auth_group(<userlist>)`: the user
/// `authorization` names when its password is right, with the groups
/// that user belongs to.
pub fn fetch_user(list: &str, authorization: &[u8]) -> Option<(String, Vec<String>)> {
    let ul = running_userlist(list)?;
    let user = authenticate(&ul, authorization)?;
    let mut groups: Vec<String> = Vec::new();
    for g in ul
        .users
        .iter()
        .filter(|u| u.name == user)
        .flat_map(|u| u.groups.iter())
        .chain(
            ul.groups
                .iter()
                .filter(|(_, users)| users.iter().any(|u| u == user))
                .map(|(g, _)| g),
        )
    {
        if !groups.contains(g) {
            groups.push(g.clone());
        }
    }
    Some((user.to_string(), groups))
}

/// Whether `user` of `ul` belongs to `group` (listed on the user or the group).
pub fn in_group(ul: &Userlist, user: &str, group: &str) -> bool {
    ul.users
        .iter()
        .any(|u| u.name == user && u.groups.iter().any(|g| g == group))
        || ul
            .groups
            .iter()
            .any(|(g, users)| g == group && users.iter().any(|u| u == user))
}

/// The 401 of `http-request auth`, as 2.6 sends it (its 401 page plus the
/// `www-authenticate` line).
pub fn unauthorized(realm: &str, proxies: &[&crate::config::model::Proxy]) -> Vec<u8> {
    let page = super::respond::error_bytes(401, crate::h1::ErrorLayer::Http, proxies);
    let Some(end) = memchr::memmem::find(&page, b"\r\n\r\n") else {
        return page.into_owned();
    };
    let mut out = Vec::with_capacity(page.len() + 48);
    out.extend_from_slice(&page[..end + 2]);
    out.extend_from_slice(b"www-authenticate: Basic realm=\"");
    out.extend_from_slice(realm.as_bytes());
    out.extend_from_slice(b"\"\r\n");
    out.extend_from_slice(&page[end + 2..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::User;

    fn ul() -> Userlist {
        Userlist {
            name: "L1".into(),
            groups: vec![("G1".into(), vec!["tiger".into()])],
            users: vec![
                User {
                    name: "scott".into(),
                    password: "elgato".into(),
                    insecure: true,
                    groups: vec!["G2".into()],
                },
                User {
                    name: "tiger".into(),
                    // openssl passwd -6 -salt saltsalt secret
                    password: "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1".into(),
                    insecure: false,
                    groups: vec![],
                },
            ],
        }
    }

    #[test]
    fn clear_and_hashed_passwords() {
        let l = ul();
        // scott:elgato
        assert_eq!(authenticate(&l, b"Basic c2NvdHQ6ZWxnYXRv"), Some("scott"));
        // scott:wrong
        assert_eq!(authenticate(&l, b"Basic c2NvdHQ6d3Jvbmc="), None);
        // tiger:secret
        assert_eq!(authenticate(&l, b"basic dGlnZXI6c2VjcmV0"), Some("tiger"));
        assert_eq!(authenticate(&l, b"Bearer x"), None);
        assert!(in_group(&l, "tiger", "G1"));
        assert!(in_group(&l, "scott", "G2"));
        assert!(!in_group(&l, "scott", "G1"));
    }
}
