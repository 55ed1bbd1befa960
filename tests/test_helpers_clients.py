"""helpers.clients (the helpers' reused boto3 clients) and find_all listing the kinds side by side."""

import threading

import boto3
import pytest

from helpers import clients, resources
from helpers.resources import Collector, Resource

pytestmark = pytest.mark.no_localcloud


@pytest.fixture
def offline(monkeypatch):
    """A default session with fake keys and no endpoint: clients are made, never called."""
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # the test's own session, dropped afterwards
    return monkeypatch


def test_a_client_is_reused_while_session_and_environment_stay(offline):
    s3 = clients.client("s3")
    assert clients.client("s3") is s3
    assert s3.meta.region_name == "eu-west-1"
    assert clients.client("s3", region_name="us-east-1") is not s3
    assert clients.region() == "eu-west-1"


def test_another_endpoint_or_key_gives_a_new_client(offline):
    s3 = clients.client("s3")
    offline.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    moved = clients.client("s3")
    assert moved is not s3 and moved.meta.endpoint_url == "http://127.0.0.1:9"
    offline.setenv("AWS_ACCESS_KEY_ID", "other")
    assert clients.client("s3") is not moved
    assert moved.meta.endpoint_url == "http://127.0.0.1:9"  # the old one is left as it was


def test_a_new_default_session_starts_with_new_clients(offline):
    s3 = clients.client("s3")
    boto3.setup_default_session(region_name="us-east-1")  # what lab.start() does
    fresh = clients.client("s3")
    assert fresh is not s3 and fresh.meta.region_name == "us-east-1"


def test_clients_made_from_many_threads_at_once_are_one(offline):
    made, go = [], threading.Barrier(8)

    def make():
        go.wait()
        made.append(clients.client("ec2"))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 8 and all(c is made[0] for c in made)


def test_find_all_lists_the_kinds_side_by_side_and_keeps_their_order(monkeypatch):
    second_started = threading.Event()

    def first():  # returns only once the second kind is being listed: proof they overlap
        assert second_started.wait(10), "the kinds were listed one after another"
        return [Resource("ec2 instance", "i-1", "01"), Resource("ec2 instance", "i-2", "02")]

    def second():
        second_started.set()
        return [Resource("s3 bucket", "b", "01")]

    def broken():
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListThings")

    monkeypatch.setattr(resources, "load_extensions", lambda: None)
    monkeypatch.setattr(
        resources,
        "COLLECTORS",
        [Collector("ec2 instance", 10, first), Collector("x", 50, broken), Collector("s3 bucket", 90, second)],
    )
    assert [(r.kind, r.id) for r in resources.find_all()] == [
        ("ec2 instance", "i-1"),
        ("ec2 instance", "i-2"),
        ("x", "?"),
        ("s3 bucket", "b"),
    ]
    assert [r.state for r in resources.find_all("01")] == ["", f"{resources.UNCHECKED}: AccessDenied", ""]
