//! `daemontools-rs`: every program of the suite in one executable, which
//! runs the program whose name it is called by (the base name of argv[0]:
//! `svc`, `supervise`, ... are links to it), or called by its own name, the
//! one its first argument names (`daemontools-rs svc -u web`); `--help`
//! lists them. One static executable instead of one each: the suite's
//! size is about that of one program, and the pages of svscan, every
//! supervise and every logger are shared. See `daemontools::cli::multicall`.
//!
//! Each program is a module of its own, as its main was: `PROG` (its name
//! and usage) and `run(args) -> Result<i32, Failure>`. The executable has a
//! C `main` (`no_main`): a program that needs what Rust's runtime does
//! before `main` asks for it (`Start::Std`), and the chain-loaders start
//! bare (`Start::Bare`), so that a closed descriptor reaches the program they
//! run closed; readproctitle gets its argument in the C runtime's argv.
#![no_main]

mod envdir;
mod envuidgid;
mod fghack;
mod mksv;
mod multilog;
mod pgrphack;
mod readproctitle;
mod setlock;
mod setuidgid;
mod softlimit;
mod supervise;
mod svc;
mod svlog;
mod svlogfwd;
mod svok;
mod svscan;
mod svscanboot;
mod svscanctl;
mod svstat;
mod tai64n;
mod tai64nlocal;

use daemontools::cli::{self, Entry, Program, Start};
use std::os::raw::{c_char, c_int};

/// A program whose entry takes its arguments.
const fn program(prog: &'static daemontools::msg::Prog, start: Start, run: cli::Run) -> Program {
    Program { prog, start, entry: Entry::Args(run) }
}

/// Every program, sorted by name.
const PROGRAMS: &[Program] = &[
    program(&envdir::PROG, Start::Bare, envdir::run),
    program(&envuidgid::PROG, Start::Bare, envuidgid::run),
    program(&fghack::PROG, Start::Bare, fghack::run),
    program(&mksv::PROG, Start::Std, mksv::run),
    program(&multilog::PROG, Start::Std, multilog::run),
    program(&pgrphack::PROG, Start::Bare, pgrphack::run),
    Program { prog: &readproctitle::PROG, start: Start::Bare, entry: Entry::Title(readproctitle::run) },
    program(&setlock::PROG, Start::Bare, setlock::run),
    program(&setuidgid::PROG, Start::Bare, setuidgid::run),
    program(&softlimit::PROG, Start::Bare, softlimit::run),
    program(&supervise::PROG, Start::Std, supervise::run),
    program(&svc::PROG, Start::Std, svc::run),
    program(&svlog::PROG, Start::Std, svlog::run),
    program(&svlogfwd::PROG, Start::Std, svlogfwd::run),
    program(&svok::PROG, Start::Std, svok::run),
    program(&svscan::PROG, Start::Std, svscan::run),
    program(&svscanboot::PROG, Start::Std, svscanboot::run),
    program(&svscanctl::PROG, Start::Std, svscanctl::run),
    program(&svstat::PROG, Start::Std, svstat::run),
    program(&tai64n::PROG, Start::Bare, tai64n::run),
    program(&tai64nlocal::PROG, Start::Bare, tai64nlocal::run),
];

#[no_mangle]
#[allow(clippy::not_unsafe_ptr_arg_deref)] // the C runtime calls it with its own argv
pub extern "C" fn main(argc: c_int, argv: *const *mut c_char) -> c_int {
    // SAFETY: the C runtime's own argc and argv.
    unsafe { cli::multicall(PROGRAMS, argc, argv) }
}
