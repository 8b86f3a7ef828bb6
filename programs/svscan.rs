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
//! at shutdown stops what is left in the namespace too. `svscanctl -a`, `-h`
//! and `-t`, through the FIFO `.svscan/control` made in DIR, do what
//! SIGALRM, SIGHUP and SIGTERM do, to this svscan alone. An entry's
//! `needs/`, read when its supervise is started, orders the stops: a
//! service goes down before those it needs (a cycle said once, on stderr).

use daemontools::container::{self, Essentials};
use daemontools::getopt::{Getopt, Opt};
use daemontools::msg::{Failure, Level, Prog};
use daemontools::scandir::{self, ScanDir};
use daemontools::scanner::{self, Action, Event, Id, Role, Scanner, Step, Target, ROLES};
use daemontools::svdir::ServiceDir;
use daemontools::sys::{self, Argv, SelfPipe};
use daemontools::{cli, needs, tree, Errno};
use std::collections::HashMap;
use std::ffi::{CStr, OsString};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Instant;

pub const PROG: Prog = Prog::new("svscan", "svscan [ -g grace ] [ dir [ -- command [ arg ... ] ] ]");

/// svscan's I/O: carries out what the [`Scanner`] decides and holds the
/// descriptors it keys by entry: the pipes and the adopted directories.
struct Svscan {
    scanner: Scanner,
    dir: ScanDir,
    supervise: PathBuf,
    /// The limits on open files to give back to children.
    nofile: Option<libc::rlimit>,
    pipes: HashMap<Id, (OwnedFd, OwnedFd)>,
    adopted: HashMap<Id, ServiceDir>,
    /// The entry the last probe opened, kept if the scanner adopts it.
    probed: Option<ServiceDir>,
    exit: Option<(i32, Instant)>,
    /// The services marked `essential`, watched for a failure for good.
    essentials: Essentials,
    /// Each entry's name when it was started, for the warnings about needs.
    names: HashMap<Id, Vec<u8>>,
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
            Action::Stat => self.feed(Event::Stamp(self.dir.stamp()), None),
            Action::Read => {
                if let Err(e) = ScanDir::read(|name| self.look(name)) {
                    self.failed(&[b"unable to read directory"], e);
                }
                self.feed(Event::ReadDone, None);
            }
            Action::Inspect(key) => match scandir::has_log(entry()) {
                Ok(has_log) => self.feed(Event::New { key, has_log }, name),
                Err(e) => self.failed(&[b"unable to stat ", entry().to_bytes(), b"/log"], e),
            },
            Action::Pipe(id) => {
                let pipe = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC);
                if let Err(e) = &pipe {
                    cli::warn_sys(&PROG, &[b"unable to create pipe for ", entry().to_bytes()], *e);
                }
                let ok = pipe.map(|p| self.pipes.insert(id, p)).is_ok();
                self.feed(Event::Piped { id, ok }, name);
            }
            Action::ClosePipe(id) => drop(self.pipes.remove(&id)),
            Action::Probe { id, key, halves } => {
                let (holders, dir) = scandir::holders(entry(), key, halves);
                self.probed = dir;
                let adoptable = self.probed.is_some();
                self.feed(Event::Held { id, holders, adoptable }, name);
                self.probed = None;
            }
            Action::Adopt(id) => {
                self.learn_needs(id, entry());
                self.adopted.extend(self.probed.take().map(|dir| (id, dir)));
            }
            Action::Disown(id) => drop(self.adopted.remove(&id)),
            Action::Spawn(id, role) => {
                if role == Role::Service {
                    self.learn_needs(id, entry());
                }
                let pid = self.spawn(id, role, entry());
                self.feed(Event::Spawned { id, role, pid }, name);
                // One already failed for good when it is first watched ends it all too.
                if pid.is_some() && role == Role::Service && self.essentials.mind(entry()) {
                    if let Some(code) = Essentials::failed(entry()) {
                        self.feed(Event::Essential(code), None);
                    }
                }
            }
            Action::Send { id, to, step, rung } => {
                let letters = step.letters();
                let sent = match to {
                    // daemontools' supervise, if PATH gave us that, dies on SIGTERM.
                    Target::Pid(pid) => {
                        scandir::control(pid, letters) || (step == Step::Term && sys::kill(pid, libc::SIGTERM).is_ok())
                    }
                    Target::Adopted(role) => self.adopted.get(&id).is_some_and(|d| d.control(role.is_log(), letters)),
                };
                if let Some(rung) = rung.filter(|_| !sent) {
                    self.feed(Event::Unsent { id, rung }, None);
                }
            }
            Action::Kill(pid) => sys::kill_with_children(pid),
            Action::Look(id) => {
                let dir = self.adopted.get(&id);
                let halves = ROLES.map(|r| dir.is_some_and(|d| d.supervised(r.is_log())));
                self.feed(Event::Supervised { id, halves }, None);
            }
            Action::Forget(id) => drop((self.pipes.remove(&id), self.adopted.remove(&id), self.names.remove(&id))),
            Action::Exit { code, orphans_by } => self.exit = Some((code, orphans_by)),
            Action::SignalMain { pid, sig } => drop(sys::kill(pid, sig)),
            Action::Cycle(n) => {
                let names: Vec<&[u8]> =
                    self.scanner.cycle(n).iter().map(|id| self.names.get(id).map_or(&b"?"[..], |n| n)).collect();
                cli::warn(&PROG, &[&needs::cycle_text(&names)]);
            }
        }
    }

    /// Tells the scanner where the entry `name`'s `needs/` leads, read as
    /// it is started (or adopted).
    fn learn_needs(&mut self, id: Id, name: &CStr) {
        self.names.insert(id, name.to_bytes().to_vec());
        self.scanner.learn_needs(id, scandir::needs(name));
    }

    /// Tells the scanner of the entry `name` if it is a directory.
    fn look(&mut self, name: &CStr) {
        match scandir::entry_key(name) {
            Ok(Some(key)) => self.feed(Event::Entry(key), Some(name)),
            Ok(None) => {}
            Err(e) => self.failed(&[b"unable to stat ", name.to_bytes()], e),
        }
    }

    /// Starts a supervise for the half `role` of the entry `name`.
    fn spawn(&mut self, id: Id, role: Role, name: &CStr) -> Option<u32> {
        let n = name.to_bytes();
        let (arg, what) = match role {
            // A name such as `--help` or `-d` is passed as `./--help`, so that
            // supervise cannot take it for an option.
            Role::Service if n.starts_with(b"-") => ([&b"./"[..], n].concat(), n.to_vec()),
            Role::Service => (n.to_vec(), n.to_vec()),
            Role::Log => (b"log".to_vec(), [n, b"/log"].concat()),
        };
        let argv = Argv::new(self.supervise.as_os_str().as_bytes(), &[&b"supervise"[..], &arg]).expect("no NUL");
        let mut fail = PROG.line(Level::Warning, &[b"unable to start supervise ", &what, b": "]);
        fail.pop();
        // In the child before exec: the limits svscan was given; a session
        // of its own, so that the signals of svscan's terminal (Ctrl-C's
        // INT, a hang-up) reach svscan alone, which then takes every service
        // down in order and loses no logged line; and the pipe as the
        // service's output or the logger's input.
        let mut setup: Vec<sys::Action> =
            self.nofile.iter().map(|l| sys::Action::Limit(libc::RLIMIT_NOFILE, *l)).collect();
        setup.push(sys::Action::Setsid);
        match (role, self.pipes.get(&id)) {
            (Role::Service, Some((_, w))) => setup.push(sys::Action::Move(w.as_raw_fd(), 1)),
            (Role::Service, None) => {}
            (Role::Log, Some((r, _))) => setup.extend([sys::Action::Move(r.as_raw_fd(), 0), sys::Action::Chdir(name)]),
            // Not reached: the scanner starts a logger only with its pipe.
            (Role::Log, None) => {
                cli::warn_sys(&PROG, &[b"unable to start supervise ", &what], Errno::EPIPE);
                return None;
            }
        }
        sys::cspawn(&argv, &fail, &setup).map_err(|e| cli::warn_sys(&PROG, &[b"unable to fork for ", &what], e)).ok()
    }

    /// Says what could not be done; the scanner tries again at the next scan.
    fn failed(&mut self, parts: &[&[u8]], e: Errno) {
        cli::warn_sys(&PROG, parts, e);
        self.feed(Event::Failed, None);
    }
}

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let mut grace = scanner::DEFAULT_GRACE;
    let mut opts = Getopt::new(args, "g:");
    for opt in opts.by_ref() {
        let Opt::Arg(b'g', v) = opt else { return Err(Failure::usage()) };
        let why: &[u8] = b": not seconds (5, 0.5) or a duration (300ms) of at most a day";
        let bad = || Failure::fatal(100, &[b"bad grace period ", v.as_bytes(), why]).then_usage();
        grace = v.to_str().and_then(scanner::parse_grace).ok_or_else(bad)?;
    }
    let operands = opts.operands();
    let (dir, command) = match operands.as_slice() {
        [] => (None, None),
        [dir] => (Some(dir), None),
        [dir, dashes, command @ ..] if dashes == "--" && !command.is_empty() => (Some(dir), Some(command)),
        _ => return Err(Failure::usage()),
    };
    // The main command runs where svscan was started, not in DIR.
    let here = match command {
        Some(_) => Some(sys::open_read_dir(c".").map_err(|e| Failure::temp(&[b"unable to open ."], e))?),
        None => None,
    };
    let mut dir = ScanDir::enter(dir.map(OsString::as_os_str))?;
    if let Err(e) = dir.listen() {
        cli::warn_sys(&PROG, &[b"unable to make ", scandir::CONTROL.to_bytes()], e);
    }
    // Alone in a cgroup given to it, svscan moves into a leaf so that the
    // services' cgroups get controllers (a pids limit); else nothing moves.
    let _ = tree::make_room(std::process::id(), &tree::CONTROLLERS);
    let signals = [libc::SIGCHLD, libc::SIGALRM, libc::SIGHUP, libc::SIGTERM, libc::SIGINT];
    let pipe = SelfPipe::new()
        .and_then(|p| signals.into_iter().try_for_each(|sig| p.catch(sig)).map(|()| p))
        .map_err(|e| Failure::temp(&[b"unable to create pipe"], e))?;
    let mut sv = Svscan {
        scanner: Scanner::new(grace, Instant::now()),
        dir,
        supervise: sys::find_program("supervise"),
        nofile: sys::raise_nofile(),
        pipes: HashMap::new(),
        adopted: HashMap::new(),
        probed: None,
        exit: None,
        essentials: Essentials::default(),
        names: HashMap::new(),
    };
    let main = match (command, &here) {
        (Some(command), Some(here)) => {
            let pid = container::start_main(&PROG, command, here.as_raw_fd(), sv.nofile)?;
            sv.feed(Event::MainStarted(pid), None);
            Some(pid)
        }
        _ => None,
    };
    loop {
        sv.feed(Event::Timer, None);
        if let Some((code, orphans_by)) = sv.exit {
            if nix::unistd::getpid().as_raw() == 1 {
                sys::end_everyone(&pipe, orphans_by);
            }
            return Ok(code);
        }
        let timeout = sv.scanner.deadline().map(|w| w.saturating_duration_since(Instant::now()));
        let fds = [Some(pipe.fd()), sv.dir.watch(), sv.dir.control(), sv.essentials.fd()];
        let [_, changed, told, essential] = sys::poll(fds, timeout).unwrap_or([false; 4]);
        let failed = if essential { sv.essentials.failures() } else { Vec::new() };
        let signals = pipe.drain();
        let told = if told { sv.dir.commands() } else { None };
        // Read inotify's events even while shutting down, or poll would wake at once forever.
        let (names, overflow) = if changed { sv.dir.arrivals() } else { Default::default() };
        // Only on SIGCHLD: with thousands of children each wait4 walks them all.
        if signals.contains(libc::SIGCHLD) {
            while let Ok(Some((pid, status))) = sys::wait(None, false) {
                match main == Some(pid) {
                    true => sv.feed(Event::MainExited(scanner::exit_code(status)), None),
                    false => sv.feed(Event::Exited(pid), None),
                }
            }
        }
        if let Some(sig) = [libc::SIGTERM, libc::SIGINT].into_iter().find(|&s| signals.contains(s)) {
            sv.feed(Event::Term(sig), None);
        } else if signals.contains(libc::SIGALRM) || signals.contains(libc::SIGHUP) || overflow {
            sv.feed(Event::Rescan { hup: signals.contains(libc::SIGHUP) }, None);
        }
        // svscanctl's commands, as the signals they stand for.
        told.into_iter().for_each(|event| sv.feed(event, None));
        failed.into_iter().for_each(|code| sv.feed(Event::Essential(code), None));
        if !sv.scanner.shutting_down() {
            names.iter().for_each(|name| sv.look(name));
        }
    }
}
