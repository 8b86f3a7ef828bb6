//! Processes: argv built before fork, exec, spawn with the child's set-up
//! as data (file actions), one PATH search, one reaper, kill, and what
//! /proc says of a process's parent and children.

use super::fd::move_fd;
use super::signals::{reset_signals_for_exec, CAUGHT};
use nix::errno::Errno;
use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

/// A program and its arguments as C strings, built before fork so that the
/// child allocates nothing.
pub struct Argv {
    path: std::ffi::CString,
    strings: Vec<std::ffi::CString>,
    ptrs: Vec<*const libc::c_char>,
    /// The environment to exec with ([`Argv::with_env`]); None: ours.
    env: Option<(Vec<std::ffi::CString>, Vec<*const libc::c_char>)>,
}

impl Argv {
    /// Executes `path` with arguments `args` (argv[0] included). `None` when
    /// either holds a NUL byte.
    pub fn new<S: AsRef<[u8]>>(path: impl AsRef<[u8]>, args: &[S]) -> Option<Argv> {
        let path = std::ffi::CString::new(path.as_ref()).ok()?;
        let (strings, ptrs) = c_array(args)?;
        Some(Argv { path, strings, ptrs, env: None })
    }

    /// Executes with the environment `env` (`NAME=VALUE` each) instead of
    /// ours. `None` when one holds a NUL byte.
    pub fn with_env<S: AsRef<[u8]>>(mut self, env: &[S]) -> Option<Argv> {
        self.env = Some(c_array(env)?);
        Some(self)
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

/// `items` as C strings and the NULL-terminated array of pointers to them
/// that exec takes; None when one holds a NUL byte.
fn c_array<S: AsRef<[u8]>>(items: &[S]) -> Option<(Vec<std::ffi::CString>, Vec<*const libc::c_char>)> {
    let strings = items.iter().map(|a| std::ffi::CString::new(a.as_ref()).ok()).collect::<Option<Vec<_>>>()?;
    let mut ptrs: Vec<_> = strings.iter().map(|s| s.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    Some((strings, ptrs))
}

/// Replaces this process with `argv`, environment inherited (or the one
/// [`Argv::with_env`] gave); returns only on failure.
pub fn exec(argv: &Argv) -> Errno {
    // SAFETY: path and the NULL-terminated pointer arrays outlive the call.
    match &argv.env {
        None => unsafe { libc::execv(argv.path.as_ptr(), argv.ptrs.as_ptr()) },
        Some((_, env)) => unsafe { libc::execve(argv.path.as_ptr(), argv.ptrs.as_ptr(), env.as_ptr()) },
    };
    Errno::last()
}

/// The base name of the file this process was executed from, as given to
/// execve (the kernel's `AT_EXECFN`), which is what it named the process.
pub fn exec_name() -> Option<&'static [u8]> {
    // SAFETY: getauxval reads the auxiliary vector; AT_EXECFN, when there,
    // points to a NUL-terminated string on our stack for the process's life.
    let path = unsafe { libc::getauxval(libc::AT_EXECFN) } as *const libc::c_char;
    if path.is_null() {
        return None;
    }
    let path = unsafe { std::ffi::CStr::from_ptr(path) }.to_bytes();
    path.rsplit(|&b| b == b'/').next()
}

/// Sets the calling thread's name, which `ps`, `pgrep` and
/// `/proc/PID/comm` show (at most 15 bytes, as the kernel keeps): what exec
/// would have made it had the program been called by that name.
pub fn set_name(name: &[u8]) {
    let mut buf = [0u8; 16];
    let n = name.len().min(15);
    buf[..n].copy_from_slice(&name[..n]);
    // SAFETY: prctl reads a NUL-terminated string of at most 16 bytes.
    unsafe { libc::prctl(libc::PR_SET_NAME, buf.as_ptr()) };
}

/// Sends `sig` to `pid`.
pub fn kill(pid: u32, sig: libc::c_int) -> Result<(), Errno> {
    // SAFETY: kill(2) has no memory effects.
    Errno::result(unsafe { libc::kill(pid as libc::pid_t, sig) }).map(drop)
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

/// The parent of `pid` and the parent's command name, from /proc.
pub fn parent_of(pid: u32) -> Option<(u32, String)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ppid: u32 = stat.rsplit(')').next()?.split_whitespace().nth(1)?.parse().ok()?;
    let comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok()?;
    Some((ppid, comm.trim_end().to_string()))
}

/// One step of a child's set-up between fork and exec, as data (skalibs'
/// cspawn file actions): it holds only numbers and C strings made before
/// the fork, so carrying it out allocates nothing and calls only
/// async-signal-safe functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    /// Makes descriptor `.0` descriptor `.1`, open across exec ([`move_fd`]).
    Move(RawFd, RawFd),
    /// Opens a file (flags, mode) onto descriptor `.3`, open across exec.
    Open(&'a CStr, libc::c_int, libc::mode_t, RawFd),
    /// Closes a descriptor.
    Close(RawFd),
    /// Changes to the directory open on a descriptor.
    Fchdir(RawFd),
    /// Changes to a directory by name.
    Chdir(&'a CStr),
    /// Starts a new session (so a process group of its own).
    Setsid,
    /// Sets a resource limit.
    Limit(libc::__rlimit_resource_t, libc::rlimit),
    /// Writes these bytes to a descriptor in one write(2) (a short write is
    /// EIO): `0` to an open `cgroup.procs` moves the child into that cgroup.
    Write(RawFd, &'a [u8]),
}

impl Action<'_> {
    /// Carries the step out. Async-signal-safe.
    pub fn apply(&self) -> Result<(), Errno> {
        // SAFETY: each call is async-signal-safe, on descriptors and C strings
        // that outlive it.
        unsafe {
            match *self {
                Action::Move(from, to) => move_fd(from, to),
                Action::Open(name, flags, mode, to) => {
                    let fd = Errno::result(libc::open(name.as_ptr(), flags, mode as libc::c_uint))?;
                    move_fd(fd, to)?;
                    if fd != to {
                        libc::close(fd);
                    }
                    Ok(())
                }
                Action::Close(fd) => Errno::result(libc::close(fd)).map(drop),
                Action::Fchdir(fd) => Errno::result(libc::fchdir(fd)).map(drop),
                Action::Chdir(dir) => Errno::result(libc::chdir(dir.as_ptr())).map(drop),
                Action::Setsid => Errno::result(libc::setsid()).map(drop),
                Action::Limit(resource, lim) => Errno::result(libc::setrlimit(resource, &lim)).map(drop),
                Action::Write(fd, bytes) => match Errno::result(libc::write(fd, bytes.as_ptr().cast(), bytes.len()))? {
                    n if n as usize == bytes.len() => Ok(()),
                    _ => Err(Errno::EIO),
                },
            }
        }
    }
}

/// Starts a child that carries out `actions` in order, then execs `argv`
/// with the inherited environment; when a step or the exec fails the child
/// writes `fail` + daemontools' reason + newline to stderr and exits 111.
/// Returns the child's pid. The child shares our memory until it execs,
/// as with vfork(2) (see `spawn`).
pub fn cspawn(argv: &Argv, fail: &[u8], actions: &[Action]) -> Result<u32, Errno> {
    spawn(argv, fail, || actions.iter().try_for_each(Action::apply))
}

/// What a child of [`spawn`] or [`cspawn_into`] does: puts our signal
/// handlers back, carries out its set-up, execs `argv`, and when that fails
/// writes `fail`, daemontools' reason and a newline to stderr and exits 111.
/// Async-signal-safe, allocating nothing.
fn child_exec<F: FnOnce() -> Result<(), Errno>>(argv: &Argv, fail: &[u8], setup: Option<F>) -> ! {
    // Our handlers would write to the self-pipe we share with the parent;
    // exec puts every caught signal back to default, the runtime's own included.
    let caught = CAUGHT.load(Ordering::SeqCst);
    for sig in (1..64).filter(|sig| caught & (1 << sig) != 0) {
        // SAFETY: signal(2) is async-signal-safe; the handler table is the child's own.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
    }
    reset_signals_for_exec();
    let err = match setup.map_or(Ok(()), |f| f()) {
        Err(e) => e,
        Ok(()) => exec(argv),
    };
    let reason = crate::msg::errstr(err).as_bytes();
    for part in [fail, reason, b"\n"] {
        // SAFETY: write(2) of a borrowed buffer.
        unsafe { libc::write(2, part.as_ptr().cast(), part.len()) };
    }
    // SAFETY: _exit(2) ends the child without touching shared state.
    unsafe { libc::_exit(111) }
}

/// [`cspawn`], the child made inside the cgroup open as `cgroup` by
/// clone3(2)'s CLONE_INTO_CGROUP: no migration afterwards, which would take
/// the kernel's cgroup-wide write lock (an RCU grace period, milliseconds,
/// at every start). The child gets a copy of our memory (as fork, which for
/// supervise is small) and we wait for its exec (CLONE_VFORK). ENOSYS,
/// EINVAL or E2BIG: the kernel cannot (before 5.7); join by
/// [`Action::Write`] of `0` to `cgroup.procs` instead.
pub fn cspawn_into(argv: &Argv, fail: &[u8], actions: &[Action], cgroup: BorrowedFd) -> Result<u32, Errno> {
    /// clone3's argument (`struct clone_args`, up to its cgroup field).
    #[repr(C)]
    #[derive(Default)]
    struct CloneArgs {
        flags: u64,
        pidfd: u64,
        child_tid: u64,
        parent_tid: u64,
        exit_signal: u64,
        stack: u64,
        stack_size: u64,
        tls: u64,
        set_tid: u64,
        set_tid_size: u64,
        cgroup: u64,
    }
    const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
    // On x86_64 the child shares our memory until it execs, on a stack of
    // its own, as `spawn`'s does (no page tables copied); elsewhere it gets
    // a copy of our memory, as fork's child does.
    let shared = cfg!(target_arch = "x86_64");
    let mut stack: Vec<u128> = Vec::with_capacity(if shared { 1024 } else { 0 });
    let args = CloneArgs {
        flags: libc::CLONE_VFORK as u64 | CLONE_INTO_CGROUP | if shared { libc::CLONE_VM as u64 } else { 0 },
        exit_signal: libc::SIGCHLD as u64,
        stack: if shared { stack.as_mut_ptr() as u64 } else { 0 },
        stack_size: (stack.capacity() * std::mem::size_of::<u128>()) as u64,
        cgroup: cgroup.as_raw_fd() as u64,
        ..CloneArgs::default()
    };
    let mut child = IntoCgroup { argv, fail, actions };
    let size = std::mem::size_of::<CloneArgs>();
    with_signals_blocked(|| {
        if shared {
            // SAFETY: `args` describes a stack that outlives the child's use
            // of it (CLONE_VFORK: we resume once it has exec'd or exited); the
            // child starts on it in `start_child`, which never returns.
            unsafe {
                clone3_on_stack(
                    &args as *const CloneArgs as *const libc::c_void,
                    size,
                    start_child,
                    (&raw mut child).cast(),
                )
            }
        } else {
            // SAFETY: clone3 with a valid argument of its size; without CLONE_VM
            // the child runs on its own copy of this stack, returning 0 here.
            let pid = unsafe { libc::syscall(libc::SYS_clone3, &args as *const CloneArgs, size) };
            if pid == 0 {
                start_child((&raw mut child).cast())
            }
            pid
        }
    })
}

/// Makes a child with `clone` (which returns its pid, or -1 with errno
/// set) while every signal is blocked, so that none runs a handler of ours
/// (and writes to our self-pipe) in the child before it has put our
/// handlers back ([`child_exec`]); the mask is restored in the parent.
fn with_signals_blocked(clone: impl FnOnce() -> libc::c_long) -> Result<u32, Errno> {
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: sigprocmask with valid sets.
    unsafe {
        libc::sigfillset(&mut all);
        libc::sigprocmask(libc::SIG_SETMASK, &all, &mut old);
    }
    let pid = clone();
    let err = Errno::last();
    // SAFETY: as above.
    unsafe { libc::sigprocmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    match pid {
        -1 => Err(err),
        pid => Ok(pid as u32),
    }
}

/// The entry of [`cspawn_into`]'s child (on its own stack where it shares
/// our memory).
extern "C" fn start_child(arg: *mut libc::c_void) -> ! {
    // SAFETY: `arg` is cspawn_into's `IntoCgroup`, alive while it is suspended in clone3.
    let child = unsafe { &*arg.cast::<IntoCgroup>() };
    child_exec(child.argv, child.fail, Some(|| child.actions.iter().try_for_each(Action::apply)))
}

/// What [`cspawn_into`]'s child gets.
struct IntoCgroup<'a> {
    argv: &'a Argv,
    fail: &'a [u8],
    actions: &'a [Action<'a>],
}

/// clone3(2) whose child starts on the stack `args` names and runs
/// `entry(arg)`, which never returns; the parent gets the child's pid or
/// -1 (errno set), as the libc call would return.
///
/// # Safety
/// `args` must point to a `struct clone_args` of `size` bytes whose stack
/// is valid for the child until it execs or exits (CLONE_VFORK).
#[cfg(target_arch = "x86_64")]
unsafe fn clone3_on_stack(
    args: *const libc::c_void,
    size: usize,
    entry: extern "C" fn(*mut libc::c_void) -> !,
    arg: *mut libc::c_void,
) -> libc::c_long {
    let ret: libc::c_long;
    // SAFETY: the caller's promise; in the child only the stack the kernel
    // switched to is used, and `entry` never comes back.
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "xor ebp, ebp",
            "mov rdi, r12",
            "call r13",
            "ud2",
            "2:",
            inlateout("rax") libc::SYS_clone3 => ret,
            in("rdi") args,
            in("rsi") size,
            in("r12") arg,
            in("r13") entry,
            lateout("rcx") _,
            lateout("r11") _,
        );
    }
    if ret < 0 {
        Errno::set_raw(-ret as i32);
        return -1;
    }
    ret
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn clone3_on_stack(
    _: *const libc::c_void,
    _: usize,
    _: extern "C" fn(*mut libc::c_void) -> !,
    _: *mut libc::c_void,
) -> libc::c_long {
    unreachable!("only x86_64 shares the parent's memory")
}

/// What a child of `spawn` runs, on a stack of its own.
struct Child<'a, F> {
    argv: &'a Argv,
    fail: &'a [u8],
    in_child: Option<F>,
}

