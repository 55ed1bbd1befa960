"""Every lab runs again: "Run all" twice in a row (issue 16).

Learners run a lab again after any mistake, after a kernel restart, the next morning.
``test_each_lab_twice_in_a_row`` does what they do, with nbclient against the session's private
localcloud, and fails on any error in any cell (naming the lab, the run and the cell): the series
in order on one localcloud (the earlier labs' resources present, no reset between labs). For each
lab, one kernel runs every cell before ``## Clean up`` (a learner who stopped before cleaning up)
and then "Run all" again, clean-up included, in the same kernel. It then checks that the second
run ended in the state a first run ends in: the outputs of the lab's *Clean up* section (what it
deletes, what is left) equal the committed ones, after the nbval sanitize rules.

A lab run again after only its prerequisites and a kernel restart is checked by the
each-notebook-alone nbval pass (``--lab-fresh-each``, conftest.py, ``make test-notebooks``):
reset, every cell before ``## Clean up`` compared, a kernel restart, those cells again (zero
errors), then the clean-up cells compared.

It takes minutes, so it runs only with ``--lab-rerun`` (``make test-rerun``, part of ``make test``).
"""

from __future__ import annotations

import copy
import os
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbval.plugin import coalesce_streams, get_sanitize_patterns

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Runs after a reset or a second time create resources in another order: ids and prerequisite
# lines are masked, as in the each-notebook-alone nbval pass.
SANITIZE = ROOT / "tests" / "nbval_sanitize_fresh_each.cfg"
CELL_TIMEOUT = 300  # seconds, as nbval's --nbval-cell-timeout in the Makefile

pytestmark = pytest.mark.skipif(
    "not config.getoption('--lab-rerun')", reason="slow: run with --lab-rerun (make test-rerun)"
)


def cleanup_start(nb) -> int:
    """Index of the ``## Clean up`` heading cell (every lab has one: test_notebook_template)."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and re.search(r"^## Clean up", cell.source, re.M):
            return i
    raise AssertionError("no '## Clean up' heading")


class Lab:
    """One notebook executed cell by cell in one kernel, as a learner runs it in JupyterLab."""

    def __init__(self, path: Path):
        self.path = path
        self.committed = nbformat.read(path, as_version=4)
        self.nb = nbformat.read(path, as_version=4)
        self.client = NotebookClient(
            self.nb,
            timeout=CELL_TIMEOUT,
            kernel_name="python3",
            allow_errors=True,  # keep going and report every failing cell, not only the first
            record_timing=False,
            resources={"metadata": {"path": str(path.parent)}},
        )
        self.errors: list[str] = []

    def run(self, label: str, stop: int | None = None) -> None:
        """Execute cells [0, stop) in order; record the error outputs they produce."""
        for i, cell in enumerate(self.nb.cells[:stop]):
            if cell.cell_type != "code":
                continue
            cell.outputs = []
            self.client.execute_cell(cell, i)
            for out in cell.outputs:
                if out.output_type == "error":
                    self.errors.append(
                        f"{self.path.stem}, {label}, cell {i} ({cell.get('id')}): {out.ename}: {out.evalue}"
                    )

    def cleanup_differences(self) -> list[str]:
        """Where the Clean up section's outputs differ from the committed ones (sanitized)."""
        start = cleanup_start(self.nb)
        diffs = []
        for new, old in zip(self.nb.cells[start:], self.committed.cells[start:]):
            if new.cell_type == "code" and comparable(new.outputs) != comparable(old.outputs):
                diffs.append(
                    f"{self.path.stem}, cell {new.get('id')}:\n  committed: {comparable(old.outputs)}\n"
                    f"  this run:  {comparable(new.outputs)}"
                )
        return diffs


# nbval's own rules: the same patterns, and streams of one name merged per cell
SANITIZERS = [(re.compile(rx), repl) for rx, repl in get_sanitize_patterns(SANITIZE.read_text())]


def comparable(outputs) -> list[str]:
    """A cell's outputs as strict nbval compares them: streams merged, text/plain, sanitized."""
    texts = []
    for out in coalesce_streams(copy.deepcopy(outputs)):
        if out.output_type == "stream":
            text = f"{out.name}: {out.text}"
        elif out.output_type in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain", "")
        else:
            text = f"{out.output_type}: {out.get('ename', '')}"
        for rx, repl in SANITIZERS:
            text = rx.sub(repl, text)
        texts.append(text)
    return texts


def localcloud_problems(limit: int = 80) -> str:
    """What localcloud logged as failing (an engine's traceback), to tell a lab bug from a local one."""
    log = Path(os.environ["LAB_DIR"]) / "localcloud" / "daemon.log"
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    keep = [i for i, line in enumerate(lines) if re.search(r"ERROR|Traceback|failed", line)]
    picked = sorted({j for i in keep for j in range(i, min(i + 12, len(lines)))})
    return "\n".join(lines[j] for j in picked[-limit:]) or "(nothing)"


@pytest.mark.usefixtures("fresh_localcloud")
def test_each_lab_twice_in_a_row():
    errors, diffs, timings = [], [], []
    for path in NOTEBOOKS:
        t0 = time.monotonic()
        lab = Lab(path)
        with lab.client.setup_kernel():
            lab.run("run 1 up to Clean up", stop=cleanup_start(lab.nb))
            lab.run("run 2 (Run all, same kernel)")
        errors += lab.errors
        diffs += lab.cleanup_differences()
        timings.append(f"{path.stem} {time.monotonic() - t0:.0f} s")
    print("\n" + ", ".join(timings))
    assert not errors, (
        "errors when a lab runs twice:\n" + "\n".join(errors) + "\nlocalcloud's log:\n" + localcloud_problems()
    )
    assert not diffs, "a second run ended in another state than a first run:\n" + "\n".join(diffs)
