//! `envdir d child`: runs child with its environment changed by the files
//! of d: each sets the variable of its name to its first line (trailing
//! spaces and tabs removed, NUL bytes turned into newlines); an empty file
//! removes the variable; names starting with `.` are skipped. As
//! daemontools, every failure (a bad call included) exits 111.
//! Started bare (`Start::Bare`), so that closed descriptors reach the child closed.

use daemontools::msg::{Failure, Prog, EXIT_TEMP};
use daemontools::{cli, pathexec};
use std::ffi::OsString;

pub const PROG: Prog = Prog::new("envdir", "envdir dir child");

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let args = cli::bytes(args);
    if args.len() < 2 {
        return Err(Failure::usage().with_code(EXIT_TEMP));
    }
    let mut env = pathexec::environ();
    pathexec::envdir(&args[0], &mut env)?;
    Err(Failure::unable_to_run(&args[1], pathexec::run(&args[1..], &env)))
}
