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
use daemontools::msg::{errstr, Failure, Level, Prog, EXIT_TEMP};
use daemontools::scanner::{self, Action, Event, Holder, Id, Key, Role, Scanner, Stamp, Step, Target, ROLES};
use daemontools::sys::{self, Argv, SelfPipe};
use daemontools::{cli, svdir, Errno};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use nix::sys::stat::{fstat, lstat, stat};
use std::collections::HashMap;
use std::ffi::{CStr, CString, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

const PROG: Prog = Prog::new("svscan", "svscan [ -g grace ] [ dir ]");

/// svscan's I/O: carries out what the [`Scanner`] decides and holds the
/// descriptors it keys by entry: the pipes and the adopted directories.
struct Svscan {
    scanner: Scanner,
    supervise: PathBuf,
    /// The limits on open files to give back to children.
    nofile: Option<libc::rlimit>,
    pipes: HashMap<Id, (OwnedFd, OwnedFd)>,
    adopted: HashMap<Id, OwnedFd>,
    /// The entry the last probe opened, kept if the scanner adopts it.
    probed: Option<OwnedFd>,
    exit: Option<(i32, Instant)>,
}

impl Svscan {
    /// Hands `event` to the scanner and carries out what it decides, in
    /// order; `name` is the entry the dialogue is about.
    fn feed(&mut self, event: Event, name: Option<&CStr>) {
        for action in self.scanner.handle(event, Instant::now()) {
            self.act(action, name);
        }
    }

    fn act(&mut self, action: Action, name: Option<&CStr>) {
        let entry = || name.expect("an action about the entry just seen");
        match action {
            Action::Stat => self.feed(Event::Stamp(stamp()), None),
            Action::Read => self.read(),
            Action::Inspect(key) => self.inspect(key, entry()),
            Action::Pipe(id) => {
                let pipe = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC);
                if let Err(e) = &pipe {
                    warn(&[b"unable to create pipe for ", entry().to_bytes()], *e);
                }
                let ok = pipe.map(|p| self.pipes.insert(id, p)).is_ok();
                self.feed(Event::Piped { id, ok }, name);
            }
            Action::ClosePipe(id) => drop(self.pipes.remove(&id)),
            Action::Probe { id, key, halves } => self.probe(id, key, halves, entry()),
            Action::Adopt(id) => self.adopted.extend(self.probed.take().map(|fd| (id, fd))),
            Action::Disown(id) => drop(self.adopted.remove(&id)),
            Action::Spawn(id, role) => {
                let pid = self.spawn(id, role, entry());
                self.feed(Event::Spawned { id, role, pid }, name);
            }
            Action::Send { id, to, step, rung } => {
                let letters = step.letters();
                let sent = match to {
                    // daemontools' supervise, if PATH gave us that, dies on SIGTERM.
                    Target::Pid(pid) => {
                        control(pid, letters) || (step == Step::Term && sys::kill(pid, libc::SIGTERM).is_ok())
                    }
                    Target::Adopted(role) => {
                        self.adopted.get(&id).is_some_and(|d| svdir::control_in(d.as_fd(), role.is_log(), letters))
                    }
                };
                if let Some(rung) = rung.filter(|_| !sent) {
                    self.feed(Event::Unsent { id, rung }, None);
                }
            }
            Action::Kill(pid) => sys::kill_with_children(pid),
            Action::Look(id) => {
                let dir = self.adopted.get(&id).map(|d| d.as_fd());
                let halves = ROLES.map(|r| dir.is_some_and(|d| svdir::supervised_in(d, r.is_log())));
                self.feed(Event::Supervised { id, halves }, None);
            }
            Action::Forget(id) => drop((self.pipes.remove(&id), self.adopted.remove(&id))),
            Action::Exit { code, orphans_by } => self.exit = Some((code, orphans_by)),
        }
    }

    /// Reads the directory whole.
    fn read(&mut self) {
        let unread = match nix::dir::Dir::open(".", nix::fcntl::OFlag::O_RDONLY, nix::sys::stat::Mode::empty()) {
            Ok(mut dir) => dir.iter().find_map(|entry| match entry {
                Ok(e) => {
                    if !e.file_name().to_bytes().starts_with(b".") {
                        self.look(e.file_name());
                    }
                    None
                }
                Err(e) => Some(e),
            }),
            Err(e) => Some(e),
        };
        if let Some(e) = unread {
            self.failed(&[b"unable to read directory"], e);
        }
        self.feed(Event::ReadDone, None);
    }

    /// Tells the scanner of the entry `name` if it is a directory.
    fn look(&mut self, name: &CStr) {
        let st = match stat(name) {
            Ok(st) => st,
            // Gone already (`ln -sfn` renames a temporary name over the link,
            // and inotify reports that name): nothing to start, nothing to say.
            Err(Errno::ENOENT) if lstat(name).is_err_and(|e| e == Errno::ENOENT) => return,
            Err(e) => return self.failed(&[b"unable to stat ", name.to_bytes()], e),
        };
        if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
            self.feed(Event::Entry((st.st_dev, st.st_ino)), Some(name));
        }
    }

    fn inspect(&mut self, key: Key, name: &CStr) {
        let n = name.to_bytes();
        let has_log = match stat([n, b"/log"].concat().as_slice()) {
            Ok(st) => st.st_mode & libc::S_IFMT == libc::S_IFDIR,
            Err(Errno::ENOENT) => false,
            Err(e) => return self.failed(&[b"unable to stat ", n, b"/log"], e),
        };
        self.feed(Event::New { key, has_log }, Some(name));
    }

    /// Who holds the halves asked about. Opened only when something is to
    /// be started (an idle rescan opens nothing).
    fn probe(&mut self, id: Id, key: Key, halves: [bool; 2], name: &CStr) {
        let entry = sys::open_read_dir(name).ok();
        let held = |r: Role| {
            entry.as_ref().map(|e| e.as_fd()).filter(|e| halves[r as usize] && svdir::supervised_in(*e, r.is_log()))
        };
        let holders = ROLES.map(|r| match held(r) {
            None => Holder::Free,
            Some(e) if theirs(e, r) => Holder::Theirs,
            Some(_) => Holder::Adoptable,
        });
        // Kept only while it is still the entry `key` names.
        let same = |e: &OwnedFd| fstat(e).is_ok_and(|st| (st.st_dev, st.st_ino) == key);
        self.probed = entry.filter(|e| holders.contains(&Holder::Adoptable) && same(e));
        let adoptable = self.probed.is_some();
        self.feed(Event::Held { id, holders, adoptable }, Some(name));
        self.probed = None;
    }

    /// Starts a supervise for the half `role` of the entry `name`.
    fn spawn(&mut self, id: Id, role: Role, name: &CStr) -> Option<u32> {
        let n = name.to_bytes();
        let (argv, what) = match role {
            // A name such as `--help` or `-d` is passed as `./--help`, so that
            // supervise cannot take it for an option.
            Role::Service => {
                let arg = if n.starts_with(b"-") { [&b"./"[..], n].concat() } else { n.to_vec() };
                (Argv::new(self.supervise.as_os_str().as_bytes(), &[&b"supervise"[..], &arg]), n.to_vec())
            }
            Role::Log => {
                (Argv::new(self.supervise.as_os_str().as_bytes(), &["supervise", "log"]), [n, b"/log"].concat())
            }
        };
        let argv = argv.expect("no NUL");
        let mut fail = PROG.line(Level::Warning, &[b"unable to start supervise ", &what, b": "]);
        fail.pop();
        let (nofile, pipe) = (self.nofile.as_ref(), self.pipes.get(&id));
        // In the child before exec, async-signal-safe: the limits svscan was
        // given; a session of its own, so that the signals of svscan's
        // terminal (Ctrl-C's INT, a hang-up) reach svscan alone, which then
        // takes every service down in order and loses no logged line; and
        // the pipe as the service's output or the logger's input.
        let setup = || {
            nofile.iter().for_each(|lim| sys::set_nofile(lim));
            nix::unistd::setsid()?;
            match (role, pipe) {
                (Role::Service, Some((_, w))) => sys::dup_onto(w.as_fd(), 1),
                (Role::Service, None) => Ok(()),
                (Role::Log, Some((r, _))) => sys::dup_onto(r.as_fd(), 0).and_then(|()| nix::unistd::chdir(name)),
                (Role::Log, None) => Err(Errno::EPIPE),
            }
        };
        sys::spawn(&argv, &fail, setup).map_err(|e| warn(&[b"unable to fork for ", &what], e)).ok()
    }

    /// Says what could not be done; the scanner tries again at the next scan.
    fn failed(&mut self, parts: &[&[u8]], e: Errno) {
        warn(parts, e);
        self.feed(Event::Failed, None);
    }
}

