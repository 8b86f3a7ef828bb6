//! The whole process tree of a service (issue 20, the `tree` file): where
//! its processes are contained, how they are all signalled, seen and
//! counted. A cgroup v2 of its own, a child of supervise's cgroup, where
//! one can be made; else a process group, `run` being a session leader
//! whose pid is the group's (as s6 runs its services), which a process
//! that calls setsid leaves: that is the fallback's documented limit.
//!
//! The parsing is pure and unit-tested; every system call is in one of
//! the small functions at the end. Nothing here prints: [`Tree::prepare`]
//! says why it fell back, and the binary warns.

mod controllers;

pub use controllers::{home, kernel_pids_default, make_room, pids_default, Cap, CONTROLLERS, LEAF};

use crate::sys;
use nix::errno::Errno;
use std::ffi::{CStr, CString, OsStr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The containment of one service.
#[derive(Debug)]
pub enum Tree {
    /// A cgroup v2 of its own: its directory, `cgroup.procs` open for
    /// writing (a child joins by writing `0` to it), `cgroup.events` open
    /// for reading (to poll), and its path (for messages and `rmdir`).
    Cgroup { dir: OwnedFd, procs: OwnedFd, events: OwnedFd, path: PathBuf },
    /// A process group: `run` is a session leader, its pid is the pgid.
    Group,
}

/// What [`Tree::prepare`] made.
#[derive(Debug)]
pub struct Prepared {
    pub tree: Tree,
    /// Why there is no cgroup, when there is none: the one-line warning.
    pub fallback: Option<Fallback>,
    /// The cgroup existed already and holds processes, left by a supervise
    /// that was killed: [`Tree::kill_leftovers`] before starting.
    pub leftover: bool,
}

/// Why a service runs in a process group rather than a cgroup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// No cgroup2 file system in /proc/self/mountinfo.
    NoCgroup2,
    /// No `0::` line in /proc/self/cgroup, or its path is not under the mount.
    NoOwnCgroup,
    /// No pids controller, in cgroup v2 or v1 (for a [`Cap`] only).
    NoPids,
    /// A step failed on a path: `step` is `create`, `open`, or `write to`
    /// (supervise's own `cgroup.procs`, which a move out of it needs).
    Failed { step: &'static str, path: PathBuf, errno: Errno },
}

impl Fallback {
    /// Why, in daemontools' words: `no cgroup2 mounted`, `unable to create
    /// PATH: access denied`.
    pub fn reason(&self) -> String {
        match self {
            Fallback::NoCgroup2 => "no cgroup2 mounted".into(),
            Fallback::NoOwnCgroup => "not in a cgroup2 that is mounted".into(),
            Fallback::NoPids => "no pids controller".into(),
            Fallback::Failed { step, path, errno } => {
                format!("unable to {step} {}: {}", path.display(), crate::msg::errstr(*errno))
            }
        }
    }
}

/// What [`Tree::stats`] counts: live processes, their CPU time (user +
/// system) and memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub processes: u64,
    pub cpu_usec: Option<u64>,
    pub memory_bytes: Option<u64>,
}

/// How many times [`Tree::signal`] reads `cgroup.procs` again for pids
/// forked meanwhile, at most.
const SIGNAL_ROUNDS: usize = 16;

/// The longest service name in a cgroup's name, in bytes.
const NAME_MAX: usize = 64;

/// A failed step's [`Fallback`], for `map_err`.
fn failed<'a>(step: &'static str, path: &'a Path) -> impl FnOnce(Errno) -> Fallback + 'a {
    move |errno| Fallback::Failed { step, path: path.to_path_buf(), errno }
}

impl Tree {
    /// Makes (or reuses) the cgroup `name` (see [`name_for`]) under
    /// supervise's own, or beside it when supervise lives in svscan's leaf
    /// ([`home`]), opened; a [`Tree::Group`] and the reason when that
    /// cannot be done. A cgroup is usable only when supervise may move a
    /// process from its own cgroup into it (write access to `cgroup.procs`
    /// of the cgroup above both, checked here so that `run` never fails on it).
    pub fn prepare(name: &[u8]) -> Prepared {
        match Tree::cgroup(name) {
            Ok(tree) => {
                let leftover = !tree.empty(0);
                Prepared { tree, fallback: None, leftover }
            }
            Err(why) => Prepared { tree: Tree::Group, fallback: Some(why), leftover: false },
        }
    }

