#!/usr/bin/env python3
"""The operator's view (issue 23): `svstat -l` over --services (1,000)
services that our svscan runs, against `supervisorctl status` over as many
programs that supervisord runs (Debian's supervisor package), in one run.
Each figure is the median wall time of --rounds runs of the command, from
its start until it has written its whole answer; `svstat -p` and plain
`svstat` over the same services beside it.

Target: svstat -l under 50 ms (it reads /proc once per service).

    cargo build --release && python3 bench/operator.py [--services 1000] [--rounds 20] [--out FILE]

--out writes the table with its Made-by line (bench/operator-results.txt).
Every process and file made is removed, even on failure.
"""

import argparse
import glob
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

import report

OURS = report.OURS


def timed(argv, rounds):
    """Median ms of `rounds` runs of argv, its output read whole."""
    times = []
    for _ in range(rounds):
        t0 = time.monotonic()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append((time.monotonic() - t0) * 1000)
    return statistics.median(times)


def ours(work, n, rounds):
    """svstat -l, -p and plain over n services under our svscan."""
    scan = os.path.join(work, "service")
    os.mkdir(scan)
    for i in range(n):
        report.write_run(os.path.join(scan, f"s{i:04d}"), "exec sleep 100000")
    svscan = subprocess.Popen([os.path.join(OURS, "svscan"), scan], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    dirs = sorted(glob.glob(os.path.join(scan, "s*")))
    try:
        def all_up():
            out = subprocess.run([os.path.join(OURS, "svstat"), *dirs], capture_output=True, text=True).stdout
            return out.count(": up (pid ") == n
        report.wait_for(f"{n} services up", all_up, 120, 0.1)
        svstat = os.path.join(OURS, "svstat")
        lines = subprocess.run([svstat, "-l", *dirs], capture_output=True, text=True).stdout.splitlines()
        assert len(lines) == n + 1 and all(" up " in l for l in lines[1:]), lines[:3]
        return {
            "-l": timed([svstat, "-l", *dirs], rounds),
            "-p": timed([svstat, "-p", *dirs], rounds),
            "plain": timed([svstat, *dirs], rounds),
        }
    finally:
        svscan.send_signal(signal.SIGTERM)
        try:
            svscan.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(svscan.pid, signal.SIGKILL)
            svscan.wait()
        # Whatever its shutdown left, or all of it if svscan died: each
        # supervise is in a session of its own, out of reach of the killpg.
        report.kill_under(scan)


def theirs(work, n, rounds):
    """supervisorctl status over n programs under supervisord."""
    conf = os.path.join(work, "supervisord.conf")
    sock = os.path.join(work, "supervisor.sock")
    with open(conf, "w") as f:
        f.write(f"[unix_http_server]\nfile={sock}\n\n"
                f"[supervisord]\nlogfile={work}/supervisord.log\npidfile={work}/supervisord.pid\n"
                f"childlogdir={work}\nnodaemon=true\nminfds=4096\n\n"
                "[rpcinterface:supervisor]\n"
                "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
                f"[supervisorctl]\nserverurl=unix://{sock}\n\n")
        for i in range(n):
            f.write(f"[program:p{i:04d}]\ncommand=sleep 100000\nstartsecs=0\n"
                    "stdout_logfile=NONE\nstderr_logfile=NONE\n\n")
    sd = subprocess.Popen(["supervisord", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          start_new_session=True)
    ctl = ["supervisorctl", "-c", conf, "status"]
    try:
        def all_running():
            out = subprocess.run(ctl, capture_output=True, text=True).stdout
            return out.count(" RUNNING ") == n
        report.wait_for(f"{n} supervisord programs running", all_running, 300, 0.1)
        return timed(ctl, rounds)
    finally:
        subprocess.run(["supervisorctl", "-c", conf, "shutdown"], capture_output=True)
        try:
            sd.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(sd.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        sd.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--out", help="also write the table, with what made it, to this file")
    args = ap.parse_args()
    report.prepare("svstat")
    if not shutil.which("supervisorctl"):
        raise SystemExit("bench: supervisorctl is missing (apt-get install supervisor, or sh .ci/deps)")
    work = tempfile.mkdtemp(prefix="bench-operator-", dir="/dev/shm")
    try:
        mine = ours(work, args.services, args.rounds)
        sup = theirs(work, args.services, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = args.services
    rows = [
        # "limit" is the target itself: the ratio is how much of it is used.
        report.row(f"svstat -l of {n} services", "ms", {"ours": mine["-l"], "limit": 50.0},
                   against="limit", target=1.0),
        report.row(f"svstat -l against supervisorctl status", "ms",
                   {"ours": mine["-l"], "supervisord": sup}, against="supervisord"),
        report.row(f"svstat -p of {n} services", "ms", {"ours": mine["-p"]}),
        report.row(f"plain svstat of {n} services", "ms", {"ours": mine["plain"]}),
    ]
    head = f"operator: median of {args.rounds} runs over {n} services (ours) and {n} programs (supervisord)"
    report.publish("operator.py", head, rows, args.json, args.out)


if __name__ == "__main__":
    main()
