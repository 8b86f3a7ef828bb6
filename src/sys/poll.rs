//! Waiting for descriptors: the one poll wrapper ([`poll_fds`]), and the
//! forms most callers want over it (which descriptors are readable).

use nix::errno::Errno;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

/// Waits until one of `fds` is readable (or at its end, or in error) or
/// `timeout` passes (`None`: no limit); a `None` descriptor is left out.
/// Says which are readable; an interrupted wait reports none.
pub fn poll<const N: usize>(fds: [Option<BorrowedFd>; N], timeout: Option<Duration>) -> Result<[bool; N], Errno> {
    let mut pfds = fds.map(|fd| pollfd(fd.map_or(-1, |fd| fd.as_raw_fd())));
    poll_in(&mut pfds, timeout)?;
    Ok(pfds.map(|p| readable(&p)))
}

/// [`poll`] for other events than input: each descriptor with the events
/// it is watched for (POLLPRI for a cgroup's `cgroup.events`); says which
/// had any event.
pub fn poll_for<const N: usize>(
    fds: [(Option<BorrowedFd>, libc::c_short); N],
    timeout: Option<Duration>,
) -> Result<[bool; N], Errno> {
    let mut pfds = fds.map(|(fd, events)| libc::pollfd { fd: fd.map_or(-1, |fd| fd.as_raw_fd()), events, revents: 0 });
    poll_in(&mut pfds, timeout)?;
    Ok(pfds.map(|p| p.revents != 0))
}

/// [`poll_for`] over as many descriptors as there are (supervise's, and
/// the FIFOs of its wait for the needed services).
pub fn poll_for_slice(
    fds: &[(Option<BorrowedFd>, libc::c_short)],
    timeout: Option<Duration>,
) -> Result<Vec<bool>, Errno> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|(fd, events)| libc::pollfd { fd: fd.map_or(-1, |fd| fd.as_raw_fd()), events: *events, revents: 0 })
        .collect();
    poll_in(&mut pfds, timeout)?;
    Ok(pfds.iter().map(|p| p.revents != 0).collect())
}

/// [`poll`] over as many descriptors as there are (`svc -w`'s waiters).
pub fn poll_slice(fds: &[BorrowedFd], timeout: Option<Duration>) -> Result<Vec<bool>, Errno> {
    let mut pfds: Vec<libc::pollfd> = fds.iter().map(|fd| pollfd(fd.as_raw_fd())).collect();
    poll_in(&mut pfds, timeout)?;
    Ok(pfds.iter().map(readable).collect())
}

fn pollfd(fd: libc::c_int) -> libc::pollfd {
    libc::pollfd { fd, events: libc::POLLIN, revents: 0 }
}

fn readable(p: &libc::pollfd) -> bool {
    p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
}

/// poll(2) itself, for a caller that asks for other events than input or
/// must tell a timeout (`Ok(0)`) from an interruption (`Err(EINTR)`), as
/// multilog's input does: how many descriptors have events. The timeout is
/// rounded up to milliseconds.
pub fn poll_fds(pfds: &mut [libc::pollfd], timeout: Option<Duration>) -> Result<usize, Errno> {
    let ms = timeout.map_or(-1, |d| d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32);
    // SAFETY: pfds is a valid array of that many pollfds.
    Errno::result(unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) }).map(|n| n as usize)
}

/// [`poll_fds`], an interruption taken as no descriptor ready.
fn poll_in(pfds: &mut [libc::pollfd], timeout: Option<Duration>) -> Result<(), Errno> {
    match poll_fds(pfds, timeout) {
        Err(Errno::EINTR) => {
            pfds.iter_mut().for_each(|p| p.revents = 0);
            Ok(())
        }
        r => r.map(drop),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn the_array_and_the_slice_say_which_are_readable() {
        let (r1, w1) = nix::unistd::pipe().unwrap();
        let (r2, _w2) = nix::unistd::pipe().unwrap();
        let zero = Some(Duration::ZERO);
        assert_eq!(poll_slice(&[r1.as_fd(), r2.as_fd()], zero), Ok(vec![false, false]));
        nix::unistd::write(&w1, b"x").unwrap();
        assert_eq!(poll_slice(&[r1.as_fd(), r2.as_fd()], zero), Ok(vec![true, false]));
        assert_eq!(poll([None, Some(r2.as_fd()), Some(r1.as_fd())], zero), Ok([false, false, true]));
        drop(w1);
        assert_eq!(poll_slice(&[r1.as_fd()], None), Ok(vec![true]));
        assert_eq!(poll_slice(&[], zero), Ok(vec![]));
    }
}
