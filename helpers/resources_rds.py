"""RDS and Secrets Manager resources for ``lab.inventory()`` / ``lab.teardown()`` (lab 02 on).

DB instances go first (read replicas before their source; deleted without a final snapshot,
waited for until gone, so the security group they use is free when the EC2 collector at order
30 deletes it), then the snapshots and parameter groups the labs made, then secrets the labs
stored themselves.
Secrets that RDS manages (``ManageMasterUserPassword``) are not listed: RDS deletes them
with their instance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import clients, lab
from .resources import Resource, _is_lab, _tags, collector, quietly

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.type_defs import FilterTypeDef

# An instance already being deleted (by a cell, or with its source) is as good as gone.
_DELETING = ("InvalidDBInstanceState",)


@collector("rds db instance", order=24)
def _db_instances() -> list[Resource]:
    rds = clients.client("rds")
    found, replicas = [], set()
    for page in rds.get_paginator("describe_db_instances").paginate():
        for db in page["DBInstances"]:
            tags = _tags(db.get("TagList"))
            if not _is_lab(tags) or db["DBInstanceStatus"] == "deleting":
                continue
            ident = db["DBInstanceIdentifier"]

            def delete(ident: str = ident) -> None:
                quietly(
                    rds.delete_db_instance,
                    DBInstanceIdentifier=ident,
                    SkipFinalSnapshot=True,
                    DeleteAutomatedBackups=True,
                    gone_codes=_DELETING,
                )
                delay, attempts = lab.poll_policy(30, 60)  # RDS takes minutes to delete on AWS
                rds.get_waiter("db_instance_deleted").wait(
                    DBInstanceIdentifier=ident,
                    WaiterConfig={"Delay": delay, "MaxAttempts": attempts},  # type: ignore[typeddict-item]  # float Delay: lab.poll_policy
                )

            found.append(Resource("rds db instance", ident, tags.get("Lab", ""), db["DBInstanceStatus"], ident, delete))
            if db.get("ReadReplicaSourceDBInstanceIdentifier"):
                replicas.add(ident)
    # Read replicas first (lab 09): deleting a source first would make RDS promote its replicas,
    # which then cannot be deleted until that promotion is over.
    found.sort(key=lambda r: r.id not in replicas)
    return found


@collector("rds db snapshot", order=25)
def _db_snapshots() -> list[Resource]:
    rds = clients.client("rds")
    found = []
    for page in rds.get_paginator("describe_db_snapshots").paginate(SnapshotType="manual"):
        for snap in page["DBSnapshots"]:
            tags = _tags(snap.get("TagList"))
            if not _is_lab(tags):
                continue
            sid = snap["DBSnapshotIdentifier"]

            def delete(sid: str = sid) -> None:
                quietly(rds.delete_db_snapshot, DBSnapshotIdentifier=sid)

            found.append(Resource("rds db snapshot", sid, tags.get("Lab", ""), snap.get("Status", ""), sid, delete))
    return found


@collector("rds db parameter group", order=26)
def _parameter_groups() -> list[Resource]:
    rds = clients.client("rds")
    found = []
    for page in rds.get_paginator("describe_db_parameter_groups").paginate():
        for group in page["DBParameterGroups"]:
            name = group["DBParameterGroupName"]
            if name.startswith("default."):
                continue
            tags = _tags(rds.list_tags_for_resource(ResourceName=group["DBParameterGroupArn"])["TagList"])
            if _is_lab(tags):
                found.append(
                    Resource(
                        "rds db parameter group",
                        name,
                        tags.get("Lab", ""),
                        "",
                        name,
                        lambda name=name: rds.delete_db_parameter_group(DBParameterGroupName=name),
                    )
                )
    return found


@collector("secretsmanager secret", order=27)
def _secrets() -> list[Resource]:
    sm = clients.client("secretsmanager")
    found = []
    flt: list[FilterTypeDef] = [{"Key": "tag-key", "Values": [lab.PROJECT_TAG[0]]}]
    for page in sm.get_paginator("list_secrets").paginate(Filters=flt):
        for sec in page["SecretList"]:
            tags = _tags(sec.get("Tags"))
            if not _is_lab(tags) or sec.get("OwningService"):
                continue  # a service-managed secret goes with its owner (e.g. the DB instance)
            arn = sec["ARN"]
            found.append(
                Resource(
                    "secretsmanager secret",
                    sec["Name"],
                    tags.get("Lab", ""),
                    "",
                    sec["Name"],
                    lambda arn=arn: sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True),
                )
            )
    return found
