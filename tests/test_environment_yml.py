"""environment.yml mirrors pyproject.toml's pinned dependencies exactly (no hand drift)."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pyproject_pins() -> list[str]:
    """Every pinned requirement of pyproject.toml: the dependencies and every extra's."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *(dep for deps in project["optional-dependencies"].values() for dep in deps)]


def test_environment_yml_mirrors_pyproject():
    mirrored = re.findall(r"^\s+- ([A-Za-z0-9_.,\-\[\]]+==[^\s#]+)", (ROOT / "environment.yml").read_text(), re.M)
    assert sorted(mirrored) == sorted(pyproject_pins())


def test_every_dependency_is_pinned():
    pinned = pyproject_pins()
    assert pinned and all("==" in dep for dep in pinned)
