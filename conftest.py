"""Every pytest session (unit tests and nbval) runs against its own fresh localcloud.

It gets a private state folder and a free port, so a learner's running localcloud
(and their .lab/ folder) is never touched, and it is stopped at the end; the session
fails if any process it started is left behind.  Under pytest-xdist (``-n``) every worker is such
a session with a localcloud of its own; the controller, which runs no test, starts none.

``--lab-fresh-each`` runs each notebook alone and then again after a kernel restart: localcloud is
reset before each notebook (so only what ``lab.require`` creates exists), nbval runs and compares
every cell before ``## Clean up``; there the kernel is restarted and every cell before ``## Clean
up`` runs again in the new kernel (any error fails), then nbval runs and compares the clean-up
cells, so a lab re-run after a restart must end in the committed state.  ``--lab-rerun`` enables
tests/test_rerun_labs.py (every lab run twice in a row; ``make test-rerun``).

A test that stops, resets or kills localcloud takes the ``private_localcloud`` fixture: one of
its own (``localcloud.testing``, the same helper the benchmarks use).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import labcontract
from localcloud import testing

_state = {}


def pytest_addoption(parser):
    parser.addoption(
        "--lab-fresh-each",
        action="store_true",
        help="reset localcloud before each notebook (each notebook alone), restart its kernel and run it again "
        "before its clean-up",
    )
    parser.addoption(
        "--lab-rerun",
        action="store_true",
        help="also run tests/test_rerun_labs.py: every lab run twice and after a kernel restart (several minutes)",
    )


def _localcloud(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "localcloud", *args], capture_output=True, text=True, timeout=120)


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


# The longest test files (profile_tests.py, two workers, 2026-12-01), longest first.  Under
# pytest-xdist with ``--dist loadfile --no-loadscope-reorder`` (make test-units) the workers take
# whole files in collection order: starting with these leaves short files for the end, so the two
# workers finish together instead of one running a long file alone after the other is done.
LONGEST_FILES = (
    "test_browser.py",
    "test_persistence.py",
    "test_helpers_lab.py",
    "test_engine_glue_jobs.py",
    "test_glue_runtime.py",
    "test_localcloud_cli.py",
    "test_learner_code_lifetime.py",
    "test_engine_lambda.py",
    "test_engine_redshift.py",
    "test_dashboard.py",
)


def pytest_collection_modifyitems(config, items):
    if not hasattr(config, "workerinput"):
        return  # one process: the usual (alphabetical) order
    rank = {name: i for i, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


def pytest_sessionstart(session):
    if session.config.pluginmanager.has_plugin("dsession"):
        return  # the pytest-xdist controller: its workers run the tests, each with its own localcloud
    lab_dir = tempfile.mkdtemp(prefix="lab-test-")
    os.environ.update(LAB_DIR=lab_dir, LOCALCLOUD_PORT=str(testing.free_port()), LAB_TARGET="local")
    for var in ("LAB_AWS_CONFIRM", "AWS_ENDPOINT_URL", *labcontract.CLIENT_ENV_UNSET):
        os.environ.pop(var, None)
    _state.update(lab_dir=lab_dir)


def _launch_localcloud() -> subprocess.Popen:
    # --fresh: a snapshot in this (new) folder can only be a leftover; tests start empty, always
    cmd = [sys.executable, "-m", "localcloud", "start", "--json", "--fresh"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def pytest_collection_finish(session):
    """Start the session's localcloud as soon as a collected test may use it (a session of
    ``no_localcloud`` tests only, e.g. lab 07's handler tests run from the notebook, starts none),
    in the background: it comes up while the first notebook's kernel starts."""
    if "lab_dir" in _state and any(i.get_closest_marker("no_localcloud") is None for i in session.items):
        _state["starting"] = _launch_localcloud()


def _start_localcloud() -> None:
    """Wait for the session's localcloud (launched after collection, or now)."""
    proc = _state.pop("starting", None) or _launch_localcloud()
    out, err = proc.communicate(timeout=120)
    if proc.returncode != 0:
        pytest.exit(f"could not start localcloud for the tests:\n{err}", returncode=3)
    _state.update(status=json.loads(out))


def _not_up_yet(item) -> bool:
    """This item may use the session's localcloud, and it has not been waited for yet."""
    return "lab_dir" in _state and "status" not in _state and item.get_closest_marker("no_localcloud") is None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    if _not_up_yet(item):
        _start_localcloud()


