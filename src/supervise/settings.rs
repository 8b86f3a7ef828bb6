//! The settings files of a service directory, beyond daemontools: what each
//! says, parsed without a system call ([`policy`]), and why a file's default
//! was used instead ([`Warning`]).
//!
//! | file | value | default |
//! |---|---|---|
//! | `finish` (executable) | run after `./run` exits | none |
//! | `timeout-finish` | ms `./finish` may run | 5000 |
//! | `down-signal` | `SIGINT`, `INT` or a number, sent by `d` | SIGTERM |
//! | `timeout-kill` | ms after the down signal before SIGKILL; 0: never | never |
//! | `restart-backoff-max` | s: restarts wait 1, 2, 4 ... up to this; 0: off | off |
//! | `notification-fd` | 3 up to the open-files limit - 1 | none |
//! | `restart-limit` | `COUNT SECONDS`: stay down after COUNT deaths in SECONDS | none |
//! | `tree` (present) | the whole process tree is the service | off |
//! | `pids-max` (with `tree`) | the most processes and threads in the tree, or `max` | 15 % of the kernel's |
//! | `check` (present) | health check: `./check` run while up ([`check_policy`]) | none |
//! | `check-interval` | ms between checks, 1 to 86400000 | 10000 |
//! | `check-timeout` | ms a check may run, 1 to the interval | the interval |
//! | `check-retries` | failures in a row that make the service unhealthy, 1 to 1000000 | 3 |
//! | `check-start` | ms after a start before the first check, 1 to 86400000 | the interval |
//! | `needs/` (a directory) | symlinks to the services to wait for before each start ([`needs_policy`]) | none |
//! | `needs-timeout` | ms a wait for them may last, then a failed start; 0: no bound; at most 86400000 | no bound |
//!
//! Only a file's first line counts, trimmed. A file that cannot be read or
//! does not parse gives its default and one warning. `tree` counts by being
//! there (readable or not); what it holds is ignored, with a warning.

use std::time::Duration;

/// What the service directory asks beyond daemontools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `./finish` exists and may be run.
    pub finish: bool,
    /// `timeout-finish`: how long `./finish` may run before it is killed.
    pub timeout_finish: Duration,
    /// `down-signal`: what `d` sends instead of SIGTERM.
    pub down_signal: libc::c_int,
    /// `timeout-kill`: SIGKILL this long after the down signal, if still running.
    pub timeout_kill: Option<Duration>,
    /// `restart-backoff-max`: restarts wait 1, 2, 4 ... seconds up to this,
    /// back to 1 once a run lasts longer than it.
    pub backoff_max: Option<Duration>,
    /// `restart-limit` (`COUNT SECONDS`): after COUNT deaths within SECONDS, stay down.
    pub restart_limit: Option<(u32, Duration)>,
    /// `notification-fd`: the service writes a newline to this descriptor when it is ready.
    pub notification_fd: Option<i32>,
    /// `tree`: the service is its whole process tree (a cgroup of its own,
    /// or its process group), signalled and drained as one.
    pub tree: bool,
    /// `check` is there: the service is checked, as these files say
    /// ([`check_policy`], which the caller reads apart from [`policy`]).
    pub check: Option<CheckPolicy>,
    /// `pids-max`, read only with `tree`: the most processes (threads
    /// included) the tree may hold where a pids controller exists.
    pub pids_max: PidsMax,
    /// `needs/` is a directory: each start waits for the services it names
    /// ([`needs_policy`], which the caller reads apart from [`policy`]).
    pub needs: Option<NeedsPolicy>,
}

/// How a service with `needs/` waits for them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NeedsPolicy {
    /// `needs-timeout`: a wait this long is a failed start (back-off and
    /// `restart-limit` apply), and the wait begins again; None: no bound.
    pub timeout: Option<Duration>,
}

/// A tree's pids limit (`pids-max`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidsMax {
    /// No file: systemd's default (`DefaultTasksMax=15%`), bounding a fork
    /// bomb without asking (see [`crate::tree::pids_default`]).
    Default,
    /// `max`: no limit.
    Unlimited,
    /// A number, at least 1.
    At(u64),
}

