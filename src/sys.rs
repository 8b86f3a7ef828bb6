//! Thin, allocation-free wrappers over the system calls the suite shares:
//! opening files the way daemontools does, flock, FIFOs, atomic
//! write-then-rename, and the self-pipe that turns signals into readable bytes.
//! Every descriptor made here is close-on-exec.

use nix::errno::Errno;
use std::ffi::CStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

fn open(path: &CStr, flags: i32, mode: libc::mode_t) -> Result<OwnedFd, Errno> {
    // SAFETY: path is a valid C string; the fd returned is ours alone.
    let fd = unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC, mode as libc::c_uint) };
    Errno::result(fd).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `openat(2)` relative to `dir`, close-on-exec.
pub fn open_at(dir: BorrowedFd, name: &CStr, flags: i32, mode: libc::mode_t) -> Result<OwnedFd, Errno> {
    // SAFETY: name is a valid C string; the fd returned is ours alone.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags | libc::O_CLOEXEC, mode as libc::c_uint) };
    Errno::result(fd).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A pipe whose ends are inherited across exec (`pipe(2)` without flags):
/// its read end and write end.
pub fn pipe_inherited() -> Result<(OwnedFd, OwnedFd), Errno> {
    nix::unistd::pipe()
}

/// Opens a directory for reading (for `openat` and `fchdir`).
pub fn open_read_dir(path: &CStr) -> Result<OwnedFd, Errno> {
    open(path, libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NONBLOCK, 0)
}

/// In a child before exec: opens `name` onto descriptor `to`, which is left
/// open across exec. Async-signal-safe.
pub fn open_onto(name: &CStr, flags: i32, mode: libc::mode_t, to: libc::c_int) -> Result<(), Errno> {
    // SAFETY: open and close are async-signal-safe; the fds are ours.
    let fd = Errno::result(unsafe { libc::open(name.as_ptr(), flags, mode as libc::c_uint) })?;
    move_fd(fd, to)?;
    if fd != to {
        unsafe { libc::close(fd) };
    }
    Ok(())
}

/// Waits for the child `pid` to exit: its wait status.
pub fn wait_for(pid: u32) -> Result<libc::c_int, Errno> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid with a valid status pointer.
        match Errno::result(unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) }) {
            Err(Errno::EINTR) => continue,
            r => return r.map(|_| status),
        }
    }
}

fn fstatat(dir: BorrowedFd, name: &CStr, flags: libc::c_int) -> Result<libc::stat, Errno> {
    // SAFETY: a zeroed stat is valid; the pointer outlives the call.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    Errno::result(unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), &mut st, flags) }).map(|_| st)
}

/// `fstatat(2)` of `name` in `dir`, following symlinks.
pub fn stat_at(dir: BorrowedFd, name: &CStr) -> Result<libc::stat, Errno> {
    fstatat(dir, name, 0)
}

/// `fstatat(2)` of `name` in `dir`, not following a final symlink.
pub fn stat_at_nofollow(dir: BorrowedFd, name: &CStr) -> Result<libc::stat, Errno> {
    fstatat(dir, name, libc::AT_SYMLINK_NOFOLLOW)
}

/// `unlinkat(2)` of a file in `dir`.
pub fn unlink_at(dir: BorrowedFd, name: &CStr) -> Result<(), Errno> {
    // SAFETY: name is a valid C string.
    Errno::result(unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) }).map(drop)
}

/// `renameat(2)` within `dir`.
pub fn rename_at(dir: BorrowedFd, from: &CStr, to: &CStr) -> Result<(), Errno> {
    let d = dir.as_raw_fd();
    // SAFETY: both names are valid C strings.
    Errno::result(unsafe { libc::renameat(d, from.as_ptr(), d, to.as_ptr()) }).map(drop)
}

/// `linkat(2)` within `dir`.
pub fn link_at(dir: BorrowedFd, from: &CStr, to: &CStr) -> Result<(), Errno> {
    let d = dir.as_raw_fd();
    // SAFETY: both names are valid C strings.
    Errno::result(unsafe { libc::linkat(d, from.as_ptr(), d, to.as_ptr(), 0) }).map(drop)
}

/// `fchmodat(2)` of a file in `dir`.
pub fn chmod_at(dir: BorrowedFd, name: &CStr, mode: libc::mode_t) -> Result<(), Errno> {
    // SAFETY: name is a valid C string.
    Errno::result(unsafe { libc::fchmodat(dir.as_raw_fd(), name.as_ptr(), mode, 0) }).map(drop)
}

