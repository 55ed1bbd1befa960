"""Learner code outlives its resource nowhere (issue 13 item 6): each test starts processes that try
to survive — a Lambda handler's double-forked ``setsid`` child, an instance's ``nohup ... &`` — and
shows they die with their function, their instance, and with a crashed (SIGKILLed) daemon.

Instances are covered in test_instance_sandbox.py (stop kills ``nohup``); here: Lambda, Glue job
scripts (a Python shell run, a Spark job), and the crash of the whole daemon.
"""

from __future__ import annotations

import io
import json
import os
import signal
import time
import uuid
import zipfile
from pathlib import Path

import boto3
import paramiko
import pytest

from helpers import lab
from localcloud import sandbox
from localcloud.engines.ec2.engine import TAG
from localcloud.processes import pid_alive

pytestmark = pytest.mark.skipif(bool(sandbox.unavailable()), reason=f"no sandbox here: {sandbox.unavailable()}")

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}],
}
# A handler that leaves a process behind the way a careless (or clever) one would: a new session,
# double-forked, ignoring SIGHUP; it answers with that process's marker.
ESCAPER = """
import subprocess
def lambda_handler(event, context):
    subprocess.Popen(["setsid", "sh", "-c", "trap '' HUP; sleep %s & echo started"],
                     start_new_session=True, stdout=subprocess.DEVNULL)
    return {"marker": "sleep %s"}
"""


# The same escape from a Glue job script (learner code too: Python shell runs and the Spark worker).
GLUE_ESCAPER = """
import subprocess
subprocess.Popen(["setsid", "sh", "-c", "trap '' HUP; sleep %s & echo started"],
                 start_new_session=True, stdout=subprocess.DEVNULL)
print("started")
"""


