//! `supervise DIR`: runs `DIR/run`, restarts it when it exits, obeys the
//! letters written to `DIR/supervise/control` and reports in
//! `DIR/supervise/status`. daemontools 0.76, except that the one-second
//! spacing of starts is a timer (control letters act at once meanwhile) and
//! SIGTERM means `svc -dx` instead of orphaning the service.
//!
//! Beyond daemontools, switched on by files in the service directory (see
//! `daemontools::supervise::settings`): `finish`, `timeout-finish`,
//! `down-signal`, `timeout-kill`, `restart-backoff-max`, `restart-limit`,
//! `notification-fd`, `tree` (the whole process tree, in a cgroup of its
//! own), `check` and its `check-*` files (health checks), `needs/` and
//! `needs-timeout` (each start waits for the needed services, woken through
//! their `supervise/event/`); letters `q`, `1`,
//! `2`, `P`, `C`, `K`; and `supervise/info` beside the unchanged status, for
//! `svstat -j`.
//!
//! One thread, one `poll` over the self-pipe, the control FIFO, the
//! readiness pipe, the tree's `cgroup.events` and, while a start waits, the
//! FIFOs in the needed services' `supervise/event/`. Every decision is `supervise::Machine`'s; this file turns
//! signals, reads and exits into its events and carries out its actions
//! (the system calls themselves are in `supervise::files`).

use daemontools::cli;
use daemontools::msg::{Failure, Prog};
use daemontools::supervise::check::{self, Checker};
use daemontools::supervise::files::{self, Contained, Programs, Taken};
use daemontools::supervise::needed::Needed;
use daemontools::supervise::{Actions, Ending, Event, Machine, Now};
use daemontools::sys::{self, SelfPipe};
use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::time::Instant;

pub const PROG: Prog = Prog::new("supervise", "supervise dir");

struct Supervise<'a> {
    dir: &'a [u8],
    machine: Machine,
    taken: Taken,
    programs: Programs,
    /// The read end of the running service's notification descriptor, until it says it is ready.
    ready_pipe: Option<OwnedFd>,
    /// The service's whole tree, with `tree`.
    tree: Contained,
    /// `./check`, with `check`.
    checker: Checker,
    /// The needed services a start waits for, with `needs/`.
    needed: Needed,
}

impl Supervise<'_> {
    fn handle(&mut self, event: Event) {
        if event.reads_settings() {
            self.machine.policy = files::policy(self.dir, &mut cli::warnings(&PROG));
        }
        let a = self.machine.handle(event, Now::read());
        self.act(a);
    }

    fn act(&mut self, a: Actions) {
        if let Some(pid) = self.machine.pid() {
            for sig in a.signals.into_iter().flatten() {
                let _ = sys::kill(pid, sig);
            }
        }
        self.tree.carry_out(&a, self.machine.group());
        if let (true, Some(pid)) = (a.kill_finish, self.machine.finish_pid()) {
            let _ = sys::kill(pid, libc::SIGKILL);
        }
        if let (true, Some(pid)) = (a.kill_check, self.machine.check_pid()) {
            check::kill(pid);
        }
        if let Some(args) = a.finish {
            match self.programs.start_finish(args, a.finish_group) {
                Ok(pid) => self.machine.finish_started(pid, Now::read()),
                Err(e) => {
                    cli::warn_sys(&PROG, &[b"unable to fork for ", self.dir, b"/finish"], e);
                    let a = self.machine.finish_failed(Now::read());
                    self.act(a);
                }
            }
        }
        if a.start {
            self.ready_pipe = None;
            match self.tree.start(&self.programs, &self.machine.policy, self.dir, &mut cli::warnings(&PROG)) {
                Ok((pid, pipe)) => {
                    self.ready_pipe = pipe;
                    self.machine.started(pid, Now::read());
                }
                Err(e) => {
                    cli::warn_sys(&PROG, &[b"unable to fork for ", self.dir], e);
                    self.machine.start_failed(Now::read());
                }
            }
        }
        if a.check {
            let next = self.checker.start_for(&mut self.machine, &mut cli::warnings(&PROG));
            if next != Actions::default() {
                self.act(next);
            }
        }
        // A tree already empty goes on at once, announced once (what comes
        // after a run always announces).
        if self.machine.draining() && self.tree.empty(self.machine.group()) {
            return self.handle(Event::TreeEmpty);
        }
        // A wait for the needed services: looked at once, and at each event
        // (needs met at once go on at once, announced by the start).
        match (self.machine.waiting(), self.needed.armed()) {
            (true, armed) => {
                if !armed {
                    self.needed.arm(self.dir, &mut cli::warnings(&PROG));
                }
                if self.needed.look(Instant::now()).met {
                    return self.handle(Event::NeedsMet);
                }
            }
            (false, true) => self.needed.disarm(),
            (false, false) => {}
        }
        if a.announce || a.start {
            self.announce();
        }
        if a.exit {
            // Its FIFOs out of the needed services' event/ first.
            self.needed.disarm();
            cli::exit(0);
        }
    }

    fn announce(&self) {
        let waiting = self.needed.waiting_for();
        self.taken.announce(self.dir, &self.machine, &self.tree, waiting, &mut cli::warnings(&PROG));
    }

    /// The wait for the needed services was woken (or its time to look came).
    fn needs_moved(&mut self) {
        self.needed.drain();
        let looked = self.needed.look(Instant::now());
        if looked.met {
            self.handle(Event::NeedsMet);
        } else if looked.changed {
            self.announce();
        }
    }
}

