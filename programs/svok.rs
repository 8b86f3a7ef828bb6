//! `svok DIR`: exits 0 when a supervise runs in DIR, 100 when none does,
//! 111 when DIR cannot be entered or examined.
//!
//! `svok -U DIR...` (ours): the probe for container engines (Docker's
//! HEALTHCHECK, Kubernetes' probes): exits 0 when every DIR is up, ready
//! and healthy (`svc -wU`'s up and ready, not paused, and its last check
//! passed if it has `check`); 100, with a warning naming each DIR that is
//! not and why; 111 when one cannot be examined.

use daemontools::msg::{Failure, Prog, EXIT_TEMP, EXIT_USAGE};
use daemontools::svdir::{LookError, ServiceDir};
use daemontools::{cli, Errno};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// A bad call says daemontools' usage, whose svok has no option.
pub const PROG: Prog = Prog { name: "svok", usage: "svok [ -U ] dir ...", bad_call: Some("svok: usage: svok dir\n") };

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    if args.first().is_some_and(|a| a == "-U") {
        return fit(&args[1..]);
    }
    let dir = args.first().ok_or_else(Failure::usage)?;
    let d = dir.as_bytes();
    let dir = ServiceDir::open(dir).map_err(|e| Failure::temp(&[b"unable to chdir to ", d], e))?;
    match dir.ok() {
        Ok(()) => Ok(0),
        Err(Errno::ENOENT | Errno::ENXIO) => Ok(EXIT_USAGE),
        Err(e) => Err(Failure::temp(&[b"unable to open ", d, b"/supervise/ok"], e)),
    }
}

/// `-U`: whether every one of `dirs` is up, ready and healthy.
fn fit(dirs: &[OsString]) -> Result<i32, Failure> {
    if dirs.is_empty() {
        return Err(Failure::usage());
    }
    let mut code = 0;
    for dir in dirs {
        let d = dir.as_bytes();
        let opened = ServiceDir::open(dir).map_err(|e| Failure::temp(&[b"unable to chdir to ", d], e))?;
        let fit = match opened.look() {
            Ok(seen) => seen.fit(),
            // No supervise ever ran there: none runs, as svok says it.
            Err(LookError::Ok(Errno::ENOENT)) => Err("supervise not running"),
            Err(e) => return Err(Failure::fatal(EXIT_TEMP, &[b"unable to look at ", d, b": ", e.text().as_bytes()])),
        };
        if let Err(why) = fit {
            cli::warn(&PROG, &[d, b": ", why.as_bytes()]);
            code = EXIT_USAGE;
        }
    }
    Ok(code)
}
