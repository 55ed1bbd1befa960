"""helpers.lab: targets, bad input, tags, require, inventory and teardown (against the session's localcloud)."""

import os
import warnings

import boto3
import pytest
from botocore.exceptions import ClientError

from helpers import lab


@pytest.fixture
def local():
    return lab.start("01")


@pytest.fixture
def aws_env(monkeypatch):
    """An aws-target environment that cannot reach AWS: no credentials anywhere."""
    monkeypatch.setenv("LAB_TARGET", "aws")
    for var in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    yield monkeypatch
    monkeypatch.undo()
    lab.start("01")  # back to the local target for the other tests


def test_local_start_points_boto3_at_localcloud(local):
    assert local.name == "local" and local.region == "us-east-1"
    assert os.environ["AWS_ENDPOINT_URL"] == local.endpoint
    assert boto3.client("s3").meta.endpoint_url == local.endpoint
    assert boto3.client("sts").get_caller_identity()["Account"] == "123456789012"
    assert local.masked_account == "1234****9012"
    assert "target local" in repr(local) and "1234****9012" in repr(local)


def test_start_twice_is_harmless():
    a, b = lab.start("01"), lab.start("02")
    assert a.endpoint == b.endpoint and lab.current().lab == "02"


def test_unknown_target_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("LAB_TARGET", "azure")
    with pytest.raises(lab.LabError, match="only 'local'.*and 'aws'"):
        lab.start("01")


def test_aws_target_needs_explicit_opt_in(aws_env):
    with pytest.raises(lab.LabError, match="LAB_AWS_CONFIRM=yes"):
        lab.start("01")


def test_aws_target_without_credentials_says_what_to_do(aws_env):
    aws_env.setenv("LAB_AWS_CONFIRM", "yes")
    with pytest.raises(lab.LabError, match="aws configure"):
        lab.start("01")


def test_aws_target_refuses_a_localcloud_endpoint(aws_env):
    aws_env.setenv("LAB_AWS_CONFIRM", "yes")
    aws_env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4750")
    with pytest.raises(lab.LabError, match="AWS_ENDPOINT_URL"):
        lab.start("01")


def test_my_ip_is_the_documentation_address_locally(local):
    assert lab.my_ip() == "203.0.113.10"
    assert lab.my_cidr() == "203.0.113.10/32"


def test_tags_carry_project_and_lab(local):
    assert lab.tags() == [{"Key": "Project", "Value": "aws-de-labs"}, {"Key": "Lab", "Value": "01"}]
    assert lab.tag_dict(Name="x") == {"Project": "aws-de-labs", "Lab": "01", "Name": "x"}
    spec = lab.tag_spec("instance", Name="web")
    assert spec["ResourceType"] == "instance" and {"Key": "Name", "Value": "web"} in spec["Tags"]


def test_free_tier_check(local, monkeypatch):
    lab.check_free_tier(ec2_instance_type="t3.micro", rds_instance_class="db.t3.micro")  # silent
    with pytest.warns(UserWarning, match="not in the AWS Free Tier"):
        lab.check_free_tier(ec2_instance_type="m5.large")
    with pytest.raises(ValueError):
        lab.check_free_tier(gpu="p5")
    monkeypatch.setattr(lab, "_current", lab.Target("aws", "us-east-1", "111122223333"))
    with pytest.raises(lab.LabError, match="LAB_ALLOW_COST=yes"):
        lab.check_free_tier(rds_instance_class="db.r6g.large")
    monkeypatch.setenv("LAB_ALLOW_COST", "yes")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lab.check_free_tier(rds_instance_class="db.r6g.large")
    assert caught


def test_require_creates_once_then_reports_it_exists(local, capsys, monkeypatch):
    s3 = boto3.client("s3")

    def ensure_bucket():
        if any(b["Name"] == "req-test" for b in s3.list_buckets()["Buckets"]):
            return False
        s3.create_bucket(Bucket="req-test")
        return True

    monkeypatch.setitem(lab.REQUIREMENTS, "req-test", lab.Requirement("req-test", "04", "a test bucket", ensure_bucket))
    lab.require("req-test")
    lab.require("req-test")
    out = capsys.readouterr().out.splitlines()
    assert out == ["✓ a test bucket: created now (lab 04 shows how it is made)", "✓ a test bucket: already there"]
    s3.delete_bucket(Bucket="req-test")


