//! `svscan [-g grace] [DIR]`: starts one `supervise` for every service
//! directory in DIR (default `.`), and one for its `log/` subdirectory joined
//! to it by a pipe that svscan holds open for as long as it runs, so that
//! neither a restarted service nor a restarted logger loses the pipe. Scans
//! again every 5 seconds and restarts any supervise that exited: daemontools
//! 0.76's behaviour. `supervise` is looked for next to svscan's own
//! executable first, then on PATH.
//!
//! Beyond daemontools: one svscan per DIR (a flock). A supervise that exits
//! unasked is started again a second later, not at the next scan (one that
//! fails at once waits for the scan). A service directory where some other
//! supervise already runs (left by an earlier svscan that was killed) is
//! left to it, silently, and looked at again at each scan; when only one
//! half of such a pair is left, it is told to exit, and both start anew
//! joined by our pipe. TERM and HUP stop adopted supervisors too, through
//! their control FIFOs, in the same order. A symlink or directory moved into
//! DIR is started at once (inotify; a directory made in place waits for the next scan, as it
//! may still be being filled). An idle scan costs one stat: DIR is read
//! whole only when its times changed, a supervise exited, or the last scan
//! left something not started (a symlink whose target is replaced in place
//! waits for SIGALRM or a change to DIR). SIGALRM scans now; SIGHUP scans now and takes
//! down the services whose entry is gone. SIGTERM and SIGINT take every
//! service down, then its logger once it has read its pipe to the end, and
//! exit 0; what ignores that is killed after the grace period (default 5 s),
//! and everything left 2 seconds later. As PID 1 it reaps every orphan, and
//! at shutdown stops what is left in the namespace too.

use daemontools::getopt::{Getopt, Opt};
use daemontools::msg::{self, errstr, Level, EXIT_TEMP, EXIT_USAGE};
use daemontools::svdir;
use daemontools::sys::{self, Argv, SelfPipe};
use daemontools::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::collections::HashMap;
use std::ffi::{CStr, CString, OsStr};
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const SCAN_INTERVAL: Duration = Duration::from_secs(5);
/// How soon a supervise that exited unasked is started again.
const RESTART: Duration = Duration::from_secs(1);
const DEFAULT_GRACE: Duration = Duration::from_secs(5);
const MAX_GRACE: Duration = Duration::from_secs(86_400);
/// After the grace period services are killed; one step later loggers get
/// TERM; one more step and every supervise left is killed.
const STEP: Duration = Duration::from_secs(1);
/// A control FIFO not open yet (its supervise just started) is tried again this soon.
const RETRY: Duration = Duration::from_millis(50);
/// How often a stop of supervisors we did not start looks whether they are gone.
const POLL: Duration = Duration::from_millis(100);
const USAGE: &[u8] = b"svscan [ -g grace ] [ dir ]";

fn say(level: Level, parts: &[&[u8]]) {
    let _ = std::io::stderr().write_all(&msg::line("svscan", level, parts));
}

fn warn(parts: &[&[u8]]) {
    say(Level::Warning, parts);
}

/// Warns; false, for `return failed(..)` where something could not be done.
fn failed(parts: &[&[u8]]) -> bool {
    warn(parts);
    false
}

fn die(parts: &[&[u8]]) -> ! {
    say(Level::Fatal, parts);
    std::process::exit(EXIT_TEMP)
}

fn usage() -> ! {
    say(Level::Usage, &[USAGE]);
    std::process::exit(EXIT_USAGE)
}

/// A service directory, known by device and inode as daemontools does.
type Key = (u64, u64);

/// What a stop has done so far, as bits.
const ASKED: u8 = 1;
const KILLED: u8 = 2;
const LOG_ASKED: u8 = 4;
const LOG_TERMED: u8 = 8;

struct Stop {
    since: Instant,
    done: u8,
}

