//! supervise's state machine: what each event does to the service, decided
//! without a single system call. The binary polls, reaps, reads the control
//! FIFO and carries out the [`Actions`] returned here.
//!
//! daemontools 0.76's semantics, with one change on purpose: the one-second
//! spacing between starts is a deadline ([`Machine::deadline`]) instead of a
//! blocking `sleep(1)`, so control letters act at once even while a crashing
//! service waits for its next start.
//!
//! Beyond daemontools, each switched on by a file in the service directory
//! ([`Policy`], read by [`settings`]): `./finish` run after `./run` exits
//! (bounded by `timeout-finish`; exiting 125 means "stay down"),
//! `down-signal` instead of SIGTERM for `d`, `timeout-kill` (SIGKILL if the
//! service outlives its down signal), the back-off and the restart limit
//! ([`restarts`]), readiness ([`readiness`]) and `tree`: the service is its
//! whole process tree (a cgroup of its own, or its process group), `d` and
//! the letters `P`, `C`, `K` signal all of it, and once `./run` exits what is
//! left of the tree is stopped and waited for ([`Phase::Drain`]) before
//! `./finish` or the next start; and `check`: `./check` is run while the
//! service is up, and a service that fails `check-retries` checks in a row
//! is stopped and started again ([`health`]); and `needs/`: each start waits
//! until the services it names are up and ready ([`Phase::Waiting`],
//! bounded by `needs-timeout`). Without those files, daemontools' behaviour
//! is unchanged.
//!
//! The service is in one [`Phase`] at a time, as s6-supervise's
//! `DOWN/UP/FINISH/LASTUP/LASTFINISH` (and our `DRAIN/LASTDRAIN`), and
//! [`Machine::handle`] is one `match (phase, event)`.

pub mod check;
pub mod files;
pub mod health;
pub mod needed;
pub mod readiness;
pub mod restarts;
pub mod settings;

use crate::control::Letter;
pub use crate::info::{Ending, Info};
use crate::status::{Status, Want};
use crate::tai64::Tai64N;
use health::{Checking, Health, NotStarted};
use readiness::Readiness;
pub use restarts::{Restarts, RESTART_SPACING};
pub use settings::Policy;
use std::time::Instant;

/// The time, both as a monotonic instant for timers and as a label for status.
#[derive(Clone, Copy, Debug)]
pub struct Now {
    pub mono: Instant,
    pub tai: Tai64N,
}

impl Now {
    /// The clock's time now (the binary's; tests make their own).
    pub fn read() -> Now {
        Now { mono: Instant::now(), tai: crate::tai64::now() }
    }
}

/// `./finish` exiting with this means: do not restart, want down.
pub const FINISH_STAY_DOWN: i32 = 125;

/// How long what is left of a tree may outlive `./run` before it is killed,
/// without `timeout-kill`.
pub const DRAIN_KILL: std::time::Duration = std::time::Duration::from_secs(5);

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A byte read from `supervise/control`.
    Letter(u8),
    /// The service wrote a newline to its notification descriptor.
    Ready,
    /// The service's process was reaped.
    Exited(Ending),
    /// `./finish` was reaped.
    FinishExited(Ending),
    /// The deadline passed.
    Timer,
    /// supervise itself got SIGTERM: `svc -dx`.
    Terminate,
    /// The tree being drained has no process left (fed once the tree is
    /// empty while [`Machine::draining`], at once if it already is).
    TreeEmpty,
    /// `./check` was reaped ([`Machine::check_pid`]).
    CheckExited(Ending),
    /// Every service in `needs/` is up and ready (fed while
    /// [`Machine::waiting`], at once if they are already).
    NeedsMet,
}

impl Event {
    /// Whether the service directory's settings may matter to this event,
    /// and are read again first: not for a byte that is no control letter
    /// (a flood of garbage on control would cost seven file lookups a byte),
    /// nor for a timer, readiness, `./finish`'s or `./check`'s end (a check
    /// every few seconds would read them all every few seconds).
    pub fn reads_settings(self) -> bool {
        match self {
            // The start a wait for needs let go uses the settings of now.
            Event::Exited(_) | Event::Terminate | Event::TreeEmpty | Event::NeedsMet => true,
            Event::Letter(byte) => Letter::from_byte(byte).is_some(),
            Event::Ready | Event::FinishExited(_) | Event::Timer | Event::CheckExited(_) => false,
        }
    }
}

/// What the binary must do now, in this order: send the signals to the pid
/// ([`Machine::pid`]), the tree signals to every process of the tree
/// ([`Machine::group`]), then SIGKILL to the whole tree if `kill_tree`;
/// kill `./finish` if `kill_finish`; start `./finish` with these arguments
/// (and `finish_group` as its fourth, when there is one) if `finish` (then
/// report with [`Machine::finish_started`] or [`Machine::finish_failed`]);
/// remove the emptied cgroup if `remove_tree`; start `./run` if `start`, in
/// a tree of its own if [`Policy::tree`] (then report with
/// [`Machine::started`] or [`Machine::start_failed`]); SIGKILL to the
/// check's process group ([`Machine::check_pid`]) if `kill_check`; start
/// `./check` if `check` (then report with [`Machine::check_started`] or
/// [`Machine::check_not_started`]); rewrite the status files if `announce`
/// or a start happened; feed [`Event::TreeEmpty`] if [`Machine::draining`]
/// and the tree is empty already; exit 0 if `exit`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actions {
    pub signals: [Option<libc::c_int>; 2],
    /// To every process of the run's tree (its cgroup, or its process group).
    pub tree_signals: [Option<libc::c_int>; 2],
    /// SIGKILL to the whole tree (`cgroup.kill`, or KILL to the group).
    pub kill_tree: bool,
    pub kill_finish: bool,
    pub finish: Option<(i32, i32)>,
    /// `./finish`'s fourth argument, with `finish`, when the run had a tree:
    /// its process group id (its pid: in a tree, `./run` leads a session).
    pub finish_group: Option<u32>,
    /// The tree is empty and will not be used again (down for good,
    /// supervise exiting, or a start without `tree`): remove its cgroup.
    pub remove_tree: bool,
    pub start: bool,
    /// SIGKILL to the running check's whole process group.
    pub kill_check: bool,
    /// Start `./check`, in a process group of its own, told the service's pid.
    pub check: bool,
    pub announce: bool,
    pub exit: bool,
}

impl Actions {
    const ANNOUNCE: Actions = Actions {
        signals: [None, None],
        tree_signals: [None, None],
        kill_tree: false,
        kill_finish: false,
        finish: None,
        finish_group: None,
        remove_tree: false,
        start: false,
        kill_check: false,
        check: false,
        announce: true,
        exit: false,
    };

    fn add(slots: &mut [Option<libc::c_int>; 2], sig: libc::c_int) {
        let slot = slots.iter_mut().find(|s| s.is_none()).expect("two signals at most");
        *slot = Some(sig);
    }

    fn merge(self, other: Actions) -> Actions {
        let mut out = self;
        for sig in other.signals.into_iter().flatten() {
            Actions::add(&mut out.signals, sig);
        }
        for sig in other.tree_signals.into_iter().flatten() {
            Actions::add(&mut out.tree_signals, sig);
        }
        out.kill_tree |= other.kill_tree;
        out.kill_finish |= other.kill_finish;
        out.finish = out.finish.or(other.finish);
        out.finish_group = out.finish_group.or(other.finish_group);
        out.remove_tree |= other.remove_tree;
        out.start |= other.start;
        out.kill_check |= other.kill_check;
        out.check |= other.check;
        out.announce |= other.announce;
        out.exit |= other.exit;
        out
    }
}

/// Where the service is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No process. `pending`: a start is due once [`Restarts`] allows it.
    Down { pending: bool },
    /// No process, a start due, waiting for the services in `needs/` to
    /// be up and ready ([`Event::NeedsMet`]). The service is down meanwhile.
    Waiting(Wait),
    /// `./run` runs.
    Up(Run),
    /// `./finish` runs, or is being started, after `./run` exited.
    Finish(Finishing),
    /// As [`Phase::Up`], and supervise exits once the service is down (`x`).
    LastUp(Run),
    /// As [`Phase::Finish`], and supervise exits once `./finish` is over.
    LastFinish(Finishing),
    /// `./run` exited with its `tree` on: what is left of its tree got the
    /// down signal and is waited for; `./finish` or the next start only
    /// once it is empty. The service is down meanwhile.
    Drain(Draining),
    /// As [`Phase::Drain`], and supervise exits once it is all over.
    LastDrain(Draining),
}

/// A start waiting for the needed services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    /// `needs-timeout`: then the start counts as failed, and the wait
    /// begins again after the spacing (or the back-off).
    pub until: Option<Instant>,
}

/// One run of `./run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub pid: u32,
    /// `svc -p`, until `c`, `d` or the next start.
    pub paused: bool,
    /// Told to stop (`d`, `t`, `k`): its death is no crash.
    pub stop_asked: bool,
    /// `timeout-kill`: SIGKILL then, if it still runs.
    pub kill_at: Option<Instant>,
    pub ready: Readiness,
    /// [`Policy::tree`] when it started: the whole tree is the service
    /// until this run is over, whatever `tree` says meanwhile.
    pub tree: bool,
    /// With `check`: how its checks go.
    pub health: Option<Health>,
}

/// What is left of a run's tree after `./run` exited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Draining {
    /// How `./run` ended, for `./finish`.
    pub ending: Ending,
    /// The run's process group id (its pid).
    pub group: u32,
    /// SIGKILL to the whole tree then: `timeout-kill` (counted from `d` if
    /// it came first), or [`DRAIN_KILL`].
    pub kill_at: Option<Instant>,
    /// `u` or `o` came meanwhile: a start is due once it is over.
    pub pending: bool,
}

/// One run of `./finish`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finishing {
    /// None until the binary says it started it.
    pub pid: Option<u32>,
    /// `timeout-finish`: SIGKILL then.
    pub kill_at: Option<Instant>,
    /// `u` or `o` came meanwhile: a start is due once it is over.
    pub pending: bool,
}

/// The service as supervise sees it.
#[derive(Debug)]
pub struct Machine {
    phase: Phase,
    want: Want,
    /// When the pid last changed, for the status.
    stamp: Tai64N,
    restarts: Restarts,
    last_ending: Option<Ending>,
    /// Control letters acted on since supervise started.
    letters: u64,
    /// What the service directory asks for; the binary refreshes it.
    pub policy: Policy,
    /// A run had a tree whose cgroup the binary may still hold: removed
    /// ([`Actions::remove_tree`]) once no run will use it.
    tree_left: bool,
    /// The check process, while there is one (it may outlive the run it checked).
    check: Option<Checking>,
}

impl Machine {
    /// A service that is down, wanted up unless `./down` exists.
    pub fn new(normally_up: bool, now: Now) -> Machine {
        Machine {
            phase: Phase::Down { pending: false },
            want: if normally_up { Want::Up } else { Want::Down },
            stamp: now.tai,
            restarts: Restarts::default(),
            last_ending: None,
            letters: 0,
            policy: Policy::default(),
            tree_left: false,
            check: None,
        }
    }

