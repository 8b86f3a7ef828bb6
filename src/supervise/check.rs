//! supervise's system calls for `./check` (issue 21): looking at it,
//! starting it, killing it, and passing its output on. No decision is made
//! here (see [`super::health`] and [`super::Machine`]).
//!
//! A check runs in the service directory as `./check`, in a session (so a
//! process group) of its own, with `/dev/null` as stdin and the service's
//! pid in `$MAINPID` (systemd's name for it, as in `ExecReload=kill -HUP
//! $MAINPID`). Its stdout and stderr go to a pipe (one for every check,
//! made at the first) that supervise does not read while it runs: once it
//! is reaped, what it wrote (up to [`OUTPUT_MAX`] bytes; the rest is read
//! away) goes to supervise's stdout, where the service's own output goes
//! (its log), each line prefixed with `check: `, without ever blocking
//! (see [`NoWait`]); what does not fit now is dropped and said. A check
//! that writes more than the pipe holds (64 KiB) waits, and fails at its
//! timeout: a flood costs supervise nothing.
//!
//! When the check's first process ends, what it left in its process group
//! is killed; a timeout kills the whole group.

use super::files::Warn;
use super::health::NotStarted;
use super::{Actions, Machine, Now};
use crate::msg::{errstr, Level, Prog};
use crate::sys::{self, Action, Argv, NoWait};
use nix::errno::Errno;
use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// The most of a check's output passed on at each check; the rest is cut.
pub const OUTPUT_MAX: usize = 4096;

/// What each line of a check's output gets in front of it.
pub const PREFIX: &[u8] = b"check: ";

/// At most this many reads of [`OUTPUT_MAX`] take away what is past it
/// (the pipe holds 64 KiB).
const PIPE_READS: usize = 16;

/// The variable that tells a check the service's pid.
pub const PID_VAR: &str = "MAINPID";

/// What `check` is, looked at before each check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// No `check`.
    Missing,
    /// Cannot run, in daemontools' words.
    Broken(&'static str),
    /// An executable file.
    Runs,
}

/// Looks at `check` in the current directory (the service directory), as
/// exec would find it; a symlink is followed. `root`: for root any
/// execute bit will do, as the kernel lets root run it (no access(2) asked).
pub fn look(root: bool) -> Found {
    let name = c"check";
    let st = match nix::sys::stat::stat(name) {
        Ok(st) => st,
        Err(Errno::ENOENT) if present() => return Found::Broken("dangling symlink"),
        Err(Errno::ENOENT) => return Found::Missing,
        Err(e) => return Found::Broken(errstr(e)),
    };
    match st.st_mode & libc::S_IFMT {
        libc::S_IFDIR => Found::Broken(errstr(Errno::EISDIR)),
        libc::S_IFREG if root && st.st_mode & 0o111 != 0 => Found::Runs,
        libc::S_IFREG => {
            // SAFETY: access(2) with a valid C string.
            match unsafe { libc::access(name.as_ptr(), libc::X_OK) } {
                0 => Found::Runs,
                _ => Found::Broken(errstr(Errno::last())),
            }
        }
        _ => Found::Broken("not a regular file"),
    }
}

/// Whether the current directory has a `check` at all (of whatever kind,
/// a dangling symlink included): what switches checking on.
pub fn present() -> bool {
    nix::sys::stat::lstat(c"check").is_ok()
}

/// SIGKILL to the check `pid` and its whole process group.
pub fn kill(pid: u32) {
    let _ = crate::tree::kill_group(pid, libc::SIGKILL);
}

/// `./check`, ready to start, and what it wrote.
pub struct Checker {
    /// The service directory, as named in messages.
    dir: Vec<u8>,
    /// What a child that cannot exec says (to its output, so prefixed).
    failed: Vec<u8>,
    /// `./check` for the service's pid, made once per run.
    argv: Option<(u32, Argv)>,
    /// The pipe the checks write to: its read end (non-blocking) and its
    /// write end (each check's stdout and stderr).
    pipe: Option<(OwnedFd, OwnedFd)>,
    /// Where its output goes: stdout, once it can be had.
    sink: Option<NoWait>,
    /// The lines to write, prefixed; kept between checks.
    lines: Vec<u8>,
    /// The broken `check` was said, for this reason: once until it changes.
    warned: Option<&'static str>,
    /// Output was dropped (and said) since the last that went through.
    dropping: bool,
    /// supervise runs as root.
    root: bool,
}

