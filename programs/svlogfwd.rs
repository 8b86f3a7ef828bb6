//! `svlogfwd [ -c cursor ] [ -a name ] [ -h host ] [ -p priority ] [ -m max ] dest dir`:
//! follows the log directory `dir` (a service directory with `log/main`
//! stands for that one) from where it stopped last time, and sends each line
//! to a syslog server as an RFC 5424 message, over UDP (`udp:HOST:PORT`),
//! TCP (`tcp:HOST:PORT`, octet counted) or a unix datagram socket
//! (`unix:PATH`), with the line's own time as TIMESTAMP and the service's
//! name as APP-NAME. It reads the files, never the logger's pipe, so it
//! cannot slow the logger down.
//!
//! After every line sent, the cursor file (`dir/svlogfwd.cursor` unless
//! `-c`) says where it got to, in one write: after a restart it goes on
//! from there, so at most the last line is sent twice. A server that cannot
//! be reached is waited for (a warning, then tries after 0.1 s, doubling up
//! to 5 s; said `unable to send to DEST, retrying: REASON`): the line is sent again until it goes, and nothing is lost.
//!
//! Exit 100 for a bad call, 111 when the directory or the cursor file
//! cannot be opened; otherwise it runs until killed.

use daemontools::follow::{Follower, Watch, LOOK_EVERY};
use daemontools::getopt::{Getopt, Opt};
use daemontools::logread::{Pos, Source};
use daemontools::msg::{Failure, Prog, EXIT_USAGE};
use daemontools::syslog::{self, Cursor, Dest, Sender, CURSOR_LEN};
use daemontools::{cli, sys, Errno};
use std::convert::Infallible;
use std::ffi::{CString, OsString};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

pub const PROG: Prog =
    Prog::new("svlogfwd", "svlogfwd [ -c cursor ] [ -a name ] [ -h host ] [ -p priority ] [ -m max ] dest dir");

/// The longest message by default: what RFC 5426 asks every receiver to take over UDP.
const MAX: usize = 2048;

struct Call {
    cursor: Option<Vec<u8>>,
    app: Option<Vec<u8>>,
    host: Option<Vec<u8>>,
    pri: u8,
    max: usize,
    dest: Dest,
    dir: Vec<u8>,
}

fn bad(what: &[u8], value: &OsString) -> Failure {
    Failure::fatal(EXIT_USAGE, &[b"bad ", what, b": ", value.as_bytes()]).then_usage()
}

fn parse(args: Vec<OsString>) -> Result<Call, Failure> {
    let (mut cursor, mut app, mut host, mut pri, mut max) = (None, None, None, 30, MAX);
    let mut opts = Getopt::new(args, "c:a:h:p:m:");
    for opt in opts.by_ref() {
        match opt {
            Opt::Arg(b'c', v) => cursor = Some(v.as_bytes().to_vec()),
            Opt::Arg(b'a', v) => app = Some(v.as_bytes().to_vec()),
            Opt::Arg(b'h', v) => host = Some(v.as_bytes().to_vec()),
            Opt::Arg(b'p', v) => pri = v.to_str().and_then(syslog::priority).ok_or_else(|| bad(b"priority", &v))?,
            Opt::Arg(b'm', v) => {
                let n = v.to_str().and_then(|s| s.parse().ok()).filter(|n| (480..=65000).contains(n));
                max = n.ok_or_else(|| bad(b"size (480 to 65000)", &v))?;
            }
            other => return Err(Failure::bad_option(&other)),
        }
    }
    let [dest, dir] = &opts.operands()[..] else { return Err(Failure::usage()) };
    let dest = dest.to_str().and_then(Dest::parse).ok_or_else(|| bad(b"destination", dest))?;
    Ok(Call { cursor, app, host, pri, max, dest, dir: dir.as_bytes().to_vec() })
}

