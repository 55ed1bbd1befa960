"""helpers.ssh: key files, where to connect, the OpenSSH command line, failure explanations."""

from __future__ import annotations

import stat

import paramiko
import pytest

from helpers import paths, ssh


def test_private_key_is_saved_owner_read_only_and_replaced(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_DIR", str(tmp_path))
    path = ssh.save_private_key("-----BEGIN KEY-----\nabc\n-----END KEY-----", "lab01")
    assert path == tmp_path / "keys" / "lab01.pem"
    assert ssh.mode(path) == "0400" and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_text().endswith("-----END KEY-----\n")
    again = ssh.save_private_key("second\n", "lab01")  # a re-run replaces the read-only file
    assert again.read_text() == "second\n" and ssh.mode(again) == "0400"


def test_endpoint_prefers_the_localcloud_tag():
    inst = {
        "InstanceId": "i-1",
        "PublicDnsName": "ec2-54-1-2-3.compute-1.amazonaws.com",
        "Tags": [{"Key": "Name", "Value": "x"}, {"Key": ssh.ENDPOINT_TAG, "Value": "127.0.0.1:40022"}],
    }
    assert ssh.endpoint(inst) == ("127.0.0.1", 40022)


def test_endpoint_on_aws_is_the_public_name_port_22():
    assert ssh.endpoint({"PublicDnsName": "ec2-54-1-2-3.compute-1.amazonaws.com", "PublicIpAddress": "54.1.2.3"}) == (
        "ec2-54-1-2-3.compute-1.amazonaws.com",
        22,
    )
    assert ssh.endpoint({"PublicDnsName": "", "PublicIpAddress": "54.1.2.3"}) == ("54.1.2.3", 22)


def test_endpoint_without_public_address_says_why():
    with pytest.raises(ValueError, match="no public address.*state stopped"):
        ssh.endpoint({"InstanceId": "i-1", "PublicDnsName": "", "State": {"Name": "stopped"}})


def test_openssh_command():
    key = paths.PROJECT_ROOT / ".lab" / "keys" / "lab01.pem"
    assert (
        ssh.openssh_command(key, "ec2-user", "ec2-54-1-2-3.compute-1.amazonaws.com")
        == "ssh -i .lab/keys/lab01.pem ec2-user@ec2-54-1-2-3.compute-1.amazonaws.com"
    )
    assert (
        ssh.openssh_command(key, "ec2-user", "127.0.0.1", 40022, "uname -sm")
        == "ssh -i .lab/keys/lab01.pem -p 40022 ec2-user@127.0.0.1 'uname -sm'"
    )


@pytest.mark.parametrize(
    "exc, start",
    [
        (paramiko.AuthenticationException("Authentication failed."), "authentication failed"),
        (
            paramiko.ssh_exception.NoValidConnectionsError({("127.0.0.1", 1): ConnectionRefusedError()}),
            "connection refused",
        ),
        (ConnectionRefusedError(), "connection refused"),
        (TimeoutError("timed out"), "timed out"),
        (TimeoutError(), "timed out"),
        (paramiko.SSHException("Error reading SSH protocol banner"), "timed out"),
        (paramiko.SSHException("something else"), "SSHException: something else"),
    ],
)
def test_explain(exc, start):
    assert ssh.explain(exc).startswith(start)


def test_local_key_files_are_found_and_deleted_by_lab(monkeypatch, tmp_path):
    from helpers import resources_ec2_keys

    monkeypatch.setenv("LAB_DIR", str(tmp_path))
    ssh.save_private_key("k\n", "aws-de-labs-lab01")
    ssh.save_private_key("k\n", "someone-elses-key")  # not the labs' naming: never touched
    found = resources_ec2_keys._key_files()
    assert [(r.kind, r.id, r.lab) for r in found] == [("local key file", "keys/aws-de-labs-lab01.pem", "01")]
    found[0].delete()
    found[0].delete()  # idempotent
    assert resources_ec2_keys._key_files() == []
    assert (tmp_path / "keys" / "someone-elses-key.pem").exists()
