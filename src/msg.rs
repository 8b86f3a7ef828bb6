//! daemontools' messages and exit codes.
//!
//! The library formats; the binaries print and exit. A message is
//! `PROG: fatal: PARTS...` or `PROG: warning: PARTS...`, and the reason for a
//! system error is daemontools' own spelling of errno (`file does not exist`,
//! `temporary failure`), not strerror's.

use nix::errno::Errno;

/// Usage error or permanent failure.
pub const EXIT_USAGE: i32 = 100;
/// Temporary or system failure.
pub const EXIT_TEMP: i32 = 111;
/// The program to run was found but cannot be executed.
pub const EXIT_NOEXEC: i32 = 126;
/// The program to run was not found.
pub const EXIT_NOTFOUND: i32 = 127;

/// A program, declared once in its main: its name and its usage.
#[derive(Clone, Copy, Debug)]
pub struct Prog {
    pub name: &'static str,
    /// The usage, without `PROG: usage: `: what a bad call prints on that
    /// line, and what `--help` prints.
    pub usage: &'static str,
    /// What a bad call prints instead of `PROG: usage: ...`, where
    /// daemontools prints something else (svc's list of options).
    pub bad_call: Option<&'static str>,
}

impl Prog {
    /// A program whose bad call prints `PROG: usage: USAGE`.
    pub const fn new(name: &'static str, usage: &'static str) -> Prog {
        Prog { name, usage, bad_call: None }
    }

    /// One message line of this program's: [`line`].
    pub fn line(&self, level: Level, parts: &[&[u8]]) -> Vec<u8> {
        line(self.name, level, parts)
    }

    /// The start of the line a child prints when it cannot exec:
    /// `PROG: LEVEL: PARTS: `, which the child completes with daemontools'
    /// reason and a newline (it may not allocate: see `sys::cspawn`).
    pub fn child_failure(&self, level: Level, parts: &[&[u8]]) -> Vec<u8> {
        let mut out = self.line(level, parts);
        out.pop();
        out.extend_from_slice(b": ");
        out
    }

    /// What the program prints on standard output, before exiting 0, when
    /// its lone argument is `--help` (its usage, as a bad call prints it) or
    /// `--version`; None for any other call.
    pub fn about(&self, lone: Option<&std::ffi::OsStr>) -> Option<String> {
        let prog = self.name;
        match lone?.as_encoded_bytes() {
            b"--help" => Some(format!("{prog}: usage: {}\nSee {prog}(8) and daemontools-rs(7).\n", self.usage)),
            b"--version" => Some(format!("{prog} (daemontools-rs) {}\n", env!("CARGO_PKG_VERSION"))),
            _ => None,
        }
    }

    /// What a bad call prints after its first line: the usage line, or the
    /// program's own text.
    fn usage_text(&self) -> Vec<u8> {
        match self.bad_call {
            Some(text) => text.as_bytes().to_vec(),
            None => line(self.name, Level::Usage, &[self.usage.as_bytes()]),
        }
    }
}

/// The kind of a message line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Fatal,
    Warning,
    /// `PROG: usage: ...`, for a bad call (exit 100).
    Usage,
    /// `PROG: ...`, as getopt's `illegal option -- C`.
    Plain,
}

/// One line a failure prints.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Line {
    Text(Level, Vec<u8>),
    /// The program's usage ([`Prog::bad_call`] or its usage line).
    Usage,
}

/// Why a program stops: the exit code, and the lines it prints on standard
/// error, formatted with the program's name only when printed
/// ([`Failure::render`]). The library returns these; `cli` prints them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    code: i32,
    lines: Vec<Line>,
}

impl Failure {
    /// One line of `level`, then exit `code`.
    pub fn new(code: i32, level: Level, parts: &[&[u8]]) -> Failure {
        Failure { code, lines: vec![Line::Text(level, parts.concat())] }
    }

    /// `PROG: fatal: PARTS`, exit `code`.
    pub fn fatal(code: i32, parts: &[&[u8]]) -> Failure {
        Failure::new(code, Level::Fatal, parts)
    }

    /// `PROG: fatal: PARTS: REASON` with daemontools' reason for `e`.
    pub fn sys(code: i32, parts: &[&[u8]], e: Errno) -> Failure {
        let mut all = parts.to_vec();
        all.push(b": ");
        all.push(errstr(e).as_bytes());
        Failure::fatal(code, &all)
    }

    /// `PROG: fatal: PARTS: REASON`, exit 111: a temporary or system failure.
    pub fn temp(parts: &[&[u8]], e: Errno) -> Failure {
        Failure::sys(EXIT_TEMP, parts, e)
    }

    /// `PROG: fatal: unable to run PROGRAM: REASON`, exit 111: what a
    /// program says when the program it runs cannot be run.
    pub fn unable_to_run(program: &[u8], e: Errno) -> Failure {
        Failure::temp(&[b"unable to run ", program], e)
    }

