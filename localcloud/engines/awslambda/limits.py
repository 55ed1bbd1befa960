"""Lambda's concurrency limits, and the queue asynchronous invocations wait in.

**Concurrency.**  An account has a concurrency limit (``GetAccountSettings``:
``AccountLimit.ConcurrentExecutions``); a function with *reserved concurrency*
(``PutFunctionConcurrency``) runs at most that many at once, from a share set aside for it; the
others share what is left (``UnreservedConcurrentExecutions``).  A synchronous invocation beyond
its limit is refused at once: ``TooManyRequestsException`` (429) with ``Reason``
``ReservedFunctionConcurrentInvocationLimitExceeded`` or ``ConcurrentInvocationLimitExceeded``.

localcloud's account limit is **10** — what AWS gives a new account (and, as on such an account,
no concurrency can be reserved but 0: Lambda keeps at least ``min(100, limit)`` unreserved).  It is
also a sensible number of Python processes for a laptop.  ``LOCALCLOUD_LAMBDA_CONCURRENCY`` sets
another account limit (1000 is AWS's default quota); whatever it says, no more than
:data:`WORKER_CAP` execution environments run on this machine at once: invocations beyond that
wait for one (``pool.Pool``).

**Asynchronous invocations** (``InvocationType=Event``, S3 and SNS events) are queued, never
refused for concurrency: a throttled event waits and is tried again (backing off up to a minute)
until it is older than the function's ``MaximumEventAgeInSeconds`` (6 hours by default); an event
whose invocation fails (a function error, a timeout, out of memory) is retried
``MaximumRetryAttempts`` times (2 by default), one minute before the first retry and two before
the second, as Lambda does (developer guide, "How Lambda handles errors and retries with
asynchronous invocation", read 2026-11-30).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("localcloud.lambda")

DEFAULT_ACCOUNT_CONCURRENCY = 10  # a new AWS account's "Concurrent executions" quota
WORKER_CAP = 10  # execution environments (worker processes) running at once on this machine
RESERVED = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT = "ConcurrentInvocationLimitExceeded"
RETRY_DELAYS_S = (60.0, 120.0)  # before the first and the second retry of a failed async event
DEFAULT_MAX_EVENT_AGE_S = 21600
DEFAULT_MAX_RETRIES = 2
THROTTLE_BACKOFF_S = (1.0, 60.0)  # first and longest wait before a throttled event is tried again


def account_concurrency() -> int:
    value = os.environ.get("LOCALCLOUD_LAMBDA_CONCURRENCY", "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else DEFAULT_ACCOUNT_CONCURRENCY


@dataclass
class Slot:
    """One admitted invocation; ``release()`` when it ends (idempotent)."""

    name: str
    reserved: bool
    _owner: Concurrency
    _done: bool = False

    def release(self) -> None:
        if not self._done:
            self._done = True
            self._owner._release(self)


class Concurrency:
    """Invocations in flight, per function and in the account's unreserved pool."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._per_function: dict[str, int] = {}
        self._unreserved = 0

    @property
    def min_unreserved(self) -> int:
        return min(100, self.limit)

    def acquire(self, name: str, reserved: int | None, reserved_total: int) -> Slot | str:
        """A slot, or the ``Reason`` AWS gives when this invocation is throttled."""
        with self._lock:
            running = self._per_function.get(name, 0)
            if reserved is not None:
                if running >= reserved:
                    return RESERVED
            elif self._unreserved >= self.limit - reserved_total:
                return ACCOUNT
            else:
                self._unreserved += 1
            self._per_function[name] = running + 1
            return Slot(name, reserved is not None, self)

    def _release(self, slot: Slot) -> None:
        with self._lock:
            self._per_function[slot.name] = max(0, self._per_function.get(slot.name, 0) - 1)
            if not slot.reserved:
                self._unreserved = max(0, self._unreserved - 1)

    def in_flight(self, name: str | None = None) -> int:
        with self._lock:
            return sum(self._per_function.values()) if name is None else self._per_function.get(name, 0)


