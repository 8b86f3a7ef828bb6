//! Descriptors: reading and writing whole buffers, pipes, flags, and
//! moving a descriptor onto a number (for a child before exec).

use nix::errno::Errno;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

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

/// pread(2) of at most `buf.len()` bytes at `off`, again on EINTR: how
/// many were read (0 at end of file).
pub fn pread(fd: BorrowedFd, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
    loop {
        // SAFETY: pread into a buffer of ours, of its length.
        let n = unsafe { libc::pread(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), off as libc::off_t) };
        match Errno::result(n) {
            Err(Errno::EINTR) => continue,
            r => return r.map(|n| n as usize),
        }
    }
}

/// Opens /dev/null on each of the standard descriptors 0, 1 and 2 that is
/// closed, as Rust's runtime does before `main`, for the programs started
/// that way (`cli::Start::Std`): a descriptor they open later cannot then
/// take the number of one, and what they write there is not mixed into
/// another file. As the runtime: one `poll`, or `fcntl` on each where poll
/// is refused. Fails only when /dev/null cannot be opened.
pub fn open_standard() -> Result<(), Errno> {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd { fd, events: 0, revents: 0 });
    // SAFETY: poll and fcntl on an array and descriptor numbers we own.
    while unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } == -1 {
        match Errno::last() {
            Errno::EINTR => continue,
            _ => {
                for p in &mut fds {
                    let closed = unsafe { libc::fcntl(p.fd, libc::F_GETFD) } == -1 && Errno::last() == Errno::EBADF;
                    p.revents = if closed { libc::POLLNVAL } else { 0 };
                }
                break;
            }
        }
    }
    for _ in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
        // Not close-on-exec: it is a standard descriptor from now on; being
        // the lowest closed one, it gets the number that was missing.
        // SAFETY: open with a constant path.
        Errno::result(unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) })?;
    }
    Ok(())
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

/// Writes to a descriptor we share with others (supervise's stdout, which
/// its service shares) without ever blocking and without changing its
/// flags for them: a pipe, FIFO or terminal is opened anew through
/// `/proc/self/fd` (a description of its own, made O_NONBLOCK); a socket is
/// written with MSG_DONTWAIT; a regular file, which never blocks, as it is.
#[derive(Debug)]
pub enum NoWait {
    Own(OwnedFd),
    Socket(RawFd),
    Plain(RawFd),
}

impl NoWait {
    /// For descriptor `fd`; None while it cannot be had (closed, or a FIFO
    /// with no reader now: ask again later).
    pub fn open(fd: RawFd) -> Option<NoWait> {
        // SAFETY: fd is only looked at.
        let st = nix::sys::stat::fstat(unsafe { BorrowedFd::borrow_raw(fd) }).ok()?;
        match st.st_mode & libc::S_IFMT {
            libc::S_IFSOCK => Some(NoWait::Socket(fd)),
            libc::S_IFIFO | libc::S_IFCHR => {
                let path = std::ffi::CString::new(format!("/proc/self/fd/{fd}")).ok()?;
                let flags = libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOCTTY;
                super::fs::open(&path, flags, 0).ok().map(NoWait::Own)
            }
            _ => Some(NoWait::Plain(fd)),
        }
    }

    /// Writes `buf` in one call: how much went, EAGAIN when it would block.
    pub fn write(&self, buf: &[u8]) -> Result<usize, Errno> {
        // SAFETY: write(2) and send(2) of a borrowed buffer.
        let n = match self {
            NoWait::Own(fd) => unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) },
            NoWait::Plain(fd) => unsafe { libc::write(*fd, buf.as_ptr().cast(), buf.len()) },
            NoWait::Socket(fd) => unsafe {
                libc::send(*fd, buf.as_ptr().cast(), buf.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
            },
        };
        Errno::result(n).map(|n| n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn no_wait_never_blocks_on_a_full_pipe_and_leaves_its_flags_alone() {
        let (r, w) = nix::unistd::pipe().unwrap();
        let out = NoWait::open(w.as_raw_fd()).unwrap();
        assert!(matches!(out, NoWait::Own(_)));
        let mut sent = 0;
        loop {
            match out.write(&[b'x'; 4096]) {
                Ok(n) => sent += n,
                Err(e) => break assert_eq!(e, Errno::EAGAIN),
            }
        }
        assert!(sent >= 4096, "{sent}");
        // SAFETY: fcntl on a descriptor we hold.
        let flags = unsafe { libc::fcntl(w.as_raw_fd(), libc::F_GETFL) };
        assert_eq!(flags & libc::O_NONBLOCK, 0, "the shared description stays blocking");
        drop(r);
        assert_eq!(out.write(b"x"), Err(Errno::EPIPE));
        let file = tempfile::tempfile().unwrap();
        let plain = NoWait::open(file.as_raw_fd()).unwrap();
        assert!(matches!(plain, NoWait::Plain(_)));
        assert_eq!(plain.write(b"line\n"), Ok(5));
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert!(matches!(NoWait::open(a.as_raw_fd()), Some(NoWait::Socket(_))));
        assert!(NoWait::open(9999).is_none(), "closed");
    }

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
