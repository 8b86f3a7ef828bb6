//! What svstat finds in a service directory, looked at in daemontools'
//! order, and daemontools' words for it.

use super::{ServiceDir, StatusError};
use crate::info::WaitingFor;
use crate::status::Status;
use crate::supervise::Info;
use nix::errno::Errno;

/// What svstat finds in a service directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// A supervise runs, and this is its status (with our supervise's info).
    Running { normally_up: bool, status: Status, info: Option<Info> },
    /// None runs.
    NotRunning { normally_up: bool },
}

/// Why svstat could not see a service directory: the step that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookError {
    Down(Errno),
    Ok(Errno),
    Status(StatusError),
}

impl LookError {
    /// daemontools' svstat's words for it, after `DIR: `.
    pub fn text(self) -> String {
        let why = |e| crate::msg::errstr(e);
        match self {
            LookError::Down(e) => format!("unable to stat down: {}", why(e)),
            LookError::Ok(e) => format!("unable to open supervise/ok: {}", why(e)),
            LookError::Status(StatusError::Open(e)) => format!("unable to open supervise/status: {}", why(e)),
            LookError::Status(StatusError::Read(e)) => format!("unable to read supervise/status: {}", why(e)),
            LookError::Status(StatusError::BadFormat) => "unable to read supervise/status: bad format".into(),
        }
    }
}

impl Seen {
    /// svstat's text after `DIR: ` at `now`: daemontools' to the byte, then
    /// `, ready S seconds` for a service with notification-fd (or `check`),
    /// `, unhealthy` for one with `check` whose last check failed, `,
    /// failed` for one stopped by restart-limit.
    pub fn describe(&self, now: crate::tai64::Tai64N) -> String {
        let Seen::Running { normally_up, status, info } = self else { return "supervise not running".into() };
        let mut text = status.describe(*normally_up, now);
        if let Some(Some(Some(since))) = info.map(|i| i.ready).filter(|_| status.pid != 0) {
            let secs = crate::tai64::unix_secs(now).saturating_sub(crate::tai64::unix_secs(since)).max(0);
            text += &format!(", ready {secs} seconds");
        }
        if info.and_then(|i| i.check).is_some_and(|c| c.unhealthy()) && status.pid != 0 {
            text += ", unhealthy";
        }
        if info.is_some_and(|i| i.failed) {
            text += ", failed";
        }
        text
    }
}

impl Seen {
    /// What a start waits for, from the `waiting_for` line read beside
    /// (see [`WaitingFor`]): believed only while the service is down under
    /// a supervise that runs and writes an info.
    pub fn waits<'a>(&self, waiting: Option<&'a WaitingFor>) -> Option<&'a WaitingFor> {
        waiting.filter(|_| self.may_wait())
    }

    /// Whether a `waiting_for` line would be believed ([`Seen::waits`]):
    /// only then is it worth reading.
    pub fn may_wait(&self) -> bool {
        matches!(self, Seen::Running { status, info: Some(_), .. } if status.pid == 0)
    }

    /// svstat's text ([`Seen::describe`]), then `, waiting for NAME ...`
    /// while a start waits for its needed services (only with `needs/`).
    pub fn describe_waiting(&self, waiting: Option<&WaitingFor>, now: crate::tai64::Tai64N) -> String {
        let text = self.describe(now);
        match self.waits(waiting) {
            Some(w) => text + &w.describe(),
            None => text,
        }
    }

    /// Whether the service is up, ready and healthy (`svok -U`): supervise
    /// runs, the service has a pid and is not paused, said it is ready if it
    /// was to (`notification-fd`, or its first passing check), and its last
    /// check passed if it has `check`. Why not, in a few words, if not (a
    /// failed check before a missing readiness: it says more).
    pub fn fit(&self) -> Result<(), &'static str> {
        let Seen::Running { status, info, .. } = self else { return Err("supervise not running") };
        let (ready, check) = info.map_or((None, None), |i| (i.ready, i.check));
        match (status.pid, status.paused, ready, check) {
            (0, ..) => Err("down"),
            (_, true, ..) => Err("paused"),
            (_, _, _, Some(c)) if c.unhealthy() => Err("unhealthy"),
            (_, _, Some(None), _) => Err("not ready"),
            (_, _, _, Some(c)) if !c.healthy() => Err("not checked yet"),
            _ => Ok(()),
        }
    }
}

