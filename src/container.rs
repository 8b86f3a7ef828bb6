//! svscan as a container's init (issue 22): the main command it runs
//! beside the services (`svscan DIR -- COMMAND ARGS...`), and the services
//! marked `essential`, whose failure for good ends the container. The
//! decisions (who goes first, what code svscan exits with) are the
//! scanner's; here are the system calls.

use crate::info::{Ending, Info};
use crate::msg::{Failure, Level, Prog};
use crate::svdir::ServiceDir;
use crate::sys::{self, Argv};
use crate::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use std::collections::HashMap;
use std::ffi::{CStr, CString, OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

/// The file that marks a service essential.
pub const ESSENTIAL: &CStr = c"essential";

/// Starts the main command `command` (its name found on PATH) with the
/// caller's descriptors and environment, in the directory `here`, with
/// the open-files limit `nofile` given back: its pid. A command that cannot
/// be found is `unable to run NAME: file does not exist`, exit 127, as a
/// shell's; one that cannot be run says so itself, as `prog`.
pub fn start_main(
    prog: &Prog,
    command: &[OsString],
    here: RawFd,
    nofile: Option<libc::rlimit>,
) -> Result<u32, Failure> {
    let name = command.first().map_or(&b""[..], |c| c.as_bytes());
    let path = std::env::var_os("PATH").map(OsString::into_encoded_bytes).unwrap_or_default();
    let not_found = |e| Failure::unable_to_run(name, e).with_code(127);
    let found = sys::which_in(&path, name).ok_or_else(|| not_found(Errno::ENOENT))?;
    let args: Vec<&[u8]> = command.iter().map(|a| a.as_bytes()).collect();
    let argv = Argv::new(found.as_os_str().as_bytes(), &args).ok_or_else(|| not_found(Errno::EINVAL))?;
    let mut fail = prog.line(Level::Fatal, &[b"unable to run ", name, b": "]);
    fail.pop();
    let mut setup: Vec<sys::Action> = nofile.iter().map(|l| sys::Action::Limit(libc::RLIMIT_NOFILE, *l)).collect();
    setup.push(sys::Action::Fchdir(here));
    sys::cspawn(&argv, &fail, &setup).map_err(|e| Failure::unable_to_run(name, e))
}

/// The exit code an essential service that failed for good ends the
/// container with: its last exit code, or 128 + the signal that killed it
/// (1 when it never ended: it could not be started).
pub fn essential_code(info: &Info) -> i32 {
    info.last_ending.map_or(1, Ending::code)
}

/// The essential services being watched: an inotify watch on each one's
/// `supervise/`, where supervise renames each new status into place, made
/// only once a first essential service is started.
#[derive(Default)]
pub struct Essentials {
    inotify: Option<Inotify>,
    watched: HashMap<WatchDescriptor, CString>,
}

impl Essentials {
    /// If the entry `name` (a service directory in the scanned one, the
    /// current directory) holds `essential`, watches its `supervise/`
    /// (made if need be: its supervise may not have made it yet); whether
    /// it is watched.
    pub fn mind(&mut self, name: &CStr) -> bool {
        let path = |file: &[u8]| CString::new([name.to_bytes(), b"/", file].concat()).ok();
        let Some(marker) = path(ESSENTIAL.to_bytes()) else { return false };
        if nix::sys::stat::stat(marker.as_c_str()).is_err() {
            return false;
        }
        let Some(sup) = path(b"supervise") else { return false };
        let _ = sys::mkdir(&sup, 0o700);
        if self.inotify.is_none() {
            self.inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK).ok();
        }
        let Some(inotify) = &self.inotify else { return false };
        match inotify.add_watch(sup.as_c_str(), AddWatchFlags::IN_MOVED_TO) {
            Ok(wd) => {
                self.watched.insert(wd, name.to_owned());
                true
            }
            Err(_) => false,
        }
    }

    /// What poll watches for their changes, if anything.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.inotify.as_ref().map(|i| i.as_fd())
    }

    /// The codes of the watched services whose status changed and that
    /// failed for good ([`Essentials::failed`]); reads every event, so
    /// that poll sleeps again.
    pub fn failures(&self) -> Vec<i32> {
        let Some(inotify) = &self.inotify else { return Vec::new() };
        let mut names: Vec<&CString> = Vec::new();
        while let Ok(events) = inotify.read_events() {
            names.extend(events.iter().filter_map(|ev| self.watched.get(&ev.wd)));
        }
        names.sort();
        names.dedup();
        names.into_iter().filter_map(|name| Essentials::failed(name)).collect()
    }

    /// The code the service `name` ends the container with, if it failed
    /// for good (`restart-limit` reached, or `./finish` exited 125 unasked:
    /// its info says `failed`).
    pub fn failed(name: &CStr) -> Option<i32> {
        let dir = ServiceDir::open(OsStr::from_bytes(name.to_bytes())).ok()?;
        let (_, info) = dir.status_and_info().ok()?;
        info.filter(|i| i.failed).map(|i| essential_code(&i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_the_last_exit_or_128_plus_the_signal() {
        let with = |last| essential_code(&Info { last_ending: last, failed: true, ..Info::default() });
        assert_eq!(with(Some(Ending::Exit(3))), 3);
        assert_eq!(with(Some(Ending::Signal(libc::SIGSEGV))), 139);
        assert_eq!(with(None), 1);
    }
}