    fn cgroup(name: &[u8]) -> Result<Tree, Fallback> {
        let mountinfo = read_file(Path::new("/proc/self/mountinfo")).map_err(|_| Fallback::NoCgroup2)?;
        let own = read_file(Path::new("/proc/self/cgroup")).map_err(|_| Fallback::NoOwnCgroup)?;
        let parent =
            home(&own_dir(&mountinfo, &own)?, |p| read_file(&p.join("cgroup.subtree_control")).unwrap_or_default());
        let own_procs = parent.join("cgroup.procs");
        writable(&own_procs).map_err(failed("write to", &own_procs))?;
        let path = parent.join(OsStr::from_bytes(name));
        sys::mkdir(&c_path(&path), 0o755).map_err(failed("create", &path))?;
        let dir = sys::open_read_dir(&c_path(&path)).map_err(failed("open", &path))?;
        let open = |file: &CStr, flags| {
            sys::open_at(dir.as_fd(), file, flags, 0)
                .map_err(failed("open", &path.join(OsStr::from_bytes(file.to_bytes()))))
        };
        let procs = open(c"cgroup.procs", libc::O_WRONLY)?;
        let events = open(c"cgroup.events", libc::O_RDONLY)?;
        Ok(Tree::Cgroup { dir, procs, events, path })
    }

