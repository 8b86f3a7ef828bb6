//! svscan's state machine: what to start, restart, stop and forget in a
//! scanned directory, decided without a single system call. The binary
//! reads the directory, reaps, catches signals and carries out the
//! [`Action`]s returned here, feeding back what it saw as [`Event`]s; it
//! keeps every descriptor (the pipes, the adopted directories), keyed by the
//! [`Id`] this machine hands out for each entry.
//!
//! The binary carries out the actions of one call in order, and feeds the
//! answer an action asks for (a stamp, a probe, a spawned pid) at once,
//! before the next action: so a dialogue about one entry (stat it, open its
//! pipe, see who holds it, start its halves) runs to its end before the
//! next entry is looked at, as daemontools' svscan does it.
//!
//! A service and its logger are two halves of one entry, indexed by a
//! [`Role`] (runit's `svd[2]`). Taking an entry down climbs one ladder
//! ([`Rung`]), for HUP's removals, TERM's shutdown and supervisors left by
//! another svscan (an entry [`Owner::Adopted`]) alike.
//!
//! An entry's `needs/` (told by the binary when it starts the entry,
//! [`Scanner::learn_needs`]) orders a stop: a service is stopped before the
//! services it needs, which wait for it to be down, for the grace period
//! at most, before they begin their climb. A cycle of needs is said once
//! ([`Action::Cycle`]) and broken at the edge [`crate::needs::cycles`] says.

use crate::needs;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

/// How often the directory is looked at.
pub const SCAN_INTERVAL: Duration = Duration::from_secs(5);
/// How soon a supervise that exited unasked is started again (one that ran
/// less than this waits for the next scan, as in daemontools).
pub const RESTART: Duration = Duration::from_secs(1);
/// The grace period of `svscan` without `-g`.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);
/// The longest grace period, so that no deadline overflows.
pub const MAX_GRACE: Duration = Duration::from_secs(86_400);
/// After the grace period services are killed; one step later loggers get
/// TERM; one more step and every supervise left is killed.
pub const STEP: Duration = Duration::from_secs(1);
/// A rung that could not be sent (a control FIFO not open yet, its
/// supervise just started) is tried again this soon.
pub const RETRY: Duration = Duration::from_millis(50);
/// How often a stop of supervisors we did not start looks whether they are gone.
pub const POLL: Duration = Duration::from_millis(100);
/// A directory time this close to now may be followed by a change that
/// leaves it the same: the kernel stamps files with a clock that moves a
/// tick at a time, and some filesystems keep whole seconds (FAT: two).
pub const RACY: Duration = Duration::from_secs(2);

/// A grace period: seconds (`2`, `0.5`) or a duration with its unit
/// (`300ms`), at most [`MAX_GRACE`].
pub fn parse_grace(s: &str) -> Option<Duration> {
    let grace = match s.parse::<f64>() {
        Ok(secs) => Duration::try_from_secs_f64(secs).ok(),
        Err(_) => humantime::parse_duration(s).ok(),
    };
    grace.filter(|g| *g <= MAX_GRACE)
}

/// A service directory, known by device and inode as daemontools does.
pub type Key = (u64, u64);

/// An entry, as the binary keys its descriptors: never reused.
pub type Id = u64;

/// The half of an entry: its service, or the logger in its `log/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Service = 0,
    Log = 1,
}

/// Both halves, service first.
pub const ROLES: [Role; 2] = [Role::Service, Role::Log];

impl Role {
    pub fn is_log(self) -> bool {
        self == Role::Log
    }
}

/// The scanned directory's change time (seconds, nanoseconds), which every
/// change to its entries moves, and the wall clock when it was taken (both
/// since the epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub changed: (i64, i64),
    pub wall: Duration,
}

impl Stamp {
    /// Too recent to trust: a change within the same tick would not move it.
    fn racy(&self) -> bool {
        let (s, ns) = self.changed;
        let changed = Duration::new(s.max(0) as u64, ns.clamp(0, 999_999_999) as u32);
        self.wall.saturating_sub(changed) < RACY
    }
}

/// Who holds a half, as a probe of its `supervise/` saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// No supervise runs there.
    Free,
    /// A supervise we did not start runs there, left by an earlier svscan.
    Adoptable,
    /// A supervise whose parent is another live svscan (two scanned
    /// directories linking one service): that one's, never touched.
    Theirs,
}

/// What happened, or what an action found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The loop came round (after a poll): the scan is due, or a stop deadline.
    Timer,
    /// SIGALRM, SIGHUP (`hup`) or lost inotify events: read the directory
    /// whole now; with `hup`, take down what is gone from it.
    Rescan { hup: bool },
    /// SIGTERM or SIGINT (the signal): take everything down, then exit;
    /// the main command, if one runs, gets the signal and goes first.
    Term(i32),
    /// The main command (`svscan DIR -- COMMAND`) was started with this pid.
    MainStarted(u32),
    /// The main command ended, with this code ([`exit_code`]): everything is
    /// taken down and svscan exits with it.
    MainExited(i32),
    /// A service marked `essential` failed for good, its last exit code
    /// this: everything is taken down (the main command first) and svscan
    /// exits with it.
    Essential(i32),
    /// A supervise we started was reaped.
    Exited(u32),
    /// The answer to [`Action::Stat`]; `None` when the stat failed.
    Stamp(Option<Stamp>),
    /// A directory seen in the scanned one, by a whole read or inotify.
    Entry(Key),
    /// Something about an entry, or the read, failed (the binary said so):
    /// the next scan reads the directory whole to try again.
    Failed,
    /// The end of a whole read ([`Action::Read`]).
    ReadDone,
    /// The answer to [`Action::Inspect`]: whether the new entry has `log/`.
    New { key: Key, has_log: bool },
    /// The answer to [`Action::Pipe`].
    Piped { id: Id, ok: bool },
    /// The answer to [`Action::Probe`], a [`Holder`] for each half asked
    /// about (`Free` for the others); `adoptable`: the directory the probe
    /// opened is still the entry (the binary keeps it for [`Action::Adopt`]).
    Held { id: Id, holders: [Holder; 2], adoptable: bool },
    /// The answer to [`Action::Spawn`]: the pid, or `None` (the binary said why).
    Spawned { id: Id, role: Role, pid: Option<u32> },
    /// A rung of a stop could not be sent.
    Unsent { id: Id, rung: Rung },
    /// The answer to [`Action::Look`]: whether a supervise runs in each half.
    Supervised { id: Id, halves: [bool; 2] },
}

/// Whom letters or a signal go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A supervise we started, through the control FIFO it holds open.
    Pid(u32),
    /// A half of an adopted entry, through its directory's descriptor.
    Adopted(Role),
}

/// What a rung (or a word to a lone adopted half) sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `svc -dx`; to a pid whose control FIFO cannot be reached, SIGTERM
    /// (which our supervise takes for the same, and daemontools' dies of).
    Term,
    /// These control letters.
    Letters(&'static [u8]),
}

impl Step {
    /// The control letters it writes.
    pub fn letters(self) -> &'static [u8] {
        match self {
            Step::Term => b"dx",
            Step::Letters(letters) => letters,
        }
    }
}

