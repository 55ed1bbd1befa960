"""The dev container and Binder files agree with the set-up they stand for (neither can be launched here).

`make setup` is the one set-up: the dev container runs exactly it, Binder installs exactly the
Debian packages its targets install (binder/apt.txt) and runs exactly its pip steps (postBuild),
with the conda environment file the project already keeps, and JupyterLab configured as `make
lab` configures it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text()
# The venv fallback installs python3-venv only where `python3 -m venv` fails: Binder's and the dev
# container's Pythons have venv, so it is no package of theirs.
VENV_FALLBACK = {"python3-venv"}
# devcontainer.json properties this file may use (containers.dev/implementors/json_reference,
# "image" based containers); a misspelt one would be ignored silently by the tools.
DEVCONTAINER_PROPERTIES = {
    "name",
    "image",
    "postCreateCommand",
    "forwardPorts",
    "portsAttributes",
    "customizations",
    "containerEnv",
    "remoteUser",
    "features",
}


def _make_target(name: str) -> str:
    """The recipe of Makefile target ``name`` (its lines up to the next blank line)."""
    m = re.search(rf"^{re.escape(name)}:[^\n]*\n((?:\t[^\n]*\n)*)", MAKEFILE, re.M)
    assert m, f"no target {name} in the Makefile"
    return m[1]


def _setup_targets() -> list[str]:
    return re.search(r"^setup: (.*)$", MAKEFILE, re.M)[1].split()


def _apt_packages_of_setup() -> set[str]:
    found: set[str] = set()
    for target in _setup_targets():
        for line in _make_target(target).splitlines():
            for pkgs in re.findall(r"apt-get install -y -qq ([a-z0-9.+\- ]+?)(?: >| &&|;|$)", line):
                found |= set(pkgs.split())
    return found - VENV_FALLBACK


def _pip_steps_of_setup() -> list[str]:
    """`make setup`'s pip installs from the lock and of the project, as Binder's python spells them."""
    steps = [line.strip() for line in _make_target("$(STAMP)").splitlines() if "pip install" in line]
    steps = [s.replace("$(BIN)/python", "python") for s in steps if "--upgrade pip" not in s]
    assert any("requirements.lock" in s for s in steps), steps
    return steps


def test_devcontainer_runs_the_readme_setup_and_forwards_jupyterlab():
    config = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert set(config) <= DEVCONTAINER_PROPERTIES, set(config) - DEVCONTAINER_PROPERTIES
    image = config["image"]
    # Debian (bookworm) with Python 3.11, the oldest Python pyproject.toml allows, as in CI.
    assert re.fullmatch(r"mcr\.microsoft\.com/devcontainers/python:(1-)?3\.11-bookworm", image), image
    assert config["postCreateCommand"] == "make setup"
    readme = (ROOT / "README.md").read_text()
    assert "make setup" in readme and "\nsetup: " in MAKEFILE
    assert 8888 in config["forwardPorts"]
    assert set(config.get("portsAttributes", {})) <= {str(p) for p in config["forwardPorts"]}
    for ext in config["customizations"]["vscode"]["extensions"]:
        assert re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+", ext), ext


def test_binder_apt_txt_lists_exactly_the_debian_packages_setup_installs():
    listed = [
        line.strip()
        for line in (ROOT / "binder" / "apt.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(listed) == len(set(listed)), "a package listed twice"
    assert set(listed) == _apt_packages_of_setup()


def test_binder_environment_is_the_projects_conda_environment():
    env_file = ROOT / "binder" / "environment.yml"
    assert env_file.resolve() == (ROOT / "environment.yml").resolve(), "binder/ must use the mirrored environment.yml"
    env = yaml.safe_load(env_file.read_text())
    assert "python=3.11" in env["dependencies"]


def test_binder_postbuild_runs_the_setup_pip_steps_and_the_lab_config():
    post = ROOT / "binder" / "postBuild"
    assert post.stat().st_mode & 0o111, "postBuild must be executable"
    text = post.read_text()
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    commands = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    pip_lines = [c for c in commands if "pip install" in c]
    assert [c.replace(" -q", "") for c in pip_lines] == [s.replace(" -q", "") for s in _pip_steps_of_setup()]
    assert (
        "tools/jupyter/jupyter_server_config.py" in text and (ROOT / "tools/jupyter/jupyter_server_config.py").is_file()
    )
    assert subprocess.run(["bash", "-n", str(post)]).returncode == 0  # it parses
