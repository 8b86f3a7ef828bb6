//! `envuidgid account child`: runs child with `$GID` and `$UID` set to the
//! account's numbers. As daemontools: usage 100, any failure 111.
//! `no_main`, so that closed descriptors reach the child closed.
#![no_main]

use daemontools::msg::{Failure, Prog};
use daemontools::{cli, pathexec};
use std::ffi::OsString;

const PROG: Prog = Prog::new("envuidgid", "envuidgid account child");

fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let args = cli::at_least(args, 2)?;
    let (uid, gid) = pathexec::known_account(&args[0])?;
    let mut env = pathexec::environ();
    pathexec::apply(&mut env, format!("GID={gid}").as_bytes());
    pathexec::apply(&mut env, format!("UID={uid}").as_bytes());
    Err(Failure::unable_to_run(&args[1], pathexec::run(&args[1..], &env)))
}

#[no_mangle]
pub extern "C" fn main(_argc: std::os::raw::c_int, _argv: *const *const std::os::raw::c_char) -> std::os::raw::c_int {
    cli::main(&PROG, run)
}