/// The stop ladder, climbed the same way for HUP's removals, TERM's
/// shutdown and adopted supervisors: the service first, its logger once the
/// service's supervise has exited (so that it reads the pipe to its end).
/// Past [`Rung::DownLog`], one more [`STEP`] and every supervise left is
/// killed, its children first ([`Action::Kill`]), or, when adopted (no pid
/// to kill), given up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rung {
    /// At once: the service is told `svc -dx` (or SIGTERM).
    DownService,
    /// At the grace period: the service is killed (`svc -k`).
    KillService,
    /// Once the service's supervise is gone: the logger is told `svc -x`.
    ExitLog,
    /// A step after the grace period: the logger gets `svc -dx` (or SIGTERM).
    DownLog,
}

impl Rung {
    /// The two rungs of a half: the first at once, the later one when due.
    fn of(role: Role) -> [Rung; 2] {
        match role {
            Role::Service => [Rung::DownService, Rung::KillService],
            Role::Log => [Rung::ExitLog, Rung::DownLog],
        }
    }

    fn step(self) -> Step {
        match self {
            Rung::DownService | Rung::DownLog => Step::Term,
            Rung::KillService => Step::Letters(b"k"),
            Rung::ExitLog => Step::Letters(b"x"),
        }
    }

    /// When it is due, after the stop began.
    fn due(self, grace: Duration) -> Duration {
        match self {
            Rung::DownService | Rung::ExitLog => Duration::ZERO,
            Rung::KillService => grace,
            Rung::DownLog => grace + STEP,
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// When every supervise left of a stopping entry is killed (or given up).
fn kill_all(grace: Duration) -> Duration {
    grace + 2 * STEP
}

/// What the binary must do, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Stat the directory; answer [`Event::Stamp`].
    Stat,
    /// Read the directory whole: an [`Event::Entry`] for each directory in
    /// it not named `.*` (or [`Event::Failed`]), then [`Event::ReadDone`].
    Read,
    /// The entry just seen is new: answer [`Event::New`] (or [`Event::Failed`]).
    Inspect(Key),
    /// Open the pipe from the entry's service to its logger; answer [`Event::Piped`].
    Pipe(Id),
    /// Close the entry's pipe (its service is down: the logger reads to its end).
    ClosePipe(Id),
    /// Open the entry just seen and see who holds the halves asked about;
    /// answer [`Event::Held`].
    Probe { id: Id, key: Key, halves: [bool; 2] },
    /// Keep the directory the last probe opened, to reach adopted supervisors.
    Adopt(Id),
    /// Close the adopted directory.
    Disown(Id),
    /// Start a supervise for this half of the entry just seen; answer [`Event::Spawned`].
    Spawn(Id, Role),
    /// Send a step; a rung that could not be sent is answered [`Event::Unsent`].
    Send { id: Id, to: Target, step: Step, rung: Option<Rung> },
    /// SIGKILL to this supervise's children, then to it.
    Kill(u32),
    /// See whether a supervise runs in each half of the adopted entry;
    /// answer [`Event::Supervised`].
    Look(Id),
    /// Close the entry's descriptors: it is forgotten.
    Forget(Id),
    /// Exit with this code; as PID 1, stop what is left in the namespace
    /// first, killing it at `orphans_by`.
    Exit { code: i32, orphans_by: Instant },
    /// Send the main command this signal (a TERM or INT passed on; KILL at
    /// the grace period after).
    SignalMain { pid: u32, sig: i32 },
    /// Say that the entries' needs make a cycle, once: [`Scanner::cycle`]
    /// with this number, broken at its last edge.
    Cycle(usize),
}

/// The main command (`svscan DIR -- COMMAND`), run beside the services:
/// the container's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Main {
    None,
    Running(u32),
    /// Signalled at a shutdown: the services wait for its end; killed at
    /// `kill_at` if still there (None once killed).
    Stopping {
        pid: u32,
        kill_at: Option<Instant>,
    },
    Ended,
}

/// The exit code of a process that ended with wait(2)'s `status`, as a
/// shell gives it: its own code, or 128 + the signal that killed it.
pub fn exit_code(status: i32) -> i32 {
    crate::info::Ending::from_wait(status).code()
}

/// Who runs an entry's supervisors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// We started them (or none runs).
    Us,
    /// Another svscan, killed, left them running: reached through the
    /// entry's directory, and seen gone by looking ([`Action::Look`]), as no
    /// SIGCHLD comes for another's child.
    Adopted,
}

/// A supervise we started for one half.
#[derive(Clone, Copy, Debug)]
struct Half {
    pid: u32,
    since: Instant,
}

/// A stop under way: when it began, and the rungs sent (as [`Rung::bit`]s).
#[derive(Clone, Copy, Debug)]
struct Stop {
    since: Instant,
    done: u8,
    /// Its climb waits for the entries being stopped that need it to be
    /// down, until this at most (the grace period after the stop began);
    /// `since` is when it began once it does.
    waits: Option<Instant>,
}

#[derive(Debug)]
struct Entry {
    key: Key,
    /// Seen in the last whole read.
    active: bool,
    halves: [Option<Half>; 2],
    /// The binary holds the pipe to the logger (the entry has `log/`, and
    /// its service is not yet down in a stop).
    pipe: bool,
    stop: Option<Stop>,
    /// The binary holds the entry's directory open: supervisors we did not
    /// start run in it (see [`Owner::Adopted`]).
    adopted: bool,
    /// A lone half of such a pair was told to exit (`svc -dx`); at the next
    /// scan it is killed (`svc -k`).
    half_asked: bool,
    /// A look asked for by a whole read decides whether it is forgotten.
    retaining: bool,
    /// The service directories its `needs/` leads to, when it was started.
    needs: Vec<Key>,
}

impl Entry {
    fn pid(&self, role: Role) -> u32 {
        self.halves[role as usize].map_or(0, |h| h.pid)
    }

    fn owner(&self) -> Owner {
        match self.adopted && self.halves.iter().all(Option::is_none) {
            true => Owner::Adopted,
            false => Owner::Us,
        }
    }
}

/// Moves `wake` earlier to `at` if need be.
fn wake_by(wake: &mut Option<Instant>, at: Instant) {
    *wake = Some(wake.map_or(at, |w| w.min(at)));
}

/// svscan's decisions.
#[derive(Debug)]
pub struct Scanner {
    grace: Duration,
    entries: BTreeMap<Id, Entry>,
    keys: HashMap<Key, Id>,
    /// Which entry and half a supervise pid belongs to.
    pids: HashMap<u32, (Id, Role)>,
    next_id: Id,
    next_scan: Instant,
    /// When the next stop deadline falls, while a stop is under way.
    stop_wake: Option<Instant>,
    /// The directory's change time when it was last read whole.
    seen: Option<(i64, i64)>,
    /// The next scan must read the directory whole: a supervise exited, an
    /// entry could not be started, or the directory changed too recently
    /// to trust its times.
    must_scan: bool,
    /// A HUP's read is under way: what it does not see is taken down after it.
    hup: bool,
    /// When TERM came.
    shutdown: Option<Instant>,
    exited: bool,
    main: Main,
    /// What svscan exits with: the main command's code, or an essential
    /// service's (the first to come); 0 without either.
    code: Option<i32>,
    /// The entries' needs changed since they were last looked through.
    needs_changed: bool,
    /// Which entries need each service directory (their needs not broken).
    needed_by: HashMap<Key, Vec<Id>>,
    /// The cycles said, as their keys, and as entries for the binary.
    said: HashSet<Vec<Key>>,
    cycles: Vec<Vec<Id>>,
}

