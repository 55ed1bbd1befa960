"""Only the learner's own programs may drive localcloud (issue 12 §1): each test performs the attack.

* a web page open in the learner's browser (an ``Origin`` header, a simple form POST, a CORS
  preflight), or one that re-points a DNS name at 127.0.0.1 (DNS rebinding: a foreign ``Host``);
* moto's own ``/moto-api/`` (state dump with secret values, reset) over HTTP;
* another local user or program without this install's key: a made-up key, the key every
  localcloud used to share (``testing``), the right key with a wrong secret, no signature at all,
  a tampered or expired presigned URL, a control call without the token.

Each is refused with AWS's own error for the service's protocol, and the legitimate path (boto3
with the install's key, presigned URLs both signature versions, a presigned POST form, the CLI's
control calls) keeps working.  The aws CLI is covered in test_localcloud_cli.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud import config

ENDPOINT = f"http://127.0.0.1:{os.environ['LOCALCLOUD_PORT']}"
NO_RETRY = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)


def creds() -> config.InstallCredentials:
    return config.install_credentials(create=False)  # the session's localcloud (LAB_DIR of conftest)


def client(service: str, key: str | None = None, secret: str | None = None, **cfg):
    c = creds()
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=key or c.access_key_id,
        aws_secret_access_key=secret or c.secret_access_key,
        config=NO_RETRY.merge(Config(**cfg)) if cfg else NO_RETRY,
    )


def raw(method: str, path: str, headers: dict | None = None, data: bytes | None = None):
    """(status, headers, body) of a hand-made HTTP request, the way a browser or curl sends it."""
    req = urllib.request.Request(ENDPOINT + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def queue_exists(name: str) -> bool:
    return any(u.endswith("/" + name) for u in client("sqs").list_queues().get("QueueUrls", []))


# ---- the install's key --------------------------------------------------------------------------


def test_install_key_is_random_aws_shaped_and_private():
    c = creds()
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", c.access_key_id)
    assert len(c.secret_access_key) == 40 and c.secret_access_key != "testing"
    path = config.state_dir() / config.CREDENTIALS_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert client("sts").get_caller_identity()["Account"] == config.ACCOUNT_ID


# ---- a web page ---------------------------------------------------------------------------------


def test_browser_form_post_is_refused_and_does_nothing():
    # What <form method=post action=http://127.0.0.1:4750/> submits: a "simple" request, no preflight.
    name = f"from-a-web-page-{uuid.uuid4().hex[:8]}"
    body = urllib.parse.urlencode({"Action": "CreateQueue", "QueueName": name, "Version": "2012-11-05"}).encode()
    status, headers, text = raw(
        "POST",
        "/",
        {"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
        body,
    )
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in text and b"Origin header" in text
    assert not any(k.lower().startswith("access-control-") for k in headers)
    assert not queue_exists(name)


def test_browser_request_with_valid_signature_is_still_refused():
    # Even a page that somehow had the key may not call: the Origin alone decides.
    sqs = client("sqs")
    sqs.meta.events.register("before-send", lambda request, **_: request.headers.__setitem__("Origin", "null"))
    with pytest.raises(ClientError) as exc:
        sqs.list_queues()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_cors_preflight_gets_no_cors_answer():
    status, headers, _ = raw(
        "OPTIONS",
        "/",
        {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST", "Sec-Fetch-Site": "cross-site"},
    )
    assert status == 403
    assert not any(k.lower().startswith("access-control-") for k in headers)


def test_cross_site_fetch_metadata_is_refused():
    status, _, text = raw("GET", "/", {"Sec-Fetch-Site": "cross-site"})
    assert status == 403 and b"Sec-Fetch-Site" in text


def test_dns_rebinding_host_is_refused():
    port = ENDPOINT.rsplit(":", 1)[1]
    for host in (f"attacker.example:{port}", f"127.0.0.1.nip.io:{port}", "127.0.0.1:80", "127.0.0.1"):
        status, _, text = raw("GET", "/", {"Host": host})
        assert status == 403, host
        assert b"addressed to 127.0.0.1:" in text, host


def test_no_cors_headers_on_ordinary_answers():
    resp = requests.get(client("s3").generate_presigned_url("list_buckets"), timeout=30)
    assert resp.status_code == 200
    assert not [k for k in resp.headers if k.lower().startswith("access-control-")]


# ---- moto's own API -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path", [("GET", "/moto-api/data.json"), ("POST", "/moto-api/reset"), ("GET", "/moto-api/")]
)
def test_moto_api_is_not_served(method, path):
    name = f"survives-moto-api-{uuid.uuid4().hex[:8]}"
    client("sqs").create_queue(QueueName=name)
    status, _, text = raw(method, path, data=b"" if method == "POST" else None)
    assert status == 404 and b"does not serve /moto-api/" in text
    assert queue_exists(name)  # nothing was reset
    client("sqs").delete_queue(QueueUrl=client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


# ---- other keys, no key, wrong secret ------------------------------------------------------------

CALLS = {  # service: (operation, kwargs, code for an unknown key, code for a wrong secret)
    "sts": ("get_caller_identity", {}, "InvalidClientTokenId", "SignatureDoesNotMatch"),
    "iam": ("list_roles", {}, "InvalidClientTokenId", "SignatureDoesNotMatch"),
    "rds": ("describe_db_instances", {}, "InvalidClientTokenId", "SignatureDoesNotMatch"),
    "sns": ("list_topics", {}, "InvalidClientTokenId", "SignatureDoesNotMatch"),
    "ec2": ("describe_vpcs", {}, "AuthFailure", "AuthFailure"),
    "athena": ("list_work_groups", {}, "UnrecognizedClientException", "InvalidSignatureException"),
    "glue": ("get_databases", {}, "UnrecognizedClientException", "InvalidSignatureException"),
    "logs": ("describe_log_groups", {}, "UnrecognizedClientException", "InvalidSignatureException"),
    "lambda": ("list_functions", {}, "UnrecognizedClientException", "InvalidSignatureException"),
    "secretsmanager": ("list_secrets", {}, "UnrecognizedClientException", "InvalidSignatureException"),
    "s3": ("list_buckets", {}, "InvalidAccessKeyId", "SignatureDoesNotMatch"),
    # engines that joined later go through the same gateway check
    "cloudformation": ("list_stacks", {}, "InvalidClientTokenId", "SignatureDoesNotMatch"),
    "redshift": ("describe_clusters", {}, "InvalidClientTokenId", "SignatureDoesNotMatch"),
    "redshift-data": ("list_statements", {}, "UnrecognizedClientException", "InvalidSignatureException"),
    "redshift-serverless": ("list_workgroups", {}, "UnrecognizedClientException", "InvalidSignatureException"),
    "freetier": ("get_account_plan_state", {}, "UnrecognizedClientException", "InvalidSignatureException"),
    "glue-jobs": ("get_jobs", {}, "UnrecognizedClientException", "InvalidSignatureException"),
}


def _code(fn, **kwargs) -> str:
    with pytest.raises(ClientError) as exc:
        fn(**kwargs)
    return exc.value.response["Error"]["Code"]


@pytest.mark.parametrize("service", sorted(CALLS))
def test_other_keys_are_refused_the_aws_way(service):
    op, kwargs, unknown, wrong_secret = CALLS[service]
    service = service.removesuffix("-jobs")  # glue-jobs: Glue's job API (the Spark/Python shell runtime)
    getattr(client(service), op)(**kwargs)  # the install's key works
    assert _code(getattr(client(service, key="AKIAIOSFODNN7EXAMPLE", secret="x"), op), **kwargs) == unknown
    assert _code(getattr(client(service, key="testing", secret="testing"), op), **kwargs) == unknown  # the old key
    assert _code(getattr(client(service, secret="not-the-secret"), op), **kwargs) == wrong_secret


def test_unknown_key_message_says_how_to_get_the_right_one():
    with pytest.raises(ClientError) as exc:
        client("sts", key="AKIAIOSFODNN7EXAMPLE", secret="x").get_caller_identity()
    assert "The security token included in the request is invalid." in str(exc.value)
    assert "python -m localcloud env" in str(exc.value)


def test_unsigned_requests_are_refused():
    assert _code(client("s3", signature_version=UNSIGNED).list_buckets) == "AccessDenied"
    assert _code(client("sqs", signature_version=UNSIGNED).list_queues) == "MissingAuthenticationTokenException"
    assert _code(client("sts", signature_version=UNSIGNED).get_caller_identity) == "MissingAuthenticationToken"


# ---- presigned URLs and forms -------------------------------------------------------------------


@pytest.fixture(scope="module")
def bucket():
    name = f"auth-{uuid.uuid4().hex[:10]}"
    s3 = client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="dir/ü é+&=.txt", Body=b"hello")
    yield name
    for obj in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=obj["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.mark.parametrize("version", ["s3", "s3v4"])  # boto3's default for us-east-1 is still SigV2 ("s3")
def test_presigned_urls_work_and_tampering_is_refused(bucket, version):
    s3 = client("s3", signature_version=version)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/ü é+&=.txt"}, ExpiresIn=300)
    assert requests.get(url, timeout=30).content == b"hello"
    put = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "by-url"}, ExpiresIn=300)
    assert requests.put(put, data=b"uploaded", timeout=30).status_code == 200
    assert client("s3").get_object(Bucket=bucket, Key="by-url")["Body"].read() == b"uploaded"

    tampered = url.replace("/dir/", "/DIR/")  # another object with the same signature
    resp = requests.get(tampered, timeout=30)
    assert resp.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in resp.text

    other_key = re.sub(r"(AWSAccessKeyId=|X-Amz-Credential=)AKIA[A-Z2-7]{16}", r"\1AKIAIOSFODNN7EXAMPLE", url)
    resp = requests.get(other_key, timeout=30)
    assert resp.status_code == 403 and "<Code>InvalidAccessKeyId</Code>" in resp.text


@pytest.mark.parametrize("version", ["s3", "s3v4"])
def test_expired_presigned_url_is_refused(bucket, version):
    url = client("s3", signature_version=version).generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "dir/ü é+&=.txt"}, ExpiresIn=-10
    )
    resp = requests.get(url, timeout=30)
    assert resp.status_code == 403 and "Request has expired" in resp.text


@pytest.mark.parametrize("version", ["s3", "s3v4"])
def test_presigned_post_form_works_and_a_changed_policy_does_not(bucket, version):
    post = client("s3", signature_version=version).generate_presigned_post(bucket, f"posted-{version}.txt")
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("x", b"posted")}, timeout=30)
    assert resp.status_code == 204, resp.text
    assert client("s3").get_object(Bucket=bucket, Key=f"posted-{version}.txt")["Body"].read() == b"posted"
    forged = dict(post["fields"], policy=post["fields"]["policy"][:-4] + "AAA=")
    resp = requests.post(post["url"], data=forged, files={"file": ("x", b"forged")}, timeout=30)
    assert resp.status_code == 403 and "SignatureDoesNotMatch" in resp.text


# ---- the control API ------------------------------------------------------------------------------


def test_control_calls_need_the_install_token():
    name = f"survives-reset-{uuid.uuid4().hex[:8]}"
    client("sqs").create_queue(QueueName=name)
    for headers in ({}, {config.TOKEN_HEADER: "guessed"}):
        status, _, text = raw("POST", "/_localcloud/reset", headers, b"")
        assert status == 403 and json.loads(text)["localcloud"] is True
        status, _, text = raw("GET", "/_localcloud/status", headers)
        assert status == 403 and b"AWS_SECRET_ACCESS_KEY" not in text
    assert queue_exists(name)
    # the CLI has the token: status works (and shows the client environment, key included)
    done = subprocess.run(
        [sys.executable, "-m", "localcloud", "status", "--json"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["client_env"]["AWS_ACCESS_KEY_ID"] == creds().access_key_id
    client("sqs").delete_queue(QueueUrl=client("sqs").get_queue_url(QueueName=name)["QueueUrl"])