/// [`cspawn`]'s work: starts a child that runs `in_child` (the file
/// actions, async-signal-safe and allocating nothing), then execs `argv`
/// with the inherited environment. When that fails the child writes
/// `fail`, daemontools' reason and a newline to stderr and exits 111.
/// Returns the child's pid.
///
/// The child shares our memory until it execs, as with vfork(2), on a stack
/// of its own, and we wait for that exec: no page tables are copied and the
/// child runs first, which is what a restart waits on.
fn spawn<F: FnOnce() -> Result<(), Errno>>(argv: &Argv, fail: &[u8], in_child: F) -> Result<u32, Errno> {
    extern "C" fn start<F: FnOnce() -> Result<(), Errno>>(arg: *mut libc::c_void) -> libc::c_int {
        // SAFETY: `arg` is the `Child` below, alive while we are suspended in clone.
        let child = unsafe { &mut *arg.cast::<Child<F>>() };
        child_exec(child.argv, child.fail, child.in_child.take())
    }
    let mut child = Child { argv, fail, in_child: Some(in_child) };
    // On the heap and left uninitialised, so that only the page or two the
    // child touches become resident (a 16 KiB array on our stack would be
    // probed whole by the compiler).
    let mut stack: Vec<u128> = Vec::with_capacity(1024);
    with_signals_blocked(|| {
        // SAFETY: the stack is ours and outlives the child's use of it
        // (CLONE_VFORK: we resume once it has exec'd or exited); without
        // CLONE_SIGHAND, CLONE_FS and CLONE_FILES its handlers, directory and
        // descriptors are its own.
        unsafe {
            let top = stack.as_mut_ptr().add(stack.capacity()).cast::<libc::c_void>();
            let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
            libc::clone(start::<F>, top, flags, (&raw mut child).cast()) as libc::c_long
        }
    })
}

