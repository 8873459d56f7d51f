//! Number, time and size values as haproxy.cfg writes them (spec 2.3).
//!
//! Errors are returned as the tail of HAProxy's message so callers can put
//! the keyword in front, as HAProxy does.

/// Why a time or size value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("unexpected character '{0}'")]
    BadChar(char),
    #[error("missing value")]
    Empty,
    #[error("value too large")]
    Overflow,
}

/// Parses a time; `default_unit_ms` is what a bare number means (1 for ms).
/// Returns milliseconds (microsecond values round up to 1 ms when non-zero).
pub fn parse_time_with(s: &str, default_unit_ms: u64) -> Result<u64, UnitError> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return match s.chars().next() {
            Some(c) => Err(UnitError::BadChar(c)),
            None => Err(UnitError::Empty),
        };
    }
    let n: u64 = digits.parse().map_err(|_| UnitError::Overflow)?;
    let rest = &s[digits.len()..];
    let ms = match rest {
        "" => n.checked_mul(default_unit_ms),
        "us" => Some(if n == 0 { 0 } else { n.div_ceil(1000) }),
        "ms" => Some(n),
        "s" => n.checked_mul(1000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        _ => {
            let c = rest.chars().next().unwrap_or(' ');
            return Err(UnitError::BadChar(c));
        }
    };
    let ms = ms.ok_or(UnitError::Overflow)?;
    // HAProxy stores timeouts as signed 32-bit ms ticks.
    if ms > i32::MAX as u64 {
        return Err(UnitError::Overflow);
    }
    Ok(ms)
}

/// A time in milliseconds unless suffixed.
pub fn parse_time(s: &str) -> Result<u64, UnitError> {
    parse_time_with(s, 1)
}

/// A size in bytes: `k`, `m`, `g` are powers of 1024.
pub fn parse_size(s: &str) -> Result<u64, UnitError> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return match s.chars().next() {
            Some(c) => Err(UnitError::BadChar(c)),
            None => Err(UnitError::Empty),
        };
    }
    let n: u64 = digits.parse().map_err(|_| UnitError::Overflow)?;
    let mult = match &s[digits.len()..] {
        "" => 1,
        "k" | "K" => 1 << 10,
        "m" | "M" => 1 << 20,
        "g" | "G" => 1 << 30,
        rest => return Err(UnitError::BadChar(rest.chars().next().unwrap_or(' '))),
    };
    n.checked_mul(mult).ok_or(UnitError::Overflow)
}

/// An unsigned integer as HAProxy's `atol`-style keywords accept it: the
/// whole word must be digits.
pub fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Like C's `atoi`: leading digits, anything after ignored, 0 when none.
/// Several 2.6 keywords (`maxconn`, `retries`) parse this loosely.
pub fn atoi(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let d: String = t
        .chars()
        .take_while(char::is_ascii_digit)
        .take(18)
        .collect();
    let v: i64 = d.parse().unwrap_or(0);
    if neg {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("5000"), Ok(5000));
        assert_eq!(parse_time("5s"), Ok(5000));
        assert_eq!(parse_time("1m"), Ok(60_000));
        assert_eq!(parse_time("4h"), Ok(14_400_000));
        assert_eq!(parse_time("1d"), Ok(86_400_000));
        assert_eq!(parse_time("1500us"), Ok(2));
        assert_eq!(parse_time("50000ms"), Ok(50_000));
        assert_eq!(parse_time("abc"), Err(UnitError::BadChar('a')));
        assert_eq!(parse_time("5x"), Err(UnitError::BadChar('x')));
        assert_eq!(parse_time("30d"), Err(UnitError::Overflow));
        assert_eq!(parse_time_with("10", 1000), Ok(10_000));
    }

    #[test]
    fn sizes_and_ints() {
        assert_eq!(parse_size("16k"), Ok(16384));
        assert_eq!(parse_size("1m"), Ok(1 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("1t").is_err());
        assert_eq!(parse_uint("42"), Some(42));
        assert_eq!(parse_uint("4x"), None);
        assert_eq!(atoi("12abc"), 12);
        assert_eq!(atoi("abc"), 0);
    }
}