impl Default for Policy {
    /// daemontools' behaviour: no finish, SIGTERM, no escalation.
    fn default() -> Policy {
        Policy {
            finish: false,
            timeout_finish: Duration::from_millis(5000),
            down_signal: libc::SIGTERM,
            timeout_kill: None,
            backoff_max: None,
            restart_limit: None,
            notification_fd: None,
            tree: false,
            pids_max: PidsMax::Default,
            check: None,
            needs: None,
        }
    }
}

/// The most of a setting file that is read: its first line is all that counts.
pub const SETTING_MAX: usize = 1024;

/// What reading one setting file gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    /// No such file: the default, silently.
    Missing,
    /// Its bytes (at most [`SETTING_MAX`]).
    Text(Vec<u8>),
    /// Not read, for this reason in daemontools' words (`not a regular file`,
    /// `access denied`).
    Unreadable(&'static str),
}

/// Why a setting's default was used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    Unreadable(&'static str),
    /// The value does not parse or is out of bounds.
    Invalid,
    /// The file counts by being there; what it holds is not read (`tree`).
    Ignored,
    /// It should be a directory and is not (`needs`): as if it were not there.
    NotDirectory,
}

/// A setting file whose default was used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Warning {
    pub name: &'static str,
    pub problem: Problem,
}

impl Warning {
    /// The warning's parts for `dir` (the service directory as named on the
    /// command line): `unable to read DIR/NAME: REASON: default used` or
    /// `invalid DIR/NAME: default used` (without the value: the file may be
    /// a link to anything), or `DIR/NAME: contents ignored`.
    pub fn parts<'a>(&'a self, dir: &'a [u8]) -> Vec<&'a [u8]> {
        match self.problem {
            Problem::Unreadable(reason) => {
                vec![b"unable to read ", dir, b"/", self.name.as_bytes(), b": ", reason.as_bytes(), b": default used"]
            }
            Problem::Invalid => vec![b"invalid ", dir, b"/", self.name.as_bytes(), b": default used"],
            Problem::Ignored => vec![dir, b"/", self.name.as_bytes(), b": contents ignored"],
            Problem::NotDirectory => vec![dir, b"/", self.name.as_bytes(), b": not a directory: ignored"],
        }
    }
}

/// A file's value: its first line, trimmed.
pub fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).lines().next().unwrap_or("").trim().to_string()
}

