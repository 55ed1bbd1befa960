"""Collectors for the analytics labs' resources (introduced in 04): Glue crawlers, Glue
databases (their tables go with them), Athena workgroups.  A crawler's IAM role is
collected by ``helpers.resources_iam``.

S3 buckets are collected by ``helpers.resources``.  Only resources tagged
``Project=aws-de-labs`` are touched.  Glue tables cannot carry tags: a lab's tables live in a
lab-tagged database and are deleted with it.
"""

from __future__ import annotations


import boto3
from botocore.exceptions import ClientError

from .resources import PROJECT_KEY, PROJECT_VALUE, Resource, _tags, collector


def _arn(service: str, resource: str) -> str:
    sts = boto3.client("sts")
    account = sts.get_caller_identity()["Account"]
    region = boto3.session.Session().region_name
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _gone(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] in ("EntityNotFoundException", "NoSuchEntity", "InvalidRequestException")


def _glue_tags(glue, arn: str) -> dict:
    try:
        return glue.get_tags(ResourceArn=arn).get("Tags") or {}
    except ClientError as exc:
        if _gone(exc):
            return {}
        raise


@collector("glue crawler", order=40)
def _crawlers() -> list[Resource]:
    glue = boto3.client("glue")
    found = []
    for page in glue.get_paginator("get_crawlers").paginate():
        for c in page["Crawlers"]:
            tags = _glue_tags(glue, _arn("glue", f"crawler/{c['Name']}"))
            if tags.get(PROJECT_KEY) != PROJECT_VALUE:
                continue

            def delete(name=c["Name"]):
                try:
                    glue.delete_crawler(Name=name)
                except ClientError as exc:
                    if not _gone(exc):
                        raise
            found.append(Resource("glue crawler", c["Name"], tags.get("Lab", ""), c.get("State", ""), c["Name"], delete))
    return found


@collector("athena workgroup", order=45)
def _workgroups() -> list[Resource]:
    athena = boto3.client("athena")
    found = []
    for wg in athena.list_work_groups().get("WorkGroups", []):
        name = wg["Name"]
        if name == "primary":
            continue
        try:
            tags = _tags(athena.list_tags_for_resource(ResourceARN=_arn("athena", f"workgroup/{name}"))["Tags"])
        except ClientError as exc:
            if _gone(exc):
                continue
            raise
        if tags.get(PROJECT_KEY) == PROJECT_VALUE:
            found.append(Resource("athena workgroup", name, tags.get("Lab", ""), wg.get("State", ""), name,
                                  lambda name=name: athena.delete_work_group(WorkGroup=name, RecursiveDeleteOption=True)))
    return found


@collector("glue database", order=50)
def _databases() -> list[Resource]:
    glue = boto3.client("glue")
    found = []
    for page in glue.get_paginator("get_databases").paginate():
        for db in page["DatabaseList"]:
            tags = _glue_tags(glue, _arn("glue", f"database/{db['Name']}"))
            if tags.get(PROJECT_KEY) != PROJECT_VALUE:
                continue

            def delete(name=db["Name"]):
                try:
                    glue.delete_database(Name=name)  # its tables and partitions go with it
                except ClientError as exc:
                    if not _gone(exc):
                        raise
            found.append(Resource("glue database", db["Name"], tags.get("Lab", ""), "", db["Name"], delete))
    return found


