//! svscan's system calls on the directory it scans, kept apart from its
//! decisions ([`crate::scanner`]): entering and locking the directory, its
//! change stamp, its entries by a whole read or by inotify, and how to reach
//! the supervise of an entry (by pid through its control FIFO, or through
//! the entry's directory for one we did not start), and svscan's own
//! control FIFO, `.svscan/control`, through which svscanctl reaches the one
//! svscan of a directory. The binary carries the scanner's actions out with
//! these; nothing here decides or prints.

use crate::control::{self, SendError};
use crate::msg::{Failure, EXIT_TEMP};
use crate::scanner::{Event, Holder, Key, Role, Stamp};
use crate::svdir::{self, ServiceDir};
use crate::{sys, Errno};
use nix::fcntl::AT_FDCWD;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use nix::sys::stat::{lstat, stat};
use std::ffi::{CStr, CString, OsStr};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::time::SystemTime;

/// The directory of svscan's control point inside the one it scans: a dot
/// name, which scanning skips (s6-svscan's `.s6-svscan`).
pub const CONTROL_DIR: &CStr = c".svscan";
/// svscan's control FIFO, relative to the scanned directory: each byte
/// written into it is a [`control::Command`].
pub const CONTROL: &CStr = c".svscan/control";
/// Its name inside [`CONTROL_DIR`].
const CONTROL_NAME: &CStr = c"control";

/// The scanned directory, entered (it is the current directory) and locked,
/// with an inotify watch on it when the kernel gives one, and its control
/// FIFO once [`ScanDir::listen`] has made it.
pub struct ScanDir {
    _lock: OwnedFd,
    inotify: Option<Inotify>,
    /// `.svscan/control`, open read-write: svscan reads it, and holds a
    /// write end so that it never reads an end of file.
    control: Option<OwnedFd>,
}

impl ScanDir {
    /// Enters `dir` (or stays in `.`) and takes its lock: one svscan per
    /// directory, as a second would take the first's supervisors for
    /// orphans (a killed svscan's lock goes with it).
    pub fn enter(dir: Option<&OsStr>) -> Result<ScanDir, Failure> {
        let name = dir.map_or(&b"."[..], |d| d.as_bytes());
        if let Some(dir) = dir {
            nix::unistd::chdir(dir).map_err(|e| Failure::temp(&[b"unable to chdir to ", name], e))?;
        }
        let flags = nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC;
        let lock = nix::fcntl::open(".", flags, nix::sys::stat::Mode::empty())
            .map_err(|e| Failure::temp(&[b"unable to open ", name], e))?;
        sys::lock(lock.as_fd(), false).map_err(|e| match e {
            Errno::EWOULDBLOCK => {
                Failure::fatal(EXIT_TEMP, &[b"unable to lock ", name, b": another svscan runs there"])
            }
            e => Failure::temp(&[b"unable to lock ", name], e),
        })?;
        // Without inotify (or with no watch left) the 5-second scan still works.
        let inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK)
            .ok()
            .filter(|i| i.add_watch(".", AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO).is_ok());
        Ok(ScanDir { _lock: lock, inotify, control: None })
    }

    /// Makes `.svscan/control` anew, a FIFO of mode 0600 in `.svscan/` of
    /// mode 0700, and holds it open. Called once the lock is taken, so no
    /// other svscan reads it; whatever was there (a FIFO a killed svscan
    /// left, a file, a symlink) is replaced. On an error svscan runs
    /// without it.
    pub fn listen(&mut self) -> Result<(), Errno> {
        let dir = control_dir()?;
        match sys::unlink_at(dir.as_fd(), CONTROL_NAME) {
            Ok(()) | Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        sys::mkfifo_at(dir.as_fd(), CONTROL_NAME, 0o600)?;
        // Read-write: one descriptor that reads, and a writer that keeps the
        // FIFO from ever reading as ended (poll would spin).
        let flags = libc::O_RDWR | libc::O_NONBLOCK | libc::O_NOFOLLOW;
        let fifo = sys::open_at(dir.as_fd(), CONTROL_NAME, flags, 0)?;
        if !nix::sys::stat::fstat(&fifo).is_ok_and(|st| svdir::is_fifo(&st)) {
            return Err(Errno::EEXIST);
        }
        sys::fchmod(fifo.as_fd(), 0o600)?;
        self.control = Some(fifo);
        Ok(())
    }

    /// What poll watches for svscanctl's commands, if anything.
    pub fn control(&self) -> Option<BorrowedFd<'_>> {
        self.control.as_ref().map(|c| c.as_fd())
    }

    /// What the commands written since the last look ask of the scanner, as
    /// one event ([`control::told`]); reads them all, so that poll sleeps again.
    pub fn commands(&self) -> Option<Event> {
        let fifo = self.control.as_ref()?;
        let (mut buf, mut told) = ([0u8; 64], None);
        while let Ok(n @ 1..) = nix::unistd::read(fifo.as_fd(), &mut buf) {
            told = control::told(told, &buf[..n]);
        }
        told
    }

    /// What poll watches for arrivals, if anything.
    pub fn watch(&self) -> Option<BorrowedFd<'_>> {
        self.inotify.as_ref().map(|i| i.as_fd())
    }

    /// The directory's change time: every change to its entries moves it.
    pub fn stamp(&self) -> Option<Stamp> {
        let st = stat(".").ok()?;
        let wall = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).ok()?;
        Some(Stamp { changed: (st.st_ctime, st.st_ctime_nsec), wall })
    }

    /// The new entries inotify reports: created symlinks and anything moved
    /// in (and whether events were lost). A directory made in place is left
    /// to the next scan: whoever made it may still be filling it, and a
    /// `log/` made after its service started would never be joined to it.
    pub fn arrivals(&self) -> (Vec<CString>, bool) {
        let (mut names, mut overflow) = (Vec::new(), false);
        let Some(inotify) = &self.inotify else { return (names, overflow) };
        while let Ok(events) = inotify.read_events() {
            for ev in events {
                overflow |= ev.mask.contains(AddWatchFlags::IN_Q_OVERFLOW);
                let made_dir = ev.mask.contains(AddWatchFlags::IN_CREATE | AddWatchFlags::IN_ISDIR);
                let Some(name) = ev.name.filter(|n| !n.as_bytes().starts_with(b".")) else { continue };
                if !made_dir {
                    names.extend(CString::new(name.into_vec()).ok());
                }
            }
        }
        (names, overflow)
    }

    /// Reads the directory whole, giving `each` every name not starting
    /// with a dot, as it is read (nothing is gathered: at 10,000 entries a
    /// list of names would stay in the heap).
    pub fn read(mut each: impl FnMut(&CStr)) -> Result<(), Errno> {
        let mut dir = nix::dir::Dir::open(".", nix::fcntl::OFlag::O_RDONLY, nix::sys::stat::Mode::empty())?;
        for entry in dir.iter() {
            let entry = entry?;
            if !entry.file_name().to_bytes().starts_with(b".") {
                each(entry.file_name());
            }
        }
        Ok(())
    }
}

