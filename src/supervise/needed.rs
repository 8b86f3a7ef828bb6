//! The needed services a start waits for (`needs/`), as supervise reaches
//! them: read from `needs/` when a wait begins (each bad entry said once),
//! each watched through a FIFO of supervise's in its `supervise/event/`
//! (the way `svc -w` is woken: see [`crate::waiting`]), and looked at again
//! when one is written to, or when [`crate::needs::look_again`] says. No
//! decision is made here: whether one is met is [`crate::needs::met`]'s,
//! what the wait does is [`super::Machine`]'s.
//!
//! A wait that lasts [`crate::needs::CYCLE_AFTER`] looks whether it is part
//! of a cycle of services waiting on each other (then less and less often:
//! [`crate::needs::next_cycle_look`]): through the needs of every needed
//! service that waits too, as far as [`CHASE_MAX`] services, and only when
//! every need not met waits itself; a need at the edge that
//! [`crate::needs::cycles`] breaks is not waited for.

use super::files::Warn;
use crate::info::WaitingFor;
use crate::msg::errstr;
use crate::needs::{self, Key};
use crate::svdir::{ServiceDir, Target};
use crate::waiting::Waiter;
use nix::errno::Errno;
use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::BorrowedFd;
use std::time::Instant;

/// How many waiting services a look for a cycle goes through at most.
pub const CHASE_MAX: usize = 64;

/// One needed service.
struct One {
    /// Its name in `needs/`.
    name: Vec<u8>,
    /// Its directory, once the link leads to one.
    dir: Option<ServiceDir>,
    /// supervise's FIFO in its `supervise/event/`, once there is one.
    waiter: Option<Waiter>,
    met: bool,
    /// At the broken edge of a cycle: not waited for.
    ignored: bool,
}

/// The wait under way, if any.
#[derive(Default)]
pub struct Needed {
    wait: Option<Wait>,
}

struct Wait {
    needs: Vec<One>,
    since: Instant,
    /// When to look again without being woken.
    next: Instant,
    /// When to look for a cycle next.
    next_cycle: Instant,
}

/// What a look found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Looked {
    /// Every need is met.
    pub met: bool,
    /// The names still waited for changed (`supervise/info` says them).
    pub changed: bool,
}

impl Needed {
    /// Whether a wait is under way here.
    pub fn armed(&self) -> bool {
        self.wait.is_some()
    }

    /// A wait begins: `needs/` of the service directory (the current one,
    /// `dir` in warnings) read, each entry that is not a symlink said and
    /// skipped, each link that leads to no directory now said and waited
    /// for (looked at again each time).
    pub fn arm(&mut self, dir: &[u8], warn: Warn) {
        let mut needs = Vec::new();
        let entries = ServiceDir::open(std::ffi::OsStr::new(".")).and_then(|d| d.needs());
        match entries {
            Ok(entries) => {
                for (tag, n) in entries.into_iter().enumerate() {
                    let path = |what: &[u8]| [dir, b"/needs/", &n.name, what].concat();
                    let dir = match n.target {
                        Target::Dir(d) => Some(d),
                        Target::NotLink => {
                            warn(&[&path(b": not a symlink: ignored")]);
                            continue;
                        }
                        Target::Nowhere(Errno::ENOENT) => {
                            warn(&[&path(b": dangling symlink: waited for")]);
                            None
                        }
                        Target::Nowhere(e) => {
                            warn(&[&path(b": not a directory: "), errstr(e).as_bytes(), b": waited for"]);
                            None
                        }
                    };
                    let waiter = dir.as_ref().and_then(|d| Waiter::named(d, "supervise", tag).ok());
                    needs.push(One { name: n.name, dir, waiter, met: false, ignored: false });
                }
            }
            // Gone since the settings were read: nothing to wait for.
            Err(Errno::ENOENT | Errno::ENOTDIR) => {}
            Err(e) => warn(&[b"unable to read ", dir, b"/needs: ", errstr(e).as_bytes(), b": waited for nothing"]),
        }
        let now = Instant::now();
        let next_cycle = needs::next_cycle_look(now, None);
        self.wait = Some(Wait { needs, since: now, next: now, next_cycle });
    }

    /// The wait is over: the FIFOs taken away.
    pub fn disarm(&mut self) {
        self.wait = None;
    }