def test_require_default_vpc_and_unknown_name(local, capsys):
    lab.require("default-vpc")
    assert "already there" in capsys.readouterr().out
    with pytest.raises(lab.LabError, match="unknown prerequisite"):
        lab.require("nope")


def _make_lab_resources(lab_id: str):
    ec2, s3 = boto3.client("ec2"), boto3.client("s3")
    lab.start(lab_id)
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.create_key_pair(KeyName=f"key-{lab_id}", TagSpecifications=[lab.tag_spec("key-pair")])
    sg = ec2.create_security_group(
        GroupName=f"sg-{lab_id}", Description="test", TagSpecifications=[lab.tag_spec("security-group")]
    )["GroupId"]
    ec2.run_instances(
        ImageId=ami,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        KeyName=f"key-{lab_id}",
        SecurityGroupIds=[sg],
        TagSpecifications=[lab.tag_spec("instance", Name=f"web-{lab_id}")],
    )
    bucket = f"bucket-lab-{lab_id}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": lab.tags()})
    for i in range(3):
        s3.put_object(Bucket=bucket, Key="data/x.json", Body=b"{}" * i)  # three versions


def test_inventory_and_teardown_remove_only_lab_resources(fresh_localcloud, capsys):
    s3 = boto3.client("s3")
    lab.start("98")
    s3.create_bucket(Bucket="not-a-lab-bucket")  # untagged: must survive
    _make_lab_resources("96")
    _make_lab_resources("97")
    inv = lab.inventory()
    assert set(inv["kind"]) == {"ec2 instance", "ec2 key pair", "ec2 security group", "s3 bucket"}
    assert sorted(inv["lab"].unique()) == ["96", "97"]

    removed = lab.teardown(lab="96")
    assert {r.lab for r in removed} == {"96"} and len(removed) == 4
    assert set(lab.inventory()["lab"]) == {"97"}

    assert len(lab.teardown()) == 4
    assert lab.inventory().empty
    capsys.readouterr()
    assert lab.teardown() == []  # idempotent
    assert "Nothing tagged" in capsys.readouterr().out
    assert "not-a-lab-bucket" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.delete_bucket(Bucket="not-a-lab-bucket")


def test_teardown_dry_run_deletes_nothing(fresh_localcloud, capsys):
    _make_lab_resources("95")
    planned = lab.teardown(dry_run=True)
    assert len(planned) == 4 and len(lab.inventory()) == 4
    assert "would delete ec2 instance" in capsys.readouterr().out
    lab.teardown()


def test_helpers_need_start_first(monkeypatch):
    monkeypatch.setattr(lab, "_current", None)
    with pytest.raises(lab.LabError, match="lab.start"):
        lab.tags()


def test_security_group_teardown_gives_up_on_a_real_dependency(local, monkeypatch):
    from helpers import resources

    calls = []

    def always_in_use():
        calls.append(1)
        raise ClientError({"Error": {"Code": "DependencyViolation", "Message": "in use"}}, "DeleteSecurityGroup")

    with pytest.raises(ClientError):
        resources._retry_dependency(always_in_use, attempts=3)
    assert len(calls) == 3


def test_a_kind_that_cannot_be_listed_does_not_hide_the_others(fresh_localcloud, local, monkeypatch, capsys):
    from helpers import resources

    def denied():
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListThings")

    monkeypatch.setattr(resources, "COLLECTORS", resources.COLLECTORS + [resources.Collector("thing", 99, denied)])
    monkeypatch.setattr(resources, "load_extensions", lambda: None)
    inv = lab.inventory()
    assert list(inv[inv["kind"] == "thing"]["state"]) == ["not checked: AccessDenied"]
    assert lab.teardown() == []
    assert "could not check things (not checked: AccessDenied)" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["4", 3, None, "004", "ab", "4 ", 4.0, "NN"])
def test_start_refuses_what_is_not_a_two_digit_lab_id(bad):
    with pytest.raises(lab.LabError, match=r'lab.start\("04"\)') as err:
        lab.start(bad)
    assert repr(bad) in str(err.value)


def test_start_refuses_a_lab_that_does_not_exist():
    with pytest.raises(lab.LabError, match="There is no lab 42"):
        lab.start("42")
    assert lab.check_lab_id("04") == "04" and lab.check_lab_id("99") == "99"
    assert lab.check_lab_id("85") == "85"  # free for experiments (and the tests)
