//! `supervise/info` and `svstat -j`: the one codec for each.
//!
//! `supervise/info` is what our supervise tells beside the 18-byte status
//! ([`crate::status`]): one `name value` line each, `-` for none, written
//! at every change and read by svc, svstat, svscan and `svc -w`. Its lines
//! are ours (daemontools has no such file); readers skip lines they do not
//! know, so lines may be added at the end.
//!
//! `svstat -j` prints one JSON object a service directory, built by
//! [`json`] from what svstat found there ([`crate::svdir::Seen`]).

use crate::status::{Status, Want};
use crate::svdir::Seen;
use crate::tai64::{self, Tai64N};

/// How a process ended: its exit code, or the signal that killed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    Exit(i32),
    Signal(i32),
}

impl Ending {
    /// From a wait status.
    pub fn from_wait(status: libc::c_int) -> Ending {
        if libc::WIFSIGNALED(status) {
            Ending::Signal(libc::WTERMSIG(status))
        } else {
            Ending::Exit(libc::WEXITSTATUS(status))
        }
    }

    /// As a shell gives it: the exit code, or 128 + the signal that killed it.
    pub fn code(self) -> i32 {
        match self {
            Ending::Exit(code) => code,
            Ending::Signal(sig) => 128 + sig,
        }
    }

    /// `./finish`'s first two arguments: the exit code (256 when killed by a signal) and the signal (or 0).
    pub fn finish_args(self) -> (i32, i32) {
        match self {
            Ending::Exit(code) => (code, 0),
            Ending::Signal(sig) => (256, sig),
        }
    }
}

/// What `supervise/info` tells beside the 18-byte status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Info {
    /// The pid the status says, so that an info left by another supervise is not believed.
    pub pid: u32,
    pub finishing: bool,
    pub last_ending: Option<Ending>,
    /// Starts since supervise started, the first excluded.
    pub restarts: u32,
    /// `restart-limit` was reached: the service stays down until `svc -u`.
    pub failed: bool,
    /// The wait before the next restart under `restart-backoff-max`, in seconds.
    pub backoff_seconds: u64,
    /// For a service with `notification-fd`: since when it is ready (`Some(None)`: not yet).
    pub ready: Option<Option<Tai64N>>,
    /// What supervise wants of the service, as the status says: here too so
    /// that one read of this file gives a consistent picture.
    pub want: Want,
    /// A start is due (after the one-second spacing, the back-off or `./finish`).
    pub start_pending: bool,
    /// Control letters acted on since this supervise started (garbage bytes
    /// not counted): `svc -w` judges a goal out of reach only once the
    /// count shows that its own letters were taken in.
    pub letters: u64,
    /// For a running service with `check`: how its checks went.
    pub check: Option<Checked>,
}

/// How a running service's health checks went (`check`): one more line of
/// `supervise/info`, `check FAILURES LAST` (LAST the TAI64N label of when
/// the last check of this run ended, `-` before the first), written only
/// for a service that has `check`, so that without it the file is as it was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// Failures in a row (0 after a pass).
    pub failures: u32,
    /// When the last check of this run ended; None before the first.
    pub last: Option<Tai64N>,
}

impl Checked {
    /// Healthy: its last check passed. Not before the first check ends.
    pub fn healthy(&self) -> bool {
        self.last.is_some() && self.failures == 0
    }

    /// Unhealthy: its last check (and maybe more before it) failed.
    pub fn unhealthy(&self) -> bool {
        self.failures > 0
    }
}

