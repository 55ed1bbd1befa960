"""tools/run_notebooks.py when a cell fails: a copy keeps the run up to the error, --inplace writes nothing.

CI uploads the copies in .lab/run/ (make run), so a failing notebook must be there, showing
where it failed; a committed notebook must never be overwritten by a failed run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import run_notebooks  # noqa: E402


def _failing(tmp_path: Path) -> Path:
    nb = new_notebook(cells=[new_code_cell("print('before')"), new_code_cell("1 / 0"), new_code_cell("print('after')")])
    path = tmp_path / "failing.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_failing_copy_is_saved_up_to_the_failing_cell(tmp_path):
    src = _failing(tmp_path)
    out = tmp_path / "run" / src.name
    with pytest.raises(CellExecutionError):
        run_notebooks.run(src, out, timeout=120)
    first, failed, after = nbformat.read(out, as_version=4).cells
    assert [o.text for o in first.outputs] == ["before\n"]
    assert [(o.output_type, o.ename) for o in failed.outputs] == [("error", "ZeroDivisionError")]
    assert after.outputs == [] and after.execution_count is None


def test_a_failing_inplace_run_leaves_the_notebook_as_it_was(tmp_path):
    src = _failing(tmp_path)
    before = src.read_bytes()
    with pytest.raises(CellExecutionError):
        run_notebooks.run(src, src, timeout=120)
    assert src.read_bytes() == before
