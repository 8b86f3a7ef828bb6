//! TAI64N labels as daemontools writes them, on the `tai64` crate's types.
//!
//! daemontools puts the Unix epoch at TAI64 2^62 + 10 and keeps no table of
//! leap seconds. The `tai64` crate's `Tai64::from_unix` agrees, but its
//! `Tai64N::now()` and `from_system_time` use 2^62 + 37 and would write labels
//! 27 seconds away from every other daemontools tool: never call them; build
//! labels with [`from_system_time`] here.

use std::time::{SystemTime, UNIX_EPOCH};

pub use ::tai64::{Tai64, Tai64N};

/// Length of the `@` + 24 hex digits text form.
pub const LABEL_LEN: usize = 25;

/// The daemontools label of a moment.
pub fn from_system_time(t: SystemTime) -> Tai64N {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => Tai64N(Tai64::from_unix(d.as_secs() as i64), d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let (secs, nanos) = match d.subsec_nanos() {
                0 => (-(d.as_secs() as i64), 0),
                n => (-(d.as_secs() as i64) - 1, 1_000_000_000 - n),
            };
            Tai64N(Tai64::from_unix(secs), nanos)
        }
    }
}

/// The daemontools label of now.
pub fn now() -> Tai64N {
    from_system_time(SystemTime::now())
}

/// Seconds since the Unix epoch of a label (daemontools' epoch).
pub fn unix_secs(t: Tai64N) -> i64 {
    t.0.to_unix()
}

/// The 12 bytes of a label, big-endian seconds then nanoseconds.
pub fn pack(t: Tai64N) -> [u8; 12] {
    t.to_bytes()
}

/// Reads 12 bytes as a label. Unlike the crate's `from_slice`, this never
/// fails: a nanosecond field out of range (which no daemontools program
/// writes, and which svstat ignores) is clamped.
pub fn unpack(b: &[u8; 12]) -> Tai64N {
    let secs = u64::from_be_bytes(b[..8].try_into().unwrap());
    let nanos = u32::from_be_bytes(b[8..].try_into().unwrap());
    Tai64N(Tai64(secs), nanos.min(999_999_999))
}

/// The text form, `@` and 24 lowercase hex digits, as `tai64n` prints it.
pub fn fmt_label(t: Tai64N) -> [u8; LABEL_LEN] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'@'; LABEL_LEN];
    for (i, byte) in pack(t).iter().enumerate() {
        out[1 + 2 * i] = HEX[(byte >> 4) as usize];
        out[2 + 2 * i] = HEX[(byte & 15) as usize];
    }
    out
}

/// Parses the text form; `None` unless it is `@` and 24 hex digits.
pub fn parse_label(s: &[u8]) -> Option<Tai64N> {
    if s.len() < LABEL_LEN || s[0] != b'@' {
        return None;
    }
    let mut b = [0u8; 12];
    for (i, out) in b.iter_mut().enumerate() {
        let hi = (s[1 + 2 * i] as char).to_digit(16)?;
        let lo = (s[2 + 2 * i] as char).to_digit(16)?;
        *out = (hi * 16 + lo) as u8;
    }
    Some(unpack(&b))
}

/// Seconds since the Unix epoch as local time, `YYYY-MM-DD HH:MM:SS`.
pub fn local_seconds(secs: i64) -> Option<Vec<u8>> {
    let secs = libc::time_t::try_from(secs).ok()?;
    // SAFETY: localtime_r fills the tm we own, or returns NULL.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&secs, &mut tm) }.is_null() {
        return None;
    }
    let text = format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}",
        tm.tm_year as i64 + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
    );
    Some(text.into_bytes())
}

/// Turns labels into local time as `tai64nlocal` prints them, keeping the
/// text of the last second (consecutive labels mostly share one).
#[derive(Default)]
pub struct Localizer {
    secs: i64,
    text: Option<Vec<u8>>,
}

