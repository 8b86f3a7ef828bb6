//! Property tests (proptest) for the code that reads outside input: the
//! 18-byte status codec, multilog's script actions and pattern matcher, and
//! envdir's reading of a file. Each parser takes arbitrary bytes without
//! panicking and agrees with a small reference model written here from
//! daemontools' rules; the matcher and envdir are also checked against the
//! real programs from Debian. None has found a bug so far; an input that
//! does is to stay below as a plain test, beside the file proptest writes
//! (`tests/fuzz.proptest-regressions`).

use crate::common::{bin, finish_within, real, Sandbox};
use daemontools::pathexec::env_value;
use daemontools::script::{action, matches, scan_number, stamp, Action, Stamp, MAX_SIZE, MIN_COUNT, MIN_SIZE};
use daemontools::status::{Status, Want, LEN};
use daemontools::tai64::{Tai64, Tai64N};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, ..ProptestConfig::default() }
}

/// A byte that is often one of `interesting`, otherwise anything.
fn byte_from(interesting: &'static [u8]) -> impl Strategy<Value = u8> {
    prop_oneof![3 => select(interesting), 1 => any::<u8>()]
}

// ---- status ----

fn valid_status() -> impl Strategy<Value = Status> {
    let want = select(vec![Want::Up, Want::Down, Want::Nothing]);
    (any::<u64>(), 0u32..1_000_000_000, any::<u32>(), any::<bool>(), want)
        .prop_map(|(secs, nanos, pid, paused, want)| Status { stamp: Tai64N(Tai64(secs), nanos), pid, paused, want })
}

/// The 18 bytes `pack` gives for whatever `unpack` read from `b`: the same
/// bytes except where the decoding is deliberately lossy, as svstat reads
/// them: a nanosecond field above 999999999 (no supervise writes one) is
/// clamped; any non-zero paused byte is paused (1); any want byte but `u`
/// and `d` is want nothing (0).
fn normalized(b: &[u8]) -> [u8; LEN] {
    let mut out: [u8; LEN] = b[..LEN].try_into().unwrap();
    let nanos = u32::from_be_bytes(out[8..12].try_into().unwrap()).min(999_999_999);
    out[8..12].copy_from_slice(&nanos.to_be_bytes());
    out[16] = u8::from(out[16] != 0);
    if !matches!(out[17], b'u' | b'd') {
        out[17] = 0;
    }
    out
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn status_round_trips(s in valid_status(), junk in vec(any::<u8>(), 0..8)) {
        let packed = s.pack();
        prop_assert_eq!(Status::unpack(&packed), Some(s));
        // Bytes after the 18th are ignored, as daemontools' svstat ignores them.
        prop_assert_eq!(Status::unpack(&[&packed[..], &junk].concat()), Some(s));
    }

    #[test]
    fn status_unpacks_any_bytes(b in vec(byte_from(b"\0\x01ud\xff"), 0..40)) {
        let got = Status::unpack(&b);
        if b.len() < LEN {
            prop_assert_eq!(got, None, "fewer than 18 bytes is svstat's bad format");
        } else {
            let s = got.expect("18 bytes or more always decode");
            prop_assert_eq!(Status::unpack(&b[..LEN]), Some(s), "only the first 18 bytes count");
            prop_assert_eq!(s.pack(), normalized(&b));
            prop_assert_eq!(Status::unpack(&s.pack()), Some(s), "decoding is stable after one round");
        }
    }
}

#[test]
fn status_decoding_is_lossy_only_where_documented() {
    let b = b"\x40\0\0\0\0\0\0\0\xff\xff\xff\xff\x01\0\0\0\x07x";
    let s = Status::unpack(b).unwrap();
    assert_eq!((s.stamp.1, s.pid, s.paused, s.want), (999_999_999, 1, true, Want::Nothing));
    assert_eq!(&s.pack(), b"\x40\0\0\0\0\0\0\0\x3b\x9a\xc9\xff\x01\0\0\0\x01\0");
}

// ---- multilog's script ----

/// daemontools' `scan_ulong`, computed another way: the leading digits as a
/// u128 (38 digits fit), reduced modulo 2^64 as a 64-bit unsigned long wraps.
fn scan_model(s: &[u8]) -> Option<u64> {
    let digits: Vec<u8> = s.iter().copied().take_while(u8::is_ascii_digit).collect();
    if digits.len() > 38 {
        return None;
    }
    Some(std::str::from_utf8(&digits).unwrap().parse::<u128>().map_or(0, |n| n as u64))
}

