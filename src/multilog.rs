//! multilog's handling of its input, as daemontools 0.76 does it: each line
//! is gathered up to a 1000-byte window (its timestamp included), the
//! actions run on that window in script order (`+`, `-`, `e`, `=`, and each
//! directory taking note of whether the line is selected), and then the
//! whole line, of any length, goes to the selected directories.
//!
//! Input is taken as daemontools reads it, 1024 bytes at a time, every
//! directory's buffer emptied before each read, so that `current` is cut
//! where daemontools cuts it.

use crate::logdir::{Limits, LogDir, Pause};
use crate::msg::{Failure, Prog};
use crate::script::{self, Action, Stamp};
use crate::{sys, tai64};
use nix::errno::Errno;
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Instant;

/// The part of a line that actions see, timestamp included.
pub const WINDOW: usize = 1000;
/// How much daemontools reads at a time.
const READ: usize = 1024;
/// What `e` copies of a longer line.
const ALERT: usize = 200;

enum Act {
    Select(Vec<u8>),
    Deselect(Vec<u8>),
    /// `e`, with the prefix `p` gave before it.
    Alert(Vec<u8>),
    Status(usize),
    Dir(usize),
}

/// An `=file`: the last selected line, padded with newlines to 1001 bytes, rewritten in place.
struct StatusFile {
    name: Vec<u8>,
    fd: OwnedFd,
}

pub struct Multilog {
    stamp: Stamp,
    stamp_len: usize,
    acts: Vec<Act>,
    /// Whether any action looks at lines (`+`, `-`, `e`, `=`).
    filters: bool,
    dirs: Vec<LogDir>,
    status: Vec<StatusFile>,
    /// The window; past `len` it holds newlines, as daemontools keeps it.
    line: Box<[u8; WINDOW + 1]>,
    len: usize,
    /// Whether a line has begun and not ended.
    in_line: bool,
    /// Whether the window is full and the rest of the line is going straight to the directories.
    rest: bool,
    /// Input bytes of the line in progress taken so far (its stamp not counted).
    partial: usize,
    /// The stamp of the read being taken, made when its first line begins.
    stamp_now: Option<[u8; tai64::RFC3339_LEN]>,
    /// What `e` wrote, for the caller to copy to standard error.
    pub alerts: Vec<u8>,
    pause: Pause,
}

impl Multilog {
    /// Opens the `=` files, then the directories, as daemontools does; a
    /// failure says why multilog cannot start. `prog` is the program whose
    /// name a processor's child gives when it cannot run it.
    pub fn new(script: &[&[u8]], pause: Pause, prog: &Prog) -> Result<Multilog, Failure> {
        let stamp = script::stamp(script);
        let mut status = Vec::new();
        for action in script::actions(script) {
            if let Action::Status(file) = action {
                let fatal = |before: &'static [u8]| move |errno| Failure::temp(&[before, file], errno);
                let path = CString::new(file).map_err(|_| Errno::EINVAL).map_err(fatal(b"unable to create "))?;
                drop(sys::open_append(&path).map_err(fatal(b"unable to create "))?);
                let fd = sys::open_write(&path).map_err(fatal(b"unable to write "))?;
                status.push(StatusFile { name: file.to_vec(), fd });
            }
        }
        let (mut limits, mut processor, mut prefix) = (Limits::default(), None, &b""[..]);
        let (mut acts, mut dirs, mut files) = (Vec::new(), Vec::new(), 0);
        for action in script::actions(script) {
            match action {
                Action::Select(p) => acts.push(Act::Select(p.to_vec())),
                Action::Deselect(p) => acts.push(Act::Deselect(p.to_vec())),
                Action::Alert => acts.push(Act::Alert(prefix.to_vec())),
                Action::Status(_) => {
                    acts.push(Act::Status(files));
                    files += 1;
                }
                Action::Size(s) => limits.size = s,
                Action::Count(n) => limits.count = n,
                Action::Age(secs) => limits.age = secs,
                Action::Total(bytes) => limits.total = bytes,
                Action::Prefix(p) => prefix = p,
                Action::Processor(p) => processor = Some(p),
                Action::Dir(name) => {
                    let d = LogDir::open(name, limits, processor, pause, prog).map_err(|f| f.failure(name))?;
                    acts.push(Act::Dir(dirs.len()));
                    dirs.push(d);
                }
                Action::Ignored => {}
            }
        }
        let stamp_len = match stamp {
            Stamp::None => 0,
            Stamp::Tai64n => tai64::LABEL_LEN + 1,
            Stamp::Rfc3339 => tai64::RFC3339_LEN + 1,
        };
        Ok(Multilog {
            stamp,
            stamp_len,
            filters: acts.iter().any(|a| !matches!(a, Act::Dir(_))),
            acts,
            dirs,
            status,
            line: Box::new([b'\n'; WINDOW + 1]),
            len: 0,
            in_line: false,
            rest: false,
            partial: 0,
            stamp_now: None,
            alerts: Vec::new(),
            pause,
        })
    }