/// `fchmod(2)`.
pub fn fchmod(fd: BorrowedFd, mode: libc::mode_t) -> Result<(), Errno> {
    // SAFETY: fchmod on a descriptor we borrow.
    Errno::result(unsafe { libc::fchmod(fd.as_raw_fd(), mode) }).map(drop)
}

/// `fsync(2)`.
pub fn fsync(fd: BorrowedFd) -> Result<(), Errno> {
    // SAFETY: fsync on a descriptor we borrow.
    Errno::result(unsafe { libc::fsync(fd.as_raw_fd()) }).map(drop)
}

/// Opens for reading without blocking (daemontools' `open_read`).
pub fn open_read(path: &CStr) -> Result<OwnedFd, Errno> {
    open(path, libc::O_RDONLY | libc::O_NONBLOCK, 0)
}

/// Opens for writing without blocking: on a FIFO with no reader this fails
/// with ENXIO, which is how svc, svok and svstat see that no supervise runs.
pub fn open_write(path: &CStr) -> Result<OwnedFd, Errno> {
    open(path, libc::O_WRONLY | libc::O_NONBLOCK, 0)
}

/// Opens for appending, creating the file with mode 0600.
pub fn open_append(path: &CStr) -> Result<OwnedFd, Errno> {
    open(path, libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT | libc::O_NONBLOCK, 0o600)
}

/// Turns O_NONBLOCK off or on.
pub fn set_nonblocking(fd: BorrowedFd, on: bool) -> Result<(), Errno> {
    // SAFETY: fcntl on a descriptor we borrow.
    let flags = Errno::result(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    let flags = if on { flags | libc::O_NONBLOCK } else { flags & !libc::O_NONBLOCK };
    Errno::result(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags) }).map(drop)
}

/// Takes an exclusive flock; `wait` false fails at once with EAGAIN when it is held.
/// flock, not fcntl locks: the two do not see each other, and daemontools uses flock.
pub fn lock(fd: BorrowedFd, wait: bool) -> Result<(), Errno> {
    let op = if wait { libc::LOCK_EX } else { libc::LOCK_EX | libc::LOCK_NB };
    loop {
        // SAFETY: flock on a descriptor we borrow.
        match Errno::result(unsafe { libc::flock(fd.as_raw_fd(), op) }) {
            Err(Errno::EINTR) => continue,
            r => return r.map(drop),
        }
    }
}

/// Makes a FIFO; one that exists already is fine.
pub fn mkfifo(path: &CStr, mode: libc::mode_t) -> Result<(), Errno> {
    // SAFETY: path is a valid C string.
    match Errno::result(unsafe { libc::mkfifo(path.as_ptr(), mode) }) {
        Err(Errno::EEXIST) => Ok(()),
        r => r.map(drop),
    }
}

/// Makes a directory; one that exists already is fine.
pub fn mkdir(path: &CStr, mode: libc::mode_t) -> Result<(), Errno> {
    // SAFETY: path is a valid C string.
    match Errno::result(unsafe { libc::mkdir(path.as_ptr(), mode) }) {
        Err(Errno::EEXIST) => Ok(()),
        r => r.map(drop),
    }
}

