//! `mksv [ -u user ] [ -e name=value ... ] [ -s scandir ] dir -- command
//! [ arg ... ]`: makes the service directory `dir` in one step: `run`
//! (standard error into the log, then exec the command, its arguments
//! quoted exactly), `log/run` (`multilog t ./main`), an envdir for `-e`,
//! setuidgid for `-u`; built under a temporary name and renamed into place.
//! With `-s`, linked into the scan directory and waited for until it is up.

use daemontools::getopt::{Getopt, Opt};
use daemontools::mksv::{self, Spec, Tools};
use daemontools::msg::{Failure, Prog, EXIT_USAGE};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub const PROG: Prog =
    Prog::new("mksv", "mksv [ -u user ] [ -e name=value ... ] [ -s scandir ] dir -- command [ arg ... ]");

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let mut spec = Spec::default();
    let mut opts = Getopt::new(args, "u:e:s:");
    for opt in opts.by_ref() {
        match opt {
            Opt::Arg(b'u', v) => spec.user = Some(v.as_bytes().to_vec()),
            Opt::Arg(b'e', v) => {
                let bad = || Failure::fatal(EXIT_USAGE, &[b"bad -e ", v.as_bytes(), b": not NAME=VALUE"]).then_usage();
                spec.env.push(mksv::env_pair(v.as_bytes()).ok_or_else(bad)?);
            }
            Opt::Arg(b's', v) => spec.scan = Some(v.as_bytes().to_vec()),
            _ => return Err(Failure::usage()),
        }
    }
    match opts.operands().as_slice() {
        [dir, dashes, command @ ..] if dashes == "--" && !command.is_empty() => {
            spec.dir = dir.as_bytes().to_vec();
            spec.command = command.iter().map(|a| a.as_bytes().to_vec()).collect();
        }
        _ => return Err(Failure::usage()),
    }
    mksv::make(&spec, &Tools::find())?;
    Ok(0)
}
