"""Glue job helpers: a bounded wait for a job run (introduced in 06_glue_etl_spark).

The learner's calls (``create_job``, ``start_job_run``, ``get_job_run``, ``reset_job_bookmark``,
the CloudWatch Logs reads) stay in the notebook; this module only waits.

* ``wait_for_job_run(glue, job_name, run_id)`` waits until the run has finished — SUCCEEDED,
  FAILED, TIMEOUT, STOPPED or ERROR — bounded, with progress, at AWS's pace on AWS, and
  returns its ``JobRun`` (``JobRunState``, ``ErrorMessage``, ``ExecutionTime``, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.waiter import WaiterModel, create_waiter_with_client

from .wait import wait_for

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.waiter import Waiter
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_glue.type_defs import JobRunTypeDef

FINISHED = ("SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR")

# A Glue 5.0 run takes about a minute on AWS (start-up included); 15 minutes is plenty for the
# course's jobs. Locally the first run waits for Spark to start, which takes tens of seconds on
# a busy 2-core machine: allow minutes there too.
LOCAL_SECONDS = 300.0

# boto3 ships no Glue job-run waiter; this one is written the way AWS writes its own.
_WAITERS = WaiterModel(
    {
        "version": 2,
        "waiters": {
            "JobRunFinished": {
                "operation": "GetJobRun",
                "delay": 10,
                "maxAttempts": 90,
                "acceptors": [
                    {"matcher": "path", "argument": "JobRun.JobRunState", "expected": s, "state": "success"}
                    for s in FINISHED
                ],
            },
        },
    }
)


class _Waiters:
    """Looks like a client to ``helpers.wait.wait_for``, with the waiter above."""

    def __init__(self, client: BaseClient) -> None:
        self.client = client

    def get_waiter(self, waiter_name: str) -> Waiter:
        return create_waiter_with_client(waiter_name, _WAITERS, self.client)


def wait_for_job_run(glue: GlueClient, job_name: str, run_id: str, what: str = "") -> JobRunTypeDef:
    """Wait (bounded) until the run has finished, whatever the outcome; return its JobRun."""
    wait_for(
        _Waiters(glue),
        "JobRunFinished",
        what or f"the run of {job_name}",
        local_seconds=LOCAL_SECONDS,
        JobName=job_name,
        RunId=run_id,
    )
    return glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]
