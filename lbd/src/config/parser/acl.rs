//! The `acl` keyword: checks the line by compiling it (so bad regexes, IPs
//! and pattern files are reported at file:line as `haproxy -c` does), then
//! records it in the model for the runtime to compile again.

use super::{Loader, Status, Target};
use crate::acl::AclSet;
use crate::config::model::AclDecl;
use crate::pattern::PatternRegistry;
use crate::sample::ParseEnv;

pub(crate) fn keyword(l: &mut Loader<'_>, t: Target, words: &[String]) -> Status {
    let d = l.draft(t);
    if d.is_defaults {
        let name = d.proxy.name.clone();
        return if name.is_empty() {
            l.alert("'acl' not allowed in anonymous 'defaults' section.")
        } else {
            l.alert(format_args!(
                "'acl' not allowed in 'defaults' section '{name}'."
            ))
        };
    }
    let loc = l.loc();
    let registry = PatternRegistry::new();
    let env = ParseEnv {
        registry: &registry,
        file: &loc.file,
        line: loc.line,
    };
    if let Err(e) = AclSet::new().add(&words[1..], &env) {
        return l.alert(e);
    }
    let Some(name) = words.get(1) else {
        return l.alert("'acl' expects an ACL name.");
    };
    l.draft(t).proxy.acls.push(AclDecl {
        name: name.clone(),
        args: words[2..].to_vec(),
        location: loc,
    });
    Status::default()
}
