//! Reading multilog's log directories, for `svlog` and `svlogfwd`: the
//! files of a directory in order (the archives `@LABEL.s` and `@LABEL.u` by
//! name, then `current`), read as one stream, as `cat @* current` would
//! (a line that a rotation cut goes on in the next file); where a time
//! falls in it, found from the archives' names and a binary search inside
//! one file, never by reading what comes before; the last lines, found by
//! reading backwards; lines one at a time with where each ends ([`Place`]);
//! the merge of several directories by time; and the text `svlog` prints
//! for a line (as `tai64nlocal`, or one JSON object).
//!
//! An archive's name is the time it was made, so no line in it is later
//! than its name (with a clock that only goes forward): the lines from a
//! time on begin in the first archive named at or after it. Inside a file
//! the labels grow; after a clock that jumped back they do not, and then a
//! search lands on one of the places where the time is crossed, and the
//! lines from there are printed in file order, as they stand. Lines without
//! a stamp are never where a search stops: they go with the line before.

use crate::sys;
use crate::tai64::{self, Tai64N};
use nix::errno::Errno;
use std::ffi::{CStr, CString};
use std::ops::Range;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// A file of a log directory, opened.
pub struct LogFile {
    /// Its name in the directory.
    pub name: CString,
    /// The label of an archive's name; None for `current` and `previous`.
    pub label: Option<Tai64N>,
    pub fd: OwnedFd,
    /// Its length when opened: what is read of it (but for a followed `current`).
    pub len: u64,
    pub ino: Ino,
}

/// A file's identity: device and inode.
pub type Ino = (u64, u64);

/// A place in a directory's stream: a file of [`Source::files`] and an
/// offset in it. [`Source::norm`] makes the end of a file the start of the
/// next, so that places compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub file: usize,
    pub off: u64,
}

/// A log directory, its files opened at once (so that a rotation while it
/// is read loses and doubles nothing).
pub struct Source {
    /// As given on the command line.
    pub given: Vec<u8>,
    /// The log directory: `given`, or `given/log/main` for a service directory.
    pub path: Vec<u8>,
    pub dir: OwnedFd,
    /// The archives by name, then `previous` and `current` if they are there.
    pub files: Vec<LogFile>,
    pub has_current: bool,
    /// Files that are there but could not be opened, with why.
    pub unreadable: Vec<(Vec<u8>, Errno)>,
}

const CURRENT: &CStr = c"current";
const PREVIOUS: &CStr = c"previous";
const RDONLY: i32 = libc::O_RDONLY | libc::O_NONBLOCK;

/// A file's identity and length; a directory or another file that is not
/// a regular one cannot be read as a log.
fn ino_of(fd: BorrowedFd) -> Result<(Ino, u64), Errno> {
    let st = nix::sys::stat::fstat(fd)?;
    match st.st_mode & libc::S_IFMT {
        libc::S_IFREG => Ok(((st.st_dev, st.st_ino), st.st_size as u64)),
        libc::S_IFDIR => Err(Errno::EISDIR),
        _ => Err(Errno::EINVAL),
    }
}

/// The archives in the log directory `dir`, by name (which is by label:
/// the labels' hex digits are lowercase, of one width), with their labels.
pub fn archive_names(dir: BorrowedFd) -> Result<Vec<(CString, Tai64N)>, Errno> {
    let flags = nix::fcntl::OFlag::O_RDONLY;
    let listing = nix::dir::Dir::openat(dir, c".", flags, nix::sys::stat::Mode::empty())?;
    let mut names = Vec::new();
    for entry in listing {
        let name = entry?.file_name().to_owned();
        if let Some(label) = archive_label(name.to_bytes()) {
            names.push((name, label));
        }
    }
    names.sort();
    Ok(names)
}

/// The label of an archive's name: `@`, 24 lowercase hex digits, `.s` or `.u`.
pub fn archive_label(name: &[u8]) -> Option<Tai64N> {
    match name {
        [head @ .., b'.', b's' | b'u'] if head.len() == tai64::LABEL_LEN => tai64::label_at(head),
        _ => None,
    }
}

