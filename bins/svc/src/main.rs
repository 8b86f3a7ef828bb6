//! `svc -udopchaitkxq12 DIR...`: sends control letters to the supervise of each
//! service directory, all in one write to `DIR/supervise/control`.
//!
//! Ours: `-w u|U|d|D|r|R [-T MS]` then waits until every directory is up, up
//! and ready, down, down with `./finish` done, restarted, or restarted and
//! ready; woken by supervise at each change (see `waiting`). Exit 0 when
//! reached, 99 on timeout, 100 usage, 111 when it cannot get there.

use daemontools::control::{self, SendError};
use daemontools::getopt::{Getopt, Opt};
use daemontools::msg::{self, errstr, Level, EXIT_TEMP, EXIT_USAGE};
use daemontools::status::Status;
use daemontools::supervise::Info;
use daemontools::svdir::{self, Origin};
use daemontools::waiting::{Goal, Waiter};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// daemontools' text, unchanged: `q`, `1` and `2` are documented in the man page.
const USAGE: &[u8] =
    b"svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill\n";

fn say(level: Level, parts: &[&[u8]]) {
    let _ = std::io::stderr().write_all(&msg::line("svc", level, parts));
}

/// Exit code of `svc -w` when the time given with `-T` ran out.
const EXIT_TIMEOUT: i32 = 99;

fn usage(c: u8) -> ! {
    let _ = std::io::stderr().write_all(&[b"svc: illegal option -- ", &[c][..], b"\n", USAGE].concat());
    std::process::exit(EXIT_USAGE);
}

/// A directory's status and info, read by path; `None` when there is no status.
fn state(dir: &Path) -> Option<(Status, Option<Info>)> {
    let status = Status::unpack(&std::fs::read(dir.join("supervise/status")).ok()?)?;
    let info = svdir::read_info(dir, &status);
    Some((status, info))
}

/// Whether a supervise has `dir/supervise/ok` open.
fn supervised(dir: &Path) -> bool {
    let Ok(ok) = std::ffi::CString::new(dir.join("supervise/ok").as_os_str().as_bytes()) else { return false };
    daemontools::sys::open_write(&ok).is_ok()
}

/// `-w`: waits until every directory has reached `goal`; the exit code.
fn wait(goal: Goal, waiting: &[(std::ffi::OsString, Option<Waiter>, u32)], timeout: Option<Duration>) -> i32 {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let pending: Vec<&std::ffi::OsString> = waiting
            .iter()
            .filter(|(dir, _, before)| match state(Path::new(dir)) {
                Some((status, info)) => !goal.reached(&status, info.as_ref(), *before),
                None => !goal.reachable_unsupervised(),
            })
            .map(|(dir, ..)| dir)
            .collect();
        if pending.is_empty() {
            return 0;
        }
        // Nobody left to make the change (a supervise killed leaves its last status).
        for dir in &pending {
            if !supervised(Path::new(dir)) {
                say(Level::Fatal, &[b"unable to wait for ", dir.as_bytes(), b": supervise not running"]);
                return EXIT_TEMP;
            }
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            let names: Vec<&[u8]> = pending.iter().map(|d| d.as_bytes()).collect();
            say(Level::Fatal, &[b"timed out waiting for ", &names.join(&b' ')]);
            return EXIT_TIMEOUT;
        }
        // Woken by supervise; once a second anyway, for a supervise that does not tell (daemontools').
        let wait = left.map_or(Duration::from_secs(1), |l| l.min(Duration::from_secs(1)));
        let mut fds: Vec<libc::pollfd> = waiting
            .iter()
            .filter_map(|(_, w, _)| w.as_ref())
            .map(|w| libc::pollfd { fd: w.fd(), events: libc::POLLIN, revents: 0 })
            .collect();
        // SAFETY: fds is a valid array of that many pollfds.
        unsafe {
            libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait.as_nanos().div_ceil(1_000_000) as libc::c_int)
        };
        waiting.iter().filter_map(|(_, w, _)| w.as_ref()).for_each(Waiter::drain);
    }
}

fn main() {
    if let Some(text) = daemontools::msg::about(
        "svc",
        "svc [ -udopchaitkxq12 ] [ -w u|U|d|D|r|R ] [ -T ms ] dir ...",
        std::env::args_os().nth(1).as_deref(),
    ) {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    let mut opts = Getopt::new(std::env::args_os().skip(1).collect(), "udopchaitkxq12w:T:");
    let mut letters = Vec::with_capacity(20);
    let (mut goal, mut timeout) = (None, None);
    for opt in opts.by_ref() {
        match opt {
            Opt::Flag(c) if !letters.contains(&c) => letters.push(c),
            Opt::Flag(_) => {}
            Opt::Arg(b'w', v) => match v.as_bytes() {
                [c] => goal = Some(Goal::from_letter(*c).unwrap_or_else(|| usage(b'w'))),
                _ => usage(b'w'),
            },
            Opt::Arg(b'T', v) => {
                let ms = v.to_str().and_then(|v| v.parse::<u64>().ok()).unwrap_or_else(|| usage(b'T'));
                timeout = Some(Duration::from_millis(ms));
            }
            Opt::Illegal(c) | Opt::MissingArg(c) | Opt::Arg(c, _) => usage(c),
        }
    }
    let dirs = opts.operands();
    // The FIFOs go in before the letters, so that no change is missed.
    let waiting: Vec<_> = match goal {
        Some(_) => dirs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let before = state(Path::new(d)).map_or(0, |(s, _)| s.pid);
                (d.clone(), Waiter::new(Path::new(d), i).ok(), before)
            })
            .collect(),
        None => Vec::new(),
    };
    let origin = Origin::open().unwrap_or_else(|e| {
        say(Level::Fatal, &[b"unable to open current directory: ", errstr(e).as_bytes()]);
        std::process::exit(EXIT_TEMP)
    });
    for dir in &dirs {
        let d = dir.as_bytes();
        match svdir::enter(dir) {
            Err(e) => say(Level::Warning, &[b"unable to chdir to ", d, b": ", errstr(e).as_bytes()]),
            Ok(()) => match control::send(&letters) {
                Ok(()) => {}
                Err(SendError::NotRunning) => {
                    say(Level::Warning, &[b"unable to control ", d, b": supervise not running"])
                }
                Err(SendError::Open(e)) => {
                    say(Level::Warning, &[b"unable to control ", d, b": ", errstr(e).as_bytes()])
                }
                Err(SendError::Write(e)) => {
                    say(Level::Warning, &[b"error writing commands to ", d, b": ", errstr(e).as_bytes()])
                }
            },
        }
        if let Err(e) = origin.restore() {
            say(Level::Fatal, &[b"unable to set directory: ", errstr(e).as_bytes()]);
            std::process::exit(EXIT_TEMP);
        }
    }
    if let Some(goal) = goal {
        let code = wait(goal, &waiting, timeout);
        drop(waiting);
        std::process::exit(code);
    }
}
