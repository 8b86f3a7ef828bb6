//! The service directory, reached one way: [`ServiceDir`] holds its
//! descriptor, and every file in it (`down`, `supervise/ok`,
//! `supervise/status`, `supervise/info`, `supervise/control`, `log/`) is
//! reached through `*at` calls relative to it (s6's `open2_at`).
//!
//! daemontools' svc, svstat and svok chdir into each directory; their
//! messages (`unable to chdir to DIR`) say so, and chdir needs search
//! permission on the directory, not read permission. [`ServiceDir::open`]
//! asks the same: a directory of mode 0111 opens, one of 0666 is `access
//! denied`, as chdir would say.
//!
//! supervise itself still chdirs ([`enter`], [`normally_up`]): its `./run`
//! runs there.

mod look;
mod needs;
mod wary;

pub use look::{LookError, Seen};
pub use needs::{Need, Target, NEEDS};
use wary::{control_in, lock_holder, supervised_in};
pub use wary::{control_of, open_dir_at, open_fifo_write_at, DirError};

use crate::control::SendError;
use crate::status::Status;
use crate::supervise::Info;
use crate::sys;
use nix::errno::Errno;
use std::ffi::{CStr, CString, OsStr};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

pub const RUN: &CStr = c"./run";
pub const DOWN: &CStr = c"down";
pub const SUPERVISE: &CStr = c"supervise";