fn warn(parts: &[&[u8]], e: Errno) {
    cli::warn(&PROG, &[&parts.concat()[..], b": ", errstr(e).as_bytes()]);
}

/// Writes control letters to the supervise running as `pid`, through the
/// control FIFO it holds open (see `svdir::control_of`), so that an entry
/// whose directory was renamed or removed is still reached.
fn control(pid: u32, letters: &[u8]) -> bool {
    svdir::control_of(pid).and_then(|fd| sys::write_all(fd.as_fd(), letters)).is_ok()
}

/// Whether the supervise holding that half is another live svscan's.
fn theirs(entry: BorrowedFd, role: Role) -> bool {
    let holder = svdir::lock_holder(entry, role.is_log());
    holder.and_then(sys::parent_of).is_some_and(|(ppid, comm)| ppid != std::process::id() && comm == "svscan")
}

/// The directory's change time: every change to its entries moves it.
fn stamp() -> Option<Stamp> {
    let st = stat(".").ok()?;
    let wall = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).ok()?;
    Some(Stamp { changed: (st.st_ctime, st.st_ctime_nsec), wall })
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

fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let mut grace = scanner::DEFAULT_GRACE;
    let mut opts = Getopt::new(args, "g:");
    for opt in opts.by_ref() {
        let Opt::Arg(b'g', v) = opt else { return Err(Failure::usage()) };
        let why: &[u8] = b": not seconds (5, 0.5) or a duration (300ms) of at most a day";
        let bad = || Failure::fatal(100, &[b"bad grace period ", v.as_bytes(), why]).then_usage();
        grace = v.to_str().and_then(scanner::parse_grace).ok_or_else(bad)?;
    }
    let operands = opts.operands();
    let dir_name = match operands.as_slice() {
        [] => b".".to_vec(),
        [dir] => {
            let d = dir.as_bytes();
            nix::unistd::chdir(dir.as_os_str()).map_err(|e| Failure::temp(&[b"unable to chdir to ", d], e))?;
            d.to_vec()
        }
        _ => return Err(Failure::usage()),
    };
    // One svscan per directory: a second would take the first's supervisors
    // for orphans (a killed svscan's lock goes with it).
    let flags = nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC;
    let lock = nix::fcntl::open(".", flags, nix::sys::stat::Mode::empty())
        .map_err(|e| Failure::temp(&[b"unable to open ", &dir_name], e))?;
    sys::lock(lock.as_fd(), false).map_err(|e| match e {
        Errno::EWOULDBLOCK => {
            Failure::fatal(EXIT_TEMP, &[b"unable to lock ", &dir_name, b": another svscan runs there"])
        }
        e => Failure::temp(&[b"unable to lock ", &dir_name], e),
    })?;
    let signals = [libc::SIGCHLD, libc::SIGALRM, libc::SIGHUP, libc::SIGTERM, libc::SIGINT];
    let pipe = SelfPipe::new()
        .and_then(|p| signals.into_iter().try_for_each(|sig| p.catch(sig)).map(|()| p))
        .map_err(|e| Failure::temp(&[b"unable to create pipe"], e))?;
    // Without inotify (or with no watch left) the 5-second scan still works.
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK)
        .ok()
        .filter(|i| i.add_watch(".", AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO).is_ok());
    let mut sv = Svscan {
        scanner: Scanner::new(grace, Instant::now()),
        supervise: sys::find_program("supervise"),
        nofile: sys::raise_nofile(),
        pipes: HashMap::new(),
        adopted: HashMap::new(),
        probed: None,
        exit: None,
    };
    loop {
        sv.feed(Event::Timer, None);
        if let Some((code, orphans_by)) = sv.exit {
            if nix::unistd::getpid().as_raw() == 1 {
                finish_as_init(&pipe, orphans_by);
            }
            return Ok(code);
        }
        let timeout = sv.scanner.deadline().map(|w| w.saturating_duration_since(Instant::now()));
        let fds = [pipe.fd(), inotify.as_ref().map_or(pipe.fd(), |i| i.as_fd())];
        let [_, changed] = sys::poll_read(fds, timeout).unwrap_or([false; 2]);
        let signals = pipe.drain();
        // Read inotify's events even while shutting down, or poll would wake at once forever.
        let (names, overflow) = inotify.as_ref().filter(|_| changed).map(arrivals).unwrap_or_default();
        // Only on SIGCHLD: with thousands of children each wait4 walks them all.
        if signals.contains(libc::SIGCHLD) {
            while let Some((pid, _)) = sys::reap() {
                sv.feed(Event::Exited(pid), None);
            }
        }
        if signals.contains(libc::SIGTERM) || signals.contains(libc::SIGINT) {
            sv.feed(Event::Term, None);
        } else if signals.contains(libc::SIGALRM) || signals.contains(libc::SIGHUP) || overflow {
            sv.feed(Event::Rescan { hup: signals.contains(libc::SIGHUP) }, None);
        }
        if !sv.scanner.shutting_down() {
            names.iter().for_each(|name| sv.look(name));
        }
    }
}

/// As PID 1, once the services are down: TERM to every process left in the
/// namespace, KILL at `deadline` to what is still there, and reap them all.
fn finish_as_init(pipe: &SelfPipe, deadline: Instant) {
    // SAFETY: kill(2) has no memory effects; -1 is everyone but ourselves.
    unsafe { libc::kill(-1, libc::SIGTERM) };
    let deadline = deadline.max(Instant::now() + scanner::STEP);
    while sys::children_left() {
        while sys::reap().is_some() {}
        let Some(left) = deadline.checked_duration_since(Instant::now()) else { break };
        let _ = sys::poll_read([pipe.fd()], Some(left.min(scanner::RETRY)));
        pipe.drain();
    }
    // SAFETY: as above.
    unsafe { libc::kill(-1, libc::SIGKILL) };
    while sys::reap_wait().is_some() {}
}

fn main() {
    cli::main(&PROG, run)
}
