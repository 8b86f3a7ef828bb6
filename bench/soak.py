#!/usr/bin/env python3
"""Soak: fault scenarios against our suite (no peers), each with figures that
must hold. A figure that misses its bound prints FAIL and the run exits 1.

  fastexit        a service whose run exits at once, under our supervise, for
                  --seconds (60): starts (each start appends a line to a file;
                  must be <= seconds + 1, and >= seconds - 2 to show it still
                  restarts), supervise's CPU (utime + stime; < 1 %), and the
                  latency of `svstat DIR` and `svc -u DIR` run as processes
                  every 200 ms (max < 100 ms, spawning included)
  supervise_kill  svscan on one service with a multilog logger: SIGKILL the
                  service's supervise --kills (3) times, time until svok
                  succeeds and a new supervise holds the lock (< 5 s, the
                  issue's bound, and < 2 s: svscan starts a supervise that
                  exited unasked again about 1 s later, not at its next 5 s
                  scan, so the figure must not depend on where in the scan
                  cycle the kill falls: the kills come 0.1 s, 1.7 s and
                  3.3 s after a scan); then a
                  process reads supervise/status in a tight loop (open, read,
                  check 18 bytes that decode sanely) while --rewrites (10,000)
                  control letters p and c, written straight into
                  supervise/control, each rewrite it (counted with inotify:
                  every letter must rename a new status in place)
  svscan_kill     svscan with --pairs (20) services, each with a logger;
                  SIGKILL svscan: every supervise, service and logger must keep
                  its pid and the logs keep growing; then a second svscan on
                  the same directory for --seconds (12, over two 5 s scans):
                  it must leave the old supervisors alone, silently (nothing
                  on its stderr, no supervise started: its children sampled
                  every 50 ms), no run or logger twice, the first supervisors
                  keep their locks; then SIGTERM one old service supervise
                  (it takes its service down and exits): the second svscan
                  must start its own there within 6 s (its next scan) and
                  the service run again: the pair is broken, so it tells the
                  old log supervise to exit and starts both halves on its own
                  pipe (two scans, < 12 s), and the new service's lines must
                  reach the log
  logger_stop     one service writing numbered lines as fast as it can into
                  multilog under svscan; SIGSTOP the multilog for --seconds
                  (10): the writer must stall; SIGCONT, 2 s more, TERM svscan;
                  every number from 1 to the last written must be in the log
                  once, in order
  hostile         (root only) --pairs (20) services owned by a real unprivileged
                  account made for the run (and removed after), each with a
                  multilog logger, under root's svscan, restarted with
                  `svc -t` every 200 ms and HUP/ALRM to svscan every second,
                  while the account for --seconds (20) swaps each
                  supervise/ for a directory of symlinks to a root-only file
                  (control, ok, status, status.new, info, info.new, lock)
                  and its event/ for a link to root's directory of FIFOs,
                  and makes down-signal a FIFO and timeout-kill a link to
                  /dev/zero; then SIGTERM svscan: root's file must be
                  unchanged byte for byte, root's FIFO still there, no
                  supervise above 8 MiB RSS or 5 % CPU, svscan exit 0 within
                  its grace + 2 s, every process gone
  many_restarts   --services (1000) services under one svscan, `svc -t` on all
                  of them (one svc, every directory) once a second for
                  --seconds (60); then every one up again with the same
                  supervise, no zombie under svscan or a supervise, the same
                  descriptor count per process, RSS flat (within 5 %)

    cargo build --release --workspace && python3 bench/soak.py [--only NAME[,NAME]] [--seconds S] [--json FILE]

About 3 minutes with the defaults. --seconds sets the duration of every
scenario selected (supervise_kill has none: --kills, --rewrites).
Services are tiny static C programs built here with gcc. Everything lives
on /dev/shm; the script makes itself a child subreaper so that what a
killed supervise or svscan leaves is reparented to it, and kills every
process it started (by pid, by process group and by tree), even on failure,
then checks that no process has its working directory, executable or an
argument in its directory (a warning, and a kill, for any left).
"""

import argparse
import ctypes
import json
import os
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import procs
import report
from procs import alive, all_pids, comm, proc_stat, readlink, rss_kib, tree_pids
from report import wait_for

OURS = report.OURS
SCENARIOS = ("fastexit", "supervise_kill", "svscan_kill", "logger_stop", "hostile", "many_restarts")
SECONDS = {"fastexit": 60, "supervise_kill": None, "svscan_kill": 12, "logger_stop": 10, "hostile": 20,
           "many_restarts": 60}
CLK_TCK = os.sysconf("SC_CLK_TCK")
LIBC = ctypes.CDLL(None, use_errno=True)

