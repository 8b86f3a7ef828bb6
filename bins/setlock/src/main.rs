//! `setlock [-nNxX] file child`: opens file (creating it), takes an
//! exclusive flock on it, and runs child holding the lock. `-n`: fail at
//! once if the lock is held (`-N`: wait, the default); `-x`: exit 0 quietly
//! if the file cannot be opened or locked (`-X`: fail, the default). As
//! daemontools: usage 100, any failure 111.
//! `no_main`, so that closed descriptors reach the child closed.
#![no_main]

use daemontools::getopt::{Getopt, Opt};
use daemontools::msg::{self, errstr, Level, EXIT_TEMP, EXIT_USAGE};
use daemontools::{pathexec, sys, Errno};
use std::io::Write;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;

fn die(code: i32, level: Level, parts: &[&[u8]]) -> ! {
    let _ = std::io::stderr().write_all(&msg::line("setlock", level, parts));
    std::process::exit(code)
}

fn usage() -> ! {
    die(EXIT_USAGE, Level::Usage, &[b"setlock [ -nNxX ] file program [ arg ... ]"])
}

#[no_mangle]
pub extern "C" fn main(_argc: std::os::raw::c_int, _argv: *const *const std::os::raw::c_char) -> std::os::raw::c_int {
    if let Some(text) = daemontools::msg::about(
        "setlock",
        "setlock [ -nNxX ] file program [ arg ... ]",
        daemontools::msg::lone_arg().as_deref(),
    ) {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    let (mut nowait, mut quiet) = (false, false);
    let mut opts = Getopt::new(std::env::args_os().skip(1).collect(), "nNxX");
    for opt in opts.by_ref() {
        match opt {
            Opt::Flag(b'n') => nowait = true,
            Opt::Flag(b'N') => nowait = false,
            Opt::Flag(b'x') => quiet = true,
            Opt::Flag(b'X') => quiet = false,
            Opt::Illegal(c) | Opt::MissingArg(c) | Opt::Flag(c) | Opt::Arg(c, _) => {
                let _ = std::io::stderr().write_all(&[b"setlock: illegal option -- ", &[c][..], b"\n"].concat());
                usage()
            }
        }
    }
    let args: Vec<Vec<u8>> = opts.operands().into_iter().map(|a| a.into_vec()).collect();
    if args.len() < 2 {
        usage();
    }
    let fail = |what: &[u8], e: Errno| -> ! {
        if quiet {
            std::process::exit(0);
        }
        die(EXIT_TEMP, Level::Fatal, &[what, &args[0], b": ", errstr(e).as_bytes()])
    };
    let path = std::ffi::CString::new(args[0].as_slice()).unwrap_or_else(|_| fail(b"unable to open ", Errno::EINVAL));
    // Not close-on-exec: the child holds the lock.
    // SAFETY: open with a valid path; the fd is ours.
    let fd =
        unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_NONBLOCK | libc::O_APPEND | libc::O_CREAT, 0o600) };
    let fd = Errno::result(fd).unwrap_or_else(|e| fail(b"unable to open ", e));
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    sys::lock(fd.as_fd(), !nowait).unwrap_or_else(|e| fail(b"unable to lock ", e));
    let e = pathexec::run(&args[1..], &pathexec::environ());
    die(EXIT_TEMP, Level::Fatal, &[b"unable to run ", &args[1], b": ", errstr(e).as_bytes()])
}
