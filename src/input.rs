//! multilog's standard input, read so that killing multilog loses nothing.
//!
//! When standard input is a pipe (as svscan gives a logger, holding both
//! ends across restarts), bytes are copied out of it with `tee(2)`, which
//! leaves them in the pipe, and only removed with `splice(2)` to /dev/null
//! once the caller has written them to disk ([`Input::commit`]). A multilog
//! killed at any moment leaves every byte it has not logged in the pipe for
//! the next one; at worst a few lines are logged twice. The line in
//! progress, from its first byte, is left in the pipe too ("held") until
//! its newline comes, so that the next multilog logs it whole, with one
//! stamp. Such a pipe stays readable, so poll cannot say when more comes,
//! and an edge-triggered epoll misses a writer that fills the pipe and
//! sleeps; the kernel (5.16 and later) sends SIGIO (O_ASYNC) for every write
//! to a pipe, and before a writer sleeps on a full one, so a held line is
//! waited for on that signal. Holding is bounded, and then the caller must
//! let the line go (write what it has of it, and commit it all; from then on
//! a kill splits that line): when the held line fills the pipe, so that its
//! writer waits for room ([`Input::stuck`]; a pipe fills by pages, 256 once
//! grown to 1 MiB, and a write that does not fit in the last page's room
//! takes a new one, so writes that leave pages part empty, such as a
//! packet-mode writer's, fill it sooner), and when a line is held a second
//! with nothing new ([`Input::wait`]: a writer paused mid-line, a kernel
//! that sends no SIGIO for it).
//! The caller must catch SIGIO (into the self-pipe) before [`Input::stdin`].
//!
//! Any other input (a file, a terminal, a socket) is read plainly.

use crate::sys;
use nix::errno::Errno;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::Duration;

const STDIN: libc::c_int = 0;

/// What a read found.
#[derive(Debug, PartialEq, Eq)]
pub enum Got {
    /// New bytes at `buf[start..end]` (the `start` bytes before them were
    /// returned before, and are not copied into `buf` again).
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
    /// Whether the last read found the pipe full of held bytes.
    full: bool,
}

