//! Pattern references and matchers (spec 5.1, 6): the lists of values that
//! ACLs and maps compare samples against.
//!
//! A [`PatternRef`] is the list itself (a file's lines, or the values written
//! inline in an ACL), shared by every ACL and map using the same file and
//! changed at run time by the CLI (`add map`, `set map`...). A [`Matcher`] is
//! one user's compiled view of it (a match method, case flag and value type)
//! with an index for fast lookup. Readers load the index from an `ArcSwap`
//! without locking; writers, under the reference's mutex, apply each change
//! to a second copy of the index and swap it in (see `registry`).

mod buckets;
pub mod index;
mod parse;
mod registry;

pub use index::{Index, MatchMethod};
pub use registry::{Entry, Matcher, PatternRef, PatternRegistry, RefKind};

/// What a successful lookup found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<'a> {
    /// The matching entry's key as written.
    pub key: &'a str,
    /// The map value, already converted to the map's output type.
    pub value: Option<&'a crate::sample::Sample>,
    /// For `map_regm`: the entry's value with `\N` substituted.
    pub regm: Option<String>,
}

#[cfg(test)]
mod tests;
