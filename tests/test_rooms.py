"""The rooms stay apart (DEVELOPERS.md): read from the source, every import, TYPE_CHECKING ones too.

* only ``localcloud/seam/`` imports moto: a moto upgrade is a to-do list there, nowhere else;
* ``helpers/`` and ``lambdas/`` never import localcloud (they reach it through AWS endpoints, as
  they reach real AWS), and localcloud never imports helpers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def _offenders(folders: list[str], forbidden: str, allowed: str | None = None) -> list[str]:
    out = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if allowed and rel.startswith(allowed):
                continue
            out += [f"{rel}:{line}" for line, top in _imports(path) if top == forbidden]
    return out


def test_only_the_seam_imports_moto():
    assert _offenders(["localcloud", "helpers", "lambdas", "tools"], "moto", allowed="localcloud/seam/") == []


@pytest.mark.parametrize(
    ("folders", "forbidden"), [(["helpers", "lambdas"], "localcloud"), (["localcloud"], "helpers")]
)
def test_helpers_and_localcloud_never_import_each_other(folders, forbidden):
    assert _offenders(folders, forbidden) == []


def test_the_check_sees_imports_under_type_checking(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from moto.rds.models import RDSBackend\n")
    assert (3, "moto") in _imports(src)
