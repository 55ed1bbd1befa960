"""helpers.glue_jobs (the bounded job-run wait) and helpers.resources_glue_jobs (inventory and
teardown of Glue jobs), against the session's localcloud. A Python shell job keeps it quick: no Spark."""

from __future__ import annotations

import boto3
import pytest

from helpers import lab, resources
from helpers.glue_jobs import wait_for_job_run

LAB_ID = "97"  # a lab number no notebook uses: teardown(lab=LAB_ID) touches only this test's jobs
BUCKET = "glue-jobs-helpers-test"


@pytest.fixture(scope="module")
def clients():
    lab.start(LAB_ID)
    s3, glue = boto3.client("s3"), boto3.client("glue")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="scripts/hello.py", Body=b"print('hello from the job')\n")
    yield s3, glue, boto3.client("logs")
    resources.delete_all(lab=LAB_ID)
    for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=obj["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def make_job(glue, name: str, **tags: str) -> None:
    glue.create_job(
        Name=name,
        Role="arn:aws:iam::123456789012:role/glue-helpers-test",
        Command={"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/scripts/hello.py", "PythonVersion": "3.9"},
        MaxCapacity=0.0625,
        Tags=tags,
    )


def streams(logs, run_id: str) -> list[str]:
    found = []
    for group in ("/aws-glue/jobs/output", "/aws-glue/jobs/error"):
        page = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=run_id)
        found += [s["logStreamName"] for s in page["logStreams"]]
    return found


def test_wait_for_job_run_returns_the_finished_run(clients, capsys):
    _, glue, _ = clients
    make_job(glue, "helpers-test-wait", **lab.tag_dict())
    run = wait_for_job_run(glue, "helpers-test-wait", glue.start_job_run(JobName="helpers-test-wait")["JobRunId"])
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert "✓ the run of helpers-test-wait" in capsys.readouterr().out


def test_teardown_deletes_lab_jobs_with_their_log_streams_and_nothing_else(clients):
    _, glue, logs = clients
    make_job(glue, "helpers-test-lab-job", **lab.tag_dict())
    make_job(glue, "helpers-test-other-job", Project="someone-else")
    run_ids = []
    for name in ("helpers-test-lab-job", "helpers-test-other-job"):
        run = wait_for_job_run(glue, name, glue.start_job_run(JobName=name)["JobRunId"])
        assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
        run_ids.append(run["Id"])
    assert streams(logs, run_ids[0]) and streams(logs, run_ids[1])

    found = {(r.kind, r.name) for r in resources.find_all(LAB_ID)}
    assert ("glue job", "helpers-test-lab-job") in found
    assert ("glue job", "helpers-test-other-job") not in found

    resources.delete_all(lab=LAB_ID)
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_job(JobName="helpers-test-lab-job")
    assert streams(logs, run_ids[0]) == [], "the lab job's run logs go with it"
    assert glue.get_job(JobName="helpers-test-other-job")["Job"]["Name"] == "helpers-test-other-job"
    assert streams(logs, run_ids[1]), "another job's logs stay"
    assert not [r for r in resources.find_all(LAB_ID) if r.kind == "glue job"]
    glue.delete_job(JobName="helpers-test-other-job")
