"""Lambda limits and runtimes (issues 13 and 15): MemorySize, concurrency, the async queue, and
which interpreter runs a function.

Talks to the session's localcloud (conftest.py) with boto3, as a learner would.
"""

from __future__ import annotations

import base64
import concurrent.futures
import io
import json
import subprocess
import sys
import time
import uuid
import zipfile
from types import SimpleNamespace

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from helpers import lab
from localcloud.engines.awslambda import limits, runtimes

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}],
}

HANDLER = """
import json, os, sys, time

def worker_pid():  # the worker as localcloud sees it: the handler is pid 1 of its own PID namespace
    me = os.readlink("/proc/self")  # /proc is the host's: its pid there
    return int(open(f"/proc/{me}/stat").read().rsplit(")", 1)[1].split()[1])  # its parent, the worker

def lambda_handler(event, context):
    if event.get("allocate_mb"):
        blocks = [b"x" * (16 << 20) for _ in range(event["allocate_mb"] // 16)]  # really touched
        return {"held_mb": 16 * len(blocks)}
    if event.get("fail"):
        print("attempt failed", event.get("tag"))
        raise RuntimeError("fails on purpose")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    print("ran", json.dumps(event, sort_keys=True))
    return {"pid": worker_pid(), "python": sys.version.split()[0], "tag": event.get("tag")}
"""


def zipped(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, src in files.items():
            zf.writestr(name, src)
    return buf.getvalue()


@pytest.fixture(scope="module")
def aws():
    lab.start("07")
    iam = boto3.client("iam")
    role = iam.create_role(RoleName=f"limits-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(TRUST))[
        "Role"
    ]["Arn"]
    # no client-side retries: a throttle must reach the test as the 429 Lambda answered
    lam = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}, read_timeout=120))
    return SimpleNamespace(lam=lam, logs=boto3.client("logs"), role=role)


def make_function(aws, memory=256, runtime="python3.12", timeout=30) -> str:
    name = f"lim-{uuid.uuid4().hex[:8]}"
    aws.lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=aws.role,
        Handler="handler.lambda_handler",
        Code={"ZipFile": zipped({"handler.py": HANDLER})},
        Timeout=timeout,
        MemorySize=memory,
    )
    return name


@pytest.fixture
def fn(aws):
    name = make_function(aws)
    yield name
    aws.lam.delete_function(FunctionName=name)


def invoke(aws, name, event=None, **kw):
    resp = aws.lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), **kw)
    return resp, json.loads(resp["Payload"].read() or b"null")


def engine_status() -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "localcloud", "status", "--json"], capture_output=True, text=True, timeout=30
    )
    return json.loads(out.stdout)["engines"]["lambda_runtime"]


def log_lines(aws, name, want: str, count: int = 1, timeout: float = 30.0) -> list[str]:
    group = f"/aws/lambda/{name}"
    deadline = time.monotonic() + timeout
    while True:
        lines = []
        try:
            for s in aws.logs.describe_log_streams(logGroupName=group)["logStreams"]:
                ev = aws.logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"])["events"]
                lines += [e["message"] for e in ev]
        except ClientError:
            pass
        if sum(want in line for line in lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


# ---- MemorySize (13.4) ----------------------------------------------------------------------------


def test_a_function_over_its_memory_size_is_killed_like_on_aws(aws):
    name = make_function(aws, memory=128)
    t0 = time.monotonic()
    resp, out = invoke(aws, name, {"allocate_mb": 1024}, LogType="Tail")
    assert time.monotonic() - t0 < 25, "killed when it crossed 128 MB, not after the timeout"
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.OutOfMemory"
    assert out["errorMessage"].startswith("RequestId: ") and out["errorMessage"].endswith(
        "Error: Runtime exited with error: signal: killed"
    )
    tail = base64.b64decode(resp["LogResult"]).decode()
    report = next(line for line in tail.splitlines() if line.startswith("REPORT"))
    assert "Memory Size: 128 MB\tMax Memory Used: 128 MB" in report
    assert "Runtime.OutOfMemory" in tail
    # the next invocation gets a fresh environment and works within its limit
    _, ok = invoke(aws, name, {"allocate_mb": 32})
    assert ok == {"held_mb": 32}
    aws.lam.delete_function(FunctionName=name)


def test_memory_within_the_limit_is_reported(aws):
    name = make_function(aws, memory=512)
    resp, out = invoke(aws, name, {"allocate_mb": 256}, LogType="Tail")
    assert out == {"held_mb": 256} and "FunctionError" not in resp
    report = next(line for line in base64.b64decode(resp["LogResult"]).decode().splitlines() if "REPORT" in line)
    used = int(report.split("Max Memory Used: ")[1].split(" MB")[0])
    assert 256 <= used < 512
    aws.lam.delete_function(FunctionName=name)


# ---- concurrency (13.4) -----------------------------------------------------------------------------


def test_account_settings_report_the_local_limit(aws, fn):
    settings = aws.lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == limits.DEFAULT_ACCOUNT_CONCURRENCY == 10
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 10
    assert settings["AccountUsage"]["FunctionCount"] >= 1
    # as on a new AWS account (limit 10): at least 10 must stay unreserved, so only 0 can be reserved
    with pytest.raises(ClientError) as refused:
        aws.lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=1)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert refused.value.response["Error"]["Message"] == (
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        "below its minimum value of [10]."
    )


