"""Collectors for the analytics labs' resources (introduced in 04 and 05): Glue crawlers, Glue
databases (their tables go with them), Athena workgroups.  A crawler's IAM role is
collected by ``helpers.resources_iam``.

S3 buckets are collected by ``helpers.resources``.  Only resources tagged
``Project=aws-de-labs`` are touched.  Glue tables cannot carry tags: a lab's tables live in a
lab-tagged database and are deleted with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import clients
from .resources import Resource, _is_lab, collector, quietly, read_tags

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient

# Athena answers InvalidRequestException for a workgroup deleted between listing and reading its tags.
_ATHENA_GONE = ("InvalidRequestException",)


def _arn(service: str, resource: str) -> str:
    account = clients.account()
    region = clients.region()
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _glue_tags(glue: GlueClient, arn: str) -> dict[str, str]:
    """The resource's tags; none when it vanished meanwhile (then it is not collected)."""
    return read_tags(lambda: glue.get_tags(ResourceArn=arn).get("Tags") or {}) or {}


@collector("glue crawler", order=40)
def _crawlers() -> list[Resource]:
    glue = clients.client("glue")
    found = []
    for page in glue.get_paginator("get_crawlers").paginate():
        for c in page["Crawlers"]:
            tags = _glue_tags(glue, _arn("glue", f"crawler/{c['Name']}"))
            if not _is_lab(tags):
                continue

            def delete(name: str = c["Name"]) -> None:
                quietly(glue.delete_crawler, Name=name)

            found.append(
                Resource("glue crawler", c["Name"], tags.get("Lab", ""), c.get("State", ""), c["Name"], delete)
            )
    return found


@collector("athena workgroup", order=45)
def _workgroups() -> list[Resource]:
    athena = clients.client("athena")
    found = []
    for wg in athena.list_work_groups().get("WorkGroups", []):
        name = wg["Name"]
        if name == "primary":
            continue
        arn = _arn("athena", f"workgroup/{name}")
        tags = read_tags(lambda arn=arn: athena.list_tags_for_resource(ResourceARN=arn)["Tags"], _ATHENA_GONE)
        if tags is None or not _is_lab(tags):
            continue

        def delete(name: str = name) -> None:
            athena.delete_work_group(WorkGroup=name, RecursiveDeleteOption=True)

        found.append(Resource("athena workgroup", name, tags.get("Lab", ""), wg.get("State", ""), name, delete))
    return found


@collector("glue database", order=50)
def _databases() -> list[Resource]:
    glue = clients.client("glue")
    found = []
    for page in glue.get_paginator("get_databases").paginate():
        for db in page["DatabaseList"]:
            tags = _glue_tags(glue, _arn("glue", f"database/{db['Name']}"))
            if not _is_lab(tags):
                continue

            def delete(name: str = db["Name"]) -> None:
                quietly(glue.delete_database, Name=name)  # its tables and partitions go with it

            found.append(Resource("glue database", db["Name"], tags.get("Lab", ""), "", db["Name"], delete))
    return found