    /// The first actions: announce, and start the service if it is wanted up.
    pub fn boot(&mut self, now: Now) -> Actions {
        let mut a = Actions::ANNOUNCE;
        if self.want == Want::Up {
            a = a.merge(self.request_start(now));
        }
        a
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    fn run(&self) -> Option<&Run> {
        match &self.phase {
            Phase::Up(run) | Phase::LastUp(run) => Some(run),
            _ => None,
        }
    }

    fn finish(&self) -> Option<&Finishing> {
        match &self.phase {
            Phase::Finish(f) | Phase::LastFinish(f) => Some(f),
            _ => None,
        }
    }

    /// Whether a start waits for the needed services ([`Event::NeedsMet`]).
    pub fn waiting(&self) -> bool {
        matches!(self.phase, Phase::Waiting(_))
    }

    /// Whether what is left of a tree is being waited for ([`Event::TreeEmpty`]).
    pub fn draining(&self) -> bool {
        matches!(self.phase, Phase::Drain(_) | Phase::LastDrain(_))
    }

    /// The process group id of the run whose tree is alive: while it runs
    /// with `tree`, and while its tree drains.
    pub fn group(&self) -> Option<u32> {
        match self.phase {
            Phase::Up(run) | Phase::LastUp(run) if run.tree => Some(run.pid),
            Phase::Drain(d) | Phase::LastDrain(d) => Some(d.group),
            _ => None,
        }
    }

    /// The service's pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.run().map(|r| r.pid)
    }

    /// The pid of `./finish` while it runs.
    pub fn finish_pid(&self) -> Option<u32> {
        self.finish().and_then(|f| f.pid)
    }

    /// The pid of `./check` while it runs (also its process group).
    pub fn check_pid(&self) -> Option<u32> {
        self.check.and_then(|c| c.pid)
    }

    /// What `supervise/status` says now; paused only while there is a pid.
    pub fn status(&self) -> Status {
        let run = self.run();
        Status {
            stamp: self.stamp,
            pid: run.map_or(0, |r| r.pid),
            paused: run.is_some_and(|r| r.paused),
            want: self.want,
        }
    }

    /// What `supervise/info` says now.
    pub fn info(&self) -> Info {
        Info {
            pid: self.status().pid,
            // Draining is part of what comes after `./run`: `svc -wD` waits for it.
            finishing: self.finish().is_some() || self.draining(),
            last_ending: self.last_ending,
            restarts: self.restarts.restarts(),
            failed: self.restarts.failed(),
            backoff_seconds: self.restarts.backoff_seconds(self.policy.backoff_max),
            ready: self.run().and_then(|r| r.ready.info()),
            want: self.want,
            start_pending: match self.phase {
                Phase::Down { pending } => pending,
                Phase::Waiting(_) => true,
                Phase::Finish(f) | Phase::LastFinish(f) => f.pending,
                Phase::Drain(d) | Phase::LastDrain(d) => d.pending,
                Phase::Up(_) | Phase::LastUp(_) => false,
            },
            letters: self.letters,
            check: self.run().and_then(|r| r.health).map(|h| h.info()),
        }
    }

    /// When the next timer is due: a start waiting for its spacing, the end
    /// of `timeout-finish`, or the end of `timeout-kill` (or of a drain);
    /// the next check (once the last one is reaped), or a check's timeout.
    pub fn deadline(&self) -> Option<Instant> {
        let phase = match self.phase {
            Phase::Down { pending: true } => self.restarts.not_before(),
            Phase::Down { pending: false } => None,
            Phase::Waiting(w) => w.until,
            Phase::Up(run) | Phase::LastUp(run) => run.kill_at,
            Phase::Finish(f) | Phase::LastFinish(f) => f.kill_at,
            Phase::Drain(d) | Phase::LastDrain(d) => d.kill_at,
        };
        let check = match self.check {
            Some(c) => c.kill_at,
            None => self.run().and_then(|r| r.health).and_then(|h| h.next),
        };
        [phase, check].into_iter().flatten().min()
    }

    /// The binary started `./run` as `pid`. With `check` and no
    /// `notification-fd`, the run is ready at its first passing check.
    pub fn started(&mut self, pid: u32, now: Now) {
        let notified = self.policy.notification_fd.is_some();
        let health = self.policy.check.map(|c| Health::new(c, !notified, now.mono));
        self.phase = Phase::Up(Run {
            pid,
            paused: false,
            stop_asked: false,
            kill_at: None,
            ready: Readiness::new(notified || health.is_some()),
            tree: self.policy.tree,
            health,
        });
        self.tree_left |= self.policy.tree;
        self.stamp = now.tai;
        self.restarts.started(now.mono);
    }

    /// The binary could not fork: try again after the spacing.
    pub fn start_failed(&mut self, now: Now) {
        self.restarts.start_failed(now.mono);
        self.phase = Phase::Down { pending: true };
    }

    /// The binary started `./finish` as `pid`.
    pub fn finish_started(&mut self, pid: u32, now: Now) {
        let timeout = self.policy.timeout_finish;
        if let Phase::Finish(f) | Phase::LastFinish(f) = &mut self.phase {
            f.pid = Some(pid);
            f.kill_at = Some(now.mono + timeout);
        }
    }

    /// The binary could not start `./finish`: go on as if it had run.
    pub fn finish_failed(&mut self, now: Now) -> Actions {
        let a = match self.phase {
            Phase::Finish(f) => self.finish_over(f, None, false, now),
            Phase::LastFinish(f) => self.finish_over(f, None, true, now),
            _ => Actions::default(),
        };
        self.tidy(a)
    }

    /// The tree's cgroup goes once no run will use it: down for good,
    /// supervise exiting, or the next run started without `tree`.
    fn tidy(&mut self, mut a: Actions) -> Actions {
        let for_good = self.phase == (Phase::Down { pending: false }) && !a.start;
        if self.tree_left && (a.exit || for_good || (a.start && !self.policy.tree)) {
            self.tree_left = false;
            a.remove_tree = true;
        }
        a
    }

    /// A start is wanted: now if the spacing allows, else once it does
    /// (or once `./finish` is over); with `needs/`, once they are met.
    fn request_start(&mut self, now: Now) -> Actions {
        match &mut self.phase {
            Phase::Down { pending } => match self.restarts.due(now.mono) {
                true => self.start_due(now),
                false => {
                    *pending = true;
                    Actions::default()
                }
            },
            Phase::Waiting(_) => Actions::default(),
            Phase::Finish(Finishing { pending, .. })
            | Phase::LastFinish(Finishing { pending, .. })
            | Phase::Drain(Draining { pending, .. })
            | Phase::LastDrain(Draining { pending, .. }) => {
                *pending = true;
                Actions::default()
            }
            Phase::Up(_) | Phase::LastUp(_) => Actions::default(),
        }
    }

    /// A start is due: now, or, with `needs/`, once the needed services
    /// are met (the binary looks at once, and may say so at once).
    fn start_due(&mut self, now: Now) -> Actions {
        match self.policy.needs {
            Some(needs) => {
                let until = needs.timeout.map(|t| now.mono + t);
                self.phase = Phase::Waiting(Wait { until });
                Actions::ANNOUNCE
            }
            None => {
                self.phase = Phase::Down { pending: false };
                Actions { start: true, ..Actions::default() }
            }
        }
    }

    /// `needs-timeout` passed in a wait: a failed start (back-off,
    /// `restart-limit`), and the wait begins again once the next start is due.
    fn wait_timed_out(&mut self, now: Now) -> Actions {
        let failed = self.restarts.start_timed_out(now.mono, self.policy.backoff_max, self.policy.restart_limit);
        if failed {
            self.want = Want::Down;
        }
        self.phase = Phase::Down { pending: !failed };
        Actions::ANNOUNCE
    }

    /// `./run` and `./finish` are both over: down, and then exit if `last`
    /// (the status and info announced first say so), else started again if
    /// wanted up.
    fn down(&mut self, pending: bool, last: bool, now: Now) -> Actions {
        self.phase = Phase::Down { pending };
        match self.want {
            _ if last => Actions { exit: true, ..Actions::ANNOUNCE },
            Want::Up => Actions::ANNOUNCE.merge(self.request_start(now)),
            Want::Down | Want::Nothing => Actions::ANNOUNCE,
        }
    }

    /// `./finish` exited (`ending` None: it could not start).
    fn finish_over(&mut self, f: Finishing, ending: Option<Ending>, last: bool, now: Now) -> Actions {
        if ending == Some(Ending::Exit(FINISH_STAY_DOWN)) {
            // Unasked (not after `d`): failed for good, as at the restart limit.
            if self.want == Want::Up {
                self.restarts.given_up();
            }
            self.want = Want::Down;
            return self.down(false, last, now);
        }
        self.down(f.pending, last, now)
    }

    /// `./run` exited; `last`: supervise exits once it is all over. The
    /// service is down from now on (status, restart spacing and back-off);
    /// with a tree, what is left of it is stopped and waited for first.
    fn run_exited(&mut self, run: Run, ending: Ending, last: bool, now: Now) -> Actions {
        self.stamp = now.tai;
        self.last_ending = Some(ending);
        // Only a death nobody asked for is a crash.
        if !run.stop_asked
            && self.want == Want::Up
            && self.restarts.crashed(now.mono, self.policy.backoff_max, self.policy.restart_limit)
        {
            self.want = Want::Down;
        }
        if !run.tree {
            return self.after_run(ending, None, false, last, now);
        }
        let kill_at = run.kill_at.unwrap_or(now.mono + self.policy.timeout_kill.unwrap_or(DRAIN_KILL));
        let d = Draining { ending, group: run.pid, kill_at: Some(kill_at), pending: false };
        self.phase = if last { Phase::LastDrain(d) } else { Phase::Drain(d) };
        Actions { tree_signals: [Some(self.policy.down_signal), Some(libc::SIGCONT)], ..Actions::ANNOUNCE }
    }

    /// `./run` is over, its tree too: `./finish` (told the process group
    /// `group` of a run with a tree), or down.
    fn after_run(&mut self, ending: Ending, group: Option<u32>, pending: bool, last: bool, now: Now) -> Actions {
        let finish = Finishing { pid: None, kill_at: None, pending };
        match (self.policy.finish, last) {
            (true, false) => self.phase = Phase::Finish(finish),
            (true, true) => self.phase = Phase::LastFinish(finish),
            (false, _) => return self.down(pending, last, now),
        }
        Actions { finish: Some(ending.finish_args()), finish_group: group, ..Actions::ANNOUNCE }
    }

    /// What `event` does. Every control letter is counted (see
    /// [`Info::letters`]) and announced, so that `svc -w` can tell when the
    /// letters it sent have been acted on.
    pub fn handle(&mut self, event: Event, now: Now) -> Actions {
        let mut a = self.decide(event, now);
        // `needs/` gone while waiting (read again at this event): no more to wait for.
        if self.waiting() && self.policy.needs.is_none() {
            a = a.merge(self.start_due(now));
        }
        let a = a.merge(self.check_turn(now));
        self.tidy(a)
    }

