//! The service directory: the paths supervise, svc, svstat and svok share,
//! and the reads they make of it.
//!
//! As in daemontools, the programs chdir into a service directory and use
//! these relative paths, then come back with [`Origin::restore`]; the error
//! messages (`unable to chdir to DIR`) depend on it.

use crate::status::Status;
use crate::supervise::Info;
use crate::sys;
use nix::errno::Errno;
use std::ffi::{CStr, OsStr};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

pub const RUN: &CStr = c"./run";
pub const DOWN: &CStr = c"down";
pub const SUPERVISE: &CStr = c"supervise";
pub const CONTROL: &CStr = c"supervise/control";
pub const OK: &CStr = c"supervise/ok";
pub const STATUS: &CStr = c"supervise/status";

/// The files inside `supervise/`, for those who reach them through its
/// descriptor (supervise itself, svscan).
pub mod inside {
    use std::ffi::CStr;

    pub const LOCK: &CStr = c"lock";
    pub const CONTROL: &CStr = c"control";
    pub const OK: &CStr = c"ok";
    pub const STATUS: &CStr = c"status";
    pub const STATUS_NEW: &CStr = c"status.new";
    /// Beside the 18-byte status: what daemontools' format has no room for (`svstat -j`).
    pub const INFO: &CStr = c"info";
    pub const INFO_NEW: &CStr = c"info.new";
    /// The waiters' FIFOs (see `waiting`).
    pub const EVENT: &CStr = c"event";
}

/// The directory a program started in, to return to after each service.
pub struct Origin(OwnedFd);

impl Origin {
    pub fn open() -> Result<Origin, Errno> {
        sys::open_read(c".").map(Origin)
    }

    pub fn restore(&self) -> Result<(), Errno> {
        nix::unistd::fchdir(self.0.as_fd())
    }
}

/// Enters a service directory.
pub fn enter(dir: &OsStr) -> Result<(), Errno> {
    nix::unistd::chdir(dir)
}

/// Whether the service here is normally up: it is unless `down` exists.
pub fn normally_up() -> Result<bool, Errno> {
    match nix::sys::stat::stat(DOWN) {
        Ok(_) => Ok(false),
        Err(Errno::ENOENT) => Ok(true),
        Err(e) => Err(e),
    }
}

/// Checks that a supervise holds `supervise/ok` open. ENXIO means none does;
/// ENOENT that none ever ran here.
pub fn probe_ok() -> Result<(), Errno> {
    sys::open_write(OK).map(drop)
}

/// Whether a supervise (any: ours, daemontools', an earlier svscan's) holds
/// `dir/supervise/ok` open: a FIFO with a reader (a plain file there is not
/// one), reached by the rules of [`supervise_dir_of`].
pub fn supervised(dir: &[u8]) -> bool {
    let Ok(path) = std::ffi::CString::new(dir) else { return false };
    sys::open_read_dir(&path).is_ok_and(|entry| supervised_in(entry.as_fd(), false))
}

/// `supervised` for the service (or, with `log`, the logger) of the entry
/// open as `entry`, reached by the rules of [`supervise_dir_of`].
pub fn supervised_in(entry: BorrowedFd, log: bool) -> bool {
    supervise_dir_of(entry, log).is_ok_and(|sup| open_fifo_write_at(sup.as_fd(), inside::OK).is_ok())
}

/// Writes `letters` to the control FIFO of the service (or, with `log`, the
/// logger) of the entry open as `entry`, reached by the rules of
/// [`supervise_dir_of`] and [`open_fifo_write_at`]: never into anything but
/// a FIFO, never through a symlink its owner could have planted.
pub fn control_in(entry: BorrowedFd, log: bool, letters: &[u8]) -> bool {
    supervise_dir_of(entry, log)
        .ok()
        .and_then(|sup| open_fifo_write_at(sup.as_fd(), inside::CONTROL).ok())
        .is_some_and(|fd| sys::write_all(fd.as_fd(), letters).is_ok())
}

/// Why `supervise/status` could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusError {
    Open(Errno),
    Read(Errno),
    /// Fewer than 18 bytes.
    BadFormat,
}

/// `dir/supervise/info`, written by our supervise only, and believed only
/// when it speaks of the process `status` does (a stale one is ignored).
pub fn read_info(dir: &Path, status: &Status) -> Option<Info> {
    read_info_raw(dir).filter(|i| i.pid == status.pid)
}

/// The most `supervise/info` may hold; what is past it is not read.
const INFO_MAX: usize = 4096;

/// `dir/supervise/info` as our supervise last wrote it, whatever the status
/// says: a regular file only, read without blocking and with a bound (a
/// FIFO or `/dev/zero` planted there is no info).
pub fn read_info_raw(dir: &Path) -> Option<Info> {
    let path = std::ffi::CString::new(dir.join("supervise/info").into_os_string().into_vec()).ok()?;
    Info::unpack(&sys::read_small(&path, INFO_MAX).ok()?)
}

/// `dir/supervise/status`, read as [`read_status`] reads it here.
pub fn read_status_in(dir: &Path) -> Result<Status, StatusError> {
    let path = std::ffi::CString::new(dir.join("supervise/status").into_os_string().into_vec())
        .map_err(|_| StatusError::Open(Errno::EINVAL))?;
    read_status_from(&path)
}

/// Reads `supervise/status` here: without blocking (a FIFO there reads as
/// too short), 18 bytes at most, as daemontools' svstat does.
pub fn read_status() -> Result<Status, StatusError> {
    read_status_from(STATUS)
}