impl Scanner {
    /// A scanner whose first scan is due at `now`.
    pub fn new(grace: Duration, now: Instant) -> Scanner {
        Scanner {
            grace,
            entries: BTreeMap::new(),
            keys: HashMap::new(),
            pids: HashMap::new(),
            next_id: 0,
            next_scan: now,
            stop_wake: None,
            seen: None,
            must_scan: true,
            hup: false,
            shutdown: None,
            exited: false,
            main: Main::None,
            code: None,
            needs_changed: false,
            needed_by: HashMap::new(),
            said: HashSet::new(),
            cycles: Vec::new(),
        }
    }

    /// The entry `id`'s `needs/` leads to these service directories (the
    /// binary reads it when it starts the entry).
    pub fn learn_needs(&mut self, id: Id, needs: Vec<Key>) {
        if let Some(e) = self.entries.get_mut(&id).filter(|e| e.needs != needs) {
            e.needs = needs;
            self.needs_changed = true;
        }
    }

    /// The cycle of [`Action::Cycle`] `n`: each entry needs the next, the
    /// last the first, and does not wait for it.
    pub fn cycle(&self, n: usize) -> &[Id] {
        &self.cycles[n]
    }

    /// The needs looked through again: who needs whom (but at the edges
    /// that break cycles), and each cycle not said yet said.
    fn look_at_needs(&mut self, out: &mut Vec<Action>) {
        self.needs_changed = false;
        let mut graph: BTreeMap<Key, BTreeSet<Key>> = BTreeMap::new();
        for e in self.entries.values().filter(|e| !e.needs.is_empty()) {
            graph.entry(e.key).or_default().extend(e.needs.iter().copied());
        }
        let cycles = needs::cycles(&graph);
        let broken: HashSet<(Key, Key)> = cycles.iter().map(needs::Cycle::broken).collect();
        self.needed_by.clear();
        for (&id, e) in &self.entries {
            for &need in e.needs.iter().filter(|&&n| !broken.contains(&(e.key, n))) {
                self.needed_by.entry(need).or_default().push(id);
            }
        }
        for cycle in cycles {
            let ids: Option<Vec<Id>> = cycle.0.iter().map(|k| self.keys.get(k).copied()).collect();
            if let (Some(ids), true) = (ids, !self.said.contains(&cycle.0)) {
                self.said.insert(cycle.0);
                self.cycles.push(ids);
                out.push(Action::Cycle(self.cycles.len() - 1));
            }
        }
    }

    /// Whether an entry being stopped that needs `id` still has its service
    /// up (an adopted one: still there); and whether one is adopted.
    fn dependents_up(&self, id: Id) -> (bool, bool) {
        let Some(e) = self.entries.get(&id) else { return (false, false) };
        let mut up = (false, false);
        for d in self.needed_by.get(&e.key).into_iter().flatten().filter(|&&d| d != id) {
            let Some(d) = self.entries.get(d).filter(|d| d.stop.is_some()) else { continue };
            match d.owner() {
                Owner::Us if d.pid(Role::Service) != 0 => up.0 = true,
                Owner::Us => {}
                Owner::Adopted => up = (true, true),
            }
        }
        up
    }

    /// When to come round again ([`Event::Timer`]): the next scan (none
    /// while shutting down), or the next stop deadline.
    pub fn deadline(&self) -> Option<Instant> {
        let mut wake = self.stop_wake;
        if self.shutdown.is_none() {
            wake_by(&mut wake, self.next_scan);
        }
        if let Main::Stopping { kill_at: Some(at), .. } = self.main {
            wake_by(&mut wake, at);
        }
        wake
    }

    /// How many entries are known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// TERM came: no entry is looked at any more.
    pub fn shutting_down(&self) -> bool {
        self.shutdown.is_some()
    }

    /// Decides what `event` calls for at `now`.
    pub fn handle(&mut self, event: Event, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        let stopping = self.shutdown.is_some();
        // The needs learnt entry by entry are looked through once at the end
        // of a read or a round (each look goes through every entry).
        let settled = matches!(event, Event::Timer | Event::ReadDone);
        match event {
            Event::Timer => {
                if !stopping && now >= self.next_scan {
                    self.next_scan = now + SCAN_INTERVAL;
                    out.push(Action::Stat);
                }
                if let Main::Stopping { pid, kill_at: Some(at) } = self.main {
                    if now >= at {
                        self.main = Main::Stopping { pid, kill_at: None };
                        out.push(Action::SignalMain { pid, sig: libc::SIGKILL });
                    }
                }
                self.tend(now, &mut out);
            }
            Event::Rescan { hup } if !stopping => {
                self.must_scan = true;
                self.hup |= hup;
                self.next_scan = now + SCAN_INTERVAL;
                out.push(Action::Stat);
            }
            Event::Term(sig) => self.shut_down(sig, now, &mut out),
            Event::Rescan { .. } => {}
            Event::MainStarted(pid) => self.main = Main::Running(pid),
            Event::MainExited(code) => {
                self.code.get_or_insert(code);
                let waited = matches!(self.main, Main::Stopping { .. });
                self.main = Main::Ended;
                match (stopping, waited) {
                    (false, _) => {
                        self.shutdown = Some(now);
                        self.stop(true, now, &mut out);
                    }
                    (true, true) => self.stop(true, now, &mut out),
                    (true, false) => {}
                }
            }
            Event::Essential(code) if !stopping => {
                self.code.get_or_insert(code);
                self.shut_down(libc::SIGTERM, now, &mut out);
            }
            Event::Essential(_) => {}
            Event::Exited(pid) => self.exited(pid, now, &mut out),
            Event::Stamp(stamp) => self.stamped(stamp, &mut out),
            Event::Entry(key) if !stopping => match self.keys.get(&key) {
                Some(&id) => self.start(id, &mut out),
                None => out.push(Action::Inspect(key)),
            },
            Event::Entry(_) => {}
            Event::Failed => self.must_scan = true,
            Event::ReadDone => self.read_done(now, &mut out),
            Event::New { key, has_log } => {
                let id = self.next_id;
                self.next_id += 1;
                let entry = Entry {
                    key,
                    active: false,
                    halves: [None; 2],
                    pipe: has_log,
                    stop: None,
                    adopted: false,
                    half_asked: false,
                    retaining: false,
                    needs: Vec::new(),
                };
                self.entries.insert(id, entry);
                self.keys.insert(key, id);
                match has_log {
                    true => out.push(Action::Pipe(id)),
                    false => self.start(id, &mut out),
                }
            }
            Event::Piped { id, ok: true } => self.start(id, &mut out),
            Event::Piped { id, ok: false } => {
                if let Some(e) = self.entries.remove(&id) {
                    self.keys.remove(&e.key);
                }
                self.must_scan = true;
            }
            Event::Held { id, holders, adoptable } => self.held(id, holders, adoptable, &mut out),
            Event::Spawned { id, role, pid } => self.spawned(id, role, pid, now, &mut out),
            Event::Unsent { id, rung } => {
                if let Some(e) = self.entries.get_mut(&id) {
                    if let Some(stop) = e.stop.as_mut() {
                        stop.done &= !rung.bit();
                        if e.owner() == Owner::Us {
                            wake_by(&mut self.stop_wake, now + RETRY);
                        }
                    }
                }
            }
            Event::Supervised { id, halves } => self.supervised(id, halves, now, &mut out),
        }
        // Sooner while stops go on: they read who needs whom.
        if self.needs_changed && (settled || self.entries.values().any(|e| e.stop.is_some())) {
            self.look_at_needs(&mut out);
        }
        let main_gone = matches!(self.main, Main::None | Main::Ended);
        if let Some(at) = self.shutdown.filter(|_| self.entries.is_empty() && !self.exited && main_gone) {
            self.exited = true;
            out.push(Action::Exit { code: self.code.unwrap_or(0), orphans_by: at + kill_all(self.grace) });
        }
        out
    }

