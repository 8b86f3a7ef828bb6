//! The control letters svc writes into `supervise/control`; sending them is
//! `svdir::ServiceDir::send`.

use crate::msg::{errstr, Failure, Level};
use nix::errno::Errno;

/// One command to supervise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Letter {
    /// `u`: want up; start it if it is down.
    Up,
    /// `d`: want down; TERM then CONT to the process.
    Down,
    /// `o`: start it if it is down, and do not restart it.
    Once,
    /// `p`: STOP.
    Pause,
    /// `c`: CONT.
    Continue,
    /// `h`: HUP.
    Hangup,
    /// `a`: ALRM.
    Alarm,
    /// `i`: INT.
    Interrupt,
    /// `t`: TERM.
    Terminate,
    /// `k`: KILL.
    Kill,
    /// `x`: supervise exits once the service is down.
    Exit,
    /// `q`: QUIT (not in daemontools; as runit and s6).
    Quit,
    /// `1`: USR1 (not in daemontools).
    User1,
    /// `2`: USR2 (not in daemontools).
    User2,
    /// `P`: STOP to the whole tree (s6-svc 2.13's `-P`, to the process
    /// group); `p` without a `tree`.
    TreePause,
    /// `C`: CONT to the whole tree; `c` without a `tree`.
    TreeContinue,
    /// `K`: KILL to the whole tree; `k` without a `tree`.
    TreeKill,
}

impl Letter {
    /// Every letter, in svc's usage order.
    pub const ALL: [Letter; 17] = [
        Letter::Up,
        Letter::Down,
        Letter::Once,
        Letter::Pause,
        Letter::Continue,
        Letter::Hangup,
        Letter::Alarm,
        Letter::Interrupt,
        Letter::Terminate,
        Letter::Kill,
        Letter::Exit,
        Letter::Quit,
        Letter::User1,
        Letter::User2,
        Letter::TreePause,
        Letter::TreeContinue,
        Letter::TreeKill,
    ];

    pub fn byte(self) -> u8 {
        match self {
            Letter::Up => b'u',
            Letter::Down => b'd',
            Letter::Once => b'o',
            Letter::Pause => b'p',
            Letter::Continue => b'c',
            Letter::Hangup => b'h',
            Letter::Alarm => b'a',
            Letter::Interrupt => b'i',
            Letter::Terminate => b't',
            Letter::Kill => b'k',
            Letter::Exit => b'x',
            Letter::Quit => b'q',
            Letter::User1 => b'1',
            Letter::User2 => b'2',
            Letter::TreePause => b'P',
            Letter::TreeContinue => b'C',
            Letter::TreeKill => b'K',
        }
    }

    /// `None` for any byte supervise ignores.
    pub fn from_byte(b: u8) -> Option<Letter> {
        Letter::ALL.into_iter().find(|l| l.byte() == b)
    }
}

/// Why the letters did not reach a supervise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The control FIFO has no reader.
    NotRunning,
    /// `supervise/control` is something else (a regular file, through a
    /// symlink perhaps): nothing is written into it.
    NotFifo,
    Open(Errno),
    Write(Errno),
}

impl SendError {
    /// svc's warning for the directory `dir` the letters did not reach
    /// (svc goes on with the others).
    pub fn warning(self, dir: &[u8]) -> Failure {
        let (what, why): (&[u8], &str) = match self {
            SendError::NotRunning => (b"unable to control ", "supervise not running"),
            SendError::NotFifo => (b"unable to control ", "supervise/control is not a FIFO"),
            SendError::Open(e) => (b"unable to control ", errstr(e)),
            SendError::Write(e) => (b"error writing commands to ", errstr(e)),
        };
        Failure::new(0, Level::Warning, &[what, dir, b": ", why.as_bytes()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_round_trip_and_others_are_ignored() {
        let bytes: Vec<u8> = Letter::ALL.iter().map(|l| l.byte()).collect();
        assert_eq!(bytes, b"udopchaitkxq12PCK");
        for l in Letter::ALL {
            assert_eq!(Letter::from_byte(l.byte()), Some(l));
        }
        for b in (0..=255u8).filter(|b| !bytes.contains(b)) {
            assert_eq!(Letter::from_byte(b), None);
        }
    }

    #[test]
    fn send_errors_are_svc_warnings() {
        let svc = crate::msg::Prog::new("svc", "svc dir");
        let text = |e: SendError| String::from_utf8(e.warning(b"x").render(&svc)).unwrap();
        assert_eq!(text(SendError::NotRunning), "svc: warning: unable to control x: supervise not running\n");
        assert_eq!(text(SendError::NotFifo), "svc: warning: unable to control x: supervise/control is not a FIFO\n");
        assert_eq!(text(SendError::Open(Errno::EACCES)), "svc: warning: unable to control x: access denied\n");
        assert_eq!(text(SendError::Write(Errno::EPIPE)), "svc: warning: error writing commands to x: broken pipe\n");
    }
}
