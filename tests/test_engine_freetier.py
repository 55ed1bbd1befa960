"""localcloud's Free Tier API (engines/freetier) and the helpers that read the plan (issue 19)."""

import tomllib
import warnings
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from helpers import lab

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def local():
    lab._free_tier_plan.cache_clear()
    yield lab.start("01")
    lab._free_tier_plan.cache_clear()


def test_localcloud_answers_a_free_plan_in_the_api_shape(local):
    client = boto3.client("freetier", region_name="us-east-1")
    state = client.get_account_plan_state()
    state.pop("ResponseMetadata")
    facts = tomllib.loads((ROOT / "helpers" / "facts.toml").read_text())
    assert state == {
        "accountId": "123456789012",
        "accountPlanType": "FREE",
        "accountPlanStatus": "ACTIVE",
        "accountPlanRemainingCredits": {"amount": float(facts["freetier"]["credits_signup"]["value"]), "unit": "USD"},
    }


def test_other_free_tier_operations_are_refused_not_invented(local):
    client = boto3.client("freetier", region_name="us-east-1")
    with pytest.raises(ClientError) as exc:
        client.get_free_tier_usage()
    assert exc.value.response["Error"]["Code"] == "NotSupportedLocally"
    assert "GetFreeTierUsage" in exc.value.response["Error"]["Message"]


def test_the_helper_reads_the_plan_and_says_which_rules_apply(local):
    plan = lab.free_tier_plan()
    assert (plan.plan, plan.status, plan.credits_usd, plan.expires) == ("FREE", "ACTIVE", 100.0, None)
    assert plan.rules().startswith("Free plan (active, 100.00 USD of credits left): a credit-based plan")
    assert "ends after 6 months" in plan.rules()
    assert "t3.micro" in plan.allowed()["ec2_instance_type"] and "t2.micro" not in plan.allowed()["ec2_instance_type"]
    lab.check_free_tier(ec2_instance_type="t3.micro", rds_instance_class="db.t3.micro")  # silent
    with pytest.warns(UserWarning, match="not in the AWS Free Tier of your Free plan .*the Free plan refuses it"):
        lab.check_free_tier(ec2_instance_type="t2.micro")  # legacy-only: not eligible on the new plans


def test_an_unreadable_plan_falls_back_to_what_every_account_allows(local, monkeypatch):
    class Denied:
        def get_account_plan_state(self):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetAccountPlanState")

    monkeypatch.setattr(lab.boto3, "client", lambda *a, **k: Denied())
    plan = lab.free_tier_plan()
    assert (plan.plan, plan.reason) == ("UNKNOWN", "AccessDeniedException")
    assert plan.rules().startswith("Free Tier plan not read (AccessDeniedException). If the account was created")
    assert plan.allowed()["ec2_instance_type"] == ("t3.micro",)  # legacy and new plans both
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lab.check_free_tier(ec2_instance_type="t2.micro")
    assert "of every kind of account" in str(caught[0].message)