impl Source {
    /// Opens a log directory (a service directory with `log/main` stands for
    /// that): `current` first, then `previous`, then the archives; the
    /// `current` just opened is left out of the archives if renamed
    /// meanwhile, and `previous` if it became one of them. `previous` is the
    /// last `current` in the middle of its rotation (multilog renames
    /// `current` to it, makes a new `current`, then links it to its
    /// archive's name, or runs the processor on it, and removes it): its
    /// lines come after the archives' and before `current`'s, and a reader
    /// that came at that moment would not see them otherwise. An archive
    /// gone meanwhile (pruned) is left out; one that cannot be opened is noted.
    pub fn open(given: &[u8]) -> Result<Source, (Vec<u8>, Errno)> {
        let mut path = given.to_vec();
        let mut log_main = given.to_vec();
        log_main.extend_from_slice(b"/log/main");
        let c = |p: &[u8]| CString::new(p).map_err(|_| (p.to_vec(), Errno::EINVAL));
        if sys::open_read_dir(&c(&log_main)?).is_ok() {
            path = log_main;
        }
        let dir = sys::open_read_dir(&c(&path)?).map_err(|e| (path.clone(), e))?;
        let mut unreadable = Vec::new();
        let named = |name: &[u8]| [&path[..], b"/", name].concat();
        let current = match sys::open_at(dir.as_fd(), CURRENT, RDONLY, 0) {
            Ok(fd) => Some(fd),
            Err(Errno::ENOENT) => None,
            Err(e) => {
                unreadable.push((named(b"current"), e));
                None
            }
        };
        let current = match current.map(|fd| ino_of(fd.as_fd()).map(|i| (fd, i))).transpose() {
            Ok(c) => c,
            Err(e) => {
                unreadable.push((named(b"current"), e));
                None
            }
        };
        // Opened before the archives are listed: linked to its archive's
        // name before the listing, it is in it; after, it is still ours.
        let previous = sys::open_at(dir.as_fd(), PREVIOUS, RDONLY, 0)
            .ok()
            .and_then(|fd| ino_of(fd.as_fd()).ok().map(|i| (fd, i)))
            .filter(|(_, (ino, _))| current.as_ref().is_none_or(|(_, (c, _))| c != ino));
        let names = archive_names(dir.as_fd()).map_err(|e| (path.clone(), e))?;
        let mut files = Vec::with_capacity(names.len() + 1);
        for (name, label) in names {
            let fd = match sys::open_at(dir.as_fd(), &name, RDONLY, 0) {
                Ok(fd) => fd,
                Err(Errno::ENOENT) => continue,
                Err(e) => {
                    unreadable.push((named(name.to_bytes()), e));
                    continue;
                }
            };
            let (ino, len) = match ino_of(fd.as_fd()) {
                Ok(i) => i,
                Err(e) => {
                    unreadable.push((named(name.to_bytes()), e));
                    continue;
                }
            };
            if current.as_ref().is_some_and(|(_, (i, _))| *i == ino) {
                continue;
            }
            files.push(LogFile { name, label: Some(label), fd, len, ino });
        }
        if let Some((fd, (ino, len))) = previous {
            // Unless it is an archive already.
            if !files.iter().any(|f| f.ino == ino) {
                files.push(LogFile { name: PREVIOUS.to_owned(), label: None, fd, len, ino });
            }
        }
        let has_current = current.is_some();
        if let Some((fd, (ino, len))) = current {
            files.push(LogFile { name: CURRENT.to_owned(), label: None, fd, len, ino });
        }
        Ok(Source { given: given.to_vec(), path, dir, files, has_current, unreadable })
    }

    /// The place `p` in the stream, if its file is still one of ours.
    pub fn pos_of(&self, p: Place) -> Option<Pos> {
        let file = self.files.iter().position(|f| f.ino == p.ino && p.off <= f.len)?;
        Some(self.norm(Pos { file, off: p.off }))
    }

