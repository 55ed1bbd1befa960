"""tools/check_notebooks.py: the pre-commit guard that notebooks are committed as the tools write them.

Each case starts from a real committed notebook (copied into a scratch project folder) and
breaks one thing, the way a contributor could by hand.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import check_notebooks  # noqa: E402

LAB = ROOT / "notebooks" / "00_setup.ipynb"
EXERCISE = ROOT / "exercises" / "01_ec2_launch_and_ssh_exercise.ipynb"


def _place(tmp_path: Path, src: Path, folder: str, edit=None) -> Path:
    """A copy of ``src`` at ``tmp_path/folder/``, changed by ``edit(nb)`` when given."""
    dest = tmp_path / folder / src.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(src, as_version=4)
    if edit is not None:
        edit(nb)
    nbformat.write(nb, dest)
    return dest


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def _problems(path: Path, root: Path) -> str:
    return "\n".join(check_notebooks.check(path, root))


def test_the_committed_notebooks_pass():
    """Every notebook in the repository, as pre-commit and `make lint` run it."""
    proc = subprocess.run(
        [sys.executable, "tools/check_notebooks.py"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_copies_of_a_lab_and_an_exercise_pass(tmp_path):
    assert check_notebooks.check(_place(tmp_path, LAB, "notebooks"), tmp_path) == []
    assert check_notebooks.check(_place(tmp_path, EXERCISE, "exercises"), tmp_path) == []


def test_a_lab_with_an_unexecuted_cell_fails(tmp_path):
    def edit(nb):
        _code(nb)[2].execution_count = None

    assert "was not executed" in _problems(_place(tmp_path, LAB, "notebooks", edit), tmp_path)


def test_a_lab_with_a_cell_run_again_by_hand_fails(tmp_path):
    def edit(nb):
        _code(nb)[3].execution_count = 42

    problems = _problems(_place(tmp_path, LAB, "notebooks", edit), tmp_path)
    assert "execution count 42, expected 4" in problems


def test_a_lab_with_an_error_output_fails(tmp_path):
    def edit(nb):
        _code(nb)[1].outputs.append(
            nbformat.v4.new_output("error", ename="ClientError", evalue="AccessDenied", traceback=[])
        )

    assert "error output (ClientError)" in _problems(_place(tmp_path, LAB, "notebooks", edit), tmp_path)


def test_a_printing_cell_without_output_fails(tmp_path):
    def edit(nb):
        cell = next(c for c in _code(nb) if c.source.lstrip().startswith("print(") or "\nprint(" in c.source)
        cell.outputs = []

    assert "prints but has no output" in _problems(_place(tmp_path, LAB, "notebooks", edit), tmp_path)


def test_magic_lines_do_not_hide_a_print(tmp_path):
    def edit(nb):
        cell = _code(nb)[0]
        cell.source = "!aws sts get-caller-identity\nprint('hello')"
        cell.outputs = []

    assert "cell 2 prints but has no output" in _problems(_place(tmp_path, LAB, "notebooks", edit), tmp_path)


def test_saved_widget_state_fails(tmp_path):
    def edit(nb):
        nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}

    assert "widget state is saved" in _problems(_place(tmp_path, LAB, "notebooks", edit), tmp_path)


def test_an_executed_exercise_fails(tmp_path):
    def edit(nb):
        _code(nb)[0].execution_count = 1

    assert "committed unexecuted" in _problems(_place(tmp_path, EXERCISE, "exercises", edit), tmp_path)


def test_checkpoint_copies_and_stray_notebooks_fail(tmp_path):
    checkpoint = _place(tmp_path, LAB, "notebooks/.ipynb_checkpoints")
    assert ".ipynb_checkpoints" in _problems(checkpoint, tmp_path)
    stray = _place(tmp_path, LAB, "scratch")
    assert "outside notebooks, exercises, templates" in _problems(stray, tmp_path)


def test_an_oversized_or_broken_notebook_fails(tmp_path, monkeypatch):
    path = _place(tmp_path, LAB, "notebooks")
    monkeypatch.setattr(check_notebooks, "MAX_BYTES", path.stat().st_size - 1)
    assert "trim its outputs" in _problems(path, tmp_path)
    monkeypatch.undo()
    broken = tmp_path / "notebooks" / "broken.ipynb"
    broken.write_text(json.dumps({"cells": "not a list"}))
    assert "not a valid notebook" in _problems(broken, tmp_path)


def test_main_prints_each_problem_and_fails(tmp_path, capsys):
    def edit(nb):
        _code(nb)[0].outputs.append(nbformat.v4.new_output("error", ename="E", evalue="", traceback=[]))

    bad = _place(tmp_path, LAB, "notebooks", edit)
    good = _place(tmp_path, EXERCISE, "exercises")
    assert check_notebooks.main([str(good)]) == 1  # outside the project: no folder's rules apply
    assert check_notebooks.main([str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}: cell" in out and "error output (E)" in out
