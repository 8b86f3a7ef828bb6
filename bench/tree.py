#!/usr/bin/env python3
"""What `tree` (issue 20: the service's whole process tree in a cgroup of
its own) costs and gives, our supervise with and without it, in one run:

  restart after SIGKILL, and `svc -t` until the new pid runs, as
  restart.py measures them (a static C run; target: with `tree` at most
  1.2 times without)
  svc -d of a tree of --procs (100) processes (a shell starting sleeps),
  from `svc -d` until the cgroup holds no process (cgroup.events says
  `populated 0`); without `tree` only the main process goes, the rest stay,
  so that figure is given for `tree` alone

    cargo build --release && python3 bench/tree.py [--rounds 20] [--procs 100] [--json FILE] [--out FILE]

--out writes the table with its Made-by line (bench/tree-results.txt).

Needs a writable cgroup2 (root here); says so and stops otherwise.
Every process and cgroup made is removed.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time

import report
import restart

OURS = report.OURS


def restarts(rounds):
    """Median ms of both restart figures, ours without and with `tree`."""
    work = tempfile.mkdtemp(prefix="bench-tree-", dir="/dev/shm")
    services = []
    got = {how: {"ours": [], "ours+tree": []} for how in ("kill", "svc")}
    try:
        run = restart.build_run(work, False)
        services = [restart.Service("ours", work, run), restart.Service("ours+tree", work, run, files=["tree"])]
        for r in range(rounds):
            for how in ("kill", "svc"):
                time.sleep(max(max(s.since for s in services) + 1.1 - time.monotonic(), 0))
                for s in (services if r % 2 == 0 else services[::-1]):
                    got[how][s.system].append(s.measure(how) * 1000)
    finally:
        cgroups = [cgroup_of(s.dir) for s in services if os.path.exists(os.path.join(s.dir, "supervise/info"))]
        for s in services:
            s.close()
        for cg in cgroups:
            remove_cgroup(cg)
        shutil.rmtree(work, ignore_errors=True)
    return {how: {s: statistics.median(v) for s, v in d.items()} for how, d in got.items()}


def cgroup_of(service):
    """The cgroup supervise says the tree is in (supervise/info)."""
    for line in open(os.path.join(service, "supervise/info")):
        if line.startswith("tree cgroup "):
            return line[len("tree cgroup "):].strip()
    return None


def populated(cgroup):
    """Whether the cgroup holds a process (one removed holds none)."""
    try:
        with open(os.path.join(cgroup, "cgroup.events")) as f:
            return "populated 1" in f.read()
    except OSError:  # removed: ENOENT, or ENODEV while it goes
        return False


def remove_cgroup(cg):
    """Kills what is in the cgroup and removes it (a supervise killed cannot)."""
    if not cg or not os.path.exists(cg):
        return
    with open(os.path.join(cg, "cgroup.kill"), "w") as f:
        f.write("1")
    for _ in range(100):
        try:
            os.rmdir(cg)
            return
        except OSError:
            time.sleep(0.01)


def stop_tree(procs, rounds):
    """Median ms from `svc -d` until a tree of `procs` processes is gone."""
    times = []
    for _ in range(rounds):
        work = tempfile.mkdtemp(prefix="bench-tree-", dir="/dev/shm")
        service = os.path.join(work, "s")
        forks = f"i=1\nwhile [ $i -lt {procs} ]; do sleep 100000 & i=$((i+1)); done\nexec sleep 100000"
        report.write_run(service, forks)
        open(os.path.join(service, "tree"), "w").close()
        sup = subprocess.Popen([os.path.join(OURS, "supervise"), service], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 10
            cg = None
            while time.monotonic() < deadline:
                cg = cg or (os.path.exists(os.path.join(service, "supervise/info")) and cgroup_of(service))
                if cg and os.path.exists(cg):
                    with open(os.path.join(cg, "cgroup.procs")) as f:
                        if len(f.read().split()) >= procs:
                            break
                time.sleep(0.01)
            else:
                raise RuntimeError(f"no tree of {procs} processes within 10 s")
            t0 = time.monotonic()
            subprocess.run([os.path.join(OURS, "svc"), "-d", service], check=True)
            while populated(cg):
                if time.monotonic() > t0 + 10:
                    raise RuntimeError("the tree was not emptied within 10 s")
                time.sleep(0.0005)
            times.append((time.monotonic() - t0) * 1000)
            subprocess.run([os.path.join(OURS, "svc"), "-x", service], check=True)
            sup.wait(timeout=10)
        finally:
            if sup.poll() is None:
                sup.kill()
                sup.wait()
            remove_cgroup(cg)
            shutil.rmtree(work, ignore_errors=True)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--procs", type=int, default=100)
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--out", help="also write the table, with what made it, to this file")
    args = ap.parse_args()
    report.prepare("supervise")
    med = restarts(args.rounds)
    stop = stop_tree(args.procs, max(args.rounds // 4, 3))
    rows = [
        # "ours" is with `tree`, "no-tree" ours without: the ratio is what `tree` costs.
        report.row("restart after SIGKILL, with tree", "ms",
                   {"ours": med["kill"]["ours+tree"], "no-tree": med["kill"]["ours"]}, against="no-tree", target=1.2),
        report.row("svc -t until the new pid runs, with tree", "ms",
                   {"ours": med["svc"]["ours+tree"], "no-tree": med["svc"]["ours"]}, against="no-tree", target=1.2),
        report.row(f"svc -d of a tree of {args.procs} until empty", "ms", {"ours": stop}),
    ]
    head = f"tree: median of {args.rounds} rounds (restarts), {max(args.rounds // 4, 3)} (stops)"
    report.publish("tree.py", head, rows, args.json, args.out)


if __name__ == "__main__":
    main()