/// Opens `.svscan/`, made (mode 0700) if missing; anything else under
/// that name (a file, a symlink, never followed) is replaced by it.
fn control_dir() -> Result<OwnedFd, Errno> {
    let make = || sys::mkdir(CONTROL_DIR, 0o700);
    let open = || sys::open_at(AT_FDCWD, CONTROL_DIR, libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW, 0);
    make()?;
    let dir = match open() {
        Err(Errno::ENOTDIR | Errno::ELOOP) => {
            sys::unlink_at(AT_FDCWD, CONTROL_DIR)?;
            make()?;
            open()?
        }
        dir => dir?,
    };
    sys::fchmod(dir.as_fd(), 0o700)?;
    Ok(dir)
}

/// svscanctl's side: writes `commands` in one write into `.svscan/control`
/// of the directory `dir`, so that the svscan scanning it, and no other,
/// reads them. No svscan there is [`SendError::NotRunning`] (see
/// [`svdir::send_at`]); a `dir` that cannot be opened, `SendError::Open`.
pub fn send(dir: &OsStr, commands: &[u8]) -> Result<(), SendError> {
    let name = CString::new(dir.as_bytes()).map_err(|_| SendError::Open(Errno::EINVAL))?;
    let dir = sys::open_at(AT_FDCWD, &name, libc::O_PATH | libc::O_DIRECTORY, 0).map_err(SendError::Open)?;
    svdir::send_at(dir.as_fd(), CONTROL, commands)
}

