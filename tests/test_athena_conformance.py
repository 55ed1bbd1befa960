"""The Athena conformance suite (tests/athena_conformance/) must pass completely.

Every case states what Athena engine version 3 answers, with the documentation it comes from;
the engine either answers exactly that or, for the few cases listed in
``athena_conformance/not_supported.yaml``, refuses with NOT_SUPPORTED.  Runs against this
session's private localcloud.

The runner is imported from tests/ on sys.path, not as ``tests.athena_conformance``: alive-progress
(a test dependency) installs a top-level ``tests`` package that would shadow this folder.
"""

from __future__ import annotations

import boto3
from athena_conformance.runner import load_suite, run_suite

from helpers import lab


def test_athena_answers_like_athena():
    lab.start("04")
    report = run_suite(load_suite(), boto3.session.Session())
    assert len(report.outcomes) >= 400
    assert not report.setup_failures, report.text()
    assert not report.failures, report.text()
