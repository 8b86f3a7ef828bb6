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
//! ([`Policy`]): `./finish` run after `./run` exits (bounded by
//! `timeout-finish`; exiting 125 means "stay down"), `down-signal` instead
//! of SIGTERM for `d`, and `timeout-kill` (SIGKILL if the service outlives
//! its down signal). Without those files, daemontools' behaviour is unchanged.

pub mod settings;

pub use crate::info::{Ending, Info};
pub use settings::Policy;
use crate::status::{Status, Want};
use crate::tai64::Tai64N;
use std::time::{Duration, Instant};

/// Starts are at least this far apart, as in daemontools.
pub const RESTART_SPACING: Duration = Duration::from_secs(1);

/// The time, both as a monotonic instant for timers and as a label for status.
#[derive(Clone, Copy, Debug)]
pub struct Now {
    pub mono: Instant,
    pub tai: Tai64N,
}

/// `./finish` exiting with this means: do not restart, want down.
pub const FINISH_STAY_DOWN: i32 = 125;

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
}

/// What the binary must do now, in this order: send the signals to the pid,
/// kill `./finish` if `kill_finish`, start `./finish` with these arguments
/// if `finish` (then report with [`Machine::finish_started`]), start `./run`
/// if `start` (then report with [`Machine::started`] or
/// [`Machine::start_failed`]), rewrite the status files if `announce` or a
/// start happened, and exit 0 if `exit`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actions {
    pub signals: [Option<libc::c_int>; 2],
    pub kill_finish: bool,
    pub finish: Option<(i32, i32)>,
    pub start: bool,
    pub announce: bool,
    pub exit: bool,
}

impl Actions {
    fn signal(&mut self, sig: libc::c_int) {
        let slot = self.signals.iter_mut().find(|s| s.is_none()).expect("two signals at most");
        *slot = Some(sig);
    }

    fn merge(self, other: Actions) -> Actions {
        let mut out = self;
        for sig in other.signals.into_iter().flatten() {
            out.signal(sig);
        }
        out.kill_finish |= other.kill_finish;
        out.finish = out.finish.or(other.finish);
        out.start |= other.start;
        out.announce |= other.announce;
        out.exit |= other.exit;
        out
    }
}

/// The service as supervise sees it.
#[derive(Debug)]
pub struct Machine {
    pid: u32,
    want: Want,
    paused: bool,
    exiting: bool,
    stamp: Tai64N,
    last_start: Option<Instant>,
    /// No start before this: a second after the last (daemontools), or the back-off after an exit.
    not_before: Option<Instant>,
    start_pending: bool,
    /// What the service directory asks for; the binary refreshes it.
    pub policy: Policy,
    finish_pid: u32,
    finish_deadline: Option<Instant>,
    kill_deadline: Option<Instant>,
    last_ending: Option<Ending>,
    starts: u32,
    /// The wait before the next restart under `restart-backoff-max`.
    backoff: Duration,
    /// When the service died lately, for `restart-limit`.
    deaths: std::collections::VecDeque<Instant>,
    failed: bool,
    /// Whether this run was given a notification descriptor, and when it said it was ready.
    ready_capable: bool,
    ready_at: Option<Tai64N>,
    /// The running process was told to stop (`d`, `t`, `k`): its death is no crash.
    stop_asked: bool,
    /// Control letters acted on since supervise started.
    letters: u64,
}

impl Machine {
    /// A service that is down, wanted up unless `./down` exists.
    pub fn new(normally_up: bool, now: Now) -> Machine {
        Machine {
            pid: 0,
            want: if normally_up { Want::Up } else { Want::Down },
            paused: false,
            exiting: false,
            stamp: now.tai,
            last_start: None,
            not_before: None,
            start_pending: false,
            policy: Policy::default(),
            finish_pid: 0,
            finish_deadline: None,
            kill_deadline: None,
            last_ending: None,
            starts: 0,
            backoff: RESTART_SPACING,
            deaths: std::collections::VecDeque::new(),
            failed: false,
            ready_capable: false,
            ready_at: None,
            stop_asked: false,
            letters: 0,
        }
    }

