#!/usr/bin/env python3
"""Scanner scale: our svscan against daemontools' svscan, runit's runsvdir and
s6-svscan, in one run, on the same machine.

For N services (each `run` says it is up through a FIFO, then execs sleep),
every system is started in turn (alternating, run by run) and measured for:
  up      wall time from the scanner's start until every service runs
  cpu     CPU time the whole tree (scanner, supervisors, services) spent getting there
  own     the part of it spent by the scanner and the supervisors (the services'
          own processes, from fork on, left out: /bin/sh and sleep cost the same
          under every system, and are most of `cpu`)
  idle    CPU of the whole tree in the steady state, per second of wall time (ns
          precision, from /proc/PID/schedstat), over --idle seconds from 6 s after
          the start (so after the first 5-second scan)
  rss     the scanner's own resident memory once idle
  stop    time from SIGTERM to the scanner until every process of the tree is gone
          ('-' when services are still running 10 s later: daemontools' svscan and
          runit's runsvdir exit on TERM and leave them running)
Each figure is the median of --runs runs; the last column is ours / the best peer.
daemontools' svscan and runit's runsvdir stop at 1,000 services, so they are left
out above that.

    cargo build --release && sudo python3 bench/svscan_scale.py [--counts 1000,10000] [--runs 3,2] [--json FILE]

Service directories live on /dev/shm (a tmpfs) so that disk noise stays out.
Every process started is killed before the script ends.
"""

import argparse
import select
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import report
from procs import alive, comm, kill_all, parent, rss_kib, tree_pids

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(ROOT, "target", "release")
PEER_PATH = "/usr/bin:/bin"

SYSTEMS = {
    "ours": lambda d: [os.path.join(OURS, "svscan"), d],
    "daemontools": lambda d: ["/usr/bin/svscan", d],
    "runit": lambda d: ["/usr/bin/runsvdir", d],
    "s6": lambda d: ["/usr/bin/s6-svscan", "-c", "30000", d],
}
LIMIT = {"daemontools": 1000, "runit": 1000}


def cpu_ns(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def make_services(base, n, fifo):
    os.makedirs(base)
    script = report.write_run(os.path.dirname(base), f"printf x > {fifo}\nexec sleep 100000")
    for i in range(n):
        d = os.path.join(base, f"s{i}")
        os.mkdir(d)
        os.link(script, os.path.join(d, "run"))


def one_run(system, n, idle_secs, shm):
    work = tempfile.mkdtemp(prefix="bench-scan-", dir=shm)
    fifo = os.path.join(work, "up.fifo")
    os.mkfifo(fifo)
    base = os.path.join(work, "service")
    make_services(base, n, fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    keep = os.open(fifo, os.O_WRONLY)  # so the reader never sees end of file
    os.set_blocking(reader, True)
    proc, pids = None, []
    try:
        t0 = time.monotonic()
        proc = subprocess.Popen(SYSTEMS[system](base), env={"PATH": PEER_PATH}, start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        got = 0
        deadline = t0 + 120
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([reader], [], [], left)[0]:
                raise RuntimeError(f"{system}: only {got} of {n} services up after 120 s")
            got += len(os.read(reader, n - got))
        up = time.monotonic() - t0
        pids = tree_pids(proc.pid)
        cpu = cpu_ns(pids)
        own = cpu_ns([proc.pid] + [p for p in pids if parent(p) == proc.pid])
        sleeps = sum(1 for p in pids if comm(p) == "sleep")
        if sleeps != n:
            raise RuntimeError(f"{system}: {sleeps} services running, not {n}")
        time.sleep(max(2, 6 - (time.monotonic() - t0)))
        pids = tree_pids(proc.pid)
        c0, w0 = cpu_ns(pids), time.monotonic()
        time.sleep(idle_secs)
        c1, w1 = cpu_ns(pids), time.monotonic()
        idle = (c1 - c0) / 1e6 / (w1 - w0)
        rss = rss_kib(proc.pid)
        t1 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        stop = None
        while time.monotonic() - t1 < 10:
            if not any(alive(p) for p in pids):
                stop = time.monotonic() - t1
                break
            time.sleep(0.02)
        return {"up": up * 1000, "cpu": cpu / 1e6, "own": own / 1e6, "idle": idle, "rss": rss, "stop": stop}
    finally:
        if proc is not None:
            kill_all(pids + tree_pids(proc.pid))
            proc.wait()
        os.close(reader)
        os.close(keep)
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counts", default="1000,10000")
    ap.add_argument("--runs", default="3", help="runs for each count: one number, or one per count (3,2)")
    ap.add_argument("--idle", type=float, default=10.0, help="seconds of idle measurement (covers two 5 s scans)")
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    args = ap.parse_args()
    # Run in the background, SIGINT may come ignored: make both signals end the
    # run through the cleanup.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.default_int_handler)
    if not os.path.exists(os.path.join(OURS, "svscan")):
        sys.exit("bench: build first: cargo build --release")
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    systems = args.systems.split(",")
    rows = []
    counts = [int(c) for c in args.counts.split(",")]
    runs = [int(r) for r in args.runs.split(",")]
    runs += runs[-1:] * (len(counts) - len(runs))
    for n, n_runs in zip(counts, runs):
        results = {s: [] for s in systems}
        for r in range(n_runs):
            order = systems if r % 2 == 0 else systems[::-1]
            for s in order:
                if n > LIMIT.get(s, n):
                    continue
                results[s].append(one_run(s, n, args.idle, shm))
                print(f"  {n} services, run {r + 1}, {s}: {results[s][-1]}", file=sys.stderr)
        med = {}
        for m in ("up", "cpu", "own", "idle", "rss", "stop"):
            vals = {s: [x[m] for x in results[s] if x[m] is not None] for s in systems}
            med[m] = {s: statistics.median(v) for s, v in vals.items() if v}
        rows += [
            report.row(f"{n} services: all up", "ms", med["up"], target=0.7),
            report.row(f"{n} services: CPU until up", "CPU-ms", med["cpu"], target=0.7),
            report.row(f"{n} services: CPU of scanner + supervisors", "CPU-ms", med["own"]),
            report.row(f"{n} services: idle CPU", "CPU-ms/s", med["idle"], against="runit",
                       target=1.0 if "runit" in med["idle"] else None),
            report.row(f"{n} services: scanner RSS", "KiB", med["rss"]),
            report.row(f"{n} services: stop all", "s", med["stop"]),
        ]
    print(f"\nscanner scale, medians of {args.runs} runs (stop '-': the scanner leaves services running)")
    report.emit(rows, args.json)


if __name__ == "__main__":
    main()
