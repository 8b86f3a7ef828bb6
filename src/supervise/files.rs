//! supervise's system calls on its service directory: taking it (the lock
//! and the FIFOs), reading its settings, writing the status, starting
//! `./run` and `./finish`. No decision is made here (see [`super::Machine`]);
//! a failure comes back as daemontools' message ([`Failure`]) and a warning
//! goes to the caller's `warn` with its parts, for the binary to print.

use super::settings::{self, PidsMax, Policy};
use super::Machine;
use crate::info::{TreeAt, WaitingFor};
use crate::msg::{errstr, Failure, Level, Prog, EXIT_TEMP};
use crate::svdir::{self, inside, DirError};
use crate::sys::{self, Action, Argv, AtomicStep};
use crate::tree::{self, Cap, Tree};
use crate::Errno;
use std::ffi::{CStr, OsStr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// Where a warning goes: its parts, after `supervise: warning: `.
pub type Warn<'a> = &'a mut dyn FnMut(&[&[u8]]);

/// The service directory, taken: held for as long as supervise runs.
pub struct Taken {
    /// `supervise/`, open once: every file in it is reached through this
    /// descriptor, so that its owner cannot bend a path under us (the
    /// service directory may belong to the service's account).
    pub sup: OwnedFd,
    /// `supervise/control`, for reading.
    pub control: OwnedFd,
    /// No `./down`.
    pub normally_up: bool,
    /// The status last written: the same bytes are not written again
    /// (a check's end changes the info alone).
    written: std::cell::Cell<Option<[u8; crate::status::LEN]>>,
    _lock: OwnedFd,
    /// Our own write end: the reader never sees end of file.
    _control_write: OwnedFd,
}

/// Enters `arg` and takes it as daemontools' supervise does: makes
/// `supervise/` (root's or ours, not followed through another's symlink),
/// takes `supervise/lock`, looks for `down`, makes and opens the control
/// FIFO. Each failure is `unable to WHAT DIR[PATH]: REASON`, exit 111.
pub fn take(arg: &OsStr, warn: Warn) -> Result<Taken, Failure> {
    let dir = arg.as_bytes();
    let fail = |what: &'static [u8], path: &'static [u8]| move |e| Failure::temp(&[what, dir, path], e);
    svdir::enter(arg).map_err(fail(b"unable to chdir to ", b""))?;
    let _ = sys::mkdir(svdir::SUPERVISE, 0o700);
    let lock = fail(b"unable to acquire ", b"/supervise/lock");
    let here = sys::open_read_dir(c".").map_err(lock)?;
    let sup = svdir::open_dir_at(here.as_fd(), svdir::SUPERVISE, true).map_err(|e| match e {
        DirError::Sys(e) => lock(e),
        DirError::Foreign(uid) | DirError::ForeignLink(uid) => {
            let what: &[u8] = if matches!(e, DirError::Foreign(_)) { b"" } else { b" (a symlink)" };
            let uid = uid.to_string();
            let parts: [&[u8]; 9] = [
                b"unable to acquire ",
                dir,
                b"/supervise/lock: ",
                dir,
                b"/supervise",
                what,
                b" belongs to uid ",
                uid.as_bytes(),
                b", neither root nor this supervise's",
            ];
            Failure::fatal(EXIT_TEMP, &parts)
        }
    })?;
    drop(here);
    let flags = libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT | libc::O_NONBLOCK | libc::O_NOFOLLOW;
    let _lock = sys::open_at(sup.as_fd(), inside::LOCK, flags, 0o600)
        .and_then(|fd| sys::lock(fd.as_fd(), false).map(|()| fd))
        .map_err(lock)?;
    let normally_up = svdir::normally_up().map_err(fail(b"unable to stat ", b"/down"))?;
    let control =
        fifo(dir, sup.as_fd(), inside::CONTROL, warn).map_err(fail(b"unable to read ", b"/supervise/control"))?;
    let flags = libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW;
    let _control_write = sys::open_at(sup.as_fd(), inside::CONTROL, flags, 0)
        .map_err(fail(b"unable to write ", b"/supervise/control"))?;
    Ok(Taken { sup, control, normally_up, written: Default::default(), _lock, _control_write })
}

impl Taken {
    /// Makes and opens `supervise/ok`: after the first status, so that
    /// whoever finds `ok` finds a status.
    pub fn open_ok(&self, dir: &[u8], warn: Warn) -> Result<OwnedFd, Failure> {
        fifo(dir, self.sup.as_fd(), inside::OK, warn)
            .map_err(|e| Failure::temp(&[b"unable to read ", dir, b"/supervise/ok"], e))
    }

    /// Writes what `m` says to `supervise/info` then `supervise/status`
    /// (so that a reader woken by the status finds the info current; the
    /// status only when its bytes changed), then wakes the waiters (`svc -w`).
    /// With a tree, `info` says where it is too ([`TreeAt`]); while a
    /// start waits for the needed services, which ([`WaitingFor`]).
    pub fn announce(&self, dir: &[u8], m: &Machine, tree: &Contained, waiting: Option<WaitingFor>, warn: Warn) {
        let sup = self.sup.as_fd();
        let mut info = m.info().pack();
        info.extend(tree.at(m.group()).map(|t| t.line()).unwrap_or_default());
        info.extend(waiting.filter(|_| m.waiting()).map(|w| w.line()).unwrap_or_default());
        let _ = sys::write_atomic_at(sup, inside::INFO_NEW, inside::INFO, &info);
        let status = m.status().pack();
        if self.written.get() != Some(status) {
            self.written.set(None);
            match sys::write_atomic_at(sup, inside::STATUS_NEW, inside::STATUS, &status) {
                Ok(()) => self.written.set(Some(status)),
                Err((step, e)) => {
                    let (what, path): (&[u8], &[u8]) = match step {
                        AtomicStep::Open => (b"unable to open ", b"/supervise/status.new: "),
                        AtomicStep::Write => (b"unable to write ", b"/supervise/status.new: "),
                        AtomicStep::Rename => (b"unable to rename ", b"/supervise/status.new to status: "),
                    };
                    warn(&[what, dir, path, errstr(e).as_bytes()]);
                }
            }
        }
        crate::waiting::notify(sup);
    }
}

/// Opens for reading the FIFO `name` in `supervise/` (open as `sup`), made
/// if missing. Anything else found under that name (a regular file left by
/// a restore that dropped FIFOs, on which poll would spin) is replaced by a
/// FIFO, said in one line.
fn fifo(dir: &[u8], sup: BorrowedFd, name: &CStr, warn: Warn) -> Result<OwnedFd, Errno> {
    sys::mkfifo_at(sup, name, 0o600)?;
    let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW;
    let is_fifo = |st: libc::stat| st.st_mode & libc::S_IFMT == libc::S_IFIFO;
    if !sys::stat_at_nofollow(sup, name).is_ok_and(is_fifo) {
        warn(&[dir, b"/supervise/", name.to_bytes(), b" was not a FIFO: made anew"]);
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

/// What the service directory (the current one, named `dir` in warnings)
/// asks for now: the files are read at each event, as s6 does; the health
/// check's only when there is a `check`.
pub fn policy(dir: &[u8], warn: Warn) -> Policy {
    // SAFETY: access(2) with a valid C string.
    let finish = unsafe { libc::access(c"finish".as_ptr(), libc::X_OK) } == 0;
    let (policy, warnings) = settings::policy(finish, setting, max_fd);
    let (check, check_warnings) = settings::check_policy(super::check::present(), setting);
    let (needs, needs_warnings) = settings::needs_policy(needs_dir(), setting);
    for w in warnings.into_iter().chain(check_warnings).chain(needs_warnings) {
        warn(&w.parts(dir));
    }
    Policy { check, needs, ..policy }
}

/// What `needs` is here (a symlink followed: `needs` may be shared).
fn needs_dir() -> settings::NeedsDir {
    match nix::sys::stat::stat(crate::svdir::NEEDS) {
        Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => settings::NeedsDir::Directory,
        Ok(_) => settings::NeedsDir::Other,
        Err(Errno::ENOENT) => settings::NeedsDir::Missing,
        Err(e) => settings::NeedsDir::Unreadable(errstr(e)),
    }
}

/// One setting file: only a regular file is read (a FIFO would block
/// supervise, `/dev/zero` would never end), without blocking and with a bound.
fn setting(name: &str) -> settings::Read {
    let Ok(path) = std::ffi::CString::new(name) else { return settings::Read::Missing };
    match sys::read_small(&path, settings::SETTING_MAX) {
        Ok(text) => settings::Read::Text(text),
        Err(sys::Small::Missing) => settings::Read::Missing,
        Err(sys::Small::NotRegular) => settings::Read::Unreadable("not a regular file"),
        Err(sys::Small::Failed(e)) => settings::Read::Unreadable(errstr(e)),
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

/// `./run` and `./finish`, ready to start.
pub struct Programs {
    run: Argv,
    /// What a child that cannot exec says: `supervise: fatal: unable to start DIR/run: ` + reason.
    run_failed: Vec<u8>,
    finish_failed: Vec<u8>,
    /// The service directory's own name, `./finish`'s third argument.
    name: Vec<u8>,
}

impl Programs {
    /// For the service directory `arg`, named so in `prog`'s messages.
    pub fn new(prog: &Prog, arg: &OsStr) -> Programs {
        let dir = arg.as_bytes();
        let cannot_start = |what: &[u8]| {
            let mut line = prog.line(Level::Fatal, &[b"unable to start ", dir, b"/", what, b": "]);
            line.pop();
            line
        };
        Programs {
            run: Argv::new("./run", &["./run"]).expect("no NUL"),
            run_failed: cannot_start(b"run"),
            finish_failed: cannot_start(b"finish"),
            name: own_name(arg),
        }
    }

    /// Starts `./run`, with the write end of a pipe as descriptor `notify`
    /// if asked, inside `tree` if given ([`Tree::spawn`]): returns
    /// its pid and the pipe's read end.
    pub fn start_run(&self, notify: Option<i32>, tree: Option<&Tree>) -> Result<(u32, Option<OwnedFd>), Errno> {
        let pipe = notify.and_then(|n| {
            let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK).ok()?;
            sys::set_nonblocking(w.as_fd(), false).ok()?;
            Some((r, w, n))
        });
        let moves = pipe.as_ref().map(|(_, w, n)| Action::Move(w.as_raw_fd(), *n));
        let pid = match tree {
            Some(tree) => tree.spawn(&self.run, &self.run_failed, moves.as_slice())?,
            None => sys::cspawn(&self.run, &self.run_failed, moves.as_slice())?,
        };
        Ok((pid, pipe.map(|(r, ..)| r)))
    }

    /// Starts `./finish EXITCODE SIGNAL NAME`, and the run's process group
    /// as a fourth argument when it had a tree (as s6-supervise gives it).
    pub fn start_finish(&self, (code, sig): (i32, i32), group: Option<u32>) -> Result<u32, Errno> {
        let (code, sig, group) = (code.to_string(), sig.to_string(), group.map(|g| g.to_string()));
        let mut args: Vec<&[u8]> = vec![b"./finish", code.as_bytes(), sig.as_bytes(), &self.name];
        args.extend(group.as_ref().map(|g| g.as_bytes()));
        let argv = Argv::new("./finish", &args).ok_or(Errno::EINVAL)?;
        sys::cspawn(&argv, &self.finish_failed, &[])
    }

    /// The name of the cgroup of this service's tree: its directory's own
    /// name (`NAME.log` for a logger) and inode (see [`tree::name_for`]).
    pub fn tree_name(&self) -> Vec<u8> {
        let ino = nix::sys::stat::stat(".").map_or(0, |st| st.st_ino);
        let name = match self.name.as_slice() {
            b"log" => {
                let cwd = std::env::current_dir().ok();
                let up = cwd.as_ref().and_then(|d| d.parent()).and_then(|d| d.file_name());
                [up.map_or(&b""[..], |n| n.as_bytes()), b".log"].concat()
            }
            name => name.to_vec(),
        };
        tree::name_for(&name, ino)
    }
}

/// The service directory's own name: the last part of `arg`, or of the
/// working directory for `.`.
fn own_name(arg: &OsStr) -> Vec<u8> {
    let last = std::path::Path::new(arg).file_name().map(|n| n.as_bytes().to_vec());
    let cwd = || std::env::current_dir().ok().and_then(|d| d.file_name().map(|n| n.as_bytes().to_vec()));
    last.or_else(cwd).unwrap_or_else(|| arg.as_bytes().to_vec())
}

/// What the service wrote to its notification pipe (`ready`, readable):
/// Some(true) a newline, it is ready; Some(false) the end of file, it never
/// will be (the pipe is done with either way); None nothing yet.
pub fn ready_said(ready: BorrowedFd) -> Option<bool> {
    let mut buf = [0u8; 64];
    match nix::unistd::read(ready, &mut buf) {
        Ok(0) => Some(false),
        Ok(n) if buf[..n].contains(&b'\n') => Some(true),
        _ => None,
    }
}

/// How often the end of a process group's tree is looked for while it
/// drains: a process group, unlike a cgroup, tells nobody when it empties.
const GROUP_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// The tree of a service run with `tree` (see [`crate::tree`]): prepared
/// at the first start that asks for it, kept while runs and drains use it,
/// removed when the machine says the service is down for good. Its pids
/// limit, where one can be set, comes with it ([`Cap`]).
#[derive(Default)]
pub struct Contained {
    tree: Option<Tree>,
    cap: Option<Cap>,
    /// The fallback to a process group was said (once).
    warned: bool,
    /// That an asked `pids-max` cannot be set was said (once).
    cap_warned: bool,
    /// systemd's default limit for this kernel, read once.
    pids_default: std::cell::OnceCell<u64>,
}

impl Contained {
    /// Readies the tree a start of `./run` goes into, prepared now if need
    /// be (its name looked up only then): a process group instead of a
    /// cgroup is said once, and what a killed supervise left in the cgroup
    /// is killed first (and said). Its pids limit is set to what
    /// `pids-max` says now; an asked limit that cannot be set is said once.
    fn for_start(&mut self, dir: &[u8], programs: &Programs, policy: &Policy, warn: Warn) {
        if self.tree.is_none() {
            let name = programs.tree_name();
            let prepared = Tree::prepare(&name);
            if let (Some(why), false) = (&prepared.fallback, self.warned) {
                warn(&[dir, b"/tree: process group instead of a cgroup: ", why.reason().as_bytes()]);
                self.warned = true;
            }
            if prepared.leftover {
                warn(&[dir, b"/tree: killing what an earlier supervise left in its cgroup"]);
                prepared.tree.kill_leftovers(std::time::Duration::from_secs(1));
            }
            self.cap = match Cap::prepare(prepared.tree.dir(), &name) {
                Ok(cap) => Some(cap),
                Err(why) => {
                    if matches!(policy.pids_max, PidsMax::At(_)) && !self.cap_warned {
                        warn(&[dir, b"/pids-max: not applied: ", why.reason().as_bytes()]);
                        self.cap_warned = true;
                    }
                    None
                }
            };
            self.tree = Some(prepared.tree);
        }
        if let Some(cap) = &self.cap {
            let limit = match policy.pids_max {
                PidsMax::Default => Some(*self.pids_default.get_or_init(tree::kernel_pids_default)),
                PidsMax::Unlimited => None,
                PidsMax::At(n) => Some(n),
            };
            let _ = cap.set(limit);
        }
    }

    /// Starts `./run` as `policy` says: inside the service's tree when it
    /// has `tree` (see [`Contained::for_start`]); a tree a start failed in
    /// is forgotten, and the next start prepares one anew.
    pub fn start(
        &mut self,
        programs: &Programs,
        policy: &Policy,
        dir: &[u8],
        warn: Warn,
    ) -> Result<(u32, Option<OwnedFd>), Errno> {
        if !policy.tree {
            return programs.start_run(policy.notification_fd, None);
        }
        self.for_start(dir, programs, policy, warn);
        let started = programs.start_run(policy.notification_fd, self.tree.as_ref());
        // A cgroup removed under our feet, say: the next start makes it anew.
        if started.is_err() {
            self.remove();
        }
        started
    }

    /// Sends the tree of the run `group` what `a` asks: its signals to
    /// every process, then SIGKILL to all if `kill_tree`; then removes the
    /// emptied cgroup if `remove_tree`.
    pub fn carry_out(&mut self, a: &super::Actions, group: Option<u32>) {
        self.signal(a, group);
        if a.remove_tree {
            self.remove();
        }
    }

    fn signal(&self, a: &super::Actions, group: Option<u32>) {
        let (Some(tree), Some(group)) = (&self.tree, group) else { return };
        // The drain's signals to a tree already empty (the common end of a run).
        if a.tree_signals.iter().any(Option::is_some) && tree.empty(group) {
            return;
        }
        for sig in a.tree_signals.into_iter().flatten() {
            let _ = tree.signal(group, sig);
        }
        if a.kill_tree {
            let _ = tree.kill_all(group);
        }
    }

    /// Whether the tree of the run `group` has no process left (reads
    /// `cgroup.events` again, which quiets its poll).
    pub fn empty(&self, group: Option<u32>) -> bool {
        match (&self.tree, group) {
            (Some(tree), Some(group)) => tree.empty(group),
            _ => true,
        }
    }

    /// Removes the emptied cgroup; the next start prepares a new one.
    pub fn remove(&mut self) {
        if let Some(tree) = self.tree.take() {
            tree.remove();
        }
        if let Some(cap) = self.cap.take() {
            cap.remove();
        }
    }

    /// supervise's one wait: poll `fds` for input and the tree's
    /// `cgroup.events` for a change, until `deadline` (or [`GROUP_POLL`]
    /// while a process group drains). Which of `fds` are readable, and
    /// whether the tree may have emptied (look with [`Contained::empty`]).
    /// `more`: the FIFOs of a wait for the needed services, whether any was
    /// written to the last of the three answers.
    pub fn poll(
        &self,
        fds: [Option<BorrowedFd>; 3],
        more: &[BorrowedFd],
        draining: bool,
        deadline: Option<std::time::Instant>,
    ) -> Result<([bool; 3], bool, bool), Errno> {
        let mut timeout = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
        let (watch, look) = self.watch(draining, &mut timeout);
        let (read, pri) = (libc::POLLIN, libc::POLLPRI | libc::POLLERR);
        if more.is_empty() {
            let [a, b, c, changed] =
                sys::poll_for([(fds[0], read), (fds[1], read), (fds[2], read), (watch, pri)], timeout)?;
            return Ok(([a, b, c], changed || look, false));
        }
        // Only while a start waits for its needs does the poll allocate (the
        // list of descriptors, and poll_for_slice's own).
        let all: Vec<(Option<BorrowedFd>, libc::c_short)> =
            [(fds[0], read), (fds[1], read), (fds[2], read), (watch, pri)]
                .into_iter()
                .chain(more.iter().map(|fd| (Some(*fd), read)))
                .collect();
        let woke = sys::poll_for_slice(&all, timeout)?;
        Ok(([woke[0], woke[1], woke[2]], woke[3] || look, woke[4..].iter().any(|&w| w)))
    }

    /// What to poll (for POLLPRI) to learn that the tree changed, and
    /// whether a process group, which has none, is to be looked at again:
    /// only while it drains, `timeout` then shortened to [`GROUP_POLL`].
    fn watch(&self, draining: bool, timeout: &mut Option<std::time::Duration>) -> (Option<BorrowedFd<'_>>, bool) {
        match self.tree.as_ref().map(Tree::watch) {
            Some(Some(fd)) => (Some(fd), false),
            // A process group is looked at only while it drains.
            Some(None) if draining => {
                *timeout = Some(timeout.map_or(GROUP_POLL, |t| t.min(GROUP_POLL)));
                (None, true)
            }
            Some(None) => (None, false),
            None => (None, false),
        }
    }

    /// Where the tree of the run `group` is, for `supervise/info`.
    pub fn at(&self, group: Option<u32>) -> Option<TreeAt> {
        match (&self.tree, group) {
            (Some(Tree::Cgroup { path, .. }), _) => Some(TreeAt::Cgroup(path.clone())),
            (Some(Tree::Group), Some(group)) => Some(TreeAt::Group(group)),
            _ => None,
        }
    }
}
