"""The Lambda runtime engine: real handler code in worker processes, triggers, logs, lifecycle.

Most tests talk to the session's localcloud (conftest.py) with boto3, as a learner would;
the stop/reset tests start a private localcloud so they can end it.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import time
import uuid
import zipfile
from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError

from helpers import lab
from localcloud.engines.awslambda.engine import policy_allows, role_trusts_lambda

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}],
}

HANDLER = """
import json, os, time
import boto3

CALLS = 0  # module-level state: survives between warm invocations
print("init", os.environ["AWS_LAMBDA_FUNCTION_NAME"])

def worker_pid():  # the worker as localcloud sees it: the handler is pid 1 of its own PID namespace
    me = os.readlink("/proc/self")  # /proc is the host's: its pid there
    return int(open(f"/proc/{me}/stat").read().rsplit(")", 1)[1].split()[1])  # its parent, the worker

def lambda_handler(event, context):
    global CALLS
    CALLS += 1
    print("event", json.dumps(event, sort_keys=True))
    if event.get("raise"):
        raise KeyError(event["raise"])
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("boto3"):
        boto3.client("s3").put_object(Bucket=event["boto3"], Key="from-lambda.txt", Body=b"hi")
    if event.get("datetime"):
        import datetime
        return {"now": datetime.datetime(2024, 1, 1)}
    return {
        "echo": event, "calls": CALLS, "pid": worker_pid(),
        "env": {k: os.environ.get(k) for k in ("AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                               "AWS_REGION", "_HANDLER", "GREETING", "AWS_LAMBDA_FUNCTION_VERSION",
                                               "AWS_LAMBDA_LOG_GROUP_NAME")},
        "endpoint_set": bool(os.environ.get("AWS_ENDPOINT_URL")),
        "cwd_is_task_root": os.getcwd() == os.environ["LAMBDA_TASK_ROOT"],
        "ctx": {"function_name": context.function_name, "function_version": context.function_version,
                "invoked_function_arn": context.invoked_function_arn,
                "memory_limit_in_mb": context.memory_limit_in_mb, "aws_request_id": context.aws_request_id,
                "log_group_name": context.log_group_name, "log_stream_name": context.log_stream_name,
                "remaining": context.get_remaining_time_in_millis()},
    }
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
    role = iam.create_role(RoleName=f"lambda-test-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(TRUST))[
        "Role"
    ]["Arn"]
    return SimpleNamespace(
        lam=boto3.client("lambda"),
        s3=boto3.client("s3"),
        sns=boto3.client("sns"),
        sqs=boto3.client("sqs"),
        logs=boto3.client("logs"),
        iam=iam,
        role=role,
    )


@pytest.fixture
def fn(aws):
    """A fresh function running HANDLER (timeout 3 s, memory 256 MB)."""
    name = f"fn-{uuid.uuid4().hex[:8]}"
    aws.lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=aws.role,
        Handler="handler.lambda_handler",
        Code={"ZipFile": zipped({"handler.py": HANDLER})},
        Timeout=3,
        MemorySize=256,
        Environment={"Variables": {"GREETING": "hello"}},
    )
    yield name
    try:
        aws.lam.delete_function(FunctionName=name)
    except ClientError:
        pass


def invoke(aws, name, event=None, **kw):
    resp = aws.lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), **kw)
    return resp, json.loads(resp["Payload"].read() or b"null")


def log_lines(aws, name, want: str | None = None, timeout: float = 10.0) -> list[str]:
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
        if want is None or any(want in line for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def worker_pids(env=None) -> list[int]:
    status = subprocess.run(
        [sys.executable, "-m", "localcloud", "status", "--json"], capture_output=True, text=True, env=env, timeout=30
    )
    return [p["pid"] for p in json.loads(status.stdout)["processes"] if p["engine"] == "lambda_runtime"]


# ---- pure functions -----------------------------------------------------------------------------


def test_role_trust_policy():
    assert role_trusts_lambda(json.dumps(TRUST))
    ec2_only = {
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]
    }
    assert not role_trusts_lambda(ec2_only)
    both = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
            }
        ]
    }
    assert role_trusts_lambda(both)