/// Writes all of `buf`, retrying on EINTR and short writes.
pub fn write_all(fd: BorrowedFd, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        match nix::unistd::write(fd, buf) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads until `buf` is full or end of file; returns how much was read.
pub fn read_full(fd: BorrowedFd, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut got = 0;
    while got < buf.len() {
        match nix::unistd::read(fd, &mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The step of an atomic write that failed, for the warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomicStep {
    Open,
    Write,
    Rename,
}

/// Writes `data` to `tmp` in the directory `dir`, then renames it over
/// `path` there: a reader sees the old file or the new one, never a torn
/// one. `tmp` is made anew (`O_EXCL|O_NOFOLLOW` after removing any old one),
/// so a symlink or a file planted under its name is never written through.
pub fn write_atomic_at(dir: BorrowedFd, tmp: &CStr, path: &CStr, data: &[u8]) -> Result<(), (AtomicStep, Errno)> {
    match unlink_at(dir, tmp) {
        Ok(()) | Err(Errno::ENOENT) => {}
        Err(e) => return Err((AtomicStep::Open, e)),
    }
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_NONBLOCK;
    let fd = open_at(dir, tmp, flags, 0o644).map_err(|e| (AtomicStep::Open, e))?;
    write_all(fd.as_fd(), data).map_err(|e| (AtomicStep::Write, e))?;
    drop(fd);
    rename_at(dir, tmp, path).map_err(|e| (AtomicStep::Rename, e))
}

/// `mkfifoat(2)` in `dir`; one that exists already is fine.
pub fn mkfifo_at(dir: BorrowedFd, name: &CStr, mode: libc::mode_t) -> Result<(), Errno> {
    // SAFETY: name is a valid C string.
    match Errno::result(unsafe { libc::mkfifoat(dir.as_raw_fd(), name.as_ptr(), mode) }) {
        Err(Errno::EEXIST) => Ok(()),
        r => r.map(drop),
    }
}

static SELFPIPE_WRITE: AtomicI32 = AtomicI32::new(-1);
/// The signals caught and not yet drained, as a bit mask.
static PENDING: AtomicU64 = AtomicU64::new(0);
/// The signals caught into the self-pipe, as a bit mask (for `spawn`).
static CAUGHT: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    let saved = Errno::last_raw();
    let bit = 1u64 << (sig & 63);
    // One byte per signal newly pending, so that a flood of one signal (SIGIO
    // on every write to a pipe) cannot fill the pipe and lose another.
    if PENDING.fetch_or(bit, Ordering::SeqCst) & bit == 0 {
        let byte = sig as u8;
        // SAFETY: write(2) is async-signal-safe; the fd is the self-pipe's write end.
        unsafe { libc::write(SELFPIPE_WRITE.load(Ordering::Relaxed), (&byte as *const u8).cast(), 1) };
    }
    Errno::set_raw(saved);
}

/// The self-pipe: a caught signal is marked pending and, if it was not
/// already, becomes one byte in a non-blocking pipe that the event loop
/// polls. One per process.
pub struct SelfPipe {
    read: OwnedFd,
    _write: OwnedFd,
}

/// A set of signal numbers, as a bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signals(u64);

impl Signals {
    pub fn contains(self, sig: libc::c_int) -> bool {
        (0..64).contains(&sig) && self.0 & (1 << sig) != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl SelfPipe {
    pub fn new() -> Result<SelfPipe, Errno> {
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)?;
        SELFPIPE_WRITE.store(write.as_raw_fd(), Ordering::Relaxed);
        Ok(SelfPipe { read, _write: write })
    }

    /// Catches `sig` into the pipe (SIGCHLD only for exits, not stops).
    pub fn catch(&self, sig: libc::c_int) -> Result<(), Errno> {
        // SAFETY: a zeroed sigaction is valid; the handler only writes to the pipe.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            sa.sa_flags = libc::SA_RESTART | libc::SA_NOCLDSTOP;
            libc::sigemptyset(&mut sa.sa_mask);
            Errno::result(libc::sigaction(sig, &sa, std::ptr::null_mut()))?;
        }
        CAUGHT.fetch_or(1 << (sig & 63), Ordering::SeqCst);
        Ok(())
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// Empties the pipe; returns the signals that arrived. (A signal that
    /// comes between the two steps is returned now and leaves a byte that
    /// wakes the loop once more for nothing; none is lost.)
    pub fn drain(&self) -> Signals {
        let mut buf = [0u8; 64];
        while let Ok(1..) = nix::unistd::read(self.read.as_fd(), &mut buf) {}
        Signals(PENDING.swap(0, Ordering::SeqCst))
    }
}

/// In a child between fork and exec: puts back what the Rust runtime and our
/// handlers changed. Rust ignores SIGPIPE, and an ignored signal stays ignored
/// across exec, so without this every service would run with SIGPIPE ignored.
/// Caught signals go back to default by exec itself. Async-signal-safe.
pub fn reset_signals_for_exec() {
    // SAFETY: signal(2) and sigprocmask(2) are async-signal-safe.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
    }
}

/// A program and its arguments as C strings, built before fork so that the
/// child allocates nothing.
pub struct Argv {
    path: std::ffi::CString,
    strings: Vec<std::ffi::CString>,
    ptrs: Vec<*const libc::c_char>,
}

impl Argv {
    /// Executes `path` with arguments `args` (argv[0] included). `None` when
    /// either holds a NUL byte.
    pub fn new<S: AsRef<[u8]>>(path: impl AsRef<[u8]>, args: &[S]) -> Option<Argv> {
        let path = std::ffi::CString::new(path.as_ref()).ok()?;
        let strings = args.iter().map(|a| std::ffi::CString::new(a.as_ref()).ok()).collect::<Option<Vec<_>>>()?;
        let mut ptrs: Vec<_> = strings.iter().map(|s| s.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        Some(Argv { path, strings, ptrs })
    }

    /// Argument `i` (argv[0] is 0).
    pub fn arg(&self, i: usize) -> &[u8] {
        self.strings[i].to_bytes()
    }

    /// How many arguments, argv[0] included.
    pub fn len(&self) -> usize {
        self.ptrs.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Replaces this process with `argv`, environment inherited; returns only on failure.
pub fn exec(argv: &Argv) -> Errno {
    // SAFETY: path and the NULL-terminated pointer array outlive the call.
    unsafe { libc::execv(argv.path.as_ptr(), argv.ptrs.as_ptr()) };
    Errno::last()
}

/// A program of the suite: `name` beside this executable (so a build runs
/// its own programs without an install), else on `$PATH`, else the bare
/// name (whose failure to run is then reported where it is run).
pub fn find_program(name: &str) -> std::path::PathBuf {
    let beside = std::env::current_exe().ok().and_then(|e| Some(e.parent()?.join(name)));
    beside.filter(|p| p.is_file()).or_else(|| which(name)).unwrap_or_else(|| name.into())
}

/// Finds an executable file `name` in the directories of `$PATH`.
pub fn which(name: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// Moves `from` onto descriptor `to` (for a child before exec; async-signal-safe).
pub fn dup_onto(from: BorrowedFd, to: libc::c_int) -> Result<(), Errno> {
    move_fd(from.as_raw_fd(), to)
}

/// What a child of `spawn` runs, on a stack of its own.
struct Child<'a, F> {
    argv: &'a Argv,
    fail: &'a [u8],
    in_child: Option<F>,
}

/// Starts a child that runs `in_child` (which must be async-signal-safe and
/// allocate nothing), then execs `argv` with the inherited environment. When
/// that fails the child writes `fail` + daemontools' reason + newline to
/// stderr and exits 111. Returns the child's pid.
///
/// The child shares our memory until it execs, as with vfork(2), on a stack
/// of its own, and we wait for that exec: no page tables are copied and the
/// child runs first, which is what a restart waits on.
pub fn spawn<F: FnOnce() -> Result<(), Errno>>(argv: &Argv, fail: &[u8], in_child: F) -> Result<u32, Errno> {
    extern "C" fn start<F: FnOnce() -> Result<(), Errno>>(arg: *mut libc::c_void) -> libc::c_int {
        // SAFETY: `arg` is the `Child` below, alive while we are suspended in clone.
        let child = unsafe { &mut *arg.cast::<Child<F>>() };
        // Our handlers would write to the self-pipe we share with the parent;
        // exec puts every caught signal back to default, the runtime's own included.
        let caught = CAUGHT.load(Ordering::SeqCst);
        for sig in (1..64).filter(|sig| caught & (1 << sig) != 0) {
            // SAFETY: signal(2) is async-signal-safe; the handler table is the child's own.
            unsafe { libc::signal(sig, libc::SIG_DFL) };
        }
        reset_signals_for_exec();
        let err = match child.in_child.take().map_or(Ok(()), |f| f()) {
            Err(e) => e,
            Ok(()) => exec(child.argv),
        };
        let reason = crate::msg::errstr(err).as_bytes();
        for part in [child.fail, reason, b"\n"] {
            // SAFETY: write(2) of a borrowed buffer.
            unsafe { libc::write(2, part.as_ptr().cast(), part.len()) };
        }
        // SAFETY: _exit(2) ends the child without touching shared state.
        unsafe { libc::_exit(111) }
    }
    // Signals stay blocked until the child has put our handlers back, so that
    // none runs a handler of ours (and writes to our self-pipe) in the child.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: sigprocmask with valid sets.
    unsafe {
        libc::sigfillset(&mut all);
        libc::sigprocmask(libc::SIG_SETMASK, &all, &mut old);
    }
    let mut child = Child { argv, fail, in_child: Some(in_child) };
    // On the heap and left uninitialised, so that only the page or two the
    // child touches become resident (a 16 KiB array on our stack would be
    // probed whole by the compiler).
    let mut stack: Vec<u128> = Vec::with_capacity(1024);
    // SAFETY: the stack is ours and outlives the child's use of it (CLONE_VFORK:
    // we resume once it has exec'd or exited); without CLONE_SIGHAND, CLONE_FS
    // and CLONE_FILES its handlers, directory and descriptors are its own.
    let pid = unsafe {
        let top = stack.as_mut_ptr().add(stack.capacity()).cast::<libc::c_void>();
        libc::clone(start::<F>, top, libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD, (&raw mut child).cast())
    };
    let err = Errno::last();
    // SAFETY: as above.
    unsafe { libc::sigprocmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    match pid {
        -1 => Err(err),
        pid => Ok(pid as u32),
    }
}

/// Reaps one child that has exited, without waiting: its pid and wait status.
pub fn reap() -> Option<(u32, libc::c_int)> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid with a valid status pointer.
        match unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) } {
            -1 if Errno::last() == Errno::EINTR => continue,
            pid if pid > 0 => return Some((pid as u32, status)),
            _ => return None,
        }
    }
}

/// Sends `sig` to `pid`.
pub fn kill(pid: u32, sig: libc::c_int) -> Result<(), Errno> {
    // SAFETY: kill(2) has no memory effects.
    Errno::result(unsafe { libc::kill(pid as libc::pid_t, sig) }).map(drop)
}

/// Waits until one of `fds` is readable or `timeout` passes (`None`: no
/// limit). Says which are readable; an interrupted wait reports none.
pub fn poll_read<const N: usize>(
    fds: [BorrowedFd; N],
    timeout: Option<std::time::Duration>,
) -> Result<[bool; N], Errno> {
    poll_raw(fds.map(|fd| fd.as_raw_fd()), timeout)
}

/// Like [`poll_read`] over raw descriptors, where -1 stands for none.
pub fn poll_raw<const N: usize>(
    fds: [libc::c_int; N],
    timeout: Option<std::time::Duration>,
) -> Result<[bool; N], Errno> {
    let mut pfds = fds.map(|fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 });
    let ms = timeout.map_or(-1, |d| d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32);
    // SAFETY: pfds is a valid array of N pollfds.
    match Errno::result(unsafe { libc::poll(pfds.as_mut_ptr(), N as libc::nfds_t, ms) }) {
        Err(Errno::EINTR) => Ok([false; N]),
        Err(e) => Err(e),
        Ok(_) => Ok(pfds.map(|p| p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0)),
    }
}

/// In a child before exec: makes `from` descriptor `to`, open across exec. Async-signal-safe.
pub fn move_fd(from: libc::c_int, to: libc::c_int) -> Result<(), Errno> {
    // SAFETY: dup2 and fcntl on descriptors of this process.
    if from == to {
        Errno::result(unsafe { libc::fcntl(to, libc::F_SETFD, 0) }).map(drop)
    } else {
        Errno::result(unsafe { libc::dup2(from, to) }).map(drop)
    }
}

/// Reaps one child, waiting for it: its pid, or `None` when no child is left.
pub fn reap_wait() -> Option<u32> {
    loop {
        // SAFETY: waitpid with a null status pointer.
        match unsafe { libc::waitpid(-1, std::ptr::null_mut(), 0) } {
            -1 if Errno::last() == Errno::EINTR => continue,
            pid if pid > 0 => return Some(pid as u32),
            _ => return None,
        }
    }
}

/// Whether this process has any child left, exited or not.
pub fn children_left() -> bool {
    // SAFETY: waitid with WNOWAIT only looks; a zeroed siginfo is valid.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    loop {
        match unsafe { libc::waitid(libc::P_ALL, 0, &mut info, flags) } {
            -1 if Errno::last() == Errno::EINTR => continue,
            r => return r == 0,
        }
    }
}

/// Raises the soft limit on open files as far as this process may (to the
/// kernel's `nr_open` as root, else to the hard limit). Returns the limits
/// found, for [`set_nofile`] to give back to children.
pub fn raise_nofile() -> Option<libc::rlimit> {
    // SAFETY: getrlimit/setrlimit with valid pointers.
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut old) } != 0 {
        return None;
    }
    let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open").ok().and_then(|s| s.trim().parse().ok());
    let top = nr_open.unwrap_or(old.rlim_max).max(old.rlim_max);
    for lim in [libc::rlimit { rlim_cur: top, rlim_max: top }, libc::rlimit { rlim_cur: old.rlim_max, ..old }] {
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } == 0 {
            break;
        }
    }
    Some(old)
}

