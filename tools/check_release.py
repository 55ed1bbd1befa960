"""Is this checkout ready to be tagged as a release? (`make release`)

    python tools/check_release.py

The version is pyproject.toml's (the one place it is set; ``helpers.__version__`` reads it).
A release needs, in CHANGELOG.md (keep-a-changelog style):

* a section ``## [X.Y.Z] - YYYY-MM-DD`` for that version, with a real date and at least one entry;
* an empty ``## [Unreleased]`` section: its entries were moved into the version's section;

and in git: a clean tree (everything released is committed) and no tag ``vX.Y.Z`` on another
commit (a version is released once). It prints the tag command when all is well; it never tags.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADING = re.compile(r"^## \[(?P<name>[^\]]+)\](?P<rest>.*)$", re.M)


def project_version(root: Path = ROOT) -> str:
    return str(tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"])


def sections(changelog: str) -> dict[str, tuple[str, str]]:
    """``{name: (text after the heading's brackets, body)}`` for every ``## [name]`` section."""
    found = list(HEADING.finditer(changelog))
    out = {}
    for m, nxt in zip(found, [*found[1:], None]):
        body = changelog[m.end() : nxt.start() if nxt else len(changelog)]
        out[m.group("name")] = (m.group("rest").strip(), body)
    return out


def _entries(body: str) -> list[str]:
    return [line for line in body.splitlines() if line.lstrip().startswith(("- ", "* "))]


def changelog_problems(changelog: str, version: str) -> list[str]:
    """What keeps CHANGELOG.md from describing release ``version`` (empty when it does)."""
    found = sections(changelog)
    problems = []
    if version not in found:
        return [f"CHANGELOG.md has no section `## [{version}] - YYYY-MM-DD` for the version in pyproject.toml"]
    rest, body = found[version]
    m = re.fullmatch(r"- (\d{4}-\d{2}-\d{2})", rest)
    if not m:
        problems.append(f"`## [{version}]` needs its release date: `## [{version}] - YYYY-MM-DD`")
    else:
        try:
            dt.date.fromisoformat(m.group(1))
        except ValueError:
            problems.append(f"`## [{version}]` has {m.group(1)}, which is not a date")
    if not _entries(body):
        problems.append(f"`## [{version}]` lists no changes")
    if "Unreleased" not in found:
        problems.append("CHANGELOG.md has no `## [Unreleased]` section (keep an empty one at the top)")
    elif _entries(found["Unreleased"][1]):
        problems.append(
            f"`## [Unreleased]` still lists changes: move them into `## [{version}]` "
            f"(or bump the version in pyproject.toml and give them a new section)"
        )
    return problems


def git(*args: str, root: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def git_problems(version: str, root: Path = ROOT) -> list[str]:
    """A dirty tree, or the version's tag already on another commit."""
    problems = []
    dirty = git("status", "--porcelain", "--untracked-files=normal", root=root).splitlines()
    if dirty:
        shown = ", ".join(line[3:] for line in dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        problems.append(f"the tree is not clean ({len(dirty)} path(s): {shown}): commit or stash first")
    tag = f"v{version}"
    if git("tag", "--list", tag, root=root).strip():
        tagged = git("rev-list", "-n", "1", tag, root=root).strip()
        if tagged != git("rev-parse", "HEAD", root=root).strip():
            problems.append(f"{tag} is already tagged on {tagged[:12]}: bump the version in pyproject.toml")
    return problems


def main(root: Path = ROOT) -> int:
    version = project_version(root)
    changelog = root / "CHANGELOG.md"
    text = changelog.read_text() if changelog.is_file() else ""
    problems = changelog_problems(text, version) + git_problems(version, root)
    if problems:
        print(f"not ready to release {version}:", file=sys.stderr)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        return 1
    print(f"ready to release {version}: git tag -a v{version} -m 'aws-de-labs {version}' && git push origin v{version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
