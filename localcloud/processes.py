"""Child processes of the daemon (MariaDB servers, workers...) that can never outlive it.

Every child is started with PR_SET_PDEATHSIG, so the kernel kills it if the daemon
dies (even by SIGKILL).  That signal fires when the *thread* that forked the child
exits, so all forks happen on one long-lived spawner thread, never on a request thread.
The daemon is also a process-group leader: ``localcloud stop`` kills the group as a
last resort.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import subprocess
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the process-group kill still applies
        pass


@dataclass
class Child:
    name: str
    popen: subprocess.Popen[bytes]
    owner: str = ""  # engine name
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None


class Supervisor:
    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._children: list[Child] = []
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._spawner, name="localcloud-spawner", daemon=True)
        self._thread.start()

    def _spawner(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            argv, kwargs, fut = job
            try:
                fut.set_result(subprocess.Popen(argv, preexec_fn=_die_with_parent, **kwargs))
            except BaseException as exc:  # report to the caller, keep the thread alive
                fut.set_exception(exc)

    def spawn(self, argv: list[str], name: str, owner: str = "", **popen_kwargs: Any) -> Child:
        if self._closed:
            raise RuntimeError("localcloud is stopping: no new processes")
        popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
        fut: Future = Future()
        self._jobs.put((argv, popen_kwargs, fut))
        child = Child(name=name, popen=fut.result(), owner=owner)
        with self._lock:
            self._children.append(child)
        return child

    def children(self, owner: str | None = None) -> list[Child]:
        with self._lock:
            self._children = [c for c in self._children if c.alive()]
            return [c for c in self._children if owner is None or c.owner == owner]

    def terminate(self, child: Child, timeout: float = 5.0) -> None:
        if child.alive():
            child.popen.terminate()
            try:
                child.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                child.popen.kill()
                child.popen.wait()
        with self._lock:
            if child in self._children:
                self._children.remove(child)

    def stop_all(self, owner: str | None = None, timeout: float = 5.0) -> None:
        kids = self.children(owner)
        for c in kids:
            if c.alive():
                c.popen.terminate()
        for c in kids:
            self.terminate(c, timeout)

    def close(self) -> None:
        self._closed = True
        self.stop_all()
        self._jobs.put(None)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still "exists"; treat it as dead.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