/// Enough of a line's start to decide whether it has a label: the label and the byte after it.
pub const HEAD: usize = LABEL_LEN + 1;

/// Whether `head` starts with a label as `tai64nlocal` takes it: `@`, 24
/// lowercase hex digits, and no hex digit after them.
pub fn label_at(head: &[u8]) -> Option<Tai64N> {
    let hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
    let is_label = head.len() >= LABEL_LEN
        && head[0] == b'@'
        && head[1..LABEL_LEN].iter().all(hex)
        && !head.get(LABEL_LEN).is_some_and(hex);
    if is_label {
        parse_label(head)
    } else {
        None
    }
}

impl Localizer {
    /// Appends the head of a line (up to [`HEAD`] bytes, or fewer ending in
    /// a newline, or the whole line), its label turned into local time
    /// (`YYYY-MM-DD HH:MM:SS.nnnnnnnnn`) if it starts with one.
    pub fn put_head(&mut self, head: &[u8], out: &mut Vec<u8>) {
        match label_at(head) {
            Some(t) => self.put(t, &head[LABEL_LEN..], out),
            None => out.extend_from_slice(head),
        }
    }

    /// Appends `t` in local time, then `rest`; a time localtime cannot
    /// give is written as its label.
    pub fn put(&mut self, t: Tai64N, rest: &[u8], out: &mut Vec<u8>) {
        let secs = unix_secs(t);
        if self.text.is_none() || self.secs != secs {
            self.secs = secs;
            self.text = local_seconds(secs);
        }
        match &self.text {
            Some(text) => {
                out.extend_from_slice(text);
                out.push(b'.');
                out.extend_from_slice(&nanos9(t.1));
            }
            None => out.extend_from_slice(&fmt_label(t)),
        }
        out.extend_from_slice(rest);
    }
}

/// Nanoseconds as nine decimal digits.
pub fn nanos9(mut n: u32) -> [u8; 9] {
    let mut out = [b'0'; 9];
    for d in out.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out
}

/// Length of an RFC 3339 UTC time to the microsecond (`2026-11-21T19:08:46.766450Z`).
pub const RFC3339_LEN: usize = 27;

/// A moment as an RFC 3339 UTC time to the microsecond; moments before 1970
/// are written as its first.
pub fn fmt_rfc3339(t: SystemTime) -> [u8; RFC3339_LEN] {
    use std::io::Write;
    let mut out = [b'0'; RFC3339_LEN];
    let _ = write!(&mut out[..], "{}", humantime::format_rfc3339_micros(t.max(UNIX_EPOCH)));
    out
}

/// The moment of a label (daemontools' epoch).
pub fn to_system_time(t: Tai64N) -> SystemTime {
    let secs = unix_secs(t);
    let nanos = std::time::Duration::from_nanos(u64::from(t.1));
    match u64::try_from(secs) {
        Ok(s) => UNIX_EPOCH + std::time::Duration::from_secs(s) + nanos,
        Err(_) => UNIX_EPOCH - std::time::Duration::from_secs(secs.unsigned_abs()) + nanos,
    }
}