    /// TERM or INT (`sig`), or an essential service's end: no more starts;
    /// the main command, if it runs, gets `sig` and the services wait for
    /// its end (KILL at the grace period); else they are taken down now. A
    /// second signal is passed on to the main command too.
    fn shut_down(&mut self, sig: i32, now: Instant, out: &mut Vec<Action>) {
        let first = self.shutdown.is_none();
        self.shutdown.get_or_insert(now);
        match self.main {
            Main::Running(pid) => {
                out.push(Action::SignalMain { pid, sig });
                self.main = Main::Stopping { pid, kill_at: Some(now + self.grace) };
            }
            Main::Stopping { pid, kill_at } => {
                if kill_at.is_some() {
                    out.push(Action::SignalMain { pid, sig });
                }
            }
            Main::None | Main::Ended if first => self.stop(true, now, out),
            Main::None | Main::Ended => {}
        }
    }

    /// The directory's stamp: read it whole only when it may hold news, so
    /// that an idle tree of thousands of services costs one stat a scan.
    fn stamped(&mut self, stamp: Option<Stamp>, out: &mut Vec<Action>) {
        if !self.must_scan && stamp.is_some_and(|s| self.seen == Some(s.changed)) {
            return;
        }
        self.must_scan = stamp.is_none_or(|s| s.racy());
        self.seen = stamp.map(|s| s.changed);
        for e in self.entries.values_mut() {
            e.active = false;
        }
        out.push(Action::Read);
    }

    /// After a whole read: entries gone whose supervisors have exited are
    /// forgotten (an adopted one once it is seen that none runs); after a
    /// HUP, what is gone is taken down.
    fn read_done(&mut self, now: Instant, out: &mut Vec<Action>) {
        let mut gone = Vec::new();
        for (&id, e) in self.entries.iter_mut() {
            if e.active || e.halves.iter().any(Option::is_some) || e.stop.is_some() {
                continue;
            }
            if e.adopted {
                e.retaining = true;
                out.push(Action::Look(id));
            } else {
                gone.push(id);
            }
        }
        for id in gone {
            self.forget(id, out);
        }
        if std::mem::take(&mut self.hup) {
            self.stop(false, now, out);
        }
    }

    fn forget(&mut self, id: Id, out: &mut Vec<Action>) {
        if let Some(e) = self.entries.remove(&id) {
            self.keys.remove(&e.key);
            out.push(Action::Forget(id));
        }
    }

    /// Starts what is missing of a known entry just seen: first, if
    /// something is, a probe of who holds it.
    fn start(&mut self, id: Id, out: &mut Vec<Action>) {
        let Some(e) = self.entries.get_mut(&id) else { return };
        e.active = true;
        if e.stop.is_some() {
            return;
        }
        let halves = [e.pid(Role::Service) == 0, e.pid(Role::Log) == 0 && e.pipe];
        match halves {
            [false, false] => self.held(id, [Holder::Free; 2], false, out),
            _ => out.push(Action::Probe { id, key: e.key, halves }),
        }
    }

    /// A supervise left running by an earlier svscan (killed, say) keeps
    /// its service: starting another would only see it fail on the lock.
    /// The next whole read looks again. A pair is one: the pipe between the
    /// old two is out of reach, so when only one half of it is left, that
    /// half is told to exit (`svc -dx`, then `svc -k`), and both start anew
    /// on our pipe once it has.
    fn held(&mut self, id: Id, holders: [Holder; 2], adoptable: bool, out: &mut Vec<Action>) {
        let Some(e) = self.entries.get_mut(&id) else { return };
        let held = holders.map(|h| h != Holder::Free);
        let disown = |e: &mut Entry, out: &mut Vec<Action>| {
            if std::mem::take(&mut e.adopted) {
                out.push(Action::Disown(id));
            }
            e.half_asked = false;
        };
        if holders.contains(&Holder::Theirs) {
            disown(e, out);
            self.must_scan = true;
            return;
        }
        if held == [false, false] {
            disown(e, out);
        } else if !e.adopted && adoptable {
            e.adopted = true;
            out.push(Action::Adopt(id));
        }
        if e.pipe && held[0] != held[1] {
            if e.adopted {
                let role = if held[0] { Role::Service } else { Role::Log };
                let letters: &'static [u8] = if e.half_asked { b"k" } else { b"dx" };
                out.push(Action::Send { id, to: Target::Adopted(role), step: Step::Letters(letters), rung: None });
                e.half_asked = true;
            }
            self.must_scan = true;
            return;
        }
        if e.pid(Role::Service) == 0 && !held[0] {
            // The logger follows once the service started (see `spawned`).
            out.push(Action::Spawn(id, Role::Service));
            return;
        }
        if e.pipe && e.pid(Role::Log) == 0 && !held[1] {
            out.push(Action::Spawn(id, Role::Log));
        }
        if held.contains(&true) {
            self.must_scan = true;
        }
    }

    fn spawned(&mut self, id: Id, role: Role, pid: Option<u32>, now: Instant, out: &mut Vec<Action>) {
        let Some(e) = self.entries.get_mut(&id) else { return };
        let Some(pid) = pid else {
            self.must_scan = true;
            return;
        };
        e.halves[role as usize] = Some(Half { pid, since: now });
        self.pids.insert(pid, (id, role));
        if role == Role::Service && e.pipe && e.pid(Role::Log) == 0 {
            out.push(Action::Spawn(id, Role::Log));
        }
    }

    /// A supervise we started was reaped: a stop waiting on it moves on at
    /// once; one that had run a second or more, exiting unasked, is started
    /// again a second later (one that fails at once waits for the scan).
    fn exited(&mut self, pid: u32, now: Instant, out: &mut Vec<Action>) {
        let Some((id, role)) = self.pids.remove(&pid) else { return };
        let Some(e) = self.entries.get_mut(&id) else { return };
        let Some(half) = e.halves[role as usize].take() else { return };
        self.must_scan = true;
        match e.stop {
            Some(_) => {
                // The services it needs may go on now.
                let needs: Vec<Id> = match role {
                    Role::Service => e.needs.iter().filter_map(|k| self.keys.get(k).copied()).collect(),
                    Role::Log => Vec::new(),
                };
                self.tend_one(id, None, now, out);
                for need in needs {
                    self.tend_one(need, None, now, out);
                }
            }
            None if now.duration_since(half.since) >= RESTART => {
                self.next_scan = self.next_scan.min(now + RESTART);
            }
            None => {}
        }
    }

    /// Starts taking down every entry not seen in the last whole read (`all`: every entry).
    fn stop(&mut self, all: bool, now: Instant, out: &mut Vec<Action>) {
        if self.needs_changed {
            self.look_at_needs(out);
        }
        let waits = Some(now + self.grace);
        for e in self.entries.values_mut().filter(|e| all || !e.active) {
            e.stop.get_or_insert(Stop { since: now, done: 0, waits });
        }
        self.stop_wake = Some(now);
        self.tend(now, out);
    }

    /// Moves every stop along once a stop deadline has come (walking the
    /// whole table only then).
    fn tend(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.stop_wake.is_none_or(|w| w > now) {
            return;
        }
        self.stop_wake = None;
        let stopping: Vec<Id> = self.entries.iter().filter(|(_, e)| e.stop.is_some()).map(|(&id, _)| id).collect();
        for id in stopping {
            self.tend_one(id, None, now, out);
        }
    }

