#!/usr/bin/env python3
"""Start-up cost of the small tools: ours against daemontools', call by call.

Each tool is run --calls times, ours and daemontools' alternating call by
call, and timed from spawn to exit (os.posix_spawn, then waitpid); /bin/true
is timed the same way as the floor. The tools that run a program run
/bin/true. Every call must exit as expected (svok 0, the others 0).

Then the instructions each program executes, counted by valgrind
(--tool=callgrind), a figure that machine noise does not move. Valgrind
reports nothing for a program that execs, so the tools that run a program
are counted running /nonexistent: they stop at the failed exec, print the
error and exit 111, ours and daemontools' alike.

    cargo build --release && python3 bench/startup.py [--calls 500] [--json FILE]

A service supervised by our supervise, on /dev/shm, answers svc, svstat and svok.
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

import report

OURS = report.OURS


def tools(svdir, envdir):
    """name -> arguments after the program."""
    return {
        # A letter the service is already in: supervise reads it and does nothing.
        "svc": ["-u", svdir],
        "svstat": [svdir],
        "svok": [svdir],
        "envdir": [envdir, "/bin/true"],
        "setuidgid": ["nobody", "/bin/true"],
        "softlimit": ["-m", "100000000", "/bin/true"],
    }


def one_call(argv):
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, {"PATH": "/usr/bin:/bin"},
                         file_actions=[(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)])
    _, status = os.waitpid(pid, 0)
    t = time.perf_counter_ns() - t0
    if status != 0:
        raise RuntimeError(f"{argv} exited with status {status}")
    return t / 1000


def instructions(argv):
    """Instructions until exit or exec, from callgrind (None without valgrind)."""
    if not shutil.which("valgrind"):
        return None
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    m = re.search(r"Collected : (\d+)", out.stderr)
    return int(m.group(1)) if m else None


def measure(calls):
    work = tempfile.mkdtemp(prefix="bench-startup-", dir="/dev/shm")
    svdir, envdir = os.path.join(work, "svc"), os.path.join(work, "env")
    os.makedirs(svdir)
    os.makedirs(envdir)
    for name, value in (("A", "1"), ("B", "two"), ("C", "")):
        with open(os.path.join(envdir, name), "w") as f:
            f.write(value)
    report.write_run(svdir, "exec sleep 100000")
    sup = subprocess.Popen([os.path.join(OURS, "supervise"), svdir], stdin=subprocess.DEVNULL,
                           start_new_session=True)
    rows = []
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(svdir, "supervise", "status")):
            if time.monotonic() > deadline:
                raise RuntimeError("supervise did not start")
            time.sleep(0.01)
        floor = statistics.median(one_call(["/bin/true"]) for _ in range(calls))
        for name, args in tools(svdir, envdir).items():
            argvs = {"ours": [os.path.join(OURS, name), *args], "daemontools": [f"/usr/bin/{name}", *args]}
            times = {s: [] for s in argvs}
            for i in range(calls):
                for s in (("ours", "daemontools") if i % 2 == 0 else ("daemontools", "ours")):
                    times[s].append(one_call(argvs[s]))
            med = {s: statistics.median(v) for s, v in times.items()}
            med["floor"] = floor
            rows.append(report.row(f"start-up {name}", "us", med, against="daemontools", target=1.0))
            counts = {s: instructions([x.replace("/bin/true", "/nonexistent") for x in a])
                      for s, a in argvs.items()}
            counts["floor"] = instructions(["/bin/true"])
            if None not in counts.values():
                counts = {s: v / 1000 for s, v in counts.items()}
                rows.append(report.row(f"instructions {name}", "thousands", counts, against="daemontools",
                                       target=1.0))
    finally:
        with open(f"/proc/{sup.pid}/task/{sup.pid}/children") as f:
            for pid in [int(p) for p in f.read().split()] + [sup.pid]:
                os.kill(pid, signal.SIGKILL)
        sup.wait()
        shutil.rmtree(work, ignore_errors=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    report.prepare("svok")
    rows = measure(args.calls)
    print(f"start-up per call, median of {args.calls} calls each; floor: /bin/true")
    report.emit(rows, args.json)


if __name__ == "__main__":
    main()
