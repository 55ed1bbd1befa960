"""The files that let others carry the project on: CI workflow, pre-commit hooks, licences.

They are not run here (GitHub runs the workflow, git runs the hooks), so these tests check
what can go stale unnoticed: the workflow still runs what `.ci/run` runs, on the Python that
pyproject.toml allows, and uploads the folders the tools really write; every pre-commit hook
calls a tool that is installed; the licence files say what the README says.
"""

from __future__ import annotations

import importlib.metadata
import re
import shlex
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import run_notebooks  # noqa: E402

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
PRECOMMIT = ROOT / ".pre-commit-config.yaml"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps() -> list[dict]:
    (job,) = _workflow()["jobs"].values()
    return job["steps"]


def _ci_run_commands() -> list[str]:
    """The commands .ci/run runs, less its shell preamble (set -e..., cd to the repository)."""
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    return [c for c in commands if not c.startswith(("set ", "cd "))]


def _make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def _recipe(target: str) -> str:
    text = (ROOT / "Makefile").read_text()
    m = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.M)
    assert m, f"no recipe for {target} in the Makefile"
    return m.group(1)


# ---- CI workflow -----------------------------------------------------------------------------


def test_workflow_triggers_on_push_pull_request_weekly_and_by_hand():
    wf = _workflow()
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert {"push", "pull_request", "schedule", "workflow_dispatch"} <= set(on)
    (cron,) = [entry["cron"] for entry in on["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert (day, month) == ("*", "*") and weekday.isdigit(), f"{cron!r} is not once a week"


def test_workflow_runs_what_ci_run_runs_on_ubuntu_with_a_bounded_time():
    (job,) = _workflow()["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    assert 0 < job["timeout-minutes"] <= 60
    runs = [step["run"].strip() for step in _steps() if "run" in step]
    commands = _ci_run_commands()
    assert commands == ["make test"]
    for command in commands:
        assert command in runs, f".ci/run runs {command!r}; the workflow does not"
    for command in runs:  # every make target the workflow calls exists
        words = shlex.split(command)
        if words[0] == "make":
            assert set(words[1:]) <= _make_targets(), command


def test_workflow_python_is_the_oldest_pyproject_allows():
    (setup,) = [s for s in _steps() if s.get("uses", "").startswith("actions/setup-python@")]
    version = str(setup["with"]["python-version"])
    spec = SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert version in spec
    assert spec == SpecifierSet(f">={version}"), "CI should test the oldest Python learners may use"


def test_workflow_uploads_the_executed_notebooks_and_the_screenshots():
    (upload,) = [s for s in _steps() if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["uses"] == "actions/upload-artifact@v4"
    assert upload["if"] != "success()", "the artifacts matter most when a run fails"
    paths = {Path(p.rstrip("/")) for p in upload["with"]["path"].split()}
    browser_test = (ROOT / "tests" / "test_browser.py").read_text()
    screenshots = re.search(r'^ARTIFACT = ROOT / "(\.lab)" / "(\w+)" /', browser_test, re.M)
    assert screenshots, "tests/test_browser.py no longer names its screenshot folder as expected"
    assert paths == {run_notebooks.RUN_DIR.relative_to(ROOT), Path(*screenshots.groups())}
    # the notebooks are executed before the upload, by the tool that writes RUN_DIR
    runs = [step["run"].strip() for step in _steps() if "run" in step]
    assert "make run" in runs and "tools/run_notebooks.py" in _recipe("run")


def test_set_up_installs_with_sudo_when_not_root():
    """GitHub's runners are not root; `make test` installs the Debian packages with sudo there."""
    for target in ("mariadb", "openssh", "chromium"):
        recipe = _recipe(target)
        assert '"$$(id -u)" = 0' in recipe and "sudo apt-get update" in recipe and "sudo DEBIAN_FRONTEND" in recipe
    assert "mariadb-install-db" in _recipe("mariadb"), "a MySQL 8 server alone cannot run the RDS labs"


# ---- pre-commit ----------------------------------------------------------------------------


def _hooks() -> list[dict]:
    config = yaml.safe_load(PRECOMMIT.read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"], "hooks must not be fetched from the network"
    return config["repos"][0]["hooks"]


def test_precommit_runs_the_checks_the_makefile_runs():
    ids = {hook["id"] for hook in _hooks()}
    assert {
        "trailing-whitespace",
        "end-of-file-fixer",
        "check-json",
        "check-yaml",
        "check-toml",
        "check-added-large-files",
        "check-merge-conflict",
        "ruff-check",
        "ruff-format",
        "mypy",
        "check-notebooks",
    } <= ids
    entries = {hook["id"]: hook["entry"] for hook in _hooks()}
    lint = _recipe("lint")
    assert "$(BIN)/ruff check ." in lint and entries["ruff-check"].startswith(".venv/bin/ruff check")
    assert "$(BIN)/ruff format --check ." in lint and entries["ruff-format"].startswith(".venv/bin/ruff format --check")
    assert "tools/check_notebooks.py" in lint and entries["check-notebooks"].endswith("tools/check_notebooks.py")
    assert "$(BIN)/mypy" in _recipe("typecheck") and entries["mypy"] == ".venv/bin/mypy"
    assert "pre-commit run --all-files" in _recipe("precommit")


def test_every_hook_calls_an_installed_executable():
    venv_bin = ROOT / ".venv" / "bin"
    if not venv_bin.is_dir():
        pytest.skip("no .venv here (conda?): the hooks call the tools `make setup` installs in .venv")
    scripts = {ep.name for ep in importlib.metadata.distribution("pre-commit-hooks").entry_points}
    for hook in _hooks():
        assert hook["language"] == "system", hook["id"]
        exe, *args = shlex.split(hook["entry"])
        path = ROOT / exe
        assert exe.startswith(".venv/bin/") and path.is_file() and path.stat().st_mode & 0o111, hook["id"]
        if path.name not in {"ruff", "mypy", "python"}:
            assert path.name in scripts, f"{hook['id']}: {path.name} is not a pre-commit-hooks script"
        for arg in args:
            if arg.endswith(".py"):
                assert (ROOT / arg).is_file(), f"{hook['id']}: {arg} is missing"
    pinned = {dep.split("==")[0] for dep in PYPROJECT["project"]["optional-dependencies"]["dev"]}
    assert {"pre-commit", "pre-commit-hooks", "ruff", "mypy"} <= pinned  # the dev extra `make setup` installs


# ---- licences ------------------------------------------------------------------------------


def test_licence_files_say_what_the_readme_and_pyproject_say():
    code = (ROOT / "LICENSE").read_text()
    content = (ROOT / "LICENSE-CONTENT").read_text()
    assert code.startswith("MIT License\n") and "Permission is hereby granted, free of charge" in code
    assert "Creative Commons Attribution 4.0" in content
    assert "https://creativecommons.org/licenses/by/4.0/legalcode" in content
    assert PYPROJECT["project"]["license"] == "MIT AND CC-BY-4.0"
    assert set(PYPROJECT["project"]["license-files"]) == {"LICENSE", "LICENSE-CONTENT"}
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Licence", 1)[1]
    assert "MIT License" in section and "CC BY 4.0" in section and "LICENSE-CONTENT" in section
    data = (ROOT / "data" / "README.md").read_text()
    assert "## Source and licence" in data and "generate_sales.py" in data and "CC BY 4.0" in data
