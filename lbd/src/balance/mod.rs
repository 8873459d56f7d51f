//! TEMPORARY STUB (replaced by the balance branch): same public API.
use crate::config::model::{Balance, HashType};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct LbServer {
    pub id: u32,
    pub weight: u32,
    pub backup: bool,
    pub usable: bool,
}
pub trait LoadView {
    fn load(&self, idx: usize) -> u32;
    fn saturated(&self, idx: usize) -> bool;
}
pub enum LbInput<'a> {
    None,
    Key(&'a [u8]),
}
pub enum KeyNeed {
    None,
    SourceIp,
    Uri {
        whole: bool,
        len: Option<u32>,
        depth: Option<u32>,
        path_only: bool,
    },
    UrlParam {
        name: String,
        check_post: bool,
    },
    Hdr {
        name: String,
        use_domain_only: bool,
    },
    Expr(String),
}
pub struct Balancer {
    usable: Vec<usize>,
    next: AtomicUsize,
    need: KeyNeed,
}
impl Balancer {
    pub fn new(_algo: &Balance, _h: HashType, servers: &[LbServer], _allbackups: bool) -> Balancer {
        Balancer {
            usable: servers
                .iter()
                .enumerate()
                .filter(|(_, s)| s.usable && s.weight > 0 && !s.backup)
                .map(|(i, _)| i)
                .collect(),
            next: AtomicUsize::new(0),
            need: KeyNeed::None,
        }
    }
    pub fn key_need(&self) -> &KeyNeed {
        &self.need
    }
    pub fn pick(&self, _i: LbInput<'_>, _v: &dyn LoadView, _e: Option<usize>) -> Option<usize> {
        if self.usable.is_empty() {
            return None;
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Some(self.usable[n % self.usable.len()])
    }
}
pub mod key {
    pub fn source_ip_bytes(ip: std::net::IpAddr) -> Vec<u8> {
        match ip {
            std::net::IpAddr::V4(a) => a.octets().to_vec(),
            std::net::IpAddr::V6(a) => a.octets().to_vec(),
        }
    }
    pub fn uri_key(
        uri: &[u8],
        _whole: bool,
        _len: Option<u32>,
        _depth: Option<u32>,
        _path_only: bool,
    ) -> &[u8] {
        uri
    }
    pub fn url_param_value<'a>(_uri: &'a [u8], _name: &str) -> Option<&'a [u8]> {
        None
    }
    pub fn hdr_key(value: &[u8], _d: bool) -> &[u8] {
        value
    }
}
