"""What survives ``localcloud stop``, a crash or a reboot: one snapshot file, written atomically.

``.lab/localcloud/snapshot.bin`` holds, in one file (so the two always agree):

* a header (JSON): format version, moto and Python versions, when it was saved, and each
  engine's own small record (``Engine.snapshot()``: passwords and ports of the MariaDB servers,
  SSH host keys, ...);
* moto's whole state (``seam.state.dump()``: every backend, S3 bodies, the seeded id generator);
* a SHA-256 of everything before it.

The engines' bulky data stays where the engines keep it (MariaDB data folders, SSH homes under
``engines/<name>/``): a snapshot only says which of those belong to the state it describes.

When: at ``localcloud stop`` (after the last request, before the engines stop), and while the
daemon runs, shortly after every change (:class:`Snapshotter`: ``QUIET_S`` after the last
mutating call, at most ``MAX_DELAY_S`` after the first unsaved one, and ``IDLE_S`` after any
call at all, for what engines change in the background).  A crash (``kill -9``, power cut)
therefore loses at most the last couple of seconds.  Each write goes to a temporary file that
is fsynced and renamed over the old one, so a snapshot is either the old one or the new one,
never half of each.

Cost (``benchmarks/persistence.py``, 2 shared cores, series-sized state with three MariaDB
servers): a 2.7 MB snapshot saved in ~0.22 s; it grows with S3's bytes (+20 MB: 24 MB in ~0.35 s;
+100 MB: 108 MB in ~0.85 s), since every save writes the whole state again.  ``stop`` 4-6.5 s
(clean MariaDB shutdowns), ``start`` with the restore 8.5-11.5 s, of which the restore itself
(moto's state loaded, servers back) 2.7-3.7 s.

A snapshot that cannot be used (another format or moto version, a checksum that does not
match, a pickle that does not load) is moved aside (``snapshot.bin.unusable``) and localcloud
starts empty, saying why in ``localcloud status`` (``persistence.fresh_reason``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

log = logging.getLogger("localcloud.persistence")

FORMAT = 1  # bump when the file layout or an engine record changes incompatibly
MAGIC = b"LOCALCLOUD-SNAPSHOT\n"
FILE_NAME = "snapshot.bin"
QUIET_S = 0.5  # save this long after the last mutating call...
MAX_DELAY_S = 2.0  # ...but never later than this after the first unsaved one
IDLE_S = 5.0  # after read-only calls only (engines change things in the background meanwhile)
EXCLUSIVE_WAIT_S = 2.0  # how long a snapshot waits for moto calls in flight to finish
# A save that falls due while an engine is busy (an Athena query: a snapshot with much S3 data
# takes seconds of CPU, on the query's 2 cores) waits until it is not, at most this long: a
# kill -9 during a long query then loses at most these seconds.
BUSY_MAX_DELAY_S = 10.0
BUSY_POLL_S = 0.05

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup", "Search", "Select", "BatchGet", "Query", "Scan")


def is_mutating(operation: str | None, method: str) -> bool:
    """Could this call change state? (By AWS's naming; without an operation, by HTTP method.)"""
    if operation:
        return not operation.startswith(READ_PREFIXES)
    return method not in ("GET", "HEAD", "OPTIONS")


class UnusableSnapshot(Exception):
    """The snapshot exists but cannot be restored; the message says why, for the learner."""


@dataclass
class Snapshot:
    header: dict
    moto: bytes

    @property
    def engines(self) -> dict:
        return self.header.get("engines", {})


def versions() -> dict:
    from .seam import state

    return {"format": FORMAT, "moto": state.MOTO_VERSION, "python": f"{sys.version_info[0]}.{sys.version_info[1]}"}


def encode(engines: dict, moto: bytes) -> bytes:
    header = json.dumps({**versions(), "saved_at": time.time(), "engines": engines}).encode()
    body = MAGIC + len(header).to_bytes(8, "big") + header + len(moto).to_bytes(8, "big") + moto
    return body + hashlib.sha256(body).digest()


def decode(data: bytes) -> Snapshot:
    if not data.startswith(MAGIC):
        raise UnusableSnapshot("it is not a localcloud snapshot (or its first bytes are damaged)")
    body, digest = data[:-32], data[-32:]
    if len(data) < len(MAGIC) + 48 or hashlib.sha256(body).digest() != digest:
        raise UnusableSnapshot("it is damaged (its checksum does not match: a partial write or a disk error)")
    at = len(MAGIC)
    hlen = int.from_bytes(body[at : at + 8], "big")
    header = json.loads(body[at + 8 : at + 8 + hlen])
    at += 8 + hlen
    mlen = int.from_bytes(body[at : at + 8], "big")
    moto = body[at + 8 : at + 8 + mlen]
    now = versions()
    for key, what in (("format", "snapshot format"), ("moto", "moto version"), ("python", "Python version")):
        if header.get(key) != now[key]:
            raise UnusableSnapshot(
                f"it was saved with {what} {header.get(key)} and this localcloud uses {now[key]} "
                f"(saved state cannot move between versions)"
            )
    return Snapshot(header, moto)


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename over ``path``, fsync the folder."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # passwords inside: owner only
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class CallGuard:
    """Moto calls run side by side; a snapshot waits until those in flight are done.

    Reader-preferring with a bounded wait: a moto call that waits on another call (a synchronous
    Lambda trigger calling back) can hold the snapshot up for ``EXCLUSIVE_WAIT_S`` at most, never
    deadlock it; the snapshot then goes ahead (``seam.state`` retries a dict that changed under it).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self._exclusive = False

    @contextmanager
    def call(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._exclusive, EXCLUSIVE_WAIT_S)
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self, timeout: float = EXCLUSIVE_WAIT_S) -> Iterator[bool]:
        with self._cond:
            self._exclusive = True
            quiet = self._cond.wait_for(lambda: self._active == 0, timeout)
        try:
            yield quiet
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class SnapshotStats(TypedDict):
    snapshots: int
    last_bytes: int
    last_ms: float
    last_saved_at: float | None
    errors: int


@dataclass
class RestoreReport:
    """What a start did with the saved state: ``localcloud status`` shows it, ``lab.start()`` reads it."""

    state: str = "fresh"  # fresh | restored
    fresh_reason: str | None = None  # why a saved state was not used (None: there was none, or --fresh)
    saved_at: float | None = None
    restore_s: float | None = None
    services: list[str] = field(default_factory=list)
    lost: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seen: bool = False  # lab.start() has shown it once

    def lose(self, service: str, kind: str, ident: str, what: str, tags: dict | None = None) -> None:
        """Something the saved state had that this start could not bring back (and has removed)."""
        self.lost.append({"service": service, "kind": kind, "id": ident, "what": what, "tags": dict(tags or {})})
        log.warning("restore: %s %s %s: %s", service, kind, ident, what)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def as_dict(self) -> dict:
        return {
            "state": self.state,
            "fresh_reason": self.fresh_reason,
            "saved_at": self.saved_at,
            "restore_s": self.restore_s,
            "services": self.services,
            "lost": self.lost,
            "notes": self.notes,
            "seen": self.seen,
        }


class Snapshotter:
    """Saves the state shortly after changes, on a thread of its own (see the module docstring)."""

    def __init__(self, path: Path, take: Callable[[], bytes], busy: Callable[[], bool] | None = None) -> None:
        self.path = path
        self._take = take
        self._busy = busy or (lambda: False)
        self._cond = threading.Condition()
        self._first_change: float | None = None
        self._last_change = 0.0
        self._activity: float | None = None
        self._stopping = False
        self._paused = 0
        self._save_lock = threading.Lock()  # one save at a time; a reset holds it (paused)
        self.stats: SnapshotStats = {
            "snapshots": 0,
            "last_bytes": 0,
            "last_ms": 0.0,
            "last_saved_at": None,
            "errors": 0,
        }
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._loop, name="localcloud-snapshots", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def touched(self, mutating: bool) -> None:
        now = time.monotonic()
        with self._cond:
            if mutating:
                self._last_change = now
                if self._first_change is None:
                    self._first_change = now
            elif self._activity is None:
                self._activity = now
            self._cond.notify()

    def _due(self, now: float) -> float | None:
        """Seconds until the next save is due (0: now), or None when nothing is waiting."""
        waits = []
        if self._first_change is not None:
            waits.append(min(self._last_change + QUIET_S, self._first_change + MAX_DELAY_S) - now)
        if self._activity is not None:
            waits.append(self._activity + IDLE_S - now)
        return max(0.0, min(waits)) if waits else None

    def _loop(self) -> None:
        while True:
            with self._cond:
                deferred_since: float | None = None
                while not self._stopping:
                    now = time.monotonic()
                    due = self._due(now)
                    if due == 0 and not self._paused:
                        deferred_since = deferred_since if deferred_since is not None else now
                        if now - deferred_since >= BUSY_MAX_DELAY_S or not self._busy():
                            break
                        self._cond.wait(BUSY_POLL_S)  # an engine is busy: save when it is done
                        continue
                    self._cond.wait(None if due is None or self._paused else due)
                if self._stopping:
                    return
                self._first_change = self._activity = None
            self.save_now()

    def save_now(self) -> bool:
        t0 = time.perf_counter()
        try:
            with self._save_lock:
                data = self._take()
                write_atomically(self.path, data)
        except Exception as exc:  # keep serving; status shows the error, the next change retries
            self.stats["errors"] += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("snapshot failed")
            return False
        self.stats.update(
            {
                "snapshots": self.stats["snapshots"] + 1,
                "last_bytes": len(data),
                "last_ms": round((time.perf_counter() - t0) * 1000, 1),
                "last_saved_at": time.time(),
            }
        )
        self.last_error = None
        return True

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No save while the state is being replaced (reset); one is due right after."""
        with self._cond:
            self._paused += 1
        try:
            with self._save_lock:
                yield
        finally:
            with self._cond:
                self._paused -= 1
                self._first_change = self._first_change or time.monotonic()
                self._last_change = time.monotonic()
                self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(30)

    def status(self) -> dict:
        with self._cond:  # a save is due (changes or activity not saved yet) or being written
            pending = self._first_change is not None or self._activity is not None or self._save_lock.locked()
        return {"file": str(self.path), **self.stats, "last_error": self.last_error, "pending": pending}
