//! `envuidgid account child`: runs child with `$GID` and `$UID` set to the
//! account's numbers. As daemontools: usage 100, any failure 111.
//! `no_main`, so that closed descriptors reach the child closed.
#![no_main]

use daemontools::msg::{self, errstr, Level, EXIT_TEMP, EXIT_USAGE};
use daemontools::pathexec;
use std::io::Write;
use std::os::unix::ffi::OsStringExt;

fn die(code: i32, level: Level, parts: &[&[u8]]) -> ! {
    let _ = std::io::stderr().write_all(&msg::line("envuidgid", level, parts));
    std::process::exit(code)
}

#[no_mangle]
pub extern "C" fn main(_argc: std::os::raw::c_int, _argv: *const *const std::os::raw::c_char) -> std::os::raw::c_int {
    if let Some(text) =
        daemontools::msg::about("envuidgid", "envuidgid account child", daemontools::msg::lone_arg().as_deref())
    {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    let args: Vec<Vec<u8>> = std::env::args_os().skip(1).map(|a| a.into_vec()).collect();
    if args.len() < 2 {
        die(EXIT_USAGE, Level::Usage, &[b"envuidgid account child"]);
    }
    let Some((uid, gid)) = pathexec::account(&args[0]) else {
        die(EXIT_TEMP, Level::Fatal, &[b"unknown account ", &args[0]])
    };
    let mut env = pathexec::environ();
    pathexec::apply(&mut env, format!("GID={gid}").as_bytes());
    pathexec::apply(&mut env, format!("UID={uid}").as_bytes());
    let e = pathexec::run(&args[1..], &env);
    die(EXIT_TEMP, Level::Fatal, &[b"unable to run ", &args[1], b": ", errstr(e).as_bytes()])
}
