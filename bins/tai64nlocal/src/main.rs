//! `tai64nlocal`: copies stdin to stdout, turning a TAI64N label at the start
//! of a line (`@` + 24 lowercase hex digits, as tai64n and multilog write
//! them) into local time, `YYYY-MM-DD HH:MM:SS.nnnnnnnnn`; all other text is
//! left as it is. daemontools' crashes (SIGSEGV) on a malformed label; here
//! a malformed label is left as text. A read or write error exits 111.
//!
//! `no_main`: Rust's runtime would reopen a closed stdin or stdout on
//! /dev/null before `main`, and output written there is silently lost.
#![no_main]

use daemontools::msg::{self, errstr, Level, EXIT_TEMP};
use daemontools::{sys, tai64, Errno};
use std::io::Write;
use std::os::fd::BorrowedFd;

fn die(what: &str, e: Errno) -> ! {
    let line = msg::line("tai64nlocal", Level::Fatal, &[b"unable to ", what.as_bytes(), b": ", errstr(e).as_bytes()]);
    let _ = std::io::stderr().write_all(&line);
    std::process::exit(EXIT_TEMP)
}

/// Enough of a line's start to decide: the label and the byte after it.
const HEAD: usize = tai64::LABEL_LEN + 1;

/// Writes the start of a line: converted when it is a label (not followed
/// by more hex digits), else as it is.
fn put_head(head: &[u8], out: &mut Vec<u8>) {
    let hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
    let is_label = head.len() >= tai64::LABEL_LEN
        && head[1..tai64::LABEL_LEN].iter().all(hex)
        && !head.get(tai64::LABEL_LEN).is_some_and(hex);
    match tai64::parse_label(head).filter(|_| is_label).and_then(tai64::fmt_local) {
        Some(local) => {
            out.extend_from_slice(&local);
            out.extend_from_slice(&head[tai64::LABEL_LEN..]);
        }
        None => out.extend_from_slice(head),
    }
}

#[no_mangle]
pub extern "C" fn main(_argc: std::os::raw::c_int, _argv: *const *const std::os::raw::c_char) -> std::os::raw::c_int {
    // SAFETY: descriptors 0 and 1 stay open for the life of the process.
    let (stdin, stdout) = unsafe { (BorrowedFd::borrow_raw(0), BorrowedFd::borrow_raw(1)) };
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::with_capacity(2 * buf.len());
    // The start of the current line while it may still be a label.
    let mut head = Vec::with_capacity(HEAD);
    let mut at_line_start = true;
    loop {
        let n = sys::flush_then_read(stdout, &mut out, stdin, &mut buf).unwrap_or_else(|(what, e)| die(what, e));
        if n == 0 {
            put_head(&head, &mut out);
            sys::write_all(stdout, &out).unwrap_or_else(|e| die("write output", e));
            return 0;
        }
        for &b in &buf[..n] {
            if at_line_start && (b == b'@' || !head.is_empty()) {
                head.push(b);
                if head.len() == HEAD || b == b'\n' {
                    put_head(&head, &mut out);
                    head.clear();
                    at_line_start = b == b'\n';
                }
                continue;
            }
            out.push(b);
            at_line_start = b == b'\n';
        }
    }
}
