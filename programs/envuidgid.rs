//! `envuidgid account child`: runs child with `$GID` and `$UID` set to the
//! account's numbers. As daemontools: usage 100, any failure 111.
//! Started bare (`Start::Bare`), so that closed descriptors reach the child closed.

use daemontools::msg::{Failure, Prog};
use daemontools::{cli, pathexec};
use std::ffi::OsString;

pub const PROG: Prog = Prog::new("envuidgid", "envuidgid account child");

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let args = cli::at_least(args, 2)?;
    let (uid, gid) = pathexec::known_account(&args[0])?;
    let mut env = pathexec::environ();
    pathexec::apply(&mut env, format!("GID={gid}").as_bytes());
    pathexec::apply(&mut env, format!("UID={uid}").as_bytes());
    Err(Failure::unable_to_run(&args[1], pathexec::run(&args[1..], &env)))
}