    /// The cgroup's directory; none for a group.
    pub fn dir(&self) -> Option<BorrowedFd<'_>> {
        match self {
            Tree::Cgroup { dir, .. } => Some(dir.as_fd()),
            Tree::Group => None,
        }
    }

    /// `cgroup` or `process-group`, as `svstat -j` says it.
    pub fn kind(&self) -> &'static str {
        match self {
            Tree::Cgroup { .. } => "cgroup",
            Tree::Group => "process-group",
        }
    }

    /// The file actions that put `run` in the tree, for [`sys::cspawn`]
    /// after the others: into the cgroup (`0` written to its
    /// `cgroup.procs`), then a session of its own, in both modes, so that
    /// its pid is its process group's.
    pub fn join_actions(&self) -> [Option<sys::Action<'static>>; 2] {
        match self {
            Tree::Cgroup { procs, .. } => {
                [Some(sys::Action::Write(procs.as_raw_fd(), b"0")), Some(sys::Action::Setsid)]
            }
            Tree::Group => [Some(sys::Action::Setsid), None],
        }
    }

    /// Starts `argv` in the tree, after `actions` (see [`sys::cspawn`]): a
    /// cgroup's child is made inside it by clone3's CLONE_INTO_CGROUP where
    /// the kernel has it ([`sys::cspawn_into`]), else it joins by the
    /// [`Tree::join_actions`]; it is a session leader either way.
    pub fn spawn(&self, argv: &sys::Argv, fail: &[u8], actions: &[sys::Action]) -> Result<u32, Errno> {
        if let Tree::Cgroup { dir, .. } = self {
            let setsid: Vec<sys::Action> =
                std::iter::once(sys::Action::Setsid).chain(actions.iter().copied()).collect();
            match sys::cspawn_into(argv, fail, &setsid, dir.as_fd()) {
                Err(Errno::ENOSYS | Errno::EINVAL | Errno::E2BIG) => {}
                done => return done,
            }
        }
        let joins: Vec<sys::Action> =
            self.join_actions().into_iter().flatten().chain(actions.iter().copied()).collect();
        sys::cspawn(argv, fail, &joins)
    }

    /// Sends `sig` to every process of the tree. A cgroup's list is read
    /// again until it holds no pid not yet signalled (at most
    /// [`SIGNAL_ROUNDS`] times), so that a process forked meanwhile gets it
    /// too; a group is `kill(-leader)`. A tree with no process is `Ok`.
    pub fn signal(&self, leader: u32, sig: libc::c_int) -> Result<(), Errno> {
        match self {
            Tree::Cgroup { dir, .. } => {
                let mut done = std::collections::HashSet::new();
                for _ in 0..SIGNAL_ROUNDS {
                    let fresh: Vec<u32> =
                        pids(&read_at(dir.as_fd(), c"cgroup.procs")?).filter(|pid| !done.contains(pid)).collect();
                    if fresh.is_empty() {
                        break;
                    }
                    for pid in fresh {
                        let _ = sys::kill(pid, sig);
                        done.insert(pid);
                    }
                }
                Ok(())
            }
            Tree::Group => kill_group(leader, sig),
        }
    }

    /// SIGKILL to every process of the tree: `1` written to `cgroup.kill`
    /// (Linux 5.14), [`signal`](Tree::signal) where it is missing; KILL to
    /// the process group.
    pub fn kill_all(&self, leader: u32) -> Result<(), Errno> {
        match self {
            Tree::Cgroup { dir, .. } => match write_at(dir.as_fd(), c"cgroup.kill", b"1") {
                Err(Errno::ENOENT) => self.signal(leader, libc::SIGKILL),
                r => r,
            },
            Tree::Group => kill_group(leader, libc::SIGKILL),
        }
    }

    /// Whether no process of the tree is left: `populated 0` in a cgroup's
    /// `cgroup.events` (a cgroup that cannot be read any more was removed,
    /// which only an empty one can be); for a group, no process has the
    /// pgid `leader` (reap the leader first: a zombie still counts).
    /// Reading `cgroup.events` also clears the wake-up of [`watch`](Tree::watch).
    pub fn empty(&self, leader: u32) -> bool {
        match self {
            Tree::Cgroup { events, .. } => {
                read_from_start(events.as_fd()).ok().and_then(|e| populated(&e)) != Some(true)
            }
            Tree::Group => kill_pgrp(leader, 0) == Err(Errno::ESRCH),
        }
    }

    /// The descriptor to poll for POLLPRI (and POLLERR) to learn that the
    /// cgroup became empty or populated (it is always readable: do not poll
    /// it for POLLIN). It wakes for every change since it was last read,
    /// the first population after [`prepare`](Tree::prepare) included, until
    /// [`empty`](Tree::empty) reads it again. None for a group, which is
    /// looked at on a timer.
    pub fn watch(&self) -> Option<BorrowedFd<'_>> {
        match self {
            Tree::Cgroup { events, .. } => Some(events.as_fd()),
            Tree::Group => None,
        }
    }

    /// Kills what a killed supervise left in the cgroup ([`Prepared::leftover`])
    /// and waits until it is empty, at most `within`; whether it is.
    pub fn kill_leftovers(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let _ = self.kill_all(0);
        while !self.empty(0) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { return false };
            let Some(fd) = self.watch() else { return false };
            let mut pfd = [libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLPRI, revents: 0 }];
            let _ = sys::poll_fds(&mut pfd, Some(left));
        }
        true
    }

    /// The tree's live processes, CPU time and memory. A cgroup: its
    /// `cgroup.procs`, `usage_usec` of `cpu.stat`, `memory.current` where
    /// the memory controller is on, else the sum of the processes' RSS.
    /// A group: the live processes whose pgid is `leader`, the user and
    /// system time of each and of the children it reaped, their RSS.
    pub fn stats(&self, leader: u32) -> Stats {
        match self {
            Tree::Cgroup { dir, .. } => cgroup_stats(dir.as_fd()),
            Tree::Group => group_stats(leader),
        }
    }

    /// Removes an empty cgroup (a populated one stays: EBUSY); whether it
    /// is gone. Prepare a tree again before the next start. A group has
    /// nothing to remove.
    pub fn remove(&self) -> bool {
        match self {
            Tree::Cgroup { path, .. } => matches!(rmdir(&c_path(path)), Ok(()) | Err(Errno::ENOENT)),
            Tree::Group => true,
        }
    }
}

/// [`Tree::stats`] of a tree known by where it is (`svstat -j`, from what
/// supervise wrote in `supervise/info`): its cgroup's path, or the
/// process group `leader`. A cgroup that cannot be opened counts nothing.
pub fn stats_of(cgroup: Option<&Path>, leader: u32) -> Stats {
    match cgroup {
        Some(path) => sys::open_read_dir(&c_path(path)).map_or(Stats::default(), |dir| cgroup_stats(dir.as_fd())),
        None => group_stats(leader),
    }
}

