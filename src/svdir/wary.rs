//! Reaching a service's `supervise/` warily, as svscan does for entries
//! whose owners it does not trust: a symlink followed only when root's or
//! ours, only FIFOs opened, the control FIFO found through a supervise's
//! own descriptors. svc, svstat and svok go daemontools' plain way instead
//! ([`super::ServiceDir`]'s `ok`, `status`, `send`).

use super::{inside, is_fifo, SUPERVISE};
use crate::sys;
use nix::errno::Errno;
use std::ffi::CStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// `supervised` for the service (or, with `log`, the logger) of the entry
/// open as `entry`, reached by the rules of [`supervise_dir_of`]: a FIFO
/// `ok` with a reader (a plain file there is not one).
pub(super) fn supervised_in(entry: BorrowedFd, log: bool) -> bool {
    supervise_dir_of(entry, log).is_ok_and(|sup| open_fifo_write_at(sup.as_fd(), inside::OK).is_ok())
}

/// Writes `letters` to the control FIFO of the service (or, with `log`, the
/// logger) of the entry open as `entry`, reached by the rules of
/// [`supervise_dir_of`] and [`open_fifo_write_at`]: never into anything but
/// a FIFO, never through a symlink its owner could have planted.
pub(super) fn control_in(entry: BorrowedFd, log: bool, letters: &[u8]) -> bool {
    supervise_dir_of(entry, log)
        .ok()
        .and_then(|sup| open_fifo_write_at(sup.as_fd(), inside::CONTROL).ok())
        .is_some_and(|fd| sys::write_all(fd.as_fd(), letters).is_ok())
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
        let Ok(before) = nix::sys::stat::stat(path.as_c_str()) else { continue };
        if !is_fifo(&before) {
            continue;
        }
        let Ok(fd) = sys::open_write(&path) else { continue };
        match nix::sys::stat::fstat(&fd) {
            Ok(st) if is_fifo(&st) && (st.st_dev, st.st_ino) == (before.st_dev, before.st_ino) => return Ok(fd),
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
    let before = sys::stat_at_nofollow(dir, name)?;
    if !is_fifo(&before) {
        return Err(Errno::ENXIO);
    }
    let fd = sys::open_at(dir, name, libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW, 0)?;
    let st = nix::sys::stat::fstat(&fd)?;
    if !is_fifo(&st) || (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino) {
        return Err(Errno::ENXIO);
    }
    Ok(fd)
}

/// The supervise directory of the service (or, with `log`, of its logger)
/// open as `entry`, by the rules of [`open_dir_at`].
pub(super) fn supervise_dir_of(entry: BorrowedFd, log: bool) -> Result<OwnedFd, DirError> {
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
pub(super) fn lock_holder(entry: BorrowedFd, log: bool) -> Option<u32> {
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
