//! `mksv` (issue 23): a service directory made in one step, as `pm2 start`
//! or `systemd-run` make a service from a command line. The scripts are
//! made here without a system call ([`run_script`], [`log_script`],
//! [`quote`], [`env_file`]); [`make`] writes them under a temporary name
//! beside DIR and renames it into place, so that svscan never sees half of
//! a service, then links it into a scan directory if asked.

use crate::msg::{Failure, EXIT_USAGE};
use crate::sys;
use crate::Errno;
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to make.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spec {
    /// The service directory to make; it must not exist.
    pub dir: Vec<u8>,
    /// The command and its arguments, exact to the byte.
    pub command: Vec<Vec<u8>>,
    /// `-u USER`: the account the command runs as (through setuidgid).
    pub user: Option<Vec<u8>>,
    /// `-e NAME=VALUE`, in order: the environment (through an envdir).
    pub env: Vec<(Vec<u8>, Vec<u8>)>,
    /// `-s SCANDIR`: link the service there and wait until it is up.
    pub scan: Option<Vec<u8>>,
}

/// The programs the scripts run, by absolute path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tools {
    pub envdir: Vec<u8>,
    pub setuidgid: Vec<u8>,
    pub multilog: Vec<u8>,
}

impl Tools {
    /// Ours: beside this executable first, then on PATH.
    pub fn find() -> Tools {
        let path = |name| sys::find_program(name).into_os_string().into_encoded_bytes();
        Tools { envdir: path("envdir"), setuidgid: path("setuidgid"), multilog: path("multilog") }
    }
}

/// How long `-s` waits for the service to come up.
pub const UP_WAIT: Duration = Duration::from_secs(10);

/// `arg` as one word of sh, whatever its bytes: in single quotes, each
/// single quote written `'\''`.
pub fn quote(arg: &[u8]) -> Vec<u8> {
    let mut out = vec![b'\''];
    for &b in arg {
        match b {
            b'\'' => out.extend_from_slice(b"'\\''"),
            b => out.push(b),
        }
    }
    out.push(b'\'');
    out
}

/// `./run`: standard error into standard output (the log), then exec the
/// command, through an envdir `./env` and setuidgid as asked.
pub fn run_script(spec: &Spec, tools: &Tools) -> Vec<u8> {
    let mut words: Vec<Vec<u8>> = Vec::new();
    if !spec.env.is_empty() {
        words.extend([quote(&tools.envdir), b"./env".to_vec()]);
    }
    if let Some(user) = &spec.user {
        words.extend([quote(&tools.setuidgid), quote(user)]);
    }
    words.extend(spec.command.iter().map(|a| quote(a)));
    [&b"#!/bin/sh\nexec 2>&1\nexec "[..], &words.join(&b' '), b"\n"].concat()
}

/// `log/run`: `multilog t ./main`.
pub fn log_script(tools: &Tools) -> Vec<u8> {
    [&b"#!/bin/sh\nexec "[..], &quote(&tools.multilog), b" t ./main\n"].concat()
}

/// The file of `env/NAME` that gives the variable `value` through envdir,
/// which reads the first line, drops trailing blanks and turns NULs into
/// newlines: a value's newlines are written as NULs. A value that ends in a
/// space or a tab cannot be given so: why.
pub fn env_file(value: &[u8]) -> Result<Vec<u8>, &'static str> {
    if value.ends_with(b" ") || value.ends_with(b"\t") {
        return Err("envdir drops a value's trailing spaces and tabs");
    }
    let mut file: Vec<u8> = value.iter().map(|&b| if b == b'\n' { 0 } else { b }).collect();
    file.push(b'\n');
    Ok(file)
}

/// `-e NAME=VALUE` split, NAME a file name envdir can read (not empty, no
/// `/`, no `=`, not `.` or `..`).
pub fn env_pair(arg: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let eq = arg.iter().position(|&b| b == b'=')?;
    let (name, value) = (&arg[..eq], &arg[eq + 1..]);
    let bad = name.is_empty() || name.contains(&b'/') || name == b"." || name == b"..";
    (!bad).then(|| (name.to_vec(), value.to_vec()))
}