def test_reserved_concurrency_throttles_sync_and_queues_async(aws, fn):
    aws.lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as throttled:
        invoke(aws, fn, {"tag": "sync"})
    err = throttled.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert err["Error"]["Code"] == "TooManyRequestsException" and err["Error"]["Message"] == "Rate Exceeded."
    assert err["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"

    resp = aws.lam.invoke(FunctionName=fn, InvocationType="Event", Payload=json.dumps({"tag": "queued"}))
    assert resp["StatusCode"] == 202  # accepted: it waits in Lambda's queue, it is not refused
    time.sleep(1.5)
    assert not any('"tag": "queued"' in line for line in log_lines(aws, fn, "ran", timeout=0.1))
    aws.lam.delete_function_concurrency(FunctionName=fn)
    assert any('"tag": "queued"' in line for line in log_lines(aws, fn, '"tag": "queued"', timeout=90))


def test_the_account_limit_throttles_and_bounds_workers(aws, fn):
    def one(i):
        try:
            return invoke(aws, fn, {"sleep": 3, "tag": i})[1]["pid"]
        except ClientError as exc:
            return exc.response.get("Reason")

    with concurrent.futures.ThreadPoolExecutor(14) as pool:
        results = list(pool.map(one, range(14)))
    pids = [r for r in results if isinstance(r, int)]
    throttled = [r for r in results if isinstance(r, str)]
    assert len(pids) <= 10 and throttled and set(throttled) == {"ConcurrentInvocationLimitExceeded"}
    assert len(pids) + len(throttled) == 14


def test_fifty_async_invocations_queue_and_never_spawn_fifty_workers(aws, fn):
    for i in range(50):
        aws.lam.invoke(FunctionName=fn, InvocationType="Event", Payload=json.dumps({"sleep": 0.2, "tag": f"a{i}"}))
    peak = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        workers = engine_status()["workers"]
        peak = max(peak, workers["busy"] + workers["idle"])
        if sum('"tag": "a' in line for line in log_lines(aws, fn, "ran", timeout=0.1)) >= 50:
            break
        time.sleep(0.2)
    assert sum('"tag": "a' in line for line in log_lines(aws, fn, "ran", count=50, timeout=1)) == 50
    assert 1 <= peak <= limits.WORKER_CAP


def test_a_failed_async_event_is_retried_per_its_config(aws, fn):
    before = engine_status()["async_queue"]
    aws.lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=0)
    aws.lam.invoke(FunctionName=fn, InvocationType="Event", Payload=json.dumps({"fail": True, "tag": "once"}))
    log_lines(aws, fn, "attempt failed once")
    deadline = time.monotonic() + 30
    while engine_status()["async_queue"]["dropped"] == before["dropped"] and time.monotonic() < deadline:
        time.sleep(0.2)
    after = engine_status()["async_queue"]
    assert after["dropped"] == before["dropped"] + 1 and after["retried"] == before["retried"]

    aws.lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=2)
    aws.lam.invoke(FunctionName=fn, InvocationType="Event", Payload=json.dumps({"fail": True, "tag": "again"}))
    log_lines(aws, fn, "attempt failed again")
    deadline = time.monotonic() + 30
    while engine_status()["async_queue"]["retried"] == after["retried"] and time.monotonic() < deadline:
        time.sleep(0.2)
    status = engine_status()["async_queue"]
    assert status["retried"] == after["retried"] + 1  # the retry waits its minute in the queue
    assert status["waiting"] >= 1


def _queue(name: str) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _one_message(url: str, timeout: float = 30.0) -> dict:
    sqs = boto3.client("sqs")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1).get("Messages", [])
        if msgs:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
            return json.loads(msgs[0]["Body"])
    raise AssertionError(f"no message in {url} within {timeout:.0f} s")


