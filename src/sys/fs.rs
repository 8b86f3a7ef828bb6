//! The file system: opening files the way daemontools does (every
//! descriptor close-on-exec), `*at` calls relative to a directory's
//! descriptor, flock, FIFOs, atomic write-then-rename, small settings files.

use super::fd::{read_full, write_all};
use nix::errno::Errno;
use std::ffi::CStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

pub(super) fn open(path: &CStr, flags: i32, mode: libc::mode_t) -> Result<OwnedFd, Errno> {
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

/// Opens a directory for reading (for `openat` and `fchdir`).
pub fn open_read_dir(path: &CStr) -> Result<OwnedFd, Errno> {
    open(path, libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NONBLOCK, 0)
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

/// The step of an atomic write that failed, for the warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomicStep {
    Open,
    Write,
    Rename,
}

/// Writes `data` to `tmp` in the directory `dir`, then renames it over
/// `path` there: a reader sees the old file or the new one, never a torn
/// one. `tmp` is made anew (`O_EXCL|O_NOFOLLOW`, any old one removed first
/// when there is one), so a symlink or a file planted under its name is
/// never written through.
pub fn write_atomic_at(dir: BorrowedFd, tmp: &CStr, path: &CStr, data: &[u8]) -> Result<(), (AtomicStep, Errno)> {
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_NONBLOCK;
    let fd = match open_at(dir, tmp, flags, 0o644) {
        Err(Errno::EEXIST) => match unlink_at(dir, tmp) {
            Ok(()) | Err(Errno::ENOENT) => open_at(dir, tmp, flags, 0o644),
            Err(e) => Err(e),
        },
        r => r,
    };
    let fd = fd.map_err(|e| (AtomicStep::Open, e))?;
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
/// A relative `path` is the current directory's: see [`read_small_at`].
pub fn read_small(path: &CStr, max: usize) -> Result<Vec<u8>, Small> {
    read_small_at(nix::fcntl::AT_FDCWD, path, max)
}

/// [`read_small`] of `name` relative to the directory `dir` (symlinks followed).
pub fn read_small_at(dir: BorrowedFd, name: &CStr, max: usize) -> Result<Vec<u8>, Small> {
    let regular = |st: &libc::stat| st.st_mode & libc::S_IFMT == libc::S_IFREG;
    let before = match stat_at(dir, name) {
        Ok(st) => st,
        Err(Errno::ENOENT) => return Err(Small::Missing),
        Err(e) => return Err(Small::Failed(e)),
    };
    if !regular(&before) {
        return Err(Small::NotRegular);
    }
    let fd = open_at(dir, name, libc::O_RDONLY | libc::O_NONBLOCK, 0).map_err(|e| match e {
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
