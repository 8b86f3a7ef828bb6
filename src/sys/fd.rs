//! Descriptors: reading and writing whole buffers, pipes, flags, and
//! moving a descriptor onto a number (for a child before exec).

use nix::errno::Errno;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

/// A pipe whose ends are inherited across exec (`pipe(2)` without flags):
/// its read end and write end.
pub fn pipe_inherited() -> Result<(OwnedFd, OwnedFd), Errno> {
    nix::unistd::pipe()
}

/// Turns O_NONBLOCK off or on.
pub fn set_nonblocking(fd: BorrowedFd, on: bool) -> Result<(), Errno> {
    // SAFETY: fcntl on a descriptor we borrow.
    let flags = Errno::result(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    let flags = if on { flags | libc::O_NONBLOCK } else { flags & !libc::O_NONBLOCK };
    Errno::result(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags) }).map(drop)
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

/// Transitional ([`move_fd`] of a borrowed descriptor; in a child, `Action::Move`).
pub fn dup_onto(from: BorrowedFd, to: libc::c_int) -> Result<(), Errno> {
    move_fd(from.as_raw_fd(), to)
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
