//! A multilog log directory, kept as daemontools 0.76 keeps it: `lock`,
//! `current`, rotation by fsync then rename, the processor protocol
//! (`previous`, `processed`, `state`, `newstate`), recovery after a crash,
//! and pruning to n-1 archives named `@TAI64N.s` or `@TAI64N.u`.
//!
//! Where `current` is cut is part of the format users see, so the writer
//! reproduces daemontools' exactly: each directory has a 512-byte buffer
//! (emptied before each 1024-byte read of the input) whose contents go
//! through a writer that never lets `current` pass the size, cuts a write
//! at its last newline once `current` is within 2000 bytes of the size, and
//! rotates after a write that ends in a newline there. The bytes are not
//! written one buffer at a time, though: they pile up in one vector and go
//! to `current` in one `write` at [`LogDir::sync`] or before a rotation.
//! [`LogDir::sync_lines`] writes only whole lines and keeps a line in
//! progress back, so that a multilog killed before its newline leaves none
//! of it in `current` (the line is still in the input pipe for the next).
//!
//! An archive is named by the time of its rotation, but never below the
//! newest archive already there ([`archive_label`]): pruning removes the
//! smallest name, and after the clock steps back it would otherwise remove
//! the newest archives first.
//!
//! Nothing is ever dropped: a failing step calls the [`Pause`] the caller
//! gave (which warns and sleeps) and is tried again.
//!
//! Beyond daemontools, when the script asks ([`Limits`]): a `current` that
//! has held something for `age` seconds is due for rotation ([`LogDir::due`];
//! an empty one never is), and pruning also removes the oldest archives
//! while their sizes add up to more than `total`.

use crate::msg::{Failure, Level, Prog};
use crate::sys;
use crate::tai64::{Tai64, Tai64N};
use nix::errno::Errno;
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// daemontools' default `s`: the size at which `current` is rotated.
pub const DEFAULT_SIZE: u64 = 99999;
/// daemontools' default `n`: files kept, `current` included.
pub const DEFAULT_COUNT: u64 = 10;
/// A write ending within this many bytes of the size rotates `current`.
const SLACK: u64 = 2000;
/// daemontools' buffer for each directory.
const BUFFER: usize = 512;

/// How big a directory may grow, and when `current` rotates: daemontools'
/// `s` and `n`, and our `t` (`age`, seconds; 0 never) and `S` (`total`,
/// bytes of archives; 0 no cap).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub size: u64,
    pub count: u64,
    pub age: u64,
    pub total: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { size: DEFAULT_SIZE, count: DEFAULT_COUNT, age: 0, total: 0 }
    }
}

/// Called when a step fails, with what was being done (daemontools' words,
/// the directory's name included) and the error, if there is one; it
/// should warn and pause. The step is then tried again.
pub type Pause = fn(&[&[u8]], Option<Errno>);

/// Why a directory could not be opened: `before` + its name + `after`
/// ([`Fatal::failure`] gives daemontools' message).
#[derive(Debug, PartialEq, Eq)]
pub struct Fatal {
    pub before: &'static str,
    pub after: &'static str,
    pub errno: Errno,
}

impl Fatal {
    /// `unable to ... NAME...: REASON`, exit 111, for the directory `name`.
    pub fn failure(&self, name: &[u8]) -> Failure {
        Failure::temp(&[self.before.as_bytes(), name, self.after.as_bytes()], self.errno)
    }
}

fn fatal(before: &'static str, after: &'static str) -> impl Fn(Errno) -> Fatal {
    move |errno| Fatal { before, after, errno }
}

const CURRENT: &CStr = c"current";
const PREVIOUS: &CStr = c"previous";
const PROCESSED: &CStr = c"processed";
const STATE: &CStr = c"state";
const NEWSTATE: &CStr = c"newstate";
const APPEND: i32 = libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT | libc::O_NONBLOCK;
const TRUNC: i32 = libc::O_WRONLY | libc::O_TRUNC | libc::O_CREAT | libc::O_NONBLOCK;