    /// The end of the stream.
    pub fn end(&self) -> Pos {
        Pos { file: self.files.len(), off: 0 }
    }

    /// The same place, at the start of the next file if at the end of one.
    pub fn norm(&self, mut p: Pos) -> Pos {
        while p.file < self.files.len() && p.off >= self.files[p.file].len {
            p = Pos { file: p.file + 1, off: 0 };
        }
        p
    }

    fn pread(&self, file: usize, off: u64, buf: &mut [u8]) -> usize {
        let f = &self.files[file];
        let want = buf.len().min(f.len.saturating_sub(off) as usize);
        let mut got = 0;
        while got < want {
            match sys::pread(f.fd.as_fd(), &mut buf[got..want], off + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                // A file that cannot be read any further ends here (truncated, an I/O error).
                Err(_) => break,
            }
        }
        got
    }

    /// The start of the first line that begins at or after `from` in `file`
    /// (its length if none does).
    fn line_start(&self, file: usize, from: u64, buf: &mut [u8]) -> u64 {
        if from == 0 {
            return 0;
        }
        let mut at = from - 1;
        loop {
            let n = self.pread(file, at, buf);
            if n == 0 {
                return self.files[file].len;
            }
            if let Some(i) = crate::multilog::memchr(b'\n', &buf[..n]) {
                return at + i as u64 + 1;
            }
            at += n as u64;
        }
    }

    /// The stamp of the line starting at `start` in `file`, and where the next begins.
    fn line_at(&self, file: usize, start: u64, buf: &mut [u8]) -> (Option<Tai64N>, u64) {
        let n = self.pread(file, start, buf);
        let stamp = tai64::line_stamp(&buf[..n]).map(|(t, _)| t);
        match crate::multilog::memchr(b'\n', &buf[..n]) {
            Some(i) => (stamp, start + i as u64 + 1),
            None => (stamp, self.line_start(file, start + n as u64 + 1, buf).max(start + n as u64)),
        }
    }

    /// The first line in `file` from `lo` (a line's start) whose stamp
    /// meets `pred` (false, then true, as the stamps grow): a binary search
    /// down to 64 KiB, then a look line by line.
    fn first_in(&self, file: usize, mut lo: u64, pred: &dyn Fn(Tai64N) -> bool) -> u64 {
        let mut buf = vec![0u8; 4096];
        let len = self.files[file].len;
        let mut hi = len;
        while hi > lo && hi - lo > 65536 {
            let mid = lo + (hi - lo) / 2;
            let mut at = self.line_start(file, mid, &mut buf);
            let mut found = None;
            while at < hi {
                let (stamp, next) = self.line_at(file, at, &mut buf);
                if let Some(t) = stamp {
                    found = Some((t, next));
                    break;
                }
                at = next;
            }
            match found {
                Some((t, next)) if !pred(t) => lo = next,
                _ => hi = mid,
            }
        }
        let mut at = lo;
        while at < len {
            let (stamp, next) = self.line_at(file, at, &mut buf);
            if stamp.is_some_and(pred) {
                return at;
            }
            at = next;
        }
        len
    }

    /// The first line of the stream whose stamp meets `pred`: the archives
    /// before the first whose name meets it hold none.
    fn first_where(&self, pred: &dyn Fn(Tai64N) -> bool) -> Pos {
        let Some(first) = self.files.iter().position(|f| f.label.is_none_or(pred)) else {
            return self.end();
        };
        // Not in that file (its lines are all earlier): in the next with one that is.
        for file in first..self.files.len() {
            let off = self.first_in(file, 0, pred);
            if off < self.files[file].len {
                return Pos { file, off };
            }
        }
        self.end()
    }

    /// Where the lines stamped at or after `t` begin.
    pub fn since(&self, t: Tai64N) -> Pos {
        self.first_where(&|s| s >= t)
    }

