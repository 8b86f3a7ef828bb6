//! The operator's view of many services (issue 23): each directory's
//! figures ([`Row`]), made without a system call from what svstat read,
//! shown as a table (`svstat -l`) or in Prometheus' text exposition format
//! (`svstat -p`, for node_exporter's textfile collector or any scraper).

use crate::info::{Ending, Info};
use crate::status::{Status, Want};
use crate::svdir::Seen;
use crate::tai64::{self, Tai64N};
use crate::tree::Stats;

/// One directory as named on the command line, and what was found there.
#[derive(Clone, Debug, PartialEq)]
pub struct Row<'a> {
    pub dir: &'a [u8],
    pub found: Found,
}

/// What a directory holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    /// It could not be read: svstat's words for why.
    Error(String),
    /// No supervise runs there.
    NotRunning {
        normally_up: bool,
    },
    Running(Figures),
}

/// A supervised service's state, as the table names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Up,
    Paused,
    Down,
    /// Down, its `finish` (or what is left of its tree) still running.
    Finishing,
    /// Down for good: `restart-limit` reached, or `finish` exited 125 unasked.
    Failed,
    /// Up, its last check failed.
    Unhealthy,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Up => "up",
            State::Paused => "paused",
            State::Down => "down",
            State::Finishing => "finishing",
            State::Failed => "failed",
            State::Unhealthy => "unhealthy",
        }
    }
}

/// A supervised service's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figures {
    pub state: Option<State>,
    /// 0 when down.
    pub pid: u32,
    /// In the present state.
    pub seconds: u64,
    pub want_up: bool,
    pub normally_up: bool,
    pub restarts: Option<u32>,
    pub last: Option<Ending>,
    /// Where the service says when it is ready (notification-fd, check).
    pub ready: Option<bool>,
    /// Where it has `check`.
    pub healthy: Option<bool>,
    pub failed: bool,
    /// The service's (or its tree's) CPU time and memory, where known.
    pub stats: Option<Stats>,
}

impl Figures {
    /// What a status, our supervise's info (none with daemontools') and the
    /// service's process figures say at `now`.
    pub fn of(status: &Status, normally_up: bool, info: Option<&Info>, stats: Option<Stats>, now: Tai64N) -> Figures {
        let up = status.pid != 0;
        let check = info.and_then(|i| i.check).filter(|_| up);
        let failed = info.is_some_and(|i| i.failed);
        let state = match (up, status.paused, check.is_some_and(|c| c.unhealthy())) {
            (true, true, _) => State::Paused,
            (true, false, true) => State::Unhealthy,
            (true, false, false) => State::Up,
            (false, ..) if failed => State::Failed,
            (false, ..) if info.is_some_and(|i| i.finishing) => State::Finishing,
            (false, ..) => State::Down,
        };
        let ready = info.and_then(|i| i.ready).filter(|_| up).map(|r| r.is_some());
        Figures {
            state: Some(state),
            pid: status.pid,
            seconds: secs_between(status.stamp, now),
            want_up: status.want == Want::Up,
            normally_up,
            restarts: info.map(|i| i.restarts),
            last: info.and_then(|i| i.last_ending),
            ready,
            healthy: check.map(|c| c.healthy()),
            failed,
            stats: stats.filter(|s| up || s.processes > 0),
        }
    }
}

impl<'a> Row<'a> {
    /// The row of `dir` from what svstat saw there (`seen`, or why not),
    /// with the service's figures from /proc or its cgroup (`stats`).
    pub fn of(dir: &'a [u8], seen: Result<&Seen, &str>, stats: Option<Stats>, now: Tai64N) -> Row<'a> {
        let found = match seen {
            Err(why) => Found::Error(why.to_string()),
            Ok(Seen::NotRunning { normally_up }) => Found::NotRunning { normally_up: *normally_up },
            Ok(Seen::Running { normally_up, status, info }) => {
                Found::Running(Figures::of(status, *normally_up, info.as_ref(), stats, now))
            }
        };
        Row { dir, found }
    }
}

fn secs_between(then: Tai64N, now: Tai64N) -> u64 {
    (tai64::unix_secs(now) - tai64::unix_secs(then)).max(0) as u64
}

/// A duration as the table shows it: `45s`, `12m5s`, `3h4m`, `3d4h`.
pub fn human_secs(s: u64) -> String {
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// Bytes as the table shows them: `812K`, `12.3M`, `1.2G`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)];
    match UNITS.iter().find(|(_, size)| b >= *size) {
        Some((unit, size)) if b / size >= 100 => format!("{}{unit}", b / size),
        Some((unit, size)) => format!("{:.1}{unit}", b as f64 / *size as f64),
        None => format!("{b}B"),
    }
}

/// CPU time as the table shows it: `0.42s` under a minute, else [`human_secs`].
fn human_cpu(usec: u64) -> String {
    match usec / 1_000_000 {
        0..=59 => format!("{:.2}s", usec as f64 / 1e6),
        s => human_secs(s),
    }
}

/// A name made safe for one cell, as `ls -b` prints one: a backslash
/// before a space or a backslash, `\n` and `\t`, and `\ooo` for any other
/// control byte and for bytes that are not UTF-8.
pub fn escape(name: &[u8]) -> String {
    let mut out = String::new();
    for chunk in name.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                ' ' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                '\n' => out += "\\n",
                '\t' => out += "\\t",
                c if c.is_control() => out += &format!("\\{:03o}", c as u32),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out += &format!("\\{b:03o}");
        }
    }
    out
}