    /// The first actions: announce, and start the service if it is wanted up.
    pub fn boot(&mut self, now: Now) -> Actions {
        let mut a = Actions { announce: true, ..Actions::default() };
        if self.want == Want::Up {
            a = a.merge(self.request_start(now));
        }
        a
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// What `supervise/status` says now; paused only while there is a pid.
    pub fn status(&self) -> Status {
        Status { stamp: self.stamp, pid: self.pid, paused: self.pid != 0 && self.paused, want: self.want }
    }

    /// The pid of `./finish`, 0 when it is not running.
    pub fn finish_pid(&self) -> u32 {
        self.finish_pid
    }

    /// What `supervise/info` says now.
    pub fn info(&self) -> Info {
        Info {
            pid: self.pid,
            finishing: self.finish_pid != 0,
            last_ending: self.last_ending,
            restarts: self.starts.saturating_sub(1),
            failed: self.failed,
            backoff_seconds: if self.policy.backoff_max.is_some() { self.backoff.as_secs() } else { 0 },
            ready: (self.ready_capable && self.pid != 0).then_some(self.ready_at),
            want: self.want,
            start_pending: self.start_pending,
            letters: self.letters,
        }
    }

    /// When the next timer is due: a start waiting for its spacing, the end
    /// of `timeout-finish`, or the end of `timeout-kill`.
    pub fn deadline(&self) -> Option<Instant> {
        let start = self.not_before.filter(|_| self.start_pending && self.finish_pid == 0);
        [start, self.finish_deadline, self.kill_deadline].into_iter().flatten().min()
    }

    /// The binary started `./finish` as `pid`.
    pub fn finish_started(&mut self, pid: u32, now: Now) {
        self.finish_pid = pid;
        self.finish_deadline = Some(now.mono + self.policy.timeout_finish);
    }

    /// The binary started `./run` as `pid`.
    pub fn started(&mut self, pid: u32, now: Now) {
        self.pid = pid;
        self.paused = false;
        self.stamp = now.tai;
        self.last_start = Some(now.mono);
        self.not_before = Some(now.mono + RESTART_SPACING);
        self.start_pending = false;
        self.starts += 1;
        self.ready_capable = self.policy.notification_fd.is_some();
        self.ready_at = None;
        self.stop_asked = false;
    }

    /// The binary could not start `./finish`: go on as if it had run.
    pub fn finish_failed(&mut self, now: Now) -> Actions {
        self.finish_pid = 0;
        self.finish_deadline = None;
        self.run_over(now)
    }

    /// The binary could not fork: try again after the spacing.
    pub fn start_failed(&mut self, now: Now) {
        self.not_before = Some(now.mono + RESTART_SPACING);
        self.start_pending = true;
    }

    fn request_start(&mut self, now: Now) -> Actions {
        if self.finish_pid != 0 {
            // After `./finish`.
            self.start_pending = true;
            return Actions::default();
        }
        match self.not_before {
            Some(t) if now.mono < t => {
                self.start_pending = true;
                Actions::default()
            }
            _ => {
                self.start_pending = false;
                Actions { start: true, ..Actions::default() }
            }
        }
    }

    fn exit_if_down(&self) -> Actions {
        Actions { exit: self.exiting && self.pid == 0 && self.finish_pid == 0, ..Actions::default() }
    }

    /// The restart policy's bookkeeping at each death of the service that
    /// nobody asked for (wanted up, not told to stop).
    fn count_death(&mut self, now: Now) {
        if self.stop_asked || self.want != Want::Up {
            return;
        }
        let ran = self.last_start.map_or(Duration::ZERO, |t| now.mono.saturating_duration_since(t));
        if let Some(max) = self.policy.backoff_max {
            // This restart waits `backoff` from now; the next one twice as long.
            if ran > max {
                self.backoff = RESTART_SPACING;
            }
            self.not_before = Some(self.not_before.unwrap_or(now.mono).max(now.mono + self.backoff));
            self.backoff = (self.backoff * 2).min(max.max(RESTART_SPACING));
        }
        if let Some((count, window)) = self.policy.restart_limit {
            self.deaths.push_back(now.mono);
            while self.deaths.front().is_some_and(|&t| now.mono.saturating_duration_since(t) > window) {
                self.deaths.pop_front();
            }
            if self.deaths.len() >= count as usize && self.want != Want::Down {
                self.want = Want::Down;
                self.failed = true;
                self.start_pending = false;
            }
        }
    }

    /// `./run` and `./finish` are both over: exit, restart, or stay down.
    fn run_over(&mut self, now: Now) -> Actions {
        let announce = Actions { announce: true, ..Actions::default() };
        if self.exiting {
            return announce.merge(self.exit_if_down());
        }
        if self.want == Want::Up {
            announce.merge(self.request_start(now))
        } else {
            announce
        }
    }

    /// What `event` does. Every control letter is counted (see
    /// [`Info::letters`]) and announced, so that `svc -w` can tell when the
    /// letters it sent have been acted on.
    pub fn handle(&mut self, event: Event, now: Now) -> Actions {
        match event {
            Event::Letter(c) if crate::control::Letter::from_byte(c).is_some() => {
                self.letters = self.letters.wrapping_add(1);
                self.react(event, now).merge(Actions { announce: true, ..Actions::default() })
            }
            _ => self.react(event, now),
        }
    }

    fn react(&mut self, event: Event, now: Now) -> Actions {
        let up = self.pid != 0;
        let announce = Actions { announce: true, ..Actions::default() };
        let signal = |sig| {
            let mut a = Actions::default();
            if up {
                a.signal(sig);
            }
            a
        };
        match event {
            Event::Letter(b'd') => {
                self.want = Want::Down;
                self.start_pending = false;
                let mut a = announce;
                if up {
                    self.paused = false;
                    self.stop_asked = true;
                    a.signals = [Some(self.policy.down_signal), Some(libc::SIGCONT)];
                    if let Some(t) = self.policy.timeout_kill {
                        self.kill_deadline.get_or_insert(now.mono + t);
                    }
                }
                a
            }
            Event::Letter(b'u') => {
                self.want = Want::Up;
                self.failed = false;
                self.deaths.clear();
                // A pending kill stays: `svc -du` on a service that ignores
                // its down signal kills it, then starts it again (as s6-svc -d -u).
                // Asked for: daemontools' spacing, not the back-off.
                self.not_before = self.last_start.map(|t| t + RESTART_SPACING);
                if up {
                    announce
                } else {
                    announce.merge(self.request_start(now))
                }
            }
            Event::Letter(b'o') => {
                self.want = Want::Nothing;
                if up {
                    announce
                } else {
                    announce.merge(self.request_start(now))
                }
            }
            Event::Letter(b'p') => {
                self.paused = true;
                announce.merge(signal(libc::SIGSTOP))
            }
            Event::Letter(b'c') => {
                self.paused = false;
                announce.merge(signal(libc::SIGCONT))
            }
            Event::Letter(b'h') => signal(libc::SIGHUP),
            Event::Letter(b'a') => signal(libc::SIGALRM),
            Event::Letter(b'i') => signal(libc::SIGINT),
            Event::Letter(b't') => {
                self.stop_asked |= up;
                signal(libc::SIGTERM)
            }
            Event::Letter(b'k') => {
                self.stop_asked |= up;
                signal(libc::SIGKILL)
            }
            Event::Letter(b'q') => signal(libc::SIGQUIT),
            Event::Letter(b'1') => signal(libc::SIGUSR1),
            Event::Letter(b'2') => signal(libc::SIGUSR2),
            Event::Letter(b'x') => {
                self.exiting = true;
                announce.merge(self.exit_if_down())
            }
            Event::Letter(_) => Actions::default(),
            Event::Terminate => {
                let a = self.react(Event::Letter(b'd'), now);
                a.merge(self.react(Event::Letter(b'x'), now))
            }
            Event::Ready => {
                if up && self.ready_capable && self.ready_at.is_none() {
                    self.ready_at = Some(now.tai);
                    announce
                } else {
                    Actions::default()
                }
            }
            Event::Exited(ending) => {
                self.pid = 0;
                self.ready_at = None;
                self.stamp = now.tai;
                self.kill_deadline = None;
                self.last_ending = Some(ending);
                self.count_death(now);
                if self.policy.finish {
                    // Marked running at once, so nothing starts before it is done.
                    self.finish_pid = u32::MAX;
                    return Actions { finish: Some(ending.finish_args()), ..announce };
                }
                self.run_over(now)
            }
            Event::FinishExited(ending) => {
                self.finish_pid = 0;
                self.finish_deadline = None;
                if ending == Ending::Exit(FINISH_STAY_DOWN) {
                    self.want = Want::Down;
                    self.start_pending = false;
                }
                self.run_over(now)
            }
            Event::Timer => {
                let mut a = Actions::default();
                if self.finish_deadline.is_some_and(|d| now.mono >= d) {
                    self.finish_deadline = None;
                    a.kill_finish = true;
                }
                if self.kill_deadline.is_some_and(|d| now.mono >= d) {
                    self.kill_deadline = None;
                    a = a.merge(signal(libc::SIGKILL));
                }
                let due = self.not_before.is_none_or(|t| now.mono >= t);
                if self.start_pending && due && !up && self.finish_pid == 0 && !self.exiting {
                    self.start_pending = false;
                    a.start = true;
                }
                a
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tai64::Tai64;

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
        for b in (0..=255u8).filter(|b| !b"udopchaitkxq12".contains(b)) {
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
        assert_eq!(m.info().finishing, true);
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
}
