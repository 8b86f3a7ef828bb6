//! `svok DIR`: exits 0 when a supervise runs in DIR, 100 when none does,
//! 111 when DIR cannot be entered or examined.

use daemontools::msg::{Failure, Prog, EXIT_USAGE};
use daemontools::svdir::ServiceDir;
use daemontools::{cli, Errno};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const PROG: Prog = Prog::new("svok", "svok dir");

fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let dir = args.first().ok_or_else(Failure::usage)?;
    let d = dir.as_bytes();
    let dir = ServiceDir::open(dir).map_err(|e| Failure::temp(&[b"unable to chdir to ", d], e))?;
    match dir.ok() {
        Ok(()) => Ok(0),
        Err(Errno::ENOENT | Errno::ENXIO) => Ok(EXIT_USAGE),
        Err(e) => Err(Failure::temp(&[b"unable to open ", d, b"/supervise/ok"], e)),
    }
}

fn main() {
    cli::main(&PROG, run)
}