/// What daemontools' multilog makes of one argument: its first byte decides.
fn action_model(arg: &[u8]) -> Action<'_> {
    let Some((&first, rest)) = arg.split_first() else { return Action::Ignored };
    let number = || scan_model(rest).expect("short numbers in these tests");
    match first {
        b'+' => Action::Select(rest),
        b'-' => Action::Deselect(rest),
        b'e' => Action::Alert,
        b'=' => Action::Status(rest),
        b's' => Action::Size(number().clamp(MIN_SIZE, MAX_SIZE)),
        b'n' => Action::Count(number().max(MIN_COUNT)),
        b'!' => Action::Processor(rest),
        b'.' | b'/' => Action::Dir(arg),
        // Ours, after the first action (issue 24): svlogd's t and p, s6-log's S.
        b't' => Action::Age(number()),
        b'S' => Action::Total(number()),
        b'p' => Action::Prefix(rest),
        _ => Action::Ignored,
    }
}

/// daemontools' `match`, written from its rule as a recursion: a byte
/// matches itself; a `*` that ends the pattern matches the rest of the
/// line; any other `*` skips to the first occurrence in the line of the
/// pattern's next byte (not past it, and never further: no backtracking),
/// and the rest of the pattern must match from there; an empty pattern
/// matches only an empty line.
fn match_model(p: &[u8], l: &[u8]) -> bool {
    match (p, l) {
        ([], _) => l.is_empty(),
        ([b'*'], _) => true,
        ([b'*', next, ..], _) => match (0..l.len()).find(|&i| l[i] == *next) {
            Some(i) => match_model(&p[1..], &l[i..]),
            None => false,
        },
        ([c, p_rest @ ..], [b, l_rest @ ..]) => c == b && match_model(p_rest, l_rest),
        (_, []) => false,
    }
}

/// Shell-style globbing, where `*` matches any run with backtracking: it
/// accepts everything daemontools' match does, and more.
fn glob(p: &[u8], l: &[u8]) -> bool {
    match p.split_first() {
        None => l.is_empty(),
        Some((b'*', rest)) => (0..=l.len()).any(|i| glob(rest, &l[i..])),
        Some((c, rest)) => l.first() == Some(c) && glob(rest, &l[1..]),
    }
}

/// A (pattern, line) pair over a small alphabet, half of them with the
/// pattern made from the line (bytes kept, dropped, starred), so that
/// matches and near misses both come up often. Lines have no newline (they
/// are lines); patterns no NUL (they come from argv).
fn pattern_and_line(line_alphabet: &'static [u8]) -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    let random = (vec(select(b"ab*c".as_slice()), 0..8), vec(select(line_alphabet), 0..10));
    let derived = (vec(select(line_alphabet), 0..10), vec(0u8..5, 10)).prop_map(|(line, edits)| {
        let mut p = Vec::new();
        for (&b, &e) in line.iter().zip(&edits) {
            match e {
                0 | 1 => p.push(b),
                2 => p.push(b'*'),
                3 => p.extend_from_slice(&[b'*', b]),
                _ => {}
            }
        }
        p.retain(|&b| b != 0);
        (p, line)
    });
    prop_oneof![random, derived]
}

