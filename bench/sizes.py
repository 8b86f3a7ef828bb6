#!/usr/bin/env python3
"""Binary sizes: each of our seventeen programs, stripped (the release
profile strips), against the same program of daemontools from Debian, and
the whole suite.

    cargo build --release && python3 bench/sizes.py
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(ROOT, "target", "release")
PROGRAMS = [
    "svscan", "svscanboot", "readproctitle", "supervise", "svc", "svstat", "svok", "multilog", "tai64n",
    "tai64nlocal", "setuidgid", "envuidgid", "envdir", "softlimit", "setlock", "fghack", "pgrphack",
]


def size(path):
    return os.path.getsize(path) if os.path.exists(path) else None


def main():
    missing = [p for p in PROGRAMS if size(os.path.join(OURS, p)) is None]
    if missing:
        sys.exit(f"not built: {' '.join(missing)} (cargo build --release)")
    print(f"{'program':<14} {'ours KB':>8} {'daemontools KB':>15} {'ratio':>6}")
    total_ours = total_theirs = 0
    for p in PROGRAMS:
        ours = size(os.path.join(OURS, p))
        theirs = size(os.path.join("/usr/bin", p))
        total_ours += ours
        total_theirs += theirs or 0
        t = f"{theirs / 1000:>15.1f}" if theirs else f"{'-':>15}"
        r = f"{ours / theirs:>6.1f}" if theirs else f"{'-':>6}"
        print(f"{p:<14} {ours / 1000:>8.1f} {t} {r}")
    print(f"{'suite':<14} {total_ours / 1000:>8.1f} {total_theirs / 1000:>15.1f} {total_ours / total_theirs:>6.1f}")


if __name__ == "__main__":
    main()
