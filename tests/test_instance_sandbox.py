"""An EC2 "instance" is not the learner's machine (issue 12 §4, issue 13 item 6): each test performs
the misuse over SSH, as a learner pasting tutorial commands would, and shows it contained.

Every instance is a bubblewrap sandbox (localcloud/sandbox.py): its own disk, process tree and
network, the AMI's user and look.  The legitimate paths keep working: paramiko, OpenSSH, an
interactive shell, ``scp`` in both modes and ``sftp``, files kept across stop/start.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import boto3
import paramiko
import pytest

import labcontract
from helpers import lab
from localcloud import config, sandbox
from localcloud.engines.ec2.engine import TAG

pytestmark = pytest.mark.skipif(bool(sandbox.unavailable()), reason=f"no sandbox here: {sandbox.unavailable()}")

LEARNER = "203.0.113.10/32"
AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
SSH_OPTS = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
SSH_OPTS += ["-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5"]


@pytest.fixture(scope="module")
def ec2():
    lab.start("01")
    return boto3.client("ec2")


@pytest.fixture(scope="module")
def instance(ec2, tmp_path_factory):
    """One running Amazon Linux 2023 instance with SSH open to the learner, and its key."""
    name = f"sbx-{uuid.uuid4().hex[:6]}"
    key = tmp_path_factory.mktemp("keys") / f"{name}.pem"
    key.write_text(ec2.create_key_pair(KeyName=name, KeyType="ed25519")["KeyMaterial"])
    key.chmod(0o400)
    sg = ec2.create_security_group(GroupName=name, Description="ssh")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": LEARNER}]}],
    )
    ami = boto3.client("ssm").get_parameter(Name=AL2023)["Parameter"]["Value"]
    iid = ec2.run_instances(
        ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName=name, SecurityGroupIds=[sg]
    )["Instances"][0]["InstanceId"]
    inst = SimpleNamespace(id=iid, key=key, name=name, sg=sg)
    yield inst
    ec2.terminate_instances(InstanceIds=[iid])
    ec2.delete_key_pair(KeyName=name)
    for _ in range(50):
        try:
            ec2.delete_security_group(GroupId=sg)
            break
        except Exception:
            time.sleep(0.1)


def endpoint(ec2, iid) -> tuple[str, int]:
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    host, port = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}[TAG].split(":")
    return host, int(port)


def run(ec2, inst, command: str, user: str = "ec2-user") -> tuple[str, str, int]:
    host, port = endpoint(ec2, inst.id)
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(host, port=port, username=user, key_filename=str(inst.key), timeout=10, look_for_keys=False)
    try:
        _, out, err = client.exec_command(command, timeout=60)
        status = out.channel.recv_exit_status()
        return out.read().decode(), err.read().decode(), status
    finally:
        client.close()


def status_doc() -> dict:
    done = subprocess.run([sys.executable, "-m", "localcloud", "status", "--json"], capture_output=True, text=True)
    return json.loads(done.stdout)


def instance_disk(iid: str) -> Path:
    return config.state_dir() / "engines" / "ec2_ssh" / iid / "disk"


def host_pids_running(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker`` (a unique sleep length)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


# ---- the instance looks like its AMI ----------------------------------------------------------------


def test_inside_it_looks_like_amazon_linux_2023(ec2, instance):
    out, err, status = run(
        ec2,
        instance,
        "whoami; id -u; echo $USER $HOME; pwd; . /etc/os-release; echo $ID $VERSION_ID; hostname; "
        "cat /etc/system-release; uname -sm",
    )
    assert status == 0, err
    lines = out.splitlines()
    assert lines[:4] == ["ec2-user", "1000", "ec2-user /home/ec2-user", "/home/ec2-user"]
    assert lines[4] == "amzn 2023"
    assert lines[5].startswith("ip-") and lines[5].endswith(".ec2.internal")
    assert lines[6].startswith("Amazon Linux release 2023.")
    assert lines[7] == "Linux x86_64"


def test_sudo_is_root_of_the_sandbox_only(ec2, instance):
    daemon_pid = status_doc()["pid"]
    out, err, status = run(
        ec2,
        instance,
        f"sudo whoami; sudo id -u; sudo touch /etc/made-by-sudo && ls -l /etc/made-by-sudo | cut -c1-10; "
        f"sudo kill -9 {daemon_pid}; echo kill=$?; sudo cat /etc/shadow; echo shadow=$?",
    )
    lines = out.splitlines()
    assert lines[:3] == ["root", "0", "-rw-r--r--"]
    assert "kill=1" in lines and "shadow=1" in lines
    assert "No such process" in err and "No such file" in err
    assert (instance_disk(instance.id) / "etc" / "made-by-sudo").exists()  # the instance's own /etc
    assert status_doc()["pid"] == daemon_pid  # localcloud is still there


@pytest.mark.parametrize("tool", ["dnf", "yum"])
def test_package_managers_say_the_instance_is_offline(ec2, instance, tool):
    out, err, status = run(ec2, instance, f"sudo {tool} install -y git")
    assert status == 1
    assert f"{tool}: this localcloud instance is offline" in err


def test_shutdown_explains_how_to_stop_an_instance(ec2, instance):
    _, err, status = run(ec2, instance, "sudo shutdown now")
    assert status == 1 and "ec2.stop_instances" in err
    assert ec2.describe_instances(InstanceIds=[instance.id])["Reservations"][0]["Instances"][0]["State"]["Name"] == (
        "running"
    )


def test_interactive_shell_has_a_terminal(ec2, instance):
    host, port = endpoint(ec2, instance.id)
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(host, port=port, username="ec2-user", key_filename=str(instance.key), look_for_keys=False)
    chan = client.invoke_shell()
    chan.settimeout(30)
    chan.send(b"echo I am $(whoami) on $(hostname -s); tty -s && echo has-tty; exit\n")
    data = b""
    while not chan.exit_status_ready() or chan.recv_ready():
        chunk = chan.recv(4096)
        if not chunk:
            break
        data += chunk
    client.close()
    text = data.decode(errors="replace")
    assert "I am ec2-user on ip-" in text and "has-tty" in text


# ---- the learner's machine is out of reach ----------------------------------------------------------


def test_the_hosts_files_are_absent_or_read_only(ec2, instance):
    secret = config.state_dir() / config.CREDENTIALS_FILE
    checks = [
        f"cat {secret}",
        f"ls {labcontract.PROJECT_ROOT}",
        f"ls {config.lab_dir()}",
        "ls /root/.ssh",
        "cat /etc/shadow",
        "touch /usr/bin/pwned",
        "rm -rf /usr/share/doc 2>&1 | head -1",
    ]
    for cmd in checks:
        out, err, status = run(ec2, instance, cmd)
        assert "No such file" in err + out or "Read-only file system" in err + out, (cmd, out, err)
    assert secret.exists() and not Path("/usr/bin/pwned").exists()
    # rm -rf ~ removes the instance's home only
    run(ec2, instance, "touch ~/a; rm -rf ~/* ~/.[!.]*; true")
    assert secret.exists() and labcontract.PROJECT_ROOT.joinpath("README.md").exists()


def test_no_host_process_is_visible_or_signalable(ec2, instance):
    daemon_pid = status_doc()["pid"]
    out, err, status = run(ec2, instance, f"ps -eo pid,comm --no-headers; kill -9 {daemon_pid}; echo kill=$?")
    comms = [line.split()[1] for line in out.splitlines() if line.strip() and not line.startswith("kill=")]
    assert "python3" not in comms and "python" not in comms and len(comms) < 10, comms
    assert "kill=1" in out and "No such process" in err
    assert status_doc()["pid"] == daemon_pid


def test_no_network_beyond_the_instance(ec2, instance):
    port = os.environ["LOCALCLOUD_PORT"]
    out, err, _ = run(
        ec2,
        instance,
        f"(exec 3<>/dev/tcp/127.0.0.1/{port}) 2>&1; echo localcloud=$?; "
        "(exec 3<>/dev/tcp/10.0.0.1/80) 2>&1; echo outside=$?",
    )
    assert "localcloud=1" in out and "Connection refused" in out  # its own loopback: nothing listens
    assert "outside=1" in out and "Network is unreachable" in out


# ---- what an instance starts dies with it (issue 13 item 6) -------------------------------------------


def test_nohup_outlives_the_session_and_dies_with_the_instance(ec2, instance):
    marker = f"{1000 + int(uuid.uuid4().int % 8999)}.{os.getpid()}"
    _, err, status = run(ec2, instance, f"nohup sleep {marker} >/dev/null 2>&1 &")
    assert status == 0, err
    out, _, _ = run(ec2, instance, "pgrep -a sleep")
    assert f"sleep {marker}" in out, "a nohup'd process outlives its SSH session, as on a real instance"
    assert host_pids_running(f"sleep {marker}")
    ec2.stop_instances(InstanceIds=[instance.id])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance.id], WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    assert not host_pids_running(f"sleep {marker}"), "stopping the instance kills what it started"
    ec2.start_instances(InstanceIds=[instance.id])
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance.id], WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})


def test_disk_persists_across_stop_start(ec2, instance):
    run(ec2, instance, "echo kept > /tmp/t.txt; echo home > ~/h.txt")
    ec2.stop_instances(InstanceIds=[instance.id])
    ec2.start_instances(InstanceIds=[instance.id])
    out, _, _ = run(ec2, instance, "cat /tmp/t.txt ~/h.txt")
    assert out == "kept\nhome\n"


# ---- copying files: scp (both modes) and sftp, confined the same way ---------------------------------


@pytest.mark.skipif(not shutil.which("scp"), reason="OpenSSH's scp is not installed")
@pytest.mark.parametrize("mode", [[], ["-O"]], ids=["sftp-protocol", "legacy-scp"])
def test_scp_to_and_from_the_instance(ec2, instance, tmp_path, mode):
    host, port = endpoint(ec2, instance.id)
    src = tmp_path / "data.csv"
    src.write_bytes(os.urandom(200_000))
    target = f"ec2-user@{host}"
    up = subprocess.run(
        ["scp", *mode, *SSH_OPTS, "-i", str(instance.key), "-P", str(port), str(src), f"{target}:data.csv"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert up.returncode == 0, up.stderr
    assert (instance_disk(instance.id) / "home" / "ec2-user" / "data.csv").read_bytes() == src.read_bytes()
    back = tmp_path / "back.csv"
    down = subprocess.run(
        ["scp", *mode, *SSH_OPTS, "-i", str(instance.key), "-P", str(port), f"{target}:data.csv", str(back)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 0, down.stderr
    assert back.read_bytes() == src.read_bytes()
    # the host's files are not there to copy, nor is the host writable
    steal = subprocess.run(
        ["scp", *mode, *SSH_OPTS, "-i", str(instance.key), "-P", str(port)]
        + [f"{target}:{config.state_dir() / config.CREDENTIALS_FILE}", str(tmp_path / "stolen")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert steal.returncode != 0 and not (tmp_path / "stolen").exists()
    plant = subprocess.run(
        ["scp", *mode, *SSH_OPTS, "-i", str(instance.key), "-P", str(port), str(src), f"{target}:/usr/bin/planted"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert plant.returncode != 0 and not Path("/usr/bin/planted").exists()


@pytest.mark.skipif(not shutil.which("sftp"), reason="OpenSSH's sftp is not installed")
def test_sftp_batch(ec2, instance, tmp_path):
    host, port = endpoint(ec2, instance.id)
    (tmp_path / "up.txt").write_text("via sftp\n")
    batch = tmp_path / "batch"
    batch.write_text(f"put {tmp_path / 'up.txt'} up.txt\nget up.txt {tmp_path / 'down.txt'}\nls -1\npwd\n")
    done = subprocess.run(
        ["sftp", *SSH_OPTS, "-i", str(instance.key), "-P", str(port), "-b", str(batch), f"ec2-user@{host}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "down.txt").read_text() == "via sftp\n"
    assert "Remote working directory: /home/ec2-user" in done.stdout


# ---- an Ubuntu AMI looks like Ubuntu ----------------------------------------------------------------


def test_ubuntu_ami(ec2, instance):
    image = ec2.describe_images(
        Owners=["099720109477"], Filters=[{"Name": "name", "Values": ["ubuntu/images/hvm-ssd/ubuntu-*"]}]
    )["Images"][0]["ImageId"]
    iid = ec2.run_instances(
        ImageId=image,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        KeyName=instance.name,
        SecurityGroupIds=[instance.sg],
    )["Instances"][0]["InstanceId"]
    try:
        out, err, status = run(
            ec2,
            SimpleNamespace(id=iid, key=instance.key),
            ". /etc/os-release; echo $ID; whoami; sudo apt install -y x",
            "ubuntu",
        )
        assert out.splitlines() == ["ubuntu", "ubuntu"]
        assert status == 1 and "apt: this localcloud instance is offline" in err
    finally:
        ec2.terminate_instances(InstanceIds=[iid])
    assert not instance_disk(iid).parent.exists(), "terminate deletes the instance's disk"