def test_resource_policy_matching():
    def fn(*statements):
        return SimpleNamespace(policy=SimpleNamespace(statements=list(statements)))

    s3 = {
        "Effect": "Allow",
        "Action": "lambda:InvokeFunction",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Condition": {
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"},
            "StringEquals": {"AWS:SourceAccount": "123456789012"},
        },
    }
    assert policy_allows(fn(s3), "s3.amazonaws.com", "arn:aws:s3:::my-bucket", "123456789012")
    assert not policy_allows(fn(s3), "s3.amazonaws.com", "arn:aws:s3:::other", "123456789012")
    assert not policy_allows(fn(s3), "s3.amazonaws.com", "arn:aws:s3:::my-bucket", "999999999999")
    assert not policy_allows(fn(s3), "sns.amazonaws.com", "arn:aws:s3:::my-bucket", "123456789012")
    assert not policy_allows(fn(), "s3.amazonaws.com", "arn:aws:s3:::my-bucket", "123456789012")
    wildcard = {
        "Effect": "Allow",
        "Action": "lambda:InvokeFunction",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-*"}},
    }
    assert policy_allows(fn(wildcard), "s3.amazonaws.com", "arn:aws:s3:::my-bucket", "1")


# ---- invoke ---------------------------------------------------------------------------------------


def test_payload_round_trip_env_and_context(aws, fn):
    event = {"text": "héllo", "n": [1, 2.5, None, True], "nested": {"a": {}}}
    resp, out = invoke(aws, fn, event)
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp
    assert resp["ExecutedVersion"] == "$LATEST"
    assert out["echo"] == event
    assert out["env"] == {
        "AWS_LAMBDA_FUNCTION_NAME": fn,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_REGION": "us-east-1",
        "_HANDLER": "handler.lambda_handler",
        "GREETING": "hello",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn}",
    }
    assert out["endpoint_set"] and out["cwd_is_task_root"]
    ctx = out["ctx"]
    assert ctx["function_name"] == fn and ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{fn}"
    assert ctx["memory_limit_in_mb"] == "256"
    assert uuid.UUID(ctx["aws_request_id"]) and resp["ResponseMetadata"]["RequestId"] == ctx["aws_request_id"]
    assert ctx["log_group_name"] == f"/aws/lambda/{fn}" and "[$LATEST]" in ctx["log_stream_name"]
    assert 2000 < ctx["remaining"] <= 3000


def test_boto3_inside_the_handler_reaches_localcloud(aws, fn):
    bucket = f"lambda-test-{uuid.uuid4().hex[:8]}"
    aws.s3.create_bucket(Bucket=bucket)
    resp, out = invoke(aws, fn, {"boto3": bucket})
    assert "FunctionError" not in resp, out
    assert aws.s3.get_object(Bucket=bucket, Key="from-lambda.txt")["Body"].read() == b"hi"


def test_unhandled_exception_has_the_aws_shape(aws, fn):
    resp, out = invoke(aws, fn, {"raise": "missing_key"})
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "KeyError" and out["errorMessage"] == "'missing_key'"
    assert any('File "/var/task/handler.py"' in line and "lambda_handler" in line for line in out["stackTrace"])
    assert uuid.UUID(out["requestId"])
    lines = log_lines(aws, fn, "[ERROR] KeyError")
    err = next(line for line in lines if line.startswith("[ERROR] KeyError: 'missing_key'"))
    assert "Traceback (most recent call last):" in err  # one log event, as on AWS


def test_return_value_must_be_json(aws, fn):
    resp, out = invoke(aws, fn, {"datetime": 1})
    assert resp["FunctionError"] == "Unhandled" and out["errorType"] == "Runtime.MarshalError"
    assert "Object of type datetime is not JSON serializable" in out["errorMessage"]


def test_timeout_kills_the_worker(aws, fn):
    t0 = time.monotonic()
    resp, out = invoke(aws, fn, {"sleep": 30})
    assert 2.9 < time.monotonic() - t0 < 8
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorMessage"].endswith("Task timed out after 3.00 seconds")
    stamp, rid = out["errorMessage"].split()[:2]
    assert stamp.endswith("Z") and uuid.UUID(rid)
    assert any(line == out["errorMessage"] for line in log_lines(aws, fn, "Task timed out"))
    resp, again = invoke(aws, fn, {})  # a fresh worker: state is gone
    assert again["calls"] == 1