    /// Where the lines stamped after `t` begin: the end of those up to `t`.
    pub fn until(&self, t: Tai64N) -> Pos {
        self.first_where(&|s| s > t)
    }

    /// Where the last `n` lines before `end` begin, not before `from`; a
    /// last line without its newline counts.
    pub fn last_lines(&self, n: usize, from: Pos, end: Pos) -> Pos {
        let mut buf = vec![0u8; 65536];
        let mut need = n;
        let mut first = true;
        let mut p = end;
        // Backwards over the files, from `end`.
        while p > from {
            let (file, upto) = match p.off {
                0 => (p.file - 1, self.files[p.file - 1].len),
                off => (p.file, off),
            };
            let low = if file == from.file { from.off } else { 0 };
            let take = (upto - low).min(buf.len() as u64);
            if take == 0 {
                p = Pos { file, off: 0 };
                continue;
            }
            let at = upto - take;
            let got = self.pread(file, at, &mut buf[..take as usize]);
            if got < take as usize {
                // Shorter than it was: take it as ending there.
                p = Pos { file, off: at + got as u64 };
                if got == 0 {
                    p = Pos { file, off: 0 };
                }
                continue;
            }
            let chunk = &buf[..got];
            if first {
                first = false;
                if chunk.last() == Some(&b'\n') {
                    need += 1;
                }
            }
            if need == 0 {
                return self.norm(end);
            }
            for i in (0..got).rev() {
                if chunk[i] == b'\n' {
                    need -= 1;
                    if need == 0 {
                        return self.norm(Pos { file, off: at + i as u64 + 1 });
                    }
                }
            }
            p = Pos { file, off: at };
        }
        self.norm(from)
    }

    /// Where the whole lines before `end` end: `end`, or the start of a
    /// last line without its newline.
    pub fn whole_end(&self, from: Pos, end: Pos) -> Pos {
        let last = self.last_lines(1, from, end);
        if last == self.norm(end) || self.ends_with_newline(end) {
            self.norm(end)
        } else {
            last
        }
    }

    fn ends_with_newline(&self, end: Pos) -> bool {
        let (file, off) = match end.off {
            0 if end.file == 0 => return true,
            0 => (end.file - 1, self.files[end.file - 1].len),
            off => (end.file, off),
        };
        let mut b = [0u8; 1];
        off == 0 || (self.pread(file, off - 1, &mut b) == 1 && b[0] == b'\n')
    }
}

/// Where a line ends: the file its newline is in, and the offset after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    pub ino: Ino,
    pub off: u64,
}

/// Lines out of a run of byte pieces, each with the [`Place`] it ends at.
pub struct LineBuf {
    buf: Vec<u8>,
    /// `buf[start..]` is not yet taken.
    start: usize,
    /// Where each piece ends in `buf`, with the place of its last byte's successor.
    marks: Vec<(usize, Place)>,
}

impl Default for LineBuf {
    fn default() -> LineBuf {
        LineBuf { buf: Vec::with_capacity(1 << 20), start: 0, marks: Vec::new() }
    }
}

impl LineBuf {
    /// Room for at least `want` more bytes at the end, the bytes taken
    /// dropped first; write into it and call [`LineBuf::filled`].
    pub fn room(&mut self, want: usize) -> &mut [u8] {
        if self.start > 0 {
            self.buf.drain(..self.start);
            // The pieces taken whole go; the others move down with the bytes.
            let start = self.start;
            self.marks.retain(|m| m.0 > start);
            for m in &mut self.marks {
                m.0 -= start;
            }
            self.start = 0;
        }
        let len = self.buf.len();
        self.buf.resize(len + want, 0);
        &mut self.buf[len..]
    }

    /// `n` bytes of [`LineBuf::room`] are filled; they end at `place`.
    pub fn filled(&mut self, want: usize, n: usize, place: Place) {
        let len = self.buf.len() - want + n;
        self.buf.truncate(len);
        if n > 0 {
            self.marks.push((len, place));
        }
    }

