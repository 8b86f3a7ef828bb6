//! `svlog [ -f ] [ -n N ] [ -s since ] [ -u until ] [ -j ] dir ...`: prints
//! multilog's log directories (a service directory with `log/main` stands
//! for that one): the archives, then `current`, each line as `tai64nlocal`
//! prints it, several directories merged by time; `-s` and `-u` bound the
//! lines by time (found by the archives' names and a binary search), `-n`
//! keeps the last N, `-j` prints one JSON object per line, and `-f` follows
//! what comes (the last 10 lines first, unless `-n` or `-s` says otherwise),
//! across rotations, until killed or until its reader is gone.
//!
//! Exit 0; 100 for a bad call, a bad time or number, or SINCE after UNTIL;
//! 111 when a directory cannot be opened, or (after printing the rest) when
//! a file in one cannot be read.

use daemontools::follow::{Follower, Watch};
use daemontools::getopt::{Getopt, Opt};
use daemontools::logread::{self, Lines, Pos, Printer, Source};
use daemontools::msg::{Failure, Prog, EXIT_TEMP, EXIT_USAGE};
use daemontools::tai64::{self, Tai64N};
use daemontools::{cli, sys, when, Errno};
use std::ffi::OsString;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::time::SystemTime;

pub const PROG: Prog = Prog::new("svlog", "svlog [ -f ] [ -n N ] [ -s since ] [ -u until ] [ -j ] dir ...");

/// Output goes out once this much is gathered (and before every wait).
const FLUSH: usize = 1 << 20;

/// What `-f` shows before following when neither `-n` nor `-s` is given.
const FOLLOW_LAST: usize = 10;

/// Why printing stopped: the reader is gone (a clean end) or a write failed.
enum Stop {
    Gone,
    Failed(Errno),
}

fn stdout() -> BorrowedFd<'static> {
    // SAFETY: descriptor 1 is only borrowed; a closed one makes writes fail.
    unsafe { BorrowedFd::borrow_raw(1) }
}

/// Writes out what is gathered, at once or once it is big enough.
fn flush(out: &mut Vec<u8>, now: bool) -> Result<(), Stop> {
    if now || out.len() >= FLUSH {
        let r = sys::write_all(stdout(), out);
        out.clear();
        return r.map_err(|e| if e == Errno::EPIPE { Stop::Gone } else { Stop::Failed(e) });
    }
    Ok(())
}

fn time(flag: &str, text: &OsString) -> Result<Tai64N, Failure> {
    let s = text.to_str().and_then(|s| when::parse(s, SystemTime::now()));
    s.ok_or_else(|| {
        Failure::fatal(EXIT_USAGE, &[b"bad time for ", flag.as_bytes(), b": ", text.as_bytes()]).then_usage()
    })
}

/// A time as it is shown in messages: local, as `tai64nlocal` prints it.
fn shown(t: Tai64N) -> Vec<u8> {
    let mut out = Vec::new();
    tai64::Localizer::default().put(t, b"", &mut out);
    out
}

struct Call {
    follow: bool,
    last: Option<usize>,
    since: Option<Tai64N>,
    until: Option<Tai64N>,
    json: bool,
    dirs: Vec<OsString>,
}

