//! `supervise DIR`: runs `DIR/run`, restarts it when it exits, obeys the
//! letters written to `DIR/supervise/control` and reports in
//! `DIR/supervise/status`. daemontools 0.76, except that the one-second
//! spacing of starts is a timer (control letters act at once meanwhile) and
//! SIGTERM means `svc -dx` instead of orphaning the service.
//!
//! Beyond daemontools, switched on by files in the service directory:
//! `finish` (run after `run` exits, with `EXITCODE SIGNAL DIRNAME`),
//! `timeout-finish` (ms, default 5000), `down-signal` (a name such as
//! `SIGINT`), `timeout-kill` (ms), `restart-backoff-max` (s),
//! `restart-limit` (`COUNT SECONDS`), `notification-fd` (the service writes a
//! newline to that descriptor when ready); letters `q`, `1`, `2`; and
//! `supervise/info` beside the unchanged status, for `svstat -j`.
//!
//! One thread, one `poll` over the self-pipe and the control FIFO.

use daemontools::msg::{self, errstr, Level, EXIT_TEMP, EXIT_USAGE};
use daemontools::supervise::{settings, Actions, Ending, Event, Machine, Now, Policy};
use daemontools::svdir::{self, inside};
use daemontools::sys::{self, Argv, AtomicStep, SelfPipe};
use daemontools::{tai64, Errno};
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::time::Instant;

const PROG: &str = "supervise";

fn say(level: Level, parts: &[&[u8]]) {
    let _ = std::io::stderr().write_all(&msg::line(PROG, level, parts));
}

fn die(code: i32, parts: &[&[u8]]) -> ! {
    say(Level::Fatal, parts);
    std::process::exit(code)
}

fn now() -> Now {
    Now { mono: Instant::now(), tai: tai64::now() }
}

struct Supervise<'a> {
    dir: &'a [u8],
    /// The service directory's own name, `./finish`'s third argument.
    name: Vec<u8>,
    machine: Machine,
    run: Argv,
    start_failed: Vec<u8>,
    /// The read end of the running service's notification descriptor, until it says it is ready.
    ready_pipe: Option<OwnedFd>,
    /// `supervise/`, open: status, info and the waiters' FIFOs are reached through it.
    sup: OwnedFd,
}

/// Opens for reading the FIFO `name` in `supervise/` (open as `sup`), made
/// if missing. Anything else found under that name (a regular file left by
/// a restore that dropped FIFOs, on which poll would spin) is replaced by a
/// FIFO, said in one line.
fn fifo(dir: &[u8], sup: std::os::fd::BorrowedFd, name: &std::ffi::CStr) -> Result<OwnedFd, Errno> {
    sys::mkfifo_at(sup, name, 0o600)?;
    let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW;
    let is_fifo = |st: libc::stat| st.st_mode & libc::S_IFMT == libc::S_IFIFO;
    if !sys::stat_at_nofollow(sup, name).is_ok_and(is_fifo) {
        let n = name.to_bytes();
        say(Level::Warning, &[dir, b"/supervise/", n, b" was not a FIFO: made anew"]);
        sys::unlink_at(sup, name)?;
        sys::mkfifo_at(sup, name, 0o600)?;
    }
    let fd = sys::open_at(sup, name, flags, 0)?;
    match nix::sys::stat::fstat(&fd) {
        Ok(st) if is_fifo(st) => Ok(fd),
        Ok(_) => Err(Errno::EINVAL),
        Err(e) => Err(e),
    }
}

/// The highest descriptor a service may be given: below the open-files limit.
fn max_fd() -> i32 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit with a valid pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 1023;
    }
    lim.rlim_cur.saturating_sub(1).min(i32::MAX as u64) as i32
}

/// One setting file in the service directory: only a regular file is read
/// (a FIFO would block supervise, `/dev/zero` would never end), without
/// blocking and with a bound.
fn setting(name: &str) -> settings::Read {
    let Ok(path) = std::ffi::CString::new(name) else { return settings::Read::Missing };
    match sys::read_small(&path, settings::SETTING_MAX) {
        Ok(text) => settings::Read::Text(text),
        Err(sys::Small::Missing) => settings::Read::Missing,
        Err(sys::Small::NotRegular) => settings::Read::Unreadable("not a regular file"),
        Err(sys::Small::Failed(e)) => settings::Read::Unreadable(errstr(e)),
    }
}

/// What the service directory asks for now (the files are read at each
/// event, as s6 does). `dir` names it in warnings.
fn policy(dir: &[u8]) -> Policy {
    // SAFETY: access(2) with a valid C string.
    let finish = unsafe { libc::access(c"finish".as_ptr(), libc::X_OK) } == 0;
    let (policy, warnings) = settings::policy(finish, setting, max_fd);
    for w in warnings {
        say(Level::Warning, &w.parts(dir));
    }
    policy
}