pub fn run(args: Vec<OsString>) -> Result<i32, Failure> {
    let [arg] = &args[..] else { return Err(Failure::usage()) };
    let dir = arg.as_bytes();
    let pipe = SelfPipe::new().map_err(|e| Failure::temp(&[b"unable to create pipe for ", dir], e))?;
    for sig in [libc::SIGCHLD, libc::SIGTERM] {
        pipe.catch(sig).map_err(|e| Failure::temp(&[b"unable to catch signals for ", dir], e))?;
    }
    let taken = files::take(arg, &mut cli::warnings(&PROG))?;
    let machine = Machine::new(taken.normally_up, Now::read());
    let programs = Programs::new(&PROG, arg);
    let (tree, checker) = (Contained::default(), Checker::new(&PROG, arg));
    let mut sv =
        Supervise { dir, machine, taken, programs, ready_pipe: None, tree, checker, needed: Needed::default() };
    sv.announce();
    let _ok = sv.taken.open_ok(dir, &mut cli::warnings(&PROG))?;
    sv.machine.policy = files::policy(dir, &mut cli::warnings(&PROG));
    let boot = sv.machine.boot(Now::read());
    sv.act(boot);

    let mut buf = [0u8; 64];
    loop {
        let fds = [Some(pipe.fd()), Some(sv.taken.control.as_fd()), sv.ready_pipe.as_ref().map(|r| r.as_fd())];
        let deadline = [sv.machine.deadline(), sv.needed.next_look()].into_iter().flatten().min();
        let ([woke, control_ready, notified], moved, needs_moved) =
            (sv.tree.poll(fds, &sv.needed.fds(), sv.machine.draining(), deadline))
                .map_err(|e| Failure::temp(&[b"unable to poll in ", dir], e))?;
        if sv.needed.armed() && (needs_moved || sv.needed.next_look().is_some_and(|t| Instant::now() >= t)) {
            sv.needs_moved();
        }
        // A tree that changed (its events read again, which quiets them) or a process group looked at again.
        if moved && sv.tree.empty(sv.machine.group()) && sv.machine.draining() {
            sv.handle(Event::TreeEmpty);
        }
        if let Some(ready) = sv.ready_pipe.as_ref().filter(|_| notified).and_then(|r| files::ready_said(r.as_fd())) {
            sv.ready_pipe = None;
            if ready {
                sv.handle(Event::Ready);
            }
        }
        // The self-pipe is read only when it has something (a check's turn
        // wakes supervise with nothing in it).
        let signals = if woke { pipe.drain() } else { Default::default() };
        if signals.contains(libc::SIGCHLD) {
            while let Ok(Some((pid, status))) = sys::wait(None, false) {
                if Some(pid) == sv.machine.pid() {
                    sv.ready_pipe = None;
                    sv.handle(Event::Exited(Ending::from_wait(status)));
                } else if Some(pid) == sv.machine.finish_pid() {
                    sv.handle(Event::FinishExited(Ending::from_wait(status)));
                } else if Some(pid) == sv.machine.check_pid() {
                    sv.checker.ended(pid, &mut cli::warnings(&PROG));
                    sv.handle(Event::CheckExited(Ending::from_wait(status)));
                }
            }
        }
        if signals.contains(libc::SIGTERM) {
            sv.handle(Event::Terminate);
        }
        if control_ready {
            if let Ok(n) = nix::unistd::read(sv.taken.control.as_fd(), &mut buf) {
                for &letter in &buf[..n] {
                    sv.handle(Event::Letter(letter));
                }
            }
        }
        if sv.machine.deadline().is_some_and(|d| Instant::now() >= d) {
            sv.handle(Event::Timer);
        }
    }
}