    /// Looks at every need (again), at `now`: whether all are met.
    pub fn look(&mut self, now: Instant) -> Looked {
        let Some(w) = self.wait.as_mut() else { return Looked { met: true, changed: false } };
        let before: Vec<bool> = w.needs.iter().map(|n| n.met || n.ignored).collect();
        let mut absent = false;
        for (tag, n) in w.needs.iter_mut().enumerate() {
            let Some(dir) = &n.dir else {
                absent = true;
                continue;
            };
            if n.waiter.is_none() {
                n.waiter = Waiter::named(dir, "supervise", tag).ok();
            }
            // Unwoken only where its FIFO could not be put (no supervise/ yet).
            let running = dir.ok().is_ok();
            absent |= n.waiter.is_none();
            n.met = running && dir.status_and_info().is_ok_and(|(s, i)| needs::met(&s, i.as_ref()));
        }
        // Links that led nowhere: maybe somewhere now (a directory made).
        let nowhere = w.needs.iter().any(|n| n.dir.is_none());
        if let Some(own) = nowhere.then(|| ServiceDir::open(std::ffi::OsStr::new(".")).ok()).flatten() {
            for n in w.needs.iter_mut().filter(|n| n.dir.is_none()) {
                n.dir = own.need(&n.name).ok();
            }
        }
        if now >= w.next_cycle {
            w.next_cycle = needs::next_cycle_look(w.since, Some(now));
            w.chase();
        }
        w.next = now + needs::look_again(now.duration_since(w.since), absent);
        let after: Vec<bool> = w.needs.iter().map(|n| n.met || n.ignored).collect();
        Looked { met: after.iter().all(|&m| m), changed: after != before }
    }

    /// When to look again unasked, while a wait is under way.
    pub fn next_look(&self) -> Option<Instant> {
        self.wait.as_ref().map(|w| w.next.min(w.next_cycle))
    }

    /// The FIFOs that wake the wait.
    pub fn fds(&self) -> Vec<BorrowedFd<'_>> {
        self.wait.iter().flat_map(|w| w.needs.iter().filter_map(|n| n.waiter.as_ref().map(Waiter::fd))).collect()
    }

    /// Reads away what woke the wait.
    pub fn drain(&self) {
        self.wait.iter().flat_map(|w| w.needs.iter().filter_map(|n| n.waiter.as_ref())).for_each(Waiter::drain);
    }

    /// The names still waited for, for `supervise/info`.
    pub fn waiting_for(&self) -> Option<WaitingFor> {
        let w = self.wait.as_ref()?;
        Some(WaitingFor(w.needs.iter().filter(|n| !n.met && !n.ignored).map(|n| n.name.clone()).collect()))
    }
}

impl Wait {
    /// Looks for a cycle of services waiting on each other through this
    /// one: the graph of the needs between services that wait (each one's
    /// `supervise/info` says so), from ours on; a need of ours at an edge
    /// [`needs::cycles`] breaks is waited for no more (for this wait).
    fn chase(&mut self) {
        let Ok(own_key) = ServiceDir::open(std::ffi::OsStr::new(".")).and_then(|d| d.key()) else { return };
        let mut graph: BTreeMap<Key, BTreeSet<Key>> = BTreeMap::new();
        let mut todo: Vec<ServiceDir> = Vec::new();
        let mut keys: BTreeMap<Key, usize> = BTreeMap::new();
        for (i, n) in self.needs.iter().enumerate().filter(|(_, n)| !n.met && !n.ignored) {
            // A need that does not wait (down, not ready, no supervise) is
            // no cycle's: this wait waits for it anyway.
            let Some(key) = n.dir.as_ref().and_then(|d| d.key().ok()) else { return };
            keys.insert(key, i);
            if key == own_key {
                graph.entry(own_key).or_default().insert(key);
            } else if let Some(d) = n.dir.as_ref().filter(|d| d.waiting_for().is_some()) {
                graph.entry(own_key).or_default().insert(key);
                todo.extend(ServiceDir::open_at(d.fd(), std::ffi::OsStr::new(".")).ok());
            } else {
                return;
            }
        }
        let mut seen = BTreeSet::from([own_key]);
        while let Some(d) = todo.pop() {
            let Ok(key) = d.key() else { continue };
            if !seen.insert(key) || seen.len() > CHASE_MAX {
                continue;
            }
            for n in d.needs().unwrap_or_default() {
                let Target::Dir(next) = n.target else { continue };
                let Ok(next_key) = next.key() else { continue };
                if next_key == own_key || next.waiting_for().is_some() {
                    graph.entry(key).or_default().insert(next_key);
                    if next_key != own_key {
                        todo.push(next);
                    }
                }
            }
        }
        for cycle in needs::cycles(&graph) {
            let (from, to) = cycle.broken();
            if let (true, Some(&i)) = (from == own_key, keys.get(&to)) {
                self.needs[i].ignored = true;
            }
        }
    }
}
