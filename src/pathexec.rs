//! daemontools' `pathexec`: how every chain-loader runs the rest of its
//! command line. The program is searched for in `$PATH` (the caller's own,
//! `/bin:/usr/bin` when unset; an empty entry is the current directory)
//! unless its name holds a `/`, and the environment is changed the way
//! daemontools changes it, so that `env` prints the same lines in the same
//! order.

use crate::msg::{errno_of, Failure};
use nix::errno::Errno;
use std::ffi::{CStr, CString};

/// The process's environment, entry by entry, as the C library holds it.
pub fn environ() -> Vec<Vec<u8>> {
    extern "C" {
        static environ: *const *const libc::c_char;
    }
    let mut out = Vec::new();
    // SAFETY: environ is a NULL-terminated array of C strings, and nothing
    // changes it while we read (these programs have one thread).
    unsafe {
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            out.push(CStr::from_ptr(*p).to_bytes().to_vec());
            p = p.add(1);
        }
    }
    out
}

/// One change, `NAME=value` or `NAME` alone (to remove it), applied as
/// daemontools' `pathexec` does: the first variable named as the change
/// (the text before its first `=`) is removed, the last variable taking its
/// place, and the change is added at the end if it has a value.
pub fn apply(env: &mut Vec<Vec<u8>>, change: &[u8]) {
    let split = change.iter().position(|&b| b == b'=').unwrap_or(change.len());
    let name = &change[..split];
    if let Some(i) = env.iter().position(|e| e.len() > split && e.starts_with(name) && e[split] == b'=') {
        env.swap_remove(i);
    }
    if split < change.len() {
        env.push(change.to_vec());
    }
}

/// Runs `argv` with the environment `env`. Returns only when it cannot,
/// with daemontools' reason: the last error other than "not found" from the
/// directories tried (permission denied, is a directory), else ENOENT.
pub fn run(argv: &[Vec<u8>], env: &[Vec<u8>]) -> Errno {
    let (Some(args), Some(envs)) = (cstrings(argv), cstrings(env)) else { return Errno::EINVAL };
    let mut argp: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argp.push(std::ptr::null());
    let mut envp: Vec<*const libc::c_char> = envs.iter().map(|e| e.as_ptr()).collect();
    envp.push(std::ptr::null());
    let exec = |path: &CStr| -> Errno {
        // SAFETY: path, argp and envp are valid and NULL-terminated.
        unsafe { libc::execve(path.as_ptr(), argp.as_ptr(), envp.as_ptr()) };
        Errno::last()
    };
    // A name holding a `/` is the one place: PATH is not even read.
    if argv[0].contains(&b'/') {
        return exec(&args[0]);
    }
    let path = std::env::var_os("PATH").map_or(b"/bin:/usr/bin".to_vec(), |p| p.into_encoded_bytes());
    let mut saved = None;
    for candidate in crate::sys::search_path(&path, &argv[0]) {
        let Ok(candidate) = CString::new(candidate) else { continue };
        match exec(&candidate) {
            Errno::ENOENT => {}
            e @ (Errno::EACCES | Errno::EPERM | Errno::EISDIR) => saved = Some(e),
            e => return e,
        }
    }
    saved.unwrap_or(Errno::ENOENT)
}