    /// After every event: the run's checks brought in line with its state
    /// and with `check` (added: checked from now on; removed: checked no
    /// more, and ready if it waited for a check), a check whose end no
    /// longer counts killed (the run it checked is over, paused, being
    /// stopped or unchecked), and a check started when one is due.
    fn check_turn(&mut self, now: Now) -> Actions {
        let mut a = Actions::default();
        let policy = self.policy.check;
        let mut checked = None;
        if let Phase::Up(run) | Phase::LastUp(run) = &mut self.phase {
            match (&run.health, policy) {
                // Up already, and so ready: the check gives no readiness.
                (None, Some(p)) => run.health = Some(Health::new(p, false, now.mono)),
                (Some(h), None) => {
                    if h.gives_readiness {
                        run.ready.notified(now.tai);
                    }
                    run.health = None;
                    a.announce = true;
                }
                _ => {}
            }
            if let (Some(h), Some(p)) = (&mut run.health, policy) {
                if run.paused || run.stop_asked || h.unhealthy {
                    h.next = None;
                } else {
                    // Continued after a pause: an interval from now.
                    if h.next.is_none() && self.check.is_none() {
                        h.next = Some(now.mono + p.interval);
                    }
                    checked = Some((h, p));
                }
            }
        }
        if let Some(c) = self.check.as_mut().filter(|c| c.counts && checked.is_none()) {
            c.counts = false;
            c.kill_at = None;
            a.kill_check = c.pid.is_some();
        }
        if let Some((h, p)) = checked {
            if self.check.is_none() && h.next.is_some_and(|t| now.mono >= t) {
                h.next = None;
                self.check = Some(Checking::new(p, now.mono));
                a.check = true;
            }
        }
        a
    }

    /// The binary started `./check` as `pid`, leader of its process group.
    pub fn check_started(&mut self, pid: u32) {
        if let Some(c) = &mut self.check {
            c.pid = Some(pid);
        }
    }

    /// The binary did not start `./check`, for this reason: gone, checked
    /// no more; broken, a failure; a fork that failed, the next turn.
    pub fn check_not_started(&mut self, why: NotStarted, now: Now) -> Actions {
        let a = match why {
            NotStarted::Gone => {
                self.check = None;
                self.policy.check = None;
                Actions::default()
            }
            NotStarted::Broken => self.check_over(Some(false), now),
            NotStarted::Failed => self.check_over(None, now),
        };
        let a = a.merge(self.check_turn(now));
        self.tidy(a)
    }

    /// The check is over: `passed`, or not counted (None). A pass makes a
    /// run that waits for it ready; `check-retries` failures in a row make
    /// it unhealthy: the down signal (and CONT), and SIGKILL at
    /// `timeout-kill` (5 s without), as for `d`, but its death is a crash:
    /// back-off and `restart-limit` apply, and it is started again.
    fn check_over(&mut self, passed: Option<bool>, now: Now) -> Actions {
        let Some(c) = self.check.take().filter(|c| c.counts) else { return Actions::default() };
        let (Phase::Up(run) | Phase::LastUp(run), Some(p)) = (&mut self.phase, self.policy.check) else {
            return Actions::default();
        };
        let Some(h) = &mut run.health else { return Actions::default() };
        let Some(passed) = passed else {
            h.next = Some(now.mono + p.interval);
            return Actions::default();
        };
        if !h.ended(passed, c.started, p, (now.mono, now.tai)) {
            if passed && h.gives_readiness {
                run.ready.notified(now.tai);
            }
            return Actions::ANNOUNCE;
        }
        run.kill_at.get_or_insert(now.mono + self.policy.timeout_kill.unwrap_or(DRAIN_KILL));
        let sigs = [Some(self.policy.down_signal), Some(libc::SIGCONT)];
        match run.tree {
            true => Actions { tree_signals: sigs, ..Actions::ANNOUNCE },
            false => Actions { signals: sigs, ..Actions::ANNOUNCE },
        }
    }

    fn decide(&mut self, event: Event, now: Now) -> Actions {
        use Phase::*;
        let due = |t: Option<Instant>| t.is_some_and(|t| now.mono >= t);
        match (self.phase, event) {
            (_, Event::CheckExited(ending)) => self.check_over(Some(ending == Ending::Exit(0)), now),
            (_, Event::Letter(byte)) => match Letter::from_byte(byte) {
                Some(letter) => {
                    self.letters = self.letters.wrapping_add(1);
                    self.letter(letter, now).merge(Actions::ANNOUNCE)
                }
                None => Actions::default(),
            },
            (_, Event::Terminate) => {
                let a = self.letter(Letter::Down, now);
                a.merge(self.letter(Letter::Exit, now)).merge(Actions::ANNOUNCE)
            }
            (Up(mut run) | LastUp(mut run), Event::Ready) => {
                if !run.ready.notified(now.tai) {
                    return Actions::default();
                }
                self.set_run(run);
                Actions::ANNOUNCE
            }
            (Up(run), Event::Exited(ending)) => self.run_exited(run, ending, false, now),
            (LastUp(run), Event::Exited(ending)) => self.run_exited(run, ending, true, now),
            (Finish(f), Event::FinishExited(ending)) => self.finish_over(f, Some(ending), false, now),
            (LastFinish(f), Event::FinishExited(ending)) => self.finish_over(f, Some(ending), true, now),
            (Drain(d), Event::TreeEmpty) => self.after_run(d.ending, Some(d.group), d.pending, false, now),
            (LastDrain(d), Event::TreeEmpty) => self.after_run(d.ending, Some(d.group), d.pending, true, now),
            (Down { pending: true }, Event::Timer) if self.restarts.due(now.mono) => self.start_due(now),
            (Waiting(w), Event::Timer) if due(w.until) => self.wait_timed_out(now),
            (Waiting(_), Event::NeedsMet) => {
                self.phase = Down { pending: false };
                Actions { start: true, ..Actions::default() }
            }
            (Up(mut run) | LastUp(mut run), Event::Timer) if due(run.kill_at) => {
                run.kill_at = None;
                self.set_run(run);
                match run.tree {
                    true => Actions { kill_tree: true, ..Actions::default() },
                    false => Actions { signals: [Some(libc::SIGKILL), None], ..Actions::default() },
                }
            }
            (Drain(mut d) | LastDrain(mut d), Event::Timer) if due(d.kill_at) => {
                d.kill_at = None;
                self.set_drain(d);
                Actions { kill_tree: true, ..Actions::default() }
            }
            (Finish(mut f) | LastFinish(mut f), Event::Timer) if due(f.kill_at) => {
                f.kill_at = None;
                self.set_finish(f);
                Actions { kill_finish: true, ..Actions::default() }
            }
            // A check past its timeout: killed, and its end is a failure.
            (_, Event::Timer) if self.check.is_some_and(|c| due(c.kill_at)) => {
                let c = self.check.as_mut().expect("checked above");
                c.kill_at = None;
                Actions { kill_check: c.pid.is_some(), ..Actions::default() }
            }
            // Nothing to do: a timer early or for nothing, readiness said
            // twice or unwatched (above), an exit of what does not run.
            (
                _,
                Event::Ready
                | Event::Exited(_)
                | Event::FinishExited(_)
                | Event::Timer
                | Event::TreeEmpty
                | Event::NeedsMet,
            ) => Actions::default(),
        }
    }

    /// What a control letter does (announced by the caller).
    fn letter(&mut self, letter: Letter, now: Now) -> Actions {
        use Phase::*;
        let mut a = Actions::default();
        let signal = |sig| Actions { signals: [Some(sig), None], ..Actions::default() };
        let tree = |sig| Actions { tree_signals: [Some(sig), None], ..Actions::default() };
        // P, C, K: to the whole tree of a run that has one, else as p, c, k.
        let whole =
            |run: &Run| run.tree && matches!(letter, Letter::TreePause | Letter::TreeContinue | Letter::TreeKill);
        match (&mut self.phase, letter) {
            (Up(run) | LastUp(run), Letter::Down) => {
                self.want = Want::Down;
                run.paused = false;
                run.stop_asked = true;
                let sigs = [Some(self.policy.down_signal), Some(libc::SIGCONT)];
                match run.tree {
                    true => a.tree_signals = sigs,
                    false => a.signals = sigs,
                }
                if let Some(t) = self.policy.timeout_kill {
                    run.kill_at.get_or_insert(now.mono + t);
                }
            }
            (
                Down { pending }
                | Finish(Finishing { pending, .. })
                | LastFinish(Finishing { pending, .. })
                | Drain(Draining { pending, .. })
                | LastDrain(Draining { pending, .. }),
                Letter::Down,
            ) => {
                self.want = Want::Down;
                *pending = false;
            }
            // The wait for needs is cancelled at once.
            (Waiting(_), Letter::Down) => {
                self.want = Want::Down;
                self.phase = Down { pending: false };
            }
            // A pending kill stays: `svc -du` on a service that ignores its
            // down signal kills it, then starts it again (as s6-svc -d -u).
            (phase, Letter::Up | Letter::Once) => {
                let up = matches!(phase, Up(_) | LastUp(_));
                if letter == Letter::Up {
                    self.want = Want::Up;
                    self.restarts.asked_up();
                } else {
                    self.want = Want::Nothing;
                }
                if !up {
                    a = self.request_start(now);
                }
            }
            (Up(run) | LastUp(run), Letter::Pause | Letter::TreePause) => {
                run.paused = true;
                a = if whole(run) { tree(libc::SIGSTOP) } else { signal(libc::SIGSTOP) };
            }
            (Up(run) | LastUp(run), Letter::Continue | Letter::TreeContinue) => {
                run.paused = false;
                a = if whole(run) { tree(libc::SIGCONT) } else { signal(libc::SIGCONT) };
            }
            (Up(run) | LastUp(run), Letter::TreeKill) if run.tree => {
                run.stop_asked = true;
                a.kill_tree = true;
            }
            (Up(run) | LastUp(run), Letter::Terminate | Letter::Kill | Letter::TreeKill) => {
                run.stop_asked = true;
                a = signal(if letter == Letter::Terminate { libc::SIGTERM } else { libc::SIGKILL });
            }
            // What is left of a tree has no main process, but is a tree.
            (Drain(_) | LastDrain(_), Letter::TreePause) => a = tree(libc::SIGSTOP),
            (Drain(_) | LastDrain(_), Letter::TreeContinue) => a = tree(libc::SIGCONT),
            (Drain(_) | LastDrain(_), Letter::TreeKill) => a.kill_tree = true,
            (Up(_) | LastUp(_), Letter::Hangup) => a = signal(libc::SIGHUP),
            (Up(_) | LastUp(_), Letter::Alarm) => a = signal(libc::SIGALRM),
            (Up(_) | LastUp(_), Letter::Interrupt) => a = signal(libc::SIGINT),
            (Up(_) | LastUp(_), Letter::Quit) => a = signal(libc::SIGQUIT),
            (Up(_) | LastUp(_), Letter::User1) => a = signal(libc::SIGUSR1),
            (Up(_) | LastUp(_), Letter::User2) => a = signal(libc::SIGUSR2),
            (Up(run), Letter::Exit) => self.phase = LastUp(*run),
            (Finish(f), Letter::Exit) => self.phase = LastFinish(*f),
            (Drain(d), Letter::Exit) => self.phase = LastDrain(*d),
            (Down { .. } | Waiting(_), Letter::Exit) => a.exit = true,
            (LastUp(_) | LastFinish(_) | LastDrain(_), Letter::Exit) => {}
            // Signals need a process.
            (Down { .. } | Waiting(_) | Finish(_) | LastFinish(_) | Drain(_) | LastDrain(_), _) => {}
        }
        a
    }