impl Checker {
    /// For the service directory `arg`, named so in `prog`'s messages.
    pub fn new(prog: &Prog, arg: &OsStr) -> Checker {
        let dir = arg.as_bytes().to_vec();
        let failed = prog.child_failure(Level::Warning, &[b"unable to start ", &dir, b"/check"]);
        // SAFETY: geteuid(2) has no effects.
        let root = unsafe { libc::geteuid() } == 0;
        Checker {
            dir,
            failed,
            argv: None,
            pipe: None,
            sink: None,
            lines: Vec::new(),
            warned: None,
            dropping: false,
            root,
        }
    }

    /// Starts the check `m` asked for ([`Actions::check`]) and tells `m`
    /// how it went; returns what `m` decides then (after a check that
    /// could not start).
    pub fn start_for(&mut self, m: &mut Machine, warn: Warn) -> Actions {
        let Some(pid) = m.pid() else { return Actions::default() };
        match self.start(pid, warn) {
            Ok(check) => {
                m.check_started(check);
                Actions::default()
            }
            Err(why) => m.check_not_started(why, Now::read()),
        }
    }

    /// Starts `./check` for the service `pid`: its pid, also its process
    /// group; or why not (a broken `check` is said once, `warn` being
    /// where supervise's warnings go).
    fn start(&mut self, pid: u32, warn: Warn) -> Result<u32, NotStarted> {
        match look(self.root) {
            Found::Missing => {
                self.warned = None;
                return Err(NotStarted::Gone);
            }
            Found::Broken(why) => {
                if self.warned != Some(why) {
                    warn(&[b"unable to run ", &self.dir, b"/check: ", why.as_bytes(), b": counted as a failure"]);
                    self.warned = Some(why);
                }
                return Err(NotStarted::Broken);
            }
            Found::Runs => self.warned = None,
        }
        self.spawn(pid).map_err(|e| {
            warn(&[b"unable to start ", &self.dir, b"/check: ", errstr(e).as_bytes()]);
            NotStarted::Failed
        })
    }

    /// Starts `./check` for the service `pid`, its environment ours with
    /// `$MAINPID` (made at the first check of each run).
    fn spawn(&mut self, pid: u32) -> Result<u32, Errno> {
        if self.argv.as_ref().is_none_or(|(p, _)| *p != pid) {
            let mut env: Vec<Vec<u8>> = std::env::vars_os()
                .filter(|(name, _)| name != PID_VAR)
                .map(|(name, value)| [name.into_vec(), b"=".to_vec(), value.into_vec()].concat())
                .collect();
            env.push(format!("{PID_VAR}={pid}").into_bytes());
            let argv = Argv::new("./check", &["./check"]).and_then(|a| a.with_env(&env));
            self.argv = Some((pid, argv.ok_or(Errno::EINVAL)?));
        }
        let (_, argv) = self.argv.as_ref().expect("made above");
        if self.pipe.is_none() {
            use nix::fcntl::{fcntl, FcntlArg, OFlag};
            // Read without blocking, once a check is over; written as any output.
            let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
            fcntl(&r, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
            self.pipe = Some((r, w));
        }
        let w = self.pipe.as_ref().expect("made above").1.as_raw_fd();
        let actions =
            [Action::Setsid, Action::Open(c"/dev/null", libc::O_RDONLY, 0, 0), Action::Move(w, 1), Action::Move(w, 2)];
        sys::cspawn(argv, &self.failed, &actions)
    }

    /// The check `pid` was reaped: what is left of its process group is
    /// killed, and what it wrote goes to stdout, prefixed.
    pub fn ended(&mut self, pid: u32, warn: Warn) {
        kill(pid);
        let Some((out, _)) = &self.pipe else { return };
        let mut buf = [0u8; OUTPUT_MAX + 1];
        let n = read_there(out.as_fd(), &mut buf);
        if n == 0 {
            return;
        }
        let cut = n > OUTPUT_MAX;
        self.lines.clear();
        prefix_lines(&buf[..n.min(OUTPUT_MAX)], cut, &mut self.lines);
        // The rest is read away (at most what the pipe holds, whoever still
        // writes), into the buffer whose first part is now in `lines`.
        for _ in 0..PIPE_READS {
            if read_there(out.as_fd(), &mut buf) < buf.len() {
                break;
            }
        }
        if self.sink.is_none() {
            self.sink = NoWait::open(1);
        }
        let dropped = match &self.sink {
            Some(sink) => write_lines(sink, &self.lines),
            None => true,
        };
        // Said once while it lasts.
        if dropped && !self.dropping {
            warn(&[&self.dir, b"/check: output dropped: its log is not reading"]);
        }
        self.dropping = dropped;
    }
}

/// What the pipe `fd` (non-blocking) holds, up to `buf`'s size: what the
/// processes that hold it open wrote so far (it may never end: one may
/// have left the check's group).
fn read_there(fd: BorrowedFd, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        match sys::read_some(fd, &mut buf[got..]) {
            Ok(n @ 1..) => got += n,
            _ => break,
        }
    }
    got
}