def test_a_failed_async_event_goes_to_the_on_failure_destination_as_an_invocation_record(aws, fn):
    """AWS's record (developer guide, "Capturing records of Lambda asynchronous invocations")."""
    failures_url, failures_arn = _queue(f"dest-fail-{uuid.uuid4().hex[:6]}")
    successes_url, successes_arn = _queue(f"dest-ok-{uuid.uuid4().hex[:6]}")
    aws.lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=2)  # replaced by the next put
    aws.lam.put_function_event_invoke_config(
        FunctionName=fn,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}, "OnSuccess": {"Destination": successes_arn}},
    )
    conf = aws.lam.get_function_event_invoke_config(FunctionName=fn)
    assert conf["MaximumRetryAttempts"] == 0, "a put replaces the configuration"

    aws.lam.invoke(FunctionName=fn, InvocationType="Event", Payload=json.dumps({"fail": True, "tag": "dest"}))
    rec = _one_message(failures_url)
    assert rec["version"] == "1.0"
    assert rec["requestContext"]["condition"] == "RetriesExhausted"
    assert rec["requestContext"]["approximateInvokeCount"] == 1
    assert rec["requestContext"]["functionArn"].endswith(f":function:{fn}:$LATEST")
    assert rec["requestPayload"] == {"fail": True, "tag": "dest"}
    assert rec["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert rec["responsePayload"]["errorType"] == "RuntimeError"
    assert rec["responsePayload"]["errorMessage"] == "fails on purpose"

    aws.lam.invoke(FunctionName=fn, InvocationType="Event", Payload=json.dumps({"tag": "fine"}))
    ok = _one_message(successes_url)
    assert ok["requestContext"]["condition"] == "Success"
    assert "functionError" not in ok["responseContext"] and ok["responsePayload"]["tag"] == "fine"
    aws.lam.delete_function_event_invoke_config(FunctionName=fn)


def test_destinations_localcloud_cannot_deliver_and_dead_letter_queues_are_refused(aws, fn):
    other = f"arn:aws:lambda:us-east-1:{boto3.client('sts').get_caller_identity()['Account']}:function:{fn}"
    with pytest.raises(ClientError) as refused:
        aws.lam.put_function_event_invoke_config(
            FunctionName=fn, DestinationConfig={"OnFailure": {"Destination": other}}
        )
    assert refused.value.response["Error"]["Code"] == "LocalCloudNotSupported"
    assert "SQS queues and SNS topics only" in refused.value.response["Error"]["Message"]
    _, queue_arn = _queue(f"dlq-{uuid.uuid4().hex[:6]}")
    with pytest.raises(ClientError) as refused:
        aws.lam.update_function_configuration(FunctionName=fn, DeadLetterConfig={"TargetArn": queue_arn})
    assert refused.value.response["Error"]["Code"] == "LocalCloudNotSupported"
    assert "on-failure destination" in refused.value.response["Error"]["Message"]


# ---- runtimes (15) -----------------------------------------------------------------------------------


@pytest.mark.parametrize("runtime", ["nodejs22.x", "java21", "provided.al2023"])
def test_a_runtime_localcloud_cannot_run_is_refused(aws, runtime):
    with pytest.raises(ClientError) as refused:
        make_function(aws, runtime=runtime)
    err = refused.value.response["Error"]
    assert err["Code"] == "InvalidParameterValueException"
    assert err["Message"].startswith(f"Value {runtime} at 'runtime' failed to satisfy constraint")
    assert "localcloud runs Python functions only" in err["Message"]


@pytest.mark.parametrize("runtime", ["python3.8", "python3.7"])
def test_a_deprecated_runtime_is_refused_as_aws_does(aws, runtime):
    with pytest.raises(ClientError) as refused:
        make_function(aws, runtime=runtime)
    assert refused.value.response["Error"]["Message"] == (
        f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. "
        "We recommend you use the new runtime (python3.14) while creating or updating functions."
    )


def test_the_log_says_which_interpreter_ran_the_function(aws):
    name = make_function(aws, runtime="python3.13")
    resp, out = invoke(aws, name, {"tag": 1}, LogType="Tail")
    tail = base64.b64decode(resp["LogResult"]).decode().splitlines()
    note = f"localcloud: runtime python3.13 ran on {runtimes.interpreter()}"
    assert tail[0].startswith("INIT_START Runtime Version: python:3.13") and tail[0].endswith(note)
    assert out["python"] == runtimes.interpreter().split()[1]
    _, _ = invoke(aws, name, {"tag": 2})  # warm: no INIT_START, but every REPORT says it
    reports = [line for line in log_lines(aws, name, "REPORT", count=2) if line.startswith("REPORT")]
    assert len(reports) == 2 and all(note in r for r in reports)
    with pytest.raises(ClientError):
        aws.lam.update_function_configuration(FunctionName=name, Runtime="nodejs22.x")
    aws.lam.delete_function(FunctionName=name)