/// The table's columns.
const HEADER: [&str; 10] = ["SERVICE", "STATE", "PID", "UPTIME", "RESTARTS", "LAST", "READY", "CPU", "MEM", ""];

/// The cells of a row, and the words after them (an error's reason).
fn cells(row: &Row) -> ([String; 9], Option<State>, String) {
    let dash = || "-".to_string();
    let name = escape(row.dir);
    match &row.found {
        Found::Error(why) => {
            ([name, "error".into(), dash(), dash(), dash(), dash(), dash(), dash(), dash()], None, why.clone())
        }
        Found::NotRunning { .. } => {
            let not = "unsupervised".to_string();
            ([name, not, dash(), dash(), dash(), dash(), dash(), dash(), dash()], None, String::new())
        }
        Found::Running(f) => {
            let yes_no = |b: Option<bool>| b.map_or_else(dash, |b| if b { "yes" } else { "no" }.to_string());
            let last = match f.last {
                Some(Ending::Exit(code)) => code.to_string(),
                Some(Ending::Signal(sig)) => signal_name(sig),
                None => dash(),
            };
            let stats = f.stats;
            let row = [
                name,
                f.state.map_or_else(dash, |s| s.name().to_string()),
                if f.pid == 0 { dash() } else { f.pid.to_string() },
                if f.pid == 0 { dash() } else { human_secs(f.seconds) },
                f.restarts.map_or_else(dash, |r| r.to_string()),
                last,
                yes_no(f.ready),
                stats.and_then(|s| s.cpu_usec).map_or_else(dash, human_cpu),
                stats.and_then(|s| s.memory_bytes).map_or_else(dash, human_bytes),
            ];
            (row, f.state, String::new())
        }
    }
}

/// `SIGKILL`, or the number where the signal has no name here.
fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig).map_or_else(|_| format!("SIG{sig}"), |s| s.as_str().to_string())
}

/// The ANSI colour of a state: green up, yellow on the way, red failed.
fn colour_of(state: Option<State>) -> &'static str {
    match state {
        Some(State::Up) => "\x1b[32m",
        Some(State::Failed | State::Unhealthy) => "\x1b[31m",
        Some(State::Down | State::Finishing | State::Paused) => "\x1b[33m",
        None => "\x1b[31m",
    }
}

/// `svstat -l`: a header line, then a row per directory, the columns
/// left-aligned and two spaces apart; the STATE column coloured when
/// `colour` (a terminal, and no NO_COLOR). An error's reason follows its row.
pub fn table(rows: &[Row], colour: bool) -> String {
    let made: Vec<_> = rows.iter().map(cells).collect();
    let mut widths = [0usize; 9];
    for (i, w) in widths.iter_mut().enumerate() {
        let longest = made.iter().map(|(c, ..)| c[i].chars().count()).max().unwrap_or(0);
        *w = longest.max(HEADER[i].len());
    }
    let line = |cells: &[String; 9], state: Option<Option<State>>, tail: &str| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = " ".repeat(widths[i] - cell.chars().count());
            match (i, state) {
                (1, Some(s)) if colour => out += &format!("{}{cell}\x1b[0m{pad}", colour_of(s)),
                _ => out += &format!("{cell}{pad}"),
            }
            out += "  ";
        }
        out += tail;
        out.trim_end().to_string() + "\n"
    };
    let header: [String; 9] = std::array::from_fn(|i| HEADER[i].to_string());
    let mut out = line(&header, None, "");
    for (cells, state, tail) in &made {
        out += &line(cells, Some(*state), tail);
    }
    out
}

/// A label value in the exposition format: `\`, `"` and newline escaped;
/// bytes that are not UTF-8 replaced (the format is UTF-8).
fn label(dir: &[u8]) -> String {
    let mut out = String::new();
    for c in String::from_utf8_lossy(dir).chars() {
        match c {
            '\\' => out += "\\\\",
            '"' => out += "\\\"",
            '\n' => out += "\\n",
            c => out.push(c),
        }
    }
    out
}

