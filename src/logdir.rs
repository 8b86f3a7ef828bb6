//! A multilog log directory: `lock`, `current`, rotation to `@TAI64N.s`,
//! pruning to n-1 archives, and the `@TAI64N.u` rescue of a `current` that
//! an unclean stop left without its x bit.
//!
//! What is written is buffered here and reaches `current` at [`LogDir::flush`];
//! a rotation flushes, fsyncs, sets the x bit, then renames.

use crate::{sys, tai64};
use nix::errno::Errno;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// daemontools' default `s`: the size at which `current` is rotated.
pub const DEFAULT_SIZE: u64 = 99999;
/// daemontools' default `n`: files kept, `current` included.
pub const DEFAULT_COUNT: usize = 10;
/// A line that ends within this many bytes of the size rotates `current`.
const SLACK: u64 = 2000;

/// Why a step failed: what was being done (`"lock"`, `"write to"`...) and the errno.
pub type Failure = (&'static str, Errno);

fn io(what: &'static str) -> impl Fn(std::io::Error) -> Failure {
    move |e| (what, Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))
}

pub struct LogDir {
    dir: PathBuf,
    _lock: OwnedFd,
    current: File,
    buf: Vec<u8>,
    /// Bytes in `current`, buffered ones included.
    bytes: u64,
    size: u64,
    count: usize,
}

impl LogDir {
    /// Opens (making it 0700 if missing) and locks `dir`, rescues an unclean
    /// `current`, and opens `current` for appending.
    pub fn open(dir: &Path, size: u64, count: usize) -> Result<LogDir, Failure> {
        match fs::DirBuilder::new().mode(0o700).create(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(io("create")(e)),
            _ => {}
        }
        let lock_path = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(dir.join("lock").as_os_str()))
            .map_err(|_| ("open", Errno::EINVAL))?;
        let lock = sys::open_append(&lock_path).map_err(|e| ("lock", e))?;
        sys::lock(lock.as_fd(), false).map_err(|e| ("lock", e))?;