/// envdir's work: applies to `env` the change each file of `dir` makes
/// (see [`env_value`]; an empty file removes the variable, names starting
/// with `.` are skipped), in the order the directory is read, with envdir's
/// messages on failure. The current directory is left as it was.
pub fn envdir(dir: &[u8], env: &mut Vec<Vec<u8>>) -> Result<(), Failure> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    let start = std::fs::File::open(".").map_err(io(&[b"unable to switch to current directory"]))?;
    std::env::set_current_dir(std::ffi::OsStr::from_bytes(dir))
        .map_err(io(&[b"unable to switch to directory ", dir]))?;
    let what: [&[u8]; 2] = [b"unable to read directory ", dir];
    let unreadable = io(&what);
    for entry in std::fs::read_dir(".").map_err(unreadable)? {
        let name = entry.map_err(unreadable)?.file_name();
        let name = name.as_bytes();
        if name.starts_with(b".") {
            continue;
        }
        // Without blocking, as daemontools' open_read: a FIFO with no writer reads as empty.
        let contents = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(std::ffi::OsStr::from_bytes(name))
            .and_then(|mut f| {
                let mut v = Vec::new();
                std::io::Read::read_to_end(&mut f, &mut v).map(|_| v)
            })
            .map_err(io(&[b"unable to read ", dir, b"/", name]))?;
        let change = if contents.is_empty() { name.to_vec() } else { [name, b"=", &env_value(&contents)].concat() };
        apply(env, &change);
    }
    // SAFETY: fchdir to a directory we hold open.
    Errno::result(unsafe { libc::fchdir(std::os::fd::AsRawFd::as_raw_fd(&start)) })
        .map_err(|e| Failure::temp(&[b"unable to switch to starting directory"], e))?;
    Ok(())
}

