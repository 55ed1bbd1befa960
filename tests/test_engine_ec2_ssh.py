"""The EC2 SSH engine: real SSH servers per running instance, gated by security groups.

Most tests talk to the session's localcloud (conftest.py) with boto3 and real SSH clients
(paramiko, asyncssh, OpenSSH when installed); the stop/reset tests start a private one.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import asyncssh
import boto3
import paramiko
import pytest

from helpers import lab
from localcloud.engines.ec2.engine import TAG, default_user

LEARNER = "203.0.113.10/32"
AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


# ---- pure functions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, description, platform, user",
    [
        ("al2023-ami-2023.12.20260930.0-kernel-6.18-x86_64", "Amazon Linux 2023 AMI", None, "ec2-user"),
        ("ubuntu/images/hvm-ssd/ubuntu-xenial-16.04-amd64-server", "Canonical, Ubuntu, 16.04 LTS", None, "ubuntu"),
        ("debian-12-amd64-20240717-1811", "Debian 12", None, "admin"),
        ("RHEL-7.4_HVM_GA-20170808-x86_64-2-Hourly2-GP2", "Provided by Red Hat, Inc.", None, "ec2-user"),
        ("Windows_Server-2016-English-Full-Base", "Microsoft Windows Server 2016", "windows", None),
    ],
)
def test_default_user(name, description, platform, user):
    assert default_user(SimpleNamespace(name=name, description=description, platform=platform)) == user


# ---- against the session's localcloud -----------------------------------------------------------


@pytest.fixture(scope="module")
def ec2():
    lab.start("01")
    return boto3.client("ec2")


@pytest.fixture(scope="module")
def ami():
    lab.start("01")
    return boto3.client("ssm").get_parameter(Name=AL2023)["Parameter"]["Value"]


@pytest.fixture
def key(ec2, tmp_path):
    name = f"t-{os.urandom(4).hex()}"
    kp = ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    path = tmp_path / f"{name}.pem"
    path.write_text(kp["KeyMaterial"])
    path.chmod(0o400)
    yield SimpleNamespace(name=name, path=path)
    ec2.delete_key_pair(KeyName=name)


@pytest.fixture
def sg(ec2):
    gid = ec2.create_security_group(GroupName=f"t-{os.urandom(4).hex()}", Description="test")["GroupId"]
    yield gid
    _retry(lambda: ec2.delete_security_group(GroupId=gid))


def _retry(fn, attempts=20):
    for i in range(attempts):
        try:
            return fn()
        except Exception:
            if i == attempts - 1:
                raise
            time.sleep(0.1)


def _ssh_rule(cidr=LEARNER, lo=22, hi=22, proto="tcp"):
    return [{"IpProtocol": proto, "FromPort": lo, "ToPort": hi, "IpRanges": [{"CidrIp": cidr}]}]


def _describe(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def _endpoint(ec2, iid):
    tags = {t["Key"]: t["Value"] for t in _describe(ec2, iid).get("Tags", [])}
    if TAG not in tags:
        return None
    host, port = tags[TAG].split(":")
    return host, int(port)


@pytest.fixture
def launch(ec2, ami):
    made = []

    def run(key_name, groups, image=None):
        iid = ec2.run_instances(
            ImageId=image or ami,
            InstanceType="t3.micro",
            MinCount=1,
            MaxCount=1,
            KeyName=key_name,
            SecurityGroupIds=groups,
        )["Instances"][0]["InstanceId"]
        made.append(iid)
        return iid

    yield run
    if made:
        ec2.terminate_instances(InstanceIds=made)


def _connect(endpoint, key_path, user="ec2-user", timeout=1.0):
    host, port = endpoint
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        host,
        port=port,
        username=user,
        key_filename=str(key_path),
        timeout=timeout + 1,
        banner_timeout=timeout,
        auth_timeout=timeout,
        look_for_keys=False,
        allow_agent=False,
    )
    return client


def _run(endpoint, key_path, command, user="ec2-user"):
    with _connect(endpoint, key_path, user) as client:
        _, out, err = client.exec_command(command, timeout=10)
        status = out.channel.recv_exit_status()
        return out.read().decode(), err.read().decode(), status


def _denied(endpoint, key_path, user="ec2-user") -> bool:
    """True when the TCP connect itself timed out (the SYN was dropped, as a security group does
    on AWS); a timeout later, waiting for the server's greeting, is not what AWS does."""
    try:
        _connect(endpoint, key_path, user).close()
    except TimeoutError:  # paramiko's socket.connect: nothing answered the SYN
        return True
    return False


