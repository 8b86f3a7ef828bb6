//! Waiting for a service to change, woken by the change itself (as s6's
//! event FIFOs): a waiter puts a FIFO it reads into `supervise/event/`, and
//! supervise writes a byte into every FIFO there each time it rewrites its
//! status. A FIFO nobody reads any more (its waiter died) is removed.

use crate::status::Status;
use crate::supervise::Info;
use nix::errno::Errno;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The directory of waiters' FIFOs, relative to a service directory.
pub const EVENT: &str = "supervise/event";

fn cstr(p: &Path) -> Result<CString, Errno> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| Errno::EINVAL)
}

/// supervise's side: one byte to every waiter (run in the service directory).
pub fn notify() {
    let Ok(entries) = std::fs::read_dir(EVENT) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.as_bytes().starts_with(b".") {
            continue;
        }
        let path = Path::new(EVENT).join(&name);
        let Ok(c) = cstr(&path) else { continue };
        // Only a FIFO, never through a symlink: supervise may run as root.
        // SAFETY: open with a valid path; the fd is ours.
        let fd =
            unsafe { libc::open(c.as_ptr(), libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC) };
        match Errno::result(fd).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }) {
            Ok(fd) => {
                let mut st: libc::stat = unsafe { std::mem::zeroed() };
                let fifo =
                    unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } == 0 && st.st_mode & libc::S_IFMT == libc::S_IFIFO;
                if fifo {
                    let _ = nix::unistd::write(fd.as_fd(), b"!");
                }
            }
            // Nobody reads it: its waiter is gone.
            Err(Errno::ENXIO) => {
                let _ = std::fs::remove_file(&path);
            }
            Err(_) => {}
        }
    }
}

/// A waiter's FIFO in one service directory; removed when dropped.
pub struct Waiter {
    fd: OwnedFd,
    path: PathBuf,
}

impl Waiter {
    /// Puts a FIFO into `dir/supervise/event/`. It is made under a dot name
    /// (which supervise skips), opened, then renamed: supervise never finds
    /// it without a reader.
    pub fn new(dir: &Path, tag: usize) -> Result<Waiter, Errno> {
        let events = dir.join(EVENT);
        crate::sys::mkdir(&cstr(&events)?, 0o700)?;
        let name = format!("svc-{}-{tag}", std::process::id());
        let temp = events.join(format!(".{name}"));
        let path = events.join(name);
        let c = cstr(&temp)?;
        let _ = std::fs::remove_file(&temp);
        crate::sys::mkfifo(&c, 0o600)?;
        // Read-write: a FIFO opened for reading alone reports a hang-up for
        // good once supervise's first write end closes, and poll would spin.
        // SAFETY: open with a valid path; the fd is ours.
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC) };
        let fd = Errno::result(fd).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })?;
        std::fs::rename(&temp, &path).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
        Ok(Waiter { fd, path })
    }

    pub fn fd(&self) -> libc::c_int {
        self.fd.as_raw_fd()
    }

    /// Reads away what supervise wrote.
    pub fn drain(&self) {
        let mut buf = [0u8; 64];
        while let Ok(1..) = nix::unistd::read(self.fd.as_fd(), &mut buf) {}
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// What `svc -w` waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// `u`: up.
    Up,
    /// `U`: up and ready (a service without `notification-fd` is ready when up).
    Ready,
    /// `d`: down.
    Down,
    /// `D`: down, and `./finish` done.
    Finished,
    /// `r`: running a process started since the wait began.
    Restarted,
    /// `R`: that, and ready.
    RestartedReady,
}

impl Goal {
    pub fn from_letter(c: u8) -> Option<Goal> {
        Some(match c {
            b'u' => Goal::Up,
            b'U' => Goal::Ready,
            b'd' => Goal::Down,
            b'D' => Goal::Finished,
            b'r' => Goal::Restarted,
            b'R' => Goal::RestartedReady,
            _ => return None,
        })
    }

    /// Whether a service whose pid was `before` when the wait began is there now.
    pub fn reached(self, status: &Status, info: Option<&Info>, before: u32) -> bool {
        let up = status.pid != 0;
        // Without notification-fd (or without our supervise), up is ready.
        let ready = up && info.and_then(|i| i.ready).is_none_or(|r| r.is_some());
        let finishing = info.is_some_and(|i| i.finishing);
        let new = up && status.pid != before;
        match self {
            Goal::Up => up,
            Goal::Ready => ready,
            Goal::Down => !up,
            Goal::Finished => !up && !finishing,
            Goal::Restarted => new,
            Goal::RestartedReady => new && ready,
        }
    }

    /// Whether the service may get there with no supervise running.
    pub fn reachable_unsupervised(self) -> bool {
        matches!(self, Goal::Down | Goal::Finished)
    }
}
