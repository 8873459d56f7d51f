//! Sample fetches (spec 5.4): what each name reads from the session.

use super::{ParseEnv, Sample, SampleCtx, SampleType};

/// A compiled fetch: the name as written, what it reads, its output type.
#[derive(Debug, Clone)]
pub struct Fetch {
    name: String,
    kind: Kind,
    out: SampleType,
}

#[derive(Debug, Clone)]
enum Kind {
    Const(Sample),
    Src,
}

impl Fetch {
    pub(crate) fn new(
        name: &str,
        args: Option<Vec<String>>,
        _env: &ParseEnv<'_>,
    ) -> Result<Fetch, String> {
        let (kind, out) = match name {
            "always_true" => (Kind::Const(Sample::Bool(true)), SampleType::Bool),
            "src" => (Kind::Src, SampleType::Addr),
            _ => return Err(format!("unknown fetch method '{name}'")),
        };
        let _ = args;
        Ok(Fetch {
            name: name.into(),
            kind,
            out,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn out_type(&self) -> SampleType {
        self.out
    }

    /// Whether an ACL should try every value (`hdr(x)` without occurrence).
    pub(crate) fn multi(&self) -> bool {
        false
    }

    pub(crate) fn eval(&self, cx: &mut dyn SampleCtx, _acl: bool) -> Option<Sample> {
        match &self.kind {
            Kind::Const(s) => Some(s.clone()),
            Kind::Src => cx.src().map(|a| match a.ip() {
                std::net::IpAddr::V4(a) => Sample::Ipv4(a),
                std::net::IpAddr::V6(a) => Sample::Ipv6(a),
            }),
        }
    }

    pub(crate) fn eval_all(&self, cx: &mut dyn SampleCtx) -> Vec<Sample> {
        self.eval(cx, true).into_iter().collect()
    }
}

/// Whether `name` is a fetch keyword (for resolving `path_beg` & co).
pub fn is_known(name: &str) -> bool {
    matches!(name, "always_true" | "src")
}
