#!/usr/bin/env python3
"""What dependencies (issue 22, part 1: `needs/` in a service directory)
cost and how fast they act, our supervise and svscan alone (s6-rc, the peer
with dependencies, is not in this machine's package lists; daemontools and
runit have none):

  readiness to start: a db whose static C run sleeps 50 ms, writes
  CLOCK_MONOTONIC to a file and then a newline to its notification-fd, and
  an app needing it (needs/db) whose static C run writes CLOCK_MONOTONIC at
  its start; each round takes both down, the app up (it waits), then the db
  up; the app's stamp minus the db's, median of --rounds (20). Target:
  under 5 ms.

  start of --services (1000) services under svscan, each needing the
  previous one (a chain), or all but one needing that one (a star), beside
  as many without needs: svscan's start until the last service's run
  started (each run appends CLOCK_MONOTONIC to one file), median of --runs
  (3); and the chain's orderly shutdown (TERM to svscan until it exits),
  every service stopped after the one that needs it.

    cargo build --release && python3 bench/needs.py [--rounds 20] [--services 1000] [--runs 3] [--json FILE] [--out FILE]

--out writes the table with its Made-by line (bench/needs-results.txt).
Directories live on /dev/shm. Every process started is killed.
"""

import argparse
import os
import resource
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

import report

OURS = report.OURS