/// How long a partial line is held in the pipe with nothing new coming.
const HOLD: Duration = Duration::from_millis(1000);

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
    /// Makes our copy pipe as big as the input pipe: as many slots, so that
    /// it is full when a tee found the input pipe full (see [`Tee::full`]).
    fn fit(&mut self) -> Result<(), Errno> {
        let w = self.copy_w.as_raw_fd();
        // SAFETY: fcntl on a pipe we own.
        unsafe { libc::fcntl(w, libc::F_SETPIPE_SZ, self.stdin_capacity as libc::c_int) };
        self.capacity = Errno::result(unsafe { libc::fcntl(w, libc::F_GETPIPE_SZ) })? as usize;
        Ok(())
    }

    /// Whether our copy pipe, just filled by a tee, has no slot left: the
    /// input pipe has none either (tee takes its buffers one for one, and
    /// the pipes have as many), or more is there than we can see. A pipe
    /// fills by slots, not bytes: small writes share a page, but a write
    /// that does not fit in the last page's room takes a new one.
    fn full(&self) -> bool {
        let mut p = [libc::pollfd { fd: self.copy_w.as_raw_fd(), events: libc::POLLOUT, revents: 0 }];
        sys::poll_fds(&mut p, Some(Duration::ZERO)) == Ok(0)
    }

    /// The input pipe was full: grow it (and our copy) once, if the system
    /// lets us. Whether it grew.
    fn grow(&mut self) -> bool {
        // SAFETY: fcntl on our standard input.
        let got = unsafe { libc::fcntl(STDIN, libc::F_SETPIPE_SZ, GROWN as libc::c_int) };
        let grew = got > 0 && got as usize > self.stdin_capacity;
        if got > 0 {
            self.stdin_capacity = got as usize;
            let _ = self.fit();
        }
        grew
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
        (Input { tee, seen: 0, consumed: 0, full: false }, why)
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

    /// Whether the last read found nothing new in a pipe full of held
    /// bytes, past growing: the line in progress fills it, and the writer
    /// cannot go on until the line is let go.
    pub fn stuck(&self) -> bool {
        self.full
    }

    /// Waits until the input may have something new, or `wake` (the
    /// self-pipe SIGIO goes to) is readable, or `limit` passes. True when a
    /// line was held a second with nothing new: it must be let go.
    pub fn wait(&mut self, wake: BorrowedFd, limit: Option<Duration>) -> Result<bool, Errno> {
        // A pipe holding only our held line is readable all the same: wait for SIGIO alone then.
        let holding = self.tee.is_some() && self.held() > 0;
        let mut fds = [
            libc::pollfd { fd: if holding { -1 } else { STDIN }, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: wake.as_raw_fd(), events: libc::POLLIN, revents: 0 },
        ];
        let hold = holding.then_some(HOLD);
        let timeout = match (hold, limit) {
            (Some(h), Some(l)) => Some(h.min(l)),
            (h, l) => h.or(l),
        };
        match sys::poll_fds(&mut fds, timeout) {
            Ok(0) => Ok(hold.is_some() && hold == timeout),
            Ok(_) | Err(Errno::EINTR) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reads what is there without blocking.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<Got, Errno> {
        let Some(t) = &mut self.tee else {
            // Never block in read(2), so that signals are seen at once.
            let mut p = [libc::pollfd { fd: STDIN, events: libc::POLLIN, revents: 0 }];
            if sys::poll_fds(&mut p, Some(Duration::ZERO)) != Ok(1) {
                return Ok(Got::Nothing);
            }
            return match nix::unistd::read(unsafe { BorrowedFd::borrow_raw(STDIN) }, buf) {
                Ok(0) => Ok(Got::End),
                Ok(n) => Ok(Got::Data(0, n)),
                Err(Errno::EINTR | Errno::EAGAIN) => Ok(Got::Nothing),
                Err(e) => Err(e),
            };
        };
        self.full = false;
        // Twice at most: again when the writers are gone but more came than a read saw.
        for _ in 0..2 {
            let len = buf.len().min(t.capacity);
            // SAFETY: tee between two pipes we hold.
            let n = unsafe { libc::tee(STDIN, t.copy_w.as_raw_fd(), len, libc::SPLICE_F_NONBLOCK) };
            let n = match Errno::result(n) {
                Ok(0) => return Ok(Got::End),
                Ok(n) => n as usize,
                Err(Errno::EAGAIN | Errno::EINTR) => return Ok(Got::Nothing),
                Err(e) => return Err(e),
            };
            let held = self.seen - self.consumed;
            // Every page of the input pipe taken, however many bytes its
            // writes left in them (100-byte lines fill a 4 KiB page with
            // 4000): its writer waits for room. Grown then, new bytes or not.
            let no_room = t.full();
            // Nothing new, and no room: the writer is waiting for it.
            self.full = n <= held && no_room;
            if no_room && t.stdin_capacity < GROWN && t.grow() {
                self.full = false;
            }
            // The copy pipe holds the n bytes tee put there (we hold its write end).
            // Those seen before go to /dev/null uncopied (a long line is held for many reads).
            let mut skipped = 0;
            while skipped < held.min(n) {
                match discard(t.copy_r.as_raw_fd(), t.null.as_raw_fd(), held.min(n) - skipped) {
                    Ok(k) if k > 0 => skipped += k,
                    Err(Errno::EINTR) => {}
                    // Copied, then.
                    _ => break,
                }
            }
            crate::sys::read_full(t.copy_r.as_fd(), &mut buf[skipped..n])?;
            self.seen = n;
            self.consumed = 0;
            if n > held {
                return Ok(Got::Data(held, n));
            }
            if self.full {
                return Ok(Got::Nothing);
            }
            // Only held bytes: the end, if no writer is left and nothing came
            // since the tee (a writer a grown pipe let go on may have written and left).
            let mut p = [libc::pollfd { fd: STDIN, events: libc::POLLIN, revents: 0 }];
            let hup = sys::poll_fds(&mut p, Some(Duration::ZERO)) == Ok(1) && p[0].revents & libc::POLLHUP != 0;
            if !hup {
                return Ok(Got::Nothing);
            }
            let mut avail: libc::c_int = 0;
            // SAFETY: FIONREAD writes one int.
            if unsafe { libc::ioctl(STDIN, libc::FIONREAD, &mut avail) } != 0 || avail as usize <= n {
                return Ok(Got::End);
            }
        }
        Ok(Got::Nothing)
    }

    /// The first `upto` bytes the last read returned (held ones included)
    /// are logged: they may leave the pipe. The rest stay held. May be
    /// called again with a larger `upto`; an error is worth retrying.
    pub fn commit(&mut self, upto: usize) -> Result<(), Errno> {
        let Some(t) = &self.tee else { return Ok(()) };
        let upto = upto.min(self.seen);
        while self.consumed < upto {
            match discard(STDIN, t.null.as_raw_fd(), upto - self.consumed) {
                Ok(0) => return Err(Errno::EAGAIN),
                Ok(k) => self.consumed += k,
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Moves up to `len` bytes from the pipe `from` to `null` (/dev/null) with splice(2).
fn discard(from: libc::c_int, null: libc::c_int, len: usize) -> Result<usize, Errno> {
    // SAFETY: splice between descriptors we hold, with no offsets.
    let r =
        unsafe { libc::splice(from, std::ptr::null_mut(), null, std::ptr::null_mut(), len, libc::SPLICE_F_NONBLOCK) };
    Errno::result(r).map(|k| k as usize)
}