def test_run_instances_opens_an_endpoint_and_commands_run_for_real(ec2, key, sg, launch):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule())
    iid = launch(key.name, [sg])
    ep = _endpoint(ec2, iid)
    assert ep and ep[0] == "127.0.0.1"
    out, err, status = _run(
        ep, key.path, 'echo "$USER $LOGNAME"; basename "$PWD"; echo note > f.txt; cat f.txt; echo oops >&2; exit 3'
    )
    assert out.splitlines() == ["ec2-user ec2-user", "ec2-user", "note"]
    assert err == "oops\n" and status == 3
    # The file really is in the instance's folder, and survives the next session.
    assert _run(ep, key.path, "cat ~/f.txt")[0] == "note\n"


def test_stdin_reaches_the_command(ec2, key, sg, launch):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule())
    ep = _endpoint(ec2, launch(key.name, [sg]))
    with _connect(ep, key.path) as client:
        stdin, out, _ = client.exec_command("tr a-z A-Z")
        stdin.write("shout\n")
        stdin.channel.shutdown_write()
        assert out.read() == b"SHOUT\n"


def test_only_the_default_user_with_the_launch_key(ec2, key, sg, launch, tmp_path):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule())
    ep = _endpoint(ec2, launch(key.name, [sg]))
    for user in ("root", "ubuntu", "admin"):
        with pytest.raises(paramiko.AuthenticationException):
            _connect(ep, key.path, user=user)
    other = ec2.create_key_pair(KeyName=f"other-{os.urandom(3).hex()}", KeyType="ed25519")
    try:
        other_path = tmp_path / "other.pem"
        other_path.write_text(other["KeyMaterial"])
        with pytest.raises(paramiko.AuthenticationException):
            _connect(ep, other_path)
    finally:
        ec2.delete_key_pair(KeyName=other["KeyName"])
    # Passwords are never accepted, whatever they are.
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    with pytest.raises(paramiko.AuthenticationException):
        client.connect(
            ep[0],
            port=ep[1],
            username="ec2-user",
            password="ec2-user",
            timeout=2,
            look_for_keys=False,
            allow_agent=False,
        )