impl Info {
    /// The text of `supervise/info`: one `name value` line each, `-` for none.
    pub fn pack(&self) -> Vec<u8> {
        let (code, sig) = match self.last_ending {
            Some(e) => {
                let (c, s) = e.finish_args();
                (c.to_string(), s.to_string())
            }
            None => ("-".into(), "-".into()),
        };
        let ready = match self.ready {
            None => "-".to_string(),
            Some(None) => "0".to_string(),
            Some(Some(t)) => String::from_utf8_lossy(&tai64::fmt_label(t)).into_owned(),
        };
        let check = match self.check {
            Some(c) => {
                let last =
                    c.last.map_or("-".to_string(), |t| String::from_utf8_lossy(&tai64::fmt_label(t)).into_owned());
                format!("check {} {last}\n", c.failures)
            }
            None => String::new(),
        };
        format!(
            "pid {}\nfinishing {}\nlast_exit_code {code}\nlast_signal {sig}\nrestarts {}\nfailed {}\nbackoff {}\nready {ready}\nwant {}\nstart_pending {}\nletters {}\n{check}",
            self.pid,
            u8::from(self.finishing),
            self.restarts,
            u8::from(self.failed),
            self.backoff_seconds,
            self.want.name(),
            u8::from(self.start_pending),
            self.letters,
        )
        .into_bytes()
    }

    /// Reads what [`Info::pack`] wrote; lines it does not know are skipped.
    pub fn unpack(text: &[u8]) -> Option<Info> {
        let text = std::str::from_utf8(text).ok()?;
        let mut info = Info::default();
        let (mut code, mut sig) = (None, None);
        for line in text.lines() {
            let (name, value) = line.split_once(' ')?;
            match name {
                "pid" => info.pid = value.parse().ok()?,
                "finishing" => info.finishing = value == "1",
                "last_exit_code" => code = value.parse::<i32>().ok(),
                "last_signal" => sig = value.parse::<i32>().ok(),
                "restarts" => info.restarts = value.parse().ok()?,
                "failed" => info.failed = value == "1",
                "backoff" => info.backoff_seconds = value.parse().ok()?,
                "want" => info.want = Want::from_name(value)?,
                "start_pending" => info.start_pending = value == "1",
                "letters" => info.letters = value.parse().ok()?,
                "ready" if value == "0" => info.ready = Some(None),
                "ready" => info.ready = tai64::parse_label(value.as_bytes()).map(Some),
                "check" => info.check = Checked::unpack(value),
                _ => {}
            }
        }
        info.last_ending = match (code, sig) {
            (Some(256), Some(s)) => Some(Ending::Signal(s)),
            (Some(c), _) => Some(Ending::Exit(c)),
            _ => None,
        };
        Some(info)
    }
}

impl Checked {
    /// The value of a `check` line: `FAILURES LAST`.
    fn unpack(value: &str) -> Option<Checked> {
        let (failures, last) = value.split_once(' ')?;
        let last = match last {
            "-" => None,
            label => Some(tai64::parse_label(label.as_bytes())?),
        };
        Some(Checked { failures: failures.parse().ok()?, last })
    }
}

/// Where a service's whole tree is (`tree`), as supervise tells it in one
/// more line of `supervise/info`: `tree cgroup PATH` or `tree process-group
/// PGID`. Written apart from [`Info`] (which the state machine makes): the
/// binary appends [`TreeAt::line`] after [`Info::pack`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeAt {
    Cgroup(std::path::PathBuf),
    Group(u32),
}

impl TreeAt {
    /// The line, newline included.
    pub fn line(&self) -> Vec<u8> {
        use std::os::unix::ffi::OsStrExt;
        match self {
            TreeAt::Cgroup(path) => [&b"tree cgroup "[..], path.as_os_str().as_bytes(), b"\n"].concat(),
            TreeAt::Group(pgid) => format!("tree process-group {pgid}\n").into_bytes(),
        }
    }

    /// The tree line of an info file, if any.
    pub fn of(text: &[u8]) -> Option<TreeAt> {
        use std::os::unix::ffi::OsStrExt;
        let line = text.split(|&b| b == b'\n').find_map(|l| l.strip_prefix(b"tree "))?;
        if let Some(path) = line.strip_prefix(b"cgroup ") {
            return Some(TreeAt::Cgroup(std::ffi::OsStr::from_bytes(path).into()));
        }
        let pgid = std::str::from_utf8(line.strip_prefix(b"process-group ")?).ok()?.parse().ok()?;
        Some(TreeAt::Group(pgid))
    }

    /// `containment` as `svstat -j` says it.
    pub fn kind(&self) -> &'static str {
        match self {
            TreeAt::Cgroup(_) => "cgroup",
            TreeAt::Group(_) => "process-group",
        }
    }
}

