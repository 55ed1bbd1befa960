"""The course version (pyproject.toml -> helpers.__version__) and `make release` (tools/check_release.py)."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import helpers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import check_release  # noqa: E402

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

READY = """# Changelog

## [Unreleased]

## [1.2.0] - 2026-12-01

### Added

- A new lab.

## [1.1.0] - 2026-11-01

- Older things.
"""


def test_helpers_version_is_pyprojects():
    assert helpers.__version__ == VERSION


def test_a_checkout_that_was_not_installed_reads_pyproject(monkeypatch):
    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(helpers, "version", not_installed)
    assert helpers._course_version() == VERSION


def test_the_changelog_has_a_dated_section_for_the_current_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    problems = check_release.changelog_problems(changelog, VERSION)
    assert [p for p in problems if "[Unreleased]" not in p] == []
    assert "Unreleased" in check_release.sections(changelog)


def test_a_ready_changelog_passes():
    assert check_release.changelog_problems(READY, "1.2.0") == []


@pytest.mark.parametrize(
    ("changelog", "version", "says"),
    [
        (READY, "1.3.0", "no section `## [1.3.0] - YYYY-MM-DD`"),
        (READY.replace("## [1.2.0] - 2026-12-01", "## [1.2.0]"), "1.2.0", "needs its release date"),
        (READY.replace("2026-12-01", "2026-13-01"), "1.2.0", "is not a date"),
        (READY.replace("- A new lab.", ""), "1.2.0", "lists no changes"),
        (READY.replace("## [Unreleased]\n", "## [Unreleased]\n\n- Not released yet.\n"), "1.2.0", "still lists"),
        (READY.replace("## [Unreleased]\n", ""), "1.2.0", "no `## [Unreleased]` section"),
    ],
)
def test_an_unready_changelog_says_why(changelog, version, says):
    problems = check_release.changelog_problems(changelog, version)
    assert len(problems) == 1 and says in problems[0], problems


def _git(repo: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A one-commit project at version 1.2.0 whose changelog is ready."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1.2.0"\n')
    (tmp_path / "CHANGELOG.md").write_text(READY)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "1.2.0")
    return tmp_path


def test_a_clean_ready_checkout_passes_and_prints_the_tag_command(repo, capsys):
    assert check_release.main(repo) == 0
    assert "git tag -a v1.2.0" in capsys.readouterr().out


def test_uncommitted_work_blocks_a_release(repo, capsys):
    (repo / "notes.txt").write_text("not committed\n")
    assert check_release.main(repo) == 1
    assert "the tree is not clean (1 path(s): notes.txt)" in capsys.readouterr().err


def test_a_version_is_released_once(repo, capsys):
    _git(repo, "tag", "v1.2.0")
    assert check_release.git_problems("1.2.0", repo) == []  # the tag is this very commit
    (repo / "CHANGELOG.md").write_text(READY + "\n")
    _git(repo, "commit", "-q", "-am", "later")
    assert check_release.main(repo) == 1
    assert "v1.2.0 is already tagged" in capsys.readouterr().err


def test_make_release_runs_the_check():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nrelease:", 1)[1].split("\n\n", 1)[0]
    assert "tools/check_release.py" in recipe