struct Service {
    /// Seen in the last scan.
    active: bool,
    pid: u32,
    pid_log: u32,
    /// When each supervise was started.
    since: Instant,
    since_log: Instant,
    /// (read end, write end), held while the entry lives.
    log_pipe: Option<(OwnedFd, OwnedFd)>,
    stop: Option<Stop>,
    /// The entry's directory, open, while supervisors we did not start (left
    /// by a killed svscan) run in it: stopped through their control FIFOs,
    /// reached through this descriptor, which follows the directory if it is
    /// renamed and never leads to another put in its place.
    adopted: Option<OwnedFd>,
    /// A lone half of such a pair was told to exit (`svc -dx`); at the next
    /// scan it is killed (`svc -k`).
    half_asked: bool,
}

/// Writes control letters to the supervise running as `pid`, through the
/// control FIFO it holds open (see `svdir::control_of`), so that an entry
/// whose directory was renamed or removed is still reached.
fn control(pid: u32, letters: &[u8]) -> bool {
    svdir::control_of(pid).and_then(|fd| sys::write_all(fd.as_fd(), letters)).is_ok()
}

/// Takes one entry down: the service first (`svc -dx`, through the control
/// FIFO its supervise holds, or, where that cannot be reached, SIGTERM, which
/// our supervise takes for the same); once that supervise has exited, our ends of
/// the pipe are closed and the logger is told to exit (`svc -x`), so that it
/// reads the pipe to its end first. Past the grace period the service gets
/// KILL (`svc -k`), a step later the logger's supervise TERM (`svc -dx`), and
/// a step after that each supervise left gets SIGKILL, its children first.
/// Returns when to look again; `None` when the entry is down (or not
/// stopping).
fn tend(s: &mut Service, now: Instant, grace: Duration) -> Option<Instant> {
    let stop = s.stop.as_mut()?;
    let kill_service = stop.since + grace;
    let term_log = kill_service + STEP;
    let kill_all = term_log + STEP;
    if let Some(dir) = s.adopted.as_ref().filter(|_| s.pid == 0 && s.pid_log == 0) {
        return tend_adopted(dir, stop, now, [kill_service, term_log, kill_all]);
    }
    // (pid, its first step, its later step, when the later one is due); a
    // step is a signal to the supervise or letters through its control FIFO.
    let (pid, first, later, deadline) = if s.pid != 0 {
        (s.pid, (ASKED, Step::Term), (KILLED, Step::Letters(b"k")), kill_service)
    } else {
        s.log_pipe = None;
        if s.pid_log == 0 {
            return None;
        }
        (s.pid_log, (LOG_ASKED, Step::Letters(b"x")), (LOG_TERMED, Step::Term), term_log)
    };
    if now >= kill_all {
        sys::kill_with_children(pid);
        return Some(now + RETRY);
    }
    let mut wake = if now < deadline { deadline } else { kill_all };
    for (flag, step) in [Some(first), Some(later).filter(|_| now >= deadline)].into_iter().flatten() {
        if stop.done & flag == 0 {
            let done = match step {
                // daemontools' supervise, if PATH gave us that, dies on SIGTERM.
                Step::Term => control(pid, b"dx") || sys::kill(pid, libc::SIGTERM).is_ok(),
                Step::Letters(letters) => control(pid, letters),
            };
            if done {
                stop.done |= flag;
            } else {
                wake = wake.min(now + RETRY);
            }
        }
    }
    Some(wake)
}

