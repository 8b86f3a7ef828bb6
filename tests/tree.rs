//! The library's containment of a process tree (issue 20) against the
//! kernel's cgroup v2 and process groups, before supervise uses it: a
//! tree with a double-forked, setsid daemon in it is held, seen, signalled,
//! killed and removed. The cgroup tests say SKIPPED (and pass) where no
//! cgroup v2 can be made here.

use crate::common::{alive, wait_for, Sandbox};
use daemontools::sys;
use daemontools::tree::{name_for, Tree};
use std::ffi::CString;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

/// A main process (`exec sleep`), a plain background child, and a child
/// that calls setsid and forks again: a daemon's double fork.
const FAMILY: &str = "sleep 300 & setsid sh -c 'sleep 300 & sleep 300' & exec sleep 300";

/// The same family, every member ignoring SIGTERM.
const STUBBORN: &str = "trap '' TERM; sleep 300 & setsid sh -c 'sleep 300 & sleep 300' & exec sleep 300";

/// A tree and the processes a test started in it, in a sandbox whose
/// directory every process has as its own: on drop, even when the test
/// fails, the tree is killed and emptied, the main processes reaped, the
/// cgroup removed, and the sandbox's guard kills whatever left the tree.
struct Guard {
    tree: Tree,
    leaders: Vec<u32>,
    sb: Sandbox,
}

impl Guard {
    /// A cgroup of its own for `test`, or None (the test is SKIPPED) where none can be made.
    fn cgroup(test: &str) -> Option<Guard> {
        let sb = Sandbox::new();
        let name = name_for(format!("dtrs-test-{test}").as_bytes(), sb.path().metadata().unwrap().ino());
        let prepared = Tree::prepare(&name);
        if let Some(why) = prepared.fallback {
            eprintln!("SKIPPED {test}: no cgroup here: {}", why.reason());
            return None;
        }
        assert!(!prepared.leftover, "a new cgroup holds nothing");
        assert_eq!(prepared.tree.kind(), "cgroup");
        Some(Guard { tree: prepared.tree, leaders: Vec::new(), sb })
    }

    fn group() -> Guard {
        Guard { tree: Tree::Group, leaders: Vec::new(), sb: Sandbox::new() }
    }

    /// Starts `sh -c SCRIPT` in the tree, in the sandbox, as supervise will
    /// start `run`; its pid.
    fn spawn(&mut self, script: &str) -> u32 {
        let argv = sys::Argv::new("/bin/sh", &["sh", "-c", script]).unwrap();
        let dir = CString::new(self.sb.path().as_os_str().as_encoded_bytes()).unwrap();
        let mut actions = vec![
            sys::Action::Chdir(&dir),
            sys::Action::Open(c"/dev/null", libc::O_RDWR, 0, 0),
            sys::Action::Open(c"/dev/null", libc::O_RDWR, 0, 1),
        ];
        actions.extend(self.tree.join_actions().into_iter().flatten());
        let pid = sys::cspawn(&argv, b"tree test: unable to run sh: ", &actions).unwrap();
        self.leaders.push(pid);
        pid
    }

    /// Waits for the main process `pid` and says how it ended.
    fn reap(&mut self, pid: u32) -> libc::c_int {
        let (_, status) = sys::wait(Some(pid), true).unwrap().unwrap();
        self.leaders.retain(|&l| l != pid);
        status
    }

    /// The pids of the sandbox's processes that are not in `leader`'s session.
    fn escaped(&self, leader: u32) -> Vec<u32> {
        let mine = |pid: u32| std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|d| d == self.sb.path());
        all_pids().filter(|&p| mine(p) && alive(p) && session(p).is_some_and(|s| s != leader)).collect()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        for &leader in &self.leaders {
            let _ = self.tree.kill_all(leader);
            sys::kill_with_children(leader);
        }
        if self.tree.watch().is_some() {
            self.tree.kill_leftovers(Duration::from_secs(5));
        }
        for &leader in &self.leaders {
            let _ = sys::wait(Some(leader), true);
        }
        self.tree.remove();
    }
}

fn all_pids() -> impl Iterator<Item = u32> {
    std::fs::read_dir("/proc").unwrap().flatten().filter_map(|e| e.file_name().to_str()?.parse().ok())
}

/// Field `n` (1-based, n >= 3) of /proc/PID/stat.
fn stat_field(pid: u32, n: usize) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')').next()?.split_whitespace().nth(n - 3)?.parse().ok()
}

fn session(pid: u32) -> Option<u32> {
    stat_field(pid, 6)
}

fn cgroup_pids(tree: &Tree) -> Vec<u32> {
    let Tree::Cgroup { path, .. } = tree else { panic!("not a cgroup") };
    let list = std::fs::read_to_string(path.join("cgroup.procs")).unwrap_or_default();
    list.lines().map(|l| l.parse().unwrap()).collect()
}

/// Polls the tree's `cgroup.events` for POLLPRI: whether it woke within `ms`.
fn woken(tree: &Tree, ms: u64) -> bool {
    let fd = tree.watch().expect("a cgroup to watch");
    let mut pfd = [libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLPRI, revents: 0 }];
    sys::poll_fds(&mut pfd, Some(Duration::from_millis(ms))) == Ok(1) && pfd[0].revents & libc::POLLPRI != 0
}

fn killed_by(status: libc::c_int) -> Option<libc::c_int> {
    libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status))
}

