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

/// Enough of a line's start to decide: the label and the byte after it.
const HEAD: usize = tai64::LABEL_LEN + 1;

/// The local time of the last label's second: consecutive labels mostly share one.
struct Local {
    secs: i64,
    text: Option<Vec<u8>>,
}

impl Local {
    /// Writes the head of a line (up to 26 bytes, or fewer ending in a
    /// newline), its label turned into local time if it is one.
    fn put_head(&mut self, head: &[u8], out: &mut Vec<u8>) {
        let hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
        let is_label = head.len() >= tai64::LABEL_LEN
            && head[1..tai64::LABEL_LEN].iter().all(hex)
            && !head.get(tai64::LABEL_LEN).is_some_and(hex);
        let Some(t) = tai64::parse_label(head).filter(|_| is_label) else {
            return out.extend_from_slice(head);
        };
        let secs = tai64::unix_secs(t);
        if self.text.is_none() || self.secs != secs {
            self.secs = secs;
            self.text = tai64::local_seconds(secs);
        }
        match &self.text {
            Some(text) => {
                out.extend_from_slice(text);
                out.push(b'.');
                out.extend_from_slice(&tai64::nanos9(t.1));
                out.extend_from_slice(&head[tai64::LABEL_LEN..]);
            }
            None => out.extend_from_slice(head),
        }
    }
}

/// Copies stdin to stdout until its end.
pub fn run(_args: Vec<OsString>) -> Result<i32, Failure> {
    // SAFETY: descriptors 0 and 1 are only borrowed; a closed one makes the calls fail.
    let (stdin, stdout) = unsafe { (BorrowedFd::borrow_raw(0), BorrowedFd::borrow_raw(1)) };
    // A line's head cut by the end of a read.
    let mut head = Vec::with_capacity(HEAD);
    let mut local = Local { secs: 0, text: None };
    let mut at_line_start = true;
    let localize = |chunk: Option<&[u8]>, out: &mut Vec<u8>| {
        let Some(mut rest) = chunk else { return local.put_head(&head, out) };
        while let Some(&b) = rest.first() {
            if at_line_start && (b == b'@' || !head.is_empty()) {
                // The head: up to 26 bytes, or fewer ending in a newline.
                let take = &rest[..rest.len().min(HEAD - head.len())];
                let end = memchr(b'\n', take).map_or(take.len(), |i| i + 1);
                let piece = &take[..end];
                rest = &rest[end..];
                if head.is_empty() && (piece.len() == HEAD || piece.ends_with(b"\n")) {
                    local.put_head(piece, out);
                } else {
                    head.extend_from_slice(piece);
                    if head.len() < HEAD && !piece.ends_with(b"\n") {
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