/// A pattern of any bytes and a line it matches by daemontools' rule, with
/// whether the pattern ends with a star and a bit number (0 to 7): literal
/// runs of any bytes but `*`, joined by single stars, perhaps a star before
/// and after them. In the line each star stands for a run of any bytes
/// without the next literal's first byte (where daemontools' star stops),
/// or, last, any run at all.
fn matching_pair() -> impl Strategy<Value = (Vec<u8>, Vec<u8>, bool, u8)> {
    let literal = vec(any::<u8>().prop_filter("a literal byte", |&b| b != b'*'), 1..5);
    let run = vec(byte_from(b"\0\n*\x80\xff"), 0..6);
    (vec((literal, run), 1..4), any::<bool>(), any::<bool>(), vec(any::<u8>(), 0..6), 0u8..8).prop_map(
        |(parts, star_first, star_last, tail, flip)| {
            let (mut p, mut l) = (Vec::new(), Vec::new());
            for (i, (lit, run)) in parts.iter().enumerate() {
                if i > 0 || star_first {
                    p.push(b'*');
                    l.extend(run.iter().filter(|&&b| b != lit[0]));
                }
                p.extend_from_slice(lit);
                l.extend_from_slice(lit);
            }
            if star_last {
                p.push(b'*');
                l.extend_from_slice(&tail);
            }
            (p, l, star_last, flip)
        },
    )
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn script_takes_any_bytes(arg in vec(byte_from(b"+-e=sn!./tTSp0123456789\0\xff"), 0..24),
                              script in vec(vec(any::<u8>(), 0..4), 0..4)) {
        let _ = scan_number(&arg);
        let got = action(&arg);
        match got {
            Action::Size(n) => prop_assert!((MIN_SIZE..=MAX_SIZE).contains(&n)),
            Action::Count(n) => prop_assert!(n >= MIN_COUNT),
            _ => {}
        }
        if scan_model(arg.get(1..).unwrap_or_default()).is_some() {
            prop_assert_eq!(got, action_model(&arg));
        }
        let script: Vec<&[u8]> = script.iter().map(Vec::as_slice).collect();
        let expected = match script.first().and_then(|a| a.first()) {
            Some(b't') => Stamp::Tai64n,
            Some(b'T') => Stamp::Rfc3339,
            _ => Stamp::None,
        };
        prop_assert_eq!(stamp(&script), expected);
    }

    #[test]
    fn scan_number_is_scan_ulong(digits in vec(b'0'..=b'9', 0..=30), rest in vec(any::<u8>(), 0..8)) {
        let s = [&digits[..], &rest].concat();
        if let Some(expected) = scan_model(&s) {
            prop_assert_eq!(scan_number(&s), expected);
        }
        if digits.len() <= 19 && !rest.first().is_some_and(u8::is_ascii_digit) {
            let plain = std::str::from_utf8(&digits).unwrap().parse::<u64>().unwrap_or(0);
            prop_assert_eq!(scan_number(&s), plain);
        }
    }

    #[test]
    fn long_numbers_never_panic(s in vec(byte_from(b"0123456789"), 0..200)) {
        let n = scan_number(&s);
        if let Some(expected) = scan_model(&s) {
            prop_assert_eq!(n, expected);
        }
    }

    #[test]
    fn matcher_agrees_with_the_model((p, l) in pattern_and_line(b"ab*c\0\xff")) {
        let got = matches(&p, &l);
        prop_assert_eq!(got, match_model(&p, &l));
        if got {
            prop_assert!(glob(&p, &l), "daemontools' match accepts a subset of globbing");
        }
        if !p.contains(&b'*') {
            prop_assert_eq!(got, p == l, "without a star a pattern is the line itself");
        }
        prop_assert!(matches(b"*", &l));
        prop_assert!(matches(&l, &l) || l.contains(&b'*'), "a star-free line matches itself");
    }

    #[test]
    fn matcher_takes_any_bytes(p in vec(any::<u8>(), 0..16), l in vec(any::<u8>(), 0..32),
                               (mp, ml, star_last, flip) in matching_pair()) {
        // Random bytes: agrees with the model (almost always a miss).
        prop_assert_eq!(matches(&p, &l), match_model(&p, &l));
        // Any bytes, built to match: NUL, newline, bytes above 127 and stars in the line.
        prop_assert!(matches(&mp, &ml), "built to match");
        prop_assert!(match_model(&mp, &ml));
        let mut longer = ml.clone();
        longer.push(p.first().copied().unwrap_or(b'x'));
        let shorter = &ml[..ml.len() - 1];
        if star_last {
            prop_assert!(matches(&mp, &longer), "a last star takes the rest of the line");
        } else {
            prop_assert!(!matches(&mp, &longer), "a byte past the last literal");
            prop_assert!(!matches(&mp, shorter), "the last literal cut short");
        }
        // One bit of the line's first byte flipped: no match when the
        // pattern starts with a literal (bytes compare whole, all 8 bits).
        let mut flipped = ml.clone();
        flipped[0] ^= 1 << flip;
        if mp[0] != b'*' {
            prop_assert!(!matches(&mp, &flipped), "a byte differing in one bit matched");
        }
        prop_assert_eq!(matches(&mp, &flipped), match_model(&mp, &flipped));
    }
}

#[test]
fn generated_pairs_both_match_and_miss() {
    let mut runner = TestRunner::deterministic();
    let strategy = pattern_and_line(b"ab*c\0\xff");
    let hits = (0..2000)
        .filter(|_| {
            let (p, l) = strategy.new_tree(&mut runner).unwrap().current();
            matches(&p, &l)
        })
        .count();
    assert!((300..=1700).contains(&hits), "{hits} of 2000 pairs match: the generator is lopsided");
}

/// Whether multilog (`prog`) selects `line` with the script `-* +pattern e`:
/// `e` copies each selected line to stderr.
fn multilog_selects(prog: &Path, dir: &Path, pattern: &[u8], line: &[u8]) -> bool {
    use std::io::Write;
    let select = [b"+", pattern].concat();
    let mut child = Command::new(prog)
        .args([OsStr::new("-*"), OsStr::from_bytes(&select), OsStr::new("e")])
        .env_clear()
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&[line, b"\n"].concat()).unwrap();
    // Its output is one line at most: no pipe fills while we wait.
    finish_within(&mut child, 10_000, &format!("{} -* +{:?}", prog.display(), String::from_utf8_lossy(pattern)));
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    match out.stderr {
        e if e.is_empty() => false,
        e if e == [line, b"\n"].concat() => true,
        e => panic!("{}: unexpected stderr {:?}", prog.display(), String::from_utf8_lossy(&e)),
    }
}

