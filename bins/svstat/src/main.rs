//! `svstat DIR...`: one line per service directory, daemontools' text to the
//! byte: `DIR: up (pid N) S seconds`, `DIR: down S seconds, normally up`,
//! `DIR: supervise not running`, ... Exits 0 even for bad directories.
//!
//! `svstat -j DIR...` (ours): one JSON object per line instead, with what
//! `supervise/info` adds (finishing, last exit, restarts).

use daemontools::msg::{self, errstr, Level, EXIT_TEMP};
use daemontools::status::{Status, Want};
use daemontools::supervise::{Ending, Info};
use daemontools::svdir::{self, Origin, StatusError};
use daemontools::{tai64, Errno};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

fn die(what: &[u8], e: Errno) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(&msg::line("svstat", Level::Fatal, &[what, errstr(e).as_bytes()]));
    std::process::exit(EXIT_TEMP)
}

/// What the service directory we are in holds, with daemontools' words for what went wrong.
enum Found {
    Status { normally_up: bool, status: Status },
    NotRunning { normally_up: bool },
    Error(String),
}

fn look() -> Found {
    let normally_up = match svdir::normally_up() {
        Ok(up) => up,
        Err(e) => return Found::Error(format!("unable to stat down: {}", errstr(e))),
    };
    match svdir::probe_ok() {
        Ok(()) => {}
        Err(Errno::ENXIO) => return Found::NotRunning { normally_up },
        Err(e) => return Found::Error(format!("unable to open supervise/ok: {}", errstr(e))),
    }
    match svdir::read_status() {
        Ok(status) => Found::Status { normally_up, status },
        Err(StatusError::Open(e)) => Found::Error(format!("unable to open supervise/status: {}", errstr(e))),
        Err(StatusError::Read(e)) => Found::Error(format!("unable to read supervise/status: {}", errstr(e))),
        Err(StatusError::BadFormat) => Found::Error("unable to read supervise/status: bad format".into()),
    }
}

/// The text after `DIR: ` for the service directory we are in.
fn describe() -> String {
    let (normally_up, status) = match look() {
        Found::Status { normally_up, status } => (normally_up, status),
        Found::NotRunning { .. } => return "supervise not running".into(),
        Found::Error(text) => return text,
    };
    let now = tai64::now();
    let mut text = status.describe(normally_up, now);
    // Only for a service with notification-fd, or stopped by restart-limit:
    // otherwise daemontools' text to the byte.
    let info = svdir::read_info(std::path::Path::new("."), &status);
    if let Some(Some(Some(since))) = info.map(|i| i.ready).filter(|_| status.pid != 0) {
        text += &format!(", ready {} seconds", tai64::unix_secs(now).saturating_sub(tai64::unix_secs(since)).max(0));
    }
    if info.is_some_and(|i| i.failed) {
        text += ", failed";
    }
    text
}

/// A JSON string: quoted, escaped, bytes that are not UTF-8 replaced.
fn json_str(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            c if (c as u32) < 0x20 => out += &format!("\\u{:04x}", c as u32),
            c => out.push(c),
        }
    }
    out + "\""
}

/// The JSON fields after `"dir":...` when there is no status to show.
fn json_without_status(state: &str, normally: Option<bool>, error: Option<&str>) -> String {
    let normally = normally.map_or("null", |up| if up { "\"up\"" } else { "\"down\"" });
    let error = error.map_or("null".to_string(), |e| json_str(e.as_bytes()));
    format!(
        "\"state\":\"{state}\",\"pid\":null,\"seconds\":null,\"want\":null,\"paused\":false,\
         \"normally\":{normally},\"ready\":null,\"ready_seconds\":null,\"last_exit_code\":null,\
         \"last_signal\":null,\"restarts\":null,\"backoff_seconds\":null,\"failed\":null,\"error\":{error}"
    )
}

/// The JSON fields after `"dir":...` for the service directory we are in.
fn describe_json() -> String {
    let (normally_up, status) = match look() {
        Found::Status { normally_up, status } => (normally_up, status),
        Found::NotRunning { normally_up } => return json_without_status("not running", Some(normally_up), None),
        Found::Error(text) => return json_without_status("error", None, Some(&text)),
    };
    let normally = if normally_up { "up" } else { "down" };
    let info = svdir::read_info(std::path::Path::new("."), &status);
    let state = match (status.pid, info) {
        (0, Some(Info { finishing: true, .. })) => "finishing",
        (0, _) => "down",
        _ => "up",
    };
    let pid = if status.pid == 0 { "null".to_string() } else { status.pid.to_string() };
    let want = match status.want {
        Want::Up => "\"up\"",
        Want::Down => "\"down\"",
        Want::Nothing => "\"once\"",
    };
    let (code, sig) = match info.and_then(|i| i.last_ending) {
        Some(Ending::Exit(c)) => (c.to_string(), "null".to_string()),
        Some(Ending::Signal(s)) => ("null".to_string(), s.to_string()),
        None => ("null".to_string(), "null".to_string()),
    };
    let restarts = info.map_or("null".to_string(), |i| i.restarts.to_string());
    let backoff = info.map_or(0, |i| i.backoff_seconds);
    let failed = info.is_some_and(|i| i.failed);
    let now = tai64::now();
    let (ready, ready_seconds) = match info.and_then(|i| i.ready).filter(|_| status.pid != 0) {
        None => ("null".to_string(), "null".to_string()),
        Some(None) => ("false".to_string(), "null".to_string()),
        Some(Some(t)) => ("true".to_string(), (tai64::unix_secs(now) - tai64::unix_secs(t)).max(0).to_string()),
    };
    format!(
        "\"state\":\"{state}\",\"pid\":{pid},\"seconds\":{},\"want\":{want},\"paused\":{},\"normally\":\"{normally}\",\
         \"ready\":{ready},\"ready_seconds\":{ready_seconds},\"last_exit_code\":{code},\"last_signal\":{sig},\"restarts\":{restarts},\
         \"backoff_seconds\":{backoff},\"failed\":{failed},\"error\":null",
        status.seconds_since(now),
        status.pid != 0 && status.paused,
    )
}

fn main() {
    if let Some(text) =
        daemontools::msg::about("svstat", "svstat [ -j ] dir ...", daemontools::msg::lone_arg().as_deref())
    {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    let origin = Origin::open().unwrap_or_else(|e| die(b"unable to open current directory: ", e));
    // A line at a time, each written out at once: a directory that hangs
    // or kills svstat loses no line already made for the others.
    let mut out = std::io::stdout().lock();
    let mut args: Vec<_> = std::env::args_os().skip(1).collect();
    let json = args.first().is_some_and(|a| a == "-j");
    if json {
        args.remove(0);
    }
    for dir in args {
        let line = match (svdir::enter(&dir), json) {
            (Ok(()), false) => [dir.as_bytes(), b": ", describe().as_bytes()].concat(),
            (Err(e), false) => [dir.as_bytes(), b": unable to chdir: ", errstr(e).as_bytes()].concat(),
            (Ok(()), true) => format!("{{\"dir\":{},{}}}", json_str(dir.as_bytes()), describe_json()).into_bytes(),
            (Err(e), true) => {
                let fields = json_without_status("error", None, Some(&format!("unable to chdir: {}", errstr(e))));
                format!("{{\"dir\":{},{fields}}}", json_str(dir.as_bytes())).into_bytes()
            }
        };
        let _ = out.write_all(&[&line[..], b"\n"].concat());
        origin.restore().unwrap_or_else(|e| die(b"unable to set directory: ", e));
    }
    let _ = out.flush();
}
