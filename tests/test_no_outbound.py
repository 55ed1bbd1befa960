"""No request leaves 127.0.0.1 while the local target is on.

A private localcloud runs a representative slice of the course — boto3 calls to many services,
aws CLI commands of RDS and SQS (the two services awscli v1 sends to AWS's own endpoints without
localcloud's plugin), a Lambda invoke, a Glue Python shell job, an Athena query — while two
independent witnesses watch:

* ``outbound_guard`` (tests/outbound_guard.py) inside every Python process it can reach: this test
  process, and as ``sitecustomize`` in the localcloud daemon and every aws CLI run (``PYTHONPATH``):
  a name resolution of a non-local name or a connect/sendto to a non-loopback address is logged
  and refused before anything is sent;
* a sampler of ``/proc`` every 100 ms: every TCP/UDP socket of this process, the daemon and all
  their descendants (MariaDB servers, Lambda workers, SSH servers, job runners, the CLI), matched
  against ``/proc/net/{tcp,tcp6,udp,udp6}``: any remote address that is not loopback is recorded.

Both must record nothing; both must have seen loopback traffic (they were watching), and the
guard must catch a deliberate attempt (it works).  Every aws CLI line the labs print runs under the
same guard in tests/test_aws_cli_lines.py (running all of them here again would double their minutes).
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
import zipfile
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import boto3
import outbound_guard
import pytest
from cli_lines import Line, initial_state, run_line

import labcontract
from localcloud import config, testing

MAX_SAMPLE_GAP_S = 10.0  # generous: a /proc walk on a loaded 2-core machine
SAMPLE_S = 0.1
# The services awscli v1 would send to AWS's endpoints (us-east-1 rewrites) without localcloud's plugin.
CLI_COMMANDS = (
    "aws rds describe-db-instances",
    "aws rds describe-db-engine-versions --engine mysql --max-items 1",
    "aws sqs create-queue --queue-name outbound-cli",
    "aws sqs list-queues",
)


def _hex_address(text: str) -> str:
    """An address of /proc/net/tcp* (little-endian hex words) as text."""
    raw = bytes.fromhex(text)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))


def _remote_ends() -> dict[int, tuple[str, str, int]]:
    """socket inode -> (protocol, remote address, remote port), for every socket of this namespace."""
    ends = {}
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/net/{proto}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            host, port = f[2].split(":")
            ends[int(f[9])] = (proto, _hex_address(host), int(port, 16))
    return ends


def _tree(roots: set[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    seen, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo += children.get(pid, [])
    return seen


class ProcSampler(threading.Thread):
    def __init__(self, roots: set[int]) -> None:
        super().__init__(daemon=True)
        self.roots, self.stop_event = roots, threading.Event()
        self.outbound: list[dict] = []
        self.loopback_seen = 0
        self.samples = 0
        self.times: list[float] = []  # when each sample ended (monotonic)
        self.pids_seen: set[int] = set()

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            time.sleep(SAMPLE_S)

    def sample(self) -> None:
        owners: dict[int, int] = {}
        for pid in _tree(self.roots):
            try:
                for fd in os.scandir(f"/proc/{pid}/fd"):
                    target = os.readlink(fd.path)
                    if target.startswith("socket:["):
                        owners[int(target[8:-1])] = pid
            except OSError:
                continue  # gone meanwhile
            self.pids_seen.add(pid)
        for inode, (proto, host, port) in _remote_ends().items():
            if inode not in owners or port == 0:
                continue
            if ipaddress.ip_address(host).is_loopback or host in ("0.0.0.0", "::"):
                self.loopback_seen += 1
                continue
            pid = owners[inode]
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
            except OSError:
                cmd = "?"
            self.outbound.append({"pid": pid, "cmd": cmd, "proto": proto, "remote": f"{host}:{port}"})
        self.samples += 1
        self.times.append(time.monotonic())

    def wait_for_sample_after(self, t: float, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not (self.times and self.times[-1] > t) and time.monotonic() < deadline:
            time.sleep(SAMPLE_S / 2)


def _zip(source: str) -> bytes:
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", source)
    return buf.getvalue()


def _boto3_tour(account: str) -> None:
    """Calls of many services, as the labs make them."""
    c = boto3.client
    c("sts").get_caller_identity()
    c("ec2").describe_regions()
    c("ec2").describe_vpcs()
    c("ssm").get_parameter(Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
    c("rds").describe_db_instances()
    c("rds").describe_db_parameter_groups()
    c("secretsmanager").list_secrets()
    c("iam").list_roles()
    c("sns").list_topics()
    c("sqs").list_queues()
    c("logs").describe_log_groups()
    c("glue").get_databases()
    c("athena").list_work_groups()
    c("budgets").describe_budgets(AccountId=account)
    c("cloudformation").list_stacks()
    c("resourcegroupstaggingapi").get_resources()
    c("s3").list_buckets()


def _lambda_invoke(bucket: str) -> None:
    iam, lam = boto3.client("iam"), boto3.client("lambda")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
        ],
    }
    role = iam.create_role(RoleName="outbound-fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.attach_role_policy(
        RoleName="outbound-fn", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    )
    source = (
        "import boto3\n"
        "def lambda_handler(event, context):\n"
        f"    boto3.client('s3').put_object(Bucket='{bucket}', Key='from-lambda.txt', Body=b'hi')\n"
        "    return {'keys': [o['Key'] for o in boto3.client('s3').list_objects_v2(Bucket='"
        + bucket
        + "')['Contents']]}\n"
    )
    lam.create_function(
        FunctionName="outbound-fn",
        Runtime="python3.12",
        Role=role,
        Handler="handler.lambda_handler",
        Code={"ZipFile": _zip(source)},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="outbound-fn")
    payload = json.load(lam.invoke(FunctionName="outbound-fn", Payload=b"{}")["Payload"])
    assert "from-lambda.txt" in payload["keys"], payload  # the handler really ran, and reached S3 locally


def _glue_python_shell_job(bucket: str) -> str:
    s3, glue = boto3.client("s3"), boto3.client("glue")
    script = "import boto3\nprint(len(boto3.client('s3').list_buckets()['Buckets']), 'buckets')\n"
    s3.put_object(Bucket=bucket, Key="scripts/shell.py", Body=script.encode())
    glue.create_job(
        Name="outbound-shell",
        Role=f"arn:aws:iam::{config.ACCOUNT_ID}:role/outbound-fn",
        Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/scripts/shell.py", "PythonVersion": "3.9"},
    )
    run_id = glue.start_job_run(JobName="outbound-shell")["JobRunId"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = glue.get_job_run(JobName="outbound-shell", RunId=run_id)["JobRun"]["JobRunState"]
        if state in ("SUCCEEDED", "FAILED", "ERROR", "TIMEOUT", "STOPPED"):
            return state
        time.sleep(0.5)
    return "still running"


def _athena_query(bucket: str) -> list:
    athena = boto3.client("athena")
    qid = athena.start_query_execution(
        QueryString="SELECT 40 + 2 AS answer", ResultConfiguration={"OutputLocation": f"s3://{bucket}/athena/"}
    )["QueryExecutionId"]
    for _ in range(300):
        state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
        if state not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.2)
    return athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]


@pytest.fixture
def guarded_cloud(tmp_path, monkeypatch):
    """A private localcloud whose daemon (and any Python it starts with its environment) carries the guard."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(Path(outbound_guard.__file__), site / "sitecustomize.py")
    log = tmp_path / "outbound.jsonl"
    log.touch()
    monkeypatch.setenv("OUTBOUND_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
    with testing.private_localcloud(tmp_path / "lab") as cloud:
        for var in [*labcontract.CLIENT_ENV_UNSET, "AWS_PROFILE"]:
            monkeypatch.delenv(var, raising=False)
        for key, value in cloud.status["client_env"].items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("LAB_DIR", str(cloud.lab_dir))
        monkeypatch.setenv("LOCALCLOUD_PORT", cloud.env["LOCALCLOUD_PORT"])
        # boto3's default session may hold an earlier test's localcloud key: this cloud has its own
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
        yield SimpleNamespace(cloud=cloud, log=log, site=site, tmp=tmp_path)


def test_nothing_leaves_loopback_during_a_representative_run(guarded_cloud):
    cloud, log = guarded_cloud.cloud, guarded_cloud.log
    sampler = ProcSampler({os.getpid(), cloud.pid})
    outbound_guard.install(str(log))
    sampler.start()
    sampler.wait_for_sample_after(0.0)  # watching before the first call
    started = time.monotonic()
    try:
        bucket = f"outbound-{uuid.uuid4().hex[:10]}"
        boto3.client("s3").create_bucket(Bucket=bucket)
        _boto3_tour(config.ACCOUNT_ID)
        _lambda_invoke(bucket)
        glue_state = _glue_python_shell_job(bucket)
        rows = _athena_query(bucket)
        assert rows[-1]["Data"][0]["VarCharValue"] == "42"
        cwd = guarded_cloud.tmp / "cli"
        cwd.mkdir()
        state = initial_state(cwd, SimpleNamespace(account=config.ACCOUNT_ID, region=config.REGION), config.LEARNER_IP)
        failed = []
        for command in CLI_COMMANDS:
            result = run_line(Line(command), state)
            if result.returncode != 0:
                failed.append(f"$ {result.command} -> exit {result.returncode}: {result.stderr[-300:]}")
        assert not failed, "\n".join(failed)

        # The witnesses work: a deliberate attempt from this process and from the CLI is caught.
        with pytest.raises(OSError):
            socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1: refused before sending
        probe = subprocess.run(
            ["aws", "rds", "describe-db-instances", "--endpoint-url", "https://rds.amazonaws.com"],
            env={**state["env"], "AWS_MAX_ATTEMPTS": "1"},  # refused at once: no retries to wait for
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert probe.returncode != 0
        ended = time.monotonic()
        sampler.wait_for_sample_after(ended)  # ... and still after the last one
    finally:
        sampler.stop_event.set()
        sampler.join(timeout=10)
        outbound_guard.uninstall()

    records = [json.loads(x) for x in log.read_text().splitlines()]
    deliberate = [r for r in records if "192.0.2.1" in r["destination"] or "rds.amazonaws.com" in r["destination"]]
    assert len(deliberate) >= 2, records  # both probes were caught, in this process and in the aws CLI
    assert [r for r in records if r not in deliberate] == [], "requests to non-loopback destinations"
    assert sampler.outbound == [], "sockets with a non-loopback remote end"
    # The sockets were watched from before the first call to after the last, without a long gap
    # (a count of samples depended on how fast the run and the other xdist worker were).
    gaps = [b - a for a, b in zip(sampler.times, sampler.times[1:])]
    assert sampler.times[0] <= started and sampler.times[-1] > ended, (started, ended, sampler.times[:1])
    assert max(gaps) < MAX_SAMPLE_GAP_S, f"the /proc sampler paused {max(gaps):.1f} s"
    assert sampler.loopback_seen > 0 and cloud.pid in sampler.pids_seen
    print(
        f"glue python shell job: {glue_state}; /proc samples: {sampler.samples}, "
        f"loopback connections seen: {sampler.loopback_seen}, processes watched: {len(sampler.pids_seen)}"
    )
