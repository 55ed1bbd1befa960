"""Teaching-facing helpers for the aws-de-labs notebooks.

They only start the lab, wait, display, check and clean up: every AWS call the
labs teach is written out in the notebooks with plain boto3 / pyathena /
mysql-connector.  Importing this package has no side effects.

Modules: :mod:`helpers.lab` (targets, tags, require, inventory, teardown),
:mod:`helpers.show` (compact summaries), :mod:`helpers.wait` (waiters with progress),
:mod:`helpers.resources` (what inventory/teardown know how to find and delete),
:mod:`helpers.ssh` (key files and SSH endpoints, lab 01), :mod:`helpers.mysql` (RDS secrets and
connection errors, labs 02–03), :mod:`helpers.athena` (query waits and costs, lab 04),
:mod:`helpers.lambda_package` (deployment zips, lab 07), :mod:`helpers.rwsplit` (read/write
router, lab 09), :mod:`helpers.dashboard` and :mod:`helpers.selfcheck` (lab dashboard and
self-check quizzes, 00 onwards).

``helpers.__version__`` is the course version (``pyproject.toml``'s, the one place it is set),
so a learner can say which version of the labs they ran.
"""

from importlib.metadata import PackageNotFoundError, version


def _course_version() -> str:
    """The installed aws-de-labs version; from pyproject.toml in a checkout that was not installed."""
    try:
        return version("aws-de-labs")
    except PackageNotFoundError:
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text())["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


__version__ = _course_version()
