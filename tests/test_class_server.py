"""A class on one server: courses side by side, each with its own localcloud, port and state.

Two courses (two LAB_DIRs, as two checkouts each have their own .lab/) start at once with
LOCALCLOUD_PORT=auto (what a shared server sets; unset, the first course would take the default
port 4750, which tests never use); each runs a small lab, from its own Python process as a
notebook kernel would: the same bucket name in both, a different object in each, and neither
sees the other's.  The default-port fallback is checked in-process with a stand-in default port.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud import cli, config
from localcloud.testing import CMD_TIMEOUT_S, isolated_env

LAB = textwrap.dedent(
    """
    import json, sys, boto3
    from helpers import lab
    target = lab.start("80")  # a scratch lab id
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="class-lab-bucket")  # S3 names are global on AWS: per course here
    s3.put_bucket_tagging(Bucket="class-lab-bucket", Tagging={"TagSet": lab.tags()})
    s3.put_object(Bucket="class-lab-bucket", Key="who.txt", Body=sys.argv[1].encode())
    body = s3.get_object(Bucket="class-lab-bucket", Key="who.txt")["Body"].read().decode()
    names = sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
    print(json.dumps({"endpoint": target.endpoint, "body": body, "buckets": names}))
    """
)


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "localcloud", *args], env=env, capture_output=True, text=True, timeout=CMD_TIMEOUT_S
    )


def test_two_courses_at_once_each_get_their_own_localcloud(tmp_path):
    envs = {name: isolated_env(tmp_path / name, "auto") for name in ("course-a", "course-b")}
    starting = {
        name: subprocess.Popen(
            [sys.executable, "-m", "localcloud", "start", "--json", "--fresh"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, env in envs.items()
    }
    try:
        status = {}
        for name, proc in starting.items():
            out, err = proc.communicate(timeout=CMD_TIMEOUT_S)
            assert proc.returncode == 0, err
            status[name] = json.loads(out)
        a, b = status["course-a"], status["course-b"]
        assert a["endpoint"] != b["endpoint"] and a["pid"] != b["pid"]
        assert config.DEFAULT_PORT not in {int(s["endpoint"].rsplit(":", 1)[1]) for s in (a, b)}
        assert a["state_dir"] == str(tmp_path / "course-a" / "localcloud")
        assert b["state_dir"] == str(tmp_path / "course-b" / "localcloud")

        # Each course's lab, run at once; its kernel and its terminal find its own localcloud.
        labs = {
            name: subprocess.Popen(
                [sys.executable, "-c", LAB, f"written by {name}"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name, env in envs.items()
        }
        for name, proc in labs.items():
            out, err = proc.communicate(timeout=CMD_TIMEOUT_S)
            assert proc.returncode == 0, err
            seen = json.loads(out.splitlines()[-1])
            assert seen["endpoint"] == status[name]["endpoint"]
            assert seen["body"] == f"written by {name}", "one course read the other's object"
            assert seen["buckets"] == ["class-lab-bucket"]
            exports = _run(envs[name], "env").stdout
            assert f"export AWS_ENDPOINT_URL={status[name]['endpoint']}\n" in exports
            own = config.install_credentials(tmp_path / name / "localcloud", create=False)
            assert f"export AWS_ACCESS_KEY_ID={own.access_key_id}\n" in exports

        # A learner of one course cannot use the other course's localcloud: each has its own key.
        key_a = config.install_credentials(tmp_path / "course-a" / "localcloud", create=False)
        assert key_a != config.install_credentials(tmp_path / "course-b" / "localcloud", create=False)
        s3_b_with_a_key = boto3.client(
            "s3",
            endpoint_url=b["endpoint"],
            region_name=config.REGION,
            aws_access_key_id=key_a.access_key_id,
            aws_secret_access_key=key_a.secret_access_key,
        )
        with pytest.raises(ClientError) as refused:
            s3_b_with_a_key.get_object(Bucket="class-lab-bucket", Key="who.txt")
        assert refused.value.response["Error"]["Code"] == "InvalidAccessKeyId"

        # Restarted, each course comes back on its own port with its own state.
        for env in envs.values():
            assert _run(env, "stop").returncode == 0
        for name, env in envs.items():
            again = _run(env, "start", "--json")
            assert again.returncode == 0, again.stderr
            assert json.loads(again.stdout)["endpoint"] == status[name]["endpoint"]
    finally:
        for env in envs.values():
            _run(env, "stop")


def test_a_busy_default_port_means_another_free_port(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LAB_DIR", str(tmp_path))
    monkeypatch.delenv("LOCALCLOUD_PORT", raising=False)
    with socket.socket() as holder:  # stands in for another course's localcloud on the default port
        holder.bind((config.HOST, 0))
        holder.listen(1)
        busy = holder.getsockname()[1]
        monkeypatch.setattr(config, "DEFAULT_PORT", busy)
        chosen = cli._choose_port()
        assert chosen != busy and cli._port_free(chosen)
        assert f"port {busy} is used by another program" in capsys.readouterr().err
        # The port this course had last time wins when it is free again ...
        (tmp_path / "localcloud").mkdir()
        (tmp_path / "localcloud" / cli.LAST_PORT_FILE).write_text(f"{chosen}\n")
        assert cli._choose_port() == chosen
    # ... and a number in LOCALCLOUD_PORT is kept to: busy, it is an error naming the variable.
    with socket.socket() as holder:
        holder.bind((config.HOST, 0))
        holder.listen(1)
        monkeypatch.setenv("LOCALCLOUD_PORT", str(holder.getsockname()[1]))
        with pytest.raises(cli.CliError, match="LOCALCLOUD_PORT"):
            cli._choose_port()


def test_a_relative_lab_dir_is_taken_from_the_project_folder(monkeypatch):
    import labcontract

    monkeypatch.setenv("LAB_DIR", "class/ana")
    monkeypatch.chdir(labcontract.PROJECT_ROOT / "notebooks")  # where a kernel runs
    assert labcontract.lab_dir() == labcontract.PROJECT_ROOT / "class" / "ana"
    assert config.state_dir() == labcontract.PROJECT_ROOT / "class" / "ana" / "localcloud"
