//! What svstat finds in a service directory, looked at in daemontools'
//! order, and daemontools' words for it.

use super::{ServiceDir, StatusError};
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
    /// `, ready S seconds` for a service with notification-fd, `, failed`
    /// for one stopped by restart-limit.
    pub fn describe(&self, now: crate::tai64::Tai64N) -> String {
        let Seen::Running { normally_up, status, info } = self else { return "supervise not running".into() };
        let mut text = status.describe(*normally_up, now);
        if let Some(Some(Some(since))) = info.map(|i| i.ready).filter(|_| status.pid != 0) {
            let secs = crate::tai64::unix_secs(now).saturating_sub(crate::tai64::unix_secs(since)).max(0);
            text += &format!(", ready {secs} seconds");
        }
        if info.is_some_and(|i| i.failed) {
            text += ", failed";
        }
        text
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
        let status = self.status().map_err(LookError::Status)?;
        Ok(Seen::Running { normally_up, status, info: self.info(&status) })
    }
}
