//! `multilog script`: reads lines on standard input and does what the
//! script says with each: timestamps (`t`, or `T` for RFC 3339), patterns
//! (`+`, `-`), alerts (`e`), status files (`=`), and log directories (`./dir`,
//! `/dir`) with their size (`s`), count (`n`) and processor (`!`), as
//! daemontools 0.76 does; and, ours, `tN` (rotate a `current` N seconds
//! old), `SN` (cap the archives' total size) and `pPREFIX` (before what `e`
//! copies). SIGALRM rotates; SIGTERM ends the current line and
//! exits. When standard input is a pipe, a byte leaves it only once it is in
//! `current`, and a line only once it is there whole, so a multilog killed at
//! any moment loses nothing and cuts no line (but one longer than the pipe,
//! or held a second with nothing new: see `Input`).
//!
//! A read error on standard input ends it as its end would (every line
//! logged, `current` closed cleanly), then multilog exits 111 saying why;
//! daemontools' exits 0 without a word.

use daemontools::input::{Got, Input};
use daemontools::msg::{Failure, Prog};
use daemontools::multilog::{memchr, Multilog};
use daemontools::sys::{self, SelfPipe};
use daemontools::{cli, Errno};
use std::ffi::OsString;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

pub const PROG: Prog = Prog::new("multilog", "multilog script");

/// Input is logged and let go in slices of this size (a multiple of daemontools' 1024-byte read).
const SLICE: usize = 256 * 1024;

/// A step failed: warn, and give it 5 seconds before it is tried again.
fn pause(what: &[&[u8]], e: Option<Errno>) {
    let what = [what, &[b", pausing"]].concat();
    match e {
        Some(e) => cli::warn_sys(&PROG, &what, e),
        None => cli::warn(&PROG, &what),
    }
    std::thread::sleep(Duration::from_secs(5));
}

/// The first `upto` bytes of the last read leave the input (see `Input::commit`).
fn commit(input: &mut Input, upto: usize) {
    while let Err(e) = input.commit(upto) {
        pause(&[b"unable to read standard input"], Some(e));
    }
}

/// The line in progress can be held in the pipe no longer: what was taken of
/// it is written as it stands, and it all leaves the pipe.
fn let_go(ml: &mut Multilog, input: &mut Input) {
    ml.sync();
    commit(input, usize::MAX);
}

/// Copies what `e` selected to standard error.
fn alert(ml: &mut Multilog) {
    if !ml.alerts.is_empty() {
        let _ = sys::write_all(unsafe { BorrowedFd::borrow_raw(2) }, &ml.alerts);
        ml.alerts.clear();
    }
}

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    // SAFETY: umask has no memory effects.
    unsafe { libc::umask(0o022) };
    let args = cli::bytes(args);
    let script: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();

    let pipe = SelfPipe::new().map_err(|e| Failure::temp(&[b"unable to create pipe"], e))?;
    // SIGIO tells of new input while a partial line is held in the pipe (see `Input`).
    for sig in [libc::SIGTERM, libc::SIGALRM, libc::SIGIO] {
        pipe.catch(sig).map_err(|e| Failure::temp(&[b"unable to catch signals"], e))?;
    }
    let mut ml = Multilog::new(&script, pause, &PROG)?;
    let (mut input, why) = Input::stdin();
    if let Some(e) = why {
        cli::warn_sys(&PROG, &[b"unable to keep unlogged input in its pipe, reading it plainly"], e);
    }
    let mut buf = vec![0u8; input.buffer_len()];

    let mut exiting = false;
    let mut failed = None;
    loop {
        let signals = pipe.drain();
        if signals.contains(libc::SIGALRM) {
            ml.rotate();
        }
        ml.rotate_due(Instant::now());
        exiting |= signals.contains(libc::SIGTERM);
        if exiting && ml.at_line_start() {
            break;
        }
        // After SIGTERM a plain input is read a byte at a time, as daemontools
        // does, so that nothing past the end of the line is taken.
        let want = if exiting && !input.is_pipe() { 1 } else { buf.len() };
        match input.read(&mut buf[..want]) {
            Ok(Got::End) => break,
            // Straight to the wait: a signal that came since the read is still in the self-pipe.
            Ok(Got::Nothing) if input.stuck() => let_go(&mut ml, &mut input),
            Ok(Got::Nothing) => {
                let limit = ml.due().map(|t| t.saturating_duration_since(Instant::now()));
                if input.wait(pipe.fd(), limit).map_err(|e| Failure::temp(&[b"unable to poll"], e))? {
                    let_go(&mut ml, &mut input);
                }
            }
            Ok(Got::Data(start, mut end)) => {
                if exiting {
                    end = memchr(b'\n', &buf[start..end]).map_or(end, |i| start + i + 1);
                }
                // In slices, so that a kill logs at most a slice twice.
                let mut at = start;
                while at < end {
                    let stop = end.min(at + SLICE);
                    ml.feed(&buf[at..stop]);
                    if input.is_pipe() {
                        ml.sync_lines();
                    } else {
                        ml.sync();
                    }
                    alert(&mut ml);
                    // The line in progress stays in the pipe, from its first byte, until it ends.
                    commit(&mut input, stop.saturating_sub(ml.unsettled()));
                    at = stop;
                }
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    // A last line without its newline is logged with one, and may then leave
    // the pipe (all that was read of it; after SIGTERM nothing past it was read).
    let mid_line = !ml.at_line_start();
    ml.finish();
    alert(&mut ml);
    if mid_line {
        let _ = input.commit(usize::MAX);
    }
    match failed {
        Some(e) => Err(Failure::temp(&[b"unable to read standard input"], e)),
        None => Ok(0),
    }
}
