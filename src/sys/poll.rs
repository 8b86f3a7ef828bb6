//! Waiting for descriptors: the one poll wrapper.

use nix::errno::Errno;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

/// Waits until one of `fds` is readable (or at its end, or in error) or
/// `timeout` passes (`None`: no limit); a `None` descriptor is left out.
/// Says which are readable; an interrupted wait reports none.
pub fn poll<const N: usize>(fds: [Option<BorrowedFd>; N], timeout: Option<Duration>) -> Result<[bool; N], Errno> {
    let mut pfds =
        fds.map(|fd| libc::pollfd { fd: fd.map_or(-1, |fd| fd.as_raw_fd()), events: libc::POLLIN, revents: 0 });
    let ms = timeout.map_or(-1, |d| d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32);
    // SAFETY: pfds is a valid array of N pollfds.
    match Errno::result(unsafe { libc::poll(pfds.as_mut_ptr(), N as libc::nfds_t, ms) }) {
        Err(Errno::EINTR) => Ok([false; N]),
        Err(e) => Err(e),
        Ok(_) => Ok(pfds.map(|p| p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0)),
    }
}

/// Transitional ([`poll`] with every descriptor given).
pub fn poll_read<const N: usize>(fds: [BorrowedFd; N], timeout: Option<Duration>) -> Result<[bool; N], Errno> {
    poll(fds.map(Some), timeout)
}

/// Transitional ([`poll`] over raw descriptors, -1 standing for none).
pub fn poll_raw<const N: usize>(fds: [libc::c_int; N], timeout: Option<Duration>) -> Result<[bool; N], Errno> {
    // SAFETY: the caller's descriptors are open for the call (as poll(2) itself requires).
    poll(fds.map(|fd| (fd >= 0).then(|| unsafe { BorrowedFd::borrow_raw(fd) })), timeout)
}