impl Supervise<'_> {
    fn announce(&self) {
        // The extra state first, so that a reader woken by the status finds it current.
        let sup = self.sup.as_fd();
        let _ = sys::write_atomic_at(sup, inside::INFO_NEW, inside::INFO, &self.machine.info().pack());
        if let Err((step, e)) =
            sys::write_atomic_at(sup, inside::STATUS_NEW, inside::STATUS, &self.machine.status().pack())
        {
            let what: &[u8] = match step {
                AtomicStep::Open => b"unable to open ",
                AtomicStep::Write => b"unable to write ",
                AtomicStep::Rename => b"unable to rename ",
            };
            let path: &[u8] = match step {
                AtomicStep::Rename => b"/supervise/status.new to status: ",
                _ => b"/supervise/status.new: ",
            };
            say(Level::Warning, &[what, self.dir, path, errstr(e).as_bytes()]);
        }
        // `svc -w` and the like: woken by the change itself.
        daemontools::waiting::notify(sup);
    }

    fn start(&mut self) {
        self.ready_pipe = None;
        let notify = self.machine.policy.notification_fd.and_then(|n| {
            let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK).ok()?;
            sys::set_nonblocking(w.as_fd(), false).ok()?;
            Some((r, w, n))
        });
        let w = notify.as_ref().map(|(_, w, n)| (w.as_raw_fd(), *n));
        let started = sys::spawn(&self.run, &self.start_failed, || match w {
            Some((from, to)) => sys::move_fd(from, to),
            None => Ok(()),
        });
        self.ready_pipe = notify.map(|(r, ..)| r);
        match started {
            Ok(pid) => self.machine.started(pid, now()),
            Err(e) => {
                say(Level::Warning, &[b"unable to fork for ", self.dir, b": ", errstr(e).as_bytes()]);
                self.machine.start_failed(now());
            }
        }
    }

    fn start_finish(&mut self, (code, sig): (i32, i32)) {
        let (code, sig) = (code.to_string(), sig.to_string());
        let argv = Argv::new("./finish", &[b"./finish", code.as_bytes(), sig.as_bytes(), &self.name]);
        let started = argv.ok_or(Errno::EINVAL).and_then(|argv| {
            let fail = [b"supervise: fatal: unable to start ", self.dir, b"/finish: "].concat();
            sys::spawn(&argv, &fail, || Ok(()))
        });
        match started {
            Ok(pid) => self.machine.finish_started(pid, now()),
            Err(e) => {
                say(Level::Warning, &[b"unable to fork for ", self.dir, b"/finish: ", errstr(e).as_bytes()]);
                let a = self.machine.finish_failed(now());
                self.act(a);
            }
        }
    }

    fn handle(&mut self, event: Event) {
        // The service directory's settings, read again when they may matter
        // (not for a byte that is no control letter: a flood of garbage on
        // control would cost seven file lookups a byte).
        let letter = |c| daemontools::control::Letter::from_byte(c).is_some();
        if matches!(event, Event::Exited(_) | Event::Terminate) || matches!(event, Event::Letter(c) if letter(c)) {
            self.machine.policy = policy(self.dir);
        }
        let a: Actions = self.machine.handle(event, now());
        self.act(a);
    }

    fn act(&mut self, a: Actions) {
        let pid = self.machine.pid();
        for sig in a.signals.into_iter().flatten() {
            let _ = sys::kill(pid, sig);
        }
        let finish = self.machine.finish_pid();
        // Never 0 or the placeholder: kill(2) would take them for a group or everything.
        if a.kill_finish && finish != 0 && finish != u32::MAX {
            let _ = sys::kill(finish, libc::SIGKILL);
        }
        if let Some(args) = a.finish {
            self.start_finish(args);
        }
        if a.start {
            self.start();
        }
        if a.announce || a.start {
            self.announce();
        }
        if a.exit {
            std::process::exit(0);
        }
    }
}

