//! Health checks (`check`, issue 21): how a run's checks go, and the one
//! check process that may be running. Decided here without a system call;
//! the machine ([`super::Machine`]) says when a check starts, is killed and
//! what its end does, and the binary runs `./check` (`super::check`).
//!
//! A run of a service with `check` is checked every `check-interval` from
//! `check-start` (or one interval) after its start, one check at a time,
//! never while it is paused or being stopped. A check passes by exiting 0;
//! any other exit, a signal or the timeout is a failure. `check-retries`
//! failures in a row make the run unhealthy, and the machine stops it as
//! for a death nobody asked for.

use super::settings::CheckPolicy;
use crate::info::Checked;
use crate::tai64::Tai64N;
use std::time::Instant;

/// How the checks of one run go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health {
    /// When the next check is due; None while one runs, while the run is
    /// paused or being stopped, and once it is unhealthy.
    pub next: Option<Instant>,
    /// Failures in a row.
    pub failures: u32,
    /// When the last check of this run ended.
    pub last: Option<Tai64N>,
    /// `check-retries` failures in a row: the run is being stopped, and
    /// checked no more.
    pub unhealthy: bool,
    /// The run has no `notification-fd`: its first passing check makes it ready.
    pub gives_readiness: bool,
}

impl Health {
    /// A run started (or first seen with `check`) at `now`: its first check
    /// comes `check-start` later (the interval without that file).
    pub fn new(policy: CheckPolicy, gives_readiness: bool, now: Instant) -> Health {
        Health { next: Some(now + policy.start), failures: 0, last: None, unhealthy: false, gives_readiness }
    }

    /// As `supervise/info` tells it.
    pub fn info(&self) -> Checked {
        Checked { failures: self.failures, last: self.last }
    }

    /// A check that started at `started` ended at `now` (`passed` or not):
    /// the next one is an interval after this one's start (at once if this
    /// one ended later). Returns true when the run is now unhealthy.
    pub fn ended(&mut self, passed: bool, started: Instant, policy: CheckPolicy, now: (Instant, Tai64N)) -> bool {
        self.last = Some(now.1);
        self.next = Some((started + policy.interval).max(now.0));
        if passed {
            self.failures = 0;
            return false;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= policy.retries {
            self.unhealthy = true;
            self.next = None;
        }
        self.unhealthy
    }
}

/// The check process: at most one at a time, whichever run it checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checking {
    /// None until the binary says it started it.
    pub pid: Option<u32>,
    pub started: Instant,
    /// Killed then (its timeout), and failed; None once killed.
    pub kill_at: Option<Instant>,
    /// Its end counts: false once it was killed because the run it checks
    /// ended, was paused or stopped, or lost its `check`.
    pub counts: bool,
}

impl Checking {
    /// A check started at `now`, killed `policy.timeout` later.
    pub fn new(policy: CheckPolicy, now: Instant) -> Checking {
        Checking { pid: None, started: now, kill_at: Some(now + policy.timeout), counts: true }
    }
}

/// Why the binary did not start a check the machine asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotStarted {
    /// `check` is gone: the service is checked no more.
    Gone,
    /// `check` cannot run (a directory, not executable, a dangling
    /// symlink): a failure, as if it had run and failed.
    Broken,
    /// No pipe or no fork: supervise's trouble, not the service's; not
    /// counted, tried again an interval later.
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tai64::Tai64;
    use std::time::Duration;

    fn policy() -> CheckPolicy {
        let ms = Duration::from_millis;
        CheckPolicy { interval: ms(1000), timeout: ms(300), retries: 2, start: ms(5000) }
    }

    #[test]
    fn the_first_check_at_check_start_then_every_interval_from_each_start() {
        let t0 = Instant::now();
        let tai = Tai64N(Tai64(1 << 62), 0);
        let mut h = Health::new(policy(), true, t0);
        assert_eq!(h.next, Some(t0 + Duration::from_millis(5000)));
        assert_eq!(h.info(), Checked { failures: 0, last: None });
        let started = t0 + Duration::from_secs(5);
        assert!(!h.ended(true, started, policy(), (started + Duration::from_millis(100), tai)));
        assert_eq!(h.next, Some(started + Duration::from_secs(1)));
        assert_eq!(h.info(), Checked { failures: 0, last: Some(tai) });
        // One that ended after its turn: the next at once.
        let late = started + Duration::from_millis(1500);
        assert!(!h.ended(false, started, policy(), (late, tai)));
        assert_eq!((h.next, h.failures), (Some(late), 1));
        // The second failure in a row: unhealthy, checked no more.
        assert!(h.ended(false, late, policy(), (late, tai)));
        assert_eq!((h.next, h.failures, h.unhealthy), (None, 2, true));
    }

    #[test]
    fn a_pass_resets_the_failures() {
        let t0 = Instant::now();
        let tai = Tai64N(Tai64(1 << 62), 0);
        let mut h = Health::new(policy(), false, t0);
        assert!(!h.ended(false, t0, policy(), (t0, tai)));
        assert!(!h.ended(true, t0, policy(), (t0, tai)));
        assert!(!h.ended(false, t0, policy(), (t0, tai)), "one failure in a row again");
        assert_eq!(h.failures, 1);
        let c = Checking::new(policy(), t0);
        assert_eq!((c.pid, c.kill_at, c.counts), (None, Some(t0 + Duration::from_millis(300)), true));
    }
}
