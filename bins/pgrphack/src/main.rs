//! `pgrphack child`: runs child in a new session (so a new process group),
//! or as it is when it leads its process group already.
//! As daemontools: usage 100, any failure 111.
//! `no_main`, so that closed descriptors reach the child closed.
#![no_main]

use daemontools::msg::{self, errstr, Level, EXIT_TEMP, EXIT_USAGE};
use daemontools::pathexec;
use std::io::Write;
use std::os::unix::ffi::OsStringExt;

fn die(code: i32, level: Level, parts: &[&[u8]]) -> ! {
    let _ = std::io::stderr().write_all(&msg::line("pgrphack", level, parts));
    std::process::exit(code)
}

#[no_mangle]
pub extern "C" fn main(_argc: std::os::raw::c_int, _argv: *const *const std::os::raw::c_char) -> std::os::raw::c_int {
    if let Some(text) = daemontools::msg::about("pgrphack", "pgrphack child", daemontools::msg::lone_arg().as_deref()) {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    let args: Vec<Vec<u8>> = std::env::args_os().skip(1).map(|a| a.into_vec()).collect();
    if args.is_empty() {
        die(EXIT_USAGE, Level::Usage, &[b"pgrphack child"]);
    }
    // As daemontools, a process that leads its group already (and so cannot
    // make a session) runs the child all the same.
    // SAFETY: setsid has no memory effects.
    unsafe { libc::setsid() };
    let e = pathexec::run(&args, &pathexec::environ());
    die(EXIT_TEMP, Level::Fatal, &[b"unable to run ", &args[0], b": ", errstr(e).as_bytes()])
}
