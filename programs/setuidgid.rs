//! `setuidgid account child`: runs child as the account: supplementary
//! groups set to the account's group alone, then its gid, then its uid.
//! As daemontools: usage 100, any failure 111 (a child that cannot be run
//! included). Started bare (`Start::Bare`), so that closed descriptors reach
//! the child closed.

use daemontools::msg::{Failure, Prog};
use daemontools::{cli, pathexec, Errno};
use std::ffi::OsString;

pub const PROG: Prog = Prog::new("setuidgid", "setuidgid account child");

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let args = cli::at_least(args, 2)?;
    let (uid, gid) = pathexec::known_account(&args[0])?;
    // SAFETY: setgroups, setgid and setuid with valid arguments.
    unsafe { Errno::result(libc::setgroups(1, &gid)).and_then(|_| Errno::result(libc::setgid(gid))) }
        .map_err(|e| Failure::temp(&[b"unable to setgid"], e))?;
    Errno::result(unsafe { libc::setuid(uid) }).map_err(|e| Failure::temp(&[b"unable to setuid"], e))?;
    Err(Failure::unable_to_run(&args[1], pathexec::run(&args[1..], &pathexec::environ())))
}
