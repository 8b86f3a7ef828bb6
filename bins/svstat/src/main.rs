//! `svstat DIR...`: one line per service directory, daemontools' text to the
//! byte: `DIR: up (pid N) S seconds`, `DIR: down S seconds, normally up`,
//! `DIR: supervise not running`, ... Exits 0 even for bad directories.
//!
//! `svstat -j DIR...` (ours): one JSON object per line instead, with what
//! `supervise/info` adds (finishing, last exit, restarts): `info::json`.
//!
//! A service whose start waits for its needed services (`needs/`) gets `,
//! waiting for NAME ...` after daemontools' text; without `needs/` the text
//! is daemontools'.

use daemontools::msg::{errstr, Failure, Prog};
use daemontools::svdir::{Origin, ServiceDir};
use daemontools::{cli, info, tai64, tree};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

const PROG: Prog = Prog::new("svstat", "svstat [ -j ] dir ...");

fn run(mut args: Vec<OsString>) -> Result<i32, Failure> {
    let origin = Origin::open().map_err(|e| Failure::temp(&[b"unable to open current directory"], e))?;
    // A line at a time, each written out at once: a directory that hangs
    // or kills svstat loses no line already made for the others.
    let mut out = std::io::stdout().lock();
    let json = args.first().is_some_and(|a| a == "-j");
    if json {
        args.remove(0);
    }
    for dir in args {
        let opened = ServiceDir::open_at(origin.fd(), &dir).map_err(|e| format!("unable to chdir: {}", errstr(e)));
        // With -j, where the whole tree is (`tree`) and what it holds.
        let at = opened.as_ref().ok().filter(|_| json).and_then(ServiceDir::tree);
        // What a start waits for (`needs/`), shown only while it is down.
        let waiting = opened.as_ref().ok().and_then(ServiceDir::waiting_for);
        let seen = opened.and_then(|d| d.look().map_err(|e| e.text()));
        let now = tai64::now();
        let line = match (&seen, json) {
            (_, true) => {
                let tree = at.as_ref().map(|at| (at, tree::stats_at(at)));
                let seen = seen.as_ref().map_err(String::as_str);
                info::json(dir.as_bytes(), seen, tree, waiting.as_ref(), now).into_bytes()
            }
            (Ok(seen), false) => {
                [dir.as_bytes(), b": ", seen.describe_waiting(waiting.as_ref(), now).as_bytes()].concat()
            }
            (Err(text), false) => [dir.as_bytes(), b": ", text.as_bytes()].concat(),
        };
        let _ = out.write_all(&[&line[..], b"\n"].concat());
    }
    Ok(0)
}

fn main() {
    cli::main(&PROG, run)
}