# fastexit: appends its pid to ./starts and exits 0.
FASTEXIT_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    char b[32];
    int n = snprintf(b, sizeof b, "%d\n", (int)getpid());
    int fd = open("starts", O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0 || write(fd, b, n) != n) return 111;
    return 0;
}
"""

# A service that runs until it is killed.
PAUSE_C = r"""
#include <unistd.h>
int main(void) { for (;;) pause(); }
"""

# A service that writes "PID N" every 100 ms.
TICK_C = r"""
#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(void) {
    struct timespec ts = {0, 100000000};
    char b[64];
    for (unsigned long i = 1;; i++) {
        int n = snprintf(b, sizeof b, "%d %lu\n", (int)getpid(), i);
        if (write(1, b, n) != n) return 111;
        nanosleep(&ts, 0);
    }
}
"""

# Writes 1, 2, 3 ... one line per write(2), as fast as the pipe takes them;
# the last number written whole is kept in ./count (8 bytes, mmap'd). TERM
# ends it between two lines: no SA_RESTART, so a write blocked on a full pipe
# returns EINTR having written nothing (a pipe write under PIPE_BUF is atomic).
COUNTER_C = r"""
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }
int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, 0);
    int fd = open("count", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, 8) != 0) return 111;
    volatile uint64_t *count = mmap(0, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (count == MAP_FAILED) return 111;
    char b[32];
    uint64_t i = 1;
    while (!stop) {
        int n = snprintf(b, sizeof b, "%llu\n", (unsigned long long)i);
        ssize_t w = write(1, b, n);
        if (w == n) { *count = i++; continue; }
        if (w < 0 && errno == EINTR) continue;
        return 111;
    }
    return 0;
}
"""

# reader STATUS PID: opens and reads STATUS in a tight loop until TERM; each
# read must be 18 bytes: a TAI64N stamp within a day of now, nanoseconds under
# 10^9, PID, paused 0 or 1, want 'u'. Prints: reads torn bad failed-opens
# paused-flips paused-reads, then the first bad read described.
READER_C = r"""
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }
int main(int argc, char **argv) {
    if (argc != 3) return 100;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, 0);
    uint32_t want_pid = strtoul(argv[2], 0, 10);
    uint64_t now = 4611686018427387914ULL + (uint64_t)time(0);
    unsigned long reads = 0, torn = 0, bad = 0, nofile = 0, flips = 0, paused = 0;
    int last = -1;
    unsigned char b[64];
    char first[160] = "-";
    while (!stop) {
        int fd = open(argv[1], O_RDONLY);
        if (fd < 0) { if (!stop) nofile++; continue; }
        ssize_t n = read(fd, b, sizeof b);
        close(fd);
        reads++;
        if (n != 18) {
            if (!torn++ && !bad) snprintf(first, sizeof first, "read %zd bytes", n);
            continue;
        }
        uint64_t sec = 0;
        for (int i = 0; i < 8; i++) sec = sec << 8 | b[i];
        uint32_t nano = (uint32_t)b[8] << 24 | b[9] << 16 | b[10] << 8 | b[11];
        uint32_t pid = b[12] | b[13] << 8 | b[14] << 16 | (uint32_t)b[15] << 24;
        if (nano >= 1000000000 || sec + 86400 < now || sec > now + 86400 || pid != want_pid || b[16] > 1 || b[17] != 'u') {
            if (!bad++ && !torn)
                snprintf(first, sizeof first, "sec %llu nano %u pid %u paused %d want %d",
                         (unsigned long long)sec, nano, pid, b[16], b[17]);
            continue;
        }
        if (last >= 0 && b[16] != last) flips++;
        last = b[16];
        paused += b[16];
    }
    printf("%lu %lu %lu %lu %lu %lu\n%s\n", reads, torn, bad, nofile, flips, paused, first);
    return 0;
}
"""

IN_MOVED_TO = 0x80
IN_Q_OVERFLOW = 0x4000
PR_SET_CHILD_SUBREAPER = 36


# ---------------------------------------------------------------- processes

def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def kill_all(pids):
    """SIGKILLs `pids` until none is left (5 s at most); reaps those that are ours."""
    procs.kill_all(pids)
    reap_orphans()


def reap_orphans():
    """Reaps what was reparented to us (we are a subreaper) and has exited."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def lock_holders():
    """{inode: pid} of every flock in /proc/locks."""
    held = {}
    with open("/proc/locks") as f:
        for line in f:
            w = line.split()
            if len(w) >= 6 and w[1] == "FLOCK" and w[3] == "WRITE":
                held[int(w[5].rsplit(":", 1)[1])] = int(w[4])
    return held


def supervise_of(svdir, held=None):
    """The pid holding `svdir`/supervise/lock, or None."""
    held = lock_holders() if held is None else held
    try:
        return held.get(os.stat(os.path.join(svdir, "supervise", "lock")).st_ino)
    except OSError:
        return None


def status(svdir):
    """(pid, paused, want) from `svdir`/supervise/status, or None when unreadable."""
    try:
        with open(os.path.join(svdir, "supervise", "status"), "rb") as f:
            b = f.read()
    except OSError:
        return None
    if len(b) != 18:
        return None
    return struct.unpack_from("<I", b, 12)[0], b[16], b[17:18]


def up_pid(svdir):
    """The service's pid when status says it is up and it runs, else 0."""
    st = status(svdir)
    return st[0] if st and st[0] and alive(st[0]) else 0


def terminate(proc, timeout):
    """SIGTERM to `proc`, then its exit code (None if it outlived `timeout`) and the seconds it took."""
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        rc = None
    return rc, time.monotonic() - t0


def timed(argv):
    """Runs `argv`: (milliseconds, exit code, stdout, stderr)."""
    t0 = time.monotonic()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True)
    return (time.monotonic() - t0) * 1000, r.returncode, r.stdout, r.stderr


class Inotify:
    """The names of IN_MOVED_TO events in one directory."""

    def __init__(self, path):
        self.fd = LIBC.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0 or LIBC.inotify_add_watch(self.fd, os.fsencode(path), IN_MOVED_TO) < 0:
            raise OSError(ctypes.get_errno(), f"inotify on {path}")

    def names(self, timeout):
        if not select.select([self.fd], [], [], timeout)[0]:
            return []
        data, out, off = os.read(self.fd, 1 << 16), [], 0
        while off < len(data):
            _, mask, _, n = struct.unpack_from("iIII", data, off)
            if mask & IN_Q_OVERFLOW:
                raise RuntimeError("inotify queue overflow: rewrites not counted")
            out.append(data[off + 16:off + 16 + n].rstrip(b"\0"))
            off += 16 + n
        return out

    def close(self):
        os.close(self.fd)


# ---------------------------------------------------------------- harness

