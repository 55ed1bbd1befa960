"""A fresh kernel on the local target never reaches a real AWS endpoint (issue 12 §3).

The attack: the learner's Jupyter runs with their real AWS set-up (a profile, keys, a session
token, service-specific endpoints, a web-identity role, a container-credentials URL), the kernel
restarts, and the first cell is a clean-up call — before ``lab.start()``.  The course kernel (the
venv's ``python3`` kernelspec, what every notebook names) must start already pointed at
localcloud: these tests start real kernels through jupyter_client exactly as Jupyter does, run
cells, and record every outbound connection the kernel makes (``socket.connect`` audit events).
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

import labcontract
from helpers import kernel
from localcloud import config
from localcloud.testing import free_port

SERVICES = ("sts", "s3", "rds", "sqs", "ec2", "lambda", "athena", "glue", "iam", "secretsmanager")

PROBE = textwrap.dedent(
    """
    import json, sys
    _connects = []
    sys.addaudithook(lambda ev, args: _connects.append(str(args[1])) if ev == "socket.connect" else None)
    import boto3
    _endpoints = {s: boto3.client(s).meta.endpoint_url for s in SERVICES}
    _results = {}
    for _name, _call in [("sts", lambda: boto3.client("sts").get_caller_identity()["Account"]),
                         ("s3", lambda: len(boto3.client("s3").list_buckets()["Buckets"]) >= 0),
                         ("rds", lambda: isinstance(boto3.client("rds").describe_db_instances()["DBInstances"], list)),
                         ("sqs", lambda: "ResponseMetadata" in boto3.client("sqs").list_queues())]:
        try:
            _results[_name] = _call()
        except Exception as _exc:
            _results[_name] = f"{type(_exc).__name__}: {_exc}"
    print(json.dumps({"endpoints": _endpoints, "results": _results, "connects": _connects}))
    """
).replace("SERVICES", repr(SERVICES))


@pytest.fixture(scope="module")
def kernelspec_dir(tmp_path_factory) -> Path:
    """The course kernelspec, written the way ``make setup`` writes it (into a private prefix)."""
    prefix = tmp_path_factory.mktemp("prefix")
    kernel.install(str(prefix))
    return prefix / "share" / "jupyter" / "kernels"


@pytest.fixture
def learners_real_aws(tmp_path) -> dict[str, str]:
    """A shell set up for a real account: every way boto3 could be sent elsewhere, at once."""
    marker = tmp_path / "credential_process_ran"
    cfg = tmp_path / "config"
    cfg.write_text(
        "[profile learner]\nregion = eu-west-1\nendpoint_url = https://real-endpoint.example\n"
        f"credential_process = sh -c 'touch {marker}; echo {{}}'\n"
        "[default]\nregion = eu-west-1\n"
    )
    creds = tmp_path / "credentials"
    creds.write_text("[learner]\naws_access_key_id = AKIAREALLEARNERKEY01\naws_secret_access_key = real\n")
    token = tmp_path / "web-identity-token"
    token.write_text("eyJ...")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_PROFILE="learner",
        AWS_DEFAULT_PROFILE="learner",
        AWS_CONFIG_FILE=str(cfg),
        AWS_SHARED_CREDENTIALS_FILE=str(creds),
        AWS_ACCESS_KEY_ID="AKIAREALLEARNERKEY02",
        AWS_SECRET_ACCESS_KEY="real-secret",
        AWS_SESSION_TOKEN="real-session-token",
        AWS_ENDPOINT_URL="https://real-global-endpoint.example",
        AWS_ENDPOINT_URL_S3="https://s3.amazonaws.com",
        AWS_ENDPOINT_URL_STS="https://sts.amazonaws.com",
        AWS_ENDPOINT_URL_RDS="https://rds.us-east-1.amazonaws.com",
        AWS_ENDPOINT_URL_SQS="https://sqs.us-east-1.amazonaws.com",
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS="true",
        AWS_ROLE_ARN="arn:aws:iam::111122223333:role/learner",
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token),
        AWS_CONTAINER_CREDENTIALS_FULL_URI="http://169.254.170.2/v2/credentials",
        AWS_MAX_ATTEMPTS="1",  # connection refusals fail fast in these tests
    )
    env.pop("LAB_TARGET", None)
    env["_marker"] = str(marker)
    return env


def run_in_course_kernel(specs: Path, env: dict[str, str], code: str) -> tuple[str, list[str]]:
    """(stdout, error traceback lines) of ``code`` run in a fresh course kernel started with ``env``."""
    km = KernelManager(kernel_name=kernel.KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)]))
    assert km.kernel_spec.argv[:3] == ["python", "-m", "helpers.kernel"]
    km.start_kernel(env=env, cwd=str(labcontract.PROJECT_ROOT / "notebooks"))
    kc = km.client()
    kc.start_channels()
    out, err = [], []
    try:
        kc.wait_for_ready(timeout=120)

        def on_msg(msg):
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                err.extend(msg["content"]["traceback"])

        kc.execute_interactive(code, output_hook=on_msg, timeout=180)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return "".join(out), err


def test_fresh_kernel_without_lab_start_reaches_only_localcloud(kernelspec_dir, learners_real_aws):
    env = dict(learners_real_aws)  # LAB_DIR and LOCALCLOUD_PORT: the test session's running localcloud
    out, err = run_in_course_kernel(kernelspec_dir, env, PROBE)
    assert not err, "\n".join(err)
    doc = json.loads(out.strip().splitlines()[-1])
    endpoint = config.endpoint()
    assert doc["endpoints"] == {s: endpoint for s in SERVICES}
    assert doc["results"] == {"sts": config.ACCOUNT_ID, "s3": True, "rds": True, "sqs": True}
    assert doc["connects"], "the probe made no connection at all"
    assert all(c.startswith(("('127.0.0.1'", "127.0.0.1")) for c in doc["connects"]), doc["connects"]
    assert not Path(env["_marker"]).exists(), "the learner's credential_process ran"


def test_kernel_before_localcloud_ever_started_fails_locally_and_says_why(kernelspec_dir, learners_real_aws, tmp_path):
    port = free_port()  # nothing listens there
    env = dict(learners_real_aws, LAB_DIR=str(tmp_path / "never-started"), LOCALCLOUD_PORT=str(port))
    out, err = run_in_course_kernel(kernelspec_dir, env, PROBE + "\nboto3.client('rds').describe_db_instances()\n")
    doc = json.loads(out.strip().splitlines()[-1])
    assert doc["endpoints"] == {s: f"http://127.0.0.1:{port}" for s in SERVICES}
    assert all("EndpointConnectionError" in str(v) for v in doc["results"].values()), doc["results"]
    assert all(c.startswith(("('127.0.0.1'", "127.0.0.1")) for c in doc["connects"]), doc["connects"]
    assert not Path(env["_marker"]).exists()
    assert err == [f"LocalcloudNotRunning: {labcontract.NOT_RUNNING} (nothing answers at http://127.0.0.1:{port}/)."]


def test_aws_target_kernel_keeps_the_learners_setup(kernelspec_dir, learners_real_aws):
    env = dict(learners_real_aws, LAB_TARGET="aws")
    code = (
        "import os, boto3\n"
        "print(os.environ.get('AWS_PROFILE'), os.environ.get('AWS_SESSION_TOKEN'), "
        "os.environ.get('AWS_ENDPOINT_URL_S3'), os.environ.get('AWS_EC2_METADATA_DISABLED'))\n"
    )
    out, err = run_in_course_kernel(kernelspec_dir, env, code)
    assert not err, err
    assert out.split() == ["learner", "real-session-token", "https://s3.amazonaws.com", "None"]


def test_kernel_environ_is_pure_and_complete(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_DIR", str(tmp_path))
    base = {f"AWS_ENDPOINT_URL_{s.upper()}": "https://x" for s in SERVICES}
    base.update({v: "x" for v in labcontract.CLIENT_ENV_UNSET}, LAB_DIR=str(tmp_path), PATH="/usr/bin")
    env = kernel.kernel_environ(base)
    assert not [v for v in env if v in labcontract.CLIENT_ENV_UNSET or v.startswith("AWS_ENDPOINT_URL_")]
    assert env["AWS_EC2_METADATA_DISABLED"] == "true" and env["PATH"] == "/usr/bin"
    assert env["AWS_ACCESS_KEY_ID"] == kernel.NOT_STARTED_KEY  # no localcloud ever started in tmp_path
    assert env["AWS_CONFIG_FILE"] == os.devnull
    published = {"AWS_ENDPOINT_URL": "http://127.0.0.1:1234", "AWS_ACCESS_KEY_ID": "AKIAPUBLISHED"}
    (tmp_path / "localcloud").mkdir()
    (tmp_path / "localcloud" / labcontract.CLIENT_ENV_FILE).write_text(json.dumps(published))
    env = kernel.kernel_environ(base)
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1234" and env["AWS_ACCESS_KEY_ID"] == "AKIAPUBLISHED"
    assert kernel.kernel_environ(dict(base, LAB_TARGET="aws")) == dict(base, LAB_TARGET="aws")
    assert kernel.kernel_environ(dict(base, LAB_TARGET="typo"))["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1")


def test_make_setup_installs_the_course_kernel_as_the_default():
    spec = json.loads((Path(sys.prefix) / "share/jupyter/kernels/python3/kernel.json").read_text())
    if spec["argv"][:3] != ["python", "-m", "helpers.kernel"]:
        pytest.fail("the venv's python3 kernelspec is not the course kernel: run `make setup`")