def test_logs_have_start_end_report_and_tail(aws, fn):
    resp, out = invoke(aws, fn, {"x": 1}, LogType="Tail")
    tail = base64.b64decode(resp["LogResult"]).decode()
    rid = out["ctx"]["aws_request_id"]
    assert tail.startswith(("INIT_START", "START"))  # a cold start begins with INIT_START
    assert f"START RequestId: {rid} Version: $LATEST" in tail
    assert 'event {"x": 1}' in tail and f"END RequestId: {rid}" in tail
    report = next(line for line in tail.splitlines() if line.startswith("REPORT"))
    for part in (
        f"REPORT RequestId: {rid}",
        "Duration: ",
        "Billed Duration: ",
        "Memory Size: 256 MB",
        "Max Memory Used: ",
        "Init Duration: ",
    ):
        assert part in report
    lines = log_lines(aws, fn, f"REPORT RequestId: {rid}")
    start = lines.index(f"START RequestId: {rid} Version: $LATEST")
    assert lines[start + 1] == 'event {"x": 1}' and lines[start + 2] == f"END RequestId: {rid}"
    assert lines[start - 1] == f"init {fn}"  # init output comes before the first START


def test_warm_reuse_then_cold_start_after_update(aws, fn):
    _, a = invoke(aws, fn)
    _, b = invoke(aws, fn)
    assert (b["calls"], b["pid"]) == (2, a["pid"])  # warm: same process, module state kept
    aws.lam.update_function_configuration(FunctionName=fn, Environment={"Variables": {"GREETING": "bye"}})
    _, c = invoke(aws, fn)
    assert c["calls"] == 1 and c["pid"] != a["pid"] and c["env"]["GREETING"] == "bye"
    new_code = HANDLER.replace('"calls": CALLS', '"calls": CALLS, "v": 2')
    aws.lam.update_function_code(FunctionName=fn, ZipFile=zipped({"handler.py": new_code}))
    _, d = invoke(aws, fn)
    assert d["v"] == 2 and d["calls"] == 1 and d["pid"] != c["pid"]
    assert a["pid"] not in worker_pids() and c["pid"] not in worker_pids()  # old workers retired


def test_concurrent_invocations_get_their_own_workers(aws, fn):
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        outs = list(pool.map(lambda _: invoke(aws, fn, {"sleep": 0.5})[1], range(3)))
    assert len({o["pid"] for o in outs}) == 3


def test_async_invoke_runs_in_the_background(aws, fn):
    t0 = time.monotonic()
    resp = aws.lam.invoke(FunctionName=fn, InvocationType="Event", Payload=json.dumps({"sleep": 1, "tag": "bg"}))
    assert resp["StatusCode"] == 202 and time.monotonic() - t0 < 0.8
    assert any('"tag": "bg"' in line for line in log_lines(aws, fn, '"tag": "bg"'))
    dry = aws.lam.invoke(FunctionName=fn, InvocationType="DryRun")
    assert dry["StatusCode"] == 204


def test_bad_requests_are_rejected_like_aws(aws, fn):
    with pytest.raises(ClientError) as e:
        aws.lam.invoke(FunctionName=fn, Payload=b"{not json")
    assert e.value.response["Error"]["Code"] == "InvalidRequestContentException"
    with pytest.raises(ClientError) as e:
        aws.lam.invoke(FunctionName="no-such-function", Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    aws.lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as e:
        aws.lam.invoke(FunctionName=fn, Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "TooManyRequestsException"


def test_import_error_and_missing_handler(aws):
    name = f"fn-{uuid.uuid4().hex[:8]}"
    aws.lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=aws.role,
        Handler="handler.nope",
        Code={"ZipFile": zipped({"handler.py": "import no_such_module_xyz\n"})},
    )
    _, out = invoke(aws, name)
    assert out["errorType"] == "Runtime.ImportModuleError"
    assert out["errorMessage"] == "Unable to import module 'handler': No module named 'no_such_module_xyz'"
    aws.lam.update_function_code(FunctionName=name, ZipFile=zipped({"handler.py": "x = 1\n"}))
    _, out = invoke(aws, name)
    assert out == {
        "errorMessage": "Handler 'nope' missing on module 'handler'",
        "errorType": "Runtime.HandlerNotFound",
        "stackTrace": [],
        "requestId": out["requestId"],
    }
    aws.lam.delete_function(FunctionName=name)


def test_create_function_checks_like_aws(aws):
    ec2_role = aws.iam.create_role(
        RoleName=f"ec2-only-{uuid.uuid4().hex[:6]}",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}
                ]
            }
        ),
    )["Role"]["Arn"]
    code = {"ZipFile": zipped({"handler.py": HANDLER})}
    with pytest.raises(ClientError) as e:
        aws.lam.create_function(
            FunctionName="bad-role", Runtime="python3.12", Role=ec2_role, Handler="handler.lambda_handler", Code=code
        )
    assert e.value.response["Error"]["Message"] == "The role defined for the function cannot be assumed by Lambda."
    with pytest.raises(ClientError) as e:
        aws.lam.create_function(
            FunctionName="bad-env",
            Runtime="python3.12",
            Role=aws.role,
            Handler="handler.lambda_handler",
            Code=code,
            Environment={"Variables": {"AWS_REGION": "eu-west-1"}},
        )
    assert "Reserved keys used in this request: AWS_REGION" in e.value.response["Error"]["Message"]


