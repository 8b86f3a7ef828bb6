//! `svok DIR`: exits 0 when a supervise runs in DIR, 100 when none does,
//! 111 when DIR cannot be entered or examined.

use daemontools::msg::{self, errstr, Level, EXIT_TEMP, EXIT_USAGE};
use daemontools::{svdir, Errno};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

fn die(parts: &[&[u8]]) -> ! {
    let _ = std::io::stderr().write_all(&msg::line("svok", Level::Fatal, parts));
    std::process::exit(EXIT_TEMP)
}

fn main() {
    if let Some(text) = daemontools::msg::about("svok", "svok dir", daemontools::msg::lone_arg().as_deref()) {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    let Some(dir) = std::env::args_os().nth(1) else {
        let _ = std::io::stderr().write_all(b"svok: usage: svok dir\n");
        std::process::exit(EXIT_USAGE);
    };
    let d = dir.as_bytes();
    if let Err(e) = svdir::enter(&dir) {
        die(&[b"unable to chdir to ", d, b": ", errstr(e).as_bytes()]);
    }
    match svdir::probe_ok() {
        Ok(()) => {}
        Err(Errno::ENOENT | Errno::ENXIO) => std::process::exit(EXIT_USAGE),
        Err(e) => die(&[b"unable to open ", d, b"/supervise/ok: ", errstr(e).as_bytes()]),
    }
}
