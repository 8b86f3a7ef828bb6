//! multilog's script: the actions as daemontools 0.76 reads them, and its
//! pattern matcher.
//!
//! Three actions are ours, each doing nothing unless it is in the script, so
//! that a daemontools script keeps its meaning (daemontools' multilog
//! ignores letters it does not know, and so scripts that use them run
//! unchanged under it, without the feature). Their letters are those of the
//! loggers that already have the feature: `tN` is svlogd's `t` (rotate a
//! `current` N seconds old; the first action stays daemontools' stamp, so
//! `tN` counts only after it), `SN` is s6-log's `S` (a cap on the total size
//! of the archives), `pPREFIX` is svlogd's `p` (here only for what `e`
//! copies to standard error: the directories keep lines `tai64nlocal` reads).

/// How each line is labelled: the first action only, as daemontools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    None,
    /// `t`: `@` + 24 hex digits of TAI64N + space, as daemontools.
    Tai64n,
    /// `T`: an RFC 3339 UTC time to the microsecond + space (ours).
    Rfc3339,
}

/// One action of the script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    /// `+pattern`
    Select(&'a [u8]),
    /// `-pattern`
    Deselect(&'a [u8]),
    /// `e`: the selected line to stderr.
    Alert,
    /// `=file`: the selected line into a 1001-byte status file.
    Status(&'a [u8]),
    /// `sN`, clamped.
    Size(u64),
    /// `nN`, clamped.
    Count(u64),
    /// `!processor`
    Processor(&'a [u8]),
    /// `tN` after the first action (svlogd's): rotate `current` once it is
    /// N seconds old, if it holds anything; 0 is never.
    Age(u64),
    /// `SN` (s6-log's): remove the oldest archives while their sizes add up
    /// to more than N bytes; 0 is no cap.
    Total(u64),
    /// `pPREFIX` (svlogd's): what the next `e` actions put before each line.
    Prefix(&'a [u8]),
    /// `./dir` or `/dir`
    Dir(&'a [u8]),
    /// The stamp (first action) and anything daemontools ignores.
    Ignored,
}

/// daemontools' bounds on `s` and the floor of `n`.
pub const MIN_SIZE: u64 = 4096;
pub const MAX_SIZE: u64 = 16_777_215;
pub const MIN_COUNT: u64 = 2;

/// The stamp the script asks for: its first action, if that is `t` or `T`.
/// daemontools looks at the first character only (`tfoo` is `t`).
pub fn stamp(script: &[&[u8]]) -> Stamp {
    match script.first().and_then(|a| a.first()) {
        Some(b't') => Stamp::Tai64n,
        Some(b'T') => Stamp::Rfc3339,
        _ => Stamp::None,
    }
}

/// What each argument of a script means: [`action`], the first one
/// ignored when it is the stamp.
pub fn actions<'a>(script: &'a [&'a [u8]]) -> impl Iterator<Item = Action<'a>> + 'a {
    let skip = usize::from(stamp(script) != Stamp::None);
    script.iter().skip(skip).map(|arg| action(arg))
}

/// What one argument (not the first: see [`actions`]) means. Unknown
/// actions are ignored, as daemontools does.
pub fn action(arg: &[u8]) -> Action<'_> {
    let rest = arg.get(1..).unwrap_or_default();
    match arg.first() {
        Some(b'+') => Action::Select(rest),
        Some(b'-') => Action::Deselect(rest),
        Some(b'e') => Action::Alert,
        Some(b'=') => Action::Status(rest),
        Some(b's') => Action::Size(scan_number(rest).clamp(MIN_SIZE, MAX_SIZE)),
        Some(b'n') => Action::Count(scan_number(rest).max(MIN_COUNT)),
        Some(b'!') => Action::Processor(rest),
        Some(b'.' | b'/') => Action::Dir(arg),
        Some(b't') => Action::Age(scan_number(rest)),
        Some(b'S') => Action::Total(scan_number(rest)),
        Some(b'p') => Action::Prefix(rest),
        _ => Action::Ignored,
    }
}

/// The leading decimal digits of `s` (0 when there are none), wrapping on
/// overflow as daemontools' `scan_ulong` does.
pub fn scan_number(s: &[u8]) -> u64 {
    s.iter().take_while(|b| b.is_ascii_digit()).fold(0u64, |n, &d| n.wrapping_mul(10).wrapping_add(u64::from(d - b'0')))
}

/// daemontools' `match`: every byte stands for itself except `*`, which
/// matches up to the first occurrence of the pattern's next byte (no
/// backtracking), or everything when it ends the pattern.
pub fn matches(pattern: &[u8], mut line: &[u8]) -> bool {
    let mut p = pattern;
    loop {
        match p {
            [] => return line.is_empty(),
            [b'*'] => return true,
            [b'*', next, ..] => match line.iter().position(|b| b == next) {
                Some(i) => {
                    line = &line[i..];
                    p = &p[1..];
                }
                None => return false,
            },
            [c, rest @ ..] => match line.split_first() {
                Some((b, tail)) if b == c => {
                    line = tail;
                    p = rest;
                }
                _ => return false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_stops_at_the_first_next_byte() {
        assert!(matches(b"*", b""));
        assert!(matches(b"*", b"anything"));
        assert!(matches(b"", b""));
        assert!(!matches(b"", b"x"));
        assert!(matches(b"* fatal: *", b"@4000 fatal: out of memory"));
        assert!(!matches(b"* fatal: *", b"@4000 warning: fatal: x"), "the first space ends the star");
        assert!(matches(b"a*c", b"abc"));
        assert!(!matches(b"a*c", b"abcc"), "no backtracking: the star stops at the first c");
        assert!(!matches(b"a*b", b"ac"));
        assert!(matches(b"**x", b"**x"), "a star followed by a star stops at the next star");
        assert!(!matches(b"abc", b"ab"));
        assert!(!matches(b"ab", b"abc"));
    }

    #[test]
    fn actions_and_numbers_as_daemontools() {
        assert_eq!(action(b"s"), Action::Size(MIN_SIZE));
        assert_eq!(action(b"sabc"), Action::Size(MIN_SIZE));
        assert_eq!(action(b"s99999999"), Action::Size(MAX_SIZE));
        assert_eq!(action(b"s5000x"), Action::Size(5000));
        assert_eq!(action(b"n1"), Action::Count(2));
        assert_eq!(action(b"n300"), Action::Count(300));
        assert_eq!(scan_number(b"18446744073709551617"), 1, "wraps as an unsigned long");
        assert_eq!(action(b"./main"), Action::Dir(b"./main"));
        assert_eq!(action(b"/var/log/x"), Action::Dir(b"/var/log/x"));
        assert_eq!(action(b"=st"), Action::Status(b"st"));
        assert_eq!(action(b"!gzip"), Action::Processor(b"gzip"));
        assert_eq!(action(b"q"), Action::Ignored);
        assert_eq!(action(b"t3600"), Action::Age(3600));
        assert_eq!(action(b"t"), Action::Age(0), "no number: never");
        assert_eq!(action(b"S1000000"), Action::Total(1_000_000));
        assert_eq!(action(b"pweb: "), Action::Prefix(b"web: "));
        // The first action is the stamp and nothing else, as daemontools reads it.
        let script: [&[u8]; 3] = [b"t3600", b"t60", b"./x"];
        assert_eq!(actions(&script).collect::<Vec<_>>(), [Action::Age(60), Action::Dir(b"./x")]);
        let script: [&[u8]; 2] = [b"s5000", b"t60"];
        assert_eq!(actions(&script).collect::<Vec<_>>(), [Action::Size(5000), Action::Age(60)]);
        assert_eq!(action(b""), Action::Ignored);
        assert_eq!(stamp(&[b"tfoo", b"./x"]), Stamp::Tai64n);
        assert_eq!(stamp(&[b"T"]), Stamp::Rfc3339);
        assert_eq!(stamp(&[b"./x", b"t"]), Stamp::None);
    }

    #[test]
    fn the_matcher_takes_any_bytes() {
        let mut seed = 7u64;
        for _ in 0..20_000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let bytes = seed.to_le_bytes();
            let pick = |b: u8| [b'*', b'a', b'b', 0][(b & 3) as usize];
            let p: Vec<u8> = bytes[..(bytes[7] % 5) as usize].iter().map(|&b| pick(b)).collect();
            let l: Vec<u8> = bytes[3..3 + (bytes[6] % 5) as usize].iter().map(|&b| pick(b >> 2)).collect();
            let _ = matches(&p, &l);
        }
    }
}