/// Runs `step` until it works: a warning (once until it works again), then
/// tries after 0.1 s, doubling up to 5 s.
fn retry(what: &[&[u8]], mut step: impl FnMut() -> Result<(), Errno>) {
    let mut wait = Duration::from_millis(100);
    let mut warned = false;
    while let Err(e) = step() {
        if !warned {
            cli::warn_sys(&PROG, &[&what.concat()[..], b", retrying"], e);
            warned = true;
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

fn hostname() -> Vec<u8> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most len bytes into the buffer we own.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) } != 0 {
        return b"-".to_vec();
    }
    buf.split(|&b| b == 0).next().unwrap_or_default().to_vec()
}

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let call = parse(args)?;
    let src = Source::open(&call.dir).map_err(|(path, e)| Failure::temp(&[b"unable to open directory ", &path], e))?;
    for (file, e) in &src.unreadable {
        cli::warn_sys(&PROG, &[b"unable to read ", file], *e);
    }
    let cursor_path = call.cursor.clone().unwrap_or_else(|| [&src.path[..], b"/svlogfwd.cursor"].concat());
    let open_fail = |e| Failure::temp(&[b"unable to open ", &cursor_path], e);
    let path = CString::new(cursor_path.clone()).map_err(|_| open_fail(Errno::EINVAL))?;
    let cursor_fd = sys::open_at(
        // SAFETY: AT_FDCWD stands for the working directory.
        unsafe { std::os::fd::BorrowedFd::borrow_raw(libc::AT_FDCWD) },
        &path,
        libc::O_RDWR | libc::O_CREAT,
        0o644,
    )
    .map_err(open_fail)?;
    let mut saved = [0u8; CURSOR_LEN];
    let got = sys::read_full(cursor_fd.as_fd(), &mut saved).map_err(open_fail)?;
    let mut cursor = Cursor::unpack(&saved[..got]);
    let start = match &cursor {
        Some(c) => {
            let (at, found) = syslog::resume(&src, c);
            if !found {
                cli::warn(&PROG, &[b"the line ", &cursor_path, b" names is gone: starting from the oldest line"]);
            }
            at
        }
        None if got > 0 => {
            cli::warn(&PROG, &[&cursor_path, b" is not a cursor: starting from the oldest line"]);
            Pos { file: 0, off: 0 }
        }
        None => Pos { file: 0, off: 0 },
    };
    let app = syslog::header_field(&call.app.clone().unwrap_or_else(|| syslog::service_name(&src.path)), 48);
    let host = syslog::header_field(&call.host.clone().unwrap_or_else(hostname), 255);
    let dest_text = call.dest_text();
    let mut sender = Sender::new(call.dest.clone());
    let mut follower = Follower::new(src, start);
    let watch = Watch::new(std::slice::from_ref(&follower));
    loop {
        let _ = follower.read::<Infallible>(&mut |line, place| {
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            let stamp = syslog::messages(body, call.pri, &host, &app, call.max, &mut |msg| {
                retry(&[b"unable to send to ", dest_text.as_bytes()], || sender.send(msg));
            });
            let c = Cursor::after(cursor, place, stamp);
            save(&cursor_fd, &cursor_path, &c);
            cursor = Some(c);
            Ok(())
        });
        watch.wait(LOOK_EVERY, None).map_err(|e| Failure::temp(&[b"unable to watch ", &follower.path], e))?;
    }
}

/// Writes the cursor in place, in one write.
fn save(fd: &OwnedFd, path: &[u8], c: &Cursor) {
    let bytes = c.pack();
    retry(&[b"unable to write ", path], || {
        // SAFETY: pwrite from a buffer we own.
        let n = unsafe { libc::pwrite(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len(), 0) };
        match Errno::result(n) {
            Ok(n) if n as usize == bytes.len() => Ok(()),
            Ok(_) => Err(Errno::EIO),
            Err(e) => Err(e),
        }
    });
}

impl Call {
    fn dest_text(&self) -> String {
        match &self.dest {
            Dest::Udp(hp) => format!("udp:{hp}"),
            Dest::Tcp(hp) => format!("tcp:{hp}"),
            Dest::Unix(p) => format!("unix:{}", p.display()),
        }
    }
}