    /// A bad call: the usage, exit 100.
    pub fn usage() -> Failure {
        Failure { code: EXIT_USAGE, lines: vec![Line::Usage] }
    }

    /// A bad call with what is wrong on a line of its own (`PROG: PARTS`,
    /// as getopt says `illegal option -- C`), then the usage; exit 100.
    pub fn bad_call(parts: &[&[u8]]) -> Failure {
        Failure::new(EXIT_USAGE, Level::Plain, parts).then_usage()
    }

    /// getopt's complaint about option `c`, then the usage; exit 100.
    pub fn bad_option(opt: &crate::getopt::Opt) -> Failure {
        use crate::getopt::Opt;
        match opt {
            Opt::MissingArg(c) => Failure::bad_call(&[b"option requires an argument -- ", &[*c]]),
            Opt::Illegal(c) | Opt::Flag(c) | Opt::Arg(c, _) => Failure::bad_call(&[b"illegal option -- ", &[*c]]),
        }
    }

    /// Exit `code` and print nothing (svok's 100, setlock -x).
    pub fn silent(code: i32) -> Failure {
        Failure { code, lines: Vec::new() }
    }

    /// The same, followed by the usage (svscan's bad `-g`).
    pub fn then_usage(mut self) -> Failure {
        self.lines.push(Line::Usage);
        self
    }

    /// The same with another exit code.
    pub fn with_code(mut self, code: i32) -> Failure {
        self.code = code;
        self
    }

    /// The exit code.
    pub fn code(&self) -> i32 {
        self.code
    }

    /// What the program prints on standard error.
    pub fn render(&self, prog: &Prog) -> Vec<u8> {
        let mut out = Vec::new();
        for l in &self.lines {
            match l {
                Line::Text(level, text) => out.extend_from_slice(&prog.line(*level, &[text])),
                Line::Usage => out.extend_from_slice(&prog.usage_text()),
            }
        }
        out
    }
}

/// One message line, newline included: `PROG: fatal: ` + parts.
pub fn line(prog: &str, level: Level, parts: &[&[u8]]) -> Vec<u8> {
    let tag: &[u8] = match level {
        Level::Fatal => b": fatal: ",
        Level::Warning => b": warning: ",
        Level::Usage => b": usage: ",
        Level::Plain => b": ",
    };
    let mut out = Vec::with_capacity(64 + parts.iter().map(|p| p.len()).sum::<usize>());
    out.extend_from_slice(prog.as_bytes());
    out.extend_from_slice(tag);
    for part in parts {
        out.extend_from_slice(part);
    }
    out.push(b'\n');
    out
}

/// The errno of an I/O error (EIO when it carries none).
pub fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

