"""IAM: AWS managed policies exist, as on AWS (localcloud/engines/iam, seam/iam_policies.py).

Against the session's localcloud with boto3, as the awsdocs examples and lab 07 call it.
"""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from helpers import lab

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}],
}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
GLUE = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


@pytest.fixture(scope="module")
def iam():
    lab.start("07")
    return boto3.client("iam")


@pytest.fixture
def role(iam):
    name = f"iam-test-{uuid.uuid4().hex[:8]}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    yield name
    for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=p["PolicyArn"])
    iam.delete_role(RoleName=name)


def test_aws_managed_policies_attach_by_their_arn(iam, role):
    for arn in (BASIC, GLUE, S3_READ):
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in attached) == sorted([BASIC, GLUE, S3_READ])
    names = {p["PolicyName"] for p in attached}
    assert names == {"AWSLambdaBasicExecutionRole", "AWSGlueServiceRole", "AmazonS3ReadOnlyAccess"}
    policy = iam.get_policy(PolicyArn=BASIC)["Policy"]
    assert (policy["Path"], policy["AttachmentCount"], policy["IsAttachable"]) == ("/service-role/", 1, True)
    doc = iam.get_policy_version(PolicyArn=BASIC, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    actions = {a for s in doc["Statement"] for a in s["Action"]}
    assert {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"} <= actions


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole",  # lives under service-role/
        "arn:aws:iam::aws:policy/NoSuchManagedPolicyForSure",
    ],
)
def test_a_wrong_path_or_unknown_name_is_no_such_entity(iam, role, arn):
    with pytest.raises(ClientError) as err:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert err.value.response["Error"]["Code"] == "NoSuchEntity"
    assert err.value.response["Error"]["Message"] == f"Policy {arn} does not exist or is not attachable."


def test_listing_scopes(iam, role):
    iam.attach_role_policy(RoleName=role, PolicyArn=S3_READ)
    local = [p["Arn"] for page in iam.get_paginator("list_policies").paginate(Scope="Local") for p in page["Policies"]]
    assert not [a for a in local if a.startswith("arn:aws:iam::aws:")]
    attached = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert S3_READ in {p["Arn"] for p in attached}
    service_roles = iam.list_policies(Scope="AWS", PathPrefix="/service-role/", MaxItems=1000)["Policies"]
    names = {p["PolicyName"] for p in service_roles}
    assert {"AWSLambdaBasicExecutionRole", "AWSGlueServiceRole", "AWSLambdaSQSQueueExecutionRole"} <= names
