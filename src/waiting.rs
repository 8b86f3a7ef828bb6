//! Waiting for a service to change, woken by the change itself (as s6's
//! event FIFOs): a waiter puts a FIFO it reads into `supervise/event/`, and
//! supervise writes a byte into every FIFO there each time it rewrites its
//! status. A FIFO nobody reads any more (its waiter died) is removed.
//!
//! A directory where no supervise runs yet (a symlink just made in a
//! scanned directory, svscan about to start one) is waited for too, bounded
//! by the timeout (or [`APPEAR`] without one): looked at every
//! [`APPEAR_POLL`], and the letters it could not take are sent once it runs.

use crate::control::{SendError, SUPERVISE};
use crate::msg::errstr;
use crate::scanner::SCAN_INTERVAL;
use crate::status::{Status, Want};
use crate::supervise::Info;
use crate::svdir::{ServiceDir, StatusError};
use crate::sys;
use nix::errno::Errno;
use std::ffi::CString;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

/// supervise's side: one byte to every waiter, in `event/` of its
/// `supervise/` directory open as `sup`. `event` is opened only as a real
/// directory (never through a symlink), each entry only once it is seen to
/// be a FIFO (never a device, never through a symlink), and only a FIFO
/// nobody reads any more (its waiter died) is removed.
pub fn notify(sup: BorrowedFd) {
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW;
    let Ok(events) = sys::open_at(sup, crate::svdir::inside::EVENT, flags, 0) else { return };
    let Ok(dir) = nix::unistd::dup(&events).and_then(nix::dir::Dir::from_fd) else { return };
    let names: Vec<CString> = dir
        .into_iter()
        .flatten()
        .map(|e| e.file_name().to_owned())
        .filter(|n| !n.to_bytes().starts_with(b"."))
        .collect();
    for name in names {
        match crate::svdir::open_fifo_write_at(events.as_fd(), &name) {
            Ok(fd) => {
                let _ = nix::unistd::write(fd.as_fd(), b"!");
            }
            // Nobody reads it: its waiter is gone. (ENXIO is also what a
            // non-FIFO gives: only a FIFO is removed.)
            Err(Errno::ENXIO) => {
                let fifo = sys::stat_at_nofollow(events.as_fd(), &name)
                    .is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFIFO);
                if fifo {
                    let _ = sys::unlink_at(events.as_fd(), &name);
                }
            }
            Err(_) => {}
        }
    }
}

/// A waiter's FIFO in one service directory; removed when dropped.
pub struct Waiter {
    fd: OwnedFd,
    /// `supervise/event/`, where it is.
    events: OwnedFd,
    name: CString,
}

impl Waiter {
    /// Puts a FIFO into `supervise/event/` of `dir`. It is made under a dot
    /// name (which supervise skips), opened, then renamed: supervise never
    /// finds it without a reader.
    pub fn new(dir: &ServiceDir, tag: usize) -> Result<Waiter, Errno> {
        Waiter::named(dir, "svc", tag)
    }

    /// As [`Waiter::new`], the FIFO named after `who` (`supervise`, waiting
    /// for its needed services) rather than svc.
    pub fn named(dir: &ServiceDir, who: &str, tag: usize) -> Result<Waiter, Errno> {
        match nix::sys::stat::mkdirat(dir.fd(), crate::svdir::EVENT, nix::sys::stat::Mode::S_IRWXU) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        }
        let events = sys::open_at(dir.fd(), crate::svdir::EVENT, libc::O_PATH | libc::O_DIRECTORY, 0)?;
        let name = format!("{who}-{}-{tag}", std::process::id());
        let temp = CString::new(format!(".{name}")).map_err(|_| Errno::EINVAL)?;
        let name = CString::new(name).map_err(|_| Errno::EINVAL)?;
        let _ = sys::unlink_at(events.as_fd(), &temp);
        sys::mkfifo_at(events.as_fd(), &temp, 0o600)?;
        // Read-write: a FIFO opened for reading alone reports a hang-up for
        // good once supervise's first write end closes, and poll would spin.
        let fd = sys::open_at(events.as_fd(), &temp, libc::O_RDWR | libc::O_NONBLOCK, 0)?;
        sys::rename_at(events.as_fd(), &temp, &name)?;
        Ok(Waiter { fd, events, name })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Reads away what supervise wrote.
    pub fn drain(&self) {
        let mut buf = [0u8; 64];
        while let Ok(1..) = nix::unistd::read(self.fd.as_fd(), &mut buf) {}
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let _ = sys::unlink_at(self.events.as_fd(), &self.name);
    }
}

