//! The restart bookkeeping: when the next start may be, the back-off of
//! `restart-backoff-max` and the count of `restart-limit`.
//!
//! Starts are at least [`RESTART_SPACING`] apart (daemontools' `sleep(1)`,
//! here a deadline). Under `restart-backoff-max`, a crash waits 1, 2, 4 ...
//! seconds up to the max, back to 1 once a run outlasts the max. Under
//! `restart-limit COUNT SECONDS`, the COUNTth crash within SECONDS marks the
//! service failed. Only crashes count: deaths nobody asked for (see
//! [`Restarts::crashed`]).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Starts are at least this far apart, as in daemontools.
pub const RESTART_SPACING: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct Restarts {
    last_start: Option<Instant>,
    /// No start before this: a second after the last (daemontools), or the back-off after a crash.
    not_before: Option<Instant>,
    starts: u32,
    /// The wait before the next restart under `restart-backoff-max`.
    backoff: Duration,
    /// When the service crashed lately, for `restart-limit`.
    crashes: VecDeque<Instant>,
    failed: bool,
}

impl Default for Restarts {
    fn default() -> Restarts {
        Restarts {
            last_start: None,
            not_before: None,
            starts: 0,
            backoff: RESTART_SPACING,
            crashes: VecDeque::new(),
            failed: false,
        }
    }
}

impl Restarts {
    /// A start happened at `now`: the next waits a second.
    pub fn started(&mut self, now: Instant) {
        self.last_start = Some(now);
        self.not_before = Some(now + RESTART_SPACING);
        self.starts += 1;
    }

    /// A start could not happen at `now` (no fork): try again in a second.
    pub fn start_failed(&mut self, now: Instant) {
        self.not_before = Some(now + RESTART_SPACING);
    }

    /// No start before this (None: at once).
    pub fn not_before(&self) -> Option<Instant> {
        self.not_before
    }