/// The needed services a start waits for (`needs/`), as supervise tells
/// it in one more line of `supervise/info` while it waits: `waiting_for
/// NAME...`, the names of their links in `needs/` (a byte that is not
/// printable, a space or `%` written `%HH`; `-` for none). Written apart
/// from [`Info`], by the binary (which knows the names), and only while
/// the start waits: without `needs/`, the file is as it was.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WaitingFor(pub Vec<Vec<u8>>);

impl WaitingFor {
    /// The line, newline included.
    pub fn line(&self) -> Vec<u8> {
        let mut out = b"waiting_for".to_vec();
        for name in &self.0 {
            out.push(b' ');
            for &b in name {
                match b {
                    b'!'..=b'~' if b != b'%' => out.push(b),
                    b => out.extend(format!("%{b:02X}").bytes()),
                }
            }
        }
        if self.0.is_empty() {
            out.extend(b" -");
        }
        out.push(b'\n');
        out
    }

    /// The `waiting_for` line of an info file, if any.
    pub fn of(text: &[u8]) -> Option<WaitingFor> {
        let line = text.split(|&b| b == b'\n').find_map(|l| l.strip_prefix(b"waiting_for "))?;
        if line == b"-" {
            return Some(WaitingFor::default());
        }
        line.split(|&b| b == b' ').map(unescape).collect::<Option<Vec<_>>>().map(WaitingFor)
    }

    /// What plain svstat adds after daemontools' text: `, waiting for NAME ...`.
    pub fn describe(&self) -> String {
        let names: Vec<String> = self.0.iter().map(|n| String::from_utf8_lossy(n).into_owned()).collect();
        format!(", waiting for {}", names.join(" "))
    }
}

