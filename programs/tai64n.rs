//! `tai64n`: copies stdin to stdout with a TAI64N label (`@`, 24 hex digits
//! and a space) before each line, taken when the line's first byte is read. As
//! daemontools: output is flushed before every blocking read, arguments are
//! ignored, and a read or write error exits 111 (with a message here, where
//! daemontools says nothing).
//!
//! Started bare (`Start::Bare`): Rust's runtime would reopen a closed stdin
//! or stdout on /dev/null, and output written there is silently lost.

use daemontools::msg::{Failure, Prog};
use daemontools::{sys, tai64};
use std::ffi::OsString;
use std::os::fd::BorrowedFd;

pub const PROG: Prog = Prog::new("tai64n", "tai64n");

/// Copies stdin to stdout until its end.
pub fn run(_args: Vec<OsString>) -> Result<i32, Failure> {
    // SAFETY: descriptors 0 and 1 stay open for the life of the process.
    let (stdin, stdout) = unsafe { (BorrowedFd::borrow_raw(0), BorrowedFd::borrow_raw(1)) };
    let mut at_line_start = true;
    let label_lines = |chunk: Option<&[u8]>, out: &mut Vec<u8>| {
        let Some(chunk) = chunk else { return };
        let label = tai64::fmt_label(tai64::now());
        for line in chunk.split_inclusive(|&b| b == b'\n') {
            if at_line_start {
                out.extend_from_slice(&label);
                out.push(b' ');
            }
            out.extend_from_slice(line);
            at_line_start = line.ends_with(b"\n");
        }
    };
    sys::filter(stdin, stdout, label_lines).map_err(|(what, e)| Failure::temp(&[b"unable to ", what.as_bytes()], e))?;
    Ok(0)
}
