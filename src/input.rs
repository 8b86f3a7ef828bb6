//! multilog's standard input, read so that killing multilog loses nothing.
//!
//! When standard input is a pipe (as svscan gives a logger, holding both
//! ends across restarts), bytes are copied out of it with `tee(2)`, which
//! leaves them in the pipe, and only removed with `splice(2)` to /dev/null
//! once the caller has written them to disk ([`Input::commit`]). A multilog
//! killed at any moment leaves every byte it has not logged in the pipe for
//! the next one; at worst a few lines are logged twice. A partial line at
//! the end is left in the pipe too ("held") until its newline comes. Such a
//! pipe stays readable, so poll cannot say when more comes, and an
//! edge-triggered epoll misses a writer that fills the pipe and sleeps; the
//! kernel (5.16 and later) sends SIGIO (O_ASYNC) for every write to a pipe,
//! and before a writer sleeps on a full one, so a held line is waited for on
//! that signal. The wait is bounded: a line held a second with nothing new
//! (a writer paused mid-line, a packet-mode writer whose pieces fill every
//! slot of the pipe, an older kernel) is taken out of the pipe, its bytes
//! being in memory already; only that line is then at risk.
//! The caller must catch SIGIO (into the self-pipe) before [`Input::stdin`].
//!
//! Any other input (a file, a terminal, a socket) is read plainly.

use nix::errno::Errno;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

const STDIN: libc::c_int = 0;

/// What a read found.
#[derive(Debug, PartialEq, Eq)]
pub enum Got {
    /// New bytes at `buf[start..end]` (bytes before `start` were seen before).
    Data(usize, usize),
    /// Nothing new yet.
    Nothing,
    /// End of input.
    End,
}

struct Tee {
    copy_r: OwnedFd,
    copy_w: OwnedFd,
    null: OwnedFd,
    /// Of our copy pipe.
    capacity: usize,
    /// Of the input pipe.
    stdin_capacity: usize,
}

/// What a pipe found full grows to: a writer that outruns us can go on
/// writing while we log, and we log in bigger pieces.
const GROWN: usize = 1 << 20;

pub struct Input {
    tee: Option<Tee>,
    /// Bytes at the head of the pipe the last read returned.
    seen: usize,
    /// How many of those have left the pipe since.
    consumed: usize,
}

/// How long a partial line is held in the pipe with nothing new coming.
const HOLD_MS: libc::c_int = 1000;

impl Tee {
    /// `None` when standard input is not a pipe.
    fn new() -> Result<Option<Tee>, Errno> {
        // SAFETY: plain system calls on descriptors we own, with valid pointers.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(STDIN, &mut st) != 0 || st.st_mode & libc::S_IFMT != libc::S_IFIFO {
                return Ok(None);
            }
            let (copy_r, copy_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
            let stdin_capacity = Errno::result(libc::fcntl(STDIN, libc::F_GETPIPE_SZ))? as usize;
            let null = crate::sys::open_write(c"/dev/null")?;
            // SIGIO for every write to the pipe. The kernel keeps a reference
            // to this process, not its number: once it is gone nobody else
            // gets the signal, and the next multilog takes it over.
            Errno::result(libc::fcntl(STDIN, libc::F_SETOWN, libc::getpid()))?;
            let flags = Errno::result(libc::fcntl(STDIN, libc::F_GETFL))?;
            Errno::result(libc::fcntl(STDIN, libc::F_SETFL, flags | libc::O_ASYNC))?;
            let mut tee = Tee { copy_r, copy_w, null, capacity: 0, stdin_capacity };
            tee.fit()?;
            Ok(Some(tee))
        }
    }
}

impl Tee {
    /// Makes our copy pipe as big as the input pipe.
    fn fit(&mut self) -> Result<(), Errno> {
        let w = self.copy_w.as_raw_fd();
        // SAFETY: fcntl on a pipe we own.
        unsafe { libc::fcntl(w, libc::F_SETPIPE_SZ, self.stdin_capacity.max(65536) as libc::c_int) };
        self.capacity = Errno::result(unsafe { libc::fcntl(w, libc::F_GETPIPE_SZ) })? as usize;
        Ok(())
    }

    /// The input pipe was full: grow it (and our copy) once, if the system lets us.
    fn grow(&mut self) {
        // SAFETY: fcntl on our standard input.
        let got = unsafe { libc::fcntl(STDIN, libc::F_SETPIPE_SZ, GROWN as libc::c_int) };
        if got > 0 {
            self.stdin_capacity = got as usize;
            let _ = self.fit();
        }
    }
}

