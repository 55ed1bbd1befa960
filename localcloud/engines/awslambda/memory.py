"""A function's ``MemorySize``, enforced on its worker: over the limit, the worker is killed.

Lambda runs a function in a sandbox of ``MemorySize`` MB; a function that needs more is killed by
the kernel (``Runtime exited with error: signal: killed``, error type ``Runtime.OutOfMemory``, and
``Max Memory Used`` equal to ``Memory Size`` in the REPORT line).

**Mechanism: an RSS watchdog.**  RLIMIT_AS is wrong for Python: it limits *virtual* memory, which a
Python process with boto3 loaded already has hundreds of MB of (arenas, thread stacks, mapped
libraries) without using them, so small functions would fail at import and a 1 GB limit would
still allow much less.  A cgroup v2 memory limit would be the kernel's own, exact answer, but needs a
delegated cgroup: it is not there for an unprivileged user on most laptops, nor on hosts (such as
this project's CI and development machines) that run cgroup v1 with an empty unified hierarchy.
So one thread measures the resident memory (RSS) of every busy worker and of the processes its
handler started, every :data:`INTERVAL_S`, and kills them all (SIGKILL) when the sum passes
``MemorySize``.  The price: an allocation can overshoot the limit by what a process allocates in
one interval before it is killed (a limit, not a guarantee), and a process that frees memory just
in time between two looks is not caught.  Linux only (``/proc``); elsewhere memory is not limited
and ``status()`` says so.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path

log = logging.getLogger("localcloud.lambda")

INTERVAL_S = 0.02
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
AVAILABLE = Path("/proc/self/statm").exists()


def _children(pid: int) -> list[int]:
    kids = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                kids += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    except OSError:
        pass
    return kids


def tree_rss_mb(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in MB (0 when it is gone)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            continue
        todo += _children(p)
    return total // (1024 * 1024)


class Watched:
    """What the watchdog knows of one worker while it is watched."""

    def __init__(self, pid: int, limit_mb: int) -> None:
        self.pid, self.limit_mb = pid, limit_mb
        self.peak_mb = 0
        self.killed = False  # killed for going over the limit


class MemoryWatch:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: dict[int, Watched] = {}
        self._wake = threading.Event()
        self._closed = False
        if AVAILABLE:
            threading.Thread(target=self._loop, name="lambda-memory-watch", daemon=True).start()

    def watch(self, pid: int, limit_mb: int) -> Watched:
        w = Watched(pid, limit_mb)
        with self._lock:
            self._watched[pid] = w
        self._wake.set()
        return w

    def unwatch(self, w: Watched) -> None:
        with self._lock:
            if self._watched.get(w.pid) is w:
                del self._watched[w.pid]

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    def _loop(self) -> None:
        while not self._closed:
            with self._lock:
                watched = list(self._watched.values())
            if not watched:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            for w in watched:
                rss = tree_rss_mb(w.pid)
                w.peak_mb = max(w.peak_mb, rss)
                if rss > w.limit_mb and not w.killed:
                    w.killed = True
                    log.info(
                        "lambda worker %s used %d MB of its %d MB: killed (Runtime.OutOfMemory)", w.pid, rss, w.limit_mb
                    )
                    self._kill(w.pid)
            time.sleep(INTERVAL_S)

    @staticmethod
    def _kill(pid: int) -> None:
        """SIGKILL the worker and what its handler started (as the kernel's OOM kill of a sandbox)."""
        for p in [pid, *_descendants(pid)]:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass


def _descendants(pid: int) -> list[int]:
    out, todo = [], _children(pid)
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out