/// A name of a `waiting_for` line, its `%HH` read back.
fn unescape(word: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(word.len());
    let mut bytes = word.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'%' => {
                let hex = [*bytes.next()?, *bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            b => out.push(b),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `svstat -j`'s `waiting_for`: the names, or `null` when no start waits.
fn waiting_json(waiting: Option<&WaitingFor>) -> String {
    match waiting {
        Some(w) => {
            let names: Vec<String> = w.0.iter().map(|n| json_str(n)).collect();
            format!("\"waiting_for\":[{}]", names.join(","))
        }
        None => "\"waiting_for\":null".to_string(),
    }
}

/// `svstat -j`'s fields for a service's tree, `null` without one:
/// `containment`, `processes`, `cpu_seconds`, `memory_bytes`.
fn tree_json(tree: Option<(&TreeAt, crate::tree::Stats)>) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "null".to_string());
    let (kind, stats) = match tree {
        Some((at, stats)) => (Some(format!("\"{}\"", at.kind())), Some(stats)),
        None => (None, None),
    };
    format!(
        "\"containment\":{},\"processes\":{},\"cpu_seconds\":{},\"memory_bytes\":{}",
        opt(kind),
        opt(stats.map(|s| s.processes.to_string())),
        opt(stats.and_then(|s| s.cpu_usec).map(|u| format!("{}.{:06}", u / 1_000_000, u % 1_000_000))),
        opt(stats.and_then(|s| s.memory_bytes).map(|b| b.to_string())),
    )
}

/// `svstat -j`'s line for `dir` (without its newline): one JSON object,
/// `dir` first, every field present (`null` where it does not apply), the
/// seconds counted up to `now`. `seen` is what svstat found there
/// ([`crate::svdir::ServiceDir::look`]: a supervise's status and its info
/// when it speaks of the same pid, or no supervise), or what went wrong in
/// daemontools' words (`unable to chdir: file does not exist`). `waiting`:
/// what a start waits for, shown only while the service is down under a
/// supervise that runs.
pub fn json(
    dir: &[u8],
    seen: Result<&Seen, &str>,
    tree: Option<(&TreeAt, crate::tree::Stats)>,
    waiting: Option<&WaitingFor>,
    now: Tai64N,
) -> String {
    let fields = match seen {
        Ok(Seen::Running { normally_up, status, info }) => json_status(status, *normally_up, *info, now),
        Ok(Seen::NotRunning { normally_up }) => json_without_status("not running", Some(*normally_up), None),
        Err(text) => json_without_status("error", None, Some(text)),
    };
    let check = match seen {
        Ok(Seen::Running { status, info: Some(info), .. }) if status.pid != 0 => info.check,
        _ => None,
    };
    let waiting = seen.ok().and_then(|s| s.waits(waiting));
    format!(
        "{{\"dir\":{},{fields},{},{},{}}}",
        json_str(dir),
        tree_json(tree),
        check_json(check, now),
        waiting_json(waiting)
    )
}

/// `svstat -j`'s fields for a running service's health checks, `null`
/// without `check`: `healthy` (its last check passed; false before the
/// first), `check_failures` (in a row), `last_check_seconds` (since the
/// last check ended).
fn check_json(check: Option<Checked>, now: Tai64N) -> String {
    let Some(c) = check else {
        return "\"healthy\":null,\"check_failures\":null,\"last_check_seconds\":null".to_string();
    };
    let last = c.last.map_or("null".to_string(), |t| (tai64::unix_secs(now) - tai64::unix_secs(t)).max(0).to_string());
    format!("\"healthy\":{},\"check_failures\":{},\"last_check_seconds\":{last}", c.healthy(), c.failures)
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

/// The JSON fields after `"dir":...` for a supervised service.
fn json_status(status: &Status, normally_up: bool, info: Option<Info>, now: Tai64N) -> String {
    let normally = if normally_up { "up" } else { "down" };
    let state = match (status.pid, info) {
        (0, Some(Info { finishing: true, .. })) => "finishing",
        (0, _) => "down",
        _ => "up",
    };
    let pid = if status.pid == 0 { "null".to_string() } else { status.pid.to_string() };
    let (code, sig) = match info.and_then(|i| i.last_ending) {
        Some(Ending::Exit(c)) => (c.to_string(), "null".to_string()),
        Some(Ending::Signal(s)) => ("null".to_string(), s.to_string()),
        None => ("null".to_string(), "null".to_string()),
    };
    let restarts = info.map_or("null".to_string(), |i| i.restarts.to_string());
    let backoff = info.map_or(0, |i| i.backoff_seconds);
    let failed = info.is_some_and(|i| i.failed);
    let (ready, ready_seconds) = match info.and_then(|i| i.ready).filter(|_| status.pid != 0) {
        None => ("null".to_string(), "null".to_string()),
        Some(None) => ("false".to_string(), "null".to_string()),
        Some(Some(t)) => ("true".to_string(), (tai64::unix_secs(now) - tai64::unix_secs(t)).max(0).to_string()),
    };
    format!(
        "\"state\":\"{state}\",\"pid\":{pid},\"seconds\":{},\"want\":\"{}\",\"paused\":{},\"normally\":\"{normally}\",\
         \"ready\":{ready},\"ready_seconds\":{ready_seconds},\"last_exit_code\":{code},\"last_signal\":{sig},\"restarts\":{restarts},\
         \"backoff_seconds\":{backoff},\"failed\":{failed},\"error\":null",
        status.seconds_since(now),
        status.want.name(),
        status.pid != 0 && status.paused,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tai64::Tai64;

    /// 2023-11-14 22:13:20 UTC, as daemontools labels it.
    const T: Tai64N = Tai64N(Tai64((1 << 62) + 10 + 1_700_000_000), 0);

    fn at(unix: i64) -> Tai64N {
        Tai64N(Tai64::from_unix(unix), 0)
    }

    fn full() -> Info {
        Info {
            pid: 42,
            finishing: true,
            last_ending: Some(Ending::Signal(9)),
            restarts: 7,
            failed: true,
            backoff_seconds: 8,
            ready: Some(Some(T)),
            want: Want::Nothing,
            start_pending: true,
            letters: u64::MAX,
            check: None,
        }
    }

    #[test]
    fn info_golden_bytes() {
        assert_eq!(
            full().pack(),
            b"pid 42\nfinishing 1\nlast_exit_code 256\nlast_signal 9\nrestarts 7\nfailed 1\nbackoff 8\n\
              ready @400000006553f10a00000000\nwant once\nstart_pending 1\nletters 18446744073709551615\n"
        );
        assert_eq!(
            Info::default().pack(),
            b"pid 0\nfinishing 0\nlast_exit_code -\nlast_signal -\nrestarts 0\nfailed 0\nbackoff 0\n\
              ready -\nwant up\nstart_pending 0\nletters 0\n"
        );
        let info = Info { last_ending: Some(Ending::Exit(3)), ready: Some(None), want: Want::Down, ..Info::default() };
        let text = String::from_utf8(info.pack()).unwrap();
        assert!(text.contains("\nlast_exit_code 3\nlast_signal 0\n"), "{text}");
        assert!(text.contains("\nready 0\nwant down\n"), "{text}");
    }

    #[test]
    fn info_round_trips_and_skips_unknown_lines() {
        for info in [
            full(),
            Info {
                pid: 0,
                finishing: false,
                last_ending: Some(Ending::Exit(3)),
                restarts: 0,
                failed: false,
                backoff_seconds: 0,
                ready: Some(None),
                want: Want::Down,
                start_pending: false,
                letters: 3,
                check: Some(Checked { failures: 2, last: Some(T) }),
            },
            Info { check: Some(Checked::default()), ..Info::default() },
            Info::default(),
        ] {
            assert_eq!(Info::unpack(&info.pack()), Some(info));
        }
        assert_eq!(Info::unpack(b"garbage"), None);
        assert_eq!(Info::unpack(b"pid 7\nnew_field 1 2\n"), Some(Info { pid: 7, ..Info::default() }));
        assert_eq!(Info::unpack(b"pid x\n"), None);
        assert_eq!(Info::unpack(b"want sideways\n"), None);
        assert_eq!(Info::unpack(b"\xff"), None);
    }

    #[test]
    fn ending_from_wait_and_finish_args() {
        assert_eq!(Ending::from_wait(3 << 8), Ending::Exit(3));
        assert_eq!(Ending::from_wait(libc::SIGKILL), Ending::Signal(libc::SIGKILL));
        assert_eq!(Ending::Exit(3).finish_args(), (3, 0));
        assert_eq!(Ending::Signal(15).finish_args(), (256, 15));
    }

    fn status(pid: u32, since: i64, want: Want, paused: bool) -> Status {
        Status { stamp: at(since), pid, paused, want }
    }

    #[test]
    fn json_golden_lines() {
        let now = at(1_700_000_100);
        // Plain daemontools service, up 100 seconds, no info.
        let seen = Seen::Running { status: status(42, 1_700_000_000, Want::Up, false), normally_up: true, info: None };
        assert_eq!(
            json(b"web", Ok(&seen), None, None, now),
            r#"{"dir":"web","state":"up","pid":42,"seconds":100,"want":"up","paused":false,"normally":"up","ready":null,"ready_seconds":null,"last_exit_code":null,"last_signal":null,"restarts":null,"backoff_seconds":0,"failed":false,"error":null,"containment":null,"processes":null,"cpu_seconds":null,"memory_bytes":null,"healthy":null,"check_failures":null,"last_check_seconds":null,"waiting_for":null}"#
        );
        // Up and paused, normally down, ready 40 seconds, killed once before.
        let info = Info {
            pid: 42,
            last_ending: Some(Ending::Signal(9)),
            restarts: 3,
            backoff_seconds: 4,
            ready: Some(Some(at(1_700_000_060))),
            ..Info::default()
        };
        let seen =
            Seen::Running { status: status(42, 1_700_000_000, Want::Up, true), normally_up: false, info: Some(info) };
        assert_eq!(
            json(b"web", Ok(&seen), None, None, now),
            r#"{"dir":"web","state":"up","pid":42,"seconds":100,"want":"up","paused":true,"normally":"down","ready":true,"ready_seconds":40,"last_exit_code":null,"last_signal":9,"restarts":3,"backoff_seconds":4,"failed":false,"error":null,"containment":null,"processes":null,"cpu_seconds":null,"memory_bytes":null,"healthy":null,"check_failures":null,"last_check_seconds":null,"waiting_for":null}"#
        );
        // Up, not ready yet; run once.
        let info = Info { pid: 42, ready: Some(None), want: Want::Nothing, ..Info::default() };
        let seen = Seen::Running {
            status: status(42, 1_700_000_000, Want::Nothing, false),
            normally_up: true,
            info: Some(info),
        };
        assert_eq!(
            json(b"web", Ok(&seen), None, None, now),
            r#"{"dir":"web","state":"up","pid":42,"seconds":100,"want":"once","paused":false,"normally":"up","ready":false,"ready_seconds":null,"last_exit_code":null,"last_signal":null,"restarts":0,"backoff_seconds":0,"failed":false,"error":null,"containment":null,"processes":null,"cpu_seconds":null,"memory_bytes":null,"healthy":null,"check_failures":null,"last_check_seconds":null,"waiting_for":null}"#
        );
        // Down while ./finish runs: paused and ready are not shown without a pid.
        let info = Info { finishing: true, last_ending: Some(Ending::Exit(3)), ready: Some(None), ..Info::default() };
        let seen =
            Seen::Running { status: status(0, 1_700_000_099, Want::Up, true), normally_up: true, info: Some(info) };
        assert_eq!(
            json(b"fin", Ok(&seen), None, None, now),
            r#"{"dir":"fin","state":"finishing","pid":null,"seconds":1,"want":"up","paused":false,"normally":"up","ready":null,"ready_seconds":null,"last_exit_code":3,"last_signal":null,"restarts":0,"backoff_seconds":0,"failed":false,"error":null,"containment":null,"processes":null,"cpu_seconds":null,"memory_bytes":null,"healthy":null,"check_failures":null,"last_check_seconds":null,"waiting_for":null}"#
        );
        // Down and failed by restart-limit; a stamp in the future counts 0.
        let info = Info { failed: true, want: Want::Down, ..Info::default() };
        let seen =
            Seen::Running { status: status(0, 1_700_000_200, Want::Down, false), normally_up: true, info: Some(info) };
        assert_eq!(
            json(b"dead", Ok(&seen), None, None, now),
            r#"{"dir":"dead","state":"down","pid":null,"seconds":0,"want":"down","paused":false,"normally":"up","ready":null,"ready_seconds":null,"last_exit_code":null,"last_signal":null,"restarts":0,"backoff_seconds":0,"failed":true,"error":null,"containment":null,"processes":null,"cpu_seconds":null,"memory_bytes":null,"healthy":null,"check_failures":null,"last_check_seconds":null,"waiting_for":null}"#
        );
        // A ready stamp after now counts 0.
        let info = Info { pid: 7, ready: Some(Some(at(1_700_000_500))), ..Info::default() };
        let seen =
            Seen::Running { status: status(7, 1_700_000_000, Want::Up, false), normally_up: true, info: Some(info) };
        assert!(json(b"x", Ok(&seen), None, None, now).contains(r#""ready":true,"ready_seconds":0,"#));
    }

    #[test]
    fn json_without_a_status() {
        let now = at(1_700_000_100);
        assert_eq!(
            json(b"idle", Ok(&Seen::NotRunning { normally_up: false }), None, None, now),
            r#"{"dir":"idle","state":"not running","pid":null,"seconds":null,"want":null,"paused":false,"normally":"down","ready":null,"ready_seconds":null,"last_exit_code":null,"last_signal":null,"restarts":null,"backoff_seconds":null,"failed":null,"error":null,"containment":null,"processes":null,"cpu_seconds":null,"memory_bytes":null,"healthy":null,"check_failures":null,"last_check_seconds":null,"waiting_for":null}"#
        );
        assert_eq!(
            json(b"nonexistent", Err("unable to chdir: file does not exist"), None, None, now),
            r#"{"dir":"nonexistent","state":"error","pid":null,"seconds":null,"want":null,"paused":false,"normally":null,"ready":null,"ready_seconds":null,"last_exit_code":null,"last_signal":null,"restarts":null,"backoff_seconds":null,"failed":null,"error":"unable to chdir: file does not exist","containment":null,"processes":null,"cpu_seconds":null,"memory_bytes":null,"healthy":null,"check_failures":null,"last_check_seconds":null,"waiting_for":null}"#
        );
    }

    #[test]
    fn json_strings_are_escaped() {
        let line = json(b"a\"b\\c\nd\xffe", Err("tab\there"), None, None, at(0));
        assert!(line.starts_with(r#"{"dir":"a\"b\\c\u000ad�e","state":"error","#), "{line}");
        assert!(line.contains(r#""error":"tab\u0009here","containment":null"#), "{line}");
    }

    #[test]
    fn the_tree_line_round_trips_beside_the_info_lines() {
        let cg = TreeAt::Cgroup("/sys/fs/cgroup/unified/web.1234".into());
        assert_eq!(cg.line(), b"tree cgroup /sys/fs/cgroup/unified/web.1234\n");
        let text = [&b"want up\n"[..], &cg.line(), b"restarts 2\n"].concat();
        assert_eq!(TreeAt::of(&text), Some(cg));
        assert_eq!(Info::unpack(&text).map(|i| i.restarts), Some(2), "the tree line is skipped by Info");
        assert_eq!(TreeAt::of(&TreeAt::Group(42).line()), Some(TreeAt::Group(42)));
        assert_eq!(TreeAt::of(b"want up\n"), None);
        assert_eq!(TreeAt::of(b"tree process-group x\n"), None);
        assert_eq!(TreeAt::of(b"tree sideways\n"), None);
    }

    #[test]
    fn json_tells_the_tree_when_there_is_one() {
        let seen = Seen::NotRunning { normally_up: true };
        let stats = crate::tree::Stats { processes: 3, cpu_usec: Some(1_500_000), memory_bytes: Some(4096) };
        let line = json(b"web", Ok(&seen), Some((&TreeAt::Group(7), stats)), None, at(0));
        assert!(
            line.ends_with(
                r#""containment":"process-group","processes":3,"cpu_seconds":1.500000,"memory_bytes":4096,"healthy":null,"check_failures":null,"last_check_seconds":null,"waiting_for":null}"#
            ),
            "{line}"
        );
        let none = crate::tree::Stats { processes: 0, cpu_usec: None, memory_bytes: None };
        let line = json(b"web", Ok(&seen), Some((&TreeAt::Cgroup("/x".into()), none)), None, at(0));
        assert!(
            line.ends_with(r#""containment":"cgroup","processes":0,"cpu_seconds":null,"memory_bytes":null,"healthy":null,"check_failures":null,"last_check_seconds":null,"waiting_for":null}"#),
            "{line}"
        );
    }

    #[test]
    fn the_check_line_comes_last_and_only_with_check() {
        let info = Info { check: Some(Checked { failures: 2, last: Some(T) }), ..Info::default() };
        let text = info.pack();
        assert_eq!(text, [&Info::default().pack()[..], b"check 2 @400000006553f10a00000000\n"].concat());
        let info = Info { check: Some(Checked::default()), ..Info::default() };
        assert!(info.pack().ends_with(b"\nletters 0\ncheck 0 -\n"));
        // Old readers skip it; a bad one is no check, the rest is read.
        assert_eq!(Info::unpack(b"pid 7\ncheck x -\n"), Some(Info { pid: 7, ..Info::default() }));
        assert_eq!(Info::unpack(b"check 1\n").map(|i| i.check), Some(None));
        assert_eq!(Info::unpack(b"check 1 @bad\n").map(|i| i.check), Some(None));
        // Before the tree line, both read.
        let text = [&info.pack()[..], &TreeAt::Group(9).line()].concat();
        assert_eq!((Info::unpack(&text), TreeAt::of(&text)), (Some(info), Some(TreeAt::Group(9))));
    }

    #[test]
    fn healthy_is_a_last_check_that_passed() {
        let at = Some(T);
        assert!(Checked { failures: 0, last: at }.healthy());
        assert!(!Checked { failures: 0, last: None }.healthy(), "not before the first check");
        assert!(!Checked { failures: 0, last: None }.unhealthy());
        assert!(!Checked { failures: 1, last: at }.healthy() && Checked { failures: 1, last: at }.unhealthy());
    }

    #[test]
    fn json_tells_the_checks_of_a_running_service() {
        let now = at(1_700_000_100);
        let line = |pid: u32, check: Option<Checked>| {
            let info = Info { pid, check, ..Info::default() };
            let seen = Seen::Running {
                status: status(pid, 1_700_000_000, Want::Up, false),
                normally_up: true,
                info: Some(info),
            };
            json(b"web", Ok(&seen), None, None, now)
        };
        let tail = |l: String| l.split(r#""memory_bytes":null,"#).nth(1).unwrap().to_string();
        let passed = Checked { failures: 0, last: Some(at(1_700_000_093)) };
        assert_eq!(
            tail(line(42, Some(passed))),
            r#""healthy":true,"check_failures":0,"last_check_seconds":7,"waiting_for":null}"#
        );
        let failing = Checked { failures: 2, last: Some(at(1_700_000_099)) };
        assert_eq!(
            tail(line(42, Some(failing))),
            r#""healthy":false,"check_failures":2,"last_check_seconds":1,"waiting_for":null}"#
        );
        let unchecked = Checked { failures: 0, last: None };
        assert_eq!(
            tail(line(42, Some(unchecked))),
            r#""healthy":false,"check_failures":0,"last_check_seconds":null,"waiting_for":null}"#
        );
        let future = Checked { failures: 0, last: Some(at(1_700_000_200)) };
        assert!(line(42, Some(future)).ends_with(r#""last_check_seconds":0,"waiting_for":null}"#));
        let none = r#""healthy":null,"check_failures":null,"last_check_seconds":null,"waiting_for":null}"#;
        assert_eq!(tail(line(42, None)), none, "without check");
        assert_eq!(tail(line(0, Some(passed))), none, "no pid, no health");
    }

    #[test]
    fn the_waiting_for_line_round_trips_escaped_and_old_readers_skip_it() {
        let w = WaitingFor(vec![b"db".to_vec(), b"a b%\n\xff".to_vec()]);
        assert_eq!(w.line(), b"waiting_for db a%20b%25%0A%FF\n");
        let text = [&Info::default().pack()[..], &w.line()].concat();
        assert_eq!((WaitingFor::of(&text), Info::unpack(&text)), (Some(w.clone()), Some(Info::default())));
        assert_eq!(WaitingFor::default().line(), b"waiting_for -\n");
        assert_eq!(WaitingFor::of(b"waiting_for -\n"), Some(WaitingFor::default()));
        assert_eq!(Info::unpack(&WaitingFor::default().line()), Some(Info::default()));
        assert_eq!(WaitingFor::of(&Info::default().pack()), None, "no line: no wait");
        for bad in [&b"waiting_for %4\n"[..], b"waiting_for %zz\n", b"waiting_for a  b\n"] {
            assert_eq!(WaitingFor::of(bad), None, "{bad:?}");
        }
        assert_eq!(w.describe(), ", waiting for db a b%\n\u{fffd}");
    }

    #[test]
    fn json_says_what_a_start_waits_for_only_while_down_under_a_supervise() {
        let now = at(1_700_000_100);
        let w = WaitingFor(vec![b"db".to_vec(), b"cache".to_vec()]);
        let down = |pid| Seen::Running {
            status: status(pid, 1_700_000_000, Want::Up, false),
            normally_up: true,
            info: Some(Info { pid, start_pending: true, ..Info::default() }),
        };
        let line = json(b"app", Ok(&down(0)), None, Some(&w), now);
        assert!(line.ends_with(r#""last_check_seconds":null,"waiting_for":["db","cache"]}"#), "{line}");
        assert!(line.starts_with(r#"{"dir":"app","state":"down","pid":null,"#), "{line}");
        let none = r#""waiting_for":null}"#;
        assert!(json(b"app", Ok(&down(7)), None, Some(&w), now).ends_with(none), "up: a stale line");
        let gone = Seen::NotRunning { normally_up: true };
        assert!(json(b"app", Ok(&gone), None, Some(&w), now).ends_with(none), "no supervise");
        assert!(json(b"app", Err("x"), None, Some(&w), now).ends_with(none));
        let empty = json(b"app", Ok(&down(0)), None, Some(&WaitingFor::default()), now);
        assert!(empty.ends_with(r#""waiting_for":[]}"#), "{empty}");
    }
}
