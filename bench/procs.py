"""What the bench scripts read from /proc about the processes they start,
and how they kill them: one copy for svscan_scale.py and soak.py."""

import os
import signal
import time


def proc_stat(pid):
    """(state, ppid, pgrp, utime + stime in ticks), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return rest[0], int(rest[1]), int(rest[2]), int(rest[11]) + int(rest[12])


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[0] not in "ZX"


def parent(pid):
    st = proc_stat(pid)
    return st[1] if st else None


def all_pids():
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


def readlink(path):
    try:
        return os.readlink(path)
    except OSError:
        return ""


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def rss_kib(pid):
    """VmRSS in KiB, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def tree_pids(root):
    """`root` and every live process descending from it."""
    children = {}
    for pid in all_pids():
        st = proc_stat(pid)
        if st and st[0] not in "ZX":
            children.setdefault(st[1], []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def kill_all(pids):
    """SIGKILLs `pids` until none is left (5 s at most)."""
    pids = set(pids)
    for _ in range(50):
        pids = {p for p in pids if alive(p)}
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)
