#!/usr/bin/env python3
"""Restart latency: our supervise against daemontools' supervise, runit's
runsv and s6's s6-supervise, in one run.

Each system supervises one service whose `run` writes its pid to a FIFO and
waits. `run` is a tiny static C program (built here with gcc), not a shell
script: starting /bin/sh costs about 1 ms here, more than any supervisor
spends, and would hide the differences (--sh runs the shell script instead). Two figures, each the median of --rounds rounds:
  kill   from SIGKILL of the running service until its new pid has written
  svc    from starting `svc -t DIR` (daemontools' svc for daemontools, `sv
         term` for runit, `s6-svc -t` for s6) until the new pid has written
Each round takes every system in turn, the order turning round by round,
and then waits until every service has run for over a second, since
daemontools and s6 hold back a service that dies sooner. Every round checks
that a new pid came and that it runs.

The floor column is the least any supervisor can do: a 20-line C loop
(vfork, exec ./run, waitpid, again at once) with no status file, no
control and no pause; only the kill figure has it.

    cargo build --release && python3 bench/restart.py [--rounds 20] [--json FILE]

Directories live on /dev/shm. Every process started is killed.
"""

import argparse
import os
import select
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

import report

# The service: writes its pid to ./fifo, then waits for a signal.
RUN_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    char b[32];
    int n = snprintf(b, sizeof b, "%d\n", (int)getpid());
    int fd = open("fifo", O_WRONLY);
    if (fd < 0 || write(fd, b, n) != n) return 111;
    close(fd);
    for (;;) pause();
}
"""

# The floor: restarts ./run at once, forever, and does nothing else.
FLOOR_C = r"""
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char *args[] = {"./run", 0};
    if (argc < 2 || chdir(argv[1]) != 0) return 111;
    for (;;) {
        pid_t pid = vfork();
        if (pid == 0) { execv("./run", args); _exit(111); }
        if (pid < 0) { sleep(1); continue; }
        while (waitpid(pid, 0, 0) != pid) {}
    }
}
"""


def build_floor(work):
    src, path = os.path.join(work, "floor.c"), os.path.join(work, "floor-supervisor")
    with open(src, "w") as f:
        f.write(FLOOR_C)
    subprocess.run(["gcc", "-O2", "-static", "-o", path, src], check=True)
    return path


def build_run(work, sh):
    """The run program every service shares: the C one, or with `sh` a script."""
    path = os.path.join(work, "run")
    if sh:
        report.write_run(work, "echo $$ > fifo\nexec sleep 100000")
    else:
        src = os.path.join(work, "run.c")
        with open(src, "w") as f:
            f.write(RUN_C)
        subprocess.run(["gcc", "-O2", "-static", "-o", path, src], check=True)
    return path

OURS = report.OURS
SUPERVISOR = report.SUPERVISOR
TERM = {
    "ours": lambda d: [os.path.join(OURS, "svc"), "-t", d],
    "daemontools": lambda d: ["/usr/bin/svc", "-t", d],
    "runit": lambda d: ["/usr/bin/sv", "term", d],
    "s6": lambda d: ["/usr/bin/s6-svc", "-t", d],
}


class Service:
    """One supervisor, its service directory and the FIFO its run reports on."""

    def __init__(self, system, work, run, floor=None, files=()):
        self.system = system
        self.dir = os.path.join(work, system)
        os.makedirs(self.dir)
        for name in files:  # settings files, in place before the first start
            open(os.path.join(self.dir, name), "w").close()
        self.fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(self.fifo)
        os.link(run, os.path.join(self.dir, "run"))
        self.reader = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)
        self.keep = os.open(self.fifo, os.O_WRONLY)
        argv = [floor, self.dir] if system == "floor" else SUPERVISOR[system.split("+")[0]](self.dir)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.next_pid(time.monotonic())[1]
        self.since = time.monotonic()

    def next_pid(self, t0):
        """Waits for the run to report: (seconds since t0, its pid)."""
        buf = b""
        while not buf.endswith(b"\n"):
            left = t0 + 10 - time.monotonic()
            if left <= 0 or not select.select([self.reader], [], [], left)[0]:
                raise RuntimeError(f"{self.system}: no new service within 10 s")
            buf += os.read(self.reader, 64)
        t = time.monotonic() - t0
        return t, int(buf.split()[-1])

    def measure(self, how):
        """One restart, by SIGKILL or by the control client: seconds."""
        old = self.pid
        t0 = time.monotonic()
        if how == "kill":
            os.kill(old, signal.SIGKILL)
        else:
            argv = TERM[self.system.split("+")[0]](self.dir)
            client = os.posix_spawn(argv[0], argv, os.environ)
        t, self.pid = self.next_pid(t0)
        if how != "kill" and os.waitpid(client, 0)[1] != 0:
            raise RuntimeError(f"{self.system}: {argv} failed")
        self.since = time.monotonic()
        if self.pid == old:
            raise RuntimeError(f"{self.system}: the same pid reported twice")
        return t

    def close(self):
        if self.system.startswith("ours"):
            # Asked to exit, our supervise removes the cgroups of a `tree`
            # (a v1 pids cgroup among them), which SIGKILL would leave.
            subprocess.run([os.path.join(report.OURS, "svc"), "-dx", self.dir],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for pid in (self.proc.pid, self.pid):  # the supervisor first: it cannot restart
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.proc.wait()
        os.close(self.reader)
        os.close(self.keep)


def measure(rounds, systems, sh=False):
    work = tempfile.mkdtemp(prefix="bench-restart-", dir="/dev/shm")
    services = []
    got = {how: {s: [] for s in systems} for how in ("kill", "svc")}
    try:
        run = build_run(work, sh)
        floor = build_floor(work)
        for s in systems + ["floor"]:
            services.append(Service(s, work, run, floor))
        got["kill"]["floor"] = []
        for r in range(rounds):
            for how in ("kill", "svc"):
                # Every service must have run over a second: daemontools and
                # s6 hold back one that dies sooner.
                wait = max(s.since for s in services) + 1.1 - time.monotonic()
                time.sleep(max(wait, 0))
                k = r % len(services)
                for s in services[k:] + services[:k]:
                    if s.system in got[how]:
                        got[how][s.system].append(s.measure(how) * 1000)
    finally:
        for s in services:
            s.close()
        shutil.rmtree(work, ignore_errors=True)
    med = {how: {s: statistics.median(v) for s, v in d.items()} for how, d in got.items()}
    return [
        report.row("restart after SIGKILL", "ms", med["kill"], target=0.8),
        report.row("svc -t until the new pid runs", "ms", med["svc"], target=0.8),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--systems", default=",".join(SUPERVISOR))
    ap.add_argument("--sh", action="store_true", help="run a shell script as the service")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    report.prepare("supervise")
    rows = measure(args.rounds, args.systems.split(","), args.sh)
    print(f"restart latency, median of {args.rounds} rounds, run: {'sh' if args.sh else 'static C'}")
    report.emit(rows, args.json)


if __name__ == "__main__":
    main()