    /// Takes what one read of the input returned. The lines that one of
    /// daemontools' 1024-byte reads would have taken share one reading of the
    /// clock (the system's clock costs more than the rest of a line's work).
    pub fn feed(&mut self, data: &[u8]) {
        for piece in data.chunks(READ) {
            for d in &mut self.dirs {
                d.flush_buffer();
            }
            self.stamp_now = None;
            self.take(piece);
        }
    }

    fn take(&mut self, mut s: &[u8]) {
        while !s.is_empty() {
            if self.rest {
                let end = memchr(b'\n', s).map_or(s.len(), |i| i + 1);
                self.put_bytes(&s[..end]);
                if s[end - 1] == b'\n' {
                    self.rest = false;
                    self.in_line = false;
                    self.partial = 0;
                } else {
                    self.partial += end;
                }
                s = &s[end..];
                continue;
            }
            if !self.in_line {
                self.in_line = true;
                self.write_stamp();
            }
            let room = WINDOW - self.len;
            let look = &s[..s.len().min(room)];
            match memchr(b'\n', look) {
                // The common case: a whole line, nothing looking at it.
                Some(i) if !self.filters && self.len == self.stamp_len => {
                    for d in &mut self.dirs {
                        d.put(&self.line[..self.stamp_len], &look[..i]);
                        d.put_bytes(b"\n");
                    }
                    self.len = 0;
                    self.in_line = false;
                    s = &s[i + 1..];
                }
                Some(i) => {
                    self.gather(&look[..i]);
                    s = &s[i + 1..];
                    self.end_window();
                    self.put_bytes(b"\n");
                    self.in_line = false;
                    self.partial = 0;
                }
                None if look.len() == room => {
                    self.gather(look);
                    s = &s[room..];
                    self.end_window();
                    self.rest = true;
                    self.partial += room;
                }
                None => {
                    self.gather(look);
                    self.partial += look.len();
                    s = &[];
                }
            }
        }
    }

    fn write_stamp(&mut self) {
        self.len = self.stamp_len;
        if self.stamp_len == 0 {
            return;
        }
        let stamp = self.stamp;
        let now = self.stamp_now.get_or_insert_with(|| {
            let mut text = [0u8; tai64::RFC3339_LEN];
            match stamp {
                Stamp::Tai64n => text[..tai64::LABEL_LEN].copy_from_slice(&tai64::fmt_label(tai64::now())),
                _ => text = tai64::fmt_rfc3339(std::time::SystemTime::now()),
            }
            text
        });
        self.line[..self.stamp_len - 1].copy_from_slice(&now[..self.stamp_len - 1]);
        self.line[self.stamp_len - 1] = b' ';
    }

