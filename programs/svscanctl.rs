//! `svscanctl [ -aht ] DIR...`: tells the svscan scanning each DIR, and no
//! other, to scan now (`-a`, as SIGALRM), to scan and take down the services
//! whose entry is gone (`-h`, as SIGHUP), or to shut down in order (`-t`, as
//! SIGTERM): each letter once, in the order first given, in one write into
//! `DIR/.svscan/control` (s6-svscanctl's letters). With no letter it sends
//! nothing and only tells whether an svscan runs there.
//!
//! A directory not reached is said on a line of its own, as svc says it,
//! and the others are still told. Exit 0 when every directory was reached,
//! 100 on a bad call or when no svscan runs in one, 111 when one could not
//! be reached for another reason (the highest code wins).

use daemontools::control::{self, SendError};
use daemontools::getopt::{Getopt, Opt};
use daemontools::msg::{Failure, Prog, EXIT_TEMP, EXIT_USAGE};
use daemontools::{cli, scandir};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub const PROG: Prog = Prog::new("svscanctl", "svscanctl [ -aht ] dir ...");

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let mut opts = Getopt::new(args, "aht");
    let mut commands = Vec::with_capacity(control::Command::ALL.len());
    for opt in opts.by_ref() {
        match opt {
            Opt::Flag(c) if !commands.contains(&c) => commands.push(c),
            Opt::Flag(_) => {}
            other => return Err(Failure::bad_option(&other)),
        }
    }
    let dirs = opts.operands();
    if dirs.is_empty() {
        return Err(Failure::usage());
    }
    let mut code = 0;
    for dir in &dirs {
        if let Err(e) = scandir::send(dir, &commands) {
            cli::report(&PROG, &e.warning(dir.as_bytes(), control::SVSCAN));
            code = code.max(if e == SendError::NotRunning { EXIT_USAGE } else { EXIT_TEMP });
        }
    }
    Ok(code)
}
