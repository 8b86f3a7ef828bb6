//! A service directory's `needs/`: symlinks to the service directories it
//! needs, read through the directory's descriptor (supervise before a
//! start, svscan when it starts an entry). What they mean is
//! [`crate::needs`]'s.

use super::ServiceDir;
use crate::needs::Key;
use crate::sys;
use nix::errno::Errno;
use std::ffi::{CStr, CString, OsStr};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

/// `needs`, inside a service directory.
pub const NEEDS: &CStr = c"needs";

/// One entry of `needs/`, by its name there.
#[derive(Debug)]
pub struct Need {
    pub name: Vec<u8>,
    pub target: Target,
}

/// What an entry of `needs/` leads to.
#[derive(Debug)]
pub enum Target {
    /// A symlink to a directory, open.
    Dir(ServiceDir),
    /// A symlink that leads to no directory now, for this reason (ENOENT:
    /// dangling; ENOTDIR: to something else).
    Nowhere(Errno),
    /// Not a symlink: no need.
    NotLink,
}

impl ServiceDir {
    /// The entries of `needs/` (but those named `.*`), in order of name;
    /// ENOENT without `needs/`, ENOTDIR when it is something else.
    pub fn needs(&self) -> Result<Vec<Need>, Errno> {
        let fd = sys::open_at(self.fd(), NEEDS, libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
        let dir = nix::dir::Dir::from_fd(nix::unistd::dup(&fd)?)?;
        let mut names: Vec<CString> = dir
            .into_iter()
            .flatten()
            .map(|e| e.file_name().to_owned())
            .filter(|n| !n.to_bytes().starts_with(b"."))
            .collect();
        names.sort();
        let need = |name: CString| {
            let link =
                sys::stat_at_nofollow(fd.as_fd(), &name).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFLNK);
            let target = match link {
                false => Target::NotLink,
                true => match ServiceDir::open_at(fd.as_fd(), OsStr::from_bytes(name.to_bytes())) {
                    Ok(dir) => Target::Dir(dir),
                    Err(e) => Target::Nowhere(e),
                },
            };
            Need { name: name.into_bytes(), target }
        };
        Ok(names.into_iter().map(need).collect())
    }

    /// The entry `name` of `needs/`, opened again (one that led nowhere).
    pub fn need(&self, name: &[u8]) -> Result<ServiceDir, Errno> {
        let path = [NEEDS.to_bytes(), b"/", name].concat();
        ServiceDir::open_at(self.fd(), OsStr::from_bytes(&path))
    }

    /// Its device and inode, as svscan keys its entries.
    pub fn key(&self) -> Result<Key, Errno> {
        nix::sys::stat::fstat(self.fd()).map(|st| (st.st_dev, st.st_ino))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    #[test]
    fn needs_are_the_symlinks_of_needs_in_order_of_name() {
        let tmp = tempfile::tempdir().unwrap();
        let at = |p: &str| tmp.path().join(p);
        for d in ["app/needs", "db", "cache"] {
            fs::create_dir_all(at(d)).unwrap();
        }
        let app = ServiceDir::open(at("app").as_os_str()).unwrap();
        symlink("../../db", at("app/needs/db")).unwrap();
        symlink(at("cache"), at("app/needs/cache")).unwrap();
        symlink("../../nowhere", at("app/needs/gone")).unwrap();
        fs::write(at("file"), "").unwrap();
        symlink("../../file", at("app/needs/file")).unwrap();
        fs::create_dir(at("app/needs/plain")).unwrap();
        fs::write(at("app/needs/.hidden"), "").unwrap();
        let key = |p: &str| ServiceDir::open(at(p).as_os_str()).unwrap().key().unwrap();
        let seen: Vec<(Vec<u8>, String)> = (app.needs().unwrap().into_iter())
            .map(|n| {
                let what = match &n.target {
                    Target::Dir(d) => format!("{:?}", d.key().unwrap()),
                    Target::Nowhere(e) => format!("{e:?}"),
                    Target::NotLink => "not a link".into(),
                };
                (n.name, what)
            })
            .collect();
        let want = [
            (&b"cache"[..], format!("{:?}", key("cache"))),
            (b"db", format!("{:?}", key("db"))),
            (b"file", "ENOTDIR".into()),
            (b"gone", "ENOENT".into()),
            (b"plain", "not a link".into()),
        ];
        let want: Vec<(Vec<u8>, String)> = want.into_iter().map(|(a, b)| (a.to_vec(), b)).collect();
        assert_eq!(seen, want);
        // Made later: found again by its name.
        fs::create_dir(at("nowhere")).unwrap();
        assert_eq!(app.need(b"gone").unwrap().key(), Ok(key("nowhere")));
        // No needs/, or needs that is no directory.
        let db = ServiceDir::open(at("db").as_os_str()).unwrap();
        assert_eq!(db.needs().map(|n| n.len()), Err(Errno::ENOENT));
        fs::write(at("db/needs"), "").unwrap();
        assert_eq!(db.needs().map(|n| n.len()), Err(Errno::ENOTDIR));
    }
}
