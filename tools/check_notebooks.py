"""Check that notebooks are committed the way the course's tools write them (a pre-commit hook).

    python tools/check_notebooks.py                   # every notebook git tracks
    python tools/check_notebooks.py notebooks/04_*.ipynb

* ``notebooks/``: committed **executed**, by ``make outputs`` (tools/run_notebooks.py), because
  nbval compares against those outputs: every non-empty code cell has an execution count, the
  counts run 1, 2, 3, ... in order (one run from the top, not cells re-run by hand), a cell
  with a top-level ``print(...)`` has an output, no cell has an error output, and no widget
  state or execution timestamps are saved (run_notebooks.py strips them).
* ``exercises/`` and ``templates/``: committed **unexecuted** (tools/exercises.py writes the
  exercises that way; a learner runs them from the top): no outputs, no execution counts.
* Everywhere: valid nbformat, nothing under ``.ipynb_checkpoints/``, at most
  ``run_notebooks.MAX_BYTES`` bytes (small enough to read on GitHub and diff).

Exit status 1 and one line per problem when something is off.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.run_notebooks import MAX_BYTES  # noqa: E402  (one size limit for writing and for checking)

EXECUTED = ("notebooks",)
UNEXECUTED = ("exercises", "templates")
FIX_EXECUTED = "re-run it with `make outputs` (or tools/run_notebooks.py --inplace) and commit the result"


def tracked_notebooks() -> list[Path]:
    """Every .ipynb git tracks (all of them outside a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return sorted(p for p in ROOT.rglob("*.ipynb") if ".venv" not in p.parts and ".lab" not in p.parts)
    return [ROOT / name for name in out.split("\0") if name]


def _prints_at_top_level(source: str) -> bool:
    """True when the cell calls print() as a top-level statement (so running it prints something)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:  # `!aws ...` and `%magic` lines become plain Python first
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return False  # ruff reports syntax errors; this check only needs the easy case
    return any(
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "print"
        for node in tree.body
    )


def _code_cells(nb: NotebookNode) -> list[tuple[int, NotebookNode]]:
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def check_executed(nb: NotebookNode) -> list[str]:
    problems = []
    expected = 1
    for i, cell in _code_cells(nb):
        if not cell.source.strip():
            continue  # nbclient leaves empty cells unexecuted
        if cell.execution_count is None:
            problems.append(f"cell {i} was not executed; {FIX_EXECUTED}")
        elif cell.execution_count != expected:
            problems.append(
                f"cell {i} has execution count {cell.execution_count}, expected {expected} "
                f"(cells were run out of order or twice); {FIX_EXECUTED}"
            )
        if cell.execution_count is not None:
            expected = cell.execution_count + 1
        if not cell.outputs and _prints_at_top_level(cell.source):
            problems.append(f"cell {i} prints but has no output; {FIX_EXECUTED}")
        if "execution" in cell.metadata:
            problems.append(f"cell {i} keeps execution timestamps; {FIX_EXECUTED}")
    if "widgets" in nb.metadata:
        problems.append(f"widget state is saved (model ids change on every run); {FIX_EXECUTED}")
    return problems


def check_unexecuted(nb: NotebookNode) -> list[str]:
    problems = []
    for i, cell in _code_cells(nb):
        if cell.outputs or cell.execution_count is not None:
            problems.append(
                f"cell {i} has outputs or an execution count: this folder is committed unexecuted "
                f"(exercises/: run `make exercises`; templates/: Clear All Outputs)"
            )
    return problems


def check(path: Path, root: Path = ROOT) -> list[str]:
    """Every problem with one notebook, as readable sentences (empty when it is fine).

    Which rules apply depends on the notebook's top folder under ``root``.
    """
    full = path.resolve()
    rel = full.relative_to(root) if full.is_relative_to(root) else full
    if ".ipynb_checkpoints" in rel.parts:
        return ["a Jupyter autosave copy (.ipynb_checkpoints/): do not commit it (git rm --cached it)"]
    problems = []
    size = path.stat().st_size
    if size > MAX_BYTES:
        problems.append(f"{size:,} bytes, more than {MAX_BYTES:,}: trim its outputs (print less, fewer rows)")
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # unreadable JSON or invalid nbformat: say so, check nothing else
        return [*problems, f"not a valid notebook: {exc}"]
    for cell_index, cell in _code_cells(nb):
        for out in cell.outputs:
            if out.output_type == "error":
                problems.append(f"cell {cell_index} has an error output ({out.get('ename', 'error')}); fix the cell")
    top = rel.parts[0] if len(rel.parts) > 1 else ""
    if top in EXECUTED:
        problems += check_executed(nb)
    elif top in UNEXECUTED:
        problems += check_unexecuted(nb)
    else:
        problems.append(f"a notebook outside {', '.join(EXECUTED + UNEXECUTED)}/: move it there or delete it")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] if args else tracked_notebooks()
    failed = 0
    for path in paths:
        problems = check(path)
        failed += bool(problems)
        for problem in problems:
            print(f"{path}: {problem}")
    if failed:
        print(f"{failed} notebook(s) not committed the way the course's tools write them", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