/// daemontools' reason for an errno (its `error_str`).
pub fn errstr(e: Errno) -> &'static str {
    use libc::*;
    match e as i32 {
        EINTR => "interrupted system call",
        ENOMEM => "out of memory",
        ENOENT => "file does not exist",
        ETXTBSY => "text busy",
        EIO => "input/output error",
        EEXIST => "file already exists",
        ETIMEDOUT => "timed out",
        EINPROGRESS => "operation in progress",
        EAGAIN => "temporary failure",
        EPIPE => "broken pipe",
        EPERM => "permission denied",
        EACCES => "access denied",
        ENXIO => "device not configured",
        EPROTO => "protocol error",
        EISDIR => "is a directory",
        ECONNREFUSED => "connection refused",
        ENOTDIR => "not a directory",
        ESRCH => "no such process",
        E2BIG => "argument list too long",
        ENOEXEC => "exec format error",
        EBADF => "file descriptor not open",
        ECHILD => "no child processes",
        EDEADLK => "operation would cause deadlock",
        EFAULT => "bad address",
        ENOTBLK => "not a block device",
        EBUSY => "device busy",
        EXDEV => "cross-device link",
        ENODEV => "device does not support operation",
        EINVAL => "invalid argument",
        ENFILE => "system cannot open more files",
        EMFILE => "process cannot open more files",
        ENOTTY => "not a tty",
        EFBIG => "file too big",
        ENOSPC => "out of disk space",
        ESPIPE => "unseekable descriptor",
        EROFS => "read-only file system",
        EMLINK => "too many links",
        EDOM => "input out of range",
        ERANGE => "output out of range",
        EALREADY => "operation already in progress",
        ENOTSOCK => "not a socket",
        EDESTADDRREQ => "destination address required",
        EMSGSIZE => "message too long",
        EPROTOTYPE => "incorrect protocol type",
        ENOPROTOOPT => "protocol not available",
        EPROTONOSUPPORT => "protocol not supported",
        ESOCKTNOSUPPORT => "socket type not supported",
        EOPNOTSUPP => "operation not supported",
        EPFNOSUPPORT => "protocol family not supported",
        EAFNOSUPPORT => "address family not supported",
        EADDRINUSE => "address already used",
        EADDRNOTAVAIL => "address not available",
        ENETDOWN => "network down",
        ENETUNREACH => "network unreachable",
        ENETRESET => "network reset",
        ECONNABORTED => "connection aborted",
        ECONNRESET => "connection reset",
        ENOBUFS => "out of buffer space",
        EISCONN => "already connected",
        ENOTCONN => "not connected",
        ESHUTDOWN => "socket shut down",
        ETOOMANYREFS => "too many references",
        ELOOP => "symbolic link loop",
        ENAMETOOLONG => "file name too long",
        EHOSTDOWN => "host down",
        EHOSTUNREACH => "host unreachable",
        ENOTEMPTY => "directory not empty",
        EUSERS => "too many users",
        EDQUOT => "disk quota exceeded",
        ESTALE => "stale NFS file handle",
        EREMOTE => "too many levels of remote in path",
        ENOLCK => "no locks available",
        ENOSYS => "system call not available",
        ENOSTR => "not a stream device",
        ETIME => "timer expired",
        ENOSR => "out of stream resources",
        ENOMSG => "no message of desired type",
        EBADMSG => "bad message type",
        EIDRM => "identifier removed",
        ENONET => "machine not on network",
        ENOLINK => "link severed",
        EADV => "advertise error",
        ESRMNT => "srmount error",
        ECOMM => "communication error",
        EMULTIHOP => "multihop attempted",
        EREMCHG => "remote address changed",
        _ => "unknown error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_daemontools_spelling() {
        assert_eq!(errstr(Errno::ENOENT), "file does not exist");
        assert_eq!(errstr(Errno::EAGAIN), "temporary failure");
        assert_eq!(errstr(Errno::EWOULDBLOCK), "temporary failure");
        assert_eq!(errstr(Errno::EACCES), "access denied");
        assert_eq!(errstr(Errno::EPERM), "permission denied");
        assert_eq!(errstr(Errno::ENXIO), "device not configured");
        assert_eq!(errstr(Errno::ELOOP), "symbolic link loop");
        assert_eq!(errstr(Errno::UnknownErrno), "unknown error");
    }

    #[test]
    fn lines_have_daemontools_shape() {
        let l = line("svc", Level::Warning, &[b"unable to control ", b"x", b": supervise not running"]);
        assert_eq!(l, b"svc: warning: unable to control x: supervise not running\n");
        let l = line("supervise", Level::Fatal, &[b"unable to acquire x/supervise/lock: temporary failure"]);
        assert_eq!(l, b"supervise: fatal: unable to acquire x/supervise/lock: temporary failure\n");
    }

    const SETLOCK: Prog = Prog::new("setlock", "setlock [ -nNxX ] file program [ arg ... ]");

    #[test]
    fn failures_render_with_the_name_and_keep_their_code() {
        let f = Failure::temp(&[b"unable to open ", b"f"], Errno::EACCES);
        assert_eq!(
            (f.code(), f.render(&SETLOCK)),
            (111, b"setlock: fatal: unable to open f: access denied\n".to_vec())
        );
        let f = Failure::bad_option(&crate::getopt::Opt::Illegal(b'z'));
        let text = b"setlock: illegal option -- z\nsetlock: usage: setlock [ -nNxX ] file program [ arg ... ]\n";
        assert_eq!((f.code(), f.render(&SETLOCK)), (100, text.to_vec()));
        let f = Failure::bad_option(&crate::getopt::Opt::MissingArg(b'T'));
        assert!(f.render(&SETLOCK).starts_with(b"setlock: option requires an argument -- T\n"));
        assert_eq!(Failure::silent(100).render(&SETLOCK), b"");
        let f = Failure::unable_to_run(b"x", Errno::ENOENT);
        assert_eq!(
            (f.code(), f.render(&SETLOCK)),
            (111, b"setlock: fatal: unable to run x: file does not exist\n".to_vec())
        );
        assert_eq!(
            SETLOCK.child_failure(Level::Warning, &[b"unable to run ", b"svc"]),
            b"setlock: warning: unable to run svc: "
        );
        let svc = Prog { name: "svc", usage: "svc dir", bad_call: Some("svc options: u up\n") };
        assert_eq!(Failure::usage().render(&svc), b"svc options: u up\n");
        let f = Failure::fatal(100, &[b"bad grace period x"]).then_usage();
        assert_eq!(f.render(&svc), b"svc: fatal: bad grace period x\nsvc options: u up\n");
    }

    #[test]
    fn help_and_version_only_alone() {
        let help = SETLOCK.about(Some(std::ffi::OsStr::new("--help"))).unwrap();
        assert!(help.starts_with("setlock: usage: setlock [ -nNxX ]"));
        assert!(SETLOCK.about(Some(std::ffi::OsStr::new("--version"))).unwrap().contains("daemontools-rs"));
        assert_eq!(SETLOCK.about(Some(std::ffi::OsStr::new("-n"))), None);
        assert_eq!(SETLOCK.about(None), None);
    }
}
