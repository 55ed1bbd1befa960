"""Glue ETL jobs for ``lab.inventory()`` / ``lab.teardown()`` (introduced in 06_glue_etl_spark).

A job goes before the IAM role it runs as (``helpers.resources_iam``) and the bucket that holds
its script and output (``helpers.resources``). Deleting one stops its unfinished runs, removes
the log streams its runs wrote to Glue's shared log groups (``/aws-glue/jobs/output`` and
``/aws-glue/jobs/error``: Glue creates them untagged, and other jobs of the account write there
too, so only this job's streams go), then deletes the job; its tags and bookmark go with it.
Only jobs tagged ``Project=aws-de-labs`` are touched.
"""

from __future__ import annotations

import boto3

from . import clients
from .resources import Resource, _is_lab, collector, quietly, read_tags

LOG_GROUPS = ("/aws-glue/jobs/output", "/aws-glue/jobs/error")
UNFINISHED = ("STARTING", "RUNNING", "STOPPING", "WAITING")


def _delete_job(name: str) -> None:
    glue, logs = clients.client("glue"), clients.client("logs")
    run_ids, unfinished = [], []
    try:
        for page in glue.get_paginator("get_job_runs").paginate(JobName=name):
            for run in page["JobRuns"]:
                run_ids.append(run["Id"])
                if run["JobRunState"] in UNFINISHED:
                    unfinished.append(run["Id"])
    except glue.exceptions.EntityNotFoundException:
        return  # deleted meanwhile
    for i in range(0, len(unfinished), 25):  # BatchStopJobRun takes at most 25 run ids
        glue.batch_stop_job_run(JobName=name, JobRunIds=unfinished[i : i + 25])
    for group in LOG_GROUPS:
        for run_id in run_ids:
            # Glue 5.0 names a run's streams <run id>-driver, <run id>-<executor>, ...: all start with the id.
            pages = logs.get_paginator("describe_log_streams").paginate(logGroupName=group, logStreamNamePrefix=run_id)
            try:
                streams = [s["logStreamName"] for page in pages for s in page["logStreams"]]
            except logs.exceptions.ResourceNotFoundException:
                break  # the group does not exist (yet): nothing logged there
            for stream in streams:
                quietly(logs.delete_log_stream, logGroupName=group, logStreamName=stream)
    quietly(glue.delete_job, JobName=name)


@collector("glue job", order=38)
def _jobs() -> list[Resource]:
    glue = clients.client("glue")
    account = clients.account()
    arn_prefix = f"arn:aws:glue:{boto3.session.Session().region_name}:{account}:job/"
    found = []
    for page in glue.get_paginator("get_jobs").paginate():
        for job in page["Jobs"]:
            name = job["Name"]
            tags = read_tags(lambda name=name: glue.get_tags(ResourceArn=arn_prefix + name).get("Tags") or {})
            if tags is None or not _is_lab(tags):
                continue
            found.append(Resource("glue job", name, tags.get("Lab", ""), "", name, lambda name=name: _delete_job(name)))
    return found