/// Why [`ServiceDir::ok`] found no supervise, as svc says it.
fn unsupervised(e: Errno) -> &'static str {
    match e {
        Errno::ENXIO | Errno::ENOENT => "supervise not running",
        e => errstr(e),
    }
}

/// A directory's status and info; why not, as svc says it, when there is
/// no status to read (none ever ran here, or it cannot be seen).
pub fn state(dir: &ServiceDir) -> Result<(Status, Option<Info>), &'static str> {
    let e = match dir.status_and_info() {
        Ok(both) => return Ok(both),
        Err(e) => e,
    };
    Err(match (dir.ok(), e) {
        (Err(e), _) => unsupervised(e),
        (Ok(()), StatusError::Open(e) | StatusError::Read(e)) => errstr(e),
        (Ok(()), StatusError::BadFormat) => "bad status format",
    })
}

/// Without `-T`, how long `svc -w` waits for a supervise to appear where
/// none runs before it says `supervise not running`: two of svscan's scans
/// (daemontools' svscan finds a new entry only at its scan, ours a
/// directory made in place).
pub const APPEAR: Duration = Duration::from_secs(2 * SCAN_INTERVAL.as_secs());

/// How often `svc -w` looks whether a supervise has appeared. Nothing tells
/// it: a supervise runs once it holds `supervise/ok` open, the last of
/// several steps (`supervise/` made, locked, its FIFOs made, then opened),
/// and inotify would need a watch on each directory in turn as it appears,
/// with a race at each; a look costs two failed opens.
pub const APPEAR_POLL: Duration = Duration::from_millis(20);

/// Whether `svc -w` stops waiting for a supervise to appear, `waited` after
/// it began: with a timeout, only when that runs out (it bounds every wait,
/// and says `timed out`); without, after [`APPEAR`].
pub fn gives_up(waited: Duration, timeout: Option<Duration>) -> bool {
    timeout.is_none() && waited >= APPEAR
}

/// One directory `svc -w` waits on (or could not open): its FIFO in
/// `supervise/event/`, the pid before the letters were sent, how many
/// letters its supervise had taken in by then (our supervise only), how
/// many were sent, and those not sent yet for want of a supervise.
pub struct Waiting<'a> {
    dir: Result<&'a ServiceDir, Errno>,
    tag: usize,
    waiter: Option<Waiter>,
    pid: u32,
    letters: Option<u64>,
    sent: u64,
    unsent: Option<Vec<u8>>,
}

/// Where a directory stands in a round of [`wait`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standing {
    There,
    /// Not yet; its supervise will say when it changes.
    Short,
    /// No supervise runs there (yet), or one just came and has not had
    /// the letters.
    Unsupervised,
    /// It never will: why, as svc says it.
    Never(&'static str),
}

/// Whether letters that did not reach a supervise may reach one later:
/// none runs there yet (its FIFO unread, or not made).
fn not_yet(e: SendError) -> bool {
    matches!(e, SendError::NotRunning | SendError::Open(Errno::ENOENT))
}

