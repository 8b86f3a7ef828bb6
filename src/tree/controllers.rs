//! cgroup controllers for the services' trees: the room svscan makes for
//! them, and a tree's pids limit (`pids-max`), which bounds a fork bomb.
//!
//! cgroup v2 lets a cgroup hand controllers to its children only while it
//! holds no process of its own. svscan (svscanboot first, when it starts
//! svscan) started alone in a cgroup given to it (systemd's `Delegate=yes`,
//! a container's own cgroup namespace) moves itself into a leaf of that
//! cgroup, [`LEAF`], and enables [`CONTROLLERS`] for the cgroup's children
//! ([`make_room`]). Every supervise then lives in the leaf, and the
//! services' cgroups are made beside it ([`home`]), each with its pids limit
//! and its own memory figure. Where svscan is not alone (a shell's session,
//! the host's root cgroup), where the controllers are not available to its
//! cgroup, or where it may not write there, nothing moves, and the
//! services' cgroups are made below supervise's own, without controllers.
//! systemd 254's `DelegateSubgroup=supervise` starts svscan in the leaf
//! already, which comes to the same.
//!
//! The pids limit is `pids.max` of the tree's cgroup v2 where the pids
//! controller is on for it; else, on a hybrid host whose pids controller
//! is on the cgroup v1 hierarchy (as systemd's hybrid mode uses it), of a
//! v1 pids cgroup of the same name, which supervise joins so that `run`
//! is born in it ([`Cap`]).

use super::{c_path, failed, mount_of, own_dir, pids, read_file, Fallback};
use crate::sys;
use nix::errno::Errno;
use nix::fcntl::AT_FDCWD;
use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The name of the leaf cgroup that svscan, the supervisors, the loggers
/// and the services without `tree` live in, beside the services' cgroups.
pub const LEAF: &str = "supervise";

/// The controllers enabled for the services' cgroups: the pids limit and
/// the memory figure. Not `cpu` or `io`, whose weights would share the
/// machine between services rather than processes, unasked.
pub const CONTROLLERS: [&str; 2] = ["pids", "memory"];

/// Which of `wanted` a cgroup can give its children (`cgroup.controllers`,
/// `available`) that it does not yet (`cgroup.subtree_control`, `enabled`).
pub fn missing<'a>(wanted: &[&'a str], available: &[u8], enabled: &[u8]) -> Vec<&'a str> {
    let words = |list: &[u8]| -> Vec<Vec<u8>> {
        list.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty()).map(<[u8]>::to_vec).collect()
    };
    let (available, enabled) = (words(available), words(enabled));
    let has = |list: &[Vec<u8>], c: &str| list.iter().any(|w| w == c.as_bytes());
    wanted.iter().copied().filter(|c| has(&available, c) && !has(&enabled, c)).collect()
}

/// Where a supervise whose own cgroup is `own` makes its services'
/// cgroups: beside itself when `own` is svscan's [`LEAF`] and the parent
/// enables controllers for its children (`parent_enabled` reads the
/// parent's `cgroup.subtree_control`, asked only then), else below `own`.
pub fn home(own: &Path, parent_enabled: impl FnOnce(&Path) -> Vec<u8>) -> PathBuf {
    match own.parent() {
        Some(parent)
            if own.file_name() == Some(OsStr::new(LEAF))
                && parent_enabled(parent).iter().any(|b| !b.is_ascii_whitespace()) =>
        {
            parent.to_path_buf()
        }
        _ => own.to_path_buf(),
    }
}

/// Makes room for [`CONTROLLERS`] (or `wanted`) below the cgroup of the
/// process `pid` (svscan's, or svscanboot's), as the module says: when
/// some are available and not yet enabled, and `pid` is alone in its
/// cgroup (or already in a [`LEAF`]), moves it into the leaf and enables
/// them for the cgroup's children. Returns those it enabled (none: nothing
/// was to be done, or it was not ours to do); on a failure after the move,
/// `pid` is moved back and the leaf removed.
pub fn make_room<'a>(pid: u32, wanted: &[&'a str]) -> Result<Vec<&'a str>, Fallback> {
    let mountinfo = read_file(Path::new("/proc/self/mountinfo")).map_err(|_| Fallback::NoCgroup2)?;
    let own = read_file(Path::new(&format!("/proc/{pid}/cgroup"))).map_err(|_| Fallback::NoOwnCgroup)?;
    let own = own_dir(&mountinfo, &own)?;
    let in_leaf = own.file_name() == Some(OsStr::new(LEAF));
    let top = if in_leaf { own.parent().unwrap_or(&own) } else { &own };
    let file = |name: &str| top.join(name);
    let read = |name: &str| read_file(&file(name)).unwrap_or_default();
    let missing = missing(wanted, &read("cgroup.controllers"), &read("cgroup.subtree_control"));
    if missing.is_empty() {
        return Ok(missing);
    }
    let leaf = top.join(LEAF);
    if !in_leaf {
        if !pids(&read("cgroup.procs")).eq([pid]) {
            return Ok(Vec::new());
        }
        match sys::mkdir(&c_path(&leaf), 0o755) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(failed("create", &leaf)(e)),
        }
        let procs = leaf.join("cgroup.procs");
        write_file(&procs, pid.to_string().as_bytes()).map_err(failed("write to", &procs))?;
    }
    let line: Vec<String> = missing.iter().map(|c| format!("+{c}")).collect();
    let control = file("cgroup.subtree_control");
    if let Err(e) = write_file(&control, line.join(" ").as_bytes()) {
        if !in_leaf {
            let _ = write_file(&file("cgroup.procs"), pid.to_string().as_bytes());
            let _ = super::rmdir(&c_path(&leaf));
        }
        return Err(failed("write to", &control)(e));
    }
    Ok(missing)
}

