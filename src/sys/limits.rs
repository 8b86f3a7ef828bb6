//! Resource limits: the open-files limit svscan raises and gives back to
//! its children, and softlimit's soft limits.

use nix::errno::Errno;

/// Raises the soft limit on open files as far as this process may (to the
/// kernel's `nr_open` as root, else to the hard limit). Returns the limits
/// found, for [`set_nofile`] to give back to children.
pub fn raise_nofile() -> Option<libc::rlimit> {
    // SAFETY: getrlimit/setrlimit with valid pointers.
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut old) } != 0 {
        return None;
    }
    let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open").ok().and_then(|s| s.trim().parse().ok());
    let top = nr_open.unwrap_or(old.rlim_max).max(old.rlim_max);
    for lim in [libc::rlimit { rlim_cur: top, rlim_max: top }, libc::rlimit { rlim_cur: old.rlim_max, ..old }] {
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } == 0 {
            break;
        }
    }
    Some(old)
}

/// Sets the soft limit of `resource` to `value` (`None`: the hard limit),
/// never above the hard limit. The error names the call that failed.
pub fn set_soft_limit(resource: libc::__rlimit_resource_t, value: Option<u64>) -> Result<(), (&'static str, Errno)> {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit with a valid pointer.
    Errno::result(unsafe { libc::getrlimit(resource, &mut r) }).map_err(|e| ("getrlimit failed", e))?;
    r.rlim_cur = value.map_or(r.rlim_max, |v| v.min(r.rlim_max));
    Errno::result(unsafe { libc::setrlimit(resource, &r) }).map(drop).map_err(|e| ("setrlimit failed", e))
}
