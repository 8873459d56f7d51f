//! The date forms HAProxy prints in logs, from a `SystemTime`.
//!
//! Local time follows `TZ` and `/etc/localtime` as localtime(3) does; chrono
//! reads them itself, so this is safe in a multi-threaded process (the
//! `time` crate refuses local offsets there). Every formatter takes a
//! `DateTime<FixedOffset>` so tests pin the zone.

use chrono::{DateTime, Datelike, FixedOffset, Local, Offset, Timelike, Utc};
use std::fmt::Write;
use std::time::SystemTime;

/// `t` in the system's local time zone. The zone's offset is looked up
/// once per second per thread: resolving `Local` on every log line costs
/// more than formatting it.
pub fn local(t: SystemTime) -> DateTime<FixedOffset> {
    use std::cell::Cell;
    thread_local! {
        static OFFSET: Cell<(i64, i32)> = const { Cell::new((i64::MIN, 0)) };
    }
    let utc: DateTime<Utc> = t.into();
    let sec = utc.timestamp();
    let (cached_sec, off) = OFFSET.with(Cell::get);
    let off = if cached_sec == sec {
        off
    } else {
        let off = utc.with_timezone(&Local).offset().fix().local_minus_utc();
        OFFSET.with(|c| c.set((sec, off)));
        off
    };
    match FixedOffset::east_opt(off) {
        Some(z) => utc.with_timezone(&z),
        None => utc.fixed_offset(),
    }
}

/// `t` in UTC.
pub fn utc(t: SystemTime) -> DateTime<FixedOffset> {
    let utc: DateTime<Utc> = t.into();
    utc.fixed_offset()
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Appends `v` zero-padded to `width` digits.
fn push_num(out: &mut Vec<u8>, v: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let mut n = v;
    let mut i = buf.len();
    while n > 0 && i > 0 {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let start = (buf.len() - width.max(buf.len() - i)).min(buf.len());
    out.extend_from_slice(&buf[start..]);
}

fn month(d: &DateTime<FixedOffset>) -> &'static [u8; 3] {
    MONTHS[(d.month0() as usize).min(11)]
}

/// `%t` / `%tr`: `21/Nov/2026:08:20:18.733`. Written by hand: chrono's
/// strftime interpreter was a visible share of the per-line cost.
pub fn log_date(out: &mut Vec<u8>, d: &DateTime<FixedOffset>) {
    push_num(out, d.day(), 2);
    out.push(b'/');
    out.extend_from_slice(month(d));
    out.push(b'/');
    push_num(out, d.year().max(0) as u32, 4);
    out.push(b':');
    push_num(out, d.hour(), 2);
    out.push(b':');
    push_num(out, d.minute(), 2);
    out.push(b':');
    push_num(out, d.second(), 2);
    out.push(b'.');
    push_num(out, (d.nanosecond() / 1_000_000).min(999), 3);
}

/// `%T` / `%Tl` / `%trg` / `%trl`: `21/Nov/2026:08:20:18 +0000`.
pub fn log_date_zone(out: &mut Vec<u8>, d: &DateTime<FixedOffset>) {
    push_fmt(out, d, "%d/%b/%Y:%H:%M:%S %z");
}

/// The RFC 3164 timestamp: `Nov  1 08:24:59` (day padded with a space).
pub fn legacy(out: &mut Vec<u8>, d: &DateTime<FixedOffset>) {
    out.extend_from_slice(month(d));
    out.push(b' ');
    if d.day() < 10 {
        out.push(b' ');
    }
    push_num(out, d.day(), 1);
    out.push(b' ');
    push_num(out, d.hour(), 2);
    out.push(b':');
    push_num(out, d.minute(), 2);
    out.push(b':');
    push_num(out, d.second(), 2);
}

/// The RFC 5424 / `timed` / `iso` timestamp: `2026-11-21T08:21:47.804903+00:00`.
pub fn iso_us(out: &mut Vec<u8>, d: &DateTime<FixedOffset>) {
    push_fmt(out, d, "%Y-%m-%dT%H:%M:%S%.6f%:z");
}

fn push_fmt(out: &mut Vec<u8>, d: &DateTime<FixedOffset>, f: &str) {
    let mut s = String::with_capacity(32);
    // Writing into a String cannot fail.
    let _ = write!(s, "{}", d.format(f));
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64, micros: u32, off_h: i32) -> DateTime<FixedOffset> {
        let t = UNIX_EPOCH + Duration::new(secs, micros * 1000);
        let utc: DateTime<Utc> = t.into();
        utc.with_timezone(&FixedOffset::east_opt(off_h * 3600).unwrap_or(Utc.fix()))
    }
    use chrono::Offset;

    fn s(f: fn(&mut Vec<u8>, &DateTime<FixedOffset>), d: &DateTime<FixedOffset>) -> String {
        let mut v = Vec::new();
        f(&mut v, d);
        String::from_utf8_lossy(&v).into_owned()
    }

    #[test]
    fn haproxy_date_forms() {
        // 2026-11-21T08:20:18.733Z
        let d = at(1_795_249_218, 733_512, 0);
        assert_eq!(s(log_date, &d), "21/Nov/2026:08:20:18.733");
        assert_eq!(s(log_date_zone, &d), "21/Nov/2026:08:20:18 +0000");
        assert_eq!(s(legacy, &d), "Nov 21 08:20:18");
        assert_eq!(s(iso_us, &d), "2026-11-21T08:20:18.733512+00:00");
        let d = at(1_795_249_218 - 20 * 86400, 0, 2);
        assert_eq!(s(legacy, &d), "Nov  1 10:20:18");
        assert_eq!(s(log_date_zone, &d), "01/Nov/2026:10:20:18 +0200");
        assert_eq!(s(iso_us, &d), "2026-11-01T10:20:18.000000+02:00");
    }
}