fn parse(args: Vec<OsString>) -> Result<Call, Failure> {
    let mut call = Call { follow: false, last: None, since: None, until: None, json: false, dirs: Vec::new() };
    let mut opts = Getopt::new(args, "fn:s:u:j");
    for opt in opts.by_ref() {
        match opt {
            Opt::Flag(b'f') => call.follow = true,
            Opt::Flag(b'j') => call.json = true,
            Opt::Arg(b'n', n) => {
                let bad = || Failure::fatal(EXIT_USAGE, &[b"bad number for -n: ", n.as_bytes()]).then_usage();
                call.last = Some(n.to_str().and_then(|s| s.parse().ok()).ok_or_else(bad)?);
            }
            Opt::Arg(b's', t) => call.since = Some(time("-s", &t)?),
            Opt::Arg(b'u', t) => call.until = Some(time("-u", &t)?),
            other => return Err(Failure::bad_option(&other)),
        }
    }
    call.dirs = opts.operands();
    if call.dirs.is_empty() {
        return Err(Failure::usage());
    }
    if let (Some(s), Some(u)) = (call.since, call.until) {
        if s > u {
            return Err(Failure::fatal(EXIT_USAGE, &[b"-s ", &shown(s), b" is after -u ", &shown(u)]));
        }
    }
    if call.follow && call.until.is_some() {
        return Err(Failure::fatal(EXIT_USAGE, &[b"-f follows what comes: it takes no -u"]).then_usage());
    }
    if call.follow && call.last.is_none() && call.since.is_none() {
        call.last = Some(FOLLOW_LAST);
    }
    Ok(call)
}

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let call = parse(args)?;
    let mut code = 0;
    let mut sources = Vec::with_capacity(call.dirs.len());
    for dir in &call.dirs {
        let src = Source::open(dir.as_bytes())
            .map_err(|(path, e)| Failure::temp(&[b"unable to open directory ", &path], e))?;
        for (file, e) in &src.unreadable {
            cli::warn_sys(&PROG, &[b"unable to read ", file], *e);
            code = EXIT_TEMP;
        }
        sources.push(src);
    }
    // Each directory's part: from SINCE (or the start) to UNTIL (or the
    // end; when following, the end of its whole lines, where following goes on).
    let mut ranges: Vec<(Pos, Pos)> = sources
        .iter()
        .map(|s| {
            let from = call.since.map_or(Pos { file: 0, off: 0 }, |t| s.since(t));
            let to = call.until.map_or(s.end(), |t| s.until(t)).max(from);
            (from, if call.follow { s.whole_end(from, to) } else { to })
        })
        .collect();
    // The last N of the merge are among the last N of each; the merge's first ones are skipped.
    let mut skip = 0;
    if let Some(n) = call.last {
        for (s, (from, to)) in sources.iter().zip(ranges.iter_mut()) {
            *from = s.last_lines(n, *from, *to);
        }
        if sources.len() > 1 {
            let mut total: usize = 0;
            for (s, (from, to)) in sources.iter().zip(&ranges) {
                let mut lines = Lines::new(s, *from, *to);
                while lines.next_line().is_some() {
                    total += 1;
                }
            }
            skip = total.saturating_sub(n);
        }
    }
    let mut printer = Printer::new(call.json);
    let mut out = Vec::with_capacity(2 * FLUSH);
    let printed = print(&sources, &ranges, skip, &mut printer, &mut out).and_then(|()| flush(&mut out, true));
    let printed = printed.and_then(|()| match call.follow {
        true => follow(sources, &ranges, &mut printer, &mut out),
        false => Ok(()),
    });
    match printed {
        Ok(()) | Err(Stop::Gone) => Ok(code),
        Err(Stop::Failed(e)) => Err(Failure::temp(&[b"unable to write output"], e)),
    }
}

/// Prints the lines of each source's range, merged by time.
fn print(
    sources: &[Source],
    ranges: &[(Pos, Pos)],
    mut skip: usize,
    printer: &mut Printer,
    out: &mut Vec<u8>,
) -> Result<(), Stop> {
    let mut streams: Vec<Lines> = sources.iter().zip(ranges).map(|(s, (from, to))| Lines::new(s, *from, *to)).collect();
    if let [one] = &mut streams[..] {
        let given = &sources[0].given;
        while let Some(line) = one.next_line() {
            printer.line(given, line, out);
            flush(out, false)?;
        }
        return Ok(());
    }
    logread::merge(&mut streams, &mut |i, line| {
        if skip > 0 {
            skip -= 1;
            return Ok(());
        }
        printer.line(&sources[i].given, line, out);
        flush(out, false)
    })
}

/// Follows every directory from the end of its range, printing lines as they come.
fn follow(sources: Vec<Source>, ranges: &[(Pos, Pos)], printer: &mut Printer, out: &mut Vec<u8>) -> Result<(), Stop> {
    let given: Vec<Vec<u8>> = sources.iter().map(|s| s.given.clone()).collect();
    let mut followers: Vec<Follower> =
        sources.into_iter().zip(ranges).map(|(s, (_, to))| Follower::new(s, *to)).collect();
    let watch = Watch::new(&followers);
    let mut missing: Vec<bool> = followers.iter().map(|f| f.missing()).collect();
    loop {
        for (i, f) in followers.iter_mut().enumerate() {
            f.read(&mut |line, _| {
                printer.line(&given[i], line, out);
                flush(out, false)
            })?;
            let gone = f.missing();
            if gone && !missing[i] {
                cli::warn(&PROG, &[&f.path, b"/current is missing: waiting for it"]);
            }
            missing[i] = gone;
        }
        flush(out, true)?;
        match watch.wait(daemontools::follow::LOOK_EVERY, Some(stdout())) {
            Ok(true) => return Err(Stop::Gone),
            Ok(false) => {}
            Err(e) => return Err(Stop::Failed(e)),
        }
    }
}
