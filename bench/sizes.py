#!/usr/bin/env python3
"""Size of the installed programs: ours as `make install` puts them (the one
executable, stripped as the release profile strips it, and every program's
name a symbolic link to it), against the programs the Debian packages of
daemontools, runit and s6 install (`dpkg -L`: their files in bin and sbin
directories). A file with several names counts once; a symbolic link counts
its own few bytes. The target: ours under 2,000,000 bytes in all (the
`bound` column).

    cargo build --release && python3 bench/sizes.py [--json FILE]
"""

import argparse
import os
import subprocess
import sys
import tempfile

import report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOUND = 2_000_000
PACKAGES = {"daemontools": "daemontools", "runit": "runit", "s6": "s6"}
BIN_DIRS = ("/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/")


def total(paths):
    """Bytes of `paths`: each file once (by device and inode), a symbolic link its own size."""
    seen, size = set(), 0
    for p in paths:
        st = os.lstat(p)
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            size += st.st_size
    return size


def ours():
    """(bytes, names) of the programs `make install` puts in PREFIX/bin."""
    with tempfile.TemporaryDirectory(prefix="bench-sizes-") as dest:
        subprocess.run(["make", "-s", "-C", ROOT, "install", f"DESTDIR={dest}", "PREFIX=/usr",
                        f"BUILD={report.OURS}"], check=True, stdout=subprocess.DEVNULL)
        bindir = os.path.join(dest, "usr", "bin")
        names = sorted(os.listdir(bindir))
        return total(os.path.join(bindir, n) for n in names), names


def packaged(package):
    """(bytes, names) of the programs a Debian package installs, or None where it is not installed."""
    out = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    paths = [p for p in out.stdout.split("\n") if p.startswith(BIN_DIRS) and os.path.lexists(p)]
    paths = [p for p in paths if not os.path.isdir(p)]
    return total(paths), sorted(os.path.basename(p) for p in paths)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    if not os.path.isfile(os.path.join(report.OURS, report.MULTICALL)):
        sys.exit("not built: target/release/daemontools-rs (cargo build --release)")
    size, names = ours()
    kb = {"ours": size / 1000, "bound": BOUND / 1000}
    files = {"ours": len(names)}
    for system, package in PACKAGES.items():
        got = packaged(package)
        if got:
            kb[system] = got[0] / 1000
            files[system] = len(got[1])
    rows = [
        report.row("installed programs: size", "KB", kb, against="bound", target=1.0),
        report.row("installed programs: names", "files", files, against="daemontools"),
    ]
    print("the installed programs, stripped; a file with several names counted once")
    report.emit(rows, args.json)


if __name__ == "__main__":
    main()
