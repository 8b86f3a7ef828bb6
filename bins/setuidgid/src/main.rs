//! `setuidgid account child`: runs child as the account: supplementary
//! groups set to the account's group alone, then its gid, then its uid.
//! As daemontools: usage 100, any failure 111 (a child that cannot be run
//! included). `no_main`, so that closed descriptors reach the child closed.
#![no_main]

use daemontools::msg::{self, errstr, Level, EXIT_TEMP, EXIT_USAGE};
use daemontools::{pathexec, Errno};
use std::io::Write;
use std::os::unix::ffi::OsStringExt;

fn die(code: i32, level: Level, parts: &[&[u8]]) -> ! {
    let _ = std::io::stderr().write_all(&msg::line("setuidgid", level, parts));
    std::process::exit(code)
}

#[no_mangle]
pub extern "C" fn main(_argc: std::os::raw::c_int, _argv: *const *const std::os::raw::c_char) -> std::os::raw::c_int {
    if let Some(text) =
        daemontools::msg::about("setuidgid", "setuidgid account child", daemontools::msg::lone_arg().as_deref())
    {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    let args: Vec<Vec<u8>> = std::env::args_os().skip(1).map(|a| a.into_vec()).collect();
    if args.len() < 2 {
        die(EXIT_USAGE, Level::Usage, &[b"setuidgid account child"]);
    }
    let Some((uid, gid)) = pathexec::account(&args[0]) else {
        die(EXIT_TEMP, Level::Fatal, &[b"unknown account ", &args[0]])
    };
    // SAFETY: setgroups, setgid and setuid with valid arguments.
    let r = unsafe { Errno::result(libc::setgroups(1, &gid)).and_then(|_| Errno::result(libc::setgid(gid))) };
    if let Err(e) = r {
        die(EXIT_TEMP, Level::Fatal, &[b"unable to setgid: ", errstr(e).as_bytes()]);
    }
    if let Err(e) = Errno::result(unsafe { libc::setuid(uid) }) {
        die(EXIT_TEMP, Level::Fatal, &[b"unable to setuid: ", errstr(e).as_bytes()]);
    }
    let e = pathexec::run(&args[1..], &pathexec::environ());
    die(EXIT_TEMP, Level::Fatal, &[b"unable to run ", &args[1], b": ", errstr(e).as_bytes()])
}
