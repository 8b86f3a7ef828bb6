//! The control letters svc writes into `supervise/control`; sending them is
//! `svdir::ServiceDir::send`. And svscan's commands, which svscanctl writes
//! into `.svscan/control` of a scanned directory (`scandir::send`), with
//! what svscan makes of them.

use crate::msg::{errstr, Failure, Level};
use crate::scanner::Event;
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

/// A command to svscan: one byte in `.svscan/control` of the directory it
/// scans, the letter of svscanctl's option (s6-svscanctl's letters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `a`: scan now, as SIGALRM.
    Alarm,
    /// `h`: scan now and take down the services whose entry is gone, as SIGHUP.
    Hangup,
    /// `t`: take every service down in order, then exit, as SIGTERM.
    Terminate,
}

impl Command {
    /// Every command, in svscanctl's usage order.
    pub const ALL: [Command; 3] = [Command::Alarm, Command::Hangup, Command::Terminate];

    pub fn byte(self) -> u8 {
        match self {
            Command::Alarm => b'a',
            Command::Hangup => b'h',
            Command::Terminate => b't',
        }
    }

    /// `None` for any byte svscan ignores.
    pub fn from_byte(b: u8) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.byte() == b)
    }

    /// What it asks of svscan's scanner: what its signal asks.
    pub fn event(self) -> Event {
        match self {
            Command::Alarm => Event::Rescan { hup: false },
            Command::Hangup => Event::Rescan { hup: true },
            Command::Terminate => Event::Term(libc::SIGTERM),
        }
    }
}

/// What svscan makes of the bytes read at once from its control FIFO,
/// after `told` from those read before them: one event, as for signals
/// caught together. A shutdown outweighs a scan, and a scan that takes
/// down what is gone outweighs a plain one; unknown bytes are ignored.
pub fn told(told: Option<Event>, bytes: &[u8]) -> Option<Event> {
    bytes.iter().filter_map(|&b| Command::from_byte(b)).map(Command::event).fold(told, |was, now| match (was, now) {
        (Some(Event::Term(sig)), _) | (_, Event::Term(sig)) => Some(Event::Term(sig)),
        (Some(Event::Rescan { hup: a }), Event::Rescan { hup: b }) => Some(Event::Rescan { hup: a || b }),
        (_, now) => Some(now),
    })
}

/// Who reads a control FIFO, as the reasons of a [`SendError`] name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reader {
    /// [`SendError::NotRunning`]'s reason.
    pub not_running: &'static str,
    /// [`SendError::NotFifo`]'s reason.
    pub not_fifo: &'static str,
}

/// supervise, reached by svc.
pub const SUPERVISE: Reader =
    Reader { not_running: "supervise not running", not_fifo: "supervise/control is not a FIFO" };
/// svscan, reached by svscanctl.
pub const SVSCAN: Reader = Reader { not_running: "svscan not running", not_fifo: ".svscan/control is not a FIFO" };

/// Why the letters did not reach a supervise (or the commands an svscan).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The control FIFO has no reader.
    NotRunning,
    /// The control FIFO is something else (a regular file, through a
    /// symlink perhaps): nothing is written into it.
    NotFifo,
    Open(Errno),
    Write(Errno),
}

impl SendError {
    /// The warning for the directory `dir` whose `reader` the letters did
    /// not reach (svc and svscanctl go on with the others).
    pub fn warning(self, dir: &[u8], reader: Reader) -> Failure {
        let what: &[u8] = match self {
            SendError::Write(_) => b"error writing commands to ",
            _ => b"unable to control ",
        };
        Failure::new(0, Level::Warning, &[what, dir, b": ", self.reason(reader).as_bytes()])
    }

    /// Why, as said after the directory: `supervise not running`.
    pub fn reason(self, reader: Reader) -> &'static str {
        match self {
            SendError::NotRunning => reader.not_running,
            SendError::NotFifo => reader.not_fifo,
            SendError::Open(e) | SendError::Write(e) => errstr(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each of `all` is its byte in `bytes` and back; every other byte is none.
    fn round_trips<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        byte: fn(T) -> u8,
        from_byte: fn(u8) -> Option<T>,
        bytes: &[u8],
    ) {
        assert_eq!(all.iter().map(|&x| byte(x)).collect::<Vec<u8>>(), bytes);
        for &x in all {
            assert_eq!(from_byte(byte(x)), Some(x));
        }
        for b in (0..=255u8).filter(|b| !bytes.contains(b)) {
            assert_eq!(from_byte(b), None);
        }
    }

    #[test]
    fn letters_and_svscan_commands_round_trip_and_others_are_ignored() {
        round_trips(&Letter::ALL, Letter::byte, Letter::from_byte, b"udopchaitkxq12PCK");
        round_trips(&Command::ALL, Command::byte, Command::from_byte, b"aht");
    }

    #[test]
    fn send_errors_are_svc_warnings() {
        let svc = crate::msg::Prog::new("svc", "svc dir");
        let text = |e: SendError| String::from_utf8(e.warning(b"x", SUPERVISE).render(&svc)).unwrap();
        assert_eq!(text(SendError::NotRunning), "svc: warning: unable to control x: supervise not running\n");
        assert_eq!(text(SendError::NotFifo), "svc: warning: unable to control x: supervise/control is not a FIFO\n");
        assert_eq!(text(SendError::Open(Errno::EACCES)), "svc: warning: unable to control x: access denied\n");
        assert_eq!(text(SendError::Write(Errno::EPIPE)), "svc: warning: error writing commands to x: broken pipe\n");
        let ctl = crate::msg::Prog::new("svscanctl", "svscanctl dir");
        let text = |e: SendError| String::from_utf8(e.warning(b"/s", SVSCAN).render(&ctl)).unwrap();
        assert_eq!(text(SendError::NotRunning), "svscanctl: warning: unable to control /s: svscan not running\n");
        assert_eq!(
            text(SendError::NotFifo),
            "svscanctl: warning: unable to control /s: .svscan/control is not a FIFO\n"
        );
        assert_eq!(
            text(SendError::Open(Errno::ENOENT)),
            "svscanctl: warning: unable to control /s: file does not exist\n"
        );
    }

    #[test]
    fn svscan_commands_read_at_once_are_one_event_as_its_signals() {
        let scan = Some(Event::Rescan { hup: false });
        let hup = Some(Event::Rescan { hup: true });
        let term = Some(Event::Term(libc::SIGTERM));
        assert_eq!(told(None, b""), None);
        assert_eq!(told(None, b"xyz\0\n"), None, "unknown bytes are ignored");
        assert_eq!(told(None, b"a"), scan);
        assert_eq!(told(None, b"aaaa"), scan, "many scans are one");
        assert_eq!(told(None, b"h"), hup);
        assert_eq!(told(None, b"ah"), hup);
        assert_eq!(told(None, b"ha"), hup, "a plain scan does not undo HUP's removals");
        assert_eq!(told(None, b"t"), term);
        assert_eq!(told(None, b"hta"), term, "a shutdown outweighs any scan");
        assert_eq!(told(None, b"?a!"), scan);
        // Across reads: what came before counts.
        assert_eq!(told(hup, b"a"), hup);
        assert_eq!(told(term, b"ah"), term);
        assert_eq!(told(scan, b"zz"), scan);
        assert_eq!(told(scan, b"h"), hup);
    }
}