/// One metric family: its name, type, help, and its value for a row (none:
/// no sample for that row).
type Family = (&'static str, &'static str, &'static str, fn(&Found) -> Option<f64>);

fn running(found: &Found) -> Option<&Figures> {
    match found {
        Found::Running(f) => Some(f),
        _ => None,
    }
}

fn flag(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// The families `svstat -p` writes, after node_exporter's runit collector
/// (`node_service_state`, `desired_state`, `normal_state`).
const FAMILIES: [Family; 14] = [
    ("daemontools_service_error", "gauge", "Whether the service directory could not be read (1) or could (0).", |f| {
        Some(flag(matches!(f, Found::Error(_))))
    }),
    ("daemontools_service_supervised", "gauge", "Whether a supervise runs for the service directory.", |f| {
        Some(flag(matches!(f, Found::Running(_))))
    }),
    ("daemontools_service_up", "gauge", "Whether the service is running (has a pid).", |f| {
        running(f).map(|f| flag(f.pid != 0))
    }),
    ("daemontools_service_state", "gauge", "The service's state: 0 down, 1 up, 2 finishing.", |f| {
        running(f).map(|f| match f.state {
            Some(State::Finishing) => 2.0,
            _ => flag(f.pid != 0),
        })
    }),
    ("daemontools_service_desired_up", "gauge", "Whether supervise wants the service up.", |f| {
        running(f).map(|f| flag(f.want_up))
    }),
    ("daemontools_service_normally_up", "gauge", "Whether the service is normally up (no ./down file).", |f| match f {
        Found::Running(f) => Some(flag(f.normally_up)),
        Found::NotRunning { normally_up } => Some(flag(*normally_up)),
        Found::Error(_) => None,
    }),
    ("daemontools_service_state_seconds", "gauge", "Seconds since the service's pid last changed.", |f| {
        running(f).map(|f| f.seconds as f64)
    }),
    (
        "daemontools_service_restarts_total",
        "counter",
        "Starts of the service since its supervise started, the first excluded.",
        |f| running(f).and_then(|f| f.restarts).map(f64::from),
    ),
    (
        "daemontools_service_last_exit_code",
        "gauge",
        "The exit code of the service's last run; 128 plus the signal when killed.",
        |f| running(f).and_then(|f| f.last).map(|l| f64::from(l.code())),
    ),
    (
        "daemontools_service_ready",
        "gauge",
        "Whether the service said it is ready (notification-fd or check), where it can.",
        |f| running(f).and_then(|f| f.ready).map(flag),
    ),
    (
        "daemontools_service_healthy",
        "gauge",
        "Whether the service's last health check passed, where it has one.",
        |f| running(f).and_then(|f| f.healthy).map(flag),
    ),
    (
        "daemontools_service_cpu_seconds_total",
        "counter",
        "User and system CPU time of the service (its whole tree with tree).",
        |f| running(f).and_then(|f| f.stats?.cpu_usec).map(|u| u as f64 / 1e6),
    ),
    ("daemontools_service_memory_bytes", "gauge", "Resident memory of the service (its whole tree with tree).", |f| {
        running(f).and_then(|f| f.stats?.memory_bytes).map(|b| b as f64)
    }),
    (
        "daemontools_service_failed",
        "gauge",
        "Whether the service failed for good (restart-limit, or finish exited 125 unasked).",
        |f| running(f).map(|f| flag(f.failed)),
    ),
];

/// `svstat -p`: every family with its HELP and TYPE lines, then a sample
/// per directory that has a value, labelled `service` (the directory as
/// named).
pub fn exposition(rows: &[Row]) -> String {
    let mut out = String::new();
    for (name, kind, help, value) in &FAMILIES {
        let samples: Vec<String> = rows
            .iter()
            .filter_map(|r| value(&r.found).map(|v| format!("{name}{{service=\"{}\"}} {v}\n", label(r.dir))))
            .collect();
        if samples.is_empty() {
            continue;
        }
        out += &format!("# HELP {name} {help}\n# TYPE {name} {kind}\n");
        out += &samples.concat();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::info::Checked;

    const NOW: u64 = 1_700_000_000;

    fn at(secs: u64) -> Tai64N {
        tai64::from_system_time(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
    }

    fn status(pid: u32, since: u64) -> Status {
        Status { stamp: at(since), pid, paused: false, want: Want::Up }
    }

    #[test]
    fn durations_and_sizes_are_short() {
        assert_eq!(
            [0, 45, 60, 725, 3600, 11_040, 86_400, 273_600].map(human_secs),
            ["0s", "45s", "1m0s", "12m5s", "1h0m", "3h4m", "1d0h", "3d4h"]
        );
        assert_eq!(
            [0, 1023, 1024, 831_488, 12_897_485, 1 << 30, 150 << 20].map(human_bytes),
            ["0B", "1023B", "1.0K", "812K", "12.3M", "1.0G", "150M"]
        );
        assert_eq!(human_cpu(420_000), "0.42s");
        assert_eq!(human_cpu(125_000_000), "2m5s");
    }

    #[test]
    fn names_are_escaped_as_ls_b_does() {
        assert_eq!(escape(b"web"), "web");
        assert_eq!(escape(b"my service"), "my\\ service");
        assert_eq!(escape(b"a\nb\tc\\d"), "a\\nb\\tc\\\\d");
        assert_eq!(escape(b"x\x01\xffy"), "x\\001\\377y");
        assert_eq!(escape("café".as_bytes()), "café");
    }

    #[test]
    fn states_from_status_and_info() {
        let now = at(NOW);
        let up = Figures::of(&status(42, NOW - 725), true, Some(&Info::default()), None, now);
        assert_eq!((up.state, up.seconds, up.ready, up.healthy), (Some(State::Up), 725, None, None));
        let checked = Info { check: Some(Checked { failures: 2, last: Some(now) }), ..Info::default() };
        assert_eq!(Figures::of(&status(42, NOW), true, Some(&checked), None, now).state, Some(State::Unhealthy));
        let failed = Info { failed: true, last_ending: Some(Ending::Exit(3)), ..Info::default() };
        assert_eq!(Figures::of(&status(0, NOW), true, Some(&failed), None, now).state, Some(State::Failed));
        let finishing = Info { finishing: true, ..Info::default() };
        assert_eq!(Figures::of(&status(0, NOW), true, Some(&finishing), None, now).state, Some(State::Finishing));
        let paused = Status { paused: true, ..status(42, NOW) };
        assert_eq!(Figures::of(&paused, true, None, None, now).state, Some(State::Paused));
        let waiting = Info { ready: Some(None), ..Info::default() };
        assert_eq!(Figures::of(&status(42, NOW), true, Some(&waiting), None, now).ready, Some(false));
    }

    fn rows() -> Vec<Row<'static>> {
        let now = at(NOW);
        let stats = Stats { processes: 3, cpu_usec: Some(1_500_000), memory_bytes: Some(12_897_485) };
        let info =
            Info { restarts: 7, last_ending: Some(Ending::Signal(9)), ready: Some(Some(now)), ..Info::default() };
        vec![
            Row {
                dir: b"web",
                found: Found::Running(Figures::of(&status(4242, NOW - 11_040), true, Some(&info), Some(stats), now)),
            },
            Row { dir: b"my db", found: Found::Running(Figures::of(&status(0, NOW - 3), false, None, None, now)) },
            Row { dir: b"idle", found: Found::NotRunning { normally_up: true } },
            Row { dir: b"gone", found: Found::Error("unable to chdir: file does not exist".into()) },
        ]
    }

    #[test]
    fn the_table_is_aligned_and_coloured_only_when_asked() {
        let table = table(&rows(), false);
        assert_eq!(
            table,
            "SERVICE  STATE         PID   UPTIME  RESTARTS  LAST     READY  CPU    MEM\n\
             web      up            4242  3h4m    7         SIGKILL  yes    1.50s  12.3M\n\
             my\\ db   down          -     -       -         -        -      -      -\n\
             idle     unsupervised  -     -       -         -        -      -      -\n\
             gone     error         -     -       -         -        -      -      -      unable to chdir: file does not exist\n"
        );
        let coloured = super::table(&rows(), true);
        assert!(coloured.contains("\x1b[32mup\x1b[0m"), "{coloured}");
        assert!(coloured.starts_with("SERVICE  STATE"), "no colour in the header");
    }

    #[test]
    fn the_exposition_groups_families_and_escapes_labels() {
        let mut rows = rows();
        rows.push(Row { dir: b"q\"x\\y\nz", found: Found::NotRunning { normally_up: false } });
        let text = exposition(&rows);
        assert!(text.starts_with("# HELP daemontools_service_error "), "{text}");
        assert!(text.contains(
            "\ndaemontools_service_up{service=\"web\"} 1\ndaemontools_service_up{service=\"my db\"} 0\n# HELP"
        ));
        assert!(text.contains("daemontools_service_last_exit_code{service=\"web\"} 137\n"));
        assert!(text.contains("daemontools_service_cpu_seconds_total{service=\"web\"} 1.5\n"));
        assert!(text.contains("daemontools_service_supervised{service=\"q\\\"x\\\\y\\nz\"} 0\n"));
        assert!(!text.contains("daemontools_service_healthy"), "no family without a sample");
        // Every family's HELP and TYPE come once, before its samples.
        for line in text.lines().filter(|l| l.starts_with("# TYPE")) {
            let name = line.split(' ').nth(2).unwrap();
            assert_eq!(text.matches(&format!("# TYPE {name} ")).count(), 1);
        }
    }
}
