"""Wall time and peak memory of the whole notebook series under nbval.

Runs, from the repository root,

    python -m pytest --nbval notebooks/ --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -q

as a subprocess (conftest.py gives it its own fresh localcloud) and reports:

* wall time of the whole run;
* peak RSS of the process tree: every 0.2 s the RSS of all descendants (pytest, the Jupyter
  kernel, localcloud and whatever it started) is read from /proc and summed; the largest sum
  is reported.  This script makes itself a child subreaper (Linux), so the localcloud daemon,
  which `start` detaches into its own session, stays in the tree and is counted;
* ru_maxrss of RUSAGE_CHILDREN: the largest peak RSS of any single waited-for descendant
  (the kernel keeps a maximum, not a sum).

    .venv/bin/python benchmarks/nbval_series.py [extra pytest args...]
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 60.0
SAMPLE_S = 0.2
PAGE = os.sysconf("SC_PAGE_SIZE")
PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> bool:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _parents() -> dict[int, int]:
    ppid = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid[int(entry)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    return ppid


def _tree(root: int) -> set[int]:
    ppid = _parents()
    kids: dict[int, list[int]] = {}
    for pid, parent in ppid.items():
        kids.setdefault(parent, []).append(pid)
    out, todo = set(), list(kids.get(root, []))
    while todo:
        pid = todo.pop()
        if pid not in out:
            out.add(pid)
            todo.extend(kids.get(pid, []))
    return out


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of ``pid`` so far (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _reap_orphans() -> None:
    """As a subreaper, collect descendants that were re-parented to us and have exited."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run_sampled(cmd: list[str], env: dict | None = None, role=None):
    """Run ``cmd`` (in the repo) while sampling the RSS of our whole process tree every SAMPLE_S.

    Returns (wall seconds, output, exit code, peak, rusage of every reaped descendant); ``peak``
    has ``bytes`` and ``procs`` at the peak, and ``by`` (bytes per ``role(pid)``) when given, and
    ``cpu_by``: CPU seconds per role, as last sampled (a process living < SAMPLE_S is missed).
    Call ``_become_subreaper()`` first, or the detached localcloud daemon is not counted.
    """
    me, done = os.getpid(), threading.Event()
    peak: dict = {"bytes": 0, "procs": 0, "by": {}, "cpu_by": {}}
    cpu_seen: dict[int, tuple[str, float]] = {}  # pid -> (role, CPU seconds at its last sample)

    def sample() -> None:
        while not done.is_set():
            pids = _tree(me)
            sizes = {p: _rss_bytes(p) for p in pids}
            for p in pids if role else ():
                if (cpu := _cpu_seconds(p)) is not None:
                    cpu_seen[p] = (cpu_seen[p][0] if p in cpu_seen else role(p), cpu)
            total = sum(sizes.values())
            if total > peak["bytes"]:
                by: dict[str, int] = {}
                for p, size in sizes.items() if role else ():
                    by[role(p)] = by.get(role(p), 0) + size
                peak.update(bytes=total, procs=len(pids), by=by)
            done.wait(SAMPLE_S)

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join(5)
    # localcloud (re-parented to us) may still be shutting down; wait for it before reading rusage.
    deadline = time.monotonic() + 20
    while _tree(me) and time.monotonic() < deadline:
        _reap_orphans()
        time.sleep(0.1)
    _reap_orphans()
    for r, cpu in cpu_seen.values():
        peak["cpu_by"][r] = peak["cpu_by"].get(r, 0.0) + cpu
    return wall, out, proc.returncode, peak, resource.getrusage(resource.RUSAGE_CHILDREN)


def main() -> int:
    subreaper = _become_subreaper()
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval",
        "notebooks/",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        "tests/nbval_sanitize.cfg",
        "-q",
        *sys.argv[1:],
    ]
    print("running:", " ".join(cmd[2:]), f"(cwd {REPO}, {os.cpu_count()} cores)", flush=True)
    wall, out, code, peak, ru = run_sampled(cmd)

    tail = out.strip().splitlines()[-3:]
    print("pytest said:", *("  " + ln for ln in tail), sep="\n")
    print(f"exit code {code}")
    print(
        f"wall time: {wall:.1f} s   (target <= {TARGET_S:.0f} s for the whole series: "
        f"{'met' if wall <= TARGET_S else 'NOT met'})"
    )
    print(
        f"peak RSS of the process tree (sum, sampled every {SAMPLE_S} s): {peak['bytes'] / 2**20:.0f} MiB "
        f"over {peak['procs']} processes" + ("" if subreaper else " (not a subreaper: localcloud not counted)")
    )
    print(f"largest single-process peak RSS (RUSAGE_CHILDREN ru_maxrss): {ru.ru_maxrss / 1024:.0f} MiB")
    return code


if __name__ == "__main__":
    sys.exit(main())
