//! Signals: the self-pipe that turns caught signals into readable bytes,
//! and putting signals back for an exec.

use nix::errno::Errno;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

static SELFPIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

/// The signals caught and not yet drained, as a bit mask.
static PENDING: AtomicU64 = AtomicU64::new(0);

/// The signals caught into the self-pipe, as a bit mask (for `spawn`).
pub(super) static CAUGHT: AtomicU64 = AtomicU64::new(0);

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

/// Ignores SIGPIPE, as Rust's runtime does before `main` (`cli::Start::Std`):
/// a write to a pipe no one reads fails with EPIPE instead of killing us.
/// Put back to default in every child by [`reset_signals_for_exec`].
pub fn ignore_sigpipe() {
    // SAFETY: signal(2) with a constant disposition.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
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