/// Sets the soft limit of `resource` to `value` (`None`: the hard limit),
/// never above the hard limit. The error names the call that failed.
pub fn set_soft_limit(resource: libc::__rlimit_resource_t, value: Option<u64>) -> Result<(), (&'static str, Errno)> {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit with a valid pointer.
    Errno::result(unsafe { libc::getrlimit(resource, &mut r) }).map_err(|e| ("getrlimit failed", e))?;
    r.rlim_cur = value.map_or(r.rlim_max, |v| v.min(r.rlim_max));
    Errno::result(unsafe { libc::setrlimit(resource, &r) }).map(drop).map_err(|e| ("setrlimit failed", e))
}

/// Sets the limits on open files (async-signal-safe: for a child before exec).
pub fn set_nofile(lim: &libc::rlimit) {
    // SAFETY: setrlimit with a valid pointer.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, lim) };
}

/// Reads once into `buf`, retrying on EINTR; 0 means end of input.
pub fn read_some(fd: BorrowedFd, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        match nix::unistd::read(fd, buf) {
            Err(Errno::EINTR) => continue,
            r => return r,
        }
    }
}

/// A filter's step: writes out and empties `out`, then reads once into
/// `buf` (0 at end of input). The error says which half failed.
pub fn flush_then_read(
    output: BorrowedFd,
    out: &mut Vec<u8>,
    input: BorrowedFd,
    buf: &mut [u8],
) -> Result<usize, (&'static str, Errno)> {
    write_all(output, out).map_err(|e| ("write output", e))?;
    out.clear();
    read_some(input, buf).map_err(|e| ("read input", e))
}