/// [`stats_of`] where `supervise/info` says the tree is.
pub fn stats_at(at: &crate::info::TreeAt) -> Stats {
    match at {
        crate::info::TreeAt::Cgroup(path) => stats_of(Some(path), 0),
        crate::info::TreeAt::Group(leader) => stats_of(None, *leader),
    }
}

/// One process's figures (a service without `tree`): 1 process, its user
/// and system time and those of the children it reaped, its RSS; nothing
/// for a process that is gone. One read of /proc/PID/stat.
pub fn stats_of_pid(pid: u32) -> Stats {
    match read_proc_stat(pid).as_deref().and_then(proc_stat).filter(|p| !matches!(p.state, b'Z' | b'X')) {
        Some(p) => Stats {
            processes: 1,
            cpu_usec: Some(p.ticks * 1_000_000 / clock_ticks()),
            memory_bytes: Some(p.rss_pages * page_size()),
        },
        None => Stats::default(),
    }
}

fn cgroup_stats(dir: BorrowedFd) -> Stats {
    let list = read_at(dir, c"cgroup.procs").unwrap_or_default();
    let cpu = read_at(dir, c"cpu.stat").ok().and_then(|s| cpu_usage_usec(&s));
    let memory = read_at(dir, c"memory.current").ok().and_then(|m| number(&m));
    let rss = || pids(&list).filter_map(|pid| proc_stat(&read_proc_stat(pid)?)).map(|p| p.rss_pages).sum::<u64>();
    Stats {
        processes: pids(&list).count() as u64,
        cpu_usec: cpu,
        memory_bytes: Some(memory.unwrap_or_else(|| rss() * page_size())),
    }
}

fn group_stats(leader: u32) -> Stats {
    let members = all_pids().filter_map(|pid| proc_stat(&read_proc_stat(pid)?));
    let (mut processes, mut ticks, mut pages) = (0, 0, 0);
    for p in members.filter(|p| p.pgrp == leader && !matches!(p.state, b'Z' | b'X')) {
        processes += 1;
        ticks += p.ticks;
        pages += p.rss_pages;
    }
    Stats { processes, cpu_usec: Some(ticks * 1_000_000 / clock_ticks()), memory_bytes: Some(pages * page_size()) }
}

/// A service's cgroup name: the base name of its directory (`hello`, or
/// `hello.log` for a logger) with every byte outside `[A-Za-z0-9._-]` made
/// `_`, cut to 64 bytes, then `.` and the directory's inode, so that two
/// services of one name in two scan directories never share one.
pub fn name_for(dir_name: &[u8], ino: u64) -> Vec<u8> {
    let safe = |&b: &u8| if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') { b } else { b'_' };
    let mut name: Vec<u8> = dir_name.iter().take(NAME_MAX).map(safe).collect();
    name.push(b'.');
    name.extend(ino.to_string().bytes());
    name
}

/// The mount point of the first cgroup2 file system in `mountinfo`
/// (/proc/self/mountinfo's lines), its octal escapes (`\040`) undone.
pub fn cgroup2_mount(mountinfo: &[u8]) -> Option<PathBuf> {
    cgroup2_line(mountinfo).map(|(_, point)| point)
}

/// The root and mount point of the first cgroup2 line.
fn cgroup2_line(mountinfo: &[u8]) -> Option<(PathBuf, PathBuf)> {
    mount_of(mountinfo, |fstype, _| fstype == b"cgroup2")
}

/// The root and mount point of the first mount whose file system type and
/// super options `wanted` takes. A line is `ID PARENT MAJ:MIN ROOT POINT
/// OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS`.
fn mount_of(mountinfo: &[u8], wanted: impl Fn(&[u8], &[u8]) -> bool) -> Option<(PathBuf, PathBuf)> {
    mountinfo.split(|&b| b == b'\n').find_map(|line| {
        let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let dash = fields.iter().skip(6).position(|f| *f == b"-")? + 6;
        let (fstype, options) = (*fields.get(dash + 1)?, fields.get(dash + 3).copied().unwrap_or_default());
        wanted(fstype, options).then(|| (unescape(fields[3]), unescape(fields[4])))
    })
}

