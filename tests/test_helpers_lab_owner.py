"""A class sharing one AWS account (issue 12): ``LAB_OWNER`` keeps each learner's resources apart.

With ``LAB_OWNER=<name>`` every lab resource is tagged ``Owner=<name>``, named ``<name>-...`` on
the aws target (:func:`helpers.lab.name`), and ``lab.inventory()``/``lab.teardown()`` (99_cleanup)
see and delete only that learner's.  The misuse performed: two learners' resources side by side
in one account, one learner's clean-up run — the other's survive.
"""

from __future__ import annotations

import boto3
import pytest

from helpers import lab


def test_owner_is_optional_and_checked(monkeypatch):
    monkeypatch.delenv("LAB_OWNER", raising=False)
    assert lab.owner() is None
    monkeypatch.setenv("LAB_OWNER", "ana-lima")
    assert lab.owner() == "ana-lima"
    for bad in ("Ana", "ana lima", "-ana", "a" * 21, "ana_lima"):
        monkeypatch.setenv("LAB_OWNER", bad)
        with pytest.raises(lab.LabError, match="LAB_OWNER"):
            lab.owner()


def test_tags_carry_the_owner(monkeypatch):
    lab.start("02")
    monkeypatch.delenv("LAB_OWNER", raising=False)
    assert "Owner" not in lab.tag_dict()
    monkeypatch.setenv("LAB_OWNER", "ana")
    assert lab.tag_dict()["Owner"] == "ana"
    assert {"Key": "Owner", "Value": "ana"} in lab.tags()
    assert {"Key": "Owner", "Value": "ana"} in lab.tag_spec("instance")["Tags"]


def test_names_are_prefixed_on_aws_only(monkeypatch):
    lab.start("02")
    monkeypatch.setenv("LAB_OWNER", "ana")
    assert lab.name("mydatabase") == "mydatabase"  # locally the account is the learner's alone
    monkeypatch.setattr(lab, "_current", lab.Target("aws", "us-east-1", "111122223333", lab="02"))
    assert lab.name("mydatabase") == "ana-mydatabase"
    monkeypatch.delenv("LAB_OWNER")
    assert lab.name("mydatabase") == "mydatabase"


def _learners_resources(owner: str) -> None:
    """What one learner's labs leave: a key pair, a security group (EC2 filters), a bucket (tags read back)."""
    ec2, s3 = boto3.client("ec2"), boto3.client("s3")
    ec2.create_key_pair(KeyName=f"{owner}-key", TagSpecifications=[lab.tag_spec("key-pair")])
    ec2.create_security_group(
        GroupName=f"{owner}-sg", Description="x", TagSpecifications=[lab.tag_spec("security-group")]
    )
    s3.create_bucket(Bucket=f"{owner}-lab-bucket")
    s3.put_bucket_tagging(Bucket=f"{owner}-lab-bucket", Tagging={"TagSet": lab.tags()})


def test_clean_up_deletes_only_the_learners_own(fresh_localcloud, monkeypatch, capsys):
    lab.start("01")
    monkeypatch.setenv("LAB_OWNER", "bob")
    _learners_resources("bob")
    monkeypatch.setenv("LAB_OWNER", "ana")
    _learners_resources("ana")

    inv = lab.inventory()
    assert sorted(inv["name"]) == ["ana-key", "ana-lab-bucket", "ana-sg"]
    removed = lab.teardown()  # 99_cleanup, run by ana
    assert sorted(r.name for r in removed) == ["ana-key", "ana-lab-bucket", "ana-sg"]

    monkeypatch.setenv("LAB_OWNER", "bob")  # bob's are all still there
    assert sorted(lab.inventory()["name"]) == ["bob-key", "bob-lab-bucket", "bob-sg"]
    monkeypatch.delenv("LAB_OWNER")  # without an owner (a learner's own account): every lab resource
    assert len(lab.inventory()) == 3
    lab.teardown()
    capsys.readouterr()