impl<'a> Waiting<'a> {
    /// Set up before the letters are sent, so that no change is missed;
    /// `tag` tells this waiter's FIFO from the others of this process.
    pub fn new(dir: Result<&'a ServiceDir, Errno>, tag: usize) -> Waiting<'a> {
        let (waiter, pid, letters) = match dir {
            Ok(d) => (Waiter::new(d, tag).ok(), state(d).map_or(0, |(s, _)| s.pid), d.info_raw().map(|i| i.letters)),
            Err(_) => (None, 0, None),
        };
        Waiting { dir, tag, waiter, pid, letters, sent: 0, unsent: None }
    }

    /// Takes in how sending `letters` to it went ([`ServiceDir::send`]).
    /// Letters that found no supervise there yet are kept, and sent by
    /// [`wait`] once one runs: nothing to say. Any other failure is
    /// returned, for svc to say.
    pub fn sent(&mut self, result: Result<(), SendError>, letters: &[u8]) -> Result<(), SendError> {
        match result {
            Ok(()) => self.sent = letters.len() as u64,
            Err(e) if not_yet(e) => self.unsent = Some(letters.to_vec()),
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// What could not be done before a supervise ran here: its FIFO in
    /// `event/`, made first so that no change is missed, then the letters
    /// it has not had, counted from what its info says it took in so far.
    fn arm(&mut self, dir: &ServiceDir) -> Result<(), &'static str> {
        if self.waiter.is_none() {
            self.waiter = Waiter::new(dir, self.tag).ok();
        }
        let Some(letters) = self.unsent.take() else { return Ok(()) };
        self.letters = dir.info_raw().map(|i| i.letters);
        match dir.send(&letters) {
            Ok(()) => self.sent = letters.len() as u64,
            Err(e) if not_yet(e) => self.unsent = Some(letters),
            Err(e) => return Err(e.reason(SUPERVISE)),
        }
        Ok(())
    }

    /// Where it stands, once what waited for a supervise is done.
    fn stand(&mut self, goal: Goal) -> Standing {
        let dir = match self.dir {
            Ok(dir) => dir,
            Err(e) => return Standing::Never(errstr(e)),
        };
        if let Err(why) = self.arm(dir) {
            return Standing::Never(why);
        }
        let running = dir.ok();
        // Nothing is judged before the letters are taken.
        let seen = if self.unsent.is_some() { Ok(false) } else { self.check(goal) };
        match (seen, running) {
            (Ok(true), _) => Standing::There,
            (_, Err(Errno::ENXIO | Errno::ENOENT)) => Standing::Unsupervised,
            (_, Ok(())) if self.unsent.is_some() => Standing::Unsupervised,
            (Ok(false), Ok(())) => Standing::Short,
            (Ok(false), Err(e)) => Standing::Never(errstr(e)),
            (Err(why), _) => Standing::Never(why),
        }
    }

    /// Whether it got there; why it never will.
    fn check(&self, goal: Goal) -> Result<bool, &'static str> {
        let dir = self.dir.map_err(errstr)?;
        // Only a state seen is success: a status that cannot be read (a
        // missing directory, another user's service) is said at once.
        let (status, info) = state(dir)?;
        if goal.reached(&status, info.as_ref(), self.pid) {
            return Ok(true);
        }
        // Judged from the info alone, once our letters were taken in.
        let info = dir.info_raw().filter(|i| self.letters.is_some_and(|before| taken_in(i, before, self.sent)));
        match info.and_then(|i| goal.out_of_reach(&i)) {
            Some(why) => Err(why.reason()),
            None => Ok(false),
        }
    }
}

/// Why `svc -w` stopped short of its goal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The directory at this index cannot get there: why, as svc says it.
    Unreachable(usize, &'static str),
    /// The time ran out with the directories at these indexes short of it.
    TimedOut(Vec<usize>),
}

/// `svc -w`: waits until every directory has reached `goal`, woken by
/// supervise at each change, and once a second anyway for a supervise that
/// does not tell (daemontools'). Where no supervise runs (yet), it looks
/// every [`APPEAR_POLL`] until one does, within the timeout, or [`APPEAR`]
/// without one (see [`gives_up`]): a supervise killed leaves its last
/// status, and svscan starts a new one.
pub fn wait(goal: Goal, waiting: &mut [Waiting], timeout: Option<Duration>) -> Result<(), Stop> {
    let start = Instant::now();
    let deadline = timeout.map(|t| start + t);
    loop {
        let (mut pending, mut absent) = (Vec::new(), false);
        for (i, w) in waiting.iter_mut().enumerate() {
            match w.stand(goal) {
                Standing::There => {}
                Standing::Short => pending.push(i),
                Standing::Unsupervised if gives_up(start.elapsed(), timeout) => {
                    return Err(Stop::Unreachable(i, unsupervised(Errno::ENXIO)))
                }
                Standing::Unsupervised => {
                    pending.push(i);
                    absent = true;
                }
                Standing::Never(why) => return Err(Stop::Unreachable(i, why)),
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            return Err(Stop::TimedOut(pending));
        }
        let look = if absent { APPEAR_POLL } else { Duration::from_secs(1) };
        let wait = left.map_or(look, |l| l.min(look));
        let fds: Vec<BorrowedFd> = waiting.iter().filter_map(|w| w.waiter.as_ref()).map(Waiter::fd).collect();
        let _ = sys::poll_slice(&fds, Some(wait));
        waiting.iter().filter_map(|w| w.waiter.as_ref()).for_each(Waiter::drain);
    }
}

/// Why a goal of `svc -w` can no longer be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutOfReach {
    /// Wanted down (`svc -d`).
    WantedDown,
    /// `restart-limit` was reached: down until `svc -u`.
    Failed,
    /// Run once (`svc -o`) and down.
    RanOnce,
}

impl OutOfReach {
    /// The reason, as `svc` prints it after the directory.
    pub fn reason(self) -> &'static str {
        match self {
            OutOfReach::WantedDown => "it is wanted down",
            OutOfReach::Failed => "it reached its restart limit and stays down",
            OutOfReach::RanOnce => "it ran once (svc -o) and stays down",
        }
    }
}

