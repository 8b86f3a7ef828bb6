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
use daemontools::waiting::{self, Goal, Waiter};
use daemontools::Errno;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// daemontools' text, unchanged, then a line of ours.
const USAGE: &[u8] =
    b"svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill\n\
svc options beyond daemontools: q quit, 1 usr1, 2 usr2, w u|U|d|D|r|R wait until up, ready, down, finished, restarted, \
restarted and ready, T ms wait at most\n";

fn say(level: Level, parts: &[&[u8]]) {
    let _ = std::io::stderr().write_all(&msg::line("svc", level, parts));
}

/// Exit code of `svc -w` when the time given with `-T` ran out.
const EXIT_TIMEOUT: i32 = 99;

fn usage(c: u8) -> ! {
    bad_call(&[b"svc: illegal option -- ", &[c][..]])
}

/// A bad call: what is wrong on one line, then the options; exit 100.
fn bad_call(what: &[&[u8]]) -> ! {
    let _ = std::io::stderr().write_all(&[&what.concat(), &b"\n"[..], USAGE].concat());
    std::process::exit(EXIT_USAGE);
}

/// A directory's status and info, read by path; why not, as svc says it,
/// when there is no status to read.
fn state(dir: &Path) -> Result<(Status, Option<Info>), String> {
    let e = match svdir::read_status_in(dir) {
        Ok(status) => {
            let info = svdir::read_info(dir, &status);
            return Ok((status, info));
        }
        Err(e) => e,
    };
    // No status: no such directory, none ever ran here, or it cannot be seen.
    if let Err(missing) = std::fs::metadata(dir) {
        return Err(errstr(Errno::from_raw(missing.raw_os_error().unwrap_or(libc::ENOENT))).to_string());
    }
    Err(match (probe(dir), e) {
        (Err(e), _) => unsupervised(e).to_string(),
        (Ok(()), svdir::StatusError::Open(e) | svdir::StatusError::Read(e)) => errstr(e).to_string(),
        (Ok(()), svdir::StatusError::BadFormat) => "bad status format".to_string(),
    })
}

/// Why [`probe`] found no supervise, as svc says it.
fn unsupervised(e: Errno) -> &'static str {
    match e {
        Errno::ENXIO | Errno::ENOENT => "supervise not running",
        e => errstr(e),
    }
}

/// Whether a supervise has `dir/supervise/ok` open (ENXIO: none does;
/// ENOENT: none ever did; EACCES: not ours to see).
fn probe(dir: &Path) -> Result<(), Errno> {
    let ok = std::ffi::CString::new(dir.join("supervise/ok").as_os_str().as_bytes()).map_err(|_| Errno::EINVAL)?;
    daemontools::sys::open_write(&ok).map(drop)
}

/// One directory `-w` waits on: its FIFO in `supervise/event/`, the pid
/// before the letters were sent, how many letters its supervise had taken
/// in by then (our supervise only), and how many were sent.
struct Waiting {
    dir: std::ffi::OsString,
    waiter: Option<Waiter>,
    pid: u32,
    letters: Option<u64>,
    sent: u64,
}

