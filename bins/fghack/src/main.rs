//! `fghack child`: runs child with 30 extra copies of the write end of a
//! pipe and waits until every copy is closed (by child and anything it left
//! in the background), then exits with child's exit code. So a program that
//! puts itself in the background still looks like it runs in the
//! foreground to supervise. As daemontools: usage 100, failures 111.
//! `no_main`, so that closed descriptors reach the child closed.
#![no_main]

use daemontools::msg::{self, errstr, Level, EXIT_TEMP, EXIT_USAGE};
use daemontools::{pathexec, sys, Errno};
use std::io::Write;
use std::os::unix::ffi::OsStringExt;

fn die(code: i32, parts: &[&[u8]]) -> ! {
    let level = if code == EXIT_USAGE { Level::Usage } else { Level::Fatal };
    let _ = std::io::stderr().write_all(&msg::line("fghack", level, parts));
    std::process::exit(code)
}

#[no_mangle]
pub extern "C" fn main(_argc: std::os::raw::c_int, _argv: *const *const std::os::raw::c_char) -> std::os::raw::c_int {
    if let Some(text) = daemontools::msg::about("fghack", "fghack child", daemontools::msg::lone_arg().as_deref()) {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    let args: Vec<Vec<u8>> = std::env::args_os().skip(1).map(|a| a.into_vec()).collect();
    if args.is_empty() {
        die(EXIT_USAGE, &[b"fghack child"]);
    }
    let env = pathexec::environ();
    let mut fds = [0; 2];
    // SAFETY: pipe, fork, close, dup, read and waitpid on descriptors and memory we own.
    if let Err(e) = Errno::result(unsafe { libc::pipe(fds.as_mut_ptr()) }) {
        die(EXIT_TEMP, &[b"unable to create pipe: ", errstr(e).as_bytes()]);
    }
    let pid = Errno::result(unsafe { libc::fork() })
        .unwrap_or_else(|e| die(EXIT_TEMP, &[b"unable to fork: ", errstr(e).as_bytes()]));
    if pid == 0 {
        unsafe { libc::close(fds[0]) };
        for _ in 0..30 {
            unsafe { libc::dup(fds[1]) };
        }
        let e = pathexec::run(&args, &env);
        die(EXIT_TEMP, &[b"unable to run ", &args[0], b": ", errstr(e).as_bytes()]);
    }
    unsafe { libc::close(fds[1]) };
    let mut byte = [0u8; 1];
    loop {
        match Errno::result(unsafe { libc::read(fds[0], byte.as_mut_ptr().cast(), 1) }) {
            Err(Errno::EINTR) => {}
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
    let status =
        sys::wait_for(pid as u32).unwrap_or_else(|e| die(EXIT_TEMP, &[b"wait failed: ", errstr(e).as_bytes()]));
    if libc::WIFSIGNALED(status) {
        die(EXIT_TEMP, &[b"child crashed"]);
    }
    libc::WEXITSTATUS(status)
}