/// The name svscan knows the service by: DIR's last part.
fn base_name(dir: &[u8]) -> &[u8] {
    let trimmed = dir.strip_suffix(b"/").unwrap_or(dir);
    trimmed.rsplit(|&b| b == b'/').next().unwrap_or(trimmed)
}

/// Makes the service as `spec` says: DIR under a temporary name beside it,
/// renamed into place (never over anything); with `-s`, linked into the
/// scan directory, then waited for until it is up. Failures are daemontools'
/// `unable to ...` (111), `unknown account` (111), or a timeout (99).
pub fn make(spec: &Spec, tools: &Tools) -> Result<(), Failure> {
    let dir = spec.dir.as_slice();
    let name = base_name(dir);
    if name.is_empty() || name == b"." || name == b".." {
        return Err(Failure::fatal(EXIT_USAGE, &[b"bad service directory ", dir]).then_usage());
    }
    if spec.scan.is_some() && name.starts_with(b".") {
        let why = b": svscan skips a name starting with a dot";
        return Err(Failure::fatal(EXIT_USAGE, &[b"bad service directory ", dir, why]));
    }
    if let Some(user) = &spec.user {
        crate::pathexec::known_account(user)?;
    }
    let env: Vec<(&[u8], Vec<u8>)> = spec
        .env
        .iter()
        .map(|(n, v)| env_file(v).map(|f| (n.as_slice(), f)))
        .collect::<Result<_, _>>()
        .map_err(|why| Failure::fatal(EXIT_USAGE, &[b"bad value for -e: ", why.as_bytes()]))?;
    let unable = |what: &'static [u8], e| Failure::temp(&[what, dir], e);
    if nix::sys::stat::lstat(OsStr::from_bytes(dir)).is_ok() {
        return Err(unable(b"unable to make ", Errno::EEXIST));
    }
    let target = PathBuf::from(OsStr::from_bytes(dir));
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temp = parent.join(format!(".{}.mksv-{}", String::from_utf8_lossy(name), std::process::id()));
    let built = build(&temp, spec, tools, &env).and_then(|()| rename_new(&temp, &target));
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&temp);
        return Err(unable(b"unable to make ", e));
    }
    if let Some(scan) = &spec.scan {
        link_and_wait(&target, scan, name)?;
    }
    Ok(())
}

/// Writes the service into `temp`: `run`, `log/run`, `env/` if asked.
fn build(temp: &Path, spec: &Spec, tools: &Tools, env: &[(&[u8], Vec<u8>)]) -> Result<(), Errno> {
    let io = |e: std::io::Error| crate::msg::errno_of(&e);
    let write = |path: PathBuf, bytes: &[u8], mode: u32| {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path).map_err(io)?;
        std::io::Write::write_all(&mut f, bytes).map_err(io)
    };
    std::fs::create_dir(temp).map_err(io)?;
    std::fs::create_dir(temp.join("log")).map_err(io)?;
    write(temp.join("log/run"), &log_script(tools), 0o755)?;
    if !env.is_empty() {
        std::fs::create_dir(temp.join("env")).map_err(io)?;
        for (name, file) in env {
            write(temp.join("env").join(OsStr::from_bytes(name)), file, 0o644)?;
        }
    }
    // `run` last: a directory with `run` is a whole service.
    write(temp.join("run"), &run_script(spec, tools), 0o755)
}

/// rename(2) that never replaces anything (RENAME_NOREPLACE): an empty
/// directory made at DIR meanwhile is not taken over.
fn rename_new(from: &Path, to: &Path) -> Result<(), Errno> {
    let (from, to) = (c_path(from)?, c_path(to)?);
    // SAFETY: renameat2 with valid C strings and AT_FDCWD.
    let r =
        unsafe { libc::renameat2(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::RENAME_NOREPLACE) };
    Errno::result(r).map(drop)
}

fn c_path(path: &Path) -> Result<CString, Errno> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| Errno::EINVAL)
}