impl Input {
    /// Reads standard input. SIGIO must be caught already. When input is a
    /// pipe that cannot be read this way, says why; it is then read plainly.
    pub fn stdin() -> (Input, Option<Errno>) {
        let (tee, why) = match Tee::new() {
            Ok(tee) => (tee, None),
            Err(e) => (None, Some(e)),
        };
        (Input { tee, seen: 0, consumed: 0 }, why)
    }

    /// Bytes at the head of the pipe, seen before and not yet committed.
    fn held(&self) -> usize {
        self.seen - self.consumed
    }

    /// Whether bytes leave the input only when committed.
    pub fn is_pipe(&self) -> bool {
        self.tee.is_some()
    }

    /// The buffer size reads should be given (untouched memory costs nothing).
    pub fn buffer_len(&self) -> usize {
        if self.tee.is_some() {
            GROWN
        } else {
            65536
        }
    }

    /// Waits until the input may have something new, or `wake` (the
    /// self-pipe SIGIO goes to) is readable.
    pub fn wait(&mut self, wake: BorrowedFd) -> Result<(), Errno> {
        // A pipe holding only our held line is readable all the same: wait for SIGIO alone then.
        let holding = self.tee.is_some() && self.held() > 0;
        let mut fds = [
            libc::pollfd { fd: if holding { -1 } else { STDIN }, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: wake.as_raw_fd(), events: libc::POLLIN, revents: 0 },
        ];
        // SAFETY: fds is a valid array of 2 pollfds.
        match Errno::result(unsafe { libc::poll(fds.as_mut_ptr(), 2, if holding { HOLD_MS } else { -1 }) }) {
            // Held long enough with nothing new: let the line's bytes go (they are in memory).
            // (A failure is met again a second later.)
            Ok(0) if holding => {
                let _ = self.commit(self.seen);
                Ok(())
            }
            Ok(_) | Err(Errno::EINTR) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Reads what is there without blocking.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<Got, Errno> {
        let Some(t) = &mut self.tee else {
            // Never block in read(2), so that signals are seen at once.
            let mut p = libc::pollfd { fd: STDIN, events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd.
            if unsafe { libc::poll(&mut p, 1, 0) } != 1 {
                return Ok(Got::Nothing);
            }
            return match nix::unistd::read(unsafe { BorrowedFd::borrow_raw(STDIN) }, buf) {
                Ok(0) => Ok(Got::End),
                Ok(n) => Ok(Got::Data(0, n)),
                Err(Errno::EINTR | Errno::EAGAIN) => Ok(Got::Nothing),
                Err(e) => Err(e),
            };
        };
        let len = buf.len().min(t.capacity);
        // SAFETY: tee between two pipes we hold.
        let n = unsafe { libc::tee(STDIN, t.copy_w.as_raw_fd(), len, libc::SPLICE_F_NONBLOCK) };
        let n = match Errno::result(n) {
            Ok(0) => return Ok(Got::End),
            Ok(n) => n as usize,
            Err(Errno::EAGAIN | Errno::EINTR) => return Ok(Got::Nothing),
            Err(e) => return Err(e),
        };
        if n >= t.stdin_capacity && t.stdin_capacity < GROWN {
            t.grow();
        }
        // The copy pipe holds the n bytes tee put there (we hold its write end).
        crate::sys::read_full(t.copy_r.as_fd(), &mut buf[..n])?;
        let held = self.held();
        self.seen = n;
        self.consumed = 0;
        if n > held {
            return Ok(Got::Data(held, n));
        }
        // Only held bytes: the end, if no writer is left.
        let mut p = libc::pollfd { fd: STDIN, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        let hup = unsafe { libc::poll(&mut p, 1, 0) } == 1 && p.revents & libc::POLLHUP != 0;
        Ok(if hup { Got::End } else { Got::Nothing })
    }

    /// The first `upto` bytes the last read returned (held ones included)
    /// are logged: they may leave the pipe. The rest stay held. May be
    /// called again with a larger `upto`; an error is worth retrying.
    pub fn commit(&mut self, upto: usize) -> Result<(), Errno> {
        let Some(t) = &self.tee else { return Ok(()) };
        let upto = upto.min(self.seen);
        while self.consumed < upto {
            // SAFETY: splice from the pipe we read to /dev/null.
            let r = unsafe {
                libc::splice(
                    STDIN,
                    std::ptr::null_mut(),
                    t.null.as_raw_fd(),
                    std::ptr::null_mut(),
                    upto - self.consumed,
                    libc::SPLICE_F_NONBLOCK,
                )
            };
            match Errno::result(r) {
                Ok(0) => return Err(Errno::EAGAIN),
                Ok(k) => self.consumed += k as usize,
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