/// Whether supervise has taken in the `sent` letters written after its info
/// counted `before` (see [`Info::letters`]). A count that went back (a new
/// supervise started since) never says so.
pub fn taken_in(info: &Info, before: u64, sent: u64) -> bool {
    before.checked_add(sent).is_some_and(|after| info.letters >= after)
}

/// What `svc -w` waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// `u`: up.
    Up,
    /// `U`: up and ready (a service without `notification-fd` is ready when up).
    Ready,
    /// `d`: down.
    Down,
    /// `D`: down, and `./finish` done.
    Finished,
    /// `r`: running a process started since the wait began.
    Restarted,
    /// `R`: that, and ready.
    RestartedReady,
}

impl Goal {
    pub fn from_letter(c: u8) -> Option<Goal> {
        Some(match c {
            b'u' => Goal::Up,
            b'U' => Goal::Ready,
            b'd' => Goal::Down,
            b'D' => Goal::Finished,
            b'r' => Goal::Restarted,
            b'R' => Goal::RestartedReady,
            _ => return None,
        })
    }

    /// Whether a service whose pid was `before` when the wait began is there now.
    pub fn reached(self, status: &Status, info: Option<&Info>, before: u32) -> bool {
        let up = status.pid != 0;
        // Without notification-fd (or without our supervise), up is ready.
        let ready = up && info.and_then(|i| i.ready).is_none_or(|r| r.is_some());
        let finishing = info.is_some_and(|i| i.finishing);
        let new = up && status.pid != before;
        match self {
            Goal::Up => up,
            Goal::Ready => ready,
            Goal::Down => !up,
            Goal::Finished => !up && !finishing,
            Goal::Restarted => new,
            Goal::RestartedReady => new && ready,
        }
    }

    /// Why the service can no longer get there by itself, for a goal that
    /// needs it up: it is wanted down (`svc -d`, or `restart-limit`
    /// reached), or it runs once (`svc -o`) and is down with `./finish`
    /// done and no start due. Judged only from our supervise's info (daemontools' has none),
    /// and only once the letters sent with the wait were taken in (see
    /// [`Info::letters`]).
    ///
    /// The info alone is read (one file, replaced whole), so that what it
    /// says of the letters and of the service hangs together.
    pub fn out_of_reach(self, info: &Info) -> Option<OutOfReach> {
        if matches!(self, Goal::Down | Goal::Finished) {
            return None;
        }
        match info.want {
            Want::Down if info.failed => Some(OutOfReach::Failed),
            Want::Down => Some(OutOfReach::WantedDown),
            Want::Nothing if info.pid == 0 && !info.finishing && !info.start_pending => Some(OutOfReach::RanOnce),
            _ => None,
        }
    }