/// `output` as lines each after [`PREFIX`], a last line without its
/// newline given one; then, if `cut`, a line saying so.
pub fn prefix_lines(output: &[u8], cut: bool, into: &mut Vec<u8>) {
    let output = output.strip_suffix(b"\n").unwrap_or(output);
    for line in output.split(|&b| b == b'\n') {
        into.extend_from_slice(PREFIX);
        into.extend_from_slice(line);
        into.push(b'\n');
    }
    if cut {
        into.extend_from_slice(PREFIX);
        into.extend_from_slice(format!("(output past {OUTPUT_MAX} bytes cut)\n").as_bytes());
    }
}

/// Writes whole lines to `sink`, as many as fit in each write without
/// passing PIPE_BUF (so that none is mixed with the service's own output);
/// returns whether some could not be written (the rest is dropped).
fn write_lines(sink: &NoWait, mut lines: &[u8]) -> bool {
    while !lines.is_empty() {
        // Whole lines up to PIPE_BUF; a longer line alone.
        let mut end = 0;
        for (i, _) in lines.iter().enumerate().filter(|(_, &b)| b == b'\n') {
            if i + 1 > libc::PIPE_BUF && end > 0 {
                break;
            }
            end = i + 1;
        }
        match sink.write(&lines[..end]) {
            // All, or a part (a line past PIPE_BUF): the rest next.
            Ok(n @ 1..) => lines = &lines[n..],
            _ => break,
        }
    }
    !lines.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_prefixed_and_the_last_ended() {
        let mut out = Vec::new();
        prefix_lines(b"one\ntwo", false, &mut out);
        assert_eq!(out, b"check: one\ncheck: two\n");
        out.clear();
        prefix_lines(b"one\n\nthree\n", false, &mut out);
        assert_eq!(out, b"check: one\ncheck: \ncheck: three\n");
        out.clear();
        prefix_lines(b"x", true, &mut out);
        assert_eq!(out, b"check: x\ncheck: (output past 4096 bytes cut)\n");
    }

    #[test]
    fn lines_go_in_writes_of_whole_lines_and_what_does_not_fit_is_counted() {
        let (r, w) = nix::unistd::pipe().unwrap();
        let sink = NoWait::open(w.as_raw_fd()).unwrap();
        let mut lines = Vec::new();
        for i in 0..1000 {
            lines.extend_from_slice(format!("check: line {i}\n").as_bytes());
        }
        assert!(!write_lines(&sink, &lines));
        let mut buf = vec![0u8; lines.len() + 1];
        assert_eq!(sys::read_full(r.as_fd(), &mut buf[..lines.len()]), Ok(lines.len()));
        assert_eq!(&buf[..lines.len()], &lines[..]);
        // A pipe nobody empties: what does not fit is dropped, never waited for.
        let big: Vec<u8> =
            std::iter::repeat_n(&b"check: yyyyyyyyyyyyyyyyyyyyyyyy\n"[..], 4000).flatten().copied().collect();
        assert!(write_lines(&sink, &big));
        let mut buf = vec![0u8; big.len()];
        sys::set_nonblocking(r.as_fd(), true).unwrap();
        let got = read_there(r.as_fd(), &mut buf);
        assert!(got > 0 && big[..got].ends_with(b"\n"), "whole lines only: {got}");
    }
}