    /// The next whole line (with its newline), as a range of
    /// [`LineBuf::bytes`], and where it ends.
    pub fn line(&mut self) -> Option<(Range<usize>, Place)> {
        let i = self.start + crate::multilog::memchr(b'\n', &self.buf[self.start..])?;
        let line = self.start..i + 1;
        self.start = i + 1;
        let (end, place) = *self.marks.iter().find(|m| m.0 > i)?;
        Some((line, Place { off: place.off - (end - (i + 1)) as u64, ..place }))
    }

    /// The bytes of a line [`LineBuf::line`] gave, until the next [`LineBuf::room`].
    pub fn bytes(&self, r: Range<usize>) -> &[u8] {
        &self.buf[r]
    }

    /// What is left: a line without its newline.
    pub fn rest(&mut self) -> &[u8] {
        let rest = &self.buf[self.start..];
        self.start = self.buf.len();
        rest
    }

    /// Whether a line is begun and not ended.
    pub fn has_rest(&self) -> bool {
        self.start < self.buf.len()
    }
}

/// The lines of a part of a directory's stream, in order.
pub struct Lines<'a> {
    src: &'a Source,
    at: Pos,
    to: Pos,
    buf: LineBuf,
    /// The key of the last stamped line (the merge's order), or None.
    pub key: Option<Tai64N>,
    /// A last line without its newline, given one.
    head: Vec<u8>,
    /// Where the last whole line given ends.
    pub place: Option<Place>,
}

/// How much is read at a time.
const CHUNK: usize = 1 << 20;

impl<'a> Lines<'a> {
    pub fn new(src: &'a Source, from: Pos, to: Pos) -> Lines<'a> {
        Lines {
            src,
            at: src.norm(from),
            to: src.norm(to),
            buf: LineBuf::default(),
            key: None,
            head: Vec::new(),
            place: None,
        }
    }

    /// The next line, with its newline (one is added to a last line
    /// without), or None at the end.
    pub fn next_line(&mut self) -> Option<&[u8]> {
        loop {
            if let Some((r, place)) = self.buf.line() {
                self.place = Some(place);
                return Some(self.buf.bytes(r));
            }
            if self.at >= self.to {
                if !self.buf.has_rest() {
                    return None;
                }
                self.head.clear();
                self.head.extend_from_slice(self.buf.rest());
                self.head.push(b'\n');
                return Some(&self.head);
            }
            let f = &self.src.files[self.at.file];
            let end = if self.at.file == self.to.file { self.to.off } else { f.len };
            let want = CHUNK.min((end - self.at.off) as usize);
            let room = self.buf.room(want);
            let n = self.src.pread(self.at.file, self.at.off, room);
            self.at.off += n as u64;
            self.buf.filled(want, n, Place { ino: f.ino, off: self.at.off });
            if n < want {
                // Shorter than when opened: on to the next file.
                self.at = Pos { file: self.at.file + 1, off: 0 };
            }
            self.at = self.src.norm(self.at);
        }
    }
}

/// What `svlog` prints for a line (with its newline): the line as
/// `tai64nlocal` prints it, or one JSON object.
pub struct Printer {
    local: tai64::Localizer,
    pub json: bool,
}

impl Printer {
    pub fn new(json: bool) -> Printer {
        Printer { local: tai64::Localizer::default(), json }
    }