impl ServiceDir {
    /// What svstat finds here, looked at in daemontools' order: `down`,
    /// then `supervise/ok`, then `supervise/status` (and `supervise/info`).
    pub fn look(&self) -> Result<Seen, LookError> {
        let normally_up = self.normally_up().map_err(LookError::Down)?;
        match self.ok() {
            Ok(()) => {}
            Err(Errno::ENXIO) => return Ok(Seen::NotRunning { normally_up }),
            Err(e) => return Err(LookError::Ok(e)),
        }
        let (status, info) = self.status_and_info().map_err(LookError::Status)?;
        Ok(Seen::Running { normally_up, status, info })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::info::Checked;
    use crate::status::Want;
    use crate::tai64::{Tai64, Tai64N};

    #[test]
    fn unhealthy_is_said_while_the_last_check_failed_and_only_with_check() {
        let t = Tai64N(Tai64((1 << 62) + 10 + 1_700_000_000), 0);
        let status = Status { stamp: t, pid: 42, paused: false, want: Want::Up };
        let seen = |check, pid| {
            let info = Info { pid, check, ready: Some(Some(t)), ..Info::default() };
            Seen::Running { normally_up: true, status: Status { pid, ..status }, info: Some(info) }.describe(t)
        };
        let failing = Some(Checked { failures: 2, last: Some(t) });
        assert_eq!(seen(failing, 42), "up (pid 42) 0 seconds, ready 0 seconds, unhealthy");
        assert_eq!(seen(Some(Checked { failures: 0, last: Some(t) }), 42), "up (pid 42) 0 seconds, ready 0 seconds");
        assert_eq!(seen(Some(Checked::default()), 42), "up (pid 42) 0 seconds, ready 0 seconds", "not checked yet");
        assert_eq!(seen(None, 42), "up (pid 42) 0 seconds, ready 0 seconds");
        assert_eq!(seen(failing, 0), "down 0 seconds, normally up, want up", "no pid, no health");
    }

    #[test]
    fn fit_is_up_ready_and_healthy() {
        let t = Tai64N(Tai64((1 << 62) + 10 + 1_700_000_000), 0);
        let seen = |pid, paused, ready, check| {
            let status = Status { stamp: t, pid, paused, want: Want::Up };
            let info = Info { pid, ready, check, ..Info::default() };
            Seen::Running { normally_up: true, status, info: Some(info) }.fit()
        };
        let passed = Some(Checked { failures: 0, last: Some(t) });
        assert_eq!(seen(42, false, None, None), Ok(()), "a plain service: up is all");
        assert_eq!(seen(42, false, Some(Some(t)), passed), Ok(()));
        assert_eq!(seen(0, false, None, None), Err("down"));
        assert_eq!(seen(42, true, None, None), Err("paused"));
        assert_eq!(seen(42, false, Some(None), None), Err("not ready"));
        assert_eq!(seen(42, false, Some(None), Some(Checked::default())), Err("not ready"));
        let failed = Some(Checked { failures: 1, last: Some(t) });
        assert_eq!(seen(42, false, Some(None), failed), Err("unhealthy"), "the failure says more");
        assert_eq!(seen(42, false, Some(Some(t)), Some(Checked { failures: 1, last: Some(t) })), Err("unhealthy"));
        assert_eq!(seen(42, false, Some(Some(t)), Some(Checked::default())), Err("not checked yet"));
        assert_eq!(Seen::NotRunning { normally_up: true }.fit(), Err("supervise not running"));
        // daemontools' supervise writes no info: up is all it can tell.
        let status = Status { stamp: t, pid: 42, paused: false, want: Want::Up };
        assert_eq!(Seen::Running { normally_up: true, status, info: None }.fit(), Ok(()));
    }

    #[test]
    fn svstat_says_what_a_start_waits_for_only_while_down() {
        let t = Tai64N(Tai64((1 << 62) + 10 + 1_700_000_000), 0);
        let w = WaitingFor(vec![b"db".to_vec(), b"cache".to_vec()]);
        let seen = |pid, info: bool| {
            let status = Status { stamp: t, pid, paused: false, want: Want::Up };
            Seen::Running { normally_up: true, status, info: info.then(|| Info { pid, ..Info::default() }) }
        };
        assert_eq!(
            seen(0, true).describe_waiting(Some(&w), t),
            "down 0 seconds, normally up, want up, waiting for db cache"
        );
        assert_eq!(seen(0, true).describe_waiting(None, t), "down 0 seconds, normally up, want up");
        assert_eq!(seen(7, true).describe_waiting(Some(&w), t), "up (pid 7) 0 seconds", "a stale line");
        assert_eq!(seen(0, false).describe_waiting(Some(&w), t), "down 0 seconds, normally up, want up");
        let gone = Seen::NotRunning { normally_up: true };
        assert_eq!(gone.describe_waiting(Some(&w), t), "supervise not running");
    }
}