    fn set_run(&mut self, new: Run) {
        if let Phase::Up(run) | Phase::LastUp(run) = &mut self.phase {
            *run = new;
        }
    }

    fn set_finish(&mut self, new: Finishing) {
        if let Phase::Finish(f) | Phase::LastFinish(f) = &mut self.phase {
            *f = new;
        }
    }

    fn set_drain(&mut self, new: Draining) {
        if let Phase::Drain(d) | Phase::LastDrain(d) = &mut self.phase {
            *d = new;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tai64::Tai64;
    use std::time::Duration;

    struct Clock(Instant, u64);
    impl Clock {
        fn new() -> Clock {
            Clock(Instant::now(), 1 << 62)
        }
        fn now(&self) -> Now {
            Now { mono: self.0, tai: Tai64N(Tai64(self.1), 0) }
        }
        fn advance(&mut self, ms: u64) -> Now {
            self.0 += Duration::from_millis(ms);
            self.1 += ms / 1000;
            self.now()
        }
    }

    fn running(c: &Clock, pid: u32) -> Machine {
        let mut m = Machine::new(true, c.now());
        assert!(m.boot(c.now()).start);
        m.started(pid, c.now());
        m
    }

    fn letter(m: &mut Machine, c: &Clock, l: u8) -> Actions {
        m.handle(Event::Letter(l), c.now())
    }

    #[test]
    fn letters_are_counted_and_announced_garbage_is_not() {
        let c = Clock::new();
        let mut m = running(&c, 42);
        for l in *b"hatq12c" {
            assert!(letter(&mut m, &c, l).announce, "{}", l as char);
        }
        assert_eq!(m.info().letters, 7);
        for l in *b"zZ\0\n " {
            assert_eq!(letter(&mut m, &c, l), Actions::default());
        }
        assert_eq!(m.info().letters, 7);
        // SIGTERM to supervise is no letter.
        m.handle(Event::Terminate, c.now());
        assert_eq!((m.info().letters, m.info().want), (7, Want::Down));
        let o = Machine::new(false, c.now());
        assert_eq!((o.info().want, o.info().start_pending), (Want::Down, false));
    }

    #[test]
    fn settings_are_read_again_before_what_they_may_change() {
        let yes = [Event::Exited(Ending::Exit(0)), Event::Terminate, Event::Letter(b'u'), Event::Letter(b'x')];
        assert!(yes.iter().all(|e| e.reads_settings()));
        let no =
            [Event::Letter(b'z'), Event::Letter(0), Event::Ready, Event::Timer, Event::FinishExited(Ending::Exit(0))];
        assert!(no.iter().all(|e| !e.reads_settings()));
    }

    #[test]
    fn boot_starts_unless_down() {
        let c = Clock::new();
        let a = Machine::new(true, c.now()).boot(c.now());
        assert!(a.start && a.announce);
        let mut m = Machine::new(false, c.now());
        let a = m.boot(c.now());
        assert!(!a.start && a.announce);
        assert_eq!(m.status().want, Want::Down);
        assert_eq!(m.status().pid, 0);
    }

    #[test]
    fn down_sends_term_then_cont_and_does_not_restart() {
        let c = Clock::new();
        let mut m = running(&c, 42);
        let a = letter(&mut m, &c, b'd');
        assert_eq!(a.signals, [Some(libc::SIGTERM), Some(libc::SIGCONT)]);
        assert!(a.announce);
        assert_eq!(m.status().want, Want::Down);
        let a = m.handle(Event::Exited(Ending::Exit(0)), c.now());
        assert!(!a.start && a.announce);
        assert_eq!(m.status().pid, 0);
    }

    #[test]
    fn signal_letters_only_with_a_pid() {
        let c = Clock::new();
        let mut m = running(&c, 42);
        for (l, sig) in [
            (b'h', libc::SIGHUP),
            (b'a', libc::SIGALRM),
            (b'i', libc::SIGINT),
            (b't', libc::SIGTERM),
            (b'k', libc::SIGKILL),
            (b'p', libc::SIGSTOP),
            (b'c', libc::SIGCONT),
        ] {
            assert_eq!(letter(&mut m, &c, l).signals, [Some(sig), None]);
        }
        let mut m = Machine::new(false, c.now());
        for l in *b"haitkpc" {
            assert_eq!(letter(&mut m, &c, l).signals, [None, None]);
        }
    }

    #[test]
    fn pause_shows_only_while_up_and_start_clears_it() {
        let mut c = Clock::new();
        let mut m = running(&c, 42);
        letter(&mut m, &c, b'p');
        assert!(m.status().paused);
        letter(&mut m, &c, b'c');
        assert!(!m.status().paused);
        letter(&mut m, &c, b'p');
        letter(&mut m, &c, b'd');
        assert!(!m.status().paused, "d continues the process");
        m.handle(Event::Exited(Ending::Exit(0)), c.now());
        letter(&mut m, &c, b'p');
        assert!(!m.status().paused, "no pid, no pause");
        let now = c.advance(2000);
        assert!(m.handle(Event::Letter(b'u'), now).start);
        m.started(43, now);
        assert!(!m.status().paused);
    }

    #[test]
    fn restarts_are_a_second_apart_and_d_cancels_the_wait() {
        let mut c = Clock::new();
        let mut m = running(&c, 42);
        let now = c.advance(100);
        let a = m.handle(Event::Exited(Ending::Exit(0)), now);
        assert!(!a.start, "too soon");
        assert_eq!(m.deadline(), Some(c.0 + Duration::from_millis(900)));
        assert_eq!(m.status().want, Want::Up);
        // Control works during the wait.
        let a = letter(&mut m, &c, b'd');
        assert!(a.announce && !a.start);
        assert_eq!(m.deadline(), None);
        let now = c.advance(1000);
        assert!(!m.handle(Event::Timer, now).start);
    }

    #[test]
    fn timer_starts_the_pending_restart() {
        let mut c = Clock::new();
        let mut m = running(&c, 42);
        m.handle(Event::Exited(Ending::Exit(0)), c.advance(10));
        let now = c.advance(990);
        assert!(m.handle(Event::Timer, now).start);
        assert_eq!(m.deadline(), None);
    }

    #[test]
    fn exit_after_a_second_starts_at_once() {
        let mut c = Clock::new();
        let mut m = running(&c, 42);
        assert!(m.handle(Event::Exited(Ending::Exit(0)), c.advance(1500)).start);
    }

    #[test]
    fn once_runs_without_restart() {
        let mut c = Clock::new();
        let mut m = Machine::new(false, c.now());
        m.boot(c.now());
        assert!(letter(&mut m, &c, b'o').start);
        m.started(7, c.now());
        assert_eq!(m.status().want, Want::Nothing);
        assert!(!m.handle(Event::Exited(Ending::Exit(0)), c.advance(5000)).start);
    }

    #[test]
    fn du_restarts() {
        let mut c = Clock::new();
        let mut m = running(&c, 42);
        let a = letter(&mut m, &c, b'd');
        assert!(a.signals[0].is_some());
        letter(&mut m, &c, b'u');
        assert!(m.handle(Event::Exited(Ending::Exit(0)), c.advance(2000)).start);
    }

    #[test]
    fn x_exits_once_down() {
        let c = Clock::new();
        let mut m = running(&c, 42);
        let a = letter(&mut m, &c, b'x');
        assert!(!a.exit && a.signals == [None, None], "x does not stop the service");
        let a = m.handle(Event::Exited(Ending::Exit(0)), c.now());
        assert!(a.exit && !a.start);
        let mut m = Machine::new(false, c.now());
        assert!(letter(&mut m, &c, b'x').exit);
    }

    #[test]
    fn terminate_is_dx() {
        let c = Clock::new();
        let mut m = running(&c, 42);
        let a = m.handle(Event::Terminate, c.now());
        assert_eq!(a.signals, [Some(libc::SIGTERM), Some(libc::SIGCONT)]);
        assert!(!a.exit);
        assert!(m.handle(Event::Exited(Ending::Exit(0)), c.now()).exit);
    }

    #[test]
    fn unknown_bytes_do_nothing() {
        let c = Clock::new();
        let mut m = running(&c, 42);
        for b in (0..=255u8).filter(|b| Letter::from_byte(*b).is_none()) {
            assert_eq!(letter(&mut m, &c, b), Actions::default());
        }
    }

    #[test]
    fn stamp_changes_only_with_the_pid() {
        let mut c = Clock::new();
        let mut m = running(&c, 42);
        let start = m.status().stamp;
        c.advance(3000);
        letter(&mut m, &c, b'p');
        letter(&mut m, &c, b'h');
        assert_eq!(m.status().stamp, start);
        m.handle(Event::Exited(Ending::Exit(0)), c.now());
        assert_ne!(m.status().stamp, start);
    }

    fn with_policy(c: &Clock, policy: Policy) -> Machine {
        let mut m = Machine::new(true, c.now());
        m.policy = policy;
        assert!(m.boot(c.now()).start);
        m.started(42, c.now());
        m
    }

    #[test]
    fn finish_runs_before_any_restart_and_125_keeps_it_down() {
        let mut c = Clock::new();
        let mut m = with_policy(&c, Policy { finish: true, ..Policy::default() });
        let a = m.handle(Event::Exited(Ending::Signal(libc::SIGTERM)), c.advance(2000));
        assert_eq!((a.finish, a.start), (Some((256, libc::SIGTERM)), false));
        m.finish_started(77, c.now());
        assert!(m.info().finishing);
        assert!(!m.handle(Event::Letter(b'u'), c.now()).start, "no start while finish runs");
        let a = m.handle(Event::FinishExited(Ending::Exit(0)), c.advance(10));
        assert!(a.start, "restarted once finish is done");
        m.started(43, c.now());
        m.handle(Event::Exited(Ending::Exit(3)), c.advance(2000));
        m.finish_started(78, c.now());
        let a = m.handle(Event::FinishExited(Ending::Exit(FINISH_STAY_DOWN)), c.now());
        assert!(!a.start && !m.handle(Event::Timer, c.advance(5000)).start);
        assert_eq!(m.status().want, Want::Down);
        assert_eq!(m.info().last_ending, Some(Ending::Exit(3)));
        assert_eq!(m.info().restarts, 1);
        assert!(m.info().failed, "failed for good, as s6 says of 125");
        // After `d`, a finish's 125 is no failure: the operator asked.
        m.handle(Event::Letter(b'u'), c.now());
        assert!(!m.info().failed, "u forgets it");
        m.started(44, c.now());
        letter(&mut m, &c, b'd');
        m.handle(Event::Exited(Ending::Signal(libc::SIGTERM)), c.advance(10));
        m.finish_started(79, c.now());
        m.handle(Event::FinishExited(Ending::Exit(FINISH_STAY_DOWN)), c.now());
        assert!(!m.info().failed);
    }

    #[test]
    fn a_finish_past_its_timeout_is_killed_and_x_waits_for_it() {
        let mut c = Clock::new();
        let policy = Policy { finish: true, timeout_finish: Duration::from_millis(300), ..Policy::default() };
        let mut m = with_policy(&c, policy);
        letter(&mut m, &c, b'x');
        let a = m.handle(Event::Exited(Ending::Exit(0)), c.now());
        assert!(a.finish.is_some() && !a.exit, "x waits for finish");
        m.finish_started(77, c.now());
        assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_millis(300)));
        assert!(m.handle(Event::Timer, c.advance(300)).kill_finish);
        assert!(m.handle(Event::FinishExited(Ending::Signal(libc::SIGKILL)), c.now()).exit);
    }

