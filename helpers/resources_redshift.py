"""Redshift resources for ``lab.inventory()`` / ``lab.teardown()`` (the Redshift lab on).

Provisioned clusters and Redshift Serverless workgroups go first (each waited for until gone), then
Serverless namespaces: AWS refuses to delete a namespace while its workgroup exists, and all of them
before the security groups (order 30) they use.  Clusters are deleted without a final snapshot.
The admin-password secrets Redshift manages (``ManageMasterPassword``/``manageAdminPassword``) are
not listed: Redshift deletes them with their cluster or namespace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from . import clients, lab
from .resources import Resource, _is_lab, _tags, collector, gone, quietly, read_tags

if TYPE_CHECKING:
    from mypy_boto3_redshift_serverless import RedshiftServerlessClient

# A cluster or namespace already being deleted is as good as gone.
_CLUSTER_GONE = ("ClusterNotFound", "InvalidClusterState")


def _serverless_tags(rs: RedshiftServerlessClient, arn: str) -> dict[str, str] | None:
    """A Serverless resource's tags (``[{"key", "value"}]`` there) as a dict; None when it vanished."""
    return read_tags(lambda: {t["key"]: t["value"] for t in rs.list_tags_for_resource(resourceArn=arn)["tags"]})


def _until_gone(check: Callable[[], object], what: str) -> None:
    """Poll ``check`` (a get call) until AWS says the resource is gone; bounded (lab.poll_policy)."""
    delay, attempts = lab.poll_policy(10, 90)  # Serverless deletions take a few minutes on AWS
    for _ in range(attempts):
        try:
            check()
        except ClientError as exc:
            if gone(exc):
                return
            raise
        time.sleep(delay)
    raise TimeoutError(f"{what} was still there after {delay * attempts:.0f} s; check the console")


@collector("redshift cluster", order=22)
def _clusters() -> list[Resource]:
    redshift = clients.client("redshift")
    found = []
    for page in redshift.get_paginator("describe_clusters").paginate():
        for cluster in page["Clusters"]:
            tags = _tags(cluster.get("Tags"))
            if not _is_lab(tags) or cluster["ClusterStatus"] == "deleting":
                continue
            ident = cluster["ClusterIdentifier"]

            def delete(ident: str = ident) -> None:
                quietly(
                    redshift.delete_cluster,
                    ClusterIdentifier=ident,
                    SkipFinalClusterSnapshot=True,
                    gone_codes=_CLUSTER_GONE,
                )
                delay, attempts = lab.poll_policy(30, 60)
                redshift.get_waiter("cluster_deleted").wait(
                    ClusterIdentifier=ident,
                    WaiterConfig={"Delay": delay, "MaxAttempts": attempts},  # type: ignore[typeddict-item]  # float Delay: lab.poll_policy
                )

            found.append(
                Resource("redshift cluster", ident, tags.get("Lab", ""), cluster["ClusterStatus"], ident, delete)
            )
    return found


@collector("redshift-serverless workgroup", order=23)
def _workgroups() -> list[Resource]:
    rs = clients.client("redshift-serverless")
    found = []
    for page in rs.get_paginator("list_workgroups").paginate():
        for wg in page["workgroups"]:
            tags = _serverless_tags(rs, wg["workgroupArn"])
            if tags is None or not _is_lab(tags) or wg.get("status") == "DELETING":
                continue
            name = wg["workgroupName"]

            def delete(name: str = name) -> None:
                quietly(rs.delete_workgroup, workgroupName=name)
                _until_gone(lambda: rs.get_workgroup(workgroupName=name), f"workgroup {name}")

            found.append(
                Resource("redshift-serverless workgroup", name, tags.get("Lab", ""), wg.get("status", ""), name, delete)
            )
    return found


@collector("redshift-serverless namespace", order=28)
def _namespaces() -> list[Resource]:
    rs = clients.client("redshift-serverless")
    found = []
    for page in rs.get_paginator("list_namespaces").paginate():
        for ns in page["namespaces"]:
            tags = _serverless_tags(rs, ns["namespaceArn"])
            if tags is None or not _is_lab(tags) or ns.get("status") == "DELETING":
                continue
            name = ns["namespaceName"]

            def delete(name: str = name) -> None:
                quietly(rs.delete_namespace, namespaceName=name)
                _until_gone(lambda: rs.get_namespace(namespaceName=name), f"namespace {name}")

            found.append(
                Resource("redshift-serverless namespace", name, tags.get("Lab", ""), ns.get("status", ""), name, delete)
            )
    return found