/// systemd's default pids limit of a unit (`DefaultTasksMax=15%`): 15 % of
/// the smaller of the kernel's `pid_max` and `threads-max`, at least 1.
pub fn pids_default(pid_max: u64, threads_max: u64) -> u64 {
    (pid_max.min(threads_max) * 15 / 100).max(1)
}

/// [`pids_default`] of this kernel (32768 pids: 4915).
pub fn kernel_pids_default() -> u64 {
    let read = |name: &str| read_file(Path::new(name)).ok().and_then(|t| super::number(&t));
    let pid_max = read("/proc/sys/kernel/pid_max").unwrap_or(32768);
    pids_default(pid_max, read("/proc/sys/kernel/threads-max").unwrap_or(pid_max))
}

/// A tree's pids limit: `pids.max` open for writing; on a hybrid host, the
/// v1 pids cgroup (its path) and the `cgroup.procs` of supervise's own v1
/// cgroup, to go back to.
///
/// In v1, supervise itself lives in the tree's pids cgroup while it has
/// the limit, so that `run` is born there: a move of `run` at each start
/// would cost the kernel's cgroup write lock (milliseconds: the restart
/// figure went from 1 to 10 ms), where v2 has CLONE_INTO_CGROUP. The limit
/// written is then one more, for supervise.
#[derive(Debug)]
pub struct Cap {
    max: OwnedFd,
    v1: Option<(PathBuf, OwnedFd)>,
    /// What was last written to `pids.max` (`max` is None): a start that
    /// asks the same writes nothing.
    written: std::cell::Cell<Option<Option<u64>>>,
}

impl Cap {
    /// The limit of the tree `name`: in its cgroup v2 (`v2`, its directory)
    /// when that has `pids.max`, else in a v1 pids cgroup `name` made (or
    /// reused) below this process's own, which this process then joins.
    /// Err when neither can be had: the tree is then unlimited.
    pub fn prepare(v2: Option<BorrowedFd>, name: &[u8]) -> Result<Cap, Fallback> {
        if let Some(max) = v2.and_then(|dir| sys::open_at(dir, c"pids.max", libc::O_WRONLY, 0).ok()) {
            return Ok(Cap { max, v1: None, written: Default::default() });
        }
        let mountinfo = read_file(Path::new("/proc/self/mountinfo")).map_err(|_| Fallback::NoPids)?;
        let own = read_file(Path::new("/proc/self/cgroup")).map_err(|_| Fallback::NoPids)?;
        let home = v1_dir(&mountinfo, &own, "pids").ok_or(Fallback::NoPids)?;
        let path = home.join(OsStr::from_bytes(name));
        let open = |path: &Path| sys::open_at(AT_FDCWD, &c_path(path), libc::O_WRONLY, 0);
        let home_procs = home.join("cgroup.procs");
        let back = open(&home_procs).map_err(failed("open", &home_procs))?;
        match sys::mkdir(&c_path(&path), 0o755) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(failed("create", &path)(e)),
        }
        let max_path = path.join("pids.max");
        let max = open(&max_path).map_err(failed("open", &max_path))?;
        let procs = path.join("cgroup.procs");
        write_file(&procs, b"0").map_err(failed("write to", &procs))?;
        Ok(Cap { max, v1: Some((path, back)), written: Default::default() })
    }

    /// Sets the limit: `Some(n)` processes and threads (one more in v1,
    /// for supervise), or none (`max`).
    pub fn set(&self, limit: Option<u64>) -> Result<(), Errno> {
        let limit = limit.map(|n| n.saturating_add(u64::from(self.v1.is_some())));
        if self.written.get() == Some(limit) {
            return Ok(());
        }
        let text = limit.map_or_else(|| "max".to_string(), |n| n.to_string());
        // SAFETY: pwrite from a buffer of ours, of its length, at offset 0.
        let n = unsafe { libc::pwrite(self.max.as_raw_fd(), text.as_ptr().cast(), text.len(), 0) };
        Errno::result(n)?;
        self.written.set(Some(limit));
        Ok(())
    }

    /// Leaves the v1 cgroup (this process goes back to its own) and
    /// removes it once empty (a populated one stays).
    pub fn remove(&self) {
        if let Some((path, back)) = &self.v1 {
            let _ = sys::write_all(back.as_fd(), b"0");
            let _ = super::rmdir(&c_path(path));
        }
    }
}

