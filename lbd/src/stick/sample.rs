//! The bridge between the sample engine and the tables: a [`Sample`] as a
//! key (2.6's casts), and the [`StickCounter`]s the `sc*_*`, `src_*` and
//! `table_*` fetches read or bump on an [`EntryRef`], with 2.6's answers for
//! an absent entry (0) and an unstored type (no sample).

use super::def::DataType;
use super::key::{KeyInput, StickKey};
use super::table::{EntryRef, StickTable};
use crate::sample::ctx::StickCounter;
use crate::sample::Sample;

/// `sample` as a key of `table`, or None when no cast fits (the rule or
/// fetch then does nothing).
pub fn key_from_sample(table: &StickTable, sample: &Sample) -> Option<StickKey> {
    let input = match sample {
        Sample::Bool(b) => KeyInput::Bool(*b),
        Sample::Sint(i) => KeyInput::Int(*i),
        Sample::Ipv4(a) => KeyInput::Ipv4(*a),
        Sample::Ipv6(a) => KeyInput::Ipv6(*a),
        Sample::Str(s) | Sample::Meth(s) => KeyInput::Str(s),
        Sample::Bin(b) => KeyInput::Bin(b),
    };
    let def = table.def();
    StickKey::from_input(input, def.key_type, def.key_size)
}

/// The stored type behind a counter fetch, and whether its value is shown
/// in kilobytes.
fn data_type(c: StickCounter) -> Option<(DataType, bool)> {
    use StickCounter as C;
    Some(match c {
        C::ConnCnt => (DataType::ConnCnt, false),
        C::ConnCur => (DataType::ConnCur, false),
        C::ConnRate => (DataType::ConnRate, false),
        C::SessCnt => (DataType::SessCnt, false),
        C::SessRate => (DataType::SessRate, false),
        C::HttpReqCnt => (DataType::HttpReqCnt, false),
        C::HttpReqRate => (DataType::HttpReqRate, false),
        C::HttpErrCnt => (DataType::HttpErrCnt, false),
        C::HttpErrRate => (DataType::HttpErrRate, false),
        C::BytesInCnt => (DataType::BytesInCnt, false),
        C::BytesInRate => (DataType::BytesInRate, false),
        C::BytesOutCnt => (DataType::BytesOutCnt, false),
        C::BytesOutRate => (DataType::BytesOutRate, false),
        C::KbytesIn => (DataType::BytesInCnt, true),
        C::KbytesOut => (DataType::BytesOutCnt, true),
        C::Gpc0 | C::ClrGpc0 => (DataType::Gpc0, false),
        C::Gpc1 | C::ClrGpc1 => (DataType::Gpc1, false),
        C::Gpc0Rate => (DataType::Gpc0Rate, false),
        C::Gpc1Rate => (DataType::Gpc1Rate, false),
        C::Gpt0 => (DataType::Gpt0, false),
        C::ServerId => (DataType::ServerId, false),
        C::Trackers => return None,
    })
}

/// What a counter fetch returns for `entry`: 0 without an entry (nothing
/// tracked or found), None when the table does not store the type (the
/// fetch fails), as 2.6 answers.
pub fn read(entry: Option<&EntryRef>, c: StickCounter, now_ms: u64) -> Option<i64> {
    let Some(e) = entry else {
        return Some(0);
    };
    if c == StickCounter::Trackers {
        // The fetch's own reference is not a tracker.
        return Some(i64::from(e.refs().saturating_sub(1)));
    }
    let (t, kb) = data_type(c)?;
    match c {
        StickCounter::ClrGpc0 => return e.clr_gpc0(now_ms),
        StickCounter::ClrGpc1 => return e.clr_gpc1(now_ms),
        _ => {}
    }
    let v = e.get(t, now_ms)?;
    Some(if kb { v >> 10 } else { v })
}

/// `sc_inc_gpc0` / `sc_inc_gpc1` and friends: bump, then the new value (0
/// without an entry, None when the table stores neither counter nor rate).
pub fn inc(entry: Option<&EntryRef>, c: StickCounter, now_ms: u64) -> Option<i64> {
    let Some(e) = entry else {
        return Some(0);
    };
    match c {
        StickCounter::Gpc0 | StickCounter::Gpc0Rate => e.inc_gpc0(now_ms),
        StickCounter::Gpc1 | StickCounter::Gpc1Rate => e.inc_gpc1(now_ms),
        other => read(Some(e), other, now_ms),
    }
}