/// Names the files inside `supervise/` once each, and makes from each name
/// its two paths: `inside::NAME` relative to `supervise/` itself (supervise
/// and svscan reach them through its descriptor) and `NAME`, that is
/// `supervise/NAME`, relative to the service directory ([`ServiceDir`]).
macro_rules! supervise_files {
    ($($(#[$doc:meta])* $name:ident = $file:literal;)*) => {
        /// The files inside `supervise/`, for those who reach them through
        /// its descriptor (supervise itself, svscan).
        pub mod inside {
            use std::ffi::CStr;
            $($(#[$doc])* pub const $name: &CStr = super::cstr(concat!($file, "\0"));)*
        }
        $($(#[$doc])* pub const $name: &CStr = cstr(concat!("supervise/", $file, "\0"));)*
    };
}

supervise_files! {
    LOCK = "lock";
    CONTROL = "control";
    OK = "ok";
    STATUS = "status";
    STATUS_NEW = "status.new";
    /// Beside the 18-byte status: what daemontools' format has no room for (`svstat -j`).
    INFO = "info";
    INFO_NEW = "info.new";
    /// The waiters' FIFOs (see `waiting`).
    EVENT = "event";
}

/// A file name ending in its NUL, as a C string (for `supervise_files`).
const fn cstr(name: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(name.as_bytes()) {
        Ok(name) => name,
        Err(_) => panic!("a file name with a NUL inside"),
    }
}

/// The directory a program started in, which relative service directories
/// are resolved against. daemontools' svc and svstat open it (to come back
/// to it after each chdir) and stop when they cannot: `unable to open
/// current directory`.
pub struct Origin(OwnedFd);

impl Origin {
    pub fn open() -> Result<Origin, Errno> {
        sys::open_read(c".").map(Origin)
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

/// Enters a service directory (supervise, whose `./run` runs there).
pub fn enter(dir: &OsStr) -> Result<(), Errno> {
    nix::unistd::chdir(dir)
}

/// Whether the service in the current directory is normally up (supervise's):
/// see [`ServiceDir::normally_up`].
pub fn normally_up() -> Result<bool, Errno> {
    down_to_normally_up(nix::sys::stat::stat(DOWN).map(drop))
}

/// It is unless `down` exists.
fn down_to_normally_up(down: Result<(), Errno>) -> Result<bool, Errno> {
    match down {
        Ok(()) => Ok(false),
        Err(Errno::ENOENT) => Ok(true),
        Err(e) => Err(e),
    }
}

/// Why `supervise/status` could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusError {
    Open(Errno),
    Read(Errno),
    /// Fewer than 18 bytes.
    BadFormat,
}

/// The most `supervise/info` may hold; what is past it is not read.
const INFO_MAX: usize = 4096;

/// How many times a status and an info that disagree are read again.
const INFO_TRIES: usize = 3;

/// A service directory, open. Every method reaches its files relative to
/// the descriptor, so that a directory renamed meanwhile is still the one
/// looked at, and a relative name is never resolved twice.
#[derive(Debug)]
pub struct ServiceDir {
    fd: OwnedFd,
}

impl ServiceDir {
    /// Opens `path`, relative to the current directory, as chdir would
    /// enter it: see [`ServiceDir::open_at`].
    pub fn open(path: &OsStr) -> Result<ServiceDir, Errno> {
        ServiceDir::open_at(nix::fcntl::AT_FDCWD, path)
    }

    /// Opens `name`, relative to the directory `at` (svscan's scanned
    /// directory, a program's [`Origin`]), following symlinks, and only if
    /// chdir could enter it: a directory, with search permission (not read
    /// permission). The errors are chdir's.
    pub fn open_at(at: BorrowedFd, name: &OsStr) -> Result<ServiceDir, Errno> {
        let name = CString::new(name.as_bytes()).map_err(|_| Errno::EINVAL)?;
        let flags = libc::O_PATH | libc::O_DIRECTORY;
        let dir = sys::open_at(at, &name, flags, 0)?;
        // O_PATH asks no permission of the directory itself; looking `.` up
        // inside it asks for search permission, as chdir does.
        sys::open_at(dir.as_fd(), c".", flags, 0).map(ServiceDir::from_fd)
    }

    /// A directory already open (svscan's adopted entries).
    pub fn from_fd(fd: OwnedFd) -> ServiceDir {
        ServiceDir { fd }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Whether the service is normally up: it is unless `down` exists
    /// (stat follows a symlink, as daemontools' does).
    pub fn normally_up(&self) -> Result<bool, Errno> {
        down_to_normally_up(sys::stat_at(self.fd(), DOWN).map(drop))
    }

    /// Whether a supervise holds `supervise/ok` open, as svok and svstat
    /// ask it (the path followed as daemontools follows it). ENXIO means
    /// none does; ENOENT that none ever ran here.
    pub fn ok(&self) -> Result<(), Errno> {
        sys::open_at(self.fd(), OK, libc::O_WRONLY | libc::O_NONBLOCK, 0).map(drop)
    }

    /// `supervise/status`, read as daemontools' svstat reads it: without
    /// blocking (a FIFO there reads as too short), 18 bytes at most.
    pub fn status(&self) -> Result<Status, StatusError> {
        let fd = sys::open_at(self.fd(), STATUS, libc::O_RDONLY | libc::O_NONBLOCK, 0).map_err(StatusError::Open)?;
        let mut buf = [0u8; crate::status::LEN];
        let n = sys::read_full(fd.as_fd(), &mut buf).map_err(StatusError::Read)?;
        Status::unpack(&buf[..n]).ok_or(StatusError::BadFormat)
    }

    /// `supervise/info`, written by our supervise only, and believed only
    /// when it speaks of the process `status` does (a stale one is ignored).
    pub fn info(&self, status: &Status) -> Option<Info> {
        self.info_raw().filter(|i| i.pid == status.pid)
    }

    /// `supervise/status` and the info that goes with it. supervise writes
    /// the info, then the status: an info of another pid than the status
    /// just read means a change came between the two reads (a restart, or
    /// a check's end while the pid changed), so both are read again, a few
    /// times, before the info is taken for stale (another supervise's).
    pub fn status_and_info(&self) -> Result<(Status, Option<Info>), StatusError> {
        for _ in 0..INFO_TRIES {
            let status = self.status()?;
            match self.info_raw() {
                Some(info) if info.pid != status.pid => continue,
                info => return Ok((status, info)),
            }
        }
        let status = self.status()?;
        Ok((status, self.info(&status)))
    }

    /// Where the service's whole tree is, when supervise says it has one
    /// (`tree`): a line of `supervise/info`.
    pub fn tree(&self) -> Option<crate::info::TreeAt> {
        crate::info::TreeAt::of(&sys::read_small_at(self.fd(), INFO, INFO_MAX).ok()?)
    }

    /// What a start waits for, when supervise says one does (`needs/`): a
    /// line of `supervise/info`.
    pub fn waiting_for(&self) -> Option<crate::info::WaitingFor> {
        crate::info::WaitingFor::of(&sys::read_small_at(self.fd(), INFO, INFO_MAX).ok()?)
    }

    /// `supervise/info` as our supervise last wrote it, whatever the status
    /// says: a regular file only, read without blocking and with a bound (a
    /// FIFO or `/dev/zero` planted there is no info).
    pub fn info_raw(&self) -> Option<Info> {
        Info::unpack(&sys::read_small_at(self.fd(), INFO, INFO_MAX).ok()?)
    }

    /// Sends `letters` to the supervise here in one write to
    /// `supervise/control`, opened without blocking so that a missing
    /// supervise is an error rather than a hang, and written only when it
    /// is a FIFO.
    pub fn send(&self, letters: &[u8]) -> Result<(), SendError> {
        send_at(self.fd(), CONTROL, letters)
    }

    /// Whether a supervise (any: ours, daemontools', an earlier svscan's)
    /// runs the service (or, with `log`, the logger in `log/`) here, asked
    /// warily, as svscan asks: by the rules of [`supervise_dir_of`] and
    /// [`open_fifo_write_at`].
    pub fn supervised(&self, log: bool) -> bool {
        supervised_in(self.fd(), log)
    }

    /// Writes `letters` to the control FIFO of the service (or, with `log`,
    /// the logger), warily: see [`control_in`].
    pub fn control(&self, log: bool, letters: &[u8]) -> bool {
        control_in(self.fd(), log, letters)
    }

    /// The pid holding the lock of the service's (or the logger's)
    /// supervise: see [`lock_holder`].
    pub fn lock_holder(&self, log: bool) -> Option<u32> {
        lock_holder(self.fd(), log)
    }
}

/// Writes `letters` in one write to the control FIFO `path` (relative to
/// `at`), opened without blocking so that a missing reader is an error
/// rather than a hang, and written only when it is a FIFO: svc's way to a
/// supervise, and svscanctl's to an svscan.
pub fn send_at(at: BorrowedFd, path: &CStr, letters: &[u8]) -> Result<(), SendError> {
    let fd = sys::open_at(at, path, libc::O_WRONLY | libc::O_NONBLOCK, 0).map_err(|e| match e {
        Errno::ENXIO => SendError::NotRunning,
        e => SendError::Open(e),
    })?;
    if !nix::sys::stat::fstat(&fd).is_ok_and(|st| is_fifo(&st)) {
        return Err(SendError::NotFifo);
    }
    sys::set_nonblocking(fd.as_fd(), false).map_err(SendError::Write)?;
    sys::write_all(fd.as_fd(), letters).map_err(SendError::Write)
}

pub(crate) fn is_fifo(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFIFO
}

/// Whether a supervise holds `dir/supervise/ok` open, asked as
/// [`ServiceDir::supervised`] asks it (for the tests).
pub fn supervised(dir: &[u8]) -> bool {
    ServiceDir::open(OsStr::from_bytes(dir)).is_ok_and(|d| d.supervised(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Want;
    use std::fs;
    use std::path::Path;

    /// A service directory `s` in a temp dir, with `supervise/` made.
    fn service() -> (tempfile::TempDir, ServiceDir) {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("s/supervise")).unwrap();
        let dir = ServiceDir::open(tmp.path().join("s").as_os_str()).unwrap();
        (tmp, dir)
    }

    fn mkfifo(p: &Path) {
        let p = CString::new(p.as_os_str().as_bytes()).unwrap();
        sys::mkfifo(&p, 0o600).unwrap();
    }

    /// A FIFO's reader (read-write, so that it never blocks).
    fn reader(p: &Path) -> OwnedFd {
        let p = CString::new(p.as_os_str().as_bytes()).unwrap();
        sys::open_at(nix::fcntl::AT_FDCWD, &p, libc::O_RDWR | libc::O_NONBLOCK, 0).unwrap()
    }

    fn status(pid: u32) -> Status {
        Status { stamp: crate::tai64::now(), pid, paused: false, want: Want::Nothing }
    }

    #[test]
    fn each_file_in_supervise_has_its_two_paths() {
        assert_eq!((inside::CONTROL, CONTROL), (c"control", c"supervise/control"));
        assert_eq!((inside::STATUS_NEW, STATUS_NEW), (c"status.new", c"supervise/status.new"));
        assert_eq!((inside::EVENT, EVENT), (c"event", c"supervise/event"));
    }

    #[test]
    fn opens_as_chdir_enters() {
        let tmp = tempfile::tempdir().unwrap();
        let at = |name: &str| ServiceDir::open(tmp.path().join(name).as_os_str()).map(drop);
        fs::write(tmp.path().join("file"), "").unwrap();
        std::os::unix::fs::symlink("file", tmp.path().join("link")).unwrap();
        std::os::unix::fs::symlink("s", tmp.path().join("slink")).unwrap();
        fs::create_dir(tmp.path().join("s")).unwrap();
        assert_eq!(at("nope"), Err(Errno::ENOENT));
        assert_eq!(at("file"), Err(Errno::ENOTDIR));
        assert_eq!(at("link"), Err(Errno::ENOTDIR));
        assert_eq!(at("slink"), Ok(()), "a symlink is followed, as chdir follows it");
        assert_eq!(ServiceDir::open(OsStr::new("")).map(drop), Err(Errno::ENOENT));
        // Search permission only, not read permission; none of it is access denied.
        use std::os::unix::fs::PermissionsExt;
        for (mode, want) in [(0o111, Ok(())), (0o666, Err(Errno::EACCES)), (0o000, Err(Errno::EACCES))] {
            fs::set_permissions(tmp.path().join("s"), fs::Permissions::from_mode(mode)).unwrap();
            // SAFETY: geteuid(2) cannot fail.
            let root = unsafe { libc::geteuid() } == 0;
            assert_eq!(at("s"), if root { Ok(()) } else { want }, "mode {mode:o}");
        }
        fs::set_permissions(tmp.path().join("s"), fs::Permissions::from_mode(0o755)).unwrap();
        // Relative to a directory, and still the same once renamed.
        let base = sys::open_read_dir(&CString::new(tmp.path().as_os_str().as_bytes()).unwrap()).unwrap();
        let dir = ServiceDir::open_at(base.as_fd(), OsStr::new("s")).unwrap();
        fs::rename(tmp.path().join("s"), tmp.path().join("t")).unwrap();
        fs::write(tmp.path().join("t/down"), "").unwrap();
        assert_eq!(dir.normally_up(), Ok(false));
    }

    #[test]
    fn normally_up_unless_down_exists() {
        let (tmp, dir) = service();
        assert_eq!(dir.normally_up(), Ok(true));
        std::os::unix::fs::symlink("nowhere", tmp.path().join("s/down")).unwrap();
        assert_eq!(dir.normally_up(), Ok(true), "stat follows: a dangling link is no down");
        fs::remove_file(tmp.path().join("s/down")).unwrap();
        fs::create_dir(tmp.path().join("s/down")).unwrap();
        assert_eq!(dir.normally_up(), Ok(false));
    }

    #[test]
    fn ok_and_send_need_a_reader() {
        let (tmp, dir) = service();
        let sup = tmp.path().join("s/supervise");
        assert_eq!(dir.ok(), Err(Errno::ENOENT));
        assert_eq!(dir.send(b"u"), Err(SendError::Open(Errno::ENOENT)));
        assert!(!dir.supervised(false));
        mkfifo(&sup.join("ok"));
        mkfifo(&sup.join("control"));
        assert_eq!(dir.ok(), Err(Errno::ENXIO));
        assert_eq!(dir.send(b"u"), Err(SendError::NotRunning));
        let (_ok, control) = (reader(&sup.join("ok")), reader(&sup.join("control")));
        assert_eq!(dir.ok(), Ok(()));
        assert!(dir.supervised(false) && !dir.supervised(true));
        assert!(supervised(tmp.path().join("s").as_os_str().as_bytes()));
        assert_eq!(dir.send(b"dx"), Ok(()));
        let mut buf = [0u8; 8];
        assert_eq!(nix::unistd::read(control.as_fd(), &mut buf), Ok(2));
        assert_eq!(&buf[..2], b"dx");
        assert!(dir.control(false, b"u"));
        assert!(!dir.control(true, b"u"), "no log/");
    }

    #[test]
    fn a_control_that_is_no_fifo_is_not_written() {
        let (tmp, dir) = service();
        let control = tmp.path().join("s/supervise/control");
        fs::write(&control, "").unwrap();
        assert_eq!(dir.send(b"u"), Err(SendError::NotFifo));
        assert!(!dir.control(false, b"u"));
        assert_eq!(fs::read(&control).unwrap(), b"");
    }

    #[test]
    fn the_logger_is_reached_through_log() {
        let (tmp, dir) = service();
        let sup = tmp.path().join("s/log/supervise");
        fs::create_dir_all(&sup).unwrap();
        mkfifo(&sup.join("ok"));
        let _ok = reader(&sup.join("ok"));
        assert!(dir.supervised(true) && !dir.supervised(false));
    }

    #[test]
    fn status_is_read_as_svstat_reads_it() {
        let (tmp, dir) = service();
        let path = tmp.path().join("s/supervise/status");
        assert_eq!(dir.status(), Err(StatusError::Open(Errno::ENOENT)));
        fs::write(&path, [0u8; 17]).unwrap();
        assert_eq!(dir.status(), Err(StatusError::BadFormat));
        let s = status(42);
        fs::write(&path, [&s.pack()[..], b"more"].concat()).unwrap();
        assert_eq!(dir.status(), Ok(s));
        fs::remove_file(&path).unwrap();
        mkfifo(&path);
        assert_eq!(dir.status(), Err(StatusError::BadFormat), "a FIFO without writer reads as too short");
    }

    #[test]
    fn info_is_believed_when_it_speaks_of_the_status_pid() {
        let (tmp, dir) = service();
        let path = tmp.path().join("s/supervise/info");
        assert_eq!(dir.info_raw(), None);
        let info = Info { pid: 42, restarts: 3, letters: 7, ..Info::default() };
        fs::write(&path, info.pack()).unwrap();
        assert_eq!(dir.info_raw(), Some(info));
        assert_eq!(dir.info(&status(42)), Some(info));
        assert_eq!(dir.info(&status(43)), None, "stale");
        fs::remove_file(&path).unwrap();
        mkfifo(&path);
        let _w = reader(&path);
        assert_eq!(dir.info_raw(), None, "a FIFO is no info");
    }

    #[test]
    fn look_follows_svstat_order_and_words() {
        let (tmp, dir) = service();
        let sup = tmp.path().join("s/supervise");
        assert_eq!(dir.look(), Err(LookError::Ok(Errno::ENOENT)));
        assert_eq!(dir.look().unwrap_err().text(), "unable to open supervise/ok: file does not exist");
        mkfifo(&sup.join("ok"));
        fs::write(tmp.path().join("s/down"), "").unwrap();
        assert_eq!(dir.look(), Ok(Seen::NotRunning { normally_up: false }));
        assert_eq!(dir.look().unwrap().describe(crate::tai64::now()), "supervise not running");
        let _ok = reader(&sup.join("ok"));
        let text = |e: LookError| e.text();
        assert_eq!(dir.look().map_err(text), Err("unable to open supervise/status: file does not exist".into()));
        fs::write(sup.join("status"), "short").unwrap();
        assert_eq!(dir.look().map_err(text), Err("unable to read supervise/status: bad format".into()));
        let s = status(42);
        fs::write(sup.join("status"), s.pack()).unwrap();
        let info = Info { pid: 42, failed: true, ready: Some(Some(s.stamp)), ..Info::default() };
        fs::write(sup.join("info"), info.pack()).unwrap();
        let seen = dir.look().unwrap();
        assert_eq!(seen, Seen::Running { normally_up: false, status: s, info: Some(info) });
        let text = seen.describe(s.stamp);
        assert_eq!(text, "up (pid 42) 0 seconds, normally down, ready 0 seconds, failed");
    }

    #[test]
    fn a_supervise_dir_is_reached_warily() {
        let (tmp, dir) = service();
        let sup = sys::open_at(dir.fd(), SUPERVISE, libc::O_RDONLY | libc::O_DIRECTORY, 0).unwrap();
        assert!(open_dir_at(dir.fd(), SUPERVISE, true).is_ok());
        assert_eq!(open_dir_at(dir.fd(), c"nope", true).map(drop), Err(DirError::Sys(Errno::ENOENT)));
        fs::write(tmp.path().join("s/supervise/ok"), "").unwrap();
        assert_eq!(open_fifo_write_at(sup.as_fd(), inside::OK).map(drop), Err(Errno::ENXIO), "a file is no FIFO");
        fs::remove_file(tmp.path().join("s/supervise/ok")).unwrap();
        mkfifo(&tmp.path().join("s/supervise/ok"));
        std::os::unix::fs::symlink("ok", tmp.path().join("s/supervise/link")).unwrap();
        let _ok = reader(&tmp.path().join("s/supervise/ok"));
        assert!(open_fifo_write_at(sup.as_fd(), inside::OK).is_ok());
        assert_eq!(open_fifo_write_at(sup.as_fd(), c"link").map(drop), Err(Errno::ENXIO), "never through a symlink");
    }
}
