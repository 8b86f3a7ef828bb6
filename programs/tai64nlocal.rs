//! `tai64nlocal`: copies stdin to stdout, turning a TAI64N label at the start
//! of a line (`@` + 24 lowercase hex digits, as tai64n and multilog write
//! them) into local time, `YYYY-MM-DD HH:MM:SS.nnnnnnnnn`; all other text is
//! left as it is. daemontools' crashes (SIGSEGV) on a malformed label; here
//! a malformed label is left as text. A read or write error exits 111.
//!
//! Started bare (`Start::Bare`): Rust's runtime would reopen a closed stdin
//! or stdout on /dev/null, and output written there is silently lost.

use daemontools::msg::{Failure, Prog};
use daemontools::multilog::memchr;
use daemontools::{sys, tai64};
use std::ffi::OsString;
use std::os::fd::BorrowedFd;

pub const PROG: Prog = Prog::new("tai64nlocal", "tai64nlocal");

/// Copies stdin to stdout until its end.
pub fn run(_args: Vec<OsString>) -> Result<i32, Failure> {
    // SAFETY: descriptors 0 and 1 are only borrowed; a closed one makes the calls fail.
    let (stdin, stdout) = unsafe { (BorrowedFd::borrow_raw(0), BorrowedFd::borrow_raw(1)) };
    // A line's head cut by the end of a read.
    let mut head = Vec::with_capacity(tai64::HEAD);
    let mut local = tai64::Localizer::default();
    let mut at_line_start = true;
    let localize = |chunk: Option<&[u8]>, out: &mut Vec<u8>| {
        let Some(mut rest) = chunk else { return local.put_head(&head, out) };
        while let Some(&b) = rest.first() {
            if at_line_start && (b == b'@' || !head.is_empty()) {
                // The head: up to 26 bytes, or fewer ending in a newline.
                let take = &rest[..rest.len().min(tai64::HEAD - head.len())];
                let end = memchr(b'\n', take).map_or(take.len(), |i| i + 1);
                let piece = &take[..end];
                rest = &rest[end..];
                if head.is_empty() && (piece.len() == tai64::HEAD || piece.ends_with(b"\n")) {
                    local.put_head(piece, out);
                } else {
                    head.extend_from_slice(piece);
                    if head.len() < tai64::HEAD && !piece.ends_with(b"\n") {
                        continue;
                    }
                    local.put_head(&head, out);
                    head.clear();
                }
                at_line_start = piece.ends_with(b"\n");
                continue;
            }
            let end = memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
            out.extend_from_slice(&rest[..end]);
            at_line_start = rest[end - 1] == b'\n';
            rest = &rest[end..];
        }
    };
    sys::filter(stdin, stdout, localize).map_err(|(what, e)| Failure::temp(&[b"unable to ", what.as_bytes()], e))?;
    Ok(0)
}
