//! `readproctitle io errors: .....`: keeps the last bytes read from stdin in
//! its own last argument, so that `ps` shows them (svscanboot pipes svscan's
//! errors into it). As daemontools: the first three bytes of that argument
//! stay, the rest scrolls left as bytes arrive, NUL bytes are skipped; fewer
//! than 5 bytes of room exits 100 silently, end of input exits 0, a read
//! error 111.
//!
//! The argument is written in place, which needs the C `main`'s own argv
//! (Rust's `std::env::args` are copies), hence `no_main`.
#![no_main]

use daemontools::msg::{EXIT_TEMP, EXIT_USAGE};
use std::os::raw::{c_char, c_int};

/// Appends `input` to the scrolling part of `title` (all but its first 3 bytes).
fn scroll(title: &mut [u8], input: &[u8]) {
    let n = title.len();
    for &b in input.iter().filter(|&&b| b != 0) {
        title.copy_within(4..n, 3);
        title[n - 1] = b;
    }
}

#[no_mangle]
#[allow(clippy::not_unsafe_ptr_arg_deref)] // the C runtime calls it with its own argv
pub extern "C" fn main(argc: c_int, argv: *const *mut c_char) -> c_int {
    if let Some(text) = daemontools::msg::about(
        "readproctitle",
        "readproctitle io errors: .....",
        daemontools::msg::lone_arg().as_deref(),
    ) {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    if argc < 2 {
        std::process::exit(EXIT_USAGE);
    }
    // SAFETY: argv[argc - 1] is a NUL-terminated string in this process's own
    // writable memory, which nothing else reads or writes while we run;
    // writing within its length keeps it (and /proc/self/cmdline) well formed.
    let title = unsafe {
        let last = *argv.add(argc as usize - 1);
        std::slice::from_raw_parts_mut(last.cast::<u8>(), libc::strlen(last))
    };
    if title.len() < 5 {
        std::process::exit(EXIT_USAGE);
    }
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: read(2) into a buffer we own.
        match unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) } {
            0 => std::process::exit(0),
            n if n > 0 => scroll(title, &buf[..n as usize]),
            _ if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) => {}
            _ => std::process::exit(EXIT_TEMP),
        }
    }
}
