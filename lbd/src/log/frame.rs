//! Syslog framing (spec 9.1): the header each target format puts before a
//! log line, `len` truncation and the trailing newline. Byte-exact with the
//! lines captured from HAProxy 2.6; no I/O.

use super::dates;
use super::Level;
use chrono::{DateTime, FixedOffset};

/// `log ... format <F>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyslogFormat {
    /// No `format`: RFC 3164 without a hostname unless `log-send-hostname`.
    #[default]
    Default,
    Rfc3164,
    Rfc5424,
    Raw,
    Short,
    Priority,
    Timed,
    Iso,
}

impl SyslogFormat {
    pub fn parse(s: &str) -> Option<SyslogFormat> {
        Some(match s {
            "local" => SyslogFormat::Default,
            "rfc3164" => SyslogFormat::Rfc3164,
            "rfc5424" => SyslogFormat::Rfc5424,
            "raw" => SyslogFormat::Raw,
            "short" => SyslogFormat::Short,
            "priority" => SyslogFormat::Priority,
            "timed" => SyslogFormat::Timed,
            "iso" => SyslogFormat::Iso,
            _ => return None,
        })
    }
}

/// What the header needs besides the format.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    pub facility: u8,
    pub level: Level,
    /// `log-tag`, `haproxy` by default.
    pub tag: &'a str,
    pub pid: u32,
    /// `log-send-hostname`: Some(name) when set.
    pub hostname: Option<&'a str>,
    /// The structured-data part for rfc5424 (`log-format-sd`), without the
    /// trailing space; None prints `-`.
    pub sd: Option<&'a [u8]>,
    /// When the line is sent.
    pub now: DateTime<FixedOffset>,
}

/// Appends `header + msg` truncated to `maxlen` bytes, then a newline.
pub fn frame(out: &mut Vec<u8>, format: SyslogFormat, h: &Header<'_>, msg: &[u8], maxlen: usize) {
    use std::io::Write;
    let start = out.len();
    let pri = u32::from(h.facility) * 8 + h.level as u32;
    let _ = match format {
        SyslogFormat::Default | SyslogFormat::Rfc3164 => {
            let _ = write!(out, "<{pri}>");
            dates::legacy(out, &h.now);
            out.push(b' ');
            match (format, h.hostname) {
                (_, Some(host)) => {
                    out.extend_from_slice(host.as_bytes());
                    out.push(b' ');
                }
                (SyslogFormat::Rfc3164, None) => out.extend_from_slice(b"localhost "),
                _ => {}
            }
            write!(out, "{}[{}]: ", h.tag, h.pid)
        }
        SyslogFormat::Rfc5424 => {
            let _ = write!(out, "<{pri}>1 ");
            dates::iso_us(out, &h.now);
            let _ = write!(out, " {} {} {} - ", h.hostname.unwrap_or("-"), h.tag, h.pid);
            out.extend_from_slice(h.sd.unwrap_or(b"-"));
            write!(out, " ")
        }
        SyslogFormat::Raw => Ok(()),
        SyslogFormat::Short => write!(out, "<{}>", h.level as u32),
        SyslogFormat::Priority => write!(out, "<{pri}>"),
        SyslogFormat::Timed => {
            let _ = write!(out, "<{}>", h.level as u32);
            dates::iso_us(out, &h.now);
            write!(out, " ")
        }
        SyslogFormat::Iso => {
            dates::iso_us(out, &h.now);
            write!(out, " ")
        }
    };
    out.extend_from_slice(msg);
    out.truncate(start + maxlen.min(out.len() - start));
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    const MSG: &[u8] = b"127.0.0.1:40674 [21/Nov/2026:10:02:18.334] fe fe/<NOSRV> 0/-1/-1/-1/0 200 76 - - LR-- 1/1/0/0/0 0/0 {Mozilla/#22x|12345} {} \"GET /a?b=1 HTTP/1.1\"";

    fn hdr(facility: u8, tag: &str) -> Header<'_> {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 21, 10, 2, 18)
            .single()
            .map(|d| d + chrono::Duration::microseconds(335_454))
            .map(|d| d.fixed_offset())
            .unwrap_or_default();
        Header {
            facility,
            level: Level::Info,
            tag,
            pid: 6592,
            hostname: None,
            sd: None,
            now,
        }
    }

    fn f(format: SyslogFormat, h: &Header<'_>, maxlen: usize) -> String {
        let mut v = Vec::new();
        frame(&mut v, format, h, MSG, maxlen);
        String::from_utf8_lossy(&v).into_owned()
    }

    fn m() -> String {
        String::from_utf8_lossy(MSG).into_owned()
    }

    // Every expected line below was captured from HAProxy 2.6.12.
    #[test]
    fn captured_headers() {
        let h = hdr(16, "fetag");
        assert_eq!(
            f(SyslogFormat::Default, &h, 1024),
            format!("<134>Nov 21 10:02:18 fetag[6592]: {}\n", m())
        );
        let h1 = hdr(17, "fetag");
        assert_eq!(
            f(SyslogFormat::Rfc3164, &h1, 1024),
            format!("<142>Nov 21 10:02:18 localhost fetag[6592]: {}\n", m())
        );
        assert_eq!(
            f(SyslogFormat::Rfc5424, &h, 1024),
            format!(
                "<134>1 2026-11-21T10:02:18.335454+00:00 - fetag 6592 - - {}\n",
                m()
            )
        );
        assert_eq!(f(SyslogFormat::Short, &h, 1024), format!("<6>{}\n", m()));
        assert_eq!(
            f(SyslogFormat::Timed, &h, 1024),
            format!("<6>2026-11-21T10:02:18.335454+00:00 {}\n", m())
        );
        assert_eq!(
            f(SyslogFormat::Iso, &h, 1024),
            format!("2026-11-21T10:02:18.335454+00:00 {}\n", m())
        );
        assert_eq!(
            f(SyslogFormat::Priority, &h, 1024),
            format!("<134>{}\n", m())
        );
        assert_eq!(f(SyslogFormat::Raw, &h, 1024), format!("{}\n", m()));
    }

    #[test]
    fn len_truncates_header_and_message_then_adds_newline() {
        let h = hdr(16, "fetag");
        assert_eq!(
            f(SyslogFormat::Raw, &h, 80),
            "127.0.0.1:40674 [21/Nov/2026:10:02:18.334] fe fe/<NOSRV> 0/-1/-1/-1/0 200 76 - -\n"
        );
        let mut v = Vec::new();
        let h = hdr(16, "haproxy");
        frame(
            &mut v,
            SyslogFormat::Rfc5424,
            &h,
            b"Connect from 127.0.0.1:47460 to 127.0.0.1:25181 (fe/HTTP)",
            100,
        );
        assert_eq!(
            String::from_utf8_lossy(&v),
            "<134>1 2026-11-21T10:02:18.335454+00:00 - haproxy 6592 - - Connect from 127.0.0.1:47460 to 127.0.0.1\n"
        );
    }

    #[test]
    fn hostname_and_levels() {
        let mut h = hdr(16, "haproxy");
        h.hostname = Some("lb1");
        h.level = Level::Notice;
        let mut v = Vec::new();
        frame(&mut v, SyslogFormat::Default, &h, b"x", 1024);
        assert_eq!(v, b"<133>Nov 21 10:02:18 lb1 haproxy[6592]: x\n");
        v.clear();
        frame(&mut v, SyslogFormat::Rfc5424, &h, b"x", 1024);
        assert_eq!(
            v,
            b"<133>1 2026-11-21T10:02:18.335454+00:00 lb1 haproxy 6592 - - x\n"
        );
    }
}
