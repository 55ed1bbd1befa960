"""`make lab`'s JupyterLab: rooted at the project, and the commands labs print work in its terminals.

JupyterLab starts with the configuration `make lab` gives it (tools/jupyter/), on a free port with
private config/runtime folders; a terminal is opened the way the launcher opens one while the
file browser shows notebooks/ (``cwd: "notebooks"``), and what a learner would type is typed into
it over the terminal's websocket: the aws CLI answers from this session's localcloud, and lab 01's
printed ``ssh -i .lab/keys/... -p PORT ec2-user@127.0.0.1`` reaches a real instance's SSH server.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from tornado.websocket import websocket_connect

from helpers import lab, ssh
from localcloud.testing import free_port

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tools" / "jupyter" / "jupyter_server_config.py"
AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
# Added to the printed ssh line for the test: no prompts, no known_hosts entry, and -n, since the
# lines are typed ahead (a learner types one at a time) and ssh would read the rest as its stdin.
SSH_TEST_OPTS = "-n -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"


def _http(url: str, method: str = "GET", body: dict | None = None) -> tuple[int, dict | list | None]:
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(url, method=method, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except (urllib.error.URLError, OSError):
        return 0, None


def _retry(fn, attempts: int = 50) -> None:
    for i in range(attempts):
        try:
            return fn()
        except Exception:
            if i == attempts - 1:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """`make lab`'s JupyterLab (its --config, started from the project folder) on a free port."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp / "jupyterlab.log", "wb")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter-lab"),
            f"--config={CONFIG.relative_to(ROOT)}",  # as the Makefile passes it
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            "--ServerApp.allow_root=True",
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while _http(f"{url}/api/status")[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (tmp / "jupyterlab.log").read_text()[-3000:])
            time.sleep(0.2)
        yield url
    finally:
        _http(f"{url}/api/shutdown", method="POST")  # ends its terminals too
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _type_in_terminal(url: str, lines: list[str], timeout: float = 60) -> str:
    """Open a terminal as the launcher does while the browser shows notebooks/, type ``lines``,
    return what the terminal printed (up to an end marker the shell computes, so not its echo)."""
    status, model = _http(f"{url}/api/terminals", method="POST", body={"cwd": "notebooks"})
    assert status == 200 and isinstance(model, dict), status
    ws_url = url.replace("http://", "ws://") + f"/terminals/websocket/{model['name']}"

    async def talk() -> str:
        conn = await websocket_connect(ws_url)
        out = ""
        script = "\n".join([*lines, 'echo "@@end-$((6*7))@@"']) + "\n"
        await conn.write_message(json.dumps(["stdin", script]))
        deadline = time.monotonic() + timeout
        while "@@end-42@@" not in out:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                msg = await asyncio.wait_for(conn.read_message(), left)
            except TimeoutError:
                break
            if msg is None:
                break
            kind, *payload = json.loads(msg)
            if kind == "stdout":
                out += payload[0]
        conn.close()
        return out

    try:
        out = asyncio.run(talk())
    finally:
        _http(f"{url}/api/terminals/{model['name']}", method="DELETE")
    assert "@@end-42@@" in out, f"the terminal did not finish:\n{out[-3000:]}"
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", out)  # colour and cursor codes, CR


def test_the_file_browser_shows_the_project_folder(jupyterlab):
    status, listing = _http(f"{jupyterlab}/api/contents/")
    assert status == 200 and isinstance(listing, dict)
    names = {item["name"] for item in listing["content"]}
    assert {"notebooks", "exercises", "README.md"} <= names
    status, nb = _http(f"{jupyterlab}/api/contents/notebooks/00_setup.ipynb?content=0")
    assert status == 200 and isinstance(nb, dict) and nb["type"] == "notebook"


def test_printed_commands_work_in_a_jupyterlab_terminal(jupyterlab, tmp_path, monkeypatch):
    shutil.which("ssh") or pytest.skip("no OpenSSH client (make openssh installs it)")
    lab.start("01")
    ec2 = boto3.client("ec2")
    ami = boto3.client("ssm").get_parameter(Name=AL2023)["Parameter"]["Value"]
    name = f"t-terminal-{os.urandom(3).hex()}"
    material = ec2.create_key_pair(KeyName=name, KeyType="ed25519")["KeyMaterial"]
    gid = ec2.create_security_group(GroupName=name, Description="terminal test")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": lab.my_cidr()}]}],
    )
    iid = ec2.run_instances(
        ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName=name, SecurityGroupIds=[gid]
    )["Instances"][0]["InstanceId"]
    # The key where a learner's lab 01 saves it (LAB_DIR unset: .lab/ in the project), so the
    # command names it relative to the project; and once in this session's LAB_DIR (absolute).
    monkeypatch.setenv("LAB_DIR", str(ROOT / ".lab"))
    in_project = ssh.save_private_key(material, name)
    monkeypatch.undo()
    elsewhere = ssh.save_private_key(material, name)
    try:
        deadline = time.monotonic() + 60
        while True:
            instance = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
            try:
                host, port = ssh.endpoint(instance)
                break
            except ValueError:
                assert time.monotonic() < deadline, "the instance never got an SSH endpoint"
                time.sleep(0.2)
        printed = [
            ssh.openssh_command(key, "ec2-user", host, port, "echo ssh-ok-$((40+2))") for key in (in_project, elsewhere)
        ]
        assert printed[0].startswith(f"ssh -i .lab/keys/{name}.pem ")
        assert printed[1].startswith(f"ssh -i {elsewhere} ")
        out = _type_in_terminal(
            jupyterlab,
            [
                "pwd",
                "command -v aws",
                "aws sts get-caller-identity --query Account --output text",
                *(line.replace("ssh ", f"ssh {SSH_TEST_OPTS} ", 1) for line in printed),
            ],
        )
    finally:
        ec2.terminate_instances(InstanceIds=[iid])
        ec2.delete_key_pair(KeyName=name)
        _retry(lambda: ec2.delete_security_group(GroupId=gid))  # once the instance has let go of it
        for key in (in_project, elsewhere):
            key.chmod(0o600)
            key.unlink()
    lines = out.splitlines()
    assert str(ROOT) in lines, f"the terminal did not start in the project folder:\n{out}"
    assert str(ROOT / ".venv" / "bin" / "aws") in lines or str(Path(sys.executable).parent / "aws") in lines, out
    assert lab.current().account in lines, f"aws did not answer from localcloud:\n{out}"
    assert f"localcloud at {lab.current().endpoint}" in out, out
    assert lines.count("ssh-ok-42") == 2, f"a printed ssh command failed in the terminal:\n{out}"
