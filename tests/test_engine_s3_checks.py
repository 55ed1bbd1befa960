"""S3 checks AWS makes and moto does not: object keys are at most 1,024 bytes (UTF-8)."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud import config


@pytest.fixture(scope="module")
def s3():
    client = boto3.session.Session(
        aws_access_key_id=config.FAKE_ACCESS_KEY,
        aws_secret_access_key=config.FAKE_SECRET_KEY,
        region_name=config.REGION,
    ).client("s3", endpoint_url=config.endpoint())
    bucket = f"keys-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    return client, bucket


def _code(call, **kw) -> str:
    with pytest.raises(ClientError) as err:
        call(**kw)
    return err.value.response["Error"]["Code"]


def test_a_key_of_1024_bytes_is_stored_and_1025_refused(s3):
    client, bucket = s3
    longest = "k/" + "x" * 1022
    client.put_object(Bucket=bucket, Key=longest, Body=b"ok")
    assert client.get_object(Bucket=bucket, Key=longest)["Body"].read() == b"ok"
    assert _code(client.put_object, Bucket=bucket, Key=longest + "x", Body=b"no") == "KeyTooLongError"
    assert _code(client.copy_object, Bucket=bucket, Key=longest + "y", CopySource=f"{bucket}/{longest}") == (
        "KeyTooLongError"
    )
    assert _code(client.create_multipart_upload, Bucket=bucket, Key=longest + "z") == "KeyTooLongError"
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [longest]


def test_the_limit_counts_utf8_bytes_not_characters(s3):
    client, bucket = s3
    client.put_object(Bucket=bucket, Key="é" * 512, Body=b"1024 bytes")  # 2 bytes each
    with pytest.raises(ClientError) as err:
        client.put_object(Bucket=bucket, Key="é" * 513, Body=b"1026 bytes")
    assert (
        err.value.response["Error"]
        == {
            "Code": "KeyTooLongError",
            "Message": "Your key is too long.",
            "RequestId": err.value.response["Error"].get("RequestId"),
        }
        or err.value.response["Error"]["Message"] == "Your key is too long."
    )
