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

/// What a program prints on standard output, before exiting 0, when its
/// first argument is `--help` (its usage line, as a bad call prints it) or
/// `--version`; None for any other call.
pub fn about(prog: &str, usage: &str, first: Option<&std::ffi::OsStr>) -> Option<String> {
    match first?.as_encoded_bytes() {
        b"--help" => Some(format!("{prog}: usage: {usage}\nSee {prog}(8) and daemontools-rs(7).\n")),
        b"--version" => Some(format!("{prog} (daemontools-rs) {}\n", env!("CARGO_PKG_VERSION"))),
        _ => None,
    }
}

/// The program's argument when it was given exactly one: only a lone
/// `--help` or `--version` is taken as such, so that `supervise --help`
/// (a service directory named so, run by svscan as `./--help`) or
/// `svc -u --help` is never mistaken for one.
pub fn lone_arg() -> Option<std::ffi::OsString> {
    let mut args = std::env::args_os().skip(1);
    match (args.next(), args.next()) {
        (Some(a), None) => Some(a),
        _ => None,
    }
}

/// The kind of a message line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Fatal,
    Warning,
    /// `PROG: usage: ...`, for a bad call (exit 100).
    Usage,
}

/// One message line, newline included: `PROG: fatal: ` + parts.
pub fn line(prog: &str, level: Level, parts: &[&[u8]]) -> Vec<u8> {
    let tag: &[u8] = match level {
        Level::Fatal => b": fatal: ",
        Level::Warning => b": warning: ",
        Level::Usage => b": usage: ",
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
}
