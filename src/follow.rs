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
//! Which archives are new is decided by [`to_read`] from what was seen:
//! the newest archive then, and the files read as `current` or `previous`
//! whose archives have not been seen yet (the `current` held, and any
//! before it still on its way to its archive's name). Every look counts
//! them, the first too: a follower started while `current` was missing
//! reads every archive made until it appears. A `previous` not read yet
//! (a rotation under way at the look) is read after the archives.
//!
//! Nothing here waits: the caller wakes on the directory's inotify events
//! ([`Follower::watch`]), or every second, and calls [`Follower::read`].

use crate::logread::{archive_names, Ino, LineBuf, Place, Pos, Source};
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
    /// The identity of the `current` held.
    held: Option<Ino>,
    /// The newest archive seen (archives named after it were made since).
    since: Option<Tai64N>,
    /// Files read or queued as `current` or `previous` whose archives were
    /// not seen yet, oldest first.
    ours: Vec<Ino>,
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
        let since = src.files.iter().filter_map(|f| f.label).max();
        let ours = src.files.iter().filter(|f| f.label.is_none()).map(|f| f.ino).collect();
        let has_current = src.has_current;
        let mut queue = VecDeque::new();
        let mut held = None;
        for (i, f) in src.files.into_iter().enumerate().skip(at.file) {
            if has_current && i == count - 1 {
                held = Some(f.ino);
            }
            queue.push_back(Open { fd: f.fd, ino: f.ino, off: if i == at.file { at.off } else { 0 } });
        }
        let missing_since = (!has_current).then(std::time::Instant::now);
        Follower { path: src.path, dir: src.dir, queue, held, since, ours, buf: LineBuf::default(), missing_since }
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
                    let n = sys::pread(front.fd.as_fd(), room, front.off).unwrap_or(0);
                    front.off += n as u64;
                    self.buf.filled(CHUNK, n, Place { ino: front.ino, off: front.off });
                    while let Some((r, place)) = self.buf.line() {
                        each(self.buf.bytes(r), place)?;
                    }
                    if n == 0 {
                        break;
                    }
                }
                let live = self.queue.len() == 1 && self.held == Some(self.queue[0].ino);
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
        if self.held == Some(now) {
            return false;
        }
        let Ok(fd) = sys::open_at(self.dir.as_fd(), c"current", RDONLY, 0) else {
            self.missing_since.get_or_insert_with(std::time::Instant::now);
            return false;
        };
        let ino = ino_of(&fd);
        // Once the new one is open, `previous`, then the archives: every file
        // made before it is one of them (a rotation in between, linking
        // `previous` to its archive's name, is seen by its identity; and the
        // new one too, if it was rotated meanwhile).
        let previous = sys::open_at(self.dir.as_fd(), c"previous", RDONLY, 0).ok().map(|fd| (ino_of(&fd), fd));
        let (names, archives) = self.archives();
        let read = to_read(&archives, self.since, &self.ours, previous.as_ref().map(|p| p.0), ino);
        for &i in &read.archives {
            if let Ok(fd) = sys::open_at(self.dir.as_fd(), &names[i], RDONLY, 0) {
                let ino = ino_of(&fd);
                self.queue.push_back(Open { fd, ino, off: 0 });
            }
        }
        self.ours.drain(..read.found);
        if let Some((p, fd)) = previous.filter(|_| read.previous) {
            self.queue.push_back(Open { fd, ino: p, off: 0 });
            self.ours.push(p);
        }
        self.ours.push(ino);
        self.since = archives.iter().filter(|a| a.1 != ino).map(|a| a.0).max().max(self.since);
        self.queue.push_back(Open { fd, ino, off: 0 });
        self.held = Some(ino);
        true
    }

    /// The archives of the directory by name: the names, and their labels
    /// and identities.
    fn archives(&self) -> (Vec<CString>, Vec<(Tai64N, Ino)>) {
        let names = archive_names(self.dir.as_fd()).unwrap_or_default();
        let with_ino = |(name, label): (CString, Tai64N)| {
            let st = sys::stat_at(self.dir.as_fd(), &name).ok()?;
            Some((name, (label, (st.st_dev, st.st_ino))))
        };
        names.into_iter().filter_map(with_ino).unzip()
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

/// What a look at the directory finds to read before the new `current`.
#[derive(Debug, PartialEq, Eq)]
pub struct ToRead {
    /// Indices of the archives to read, in order.
    pub archives: Vec<usize>,
    /// Whether `previous` is to be read after them: a rotation under way
    /// of a file not read yet.
    pub previous: bool,
    /// How many of the files read already the archives seen account for.
    pub found: usize,
}

/// What a look at the directory finds to read before the new `current`
/// (identity `now`), given `archives` by name (labels and identities) and
/// `previous` (its identity, if there is one), both looked at after `now`
/// was opened. Of the archives, those made since the newest one seen
/// before (`since`), but for `now` itself (rotated meanwhile: it is read as
/// `current`) and the files read already (`ours`, oldest first: each was
/// `current` or `previous` when opened, and its archive was not seen yet).
/// multilog makes one archive at a time, in the order of the files, each
/// before the next rotation begins, so ours come first among those made
/// since: up to the last with the identity of one of ours; if none has (a
/// processor made them: new files), as many as there are of ours. Then
/// `previous`, the file rotated last, on its way to its archive's name: to
/// be read unless it is ours, `now` or already one of the archives. Missed,
/// its lines would be lost, its archive counted as the one of a file read.
pub fn to_read(
    archives: &[(Tai64N, Ino)],
    since: Option<Tai64N>,
    ours: &[Ino],
    previous: Option<Ino>,
    now: Ino,
) -> ToRead {
    let made: Vec<usize> =
        (0..archives.len()).filter(|&i| since.is_none_or(|s| archives[i].0 > s) && archives[i].1 != now).collect();
    let last_ours = made.iter().rposition(|&i| ours.contains(&archives[i].1));
    let (skip, found) = match last_ours {
        Some(k) => (k + 1, ours.iter().position(|&o| o == archives[made[k]].1).map_or(0, |j| j + 1)),
        None => {
            let n = made.len().min(ours.len());
            (n, n)
        }
    };
    let previous = previous.is_some_and(|p| p != now && !ours.contains(&p) && !archives.iter().any(|a| a.1 == p));
    ToRead { archives: made[skip..].to_vec(), previous, found }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tai64::{fmt_label, Tai64};
    use std::fs;

    fn at(n: u64) -> Tai64N {
        Tai64N(Tai64((1 << 62) + 10 + n), 0)
    }

    /// Archives named at(n), identity (1, ino), by name.
    fn list(a: &[(u64, u64)]) -> Vec<(Tai64N, Ino)> {
        a.iter().map(|&(n, ino)| (at(n), (1, ino))).collect()
    }

    fn tr(a: &[(Tai64N, Ino)], since: Option<Tai64N>, ours: &[Ino], now: Ino) -> (Vec<usize>, usize) {
        let r = to_read(a, since, ours, None, now);
        (r.archives, r.found)
    }

    #[test]
    fn archives_made_while_current_was_missing_are_read() {
        // Started between multilog's rename of `current` and its new one,
        // the archive of the old one already there (newest seen: 3): the
        // rotations since were all made while nobody looked.
        let a = list(&[(1, 11), (2, 12), (3, 13), (4, 14), (5, 15), (6, 16)]);
        assert_eq!(tr(&a, Some(at(3)), &[], (1, 17)), (vec![3, 4, 5], 0));
        // Nothing seen at all: every archive.
        assert_eq!(tr(&a, None, &[], (1, 17)), (vec![0, 1, 2, 3, 4, 5], 0));
    }

    #[test]
    fn archives_of_files_read_are_not_read_again() {
        let a = list(&[(1, 11), (2, 12), (3, 13), (4, 14)]);
        // The `current` held (12) became an archive, then 13 and 14.
        assert_eq!(tr(&a, Some(at(1)), &[(1, 12)], (1, 20)), (vec![2, 3], 1));
        // `previous` (12) and `current` (13) read; both archived since.
        assert_eq!(tr(&a, Some(at(1)), &[(1, 12), (1, 13)], (1, 20)), (vec![3], 2));
        // Only `previous` archived yet: `current` (13) still to come.
        let b = list(&[(1, 11), (2, 12)]);
        assert_eq!(tr(&b, Some(at(1)), &[(1, 12), (1, 13)], (1, 20)), (vec![], 1));
        // The held one is `previous` at this look: no archive of it yet,
        // and none after it can be there.
        assert_eq!(tr(&b, Some(at(2)), &[(1, 13)], (1, 20)), (vec![], 0));
        // The new `current` rotated already: read as `current`, not twice.
        assert_eq!(tr(&a, Some(at(2)), &[(1, 13)], (1, 14)), (vec![], 1));
        // One of ours removed by hand, never archived: the next is matched.
        assert_eq!(tr(&a, Some(at(1)), &[(1, 99), (1, 12)], (1, 20)), (vec![2, 3], 2));
    }

    #[test]
    fn a_previous_not_read_yet_is_read_after_the_archives() {
        let a = list(&[(1, 11), (2, 12), (3, 13)]);
        let read = |ours: &[Ino], previous: u64| to_read(&a, Some(at(1)), ours, Some((1, previous)), (1, 20));
        // Held 12; archived, then 13 made and archived, 14 being rotated
        // (`previous`), 20 the new `current`: 13, then 14.
        assert_eq!(read(&[(1, 12)], 14), ToRead { archives: vec![2], previous: true, found: 1 });
        // `previous` is the one held, on its way: nothing else to read.
        let b = list(&[(1, 11)]);
        let r = to_read(&b, Some(at(1)), &[(1, 12)], Some((1, 12)), (1, 20));
        assert_eq!(r, ToRead { archives: vec![], previous: false, found: 0 });
        // Linked to its archive's name already, not yet removed: read as that.
        assert_eq!(read(&[(1, 12)], 13), ToRead { archives: vec![2], previous: false, found: 1 });
        // One read before (as `previous` when the follower began), still there.
        let r = to_read(&b, Some(at(1)), &[(1, 12), (1, 13)], Some((1, 12)), (1, 20));
        assert_eq!(r, ToRead { archives: vec![], previous: false, found: 0 });
        // The new `current`, rotated meanwhile: read as `current`.
        let r = to_read(&b, Some(at(1)), &[(1, 12)], Some((1, 20)), (1, 20));
        assert_eq!(r, ToRead { archives: vec![], previous: false, found: 0 });
    }

    #[test]
    fn a_processor_s_archives_stand_for_ours_in_order() {
        // New files (processed): the first as many as ours are ours.
        let a = list(&[(1, 11), (2, 31), (3, 32), (4, 33)]);
        assert_eq!(tr(&a, Some(at(1)), &[(1, 12)], (1, 20)), (vec![2, 3], 1));
        assert_eq!(tr(&a, Some(at(1)), &[(1, 12), (1, 13)], (1, 20)), (vec![3], 2));
        assert_eq!(tr(&a, Some(at(4)), &[(1, 12)], (1, 20)), (vec![], 0));
    }

    fn line(n: u64) -> String {
        format!("{} line {n}\n", String::from_utf8(fmt_label(at(n)).to_vec()).unwrap())
    }

    fn lines(r: std::ops::Range<u64>) -> String {
        r.map(line).collect()
    }

    fn archive(dir: &std::path::Path, n: u64) -> std::path::PathBuf {
        dir.join(format!("{}.s", String::from_utf8(fmt_label(at(n)).to_vec()).unwrap()))
    }

    fn read_all(f: &mut Follower) -> Vec<String> {
        let mut got = Vec::new();
        f.read::<()>(&mut |l, _| {
            got.push(String::from_utf8_lossy(l).trim_end().rsplit(' ').next().unwrap().to_string());
            Ok(())
        })
        .unwrap();
        got
    }

    fn nums(r: std::ops::Range<u64>) -> Vec<String> {
        r.map(|n| n.to_string()).collect()
    }

    #[test]
    fn started_while_current_is_missing_it_reads_the_rotations_made_until_it_appears() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        fs::write(archive(d, 1), lines(0..10)).unwrap();
        // Between multilog's rename and its new `current`.
        let src = Source::open(d.as_os_str().as_encoded_bytes()).unwrap();
        assert!(!src.has_current);
        let mut f = Follower::new(src, Pos { file: 1, off: 0 });
        assert!(read_all(&mut f).is_empty());
        // Two rotations, then the `current` of now.
        fs::write(archive(d, 10), lines(10..20)).unwrap();
        fs::write(archive(d, 20), lines(20..30)).unwrap();
        fs::write(d.join("current"), lines(30..35)).unwrap();
        assert_eq!(read_all(&mut f), nums(10..35));
    }

    /// multilog links `previous` (lines 10 to 19) to its archive's name and
    /// removes it; `current` (20 to 24) is rotated too, and another: the
    /// archives of the files read are not read again.
    fn rotation_ends_and_two_more(d: &std::path::Path, f: &mut Follower) {
        fs::hard_link(d.join("previous"), archive(d, 20)).unwrap();
        fs::remove_file(d.join("previous")).unwrap();
        fs::rename(d.join("current"), archive(d, 25)).unwrap();
        fs::write(archive(d, 30), lines(25..30)).unwrap();
        fs::write(d.join("current"), lines(30..32)).unwrap();
        assert_eq!(read_all(f), nums(25..32));
    }

    #[test]
    fn previous_is_read_between_the_archives_and_current_and_not_again_as_an_archive() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        fs::write(archive(d, 1), lines(0..10)).unwrap();
        fs::write(d.join("previous"), lines(10..20)).unwrap();
        fs::write(d.join("current"), lines(20..25)).unwrap();
        let src = Source::open(d.as_os_str().as_encoded_bytes()).unwrap();
        let names: Vec<_> = src.files.iter().map(|f| f.name.to_bytes().to_vec()).collect();
        assert_eq!(names[1..], [b"previous".to_vec(), b"current".to_vec()]);
        // From the middle of `previous` (a cursor there).
        let prev = src.files[1].ino;
        let pos = src.pos_of(crate::logread::Place { ino: prev, off: line(10).len() as u64 }).unwrap();
        let mut f = Follower::new(src, pos);
        assert_eq!(read_all(&mut f), nums(11..25));
        rotation_ends_and_two_more(d, &mut f);
    }

    #[test]
    fn a_rotation_under_way_at_a_look_loses_nothing_and_doubles_nothing() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        fs::write(d.join("current"), lines(0..10)).unwrap();
        let src = Source::open(d.as_os_str().as_encoded_bytes()).unwrap();
        let mut f = Follower::new(src, Pos { file: 0, off: 0 });
        assert_eq!(read_all(&mut f), nums(0..10));
        // Ours archived; the next `current` filled and renamed to
        // `previous`; a new `current`: the look comes before the link.
        fs::rename(d.join("current"), archive(d, 10)).unwrap();
        fs::write(d.join("previous"), lines(10..20)).unwrap();
        fs::write(d.join("current"), lines(20..25)).unwrap();
        assert_eq!(read_all(&mut f), nums(10..25));
        rotation_ends_and_two_more(d, &mut f);
    }

    #[test]
    fn previous_already_an_archive_is_read_once() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        fs::write(archive(d, 1), lines(0..10)).unwrap();
        // Linked, not yet removed.
        fs::write(d.join("previous"), lines(10..20)).unwrap();
        fs::hard_link(d.join("previous"), archive(d, 20)).unwrap();
        fs::write(d.join("current"), lines(20..25)).unwrap();
        let src = Source::open(d.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(src.files.len(), 3);
        let mut f = Follower::new(src, Pos { file: 0, off: 0 });
        assert_eq!(read_all(&mut f), nums(0..25));
    }
}