/// The failure `PARTS: REASON` (exit 111) for an I/O error.
fn io<'a>(parts: &'a [&'a [u8]]) -> impl Fn(std::io::Error) -> Failure + Copy + 'a {
    move |e| Failure::temp(parts, errno_of(&e))
}

/// envdir's reading of a file: the value its contents give the variable.
/// As daemontools' envdir: the first line (everything before the first
/// newline), then trailing spaces and tabs removed, then every NUL byte
/// turned into a newline (so a blank before a NUL stays). An empty file
/// removes the variable instead; that is the caller's test, here it gives
/// an empty value, as a file holding only a newline does.
pub fn env_value(contents: &[u8]) -> Vec<u8> {
    let line = contents.split(|&b| b == b'\n').next().unwrap_or_default();
    let end = line.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(0, |i| i + 1);
    line[..end].iter().map(|&b| if b == 0 { b'\n' } else { b }).collect()
}

fn cstrings(v: &[Vec<u8>]) -> Option<Vec<CString>> {
    v.iter().map(|s| CString::new(s.as_slice()).ok()).collect()
}

/// An account's uid and gid: from `/etc/passwd`, else from `getent passwd`,
/// which asks every source `nsswitch.conf` names (LDAP, systemd's users).
/// Not getpwnam: our programs are linked static, and static glibc's
/// getpwnam crashes when it loads an NSS module for a name not in the file.
pub fn account(name: &[u8]) -> Option<(libc::uid_t, libc::gid_t)> {
    // glibc's files backend never matches a name starting with + or -
    // (NIS compat lines).
    if name.is_empty() || name.contains(&b':') || name.contains(&b'\n') || matches!(name[0], b'+' | b'-') {
        return None;
    }
    let files = std::fs::read("/etc/passwd").unwrap_or_default();
    passwd_entry(&files, name).or_else(|| passwd_entry(&getent("passwd", name)?, name))
}

/// [`account`], for setuidgid and envuidgid: daemontools' `unknown account
/// NAME` (111) when there is none.
pub fn known_account(name: &[u8]) -> Result<(libc::uid_t, libc::gid_t), Failure> {
    account(name).ok_or_else(|| Failure::fatal(crate::msg::EXIT_TEMP, &[b"unknown account ", name]))
}

/// Where getent is looked for: by absolute path and with an empty
/// environment, never through the caller's PATH, since setuidgid runs as root
/// with whatever environment a run script (or its envdir) gave it.
const GETENT: [&str; 2] = ["/usr/bin/getent", "/bin/getent"];

/// What `getent DATABASE -- KEY` prints (`passwd` for an account, `ahosts`
/// for a host's addresses): getent asks every source `nsswitch.conf` names,
/// which our static programs cannot do themselves (static glibc loads the
/// NSS modules at run time: getpwnam crashes, getaddrinfo needs the
/// modules of the glibc it was linked with, and brings 170 KB of resolver).
/// The output is kept even if the wait fails (an inherited ignored SIGCHLD
/// reaps the child first).
pub fn getent(database: &str, key: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::ffi::OsStrExt;
    let program = GETENT.iter().find(|p| std::path::Path::new(p).exists())?;
    let mut child = std::process::Command::new(program)
        .args([std::ffi::OsStr::new(database), "--".as_ref(), std::ffi::OsStr::from_bytes(key)])
        .env_clear()
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let mut out = Vec::new();
    let read = child.stdout.take()?.read_to_end(&mut out);
    let _ = child.wait();
    read.ok().map(|_| out)
}

/// The uid and gid of `name`'s first well-formed line in a passwd file.
fn passwd_entry(db: &[u8], name: &[u8]) -> Option<(libc::uid_t, libc::gid_t)> {
    db.split(|&b| b == b'\n').find_map(|line| {
        let mut field = line.split(|&b| b == b':');
        if field.next() != Some(name) || matches!(name.first(), Some(b'+' | b'-')) {
            return None;
        }
        let number = |f: Option<&[u8]>| std::str::from_utf8(f?).ok()?.parse().ok();
        let _password = field.next();
        Some((number(field.next())?, number(field.next())?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn reads_an_account_from_a_passwd_file() {
        let db = b"root:x:0:0:root:/root:/bin/sh\nbad:x:1\nbad:x:7:8::/:\nlong:x:4294967295:4294967296:\n+:::\nnobody:x:65534:65534::/:";
        assert_eq!(passwd_entry(db, b"root"), Some((0, 0)));
        assert_eq!(passwd_entry(db, b"nobody"), Some((65534, 65534)), "the last line needs no newline");
        assert_eq!(passwd_entry(db, b"bad"), Some((7, 8)), "a short line is skipped");
        assert_eq!(passwd_entry(db, b"long"), None, "a gid that overflows is no gid");
        assert_eq!(passwd_entry(db, b"roo"), None);
        assert_eq!(passwd_entry(db, b"+"), None);
        assert_eq!(passwd_entry(b"+x:x:0:0::/:\n", b"+x"), None, "a NIS compat line is no account");
        assert_eq!(account(b"-root"), None);
        assert_eq!(account(b""), None);
        assert_eq!(account(b"root:x"), None);
        assert_eq!(account(b"root"), Some((0, 0)));
    }

    #[test]
    fn env_value_as_envdir_reads_it() {
        assert_eq!(env_value(b"x\nsecond line\n"), b"x");
        assert_eq!(env_value(b"e  \t \t\n"), b"e");
        assert_eq!(env_value(b"a\0b\0\n"), b"a\nb\n");
        assert_eq!(env_value(b"a \0 \t"), b"a \n", "blanks go before NULs become newlines");
        assert_eq!(env_value(b"   \n"), b"");
        assert_eq!(env_value(b"\n"), b"");
        assert_eq!(env_value(b""), b"");
    }

    #[test]
    fn changes_as_daemontools_orders_them() {
        // Debian's envdir, with a directory read as E, D, B, A (A empty), gave B, D, C, E.
        let mut e = env(&["A=1", "B=2", "C=3"]);
        for change in ["E=e", "D=new", "B=x", "A"] {
            apply(&mut e, change.as_bytes());
        }
        assert_eq!(e, env(&["B=x", "D=new", "C=3", "E=e"]));
        let mut e = env(&["F=9", "FOO=1", "F"]);
        apply(&mut e, b"F=G=v");
        assert_eq!(e, env(&["F", "FOO=1", "F=G=v"]), "the name ends at the first =; an entry without = is not it");
        apply(&mut e, b"NOPE");
        assert_eq!(e.len(), 3);
    }
}