/// Links the service `dir` into `scan` as `name` (by its absolute path),
/// then waits until a supervise there says it is up.
fn link_and_wait(dir: &Path, scan: &[u8], name: &[u8]) -> Result<(), Failure> {
    let link = Path::new(OsStr::from_bytes(scan)).join(OsStr::from_bytes(name));
    let link_bytes = link.as_os_str().as_bytes().to_vec();
    let absolute = std::fs::canonicalize(dir)
        .map_err(|e| Failure::temp(&[b"unable to link ", &link_bytes], crate::msg::errno_of(&e)))?;
    std::os::unix::fs::symlink(&absolute, &link)
        .map_err(|e| Failure::temp(&[b"unable to link ", &link_bytes], crate::msg::errno_of(&e)))?;
    let deadline = Instant::now() + UP_WAIT;
    loop {
        let up = crate::svdir::ServiceDir::open(link.as_os_str())
            .ok()
            .filter(|d| d.ok().is_ok())
            .and_then(|d| d.status().ok())
            .is_some_and(|s| s.pid != 0);
        if up {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Failure::fatal(99, &[b"timed out waiting for ", &link_bytes, b" to come up"]));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools() -> Tools {
        Tools {
            envdir: b"/bin/envdir".to_vec(),
            setuidgid: b"/bin/setuidgid".to_vec(),
            multilog: b"/bin/multilog".to_vec(),
        }
    }

    #[test]
    fn any_bytes_are_one_word() {
        assert_eq!(quote(b"plain"), b"'plain'");
        assert_eq!(quote(b"it's"), b"'it'\\''s'");
        assert_eq!(quote(b""), b"''");
        assert_eq!(quote(b"$HOME `x` \"y\" \\ \n\xff"), b"'$HOME `x` \"y\" \\ \n\xff'");
    }

    #[test]
    fn quoted_words_come_back_exact_through_sh() {
        let args: [&[u8]; 6] = [b"a b", b"it's", b"$(echo no)", b"line\nbreak", b"\xff\x01", b"*"];
        let script: Vec<u8> = [&b"printf '%s\\0' "[..], &args.map(quote).join(&b' ')].concat();
        let o = std::process::Command::new("/bin/sh").arg("-c").arg(OsStr::from_bytes(&script)).output().unwrap();
        let got: Vec<&[u8]> = o.stdout.split(|&b| b == 0).filter(|w| !w.is_empty()).collect();
        assert_eq!(got, args);
    }

    #[test]
    fn the_run_script_chains_envdir_and_setuidgid_as_asked() {
        let mut spec = Spec {
            dir: b"web".to_vec(),
            command: vec![b"python3".to_vec(), b"-m".to_vec(), b"http.server".to_vec()],
            ..Spec::default()
        };
        assert_eq!(run_script(&spec, &tools()), b"#!/bin/sh\nexec 2>&1\nexec 'python3' '-m' 'http.server'\n");
        spec.user = Some(b"www-data".to_vec());
        spec.env = vec![(b"PORT".to_vec(), b"8080".to_vec())];
        assert_eq!(
            run_script(&spec, &tools()),
            b"#!/bin/sh\nexec 2>&1\nexec '/bin/envdir' ./env '/bin/setuidgid' 'www-data' 'python3' '-m' 'http.server'\n"
        );
        assert_eq!(log_script(&tools()), b"#!/bin/sh\nexec '/bin/multilog' t ./main\n");
    }

    #[test]
    fn env_values_and_names() {
        assert_eq!(env_file(b"8080"), Ok(b"8080\n".to_vec()));
        assert_eq!(env_file(b"two\nlines"), Ok(b"two\0lines\n".to_vec()), "envdir turns the NUL back");
        assert_eq!(crate::pathexec::env_value(&env_file(b"two\nlines").unwrap()), b"two\nlines");
        assert!(env_file(b"x ").is_err() && env_file(b"x\t").is_err());
        assert_eq!(env_pair(b"A=b=c"), Some((b"A".to_vec(), b"b=c".to_vec())));
        assert_eq!(env_pair(b"A="), Some((b"A".to_vec(), b"".to_vec())));
        for bad in [&b"=x"[..], b"noequals", b"a/b=1", b".=1", b"..=1"] {
            assert_eq!(env_pair(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_name_is_the_last_part() {
        assert_eq!(base_name(b"/etc/sv/web"), b"web");
        assert_eq!(base_name(b"web/"), b"web");
        assert_eq!(base_name(b"web"), b"web");
    }
}
