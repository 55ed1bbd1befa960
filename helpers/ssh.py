"""Small SSH chores around an EC2 instance (introduced in 01_ec2_launch_and_ssh).

The notebook makes the paramiko calls itself; these helpers only save the key file safely,
find where to connect, print the OpenSSH command, and explain a failed connection.
"""

from __future__ import annotations

import os
import shlex
import socket
from pathlib import Path

import labcontract

from . import paths

# localcloud tags each running instance with where its SSH server listens on this machine;
# real instances have no such tag and are reached at their public DNS name on port 22.
ENDPOINT_TAG = labcontract.SSH_ENDPOINT_TAG
SSH_PORT = 22


def key_dir() -> Path:
    """Where the labs keep private keys: ``.lab/keys`` (git-ignored), readable only by you."""
    d = paths.lab_dir() / "keys"
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    return d


def save_private_key(material: str, name: str) -> Path:
    """Write a key pair's private key to ``.lab/keys/<name>.pem`` with mode 0400 (owner read-only).

    The file is created with that mode from the start (never world-readable, not even for a
    moment). An older file of the same name, from an earlier run, is replaced.
    """
    path = key_dir() / f"{name}.pem"
    if path.exists():
        path.chmod(0o600)
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    with os.fdopen(fd, "w") as fh:
        fh.write(material if material.endswith("\n") else material + "\n")
    return path


def mode(path: Path | str) -> str:
    """A file's permission bits as ``0400``."""
    return f"{Path(path).stat().st_mode & 0o777:04o}"


def endpoint(instance: dict) -> tuple[str, int]:
    """(host, port) to reach an instance (a ``describe_instances`` item) over SSH.

    On AWS: its public DNS name (or public IP) and port 22. On localcloud the instance's
    SSH server listens on 127.0.0.1 at the port its ``localcloud:ssh-endpoint`` tag names.
    """
    for tag in instance.get("Tags") or []:
        if tag["Key"] == ENDPOINT_TAG:
            host, _, port = tag["Value"].rpartition(":")
            return host, int(port)
    host = instance.get("PublicDnsName") or instance.get("PublicIpAddress")
    if not host:
        state = (instance.get("State") or {}).get("Name", "unknown")
        raise ValueError(
            f"instance {instance.get('InstanceId')} has no public address (state {state}); "
            f"it must be running in a subnet that assigns public IPs"
        )
    return host, SSH_PORT


def openssh_command(
    key_path: Path | str, user: str, host: str, port: int = SSH_PORT, command: str | None = None
) -> str:
    """The ``ssh`` command line for a terminal opened in the project folder."""
    parts = ["ssh", "-i", paths.relative(key_path)]
    if port != SSH_PORT:
        parts += ["-p", str(port)]
    parts.append(f"{user}@{host}")
    if command:
        parts.append(command)
    return shlex.join(parts)


def explain(exc: BaseException) -> str:
    """One line saying what a failed paramiko connection means (used in 01's troubleshooting)."""
    import paramiko

    if isinstance(exc, paramiko.AuthenticationException):
        return (
            "authentication failed: the server answered but did not accept this user name "
            "with this key (wrong user for the AMI, or another key pair)"
        )
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError) or isinstance(exc, ConnectionRefusedError):
        return (
            "connection refused: the address answered but nothing listens for SSH there "
            "(instance stopped, or still booting)"
        )
    if isinstance(exc, (socket.timeout, TimeoutError)) or (
        isinstance(exc, paramiko.SSHException) and "banner" in str(exc)
    ):
        return "timed out: nothing answered (a security group or firewall drops the packets, or the address is wrong)"
    return f"{type(exc).__name__}: {exc}"