@dataclass(order=True)
class Pending:
    """An asynchronous event waiting for its (next) attempt."""

    due: float
    seq: int
    fn_name: str = field(compare=False)
    region: str = field(compare=False)
    qualifier: str | None = field(compare=False)
    event: object = field(compare=False)
    source: str = field(compare=False)
    received: float = field(compare=False, default_factory=time.monotonic)
    attempt: int = field(compare=False, default=0)  # invocations already made
    throttles: int = field(compare=False, default=0)
    outcome: dict[str, Any] | None = field(compare=False, default=None)  # the last attempt's answer (destinations)


class AsyncQueue:
    """Lambda's internal queue for asynchronous events: one dispatcher thread, at most
    ``workers`` invocations running, throttled events retried with backoff, failed ones per the
    function's retry settings.

    ``admit(pending)`` returns ``(run, slot)`` when the event may run now, ``None`` when the
    function is gone (the event is dropped), or the throttle reason; ``run()`` returns True when
    the invocation succeeded.  ``settings(pending)`` gives ``(max_retries, max_age_s)``;
    ``drop(pending, why, condition)`` is told of an event given up (``condition``: AWS's
    ``RetriesExhausted`` or ``EventAgeExceeded``, as in an invocation record).
    """

    def __init__(
        self,
        admit: Callable[[Pending], tuple[Callable[[], bool], Slot] | str | None],
        settings: Callable[[Pending], tuple[int, float]],
        drop: Callable[[Pending, str, str], None],
        workers: int = WORKER_CAP,
    ) -> None:
        self._admit, self._settings, self._drop = admit, settings, drop
        self._heap: list[Pending] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._running = 0
        self._workers = workers
        self._closed = False
        self.counts = {"queued": 0, "throttled": 0, "retried": 0, "dropped": 0}
        threading.Thread(target=self._dispatch, name="lambda-async-queue", daemon=True).start()

    def put(self, fn_name: str, region: str, qualifier: str | None, event: object, source: str) -> None:
        with self._cond:
            if self._closed:
                return
            self.counts["queued"] += 1
            heapq.heappush(
                self._heap, Pending(time.monotonic(), next(self._seq), fn_name, region, qualifier, event, source)
            )
            self._cond.notify()

    def depth(self) -> int:
        with self._cond:
            return len(self._heap) + self._running

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self._heap.clear()

    def _later(self, p: Pending, delay: float) -> None:
        p.due = time.monotonic() + delay
        p.seq = next(self._seq)
        heapq.heappush(self._heap, p)

    def _dispatch(self) -> None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                if not self._heap or self._running >= self._workers:
                    self._cond.wait(1.0)
                    continue
                if self._heap[0].due > now:
                    self._cond.wait(self._heap[0].due - now)
                    continue
                p = heapq.heappop(self._heap)
                max_retries, max_age = self._settings(p)
                if time.monotonic() - p.received > max_age:
                    self.counts["dropped"] += 1
                    self._drop(
                        p,
                        f"older than MaximumEventAgeInSeconds ({max_age:.0f} s) after {p.attempt} attempt(s)",
                        "EventAgeExceeded",
                    )
                    continue
                admitted = self._admit(p)
                if admitted is None:
                    self.counts["dropped"] += 1
                    continue
                if isinstance(admitted, str):  # throttled: back to the queue, with backoff
                    self.counts["throttled"] += 1
                    p.throttles += 1
                    first, longest = THROTTLE_BACKOFF_S
                    self._later(p, min(longest, first * 2 ** min(p.throttles - 1, 10)))
                    continue
                run, slot = admitted
                self._running += 1
                threading.Thread(
                    target=self._attempt, args=(p, run, slot, max_retries), name="lambda-async", daemon=True
                ).start()

    def _attempt(self, p: Pending, run: Callable[[], bool], slot: Slot, max_retries: int) -> None:
        ok = False
        try:
            ok = run()
        except Exception:
            log.exception("asynchronous invocation of %s failed", p.fn_name)
        finally:
            slot.release()
        with self._cond:
            self._running -= 1
            p.attempt += 1
            if not ok:
                if p.attempt <= max_retries and not self._closed:
                    self.counts["retried"] += 1
                    self._later(p, RETRY_DELAYS_S[min(p.attempt, len(RETRY_DELAYS_S)) - 1])
                else:
                    self.counts["dropped"] += 1
                    self._drop(
                        p, f"failed {p.attempt} time(s) (MaximumRetryAttempts {max_retries})", "RetriesExhausted"
                    )
            self._cond.notify_all()
