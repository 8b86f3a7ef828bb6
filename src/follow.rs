//! Following a log directory as multilog writes it (`svlog -f`,
//! `svlogfwd`): new lines of `current` as they come, and across rotations
//! with none lost or doubled. The `current` being read is held open; when
//! another file is `current` (multilog renamed ours and made a new one),
//! ours is read to its end (multilog wrote all of it before the rename),
//! then any archive made since that is not ours (several rotations while
//! we were not looking: a forwarder waiting for its peer), then the new
//! `current` from its start. A `current` missing (between multilog's
//! rename and its new file, or removed by hand) is waited for.
//!
//! Nothing here waits: the caller wakes on the directory's inotify events
//! ([`Follower::watch`]), or every second, and calls [`Follower::read`].

use crate::logread::{archive_label, Ino, LineBuf, Place, Pos, Source};
use crate::sys;
use crate::tai64::Tai64N;
use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, Inotify};
use std::collections::VecDeque;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// What is done with each line and where it ends; an error stops the reading.
pub type EachLine<'a, E> = dyn FnMut(&[u8], Place) -> Result<(), E> + 'a;

const RDONLY: i32 = libc::O_RDONLY | libc::O_NONBLOCK;

/// One file to read: its descriptor, identity and how far it is read.
struct Open {
    fd: OwnedFd,
    ino: Ino,
    off: u64,
}

pub struct Follower {
    pub path: Vec<u8>,
    dir: OwnedFd,
    /// Files to read in order; the last is the `current` held, if `held`.
    queue: VecDeque<Open>,
    /// The `current` held: its identity, and the newest archive there was
    /// when it was opened (archives named after that were made since).
    held: Option<(Ino, Option<Tai64N>)>,
    buf: LineBuf,
    /// Since when `current` has been missing, at the looks.
    missing_since: Option<std::time::Instant>,
}

/// How much is read at a time.
const CHUNK: usize = 256 * 1024;

fn ino_of(fd: &OwnedFd) -> Ino {
    nix::sys::stat::fstat(fd.as_fd()).map_or((0, 0), |st| (st.st_dev, st.st_ino))
}

impl Follower {
    /// Follows `src` from `at` (its files from there on, then what comes).
    pub fn new(src: Source, at: Pos) -> Follower {
        let count = src.files.len();
        let at = match src.norm(at) {
            // Past every file: from the end of the last.
            at if at.file >= count && count > 0 => Pos { file: count - 1, off: src.files[count - 1].len },
            at => at,
        };
        let newest = src.files.iter().filter_map(|f| f.label).max();
        let has_current = src.has_current;
        let mut queue = VecDeque::new();
        let mut held = None;
        for (i, f) in src.files.into_iter().enumerate().skip(at.file) {
            if has_current && i == count - 1 {
                held = Some((f.ino, newest));
            }
            queue.push_back(Open { fd: f.fd, ino: f.ino, off: if i == at.file { at.off } else { 0 } });
        }
        let missing_since = (!has_current).then(std::time::Instant::now);
        Follower { path: src.path, dir: src.dir, queue, held, buf: LineBuf::default(), missing_since }
    }

    /// Watches the directory for changes with `inotify`.
    pub fn watch(&self, inotify: &Inotify) -> Result<(), Errno> {
        let path = CString::new(self.path.clone()).map_err(|_| Errno::EINVAL)?;
        let what = AddWatchFlags::IN_MODIFY
            | AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_MOVED_FROM
            | AddWatchFlags::IN_DELETE
            | AddWatchFlags::IN_ATTRIB;
        inotify.add_watch(path.as_c_str(), what).map(drop)
    }

    /// Reads what is new, handing each whole line (newline included) and
    /// where it ends to `each`; stops at the first error `each` returns.
    pub fn read<E>(&mut self, each: &mut EachLine<E>) -> Result<(), E> {
        loop {
            while let Some(front) = self.queue.front_mut() {
                loop {
                    let room = self.buf.room(CHUNK);
                    // SAFETY: pread into the room we own.
                    let n =
                        unsafe { libc::pread(front.fd.as_raw_fd(), room.as_mut_ptr().cast(), CHUNK, front.off as i64) };
                    let n = Errno::result(n).unwrap_or(0) as usize;
                    front.off += n as u64;
                    self.buf.filled(CHUNK, n, Place { ino: front.ino, off: front.off });
                    while let Some((r, place)) = self.buf.line() {
                        each(self.buf.bytes(r), place)?;
                    }
                    if n == 0 {
                        break;
                    }
                }
                let live = self.queue.len() == 1 && self.held.is_some_and(|(ino, _)| ino == self.queue[0].ino);
                if live {
                    break;
                }
                self.queue.pop_front();
            }
            if !self.look() {
                return Ok(());
            }
        }
    }