    #[test]
    fn down_signal_and_timeout_kill() {
        let mut c = Clock::new();
        let policy =
            Policy { down_signal: libc::SIGINT, timeout_kill: Some(Duration::from_millis(500)), ..Policy::default() };
        let mut m = with_policy(&c, policy);
        assert_eq!(letter(&mut m, &c, b'd').signals, [Some(libc::SIGINT), Some(libc::SIGCONT)]);
        assert_eq!(m.handle(Event::Timer, c.advance(499)).signals, [None, None]);
        assert_eq!(m.handle(Event::Timer, c.advance(1)).signals, [Some(libc::SIGKILL), None]);
        // Gone in time: no kill.
        let mut m = with_policy(&c, policy);
        letter(&mut m, &c, b'd');
        m.handle(Event::Exited(Ending::Signal(libc::SIGINT)), c.advance(10));
        assert_eq!(m.deadline(), None);
    }

    #[test]
    fn q_1_2_send_quit_and_user_signals() {
        let c = Clock::new();
        let mut m = running(&c, 42);
        for (l, sig) in [(b'q', libc::SIGQUIT), (b'1', libc::SIGUSR1), (b'2', libc::SIGUSR2)] {
            assert_eq!(letter(&mut m, &c, l).signals, [Some(sig), None]);
        }
        // The info round trip is in crate::info's tests.
    }

