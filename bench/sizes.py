#!/usr/bin/env python3
"""Binary sizes: each of our seventeen programs, stripped (the release
profile strips), against the same program of daemontools from Debian, and
the whole suite.

    cargo build --release && python3 bench/sizes.py [--json FILE]
"""

import argparse
import os
import sys

import report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(ROOT, "target", "release")
PROGRAMS = [
    "svscan", "svscanboot", "readproctitle", "supervise", "svc", "svstat", "svok", "multilog", "tai64n",
    "tai64nlocal", "svlog", "svlogfwd", "setuidgid", "envuidgid", "envdir", "softlimit", "setlock", "fghack", "pgrphack",
]


def size(path):
    return os.path.getsize(path) if os.path.exists(path) else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    missing = [p for p in PROGRAMS if size(os.path.join(OURS, p)) is None]
    if missing:
        sys.exit(f"not built: {' '.join(missing)} (cargo build --release)")
    rows, total = [], {"ours": 0, "daemontools": 0}
    for p in PROGRAMS:
        kb = {"ours": size(os.path.join(OURS, p)) / 1000}
        theirs = size(os.path.join("/usr/bin", p))
        if theirs:
            kb["daemontools"] = theirs / 1000
        for s in kb:
            total[s] += kb[s]
        rows.append(report.row(f"size {p}", "KB", kb, against="daemontools"))
    rows.append(report.row("size of the suite", "KB", total, against="daemontools"))
    print("stripped sizes")
    report.emit(rows, args.json)

if __name__ == "__main__":
    main()
