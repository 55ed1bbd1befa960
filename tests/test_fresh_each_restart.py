"""The each-notebook-alone pass (``--lab-fresh-each``, conftest.py) restarts the kernel before a
notebook's clean-up and runs the cells before it again: proved on two small notebooks.

``good``: its first cell counts runs and kernels in files; the clean-up cell, compared by nbval,
must see two runs in two kernels. ``bad``: its first cell fails when run a second time; the pass
must fail on it, naming the restart. Both run in one pytest session of their own (this repository's
conftest.py, copied next to them, gives it a private localcloud).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parent.parent

COUNT = (
    "import os, pathlib\n"
    "runs, kernels = pathlib.Path('runs-{name}.txt'), pathlib.Path('kernels-{name}.txt')\n"
    "{check}"
    "with runs.open('a') as f: f.write('x')\n"
    "with kernels.open('a') as f: f.write(f'{{os.getpid()}}\\n')"
)


def notebook(path: Path, check: str, expected: str) -> None:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_code_cell(COUNT.format(name=path.stem, check=check), execution_count=1),
        new_markdown_cell("## Clean up"),
        new_code_cell(
            "print(len(runs.read_text()), 'runs in', len(set(kernels.read_text().split())), 'kernels')",
            execution_count=2,
            outputs=[new_output("stream", name="stdout", text=expected)],
        ),
    ]
    nbformat.write(nb, path)


def test_the_alone_pass_restarts_the_kernel_and_runs_the_lab_again_before_its_clean_up(tmp_path):
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    notebook(tmp_path / "good.ipynb", "", "2 runs in 2 kernels\n")
    notebook(tmp_path / "bad.ipynb", "assert not runs.exists(), 'a second run fails'\n", "1 runs in 1 kernels\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "--lab-fresh-each", "-v"]
        + ["-p", "no:cacheprovider", "good.ipynb", "bad.ipynb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout

    def outcome(nb: str, cell: int) -> str:  # pytest -v names an nbval item "good::ipynb::Cell 0"
        found = re.search(rf"^{nb}\W+ipynb::Cell {cell} (\w+)", out, re.M)
        return found.group(1) if found else "not run"

    assert (outcome("good", 0), outcome("good", 1)) == ("PASSED", "PASSED"), out
    assert (outcome("bad", 0), outcome("bad", 1)) == ("PASSED", "ERROR"), out
    assert "bad.ipynb: run again after a kernel restart (before its clean-up), errors:" in out, out
    assert "cell 0: AssertionError: a second run fails" in out, out
