"""Every aws CLI command the labs print works against localcloud (tests/cli_lines.py has the list).

The course's CLI (awscli 1.x, the one beside the venv's Python) runs each line in order against the
session's localcloud, as a learner typing them through the series would; placeholders are filled
from what the earlier lines made.  A line the notebooks print but the list does not cover (or the
other way round) fails the first test: the list follows the notebooks.

Every CLI run carries tests/outbound_guard.py (as ``sitecustomize``): a request to anything but
loopback is logged and refused, and the last test checks that no line made one (the daemon's side
is watched by tests/test_no_outbound.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import outbound_guard
import pytest
from cli_lines import LINES, NOT_RUN_LOCALLY, initial_state, keeps_printed_words, printed_commands, run_line

from helpers import lab
from localcloud import config


def test_every_printed_command_is_covered_and_completed_faithfully():
    printed = printed_commands()
    covered = {line.printed for line in LINES} | set(NOT_RUN_LOCALLY)
    assert not set(printed) - covered, "printed in the notebooks, not in tests/cli_lines.py: add them to LINES"
    assert not covered - set(printed), "in tests/cli_lines.py, printed nowhere any more: remove them"
    for line in LINES:
        if line.run is not None:
            assert keeps_printed_words(line.printed, line.run), f"{line.run!r} drops words of {line.printed!r}"


def test_configure_sso_is_aws_cli_v2_only():
    """What NOT_RUN_LOCALLY says: the course's CLI has no `configure sso` (the README says so too)."""
    done = subprocess.run(
        ["aws", "configure", "sso"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=initial_state(".", lab.start("00"), config.LEARNER_IP)["env"],
        timeout=60,
    )
    assert done.returncode != 0 and "Invalid choice" in done.stderr


@pytest.fixture(scope="module")
def guard_log(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("outbound-guard")
    shutil.copy(Path(outbound_guard.__file__), site / "sitecustomize.py")
    (site / "outbound.jsonl").touch()
    return site / "outbound.jsonl"


@pytest.fixture(scope="module")
def state(tmp_path_factory, guard_log):
    state = initial_state(tmp_path_factory.mktemp("cli-lines"), lab.start("00"), config.LEARNER_IP)
    env = state["env"]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(guard_log.parent), env.get("PYTHONPATH")]))
    env["OUTBOUND_LOG"] = str(guard_log)
    return state


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(
            line,
            id=f"{i:02d} {line.printed[:70]}",
            marks=[pytest.mark.xfail(strict=True, reason=line.xfail)] if line.xfail else [],
        )
        for i, line in enumerate(LINES)
    ],
)
def test_printed_line_runs(line, state):
    result = run_line(line, state)
    detail = f"$ {result.command}\n(exit {result.returncode}, {result.seconds:.1f} s)\n{result.stderr[-2000:]}"
    if line.expect_failure:
        assert result.returncode != 0 and line.expect_failure in result.stderr, detail
    else:
        assert result.returncode == 0, detail


def test_no_line_sent_a_request_beyond_loopback(state, guard_log):
    """After the lines (tests run in file order): the guard logged nothing but a deliberate probe."""
    probe = subprocess.run(
        ["aws", "rds", "describe-db-instances", "--endpoint-url", "https://rds.amazonaws.com"],
        env={**state["env"], "AWS_MAX_ATTEMPTS": "1"},  # refused at once: no retries to wait for
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode != 0
    records = [json.loads(x) for x in guard_log.read_text().splitlines()]
    deliberate = [r for r in records if "rds.amazonaws.com" in r["destination"]]
    assert deliberate, "the guard did not catch the deliberate probe: is it loaded in the CLI?"
    assert [r for r in records if r not in deliberate] == [], "aws CLI requests to non-loopback destinations"
