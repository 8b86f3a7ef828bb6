//! `svc -udopchaitkxq12 DIR...`: sends control letters to the supervise of each
//! service directory, all in one write to `DIR/supervise/control`.

use daemontools::control::{self, SendError};
use daemontools::getopt::{Getopt, Opt};
use daemontools::msg::{self, errstr, Level, EXIT_TEMP, EXIT_USAGE};
use daemontools::svdir::{self, Origin};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// daemontools' text, unchanged: `q`, `1` and `2` are documented in the man page.
const USAGE: &[u8] =
    b"svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill\n";

fn say(level: Level, parts: &[&[u8]]) {
    let _ = std::io::stderr().write_all(&msg::line("svc", level, parts));
}

fn main() {
    let mut opts = Getopt::new(std::env::args_os().skip(1).collect(), "udopchaitkxq12");
    let mut letters = Vec::with_capacity(20);
    for opt in opts.by_ref() {
        match opt {
            Opt::Flag(c) if !letters.contains(&c) => letters.push(c),
            Opt::Flag(_) => {}
            Opt::Illegal(c) | Opt::MissingArg(c) | Opt::Arg(c, _) => {
                let _ = std::io::stderr().write_all(&[b"svc: illegal option -- ", &[c][..], b"\n", USAGE].concat());
                std::process::exit(EXIT_USAGE);
            }
        }
    }
    let origin = Origin::open().unwrap_or_else(|e| {
        say(Level::Fatal, &[b"unable to open current directory: ", errstr(e).as_bytes()]);
        std::process::exit(EXIT_TEMP)
    });
    for dir in opts.operands() {
        let d = dir.as_bytes();
        match svdir::enter(&dir) {
            Err(e) => say(Level::Warning, &[b"unable to chdir to ", d, b": ", errstr(e).as_bytes()]),
            Ok(()) => match control::send(&letters) {
                Ok(()) => {}
                Err(SendError::NotRunning) => {
                    say(Level::Warning, &[b"unable to control ", d, b": supervise not running"])
                }
                Err(SendError::Open(e)) => {
                    say(Level::Warning, &[b"unable to control ", d, b": ", errstr(e).as_bytes()])
                }
                Err(SendError::Write(e)) => {
                    say(Level::Warning, &[b"error writing commands to ", d, b": ", errstr(e).as_bytes()])
                }
            },
        }
        if let Err(e) = origin.restore() {
            say(Level::Fatal, &[b"unable to set directory: ", errstr(e).as_bytes()]);
            std::process::exit(EXIT_TEMP);
        }
    }
}