/// Waits for a child to change: `pid`, or any child when `None`; without
/// blocking when `block` is false. `Ok(Some((pid, wait status)))` for a
/// child that exited, `Ok(None)` when children run but none has exited
/// (only without blocking), `Err(ECHILD)` when there is no such child.
/// The one reaper: interrupted waits are retried.
pub fn wait(pid: Option<u32>, block: bool) -> Result<Option<(u32, libc::c_int)>, Errno> {
    let who = pid.map_or(-1, |p| p as libc::pid_t);
    let flags = if block { 0 } else { libc::WNOHANG };
    let mut status = 0;
    loop {
        // SAFETY: waitpid with a valid status pointer.
        match Errno::result(unsafe { libc::waitpid(who, &mut status, flags) }) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(0) => return Ok(None),
            Ok(pid) => return Ok(Some((pid as u32, status))),
        }
    }
}

/// As PID 1, once the services are down: TERM to every process left in
/// the namespace, KILL at `deadline` (at least a second away) to what is
/// still there, and every one of them reaped; `wake` is the self-pipe that
/// SIGCHLD writes to.
pub fn end_everyone(wake: &super::SelfPipe, deadline: std::time::Instant) {
    let deadline = deadline.max(std::time::Instant::now() + std::time::Duration::from_secs(1));
    // SAFETY: kill(2) has no memory effects; -1 is everyone but ourselves.
    unsafe { libc::kill(-1, libc::SIGTERM) };
    while let Ok(reaped) = wait(None, false) {
        if reaped.is_some() {
            continue;
        }
        let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else { break };
        let _ = super::poll([Some(wake.fd())], Some(left.min(std::time::Duration::from_millis(50))));
        wake.drain();
    }
    // SAFETY: as above.
    unsafe { libc::kill(-1, libc::SIGKILL) };
    while let Ok(Some(_)) = wait(None, true) {}
}

