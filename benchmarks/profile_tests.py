"""Where the unit tests spend their time: wall, CPU of the whole process tree, slowest tests.

Runs ``python -m pytest <args>`` (default ``tests/ -q``) as a child of this process, which makes
itself a subreaper (as ``nbval_series.py`` does), so localcloud daemons, MariaDB, PostgreSQL, Spark
and kernels the tests start stay in its tree: their CPU time is counted when they end, and the
tree's resident memory is sampled every 0.2 s. Prints pytest's slowest tests (``--durations``),
grouped by test file too, and

* wall time, CPU time of the tree (user + system) and their ratio: the average number of busy
  cores. Well under the core count means the tests mostly wait (process starts, polls, sleeps),
  and running them side by side (pytest-xdist ``-n``) overlaps the waiting;
* the load average before and after: other work on the machine slows every number here.

    .venv/bin/python benchmarks/profile_tests.py [--top 30] [--out FILE] [pytest args...]
    .venv/bin/python benchmarks/profile_tests.py -- tests/ -q -n 2 --dist loadfile
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import nbval_series as ns  # noqa: E402

REPO = HERE.parent
DURATION = re.compile(r"^\s*([\d.]+)s (setup|call|teardown)\s+(\S+)$")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--out", type=Path, help="also write pytest's whole output here (tracebacks of failures)")
    ap.add_argument("pytest_args", nargs="*", default=["tests/", "-q"])
    args = ap.parse_args()
    subreaper = ns._become_subreaper()
    cmd = [sys.executable, "-m", "pytest", *args.pytest_args, "-rfE", "--durations=0", "--durations-min=0.5"]
    load0 = os.getloadavg()
    print("running:", " ".join(cmd[2:]), f"({os.cpu_count()} cores, load average {load0[0]:.1f})", flush=True)
    me, peak, done = os.getpid(), {"bytes": 0}, threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak["bytes"] = max(peak["bytes"], sum(ns._rss_bytes(p) for p in ns._tree(me)))
            done.wait(ns.SAMPLE_S)

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    threading.Thread(target=sample, daemon=True).start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    if args.out:
        args.out.write_text(out)
    deadline = time.monotonic() + 30
    while ns._tree(me) and time.monotonic() < deadline:
        ns._reap_orphans()
        time.sleep(0.1)
    ns._reap_orphans()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ru.ru_utime + ru.ru_stime

    rows = []
    for line in out.splitlines():
        m = DURATION.match(line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3)))
    summary = [ln for ln in out.splitlines() if re.search(r"\d+ (passed|failed|error)", ln)]
    print("pytest said:", *(summary[-1:] or out.strip().splitlines()[-3:]))
    for line in out.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            print("  " + line)
    print(f"\nslowest {args.top} test phases (seconds):")
    for secs, when, nodeid in sorted(rows, reverse=True)[: args.top]:
        print(f"  {secs:7.1f}  {when:8} {nodeid}")
    by_file: dict[str, float] = defaultdict(float)
    for secs, _, nodeid in rows:
        by_file[nodeid.split("::")[0]] += secs
    print("\nby test file (phases over 0.5 s, summed):")
    for f, secs in sorted(by_file.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"  {secs:7.1f}  {f}")
    load1 = os.getloadavg()
    print(
        f"\nwall {wall:.0f} s; CPU of the process tree {cpu:.0f} s = {cpu / wall:.2f} busy cores on average "
        f"(of {os.cpu_count()}){'' if subreaper else ' (not a subreaper: detached daemons not counted)'}; "
        f"peak RSS of the tree {peak['bytes'] / 2**20:.0f} MiB; load average {load0[0]:.1f} before, "
        f"{load1[0]:.1f} after (1 min)"
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
