//! `svstat DIR...`: one line per service directory, daemontools' text to the
//! byte: `DIR: up (pid N) S seconds`, `DIR: down S seconds, normally up`,
//! `DIR: supervise not running`, ... Exits 0 even for bad directories.
//!
//! `svstat -j DIR...` (ours): one JSON object per line instead, with what
//! `supervise/info` adds (finishing, last exit, restarts).

use daemontools::msg::{errstr, Failure, Prog};
use daemontools::status::Want;
use daemontools::supervise::{Ending, Info};
use daemontools::svdir::{Origin, Seen, ServiceDir};
use daemontools::{cli, tai64};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

const PROG: Prog = Prog::new("svstat", "svstat [ -j ] dir ...");

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

/// The JSON fields after `"dir":...` for what svstat found.
fn describe_json(seen: Seen) -> String {
    let (normally_up, status, info) = match seen {
        Seen::Running { normally_up, status, info } => (normally_up, status, info),
        Seen::NotRunning { normally_up } => return json_without_status("not running", Some(normally_up), None),
    };
    let normally = if normally_up { "up" } else { "down" };
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

fn run(mut args: Vec<OsString>) -> Result<i32, Failure> {
    let origin = Origin::open().map_err(|e| Failure::temp(&[b"unable to open current directory"], e))?;
    // A line at a time, each written out at once: a directory that hangs
    // or kills svstat loses no line already made for the others.
    let mut out = std::io::stdout().lock();
    let json = args.first().is_some_and(|a| a == "-j");
    if json {
        args.remove(0);
    }
    for dir in args {
        let seen = ServiceDir::open_at(origin.fd(), &dir).map_err(|e| format!("unable to chdir: {}", errstr(e)));
        let seen = seen.and_then(|d| d.look().map_err(|e| e.text()));
        let line = match (seen, json) {
            (Ok(seen), false) => [dir.as_bytes(), b": ", seen.describe(tai64::now()).as_bytes()].concat(),
            (Err(text), false) => [dir.as_bytes(), b": ", text.as_bytes()].concat(),
            (Ok(seen), true) => {
                format!("{{\"dir\":{},{}}}", json_str(dir.as_bytes()), describe_json(seen)).into_bytes()
            }
            (Err(text), true) => {
                let fields = json_without_status("error", None, Some(&text));
                format!("{{\"dir\":{},{fields}}}", json_str(dir.as_bytes())).into_bytes()
            }
        };
        let _ = out.write_all(&[&line[..], b"\n"].concat());
    }
    Ok(0)
}

fn main() {
    cli::main(&PROG, run)
}