/// The places `name` is looked for in the search path `path` (a `$PATH`
/// value), in order: each directory joined with `name`, an empty entry
/// standing for the current directory, as execvp and daemontools' pathexec
/// read it. A name holding a `/` is not searched: it is the one place.
/// The one PATH search: [`pathexec`](crate::pathexec) execs each in turn,
/// [`which`] takes the first executable file.
pub fn search_path<'a>(path: &'a [u8], name: &'a [u8]) -> impl Iterator<Item = Vec<u8>> + 'a {
    let dirs = if name.contains(&b'/') { None } else { Some(path.split(|&b| b == b':')) };
    let alone = dirs.is_none().then(|| name.to_vec());
    alone.into_iter().chain(dirs.into_iter().flatten().map(move |dir| {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        [dir, b"/", name].concat()
    }))
}

/// Finds an executable file `name` in the directories of `$PATH` (none when
/// `$PATH` is unset).
pub fn which(name: &str) -> Option<PathBuf> {
    which_in(&std::env::var_os("PATH")?.into_encoded_bytes(), name.as_bytes())
}

/// The first of [`search_path`]'s places that is an executable regular file.
pub fn which_in(path: &[u8], name: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    use std::os::unix::fs::PermissionsExt;
    search_path(path, name)
        .map(|p| PathBuf::from(std::ffi::OsString::from_vec(p)))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// A program of the suite: `name` beside this executable (so a build runs
/// its own programs without an install), else on `$PATH`, else the bare
/// name (whose failure to run is then reported where it is run).
pub fn find_program(name: &str) -> std::path::PathBuf {
    let beside = std::env::current_exe().ok().and_then(|e| Some(e.parent()?.join(name)));
    beside.filter(|p| p.is_file()).or_else(|| which(name)).unwrap_or_else(|| name.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn path_search_as_execvp_reads_path() {
        let places: Vec<Vec<u8>> = search_path(b"/a::/b/", b"x").collect();
        assert_eq!(places, [b"/a/x".to_vec(), b"./x".to_vec(), b"/b//x".to_vec()]);
        let places: Vec<Vec<u8>> = search_path(b"/a:/b", b"./x").collect();
        assert_eq!(places, [b"./x".to_vec()], "a name with a slash is not searched");
        assert_eq!(
            search_path(b"", b"x").collect::<Vec<_>>(),
            [b"./x".to_vec()],
            "an empty PATH is the current directory"
        );
    }

    #[test]
    fn which_takes_the_first_executable_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
        for d in [&a, &b, &c] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(a.join("prog"), "").unwrap(); // not executable
        std::fs::create_dir(b.join("prog")).unwrap(); // a directory
        std::fs::write(c.join("prog"), "").unwrap();
        std::fs::set_permissions(c.join("prog"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = [a, b, c.clone()].map(|d| d.into_os_string().into_encoded_bytes()).join(&b':');
        assert_eq!(which_in(&path, b"prog"), Some(c.join("prog")));
        assert_eq!(which_in(&path, b"nothing"), None);
    }

    #[test]
    fn a_child_carries_out_its_file_actions_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let d = CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
        let out = c"out";
        let wr = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC;
        let argv = Argv::new("/bin/sh", &["sh", "-c", "pwd; echo err >&2; cat <&7"]).unwrap();
        let actions = [
            Action::Chdir(&d),
            Action::Open(out, wr, 0o644, 1),
            Action::Move(1, 2),
            Action::Open(c"/dev/null", libc::O_RDONLY, 0, 7),
        ];
        let pid = cspawn(&argv, b"unable to run sh: ", &actions).unwrap();
        let (got, status) = wait(Some(pid), true).unwrap().unwrap();
        assert_eq!((got, libc::WIFEXITED(status), libc::WEXITSTATUS(status)), (pid, true, 0));
        let text = std::fs::read_to_string(dir.join("out")).unwrap();
        assert_eq!(text, format!("{}\nerr\n", std::fs::canonicalize(dir).unwrap().display()));
        assert_eq!(wait(Some(pid), false), Err(Errno::ECHILD), "reaped once");
    }

    #[test]
    fn a_child_gets_the_environment_it_is_given() {
        let tmp = tempfile::tempdir().unwrap();
        let out = std::ffi::CString::new(tmp.path().join("env").as_os_str().as_encoded_bytes()).unwrap();
        let argv = Argv::new("/usr/bin/env", &["env"]).unwrap().with_env(&["A=1", "MAINPID=42"]).unwrap();
        let wr = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC;
        let pid = cspawn(&argv, b"", &[Action::Open(&out, wr, 0o644, 1)]).unwrap();
        let (_, status) = wait(Some(pid), true).unwrap().unwrap();
        assert_eq!(libc::WEXITSTATUS(status), 0);
        assert_eq!(std::fs::read_to_string(tmp.path().join("env")).unwrap(), "A=1\nMAINPID=42\n");
        assert!(Argv::new("x", &["x"]).unwrap().with_env(&["A=\0"]).is_none());
    }

    #[test]
    fn a_failed_action_is_the_childs_failure() {
        let argv = Argv::new("/bin/true", &["true"]).unwrap();
        // The child's complaint goes to /dev/null; it exits 111.
        let pid =
            cspawn(&argv, b"", &[Action::Open(c"/dev/null", libc::O_WRONLY, 0, 2), Action::Chdir(c"/nonexistent")]);
        let (_, status) = wait(Some(pid.unwrap()), true).unwrap().unwrap();
        assert_eq!(libc::WEXITSTATUS(status), 111);
    }

    #[test]
    fn a_child_writes_to_a_descriptor_before_exec() {
        use std::os::fd::{AsFd, AsRawFd};
        // The pipe is close-on-exec: the child writes before exec, and the
        // program it runs holds no end of it.
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let argv = Argv::new("/bin/true", &["true"]).unwrap();
        let pid =
            cspawn(&argv, b"", &[Action::Write(w.as_raw_fd(), b"0"), Action::Write(w.as_raw_fd(), b"ab")]).unwrap();
        let (_, status) = wait(Some(pid), true).unwrap().unwrap();
        assert_eq!(libc::WEXITSTATUS(status), 0);
        drop(w);
        let mut buf = [0u8; 8];
        assert_eq!(crate::sys::read_full(r.as_fd(), &mut buf), Ok(3));
        assert_eq!(&buf[..3], b"0ab");
        // A write that fails (a read end) is the child's failure.
        let pid =
            cspawn(&argv, b"", &[Action::Open(c"/dev/null", libc::O_WRONLY, 0, 2), Action::Write(r.as_raw_fd(), b"0")]);
        let (_, status) = wait(Some(pid.unwrap()), true).unwrap().unwrap();
        assert_eq!(libc::WEXITSTATUS(status), 111);
    }
}