/// Parses an RFC 3339 UTC time to the microsecond as multilog's `T` writes
/// it (`2026-11-21T19:08:46.766450Z`), into a label.
pub fn parse_rfc3339(s: &[u8]) -> Option<Tai64N> {
    // Exactly multilog's shape (a `T`, six digits of fraction, `Z`), then
    // read as any RFC 3339 time (`svlog -s`'s parser).
    let s = s.get(..RFC3339_LEN)?;
    let shape = [(10, b'T'), (19, b'.'), (26, b'Z')].iter().all(|&(i, c)| s[i] == c);
    shape.then(|| crate::when::rfc3339(s))?
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The stamp a line of a log directory begins with: a TAI64N label (`t`,
/// as [`label_at`]) or an RFC 3339 time followed by a space (`T`); with its
/// length.
pub fn line_stamp(line: &[u8]) -> Option<(Tai64N, usize)> {
    match line.first() {
        Some(b'@') => Some((label_at(line)?, LABEL_LEN)),
        Some(b'0'..=b'9') if line.get(RFC3339_LEN) == Some(&b' ') => Some((parse_rfc3339(line)?, RFC3339_LEN)),
        _ => None,
    }
}

/// The moment a line's stamp says ([`line_stamp`]).
pub fn stamp_time(line: &[u8]) -> Option<SystemTime> {
    line_stamp(line).map(|(t, _)| to_system_time(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn epoch_is_daemontools_not_tai() {
        // daemontools' supervise wrote 400000006b01f839 at unix 1795291183.
        let t = from_system_time(UNIX_EPOCH + Duration::new(1_795_291_183, 656_996_500));
        assert_eq!(pack(t), [0x40, 0, 0, 0, 0x6b, 0x01, 0xf8, 0x39, 0x27, 0x28, 0xf8, 0x94]);
        assert_eq!(unix_secs(t), 1_795_291_183);
    }

    #[test]
    fn label_text_round_trips() {
        let t = Tai64N(Tai64(0x4000_0000_3b4a_39c2), 0x3294_b13c);
        assert_eq!(&fmt_label(t), b"@400000003b4a39c23294b13c");
        assert_eq!(parse_label(b"@400000003b4a39c23294b13c rest"), Some(t));
        assert_eq!(parse_label(b"@400000003b4a39c23294b13"), None);
        assert_eq!(parse_label(b"@400000003b4a39c23294b1zz"), None);
        assert_eq!(parse_label(b"400000003b4a39c23294b13cc"), None);
    }

    #[test]
    fn rfc3339_to_the_microsecond() {
        let t = UNIX_EPOCH + Duration::new(1_795_288_126, 766_450_999);
        assert_eq!(&fmt_rfc3339(t), b"2026-11-21T19:08:46.766450Z");
        assert_eq!(&fmt_rfc3339(UNIX_EPOCH - Duration::from_secs(5)), b"1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn before_the_epoch() {
        let t = from_system_time(UNIX_EPOCH - Duration::new(1, 250_000_000));
        assert_eq!(unix_secs(t), -2);
        assert_eq!(t.1, 750_000_000);
    }

    #[test]
    fn unpack_clamps_bad_nanoseconds() {
        let t = unpack(&[0x40, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(t.1, 999_999_999);
    }

    #[test]
    fn stamps_of_both_kinds() {
        let t = UNIX_EPOCH + Duration::new(1_795_288_126, 766_450_000);
        let mut line = fmt_rfc3339(t).to_vec();
        line.extend_from_slice(b" hello");
        assert_eq!(line_stamp(&line), Some((from_system_time(t), RFC3339_LEN)));
        assert_eq!(stamp_time(&line), Some(t));
        let mut line = fmt_label(from_system_time(t)).to_vec();
        line.extend_from_slice(b" hello");
        assert_eq!(stamp_time(&line), Some(t));
        assert!(line_stamp(b"@400000003b4a39c23294b13c").is_some(), "a label alone, as tai64nlocal");
        assert_eq!(line_stamp(b"@400000003b4a39c23294b13cc x"), None, "a hex digit after it");
        assert_eq!(line_stamp(b"@400000003B4A39C23294B13C x"), None, "upper case");
        assert_eq!(line_stamp(b"2026-11-21T19:08:46.766450Z"), None);
        assert_eq!(line_stamp(b"2026-13-21T19:08:46.766450Z x"), None);
        assert_eq!(line_stamp(b"2026-11-21 19:08:46.766450Z x"), None);
        assert_eq!(line_stamp(b"plain text"), None);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(
            to_system_time(from_system_time(UNIX_EPOCH - Duration::new(3, 5))),
            UNIX_EPOCH - Duration::new(3, 5)
        );
    }
}
