//! `svstat DIR...`: one line per service directory, daemontools' text to the
//! byte: `DIR: up (pid N) S seconds`, `DIR: down S seconds, normally up`,
//! `DIR: supervise not running`, ... Exits 0 even for bad directories.
//!
//! Ours, each as the only option before the directories: `svstat -j` one
//! JSON object per line instead, with what `supervise/info` adds (finishing,
//! last exit, restarts): `info::json`; `svstat -l` a table of every
//! directory (`view::table`); `svstat -p` Prometheus' text exposition
//! format (`view::exposition`).
//!
//! A service whose start waits for its needed services (`needs/`) gets `,
//! waiting for NAME ...` after daemontools' text (and `waiting_for` in
//! JSON); without `needs/` the text is daemontools'.

use daemontools::msg::{errstr, Failure, Prog};
use daemontools::svdir::{LookError, Origin, Seen, ServiceDir};
use daemontools::Errno;
use daemontools::{info, tai64, tree, view};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::os::unix::ffi::OsStrExt;

pub const PROG: Prog = Prog::new("svstat", "svstat [ -j | -l | -p ] dir ...");

/// How the directories are shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Lines,
    Json,
    Table,
    Metrics,
}

pub fn run(mut args: Vec<OsString>) -> Result<i32, Failure> {
    let origin = Origin::open().map_err(|e| Failure::temp(&[b"unable to open current directory"], e))?;
    let form = match args.first().map(|a| a.as_bytes()) {
        Some(b"-j") => Form::Json,
        Some(b"-l") => Form::Table,
        Some(b"-p") => Form::Metrics,
        _ => Form::Lines,
    };
    if form != Form::Lines {
        args.remove(0);
    }
    // A line at a time, each written out at once: a directory that hangs
    // or kills svstat loses no line already made for the others. A table
    // and the metrics are written whole, once every directory is read.
    let mut out = std::io::stdout().lock();
    let mut seen_all = Vec::new();
    for dir in &args {
        let opened = ServiceDir::open_at(origin.fd(), dir).map_err(|e| format!("unable to chdir: {}", errstr(e)));
        // Beyond plain lines, where the whole tree is (`tree`) and what it holds.
        let at = opened.as_ref().ok().filter(|_| form != Form::Lines).and_then(ServiceDir::tree);
        let seen = opened.as_ref().map_err(Clone::clone).and_then(|d| look(d, form));
        // What a start waits for (`needs/`), read only while it is down.
        let waits = matches!(form, Form::Lines | Form::Json) && seen.as_ref().is_ok_and(Seen::may_wait);
        let waiting = opened.as_ref().ok().filter(|_| waits).and_then(ServiceDir::waiting_for);
        let now = tai64::now();
        let line = match (&seen, form) {
            (_, Form::Table | Form::Metrics) => {
                let stats = at.as_ref().map(tree::stats_at).or_else(|| running_pid(&seen).map(tree::stats_of_pid));
                seen_all.push((dir.as_bytes(), seen, stats));
                continue;
            }
            (_, Form::Json) => {
                let tree = at.as_ref().map(|at| (at, tree::stats_at(at)));
                let seen = seen.as_ref().map_err(String::as_str);
                info::json(dir.as_bytes(), seen, tree, waiting.as_ref(), now).into_bytes()
            }
            (Ok(seen), Form::Lines) => {
                [dir.as_bytes(), b": ", seen.describe_waiting(waiting.as_ref(), now).as_bytes()].concat()
            }
            (Err(text), Form::Lines) => [dir.as_bytes(), b": ", text.as_bytes()].concat(),
        };
        let _ = out.write_all(&[&line[..], b"\n"].concat());
    }
    let now = tai64::now();
    let rows: Vec<view::Row> = seen_all
        .iter()
        .map(|(dir, seen, stats)| view::Row::of(dir, seen.as_ref().map_err(String::as_str), *stats, now))
        .collect();
    match form {
        Form::Table => {
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let _ = out.write_all(view::table(&rows, colour).as_bytes());
        }
        Form::Metrics => {
            let _ = out.write_all(view::exposition(&rows).as_bytes());
        }
        Form::Lines | Form::Json => {}
    }
    Ok(0)
}

/// What svstat sees in `dir`, or daemontools' words for why it cannot; in
/// a table and the metrics, a directory where no supervise ever ran (no
/// `supervise/ok`) is one where none runs, not an error.
fn look(dir: &ServiceDir, form: Form) -> Result<Seen, String> {
    match dir.look() {
        Err(LookError::Ok(Errno::ENOENT)) if matches!(form, Form::Table | Form::Metrics) => {
            dir.normally_up().map(|normally_up| Seen::NotRunning { normally_up }).map_err(|e| LookError::Down(e).text())
        }
        seen => seen.map_err(|e| e.text()),
    }
}

/// The service's pid, where it runs.
fn running_pid(seen: &Result<Seen, String>) -> Option<u32> {
    match seen {
        Ok(Seen::Running { status, .. }) if status.pid != 0 => Some(status.pid),
        _ => None,
    }
}