/// One step of a stop: `svc -dx` (through the FIFO, or else as SIGTERM,
/// which our supervise takes for it), or other letters.
#[derive(Clone, Copy)]
enum Step {
    Term,
    Letters(&'static [u8]),
}

/// Moves `wake` earlier to `at` if need be.
fn wake_by(wake: &mut Option<Instant>, at: Instant) {
    *wake = Some(wake.map_or(at, |w| w.min(at)));
}

struct Scanner {
    supervise: PathBuf,
    grace: Duration,
    /// The limits on open files to give back to children.
    nofile: Option<libc::rlimit>,
    services: HashMap<Key, Service>,
    /// Which entry a supervise pid belongs to, and whether it is the logger's.
    pids: HashMap<u32, (Key, bool)>,
    /// When the next stop deadline falls, while a stop is under way.
    stop_wake: Option<Instant>,
    /// DIR's change time when it was last read whole.
    seen: Option<Stamp>,
    /// The next 5-second scan must read DIR whole: a supervise exited, an
    /// entry could not be started, or DIR changed too recently to trust its times.
    must_scan: bool,
}

/// DIR's change time (seconds, nanoseconds): every change to its entries
/// moves it, as it does the modification time.
type Stamp = (i64, i64);

/// A time this close to now may be followed by a change that leaves it the
/// same: the kernel stamps files with a clock that moves a tick at a time,
/// and some filesystems keep whole seconds (FAT: two).
const RACY: Duration = Duration::from_secs(2);

/// DIR's stamp, and whether it is too recent to trust.
fn stamp() -> Option<(Stamp, bool)> {
    let st = nix::sys::stat::stat(".").ok()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?;
    let changed = Duration::new(st.st_ctime.max(0) as u64, st.st_ctime_nsec.clamp(0, 999_999_999) as u32);
    Some(((st.st_ctime, st.st_ctime_nsec), now.saturating_sub(changed) < RACY))
}

impl Scanner {
    /// Reaps every child that exited; a stop waiting on one moves on at once.
    /// True when a supervise that had run a second or more exited unasked
    /// (one that fails at once waits for the next scan, as in daemontools).
    fn reap(&mut self, now: Instant) -> bool {
        let mut unasked = false;
        while let Some((pid, _)) = sys::reap() {
            let Some((key, log)) = self.pids.remove(&pid) else { continue };
            if let Some(s) = self.services.get_mut(&key) {
                *(if log { &mut s.pid_log } else { &mut s.pid }) = 0;
                let since = if log { s.since_log } else { s.since };
                self.must_scan = true;
                match s.stop {
                    Some(_) => self.tend_one(key, now),
                    None => unasked |= now.duration_since(since) >= RESTART,
                }
            }
        }
        unasked
    }

    /// The 5-second scan: reads DIR whole only when it may hold news (see
    /// `must_scan`, or its times changed since the last whole read), so that
    /// an idle tree of thousands of services costs one stat per scan.
    fn tick(&mut self) {
        match stamp() {
            Some((now, _)) if !self.must_scan && self.seen == Some(now) => {}
            before => self.scan_from(before),
        }
    }

    /// Reads DIR whole and starts what is missing.
    fn scan(&mut self) {
        self.scan_from(stamp());
    }

