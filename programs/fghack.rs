//! `fghack child`: runs child with 30 extra copies of the write end of a
//! pipe and waits until every copy is closed (by child and anything it left
//! in the background), then exits with child's exit code. So a program that
//! puts itself in the background still looks like it runs in the
//! foreground to supervise. As daemontools: usage 100, failures 111.
//! Started bare (`Start::Bare`), so that closed descriptors reach the child closed.

use daemontools::msg::{Failure, Prog, EXIT_TEMP};
use daemontools::{cli, pathexec, sys, Errno};
use std::ffi::OsString;
use std::os::fd::{AsFd, AsRawFd};

pub const PROG: Prog = Prog::new("fghack", "fghack child");

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let args = cli::at_least(args, 1)?;
    let env = pathexec::environ();
    // Not close-on-exec: the child and what it leaves behind hold the write end.
    let (r, w) = sys::pipe_inherited().map_err(|e| Failure::temp(&[b"unable to create pipe"], e))?;
    // SAFETY: fork in a process of one thread; the child dups and execs.
    let pid = Errno::result(unsafe { libc::fork() }).map_err(|e| Failure::temp(&[b"unable to fork"], e))?;
    if pid == 0 {
        drop(r);
        for _ in 0..30 {
            // SAFETY: dup of a descriptor we own, left open on purpose.
            unsafe { libc::dup(w.as_raw_fd()) };
        }
        return Err(Failure::unable_to_run(&args[0], pathexec::run(&args, &env)));
    }
    drop(w);
    let mut byte = [0u8; 1];
    while let Ok(1..) = sys::read_some(r.as_fd(), &mut byte) {}
    let reaped = sys::wait(Some(pid as u32), true).map_err(|e| Failure::temp(&[b"wait failed"], e))?;
    let status = reaped.map_or(0, |(_, status)| status);
    if libc::WIFSIGNALED(status) {
        return Err(Failure::fatal(EXIT_TEMP, &[b"child crashed"]));
    }
    Ok(libc::WEXITSTATUS(status))
}