    /// Moves one stop along; forgets the entry once it is down. An adopted
    /// entry is first looked at (`alive` is the answer).
    fn tend_one(&mut self, id: Id, alive: Option<[bool; 2]>, now: Instant, out: &mut Vec<Action>) {
        let Some(bound) = self.entries.get(&id).and_then(|e| e.stop).map(|s| s.waits) else { return };
        if let Some(bound) = bound {
            // Those that need it first, for the grace period at most.
            match self.dependents_up(id) {
                (true, adopted) if now < bound => {
                    wake_by(&mut self.stop_wake, if adopted { bound.min(now + POLL) } else { bound });
                    return;
                }
                _ => {
                    let stop = self.entries.get_mut(&id).and_then(|e| e.stop.as_mut()).expect("stopping");
                    (stop.since, stop.waits) = (now, None);
                }
            }
        }
        let Some(e) = self.entries.get_mut(&id) else { return };
        let owner = e.owner();
        // The half being stopped, and how it is reached.
        let half = match (owner, alive) {
            (Owner::Adopted, None) => {
                if !e.retaining {
                    out.push(Action::Look(id));
                }
                return;
            }
            (Owner::Adopted, Some(alive)) => {
                ROLES.into_iter().find(|r| alive[*r as usize]).map(|r| (r, Target::Adopted(r)))
            }
            (Owner::Us, _) => match (e.pid(Role::Service), e.pid(Role::Log)) {
                (0, log) => {
                    if std::mem::take(&mut e.pipe) {
                        out.push(Action::ClosePipe(id));
                    }
                    (log != 0).then_some((Role::Log, Target::Pid(log)))
                }
                (pid, _) => Some((Role::Service, Target::Pid(pid))),
            },
        };
        let stop = e.stop.as_mut().expect("stopping");
        match half.and_then(|(role, to)| climb(stop, id, role, to, self.grace, now, out)) {
            Some(at) => wake_by(&mut self.stop_wake, at),
            None => {
                // A name put back while it was stopping is started at the next scan.
                self.forget(id, out);
                self.must_scan = true;
            }
        }
    }

    fn supervised(&mut self, id: Id, alive: [bool; 2], now: Instant, out: &mut Vec<Action>) {
        let Some(e) = self.entries.get_mut(&id) else { return };
        if std::mem::take(&mut e.retaining) && alive == [false, false] {
            self.forget(id, out);
            return;
        }
        if e.stop.is_some() && e.owner() == Owner::Adopted {
            self.tend_one(id, Some(alive), now, out);
        }
    }
}