    /// Looks at `current`: true when it is another file than the one held
    /// (which is then let go once read), queued with the archives made in
    /// between.
    fn look(&mut self) -> bool {
        let st = match sys::stat_at(self.dir.as_fd(), c"current") {
            Ok(st) => st,
            Err(_) => {
                self.missing_since.get_or_insert_with(std::time::Instant::now);
                return false;
            }
        };
        self.missing_since = None;
        let now = (st.st_dev, st.st_ino);
        if self.held.is_some_and(|(ino, _)| ino == now) {
            return false;
        }
        let Ok(fd) = sys::open_at(self.dir.as_fd(), c"current", RDONLY, 0) else {
            self.missing_since.get_or_insert_with(std::time::Instant::now);
            return false;
        };
        let ino = ino_of(&fd);
        // Listed once the new one is open: every archive made before it is
        // there (and the new one too, if it was rotated meanwhile: by its identity).
        let archives = self.archives();
        if let Some((old, since)) = self.held {
            // Archives made since ours was opened: the first is ours (or,
            // renamed, it has our identity); the rest came after it.
            let mut made: Vec<&(Tai64N, CString, Ino)> =
                archives.iter().filter(|a| since.is_none_or(|s| a.0 > s) && a.2 != ino).collect();
            if let Some(i) = made.iter().position(|a| a.2 == old) {
                made.drain(..=i);
            } else if !made.is_empty() {
                made.remove(0);
            }
            for (_, name, _) in made {
                if let Ok(fd) = sys::open_at(self.dir.as_fd(), name, RDONLY, 0) {
                    let ino = ino_of(&fd);
                    self.queue.push_back(Open { fd, ino, off: 0 });
                }
            }
        }
        let newest = archives.iter().filter(|a| a.2 != ino).map(|a| a.0).max();
        self.queue.push_back(Open { fd, ino, off: 0 });
        self.held = Some((ino, newest));
        true
    }

    /// The archives of the directory, by name, with their labels and identities.
    fn archives(&self) -> Vec<(Tai64N, CString, Ino)> {
        let Ok(listing) =
            nix::dir::Dir::openat(self.dir.as_fd(), c".", nix::fcntl::OFlag::O_RDONLY, nix::sys::stat::Mode::empty())
        else {
            return Vec::new();
        };
        let mut v = Vec::new();
        for entry in listing.into_iter().flatten() {
            let name = entry.file_name().to_owned();
            if let Some(label) = archive_label(name.to_bytes()) {
                if let Ok(st) = sys::stat_at(self.dir.as_fd(), &name) {
                    v.push((label, name, (st.st_dev, st.st_ino)));
                }
            }
        }
        v.sort();
        v
    }

    /// Whether `current` has been missing a second or more (not the moment
    /// between multilog's rename and its new file).
    pub fn missing(&self) -> bool {
        self.missing_since.is_some_and(|t| t.elapsed() >= LOOK_EVERY)
    }

    /// The line begun and not yet ended, if any (for a last look at the end).
    pub fn has_partial(&self) -> bool {
        self.buf.has_rest()
    }
}

/// The wait between looks at followed directories: their inotify events,
/// or a second without any (a file system that sends none).
pub struct Watch {
    inotify: Option<Inotify>,
}

/// The longest wait without an event.
pub const LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl Watch {
    /// Watches the directories of `followers`; without inotify, waits are a second long.
    pub fn new(followers: &[Follower]) -> Watch {
        let flags = nix::sys::inotify::InitFlags::IN_CLOEXEC | nix::sys::inotify::InitFlags::IN_NONBLOCK;
        let inotify = Inotify::init(flags).ok().filter(|i| followers.iter().all(|f| f.watch(i).is_ok()));
        Watch { inotify }
    }

    /// Waits for a change in a directory, or `max`; true when `peer` (the
    /// reader of our output, say) is gone (POLLERR or POLLHUP on it).
    pub fn wait(&self, max: std::time::Duration, peer: Option<std::os::fd::BorrowedFd>) -> Result<bool, Errno> {
        let fd = |f: Option<std::os::fd::BorrowedFd>| f.map_or(-1, |f| f.as_raw_fd());
        let mut fds = [
            libc::pollfd { fd: fd(self.inotify.as_ref().map(|i| i.as_fd())), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: fd(peer), events: 0, revents: 0 },
        ];
        match sys::poll_fds(&mut fds, Some(max.min(LOOK_EVERY))) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
        if let Some(i) = &self.inotify {
            while i.read_events().is_ok_and(|e| !e.is_empty()) {}
        }
        Ok(fds[1].revents & (libc::POLLERR | libc::POLLHUP) != 0)
    }
}
