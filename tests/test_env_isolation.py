"""With LAB_TARGET=local no request can leave the machine: every client talks to loopback."""

import socket

import boto3
import pytest

from helpers import lab
from localcloud import config

SERVICES = {  # a harmless read call per service the labs use
    "sts": ("get_caller_identity", {}),
    "ec2": ("describe_vpcs", {}),
    "s3": ("list_buckets", {}),
    "rds": ("describe_db_instances", {}),
    "athena": ("list_work_groups", {}),
    "glue": ("get_databases", {}),
    "lambda": ("list_functions", {}),
    "sns": ("list_topics", {}),
    "sqs": ("list_queues", {}),
    "logs": ("describe_log_groups", {}),
    "iam": ("list_roles", {}),
    "secretsmanager": ("list_secrets", {}),
    "budgets": ("describe_budgets", {"AccountId": "123456789012"}),
}


@pytest.fixture
def loopback_only(monkeypatch):
    """Make any connection to a non-loopback address fail loudly."""
    real_connect = socket.socket.connect
    attempts = []

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")):
            attempts.append(address)
            raise OSError(f"test guard: connection to {address} would leave the machine")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield attempts
    assert not attempts, f"requests tried to leave the machine: {attempts}"


def test_every_lab_service_answers_from_loopback(loopback_only, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "someone-elses-real-profile")  # must be ignored
    target = lab.start("00")
    for service, (op, kwargs) in SERVICES.items():
        client = boto3.client(service)
        assert client.meta.endpoint_url == target.endpoint, service
        getattr(client, op)(**kwargs)


def test_credentials_are_the_install_ones(monkeypatch):
    monkeypatch.setenv("AWS_SESSION_TOKEN", "a-real-session-token")  # must be dropped
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.amazonaws.com")  # must be dropped
    lab.start("00")
    creds = boto3.session.Session().get_credentials()
    assert creds.access_key == config.install_credentials(create=False).access_key_id and creds.token is None
    assert boto3.client("s3").meta.endpoint_url == lab.current().endpoint
