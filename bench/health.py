#!/usr/bin/env python3
"""What health checks (issue 21: `check` in a service directory) cost
supervise and how fast they act, our supervise alone (daemontools, runit and
s6 have no such checks):

  supervise's own CPU per check run: a service checked every --interval
  (20) ms for --seconds (10) by a static C `check`, supervise's CPU time
  (/proc/PID/schedstat, nanoseconds) over the checks run meanwhile (the
  check counts itself), less that of a supervise of the same service
  unchecked over as long (about 0). What it counts: looking at `check`,
  the spawn (the child's own exec is its own CPU), the reaping, the
  output read, the info written. The floor column is a 20-line C loop that
  spawns the same check with vfork, waits for it, and does nothing else:
  what running a check costs any supervisor. Target: under 0.2 ms besides
  the check's own exec, that is less the floor; the whole is given too.

  the time from a check's first failure to the new pid: check-retries 1,
  a static C check that writes CLOCK_MONOTONIC to a file just before it
  exits 1, a static C run that writes its pid to a FIFO as restart.py's;
  the new pid's arrival minus the failure's stamp, median of --rounds (20).
  Beside it, restart after SIGKILL of the same service (restart.py's
  figure), the restart without a check in its way. With check-retries N
  the first failure is N-1 intervals earlier.

    cargo build --release && python3 bench/health.py [--rounds 20] [--interval 20] [--seconds 10] [--json FILE] [--out FILE]

--out writes the table with its Made-by line (bench/health-results.txt).
Directories live on /dev/shm. Every process started is killed.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

import report
import restart

OURS = report.OURS

# The check: fails (exit 1) once ./hung exists, writing when to ./failed
# (CLOCK_MONOTONIC, ns); else counts itself in ./count and passes.
CHECK_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
int main(void) {
    struct stat st;
    if (stat("hung", &st) == 0) {
        struct timespec t;
        char b[32];
        clock_gettime(CLOCK_MONOTONIC, &t);
        int n = snprintf(b, sizeof b, "%lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
        int fd = open("failed", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) { write(fd, b, n); close(fd); }
        return 1;
    }
    int fd = open("count", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) { write(fd, "x", 1); close(fd); }
    return 0;
}
"""

# The floor: spawns ./check every INTERVAL ms and waits for it, nothing else.
FLOOR_C = r"""
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char *args[] = {"./check", 0};
    if (argc < 3 || chdir(argv[1]) != 0) return 111;
    long ms = atol(argv[2]);
    struct timespec gap = {ms / 1000, (ms % 1000) * 1000000L};
    for (;;) {
        pid_t pid = vfork();
        if (pid == 0) { execv("./check", args); _exit(111); }
        if (pid > 0) while (waitpid(pid, 0, 0) != pid) {}
        nanosleep(&gap, 0);
    }
}
"""


def cpu_ns(pid):
    """Time pid has spent on a CPU: schedstat's nanoseconds, or stat's ticks."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def count(d):
    try:
        return os.path.getsize(os.path.join(d, "count"))
    except OSError:
        return 0


def service(work, name, run, check, settings):
    """restart.py's service (a FIFO its run reports its pid on) under our
    supervise, then `check` and its settings, taken up at `svc -u`."""
    s = restart.Service("ours+" + name, work, run)
    try:
        for k, v in settings.items():
            with open(os.path.join(s.dir, k), "w") as f:
                f.write(f"{v}\n")
        if check:
            os.link(check, os.path.join(s.dir, "check"))
        subprocess.run([os.path.join(OURS, "svc"), "-u", s.dir], check=True)
    except BaseException:
        s.close()
        raise
    return s


def per_check(work, run, check, interval, seconds):
    """(supervise's CPU ms per check net of an unchecked one's, the floor's, checks run)."""
    checked = unchecked = floor = None
    try:
        checked = service(work, "checked", run, check, {"check-interval": interval, "check-start": interval})
        unchecked = service(work, "unchecked", run, None, {})
        fdir = os.path.join(work, "floor")
        os.makedirs(fdir)
        os.link(check, os.path.join(fdir, "check"))
        floor = subprocess.Popen([report.build_c(work, "floor-checker", FLOOR_C), fdir, str(interval)],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
        time.sleep(1)
        c0, u0, f0 = cpu_ns(checked.proc.pid), cpu_ns(unchecked.proc.pid), cpu_ns(floor.pid)
        n0, fn0 = count(checked.dir), count(fdir)
        time.sleep(seconds)
        c1, u1, f1 = cpu_ns(checked.proc.pid), cpu_ns(unchecked.proc.pid), cpu_ns(floor.pid)
        n, fn = count(checked.dir) - n0, count(fdir) - fn0
        if n < seconds * 1000 / interval / 2:
            raise RuntimeError(f"only {n} checks in {seconds} s every {interval} ms")
        return ((c1 - c0) - (u1 - u0)) / n / 1e6, (f1 - f0) / fn / 1e6, n
    finally:
        for s in (checked, unchecked):
            if s:
                s.close()
        if floor:
            floor.kill()
            floor.wait()


def first_failure(work, run, check, rounds):
    """Medians (ms): a check's first failure until the new pid; SIGKILL until the new pid."""
    s = service(work, "failing", run, check, {"check-interval": 100, "check-start": 100, "check-retries": 1})
    hung, failed = os.path.join(s.dir, "hung"), os.path.join(s.dir, "failed")
    by_check, by_kill = [], []
    try:
        for _ in range(rounds):
            # Up over a second: no restart spacing in the way.
            time.sleep(max(s.since + 1.1 - time.monotonic(), 0))
            old = s.pid
            open(hung, "w").close()
            t, s.pid = s.next_pid(time.monotonic())
            arrived = time.monotonic_ns()
            os.unlink(hung)
            with open(failed) as f:
                stamp = int(f.read())
            os.unlink(failed)
            if s.pid == old:
                raise RuntimeError("the same pid reported twice")
            s.since = time.monotonic()
            by_check.append((arrived - stamp) / 1e6)
            time.sleep(max(s.since + 1.1 - time.monotonic(), 0))
            by_kill.append(s.measure("kill") * 1000)
    finally:
        s.close()
    return statistics.median(by_check), statistics.median(by_kill)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--interval", type=int, default=20, help="ms between checks for the CPU figure")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--out", help="also write the table, with what made it, to this file")
    args = ap.parse_args()
    report.prepare("supervise")
    work = tempfile.mkdtemp(prefix="bench-health-", dir="/dev/shm")
    try:
        run = restart.build_run(work, False)
        check = report.build_c(work, "check-program", CHECK_C)
        cpu, floor, n = per_check(work, run, check, args.interval, args.seconds)
        by_check, by_kill = first_failure(work, run, check, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [
        # "limit" is the target itself (0.2 ms): the ratio is how much of it is used. Besides the
        # check's own exec: what the floor spends to spawn, exec and reap it is taken away.
        report.row("CPU per check besides its spawn", "ms", {"ours": cpu - floor, "limit": 0.2},
                   against="limit", target=1.0),
        report.row("CPU per check, all of it", "ms", {"ours": cpu, "floor": floor}, against="floor"),
        report.row("first failing check until the new pid", "ms", {"ours": by_check, "kill": by_kill},
                   against="kill"),
    ]
    head = (f"health: CPU over {n} checks every {args.interval} ms; "
            f"first failure (check-retries 1) and SIGKILL to the new pid, median of {args.rounds} rounds")
    report.publish("health.py", head, rows, args.json, args.out)


if __name__ == "__main__":
    main()