class Soak:
    """One scenario's directory, and every process started for it."""

    def __init__(self, root, name):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.procs = []
        self.pids = set()
        self.built = {}

    def build(self, name, source):
        """A static C program, built once per scenario."""
        if name not in self.built:
            src, path = os.path.join(self.dir, name + ".c"), os.path.join(self.dir, name)
            with open(src, "w") as f:
                f.write(source)
            subprocess.run(["gcc", "-O2", "-static", "-o", path, src], check=True)
            self.built[name] = path
        return self.built[name]

    def service(self, path, run, log=None):
        """A service directory whose run is a hard link to `run`; `log`: its logger's multilog script."""
        os.makedirs(path)
        os.link(run, os.path.join(path, "run"))
        if log is not None:
            report.write_run(os.path.join(path, "log"), f"exec {os.path.join(OURS, 'multilog')} {log}")
        return path

    def spawn(self, argv, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.DEVNULL)
        p = subprocess.Popen(argv, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def track(self, *pids):
        self.pids.update(p for p in pids if p)

    def cleanup(self):
        """Kills every process started (tree, process group, pid), then what still points here."""
        doomed = set(self.pids)
        for p in self.procs:
            doomed.update(tree_pids(p.pid))
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
        kill_all(doomed)
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                print(f"soak: warning: pid {p.pid} did not exit", file=sys.stderr)
        reap_orphans()
        sweep(self.dir)


def sweep(path):
    """Warns about, and kills, any process whose cwd, executable or arguments point into `path`."""
    left = []
    for pid in all_pids():
        if pid == os.getpid() or not alive(pid):
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace")
        except OSError:
            args = ""
        if any(path in s for s in (readlink(f"/proc/{pid}/cwd"), readlink(f"/proc/{pid}/exe"), args)):
            left.append(pid)
    if left:
        print(f"soak: warning: processes left in {path}: "
              + ", ".join(f"{p} ({comm(p)})" for p in left) + "; killing them", file=sys.stderr)
        kill_all(left)
    return left


class Figures:
    def __init__(self):
        self.rows = []
        self.notes = []

    def add(self, scenario, metric, value, unit="", must=None, held=None):
        self.rows.append({"scenario": scenario, "metric": metric, "value": value, "unit": unit,
                          "must": must, "held": held})

    def note(self, scenario, text):
        self.notes.append({"scenario": scenario, "note": text})

    def table(self):
        def fmt(v):
            if isinstance(v, float):
                return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
            return "-" if v is None else str(v)
        w = max([14] + [len(fmt(r["value"])) for r in self.rows])
        lines = [f"{'scenario':<15} {'figure':<52} {'value':>{w}} {'unit':<5} {'must hold':<20} verdict"]
        for r in self.rows:
            verdict = {True: "pass", False: "FAIL", None: ""}[r["held"]]
            lines.append(f"{r['scenario']:<15} {r['metric']:<52} {fmt(r['value']):>{w}} {r['unit']:<5} "
                         f"{r['must'] or '':<20} {verdict}".rstrip())
        return "\n".join(lines)


# ---------------------------------------------------------------- scenarios

def fastexit(soak, fig, args, seconds):
    S = "fastexit"
    d = soak.service(os.path.join(soak.dir, "fast"), soak.build("fastexit", FASTEXIT_C))
    err = open(os.path.join(soak.dir, "supervise.err"), "wb")
    sup = soak.spawn([os.path.join(OURS, "supervise"), d], stderr=err)
    err.close()
    wait_for("supervise/status", lambda: status(d), 5)
    t0, cpu0 = time.monotonic(), proc_stat(sup.pid)[3]
    lat = {"svstat": [], "svc -u": []}
    tick = t0
    while tick - t0 < seconds:
        for name, argv, expect in (("svstat", [os.path.join(OURS, "svstat"), d], (d + ": ").encode()),
                                   ("svc -u", [os.path.join(OURS, "svc"), "-u", d], b"")):
            ms, rc, out, errs = timed(argv)
            if rc != 0 or errs or not out.startswith(expect):
                raise RuntimeError(f"{name}: exit {rc}, said {out!r} {errs!r}")
            lat[name].append(ms)
        tick += 0.2
        time.sleep(max(0.0, tick - time.monotonic()))
    st = proc_stat(sup.pid)
    t1 = time.monotonic()
    if st is None or st[0] in "ZX":
        raise RuntimeError("supervise died")
    with open(os.path.join(d, "starts")) as f:
        starts = len(f.read().split())
    wall = t1 - t0
    cpu = (st[3] - cpu0) / CLK_TCK / wall * 100
    fig.add(S, f"starts in {wall:.1f} s", starts, "", f"<= {seconds + 1}, >= {seconds - 2}",
            seconds - 2 <= starts <= seconds + 1)
    fig.add(S, "supervise CPU over the window", cpu, "%", "< 1", cpu < 1)
    for name, v in lat.items():
        fig.add(S, f"`{name}` latency, median of {len(v)}", statistics.median(v), "ms")
        fig.add(S, f"`{name}` latency, max", max(v), "ms", "< 100", max(v) < 100)
    with open(os.path.join(soak.dir, "supervise.err"), "rb") as f:
        said = f.read()
    if said:
        fig.note(S, f"supervise said: {said[:300]!r}")


def supervise_kill(soak, fig, args, seconds):
    S = "supervise_kill"
    base = os.path.join(soak.dir, "service")
    os.makedirs(base)
    d = soak.service(os.path.join(base, "s0"), soak.build("pause", PAUSE_C), log="t ./main")
    err = open(os.path.join(soak.dir, "svscan.err"), "wb")
    started = time.monotonic()
    soak.spawn([os.path.join(OURS, "svscan"), base], stderr=err)
    err.close()

    def svok(p):
        return subprocess.run([os.path.join(OURS, "svok"), p]).returncode == 0

    wait_for("s0 and its logger up", lambda: svok(d) and svok(d + "/log") and up_pid(d) and up_pid(d + "/log"), 10)

    # SIGKILL the service's supervise: how soon does svscan start another?
    # svscan starts a supervise that exited unasked again about 1 s later,
    # whatever the point of its 5 s scan cycle: kill k comes at a different
    # point of that cycle (0.1 s after a scan, then later and later), and the
    # figure must stay about 1 s at each (daemontools waited for the next scan).
    times, new_pid_times, orphans = [], [], 0
    # From the second scan on: a supervise killed within its first second
    # is left to the next scan on purpose (one that fails at once must not
    # be started every second), and on a quick machine the first kill would
    # land 0.1 s after the first supervise started.
    last_scan = started + 5
    for k in range(args.kills):
        phase = 0.1 + 4.8 * k / args.kills
        at = last_scan + phase
        while at < time.monotonic() + 0.05:
            at += 5
        time.sleep(at - time.monotonic())
        old = supervise_of(d)
        old_service = up_pid(d)
        if not old or not old_service or not alive(old):
            raise RuntimeError(f"kill {k + 1}: no supervise or no service to begin with")
        t0 = time.monotonic()
        os.kill(old, signal.SIGKILL)
        got = None
        while time.monotonic() - t0 < 15:
            new = supervise_of(d)
            if new and new != old and svok(d):
                got = time.monotonic() - t0
                break
            time.sleep(0.01)
        if got is None:
            raise RuntimeError(f"kill {k + 1}: no new supervise within 15 s")
        times.append((got * 1000, phase))
        last_scan = t0 + got
        wait_for("a new service pid in status", lambda: up_pid(d) not in (0, old_service), 5, 0.01)
        new_pid_times.append((time.monotonic() - t0) * 1000)
        # The killed supervise's service is left running (as with daemontools).
        if alive(old_service):
            orphans += 1
            soak.track(old_service)
            kill_all([old_service])
    worst = max(t for t, _ in times)
    fig.add(S, f"new supervise after SIGKILL, max of {len(times)}", worst, "ms", "< 5000", worst < 5000)
    fig.add(S, "  the same, against the 1 s restart", worst, "ms", "< 2000", worst < 2000)
    fig.add(S, "  min (spread over the scan cycle)", min(t for t, _ in times), "ms")
    fig.add(S, "  each (killed s after a scan)", " ".join(f"{t:.0f}@{p:.1f}" for t, p in times), "ms")
    fig.add(S, "new service pid in status, max", max(new_pid_times), "ms")
    fig.add(S, "killed supervise's service left running", f"{orphans} of {args.kills}", "",
            None, None)
    if orphans:
        fig.note(S, f"after SIGKILL of supervise its service ran on as an orphan ({orphans} of {args.kills} "
                 "times) while the new supervise started another: daemontools does the same")

    # Torn reads: a reader in a tight loop while each control letter rewrites status.
    pid = up_pid(d)
    reader = soak.spawn([soak.build("reader", READER_C), os.path.join(d, "supervise", "status"), str(pid)],
                        stdout=subprocess.PIPE, cwd=soak.dir)
    watch = Inotify(os.path.join(d, "supervise"))
    ctl = os.open(os.path.join(d, "supervise", "control"), os.O_WRONLY | os.O_NONBLOCK)
    sent = rewrites = 0
    try:
        time.sleep(0.1)
        t0 = time.monotonic()
        while sent < args.rewrites:
            chunk = (b"pc" * 8)[:min(16, args.rewrites - sent)]  # even counts end on 'c'
            sent += os.write(ctl, chunk)
            deadline = time.monotonic() + 5
            while rewrites < sent and time.monotonic() < deadline:
                rewrites += watch.names(0.5).count(b"status")
            if rewrites < sent:
                break
        # Anything more than one per letter would show here.
        rewrites += watch.names(0.2).count(b"status")
        spent = time.monotonic() - t0
    finally:
        os.close(ctl)
        watch.close()
        reader.send_signal(signal.SIGTERM)
    out = reader.communicate(timeout=10)[0].decode().split("\n")
    reads, torn, bad, nofile, flips, paused = map(int, out[0].split())
    fig.add(S, f"control letters written (p, c, ...) in {spent:.1f} s", sent, "")
    fig.add(S, "status rewrites seen (inotify, one per letter)", rewrites, "", f"= {sent}", rewrites == sent)
    fig.add(S, "status reads done", reads, "")
    fig.add(S, "reads that saw the paused flag change", flips, "", "> 0 (interleaved)", flips > 0)
    fig.add(S, "torn reads (not 18 bytes)", torn, "", "= 0", torn == 0)
    fig.add(S, "insane reads (pid, flags, stamp)", bad, "", "= 0", bad == 0)
    fig.add(S, "status missing at open", nofile, "", "= 0", nofile == 0)
    if torn or bad:
        fig.note(S, f"first bad status read: {out[1]}")
    if status(d) is None or status(d)[1] != 0 or up_pid(d) != pid:
        raise RuntimeError(f"after the letters: status {status(d)}, expected pid {pid} not paused")


def svscan_kill(soak, fig, args, seconds):
    S = "svscan_kill"
    base = os.path.join(soak.dir, "service")
    os.makedirs(base)
    tick = soak.build("tick", TICK_C)
    dirs = [soak.service(os.path.join(base, f"s{i}"), tick, log="t ./main") for i in range(args.pairs)]
    logs = [d + "/log" for d in dirs]
    err = open(os.path.join(soak.dir, "svscan1.err"), "wb")
    scan = soak.spawn([os.path.join(OURS, "svscan"), base], stderr=err)
    err.close()

    def size(d):
        try:
            return os.stat(os.path.join(d, "log", "main", "current")).st_size
        except OSError:
            return 0

    wait_for("every service and logger up", lambda: all(up_pid(x) for x in dirs + logs), 15)
    wait_for("every log written", lambda: all(size(d) for d in dirs), 10)
    held = lock_holders()
    sups = {x: supervise_of(x, held) for x in dirs + logs}
    runs = {x: up_pid(x) for x in dirs + logs}
    if not all(sups.values()) or not all(runs.values()):
        raise RuntimeError("a supervise or a service missing before the kill")
    soak.track(*sups.values(), *runs.values())
    sizes0 = [size(d) for d in dirs]

    os.kill(scan.pid, signal.SIGKILL)
    scan.wait()
    time.sleep(2)
    sizes1 = [size(d) for d in dirs]
    alive1 = sum(alive(p) for p in list(sups.values()) + list(runs.values()))
    fig.add(S, "after SIGKILL: supervise, services, loggers alive", alive1, "",
            f"= {4 * args.pairs}", alive1 == 4 * args.pairs)
    grew1 = sum(b > a for a, b in zip(sizes0, sizes1))
    fig.add(S, "after SIGKILL: logs still growing (2 s)", grew1, "", f"= {args.pairs}", grew1 == args.pairs)

    # A second svscan on the same directory: it finds a supervise in every
    # service directory and must leave each alone, silently.
    said = []
    scan2 = soak.spawn([os.path.join(OURS, "svscan"), base], stderr=subprocess.PIPE)

    def listen():
        for line in iter(scan2.stderr.readline, b""):
            said.append((time.monotonic(), line.decode(errors="replace").rstrip("\n")))

    def children():
        """The second svscan's children (zombies too), by pid."""
        try:
            with open(f"/proc/{scan2.pid}/task/{scan2.pid}/children") as f:
                return {int(x) for x in f.read().split()}
        except OSError:
            return {p for p in all_pids() if (proc_stat(p) or (0, 0))[1] == scan2.pid}

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    t0 = time.monotonic()
    most, kids, next_count = {}, {}, t0
    while time.monotonic() - t0 < seconds:
        # Children every 50 ms: a supervise failing on the lock lives a few ms.
        for pid in children():
            kids.setdefault(pid, comm(pid) or "?")
        if time.monotonic() >= next_count:
            counts = {}
            for pid in all_pids():
                name = comm(pid)
                if name in ("run", "multilog") and alive(pid):
                    cwd = readlink(f"/proc/{pid}/cwd")
                    counts[cwd] = counts.get(cwd, 0) + 1
            for x in dirs + logs:
                most[x] = max(most.get(x, 0), counts.get(x, 0))
            next_count += 0.5
        time.sleep(0.05)
    said_window = len(said)
    st = None
    try:
        with open(f"/proc/{scan2.pid}/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()
    except OSError:
        pass
    # Minor faults of the children it has waited for: 0 when none ever exited.
    cminflt = int(st[8]) if st else None
    fig.add(S, f"second svscan: lines on stderr ({seconds} s, old ones live)", said_window, "", "= 0",
            said_window == 0)
    fig.add(S, "second svscan: supervise started (children, 50 ms)", len(kids), "", "= 0", not kids)
    if kids:
        fig.note(S, f"second svscan's children while the old supervisors lived: {sorted(kids.items())[:10]}")
    fig.add(S, "  reaped children's minor faults (0: none exited)", cminflt, "")
    dup = sum(max(n - 1, 0) for n in most.values())
    missing = sum(1 for x in dirs + logs if most.get(x, 0) == 0)
    fig.add(S, f"duplicate runs or loggers (sampled over {seconds} s)", dup, "", "= 0", dup == 0)
    fig.add(S, "services or loggers not running", missing, "", "= 0", missing == 0)
    held = lock_holders()
    kept = sum(supervise_of(x, held) == sups[x] and alive(sups[x]) for x in dirs + logs)
    fig.add(S, "first supervisors still holding their lock", kept, "", f"= {2 * args.pairs}",
            kept == 2 * args.pairs)
    same = sum(up_pid(x) == runs[x] for x in dirs + logs)
    fig.add(S, "services and loggers with their first pid", same, "", f"= {2 * args.pairs}",
            same == 2 * args.pairs)
    sizes2 = [size(d) for d in dirs]
    grew2 = sum(b > a for a, b in zip(sizes1, sizes2))
    fig.add(S, "with the second svscan: logs still growing", grew2, "", f"= {args.pairs}", grew2 == args.pairs)

    # Takeover: TERM makes the old supervise of s0 take its service down and
    # exit; the second svscan's next scan (5 s) must find s0 free and start
    # its own supervise there.
    d0, l0 = dirs[0], logs[0]
    old_sup, old_run, old_log_sup, old_logger = sups[d0], runs[d0], sups[l0], runs[l0]

    def log_lines(pid):
        """Lines in s0's log (every file of ./main) written by the service `pid`."""
        main, n = os.path.join(d0, "log", "main"), 0
        try:
            names = os.listdir(main)
        except OSError:
            return 0
        for name in names:
            if name.startswith("@") or name == "current":
                try:
                    with open(os.path.join(main, name), "rb") as f:
                        n += sum(1 for line in f if line.split()[1:2] == [b"%d" % pid])
                except OSError:
                    pass
        return n

    def pipe_of(pid, fd):
        return readlink(f"/proc/{pid}/fd/{fd}")

    old_pipe = pipe_of(old_logger, 0)
    t1 = time.monotonic()
    os.kill(old_sup, signal.SIGTERM)
    new_sup, got = None, None
    while time.monotonic() - t1 < 15:
        p = supervise_of(d0)
        if p and p != old_sup and (proc_stat(p) or (0, 0))[1] == scan2.pid:
            new_sup, got = p, time.monotonic() - t1
            break
        time.sleep(0.02)
    if new_sup is None:
        raise RuntimeError("takeover: the second svscan started no supervise in s0 within 15 s")
    soak.track(new_sup)
    # The pair is broken (its service half gone): the second svscan tells the
    # old log supervise to exit (svc -dx) at its next scan, then starts both
    # halves on its own pipe at the scan after: two scans, under 12 s.
    fig.add(S, "takeover: old s0 supervise TERMed, new one after", got, "s", "< 12", got < 12)
    new_run = wait_for("takeover: s0 running again", lambda: up_pid(d0) not in (0, old_run) and up_pid(d0), 5, 0.02)
    soak.track(new_run)
    fig.add(S, "takeover: s0 running again (new pid) after", time.monotonic() - t1, "s", "< 12",
            time.monotonic() - t1 < 12)
    fig.add(S, "takeover: old s0 service taken down", "yes" if not alive(old_run) else "no", "", "yes",
            not alive(old_run))
    fig.add(S, "takeover: old s0 log supervise told to exit", "yes" if not alive(old_log_sup) else "no", "",
            "yes", not alive(old_log_sup))
    new_logger = wait_for("takeover: s0's new logger", lambda: up_pid(l0) not in (0, old_logger) and up_pid(l0),
                          5, 0.02)
    soak.track(new_logger)
    joined = pipe_of(new_run, 1) is not None and pipe_of(new_run, 1) == pipe_of(new_logger, 0)
    fig.add(S, "takeover: new s0 and its new logger share one pipe", "yes" if joined else "no", "", "yes", joined)
    t2 = time.monotonic()
    while log_lines(new_run) == 0 and time.monotonic() - t2 < 3:
        time.sleep(0.05)
    n_new = log_lines(new_run)
    fig.add(S, "takeover: lines of the new s0 logged (within 3 s)", n_new, "", "> 0", n_new > 0)
    s0_runs = sum(1 for pid in all_pids()
                  if comm(pid) == "run" and alive(pid) and readlink(f"/proc/{pid}/cwd") == d0)
    fig.add(S, "takeover: s0 run processes", s0_runs, "", "= 1", s0_runs == 1)
    now_kids = children()
    fig.add(S, "takeover: second svscan's children (supervise)", len(now_kids), "", "= 2", len(now_kids) == 2)
    fig.note(S, f"takeover: the old s0 pipe was {old_pipe or '?'}; the new pair shares {pipe_of(new_run, 1) or '?'}")

    rc, _ = terminate(scan2, 10)
    listener.join(timeout=2)
    fig.add(S, "second svscan: lines on stderr, to its exit", len(said), "", "= 0", not said)
    fig.add(S, "second svscan: exit code on TERM", rc, "", "= 0", rc == 0)
    seen = {}
    for _, m in said:
        key = m
        for x in range(args.pairs - 1, -1, -1):
            key = key.replace(f"s{x}/", "sN/")
        seen[key] = seen.get(key, 0) + 1
    for m, n in seen.items():
        fig.note(S, f"second svscan printed {n} x: {m}")


def logger_stop(soak, fig, args, seconds):
    S = "logger_stop"
    base = os.path.join(soak.dir, "service")
    os.makedirs(base)
    d = soak.service(os.path.join(base, "w"), soak.build("counter", COUNTER_C), log="s16777215 n1000 ./main")
    err = open(os.path.join(soak.dir, "svscan.err"), "wb")
    scan = soak.spawn([os.path.join(OURS, "svscan"), base], stderr=err)
    err.close()

    def count():
        try:
            with open(os.path.join(d, "count"), "rb") as f:
                b = f.read(8)
        except OSError:
            return 0
        return struct.unpack("<Q", b)[0] if len(b) == 8 else 0

    writer = wait_for("writer up", lambda: up_pid(d), 10)
    logger = wait_for("logger up", lambda: up_pid(d + "/log"), 10)
    soak.track(writer, logger)
    wait_for("lines logged", lambda: count() > 0 and os.path.exists(os.path.join(d, "log", "main", "current"))
             and os.stat(os.path.join(d, "log", "main", "current")).st_size > 0, 10)
    time.sleep(1)
    before = count()
    os.kill(logger, signal.SIGSTOP)
    t0 = time.monotonic()
    time.sleep(1)
    c1 = count()
    wchan1 = ""
    try:
        with open(f"/proc/{writer}/wchan") as f:
            wchan1 = f.read()
    except OSError:
        pass
    time.sleep(max(0.0, t0 + seconds - time.monotonic()))
    c2 = count()
    state2 = (proc_stat(writer) or ("?",))[0]
    os.kill(logger, signal.SIGCONT)
    time.sleep(2)
    c3 = count()
    stalled = c2 == c1 and state2 == "S"
    fig.add(S, "lines written before SIGSTOP", before, "")
    fig.add(S, f"lines written 1 s .. {seconds} s into the stop", c2 - c1, "", "= 0 (stall)", c2 == c1)
    fig.add(S, "writer blocked (state, wchan)", f"{state2} {wchan1 or '-'}", "", "S", state2 == "S")
    fig.add(S, "writer resumed after SIGCONT (lines in 2 s)", c3 - c2, "", "> 0", c3 > c2)

    rc, stop = terminate(scan, 20)
    left = [p for p in (writer, logger) if alive(p)]
    fig.add(S, "svscan TERM: exit code", rc, "", "= 0", rc == 0)
    fig.add(S, "svscan TERM: seconds until it exited", stop, "s")
    fig.add(S, "writer or logger left after svscan exited", len(left), "", "= 0", not left)
    last = count()

    # Every number from 1 to `last`, once, in order.
    main = os.path.join(d, "log", "main")
    names = sorted(n for n in os.listdir(main) if n.startswith("@")) + ["current"]
    data = b"".join(open(os.path.join(main, n), "rb").read() for n in names if os.path.exists(os.path.join(main, n)))
    expected = b"".join(b"%d\n" % i for i in range(1, last + 1))
    if data == expected:
        logged, lost, dup, disorder = last, 0, 0, 0
    else:
        nums = [int(x) for x in data.split(b"\n") if x.strip().isdigit()]
        logged = len(nums)
        seen = set(nums)
        lost = sum(1 for i in range(1, last + 1) if i not in seen)
        dup = len(nums) - len(seen)
        disorder = sum(1 for a, b in zip(nums, nums[1:]) if b <= a)
        first = next((i for i, (a, b) in enumerate(zip(data.split(b"\n"), expected.split(b"\n"))) if a != b), None)
        fig.note(S, f"log differs from 1..{last}: first at line {first}; {len(data)} bytes, "
                 f"{len(expected)} expected; files {names}")
    fig.add(S, "lines written (last number)", last, "")
    fig.add(S, f"lines logged ({len(names)} files)", logged, "", f"= {last}", logged == last)
    fig.add(S, "lost", lost, "", "= 0", lost == 0)
    fig.add(S, "duplicated", dup, "", "= 0", dup == 0)
    fig.add(S, "out of order", disorder, "", "= 0", disorder == 0)
    fig.add(S, "stall seen", "yes" if stalled else "no", "", "yes", stalled)


def many_restarts(soak, fig, args, seconds):
    S = "many_restarts"
    n = args.services
    base = os.path.join(soak.dir, "service")
    os.makedirs(base)
    run = soak.build("pause", PAUSE_C)
    dirs = [soak.service(os.path.join(base, f"s{i}"), run) for i in range(n)]
    err = open(os.path.join(soak.dir, "svscan.err"), "wb")
    scan = soak.spawn([os.path.join(OURS, "svscan"), base], stderr=err)
    err.close()
    t0 = time.monotonic()
    wait_for(f"{n} services up", lambda: all(up_pid(d) for d in dirs), 120, 0.2)
    fig.add(S, f"{n} services: all up after start", time.monotonic() - t0, "s")
    time.sleep(1)

    def snapshot():
        held = lock_holders()
        sups = [supervise_of(d, held) for d in dirs]
        if not all(sups):
            raise RuntimeError("a service without a supervise")
        return {"sups": sups, "fds": [fd_count(p) for p in sups], "scan_fds": fd_count(scan.pid),
                "scan_rss": rss_kib(scan.pid), "sup_rss": sum(rss_kib(p) or 0 for p in sups)}

    def zombies(sups):
        ours = set(sups) | {scan.pid}
        z = 0
        for pid in all_pids():
            st = proc_stat(pid)
            if st and st[0] == "Z" and st[1] in ours:
                z += 1
        return z

    before = snapshot()
    last = [up_pid(d) for d in dirs]
    restarts, zmax, svc_ms, rounds, warm = 0, 0, [], 0, None
    svc = [os.path.join(OURS, "svc"), "-t"] + dirs
    t0 = tick = time.monotonic()
    while tick - t0 < seconds:
        ms, rc, out, errs = timed(svc)
        if rc != 0 or out or errs:
            raise RuntimeError(f"svc -t: exit {rc}, said {(out + errs)[:300]!r}")
        svc_ms.append(ms)
        rounds += 1
        tick += 1
        time.sleep(max(0.0, tick - 0.3 - time.monotonic()))
        for i, d in enumerate(dirs):
            st = status(d)
            if st and st[0] and st[0] != last[i]:
                restarts += 1
                last[i] = st[0]
        zmax = max(zmax, zombies(before["sups"]))
        if rounds == 5:
            warm = snapshot()
        time.sleep(max(0.0, tick - time.monotonic()))
    t1 = time.monotonic()
    wait_for(f"{n} services up again", lambda: all(up_pid(d) for d in dirs), 60, 0.2)
    up_again = time.monotonic() - t1
    for i, d in enumerate(dirs):
        p = up_pid(d)
        if p != last[i]:
            restarts += 1
    time.sleep(1)
    after = snapshot()
    zend = zombies(after["sups"])

    fig.add(S, f"svc -t rounds ({n} directories each)", rounds, "")
    fig.add(S, "svc -t on all: median / max", f"{statistics.median(svc_ms):.0f} / {max(svc_ms):.0f}", "ms")
    fig.add(S, "restarts seen (new pids)", restarts, "", f"> 0, <= {rounds * n}", 0 < restarts <= rounds * n)
    fig.add(S, "all up again after the last round", up_again, "s")
    same = sum(a == b for a, b in zip(before["sups"], after["sups"]))
    fig.add(S, "supervise processes unchanged", same, "", f"= {n}", same == n)
    fig.add(S, "zombies under svscan/supervise, most seen", zmax, "")
    fig.add(S, "zombies under svscan/supervise at the end", zend, "", "= 0", zend == 0)
    fig.add(S, "svscan fds before / after", f"{before['scan_fds']} / {after['scan_fds']}", "", "equal",
            before["scan_fds"] == after["scan_fds"])
    changed = [(b, a) for b, a in zip(before["fds"], after["fds"]) if a != b]
    fig.add(S, f"supervise fds before ({min(before['fds'])}-{max(before['fds'])}): changed", len(changed), "",
            "= 0", not changed)
    if changed:
        fig.note(S, f"supervise fd counts changed (before, after), first ten: {changed[:10]}")
    grow = after["scan_rss"] / before["scan_rss"]
    fig.add(S, "svscan RSS before / after", f"{before['scan_rss']} / {after['scan_rss']}", "KiB",
            "<= +5 %", grow <= 1.05)
    grow = after["sup_rss"] / before["sup_rss"]
    fig.add(S, "supervise RSS sum before / after", f"{before['sup_rss']} / {after['sup_rss']}", "KiB",
            "<= +5 %", grow <= 1.05)
    if warm:
        fig.add(S, "  RSS after 5 rounds: svscan / supervise sum", f"{warm['scan_rss']} / {warm['sup_rss']}", "KiB")

    rc, took = terminate(scan, 30)
    fig.add(S, "svscan TERM: exit code / seconds", f"{rc} / {took:.2f}", "", "exit 0", rc == 0)
    with open(os.path.join(soak.dir, "svscan.err"), "rb") as f:
        said = f.read()
    if said:
        fig.note(S, f"svscan's stderr: {said[:300]!r}")


# The account's side of `hostile`: $1 the services' directory, $2 root's
# file, $3 root's directory of FIFOs, $4 how long.
HOSTILE_SH = r"""
end=$(( $(date +%s) + $4 )); n=0
while [ "$(date +%s)" -lt "$end" ]; do
  for d in "$1"/*/; do
    d=${d%/}; n=$((n+1))
    for sub in "$d" "$d/log"; do
      mv "$sub/supervise" "$sub/supervise.$n" 2>/dev/null || rm -rf "$sub/supervise" 2>/dev/null
      mkdir "$sub/supervise" 2>/dev/null || continue
      for f in control ok status status.new info info.new lock; do ln -s "$2" "$sub/supervise/$f"; done
      ln -s "$3" "$sub/supervise/event"
    done
    rm -f "$d/down-signal" "$d/timeout-kill"
    mkfifo "$d/down-signal"; ln -s /dev/zero "$d/timeout-kill"
  done
  sleep 0.1
done
echo "$n"
"""


def hostile(soak, fig, args, seconds):
    S = "hostile"
    if os.geteuid() != 0:
        fig.note(S, "skipped: needs root to make an account and run root's svscan")
        return
    account = f"dtrssoak{os.getpid() % 100000}"
    subprocess.run(["useradd", "-M", "-N", "-s", "/bin/sh", account], check=True, capture_output=True)
    try:
        _hostile(soak, fig, args, seconds, account)
    finally:
        subprocess.run(["userdel", account], capture_output=True)


def _hostile(soak, fig, args, seconds, account):
    S = "hostile"
    os.chmod(os.path.dirname(soak.dir), 0o755)
    os.chmod(soak.dir, 0o755)
    secret = os.path.join(soak.dir, "secret")
    data = os.urandom(4096)
    with open(secret, "wb") as f:
        f.write(data)
    os.chmod(secret, 0o600)
    victims = os.path.join(soak.dir, "victims")
    os.mkdir(victims)
    os.mkfifo(os.path.join(victims, "fifo"), 0o600)
    base = os.path.join(soak.dir, "service")
    os.makedirs(base)
    run = soak.build("pause", PAUSE_C)
    dirs = [soak.service(os.path.join(base, f"s{i}"), run, log="./main") for i in range(args.pairs)]
    # The services' directories are the account's.
    subprocess.run(["chown", "-R", f"{account}:", base], check=True)
    os.chmod(run, 0o755)
    err = open(os.path.join(soak.dir, "svscan.err"), "wb")
    scan = soak.spawn([os.path.join(OURS, "svscan"), "-g", "3", base], stderr=err)
    err.close()
    wait_for(f"{len(dirs)} services up", lambda: all(up_pid(d) for d in dirs), 30, 0.1)
    script = os.path.join(soak.dir, "hostile.sh")
    with open(script, "w") as f:
        f.write(HOSTILE_SH)
    os.chmod(script, 0o755)
    attacker = soak.spawn([os.path.join(OURS, "setuidgid"), account, "/bin/sh", script, base, secret, victims,
                           str(int(seconds))], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    sups = set(tree_pids(scan.pid)) - {scan.pid}
    t0 = time.monotonic()
    refused, rounds, rss_max, cpu = 0, 0, 0, {}
    while time.monotonic() - t0 < seconds:
        _, rc, out, errs = timed([os.path.join(OURS, "svc"), "-t"] + dirs)
        refused += errs.count(b"is not a FIFO")
        rounds += 1
        if rounds % 5 == 0:
            scan.send_signal(signal.SIGHUP if rounds % 10 else signal.SIGALRM)
        for pid in tree_pids(scan.pid):
            if comm(pid) == "supervise":
                rss_max = max(rss_max, rss_kib(pid) or 0)
                st = proc_stat(pid)
                if st and pid not in cpu:
                    cpu[pid] = st
        time.sleep(0.2)
    swaps = attacker.communicate(timeout=30)[0].decode().strip()
    busiest = 0.0
    for pid, first in cpu.items():
        st = proc_stat(pid)
        if st:
            busiest = max(busiest, (st[3] - first[3]) / CLK_TCK / seconds * 100)
    rc, took = terminate(scan, 30)
    time.sleep(0.5)
    left = [p for p in sups if alive(p)]
    with open(secret, "rb") as f:
        same = f.read() == data
    fig.add(S, "svc -t rounds on every service", rounds, "")
    fig.add(S, "supervise/ swaps by the account", swaps, "")
    fig.add(S, "svc refusals: control not a FIFO", refused, "", "> 0", refused > 0)
    fig.add(S, "root's 4 KiB file unchanged", "yes" if same else "no", "", "yes", same)
    fifo_kept = os.path.exists(os.path.join(victims, "fifo"))
    fig.add(S, "root's FIFO kept", "yes" if fifo_kept else "no", "", "yes", fifo_kept)
    fig.add(S, "largest supervise RSS", rss_max, "KiB", "< 8192", rss_max < 8192)
    fig.add(S, "busiest supervise CPU", busiest, "%", "< 5", busiest < 5)
    fig.add(S, "svscan TERM: exit code / seconds", f"{rc} / {took:.2f}", "", "exit 0, < 5 s", rc == 0 and took < 5)
    fig.add(S, "first supervisors left after TERM", len(left), "", "= 0", not left)


RUN = {"fastexit": fastexit, "supervise_kill": supervise_kill, "svscan_kill": svscan_kill,
       "logger_stop": logger_stop, "hostile": hostile, "many_restarts": many_restarts}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(SCENARIOS), help="scenarios to run, comma-separated")
    ap.add_argument("--seconds", type=float, help="duration of every scenario selected (default: its own)")
    ap.add_argument("--services", type=int, default=1000, help="many_restarts: services")
    ap.add_argument("--pairs", type=int, default=20, help="svscan_kill: services, each with a logger")
    ap.add_argument("--kills", type=int, default=3, help="supervise_kill: SIGKILLs of supervise")
    ap.add_argument("--rewrites", type=int, default=10000, help="supervise_kill: control letters written")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    only = args.only.split(",")
    for name in only:
        if name not in RUN:
            ap.error(f"no scenario {name}: {', '.join(SCENARIOS)}")
    for program in ("svscan", "supervise", "svc", "svstat", "svok", "multilog"):
        report.prepare(program)
    # What a killed supervise or svscan leaves running comes to us, to be killed and reaped.
    LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

    fig = Figures()
    root = tempfile.mkdtemp(prefix="bench-soak-", dir="/dev/shm")
    try:
        for name in only:
            seconds = SECONDS[name] if args.seconds is None or SECONDS[name] is None else args.seconds
            if isinstance(seconds, float) and seconds.is_integer():
                seconds = int(seconds)
            print(f"soak: {name}" + (f", {seconds} s" if seconds else ""), file=sys.stderr)
            soak = Soak(root, name)
            try:
                RUN[name](soak, fig, args, seconds)
            except Exception as e:
                traceback.print_exc()
                fig.add(name, "scenario ran to its end", f"{type(e).__name__}: {e}"[:60], "", "yes", False)
            finally:
                soak.cleanup()
    finally:
        left = sweep(root)
        reap_orphans()
        shutil.rmtree(root, ignore_errors=True)
    if left:
        fig.add("all", "processes left at the end", len(left), "", "= 0", False)
    print(report.made_line("soak.py" + (f" --only {args.only}" if args.only != ",".join(SCENARIOS) else "")))
    print(f"\nsoak of our suite ({', '.join(only)})")
    print(fig.table())
    if fig.notes:
        print()
        for n in fig.notes:
            print(f"{n['scenario']}: {n['note']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": fig.rows, "notes": fig.notes}, f, indent=1)
    sys.exit(1 if any(r["held"] is False for r in fig.rows) else 0)


if __name__ == "__main__":
    main()