/// A mountinfo field with its `\NNN` octal escapes undone.
fn unescape(field: &[u8]) -> PathBuf {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let octal = field.get(i + 1..i + 4).filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (field[i], octal) {
            (b'\\', Some(d)) => {
                out.push(d.iter().fold(0u8, |n, b| n.wrapping_mul(8).wrapping_add(b - b'0')));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    PathBuf::from(OsStr::from_bytes(&out))
}

/// The path of this process's cgroup v2: the `0::` line of /proc/self/cgroup.
pub fn own_cgroup(proc_self_cgroup: &[u8]) -> Option<PathBuf> {
    let path = proc_self_cgroup.split(|&b| b == b'\n').find_map(|l| l.strip_prefix(b"0::"))?;
    path.starts_with(b"/").then(|| PathBuf::from(OsStr::from_bytes(path)))
}

/// The directory of this process's cgroup v2: the mount point joined with
/// its path below the mount's root (a container's cgroup2 mount may show
/// a subtree only).
fn own_dir(mountinfo: &[u8], proc_self_cgroup: &[u8]) -> Result<PathBuf, Fallback> {
    let (root, point) = cgroup2_line(mountinfo).ok_or(Fallback::NoCgroup2)?;
    let own = own_cgroup(proc_self_cgroup).ok_or(Fallback::NoOwnCgroup)?;
    let below = own.strip_prefix(&root).map_err(|_| Fallback::NoOwnCgroup)?;
    Ok(point.join(below))
}

/// `populated` of `cgroup.events`: whether processes are in the cgroup
/// or below it.
fn populated(events: &[u8]) -> Option<bool> {
    match field(events, b"populated")? {
        b"0" => Some(false),
        b"1" => Some(true),
        _ => None,
    }
}

/// `usage_usec` of `cpu.stat`.
fn cpu_usage_usec(stat: &[u8]) -> Option<u64> {
    number(field(stat, b"usage_usec")?)
}

/// The value of `KEY VALUE` line `key` of a cgroup's flat-keyed file.
fn field<'a>(text: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    text.split(|&b| b == b'\n').find_map(|l| l.strip_prefix(key)?.strip_prefix(b" "))
}

fn number(text: &[u8]) -> Option<u64> {
    std::str::from_utf8(text).ok()?.trim().parse().ok()
}

/// The pids of `cgroup.procs`, one a line.
fn pids(list: &[u8]) -> impl Iterator<Item = u32> + '_ {
    list.split(|&b| b == b'\n').filter_map(|l| std::str::from_utf8(l).ok()?.parse().ok())
}

/// What [`Tree::stats`] takes from /proc/PID/stat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ProcStat {
    state: u8,
    pgrp: u32,
    /// utime + stime + cutime + cstime, in clock ticks.
    ticks: u64,
    rss_pages: u64,
}

/// /proc/PID/stat, read after the last `)` (the command name may hold
/// spaces and parentheses): field 3 the state, 5 the pgrp, 14 to 17 the
/// times, 24 the RSS in pages.
fn proc_stat(stat: &[u8]) -> Option<ProcStat> {
    let rest = &stat[stat.iter().rposition(|&b| b == b')')? + 1..];
    let fields: Vec<&[u8]> = rest.split(|b| b.is_ascii_whitespace()).filter(|f| !f.is_empty()).collect();
    let n = |field: usize| number(fields.get(field - 3)?);
    let ticks = (14..=17).map(n).sum::<Option<u64>>()?;
    Some(ProcStat { state: *fields.first()?.first()?, pgrp: n(5)? as u32, ticks, rss_pages: n(24)? })
}

// The system calls, each in one small function.

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap_or_default()
}

fn read_file(path: &Path) -> Result<Vec<u8>, Errno> {
    std::fs::read(path).map_err(|e| crate::msg::errno_of(&e))
}

/// The whole of `name` in `dir`.
fn read_at(dir: BorrowedFd, name: &CStr) -> Result<Vec<u8>, Errno> {
    let fd = sys::open_at(dir, name, libc::O_RDONLY, 0)?;
    read_from_start(fd.as_fd())
}

