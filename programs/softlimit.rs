//! `softlimit [-a -c -d -f -l -m -o -p -r -s -t N] child`: runs child with
//! soft resource limits lowered or raised: `=` means the hard limit, a value
//! above the hard limit is lowered to it, and `-m` sets the data segment,
//! stack, locked memory and address space together. Options apply in order,
//! as daemontools applies them. Usage 100, any failure 111.
//! Started bare (`Start::Bare`), so that closed descriptors reach the child closed.

use daemontools::getopt::{Getopt, Opt};
use daemontools::msg::{Failure, Prog};
use daemontools::{cli, pathexec, script, sys};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub const PROG: Prog = Prog::new("softlimit", "softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child");

/// The resources option `c` sets.
fn resources(c: u8) -> &'static [libc::__rlimit_resource_t] {
    match c {
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
    }
}

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let mut opts = Getopt::new(args, "a:c:d:f:l:m:o:p:r:s:t:");
    for opt in opts.by_ref() {
        let (c, arg) = match opt {
            Opt::Arg(c, arg) => (c, arg),
            Opt::Flag(_) => return Err(Failure::usage()),
            other => return Err(Failure::bad_option(&other)),
        };
        // `=` is the hard limit; else, as daemontools' scan_ulong: digits only (none is 0), wrapping on overflow.
        let value = match arg.as_bytes() {
            b"=" => None,
            n if n.iter().all(u8::is_ascii_digit) => Some(script::scan_number(n)),
            _ => return Err(Failure::usage()),
        };
        for &r in resources(c) {
            sys::set_soft_limit(r, value).map_err(|(what, e)| Failure::temp(&[what.as_bytes()], e))?;
        }
    }
    let args = cli::bytes(opts.operands());
    if args.is_empty() {
        return Err(Failure::usage());
    }
    Err(Failure::unable_to_run(&args[0], pathexec::run(&args, &pathexec::environ())))
}