# The db: 50 ms, then its stamp, then ready (a newline on fd 3); then sleeps.
DB_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(void) {
    struct timespec t, gap = {0, 50000000L};
    char b[32];
    nanosleep(&gap, 0);
    clock_gettime(CLOCK_MONOTONIC, &t);
    int n = snprintf(b, sizeof b, "%lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
    int fd = open("ready", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) { write(fd, b, n); close(fd); }
    write(3, "\n", 1);
    for (;;) pause();
}
"""

# A service: appends its start (CLOCK_MONOTONIC, ns) to argv-less ../../starts
# (or ./started for the app), then sleeps.
START_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(void) {
    struct timespec t;
    char b[32];
    clock_gettime(CLOCK_MONOTONIC, &t);
    int n = snprintf(b, sizeof b, "%lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
    int fd = open(STAMPS, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) { write(fd, b, n); close(fd); }
    for (;;) pause();
}
"""


def svc(*args):
    subprocess.run([os.path.join(OURS, "svc"), *args], check=True)


def read_int(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def readiness_to_start(work, rounds):
    """Median ms from the db's readiness to the app's start."""
    db, app = os.path.join(work, "db"), os.path.join(work, "app")
    for d in (db, os.path.join(app, "needs")):
        os.makedirs(d)
    os.link(report.build_c(work, "db-run", DB_C), os.path.join(db, "run"))
    os.link(report.build_c(work, "app-run", START_C, ['-DSTAMPS="started"']), os.path.join(app, "run"))
    with open(os.path.join(db, "notification-fd"), "w") as f:
        f.write("3\n")
    os.symlink("../../db", os.path.join(app, "needs", "db"))
    for d in (db, app):
        open(os.path.join(d, "down"), "w").close()
    procs = [subprocess.Popen([os.path.join(OURS, "supervise"), d], stdin=subprocess.DEVNULL,
                              start_new_session=True) for d in (db, app)]
    gaps = []
    info = os.path.join(app, "supervise", "info")
    try:
        for d in (db, app):
            report.wait_for("supervise", lambda: os.path.exists(os.path.join(d, "supervise", "status")), 5, 0.002)
        for _ in range(rounds):
            svc("-d", "-wd", "-T", "5000", app, db)
            for f in ("started", "ready"):
                p = os.path.join(app if f == "started" else db, f)
                if os.path.exists(p):
                    os.unlink(p)
            # Starts are a second apart: the app's first, then the db's.
            time.sleep(1.05)
            svc("-u", app)
            report.wait_for("the wait", lambda: b"waiting_for" in open(info, "rb").read(), 5, 0.002)
            svc("-u", db)
            report.wait_for("the app's start", lambda: read_int(os.path.join(app, "started")) is not None, 5, 0.002)
            ready, started = read_int(os.path.join(db, "ready")), read_int(os.path.join(app, "started"))
            if started < ready:
                raise RuntimeError("the app started before the db was ready")
            gaps.append((started - ready) / 1e6)
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        for d in (db, app):
            report.kill_under(d)  # a service in a process group of its own
    return statistics.median(gaps), min(gaps), max(gaps)


def tree(work, kind, n, run):
    """A scanned directory of n services: `chain` (each needs the one before), `star` (all need s0000), or `none`."""
    top = os.path.join(work, f"{kind}-{n}")
    scan = os.path.join(top, "services")
    for i in range(n):
        d = os.path.join(scan, f"s{i:04d}")
        os.makedirs(d)
        os.link(run, os.path.join(d, "run"))
        if kind == "chain" and i > 0:
            os.makedirs(os.path.join(d, "needs"))
            os.symlink(f"../../s{i - 1:04d}", os.path.join(d, "needs", f"s{i - 1:04d}"))
        if kind == "star" and i > 0:
            os.makedirs(os.path.join(d, "needs"))
            os.symlink("../../s0000", os.path.join(d, "needs", "s0000"))
    return top


def start_all(work, kind, n, run):
    """(seconds from svscan's start to the last run's start, seconds of its shutdown)."""
    top = tree(work, kind, n, run)
    stamps = os.path.join(top, "starts")
    t0 = time.monotonic_ns()
    p = subprocess.Popen([os.path.join(OURS, "svscan"), "-g", "5", "services"], cwd=top, stdin=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        def count():
            try:
                return os.path.getsize(stamps) // 20
            except OSError:
                return 0
        report.wait_for(f"{n} starts ({kind})", lambda: count() >= n, 300, 0.002)
        time.sleep(0.2)
        with open(stamps) as f:
            times = [int(line) for line in f]
        if len(times) != n:
            raise RuntimeError(f"{len(times)} starts of {n} services ({kind})")
        up = (max(times) - t0) / 1e9
        t1 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=300)
        down = time.monotonic() - t1
        err = p.stderr.read().decode()
        if err:
            raise RuntimeError(f"svscan said: {err}")
        return up, down
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        report.kill_under(top)
        shutil.rmtree(top, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--out", help="also write the table, with what made it, to this file")
    args = ap.parse_args()
    report.prepare("svscan")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = tempfile.mkdtemp(prefix="bench-needs-", dir="/dev/shm")
    n = args.services
    try:
        gap, low, high = readiness_to_start(work, args.rounds)
        # The padding keeps every stamp line 20 bytes long, so that a size counts them.
        run = report.build_c(work, "svc-run", START_C.replace('"%lld\\n"', '"%019lld\\n"'), ['-DSTAMPS="../../starts"'])
        figures = {}
        for kind in ("none", "chain", "star"):
            ups, downs = zip(*(start_all(work, kind, n, run) for _ in range(args.runs)))
            figures[kind] = (statistics.median(ups), statistics.median(downs))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [
        # "limit" is the target itself (5 ms): the ratio is how much of it is used.
        report.row("db ready until the app started", "ms", {"ours": gap, "limit": 5.0}, against="limit", target=1.0),
        report.row(f"start of {n}, a chain", "s", {"ours": figures["chain"][0], "no needs": figures["none"][0]},
                   against="no needs"),
        report.row(f"start of {n}, a star", "s", {"ours": figures["star"][0], "no needs": figures["none"][0]},
                   against="no needs"),
        report.row(f"shutdown of {n}, a chain", "s", {"ours": figures["chain"][1], "no needs": figures["none"][1]},
                   against="no needs"),
        report.row(f"shutdown of {n}, a star", "s", {"ours": figures["star"][1], "no needs": figures["none"][1]},
                   against="no needs"),
    ]
    head = (f"needs: db ready to app start, median of {args.rounds} rounds (min {low:.3f}, max {high:.3f} ms); "
            f"{n} services under svscan, median of {args.runs} runs; s6-rc not installable here, ours alone")
    report.publish("needs.py", head, rows, args.json, args.out)


if __name__ == "__main__":
    main()
