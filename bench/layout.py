#!/usr/bin/env python3
"""The order of functions in the executable: writes programs/symbol-order.txt,
which the executable is linked with (rust-lld's --symbol-ordering-file, set
by programs/build.rs), from the functions each program runs.

Every program is one executable, so a program's code is scattered among the
others' unless the linker is told otherwise; and the kernel maps an
executable's pages 64 KiB at a time, around each page touched. Scattered,
a chain-loader touched 16 such windows to start (36 page faults against 24
when it was an executable of its own), and each supervise and svscan mapped
nearly all of it. Listed here in the order first run, programs by
programs, the functions that run go first and together: what every start
runs, then the chain-loaders', the clients', supervise's loop, svscan's,
multilog's; the rest, never run in these scenarios, after them.

Each scenario runs an unstripped release build under valgrind's callgrind
(`--demangle=no`, for the symbol names the linker sees), in a temporary
directory on /dev/shm. Run it again when the programs change much (a symbol
no longer there is skipped; a new one goes with the rest):

    python3 bench/layout.py && cargo build --release
"""

import bisect
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER = os.path.join(ROOT, "programs", "symbol-order.txt")


def build():
    """A release build of the checkout with its symbols; its path. The
    symbols must be the release build's own: a change of profile (strip =
    false) changes the crates' hashes in the names, but a flag given in
    RUSTFLAGS does not, so the build is the release one, with .cargo's
    flags and `-C strip=none` after the profile's."""
    import tomllib
    with open(os.path.join(ROOT, ".cargo", "config.toml"), "rb") as f:
        flags = tomllib.load(f)["target"]["x86_64-unknown-linux-gnu"]["rustflags"]
    target = os.path.join(tempfile.gettempdir(), "daemontools-rs-layout")
    env = dict(os.environ, RUSTFLAGS=" ".join([*flags, "-C", "strip=none"]))
    subprocess.run(["cargo", "build", "--release", "--target-dir", target], cwd=ROOT, env=env, check=True)
    return os.path.join(target, "release", "daemontools-rs")


def executed(profile):
    """The mangled names of the functions a callgrind profile saw run, in its order."""
    names, order = {}, []
    with open(profile) as f:
        for line in f:
            m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
            if not m:
                continue
            kind, ident, name = m.groups()
            # Not a symbol: an address callgrind found no name for. A
            # recursion's own frames are NAME'2, NAME'3 ...
            if name and not name.startswith("0x"):
                names[ident] = re.sub(r"'\d+$", "", name)
            if kind == "fn" and ident not in order:
                order.append(ident)
    return [names[i] for i in order if i in names]


# Run at every start, but out of callgrind's sight: valgrind gives the
# program no vDSO (glibc's static start looks up its symbols), runs the init
# functions itself and has a processor of its own (strcmp's variant).
UNSEEN = [
    "_dl_new_object", "setup_vdso", "_dl_setup_hash", "_dl_lookup_symbol_x", "_dl_name_match_p",
    "_dl_vdso_vsym", "__strcmp_evex", "__memset_evex_unaligned_erms", "pthread_mutex_lock", "pthread_mutex_unlock",
    "frame_dummy", "register_tm_clones", "_init",
]


def touched_data(exe, argv, cwd):
    """The data symbols (read-only, initialized, zeroed) a run of `argv`
    reads or writes, from valgrind's lackey: so that a start's data shares
    a few pages too, instead of faulting in one page here and one there."""
    out = subprocess.run(["nm", "-n", "-S", "--defined-only", exe], capture_output=True, text=True, check=True).stdout
    data = [(int(a, 16), int(z, 16), n) for a, z, t, n in (line.split() for line in out.splitlines()
                                                             if len(line.split()) == 4) if t in "bBdDrRvV"]
    starts = [d[0] for d in data]
    trace = subprocess.run(["valgrind", "--tool=lackey", "--trace-mem=yes", "--log-fd=2", exe, *argv], cwd=cwd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True).stderr
    seen, names = set(), []
    for line in trace.splitlines():
        parts = line.split()
        if len(parts) != 2 or parts[0] not in ("L", "S", "M"):
            continue
        addr = int(parts[1].split(",")[0], 16)
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0 and addr < data[i][0] + max(data[i][1], 1) and data[i][2] not in seen:
            seen.add(data[i][2])
            names.append(data[i][2])
    return names


