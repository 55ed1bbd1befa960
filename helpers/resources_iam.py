"""IAM roles and customer-managed policies the labs create (lab 05's crawler role, lab 07's
Lambda execution role), for ``lab.inventory()`` / ``lab.teardown()``.

They go after what runs as them (functions, crawlers: lower orders) and before S3 buckets.
Only resources tagged ``Project=aws-de-labs`` are touched; AWS's service-linked roles never.
"""

from __future__ import annotations

from . import clients
from .resources import Resource, _is_lab, collector, quietly, read_tags


@collector("iam role", order=57)
def _roles() -> list[Resource]:
    iam = clients.client("iam")
    found = []
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            name = role["RoleName"]
            if role.get("Path", "/").startswith("/aws-service-role/"):
                continue  # AWS's own service-linked roles
            tags = read_tags(lambda name=name: iam.list_role_tags(RoleName=name)["Tags"])
            if tags is None:  # deleted while we listed
                continue
            if not _is_lab(tags):
                continue

            def delete(name: str = name) -> None:
                # IAM refuses to delete a role that still has policies or instance profiles.
                for p in iam.get_paginator("list_role_policies").paginate(RoleName=name):
                    for pol in p["PolicyNames"]:
                        quietly(iam.delete_role_policy, RoleName=name, PolicyName=pol)
                for p in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
                    for pol in p["AttachedPolicies"]:
                        quietly(iam.detach_role_policy, RoleName=name, PolicyArn=pol["PolicyArn"])
                for p in iam.get_paginator("list_instance_profiles_for_role").paginate(RoleName=name):
                    for prof in p["InstanceProfiles"]:
                        quietly(
                            iam.remove_role_from_instance_profile,
                            RoleName=name,
                            InstanceProfileName=prof["InstanceProfileName"],
                        )
                quietly(iam.delete_role, RoleName=name)

            found.append(Resource("iam role", name, tags.get("Lab", ""), "", name, delete))
    return found


@collector("iam policy", order=58)
def _policies() -> list[Resource]:
    iam = clients.client("iam")
    found = []
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):  # customer managed only
        for pol in page["Policies"]:
            arn = pol["Arn"]
            tags = read_tags(lambda arn=arn: iam.list_policy_tags(PolicyArn=arn)["Tags"])
            if tags is None:  # deleted while we listed
                continue
            if not _is_lab(tags):
                continue

            def delete(arn: str = arn) -> None:
                for p in iam.get_paginator("list_entities_for_policy").paginate(PolicyArn=arn):
                    for r in p["PolicyRoles"]:
                        quietly(iam.detach_role_policy, RoleName=r["RoleName"], PolicyArn=arn)
                    for u in p["PolicyUsers"]:
                        quietly(iam.detach_user_policy, UserName=u["UserName"], PolicyArn=arn)
                    for g in p["PolicyGroups"]:
                        quietly(iam.detach_group_policy, GroupName=g["GroupName"], PolicyArn=arn)
                for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
                    if not v["IsDefaultVersion"]:
                        quietly(iam.delete_policy_version, PolicyArn=arn, VersionId=v["VersionId"])
                quietly(iam.delete_policy, PolicyArn=arn)

            found.append(Resource("iam policy", pol["PolicyName"], tags.get("Lab", ""), "", pol["PolicyName"], delete))
    return found
