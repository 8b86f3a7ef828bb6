//! `pgrphack child`: runs child in a new session (so a new process group),
//! or as it is when it leads its process group already.
//! As daemontools: usage 100, any failure 111.
//! Started bare (`Start::Bare`), so that closed descriptors reach the child closed.

use daemontools::msg::{Failure, Prog};
use daemontools::{cli, pathexec};
use std::ffi::OsString;

pub const PROG: Prog = Prog::new("pgrphack", "pgrphack child");

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let args = cli::at_least(args, 1)?;
    // As daemontools, a process that leads its group already (and so cannot
    // make a session) runs the child all the same.
    // SAFETY: setsid has no memory effects.
    unsafe { libc::setsid() };
    Err(Failure::unable_to_run(&args[0], pathexec::run(&args, &pathexec::environ())))
}
