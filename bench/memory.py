#!/usr/bin/env python3
"""Memory per supervised service: our supervise against daemontools'
supervise, runit's runsv and s6's s6-supervise, in one run.

For each system, 50 services running `exec sleep 1000` each get one
supervisor (started directly, as a scanner would). Once all are up, the
supervisors' /proc/PID/smaps_rollup gives, per supervisor:
  rss       resident memory
  pss       proportional share (shared pages divided among their users)
  private   private clean + private dirty
  anonymous the scanner's heap, stack and data (Pss_Anon): what it costs
            beyond the pages of its executable, which a lone process does
            not share (and which a freshly built file counts as dirty)
and the same for the scanner (svscan, svscan, runsvdir, s6-svscan) as it
runs, with its own supervisor for each of as many services, and alone, on
an empty directory: our programs are one executable, so a scanner shares
the pages of its code with the supervisors it starts, but a lone one with
no other process. Medians of --runs runs, systems alternating; the last
column is our ratio to daemontools' (the target).

    cargo build --release && python3 bench/memory.py [--services 50] [--runs 3] [--json FILE]

Service directories live on /dev/shm. Every process started is killed.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import report

OURS = report.OURS
SUPERVISOR = report.SUPERVISOR
SCANNER = {
    "ours": lambda d: [os.path.join(OURS, "svscan"), d],
    "daemontools": lambda d: ["/usr/bin/svscan", d],
    "runit": lambda d: ["/usr/bin/runsvdir", d],
    "s6": lambda d: ["/usr/bin/s6-svscan", d],
}


def rollup(pid):
    """(rss, pss, private) in KiB from /proc/PID/smaps_rollup."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[0].endswith(":"):
                fields[parts[0][:-1]] = int(parts[1])
    return fields["Rss"], fields["Pss"], fields["Private_Clean"] + fields["Private_Dirty"], fields["Pss_Anon"]


def children(pid):
    """Pids whose parent is `pid`."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(name))
            except OSError:
                pass
    return out


def measure_supervisors(system, n, work):
    root = os.path.join(work, system)
    shutil.rmtree(root, ignore_errors=True)
    dirs = []
    for i in range(n):
        d = os.path.join(root, f"s{i}")
        report.write_run(d, "exec sleep 1000")
        dirs.append(d)
    procs = [subprocess.Popen(SUPERVISOR[system](d), stdin=subprocess.DEVNULL, start_new_session=True) for d in dirs]
    try:
        deadline = time.monotonic() + 20
        while any(len(children(p.pid)) != 1 for p in procs):
            if time.monotonic() > deadline:
                sys.exit(f"{system}: not every service came up")
            time.sleep(0.05)
        time.sleep(0.3)
        rows = [rollup(p.pid) for p in procs]
        return tuple(statistics.median(r[i] for r in rows) for i in range(4))
    finally:
        # Each supervisor and its service work in the service's directory.
        report.kill_under(root)
        for p in procs:
            p.kill()
            p.wait()
        shutil.rmtree(root, ignore_errors=True)


def measure_scanner(system, work, services=0):
    """The scanner's rollup on a directory of `services` services, once
    each has its supervisor and its service running."""
    d = os.path.join(work, f"scan-{system}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for i in range(services):
        report.write_run(os.path.join(d, f"s{i}"), "exec sleep 1000")
    p = subprocess.Popen(SCANNER[system](d), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while services and (len(sups := children(p.pid)) != services or any(len(children(s)) != 1 for s in sups)):
            if time.monotonic() > deadline:
                sys.exit(f"{system}: not every service came up under the scanner")
            time.sleep(0.05)
        time.sleep(0.5)
        return rollup(p.pid)
    finally:
        # The scanner first, which would start supervisors again; then what
        # works under d: each supervisor and its service, in whatever session.
        p.kill()
        report.kill_under(d)
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--services", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--systems", default=",".join(SUPERVISOR))
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    systems = args.systems.split(",")
    work = tempfile.mkdtemp(prefix="membench-", dir="/dev/shm")
    sup = {s: [] for s in systems}
    scan = {s: [] for s in systems}
    alone = {s: [] for s in systems}
    try:
        for run in range(args.runs):
            order = systems[run % len(systems):] + systems[: run % len(systems)]
            for s in order:
                sup[s].append(measure_supervisors(s, args.services, work))
                scan[s].append(measure_scanner(s, work, args.services))
                alone[s].append(measure_scanner(s, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = args.services

    def med(got, i):
        return {s: statistics.median(r[i] for r in got[s]) for s in systems}

    rows = [
        report.row("memory per supervise: private", "KiB", med(sup, 2), against="daemontools", target=1.0),
        report.row("memory per supervise: Pss", "KiB", med(sup, 1), against="daemontools", target=1.0),
        report.row("memory per supervise: RSS", "KiB", med(sup, 0), against="daemontools"),
        report.row(f"scanner of {n} services: private", "KiB", med(scan, 2), against="daemontools", target=1.0),
        report.row(f"scanner of {n} services: Pss", "KiB", med(scan, 1), against="daemontools", target=1.0),
        report.row(f"scanner of {n} services: anonymous", "KiB", med(scan, 3), against="daemontools"),
        report.row("scanner alone: private", "KiB", med(alone, 2), against="daemontools"),
        report.row("scanner alone: Pss", "KiB", med(alone, 1), against="daemontools"),
    ]
    print(f"memory per supervisor, {n} services each, and the scanner with as many and alone; "
          f"median of {args.runs} runs")
    report.emit(rows, args.json)

if __name__ == "__main__":
    main()