/// `-w`: waits until every directory has reached `goal`; the exit code.
fn wait(goal: Goal, waiting: &[Waiting], timeout: Option<Duration>) -> i32 {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let mut pending = Vec::new();
        for w in waiting {
            let dir = Path::new(&w.dir);
            // Only a state seen is success: a status that cannot be read (a
            // missing directory, another user's service) is said at once.
            match state(dir) {
                Ok((status, info)) if goal.reached(&status, info.as_ref(), w.pid) => continue,
                Ok(_) => {}
                Err(why) => {
                    say(Level::Fatal, &[b"unable to wait for ", w.dir.as_bytes(), b": ", why.as_bytes()]);
                    return EXIT_TEMP;
                }
            }
            // Judged from the info alone, once our letters were taken in.
            let info = svdir::read_info_raw(dir)
                .filter(|i| w.letters.is_some_and(|before| waiting::taken_in(i, before, w.sent)));
            if let Some(why) = info.and_then(|i| goal.out_of_reach(&i)) {
                let d = w.dir.as_bytes();
                say(Level::Fatal, &[b"unable to wait for ", d, b": ", why.reason().as_bytes()]);
                return EXIT_TEMP;
            }
            pending.push(&w.dir);
        }
        if pending.is_empty() {
            return 0;
        }
        // Nobody left to make the change (a supervise killed leaves its last status).
        for dir in &pending {
            if let Err(e) = probe(Path::new(dir)) {
                say(Level::Fatal, &[b"unable to wait for ", dir.as_bytes(), b": ", unsupervised(e).as_bytes()]);
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
            .filter_map(|w| w.waiter.as_ref())
            .map(|w| libc::pollfd { fd: w.fd(), events: libc::POLLIN, revents: 0 })
            .collect();
        // SAFETY: fds is a valid array of that many pollfds.
        unsafe {
            libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait.as_nanos().div_ceil(1_000_000) as libc::c_int)
        };
        waiting.iter().filter_map(|w| w.waiter.as_ref()).for_each(Waiter::drain);
    }
}

fn main() {
    if let Some(text) = daemontools::msg::about(
        "svc",
        "svc [ -udopchaitkxq12 ] [ -w u|U|d|D|r|R ] [ -T ms ] dir ...",
        daemontools::msg::lone_arg().as_deref(),
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
            Opt::Arg(b'w', v) => {
                let g = match v.as_bytes() {
                    [c] => Goal::from_letter(*c),
                    _ => None,
                };
                goal =
                    Some(g.unwrap_or_else(|| {
                        bad_call(&[b"svc: bad goal for -w: ", v.as_bytes(), b" (one of u U d D r R)"])
                    }));
            }
            Opt::Arg(b'T', v) => {
                let ms = v.to_str().and_then(|v| v.parse::<u64>().ok());
                let ms = ms.unwrap_or_else(|| bad_call(&[b"svc: bad time for -T: ", v.as_bytes(), b" (milliseconds)"]));
                timeout = Some(Duration::from_millis(ms));
            }
            Opt::MissingArg(c) => bad_call(&[b"svc: option requires an argument -- ", &[c][..]]),
            Opt::Illegal(c) | Opt::Arg(c, _) => usage(c),
        }
    }
    let dirs = opts.operands();
    // The FIFOs go in before the letters, so that no change is missed.
    let mut waiting: Vec<Waiting> = match goal {
        Some(_) => dirs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let waiter = Waiter::new(Path::new(d), i).ok();
                let pid = state(Path::new(d)).map_or(0, |(s, _)| s.pid);
                let letters = svdir::read_info_raw(Path::new(d)).map(|i| i.letters);
                Waiting { dir: d.clone(), waiter, pid, letters, sent: 0 }
            })
            .collect(),
        None => Vec::new(),
    };
    let origin = Origin::open().unwrap_or_else(|e| {
        say(Level::Fatal, &[b"unable to open current directory: ", errstr(e).as_bytes()]);
        std::process::exit(EXIT_TEMP)
    });
    for (i, dir) in dirs.iter().enumerate() {
        let d = dir.as_bytes();
        match svdir::enter(dir) {
            Err(e) => say(Level::Warning, &[b"unable to chdir to ", d, b": ", errstr(e).as_bytes()]),
            Ok(()) => match control::send(&letters) {
                Ok(()) => {
                    if let Some(w) = waiting.get_mut(i) {
                        w.sent = letters.len() as u64;
                    }
                }
                Err(SendError::NotRunning) => {
                    say(Level::Warning, &[b"unable to control ", d, b": supervise not running"])
                }
                Err(SendError::NotFifo) => {
                    say(Level::Warning, &[b"unable to control ", d, b": supervise/control is not a FIFO"])
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