def test_rsa_key_pairs_and_deleted_key_pairs(ec2, sg, launch, tmp_path):
    """The public key is captured at launch, as cloud-init writes authorized_keys on AWS."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule())
    name = f"rsa-{os.urandom(3).hex()}"
    kp = ec2.create_key_pair(KeyName=name)  # RSA, the default type
    path = tmp_path / "rsa.pem"
    path.write_text(kp["KeyMaterial"])
    iid = launch(name, [sg])
    ec2.delete_key_pair(KeyName=name)
    assert _run(_endpoint(ec2, iid), path, "echo ok")[0] == "ok\n"


def test_ubuntu_ami_means_the_ubuntu_user(ec2, key, sg, launch):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule())
    image = ec2.describe_images(
        Owners=["099720109477"], Filters=[{"Name": "name", "Values": ["ubuntu/images/hvm-ssd/ubuntu-xenial-*"]}]
    )["Images"][0]["ImageId"]
    ep = _endpoint(ec2, launch(key.name, [sg], image=image))
    assert _run(ep, key.path, "echo $USER", user="ubuntu")[0] == "ubuntu\n"
    with pytest.raises(paramiko.AuthenticationException):
        _connect(ep, key.path, user="ec2-user")


def test_security_group_rules_apply_to_each_new_connection(ec2, key, sg, launch):
    iid = launch(key.name, [sg])
    ep = _endpoint(ec2, iid)
    assert _denied(ep, key.path), "no ingress rule: dropped"
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule("198.51.100.7/32"))
    assert _denied(ep, key.path), "a rule for someone else's address: dropped"
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule())
    assert _run(ep, key.path, "echo in")[0] == "in\n", "my /32: allowed at once"
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule())
    assert _denied(ep, key.path), "revoked: dropped at once"
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule("0.0.0.0/0"))
    assert not _denied(ep, key.path), "0.0.0.0/0 lets everyone in, you included"
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule("0.0.0.0/0"))
    ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": LEARNER}]}]
    )
    assert not _denied(ep, key.path), "all traffic from my /32"


def test_changing_the_instance_groups_applies(ec2, key, sg, launch):
    iid = launch(key.name, [sg])
    ep = _endpoint(ec2, iid)
    assert _denied(ep, key.path)
    open_sg = ec2.create_security_group(GroupName=f"t-{os.urandom(4).hex()}", Description="ssh")["GroupId"]
    try:
        ec2.authorize_security_group_ingress(GroupId=open_sg, IpPermissions=_ssh_rule())
        ec2.modify_instance_attribute(InstanceId=iid, Groups=[open_sg])
        assert not _denied(ep, key.path)
        ec2.modify_instance_attribute(InstanceId=iid, Groups=[sg])
        assert _denied(ep, key.path)
    finally:
        ec2.modify_instance_attribute(InstanceId=iid, Groups=[sg])
        ec2.terminate_instances(InstanceIds=[iid])
        _retry(lambda: ec2.delete_security_group(GroupId=open_sg))


def _refused(ep) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(ep) == 111  # ECONNREFUSED


def test_stop_start_terminate(ec2, key, sg, launch):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule())
    iid = launch(key.name, [sg])
    first = _endpoint(ec2, iid)
    _run(first, key.path, "echo kept > kept.txt")
    ec2.stop_instances(InstanceIds=[iid])
    assert _endpoint(ec2, iid) is None and _refused(first)
    with pytest.raises(paramiko.ssh_exception.NoValidConnectionsError):
        _connect(first, key.path)
    ec2.start_instances(InstanceIds=[iid])
    second = _endpoint(ec2, iid)
    assert second and second != first and _refused(first)
    assert _run(second, key.path, "cat kept.txt")[0] == "kept\n", "the disk survives a stop"
    ec2.terminate_instances(InstanceIds=[iid])
    assert _endpoint(ec2, iid) is None and _refused(second)


def test_stopping_an_instance_ends_its_commands(ec2, key, sg, launch):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule())
    iid = launch(key.name, [sg])
    client = _connect(_endpoint(ec2, iid), key.path)
    _, out, _ = client.exec_command("echo started; sleep 60")
    assert out.readline() == "started\n"
    status = _status()
    assert any(p["engine"] == "ec2_ssh" for p in status["processes"])
    ec2.stop_instances(InstanceIds=[iid])
    assert not any(p["engine"] == "ec2_ssh" for p in _status()["processes"])
    client.close()


def _status(env=None) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "localcloud", "status", "--json"], capture_output=True, text=True, env=env, timeout=30
    ).stdout
    return json.loads(out)


def test_asyncssh_client(ec2, key, sg, launch):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule())
    host, port = _endpoint(ec2, launch(key.name, [sg]))

    async def go():
        async with asyncssh.connect(
            host, port, username="ec2-user", client_keys=[str(key.path)], known_hosts=None
        ) as conn:
            return await conn.run("echo from asyncssh", check=True)

    assert asyncio.run(go()).stdout == "from asyncssh\n"


@pytest.mark.skipif(not shutil.which("ssh"), reason="OpenSSH client (ssh) is not installed")
def test_openssh_command_works_as_printed(ec2, key, sg, launch, tmp_path):
    from helpers import ssh

    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule())
    iid = launch(key.name, [sg])
    host, port = ssh.endpoint(_describe(ec2, iid))
    line = ssh.openssh_command(key.path, "ec2-user", host, port, "echo hi")
    assert line.startswith("ssh -i ") and f"-p {port} ec2-user@127.0.0.1" in line
    opts = [
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=accept-new",
        "-o",
        f"UserKnownHostsFile={tmp_path / 'known_hosts'}",
        "-o",
        "ConnectTimeout=3",
    ]
    argv = shlex.split(line)  # what a shell makes of the printed line; options for a test run added
    argv = argv[:1] + opts + argv[1:]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=ssh.paths.PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hi\n"
    # A dropped connection is a *connect* timeout for OpenSSH too, as AWS's dropped SYN gives.
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=_ssh_rule())
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=ssh.paths.PROJECT_ROOT)
    assert done.returncode == 255
    assert done.stderr.strip() == f"ssh: connect to host 127.0.0.1 port {port}: Connection timed out"


# ---- stop and reset leave nothing listening ----------------------------------------------------


@pytest.fixture
def private_cloud(private_localcloud):
    c = private_localcloud  # a localcloud of this test's own: it is stopped and reset below
    return SimpleNamespace(env=c.env, ec2=c.client("ec2"), ssm=c.client("ssm"), pid=c.pid, run=c.run)


def _busy_instance(cloud, tmp_path):
    ec2 = cloud.ec2
    kp = ec2.create_key_pair(KeyName="k", KeyType="ed25519")
    path = tmp_path / "k.pem"
    path.write_text(kp["KeyMaterial"])
    gid = ec2.create_security_group(GroupName="g", Description="g")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=_ssh_rule())
    ami = cloud.ssm.get_parameter(Name=AL2023)["Parameter"]["Value"]
    iid = ec2.run_instances(
        ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName="k", SecurityGroupIds=[gid]
    )["Instances"][0]["InstanceId"]
    ep = _endpoint(ec2, iid)
    client = _connect(ep, path)
    _, out, _ = client.exec_command("echo started; sleep 60")
    assert out.readline() == "started\n"
    shell_pids = [p["pid"] for p in _status(cloud.env)["processes"] if p["engine"] == "ec2_ssh"]
    assert shell_pids
    return ep, client, shell_pids


def _gone(pid: int) -> bool:
    from localcloud.processes import pid_alive

    deadline = time.monotonic() + 10
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not pid_alive(pid)


def test_localcloud_stop_leaves_no_listener_and_no_shell(private_cloud, tmp_path):
    ep, client, shells = _busy_instance(private_cloud, tmp_path)
    private_cloud.run("stop")
    assert _refused(ep)
    assert all(_gone(pid) for pid in shells + [private_cloud.pid])
    client.close()


def test_localcloud_reset_closes_every_endpoint(private_cloud, tmp_path):
    ep, client, shells = _busy_instance(private_cloud, tmp_path)
    done = private_cloud.run("reset")
    assert done.returncode == 0, done.stderr
    assert _refused(ep) and all(_gone(pid) for pid in shells)
    status = _status(private_cloud.env)
    assert status["engines"]["ec2_ssh"]["ssh_endpoints"] == {} and not status["processes"]
    assert not list((Path(private_cloud.env["LAB_DIR"]) / "localcloud" / "engines" / "ec2_ssh").glob("i-*"))
    client.close()


# ---- no sandbox, no commands --------------------------------------------------------------------


def test_without_a_sandbox_commands_are_refused_never_run_on_this_machine(tmp_path):
    """A machine without bubblewrap (here: a PATH without it): SSH still answers (keys, security
    groups), but every command is refused with the reason and how to fix it."""
    from localcloud import testing

    lab_dir = tmp_path / "lab"
    env = testing.isolated_env(lab_dir)
    env["PATH"] = str(tmp_path / "empty-bin")  # no bwrap, no nsenter, no shell tools at all
    cloud = testing.start(lab_dir, env)
    try:
        ec2, ssm = cloud.client("ec2"), cloud.client("ssm")
        kp = ec2.create_key_pair(KeyName="k", KeyType="ed25519")
        key = tmp_path / "k.pem"
        key.write_text(kp["KeyMaterial"])
        gid = ec2.create_security_group(GroupName="g", Description="g")["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=_ssh_rule())
        ami = ssm.get_parameter(Name=AL2023)["Parameter"]["Value"]
        iid = ec2.run_instances(
            ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName="k", SecurityGroupIds=[gid]
        )["Instances"][0]["InstanceId"]
        marker = tmp_path / "ran-on-the-host"
        out, err, status = _run(_endpoint(ec2, iid), key, f"touch {marker}; whoami")
        assert status == 1 and out == ""
        assert "this instance cannot run commands on this machine: bwrap, nsenter" in err
        assert "bubblewrap" in err and not marker.exists()
        assert "not found" in _status(cloud.env)["engines"]["ec2_ssh"]["sandbox"]
    finally:
        cloud.run("stop")
