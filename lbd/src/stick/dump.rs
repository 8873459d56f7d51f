//! The text of `show table`: the header line and one line per entry, byte
//! for byte as 2.6 prints them except for the opaque entry address.

use super::def::{DataType, StdType, StickTableDef};
use super::table::{EntrySnapshot, StickTable};
use std::fmt::Write as _;

/// `# table: NAME, type: ip, size:N, used:N`.
pub fn head_line(t: &StickTable) -> String {
    format!(
        "# table: {}, type: {}, size:{}, used:{}\n",
        t.name(),
        t.def().key_type.name(),
        t.def().size,
        t.len()
    )
}

/// A stable opaque token for an entry: a hash of its key, shaped like the
/// pointer 2.6 prints.
fn token(e: &EntrySnapshot) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    e.key.hash(&mut h);
    0x5500_0000_0000 | (h.finish() & 0xff_ffff_fff8)
}

/// `0x…: key=K use=N exp=MS type=value …`, LF-terminated.
pub fn entry_line(def: &StickTableDef, e: &EntrySnapshot, now_ms: u64) -> String {
    let mut out = format!(
        "0x{:x}: key={} use={} exp={}",
        token(e),
        e.key.display(),
        e.refs,
        e.exp_ms
    );
    for spec in &def.store {
        let t = spec.data;
        if t == DataType::ServerKey {
            let v = e.data.server_key.as_deref().unwrap_or("-");
            let _ = write!(out, " server_key={v}");
            continue;
        }
        let (pfx, sfx) = match t.name().split_once('_') {
            Some((p, s)) if t.is_array() => (p, format!("_{s}")),
            _ => (t.name(), String::new()),
        };
        let n = if t.is_array() {
            spec.nbelem as usize
        } else {
            1
        };
        for idx in 0..n {
            let name = if t.is_array() {
                format!("{pfx}{idx}{sfx}")
            } else {
                pfx.to_string()
            };
            let v = e.data.read(t, idx, spec.period_ms, now_ms).unwrap_or(0);
            if t.std_type() == StdType::Rate {
                let _ = write!(out, " {name}({})={v}", spec.period_ms);
            } else {
                let _ = write!(out, " {name}={v}");
            }
        }
    }
    out.push('\n');
    out
}
