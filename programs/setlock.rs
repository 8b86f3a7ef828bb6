//! `setlock [-nNxX] file child`: opens file (creating it), takes an
//! exclusive flock on it, and runs child holding the lock. `-n`: fail at
//! once if the lock is held (`-N`: wait, the default); `-x`: exit 0 quietly
//! if the file cannot be opened or locked (`-X`: fail, the default). As
//! daemontools: usage 100, any failure 111.
//! Started bare (`Start::Bare`), so that closed descriptors reach the child closed.

use daemontools::getopt::{Getopt, Opt};
use daemontools::msg::{Failure, Prog};
use daemontools::{pathexec, sys, Errno};
use std::ffi::OsString;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;

pub const PROG: Prog = Prog::new("setlock", "setlock [ -nNxX ] file program [ arg ... ]");

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let (mut nowait, mut quiet) = (false, false);
    let mut opts = Getopt::new(args, "nNxX");
    for opt in opts.by_ref() {
        match opt {
            Opt::Flag(b'n') => nowait = true,
            Opt::Flag(b'N') => nowait = false,
            Opt::Flag(b'x') => quiet = true,
            Opt::Flag(b'X') => quiet = false,
            other => return Err(Failure::bad_option(&other)),
        }
    }
    let args: Vec<Vec<u8>> = opts.operands().into_iter().map(|a| a.into_vec()).collect();
    if args.len() < 2 {
        return Err(Failure::usage());
    }
    let fail = |what: &[u8], e: Errno| match quiet {
        true => Failure::silent(0),
        false => Failure::temp(&[what, &args[0]], e),
    };
    let path = std::ffi::CString::new(args[0].as_slice()).map_err(|_| fail(b"unable to open ", Errno::EINVAL))?;
    // Not close-on-exec: the child holds the lock.
    // SAFETY: open with a valid path; the fd is ours.
    let fd =
        unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_NONBLOCK | libc::O_APPEND | libc::O_CREAT, 0o600) };
    let fd = Errno::result(fd).map_err(|e| fail(b"unable to open ", e))?;
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    sys::lock(fd.as_fd(), !nowait).map_err(|e| fail(b"unable to lock ", e))?;
    let e = pathexec::run(&args[1..], &pathexec::environ());
    Err(Failure::temp(&[b"unable to run ", &args[1]], e))
}
