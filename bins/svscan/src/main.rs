//! `svscan [DIR]`: starts one `supervise` for every service directory in DIR
//! (default `.`), and one for its `log/` subdirectory joined to it by a pipe
//! that svscan holds open for as long as it runs, so that neither a restarted
//! service nor a restarted logger loses the pipe. Scans again every 5
//! seconds and restarts any supervise that exited. daemontools 0.76's
//! behaviour; `supervise` is looked for next to svscan's own executable
//! first, then on PATH.

use daemontools::msg::{self, errstr, Level, EXIT_TEMP};
use daemontools::sys::{self, Argv, SelfPipe};
use daemontools::Errno;
use std::ffi::{CString, OsStr};
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const SCAN_INTERVAL: Duration = Duration::from_secs(5);

fn warn(parts: &[&[u8]]) {
    let _ = std::io::stderr().write_all(&msg::line("svscan", Level::Warning, parts));
}

/// A service directory, known by device and inode as daemontools does.
struct Service {
    dev: u64,
    ino: u64,
    name: CString,
    /// Seen in the last scan.
    active: bool,
    pid: u32,
    pid_log: u32,
    /// (read end, write end), held for svscan's whole life while the entry lives.
    log_pipe: Option<(OwnedFd, OwnedFd)>,
}

struct Scanner {
    supervise: PathBuf,
    services: Vec<Service>,
}

impl Scanner {
    fn reap(&mut self) {
        while let Some((pid, _)) = sys::reap() {
            if let Some(s) = self.services.iter_mut().find(|s| s.pid == pid || s.pid_log == pid) {
                if s.pid == pid {
                    s.pid = 0;
                } else {
                    s.pid_log = 0;
                }
            }
        }
    }

    fn scan(&mut self) {
        for s in &mut self.services {
            s.active = false;
        }
        match std::fs::read_dir(".") {
            Ok(entries) => {
                for entry in entries {
                    match entry {
                        Ok(e) if !e.file_name().as_bytes().starts_with(b".") => self.start(&e.file_name()),
                        Ok(_) => {}
                        Err(e) => {
                            let e = Errno::from_raw(e.raw_os_error().unwrap_or(0));
                            warn(&[b"unable to read directory: ", errstr(e).as_bytes()]);
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                let e = Errno::from_raw(e.raw_os_error().unwrap_or(0));
                warn(&[b"unable to read directory: ", errstr(e).as_bytes()]);
            }
        }
        // Forget entries that are gone and whose supervisors have exited;
        // that closes their pipe.
        self.services.retain(|s| s.active || s.pid != 0 || s.pid_log != 0);
    }

    fn start(&mut self, name: &OsStr) {
        let n = name.as_bytes();
        let st = match nix::sys::stat::stat(name) {
            Ok(st) => st,
            Err(e) => return warn(&[b"unable to stat ", n, b": ", errstr(e).as_bytes()]),
        };
        if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
            return;
        }
        let i = match self.services.iter().position(|s| s.dev == st.st_dev && s.ino == st.st_ino) {
            Some(i) => i,
            None => {
                let log = [n, b"/log"].concat();
                let has_log = match nix::sys::stat::stat(log.as_slice()) {
                    Ok(st) => st.st_mode & libc::S_IFMT == libc::S_IFDIR,
                    Err(Errno::ENOENT) => false,
                    Err(e) => return warn(&[b"unable to stat ", n, b"/log: ", errstr(e).as_bytes()]),
                };
                let log_pipe = match has_log {
                    false => None,
                    true => match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
                        Ok(p) => Some(p),
                        Err(e) => return warn(&[b"unable to create pipe for ", n, b": ", errstr(e).as_bytes()]),
                    },
                };
                let Ok(name) = CString::new(n) else { return };
                self.services.push(Service {
                    dev: st.st_dev,
                    ino: st.st_ino,
                    name,
                    active: false,
                    pid: 0,
                    pid_log: 0,
                    log_pipe,
                });
                self.services.len() - 1
            }
        };
        let s = &mut self.services[i];
        s.active = true;
        let path = self.supervise.as_os_str().as_bytes();

        if s.pid == 0 {
            let argv = Argv::new(path, &[&b"supervise"[..], n]).expect("no NUL");
            let fail = [b"svscan: warning: unable to start supervise ", n, b": "].concat();
            let out = s.log_pipe.as_ref().map(|(_, w)| w.as_fd());
            match sys::spawn(&argv, &fail, || out.map_or(Ok(()), |w| sys::dup_onto(w, 1))) {
                Ok(pid) => s.pid = pid,
                Err(e) => warn(&[b"unable to fork for ", n, b": ", errstr(e).as_bytes()]),
            }
        }
        if let Some((r, _)) = &s.log_pipe {
            if s.pid_log == 0 {
                let argv = Argv::new(path, &["supervise", "log"]).expect("no NUL");
                let fail = [b"svscan: warning: unable to start supervise ", n, b"/log: "].concat();
                let dir = s.name.as_c_str();
                let setup = || {
                    sys::dup_onto(r.as_fd(), 0)?;
                    nix::unistd::chdir(dir)
                };
                match sys::spawn(&argv, &fail, setup) {
                    Ok(pid) => s.pid_log = pid,
                    Err(e) => warn(&[b"unable to fork for ", n, b"/log: ", errstr(e).as_bytes()]),
                }
            }
        }
    }
}

/// `supervise` next to this executable, else on PATH, else the bare name
/// (whose failure to run is then warned about at each scan).
fn find_supervise() -> PathBuf {
    let beside = std::env::current_exe().ok().and_then(|e| Some(e.parent()?.join("supervise")));
    beside.filter(|p| p.is_file()).or_else(|| sys::which("supervise")).unwrap_or_else(|| "supervise".into())
}

fn main() {
    if let Some(dir) = std::env::args_os().nth(1) {
        if let Err(e) = nix::unistd::chdir(dir.as_os_str()) {
            let line = msg::line(
                "svscan",
                Level::Fatal,
                &[b"unable to chdir to ", dir.as_bytes(), b": ", errstr(e).as_bytes()],
            );
            let _ = std::io::stderr().write_all(&line);
            std::process::exit(EXIT_TEMP);
        }
    }
    let pipe = SelfPipe::new().and_then(|p| p.catch(libc::SIGCHLD).map(|()| p)).unwrap_or_else(|e| {
        let _ = std::io::stderr().write_all(&msg::line(
            "svscan",
            Level::Fatal,
            &[b"unable to create pipe: ", errstr(e).as_bytes()],
        ));
        std::process::exit(EXIT_TEMP)
    });
    let mut scanner = Scanner { supervise: find_supervise(), services: Vec::new() };
    loop {
        scanner.reap();
        scanner.scan();
        let next = Instant::now() + SCAN_INTERVAL;
        while let Some(left) = next.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
            let _ = sys::poll_read([pipe.fd()], Some(left));
            if pipe.drain().contains(libc::SIGCHLD) {
                scanner.reap();
            }
        }
    }
}
