//! `svscanboot [dir]`: what init runs at boot. As daemontools' script: with
//! stdin, stdout and stderr on /dev/null and PATH set to daemontools' list,
//! it tells any supervise left from an earlier boot to stop (`svc -dx dir/*
//! dir/*/log`), then runs `svscan dir` with a cleared environment (PATH
//! only), its output piped into `readproctitle service errors: ...` so that
//! `ps` shows svscan's last warnings. The directory is `/etc/service` (the
//! Debian convention) unless given.
//!
//! Unlike the script, svscanboot becomes svscan (readproctitle is its
//! child), so the TERM that init or systemd sends reaches svscan and starts
//! its orderly shutdown. svc, svscan and readproctitle are taken from beside
//! this executable first, then from PATH.

use daemontools::msg::{Failure, Level, Prog};
use daemontools::sys::{self, Argv};
use daemontools::Errno;
use std::ffi::{CString, OsStr, OsString};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

const PATH: &str = "/command:/usr/local/bin:/usr/local/sbin:/bin:/sbin:/usr/bin:/usr/sbin:/usr/X11R6/bin";
const DEFAULT_DIR: &[u8] = b"/etc/service";
const STALE_WAIT: Duration = Duration::from_secs(5);

pub const PROG: Prog = Prog::new("svscanboot", "svscanboot [ dir ]");

/// `dir/*` and `dir/*/log` as sh expands them: sorted, dot entries left out.
fn stale(dir: &[u8]) -> Vec<Vec<u8>> {
    let mut names: Vec<Vec<u8>> = std::fs::read_dir(OsStr::from_bytes(dir))
        .map(|rd| rd.flatten().map(|e| e.file_name().as_bytes().to_vec()).collect())
        .unwrap_or_default();
    names.retain(|n| !n.starts_with(b"."));
    names.sort();
    let services = names.iter().map(|n| [dir, b"/", n].concat());
    let logs = names.iter().map(|n| [dir, b"/", n, b"/log"].concat());
    services.chain(logs.filter(|p| std::fs::symlink_metadata(OsStr::from_bytes(p)).is_ok())).collect()
}

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let dir = match args.as_slice() {
        [] => DEFAULT_DIR,
        [d] => d.as_bytes(),
        _ => return Err(Failure::usage()),
    };
    // svscan's own complaint would go to readproctitle's title, out of
    // sight: say it here, while stderr is still the caller's.
    let flags = nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC;
    nix::fcntl::open(dir, flags, nix::sys::stat::Mode::empty())
        .map_err(|e| Failure::temp(&[b"unable to chdir to ", dir], e))?;
    // Before svscan and readproctitle start: they go into the leaf too (see svscan).
    let _ = daemontools::tree::make_room(std::process::id(), &daemontools::tree::CONTROLLERS);
    let [svc, svscan, readproctitle] = ["svc", "svscan", "readproctitle"].map(sys::find_program);
    let dots = ".".repeat(400);
    let stale = stale(dir);
    let svc_args: Vec<&[u8]> = [&b"svc"[..], b"-dx"].into_iter().chain(stale.iter().map(Vec::as_slice)).collect();
    let argv_svc = Argv::new(svc.as_os_str().as_bytes(), &svc_args);
    let argv_scan = Argv::new(svscan.as_os_str().as_bytes(), &[&b"svscan"[..], dir]);
    let title = ["readproctitle", "service", "errors:", &dots];
    let argv_title = Argv::new(readproctitle.as_os_str().as_bytes(), &title);
    let (Some(argv_svc), Some(argv_scan), Some(argv_title)) = (argv_svc, argv_scan, argv_title) else {
        return Err(Failure::unable_to_run(b"svscan", Errno::EINVAL));
    };

    // Reported before the standard descriptors go to /dev/null.
    let no_null = |e| Failure::temp(&[b"unable to open /dev/null"], e);
    // Above 2: started as `cli::Start::Std`, 0, 1 and 2 are open already.
    let null =
        nix::fcntl::open("/dev/null", nix::fcntl::OFlag::O_RDWR, nix::sys::stat::Mode::empty()).map_err(no_null)?;
    let (r, w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| Failure::temp(&[b"unable to create pipe"], e))?;
    for fd in 0..3 {
        let _ = sys::move_fd(null.as_raw_fd(), fd);
    }
    drop(null);
    // SAFETY: clearing the environment before any thread exists.
    unsafe {
        libc::clearenv();
        std::env::set_var("PATH", PATH);
    }

    if argv_svc.len() > 2 {
        let fail = PROG.child_failure(Level::Warning, &[b"unable to run svc"]);
        if let Ok(pid) = sys::cspawn(&argv_svc, &fail, &[]) {
            let _ = sys::wait(Some(pid), true);
        }
        // svc does not wait. Unlike the script, give the stale supervisors up
        // to 5 s to let go of their locks, or each new supervise would fail
        // and wait for the next scan.
        let oks: Vec<CString> =
            stale.iter().filter_map(|p| CString::new([p, &b"/supervise/ok"[..]].concat()).ok()).collect();
        let deadline = Instant::now() + STALE_WAIT;
        while oks.iter().any(|ok| sys::open_write(ok).is_ok()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    // readproctitle reads svscan's output; it ends when svscan and its children have closed the pipe.
    let _ = sys::cspawn(&argv_title, b"", &[sys::Action::Move(r.as_raw_fd(), 0)]);
    drop(r);
    let _ = sys::move_fd(w.as_raw_fd(), 1);
    let _ = sys::move_fd(w.as_raw_fd(), 2);
    drop(w);
    sys::reset_signals_for_exec();
    Err(Failure::unable_to_run(svscan.as_os_str().as_bytes(), sys::exec(&argv_scan)))
}