/// The directory of this process's cgroup in the v1 hierarchy of
/// `controller`: its `ID:CONTROLLERS:PATH` line of /proc/self/cgroup, below
/// the mount point of the `cgroup` file system whose super options name it.
fn v1_dir(mountinfo: &[u8], proc_self_cgroup: &[u8], controller: &str) -> Option<PathBuf> {
    let own = proc_self_cgroup.split(|&b| b == b'\n').find_map(|line| {
        let mut parts = line.splitn(3, |&b| b == b':');
        let (_, list, path) = (parts.next()?, parts.next()?, parts.next()?);
        list.split(|&b| b == b',').any(|c| c == controller.as_bytes()).then(|| PathBuf::from(OsStr::from_bytes(path)))
    })?;
    let named = |options: &[u8]| options.split(|&b| b == b',').any(|o| o == controller.as_bytes());
    let (root, point) = mount_of(mountinfo, |fstype, options| fstype == b"cgroup" && named(options))?;
    Some(point.join(own.strip_prefix(&root).ok()?))
}

/// Writes `bytes` to the cgroup file `path`.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Errno> {
    super::write_at(AT_FDCWD, &c_path(path), bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_is_available_and_not_yet_enabled() {
        assert_eq!(missing(&CONTROLLERS, b"cpuset cpu io memory hugetlb pids rdma\n", b"memory\n"), ["pids"]);
        assert_eq!(missing(&CONTROLLERS, b"hugetlb\n", b""), Vec::<&str>::new(), "a hybrid host's v2");
        assert_eq!(missing(&CONTROLLERS, b"pids memory", b"pids memory"), Vec::<&str>::new());
        assert_eq!(missing(&["pids"], b"pidsx memory", b""), Vec::<&str>::new(), "whole words");
    }

    #[test]
    fn services_go_beside_the_leaf_only_when_the_parent_enables_controllers() {
        let own = Path::new("/sys/fs/cgroup/system.slice/daemontools-rs.service/supervise");
        let mut asked = None;
        let beside = home(own, |p| {
            asked = Some(p.to_path_buf());
            b"memory pids\n".to_vec()
        });
        assert_eq!(beside, Path::new("/sys/fs/cgroup/system.slice/daemontools-rs.service"));
        assert_eq!(asked.as_deref(), own.parent());
        assert_eq!(home(own, |_| b"\n".to_vec()), own, "nothing enabled: below");
        let elsewhere = Path::new("/sys/fs/cgroup/user.slice/session-1.scope");
        assert_eq!(home(elsewhere, |_| panic!("not asked")), elsewhere);
        assert_eq!(home(Path::new("/supervise/x"), |_| panic!("not asked")), Path::new("/supervise/x"));
    }

    #[test]
    fn the_default_limit_is_systemds() {
        assert_eq!(pids_default(32768, 193107), 4915);
        assert_eq!(pids_default(4194304, 62000), 9300);
        assert_eq!(pids_default(1, 1), 1);
    }

    #[test]
    fn the_v1_directory_is_found_by_controller() {
        let mountinfo = b"\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
        let cgroup = b"9:name=systemd:/x\n8:pids:/system.slice/a.service\n7:blkio:/\n0::/\n";
        let dir = v1_dir(mountinfo, cgroup, "pids");
        assert_eq!(dir.as_deref(), Some(Path::new("/sys/fs/cgroup/pids/system.slice/a.service")));
        assert_eq!(v1_dir(mountinfo, cgroup, "memory"), None, "not mounted");
        assert_eq!(v1_dir(mountinfo, b"0::/\n", "pids"), None, "pure v2");
        // A container sees its own subtree as the mount's root.
        let inside = b"50 40 0:36 /machine/c1 /sys/fs/cgroup/pids ro - cgroup cgroup rw,pids\n";
        let dir = v1_dir(inside, b"3:pids:/machine/c1/app\n", "pids");
        assert_eq!(dir.as_deref(), Some(Path::new("/sys/fs/cgroup/pids/app")));
    }
}