# ---- triggers ---------------------------------------------------------------------------------------


def test_s3_notification_needs_permission_then_triggers(aws, fn):
    bucket = f"lambda-trigger-{uuid.uuid4().hex[:8]}"
    aws.s3.create_bucket(Bucket=bucket)
    arn = aws.lam.get_function(FunctionName=fn)["Configuration"]["FunctionArn"]
    conf = {
        "LambdaFunctionConfigurations": [
            {
                "LambdaFunctionArn": arn,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {
                    "Key": {"FilterRules": [{"Name": "prefix", "Value": "input/"}, {"Name": "suffix", "Value": ".csv"}]}
                },
            }
        ]
    }
    with pytest.raises(ClientError) as e:
        aws.s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=conf)
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    assert e.value.response["Error"]["Message"] == "Unable to validate the following destination configurations"
    assert "LambdaFunctionConfigurations" not in aws.s3.get_bucket_notification_configuration(Bucket=bucket)

    aws.lam.add_permission(
        FunctionName=fn,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
        SourceAccount="123456789012",
    )
    aws.s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=conf)
    aws.s3.put_object(Bucket=bucket, Key="other/skip.csv", Body=b"a")
    aws.s3.put_object(Bucket=bucket, Key="input/skip.txt", Body=b"a")
    t0 = time.monotonic()
    aws.s3.put_object(Bucket=bucket, Key="input/new orders.csv", Body=b"a,b\n")
    assert time.monotonic() - t0 < 1.0  # S3 invokes asynchronously: the upload does not wait
    lines = log_lines(aws, fn, "input/new+orders.csv")
    events = [json.loads(line[len("event ") :]) for line in lines if line.startswith('event {"Records"')]
    assert len(events) == 1, lines
    rec = events[0]["Records"][0]
    assert rec["eventSource"] == "aws:s3" and rec["eventName"] == "ObjectCreated:Put"
    assert rec["s3"]["bucket"]["name"] == bucket and rec["s3"]["object"]["key"] == "input/new+orders.csv"
    assert rec["s3"]["object"]["size"] == 4 and rec["awsRegion"] == "us-east-1"
    for key in ("eventTime", "userIdentity", "requestParameters", "responseElements"):
        assert key in rec


def test_sns_to_lambda_and_sqs(aws, fn):
    topic = aws.sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]
    arn = aws.lam.get_function(FunctionName=fn)["Configuration"]["FunctionArn"]
    aws.sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    q = aws.sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    qarn = aws.sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)

    aws.sns.publish(TopicArn=topic, Message="first", Subject="no permission yet")
    aws.lam.add_permission(
        FunctionName=fn,
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    aws.sns.publish(
        TopicArn=topic,
        Message="second",
        Subject="hello",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "demo"}},
    )
    lines = log_lines(aws, fn, '"Message": "second"')
    events = [json.loads(line[len("event ") :]) for line in lines if '"EventSource": "aws:sns"' in line]
    assert [e["Records"][0]["Sns"]["Message"] for e in events] == ["second"]  # the first had no permission
    sns_rec = events[0]["Records"][0]["Sns"]
    assert sns_rec["TopicArn"] == topic and sns_rec["Subject"] == "hello"
    assert sns_rec["MessageAttributes"] == {"kind": {"Type": "String", "Value": "demo"}}

    bodies = []
    for _ in range(10):
        for m in aws.sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            bodies.append(json.loads(m["Body"])["Message"])
        if len(bodies) == 2:
            break
    assert sorted(bodies) == ["first", "second"]