/// What the files say: `finish` whether `./finish` is executable, `read`
/// each file by name (in the order of the table above), `max_fd` the
/// highest descriptor a service may be given (asked only when
/// `notification-fd` holds a number). Returns the policy and the warnings,
/// in that order.
pub fn policy(
    finish: bool,
    read: impl FnMut(&'static str) -> Read,
    max_fd: impl FnOnce() -> i32,
) -> (Policy, Vec<Warning>) {
    let mut files = Files { read, warnings: Vec::new() };
    let ms = |v: &str| v.parse::<u64>().ok().map(Duration::from_millis);
    let d = Policy::default();
    let mut policy = Policy {
        finish,
        timeout_finish: files.get("timeout-finish", ms).unwrap_or(d.timeout_finish),
        down_signal: files.get("down-signal", signal_named).unwrap_or(d.down_signal),
        timeout_kill: files.get("timeout-kill", ms).filter(|t| !t.is_zero()),
        backoff_max: files
            .get("restart-backoff-max", |v| v.parse::<u64>().ok())
            .filter(|&s| s > 0)
            .map(Duration::from_secs),
        notification_fd: files
            .get("notification-fd", |v| v.parse::<i32>().ok().filter(|&n| (3..=max_fd()).contains(&n))),
        restart_limit: files.get("restart-limit", restart_limit),
        tree: files.present("tree"),
        pids_max: PidsMax::Default,
        check: None,
        needs: None,
    };
    if policy.tree {
        policy.pids_max = files.get("pids-max", pids_max).unwrap_or(PidsMax::Default);
    }
    (policy, files.warnings)
}

/// The files, read one by one, and the warnings so far.
struct Files<R> {
    read: R,
    warnings: Vec<Warning>,
}

impl<R: FnMut(&'static str) -> Read> Files<R> {
    /// File `name`'s value, or None (with a warning if the file exists).
    fn get<T>(&mut self, name: &'static str, parse: impl FnOnce(&str) -> Option<T>) -> Option<T> {
        let problem = match (self.read)(name) {
            Read::Missing => return None,
            Read::Text(bytes) => match parse(&first_line(&bytes)) {
                Some(v) => return Some(v),
                None => Problem::Invalid,
            },
            Read::Unreadable(reason) => Problem::Unreadable(reason),
        };
        self.warnings.push(Warning { name, problem });
        None
    }

    /// Whether file `name` is there; anything but white space in it is
    /// ignored, with a warning.
    fn present(&mut self, name: &'static str) -> bool {
        match (self.read)(name) {
            Read::Missing => false,
            Read::Text(bytes) => {
                if !bytes.iter().all(u8::is_ascii_whitespace) {
                    self.warnings.push(Warning { name, problem: Problem::Ignored });
                }
                true
            }
            Read::Unreadable(_) => true,
        }
    }
}

/// `restart-limit`'s `COUNT SECONDS`, COUNT at least 1.
fn restart_limit(v: &str) -> Option<(u32, Duration)> {
    let mut words = v.split_whitespace();
    let count = words.next()?.parse::<u32>().ok().filter(|&c| c > 0)?;
    Some((count, Duration::from_secs(words.next()?.parse().ok()?)))
}

/// `pids-max`: `max`, or a number from 1 to 2^62 (the kernel's own bound).
fn pids_max(v: &str) -> Option<PidsMax> {
    match v {
        "max" => Some(PidsMax::Unlimited),
        n => n.parse::<u64>().ok().filter(|n| (1..=1 << 62).contains(n)).map(PidsMax::At),
    }
}

/// A signal by name (`SIGINT`, `INT`) or number (1 to 64); by name, only
/// those a service may ask to be stopped with (the names are nix's).
pub fn signal_named(name: &str) -> Option<libc::c_int> {
    use nix::sys::signal::Signal::{self, *};
    const NAMED: [Signal; 12] =
        [SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGCONT, SIGSTOP, SIGWINCH, SIGPWR];
    let full = format!("SIG{}", name.strip_prefix("SIG").unwrap_or(name));
    let named = full.parse::<Signal>().ok().filter(|s| NAMED.contains(s)).map(|s| s as libc::c_int);
    named.or_else(|| name.parse().ok().filter(|&s| s > 0 && s < 65))
}

/// How a service with `check` is checked: `check-interval`,
/// `check-timeout`, `check-retries`, `check-start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckPolicy {
    /// A check is started this long after the last one started.
    pub interval: Duration,
    /// A check still running this long after its start is killed, and failed.
    pub timeout: Duration,
    /// This many failures in a row make the service unhealthy.
    pub retries: u32,
    /// The first check of a run comes this long after its start.
    pub start: Duration,
}

/// The default interval between checks (Docker's HEALTHCHECK has 30 s,
/// Kubernetes' probes 10 s).
pub const CHECK_INTERVAL: Duration = Duration::from_millis(10_000);
/// The default number of failures in a row that make a service unhealthy
/// (Docker's and Kubernetes' default).
pub const CHECK_RETRIES: u32 = 3;
/// The longest interval, timeout or start a file may ask: a day.
pub const CHECK_MS_MAX: u64 = 86_400_000;
/// The most `check-retries` may ask.
pub const CHECK_RETRIES_MAX: u32 = 1_000_000;

