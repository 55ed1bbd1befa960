"""persistence.Snapshotter: when the daemon's state is saved, in-process with a fake state.

A save that falls due while an engine is busy (an Athena query) waits for it, so the query does
not share its cores with a snapshot; but never longer than BUSY_MAX_DELAY_S, so a crash during
a long query still loses only seconds.
"""

from __future__ import annotations

import threading
import time

import pytest

from localcloud import persistence


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(persistence, "QUIET_S", 0.05)
    monkeypatch.setattr(persistence, "MAX_DELAY_S", 0.2)
    monkeypatch.setattr(persistence, "BUSY_POLL_S", 0.01)


def _snapshotter(tmp_path, busy=None):
    saved = threading.Event()
    times: list[float] = []

    def take() -> bytes:
        times.append(time.monotonic())
        saved.set()
        return b"state"

    snap = persistence.Snapshotter(tmp_path / "snapshot.bin", take, busy=busy)
    snap.start()
    return snap, saved, times


def test_a_change_is_saved_shortly_after(quick, tmp_path):
    snap, saved, _ = _snapshotter(tmp_path)
    try:
        snap.touched(mutating=True)
        assert saved.wait(5)
        deadline = time.monotonic() + 5  # taken; written (atomically) just after
        while not snap.stats["snapshots"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (tmp_path / "snapshot.bin").read_bytes() == b"state"
    finally:
        snap.stop()


def test_a_save_waits_while_an_engine_is_busy(quick, tmp_path, monkeypatch):
    monkeypatch.setattr(persistence, "BUSY_MAX_DELAY_S", 30.0)
    busy = threading.Event()
    busy.set()
    snap, saved, times = _snapshotter(tmp_path, busy=busy.is_set)
    try:
        snap.touched(mutating=True)
        # due after 0.05 s; busy: nothing is saved while the query runs (checked for 1 s, 20x the delay)
        assert not saved.wait(1.0)
        assert snap.status()["pending"]
        done = time.monotonic()
        busy.clear()  # the query ends
        assert saved.wait(5)
        assert times[0] >= done
    finally:
        snap.stop()


def test_a_busy_engine_delays_a_save_at_most_busy_max_delay(quick, tmp_path, monkeypatch):
    monkeypatch.setattr(persistence, "BUSY_MAX_DELAY_S", 0.3)
    snap, saved, _ = _snapshotter(tmp_path, busy=lambda: True)  # a query that never ends
    try:
        snap.touched(mutating=True)
        assert saved.wait(10)  # saved anyway, once the bounded wait is over
    finally:
        snap.stop()


def test_the_athena_engine_is_busy_while_a_query_runs():
    from localcloud.engines import Engine
    from localcloud.engines.athena.engine import AthenaEngine

    assert Engine.busy is not AthenaEngine.busy  # it declares the hook
    engine = AthenaEngine.__new__(AthenaEngine)  # only the counter: no DuckDB, no S3 store
    engine.lock, engine._running = threading.Lock(), 0
    seen = []
    engine._run_query = lambda ex: seen.append(engine.busy())  # type: ignore[method-assign]
    engine._run(None)  # type: ignore[arg-type]
    assert seen == [True] and not engine.busy()
