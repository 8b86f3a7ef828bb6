//! The times `svlog -s` and `-u` take: a local time as `tai64nlocal`
//! prints it (`2026-11-21 19:08:46`, seconds' fraction optional, or the
//! date alone for its midnight), an RFC 3339 time (`2026-11-21T19:08:46Z`,
//! `...+01:00`, a fraction optional), or a duration ago in humantime's
//! words (`10m`, `1h 30m`, `2days`).

use crate::tai64::{self, Tai64, Tai64N};
use std::time::SystemTime;

/// What a time given to `-s` or `-u` means, `now` being now; None if it is
/// none of the three forms.
pub fn parse(text: &str, now: SystemTime) -> Option<Tai64N> {
    let t = text.trim();
    if let Some(t) = rfc3339(t.as_bytes()) {
        return Some(t);
    }
    if let Some(t) = local(t.as_bytes()) {
        return Some(t);
    }
    let ago = humantime::parse_duration(t).ok()?;
    Some(tai64::from_system_time(now.checked_sub(ago)?))
}

/// Reads `len` digits at `at`.
fn digits(s: &[u8], at: usize, len: usize) -> Option<i64> {
    let part = s.get(at..at + len)?;
    part.iter().try_fold(0i64, |n, &b| b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0')))
}

/// `YYYY-MM-DD`, then from byte 10 on: the date and what follows it.
fn date(s: &[u8]) -> Option<(i64, i64, i64)> {
    let (y, m, d) = (digits(s, 0, 4)?, digits(s, 5, 2)?, digits(s, 8, 2)?);
    (s[4] == b'-' && s[7] == b'-' && (1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// `HH:MM:SS` at byte `at`, then an optional fraction: the seconds of the
/// day, the nanoseconds and where the rest begins.
fn clock(s: &[u8], at: usize) -> Option<(i64, u32, usize)> {
    let (h, m, sec) = (digits(s, at, 2)?, digits(s, at + 3, 2)?, digits(s, at + 6, 2)?);
    if s[at + 2] != b':' || s[at + 5] != b':' || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let mut end = at + 8;
    let mut nanos = 0u32;
    if s.get(end) == Some(&b'.') {
        let frac = s[end + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if frac == 0 {
            return None;
        }
        for i in 0..9 {
            let d = if i < frac { u32::from(s[end + 1 + i] - b'0') } else { 0 };
            nanos = nanos * 10 + d;
        }
        end += 1 + frac;
    }
    Some((h * 3600 + m * 60 + sec, nanos, end))
}

/// An RFC 3339 time: `T` (or `t`, or a space) between date and time, then
/// `Z` or an offset.
pub(crate) fn rfc3339(s: &[u8]) -> Option<Tai64N> {
    let (y, m, d) = date(s)?;
    if !matches!(s.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (secs, nanos, end) = clock(s, 11)?;
    let offset = match &s[end..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let off = digits(s, end + 1, 2)? * 3600 + digits(s, end + 4, 2)? * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let unix = tai64::days_from_civil(y, m, d) * 86400 + secs - offset;
    Some(Tai64N(Tai64::from_unix(unix), nanos))
}

/// A local time as `tai64nlocal` prints it (`YYYY-MM-DD HH:MM:SS`, a
/// fraction optional), or a date alone (its midnight), in the local zone
/// (TZ honoured, as `mktime`).
fn local(s: &[u8]) -> Option<Tai64N> {
    let (y, m, d) = date(s)?;
    let (secs, nanos) = match s.len() {
        10 => (0, 0),
        _ if s.get(10) == Some(&b' ') => match clock(s, 11)? {
            (secs, nanos, end) if end == s.len() => (secs, nanos),
            _ => return None,
        },
        _ => return None,
    };
    // SAFETY: mktime reads and normalises the tm we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = (y - 1900) as libc::c_int;
    tm.tm_mon = (m - 1) as libc::c_int;
    tm.tm_mday = d as libc::c_int;
    tm.tm_hour = (secs / 3600) as libc::c_int;
    tm.tm_min = (secs / 60 % 60) as libc::c_int;
    tm.tm_sec = (secs % 60) as libc::c_int;
    tm.tm_isdst = -1;
    let unix = unsafe { libc::mktime(&mut tm) };
    (unix != -1 || (y, m, d) == (1969, 12, 31)).then(|| Tai64N(Tai64::from_unix(unix as i64), nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(unix: i64, nanos: u32) -> Tai64N {
        Tai64N(Tai64::from_unix(unix), nanos)
    }

    #[test]
    fn rfc3339_with_a_zone() {
        let now = UNIX_EPOCH;
        assert_eq!(parse("2026-11-21T19:08:46Z", now), Some(at(1_795_288_126, 0)));
        assert_eq!(parse("2026-11-21t19:08:46.5z", now), Some(at(1_795_288_126, 500_000_000)));
        assert_eq!(parse("2026-11-21T20:08:46.000000001+01:00", now), Some(at(1_795_288_126, 1)));
        assert_eq!(parse("2026-11-21 18:38:46-00:30", now), Some(at(1_795_288_126, 0)));
        assert_eq!(parse("2026-11-21T19:08:46", now), None, "no zone: neither form");
        assert_eq!(parse("2026-13-21T19:08:46Z", now), None);
        assert_eq!(parse("2026-11-21T24:08:46Z", now), None);
        assert_eq!(parse("2026-11-21T19:08:46.Z", now), None);
    }

    #[test]
    fn local_times_as_tai64nlocal_prints_them() {
        // The zone of the test process: whatever it is, mktime's answer is
        // what localtime turns back into the same text.
        let t = parse("2026-11-21 19:08:46.123456789", UNIX_EPOCH).unwrap();
        assert_eq!(t.1, 123_456_789);
        assert_eq!(tai64::local_seconds(tai64::unix_secs(t)).unwrap(), b"2026-11-21 19:08:46");
        let day = parse("2026-11-21", UNIX_EPOCH).unwrap();
        assert_eq!(tai64::local_seconds(tai64::unix_secs(day)).unwrap(), b"2026-11-21 00:00:00");
        assert_eq!(parse("2026-11-21 19:08", UNIX_EPOCH), None);
        assert_eq!(parse("2026-11-21 19:08:46 x", UNIX_EPOCH), None);
    }

    #[test]
    fn durations_ago() {
        let now = UNIX_EPOCH + Duration::from_secs(100_000);
        assert_eq!(parse("10m", now), Some(at(100_000 - 600, 0)));
        assert_eq!(parse("1h 30m", now), Some(at(100_000 - 5400, 0)));
        assert_eq!(parse(" 2days ", now), Some(at(100_000 - 172_800, 0)));
        assert_eq!(parse("yesterday", now), None);
        assert_eq!(parse("", now), None);
        assert_eq!(parse("-5m", now), None);
    }

    #[test]
    fn any_text_is_taken_without_panic() {
        let mut seed = 11u64;
        for _ in 0..20_000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let pick = b"0123456789-:T Z+.ms";
            let text: String = seed
                .to_le_bytes()
                .iter()
                .map(|b| pick[*b as usize % pick.len()] as char)
                .take((seed >> 60) as usize + 10)
                .collect();
            let _ = parse(&text, UNIX_EPOCH);
        }
    }
}