    #[test]
    fn backoff_doubles_to_the_max_and_resets_after_a_long_run() {
        let mut c = Clock::new();
        let policy = Policy { backoff_max: Some(Duration::from_secs(4)), ..Policy::default() };
        let mut m = with_policy(&c, policy);
        let mut waits = Vec::new();
        for _ in 0..5 {
            let died = c.advance(100);
            assert!(!m.handle(Event::Exited(Ending::Exit(1)), died).start);
            let due = m.deadline().unwrap();
            waits.push((due - died.mono).as_millis() as u64);
            c.advance((due - died.mono).as_millis() as u64);
            assert!(m.handle(Event::Timer, c.now()).start);
            m.started(50, c.now());
        }
        assert_eq!(waits, vec![1000, 2000, 4000, 4000, 4000]);
        // A run longer than the max starts over at one second.
        c.advance(5000);
        m.handle(Event::Exited(Ending::Exit(1)), c.now());
        assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_secs(1)));
    }

    #[test]
    fn restart_limit_keeps_it_down_until_u() {
        let mut c = Clock::new();
        let policy = Policy { restart_limit: Some((3, Duration::from_secs(10))), ..Policy::default() };
        let mut m = with_policy(&c, policy);
        for i in 0..3 {
            let a = m.handle(Event::Exited(Ending::Exit(1)), c.advance(1500));
            if i < 2 {
                assert!(a.start);
                m.started(60 + i, c.now());
            } else {
                assert!(!a.start);
            }
        }
        assert!(m.info().failed);
        assert_eq!(m.status().want, Want::Down);
        assert!(!m.handle(Event::Timer, c.advance(5000)).start);
        assert!(letter(&mut m, &c, b'u').start);
        assert!(!m.info().failed);
    }

    #[test]
    fn asked_for_stops_are_not_crashes_and_a_pending_kill_survives_u() {
        let mut c = Clock::new();
        let policy = Policy {
            backoff_max: Some(Duration::from_secs(30)),
            restart_limit: Some((2, Duration::from_secs(60))),
            timeout_kill: Some(Duration::from_millis(500)),
            ..Policy::default()
        };
        let mut m = with_policy(&c, policy);
        for pid in 43..47 {
            letter(&mut m, &c, b't');
            let a = m.handle(Event::Exited(Ending::Signal(libc::SIGTERM)), c.advance(1500));
            assert!(a.start, "a restart asked for with t waits no back-off");
            m.started(pid, c.now());
        }
        assert!(!m.info().failed);
        // d then u at once, the service ignoring TERM: killed at the
        // deadline all the same, then started again, as the u asks.
        letter(&mut m, &c, b'd');
        letter(&mut m, &c, b'u');
        assert_eq!(m.handle(Event::Timer, c.advance(400)).signals, [None, None]);
        assert_eq!(m.handle(Event::Timer, c.advance(100)).signals, [Some(libc::SIGKILL), None]);
        m.handle(Event::Exited(Ending::Signal(libc::SIGKILL)), c.advance(10));
        // A second after the last start, as daemontools spaces them.
        assert!(m.handle(Event::Timer, c.advance(500)).start, "wanted up: started again");
        m.started(47, c.now());
        // Only the service's own exit ends a pending kill: a new run gets none.
        assert_eq!(m.handle(Event::Timer, c.advance(1000)).signals, [None, None]);
    }

    #[test]
    fn phases_follow_s6s_states() {
        let mut c = Clock::new();
        let mut m = with_policy(&c, Policy { finish: true, ..Policy::default() });
        assert!(matches!(m.phase(), Phase::Up(Run { pid: 42, .. })));
        m.handle(Event::Exited(Ending::Exit(1)), c.advance(2000));
        assert!(matches!(m.phase(), Phase::Finish(Finishing { pid: None, .. })));
        assert_eq!((m.pid(), m.finish_pid(), m.info().finishing), (None, None, true), "no pid before it starts");
        m.finish_started(77, c.now());
        assert_eq!(m.finish_pid(), Some(77));
        letter(&mut m, &c, b'x');
        assert!(matches!(m.phase(), Phase::LastFinish(Finishing { pid: Some(77), .. })));
        let a = m.handle(Event::FinishExited(Ending::Exit(0)), c.now());
        assert!(a.exit && a.announce && !a.start);
        // What is announced before exiting says it is all over.
        assert_eq!((m.status().pid, m.info().finishing, m.finish_pid()), (0, false, None));
    }

    #[test]
    fn the_last_announce_says_down() {
        let c = Clock::new();
        let mut m = running(&c, 42);
        letter(&mut m, &c, b'p');
        letter(&mut m, &c, b'x');
        assert!(matches!(m.phase(), Phase::LastUp(Run { paused: true, .. })));
        assert!(!letter(&mut m, &c, b'u').start, "no start once exiting");
        let a = m.handle(Event::Exited(Ending::Signal(libc::SIGKILL)), c.now());
        assert!(a.exit && a.announce);
        assert_eq!((m.status().pid, m.status().paused, m.pid()), (0, false, None));
        assert_eq!(m.info().last_ending, Some(Ending::Signal(libc::SIGKILL)));
    }

    #[test]
    fn letters_during_finish_wait_for_it() {
        let mut c = Clock::new();
        let mut m = with_policy(&c, Policy { finish: true, ..Policy::default() });
        letter(&mut m, &c, b'd');
        m.handle(Event::Exited(Ending::Exit(0)), c.advance(2000));
        m.finish_started(77, c.now());
        for l in *b"haitkpcq12" {
            assert_eq!(letter(&mut m, &c, l).signals, [None, None], "no signal to finish");
        }
        assert!(!letter(&mut m, &c, b'o').start);
        assert!(m.info().start_pending && m.info().finishing);
        assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_secs(5)), "only finish's timeout");
        // Run once, after finish.
        let a = m.handle(Event::FinishExited(Ending::Exit(0)), c.advance(10));
        assert!(!a.start && m.info().start_pending);
        assert!(m.handle(Event::Timer, c.now()).start);
        m.started(43, c.now());
        assert_eq!(m.status().want, Want::Nothing);
        // 125 from a finish that runs while exiting still says down.
        letter(&mut m, &c, b'u');
        letter(&mut m, &c, b'x');
        m.handle(Event::Exited(Ending::Exit(0)), c.advance(2000));
        let a = m.handle(Event::FinishExited(Ending::Exit(FINISH_STAY_DOWN)), c.now());
        assert!(a.exit);
        assert_eq!(m.status().want, Want::Down);
    }

    #[test]
    fn a_finish_that_cannot_start_counts_as_run() {
        let mut c = Clock::new();
        let mut m = with_policy(&c, Policy { finish: true, ..Policy::default() });
        let a = m.handle(Event::Exited(Ending::Exit(0)), c.advance(2000));
        assert!(a.finish.is_some());
        let a = m.finish_failed(c.now());
        assert!(a.start && a.announce, "wanted up: restarted");
        m.started(43, c.now());
        letter(&mut m, &c, b'x');
        m.handle(Event::Exited(Ending::Exit(0)), c.advance(2000));
        assert!(m.finish_failed(c.now()).exit);
        // And a start that cannot fork is tried again a second later.
        let mut m = Machine::new(true, c.now());
        assert!(m.boot(c.now()).start);
        m.start_failed(c.now());
        assert_eq!(m.phase(), Phase::Down { pending: true });
        assert_eq!(m.deadline(), Some(c.now().mono + RESTART_SPACING));
        assert!(m.handle(Event::Timer, c.advance(1000)).start);
    }

    #[test]
    fn ready_once_per_run_and_only_when_watched() {
        let mut c = Clock::new();
        let mut m = with_policy(&c, Policy { notification_fd: Some(3), ..Policy::default() });
        assert_eq!(m.info().ready, Some(None));
        let t = c.advance(500).tai;
        assert!(m.handle(Event::Ready, c.now()).announce);
        assert_eq!(m.handle(Event::Ready, c.advance(500)), Actions::default());
        assert_eq!(m.info().ready, Some(Some(t)));
        m.handle(Event::Exited(Ending::Exit(0)), c.advance(1000));
        assert_eq!(m.info().ready, None, "no pid, no readiness");
        let mut m = running(&c, 42);
        assert_eq!(m.handle(Event::Ready, c.now()), Actions::default());
        assert_eq!(m.info().ready, None);
    }

    fn treed(c: &Clock, policy: Policy) -> Machine {
        with_policy(c, Policy { tree: true, ..policy })
    }

    #[test]
    fn d_signals_the_whole_tree_and_the_exit_drains_it_before_the_restart() {
        let mut c = Clock::new();
        let mut m = treed(&c, Policy::default());
        assert_eq!((m.pid(), m.group()), (Some(42), Some(42)));
        let a = letter(&mut m, &c, b'd');
        assert_eq!((a.signals, a.tree_signals), ([None, None], [Some(libc::SIGTERM), Some(libc::SIGCONT)]));
        letter(&mut m, &c, b'u');
        let start = m.status().stamp;
        let a = m.handle(Event::Exited(Ending::Signal(libc::SIGTERM)), c.advance(2000));
        assert_eq!(a.tree_signals, [Some(libc::SIGTERM), Some(libc::SIGCONT)], "what is left gets it too");
        assert!(a.announce && !a.start && a.finish.is_none() && !a.remove_tree);
        assert!(m.draining() && matches!(m.phase(), Phase::Drain(Draining { group: 42, .. })));
        // Down from the exit on, and finishing until the tree is empty.
        assert_eq!((m.status().pid, m.pid(), m.group()), (0, None, Some(42)));
        assert_ne!(m.status().stamp, start);
        assert!(m.info().finishing && !m.info().start_pending, "as while finish runs: wanted up");
        assert_eq!(m.info().last_ending, Some(Ending::Signal(libc::SIGTERM)));
        assert_eq!(m.deadline(), Some(c.now().mono + DRAIN_KILL), "5 s without timeout-kill");
        assert_eq!(m.handle(Event::Timer, c.advance(4999)), Actions::default());
        assert_eq!(m.handle(Event::Timer, c.advance(1)), Actions { kill_tree: true, ..Actions::default() });
        assert_eq!(m.deadline(), None, "killed once");
        // Exits and timers meanwhile are nothing; the empty tree goes on as an exit would.
        assert_eq!(m.handle(Event::Exited(Ending::Exit(0)), c.now()), Actions::default());
        let a = m.handle(Event::TreeEmpty, c.advance(10));
        assert!(a.start && a.announce && !a.remove_tree, "wanted up: started, in the same cgroup");
        m.started(43, c.now());
        assert_eq!(m.handle(Event::TreeEmpty, c.now()), Actions::default(), "nothing drains");
    }

    #[test]
    fn the_restart_spacing_and_back_off_count_from_the_exit_not_the_empty_tree() {
        let mut c = Clock::new();
        let policy = Policy { backoff_max: Some(Duration::from_secs(4)), ..Policy::default() };
        let mut m = treed(&c, policy);
        let died = c.advance(100);
        m.handle(Event::Exited(Ending::Exit(1)), died);
        assert_eq!(m.deadline(), Some(died.mono + DRAIN_KILL), "the drain first");
        let a = m.handle(Event::TreeEmpty, c.advance(300));
        assert!(!a.start && a.announce);
        assert_eq!(m.deadline(), Some(died.mono + RESTART_SPACING), "a second from the exit");
        assert!(m.handle(Event::Timer, c.advance(700)).start);
        m.started(43, c.now());
        // A tree that takes longer to drain than the back-off: started at once.
        m.handle(Event::Exited(Ending::Exit(1)), c.advance(100));
        assert_eq!(m.info().backoff_seconds, 4);
        assert!(m.handle(Event::TreeEmpty, c.advance(3000)).start);
    }

    #[test]
    fn timeout_kill_bounds_the_drain_from_d_and_kills_the_whole_tree() {
        let mut c = Clock::new();
        let mut m = treed(&c, Policy { timeout_kill: Some(Duration::from_millis(500)), ..Policy::default() });
        let d = letter(&mut m, &c, b'd');
        assert_eq!(d.tree_signals[0], Some(libc::SIGTERM));
        let asked = c.now().mono;
        m.handle(Event::Exited(Ending::Exit(0)), c.advance(100));
        assert_eq!(m.deadline(), Some(asked + Duration::from_millis(500)), "counted from d");
        assert!(m.handle(Event::Timer, c.advance(400)).kill_tree);
        // Still running at the deadline: the whole tree is killed, not the pid.
        let mut m = treed(&c, Policy { timeout_kill: Some(Duration::from_millis(500)), ..Policy::default() });
        letter(&mut m, &c, b't');
        assert_eq!(m.deadline(), None, "t sets no deadline, as without a tree");
        letter(&mut m, &c, b'd');
        let a = m.handle(Event::Timer, c.advance(500));
        assert_eq!((a.kill_tree, a.signals), (true, [None, None]));
        // An exit nobody asked for drains under timeout-kill too.
        let mut m = treed(&c, Policy { timeout_kill: Some(Duration::from_millis(700)), ..Policy::default() });
        m.handle(Event::Exited(Ending::Exit(0)), c.advance(10));
        assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_millis(700)));
    }

    #[test]
    fn finish_runs_once_the_tree_is_empty_and_is_told_the_group() {
        let mut c = Clock::new();
        let mut m = treed(&c, Policy { finish: true, down_signal: libc::SIGINT, ..Policy::default() });
        let a = m.handle(Event::Exited(Ending::Exit(3)), c.advance(2000));
        assert_eq!((a.finish, a.tree_signals[0]), (None, Some(libc::SIGINT)));
        assert!(m.info().finishing && m.finish_pid().is_none(), "draining: finish not yet");
        let a = m.handle(Event::TreeEmpty, c.now());
        assert_eq!((a.finish, a.finish_group, a.start), (Some((3, 0)), Some(42), false));
        assert!(matches!(m.phase(), Phase::Finish(_)));
        m.finish_started(77, c.now());
        assert!(m.handle(Event::FinishExited(Ending::Exit(0)), c.now()).start);
        // Without a tree, finish gets its three arguments.
        let mut m = with_policy(&c, Policy { finish: true, ..Policy::default() });
        let a = m.handle(Event::Exited(Ending::Exit(3)), c.advance(2000));
        assert_eq!((a.finish, a.finish_group, m.draining()), (Some((3, 0)), None, false));
    }

    #[test]
    fn tree_is_latched_for_the_run_and_its_cgroup_removed_when_no_run_uses_it() {
        let mut c = Clock::new();
        let mut m = treed(&c, Policy::default());
        m.policy.tree = false;
        let d = letter(&mut m, &c, b'd');
        assert_eq!(d.tree_signals[0], Some(libc::SIGTERM), "removing tree waits for the next run");
        letter(&mut m, &c, b'u');
        m.handle(Event::Exited(Ending::Exit(0)), c.advance(2000));
        assert!(m.draining());
        let a = m.handle(Event::TreeEmpty, c.now());
        assert!(a.start && a.remove_tree, "the next run has no tree: its cgroup goes first");
        m.started(43, c.now());
        assert_eq!(m.group(), None);
        m.policy.tree = true;
        assert_eq!(letter(&mut m, &c, b'P').signals, [Some(libc::SIGSTOP), None], "adding tree waits too");
        let a = m.handle(Event::Exited(Ending::Exit(0)), c.advance(2000));
        assert!(a.start && !m.draining() && !a.remove_tree);
        m.started(44, c.now());
        // Down for good: removed once.
        letter(&mut m, &c, b'd');
        m.handle(Event::Exited(Ending::Exit(0)), c.now());
        assert!(m.handle(Event::TreeEmpty, c.now()).remove_tree);
        assert_eq!(m.phase(), Phase::Down { pending: false });
        assert!(!letter(&mut m, &c, b'd').remove_tree && !letter(&mut m, &c, b'x').remove_tree);
    }

    #[test]
    fn down_for_good_or_exiting_removes_the_tree_once() {
        let mut c = Clock::new();
        let mut m = treed(&c, Policy::default());
        letter(&mut m, &c, b'd');
        assert!(!m.handle(Event::Exited(Ending::Exit(0)), c.advance(10)).remove_tree, "not while it drains");
        let a = m.handle(Event::TreeEmpty, c.now());
        assert!(a.remove_tree && !a.start && a.announce);
        assert!(!letter(&mut m, &c, b'x').remove_tree, "already removed");
        // x while it drains: exit, the cgroup removed.
        let mut m = treed(&c, Policy::default());
        m.handle(Event::Exited(Ending::Exit(0)), c.advance(2000));
        letter(&mut m, &c, b'x');
        assert!(matches!(m.phase(), Phase::LastDrain(_)));
        assert!(!letter(&mut m, &c, b'u').start, "no start once exiting");
        let a = m.handle(Event::TreeEmpty, c.now());
        assert!(a.exit && a.remove_tree && !a.start);
        // x while a restart waits for its spacing: exit, the cgroup removed.
        let mut m = treed(&c, Policy::default());
        m.handle(Event::Exited(Ending::Exit(0)), c.advance(10));
        assert!(!m.handle(Event::TreeEmpty, c.now()).start);
        assert!(letter(&mut m, &c, b'x').remove_tree);
        // SIGTERM to supervise: the whole tree gets d, then it drains, then supervise exits.
        let mut m = treed(&c, Policy::default());
        let a = m.handle(Event::Terminate, c.advance(2000));
        assert_eq!((a.signals, a.tree_signals[0], a.exit), ([None, None], Some(libc::SIGTERM), false));
        assert!(!m.handle(Event::Exited(Ending::Signal(libc::SIGTERM)), c.now()).exit);
        let a = m.handle(Event::TreeEmpty, c.now());
        assert!(a.exit && a.remove_tree);
        assert_eq!(m.status().want, Want::Down);
        // Without a tree, nothing to remove.
        let mut m = running(&c, 42);
        letter(&mut m, &c, b'd');
        assert!(!m.handle(Event::Exited(Ending::Exit(0)), c.now()).remove_tree);
        assert!(!letter(&mut m, &c, b'x').remove_tree);
    }

    #[test]
    fn letters_while_the_tree_drains() {
        let mut c = Clock::new();
        let mut m = treed(&c, Policy::default());
        letter(&mut m, &c, b'd');
        m.handle(Event::Exited(Ending::Exit(0)), c.advance(2000));
        for l in *b"haitkpcq12d" {
            assert_eq!(letter(&mut m, &c, l), Actions::ANNOUNCE, "{}: no main process", l as char);
        }
        assert_eq!(letter(&mut m, &c, b'P').tree_signals, [Some(libc::SIGSTOP), None]);
        assert_eq!(letter(&mut m, &c, b'C').tree_signals, [Some(libc::SIGCONT), None]);
        assert!(letter(&mut m, &c, b'K').kill_tree);
        assert!(!letter(&mut m, &c, b'o').start);
        assert!(m.info().start_pending);
        let a = m.handle(Event::TreeEmpty, c.now());
        assert!(!a.start && m.info().start_pending, "o: as after finish, the start is pending");
        assert!(m.handle(Event::Timer, c.now()).start);
        m.started(43, c.now());
        assert_eq!(m.status().want, Want::Nothing);
        // d meanwhile cancels a pending start.
        m.handle(Event::Exited(Ending::Exit(0)), c.advance(2000));
        letter(&mut m, &c, b'u');
        letter(&mut m, &c, b'd');
        assert!(!m.handle(Event::TreeEmpty, c.now()).start);
    }

    #[test]
    fn pck_signal_the_tree_and_without_one_are_pck() {
        let c = Clock::new();
        let mut m = treed(&c, Policy::default());
        let a = letter(&mut m, &c, b'P');
        assert_eq!((a.signals, a.tree_signals), ([None, None], [Some(libc::SIGSTOP), None]));
        assert!(m.status().paused);
        let a = letter(&mut m, &c, b'C');
        assert_eq!((a.signals, a.tree_signals), ([None, None], [Some(libc::SIGCONT), None]));
        assert!(!m.status().paused);
        // Lower case: the main process only, as daemontools.
        assert_eq!(letter(&mut m, &c, b'p').signals, [Some(libc::SIGSTOP), None]);
        assert_eq!(letter(&mut m, &c, b'k').signals, [Some(libc::SIGKILL), None]);
        let a = letter(&mut m, &c, b'K');
        assert_eq!((a.signals, a.tree_signals, a.kill_tree), ([None, None], [None, None], true));
        // K asked for the death: no crash, no back-off.
        assert!(m.handle(Event::Exited(Ending::Signal(libc::SIGKILL)), c.now()).tree_signals[0].is_some());
        let mut m = running(&c, 42);
        for (l, sig) in [(b'P', libc::SIGSTOP), (b'C', libc::SIGCONT), (b'K', libc::SIGKILL)] {
            let a = letter(&mut m, &c, l);
            assert_eq!((a.signals, a.tree_signals, a.kill_tree), ([Some(sig), None], [None, None], false));
        }
        assert_eq!(m.group(), None);
        let mut m = Machine::new(false, c.now());
        for l in *b"PCK" {
            assert_eq!(letter(&mut m, &c, l), Actions::ANNOUNCE, "no process");
        }
    }

    #[test]
    fn the_empty_tree_reads_the_settings_again() {
        assert!(Event::TreeEmpty.reads_settings());
    }

    fn check_policy(interval: u64, timeout: u64, retries: u32, start: u64) -> settings::CheckPolicy {
        let ms = Duration::from_millis;
        settings::CheckPolicy { interval: ms(interval), timeout: ms(timeout), retries, start: ms(start) }
    }

    /// A service with `check` (unless `policy` says how: every 1000 ms,
    /// 300 ms timeout, 3 retries, first at 500 ms), up as pid 42.
    fn checked(c: &Clock, policy: Policy) -> Machine {
        with_policy(c, Policy { check: policy.check.or(Some(check_policy(1000, 300, 3, 500))), ..policy })
    }

    /// Runs a check due now: asked for, started as `pid`, ended `after` ms later so.
    fn check(m: &mut Machine, c: &mut Clock, pid: u32, after: u64, ending: Ending) -> Actions {
        let a = m.handle(Event::Timer, c.now());
        assert!(a.check, "a check is due at {:?}", m.deadline());
        m.check_started(pid);
        assert_eq!(m.check_pid(), Some(pid));
        m.handle(Event::CheckExited(ending), c.advance(after))
    }

    #[test]
    fn without_check_nothing_is_checked_and_nothing_told() {
        let mut c = Clock::new();
        let mut m = running(&c, 42);
        assert_eq!((m.deadline(), m.info().check, m.info().ready), (None, None, None));
        for l in *b"pcu" {
            let a = letter(&mut m, &c, l);
            assert!(!a.check && !a.kill_check);
        }
        assert_eq!(m.handle(Event::Timer, c.advance(60_000)), Actions::default());
        assert_eq!(m.handle(Event::CheckExited(Ending::Exit(1)), c.now()), Actions::default());
        assert_eq!(m.info().pack(), Info { pid: 42, want: Want::Up, letters: 3, ..Info::default() }.pack());
    }

    #[test]
    fn the_first_check_at_check_start_then_one_every_interval_never_two_at_once() {
        let mut c = Clock::new();
        let mut m = checked(&c, Policy::default());
        let start = c.now().mono;
        assert_eq!(m.deadline(), Some(start + Duration::from_millis(500)));
        assert_eq!(m.info().check, Some(crate::info::Checked { failures: 0, last: None }));
        assert!(!m.handle(Event::Timer, c.advance(499)).check);
        let a = m.handle(Event::Timer, c.advance(1));
        assert!(a.check && !a.announce);
        assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_millis(300)), "its timeout");
        m.check_started(77);
        assert!(!m.handle(Event::Timer, c.advance(100)).check, "one at a time");
        let a = m.handle(Event::CheckExited(Ending::Exit(0)), c.advance(100));
        assert!(a.announce && !a.check);
        assert_eq!(m.check_pid(), None);
        assert_eq!(m.info().check.map(|h| (h.failures, h.healthy())), Some((0, true)));
        assert_eq!(m.deadline(), Some(start + Duration::from_millis(1500)), "an interval after its start");
        c.advance(800);
        assert!(check(&mut m, &mut c, 78, 10, Ending::Exit(0)).announce);
        assert_eq!(m.deadline(), Some(start + Duration::from_millis(2500)));
    }

    #[test]
    fn a_check_past_its_timeout_is_killed_and_counted_as_a_failure() {
        let mut c = Clock::new();
        let mut m = checked(&c, Policy::default());
        c.advance(500);
        assert!(m.handle(Event::Timer, c.now()).check);
        m.check_started(77);
        assert_eq!(m.handle(Event::Timer, c.advance(299)), Actions::default());
        assert_eq!(m.handle(Event::Timer, c.advance(1)), Actions { kill_check: true, ..Actions::default() });
        assert_eq!(m.deadline(), None, "killed once; the next turn once it is reaped");
        let a = m.handle(Event::CheckExited(Ending::Signal(libc::SIGKILL)), c.advance(5));
        assert!(a.announce && a.signals == [None, None]);
        assert_eq!(m.info().check.map(|h| (h.failures, h.unhealthy())), Some((1, true)));
        assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_millis(695)));
    }

    #[test]
    fn retries_failures_in_a_row_stop_the_service_and_it_is_restarted_as_after_a_crash() {
        let mut c = Clock::new();
        let policy = Policy { backoff_max: Some(Duration::from_secs(8)), ..Policy::default() };
        let mut m = checked(&c, policy);
        c.advance(500);
        assert!(check(&mut m, &mut c, 70, 10, Ending::Exit(1)).signals == [None, None]);
        c.advance(990);
        assert!(check(&mut m, &mut c, 71, 10, Ending::Exit(0)).signals == [None, None], "a pass: 0 in a row");
        for (i, pid) in (72..75).enumerate() {
            c.advance(990);
            let a = check(&mut m, &mut c, pid, 10, Ending::Exit(2));
            match i {
                0 | 1 => assert_eq!(a.signals, [None, None], "{i}"),
                _ => assert_eq!(a.signals, [Some(libc::SIGTERM), Some(libc::SIGCONT)]),
            }
        }
        assert_eq!(m.info().check.map(|h| h.failures), Some(3));
        assert_eq!(m.status().want, Want::Up, "still wanted up");
        // Checked no more; SIGKILL 5 s later without timeout-kill.
        assert_eq!(m.deadline(), Some(c.now().mono + DRAIN_KILL));
        assert_eq!(m.handle(Event::Timer, c.advance(5000)).signals, [Some(libc::SIGKILL), None]);
        assert_eq!(m.deadline(), None);
        // Its death is a crash: the back-off counts it, and it is started again.
        let died = c.advance(10);
        let a = m.handle(Event::Exited(Ending::Signal(libc::SIGKILL)), died);
        assert!(!a.start && a.announce);
        assert_eq!(m.info().backoff_seconds, 2, "the next crash waits 2 s");
        assert_eq!(m.info().check, None, "no run, no health");
        assert!(m.handle(Event::Timer, c.advance(1000)).start);
        m.started(43, c.now());
        assert_eq!(m.info().check, Some(crate::info::Checked::default()), "a new run starts afresh");
    }

    #[test]
    fn unhealthy_uses_timeout_kill_the_down_signal_and_the_tree_and_counts_for_restart_limit() {
        let mut c = Clock::new();
        let policy = Policy {
            check: Some(check_policy(1000, 300, 1, 500)),
            down_signal: libc::SIGINT,
            timeout_kill: Some(Duration::from_millis(700)),
            restart_limit: Some((1, Duration::from_secs(60))),
            ..Policy::default()
        };
        let mut m = treed(&c, policy);
        c.advance(500);
        let a = check(&mut m, &mut c, 70, 10, Ending::Exit(1));
        assert_eq!((a.signals, a.tree_signals), ([None, None], [Some(libc::SIGINT), Some(libc::SIGCONT)]));
        assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_millis(700)));
        assert!(m.handle(Event::Timer, c.advance(700)).kill_tree);
        m.handle(Event::Exited(Ending::Signal(libc::SIGKILL)), c.advance(10));
        m.handle(Event::TreeEmpty, c.now());
        assert!(m.info().failed, "restart-limit reached by the unhealthy run's death");
        assert_eq!(m.status().want, Want::Down);
    }

    #[test]
    fn the_first_passing_check_makes_it_ready_unless_it_has_notification_fd() {
        let mut c = Clock::new();
        let mut m = checked(&c, Policy::default());
        assert_eq!(m.info().ready, Some(None), "waits for a check");
        c.advance(500);
        check(&mut m, &mut c, 70, 10, Ending::Exit(1));
        assert_eq!(m.info().ready, Some(None), "a failure is no readiness");
        c.advance(990);
        let t = c.now().tai;
        check(&mut m, &mut c, 71, 0, Ending::Exit(0));
        assert_eq!(m.info().ready, Some(Some(t)));
        c.advance(1000);
        check(&mut m, &mut c, 72, 0, Ending::Exit(1));
        assert_eq!(m.info().ready, Some(Some(t)), "ready once per run");
        // With notification-fd, the service says it.
        let mut m = checked(&c, Policy { notification_fd: Some(3), ..Policy::default() });
        c.advance(500);
        check(&mut m, &mut c, 73, 0, Ending::Exit(0));
        assert_eq!(m.info().ready, Some(None));
        assert!(m.handle(Event::Ready, c.now()).announce);
    }

    #[test]
    fn no_check_while_paused_or_being_stopped_and_one_running_is_killed_uncounted() {
        let mut c = Clock::new();
        let mut m = checked(&c, Policy::default());
        c.advance(500);
        assert!(m.handle(Event::Timer, c.now()).check);
        m.check_started(70);
        let a = letter(&mut m, &c, b'p');
        assert!(a.kill_check && a.signals == [Some(libc::SIGSTOP), None]);
        assert_eq!(m.deadline(), None, "nothing due while paused");
        assert_eq!(m.handle(Event::CheckExited(Ending::Signal(libc::SIGKILL)), c.advance(5)), Actions::default());
        assert_eq!(m.info().check.map(|h| h.failures), Some(0), "not counted");
        assert!(!m.handle(Event::Timer, c.advance(5000)).check);
        // Continued: an interval from now.
        letter(&mut m, &c, b'c');
        assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_millis(1000)));
        c.advance(1000);
        assert!(m.handle(Event::Timer, c.now()).check);
        m.check_started(71);
        // d: the check is killed, and none comes while it stops.
        assert!(letter(&mut m, &c, b'd').kill_check);
        m.handle(Event::CheckExited(Ending::Exit(1)), c.now());
        assert_eq!((m.deadline(), m.info().check.map(|h| h.failures)), (None, Some(0)));
        // t too: its death was asked for.
        letter(&mut m, &c, b'u');
        m.handle(Event::Exited(Ending::Signal(libc::SIGTERM)), c.advance(2000));
        m.started(43, c.now());
        c.advance(500);
        assert!(m.handle(Event::Timer, c.now()).check);
        m.check_started(72);
        assert!(letter(&mut m, &c, b't').kill_check);
    }

    #[test]
    fn the_run_ending_kills_its_check_and_the_next_runs_first_waits_for_its_reaping() {
        let mut c = Clock::new();
        let mut m = checked(&c, Policy { check: Some(check_policy(1000, 300, 3, 1)), ..Policy::default() });
        c.advance(1);
        assert!(m.handle(Event::Timer, c.now()).check);
        m.check_started(70);
        let a = m.handle(Event::Exited(Ending::Exit(0)), c.advance(2000));
        assert!(a.kill_check && a.start);
        m.started(43, c.now());
        assert_eq!(m.deadline(), None, "the old check is not reaped yet");
        assert!(!m.handle(Event::Timer, c.advance(1)).check);
        let a = m.handle(Event::CheckExited(Ending::Signal(libc::SIGKILL)), c.now());
        assert!(a.check, "the new run's first check, due, once the old one is gone");
        assert_eq!(m.info().check.map(|h| h.failures), Some(0));
        // x: checked while up, as any run.
        m.check_started(71);
        letter(&mut m, &c, b'x');
        assert!(m.handle(Event::CheckExited(Ending::Exit(0)), c.now()).announce);
        assert!(m.info().check.is_some_and(|h| h.healthy()));
    }

    #[test]
    fn check_added_while_up_counts_from_the_next_letter_and_removed_makes_it_ready() {
        let mut c = Clock::new();
        let mut m = running(&c, 42);
        m.policy.check = Some(check_policy(1000, 300, 3, 200));
        assert_eq!(m.info().check, None, "not before an event");
        letter(&mut m, &c, b'u');
        assert_eq!(m.info().check, Some(crate::info::Checked::default()));
        assert_eq!(m.info().ready, None, "up before the check came: ready already");
        assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_millis(200)));
        // Removed, while waiting for readiness from it: up is ready.
        let mut m = checked(&c, Policy::default());
        c.advance(500);
        assert!(m.handle(Event::Timer, c.now()).check);
        m.check_started(70);
        m.policy.check = None;
        let t = c.advance(10).tai;
        let a = letter(&mut m, &c, b'u');
        assert!(a.kill_check && a.announce);
        assert_eq!((m.info().check, m.info().ready), (None, Some(Some(t))));
        assert_eq!(m.handle(Event::CheckExited(Ending::Signal(libc::SIGKILL)), c.now()), Actions::default());
        assert_eq!(m.deadline(), None);
    }

    #[test]
    fn a_check_not_started_is_gone_a_failure_or_tried_again() {
        let mut c = Clock::new();
        let mut m = checked(&c, Policy { check: Some(check_policy(1000, 300, 2, 500)), ..Policy::default() });
        c.advance(500);
        // A fork that failed: not counted, an interval later.
        assert!(m.handle(Event::Timer, c.now()).check);
        assert_eq!(m.check_not_started(NotStarted::Failed, c.now()), Actions::default());
        assert_eq!(m.info().check.map(|h| (h.failures, h.last)), Some((0, None)));
        assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_millis(1000)));
        // Broken: a failure each turn, unhealthy at the retries.
        c.advance(1000);
        assert!(m.handle(Event::Timer, c.now()).check);
        assert!(m.check_not_started(NotStarted::Broken, c.now()).announce);
        assert_eq!(m.info().check.map(|h| h.failures), Some(1));
        c.advance(1000);
        assert!(m.handle(Event::Timer, c.now()).check);
        let a = m.check_not_started(NotStarted::Broken, c.now());
        assert_eq!(a.signals, [Some(libc::SIGTERM), Some(libc::SIGCONT)]);
        // Gone: checked no more, ready.
        let mut m = checked(&c, Policy::default());
        c.advance(500);
        assert!(m.handle(Event::Timer, c.now()).check);
        let a = m.check_not_started(NotStarted::Gone, c.now());
        assert!(a.announce && !a.check);
        assert_eq!((m.info().check, m.deadline()), (None, None));
        assert!(m.info().ready.is_some_and(|r| r.is_some()));
    }

    #[test]
    fn unhealthy_after_x_stops_it_and_supervise_exits_without_a_restart() {
        let mut c = Clock::new();
        let mut m = checked(&c, Policy { check: Some(check_policy(1000, 300, 1, 500)), ..Policy::default() });
        letter(&mut m, &c, b'x');
        c.advance(500);
        let a = check(&mut m, &mut c, 70, 10, Ending::Exit(1));
        assert_eq!(a.signals, [Some(libc::SIGTERM), Some(libc::SIGCONT)], "checked while up, x or not");
        let a = m.handle(Event::Exited(Ending::Signal(libc::SIGTERM)), c.advance(10));
        assert!(a.exit && !a.start);
    }

    #[test]
    fn new_check_settings_count_from_the_next_check() {
        let mut c = Clock::new();
        let mut m = checked(&c, Policy::default());
        c.advance(500);
        check(&mut m, &mut c, 70, 10, Ending::Exit(1));
        let next = m.deadline();
        // Read again at a letter: fewer retries, a longer interval.
        m.policy.check = Some(check_policy(3000, 300, 2, 500));
        letter(&mut m, &c, b'u');
        assert_eq!(m.deadline(), next, "the turn already set stays");
        c.advance(990);
        let a = check(&mut m, &mut c, 71, 10, Ending::Exit(1));
        assert_eq!(a.signals[0], Some(libc::SIGTERM), "2 in a row is enough now");
        // And the timeout read when the check starts: a new run.
        let mut m = checked(&c, Policy::default());
        m.policy.check = Some(check_policy(1000, 100, 3, 500));
        c.advance(500);
        assert!(m.handle(Event::Timer, c.now()).check);
        assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_millis(100)));
    }

    #[test]
    fn a_check_ending_is_no_reason_to_read_the_settings() {
        assert!(!Event::CheckExited(Ending::Exit(0)).reads_settings());
    }

    fn needing(timeout: Option<u64>) -> Policy {
        Policy {
            needs: Some(settings::NeedsPolicy { timeout: timeout.map(Duration::from_millis) }),
            ..Policy::default()
        }
    }

    /// A service with `needs/` (and `policy` besides), booted: waiting.
    fn waiting(c: &Clock, policy: Policy) -> Machine {
        let mut m = Machine::new(true, c.now());
        m.policy = policy;
        let a = m.boot(c.now());
        assert!(a.announce && !a.start, "waits for its needs first");
        assert!(m.waiting());
        m
    }

    #[test]
    fn each_start_waits_for_the_needs_and_goes_at_once_when_met() {
        let mut c = Clock::new();
        let mut m = waiting(&c, needing(None));
        assert_eq!((m.status().pid, m.status().want), (0, Want::Up));
        assert!(m.info().start_pending, "a start is due: svc -wu waits for it");
        assert_eq!(m.deadline(), None, "no bound without needs-timeout");
        assert_eq!(m.handle(Event::Timer, c.advance(60_000)), Actions::default());
        let a = m.handle(Event::NeedsMet, c.now());
        assert!(a.start && !m.waiting());
        m.started(42, c.now());
        assert_eq!(m.handle(Event::NeedsMet, c.now()), Actions::default(), "met while up: nothing");
        // The next start waits again, after the spacing.
        let a = m.handle(Event::Exited(Ending::Exit(0)), c.advance(100));
        assert!(!a.start && !m.waiting());
        let a = m.handle(Event::Timer, c.advance(900));
        assert!(!a.start && a.announce && m.waiting());
        assert!(m.handle(Event::NeedsMet, c.advance(5)).start);
        assert!(Event::NeedsMet.reads_settings());
    }

    #[test]
    fn letters_act_at_once_while_waiting() {
        let c = Clock::new();
        let mut m = waiting(&c, needing(None));
        for l in *b"pchaitkq12PCKu" {
            assert_eq!(letter(&mut m, &c, l), Actions::ANNOUNCE, "{}: nothing to signal", l as char);
            assert!(m.waiting());
        }
        // o: still waiting, to run once.
        letter(&mut m, &c, b'o');
        assert!(m.waiting() && m.info().start_pending);
        assert_eq!(m.status().want, Want::Nothing);
        // d: the wait is over, down.
        let a = letter(&mut m, &c, b'd');
        assert!(a.announce && !a.start && !m.waiting());
        assert_eq!(
            (m.phase(), m.status().want, m.info().start_pending),
            (Phase::Down { pending: false }, Want::Down, false)
        );
        assert_eq!(m.handle(Event::NeedsMet, c.now()), Actions::default(), "no start once d came");
        // u waits again.
        letter(&mut m, &c, b'u');
        assert!(m.waiting());
        // x: supervise exits at once, nothing runs; SIGTERM too.
        assert!(letter(&mut m, &c, b'x').exit);
        let mut m = waiting(&c, needing(None));
        assert!(m.handle(Event::Terminate, c.now()).exit);
    }

    #[test]
    fn needs_timeout_is_a_failed_start_with_back_off_and_the_wait_begins_again() {
        let mut c = Clock::new();
        let policy = Policy { backoff_max: Some(Duration::from_secs(4)), ..needing(Some(300)) };
        let mut m = waiting(&c, policy);
        assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_millis(300)));
        assert_eq!(m.handle(Event::Timer, c.advance(299)), Actions::default());
        let mut waits = Vec::new();
        for _ in 0..3 {
            let a = m.handle(Event::Timer, c.advance(1));
            assert!(a.announce && !a.start && !m.waiting(), "timed out: down, a start pending");
            assert!(m.info().start_pending);
            let next = m.deadline().unwrap();
            waits.push((next - c.now().mono).as_millis());
            c.advance((next - c.now().mono).as_millis() as u64);
            assert!(m.handle(Event::Timer, c.now()).announce && m.waiting(), "waits again");
            assert_eq!(m.deadline(), Some(c.now().mono + Duration::from_millis(300)));
            c.advance(299);
        }
        assert_eq!(waits, [1000, 2000, 4000]);
        assert_eq!(m.info().restarts, 0);
        // Met at last: started.
        assert!(m.handle(Event::NeedsMet, c.now()).start);
        // restart-limit counts the timeouts: down and failed.
        let policy = Policy { restart_limit: Some((2, Duration::from_secs(60))), ..needing(Some(100)) };
        let mut m = waiting(&c, policy);
        m.handle(Event::Timer, c.advance(100));
        assert!(m.handle(Event::Timer, c.advance(1000)).announce && m.waiting());
        m.handle(Event::Timer, c.advance(100));
        assert!(m.info().failed && !m.waiting());
        assert_eq!((m.status().want, m.deadline()), (Want::Down, None));
    }

    #[test]
    fn needs_gone_while_waiting_starts_at_the_next_reading_of_the_settings() {
        let c = Clock::new();
        let mut m = waiting(&c, needing(Some(5000)));
        m.policy.needs = None;
        let a = letter(&mut m, &c, b'u');
        assert!(a.start && !m.waiting());
        // needs/ made while it runs: the restart waits.
        let mut c = c;
        let mut m = running(&c, 42);
        m.policy = needing(None);
        let a = m.handle(Event::Exited(Ending::Exit(0)), c.advance(2000));
        assert!(!a.start && a.announce && m.waiting());
    }
}
