//! `envdir d child`: runs child with its environment changed by the files
//! of d: each sets the variable of its name to its first line (trailing
//! spaces and tabs removed, NUL bytes turned into newlines); an empty file
//! removes the variable; names starting with `.` are skipped. As
//! daemontools, every failure (a bad call included) exits 111.
//! `no_main`, so that closed descriptors reach the child closed.
#![no_main]

use daemontools::msg::{Failure, Prog, EXIT_TEMP};
use daemontools::{cli, pathexec};
use std::ffi::OsString;

const PROG: Prog = Prog::new("envdir", "envdir dir child");

fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let args = cli::bytes(args);
    if args.len() < 2 {
        return Err(Failure::usage().with_code(EXIT_TEMP));
    }
    let mut env = pathexec::environ();
    pathexec::envdir(&args[0], &mut env)?;
    Err(Failure::unable_to_run(&args[1], pathexec::run(&args[1..], &env)))
}

#[no_mangle]
pub extern "C" fn main(_argc: std::os::raw::c_int, _argv: *const *const std::os::raw::c_char) -> std::os::raw::c_int {
    cli::main(&PROG, run)
}