pub struct LogDir {
    name: Vec<u8>,
    dir: OwnedFd,
    _lock: OwnedFd,
    current: OwnedFd,
    /// Bytes in `current` as daemontools counts them: those past its writer.
    bytes: u64,
    limits: Limits,
    /// Since when `current` holds something (for `age`).
    since: Option<Instant>,
    processor: Option<sys::Argv>,
    /// What the processor's child says when it cannot run it, before the reason.
    processor_failed: Vec<u8>,
    /// `out[..passed]` went through the writer; `out[passed..]` is the 512-byte buffer.
    out: Vec<u8>,
    passed: usize,
    /// `out[..whole]` holds no newline: the start of a line in progress, kept back from `current`.
    whole: usize,
    pause: Pause,
    /// Whether the line being logged goes here.
    pub selected: bool,
}

impl LogDir {
    /// daemontools' start: makes the directory (0700) if missing, locks it,
    /// then either continues a `current` closed cleanly (x bit set) or
    /// recovers from a crash: a `processed` the processor finished becomes
    /// `.s`, an unprocessed `previous` and the old `current` become `.u`, and
    /// `state` starts empty. `prog` is the program whose name the
    /// processor's child gives when it cannot run it.
    pub fn open(
        name: &[u8],
        limits: Limits,
        processor: Option<&[u8]>,
        pause: Pause,
        prog: &Prog,
    ) -> Result<LogDir, Fatal> {
        let path = CString::new(name).map_err(|_| Fatal {
            before: "unable to open directory ",
            after: "",
            errno: Errno::EINVAL,
        })?;
        let _ = sys::mkdir(&path, 0o700);
        let dir = sys::open_read_dir(&path).map_err(fatal("unable to open directory ", ""))?;
        let lock = sys::open_at(dir.as_fd(), c"lock", APPEND, 0o600).map_err(fatal("unable to lock directory ", ""))?;
        sys::lock(lock.as_fd(), false).map_err(fatal("unable to lock directory ", ""))?;
        // A command line holds no NUL byte, so neither does the processor.
        let processor_failed = prog.child_failure(Level::Fatal, &[b"unable to run ", processor.unwrap_or_default()]);
        let processor = processor.and_then(|p| sys::Argv::new("/bin/sh", &[b"sh".as_slice(), b"-c", p]));
        let mut d = LogDir {
            name: name.to_vec(),
            // Stands in for `current` until the recovery below opens it.
            current: lock
                .try_clone()
                .map_err(|e| fatal("unable to open directory ", "")(Errno::from_raw(e.raw_os_error().unwrap_or(0))))?,
            dir,
            _lock: lock,
            bytes: 0,
            limits,
            since: None,
            processor,
            processor_failed,
            out: Vec::with_capacity(64 * 1024),
            passed: 0,
            whole: 0,
            pause,
            selected: true,
        };
        match sys::stat_at(d.dir.as_fd(), CURRENT) {
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(fatal("unable to stat ", "/current")(e)),
            Ok(st) if st.st_mode & 0o100 != 0 => {
                d.current = sys::open_at(d.dir.as_fd(), CURRENT, APPEND, 0o600)
                    .map_err(fatal("unable to append to ", "/current"))?;
                sys::fchmod(d.current.as_fd(), 0o644).map_err(fatal("unable to set mode of ", "/current"))?;
                d.bytes = st.st_size as u64;
                // Only an age limit (`t`) asks when it began.
                if d.bytes > 0 && d.limits.age > 0 {
                    d.since = Some(d.first_line_at());
                }
                return Ok(d);
            }
            Ok(_) => {}
        }
        let _ = sys::unlink_at(d.dir.as_fd(), STATE);
        let _ = sys::unlink_at(d.dir.as_fd(), NEWSTATE);
        let processed = match sys::stat_at(d.dir.as_fd(), PROCESSED) {
            Err(Errno::ENOENT) => false,
            Err(e) => return Err(fatal("unable to stat ", "/processed")(e)),
            Ok(st) => st.st_mode & 0o100 != 0,
        };
        if processed {
            let _ = sys::unlink_at(d.dir.as_fd(), PREVIOUS);
            d.finish(PROCESSED, b's');
        } else {
            let _ = sys::unlink_at(d.dir.as_fd(), PROCESSED);
            d.finish(PREVIOUS, b'u');
        }
        d.finish(CURRENT, b'u');
        sys::open_at(d.dir.as_fd(), STATE, TRUNC, 0o644).map_err(fatal("unable to write to ", "/state"))?;
        d.current =
            sys::open_at(d.dir.as_fd(), CURRENT, APPEND, 0o600).map_err(fatal("unable to write to ", "/current"))?;
        sys::fchmod(d.current.as_fd(), 0o644).map_err(fatal("unable to set mode of ", "/current"))?;
        Ok(d)
    }