#[test]
fn a_cgroup_holds_a_double_forked_daemon_and_term_empties_it() {
    let Some(mut g) = Guard::cgroup("holds") else { return };
    let Tree::Cgroup { path, .. } = &g.tree else { unreachable!() };
    let path = path.clone();
    assert!(path.is_dir());
    let leader = g.spawn(FAMILY);
    // The setsid daemon left the session, not the cgroup.
    wait_for(5000, "the daemon to call setsid", || !g.escaped(leader).is_empty());
    wait_for(5000, "four processes in the cgroup", || g.tree.stats(leader).processes >= 4);
    let inside = cgroup_pids(&g.tree);
    assert!(inside.contains(&leader), "{leader} in {inside:?}");
    for daemon in g.escaped(leader) {
        assert!(inside.contains(&daemon), "the setsid daemon {daemon} is in {inside:?}");
    }
    assert_eq!(session(leader), Some(leader), "run is a session leader");
    assert_eq!(stat_field(leader, 5), Some(leader), "its pid is its process group's");
    let stats = g.tree.stats(leader);
    assert!(stats.cpu_usec.is_some(), "cpu.stat is read: {stats:?}");
    assert!(stats.memory_bytes.is_some_and(|m| m > 0), "{stats:?}");

    assert!(!g.tree.empty(leader), "reading cgroup.events re-arms the watch");
    assert!(!woken(&g.tree, 0), "nothing changed yet");
    g.tree.signal(leader, libc::SIGTERM).unwrap();
    assert!(woken(&g.tree, 5000), "poll wakes when the cgroup empties");
    wait_for(5000, "the cgroup to be empty", || g.tree.empty(leader));
    assert_eq!(killed_by(g.reap(leader)), Some(libc::SIGTERM));
    assert!(g.escaped(leader).is_empty(), "the daemon got TERM too");
    assert_eq!(g.tree.stats(leader).processes, 0);

    assert!(g.tree.remove(), "an empty cgroup is removed");
    assert!(!path.exists());
}

#[test]
fn a_cgroup_that_ignores_term_is_killed_whole() {
    let Some(mut g) = Guard::cgroup("kill") else { return };
    let leader = g.spawn(STUBBORN);
    wait_for(5000, "four processes in the cgroup", || g.tree.stats(leader).processes >= 4);
    assert!(woken(&g.tree, 0), "the cgroup became populated since it was last read");
    assert!(!g.tree.empty(leader));
    g.tree.signal(leader, libc::SIGTERM).unwrap();
    assert!(!woken(&g.tree, 300), "TERM is ignored");
    g.tree.kill_all(leader).unwrap();
    wait_for(5000, "the cgroup to be empty", || g.tree.empty(leader));
    assert_eq!(killed_by(g.reap(leader)), Some(libc::SIGKILL));
    assert!(g.tree.remove());
}

#[test]
fn a_cgroup_left_populated_is_found_and_emptied() {
    let Some(mut g) = Guard::cgroup("leftover") else { return };
    let leader = g.spawn(STUBBORN);
    wait_for(5000, "four processes in the cgroup", || g.tree.stats(leader).processes >= 4);
    // A supervise killed and started again finds its cgroup populated.
    let Tree::Cgroup { path, .. } = &g.tree else { unreachable!() };
    let name = path.file_name().unwrap().as_encoded_bytes().to_vec();
    let again = Tree::prepare(&name);
    assert!(again.fallback.is_none() && again.leftover, "the leftovers are seen");
    assert!(!again.tree.remove(), "a populated cgroup stays");
    assert!(again.tree.kill_leftovers(Duration::from_secs(5)));
    assert!(g.tree.empty(leader));
    assert_eq!(killed_by(g.reap(leader)), Some(libc::SIGKILL));
    assert!(again.tree.remove());
}

#[test]
fn a_process_group_holds_all_but_a_daemon_that_calls_setsid() {
    let mut g = Guard::group();
    assert_eq!(g.tree.kind(), "process-group");
    let leader = g.spawn(FAMILY);
    wait_for(5000, "the daemon to call setsid", || !g.escaped(leader).is_empty());
    assert_eq!(stat_field(leader, 5), Some(leader), "run leads its process group");
    // The leader and its plain child; the setsid daemon escaped the group:
    // the fallback's documented limit.
    wait_for(5000, "two processes in the group", || g.tree.stats(leader).processes == 2);
    let stats = g.tree.stats(leader);
    assert!(stats.cpu_usec.is_some() && stats.memory_bytes.is_some_and(|m| m > 0), "{stats:?}");
    let escaped = g.escaped(leader);
    assert!(escaped.iter().all(|&p| stat_field(p, 5) != Some(leader)), "{escaped:?} left the group");

    g.tree.signal(leader, libc::SIGTERM).unwrap();
    assert_eq!(killed_by(g.reap(leader)), Some(libc::SIGTERM));
    wait_for(5000, "the group to be empty", || g.tree.empty(leader));
    assert!(escaped.iter().all(|&p| alive(p)), "the escaped daemon runs on");
    assert!(g.tree.remove());
}

#[test]
fn a_process_group_that_ignores_term_is_killed() {
    let mut g = Guard::group();
    let leader = g.spawn(STUBBORN);
    wait_for(5000, "two processes in the group", || g.tree.stats(leader).processes == 2);
    g.tree.signal(leader, libc::SIGTERM).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(g.tree.stats(leader).processes, 2, "TERM is ignored");
    g.tree.kill_all(leader).unwrap();
    assert_eq!(killed_by(g.reap(leader)), Some(libc::SIGKILL));
    wait_for(5000, "the group to be empty", || g.tree.empty(leader));
}
