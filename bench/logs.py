#!/usr/bin/env python3
"""Reading and forwarding logs (issue 24), in one run:

  svlog -n 100, and svlog -s (the last 10 minutes), over 1 GB of archives
  (64 files of 16 MB, 100-byte lines 50 ms apart) and over 64 MB (4 of
  them): target under 50 ms, and the same for both sizes
  svlog of everything against `cat @* current | tai64nlocal` (ours and
  daemontools'), to /dev/null: target at least as fast
  follow latency: a line written to multilog's pipe until `svlog -f` prints it
  forwarding: lines per second from a log directory into rsyslogd's file,
  svlogfwd over TCP against rsyslog's own imfile reading the same file

    cargo build --release && python3 bench/logs.py [--rounds 5] [--json FILE] [--out FILE]

--out writes the table with its Made-by line (bench/logs-results.txt).
The data is made in a temporary directory and removed at the end.
"""

import argparse
import os
import select
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

import report

OURS = report.OURS
LINE = 100
PER_FILE = 16 * 1024 * 1024 // LINE
STEP_NS = 50_000_000


def label(ns):
    return "@%016x%08x" % ((1 << 62) + 10 + ns // 1_000_000_000, ns % 1_000_000_000)


def make_logdir(path, files, end_ns):
    """`files` archives of PER_FILE lines and a small current, the last line at end_ns."""
    os.makedirs(path)
    total = files * PER_FILE + 1000
    t = end_ns - total * STEP_NS
    filler = "x" * (LINE - 26 - 1 - 12)
    for f in range(files + 1):
        n = PER_FILE if f < files else 1000
        lines = []
        for i in range(n):
            lines.append(f"{label(t)} {i:011d} {filler}\n")
            t += STEP_NS
        name = f"{label(t)}.s" if f < files else "current"
        with open(os.path.join(path, name), "w") as out:
            out.write("".join(lines))


def timed(cmd, rounds, **kw):
    """Median ms of running `cmd` to the end, output to /dev/null."""
    times = []
    for _ in range(rounds):
        t0 = time.monotonic()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, **kw)
        times.append((time.monotonic() - t0) * 1000)
    return statistics.median(times)


def rfc3339(ns):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000)) + "Z"


