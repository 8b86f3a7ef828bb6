//! `readproctitle io errors: .....`: keeps the last bytes read from stdin in
//! its own last argument, so that `ps` shows them (svscanboot pipes svscan's
//! errors into it). As daemontools: the first three bytes of that argument
//! stay, the rest scrolls left as bytes arrive, NUL bytes are skipped; fewer
//! than 5 bytes of room exits 100 silently, end of input exits 0, a read
//! error 111.
//!
//! The argument is written in place, which needs the C `main`'s own argv
//! (Rust's `std::env::args` are copies): the dispatcher hands it to `run`
//! (`Entry::Title`).

use daemontools::msg::{Failure, Prog, EXIT_TEMP, EXIT_USAGE};
use daemontools::sys;
use std::os::fd::BorrowedFd;

pub const PROG: Prog = Prog::new("readproctitle", "readproctitle io errors: .....");

/// Appends `input` to the scrolling part of `title` (all but its first 3 bytes).
fn scroll(title: &mut [u8], input: &[u8]) {
    let n = title.len();
    for &b in input.iter().filter(|&&b| b != 0) {
        title.copy_within(4..n, 3);
        title[n - 1] = b;
    }
}

/// Scrolls what stdin gives through `title` until its end.
pub fn run(title: Option<&mut [u8]>) -> Result<i32, Failure> {
    let title = title.filter(|t| t.len() >= 5).ok_or(Failure::silent(EXIT_USAGE))?;
    // SAFETY: descriptor 0 is only borrowed; a closed one makes the read fail.
    let stdin = unsafe { BorrowedFd::borrow_raw(0) };
    let mut buf = [0u8; 4096];
    loop {
        match sys::read_some(stdin, &mut buf).map_err(|_| Failure::silent(EXIT_TEMP))? {
            0 => return Ok(0),
            n => scroll(title, &buf[..n]),
        }
    }
}