@pytest.hookimpl(tryfirst=True)  # before fixtures are set up: they may call localcloud
def pytest_runtest_setup(item):
    # A notebook cell needs it only when its code runs (nbval starts the kernel in setup), unless
    # --lab-fresh-each resets localcloud here; a test's fixtures may call it in setup.
    if _not_up_yet(item) and (not hasattr(item, "cell") or item.config.getoption("--lab-fresh-each")):
        _start_localcloud()
    if not item.config.getoption("--lab-fresh-each") or not hasattr(item, "cell"):
        return
    if item.nodeid.endswith("::Cell 0"):
        if _localcloud("reset").returncode != 0:
            pytest.fail("localcloud reset failed")
    elif _first_cleanup_cell(item.parent.nb) == _position(item):
        _restart_and_run_again(item)


def _position(item) -> int:
    """Index of an nbval item's cell among all the notebook's cells."""
    return next(i for i, c in enumerate(item.parent.nb.cells) if c is item.cell)


def _first_cleanup_cell(nb) -> int | None:
    """Index of the first code cell after the ``## Clean up`` heading (every lab has one:
    tests/test_notebook_template.py)."""
    heading = next(
        (i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and re.search(r"^## Clean up", c.source, re.M)),
        None,
    )
    if heading is None:
        return None
    return next((i for i in range(heading, len(nb.cells)) if nb.cells[i].cell_type == "code"), None)


def _restart_and_run_again(item) -> None:
    """A learner restarts the kernel before cleaning up and runs the lab again from the top: every
    cell before the clean-up runs in nbval's restarted kernel, with whatever the first run left in
    localcloud; any error fails. nbval then runs and compares the clean-up cells."""
    kernel = item.parent.kernel
    kernel.restart()
    kernel.kc.wait_for_ready(timeout=float(item.config.getoption("nbval_kernel_startup_timeout")))
    timeout = float(item.config.getoption("nbval_cell_timeout"))
    stop = _position(item)
    errors = []
    for i, cell in enumerate(item.parent.nb.cells[:stop]):
        if cell.cell_type != "code":
            continue

        def on_output(msg, i=i):
            if msg["msg_type"] == "error":
                errors.append(f"cell {i}: {msg['content']['ename']}: {msg['content']['evalue']}")

        kernel.kc.execute_interactive(cell.source, timeout=timeout, output_hook=on_output, allow_stdin=False)
    if errors:
        pytest.fail(
            f"{item.parent.name}: run again after a kernel restart (before its clean-up), errors:\n"
            + "\n".join(errors)
            + "\nlocalcloud's log:\n"
            + localcloud_problems(),
            pytrace=False,
        )


def localcloud_problems(limit: int = 80) -> str:
    """What localcloud logged as failing (an engine's traceback), to tell a lab bug from a local one."""
    log = Path(os.environ["LAB_DIR"]) / "localcloud" / "daemon.log"
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    keep = [i for i, line in enumerate(lines) if re.search(r"ERROR|Traceback|failed", line)]
    picked = sorted({j for i in keep for j in range(i, min(i + 12, len(lines)))})
    return "\n".join(lines[j] for j in picked[-limit:]) or "(nothing)"


@pytest.fixture
def private_localcloud(tmp_path):
    """A localcloud of this test's own (state under tmp_path, a free port), stopped afterwards."""
    with testing.private_localcloud(tmp_path / "lab") as cloud:
        yield cloud


@pytest.fixture
def fresh_localcloud():
    """Forget every resource earlier tests left behind (the session's localcloud is shared),
    for tests that assert on the whole inventory."""
    if _localcloud("reset").returncode != 0:
        pytest.fail("localcloud reset failed")


@pytest.fixture
def moto_in_process(monkeypatch):
    """A boto3 session against moto in this process (``mock_aws``), never the session's localcloud:
    for tests of the seam itself, which read moto's own objects."""
    import boto3
    from moto import mock_aws

    for var in ("AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.session.Session(region_name="us-east-1")


def pytest_sessionfinish(session, exitstatus):
    if "starting" in _state:  # launched, never waited for (no test got that far): stop it too
        proc = _state.pop("starting")
        out, _ = proc.communicate(timeout=120)
        if proc.returncode == 0:
            _state.update(status=json.loads(out))
    if "status" not in _state:
        shutil.rmtree(_state.get("lab_dir", ""), ignore_errors=True)
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
