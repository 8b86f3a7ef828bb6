//! supervise's state machine: what each event does to the service, decided
//! without a single system call. The binary polls, reaps, reads the control
//! FIFO and carries out the [`Actions`] returned here.
//!
//! daemontools 0.76's semantics, with one change on purpose: the one-second
//! spacing between starts is a deadline ([`Machine::deadline`]) instead of a
//! blocking `sleep(1)`, so control letters act at once even while a crashing
//! service waits for its next start.

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

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A byte read from `supervise/control`.
    Letter(u8),
    /// The service's process was reaped.
    Exited,
    /// The deadline passed.
    Timer,
    /// supervise itself got SIGTERM: `svc -dx`.
    Terminate,
}

/// What the binary must do now, in this order: send the signals to the pid,
/// start `./run` if `start` (then report with [`Machine::started`] or
/// [`Machine::start_failed`]), rewrite the status file if `announce` or a
/// start happened, and exit 0 if `exit`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actions {
    pub signals: [Option<libc::c_int>; 2],
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
    start_pending: bool,
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
            start_pending: false,
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

    /// When the next start is due, if one waits.
    pub fn deadline(&self) -> Option<Instant> {
        // A start waits only after an earlier one: last_start is set with it.
        let last = self.last_start?;
        self.start_pending.then(|| last + RESTART_SPACING)
    }

    /// The binary started `./run` as `pid`.
    pub fn started(&mut self, pid: u32, now: Now) {
        self.pid = pid;
        self.paused = false;
        self.stamp = now.tai;
        self.last_start = Some(now.mono);
        self.start_pending = false;
    }

    /// The binary could not fork: try again after the spacing.
    pub fn start_failed(&mut self, now: Now) {
        self.last_start = Some(now.mono);
        self.start_pending = true;
    }

    fn request_start(&mut self, now: Now) -> Actions {
        match self.last_start {
            Some(t) if now.mono < t + RESTART_SPACING => {
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
        Actions { exit: self.exiting && self.pid == 0, ..Actions::default() }
    }

    pub fn handle(&mut self, event: Event, now: Now) -> Actions {
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
                    a.signals = [Some(libc::SIGTERM), Some(libc::SIGCONT)];
                }
                a
            }
            Event::Letter(b'u') => {
                self.want = Want::Up;
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
            Event::Letter(b't') => signal(libc::SIGTERM),
            Event::Letter(b'k') => signal(libc::SIGKILL),
            Event::Letter(b'x') => {
                self.exiting = true;
                announce.merge(self.exit_if_down())
            }
            Event::Letter(_) => Actions::default(),
            Event::Terminate => {
                let a = self.handle(Event::Letter(b'd'), now);
                a.merge(self.handle(Event::Letter(b'x'), now))
            }
            Event::Exited => {
                self.pid = 0;
                self.stamp = now.tai;
                if self.exiting {
                    return announce.merge(self.exit_if_down());
                }
                if self.want == Want::Up {
                    announce.merge(self.request_start(now))
                } else {
                    announce
                }
            }
            Event::Timer => {
                if self.start_pending && !up && !self.exiting {
                    self.start_pending = false;
                    Actions { start: true, ..Actions::default() }
                } else {
                    Actions::default()
                }
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
        let a = m.handle(Event::Exited, c.now());
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
        m.handle(Event::Exited, c.now());
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
        let a = m.handle(Event::Exited, now);
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
        m.handle(Event::Exited, c.advance(10));
        let now = c.advance(990);
        assert!(m.handle(Event::Timer, now).start);
        assert_eq!(m.deadline(), None);
    }

    #[test]
    fn exit_after_a_second_starts_at_once() {
        let mut c = Clock::new();
        let mut m = running(&c, 42);
        assert!(m.handle(Event::Exited, c.advance(1500)).start);
    }

    #[test]
    fn once_runs_without_restart() {
        let mut c = Clock::new();
        let mut m = Machine::new(false, c.now());
        m.boot(c.now());
        assert!(letter(&mut m, &c, b'o').start);
        m.started(7, c.now());
        assert_eq!(m.status().want, Want::Nothing);
        assert!(!m.handle(Event::Exited, c.advance(5000)).start);
    }

    #[test]
    fn du_restarts() {
        let mut c = Clock::new();
        let mut m = running(&c, 42);
        let a = letter(&mut m, &c, b'd');
        assert!(a.signals[0].is_some());
        letter(&mut m, &c, b'u');
        assert!(m.handle(Event::Exited, c.advance(2000)).start);
    }

    #[test]
    fn x_exits_once_down() {
        let c = Clock::new();
        let mut m = running(&c, 42);
        let a = letter(&mut m, &c, b'x');
        assert!(!a.exit && a.signals == [None, None], "x does not stop the service");
        let a = m.handle(Event::Exited, c.now());
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
        assert!(m.handle(Event::Exited, c.now()).exit);
    }

    #[test]
    fn unknown_bytes_do_nothing() {
        let c = Clock::new();
        let mut m = running(&c, 42);
        for b in (0..=255u8).filter(|b| !b"udopchaitkx".contains(b)) {
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
        m.handle(Event::Exited, c.now());
        assert_ne!(m.status().stamp, start);
    }
}
