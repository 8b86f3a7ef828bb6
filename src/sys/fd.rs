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

/// A filter from `input` to `output` (tai64n, tai64nlocal): reads what
/// comes, 64 KiB at most at a time, hands it to `each` with the output to
/// append to, and writes that out before every read, so that nothing made
/// waits while input is awaited. At the end of input `each` gets `None`,
/// and what it appends then is written too. The error says which half
/// failed (`read input`, `write output`).
pub fn filter(
    input: BorrowedFd,
    output: BorrowedFd,
    mut each: impl FnMut(Option<&[u8]>, &mut Vec<u8>),
) -> Result<(), (&'static str, Errno)> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::with_capacity(2 * buf.len());
    loop {
        write_all(output, &out).map_err(|e| ("write output", e))?;
        out.clear();
        match read_some(input, &mut buf).map_err(|e| ("read input", e))? {
            0 => break,
            n => each(Some(&buf[..n]), &mut out),
        }
    }
    each(None, &mut out);
    write_all(output, &out).map_err(|e| ("write output", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn a_filter_writes_what_each_chunk_makes_and_its_end() {
        let (in_r, in_w) = nix::unistd::pipe().unwrap();
        write_all(in_w.as_fd(), b"ab\ncd").unwrap();
        drop(in_w);
        let (out_r, out_w) = nix::unistd::pipe().unwrap();
        let mut chunks = 0;
        let upper = |chunk: Option<&[u8]>, out: &mut Vec<u8>| match chunk {
            Some(c) => {
                chunks += 1;
                out.extend(c.to_ascii_uppercase());
            }
            None => out.push(b'!'),
        };
        assert_eq!(filter(in_r.as_fd(), out_w.as_fd(), upper), Ok(()));
        assert_eq!(chunks, 1);
        drop(out_w);
        let mut buf = [0u8; 16];
        assert_eq!(read_full(out_r.as_fd(), &mut buf), Ok(6));
        assert_eq!(&buf[..6], b"AB\nCD!");
        // A closed output is the write half's failure, once there is something to write.
        let (in_r, in_w) = nix::unistd::pipe().unwrap();
        write_all(in_w.as_fd(), b"x").unwrap();
        drop(in_w);
        let devnull_ro = std::fs::File::open("/dev/null").unwrap();
        let copy = |c: Option<&[u8]>, out: &mut Vec<u8>| out.extend(c.unwrap_or_default());
        assert_eq!(filter(in_r.as_fd(), devnull_ro.as_fd(), copy), Err(("write output", Errno::EBADF)));
    }
}