/// The health check's settings when `present` (there is a `check` in the
/// service directory, of whatever kind), reading each file by name
/// (`check-interval`, `check-timeout`, `check-retries`, `check-start`, in
/// that order; none without `check`). A value that is zero, negative,
/// above its bound or not a number gives the default and a warning; a
/// timeout above the interval too (a check never outlives its turn).
pub fn check_policy(present: bool, read: impl FnMut(&'static str) -> Read) -> (Option<CheckPolicy>, Vec<Warning>) {
    if !present {
        return (None, Vec::new());
    }
    let mut files = Files { read, warnings: Vec::new() };
    let ms = |v: &str| v.parse::<u64>().ok().filter(|&n| (1..=CHECK_MS_MAX).contains(&n)).map(Duration::from_millis);
    let interval = files.get("check-interval", ms).unwrap_or(CHECK_INTERVAL);
    let timeout = files.get("check-timeout", |v| ms(v).filter(|&t| t <= interval)).unwrap_or(interval);
    let retries = files
        .get("check-retries", |v| v.parse::<u32>().ok().filter(|&n| (1..=CHECK_RETRIES_MAX).contains(&n)))
        .unwrap_or(CHECK_RETRIES);
    let start = files.get("check-start", ms).unwrap_or(interval);
    (Some(CheckPolicy { interval, timeout, retries, start }), files.warnings)
}

/// What `needs` is in the service directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeedsDir {
    Missing,
    Directory,
    /// Something else (a file, a dangling symlink is Missing).
    Other,
    /// It could not be looked at, for this reason in daemontools' words.
    Unreadable(&'static str),
}

/// The longest `needs-timeout`: a day.
pub const NEEDS_TIMEOUT_MAX: u64 = 86_400_000;

/// How the service waits for its needs, when `needs` is a directory;
/// `read` reads `needs-timeout` (only then). `needs` that is no directory,
/// or cannot be looked at, is no needs, with a warning; so is a
/// `needs-timeout` that is not a number of milliseconds up to a day (no
/// bound, then).
pub fn needs_policy(needs: NeedsDir, read: impl FnMut(&'static str) -> Read) -> (Option<NeedsPolicy>, Vec<Warning>) {
    let problem = match needs {
        NeedsDir::Missing => return (None, Vec::new()),
        NeedsDir::Directory => None,
        NeedsDir::Other => Some(Problem::NotDirectory),
        NeedsDir::Unreadable(why) => Some(Problem::Unreadable(why)),
    };
    if let Some(problem) = problem {
        return (None, vec![Warning { name: "needs", problem }]);
    }
    let mut files = Files { read, warnings: Vec::new() };
    let ms = |v: &str| v.parse::<u64>().ok().filter(|&n| n <= NEEDS_TIMEOUT_MAX).map(Duration::from_millis);
    let timeout = files.get("needs-timeout", ms).filter(|t| !t.is_zero());
    (Some(NeedsPolicy { timeout }), files.warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The policy and warnings (as `supervise: warning: ` would go on) for
    /// these files, the open-files limit being 1024.
    fn read(files: &[(&str, &[u8])]) -> (Policy, Vec<String>) {
        let files: HashMap<&str, &[u8]> = files.iter().copied().collect();
        let mut asked = Vec::new();
        let (p, w) = policy(
            false,
            |name| {
                asked.push(name);
                match files.get(name) {
                    None => Read::Missing,
                    Some(&b"\0unreadable") => Read::Unreadable("not a regular file"),
                    Some(text) => Read::Text(text.to_vec()),
                }
            },
            || 1023,
        );
        let order = [
            "timeout-finish",
            "down-signal",
            "timeout-kill",
            "restart-backoff-max",
            "notification-fd",
            "restart-limit",
            "tree",
            "pids-max",
        ];
        let order = &order[..order.len() - usize::from(!p.tree)];
        assert_eq!(asked, order, "each file read once, in this order, pids-max only with tree");
        (p, w.iter().map(|w| String::from_utf8(w.parts(b"sv").concat()).unwrap()).collect())
    }

    #[test]
    fn signals_by_the_twelve_names_or_a_number() {
        use libc::{
            SIGALRM, SIGCONT, SIGHUP, SIGINT, SIGKILL, SIGPWR, SIGQUIT, SIGSTOP, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
        };
        let names = "HUP INT QUIT KILL USR1 USR2 ALRM TERM CONT STOP WINCH PWR".split(' ');
        let numbers =
            [SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGCONT, SIGSTOP, SIGWINCH, SIGPWR];
        for (name, number) in names.zip(numbers) {
            assert_eq!((signal_named(name), signal_named(&format!("SIG{name}"))), (Some(number), Some(number)));
        }
        assert_eq!((signal_named("1"), signal_named("64")), (Some(1), Some(64)));
        for other in ["SEGV", "SIGSEGV", "SIGCHLD", "SIGSIGHUP", "SIG", "sighup", "Hup", "SIG9", "0", "65", " 9", ""] {
            assert_eq!(signal_named(other), None, "{other}");
        }
    }

    #[test]
    fn no_files_is_daemontools() {
        assert_eq!(read(&[]), (Policy::default(), vec![]));
        assert_eq!(policy(true, |_| Read::Missing, || unreachable!()).0, Policy { finish: true, ..Policy::default() });
    }

    #[test]
    fn valid_values() {
        let (p, w) = read(&[
            ("timeout-finish", b"250\n"),
            ("down-signal", b"  SIGINT  \nignored\n"),
            ("timeout-kill", b"1500"),
            ("restart-backoff-max", b"30\n"),
            ("notification-fd", b"3\n"),
            ("restart-limit", b"5 60\n"),
        ]);
        assert_eq!(w, Vec::<String>::new());
        assert_eq!(
            p,
            Policy {
                finish: false,
                timeout_finish: Duration::from_millis(250),
                down_signal: libc::SIGINT,
                timeout_kill: Some(Duration::from_millis(1500)),
                backoff_max: Some(Duration::from_secs(30)),
                restart_limit: Some((5, Duration::from_secs(60))),
                notification_fd: Some(3),
                tree: false,
                pids_max: PidsMax::Default,
                check: None,
                needs: None,
            }
        );
        assert_eq!(read(&[("notification-fd", b"1023")]).0.notification_fd, Some(1023));
        assert_eq!(read(&[("down-signal", b"HUP")]).0.down_signal, libc::SIGHUP);
        assert_eq!(read(&[("down-signal", b"10")]).0.down_signal, 10);
    }

    #[test]
    fn zero_switches_off_without_a_warning() {
        let (p, w) = read(&[("timeout-kill", b"0"), ("restart-backoff-max", b"0")]);
        assert_eq!((p, w), (Policy::default(), vec![]));
    }

    #[test]
    fn invalid_values_give_the_default_and_one_warning_each() {
        let (p, w) = read(&[
            ("timeout-finish", b"soon"),
            ("down-signal", b"SIGFOO"),
            ("timeout-kill", b"-1"),
            ("restart-backoff-max", b"1.5"),
            ("notification-fd", b"1024"),
            ("restart-limit", b"0 60"),
        ]);
        assert_eq!(p, Policy::default());
        let invalid = |n: &str| format!("invalid sv/{n}: default used");
        let names = [
            "timeout-finish",
            "down-signal",
            "timeout-kill",
            "restart-backoff-max",
            "notification-fd",
            "restart-limit",
        ];
        assert_eq!(w, names.map(invalid));
        for bad in [&b"2"[..], b"0", b"-3", b"x", b"", b"\n3"] {
            assert_eq!(read(&[("notification-fd", bad)]).1, [invalid("notification-fd")], "{bad:?}");
        }
        for bad in [&b"5"[..], b"x 60", b"5 x", b"5 -1", b""] {
            assert_eq!(read(&[("restart-limit", bad)]).1, [invalid("restart-limit")], "{bad:?}");
        }
        for bad in ["0", "65", "SIG", "sigint", "-15"] {
            assert_eq!(read(&[("down-signal", bad.as_bytes())]).1, [invalid("down-signal")], "{bad}");
        }
    }

    #[test]
    fn an_unreadable_file_says_why() {
        let (p, w) = read(&[("timeout-kill", b"\0unreadable"), ("down-signal", b"KILL")]);
        assert_eq!(p, Policy { down_signal: libc::SIGKILL, ..Policy::default() });
        assert_eq!(w, ["unable to read sv/timeout-kill: not a regular file: default used"]);
    }

    #[test]
    fn tree_counts_by_being_there_and_its_contents_are_ignored() {
        assert_eq!(read(&[("tree", b"")]), (Policy { tree: true, ..Policy::default() }, vec![]));
        assert_eq!(read(&[("tree", b" \n\t\n")]).1, Vec::<String>::new(), "white space is no content");
        assert_eq!(read(&[("tree", b"\0unreadable")]), (Policy { tree: true, ..Policy::default() }, vec![]));
        for text in [&b"no\n"[..], b"0", b"\n\nyes", b"\xff"] {
            let (p, w) = read(&[("tree", text)]);
            assert!(p.tree, "{text:?}: still there");
            assert_eq!(w, ["sv/tree: contents ignored"], "{text:?}");
        }
        assert!(!read(&[]).0.tree);
    }

    #[test]
    fn pids_max_is_read_with_tree_only() {
        let with_tree = |text: &'static [u8]| read(&[("tree", b""), ("pids-max", text)]);
        assert_eq!(with_tree(b"100\n").0.pids_max, PidsMax::At(100));
        assert_eq!(with_tree(b"max").0.pids_max, PidsMax::Unlimited);
        for bad in [&b"0"[..], b"-1", b"x", b"", b"MAX", b"4611686018427387905", b"1e3"] {
            assert_eq!(
                with_tree(bad),
                (Policy { tree: true, ..Policy::default() }, vec!["invalid sv/pids-max: default used".to_string()]),
                "{bad:?}"
            );
        }
        // Without `tree` the file is not even read (the order check in `read`).
        assert_eq!(read(&[("pids-max", b"5")]), (Policy::default(), vec![]));
    }

    #[test]
    fn the_limit_is_asked_only_for_a_number() {
        let ask = |text: &'static [u8]| {
            let mut asked = 0;
            let files = |n| if n == "notification-fd" { Read::Text(text.to_vec()) } else { Read::Missing };
            let (p, _) = policy(false, files, || {
                asked += 1;
                4
            });
            (p.notification_fd, asked)
        };
        assert_eq!(ask(b"4"), (Some(4), 1));
        assert_eq!(ask(b"5"), (None, 1));
        assert_eq!(ask(b"x"), (None, 0));
    }

    #[test]
    fn first_line_trimmed_and_lossy() {
        assert_eq!(first_line(b" 12 \r\n34"), "12");
        assert_eq!(first_line(b""), "");
        assert_eq!(first_line(b"\xff1"), "\u{fffd}1");
    }

    /// The check's policy and warnings for these files, `check` being there.
    fn checked(files: &[(&str, &[u8])]) -> (CheckPolicy, Vec<String>) {
        let files: HashMap<&str, &[u8]> = files.iter().copied().collect();
        let mut asked = Vec::new();
        let (p, w) = check_policy(true, |name| {
            asked.push(name);
            files.get(name).map_or(Read::Missing, |t| Read::Text(t.to_vec()))
        });
        assert_eq!(asked, ["check-interval", "check-timeout", "check-retries", "check-start"]);
        (p.expect("checked"), w.iter().map(|w| String::from_utf8(w.parts(b"sv").concat()).unwrap()).collect())
    }

    #[test]
    fn a_check_is_every_10_s_killed_at_the_interval_unhealthy_after_3() {
        let ten = Duration::from_secs(10);
        assert_eq!(checked(&[]), (CheckPolicy { interval: ten, timeout: ten, retries: 3, start: ten }, vec![]));
        let mut asked = 0;
        assert_eq!(
            check_policy(false, |_| {
                asked += 1;
                Read::Missing
            }),
            (None, vec![])
        );
        assert_eq!(asked, 0, "without check, its files are not read");
        assert_eq!(Policy::default().check, None);
    }

    #[test]
    fn check_values_in_bounds() {
        let ms = Duration::from_millis;
        let (p, w) = checked(&[
            ("check-interval", b"500\n"),
            ("check-timeout", b" 200 "),
            ("check-retries", b"5"),
            ("check-start", b"86400000"),
        ]);
        assert_eq!(
            (p, w),
            (CheckPolicy { interval: ms(500), timeout: ms(200), retries: 5, start: ms(86_400_000) }, vec![])
        );
        // The timeout defaults to the interval, and may equal it.
        assert_eq!(checked(&[("check-interval", b"1")]).0.timeout, ms(1));
        assert_eq!(checked(&[("check-interval", b"300"), ("check-timeout", b"300")]).0.timeout, ms(300));
        assert_eq!(checked(&[("check-retries", b"1000000")]).0.retries, 1_000_000);
    }

    #[test]
    fn check_values_zero_negative_huge_or_not_numbers_give_the_default_and_a_warning() {
        let invalid = |n: &str| format!("invalid sv/{n}: default used");
        let names = ["check-interval", "check-timeout", "check-retries", "check-start"];
        for bad in [&b"0"[..], b"-5", b"86400001", b"18446744073709551616", b"ten", b"1.5", b"", b"1e3", b"\xff"] {
            let files: Vec<(&str, &[u8])> = names.iter().map(|&n| (n, bad)).collect();
            let (p, w) = checked(&files);
            assert_eq!(p, checked(&[]).0, "{bad:?}");
            assert_eq!(w, names.map(invalid), "{bad:?}");
        }
        assert_eq!(checked(&[("check-retries", b"1000001")]).1, [invalid("check-retries")]);
        // A timeout above the interval: the interval.
        let (p, w) = checked(&[("check-interval", b"200"), ("check-timeout", b"201")]);
        assert_eq!((p.timeout, w), (Duration::from_millis(200), vec![invalid("check-timeout")]));
        let (p, w) = checked(&[("check-timeout", b"20000")]);
        assert_eq!((p.timeout, w), (CHECK_INTERVAL, vec![invalid("check-timeout")]));
    }

    #[test]
    fn check_files_unreadable_say_why() {
        let (p, w) = check_policy(true, |n| match n {
            "check-retries" => Read::Unreadable("not a regular file"),
            _ => Read::Missing,
        });
        assert_eq!(p.map(|p| p.retries), Some(CHECK_RETRIES));
        let w: Vec<String> = w.iter().map(|w| String::from_utf8(w.parts(b"sv").concat()).unwrap()).collect();
        assert_eq!(w, ["unable to read sv/check-retries: not a regular file: default used"]);
    }

    fn needs(kind: NeedsDir, timeout: Option<&[u8]>) -> (Option<NeedsPolicy>, Vec<String>) {
        let mut asked = Vec::new();
        let (p, w) = needs_policy(kind, |n| {
            asked.push(n);
            timeout.map_or(Read::Missing, |t| Read::Text(t.to_vec()))
        });
        assert!(asked.is_empty() || (asked == ["needs-timeout"] && kind == NeedsDir::Directory), "{asked:?}");
        (p, w.iter().map(|w| String::from_utf8(w.parts(b"sv").concat()).unwrap()).collect())
    }

    #[test]
    fn needs_is_a_directory_and_needs_timeout_milliseconds_up_to_a_day() {
        let none: Vec<String> = Vec::new();
        assert_eq!(needs(NeedsDir::Missing, Some(b"5")), (None, none.clone()), "needs-timeout alone is nothing");
        assert_eq!(needs(NeedsDir::Directory, None), (Some(NeedsPolicy { timeout: None }), none.clone()));
        let at = |ms| Some(NeedsPolicy { timeout: Some(Duration::from_millis(ms)) });
        assert_eq!(needs(NeedsDir::Directory, Some(b"250\n")), (at(250), none.clone()));
        assert_eq!(needs(NeedsDir::Directory, Some(b"86400000")), (at(86_400_000), none.clone()));
        assert_eq!(needs(NeedsDir::Directory, Some(b"0")), (Some(NeedsPolicy { timeout: None }), none), "0: no bound");
        for bad in [&b"soon"[..], b"-1", b"86400001", b"1.5", b""] {
            let (p, w) = needs(NeedsDir::Directory, Some(bad));
            assert_eq!(p, Some(NeedsPolicy { timeout: None }), "{bad:?}");
            assert_eq!(w, ["invalid sv/needs-timeout: default used"]);
        }
    }

    #[test]
    fn needs_that_is_no_directory_is_no_needs_and_says_so() {
        let (p, w) = needs(NeedsDir::Other, Some(b"5"));
        assert_eq!((p, w), (None, vec!["sv/needs: not a directory: ignored".to_string()]));
        let (p, w) = needs(NeedsDir::Unreadable("access denied"), None);
        assert_eq!((p, w), (None, vec!["unable to read sv/needs: access denied: default used".to_string()]));
    }
}