/// The children of `pid`, from /proc (none when it has none, is gone, or
/// /proc is missing).
pub fn children_of(pid: u32) -> Vec<u32> {
    let list = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    list.split_whitespace().filter_map(|p| p.parse().ok()).collect()
}

/// SIGKILL to the children of `pid` first, then to `pid`: a supervise is
/// never killed while the service it watches runs on without it.
pub fn kill_with_children(pid: u32) {
    for child in children_of(pid) {
        let _ = kill(child, libc::SIGKILL);
    }
    let _ = kill(pid, libc::SIGKILL);
}

/// Why [`read_small`] read nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Small {
    /// No such file.
    Missing,
    /// A FIFO, a device, a directory: never opened (a FIFO would block,
    /// a device could do anything, `/dev/zero` never ends).
    NotRegular,
    Failed(Errno),
}

/// Reads at most `max` bytes of a small regular file (a setting in a service
/// directory, `supervise/info`): opened without blocking, and only once it
/// is seen to be a regular file, then checked again through the descriptor.
pub fn read_small(path: &CStr, max: usize) -> Result<Vec<u8>, Small> {
    let regular = |st: &libc::stat| st.st_mode & libc::S_IFMT == libc::S_IFREG;
    let before = match nix::sys::stat::stat(path) {
        Ok(st) => st,
        Err(Errno::ENOENT) => return Err(Small::Missing),
        Err(e) => return Err(Small::Failed(e)),
    };
    if !regular(&before) {
        return Err(Small::NotRegular);
    }
    let fd = open(path, libc::O_RDONLY | libc::O_NONBLOCK, 0).map_err(|e| match e {
        Errno::ENOENT => Small::Missing,
        e => Small::Failed(e),
    })?;
    let st = nix::sys::stat::fstat(&fd).map_err(Small::Failed)?;
    if !regular(&st) || (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino) {
        return Err(Small::NotRegular);
    }
    let mut buf = vec![0u8; max];
    let n = read_full(fd.as_fd(), &mut buf).map_err(Small::Failed)?;
    buf.truncate(n);
    Ok(buf)
}

/// The parent of `pid` and the parent's command name, from /proc.
pub fn parent_of(pid: u32) -> Option<(u32, String)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ppid: u32 = stat.rsplit(')').next()?.split_whitespace().nth(1)?.parse().ok()?;
    let comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok()?;
    Some((ppid, comm.trim_end().to_string()))
}