#[test]
fn known_patterns_against_daemontools_multilog() {
    let sb = Sandbox::new();
    let (theirs, ours) = (real("multilog"), bin("multilog"));
    let cases: &[(&[u8], &[u8], bool)] = &[
        (b"", b"", true),
        (b"", b"x", false),
        (b"*", b"", true),
        (b"*", b"anything at all", true),
        (b"a*c", b"abc", true),
        (b"a*c", b"abcc", false),
        (b"a*", b"a", true),
        (b"*a", b"ba", true),
        (b"*a", b"baa", false),
        (b"**x", b"**x", true),
        (b"**x", b"abx", false),
        (b"a**", b"a*", true),
        (b"* fatal: *", b"@4000 fatal: out of memory", true),
        (b"* fatal: *", b"@4000 warning: fatal: x", false),
        (b"a*b", b"a\0b", true),
        (b"\xff*", b"\xff\xfe", true),
    ];
    for &(p, l, expected) in cases {
        let what = format!("pattern {:?}, line {:?}", String::from_utf8_lossy(p), String::from_utf8_lossy(l));
        assert_eq!(multilog_selects(&theirs, sb.path(), p, l), expected, "daemontools, {what}");
        assert_eq!(matches(p, l), expected, "ours, {what}");
        assert_eq!(multilog_selects(&ours, sb.path(), p, l), expected, "our multilog, {what}");
    }
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn matcher_agrees_with_daemontools_multilog((p, l) in pattern_and_line(b"ab*c\0\xff ")) {
        let sb = Sandbox::new();
        let theirs = multilog_selects(&real("multilog"), sb.path(), &p, &l);
        prop_assert_eq!(matches(&p, &l), theirs, "our matcher against daemontools' multilog");
        prop_assert_eq!(multilog_selects(&bin("multilog"), sb.path(), &p, &l), theirs, "our multilog");
    }
}

// ---- envdir ----

/// envdir's rule, step by step as daemontools' envdir.c applies it: cut at
/// the first newline, drop trailing spaces and tabs, then NULs to newlines.
fn env_model(contents: &[u8]) -> Vec<u8> {
    let mut v = match contents.iter().position(|&b| b == b'\n') {
        Some(i) => contents[..i].to_vec(),
        None => contents.to_vec(),
    };
    while matches!(v.last(), Some(b' ' | b'\t')) {
        v.pop();
    }
    for b in &mut v {
        if *b == 0 {
            *b = b'\n';
        }
    }
    v
}

fn file_contents() -> impl Strategy<Value = Vec<u8>> {
    vec(byte_from(b" \t\n\0\ra\xff="), 0..24)
}

/// The variable `V` as `prog` (an envdir) sets it from a directory holding
/// only the file `V`, by `env -0`: `None` when unset.
fn envdir_sets(prog: &Path, dir: &Path) -> (Option<Vec<u8>>, Vec<u8>) {
    let mut child = Command::new(prog)
        .args([OsStr::new("d"), OsStr::new("/usr/bin/env"), OsStr::new("-0")])
        .env_clear()
        .env("V", "before")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // A few variables at most: no pipe fills while we wait.
    finish_within(&mut child, 10_000, &format!("{} d env -0", prog.display()));
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = out.stdout.split(|&b| b == 0).find_map(|e| e.strip_prefix(b"V=")).map(<[u8]>::to_vec);
    (v, out.stdout)
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn env_value_is_the_first_line_trimmed(contents in file_contents()) {
        prop_assert_eq!(env_value(&contents), env_model(&contents));
    }

    #[test]
    fn env_value_takes_any_bytes(contents in vec(any::<u8>(), 0..64)) {
        let v = env_value(&contents);
        prop_assert!(!v.contains(&0) && !v.ends_with(b" ") && !v.ends_with(b"\t"));
        prop_assert_eq!(v, env_model(&contents));
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn env_value_agrees_with_daemontools_envdir(contents in file_contents()) {
        let sb = Sandbox::new();
        fs::create_dir(sb.join("d")).unwrap();
        fs::write(sb.join("d/V"), &contents).unwrap();
        let (theirs, their_env) = envdir_sets(&real("envdir"), sb.path());
        let expected = (!contents.is_empty()).then(|| env_value(&contents));
        prop_assert_eq!(&theirs, &expected, "daemontools' envdir");
        let (_, our_env) = envdir_sets(&bin("envdir"), sb.path());
        prop_assert_eq!(our_env, their_env, "our envdir's environment");
    }
}