def symbols(exe):
    """The names of the executable's symbols."""
    out = subprocess.run(["nm", "--defined-only", exe], capture_output=True, text=True, check=True).stdout
    return [p[2] for p in (line.split() for line in out.splitlines()) if len(p) == 3]


def ordered(groups, names):
    """Every function the profiles saw run, once, in their order; within a
    group of profiles, the functions of each spread evenly among the
    others'. glibc picks one of its
    string functions' variants by the processor (`__memmove_avx_unaligned_erms`,
    `__strlen_evex`...), and valgrind's processor is not this one: a variant
    run brings its whole family."""
    seen, order = set(), []

    def add(name):
        if name not in seen:
            seen.add(name)
            order.append(name)
            family = re.match(r"^(__[a-z0-9]+?_)(sse|ssse|avx|evex|erms)", name)
            for other in sorted(n for n in names if family and n.startswith(family.group(1))):
                add(other)
    for group in groups:
        # Spread evenly: each profile's new functions by their place in its own list.
        lists = [[n for n in executed(profile) if n not in seen] for profile in group]
        spread = sorted((i / len(run), k, name) for k, run in enumerate(lists) for i, name in enumerate(run))
        for _, _, name in spread:
            add(name)
        for name in UNSEEN:
            add(name)
    return order