    /// Whether the service may get there with no supervise running.
    pub fn reachable_unsupervised(self) -> bool {
        matches!(self, Goal::Down | Goal::Finished)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(pid: u32, want: Want) -> Info {
        Info { pid, want, ..Info::default() }
    }

    #[test]
    fn out_of_reach_only_for_goals_that_need_it_up() {
        let finishing = Info { finishing: true, ..info(0, Want::Nothing) };
        let starting = Info { start_pending: true, ..info(0, Want::Nothing) };
        let failed = Info { failed: true, ..info(0, Want::Down) };
        for goal in [Goal::Up, Goal::Ready, Goal::Restarted, Goal::RestartedReady] {
            assert_eq!(goal.out_of_reach(&info(0, Want::Down)), Some(OutOfReach::WantedDown));
            assert_eq!(goal.out_of_reach(&info(7, Want::Down)), Some(OutOfReach::WantedDown));
            assert_eq!(goal.out_of_reach(&failed), Some(OutOfReach::Failed));
            assert_eq!(goal.out_of_reach(&info(0, Want::Nothing)), Some(OutOfReach::RanOnce));
            // Still up, finish still running, or a start due: not yet.
            assert_eq!(goal.out_of_reach(&info(7, Want::Nothing)), None);
            assert_eq!(goal.out_of_reach(&finishing), None);
            assert_eq!(goal.out_of_reach(&starting), None);
            // Wanted up: a restart may come.
            assert_eq!(goal.out_of_reach(&info(0, Want::Up)), None);
        }
        for goal in [Goal::Down, Goal::Finished] {
            for want in [Want::Up, Want::Down, Want::Nothing] {
                assert_eq!(goal.out_of_reach(&info(0, want)), None);
                assert_eq!(goal.out_of_reach(&info(7, want)), None);
            }
        }
    }

    /// A service directory `s` in a temp dir, with `supervise/` made.
    fn service() -> (tempfile::TempDir, ServiceDir) {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("s/supervise")).unwrap();
        let dir = ServiceDir::open(tmp.path().join("s").as_os_str()).unwrap();
        (tmp, dir)
    }

    #[test]
    fn a_waiter_puts_its_fifo_in_event_and_takes_it_away() {
        let (tmp, dir) = service();
        let events = tmp.path().join("s/supervise/event");
        let names = || -> Vec<String> {
            std::fs::read_dir(&events).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect()
        };
        let w = Waiter::new(&dir, 3).unwrap();
        assert_eq!(names(), [format!("svc-{}-3", std::process::id())]);
        // supervise's side reaches it; its reader sees the byte.
        let sup = sys::open_read_dir(&CString::new(events.parent().unwrap().as_os_str().as_encoded_bytes()).unwrap());
        notify(sup.unwrap().as_fd());
        let mut buf = [0u8; 4];
        assert_eq!(nix::unistd::read(w.fd.as_fd(), &mut buf), Ok(1));
        drop(w);
        assert!(names().is_empty());
    }

    #[test]
    fn state_says_why_there_is_no_status() {
        let (tmp, dir) = service();
        let sup = tmp.path().join("s/supervise");
        assert_eq!(state(&dir), Err("supervise not running"));
        let ok = CString::new(sup.join("ok").as_os_str().as_encoded_bytes()).unwrap();
        sys::mkfifo(&ok, 0o600).unwrap();
        assert_eq!(state(&dir), Err("supervise not running"));
        let _r = sys::open_at(nix::fcntl::AT_FDCWD, &ok, libc::O_RDWR, 0).unwrap();
        assert_eq!(state(&dir), Err("file does not exist"));
        std::fs::write(sup.join("status"), "short").unwrap();
        assert_eq!(state(&dir), Err("bad status format"));
        let status = Status { stamp: crate::tai64::now(), pid: 9, paused: false, want: Want::Up };
        std::fs::write(sup.join("status"), status.pack()).unwrap();
        assert_eq!(state(&dir), Ok((status, None)));
        // Reached at once; a directory not opened cannot get there.
        let here = Waiting::new(Ok(&dir), 0);
        assert_eq!(here.pid, 9);
        assert_eq!(wait(Goal::Up, &mut [here], Some(Duration::ZERO)), Ok(()));
        let gone = Waiting::new(Err(Errno::ENOENT), 1);
        assert_eq!(wait(Goal::Down, &mut [gone], None), Err(Stop::Unreachable(0, "file does not exist")));
        let short = Waiting::new(Ok(&dir), 2);
        assert_eq!(wait(Goal::Down, &mut [short], Some(Duration::ZERO)), Err(Stop::TimedOut(vec![0])));
    }