    /// Whether a start may happen at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.not_before.is_none_or(|t| now >= t)
    }

    /// `svc -u`: failed no more, the crashes forgotten, and the next start
    /// spaced as daemontools spaces them, not by the back-off.
    pub fn asked_up(&mut self) {
        self.failed = false;
        self.crashes.clear();
        self.not_before = self.last_start.map(|t| t + RESTART_SPACING);
    }

    /// The service died at `now` when nobody asked: waits the back-off
    /// under `backoff_max`, counts toward `limit`. Returns true when the
    /// limit is reached: the service is failed and must stay down.
    pub fn crashed(&mut self, now: Instant, backoff_max: Option<Duration>, limit: Option<(u32, Duration)>) -> bool {
        let ran = self.last_start.map_or(Duration::ZERO, |t| now.saturating_duration_since(t));
        self.failure(now, ran, backoff_max, limit)
    }

    /// A start waited `needs-timeout` for its needed services at `now`
    /// in vain: a failed start, counted as a crash of a run that lasted
    /// nothing (the back-off grows, `restart-limit` counts it), and the next
    /// attempt a second later at least. Returns true when the limit is
    /// reached.
    pub fn start_timed_out(
        &mut self,
        now: Instant,
        backoff_max: Option<Duration>,
        limit: Option<(u32, Duration)>,
    ) -> bool {
        self.not_before = Some(self.not_before.unwrap_or(now).max(now + RESTART_SPACING));
        self.failure(now, Duration::ZERO, backoff_max, limit)
    }

    fn failure(
        &mut self,
        now: Instant,
        ran: Duration,
        backoff_max: Option<Duration>,
        limit: Option<(u32, Duration)>,
    ) -> bool {
        if let Some(max) = backoff_max {
            // This restart waits `backoff` from now; the next one twice as long.
            if ran > max {
                self.backoff = RESTART_SPACING;
            }
            self.not_before = Some(self.not_before.unwrap_or(now).max(now + self.backoff));
            self.backoff = (self.backoff * 2).min(max.max(RESTART_SPACING));
        }
        if let Some((count, window)) = limit {
            self.crashes.push_back(now);
            while self.crashes.front().is_some_and(|&t| now.saturating_duration_since(t) > window) {
                self.crashes.pop_front();
            }
            if self.crashes.len() >= count as usize {
                self.failed = true;
                return true;
            }
        }
        false
    }

    /// `./finish` exited 125 while the service was wanted up: it stays
    /// down, failed for good, as when the limit is reached (s6's
    /// "permanent failure").
    pub fn given_up(&mut self) {
        self.failed = true;
    }

    /// `restart-limit` was reached, or `./finish` gave up, and no `svc -u`
    /// came since.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Starts so far, the first excluded.
    pub fn restarts(&self) -> u32 {
        self.starts.saturating_sub(1)
    }

    /// The wait before the next crash's restart, in seconds (0 without `backoff_max`).
    pub fn backoff_seconds(&self, backoff_max: Option<Duration>) -> u64 {
        if backoff_max.is_some() {
            self.backoff.as_secs()
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn starts_are_a_second_apart() {
        let t0 = Instant::now();
        let mut r = Restarts::default();
        assert!(r.due(t0) && r.not_before().is_none(), "the first start at once");
        r.started(t0);
        assert!(!r.due(t0 + S / 2));
        assert!(r.due(t0 + S));
        assert_eq!(r.not_before(), Some(t0 + S));
        r.start_failed(t0 + S);
        assert_eq!(r.not_before(), Some(t0 + 2 * S));
        r.started(t0 + 2 * S);
        assert_eq!(r.restarts(), 1);
    }

    #[test]
    fn without_policy_a_crash_changes_nothing() {
        let t0 = Instant::now();
        let mut r = Restarts::default();
        r.started(t0);
        assert!(!r.crashed(t0 + S / 10, None, None));
        assert_eq!((r.not_before(), r.backoff_seconds(None), r.failed()), (Some(t0 + S), 0, false));
    }

    #[test]
    fn backoff_doubles_up_to_the_max_and_resets_after_a_long_run() {
        let max = Some(4 * S);
        let mut t = Instant::now();
        let mut r = Restarts::default();
        r.started(t);
        let mut waits = Vec::new();
        for _ in 0..5 {
            t += S / 10;
            r.crashed(t, max, None);
            waits.push((r.not_before().unwrap() - t).as_millis());
            t = r.not_before().unwrap();
            r.started(t);
        }
        assert_eq!(waits, [1000, 2000, 4000, 4000, 4000]);
        assert_eq!(r.backoff_seconds(max), 4);
        t += 5 * S;
        r.crashed(t, max, None);
        assert_eq!(r.not_before(), Some(t + S));
        assert_eq!(r.backoff_seconds(max), 2);
        // A max under a second still spaces starts by one.
        let mut r = Restarts::default();
        r.started(t);
        r.crashed(t, Some(S / 2), None);
        r.crashed(t, Some(S / 2), None);
        assert_eq!(r.not_before(), Some(t + S));
    }

    #[test]
    fn the_limit_counts_crashes_within_the_window_until_u() {
        let limit = Some((3, 10 * S));
        let t0 = Instant::now();
        let mut r = Restarts::default();
        assert!(!r.crashed(t0, None, limit));
        assert!(!r.crashed(t0 + 5 * S, None, limit));
        // The first is out of the window by now.
        assert!(!r.crashed(t0 + 11 * S, None, limit));
        assert!(r.crashed(t0 + 12 * S, None, limit));
        assert!(r.failed());
        r.started(t0 + 12 * S);
        r.asked_up();
        assert!(!r.failed());
        assert_eq!(r.not_before(), Some(t0 + 13 * S));
        assert!(!r.crashed(t0 + 14 * S, None, limit), "the count starts over");
    }

    #[test]
    fn a_wait_for_needs_timed_out_is_a_failed_start_that_backs_off() {
        let max = Some(8 * S);
        let t0 = Instant::now();
        let mut r = Restarts::default();
        r.started(t0);
        // Long after the last start: a failed start is no long run.
        let mut t = t0 + 100 * S;
        let mut waits = Vec::new();
        for _ in 0..4 {
            assert!(!r.start_timed_out(t, max, None));
            waits.push((r.not_before().unwrap() - t).as_secs());
            t = r.not_before().unwrap() + 5 * S;
        }
        assert_eq!(waits, [1, 2, 4, 8]);
        assert_eq!(r.restarts(), 0, "no start happened");
        // Without a back-off, a second apart; the limit counts them.
        let mut r = Restarts::default();
        assert!(!r.start_timed_out(t0, None, Some((2, 60 * S))));
        assert_eq!(r.not_before(), Some(t0 + S));
        assert!(r.start_timed_out(t0 + 2 * S, None, Some((2, 60 * S))));
        assert!(r.failed());
    }
}