    /// When the `current` continued at start began: by its first line's
    /// stamp (`t` or `T`), or now if it has none. A stamp in the future
    /// (the clock went back) counts as now.
    fn first_line_at(&self) -> Instant {
        // A `T` stamp is known by the space after it.
        let mut head = [0u8; crate::tai64::RFC3339_LEN + 1];
        let got = sys::open_at(self.dir.as_fd(), CURRENT, libc::O_RDONLY | libc::O_NONBLOCK, 0)
            .and_then(|fd| sys::read_full(fd.as_fd(), &mut head));
        let began = got.ok().and_then(|n| crate::tai64::stamp_time(&head[..n]));
        let ago = began.and_then(|t| std::time::SystemTime::now().duration_since(t).ok()).unwrap_or_default();
        Instant::now().checked_sub(ago).unwrap_or_else(Instant::now)
    }

    /// When `current` is due for rotation by age: `age` seconds after it
    /// began to hold something; never when it is empty or without `t`.
    pub fn due(&self) -> Option<Instant> {
        let age = self.limits.age;
        (age > 0).then_some(self.since?)?.checked_add(Duration::from_secs(age))
    }

    /// Runs `step` until it succeeds, pausing after each failure.
    fn retry<T>(&self, what: &[&[u8]], mut step: impl FnMut() -> Result<T, Errno>) -> T {
        loop {
            match step() {
                Ok(t) => return t,
                Err(e) => (self.pause)(what, Some(e)),
            }
        }
    }

    fn buffered(&self) -> usize {
        self.out.len() - self.passed
    }

    /// Puts one line's first part (at most 1000 bytes: `a` then `b`) as daemontools' `buffer_put`.
    pub fn put(&mut self, a: &[u8], b: &[u8]) {
        let len = a.len() + b.len();
        let fits = len <= BUFFER - self.buffered();
        if !fits {
            self.flush_buffer();
        }
        self.out.extend_from_slice(a);
        self.out.extend_from_slice(b);
        if !fits && len > BUFFER {
            self.pass(len);
        }
    }

    /// Puts bytes one at a time, as daemontools' `buffer_PUTC`: a full buffer is emptied when the next byte comes.
    pub fn put_bytes(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.buffered() == BUFFER {
                self.flush_buffer();
            }
            let n = (BUFFER - self.buffered()).min(data.len());
            self.out.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
    }

    /// Empties the buffer through the writer (daemontools' `buffer_flush`).
    pub fn flush_buffer(&mut self) {
        self.pass(self.buffered());
    }

    /// daemontools' `allwrite`: the next `len` buffered bytes through the writer.
    fn pass(&mut self, mut len: usize) {
        while len > 0 {
            len -= self.write_some(len);
        }
    }