    /// Appends the text of `line` (newline included) of the directory `given`.
    pub fn line(&mut self, given: &[u8], line: &[u8], out: &mut Vec<u8>) {
        if !self.json {
            return self.local.put_head(line, out);
        }
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let (time, text) = match tai64::line_stamp(body) {
            Some((t, len)) => {
                let rest = &body[len..];
                (Some(t), rest.strip_prefix(b" ").unwrap_or(rest))
            }
            None => (None, body),
        };
        out.extend_from_slice(b"{\"time\":");
        match time {
            Some(t) => {
                use std::io::Write;
                let text = humantime::format_rfc3339_nanos(tai64::to_system_time(t).max(std::time::UNIX_EPOCH));
                let _ = write!(out, "\"{text}\"");
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"dir\":");
        json_string(given, out);
        out.extend_from_slice(b",\"text\":");
        json_string(text, out);
        out.extend_from_slice(b"}\n");
    }
}

/// Appends `bytes` as a JSON string: quoted, escaped, bytes that are not
/// UTF-8 replaced by U+FFFD.
pub fn json_string(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for chunk in bytes.utf8_chunks() {
        for &b in chunk.valid().as_bytes() {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0..0x20 | 0x7f => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
                }
                _ => out.push(b),
            }
        }
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
    out.push(b'"');
}

/// The key a line sorts by in a merge: its stamp, or the key of the line
/// before it in its directory (None before any stamp: first).
pub fn key_of(line: &[u8], before: Option<Tai64N>) -> Option<Tai64N> {
    tai64::line_stamp(line).map(|(t, _)| t).or(before)
}

/// What is done with each line of a merge: its stream's index, the line.
pub type EachMerged<'a, E> = dyn FnMut(usize, &[u8]) -> Result<(), E> + 'a;

/// Merges the lines of several streams by their keys, stably: of the
/// heads, the one with the least key goes first, the first stream's on a
/// tie; each stream's lines stay in its order, whatever their stamps.
/// `each` gets the stream's index and the line; its error ends the merge.
pub fn merge<E>(streams: &mut [Lines], each: &mut EachMerged<E>) -> Result<(), E> {
    let mut heads: Vec<Option<(Option<Tai64N>, Vec<u8>)>> = Vec::with_capacity(streams.len());
    let refill = |s: &mut Lines, slot: &mut Option<(Option<Tai64N>, Vec<u8>)>| {
        let mut buf = slot.take().map(|(_, b)| b).unwrap_or_default();
        let before = s.key;
        if let Some(line) = s.next_line() {
            let key = key_of(line, before);
            buf.clear();
            buf.extend_from_slice(line);
            s.key = key;
            *slot = Some((key, buf));
        }
    };
    for s in streams.iter_mut() {
        let mut slot = None;
        refill(s, &mut slot);
        heads.push(slot);
    }
    loop {
        let mut best: Option<usize> = None;
        for (i, h) in heads.iter().enumerate() {
            if let Some((key, _)) = h {
                if best.is_none_or(|b| heads[b].as_ref().is_some_and(|(k, _)| key < k)) {
                    best = Some(i);
                }
            }
        }
        let Some(i) = best else { return Ok(()) };
        if let Some((_, line)) = &heads[i] {
            each(i, line)?;
        }
        refill(&mut streams[i], &mut heads[i]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tai64::{fmt_label, Tai64};
    use std::fs;

    fn at(secs: u64) -> Tai64N {
        Tai64N(Tai64((1 << 62) + 10 + secs), 0)
    }

    fn line(secs: u64, text: &str) -> String {
        format!("{} {text}\n", String::from_utf8(fmt_label(at(secs)).to_vec()).unwrap())
    }

    /// A log directory: archives named by `(name secs, lines)`, then `current`.
    fn logdir(archives: &[(u64, &[(u64, &str)])], current: &[(u64, &str)]) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let text = |lines: &[(u64, &str)]| lines.iter().map(|(s, l)| line(*s, l)).collect::<String>();
        for (name, lines) in archives {
            let label = String::from_utf8(fmt_label(at(*name)).to_vec()).unwrap();
            fs::write(t.path().join(format!("{label}.s")), text(lines)).unwrap();
        }
        fs::write(t.path().join("current"), text(current)).unwrap();
        t
    }

    fn open(t: &tempfile::TempDir) -> Source {
        Source::open(t.path().as_os_str().as_encoded_bytes()).unwrap()
    }

    fn texts(src: &Source, from: Pos, to: Pos) -> Vec<String> {
        let mut lines = Lines::new(src, from, to);
        let mut v = Vec::new();
        while let Some(l) = lines.next_line() {
            let l = String::from_utf8_lossy(l);
            v.push(l.trim_end().rsplit(' ').next().unwrap().to_string());
        }
        v
    }

    #[test]
    fn files_in_order_and_archive_names() {
        let t = logdir(&[(20, &[(15, "b")]), (10, &[(5, "a")])], &[(25, "c")]);
        fs::write(t.path().join("@nonsense.s"), "x\n").unwrap();
        fs::write(t.path().join("state"), "").unwrap();
        let src = open(&t);
        assert_eq!(texts(&src, Pos { file: 0, off: 0 }, src.end()), ["a", "b", "c"]);
        assert_eq!(
            archive_label(b"@400000003b4a39c23294b13c.u"),
            Some(Tai64N(Tai64(0x4000_0000_3b4a_39c2), 0x3294_b13c))
        );
        assert_eq!(archive_label(b"@400000003b4a39c23294b13c.x"), None);
        assert_eq!(archive_label(b"@400000003B4A39C23294B13C.s"), None);
    }

    /// Many lines, in several archives: every second from 0 to 9999, 1000 a file.
    fn many() -> tempfile::TempDir {
        let lines: Vec<(u64, String)> = (0..10_000).map(|s| (s, format!("n{s}"))).collect();
        let refs: Vec<(u64, &str)> = lines.iter().map(|(s, l)| (*s, l.as_str())).collect();
        let archives: Vec<(u64, &[(u64, &str)])> =
            (0..9).map(|k| (k * 1000 + 999, &refs[k as usize * 1000..][..1000])).collect();
        logdir(&archives, &refs[9000..])
    }

    #[test]
    fn since_and_until_by_names_and_binary_search() {
        let t = many();
        let src = open(&t);
        for s in [0, 1, 999, 1000, 4321, 8999, 9000, 9500, 9999] {
            let from = src.since(at(s));
            assert_eq!(texts(&src, from, src.end())[0], format!("n{s}"), "since {s}");
            let to = src.until(at(s));
            assert_eq!(texts(&src, Pos { file: 0, off: 0 }, to).last().unwrap(), &format!("n{s}"), "until {s}");
        }
        assert_eq!(src.since(at(10_000)), src.end());
        assert_eq!(src.until(at(10_000)), src.end());
        assert_eq!(texts(&src, src.since(at(4000)), src.until(at(4002))), ["n4000", "n4001", "n4002"]);
    }

    #[test]
    fn the_last_lines_backwards() {
        let t = many();
        let src = open(&t);
        let zero = Pos { file: 0, off: 0 };
        assert_eq!(texts(&src, src.last_lines(3, zero, src.end()), src.end()), ["n9997", "n9998", "n9999"]);
        assert_eq!(src.last_lines(0, zero, src.end()), src.end());
        let across = texts(&src, src.last_lines(1500, zero, src.end()), src.end());
        assert_eq!((across.len(), across[0].as_str()), (1500, "n8500"));
        assert_eq!(src.last_lines(20_000, zero, src.end()), zero);
        let from = src.since(at(9998));
        assert_eq!(texts(&src, src.last_lines(5, from, src.end()), src.end()), ["n9998", "n9999"]);
        // A last line without its newline counts, and is not where following starts.
        let t = logdir(&[], &[(1, "a")]);
        fs::OpenOptions::new().append(true).open(t.path().join("current")).unwrap().write_all(b"partial").unwrap();
        let src = open(&t);
        assert_eq!(texts(&src, src.last_lines(1, zero, src.end()), src.end()), ["partial"]);
        assert_eq!(src.whole_end(zero, src.end()), Pos { file: 0, off: 28 });
    }

    use std::io::Write;

    #[test]
    fn a_line_cut_by_a_rotation_is_whole_and_garbage_goes_with_the_line_before() {
        let t = logdir(&[], &[]);
        let label = String::from_utf8(fmt_label(at(10)).to_vec()).unwrap();
        fs::write(t.path().join(format!("{label}.s")), format!("{}x", line(5, "a").trim_end_matches('\n'))).unwrap();
        fs::write(t.path().join("current"), format!("yz\nno label\n{}", line(20, "b"))).unwrap();
        let src = open(&t);
        let mut lines = Lines::new(&src, Pos { file: 0, off: 0 }, src.end());
        assert!(lines.next_line().unwrap().ends_with(b" axyz\n"));
        assert_eq!(lines.next_line().unwrap(), b"no label\n");
        assert_eq!(key_of(b"no label\n", Some(at(5))), Some(at(5)));
        // A search never stops at a line without a stamp.
        assert_eq!(texts(&src, src.since(at(6)), src.end()), ["b"]);
    }

    #[test]
    fn places_across_pieces_taken_in_any_order() {
        let mut b = LineBuf::default();
        let ino = (1, 2);
        let feed = |b: &mut LineBuf, bytes: &[u8], end: u64| {
            let room = b.room(bytes.len());
            room.copy_from_slice(bytes);
            b.filled(bytes.len(), bytes.len(), Place { ino, off: end });
        };
        feed(&mut b, b"one\ntw", 6);
        assert_eq!(b.line().map(|(_, p)| p.off), Some(4));
        assert!(b.line().is_none());
        feed(&mut b, b"o\nthr", 11);
        feed(&mut b, b"ee\nfour\n", 19);
        let offs: Vec<u64> = std::iter::from_fn(|| b.line().map(|(_, p)| p.off)).collect();
        assert_eq!(offs, [8, 14, 19]);
        feed(&mut b, b"five", 23);
        assert!(b.line().is_none() && b.has_rest());
        feed(&mut b, b"\n", 24);
        let (r, p) = b.line().unwrap();
        assert_eq!((b.bytes(r), p.off), (&b"five\n"[..], 24));
    }

    #[test]
    fn the_merge_is_by_time_and_stable() {
        // The second directory's clock jumped back: its lines keep their order.
        let a = logdir(&[], &[(1, "a1"), (3, "a3"), (5, "a5")]);
        let b = logdir(&[], &[(2, "b2"), (3, "b3"), (0, "b0"), (4, "b4")]);
        let (a, b) = (open(&a), open(&b));
        let zero = Pos { file: 0, off: 0 };
        let mut streams = [Lines::new(&a, zero, a.end()), Lines::new(&b, zero, b.end())];
        let mut got = Vec::new();
        logread_merge(&mut streams, &mut got);
        assert_eq!(got, ["0 a1", "1 b2", "0 a3", "1 b3", "1 b0", "1 b4", "0 a5"]);
    }

    fn logread_merge(streams: &mut [Lines], got: &mut Vec<String>) {
        merge::<()>(streams, &mut |i, l| {
            got.push(format!("{i} {}", String::from_utf8_lossy(l).trim_end().rsplit(' ').next().unwrap()));
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn json_and_text() {
        let mut out = Vec::new();
        let mut p = Printer::new(true);
        p.line(b"web", line(1_795_288_126, "say \"hi\"\t\x01").as_bytes(), &mut out);
        p.line(b"w\xffb", b"no stamp \xff\n", &mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "{\"time\":\"2026-11-21T19:08:46.000000000Z\",\"dir\":\"web\",\"text\":\"say \\\"hi\\\"\\t\\u0001\"}\n\
             {\"time\":null,\"dir\":\"w\u{fffd}b\",\"text\":\"no stamp \u{fffd}\"}\n"
        );
        let mut out = Vec::new();
        Printer::new(false).line(b"x", b"2026-11-21T19:08:46.766450Z as it is\n", &mut out);
        assert_eq!(out, b"2026-11-21T19:08:46.766450Z as it is\n");
    }
}