class Scenarios:
    def __init__(self, exe, work):
        self.exe, self.work, self.n = exe, work, 0
        # Profiles in groups: see `together`.
        self.groups = [[]]

    @property
    def profiles(self):
        return [p for g in self.groups for p in g]

    def together(self, on):
        """The profiles from here on (on), or until here (off), are one group."""
        self.groups.append([])
        self.joined = on

    def grind(self, program, args, stdin=None, during=None, seconds=None):
        """Runs `program args` (by the executable's name) under callgrind; `during(pid)`
        meanwhile, then TERM after `seconds` for one that runs on."""
        self.n += 1
        out = os.path.join(self.work, f"callgrind.{self.n}")
        cmd = ["valgrind", "--tool=callgrind", "--demangle=no", "--show-below-main=yes",
               f"--callgrind-out-file={out}", self.exe, program, *args]
        inp = open(stdin, "rb") if stdin else subprocess.DEVNULL
        p = subprocess.Popen(cmd, cwd=self.work, stdin=inp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        if during:
            during(p.pid)
        if seconds is not None:
            try:
                p.wait(seconds)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGTERM)
        p.wait(120)
        if os.path.exists(out):
            if not getattr(self, "joined", False):
                self.groups.append([])
            self.groups[-1].append(out)
        else:
            print(f"layout: no profile of {program} {' '.join(args)}", file=sys.stderr)

    def ours(self, program, *args):
        """Runs one of our programs natively (to drive the one profiled)."""
        return subprocess.run([self.exe, program, *args], cwd=self.work, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode


def run_all(s):
    w = s.work
    os.makedirs(os.path.join(w, "env"))
    for name, value in (("A", "1"), ("B", "two"), ("C", "")):
        with open(os.path.join(w, "env", name), "w") as f:
            f.write(value)
    account = "root" if os.geteuid() == 0 else "nobody"
    # What every start runs, then each chain-loader up to its exec (which fails: callgrind stops at an exec).
    for program, args in (("envdir", ["env"]), ("setuidgid", [account]), ("envuidgid", [account]),
                          ("softlimit", ["-m", "100000000", "-o", "100"]), ("pgrphack", []),
                          ("setlock", ["lock"]), ("fghack", [])):
        s.grind(program, [*args, "/nonexistent"])
    # The clients, against a supervise of our own.
    report.write_run(os.path.join(w, "a"), "exec sleep 1000")
    sup = subprocess.Popen([s.exe, "supervise", "a"], cwd=w, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        report.wait_for("supervise of a", lambda: s.ours("svok", "a") == 0, 30, 0.1)
        s.grind("svok", ["a"])
        s.grind("svstat", ["a"])
        s.grind("svstat", ["-j", "a"])
        s.grind("svc", ["-t", "a"])
        s.grind("svc", ["-wu", "-T", "5000", "a"])
        s.grind("svok", ["-U", "a"])
    finally:
        s.ours("svc", "-dx", "a")
        sup.wait(30)
    # supervise's loop and svscan's, one function of each in turn: then the
    # pages of svscan's code are among the pages every supervise maps, and
    # so not svscan's alone (a scanner's private memory is then its data).
    s.together(True)
    # supervise's loop: starts, a kill, down, up, a restart; then it exits.
    report.write_run(os.path.join(w, "b"), "echo started; exec sleep 1000")

    def drive(_pid):
        report.wait_for("supervise of b", lambda: s.ours("svok", "b") == 0, 30, 0.1)
        for letters in ("-t", "-d", "-u", "-k", "-t"):
            time.sleep(0.5)
            s.ours("svc", letters, "b")
        time.sleep(0.5)
        s.ours("svc", "-dx", "b")
    s.grind("supervise", ["b"], during=drive, seconds=60)
    # svscan: two services, one with a logger, a scan asked for, then its shutdown.
    scan = os.path.join(w, "scan")
    report.write_run(os.path.join(scan, "c"), "echo c; exec sleep 1000")
    report.write_run(os.path.join(scan, "d"), "exec 2>&1; echo d; exec sleep 1000")
    multilog = os.path.join(os.path.dirname(s.exe), "multilog")
    report.write_run(os.path.join(scan, "d", "log"), f"exec {multilog} t ./main")

    def shutdown(pid):
        log = os.path.join(scan, "d", "log")
        report.wait_for("supervise of d/log", lambda: s.ours("svok", log) == 0, 30, 0.1)
        time.sleep(1)
        s.ours("svscanctl", "-a", scan)
        time.sleep(1)
        os.kill(pid, signal.SIGTERM)
    s.grind("svscan", [scan], during=shutdown, seconds=60)
    s.together(False)
    # multilog, tai64n and tai64nlocal on some lines.
    lines = os.path.join(w, "lines")
    with open(lines, "w") as f:
        f.writelines(f"line {i} of the input\n" for i in range(2000))
    s.grind("multilog", ["t", "s4096", "n3", "./log"], stdin=lines)
    s.grind("tai64n", [], stdin=lines)
    labelled = os.path.join(w, "log", "current")
    s.grind("tai64nlocal", [], stdin=labelled if os.path.exists(labelled) else lines)
    s.grind("svscanctl", [scan])


def main():
    if not shutil.which("valgrind"):
        sys.exit("layout: valgrind is needed (apt-get install valgrind)")
    exe = build()
    # svscan's supervise and the logger's multilog, by their names beside the executable.
    report.link_programs(os.path.dirname(exe))
    work = tempfile.mkdtemp(prefix="layout-", dir="/dev/shm")
    try:
        s = Scenarios(exe, work)
        run_all(s)
        order = ordered(s.groups, symbols(exe))
        # The data of the short programs' starts: a chain-loader's and a client's.
        os.makedirs(os.path.join(work, "d"), exist_ok=True)
        for argv in (["softlimit", "-m", "100000000", "/nonexistent"], ["svok", "d"], ["svstat", "d"]):
            order += [n for n in touched_data(exe, argv, work) if n not in order]
    finally:
        # Whatever a scenario that failed left running (each supervise in a session of its own).
        report.kill_under(work)
        shutil.rmtree(work, ignore_errors=True)
    with open(ORDER, "w") as f:
        f.write("".join(f"{name}\n" for name in order))
    print(f"{ORDER}: {len(order)} symbols from {len(s.profiles)} profiles")


if __name__ == "__main__":
    main()
