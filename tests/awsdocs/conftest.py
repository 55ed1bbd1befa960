"""pytest wiring for the AWS examples (the harness is ``awsdocs_harness.py``)."""

from awsdocs_harness import answers, local_target  # noqa: F401  (fixtures)

collect_ignore = ["vendor"]  # AWS's files are run by the tests here, never collected as tests
