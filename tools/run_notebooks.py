"""Execute notebooks headless with nbclient, the way `make run` and `make outputs` do.

    python tools/run_notebooks.py                     # run all, write copies to .lab/run/
    python tools/run_notebooks.py --inplace           # refresh the committed outputs
    python tools/run_notebooks.py notebooks/00_setup.ipynb

Saved notebooks keep only what a reader needs: no execution timestamps, no widget
state (model ids change every run), so a re-run changes the diff only where an output
really changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".lab" / "run"  # where `make run` writes the executed copies (CI uploads them)
MAX_BYTES = 500_000  # keep notebooks readable on GitHub and cheap to diff


def clean(nb: NotebookNode) -> None:
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)


def run(path: Path, out: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    t0 = time.monotonic()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError:
        if out != path:  # a copy (make run, CI's artifact) shows where it failed; --inplace never
            clean(nb)  # overwrites a committed notebook with a failed run
            out.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, out)
        raise
    clean(nb)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    size = out.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{out} is {size} bytes (> {MAX_BYTES}): trim its outputs")
    return time.monotonic() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--inplace", action="store_true", help="overwrite the notebooks with fresh outputs")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for p in paths:
        p = p.resolve()
        out = p if args.inplace else RUN_DIR / p.name
        try:
            secs = run(p, out, args.timeout)
        except CellExecutionError as exc:
            where = "" if args.inplace else f" (the run so far: {out.relative_to(ROOT)})"
            print(f"FAILED {p.relative_to(ROOT)}{where}\n{exc}", file=sys.stderr)
            return 1
        print(f"ok {p.relative_to(ROOT)} ({secs:.1f} s) -> {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
