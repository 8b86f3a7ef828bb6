"""Shared by the bench scripts: one figure is a row of medians, one per
system, with our ratio to what the target names and whether it is met.

A row is a dict:
  metric   what is measured ("restart after SIGKILL")
  unit     of the values ("ms")
  values   {system: median}, "ours" among them
  against  what our ratio is taken to: "best" (the best peer: lowest, or
           highest when `higher` is set), or a system's name
  target   the ratio to meet, or None for a figure only reported
  higher   True when higher values are better (throughput)
"""

import json
import os
import signal
import sys
import time

PEERS = ("daemontools", "runit", "s6")
OURS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "target", "release")
# The one executable; every program's name in OURS is a symbolic link to it.
MULTICALL = "daemontools-rs"


def link_programs(directory=OURS):
    """Makes each program's name in `directory` a symbolic link to the one
    executable there, as `make` and `make install` do, in place of whatever
    an older build left under that name; the names are the executable's own
    (`daemontools-rs --list`). Does nothing where it is not built."""
    import subprocess
    exe = os.path.join(directory, MULTICALL)
    if not os.path.isfile(exe):
        return
    names = subprocess.run([exe, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for name in names:
        path = os.path.join(directory, name)
        if os.path.islink(path) and os.readlink(path) == MULTICALL:
            continue
        new = f"{path}.new.{os.getpid()}"
        os.symlink(MULTICALL, new)
        os.replace(new, path)


# Every script here runs our programs by their names in OURS.
link_programs()

# One supervisor on service directory d, for each system.
SUPERVISOR = {
    "ours": lambda d: [os.path.join(OURS, "supervise"), d],
    "daemontools": lambda d: ["/usr/bin/supervise", d],
    "runit": lambda d: ["/usr/bin/runsv", d],
    "s6": lambda d: ["/usr/bin/s6-supervise", d],
}


def build():
    """The commit the programs were built from, `+changes` when the tree differed from it."""
    import subprocess
    # Pathspecs are taken from the top of the checkout, so that a change
    # anywhere in it counts and a run's own files are the ones left out.
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def git(*a):
        r = subprocess.run(["git", "-C", top, *a], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""
    commit = git("rev-parse", "--short", "HEAD") or "an unknown commit"
    # What a run itself writes does not make the build dirty.
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results.md",
                  ":!bench/results.svg", ":!bench/*-results.txt")
    return commit + ("+changes" if changed else "")


def made_line(script, minutes=None):
    """`Made by ... on DATE UTC, N CPUs, Linux R, release build of COMMIT`: the first line of a stored result."""
    import datetime
    import platform
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    took = f", in {minutes:.1f} minutes" if minutes is not None else ""
    return (f"Made by `python3 bench/{script}` on {stamp}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
            f"release build of {build()}{took}.")


def prepare(program):
    """Exits unless our `program` is built; makes SIGINT and SIGTERM end a
    run through its clean-up (run in the background, SIGINT may come ignored)."""
    if not os.path.exists(os.path.join(OURS, MULTICALL)) or not os.path.exists(os.path.join(OURS, program)):
        sys.exit("bench: build first: cargo build --release")
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.default_int_handler)


def build_c(work, name, source, defines=()):
    """A static C program `name` built in `work` from `source` with gcc: its path."""
    import subprocess
    src, path = os.path.join(work, name + ".c"), os.path.join(work, name)
    with open(src, "w") as f:
        f.write(source)
    subprocess.run(["gcc", "-O2", "-static", *defines, "-o", path, src], check=True)
    return path


def write_run(directory, body):
    """Makes `directory` (if need be) and in it an executable `run`, "#!/bin/sh",
    `body` and a newline: the script every plain service here has. Its path."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "run")
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\n{body}\n")
    os.chmod(path, 0o755)
    return path


def wait_for(what, cond, timeout, step=0.05):
    """Polls `cond` until it returns something true, and returns that; RuntimeError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout} s")
        time.sleep(step)


def kill_under(top):
    """SIGKILL to every process working in `top`: a supervisor and its
    service work in the service's directory, a scanner in the one it scans,
    and each supervise has a session of its own, out of reach of a killpg."""
    top = os.path.realpath(top)
    for _ in range(3):
        found = False
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                continue
            if cwd == top or cwd.startswith(top + "/"):
                try:
                    os.kill(int(pid), signal.SIGKILL)
                    found = True
                except ProcessLookupError:
                    pass
        if not found:
            return
        time.sleep(0.05)


def row(metric, unit, values, against="best", target=None, higher=False):
    return {"metric": metric, "unit": unit, "values": values, "against": against,
            "target": target, "higher": higher}


def base_of(r):
    """(name, value) of what our ratio is taken to."""
    vals = {s: v for s, v in r["values"].items() if v is not None}
    if r["against"] != "best":
        return r["against"], vals.get(r["against"])
    peers = {s: v for s, v in vals.items() if s in PEERS and (v > 0 or r["higher"])}
    if not peers:
        return None, None
    pick = max if r["higher"] else min
    name = pick(peers, key=peers.get)
    return name, peers[name]


def ratio(r):
    ours = r["values"].get("ours")
    _, base = base_of(r)
    if ours is None or not base:
        return None
    return ours / base


def met(r):
    """True or False against the target; None when there is none (or no ratio)."""
    q = ratio(r)
    if r["target"] is None or q is None:
        return None
    return q >= r["target"] if r["higher"] else q <= r["target"]


def fmt(v):
    if v is None:
        return "-"
    return f"{v:.3f}" if abs(v) < 10 else f"{v:.0f}"


def table(rows, systems=("ours",) + PEERS):
    """Plain-text table: one line per row, our ratio, the target and whether met."""
    extra = sorted({s for r in rows for s in r["values"]} - set(systems))
    cols = list(systems) + extra
    head = f"{'metric':<40} {'unit':<9}" + "".join(f"{s:>12}" for s in cols) + f"{'ratio':>8}  {'target':<16}"
    lines = [head]
    for r in rows:
        name, _ = base_of(r)
        q = ratio(r)
        sign = ">=" if r["higher"] else "<="
        target = "-" if r["target"] is None else f"{sign} {r['target']:.2g} x {name}"
        verdict = {True: "met", False: "MISSED", None: ""}[met(r)]
        lines.append(f"{r['metric']:<40} {r['unit']:<9}" + "".join(f"{fmt(r['values'].get(s)):>12}" for s in cols)
                     + f"{fmt(q):>8}  {target:<16} {verdict}")
    return "\n".join(lines)


def emit(rows, json_path=None):
    """Prints the table; writes the rows as JSON too when asked (for bench/all.py)."""
    print(table(rows))
    if json_path:
        with open(json_path, "w") as f:
            json.dump(rows, f)


def publish(script, head, rows, json_path=None, out=None):
    """Prints `head` and the table (and the JSON rows when asked); with
    `out`, writes them to that file under `script`'s Made-by line."""
    print(head)
    emit(rows, json_path)
    if out:
        with open(out, "w") as f:
            f.write(f"{made_line(script)}\n\n{head}\n{table(rows)}\n")