fn read_status_from(path: &CStr) -> Result<Status, StatusError> {
    let fd = sys::open_read(path).map_err(StatusError::Open)?;
    let mut buf = [0u8; crate::status::LEN];
    let n = sys::read_full(fd.as_fd(), &mut buf).map_err(StatusError::Read)?;
    Status::unpack(&buf[..n]).ok_or(StatusError::BadFormat)
}

/// Opens for writing the control FIFO that the supervise running as `pid`
/// holds open, through its descriptor in `/proc/PID/fd`: reached even when
/// its service directory was renamed or removed (`rm -rf`), and never
/// through a path in that directory, where its owner could have planted a
/// symlink. Only a FIFO is opened: its type is checked before the open and
/// again after. ENOENT when `pid` holds no such FIFO (or /proc is missing).
pub fn control_of(pid: u32) -> Result<OwnedFd, Errno> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_err(|_| Errno::ENOENT)?;
    for entry in fds.flatten() {
        let Ok(target) = std::fs::read_link(entry.path()) else { continue };
        let target = target.as_os_str().as_bytes();
        let target = target.strip_suffix(b" (deleted)").unwrap_or(target);
        // `.../supervise/control`, or wherever its directory was moved to.
        if !target.ends_with(b"/control") {
            continue;
        }
        let Ok(path) = std::ffi::CString::new(entry.path().as_os_str().as_bytes()) else { continue };
        let fifo = |st: &libc::stat| st.st_mode & libc::S_IFMT == libc::S_IFIFO;
        let Ok(before) = nix::sys::stat::stat(path.as_c_str()) else { continue };
        if !fifo(&before) {
            continue;
        }
        let Ok(fd) = sys::open_write(&path) else { continue };
        match nix::sys::stat::fstat(&fd) {
            Ok(st) if fifo(&st) && (st.st_dev, st.st_ino) == (before.st_dev, before.st_ino) => return Ok(fd),
            _ => continue,
        }
    }
    Err(Errno::ENOENT)
}

/// Why a `supervise/` directory was not opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirError {
    Sys(Errno),
    /// A symlink that belongs to this uid, neither root nor us: not followed.
    ForeignLink(libc::uid_t),
    /// A directory that belongs to this uid, neither root nor us.
    Foreign(libc::uid_t),
}

/// Whether `uid` may own what we follow or write into: root, or ourselves.
fn trusted(uid: libc::uid_t) -> bool {
    // SAFETY: geteuid(2) cannot fail.
    uid == 0 || uid == unsafe { libc::geteuid() }
}

/// Opens the directory `name` inside `at` without trusting whoever owns
/// `at`: a symlink is followed only when it belongs to root or to us (as
/// Debian's update-service makes `supervise` a link to /var/lib/supervise),
/// and, with `own`, the directory itself must belong to root or to us.
pub fn open_dir_at(at: BorrowedFd, name: &CStr, own: bool) -> Result<OwnedFd, DirError> {
    let flags = libc::O_RDONLY | libc::O_DIRECTORY;
    let link = sys::stat_at_nofollow(at, name).map_err(DirError::Sys)?;
    let fd = if link.st_mode & libc::S_IFMT == libc::S_IFLNK {
        if !trusted(link.st_uid) {
            return Err(DirError::ForeignLink(link.st_uid));
        }
        sys::open_at(at, name, flags, 0)
    } else {
        sys::open_at(at, name, flags | libc::O_NOFOLLOW, 0)
    }
    .map_err(DirError::Sys)?;
    let st = nix::sys::stat::fstat(&fd).map_err(DirError::Sys)?;
    if own && !trusted(st.st_uid) {
        return Err(DirError::Foreign(st.st_uid));
    }
    Ok(fd)
}

/// Opens for writing, without blocking, the FIFO `name` inside the directory
/// `dir`: never through a symlink, and only once it is seen to be a FIFO
/// (before the open, and through the descriptor after it).
pub fn open_fifo_write_at(dir: BorrowedFd, name: &CStr) -> Result<OwnedFd, Errno> {
    let fifo = |st: &libc::stat| st.st_mode & libc::S_IFMT == libc::S_IFIFO;
    let before = sys::stat_at_nofollow(dir, name)?;
    if !fifo(&before) {
        return Err(Errno::ENXIO);
    }
    let fd = sys::open_at(dir, name, libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW, 0)?;
    let st = nix::sys::stat::fstat(&fd)?;
    if !fifo(&st) || (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino) {
        return Err(Errno::ENXIO);
    }
    Ok(fd)
}

/// The supervise directory of the service (or, with `log`, of its logger)
/// open as `entry`, by the rules of [`open_dir_at`].
pub fn supervise_dir_of(entry: BorrowedFd, log: bool) -> Result<OwnedFd, DirError> {
    if log {
        let log = open_dir_at(entry, c"log", false)?;
        open_dir_at(log.as_fd(), SUPERVISE, true)
    } else {
        open_dir_at(entry, SUPERVISE, true)
    }
}

/// The pid of the process holding the `flock` on `lock` inside the
/// `supervise/` directory of the service (or, with `log`, the logger) open
/// as `entry`: the supervise running there, as /proc/locks tells.
pub fn lock_holder(entry: BorrowedFd, log: bool) -> Option<u32> {
    let sup = supervise_dir_of(entry, log).ok()?;
    let st = sys::stat_at_nofollow(sup.as_fd(), inside::LOCK).ok()?;
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let dev = format!("{:02x}:{:02x}:{}", libc::major(st.st_dev), libc::minor(st.st_dev), st.st_ino);
    locks.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        // `N: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE START END`
        (f.get(1) == Some(&"FLOCK") && f.get(5) == Some(&dev.as_str())).then(|| f.get(4)?.parse().ok()).flatten()
    })
}