    #[test]
    fn no_supervise_yet_is_waited_for_and_its_letters_sent_once_one_runs() {
        let (tmp, dir) = service();
        let sup = tmp.path().join("s/supervise");
        let path = |name: &str| CString::new(sup.join(name).as_os_str().as_encoded_bytes()).unwrap();
        let mut w = [Waiting::new(Ok(&dir), 0)];
        // No control FIFO yet: kept for later, nothing to say.
        assert_eq!(w[0].sent(dir.send(b"u"), b"u"), Ok(()));
        assert_eq!(w[0].unsent.as_deref(), Some(&b"u"[..]));
        let short = Some(Duration::from_millis(60));
        assert_eq!(wait(Goal::Up, &mut w, short), Err(Stop::TimedOut(vec![0])), "within -T: timed out");
        // Its FIFOs made but not read: still none runs.
        sys::mkfifo(&path("ok"), 0o600).unwrap();
        sys::mkfifo(&path("control"), 0o600).unwrap();
        assert_eq!(w[0].sent(dir.send(b"u"), b"u"), Ok(()), "not running: kept too");
        assert_eq!(wait(Goal::Down, &mut w, short), Err(Stop::TimedOut(vec![0])), "no goal before the letters");
        // A supervise comes, down: the letters go to it, then the goal is judged.
        let read = |name: &str| sys::open_at(nix::fcntl::AT_FDCWD, &path(name), libc::O_RDWR | libc::O_NONBLOCK, 0);
        let (_ok, control) = (read("ok").unwrap(), read("control").unwrap());
        let down = Status { stamp: crate::tai64::now(), pid: 0, paused: false, want: Want::Up };
        std::fs::write(sup.join("status"), down.pack()).unwrap();
        assert_eq!(wait(Goal::Down, &mut w, Some(Duration::from_secs(5))), Ok(()));
        let mut buf = [0u8; 8];
        assert_eq!(nix::unistd::read(control.as_fd(), &mut buf), Ok(1));
        assert_eq!((&buf[..1], w[0].unsent.is_none(), w[0].sent), (&b"u"[..], true, 1));
        // Other failures are said at once, by svc.
        let denied = SendError::Open(Errno::EACCES);
        assert_eq!(w[0].sent(Err(denied), b"d"), Err(denied));
    }

    #[test]
    fn only_the_timeout_bounds_the_wait_for_a_supervise_or_else_appear() {
        assert!(!gives_up(Duration::ZERO, None));
        assert!(!gives_up(APPEAR - Duration::from_millis(1), None));
        assert!(gives_up(APPEAR, None));
        assert!(!gives_up(APPEAR * 100, Some(APPEAR * 1000)), "-T bounds it, as every wait");
        assert!(APPEAR >= 2 * SCAN_INTERVAL, "a directory made in place waits for svscan's next scan");
    }

    #[test]
    fn letters_are_taken_in_once_counted() {
        let at = |n| Info { letters: n, ..Info::default() };
        assert!(taken_in(&at(5), 5, 0));
        assert!(!taken_in(&at(6), 5, 2));
        assert!(taken_in(&at(7), 5, 2));
        assert!(taken_in(&at(9), 5, 2), "others' letters too");
        assert!(!taken_in(&at(1), 5, 2), "a new supervise counts from 0");
        assert!(!taken_in(&at(u64::MAX), u64::MAX, 2));
    }
}