/// The key of the entry `name` when it is a directory (symlinks followed);
/// None when it is something else, or gone already (`ln -sfn` renames a
/// temporary name over the link, and inotify reports that name).
pub fn entry_key(name: &CStr) -> Result<Option<Key>, Errno> {
    match stat(name) {
        Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => Ok(Some((st.st_dev, st.st_ino))),
        Ok(_) => Ok(None),
        Err(Errno::ENOENT) if lstat(name).is_err_and(|e| e == Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Where the entry `name`'s `needs/` leads now: the keys of the service
/// directories its symlinks reach (what is wrong in it is supervise's to say).
pub fn needs(name: &CStr) -> Vec<Key> {
    let Ok(dir) = ServiceDir::open(OsStr::from_bytes(name.to_bytes())) else { return Vec::new() };
    let needs = dir.needs().unwrap_or_default().into_iter();
    needs.filter_map(|n| if let svdir::Target::Dir(d) = n.target { d.key().ok() } else { None }).collect()
}

/// Whether the entry `name` has a `log/` directory.
pub fn has_log(name: &CStr) -> Result<bool, Errno> {
    match stat([name.to_bytes(), b"/log"].concat().as_slice()) {
        Ok(st) => Ok(st.st_mode & libc::S_IFMT == libc::S_IFDIR),
        Err(Errno::ENOENT) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes control letters to the supervise running as `pid`, through the
/// control FIFO it holds open (see [`svdir::control_of`]), so that an entry
/// whose directory was renamed or removed is still reached.
pub fn control(pid: u32, letters: &[u8]) -> bool {
    svdir::control_of(pid).and_then(|fd| sys::write_all(fd.as_fd(), letters)).is_ok()
}

/// Who holds each half of the entry `name` that `halves` asks about, and
/// the entry's directory if some half can be adopted and it is still the
/// directory `key` names. Opened only when something is to be started (an
/// idle rescan opens nothing).
pub fn holders(name: &CStr, key: Key, halves: [bool; 2]) -> ([Holder; 2], Option<ServiceDir>) {
    let entry = ServiceDir::open_at(AT_FDCWD, OsStr::from_bytes(name.to_bytes())).ok();
    let holder = |r: Role| match &entry {
        Some(e) if halves[r as usize] && e.supervised(r.is_log()) => match theirs(e, r) {
            true => Holder::Theirs,
            false => Holder::Adoptable,
        },
        _ => Holder::Free,
    };
    let holders = [Role::Service, Role::Log].map(holder);
    let same = |e: &ServiceDir| e.key().is_ok_and(|k| k == key);
    (holders, entry.filter(|e| holders.contains(&Holder::Adoptable) && same(e)))
}

/// Whether the supervise holding that half is another live svscan's.
fn theirs(entry: &ServiceDir, role: Role) -> bool {
    let holder = entry.lock_holder(role.is_log());
    holder.and_then(sys::parent_of).is_some_and(|(ppid, comm)| ppid != std::process::id() && comm == "svscan")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A scanned directory's `.svscan/control` in a temp dir, and its path.
    fn fifo() -> (tempfile::TempDir, CString) {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join(".svscan")).unwrap();
        let path = tmp.path().join(".svscan/control");
        let path = CString::new(path.as_os_str().as_bytes()).unwrap();
        (tmp, path)
    }

    #[test]
    fn svscanctl_reaches_the_fifo_of_the_directory_named_only() {
        let (tmp, path) = fifo();
        let dir = tmp.path().as_os_str();
        assert_eq!(send(dir, b"a"), Err(SendError::Open(Errno::ENOENT)), "no svscan ever ran there");
        sys::mkfifo(&path, 0o600).unwrap();
        assert_eq!(send(dir, b"a"), Err(SendError::NotRunning));
        let reader = sys::open_at(AT_FDCWD, &path, libc::O_RDWR | libc::O_NONBLOCK, 0).unwrap();
        assert_eq!(send(dir, b"ht"), Ok(()));
        // svscan's side: every byte read at once, one event.
        let scan = ScanDir { _lock: sys::open_read(c"/").unwrap(), inotify: None, control: Some(reader) };
        assert!(scan.control().is_some());
        assert_eq!(scan.commands(), Some(Event::Term(libc::SIGTERM)));
        assert_eq!(scan.commands(), None, "read away");
        assert_eq!(send(dir, b""), Ok(()), "no command: only whether it runs");
        assert_eq!(send(OsStr::new(""), b"a"), Err(SendError::Open(Errno::ENOENT)));
        fs::write(tmp.path().join("file"), "").unwrap();
        assert_eq!(send(tmp.path().join("file").as_os_str(), b"a"), Err(SendError::Open(Errno::ENOTDIR)));
    }

    #[test]
    fn svscanctl_writes_into_nothing_but_a_fifo() {
        let (tmp, path) = fifo();
        fs::write(tmp.path().join(".svscan/control"), "").unwrap();
        assert_eq!(send(tmp.path().as_os_str(), b"t"), Err(SendError::NotFifo));
        assert_eq!(fs::read(path.to_str().unwrap()).unwrap(), b"");
    }
}
