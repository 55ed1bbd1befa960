"""environment.yml mirrors pyproject.toml's pinned dependencies exactly (no hand drift)."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_environment_yml_mirrors_pyproject():
    pinned = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    mirrored = re.findall(r"^\s+- ([A-Za-z0-9_.\-\[\]]+==[^\s#]+)", (ROOT / "environment.yml").read_text(), re.M)
    assert sorted(mirrored) == sorted(pinned)


def test_every_dependency_is_pinned():
    pinned = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert pinned and all("==" in dep for dep in pinned)
