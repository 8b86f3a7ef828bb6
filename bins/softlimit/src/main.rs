//! `softlimit [-a -c -d -f -l -m -o -p -r -s -t N] child`: runs child with
//! soft resource limits lowered or raised: `=` means the hard limit, a value
//! above the hard limit is lowered to it, and `-m` sets the data segment,
//! stack, locked memory and address space together. Options apply in order,
//! as daemontools applies them. Usage 100, any failure 111.
//! `no_main`, so that closed descriptors reach the child closed.
#![no_main]

use daemontools::getopt::{Getopt, Opt};
use daemontools::msg::{self, errstr, Level, EXIT_TEMP, EXIT_USAGE};
use daemontools::{pathexec, script, Errno};
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

const USAGE: &[u8] = b"softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child";

fn die(code: i32, level: Level, parts: &[&[u8]]) -> ! {
    let _ = std::io::stderr().write_all(&msg::line("softlimit", level, parts));
    std::process::exit(code)
}

fn usage() -> ! {
    die(EXIT_USAGE, Level::Usage, &[USAGE])
}

/// Sets the soft limit of `resource` as `arg` says.
fn set(resource: libc::__rlimit_resource_t, arg: &[u8]) {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit with a valid pointer.
    if let Err(e) = Errno::result(unsafe { libc::getrlimit(resource, &mut r) }) {
        die(EXIT_TEMP, Level::Fatal, &[b"getrlimit failed: ", errstr(e).as_bytes()]);
    }
    if arg == b"=" {
        r.rlim_cur = r.rlim_max;
    } else {
        // As daemontools' scan_ulong: digits only (none is 0), wrapping on overflow.
        if !arg.iter().all(u8::is_ascii_digit) {
            usage();
        }
        r.rlim_cur = script::scan_number(arg).min(r.rlim_max);
    }
    if let Err(e) = Errno::result(unsafe { libc::setrlimit(resource, &r) }) {
        die(EXIT_TEMP, Level::Fatal, &[b"setrlimit failed: ", errstr(e).as_bytes()]);
    }
}

#[no_mangle]
pub extern "C" fn main(_argc: std::os::raw::c_int, _argv: *const *const std::os::raw::c_char) -> std::os::raw::c_int {
    if let Some(text) = daemontools::msg::about("softlimit", "softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child", daemontools::msg::lone_arg().as_deref()) {
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        std::process::exit(0);
    }
    let mut opts = Getopt::new(std::env::args_os().skip(1).collect(), "a:c:d:f:l:m:o:p:r:s:t:");
    for opt in opts.by_ref() {
        let (c, arg) = match opt {
            Opt::Arg(c, arg) => (c, arg),
            Opt::Illegal(c) => {
                let _ = std::io::stderr().write_all(&[b"softlimit: illegal option -- ", &[c][..], b"\n"].concat());
                usage()
            }
            Opt::MissingArg(c) => {
                let _ = std::io::stderr()
                    .write_all(&[b"softlimit: option requires an argument -- ", &[c][..], b"\n"].concat());
                usage()
            }
            Opt::Flag(_) => usage(),
        };
        let arg = arg.as_bytes();
        let resources: &[libc::__rlimit_resource_t] = match c {
            b'a' => &[libc::RLIMIT_AS],
            b'c' => &[libc::RLIMIT_CORE],
            b'd' => &[libc::RLIMIT_DATA],
            b'f' => &[libc::RLIMIT_FSIZE],
            b'l' => &[libc::RLIMIT_MEMLOCK],
            b'm' => &[libc::RLIMIT_DATA, libc::RLIMIT_STACK, libc::RLIMIT_MEMLOCK, libc::RLIMIT_AS],
            b'o' => &[libc::RLIMIT_NOFILE],
            b'p' => &[libc::RLIMIT_NPROC],
            b'r' => &[libc::RLIMIT_RSS],
            b's' => &[libc::RLIMIT_STACK],
            _ => &[libc::RLIMIT_CPU],
        };
        for &r in resources {
            set(r, arg);
        }
    }
    let args: Vec<Vec<u8>> = opts.operands().into_iter().map(|a| a.into_vec()).collect();
    if args.is_empty() {
        usage();
    }
    let e = pathexec::run(&args, &pathexec::environ());
    die(EXIT_TEMP, Level::Fatal, &[b"unable to run ", &args[0], b": ", errstr(e).as_bytes()])
}
