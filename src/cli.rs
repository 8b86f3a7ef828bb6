//! The programs' edge: the one place that prints messages and exits.
//!
//! The rest of the library never prints or exits; a main declares its
//! [`Prog`] once and hands its work to [`main`], which answers `--help` and
//! `--version`, runs it, prints its [`Failure`] and exits with its code
//! (ripgrep's `try_main`, uutils' `uumain`, skalibs' `strerr`).

use crate::msg::{Failure, Level, Prog};
use std::ffi::OsString;
use std::io::Write;

/// Runs a program: a lone `--help` or `--version` is answered on standard
/// output (exit 0); otherwise `run` gets the arguments after the program's
/// name, and the process exits with the code it returns, or prints its
/// failure and exits with that failure's code. Works in `no_main` programs.
pub fn main(prog: &Prog, run: impl FnOnce(Vec<OsString>) -> Result<i32, Failure>) -> ! {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    // Only a lone `--help` or `--version` is taken as such, so that
    // `supervise --help` (a service directory named so, run by svscan as
    // `./--help`) or `svc -u --help` is never mistaken for one.
    if let [lone] = &args[..] {
        if let Some(text) = prog.about(Some(lone.as_os_str())) {
            let _ = std::io::stdout().write_all(text.as_bytes());
            exit(0);
        }
    }
    match run(args) {
        Ok(code) => exit(code),
        Err(f) => fail(prog, &f),
    }
}

/// The arguments as bytes, as the chain-loaders pass them on.
pub fn bytes(args: Vec<OsString>) -> Vec<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt;
    args.into_iter().map(OsString::into_vec).collect()
}

/// [`bytes`], at least `least` of them (a chain-loader's account or
/// directory, then its child): fewer is the usage failure.
pub fn at_least(args: Vec<OsString>, least: usize) -> Result<Vec<Vec<u8>>, Failure> {
    if args.len() < least {
        return Err(Failure::usage());
    }
    Ok(bytes(args))
}

/// Prints `f` and exits with its code.
pub fn fail(prog: &Prog, f: &Failure) -> ! {
    let _ = std::io::stderr().write_all(&f.render(prog));
    exit(f.code())
}

/// Prints `f` and goes on (svc's warning for one directory among several).
pub fn report(prog: &Prog, f: &Failure) {
    let _ = std::io::stderr().write_all(&f.render(prog));
}

/// Prints one line `PROG: LEVEL: PARTS` on standard error.
pub fn say(prog: &Prog, level: Level, parts: &[&[u8]]) {
    let _ = std::io::stderr().write_all(&prog.line(level, parts));
}

/// Prints `PROG: warning: PARTS`.
pub fn warn(prog: &Prog, parts: &[&[u8]]) {
    say(prog, Level::Warning, parts)
}

/// Prints `PROG: warning: PARTS: REASON`, daemontools' reason for `e`.
pub fn warn_sys(prog: &Prog, parts: &[&[u8]], e: crate::Errno) {
    warn(prog, &[&parts.concat()[..], b": ", crate::msg::errstr(e).as_bytes()])
}

/// The program's warnings as a callback, for library code that has some
/// to report and goes on (`supervise::files`).
pub fn warnings(prog: &'static Prog) -> impl FnMut(&[&[u8]]) + Copy {
    move |parts| warn(prog, parts)
}

/// Flushes standard output and exits with `code`.
pub fn exit(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}
