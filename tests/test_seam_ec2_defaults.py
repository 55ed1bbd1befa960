"""The VPC default security group's inbound rule (localcloud/seam/ec2_defaults.py), in-process moto.

Notebook outputs compare seeded resource ids: the rule moto leaves out, added by the adapter, must
not move any id drawn after it.  And the policy the gates use must not let an address in by it.
"""

from __future__ import annotations

import pytest
from moto.ec2.models.security_groups import SecurityGroupBackend

from localcloud import seam, security_groups
from localcloud.seam import ec2_defaults, server


@pytest.fixture
def aws(moto_in_process):
    return moto_in_process.client


def _first_ids(client) -> list[str]:
    server.reset()
    server.seed(7)
    ec2 = client("ec2")
    default = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    mine = ec2.create_security_group(GroupName="g", Description="d")["GroupId"]
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    return [default, mine, vpc]


def test_the_added_rule_moves_no_seeded_id(aws, monkeypatch):
    with_rule = _first_ids(aws)
    assert seam.ec2_ingress_group_refs([with_rule[0]]) != []  # the rule is there
    monkeypatch.setattr(SecurityGroupBackend, "create_security_group", ec2_defaults._ORIGINAL)
    without = _first_ids(aws)
    assert seam.ec2_ingress_group_refs([without[0]]) == []  # moto alone leaves it out
    assert with_rule == without


def test_the_rule_admits_members_not_addresses(aws):
    gid = _first_ids(aws)[0]
    rules = seam.ec2_ingress_rules([gid])
    assert rules == [security_groups.Rule("-1", None, None, None)]
    for port in (22, 3306):  # the learner's laptop is never a member of a VPC's group
        assert not security_groups.allows(rules, "203.0.113.10", "tcp", port)
    assert seam.ec2_ingress_group_refs([gid]) == [(security_groups.Rule("-1", None, None, None), gid)]


def test_a_state_saved_without_the_rule_gets_it_back(aws):
    gid = _first_ids(aws)[0]
    group = seam.backend("ec2").get_security_group_from_id(gid)
    group.ingress_rules.clear()  # as a snapshot made before this adapter change holds it
    ec2_defaults.ensure_default_groups(seam.backend("ec2"))
    ec2_defaults.ensure_default_groups(seam.backend("ec2"))  # once only
    assert [r.id for r in group.ingress_rules] == [ec2_defaults.self_reference_rule_id(gid)]
