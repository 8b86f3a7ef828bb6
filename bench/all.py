#!/usr/bin/env python3
"""Every benchmark in one run: our suite against daemontools, runit and s6
installed from Debian, on this machine, now. Prints one table of medians,
our ratio to what each target names and whether it is met, and writes it to
bench/results.md with a plot, bench/results.svg (our ratio per figure
against its target).

    cargo build --release && python3 bench/all.py [--quick]

Each part is a script of its own that can be run alone (see its --help):
  memory.py               memory per supervise and for the scanner
  svscan_scale.py         1,000 and 10,000 services: time and CPU until up, idle CPU
  restart.py              restart after SIGKILL, and svc -t, until the new pid runs
  startup.py              start-up of svstat, svok, envdir, setuidgid, softlimit
  multilog_throughput.py  logger throughput and CPU, tai64nlocal
  sizes.py                stripped size of every program
Every part checks its own results (all services up, every line logged) and
kills what it started. About 8 minutes in all on 2 cores; --quick (fewer
runs and services, for trying the script) about 2.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import report

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

PARTS = [
    ("memory.py", ["--runs", "3"], ["--runs", "1", "--services", "20"]),
    ("svscan_scale.py", ["--counts", "1000,10000", "--runs", "3,2", "--idle", "6"],
     ["--counts", "1000", "--runs", "1", "--idle", "6"]),
    ("restart.py", ["--rounds", "20"], ["--rounds", "5"]),
    ("startup.py", ["--calls", "500"], ["--calls", "100"]),
    ("multilog_throughput.py", ["--mb", "200", "--runs", "3"], ["--mb", "50", "--runs", "1"]),
    ("sizes.py", [], []),
]


def markdown(rows):
    cols = ["ours", "daemontools", "runit", "s6"]
    cols += sorted({s for r in rows for s in r["values"]} - set(cols))
    out = ["| figure | unit | " + " | ".join(cols) + " | ours / base | target | |",
           "|---" * (len(cols) + 5) + "|"]
    for r in rows:
        name, _ = report.base_of(r)
        sign = ">=" if r["higher"] else "<="
        target = "" if r["target"] is None else f"{sign} {r['target']:.2g} x {name}"
        verdict = {True: "met", False: "**missed**", None: ""}[report.met(r)]
        vals = " | ".join(report.fmt(r["values"].get(s)) for s in cols)
        out.append(f"| {r['metric']} | {r['unit']} | {vals} | {report.fmt(report.ratio(r))} | {target} | {verdict} |")
    return "\n".join(out)


def svg(rows, path):
    """Horizontal bars: our ratio for each figure with a target, on a log
    scale, the target marked; green where met, red where missed."""
    rows = [r for r in rows if r["target"] is not None and report.ratio(r)]
    bar_h, left, width = 22, 330, 420
    height = 60 + bar_h * len(rows)
    lo, hi = 0.05, 20.0

    def x(v):
        v = min(max(v, lo), hi)
        return left + width * (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 30}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="100%" height="100%" fill="white"/>',
             f'<text x="10" y="18" font-size="14">ours / base (log scale); | marks the target; '
             f'green: met, red: missed</text>']
    for tick in (0.1, 0.3, 1, 3, 10):
        parts.append(f'<line x1="{x(tick):.1f}" y1="28" x2="{x(tick):.1f}" y2="{height - 20}" stroke="#ddd"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{height - 6}" text-anchor="middle">{tick:g}</text>')
    for i, r in enumerate(rows):
        y = 32 + i * bar_h
        q = report.ratio(r)
        color = "#3a3" if report.met(r) else "#c33"
        name, _ = report.base_of(r)
        label = f"{r['metric']} (vs {name})"
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{x(lo):.1f}" y="{y + 3}" width="{x(q) - x(lo):.1f}" height="{bar_h - 8}" fill="{color}"/>')
        parts.append(f'<text x="{x(q) + 4:.1f}" y="{y + 14}">{q:.2f}</text>')
        t = x(r["target"])
        parts.append(f'<line x1="{t:.1f}" y1="{y}" x2="{t:.1f}" y2="{y + bar_h - 2}" stroke="black" stroke-width="2"/>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer runs and services, to try the script")
    ap.add_argument("--out", default=os.path.join(HERE, "results"), help="results.md and results.svg go here")
    args = ap.parse_args()
    rows, started = [], time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for script, full, quick in PARTS:
            out = os.path.join(tmp, script + ".json")
            t0 = time.monotonic()
            print(f"== {script}", flush=True)
            done = subprocess.run([sys.executable, os.path.join(HERE, script), *(quick if args.quick else full),
                                   "--json", out])
            if done.returncode != 0:
                sys.exit(f"bench: {script} failed (exit {done.returncode})")
            with open(out) as f:
                rows += json.load(f)
            print(f"   ({time.monotonic() - t0:.0f} s)", flush=True)
    minutes = (time.monotonic() - started) / 60
    print(f"\nall figures, {minutes:.1f} minutes")
    print(report.table(rows, systems=("ours", "daemontools", "runit", "s6", "cat", "floor")))
    script = "all.py" + (" --quick" if args.quick else "")
    head = (report.made_line(script, minutes)
            + " Medians; lower is better except MB/s. 'best' is the best peer of daemontools, runit and s6.\n\n")
    with open(args.out + ".md", "w") as f:
        f.write(head + markdown(rows) + "\n")
    svg(rows, args.out + ".svg")
    print(f"written: {args.out}.md, {args.out}.svg")


if __name__ == "__main__":
    main()
