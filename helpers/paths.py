"""Where the labs keep files on disk (introduced in 00_setup)."""

from __future__ import annotations

from pathlib import Path

import labcontract

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def lab_dir() -> Path:
    """Git-ignored folder for key files, downloads and localcloud state (LAB_DIR overrides)."""
    d = labcontract.lab_dir()
    d.mkdir(parents=True, exist_ok=True)
    return d


def data_file(name: str) -> Path:
    return PROJECT_ROOT / "data" / name


def relative(path: Path | str) -> str:
    """A path as notebooks print it: relative to the project, never /home/you/... ."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
