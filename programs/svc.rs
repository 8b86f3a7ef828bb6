//! `svc -udopchaitkxq12PCK DIR...`: sends control letters to the supervise of each
//! service directory, all in one write to `DIR/supervise/control`.
//!
//! Ours: `-w u|U|d|D|r|R [-T MS]` then waits until every directory is up, up
//! and ready, down, down with `./finish` done, restarted, or restarted and
//! ready; woken by supervise at each change (see `waiting`). A directory
//! where no supervise runs yet (just linked into a scanned directory) is
//! waited for, within `-T` (10 s without), and gets its letters once one
//! runs. Exit 0 when reached, 99 on timeout, 100 usage, 111 when it cannot
//! get there.

use daemontools::control;
use daemontools::getopt::{Getopt, Opt};
use daemontools::msg::{Failure, Prog, EXIT_TEMP};
use daemontools::svdir::{Origin, ServiceDir};
use daemontools::waiting::{self, Goal, Stop, Waiting};
use daemontools::{cli, Errno};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

/// daemontools' text, unchanged, then a line of ours: what a bad call prints.
const USAGE: &str =
    "svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill\n\
svc options beyond daemontools: q quit, 1 usr1, 2 usr2, P pause tree, C continue tree, K kill tree, \
w u|U|d|D|r|R wait until up, ready, down, finished, restarted, restarted and ready, T ms wait at most\n";

pub const PROG: Prog = Prog {
    name: "svc",
    usage: "svc [ -udopchaitkxq12PCK ] [ -w u|U|d|D|r|R ] [ -T ms ] dir ...",
    bad_call: Some(USAGE),
};

/// Exit code of `svc -w` when the time given with `-T` ran out.
const EXIT_TIMEOUT: i32 = 99;

/// What to do: the letters (each once, in the order given), the goal of
/// `-w`, the time of `-T`, and the directories.
struct Call {
    letters: Vec<u8>,
    goal: Option<Goal>,
    timeout: Option<Duration>,
    dirs: Vec<OsString>,
}

fn parse(args: Vec<OsString>) -> Result<Call, Failure> {
    let mut opts = Getopt::new(args, "udopchaitkxq12PCKw:T:");
    let mut call = Call { letters: Vec::with_capacity(20), goal: None, timeout: None, dirs: Vec::new() };
    for opt in opts.by_ref() {
        match opt {
            Opt::Flag(c) if !call.letters.contains(&c) => call.letters.push(c),
            Opt::Flag(_) => {}
            Opt::Arg(b'w', v) => {
                let goal = match v.as_bytes() {
                    [c] => Goal::from_letter(*c),
                    _ => None,
                };
                let bad = || Failure::bad_call(&[b"bad goal for -w: ", v.as_bytes(), b" (one of u U d D r R)"]);
                call.goal = Some(goal.ok_or_else(bad)?);
            }
            Opt::Arg(b'T', v) => {
                let ms = v.to_str().and_then(|v| v.parse::<u64>().ok());
                let bad = || Failure::bad_call(&[b"bad time for -T: ", v.as_bytes(), b" (milliseconds)"]);
                call.timeout = Some(Duration::from_millis(ms.ok_or_else(bad)?));
            }
            other => return Err(Failure::bad_option(&other)),
        }
    }
    call.dirs = opts.operands();
    Ok(call)
}

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let call = parse(args)?;
    let origin = Origin::open().map_err(|e| Failure::temp(&[b"unable to open current directory"], e))?;
    let opened: Vec<Result<ServiceDir, Errno>> =
        call.dirs.iter().map(|d| ServiceDir::open_at(origin.fd(), d)).collect();
    // The FIFOs go in before the letters, so that no change is missed.
    let mut waiting: Vec<Waiting> = match call.goal {
        Some(_) => opened.iter().enumerate().map(|(i, d)| Waiting::new(d.as_ref().map_err(|e| *e), i)).collect(),
        None => Vec::new(),
    };
    for (i, (name, dir)) in call.dirs.iter().zip(&opened).enumerate() {
        let d = name.as_bytes();
        let sent = dir.as_ref().map(|dir| dir.send(&call.letters));
        // With -w, letters that find no supervise yet are sent once one runs.
        let sent = match waiting.get_mut(i) {
            Some(w) => sent.map(|r| w.sent(r, &call.letters)),
            None => sent,
        };
        match sent {
            Err(e) => cli::warn_sys(&PROG, &[b"unable to chdir to ", d], *e),
            Ok(Err(e)) => cli::report(&PROG, &e.warning(d, control::SUPERVISE)),
            Ok(Ok(())) => {}
        }
    }
    let Some(goal) = call.goal else { return Ok(0) };
    match waiting::wait(goal, &mut waiting, call.timeout) {
        Ok(()) => Ok(0),
        Err(Stop::Unreachable(i, why)) => {
            let d = call.dirs[i].as_bytes();
            Err(Failure::fatal(EXIT_TEMP, &[b"unable to wait for ", d, b": ", why.as_bytes()]))
        }
        Err(Stop::TimedOut(pending)) => {
            let names: Vec<&[u8]> = pending.iter().map(|&i| call.dirs[i].as_bytes()).collect();
            Err(Failure::fatal(EXIT_TIMEOUT, &[b"timed out waiting for ", &names.join(&b' ')]))
        }
    }
}
