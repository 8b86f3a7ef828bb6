//! `multilog script`: reads lines on stdin and appends them to log
//! directories, rotated by size. This is the core of daemontools' multilog:
//! `t`, `sN`, `nN`, `./dir` and `/dir`; the other actions (patterns, `e`,
//! `=`, `!`) belong to the multilog issue and are refused for now rather than
//! silently ignored. SIGALRM rotates; SIGTERM ends the current line and exits.

use daemontools::logdir::{self, Failure, LogDir};
use daemontools::msg::{self, errstr, Level, EXIT_TEMP};
use daemontools::sys::{self, SelfPipe};
use daemontools::{tai64, Errno};
use std::io::Write;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

fn say(level: Level, parts: &[&[u8]]) {
    let _ = std::io::stderr().write_all(&msg::line("multilog", level, parts));
}

fn die(parts: &[&[u8]]) -> ! {
    say(Level::Fatal, parts);
    std::process::exit(EXIT_TEMP)
}

struct Dir {
    name: Vec<u8>,
    log: LogDir,
}

/// Runs `op` until it succeeds, warning and pausing 5 seconds after each failure: no data is dropped.
fn retry(name: &[u8], mut op: impl FnMut() -> Result<(), Failure>) {
    while let Err((what, e)) = op() {
        say(Level::Warning, &[b"unable to ", what.as_bytes(), b" ", name, b", pausing: ", errstr(e).as_bytes()]);
        std::thread::sleep(Duration::from_secs(5));
    }
}

fn parse_number(action: &[u8]) -> Option<u64> {
    std::str::from_utf8(&action[1..]).ok()?.parse().ok()
}

fn main() {
    let mut timestamp = false;
    let (mut size, mut count) = (logdir::DEFAULT_SIZE, logdir::DEFAULT_COUNT);
    let mut dirs = Vec::new();
    for (i, arg) in std::env::args_os().skip(1).enumerate() {
        let a = arg.as_bytes();
        match a.first() {
            Some(b't') if i == 0 && a.len() == 1 => timestamp = true,
            Some(b's') => size = parse_number(a).unwrap_or(size).clamp(4096, 16_777_215),
            Some(b'n') => count = parse_number(a).unwrap_or(count as u64).clamp(2, 1000) as usize,
            Some(b'.' | b'/') => {
                let path = std::path::Path::new(&arg);
                let log = LogDir::open(path, size, count).unwrap_or_else(|(what, e)| match what {
                    "lock" => die(&[b"unable to lock directory ", a, b": ", errstr(e).as_bytes()]),
                    _ => die(&[b"unable to ", what.as_bytes(), b" ", a, b": ", errstr(e).as_bytes()]),
                });
                dirs.push(Dir { name: a.to_vec(), log });
            }
            _ => die(&[b"action ", a, b" is not supported yet"]),
        }
    }

    let pipe = SelfPipe::new().unwrap_or_else(|e| die(&[b"unable to create pipe: ", errstr(e).as_bytes()]));
    for sig in [libc::SIGTERM, libc::SIGALRM] {
        pipe.catch(sig).unwrap_or_else(|e| die(&[b"unable to catch signals: ", errstr(e).as_bytes()]));
    }
    let stdin = unsafe { BorrowedFd::borrow_raw(0) };
    let mut buf = vec![0u8; 64 * 1024];
    let mut at_line_start = true;
    let mut exiting = false;
    // After SIGTERM mid-line, read on until the line ends.
    while !(exiting && at_line_start) {
        let [input, _] = sys::poll_read([stdin, pipe.fd()], None)
            .unwrap_or_else(|e| die(&[b"unable to poll: ", errstr(e).as_bytes()]));
        let signals = pipe.drain();
        if signals.contains(libc::SIGALRM) {
            for d in &mut dirs {
                if !d.log.is_empty() {
                    retry(&d.name, || d.log.rotate());
                }
            }
        }
        exiting |= signals.contains(libc::SIGTERM);
        if !input {
            continue;
        }
        let n = match nix::unistd::read(stdin, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(Errno::EINTR | Errno::EAGAIN) => continue,
            Err(e) => die(&[b"unable to read standard input: ", errstr(e).as_bytes()]),
        };
        let mut data = &buf[..n];
        while !data.is_empty() {
            let end = data.iter().position(|&b| b == b'\n').map_or(data.len(), |i| i + 1);
            let (piece, rest) = data.split_at(end);
            let mut label = [0u8; tai64::LABEL_LEN + 1];
            if timestamp && at_line_start {
                label[..tai64::LABEL_LEN].copy_from_slice(&tai64::fmt_label(tai64::now()));
                label[tai64::LABEL_LEN] = b' ';
            }
            let prefix: &[u8] = if timestamp && at_line_start { &label } else { &[] };
            for d in &mut dirs {
                retry(&d.name, || d.log.write(prefix));
                retry(&d.name, || d.log.write(piece));
            }
            at_line_start = piece.ends_with(b"\n");
            data = rest;
        }
        for d in &mut dirs {
            retry(&d.name, || d.log.flush());
        }
    }
    for d in &mut dirs {
        retry(&d.name, || d.log.close());
    }
}
