#!/usr/bin/env python3
"""Logger throughput: our multilog against daemontools' multilog, runit's
svlogd and s6-log, with `cat > file` as the ceiling, in one run.

200 MB of 100-byte numbered lines go through a pipe (fed by `cat`) into:
  ours         multilog t s16777215 n20 DIR
  daemontools  multilog t s16777215 n20 DIR
  runit        svlogd -tt DIR          (DIR/config: s16777215, n20)
  s6           s6-log t s16777215 n20 DIR
  cat          cat > DIR/out
and each is measured for:
  MB/s         input size / wall time from start until the logger has exited
  CPU s/GB     user + system CPU of the logger process alone, per GB of input
Every run checks that every line was kept, in order. Each figure is the
median of --runs runs, the systems alternating run by run.

Then tai64nlocal (ours and daemontools') turns a million labelled lines
into local time: wall and CPU time, median of --runs.

    cargo build --release && python3 bench/multilog_throughput.py [--mb 200] [--runs 3] [--json FILE]

Everything lives on /dev/shm (a tmpfs) so that disk noise stays out.
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(ROOT, "target", "release")
LINE = 100

SYSTEMS = {
    "ours": lambda d: [os.path.join(OURS, "multilog"), "t", "s16777215", "n20", d],
    "daemontools": lambda d: ["/usr/bin/multilog", "t", "s16777215", "n20", d],
    "runit": lambda d: ["/usr/bin/svlogd", "-tt", d],
    "s6": lambda d: ["/usr/bin/s6-log", "t", "s16777215", "n20", d],
    "cat": lambda d: ["/bin/sh", "-c", 'exec cat > "$0"/out', d],
}
# How many bytes each system puts before a line (its timestamp and a space).
PREFIX = {"ours": 26, "daemontools": 26, "runit": 26, "s6": 26, "cat": 0}


def make_input(path, mb):
    n = mb * 1_000_000 // LINE
    filler = b"x" * LINE
    with open(path, "wb") as f:
        chunk = bytearray()
        for i in range(n):
            head = b"%09d " % i
            chunk += head + filler[: LINE - 1 - len(head)] + b"\n"
            if len(chunk) > 1 << 20:
                f.write(chunk)
                chunk.clear()
        f.write(chunk)
    return n


def log_files(d):
    """The files a logger wrote, oldest first."""
    names = sorted(n for n in os.listdir(d) if n.startswith("@"))
    return [os.path.join(d, n) for n in names] + [
        os.path.join(d, n) for n in ("current", "out") if os.path.exists(os.path.join(d, n))
    ]


def check(d, system, input_path):
    """Asserts that the log holds every input line once, in order."""
    with open(input_path, "rb") as f:
        expected = f.read().split(b"\n")[:-1]
    got = []
    for p in log_files(d):
        with open(p, "rb") as f:
            got.extend(f.read().split(b"\n")[:-1])
    cut = PREFIX[system]
    if len(got) != len(expected) or any(g[cut:] != e for g, e in zip(got, expected)):
        bad = next((i for i, (g, e) in enumerate(zip(got, expected)) if g[cut:] != e), min(len(got), len(expected)))
        sys.exit(f"{system}: the log is not the input ({len(got)} lines for {len(expected)}; first difference at line {bad})")


def run_logger(system, input_path, work):
    d = os.path.join(work, system)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    if system == "runit":
        with open(os.path.join(d, "config"), "w") as f:
            f.write("s16777215\nn20\n")
    r, w = os.pipe()
    feeder = subprocess.Popen(["cat", input_path], stdout=w)
    os.close(w)
    start = time.monotonic()
    logger = subprocess.Popen(SYSTEMS[system](d), stdin=r, cwd=work)
    os.close(r)
    try:
        _, status, usage = os.wait4(logger.pid, 0)
        wall = time.monotonic() - start
    finally:
        feeder.kill() if feeder.poll() is None else None
        feeder.wait()
        logger.returncode = 0
    if status != 0:
        sys.exit(f"{system}: exit status {status}")
    check(d, system, input_path)
    shutil.rmtree(d)
    return wall, usage.ru_utime + usage.ru_stime


def tai64nlocal(prog, labelled):
    start = time.monotonic()
    with open(labelled, "rb") as src:
        p = subprocess.Popen([prog], stdin=src, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = 0
    if status != 0:
        sys.exit(f"{prog}: exit status {status}")
    return time.monotonic() - start, usage.ru_utime + usage.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    systems = args.systems.split(",")
    for s in systems:
        prog = SYSTEMS[s]("x")[0]
        if not os.path.exists(prog):
            sys.exit(f"{prog} is missing: cargo build --release; apt-get install -y daemontools runit s6")

    work = tempfile.mkdtemp(prefix="mlbench-", dir="/dev/shm")
    try:
        input_path = os.path.join(work, "input")
        lines = make_input(input_path, args.mb)
        size = os.path.getsize(input_path)
        walls = {s: [] for s in systems}
        cpus = {s: [] for s in systems}
        for run in range(args.runs):
            order = systems[run % len(systems):] + systems[: run % len(systems)]
            for s in order:
                wall, cpu = run_logger(s, input_path, work)
                walls[s].append(wall)
                cpus[s].append(cpu)
        print(f"logger throughput: {size / 1e6:.0f} MB, {lines} lines of {LINE} bytes, median of {args.runs} runs")
        mbs = {s: size / 1e6 / statistics.median(walls[s]) for s in systems}
        cpg = {s: statistics.median(cpus[s]) / (size / 1e9) for s in systems}
        rows = [
            report.row("logger throughput", "MB/s", mbs, target=3, higher=True),
            report.row("logger throughput against cat", "MB/s", mbs, against="cat", target=0.5, higher=True),
            report.row("logger CPU per GB", "CPU s/GB", cpg, target=0.33),
        ]

        # tai64nlocal over a million labelled lines.
        labelled = os.path.join(work, "labelled")
        d = os.path.join(work, "labels")
        subprocess.run(
            f"head -c {LINE * 1_000_000} {input_path} | {SYSTEMS['ours'](d)[0]} t s16777215 n100 {d}",
            shell=True, check=True,
        )
        with open(labelled, "wb") as out:
            for p in log_files(d):
                with open(p, "rb") as f:
                    out.write(f.read())
        times = {"ours": [], "daemontools": []}
        for run in range(args.runs):
            for who in (["ours", "daemontools"] if run % 2 == 0 else ["daemontools", "ours"]):
                prog = os.path.join(OURS, "tai64nlocal") if who == "ours" else "/usr/bin/tai64nlocal"
                times[who].append(tai64nlocal(prog, labelled))
        med = {w: statistics.median(t[0] for t in times[w]) for w in times}
        rows.append(report.row("tai64nlocal, a million lines", "s", med, against="daemontools", target=1 / 3))
        print(f"tai64nlocal: 1,000,000 labelled lines, median of {args.runs} runs")
        report.emit(rows, args.json)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
