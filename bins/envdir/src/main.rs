//! `envdir d child`: runs child with its environment changed by the files
//! of d: each sets the variable of its name to its first line (trailing
//! spaces and tabs removed, NUL bytes turned into newlines); an empty file
//! removes the variable; names starting with `.` are skipped. As
//! daemontools, every failure (a bad call included) exits 111.
//! `no_main`, so that closed descriptors reach the child closed.
#![no_main]

use daemontools::msg::{self, errstr, Level, EXIT_TEMP};
use daemontools::{pathexec, Errno};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::OpenOptionsExt;

fn die(level: Level, parts: &[&[u8]]) -> ! {
    let _ = std::io::stderr().write_all(&msg::line("envdir", level, parts));
    std::process::exit(EXIT_TEMP)
}

fn io(e: std::io::Error) -> &'static str {
    errstr(Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))
}

#[no_mangle]
pub extern "C" fn main(_argc: std::os::raw::c_int, _argv: *const *const std::os::raw::c_char) -> std::os::raw::c_int {
    if let Some(text) = daemontools::msg::about("envdir", "envdir dir child", daemontools::msg::lone_arg().as_deref()) {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    let args: Vec<Vec<u8>> = std::env::args_os().skip(1).map(|a| a.into_vec()).collect();
    if args.len() < 2 {
        die(Level::Usage, &[b"envdir dir child"]);
    }
    let dir = &args[0];
    let start = std::fs::File::open(".")
        .unwrap_or_else(|e| die(Level::Fatal, &[b"unable to switch to current directory: ", io(e).as_bytes()]));
    std::env::set_current_dir(std::ffi::OsStr::from_bytes(dir))
        .unwrap_or_else(|e| die(Level::Fatal, &[b"unable to switch to directory ", dir, b": ", io(e).as_bytes()]));
    let unreadable =
        |e: std::io::Error| -> ! { die(Level::Fatal, &[b"unable to read directory ", dir, b": ", io(e).as_bytes()]) };
    let mut env = pathexec::environ();
    for entry in std::fs::read_dir(".").unwrap_or_else(|e| unreadable(e)) {
        let name = entry.unwrap_or_else(|e| unreadable(e)).file_name();
        let name = name.as_bytes();
        if name.starts_with(b".") {
            continue;
        }
        // Without blocking, as daemontools' open_read: a FIFO with no writer reads as empty.
        let contents = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(std::ffi::OsStr::from_bytes(name))
            .and_then(|mut f| {
                let mut v = Vec::new();
                std::io::Read::read_to_end(&mut f, &mut v).map(|_| v)
            })
            .unwrap_or_else(|e| die(Level::Fatal, &[b"unable to read ", dir, b"/", name, b": ", io(e).as_bytes()]));
        let change =
            if contents.is_empty() { name.to_vec() } else { [name, b"=", &pathexec::env_value(&contents)].concat() };
        pathexec::apply(&mut env, &change);
    }
    // SAFETY: fchdir to a directory we hold open.
    if let Err(e) = Errno::result(unsafe { libc::fchdir(start.as_raw_fd()) }) {
        die(Level::Fatal, &[b"unable to switch to starting directory: ", errstr(e).as_bytes()]);
    }
    drop(start);
    let e = pathexec::run(&args[1..], &env);
    die(Level::Fatal, &[b"unable to run ", &args[1], b": ", errstr(e).as_bytes()])
}