    fn gather(&mut self, bytes: &[u8]) {
        self.line[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// The window is complete: the actions run on it, and it goes to the selected directories.
    fn end_window(&mut self) {
        let line = &self.line[..self.len];
        if self.filters {
            let mut selected = true;
            for act in &self.acts {
                match act {
                    Act::Select(p) if !selected => selected = script::matches(p, line),
                    Act::Deselect(p) if selected => selected = !script::matches(p, line),
                    Act::Alert(prefix) if selected => {
                        let shown = &line[..line.len().min(ALERT)];
                        self.alerts.extend_from_slice(prefix);
                        self.alerts.extend_from_slice(shown);
                        self.alerts.extend_from_slice(if line.len() > ALERT { b"...\n" } else { b"\n" });
                    }
                    Act::Status(k) if selected => {
                        let f = &self.status[*k];
                        loop {
                            // SAFETY: pwrite from the window we own.
                            let n = unsafe { libc::pwrite(f.fd.as_raw_fd(), self.line.as_ptr().cast(), WINDOW + 1, 0) };
                            match Errno::result(n) {
                                Ok(n) if n as usize == WINDOW + 1 => break,
                                Ok(_) => (self.pause)(&[b"unable to write ", &f.name], None),
                                Err(e) => (self.pause)(&[b"unable to write ", &f.name], Some(e)),
                            }
                        }
                    }
                    Act::Dir(k) => self.dirs[*k].selected = selected,
                    Act::Select(_) | Act::Deselect(_) | Act::Alert(_) | Act::Status(_) => {}
                }
            }
        }
        for d in self.dirs.iter_mut().filter(|d| d.selected) {
            d.put(line, b"");
        }
        if !self.status.is_empty() {
            self.line[..self.len].fill(b'\n');
        }
        self.len = 0;
    }

    fn put_bytes(&mut self, bytes: &[u8]) {
        for d in self.dirs.iter_mut().filter(|d| d.selected) {
            d.put_bytes(bytes);
        }
    }

    /// Whether the input so far ended with a whole line.
    pub fn at_line_start(&self) -> bool {
        !self.in_line
    }

    /// Input bytes of the line in progress, taken so far: those that must
    /// stay in the pipe for the line to be logged whole after a kill.
    pub fn unsettled(&self) -> usize {
        if self.in_line {
            self.partial
        } else {
            0
        }
    }

    /// Everything taken so far that belongs in `current` is written there,
    /// the line in progress included.
    pub fn sync(&mut self) {
        for d in &mut self.dirs {
            d.sync();
        }
    }

    /// Every whole line taken so far that belongs in `current` is written
    /// there; the line in progress waits for its newline (or [`Multilog::sync`]).
    /// Where `current` is cut, and when it rotates, do not change.
    pub fn sync_lines(&mut self) {
        for d in &mut self.dirs {
            d.sync_lines();
        }
    }

    /// SIGALRM: every directory whose `current` holds anything is rotated.
    pub fn rotate(&mut self) {
        self.sync();
        for d in self.dirs.iter_mut().filter(|d| !d.is_empty()) {
            d.rotate();
        }
    }

    /// The next moment a directory's `current` is due for rotation by age
    /// (`t`), if any; only at the end of a line (a rotation then cuts none).
    pub fn due(&self) -> Option<Instant> {
        if self.in_line {
            return None;
        }
        self.dirs.iter().filter_map(LogDir::due).min()
    }

    /// Rotates every `current` due by `now` (see [`Multilog::due`]).
    pub fn rotate_due(&mut self, now: Instant) {
        if self.in_line {
            return;
        }
        for d in self.dirs.iter_mut().filter(|d| d.due().is_some_and(|t| t <= now)) {
            d.sync();
            d.rotate();
        }
    }

    /// End of input (or SIGTERM at the end of a line): a last line without
    /// its newline gets one, and every `current` is closed cleanly.
    pub fn finish(&mut self) {
        for d in &mut self.dirs {
            d.flush_buffer();
        }
        if self.in_line {
            if !self.rest {
                self.end_window();
            }
            self.put_bytes(b"\n");
            self.in_line = false;
            self.rest = false;
            self.partial = 0;
        }
        for d in &mut self.dirs {
            d.close();
        }
    }
}

/// The first `byte` in `s`, found by the C library's vectorised search.
pub fn memchr(byte: u8, s: &[u8]) -> Option<usize> {
    // SAFETY: memchr reads only the `s.len()` bytes of `s`.
    let p = unsafe { libc::memchr(s.as_ptr().cast(), byte as libc::c_int, s.len()) };
    (!p.is_null()).then(|| p as usize - s.as_ptr() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn no_pause(what: &[&[u8]], e: Option<Errno>) {
        panic!("paused: {:?} {e:?}", what.concat().escape_ascii().to_string());
    }

    fn logger(script: &[&str]) -> (tempfile::TempDir, Multilog) {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("main");
        let mut args: Vec<Vec<u8>> = script.iter().map(|a| a.as_bytes().to_vec()).collect();
        args.push(dir.as_os_str().as_encoded_bytes().to_vec());
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let ml =
            Multilog::new(&args, no_pause, &crate::msg::Prog::new("multilog", "")).unwrap_or_else(|f| panic!("{f:?}"));
        (t, ml)
    }

    #[test]
    fn the_line_in_progress_is_unsettled_from_its_first_byte() {
        for script in [&["t"][..], &[], &["t", "-*q*", "e"]] {
            let (t, mut ml) = logger(script);
            ml.feed(b"whole\nhalf");
            assert_eq!(ml.unsettled(), 4, "{script:?}");
            // Past the window: given to the directory, and still unsettled.
            ml.feed(&[b'h'; 2005]);
            assert_eq!(ml.unsettled(), 2009, "{script:?}");
            ml.sync_lines();
            let current = t.path().join("main/current");
            let stamp = if script.is_empty() { 0 } else { 26 };
            assert_eq!(fs::metadata(&current).unwrap().len(), stamp + 6, "{script:?}: only the whole line");
            ml.feed(b"h\nnext");
            assert_eq!(ml.unsettled(), 4, "{script:?}");
            ml.feed(b"\n");
            assert_eq!(ml.unsettled(), 0, "{script:?}");
            assert!(ml.at_line_start());
            ml.sync_lines();
            assert_eq!(fs::metadata(&current).unwrap().len(), 3 * stamp + 6 + 2011 + 5, "{script:?}");
            // A line of exactly the window, its newline to come.
            ml.feed(&vec![b'w'; WINDOW - stamp as usize]);
            assert_eq!(ml.unsettled(), WINDOW - stamp as usize, "{script:?}");
            ml.feed(b"\n");
            assert_eq!(ml.unsettled(), 0, "{script:?}");
        }
    }

    #[test]
    fn sync_writes_the_line_in_progress_too() {
        let (t, mut ml) = logger(&[]);
        ml.feed(&[b'z'; 1500]);
        ml.sync_lines();
        let current = t.path().join("main/current");
        assert_eq!(fs::metadata(&current).unwrap().len(), 0);
        ml.sync();
        assert_eq!(fs::metadata(&current).unwrap().len(), 1500);
        ml.finish();
        assert_eq!(fs::metadata(&current).unwrap().len(), 1501);
    }
}