/// One climb of the stop ladder for the half `role` of an entry, reached as
/// `to`: the half's first rung at once, its later rung once due, and, past
/// the last, SIGKILL (or, adopted, giving up: `None`). Returns when to look again.
fn climb(
    stop: &mut Stop,
    id: Id,
    role: Role,
    to: Target,
    grace: Duration,
    now: Instant,
    out: &mut Vec<Action>,
) -> Option<Instant> {
    let kill_all = stop.since + kill_all(grace);
    let [first, later] = Rung::of(role);
    let later_due = stop.since + later.due(grace);
    if now >= kill_all {
        return match to {
            Target::Pid(pid) => {
                out.push(Action::Kill(pid));
                Some(now + RETRY)
            }
            Target::Adopted(_) => None,
        };
    }
    for rung in [first, later] {
        if stop.since + rung.due(grace) <= now && stop.done & rung.bit() == 0 {
            stop.done |= rung.bit();
            out.push(Action::Send { id, to, step: rung.step(), rung: Some(rung) });
        }
    }
    Some(match to {
        Target::Adopted(_) => now + POLL,
        Target::Pid(_) if now < later_due => later_due,
        Target::Pid(_) => kill_all,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Role::*;

    const GRACE: Duration = Duration::from_secs(5);
    const A: Key = (1, 10);
    const B: Key = (1, 20);

    /// A scanner on a fake clock: `at(secs)` is that long after its start.
    struct Fake {
        sc: Scanner,
        t0: Instant,
        /// The directory's change time, seconds since the epoch, and the wall clock's.
        changed: i64,
        wall: u64,
        next_pid: u32,
    }

    impl Fake {
        fn new() -> Fake {
            let t0 = Instant::now();
            Fake { sc: Scanner::new(GRACE, t0), t0, changed: 1_000, wall: 2_000, next_pid: 100 }
        }

        fn at(&self, secs: f64) -> Instant {
            self.t0 + Duration::from_secs_f64(secs)
        }

        fn feed(&mut self, ev: Event, secs: f64) -> Vec<Action> {
            let now = self.at(secs);
            self.sc.handle(ev, now)
        }

        fn stamp(&self) -> Event {
            Event::Stamp(Some(Stamp { changed: (self.changed, 0), wall: Duration::from_secs(self.wall) }))
        }

        /// The timer at `secs`, with its stat answered: true when it read the directory whole.
        fn tick(&mut self, secs: f64) -> bool {
            let acts = self.feed(Event::Timer, secs);
            assert!(acts.contains(&Stat), "no scan due at {secs}: {acts:?}");
            let acts = self.feed(self.stamp(), secs);
            acts == [Read]
        }

        /// An entry seen, every question answered as a fresh directory
        /// would: the spawns made, in order.
        fn see(&mut self, key: Key, has_log: bool, secs: f64) -> Vec<(Id, Role)> {
            let mut spawned = Vec::new();
            let mut queue = std::collections::VecDeque::from(self.feed(Event::Entry(key), secs));
            while let Some(a) = queue.pop_front() {
                let answer = match a {
                    Inspect(key) => Event::New { key, has_log },
                    Pipe(id) => Event::Piped { id, ok: true },
                    Probe { id, .. } => Event::Held { id, holders: [Holder::Free; 2], adoptable: true },
                    Spawn(id, role) => {
                        spawned.push((id, role));
                        self.next_pid += 1;
                        Event::Spawned { id, role, pid: Some(self.next_pid) }
                    }
                    other => panic!("unexpected {other:?}"),
                };
                let mut more = self.feed(answer, secs);
                more.extend(queue.drain(..));
                queue = more.into();
            }
            spawned
        }

        /// A whole read at `secs` that sees these entries (all with `log/`).
        fn read(&mut self, keys: &[Key], secs: f64) -> Vec<Action> {
            for &k in keys {
                self.see(k, true, secs);
            }
            self.feed(Event::ReadDone, secs)
        }

        fn pid(&self, id: Id, role: Role) -> u32 {
            self.sc.entries[&id].pid(role)
        }
    }

    /// A scanner that started the pair A (service pid 101, logger 102) at 0 s.
    fn running() -> Fake {
        let mut f = Fake::new();
        assert!(f.tick(0.0));
        assert_eq!(f.see(A, true, 0.0), [(0, Service), (0, Log)]);
        assert_eq!(f.feed(Event::ReadDone, 0.0), []);
        assert_eq!((f.pid(0, Service), f.pid(0, Log)), (101, 102));
        f
    }

    fn send(to: Target, step: Step, rung: Rung) -> Action {
        Send { id: 0, to, step, rung: Some(rung) }
    }

    #[test]
    fn a_supervise_that_ran_a_second_is_started_again_a_second_after_it_exited() {
        let mut f = running();
        assert_eq!(f.sc.deadline(), Some(f.at(5.0)));
        assert_eq!(f.feed(Event::Exited(101), 2.5), []);
        assert_eq!(f.sc.deadline(), Some(f.at(3.5)));
        // The stamp has not moved, yet the exit makes the scan read whole.
        assert!(f.tick(3.5));
        assert_eq!(f.see(A, true, 3.5), [(0, Service)]);
        assert_eq!(f.sc.deadline(), Some(f.at(8.5)));
    }

    #[test]
    fn a_supervise_that_fails_at_once_waits_for_the_scan() {
        let mut f = running();
        assert_eq!(f.feed(Event::Exited(102), 0.5), []);
        assert_eq!(f.sc.deadline(), Some(f.at(5.0)));
        assert_eq!(f.feed(Event::Timer, 4.9), []);
        assert!(f.tick(5.0));
        assert_eq!(f.see(A, true, 5.0), [(0, Log)]);
    }

    #[test]
    fn hup_takes_a_gone_pair_down_service_first_logger_after_then_kills() {
        let mut f = running();
        assert_eq!(f.feed(Event::Rescan { hup: true }, 1.0), [Stat]);
        assert_eq!(f.feed(f.stamp(), 1.0), [Read]);
        // A is gone from the directory: its service is told -dx at once.
        let acts = f.feed(Event::ReadDone, 1.0);
        assert_eq!(acts, [send(Target::Pid(101), Step::Term, Rung::DownService)]);
        assert_eq!(f.sc.deadline(), Some(f.at(6.0)));
        // Its FIFO was not open yet: tried again soon.
        assert_eq!(f.feed(Event::Unsent { id: 0, rung: Rung::DownService }, 1.0), []);
        assert_eq!(f.sc.deadline(), Some(f.at(1.05)));
        assert_eq!(f.feed(Event::Timer, 1.05), [send(Target::Pid(101), Step::Term, Rung::DownService)]);
        // At the grace period the service is killed; the logger still untouched.
        assert_eq!(f.feed(Event::Timer, 6.0), [Stat, send(Target::Pid(101), Step::Letters(b"k"), Rung::KillService)]);
        assert_eq!(f.feed(f.stamp(), 6.0), []);
        assert_eq!(f.sc.deadline(), Some(f.at(8.0)));
        // Once the service's supervise exited, the pipe closes and the logger gets -x.
        let acts = f.feed(Event::Exited(101), 6.5);
        assert_eq!(acts, [ClosePipe(0), send(Target::Pid(102), Step::Letters(b"x"), Rung::ExitLog)]);
        // A step after the grace period, the logger's supervise gets TERM.
        assert_eq!(f.feed(Event::Timer, 7.0), [send(Target::Pid(102), Step::Term, Rung::DownLog)]);
        // A step later, what is left is killed, again and again until reaped.
        assert_eq!(f.feed(Event::Timer, 8.0), [Kill(102)]);
        assert_eq!(f.sc.deadline(), Some(f.at(8.05)));
        assert_eq!(f.feed(Event::Exited(102), 8.02), [Forget(0)]);
        assert!(f.sc.is_empty());
    }

    #[test]
    fn hup_leaves_what_is_still_there() {
        let mut f = running();
        assert_eq!(f.feed(Event::Rescan { hup: true }, 1.0), [Stat]);
        assert_eq!(f.feed(f.stamp(), 1.0), [Read]);
        assert_eq!(f.read(&[A], 1.0), []);
        assert_eq!(f.sc.deadline(), Some(f.at(6.0)));
    }

    #[test]
    fn term_takes_everything_down_in_order_then_exits() {
        let mut f = running();
        f.see(B, false, 0.0);
        assert_eq!(f.pid(1, Service), 103);
        let acts = f.feed(Event::Term(libc::SIGTERM), 2.0);
        let b = Send { id: 1, to: Target::Pid(103), step: Step::Term, rung: Some(Rung::DownService) };
        assert_eq!(acts, [send(Target::Pid(101), Step::Term, Rung::DownService), b]);
        // No more scans, nor starts, while shutting down.
        assert_eq!(f.sc.deadline(), Some(f.at(7.0)));
        assert_eq!(f.feed(Event::Rescan { hup: false }, 2.1), []);
        assert_eq!(f.feed(Event::Exited(103), 2.2), [Forget(1)]);
        assert_eq!(f.feed(Event::Exited(101), 2.3)[1], send(Target::Pid(102), Step::Letters(b"x"), Rung::ExitLog));
        let acts = f.feed(Event::Exited(102), 2.4);
        assert_eq!(acts, [Forget(0), Exit { code: 0, orphans_by: f.at(9.0) }]);
        assert_eq!(f.feed(Event::Timer, 3.0), []);
    }

    /// [`running`] with a main command, pid 50, started at 0 s.
    fn running_main() -> Fake {
        let mut f = running();
        assert_eq!(f.feed(Event::MainStarted(50), 0.0), []);
        f
    }

    /// The pair A goes down in order and the scanner exits with `code`.
    fn takes_a_down_and_exits(f: &mut Fake, acts: Vec<Action>, secs: f64, code: i32) {
        assert_eq!(acts, [send(Target::Pid(101), Step::Term, Rung::DownService)]);
        assert_eq!(f.feed(Event::Exited(101), secs)[1], send(Target::Pid(102), Step::Letters(b"x"), Rung::ExitLog));
        let acts = f.feed(Event::Exited(102), secs);
        assert_eq!(acts[0], Forget(0));
        assert!(matches!(acts[1], Exit { code: c, .. } if c == code), "{acts:?}");
    }

    #[test]
    fn the_main_command_ending_takes_everything_down_and_gives_its_code() {
        let mut f = running_main();
        let acts = f.feed(Event::MainExited(7), 3.0);
        takes_a_down_and_exits(&mut f, acts, 3.1, 7);
    }

    #[test]
    fn term_goes_to_the_main_command_first_and_the_services_wait_for_its_end() {
        let mut f = running_main();
        assert_eq!(f.feed(Event::Term(libc::SIGINT), 2.0), [SignalMain { pid: 50, sig: libc::SIGINT }]);
        // No more scans; the services are left up while the main command ends.
        assert_eq!(f.sc.deadline(), Some(f.at(7.0)), "the main command's grace");
        assert_eq!(f.feed(Event::Rescan { hup: false }, 2.1), []);
        // A second signal is passed on too.
        assert_eq!(f.feed(Event::Term(libc::SIGTERM), 2.2), [SignalMain { pid: 50, sig: libc::SIGTERM }]);
        let acts = f.feed(Event::MainExited(130), 2.5);
        takes_a_down_and_exits(&mut f, acts, 2.6, 130);
    }

    #[test]
    fn a_main_command_that_ignores_term_is_killed_at_the_grace_period() {
        let mut f = running_main();
        assert_eq!(f.feed(Event::Term(libc::SIGTERM), 1.0), [SignalMain { pid: 50, sig: libc::SIGTERM }]);
        assert_eq!(f.feed(Event::Timer, 5.9), []);
        assert_eq!(f.feed(Event::Timer, 6.0), [SignalMain { pid: 50, sig: libc::SIGKILL }]);
        assert_eq!(f.feed(Event::Term(libc::SIGTERM), 6.1), [], "nothing more to pass on once killed");
        let acts = f.feed(Event::MainExited(137), 6.2);
        takes_a_down_and_exits(&mut f, acts, 6.3, 137);
    }

    #[test]
    fn an_essential_service_failing_ends_it_all_with_its_code() {
        let mut f = running_main();
        assert_eq!(f.feed(Event::Essential(3), 1.0), [SignalMain { pid: 50, sig: libc::SIGTERM }]);
        assert_eq!(f.feed(Event::Essential(4), 1.1), [], "the first one's code stands");
        let acts = f.feed(Event::MainExited(143), 1.5);
        takes_a_down_and_exits(&mut f, acts, 1.6, 3);
        // Without a main command, at once.
        let mut f = running();
        let acts = f.feed(Event::Essential(2), 1.0);
        takes_a_down_and_exits(&mut f, acts, 1.1, 2);
    }

    #[test]
    fn exit_codes_are_a_shells() {
        assert_eq!(exit_code(7 << 8), 7);
        assert_eq!(exit_code(libc::SIGTERM), 143);
        assert_eq!(exit_code(libc::SIGKILL | 0x80), 137, "a core dump");
    }

    #[test]
    fn term_with_nothing_running_exits_at_once() {
        let mut f = Fake::new();
        assert_eq!(f.feed(Event::Term(libc::SIGTERM), 0.0), [Exit { code: 0, orphans_by: f.at(7.0) }]);
        assert_eq!(f.sc.deadline(), None);
    }

    /// The entry A seen with its halves held as `holders`: the actions after the probe.
    fn probe(f: &mut Fake, holders: [Holder; 2], secs: f64) -> Vec<Action> {
        let mut acts = f.feed(Event::Entry(A), secs);
        if acts == [Inspect(A)] {
            assert_eq!(f.feed(Event::New { key: A, has_log: true }, secs), [Pipe(0)]);
            acts = f.feed(Event::Piped { id: 0, ok: true }, secs);
        }
        assert_eq!(acts, [Probe { id: 0, key: A, halves: [true, true] }]);
        f.feed(Event::Held { id: 0, holders, adoptable: true }, secs)
    }

    #[test]
    fn a_lone_adopted_half_is_told_to_exit_then_the_pair_starts_anew() {
        let mut f = Fake::new();
        assert!(f.tick(0.0));
        let acts = probe(&mut f, [Holder::Adoptable, Holder::Free], 0.0);
        let ask = |letters| Send { id: 0, to: Target::Adopted(Service), step: Step::Letters(letters), rung: None };
        assert_eq!(acts, [Adopt(0), ask(b"dx")]);
        assert_eq!(f.feed(Event::ReadDone, 0.0), []);
        // Still there at the next scan (which reads whole): killed.
        assert!(f.tick(5.0));
        assert_eq!(probe(&mut f, [Holder::Adoptable, Holder::Free], 5.0), [ask(b"k")]);
        assert_eq!(f.feed(Event::ReadDone, 5.0), []);
        // Gone: both halves start on our pipe.
        assert!(f.tick(10.0));
        assert_eq!(probe(&mut f, [Holder::Free; 2], 10.0), [Disown(0), Spawn(0, Service)]);
        let acts = f.feed(Event::Spawned { id: 0, role: Service, pid: Some(7) }, 10.0);
        assert_eq!(acts, [Spawn(0, Log)]);
    }

    #[test]
    fn an_adopted_pair_is_left_alone_and_looked_at_each_scan() {
        let mut f = Fake::new();
        assert!(f.tick(0.0));
        assert_eq!(probe(&mut f, [Holder::Adoptable; 2], 0.0), [Adopt(0)]);
        assert_eq!(f.feed(Event::ReadDone, 0.0), []);
        assert!(f.tick(5.0), "an adopted pair is looked at again");
        assert_eq!(probe(&mut f, [Holder::Adoptable; 2], 5.0), []);
        // Its name gone: forgotten once no supervise runs in it.
        assert_eq!(f.feed(Event::ReadDone, 5.0), []);
        assert!(f.tick(10.0));
        assert_eq!(f.feed(Event::ReadDone, 10.0), [Look(0)]);
        assert_eq!(f.feed(Event::Supervised { id: 0, halves: [true, false] }, 10.0), []);
        assert!(!f.tick(15.0), "kept, and nothing to start: an idle scan");
        f.changed += 1;
        assert!(f.tick(20.0));
        assert_eq!(f.feed(Event::ReadDone, 20.0), [Look(0)]);
        assert_eq!(f.feed(Event::Supervised { id: 0, halves: [false; 2] }, 20.0), [Forget(0)]);
    }

    #[test]
    fn another_live_svscans_supervise_is_never_touched() {
        let mut f = Fake::new();
        assert!(f.tick(0.0));
        assert_eq!(probe(&mut f, [Holder::Theirs, Holder::Adoptable], 0.0), []);
        assert_eq!(f.feed(Event::ReadDone, 0.0), []);
        assert!(f.tick(5.0));
    }

    #[test]
    fn term_stops_an_adopted_pair_through_its_directory_by_looking() {
        let mut f = Fake::new();
        assert!(f.tick(0.0));
        assert_eq!(probe(&mut f, [Holder::Adoptable; 2], 0.0), [Adopt(0)]);
        assert_eq!(f.feed(Event::Term(libc::SIGTERM), 1.0), [Look(0)]);
        let acts = f.feed(Event::Supervised { id: 0, halves: [true, true] }, 1.0);
        assert_eq!(acts, [send(Target::Adopted(Service), Step::Term, Rung::DownService)]);
        assert_eq!(f.sc.deadline(), Some(f.at(1.1)));
        assert_eq!(f.feed(Event::Timer, 1.1), [Look(0)]);
        let acts = f.feed(Event::Supervised { id: 0, halves: [false, true] }, 1.1);
        assert_eq!(acts, [send(Target::Adopted(Log), Step::Letters(b"x"), Rung::ExitLog)]);
        assert_eq!(f.feed(Event::Timer, 1.2), [Look(0)]);
        let acts = f.feed(Event::Supervised { id: 0, halves: [false; 2] }, 1.2);
        assert_eq!(acts, [Forget(0), Exit { code: 0, orphans_by: f.at(8.0) }]);
    }

    #[test]
    fn a_racy_directory_stamp_forces_a_whole_read_next_time() {
        let mut f = running();
        // Read at 0 s with the directory changed long before: trusted.
        assert!(!f.tick(5.0), "an idle scan reads nothing");
        // A change stamped within the last two seconds may hide another.
        f.changed = 2_000;
        f.wall = 2_001;
        assert!(f.tick(10.0));
        assert_eq!(f.read(&[A], 10.0), []);
        f.wall = 2_010;
        assert!(f.tick(15.0), "the same stamp, read whole again");
        assert_eq!(f.read(&[A], 15.0), []);
        assert!(!f.tick(20.0));
        // A stat that failed reads whole, and again next time.
        assert_eq!(f.feed(Event::Timer, 25.0), [Stat]);
        assert_eq!(f.feed(Event::Stamp(None), 25.0), [Read]);
        assert_eq!(f.read(&[A], 25.0), []);
        assert!(f.tick(30.0));
    }

    #[test]
    fn an_arrival_for_a_known_entry_starts_nothing_twice() {
        let mut f = running();
        assert_eq!(f.feed(Event::Entry(A), 1.0), []);
        assert_eq!(f.see(A, true, 1.0), []);
    }

    #[test]
    fn a_new_entry_is_started_at_once() {
        let mut f = running();
        assert_eq!(f.see(B, true, 1.0), [(1, Service), (1, Log)]);
        assert_eq!(f.see(B, true, 1.5), []);
    }

    #[test]
    fn an_entry_whose_start_failed_is_tried_again_at_the_next_scan() {
        let mut f = Fake::new();
        assert!(f.tick(0.0));
        assert_eq!(probe(&mut f, [Holder::Free; 2], 0.0), [Spawn(0, Service)]);
        // The service's supervise could not be forked: its logger is not started either.
        assert_eq!(f.feed(Event::Spawned { id: 0, role: Service, pid: None }, 0.0), []);
        assert_eq!(f.feed(Event::ReadDone, 0.0), []);
        assert!(f.tick(5.0), "the same stamp, read whole again");
        assert_eq!(f.see(A, true, 5.0), [(0, Service), (0, Log)]);
        assert_eq!(f.feed(Event::ReadDone, 5.0), []);
        assert!(!f.tick(10.0));
        // A pipe that could not be made: the entry is not kept.
        assert_eq!(f.feed(Event::Entry(B), 11.0), [Inspect(B)]);
        assert_eq!(f.feed(Event::New { key: B, has_log: true }, 11.0), [Pipe(1)]);
        assert_eq!(f.feed(Event::Piped { id: 1, ok: false }, 11.0), []);
        assert_eq!(f.sc.len(), 1);
        assert!(f.tick(15.0));
        assert_eq!(f.see(B, true, 15.0), [(2, Service), (2, Log)]);
    }

    #[test]
    fn the_deadline_is_the_earliest_of_scan_restart_and_stop() {
        let mut f = running();
        f.see(B, false, 0.0);
        assert_eq!(f.sc.deadline(), Some(f.at(5.0)));
        // A restart a second after an unasked exit comes before the scan.
        f.feed(Event::Exited(103), 3.0);
        assert_eq!(f.sc.deadline(), Some(f.at(4.0)));
        // A stop's next rung after the scan does not push the scan back...
        f.feed(Event::Rescan { hup: true }, 3.5);
        f.feed(f.stamp(), 3.5);
        f.see(B, false, 3.5);
        f.feed(Event::ReadDone, 3.5);
        assert_eq!(f.sc.deadline(), Some(f.at(8.5)));
        // ...and one before it comes first.
        f.feed(Event::Unsent { id: 0, rung: Rung::DownService }, 3.6);
        assert_eq!(f.sc.deadline(), Some(f.at(3.65)));
        // While shutting down only the stop counts.
        f.feed(Event::Timer, 3.65);
        f.feed(Event::Term(libc::SIGTERM), 3.7);
        assert_eq!(f.sc.deadline(), Some(f.at(8.5)));
    }

    #[test]
    fn grace_periods_are_seconds_or_durations_up_to_a_day() {
        assert_eq!(parse_grace("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grace("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_grace("300ms"), Some(Duration::from_millis(300)));
        assert_eq!(parse_grace("86401"), None);
        assert_eq!(parse_grace("-1"), None);
        assert_eq!(parse_grace("soon"), None);
    }

    /// [`running`] with B (no logger, pid 103) beside A, and A needing B.
    fn a_needs_b() -> Fake {
        let mut f = running();
        f.see(B, false, 0.0);
        f.sc.learn_needs(0, vec![B, (9, 9)]);
        assert_eq!(f.feed(Event::Timer, 0.5), [], "no cycle to say; a need that is no entry is no matter");
        f
    }

    fn send_to(id: Id, pid: u32, step: Step, rung: Rung) -> Action {
        Send { id, to: Target::Pid(pid), step, rung: Some(rung) }
    }

    #[test]
    fn term_stops_a_service_before_the_services_it_needs() {
        let mut f = a_needs_b();
        let acts = f.feed(Event::Term(libc::SIGTERM), 2.0);
        assert_eq!(acts, [send(Target::Pid(101), Step::Term, Rung::DownService)], "B waits for A");
        assert_eq!(f.feed(Event::Timer, 2.5), []);
        // A's service is down: B goes at once, and A's logger as before.
        let acts = f.feed(Event::Exited(101), 2.6);
        let x = send(Target::Pid(102), Step::Letters(b"x"), Rung::ExitLog);
        assert_eq!(acts, [ClosePipe(0), x, send_to(1, 103, Step::Term, Rung::DownService)]);
        // B's grace counts from then.
        assert_eq!(f.feed(Event::Timer, 7.5), []);
        assert_eq!(f.feed(Event::Timer, 7.6), [send_to(1, 103, Step::Letters(b"k"), Rung::KillService)]);
    }

    #[test]
    fn a_needed_service_waits_for_its_dependents_for_the_grace_period_at_most() {
        let mut f = a_needs_b();
        f.feed(Event::Term(libc::SIGTERM), 2.0);
        assert_eq!(f.sc.deadline(), Some(f.at(7.0)));
        assert_eq!(f.feed(Event::Timer, 6.9), []);
        // A ignores its down signal: killed, and B goes all the same.
        let acts = f.feed(Event::Timer, 7.0);
        let k = send(Target::Pid(101), Step::Letters(b"k"), Rung::KillService);
        assert_eq!(acts, [k, send_to(1, 103, Step::Term, Rung::DownService)]);
        assert_eq!(f.feed(Event::Exited(103), 7.1), [Forget(1)]);
    }

    #[test]
    fn hup_stops_a_needed_service_gone_from_the_directory_at_once() {
        let mut f = a_needs_b();
        assert_eq!(f.feed(Event::Rescan { hup: true }, 1.0), [Stat]);
        assert_eq!(f.feed(f.stamp(), 1.0), [Read]);
        assert_eq!(f.read(&[A], 1.0), [send_to(1, 103, Step::Term, Rung::DownService)], "A stays: no wait");
    }

    #[test]
    fn a_cycle_is_said_once_and_broken_at_one_edge() {
        let mut f = a_needs_b();
        f.sc.learn_needs(1, vec![A]);
        assert_eq!(f.feed(Event::Timer, 1.0), [Cycle(0)]);
        assert_eq!(f.sc.cycle(0), [0, 1], "A -> B -> A, broken at B -> A");
        // Learnt again (a supervise started again): not said again.
        f.sc.learn_needs(1, vec![]);
        assert_eq!(f.feed(Event::Timer, 1.5), []);
        f.sc.learn_needs(1, vec![A]);
        assert_eq!(f.feed(Event::Timer, 2.0), []);
        // B does not wait for A to start, so A stops first, B after it.
        assert_eq!(f.feed(Event::Term(libc::SIGTERM), 3.0), [send(Target::Pid(101), Step::Term, Rung::DownService)]);
        assert_eq!(f.feed(Event::Exited(101), 3.1)[2], send_to(1, 103, Step::Term, Rung::DownService));
    }

    #[test]
    fn a_chain_stops_from_its_end_one_after_the_other() {
        // C needs B needs A: C first, then B, then A.
        const C: Key = (1, 30);
        let mut f = Fake::new();
        assert!(f.tick(0.0));
        for k in [A, B, C] {
            f.see(k, false, 0.0);
        }
        f.sc.learn_needs(1, vec![A]);
        f.sc.learn_needs(2, vec![B]);
        assert_eq!(f.feed(Event::ReadDone, 0.0), []);
        assert_eq!(f.feed(Event::Term(libc::SIGTERM), 1.0), [send_to(2, 103, Step::Term, Rung::DownService)]);
        assert_eq!(f.feed(Event::Exited(103), 1.1), [Forget(2), send_to(1, 102, Step::Term, Rung::DownService)]);
        assert_eq!(f.feed(Event::Exited(102), 1.2), [Forget(1), send_to(0, 101, Step::Term, Rung::DownService)]);
        let acts = f.feed(Event::Exited(101), 1.3);
        assert_eq!(acts, [Forget(0), Exit { code: 0, orphans_by: f.at(8.0) }]);
    }
}
