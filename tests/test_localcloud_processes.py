"""localcloud.processes: children of the daemon that can never outlive it."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from localcloud import sandbox
from localcloud.processes import Supervisor, _die_with_parent, pid_alive

REPO = Path(__file__).resolve().parents[1]


def _wait(predicate, timeout: float = 5.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return None


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture
def sup():
    s = Supervisor()
    try:
        yield s
    finally:
        pids = [c.pid for c in s.children()]
        s.close()
        for pid in pids:
            _kill(pid)


def test_spawn_and_terminate(sup):
    child = sup.spawn(["sleep", "60"], name="sleeper", owner="t")
    assert child.alive() and pid_alive(child.pid)
    assert [c.pid for c in sup.children()] == [child.pid]
    assert [c.pid for c in sup.children(owner="t")] == [child.pid]
    assert sup.children(owner="other") == []
    sup.terminate(child, timeout=5)
    assert not child.alive()
    assert child.popen.returncode == -signal.SIGTERM
    assert not pid_alive(child.pid)
    assert sup.children() == []


def test_terminate_escalates_to_kill(sup):
    # A child that ignores SIGTERM is killed after the timeout.
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    )
    child = sup.spawn([sys.executable, "-c", code], name="stubborn", stdout=subprocess.PIPE)
    assert child.popen.stdout.readline() == b"ready\n"
    t0 = time.monotonic()
    sup.terminate(child, timeout=0.5)
    assert child.popen.returncode == -signal.SIGKILL
    assert time.monotonic() - t0 < 5
    assert sup.children() == []
    child.popen.stdout.close()


def test_spawn_error_is_raised_to_caller(sup):
    with pytest.raises(FileNotFoundError):
        sup.spawn(["/nonexistent/binary-for-test"], name="missing")
    # the spawner thread survived the failure
    child = sup.spawn(["sleep", "60"], name="after-error")
    assert child.alive()
    sup.terminate(child)


def test_stop_all_by_owner_and_all(sup):
    a = [sup.spawn(["sleep", "60"], name=f"a{i}", owner="a") for i in range(3)]
    b = [sup.spawn(["sleep", "60"], name=f"b{i}", owner="b") for i in range(2)]
    assert len(sup.children()) == 5
    sup.stop_all(owner="a")
    assert all(not c.alive() for c in a)
    assert all(c.alive() for c in b)
    assert sorted(c.pid for c in sup.children()) == sorted(c.pid for c in b)
    sup.stop_all()
    assert all(not c.alive() for c in b)
    assert sup.children() == []
    assert not any(pid_alive(c.pid) for c in a + b)


def test_child_dies_when_owner_process_is_sigkilled(tmp_path):
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from localcloud.processes import Supervisor
        child = Supervisor().spawn(["sleep", "300"], name="orphan-to-be")
        print(child.pid, flush=True)
        time.sleep(120)
    """)
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sleep_pid = None
    try:
        ready, _, _ = select.select([owner.stdout], [], [], 30)
        assert ready, "the owner process did not report its child in time"
        line = owner.stdout.readline()
        assert line.strip().isdigit(), owner.stderr.read() if owner.poll() is not None else line
        sleep_pid = int(line)
        assert pid_alive(sleep_pid)
        with open(f"/proc/{sleep_pid}/cmdline", "rb") as fh:
            assert fh.read().split(b"\0")[:2] == [b"sleep", b"300"]
        owner.kill()  # SIGKILL: no Python cleanup can run
        owner.wait(10)
        assert _wait(lambda: not pid_alive(sleep_pid), timeout=5), "the child outlived its SIGKILLed owner"
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait(10)
        owner.stdout.close()
        owner.stderr.close()
        if sleep_pid and pid_alive(sleep_pid):
            _kill(sleep_pid)


def test_spawn_from_short_lived_thread_keeps_child(sup):
    box = {}
    t = threading.Thread(target=lambda: box.update(child=sup.spawn(["sleep", "60"], name="from-thread")))
    t.start()
    t.join(10)
    assert not t.is_alive()
    child = box["child"]
    # PR_SET_PDEATHSIG would fire now if the finished thread had forked the child.
    time.sleep(1)
    assert child.alive() and pid_alive(child.pid)
    sup.terminate(child)
    assert not child.alive()


def test_pdeathsig_fires_on_forking_thread_exit():
    """Why Supervisor forks on its own thread: a plain Popen from a short-lived thread dies with it."""
    box = {}

    def fork():
        box["p"] = subprocess.Popen(["sleep", "60"], preexec_fn=_die_with_parent, stdin=subprocess.DEVNULL)

    t = threading.Thread(target=fork)
    t.start()
    t.join(10)
    p = box["p"]
    try:
        assert p.wait(timeout=5) == -signal.SIGKILL
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(5)


def test_pid_alive_live_dead_zombie():
    assert pid_alive(os.getpid())
    assert pid_alive(1)  # exists even if we may not signal it

    live = subprocess.Popen(["sleep", "60"])
    try:
        assert pid_alive(live.pid)
        live.kill()
        # not reaped yet: a zombie still "exists" for kill(0) but is dead
        assert _wait(lambda: _state(live.pid) == "Z", timeout=5)
        assert not pid_alive(live.pid)
    finally:
        live.kill()
        live.wait(5)
    assert not pid_alive(live.pid)  # reaped: gone entirely


def _netns(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


@pytest.mark.skipif(bool(sandbox.unavailable()), reason="no private network without bubblewrap")
def test_private_network_lives_from_the_first_server_to_the_last(sup):
    net = sandbox.private_network(sup, "rds")
    assert net.holder is None  # nothing runs before the first server
    prefix, gen = net.enter()
    holder, inner = net.holder, net.pid
    server = sup.spawn(prefix + ["sleep", "60"], name="server a", owner="rds")
    assert _wait(lambda: _netns(server.pid) == _netns(inner))
    assert _netns(server.pid) != _netns(os.getpid())  # a network of its own, not the host's

    prefix_b, gen_b = net.enter()  # a second server: the same network
    assert (prefix_b, gen_b) == (prefix, gen) and net.holder is holder
    sup.terminate(server)
    net.leave(gen)
    assert holder.alive() and pid_alive(inner)  # one server still runs in it
    net.leave(gen_b)
    assert not holder.alive() and _wait(lambda: not pid_alive(inner))  # the last one gone: so is the network
    assert sup.children() == []

    _, gen2 = net.enter()  # the next server makes a new one
    assert gen2 != gen and net.holder.alive()
    net.leave(gen)  # a late leave from the old network does not end the new one
    assert net.holder.alive()


@pytest.mark.skipif(bool(sandbox.unavailable()), reason="no private network without bubblewrap")
def test_private_network_killed_with_its_engine_is_made_again(sup):
    net = sandbox.private_network(sup, "rds")
    _, gen = net.enter()
    old, old_inner = net.holder, net.pid
    sup.stop_all(owner="rds")  # an engine reset kills its processes, the holder too
    assert not old.alive() and _wait(lambda: not pid_alive(old_inner))
    _, gen2 = net.enter()
    assert gen2 != gen and net.holder is not old and net.holder.alive() and net.members == 1
    net.leave(gen)  # the server of the killed network stops after the fact: no effect
    assert net.holder.alive() and net.members == 1
    inner = net.pid
    sup.close()  # the daemon stops: nothing is left
    assert _wait(lambda: not pid_alive(inner)) and not net.holder.alive()
