"""Every pytest session (unit tests and nbval) runs against its own fresh localcloud.

It gets a private state folder and a free port, so a learner's running localcloud
(and their .lab/ folder) is never touched, and it is stopped at the end; the session
fails if any process it started is left behind.  ``--lab-fresh-each`` resets localcloud
before each notebook, to prove every notebook also runs on its own.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

_state = {}


def pytest_addoption(parser):
    parser.addoption("--lab-fresh-each", action="store_true",
                     help="reset localcloud before each notebook (each notebook alone)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _localcloud(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "localcloud", *args], capture_output=True, text=True,
                          timeout=120)


def _live_in_group(pgid: int) -> list[int]:
    """Processes (not zombies waiting to be reaped) in process group ``pgid``."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            live.append(int(stat.parent.name))
    return live


def pytest_sessionstart(session):
    lab_dir = tempfile.mkdtemp(prefix="lab-test-")
    os.environ.update(LAB_DIR=lab_dir, LOCALCLOUD_PORT=str(_free_port()), LAB_TARGET="local")
    for var in ("LAB_AWS_CONFIRM", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(var, None)
    started = _localcloud("start", "--json")
    if started.returncode != 0:
        raise pytest.UsageError(f"could not start localcloud for the tests:\n{started.stderr}")
    _state.update(lab_dir=lab_dir, status=json.loads(started.stdout))


def pytest_runtest_setup(item):
    if not item.config.getoption("--lab-fresh-each") or not item.nodeid.endswith("::Cell 0"):
        return
    if _localcloud("reset").returncode != 0:
        pytest.fail("localcloud reset failed")


@pytest.fixture
def fresh_localcloud():
    """Forget every resource earlier tests left behind (the session's localcloud is shared),
    for tests that assert on the whole inventory."""
    if _localcloud("reset").returncode != 0:
        pytest.fail("localcloud reset failed")


def pytest_sessionfinish(session, exitstatus):
    if "status" not in _state:
        return
    pgid = _state["status"]["pid"]
    _localcloud("stop")
    deadline = time.monotonic() + 10
    while (leftovers := _live_in_group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    shutil.rmtree(_state["lab_dir"], ignore_errors=True)
    if leftovers:
        print(f"\nlocalcloud left processes behind: {leftovers}", file=sys.stderr)
        session.exitstatus = 1