def reads(work, rounds):
    now = time.time_ns()
    got = {}
    for files in (4, 64):
        d = os.path.join(work, f"d{files}")
        make_logdir(d, files, now)
        svlog = os.path.join(OURS, "svlog")
        got[("n", files)] = timed([svlog, "-n", "100", d], rounds)
        got[("s", files)] = timed([svlog, "-s", rfc3339(now - 600 * 10**9), d], rounds)
        if files == 64:
            got["all"] = timed([svlog, d], max(rounds // 2, 3)) / 1000
            for name, tl in (("cat|ours", os.path.join(OURS, "tai64nlocal")), ("cat|daemontools", "/usr/bin/tai64nlocal")):
                got[name] = timed(["sh", "-c", f"cat @* current | {tl}"], max(rounds // 2, 3), cwd=d) / 1000
        shutil.rmtree(d)
    return got


def await_following(ml, sv, seconds=10):
    """Returns once `svlog -f` (sv) follows the end of what multilog (ml)
    writes: marker lines are written until one comes out (one written
    before svlog reached the end may not), then read up to the last."""
    fd = sv.stdout.fileno()
    deadline = time.monotonic() + seconds
    written = 0
    while True:
        ml.stdin.write(f"following {written}\n".encode())
        ml.stdin.flush()
        written += 1
        if select.select([fd], [], [], 0.1)[0]:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"svlog -f printed none of {written} lines in {seconds} s")
    # Read raw, past the buffer of sv.stdout, which stays empty for the readline() of the pings.
    last, got = f"following {written - 1}\n".encode(), b""
    while not got.endswith(last):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise RuntimeError(f"svlog -f: no {last!r} in {seconds} s, only {got!r}")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError(f"svlog -f ended: {got!r}")
        got += chunk


def follow_latency(work, count):
    ml = subprocess.Popen([os.path.join(OURS, "multilog"), "t", "./main"], cwd=work, stdin=subprocess.PIPE)
    sv = None
    try:
        ml.stdin.write(b"start\n")
        ml.stdin.flush()
        report.wait_for("multilog's current", lambda: os.path.exists(os.path.join(work, "main", "current")), 10, 0.01)
        sv = subprocess.Popen([os.path.join(OURS, "svlog"), "-f", "-n", "0", os.path.join(work, "main")],
                              stdout=subprocess.PIPE)
        await_following(ml, sv)
        lat = []
        for i in range(count):
            t0 = time.monotonic()
            ml.stdin.write(f"ping {i}\n".encode())
            ml.stdin.flush()
            line = sv.stdout.readline()
            assert line.endswith(f"ping {i}\n".encode()), line
            lat.append((time.monotonic() - t0) * 1000)
            time.sleep(0.02)
        return statistics.median(lat)
    finally:
        for p in (sv, ml):
            if p and p.poll() is None:
                p.kill()
                p.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rsyslog(work, name, inputs):
    """An rsyslogd writing every message to work/name.out; returns (process, out path)."""
    out = os.path.join(work, f"{name}.out")
    conf = os.path.join(work, f"{name}.conf")
    wd = os.path.join(work, f"{name}.wd")
    os.makedirs(wd)
    with open(conf, "w") as f:
        f.write(f'global(workDirectory="{wd}")\n{inputs}\n'
                f'template(name="t" type="string" string="%msg%\\n")\n'
                f'*.* action(type="omfile" file="{out}" template="t")\n')
    p = subprocess.Popen(["/usr/sbin/rsyslogd", "-n", "-f", conf, "-i", os.path.join(work, f"{name}.pid")])
    return p, out


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def wait_lines(path, n, limit=300):
    t0 = time.monotonic()
    while count_lines(path) < n:
        if time.monotonic() - t0 > limit:
            raise SystemExit(f"bench: {path} got {count_lines(path)} of {n} lines")
        time.sleep(0.05)
    return time.monotonic() - t0


def forwarding(work, n):
    d = os.path.join(work, "fwd")
    os.makedirs(d)
    t = time.time_ns()
    with open(os.path.join(d, "current"), "w") as f:
        f.write("".join(f"{label(t + i * 1000)} line {i:09d} {'y' * 60}\n" for i in range(n)))
    port = free_port()
    rs, out = rsyslog(work, "tcp", f'module(load="imtcp")\ninput(type="imtcp" address="127.0.0.1" port="{port}")')
    fwd = None
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        t0 = time.monotonic()
        fwd = subprocess.Popen([os.path.join(OURS, "svlogfwd"), "-c", os.path.join(work, "cursor"),
                                f"tcp:127.0.0.1:{port}", d])
        wait_lines(out, n)
        ours = n / (time.monotonic() - t0)
    finally:
        for p in (fwd, rs):
            if p and p.poll() is None:
                p.kill()
                p.wait()
    t0 = time.monotonic()
    rs, out = rsyslog(work, "imfile", f'module(load="imfile")\ninput(type="imfile" File="{d}/current" Tag="x")')
    try:
        wait_lines(out, n)
        theirs = n / (time.monotonic() - t0)
    finally:
        rs.kill()
        rs.wait()
    return ours, theirs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--out", help="also write the table, with what made it, to this file")
    args = ap.parse_args()
    report.prepare("svlog")
    work = tempfile.mkdtemp(prefix="bench-logs-")
    try:
        got = reads(work, args.rounds)
        lat = follow_latency(work, 50)
        ours_fwd, imfile = forwarding(work, args.lines)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [
        report.row("svlog -n 100, 1 GB of archives", "ms", {"ours": got[("n", 64)], "64 MB": got[("n", 4)]},
                   against="64 MB", target=2.0),
        report.row("svlog -n 100, 1 GB: under 50 ms", "ms", {"ours": got[("n", 64)], "limit": 50.0},
                   against="limit", target=1.0),
        report.row("svlog -s (10 min), 1 GB of archives", "ms", {"ours": got[("s", 64)], "64 MB": got[("s", 4)]},
                   against="64 MB", target=2.0),
        report.row("svlog -s (10 min), 1 GB: under 50 ms", "ms", {"ours": got[("s", 64)], "limit": 50.0},
                   against="limit", target=1.0),
        report.row("svlog, all of 1 GB, to /dev/null", "s",
                   {"ours": got["all"], "cat|ours": got["cat|ours"], "daemontools": got["cat|daemontools"]},
                   against="cat|ours", target=1.0),
        report.row("svlog -f: a line written until printed", "ms", {"ours": lat}),
        report.row(f"forwarding {args.lines} lines into rsyslogd", "lines/s", {"ours": ours_fwd, "imfile": imfile},
                   against="imfile", higher=True),
    ]
    head = (f"logs: median of {args.rounds} runs (reads; all of 1 GB: {max(args.rounds // 2, 3)}), 50 lines (follow); "
            "daemontools is `cat @* current | tai64nlocal` with its tai64nlocal, cat|ours with ours; "
            "imfile is rsyslog reading the same file itself")
    report.publish("logs.py", head, rows, args.json, args.out)


if __name__ == "__main__":
    main()
