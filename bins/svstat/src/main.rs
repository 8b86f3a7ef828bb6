//! `svstat DIR...`: one line per service directory, daemontools' text to the
//! byte: `DIR: up (pid N) S seconds`, `DIR: down S seconds, normally up`,
//! `DIR: supervise not running`, ... Exits 0 even for bad directories.

use daemontools::msg::{self, errstr, Level, EXIT_TEMP};
use daemontools::svdir::{self, Origin, StatusError};
use daemontools::{tai64, Errno};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

fn die(what: &[u8], e: Errno) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(&msg::line("svstat", Level::Fatal, &[what, errstr(e).as_bytes()]));
    std::process::exit(EXIT_TEMP)
}

/// The text after `DIR: ` for the service directory we are in.
fn describe() -> String {
    let normally_up = match svdir::normally_up() {
        Ok(up) => up,
        Err(e) => return format!("unable to stat down: {}", errstr(e)),
    };
    match svdir::probe_ok() {
        Ok(()) => {}
        Err(Errno::ENXIO) => return "supervise not running".into(),
        Err(e) => return format!("unable to open supervise/ok: {}", errstr(e)),
    }
    match svdir::read_status() {
        Ok(status) => status.describe(normally_up, tai64::now()),
        Err(StatusError::Open(e)) => format!("unable to open supervise/status: {}", errstr(e)),
        Err(StatusError::Read(e)) => format!("unable to read supervise/status: {}", errstr(e)),
        Err(StatusError::BadFormat) => "unable to read supervise/status: bad format".into(),
    }
}

fn main() {
    let origin = Origin::open().unwrap_or_else(|e| die(b"unable to open current directory: ", e));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for dir in std::env::args_os().skip(1) {
        let text = match svdir::enter(&dir) {
            Ok(()) => describe(),
            Err(e) => format!("unable to chdir: {}", errstr(e)),
        };
        let _ = out.write_all(&[dir.as_bytes(), b": ", text.as_bytes(), b"\n"].concat());
        origin.restore().unwrap_or_else(|e| die(b"unable to set directory: ", e));
    }
    let _ = out.flush();
}