def test_sqs_event_source_mapping_batches_and_deletes(aws, fn):
    q = aws.sqs.create_queue(QueueName=f"esm-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    qarn = aws.sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    esm = aws.lam.create_event_source_mapping(EventSourceArn=qarn, FunctionName=fn, BatchSize=3)
    for i in range(7):
        aws.sqs.send_message(QueueUrl=q, MessageBody=f"m{i}")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        attrs = aws.sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
        if attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0":
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"queue not drained: {attrs}")
    lines = log_lines(aws, fn, '"body": "m6"')
    batches = [json.loads(line[len("event ") :])["Records"] for line in lines if '"eventSource": "aws:sqs"' in line]
    assert sorted(r["body"] for b in batches for r in b) == [f"m{i}" for i in range(7)]
    assert all(len(b) <= 3 for b in batches)
    assert batches[0][0]["eventSourceARN"] == qarn
    aws.lam.delete_event_source_mapping(UUID=esm["UUID"])


def test_sqs_failed_batch_stays_in_the_queue(aws, fn):
    q = aws.sqs.create_queue(QueueName=f"esm-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "30"})[
        "QueueUrl"
    ]
    qarn = aws.sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.lam.update_function_code(
        FunctionName=fn, ZipFile=zipped({"handler.py": "def lambda_handler(e, c):\n    raise ValueError('nope')\n"})
    )
    esm = aws.lam.create_event_source_mapping(EventSourceArn=qarn, FunctionName=fn, BatchSize=1)
    aws.sqs.send_message(QueueUrl=q, MessageBody="poison")
    log_lines(aws, fn, "[ERROR] ValueError: nope")
    aws.lam.delete_event_source_mapping(UUID=esm["UUID"])
    attrs = aws.sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"  # back after the visibility timeout


# ---- lifecycle: nothing left behind -----------------------------------------------------------------


def test_delete_function_ends_its_workers(aws, fn):
    _, out = invoke(aws, fn)
    assert out["pid"] in worker_pids()
    aws.lam.delete_function(FunctionName=fn)
    assert out["pid"] not in worker_pids()
    with pytest.raises(ProcessLookupError):
        os.kill(out["pid"], 0)


@pytest.fixture
def private_cloud(private_localcloud):
    c = private_localcloud  # a localcloud of this test's own: it is stopped and reset below
    env = c.env
    iam, lam = c.client("iam"), c.client("lambda")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam.create_function(
        FunctionName="f",
        Runtime="python3.12",
        Role=role,
        Handler="handler.lambda_handler",
        Code={"ZipFile": zipped({"handler.py": HANDLER})},
        Timeout=30,
    )
    lam.invoke(FunctionName="f", InvocationType="Event", Payload=b'{"sleep": 20}')  # one busy worker
    deadline = time.monotonic() + 10
    while not worker_pids(env) and time.monotonic() < deadline:
        time.sleep(0.05)
    lam.invoke(FunctionName="f")  # and one idle: the busy one cannot take it
    return SimpleNamespace(env=env, run=c.run, lam=lam, workers=worker_pids(env), daemon=c.pid)


def _gone(pid: int, timeout: float = 10) -> bool:
    from localcloud.processes import pid_alive

    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not pid_alive(pid)


def test_stop_leaves_no_worker(private_cloud):
    assert len(private_cloud.workers) >= 2  # one idle, one busy (and the standby)
    private_cloud.run("stop")
    assert all(_gone(pid) for pid in private_cloud.workers + [private_cloud.daemon])


def test_reset_leaves_no_worker(private_cloud):
    assert len(private_cloud.workers) >= 2
    done = private_cloud.run("reset")
    assert done.returncode == 0, done.stderr
    assert all(_gone(pid) for pid in private_cloud.workers)
    assert worker_pids(private_cloud.env) == []
    code = f"{private_cloud.env['LAB_DIR']}/localcloud/engines/lambda_runtime/code"
    assert not os.path.exists(code) or not os.listdir(code)