        let current = dir.join("current");
        if let Ok(m) = fs::metadata(&current) {
            if m.permissions().mode() & 0o100 == 0 && m.len() > 0 {
                fs::rename(&current, dir.join(archive_name('u'))).map_err(io("rename current in"))?;
            }
        }
        let file = open_current(&current)?;
        let bytes = file.metadata().map_err(io("stat current in"))?.len();
        Ok(LogDir {
            dir: dir.to_path_buf(),
            _lock: lock,
            current: file,
            buf: Vec::with_capacity(8192),
            bytes,
            size,
            count,
        })
    }

    /// Appends a piece of the stream. `current` is rotated before it would
    /// grow past the size (splitting a very long line), and after a line
    /// that ends within 2000 bytes of it.
    pub fn write(&mut self, mut data: &[u8]) -> Result<(), Failure> {
        while !data.is_empty() {
            if self.bytes >= self.size {
                self.rotate()?;
            }
            let room = (self.size - self.bytes) as usize;
            let n = match data.iter().position(|&b| b == b'\n') {
                Some(i) if i < room => i + 1,
                _ => room.min(data.len()),
            };
            self.buf.extend_from_slice(&data[..n]);
            self.bytes += n as u64;
            let ended_line = data[n - 1] == b'\n';
            data = &data[n..];
            if ended_line && self.bytes + SLACK > self.size {
                self.rotate()?;
            }
        }
        Ok(())
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) -> Result<(), Failure> {
        if !self.buf.is_empty() {
            self.current.write_all(&self.buf).map_err(io("write to"))?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Whether `current` holds anything.
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// Closes `current` cleanly: flushed, fsynced, mode 0744.
    fn seal(&mut self) -> Result<(), Failure> {
        self.flush()?;
        self.current.sync_all().map_err(io("fsync current in"))?;
        self.current.set_permissions(fs::Permissions::from_mode(0o744)).map_err(io("set mode of current in"))
    }

    /// Seals `current`, renames it to `@TAI64N.s`, starts a new one and prunes.
    pub fn rotate(&mut self) -> Result<(), Failure> {
        self.seal()?;
        fs::rename(self.dir.join("current"), self.dir.join(archive_name('s'))).map_err(io("rename current in"))?;
        self.current = open_current(&self.dir.join("current"))?;
        self.bytes = 0;
        self.prune()
    }

    /// Removes the oldest archives until n-1 remain.
    fn prune(&self) -> Result<(), Failure> {
        let mut archives: Vec<_> = fs::read_dir(&self.dir)
            .map_err(io("read"))?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .filter(|n| n.to_str().is_some_and(|n| n.starts_with('@')))
            .collect();
        archives.sort();
        let excess = archives.len().saturating_sub(self.count - 1);
        for name in &archives[..excess] {
            fs::remove_file(self.dir.join(name)).map_err(io("remove old file in"))?;
        }
        Ok(())
    }

    /// The end: `current` sealed, as after a clean stop.
    pub fn close(&mut self) -> Result<(), Failure> {
        self.seal()
    }
}

fn open_current(path: &Path) -> Result<File, Failure> {
    let f = OpenOptions::new().append(true).create(true).mode(0o644).open(path).map_err(io("open current in"))?;
    f.set_permissions(fs::Permissions::from_mode(0o644)).map_err(io("set mode of current in"))?;
    Ok(f)
}

/// `@` + the label of now + `.` + suffix.
fn archive_name(suffix: char) -> String {
    let label = tai64::fmt_label(tai64::now());
    format!("{}.{suffix}", std::str::from_utf8(&label).unwrap())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn rotates_prunes_and_seals() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("main");
        let mut d = LogDir::open(&dir, 4096, 3).unwrap();
        let line = [b'x'; 999];
        for _ in 0..10 {
            d.write(&line).unwrap();
            d.write(b"\n").unwrap();
            d.flush().unwrap();
        }
        d.close().unwrap();
        let f = files(&dir);
        let archives: Vec<_> = f.iter().filter(|(n, ..)| n.starts_with('@')).collect();
        assert_eq!(archives.len(), 2, "n3 keeps two archives: {f:?}");
        for (name, len, mode) in archives {
            assert!(name.ends_with(".s"));
            assert_eq!((*len, *mode), (3000, 0o744), "three 1000-byte lines, as daemontools");
        }
        assert!(f.contains(&("current".into(), 1000, 0o744)), "{f:?}");
        assert_eq!(fs::metadata(dir.join("lock")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    }

    #[test]
    fn a_long_line_is_split_at_the_size() {
        let t = tempfile::tempdir().unwrap();
        let mut d = LogDir::open(t.path(), 4096, 50).unwrap();
        d.write(&[b'y'; 9000]).unwrap();
        d.write(b"\n").unwrap();
        d.close().unwrap();
        let sizes: Vec<u64> = files(t.path()).iter().filter(|(n, ..)| n.starts_with('@')).map(|f| f.1).collect();
        assert_eq!(sizes, vec![4096, 4096]);
        assert_eq!(fs::metadata(t.path().join("current")).unwrap().len(), 809);
    }

    #[test]
    fn unclean_current_becomes_u_clean_one_is_continued() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("current"), "left by a crash\n").unwrap();
        let mut d = LogDir::open(t.path(), DEFAULT_SIZE, DEFAULT_COUNT).unwrap();
        d.write(b"next\n").unwrap();
        d.close().unwrap();
        drop(d);
        let f = files(t.path());
        let u: Vec<_> = f.iter().filter(|(n, ..)| n.ends_with(".u")).collect();
        assert_eq!(u.len(), 1);
        assert_eq!(fs::read_to_string(t.path().join(&u[0].0)).unwrap(), "left by a crash\n");
        let mut d = LogDir::open(t.path(), DEFAULT_SIZE, DEFAULT_COUNT).unwrap();
        d.write(b"more\n").unwrap();
        d.close().unwrap();
        assert_eq!(fs::read_to_string(t.path().join("current")).unwrap(), "next\nmore\n");
    }

    #[test]
    fn the_lock_is_exclusive() {
        let t = tempfile::tempdir().unwrap();
        let _d = LogDir::open(t.path(), DEFAULT_SIZE, DEFAULT_COUNT).unwrap();
        assert_eq!(LogDir::open(t.path(), DEFAULT_SIZE, DEFAULT_COUNT).err(), Some(("lock", Errno::EAGAIN)));
    }
}
