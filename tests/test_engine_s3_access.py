"""S3 access settings as AWS gives every new bucket: Object Ownership ``BucketOwnerEnforced`` (ACLs
disabled) and Block Public Access on (localcloud/engines/s3/), against the session's localcloud."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from helpers import lab
from localcloud.engines.s3.publicaccess import policy_is_public

ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


@pytest.fixture(scope="module")
def s3():
    lab.start("04")
    return boto3.client("s3")


@pytest.fixture
def bucket(s3):
    name = f"access-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=obj["Key"])
    s3.delete_bucket(Bucket=name)


def _code(err: pytest.ExceptionInfo) -> tuple[str, int, str]:
    r = err.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def _ownership(s3, name: str) -> str:
    return s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]


def test_a_new_bucket_has_acls_disabled_and_public_access_blocked(s3, bucket):
    assert _ownership(s3, bucket) == "BucketOwnerEnforced"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == ALL_ON
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"] and grants[0]["Grantee"]["Type"] == "CanonicalUser"


@pytest.mark.parametrize(
    "call",
    [
        lambda s3, b: s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="public-read"),
        lambda s3, b: s3.put_object(
            Bucket=b, Key="k", Body=b"x", GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"'
        ),
        lambda s3, b: s3.copy_object(Bucket=b, Key="k2", CopySource={"Bucket": b, "Key": "plain"}, ACL="public-read"),
        lambda s3, b: s3.create_multipart_upload(Bucket=b, Key="k3", ACL="authenticated-read"),
        lambda s3, b: s3.put_object_acl(Bucket=b, Key="plain", ACL="public-read"),
        lambda s3, b: s3.put_bucket_acl(Bucket=b, ACL="private"),
    ],
    ids=["put-object", "put-object-grant", "copy-object", "multipart", "put-object-acl", "put-bucket-acl"],
)
def test_acl_writes_are_refused(s3, bucket, call):
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    with pytest.raises(ClientError) as err:
        call(s3, bucket)
    assert _code(err) == ("AccessControlListNotSupported", 400, "The bucket does not allow ACLs")


def test_no_acl_or_the_owners_full_control_is_accepted(s3, bucket):
    s3.put_object(Bucket=bucket, Key="none", Body=b"x")
    s3.put_object(Bucket=bucket, Key="bofc", Body=b"x", ACL="bucket-owner-full-control")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(keys) == ["bofc", "none"]


def test_create_bucket_with_a_public_acl_is_refused_unless_acls_are_enabled(s3):
    name = f"access-{uuid.uuid4().hex[:12]}"
    with pytest.raises(ClientError) as err:
        s3.create_bucket(Bucket=name, ACL="public-read")
    assert _code(err)[:2] == ("InvalidBucketAclWithObjectOwnership", 400)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    try:
        assert _ownership(s3, name) == "ObjectWriter"
        assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == ALL_ON
    finally:
        s3.delete_bucket(Bucket=name)


def test_object_writer_re_enables_acls_within_block_public_access(s3, bucket):
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_object(Bucket=bucket, Key="private", Body=b"x", ACL="private")
    with pytest.raises(ClientError) as err:  # ACLs work again, but a public one is blocked
        s3.put_object(Bucket=bucket, Key="public", Body=b"x", ACL="public-read")
    assert _code(err)[:2] == ("AccessDenied", 403)
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="public", Body=b"x", ACL="public-read")
    public = s3.get_object_acl(Bucket=bucket, Key="public")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/AllUsers") for g in public)

    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    with pytest.raises(ClientError) as err:  # the bucket ACL grants others: cannot disable ACLs
        s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
    assert _code(err)[:2] == ("InvalidBucketAclWithObjectOwnership", 400)
    assert _ownership(s3, bucket) == "ObjectWriter"

    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    grants = s3.get_object_acl(Bucket=bucket, Key="public")["Grants"]  # reads show the owner's control only
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]


def test_a_public_bucket_policy_is_blocked_a_pinned_one_is_not(s3, bucket):
    public = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    with pytest.raises(ClientError) as err:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [public]}))
    code, status, message = _code(err)
    assert (code, status) == ("AccessDenied", 403) and "BlockPublicPolicy" in message
    with pytest.raises(ClientError) as err:
        s3.get_bucket_policy(Bucket=bucket)
    assert _code(err)[0] == "NoSuchBucketPolicy"  # nothing was stored
    pinned = dict(public, Condition={"IpAddress": {"aws:SourceIp": "203.0.113.10/32"}})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [pinned]}))
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Condition"]


@pytest.mark.parametrize(
    "statement, public",
    [
        ({"Effect": "Allow", "Principal": "*", "Action": "s3:*"}, True),
        ({"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:GetObject"}, True),
        ({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*"}, True),
        ({"Effect": "Deny", "Principal": "*", "Action": "s3:*"}, False),
        ({"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"}, False),
        ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*"}, False),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:*",
                "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b"}},
            },
            False,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:*",
                "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
            },
            True,
        ),
    ],
)
def test_what_counts_as_a_public_policy(statement, public):
    assert policy_is_public(json.dumps({"Version": "2012-10-17", "Statement": [statement]})) is public