/// The whole of a file from offset 0 (pread: a cgroup file is read again
/// through the same descriptor).
fn read_from_start(fd: BorrowedFd) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match sys::pread(fd, &mut buf, out.len() as u64)? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

fn write_at(dir: BorrowedFd, name: &CStr, bytes: &[u8]) -> Result<(), Errno> {
    let fd = sys::open_at(dir, name, libc::O_WRONLY, 0)?;
    sys::write_all(fd.as_fd(), bytes)
}

/// Whether this process may write to `path` (its effective ids).
fn writable(path: &Path) -> Result<(), Errno> {
    let path = c_path(path);
    // SAFETY: path is a valid C string.
    Errno::result(unsafe { libc::faccessat(libc::AT_FDCWD, path.as_ptr(), libc::W_OK, libc::AT_EACCESS) }).map(drop)
}

fn rmdir(path: &CStr) -> Result<(), Errno> {
    // SAFETY: path is a valid C string.
    Errno::result(unsafe { libc::rmdir(path.as_ptr()) }).map(drop)
}

/// `sig` to the process group `leader`; none left is `Ok`.
pub fn kill_group(leader: u32, sig: libc::c_int) -> Result<(), Errno> {
    match kill_pgrp(leader, sig) {
        Err(Errno::ESRCH) => Ok(()),
        r => r,
    }
}

/// kill(2) of the process group `leader`.
fn kill_pgrp(leader: u32, sig: libc::c_int) -> Result<(), Errno> {
    // No group 0 or 1: kill(0) and kill(-1) would signal far more than a tree.
    if leader <= 1 {
        return Err(Errno::ESRCH);
    }
    // SAFETY: kill(2) has no memory effects.
    Errno::result(unsafe { libc::kill(-(leader as libc::pid_t), sig) }).map(drop)
}

fn read_proc_stat(pid: u32) -> Option<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/stat")).ok()
}

/// Every pid in /proc.
fn all_pids() -> impl Iterator<Item = u32> {
    let entries = std::fs::read_dir("/proc").into_iter().flatten().flatten();
    entries.filter_map(|e| e.file_name().to_str()?.parse().ok())
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no memory effects.
    (unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).max(1) as u64
}

fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no memory effects.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &[u8] = b"\
25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw,nsdelegate
";
    const PURE_V2: &[u8] = b"\
22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
29 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
30 22 0:27 / /mnt/other rw shared:5 - cgroup2 cgroup2 rw
";

    #[test]
    fn the_cgroup2_mount_is_found_in_mountinfo() {
        assert_eq!(cgroup2_mount(HYBRID), Some("/sys/fs/cgroup/unified".into()));
        assert_eq!(cgroup2_mount(PURE_V2), Some("/sys/fs/cgroup".into()), "the first one");
        let v1_only = b"32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
        assert_eq!(cgroup2_mount(v1_only), None);
        assert_eq!(cgroup2_mount(b""), None);
        // A mount point with a space and a backslash, as the kernel escapes them.
        let escaped = b"41 31 0:38 / /mnt/my\\040cg\\134x rw - cgroup2 none rw\n";
        assert_eq!(cgroup2_mount(escaped), Some("/mnt/my cg\\x".into()));
        // The fstype is the field after the separator, not a mount point named so.
        let tricky = b"41 31 0:38 / /cgroup2 rw shared:1 - tmpfs cgroup2 rw\n";
        assert_eq!(cgroup2_mount(tricky), None);
        for junk in [&b"- cgroup2"[..], b"1 2 3 4 5 6 - cgroup2", b"\\", b"\\04", b"1 2 3 \\0 \\777 6 - cgroup2 x y"] {
            let _ = cgroup2_mount(junk);
        }
    }

    #[test]
    fn the_own_cgroup_is_the_0_line() {
        let hybrid = b"9:name=systemd:/\n4:memory:/x/y\n1:cpu:/\n0::/\n";
        assert_eq!(own_cgroup(hybrid), Some("/".into()));
        assert_eq!(own_cgroup(b"0::/system.slice/svscan.service\n"), Some("/system.slice/svscan.service".into()));
        assert_eq!(own_cgroup(b"4:memory:/x\n1:cpu:/\n"), None, "v1 only");
        assert_eq!(own_cgroup(b""), None);
        assert_eq!(own_cgroup(b"0::\n"), None);
    }

    #[test]
    fn the_own_directory_is_below_the_mount_root() {
        let ok = |m: &[u8], c: &[u8]| own_dir(m, c).unwrap();
        assert_eq!(ok(HYBRID, b"0::/\n"), PathBuf::from("/sys/fs/cgroup/unified"));
        assert_eq!(ok(PURE_V2, b"0::/a/b\n"), PathBuf::from("/sys/fs/cgroup/a/b"));
        let subtree = b"29 22 0:26 /docker/c1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        assert_eq!(ok(subtree, b"0::/docker/c1/s\n"), PathBuf::from("/sys/fs/cgroup/s"));
        assert_eq!(own_dir(subtree, b"0::/elsewhere\n"), Err(Fallback::NoOwnCgroup));
        assert_eq!(own_dir(b"", b"0::/\n"), Err(Fallback::NoCgroup2));
        assert_eq!(own_dir(HYBRID, b"1:cpu:/\n"), Err(Fallback::NoOwnCgroup));
    }

    #[test]
    fn a_name_is_the_directory_made_safe_then_its_inode() {
        assert_eq!(name_for(b"hello", 1234), b"hello.1234");
        assert_eq!(name_for(b"hello.log", 7), b"hello.log.7");
        assert_eq!(name_for(b"a b/c\xffd:e", 1), b"a_b_c_d_e.1");
        assert_eq!(name_for(b"", 0), b".0");
        let long = name_for(&[b'x'; 100], u64::MAX);
        assert_eq!(long, [&[b'x'; 64][..], b".18446744073709551615"].concat());
    }

    #[test]
    fn cgroup_files_are_read_by_key() {
        assert_eq!(populated(b"populated 1\nfrozen 0\n"), Some(true));
        assert_eq!(populated(b"populated 0\nfrozen 0\n"), Some(false));
        assert_eq!(populated(b"frozen 0\n"), None);
        assert_eq!(populated(b"populatedx 1\n"), None);
        let stat = b"usage_usec 12345\nuser_usec 10000\nsystem_usec 2345\nnr_periods 0\n";
        assert_eq!(cpu_usage_usec(stat), Some(12345));
        assert_eq!(cpu_usage_usec(b"user_usec 1\n"), None);
        assert_eq!(pids(b"12\n345\n\nx\n").collect::<Vec<_>>(), [12, 345]);
        assert_eq!(number(b"8192\n"), Some(8192));
    }

    #[test]
    fn proc_stat_is_read_after_the_last_parenthesis() {
        let stat = b"4242 (a) b (c)) S 1 4200 4200 0 -1 4194560 100 0 0 0 7 3 2 1 20 0 1 0 500 1000000 321 18446744073709551615";
        let p = proc_stat(stat).unwrap();
        assert_eq!(p, ProcStat { state: b'S', pgrp: 4200, ticks: 13, rss_pages: 321 });
        assert_eq!(proc_stat(b"1 (x) S 0 1"), None, "cut short");
        assert_eq!(proc_stat(b"no parenthesis"), None);
        assert_eq!(proc_stat(b""), None);
    }

    #[test]
    fn the_group_is_joined_by_a_session_and_a_cgroup_first_by_its_procs() {
        assert_eq!(Tree::Group.join_actions(), [Some(sys::Action::Setsid), None]);
        assert_eq!(Tree::Group.kind(), "process-group");
        assert!(Tree::Group.watch().is_none());
        assert!(Tree::Group.remove());
        // No group 0 or 1: never kill(0) or kill(-1).
        assert!(Tree::Group.empty(0) && Tree::Group.empty(1));
        assert_eq!(Tree::Group.signal(1, 0), Ok(()));
    }

    #[test]
    fn a_fallback_says_why() {
        let f = Fallback::Failed { step: "create", path: "/sys/fs/cgroup/x.1".into(), errno: Errno::EACCES };
        assert_eq!(f.reason(), "unable to create /sys/fs/cgroup/x.1: access denied");
        assert_eq!(Fallback::NoCgroup2.reason(), "no cgroup2 mounted");
    }
}