fn main() {
    if let Some(text) = daemontools::msg::about("supervise", "supervise dir", daemontools::msg::lone_arg().as_deref()) {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let [dir] = &args[..] else {
        let _ = std::io::stderr().write_all(b"supervise: usage: supervise dir\n");
        std::process::exit(EXIT_USAGE);
    };
    let dir = dir.as_bytes();
    // Every startup failure: `unable to WHAT DIR[PATH]: REASON`, exit 111.
    let fail =
        |what: &[u8], path: &[u8], e: Errno| -> ! { die(EXIT_TEMP, &[what, dir, path, b": ", errstr(e).as_bytes()]) };

    let pipe = SelfPipe::new().unwrap_or_else(|e| fail(b"unable to create pipe for ", b"", e));
    for sig in [libc::SIGCHLD, libc::SIGTERM] {
        pipe.catch(sig).unwrap_or_else(|e| fail(b"unable to catch signals for ", b"", e));
    }
    svdir::enter(args[0].as_os_str()).unwrap_or_else(|e| fail(b"unable to chdir to ", b"", e));

    // supervise/, open once: every file in it is reached through this
    // descriptor, so that its owner cannot bend a path under us (the
    // service directory may belong to the service's account).
    let _ = sys::mkdir(svdir::SUPERVISE, 0o700);
    let here = sys::open_read_dir(c".").unwrap_or_else(|e| fail(b"unable to acquire ", b"/supervise/lock", e));
    let sup = svdir::open_dir_at(here.as_fd(), svdir::SUPERVISE, true).unwrap_or_else(|e| match e {
        svdir::DirError::Sys(e) => fail(b"unable to acquire ", b"/supervise/lock", e),
        svdir::DirError::Foreign(uid) | svdir::DirError::ForeignLink(uid) => {
            let what: &[u8] = if matches!(e, svdir::DirError::Foreign(_)) { b"" } else { b" (a symlink)" };
            die(
                EXIT_TEMP,
                &[
                    b"unable to acquire ",
                    dir,
                    b"/supervise/lock: ",
                    dir,
                    b"/supervise",
                    what,
                    b" belongs to uid ",
                    uid.to_string().as_bytes(),
                    b", neither root nor this supervise's",
                ],
            )
        }
    });
    drop(here);
    let flags = libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT | libc::O_NONBLOCK | libc::O_NOFOLLOW;
    let _lock: OwnedFd = sys::open_at(sup.as_fd(), inside::LOCK, flags, 0o600)
        .and_then(|fd| sys::lock(fd.as_fd(), false).map(|()| fd))
        .unwrap_or_else(|e| fail(b"unable to acquire ", b"/supervise/lock", e));
    let normally_up = svdir::normally_up().unwrap_or_else(|e| fail(b"unable to stat ", b"/down", e));

    let control =
        fifo(dir, sup.as_fd(), inside::CONTROL).unwrap_or_else(|e| fail(b"unable to read ", b"/supervise/control", e));
    // Our own write end: the reader never sees end of file.
    let _control_write =
        sys::open_at(sup.as_fd(), inside::CONTROL, libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW, 0)
            .unwrap_or_else(|e| fail(b"unable to write ", b"/supervise/control", e));

    // The directory's own name: the last part of the path, or of the working directory for `.`.
    let last = std::path::Path::new(args[0].as_os_str()).file_name().map(|n| n.as_bytes().to_vec());
    let cwd = || std::env::current_dir().ok().and_then(|d| d.file_name().map(|n| n.as_bytes().to_vec()));
    let name = last.or_else(cwd).unwrap_or_else(|| dir.to_vec());
    let mut sv = Supervise {
        dir,
        name,
        machine: Machine::new(normally_up, now()),
        run: Argv::new("./run", &["./run"]).expect("no NUL"),
        start_failed: [b"supervise: fatal: unable to start ", dir, b"/run: "].concat(),
        ready_pipe: None,
        sup,
    };
    // The status exists before `ok` does, so whoever finds `ok` finds a status.
    sv.announce();
    let _ok = fifo(dir, sv.sup.as_fd(), inside::OK).unwrap_or_else(|e| fail(b"unable to read ", b"/supervise/ok", e));

    sv.machine.policy = policy(dir);
    let boot = sv.machine.boot(now());
    sv.act(boot);

    let mut buf = [0u8; 64];
    loop {
        let timeout = sv.machine.deadline().map(|d| d.saturating_duration_since(Instant::now()));
        let ready_fd = sv.ready_pipe.as_ref().map_or(-1, |r| r.as_raw_fd());
        let [_, control_ready, notified] =
            sys::poll_raw([pipe.fd().as_raw_fd(), control.as_raw_fd(), ready_fd], timeout)
                .unwrap_or_else(|e| fail(b"unable to poll in ", b"", e));
        if notified {
            // A newline says ready; the end of file, that it never will be.
            match nix::unistd::read(sv.ready_pipe.as_ref().expect("polled").as_fd(), &mut buf) {
                Ok(n) if buf[..n].contains(&b'\n') => {
                    sv.ready_pipe = None;
                    sv.handle(Event::Ready);
                }
                Ok(0) => sv.ready_pipe = None,
                _ => {}
            }
        }

        let signals = pipe.drain();
        if signals.contains(libc::SIGCHLD) {
            while let Some((pid, status)) = sys::reap() {
                if pid == sv.machine.pid() {
                    sv.ready_pipe = None;
                    sv.handle(Event::Exited(Ending::from_wait(status)));
                } else if pid == sv.machine.finish_pid() {
                    sv.handle(Event::FinishExited(Ending::from_wait(status)));
                }
            }
        }
        if signals.contains(libc::SIGTERM) {
            sv.handle(Event::Terminate);
        }
        if control_ready {
            if let Ok(n) = nix::unistd::read(control.as_fd(), &mut buf) {
                for &letter in &buf[..n] {
                    sv.handle(Event::Letter(letter));
                }
            }
        }
        if sv.machine.deadline().is_some_and(|d| Instant::now() >= d) {
            sv.handle(Event::Timer);
        }
    }
}