def host_pids(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if cmd == marker:
            found.append(int(entry.name))
    return found


def wait_gone(marker: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while host_pids(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not host_pids(marker)


def wait_there(marker: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not host_pids(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return bool(host_pids(marker))


def make_function(lam, iam, name: str, seconds: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", ESCAPER % (seconds, seconds))
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="handler.lambda_handler",
        Code={"ZipFile": buf.getvalue()},
        Timeout=10,
    )


def invoke(lam, name: str) -> str:
    out = lam.invoke(FunctionName=name, Payload=b"{}")
    doc = json.loads(out["Payload"].read())
    assert "FunctionError" not in out, doc
    return doc["marker"]


def unique_seconds() -> str:
    return f"{7000 + uuid.uuid4().int % 2000}.{os.getpid() % 1000}"


def test_a_handlers_escaped_process_dies_with_delete_function():
    lab.start("07")
    lam, iam = boto3.client("lambda"), boto3.client("iam")
    name = f"escaper-{uuid.uuid4().hex[:6]}"
    make_function(lam, iam, name, unique_seconds())
    marker = invoke(lam, name)
    assert wait_there(marker), "the handler's process runs while the function's environment is warm"
    lam.delete_function(FunctionName=name)
    assert wait_gone(marker), "delete_function ends everything the function started"
    iam.delete_role(RoleName=f"{name}-role")


def test_a_handlers_escaped_process_dies_with_its_environment_on_new_code():
    lab.start("07")
    lam, iam = boto3.client("lambda"), boto3.client("iam")
    name = f"escaper-{uuid.uuid4().hex[:6]}"
    make_function(lam, iam, name, unique_seconds())
    marker = invoke(lam, name)
    assert wait_there(marker)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def lambda_handler(event, context):\n    return {'marker': 'none'}\n")
    lam.update_function_code(FunctionName=name, ZipFile=buf.getvalue())
    invoke(lam, name)  # a new environment for the new code: the old one is retired
    assert wait_gone(marker)
    lam.delete_function(FunctionName=name)
    iam.delete_role(RoleName=f"{name}-role")


def test_a_handler_still_starts_threads():
    """Confinement must not cost threads (boto3's S3 transfers use them): the handler runs as the
    first process of its PID namespace, where threads work (they do not in a process that called
    unshare(CLONE_NEWPID) itself)."""
    lab.start("07")
    lam, iam = boto3.client("lambda"), boto3.client("iam")
    name = f"threads-{uuid.uuid4().hex[:6]}"
    code = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "def lambda_handler(event, context):\n"
        "    with ThreadPoolExecutor(4) as pool:\n"
        "        return {'marker': sum(pool.map(lambda n: n * n, range(10)))}\n"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", code)
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="handler.lambda_handler",
        Code={"ZipFile": buf.getvalue()},
        Timeout=10,
    )
    assert invoke(lam, name) == 285
    lam.delete_function(FunctionName=name)
    iam.delete_role(RoleName=f"{name}-role")


def test_nothing_survives_a_daemon_crash(private_localcloud, tmp_path):
    cloud = private_localcloud
    ec2, lam, iam = cloud.client("ec2"), cloud.client("lambda"), cloud.client("iam")
    # an instance running a nohup'd process
    key = tmp_path / "k.pem"
    key.write_text(ec2.create_key_pair(KeyName="k", KeyType="ed25519")["KeyMaterial"])
    sg = ec2.create_security_group(GroupName="ssh", Description="ssh")["GroupId"]
    rule = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.10/32"}]}
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[rule])
    ami = cloud.client("ssm").get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    )
    iid = ec2.run_instances(
        ImageId=ami["Parameter"]["Value"],
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        KeyName="k",
        SecurityGroupIds=[sg],
    )["Instances"][0]["InstanceId"]
    tags = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["Tags"]
    host, port = next(t["Value"] for t in tags if t["Key"] == TAG).split(":")
    ssh_marker = f"sleep {unique_seconds()}"
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(host, port=int(port), username="ec2-user", key_filename=str(key), look_for_keys=False, timeout=10)
    _, out, _ = client.exec_command(f"nohup {ssh_marker} >/dev/null 2>&1 & echo ok")
    assert out.read() == b"ok\n"
    client.close()
    # a Lambda function whose handler left a process behind
    make_function(lam, iam, "escaper", unique_seconds())
    lambda_marker = invoke(lam, "escaper")
    assert wait_there(ssh_marker) and wait_there(lambda_marker)

    os.kill(cloud.pid, signal.SIGKILL)  # the daemon crashes: no clean-up code of its own runs
    assert wait_gone(ssh_marker) and wait_gone(lambda_marker), "the kernel ends them with the daemon"
    deadline = time.monotonic() + 10
    while pid_alive(cloud.pid) and time.monotonic() < deadline:
        time.sleep(0.05)

    again = cloud.run("start", "--json")  # and localcloud starts again over the remains
    assert again.returncode == 0, again.stderr
    assert cloud.run("stop").returncode == 0


def glue_run(cloud, name: str, command: str, seconds: str) -> None:
    """A Glue job whose script leaves ``sleep <seconds>`` behind; waits for its run to succeed."""
    s3, glue = cloud.client("s3"), cloud.client("glue")
    bucket = f"escaper-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=f"{name}.py", Body=(GLUE_ESCAPER % seconds).encode())
    spec = {"GlueVersion": "5.0", "WorkerType": "G.1X", "NumberOfWorkers": 2} if command == "glueetl" else {}
    glue.create_job(
        Name=name,
        Role="arn:aws:iam::123456789012:role/glue-lab",
        Command={"Name": command, "ScriptLocation": f"s3://{bucket}/{name}.py"},
        **spec,
    )
    run_id = glue.start_job_run(JobName=name)["JobRunId"]
    deadline = time.monotonic() + 600  # a cold Spark start on two shared cores
    while (run := glue.get_job_run(JobName=name, RunId=run_id)["JobRun"])["JobRunState"] not in (
        "SUCCEEDED",
        "FAILED",
        "ERROR",
        "TIMEOUT",
        "STOPPED",
    ):
        assert time.monotonic() < deadline, run["JobRunState"]
        time.sleep(0.25)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")


def test_a_python_shell_scripts_escaped_process_dies_with_its_run(private_localcloud):
    """A Python shell run is one process: what its script started ends with it."""
    marker = f"sleep {unique_seconds()}"
    glue_run(private_localcloud, "shell-escaper", "pythonshell", marker.split()[1])
    assert wait_gone(marker), "a Python shell run's processes end with the run"


def test_a_spark_scripts_escaped_process_dies_with_the_spark_worker(private_localcloud):
    """Spark job scripts run in the warm Spark worker: what they start ends with it (reset, stop, crash)."""
    cloud = private_localcloud
    marker = f"sleep {unique_seconds()}"
    glue_run(cloud, "spark-escaper", "glueetl", marker.split()[1])
    assert wait_there(marker), "the worker stays warm after the run, and so does its child"
    assert cloud.run("stop").returncode == 0
    assert wait_gone(marker), "localcloud stop ends everything a Spark job script started"
