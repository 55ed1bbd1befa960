"""A VPC's default security group as AWS makes it: moto 5.2.5 leaves out its inbound rule.

AWS ("Default security groups for your VPCs", VPC User Guide): the default group of every VPC has
an inbound rule allowing all traffic from network interfaces assigned to the same group (a rule
whose source is the group itself) and an outbound rule allowing all traffic to 0.0.0.0/0.  moto
makes the outbound rule only; :func:`install` wraps moto's ``create_security_group`` so that every
default group it makes (the default VPC's at start, any new VPC's) gets the inbound one too.

Resource ids are seeded (notebook outputs compare them): the rule's id is derived from its
group's id, and moto's id generator is left where it was, so every later id stays the same.
"""

from __future__ import annotations

import hashlib

from moto.ec2.models import EC2Backend
from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupBackend, SecurityGroupRule
from moto.moto_api._internal import mock_random

_ORIGINAL = SecurityGroupBackend.create_security_group


def self_reference_rule_id(group_id: str) -> str:
    """The self-referencing rule's id: ``sgr-`` and 17 hex digits, as EC2's, fixed by the group."""
    return "sgr-" + hashlib.sha256(group_id.encode()).hexdigest()[:17]


def add_self_reference(group: SecurityGroup) -> None:
    """Give ``group`` AWS's inbound rule "all traffic from members of this group" (once)."""
    if any((r.source_group or {}).get("GroupId") == group.id for r in group.ingress_rules):
        return
    account = group.owner_id
    state = mock_random.getstate()  # the rule's constructor draws an id: keep the seeded sequence
    try:
        rule = SecurityGroupRule(
            group.ec2_backend,
            "-1",
            group.id,
            None,
            None,
            None,
            source_group={"GroupId": group.id, "UserId": account, "OwnerId": account},
            is_egress=False,
        )
    finally:
        mock_random.setstate(state)
    rule.id = self_reference_rule_id(group.id)
    group.ingress_rules.append(rule)


def _create_security_group(  # moto's signature (contract: exact)
    self: SecurityGroupBackend,
    name: str,
    description: str,
    vpc_id: str | None = None,
    tags: dict[str, str] | None = None,
    force: bool = False,
    is_default: bool | None = None,
) -> SecurityGroup:
    group = _ORIGINAL(self, name, description, vpc_id=vpc_id, tags=tags, force=force, is_default=is_default)
    if is_default:
        add_self_reference(group)
    return group


def install() -> None:
    """Make moto's default security groups as AWS's (idempotent; for the whole process)."""
    # deliberate monkeypatch of moto's method (the wrapper calls the original)
    SecurityGroupBackend.create_security_group = _create_security_group  # type: ignore[method-assign]


def ensure_default_groups(ec2_backend: EC2Backend) -> None:
    """Give the default groups of a backend made before :func:`install` (a saved state) their rule."""
    for groups in list(ec2_backend.groups.values()):
        for group in list(groups.values()):
            if group.is_default:
                add_self_reference(group)