    /// daemontools' writer for a log directory: how much of the next `len`
    /// bytes goes to `current` now, rotating before or after as it would.
    fn write_some(&mut self, len: usize) -> usize {
        let size = self.limits.size;
        if self.bytes >= size {
            self.rotate();
        }
        let mut len = (len as u64).min(size - self.bytes) as usize;
        let chunk = &self.out[self.passed..self.passed + len];
        if self.bytes + len as u64 >= size - SLACK {
            if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
                len = i + 1;
            }
        }
        if self.bytes == 0 && len > 0 {
            self.since = Some(Instant::now());
        }
        self.passed += len;
        self.bytes += len as u64;
        if self.bytes >= size - SLACK && self.out[self.passed - 1] == b'\n' {
            self.rotate();
        }
        len
    }

    /// Writes the first `upto` bytes that went through the writer to `current`.
    fn write_out(&mut self, upto: usize) {
        let mut done = 0;
        while done < upto {
            let rest = &self.out[done..upto];
            match nix::unistd::write(self.current.as_fd(), rest) {
                Ok(n) => done += n,
                Err(Errno::EINTR) => {}
                Err(e) => (self.pause)(&[b"unable to write to ", &self.name, b"/current"], Some(e)),
            }
        }
        self.out.drain(..upto);
        self.passed -= upto;
        self.whole = self.whole.saturating_sub(upto).min(self.passed);
    }

    /// Everything put so far into `current` (the buffer emptied, as before each read).
    pub fn sync(&mut self) {
        self.flush_buffer();
        self.write_out(self.passed);
    }

    /// As [`LogDir::sync`], but a line in progress (the bytes after the last
    /// newline) is kept back until its newline comes. Where `current` is cut
    /// does not change: only when the bytes are written does.
    pub fn sync_lines(&mut self) {
        self.flush_buffer();
        let from = self.whole;
        if let Some(i) = self.out[from..self.passed].iter().rposition(|&b| b == b'\n') {
            self.write_out(from + i + 1);
        }
        self.whole = self.passed;
    }

    /// Whether `current` holds anything.
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// daemontools' `fullcurrent`: `current` written out, fsynced and renamed
    /// to `previous` (mode 0744); a new `current`; then `previous` becomes an
    /// archive, through the processor if there is one.
    pub fn rotate(&mut self) {
        self.write_out(self.passed);
        let name = self.name.clone();
        let n = name.as_slice();
        self.retry(&[b"unable to write ", n, b"/current to disk"], || sys::fsync(self.current.as_fd()));
        let dir = self.dir.as_fd();
        self.retry(&[b"unable to rename current to previous in directory ", n], || {
            sys::rename_at(dir, CURRENT, PREVIOUS)
        });
        self.current =
            self.retry(&[b"unable to create ", n, b"/current"], || sys::open_at(dir, CURRENT, APPEND, 0o600));
        self.bytes = 0;
        self.since = None;
        self.retry(&[b"unable to set mode of ", n, b"/current"], || sys::fchmod(self.current.as_fd(), 0o644));
        self.retry(&[b"unable to set mode of ", n, b"/previous"], || sys::chmod_at(dir, PREVIOUS, 0o744));
        if self.processor.is_none() {
            return self.finish(PREVIOUS, b's');
        }
        self.run_processor();
        let processed =
            self.retry(&[b"unable to create ", n, b"/processed"], || sys::open_at(dir, PROCESSED, APPEND, 0o600));
        self.retry(&[b"unable to write ", n, b"/processed to disk"], || sys::fsync(processed.as_fd()));
        self.retry(&[b"unable to set mode of ", n, b"/processed"], || sys::fchmod(processed.as_fd(), 0o744));
        drop(processed);
        let newstate =
            self.retry(&[b"unable to create ", n, b"/newstate"], || sys::open_at(dir, NEWSTATE, APPEND, 0o600));
        self.retry(&[b"unable to write ", n, b"/newstate to disk"], || sys::fsync(newstate.as_fd()));
        drop(newstate);
        self.retry(&[b"unable to remove ", n, b"/previous"], || sys::unlink_at(dir, PREVIOUS));
        self.retry(&[b"unable to rename newstate to state in directory ", n], || sys::rename_at(dir, NEWSTATE, STATE));
        self.finish(PROCESSED, b's');
    }

    /// Runs the processor until it exits 0: `sh -c PROCESSOR` in the
    /// directory, reading `previous` on fd 0 and `state` on fd 4, writing
    /// `processed` on fd 1 and `newstate` on fd 5.
    fn run_processor(&self) {
        let Some(argv) = &self.processor else { return };
        let dir = self.dir.as_raw_fd();
        let n = self.name.as_slice();
        loop {
            let ro = libc::O_RDONLY | libc::O_NONBLOCK;
            let actions = [
                sys::Action::Fchdir(dir),
                sys::Action::Open(PREVIOUS, ro, 0o644, 0),
                sys::Action::Open(PROCESSED, TRUNC, 0o644, 1),
                sys::Action::Open(STATE, ro, 0o644, 4),
                sys::Action::Open(NEWSTATE, TRUNC, 0o644, 5),
            ];
            let pid = self.retry(&[b"unable to fork for processor in ", n], || {
                sys::cspawn(argv, &self.processor_failed, &actions)
            });
            match sys::wait(Some(pid), true).map(|r| r.map_or(0, |(_, status)| status)) {
                Err(e) => (self.pause)(&[b"wait failed for processor in ", n], Some(e)),
                Ok(status) if libc::WIFSIGNALED(status) => (self.pause)(&[b"processor crashed in ", n], None),
                Ok(status) if libc::WEXITSTATUS(status) == 0 => return,
                Ok(_) => (self.pause)(&[b"processor failed in ", n], None),
            }
        }
    }

    /// daemontools' `finish`: `file`, if it exists, becomes `@TAI64N.CODE`
    /// (unless another name holds it already), then old archives go.
    fn finish(&mut self, file: &CStr, code: u8) {
        let n = self.name.clone();
        let f = file.to_bytes();
        let dir = self.dir.as_fd();
        let st = loop {
            match sys::stat_at(dir, file) {
                Ok(st) => break st,
                Err(Errno::ENOENT) => return,
                Err(e) => (self.pause)(&[b"unable to stat ", &n, b"/", f], Some(e)),
            }
        };
        if st.st_nlink == 1 {
            loop {
                let archives = self.retry(&[b"unable to read ", &n], || self.archives());
                let newest = archives.iter().filter_map(|a| crate::tai64::parse_label(a.to_bytes())).max();
                let archive = archive_name(archive_label(crate::tai64::now(), newest), code);
                match sys::link_at(dir, file, &archive) {
                    Ok(()) => break,
                    Err(e) => (self.pause)(&[b"unable to link to ", &n, b"/", archive.to_bytes()], Some(e)),
                }
            }
        }
        self.retry(&[b"unable to remove ", &n, b"/", f], || sys::unlink_at(dir, file));
        self.retry(&[b"unable to read ", &n], || self.prune());
    }

    /// The archives: names of 25 bytes or more starting with `@`.
    fn archives(&self) -> Result<Vec<CString>, Errno> {
        let mut archives = Vec::new();
        for entry in
            nix::dir::Dir::openat(self.dir.as_fd(), c".", nix::fcntl::OFlag::O_RDONLY, nix::sys::stat::Mode::empty())?
        {
            let name = entry?.file_name().to_owned();
            if name.to_bytes().len() >= 25 && name.to_bytes()[0] == b'@' {
                archives.push(name);
            }
        }
        Ok(archives)
    }

    /// Removes the oldest archives (by the first 25 bytes of their names)
    /// until fewer than n remain, and then, with `S`, while they add up to
    /// more than its bytes (as s6-log, the newest too if it alone is bigger).
    fn prune(&self) -> Result<(), Errno> {
        let mut archives = self.archives()?;
        archives.sort_by(|a, b| a.to_bytes()[..25].cmp(&b.to_bytes()[..25]));
        let mut excess = (archives.len() as u64 + 1).saturating_sub(self.limits.count) as usize;
        if self.limits.total > 0 {
            let mut sizes = Vec::with_capacity(archives.len());
            for name in &archives[excess..] {
                match sys::stat_at(self.dir.as_fd(), name) {
                    Ok(st) => sizes.push(st.st_size as u64),
                    Err(Errno::ENOENT) => sizes.push(0),
                    Err(e) => return Err(e),
                }
            }
            excess += over_total(&sizes, self.limits.total);
        }
        for name in &archives[..excess] {
            match sys::unlink_at(self.dir.as_fd(), name) {
                Ok(()) | Err(Errno::ENOENT) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The end (daemontools' `c_quit`): everything written, `current` fsynced and marked clean with mode 0744.
    pub fn close(&mut self) {
        self.sync();
        let n = self.name.clone();
        self.retry(&[b"unable to write ", &n, b"/current to disk"], || sys::fsync(self.current.as_fd()));
        self.retry(&[b"unable to set mode of ", &n, b"/current"], || sys::fchmod(self.current.as_fd(), 0o744));
    }
}

/// How many of the oldest of archives of `sizes` (oldest first) must go
/// for the rest to add up to `total` bytes at most.
pub fn over_total(sizes: &[u64], total: u64) -> usize {
    let mut sum: u64 = sizes.iter().sum();
    let mut gone = 0;
    for size in sizes {
        if sum <= total {
            break;
        }
        sum -= size;
        gone += 1;
    }
    gone
}

/// The label a new archive is named by: the time of the rotation, `now`, or
/// one nanosecond after the `newest` archive already in the directory if
/// that is not below `now` (the clock was stepped back, or an archive was
/// made within the same nanosecond). So a new archive always sorts after the
/// old ones, and pruning, which removes the smallest name, removes the oldest
/// by arrival. With a clock that only goes forward, this is `now`, as in
/// daemontools.
pub fn archive_label(now: Tai64N, newest: Option<Tai64N>) -> Tai64N {
    match newest {
        Some(Tai64N(secs, nanos)) if Tai64N(secs, nanos) >= now => match nanos {
            999_999_999.. => Tai64N(Tai64(secs.0.saturating_add(1)), 0),
            _ => Tai64N(secs, nanos + 1),
        },
        _ => now,
    }
}

/// `@` + `label` + `.` + code.
fn archive_name(label: Tai64N, code: u8) -> CString {
    let mut name = crate::tai64::fmt_label(label).to_vec();
    name.extend_from_slice(&[b'.', code]);
    CString::new(name).expect("a label has no NUL")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    fn no_pause(what: &[&[u8]], e: Option<Errno>) {
        panic!("paused: {:?} {e:?}", what.concat().escape_ascii().to_string());
    }

    fn open(dir: &Path, size: u64, count: u64) -> Result<LogDir, Fatal> {
        open_with(dir, Limits { size, count, ..Limits::default() })
    }

    fn open_with(dir: &Path, limits: Limits) -> Result<LogDir, Fatal> {
        LogDir::open(dir.as_os_str().as_encoded_bytes(), limits, None, no_pause, &Prog::new("multilog", ""))
    }

    fn files(dir: &Path) -> Vec<(String, u64, u32)> {
        let mut v: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let m = e.metadata().unwrap();
                (e.file_name().into_string().unwrap(), m.len(), m.permissions().mode() & 0o777)
            })
            .collect();
        v.sort();
        v
    }

    fn line(d: &mut LogDir, text: &[u8]) {
        d.put(&text[..text.len().min(1000)], b"");
        d.put_bytes(&text[text.len().min(1000)..]);
        d.put_bytes(b"\n");
    }

    #[test]
    fn rotates_prunes_and_seals() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("main");
        let mut d = open(&dir, 4096, 3).unwrap();
        for _ in 0..10 {
            line(&mut d, &[b'x'; 999]);
            d.sync();
        }
        d.close();
        let f = files(&dir);
        let archives: Vec<_> = f.iter().filter(|(n, ..)| n.starts_with('@')).collect();
        assert_eq!(archives.len(), 2, "n3 keeps two archives: {f:?}");
        for (name, len, mode) in archives {
            assert!(name.ends_with(".s"));
            assert_eq!((*len, *mode), (3000, 0o744), "three 1000-byte lines, as daemontools");
        }
        assert!(f.contains(&("current".into(), 1000, 0o744)), "{f:?}");
        assert!(f.contains(&("state".into(), 0, 0o644)), "{f:?}");
        assert_eq!(fs::metadata(dir.join("lock")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    }

    #[test]
    fn a_long_line_is_cut_at_the_size() {
        let t = tempfile::tempdir().unwrap();
        let mut d = open(t.path(), 4096, 50).unwrap();
        line(&mut d, &[b'y'; 9000]);
        d.close();
        let sizes: Vec<u64> = files(t.path()).iter().filter(|(n, ..)| n.starts_with('@')).map(|f| f.1).collect();
        assert_eq!(sizes, vec![4096, 4096]);
        assert_eq!(fs::metadata(t.path().join("current")).unwrap().len(), 809);
    }

    #[test]
    fn unclean_current_becomes_u_clean_one_is_continued() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("current"), "left by a crash\n").unwrap();
        let mut d = open(t.path(), DEFAULT_SIZE, DEFAULT_COUNT).unwrap();
        line(&mut d, b"next");
        d.close();
        drop(d);
        let f = files(t.path());
        let u: Vec<_> = f.iter().filter(|(n, ..)| n.ends_with(".u")).collect();
        assert_eq!(u.len(), 1);
        assert_eq!(fs::read_to_string(t.path().join(&u[0].0)).unwrap(), "left by a crash\n");
        let mut d = open(t.path(), DEFAULT_SIZE, DEFAULT_COUNT).unwrap();
        line(&mut d, b"more");
        d.close();
        assert_eq!(fs::read_to_string(t.path().join("current")).unwrap(), "next\nmore\n");
    }

    #[test]
    fn the_lock_is_exclusive() {
        let t = tempfile::tempdir().unwrap();
        let _d = open(t.path(), DEFAULT_SIZE, DEFAULT_COUNT).unwrap();
        let e = open(t.path(), DEFAULT_SIZE, DEFAULT_COUNT).err().unwrap();
        assert_eq!((e.before, e.errno), ("unable to lock directory ", Errno::EAGAIN));
    }

    #[test]
    fn a_line_in_progress_is_kept_back_but_cut_where_daemontools_cuts() {
        let t = tempfile::tempdir().unwrap();
        let current = t.path().join("current");
        let mut d = open(t.path(), 4096, 50).unwrap();
        d.put(b"one\ntwo", b"");
        d.sync_lines();
        assert_eq!(fs::read(&current).unwrap(), b"one\n");
        d.put_bytes(&[b'w'; 600]);
        d.sync_lines();
        assert_eq!(fs::read(&current).unwrap(), b"one\n", "still no newline");
        d.put_bytes(b"\nthree");
        d.sync_lines();
        let mut want = b"one\ntwo".to_vec();
        want.extend_from_slice(&[b'w'; 600]);
        want.push(b'\n');
        assert_eq!(fs::read(&current).unwrap(), want);
        // Past the size the line is cut and rotated as daemontools does, written or not.
        d.put_bytes(&[b'y'; 9000]);
        d.sync_lines();
        d.close();
        let sizes: Vec<u64> = files(t.path()).iter().filter(|(n, ..)| n.starts_with('@')).map(|f| f.1).collect();
        assert_eq!(sizes, vec![4096, 4096]);
        assert_eq!(fs::metadata(&current).unwrap().len(), 4 + 3 + 600 + 1 + 5 + 9000 - 8192);
        assert!(fs::read(&current).unwrap().iter().all(|&b| b == b'y'));
    }

    fn label(secs: u64, nanos: u32) -> Tai64N {
        Tai64N(Tai64((1 << 62) + secs), nanos)
    }

    #[test]
    fn a_new_archive_sorts_after_every_old_one() {
        let now = label(1_800_000_000, 5);
        // A sane clock: the time of the rotation, as daemontools names it.
        assert_eq!(archive_label(now, None), now);
        assert_eq!(archive_label(now, Some(label(1_700_000_000, 999_999_999))), now);
        // The clock stepped back (or two archives in one nanosecond): just after the newest.
        assert_eq!(archive_label(now, Some(now)), label(1_800_000_000, 6));
        assert_eq!(archive_label(now, Some(label(2_000_000_000, 7))), label(2_000_000_000, 8));
        assert_eq!(archive_label(now, Some(label(2_000_000_000, 999_999_999))), label(2_000_000_001, 0));
        assert_eq!(archive_label(label(7, 500), Some(label(7, 999_999_999))), label(8, 0));
        for newest in [now, label(1_800_000_000, 4), label(2_000_000_000, 999_999_999)] {
            let made = fmt_label_of(archive_label(now, Some(newest)));
            assert!(made > fmt_label_of(newest) && made >= fmt_label_of(now));
        }
    }

    fn fmt_label_of(t: Tai64N) -> [u8; 25] {
        crate::tai64::fmt_label(t)
    }

    #[test]
    fn archives_named_in_the_future_are_pruned_first() {
        let t = tempfile::tempdir().unwrap();
        let future = "@4000000100000000000000ff.s";
        fs::write(t.path().join(future), "before the clock went back\n").unwrap();
        let mut d = open(t.path(), 4096, 3).unwrap();
        for i in 0..3 {
            line(&mut d, format!("{i}{}", "x".repeat(2999)).as_bytes());
            d.sync();
        }
        d.close();
        let names: Vec<String> = files(t.path()).into_iter().map(|f| f.0).filter(|n| n.starts_with('@')).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| n.as_str() > future), "{names:?}");
        let first: Vec<u8> = names.iter().map(|n| fs::read(t.path().join(n)).unwrap()[0]).collect();
        assert_eq!(first, b"12", "the two newest archives, in order");
    }

    #[test]
    fn the_total_cap_removes_the_oldest_first() {
        assert_eq!(over_total(&[], 10), 0);
        assert_eq!(over_total(&[4, 4, 4], 12), 0);
        assert_eq!(over_total(&[4, 4, 4], 11), 1);
        assert_eq!(over_total(&[4, 4, 4], 4), 2);
        assert_eq!(over_total(&[4, 4, 9], 8), 3, "the newest alone is over: it goes too, as in s6-log");
        let t = tempfile::tempdir().unwrap();
        let mut d = open_with(t.path(), Limits { size: 4096, count: 50, total: 7000, age: 0 }).unwrap();
        for i in 0..5 {
            line(&mut d, format!("{i}{}", "x".repeat(2999)).as_bytes());
            d.sync();
        }
        d.close();
        let archives: Vec<_> = files(t.path()).into_iter().filter(|f| f.0.starts_with('@')).collect();
        assert_eq!(archives.iter().map(|f| f.1).collect::<Vec<_>>(), [3001, 3001], "{archives:?}");
        let first: Vec<u8> = archives.iter().map(|f| fs::read(t.path().join(&f.0)).unwrap()[0]).collect();
        assert_eq!(first, b"34", "the newest two");
    }

    #[test]
    fn age_counts_from_the_first_byte_and_an_empty_current_is_never_due() {
        let t = tempfile::tempdir().unwrap();
        let limits = Limits { age: 60, ..Limits::default() };
        let mut d = open_with(t.path(), limits).unwrap();
        assert_eq!(d.due(), None, "empty");
        let before = Instant::now();
        line(&mut d, b"one");
        d.sync();
        let due = d.due().unwrap();
        assert!(due >= before + Duration::from_secs(60) && due <= Instant::now() + Duration::from_secs(60));
        d.rotate();
        assert_eq!(d.due(), None, "rotated: empty again");
        d.close();
        drop(d);
        // Continued at start: its first line's stamp says when it began.
        let stamp = crate::tai64::fmt_label(crate::tai64::from_system_time(
            std::time::SystemTime::now() - Duration::from_secs(50),
        ));
        let mut text = stamp.to_vec();
        text.extend_from_slice(b" old\n");
        fs::write(t.path().join("current"), &text).unwrap();
        fs::set_permissions(t.path().join("current"), fs::Permissions::from_mode(0o744)).unwrap();
        let d = open_with(t.path(), limits).unwrap();
        let left = d.due().unwrap().saturating_duration_since(Instant::now());
        assert!(left > Duration::from_secs(5) && left <= Duration::from_secs(10), "{left:?}");
        drop(d);
        // The same with a `T` stamp (RFC 3339).
        let stamp = crate::tai64::fmt_rfc3339(std::time::SystemTime::now() - Duration::from_secs(50));
        let mut text = stamp.to_vec();
        text.extend_from_slice(b" old\n");
        fs::write(t.path().join("current"), &text).unwrap();
        fs::set_permissions(t.path().join("current"), fs::Permissions::from_mode(0o744)).unwrap();
        let d = open_with(t.path(), limits).unwrap();
        let left = d.due().unwrap().saturating_duration_since(Instant::now());
        assert!(left > Duration::from_secs(5) && left <= Duration::from_secs(10), "T: {left:?}");
        drop(d);
        let d = open_with(t.path(), Limits::default()).unwrap();
        assert_eq!(d.due(), None, "no t: never");
    }
}