    /// `scan`, DIR's stamp taken just before.
    fn scan_from(&mut self, before: Option<(Stamp, bool)>) {
        self.must_scan = before.is_none_or(|(_, recent)| recent);
        self.seen = before.map(|(st, _)| st);
        for s in self.services.values_mut() {
            s.active = false;
        }
        match nix::dir::Dir::open(".", nix::fcntl::OFlag::O_RDONLY, nix::sys::stat::Mode::empty()) {
            Ok(mut dir) => {
                for entry in dir.iter() {
                    match entry {
                        Ok(e) if !e.file_name().to_bytes().starts_with(b".") => self.start(e.file_name()),
                        Ok(_) => {}
                        Err(e) => {
                            self.must_scan = true;
                            warn(&[b"unable to read directory: ", errstr(e).as_bytes()]);
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                self.must_scan = true;
                warn(&[b"unable to read directory: ", errstr(e).as_bytes()]);
            }
        }
        // Forget entries that are gone and whose supervisors have exited;
        // that closes their pipe.
        self.services.retain(|_, s| {
            s.active
                || s.pid != 0
                || s.pid_log != 0
                || s.stop.is_some()
                || s.adopted
                    .as_ref()
                    .is_some_and(|d| svdir::supervised_in(d.as_fd(), false) || svdir::supervised_in(d.as_fd(), true))
        });
    }

    /// Starts what is missing of the entry `name`: its supervise, and its
    /// logger's with the pipe between them. What could not be started (said
    /// on stderr) makes the next scan read DIR whole to try again.
    fn start(&mut self, name: &CStr) {
        if !self.try_start(name) {
            self.must_scan = true;
        }
    }

    /// `start`'s work; false when something could not be started.
    fn try_start(&mut self, name: &CStr) -> bool {
        let n = name.to_bytes();
        let st = match nix::sys::stat::stat(name) {
            Ok(st) => st,
            // Gone already (`ln -sfn` renames a temporary name over the link,
            // and inotify reports that name): nothing to start, nothing to say.
            Err(Errno::ENOENT) if nix::sys::stat::lstat(name).is_err_and(|e| e == Errno::ENOENT) => return true,
            Err(e) => return failed(&[b"unable to stat ", n, b": ", errstr(e).as_bytes()]),
        };
        if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
            return true;
        }
        let key = (st.st_dev, st.st_ino);
        if !self.services.contains_key(&key) {
            let log = [n, b"/log"].concat();
            let has_log = match nix::sys::stat::stat(log.as_slice()) {
                Ok(st) => st.st_mode & libc::S_IFMT == libc::S_IFDIR,
                Err(Errno::ENOENT) => false,
                Err(e) => return failed(&[b"unable to stat ", n, b"/log: ", errstr(e).as_bytes()]),
            };
            let log_pipe = match has_log {
                false => None,
                true => match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
                    Ok(p) => Some(p),
                    Err(e) => return failed(&[b"unable to create pipe for ", n, b": ", errstr(e).as_bytes()]),
                },
            };
            let now = Instant::now();
            let service = Service {
                active: false,
                pid: 0,
                pid_log: 0,
                since: now,
                since_log: now,
                log_pipe,
                stop: None,
                adopted: None,
                half_asked: false,
            };
            self.services.insert(key, service);
        }
        let s = self.services.get_mut(&key).expect("just inserted");
        s.active = true;
        if s.stop.is_some() {
            return true;
        }
        let path = self.supervise.as_os_str().as_bytes();
        let nofile = self.nofile.as_ref();
        let limits = || nofile.iter().for_each(|lim| sys::set_nofile(lim));

        // A supervise left running by an earlier svscan (killed, say) keeps
        // its service: starting another would only see it fail on the lock.
        // The next whole scan looks again. A pair is one: the pipe between
        // the old two is out of reach, so when only one half of it is left,
        // that half is told to exit (`svc -dx`), and both start anew on our
        // pipe once it has.
        // Opened only when something is to be started (an idle rescan opens nothing).
        let entry =
            (s.pid == 0 || (s.pid_log == 0 && s.log_pipe.is_some())).then(|| sys::open_read_dir(name).ok()).flatten();
        let held_in = |log| entry.as_ref().is_some_and(|e| svdir::supervised_in(e.as_fd(), log));
        let held = s.pid == 0 && held_in(false);
        let held_log = s.pid_log == 0 && s.log_pipe.is_some() && held_in(true);
        // A supervise whose parent is another live svscan (two scanned
        // directories linking one service) is that one's: neither taken
        // over nor stopped. Looked at again at each scan.
        let theirs = |log| {
            let holder = entry.as_ref().and_then(|e| svdir::lock_holder(e.as_fd(), log));
            holder.and_then(sys::parent_of).is_some_and(|(ppid, comm)| ppid != std::process::id() && comm == "svscan")
        };
        if (held && theirs(false)) || (held_log && theirs(true)) {
            (s.adopted, s.half_asked) = (None, false);
            return false;
        }
        if !(held || held_log) {
            (s.adopted, s.half_asked) = (None, false);
        } else if s.adopted.is_none() {
            s.adopted = open_entry(name, key);
        }
        if s.log_pipe.is_some() && held != held_log {
            if let Some(dir) = &s.adopted {
                let letters: &[u8] = if s.half_asked { b"k" } else { b"dx" };
                svdir::control_in(dir.as_fd(), !held, letters);
                s.half_asked = true;
            }
            return false;
        }
        if s.pid == 0 && !held {
            // A name such as `--help` or `-d` is passed as `./--help`, so that
            // supervise cannot take it for an option.
            let arg = if n.starts_with(b"-") { [&b"./"[..], n].concat() } else { n.to_vec() };
            let argv = Argv::new(path, &[&b"supervise"[..], &arg]).expect("no NUL");
            let fail = [b"svscan: warning: unable to start supervise ", n, b": "].concat();
            let out = s.log_pipe.as_ref().map(|(_, w)| w.as_fd());
            let setup = || {
                limits();
                apart()?;
                out.map_or(Ok(()), |w| sys::dup_onto(w, 1))
            };
            match sys::spawn(&argv, &fail, setup) {
                Ok(pid) => {
                    (s.pid, s.since) = (pid, Instant::now());
                    self.pids.insert(pid, (key, false));
                }
                Err(e) => return failed(&[b"unable to fork for ", n, b": ", errstr(e).as_bytes()]),
            }
        }
        if let Some((r, _)) = &s.log_pipe {
            if s.pid_log == 0 && !held_log {
                let argv = Argv::new(path, &["supervise", "log"]).expect("no NUL");
                let fail = [b"svscan: warning: unable to start supervise ", n, b"/log: "].concat();
                let setup = || {
                    limits();
                    apart()?;
                    sys::dup_onto(r.as_fd(), 0)?;
                    nix::unistd::chdir(name)
                };
                match sys::spawn(&argv, &fail, setup) {
                    Ok(pid) => {
                        (s.pid_log, s.since_log) = (pid, Instant::now());
                        self.pids.insert(pid, (key, true));
                    }
                    Err(e) => return failed(&[b"unable to fork for ", n, b"/log: ", errstr(e).as_bytes()]),
                }
            }
        }
        !(held || held_log)
    }

    /// Starts taking down every entry not seen in the last scan (`all`: every entry).
    fn stop(&mut self, all: bool, now: Instant) {
        for s in self.services.values_mut().filter(|s| all || !s.active) {
            s.stop.get_or_insert(Stop { since: now, done: 0 });
        }
        self.stop_wake = Some(now);
        self.tend(now);
    }

    /// Moves one stop along; forgets the entry once it is down.
    fn tend_one(&mut self, key: Key, now: Instant) {
        let Some(s) = self.services.get_mut(&key) else { return };
        match tend(s, now, self.grace) {
            Some(at) => wake_by(&mut self.stop_wake, at),
            None => {
                // A name put back while it was stopping is started at the next scan.
                self.services.remove(&key);
                self.must_scan = true;
            }
        }
    }

    /// Moves every stop along once a stop deadline has come (walking the
    /// whole table only then). Returns when to look again.
    fn tend(&mut self, now: Instant) -> Option<Instant> {
        if self.stop_wake.is_some_and(|w| w <= now) {
            self.stop_wake = None;
            let mut done = Vec::new();
            for (key, s) in self.services.iter_mut() {
                match tend(s, now, self.grace) {
                    Some(at) => wake_by(&mut self.stop_wake, at),
                    None if s.stop.is_some() => done.push(*key),
                    None => {}
                }
            }
            for key in done {
                self.services.remove(&key);
                self.must_scan = true;
            }
        }
        self.stop_wake
    }
}

/// `tend` for an adopted entry: the same letters at the same times, written
/// to `name/supervise/control` and `name/log/supervise/control`; what is
/// down is seen by polling `ok` (no SIGCHLD comes for another's child). Past
/// the last step it is given up, as no pid is known to KILL.
fn tend_adopted(
    dir: &OwnedFd,
    stop: &mut Stop,
    now: Instant,
    [kill_service, term_log, kill_all]: [Instant; 3],
) -> Option<Instant> {
    let (log, first, later, deadline) = if svdir::supervised_in(dir.as_fd(), false) {
        (false, (ASKED, &b"dx"[..]), (KILLED, &b"k"[..]), kill_service)
    } else if svdir::supervised_in(dir.as_fd(), true) {
        (true, (LOG_ASKED, &b"x"[..]), (LOG_TERMED, &b"dx"[..]), term_log)
    } else {
        return None;
    };
    if now >= kill_all {
        return None;
    }
    for (flag, letters) in [Some(first), Some(later).filter(|_| now >= deadline)].into_iter().flatten() {
        if stop.done & flag == 0 && svdir::control_in(dir.as_fd(), log, letters) {
            stop.done |= flag;
        }
    }
    Some(now + POLL)
}

/// In a supervise's child before exec: a session of its own, so that the
/// signals of svscan's terminal (Ctrl-C's INT, a hang-up) reach svscan
/// alone, which then takes every service down in order and loses no logged
/// line. Async-signal-safe.
fn apart() -> Result<(), Errno> {
    nix::unistd::setsid().map(drop)
}

/// The entry `name` open as a directory, if it is still the one `key` names.
fn open_entry(name: &CStr, key: Key) -> Option<OwnedFd> {
    let flags = nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC;
    let fd = nix::fcntl::open(name, flags, nix::sys::stat::Mode::empty()).ok()?;
    let st = nix::sys::stat::fstat(&fd).ok()?;
    ((st.st_dev, st.st_ino) == key).then_some(fd)
}

/// A grace period: seconds (`2`, `0.5`) or a duration with its unit (`300ms`).
/// At most a day, so that no deadline overflows.
fn parse_grace(s: &OsStr) -> Option<Duration> {
    let s = s.to_str()?;
    let grace = match s.parse::<f64>() {
        Ok(secs) => Duration::try_from_secs_f64(secs).ok(),
        Err(_) => humantime::parse_duration(s).ok(),
    };
    grace.filter(|g| *g <= MAX_GRACE)
}

/// The new entries inotify reports: created symlinks and anything moved in
/// (and whether events were lost). A directory made in place is left to the
/// next scan: whoever made it may still be filling it, and a `log/` made
/// after its service started would never be joined to it.
fn arrivals(inotify: &Inotify) -> (Vec<CString>, bool) {
    let (mut names, mut overflow) = (Vec::new(), false);
    while let Ok(events) = inotify.read_events() {
        for ev in events {
            overflow |= ev.mask.contains(AddWatchFlags::IN_Q_OVERFLOW);
            let made_dir = ev.mask.contains(AddWatchFlags::IN_CREATE | AddWatchFlags::IN_ISDIR);
            let Some(name) = ev.name.filter(|n| !n.as_bytes().starts_with(b".")) else { continue };
            if !made_dir {
                names.extend(CString::new(name.into_vec()).ok());
            }
        }
    }
    (names, overflow)
}

fn main() {
    if let Some(text) =
        daemontools::msg::about("svscan", "svscan [ -g grace ] [ dir ]", daemontools::msg::lone_arg().as_deref())
    {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    let mut grace = DEFAULT_GRACE;
    let mut opts = Getopt::new(std::env::args_os().skip(1).collect(), "g:");
    for opt in opts.by_ref() {
        match opt {
            Opt::Arg(b'g', v) => {
                grace = parse_grace(&v).unwrap_or_else(|| {
                    say(
                        Level::Fatal,
                        &[
                            b"bad grace period ",
                            v.as_bytes(),
                            b": not seconds (5, 0.5) or a duration (300ms) of at most a day",
                        ],
                    );
                    usage()
                })
            }
            _ => usage(),
        }
    }
    let operands = opts.operands();
    match operands.as_slice() {
        [] => {}
        [dir] => {
            if let Err(e) = nix::unistd::chdir(dir.as_os_str()) {
                die(&[b"unable to chdir to ", dir.as_bytes(), b": ", errstr(e).as_bytes()]);
            }
        }
        _ => usage(),
    }
    // One svscan per directory: a second would take the first's supervisors
    // for orphans (a killed svscan's lock goes with it).
    let dir_name = operands.first().map_or(&b"."[..], |d| d.as_bytes()).to_vec();
    let flags = nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC;
    let _lock = match nix::fcntl::open(".", flags, nix::sys::stat::Mode::empty()) {
        Ok(fd) => match sys::lock(fd.as_fd(), false) {
            Ok(()) => fd,
            Err(Errno::EWOULDBLOCK) => die(&[b"unable to lock ", &dir_name, b": another svscan runs there"]),
            Err(e) => die(&[b"unable to lock ", &dir_name, b": ", errstr(e).as_bytes()]),
        },
        Err(e) => die(&[b"unable to open ", &dir_name, b": ", errstr(e).as_bytes()]),
    };
    let pipe = SelfPipe::new()
        .and_then(|p| {
            for sig in [libc::SIGCHLD, libc::SIGALRM, libc::SIGHUP, libc::SIGTERM, libc::SIGINT] {
                p.catch(sig)?;
            }
            Ok(p)
        })
        .unwrap_or_else(|e| die(&[b"unable to create pipe: ", errstr(e).as_bytes()]));
    // Without inotify (or with no watch left) the 5-second scan still works.
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK)
        .ok()
        .filter(|i| i.add_watch(".", AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO).is_ok());
    let mut scanner = Scanner {
        supervise: sys::find_program("supervise"),
        grace,
        nofile: sys::raise_nofile(),
        services: HashMap::new(),
        pids: HashMap::new(),
        stop_wake: None,
        seen: None,
        must_scan: true,
    };
    let (mut next_scan, mut shutdown) = (Instant::now(), None::<Instant>);
    loop {
        let now = Instant::now();
        if shutdown.is_none() && now >= next_scan {
            scanner.tick();
            next_scan = now + SCAN_INTERVAL;
        }
        let mut wake = scanner.tend(now);
        if shutdown.is_some() && scanner.services.is_empty() {
            break;
        }
        if shutdown.is_none() {
            wake_by(&mut wake, next_scan);
        }
        let timeout = wake.map(|w| w.saturating_duration_since(Instant::now()));
        let fds = [pipe.fd(), inotify.as_ref().map_or(pipe.fd(), |i| i.as_fd())];
        let [_, changed] = sys::poll_read(fds, timeout).unwrap_or([false; 2]);
        let signals = pipe.drain();
        // Read inotify's events even while shutting down, or poll would wake at once forever.
        let (names, overflow) = inotify.as_ref().filter(|_| changed).map(arrivals).unwrap_or_default();
        let now = Instant::now();
        // Only on SIGCHLD: with thousands of children each wait4 walks them all.
        // A supervise that died is started again a second later, not at the
        // next 5-second scan (daemontools' wait).
        if signals.contains(libc::SIGCHLD) && scanner.reap(now) {
            next_scan = next_scan.min(now + RESTART);
        }
        if shutdown.is_some() {
            continue;
        }
        if signals.contains(libc::SIGTERM) || signals.contains(libc::SIGINT) {
            scanner.stop(true, now);
            shutdown = Some(now);
            continue;
        }
        if signals.contains(libc::SIGALRM) || signals.contains(libc::SIGHUP) || overflow {
            scanner.scan();
            next_scan = now + SCAN_INTERVAL;
            if signals.contains(libc::SIGHUP) {
                scanner.stop(false, now);
            }
        }
        for name in names {
            scanner.start(&name);
        }
    }
    if nix::unistd::getpid().as_raw() == 1 {
        finish_as_init(&pipe, shutdown.unwrap_or_else(Instant::now) + grace + 2 * STEP);
    }
}

/// As PID 1, once the services are down: TERM to every process left in the
/// namespace, KILL at `deadline` to what is still there, and reap them all.
fn finish_as_init(pipe: &SelfPipe, deadline: Instant) {
    // SAFETY: kill(2) has no memory effects; -1 is everyone but ourselves.
    unsafe { libc::kill(-1, libc::SIGTERM) };
    let deadline = deadline.max(Instant::now() + STEP);
    while sys::children_left() {
        while sys::reap().is_some() {}
        let Some(left) = deadline.checked_duration_since(Instant::now()) else { break };
        let _ = sys::poll_read([pipe.fd()], Some(left.min(RETRY)));
        pipe.drain();
    }
    // SAFETY: as above.
    unsafe { libc::kill(-1, libc::SIGKILL) };
    while sys::reap_wait().is_some() {}
}
