"""What ``lab.inventory()`` finds and ``lab.teardown()`` deletes (introduced in 00_setup).

Each kind of resource has a *collector*: it lists the lab-tagged resources of that kind
and knows how to delete one.  Collectors run in ``order`` (instances before the security
groups they use, objects before their bucket).  This module holds EC2 and S3; a later
lab adds its own module ``helpers/resources_<service>.py`` using :func:`collector`, and it
is picked up automatically.  Only resources carrying ``Project=aws-de-labs`` are ever touched (and,
with ``LAB_OWNER`` set, only those tagged ``Owner=<LAB_OWNER>``: see :func:`helpers.lab.is_mine`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.exceptions import ClientError

from . import clients, lab

if TYPE_CHECKING:
    import pandas as pd
    from mypy_boto3_ec2.type_defs import FilterTypeDef

Finder = TypeVar("Finder", bound=Callable[[], "list[Resource]"])

PROJECT_KEY, PROJECT_VALUE = lab.PROJECT_TAG


@dataclass
class Resource:
    kind: str  # e.g. "ec2 instance"
    id: str
    lab: str
    state: str = ""
    name: str = ""
    # Called with no arguments; `...` because the deleters are `lambda x=x: ...` closures, which
    # mypy cannot match to a zero-argument Callable (python/mypy#15459). The result is ignored.
    delete: Callable[..., object] = field(default=lambda: None, repr=False)


@dataclass
class Collector:
    kind: str
    order: int
    find: Callable[[], list[Resource]]


COLLECTORS: list[Collector] = []


def collector(kind: str, order: int) -> Callable[[Finder], Finder]:
    def register(fn: Finder) -> Finder:
        if any(c.kind == kind for c in COLLECTORS):
            return fn  # module imported twice (e.g. autoreload): keep one
        COLLECTORS.append(Collector(kind, order, fn))
        COLLECTORS.sort(key=lambda c: c.order)
        return fn

    return register


def _tags(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def _is_lab(tags: Mapping[str, str]) -> bool:
    """A lab resource of this learner's (``Project`` tag; ``Owner`` too when LAB_OWNER is set)."""
    return lab.is_mine(dict(tags))


# Error codes meaning "already gone": a resource deleted by a cell, or with its parent,
# between listing and deleting.
GONE_CODES = {
    "ResourceNotFoundException",
    "NoSuchEntity",
    "NoSuchEntityException",
    "NotFound",
    "NotFoundException",
    "EntityNotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "DBInstanceNotFound",
    "DBSnapshotNotFound",
}


def gone(exc: ClientError, also: tuple[str, ...] = ()) -> bool:
    """Does ``exc`` say "already gone"?  ``also``: codes a service uses for it in one place
    (Athena's InvalidRequestException for a deleted workgroup, RDS's InvalidDBInstanceState for
    an instance already being deleted)."""
    code = exc.response["Error"]["Code"]
    return code in GONE_CODES or code in also


def quietly(fn: Callable[..., object], *args: Any, gone_codes: tuple[str, ...] = (), **kwargs: Any) -> None:
    """Delete something that may already be gone."""
    try:
        fn(*args, **kwargs)
    except ClientError as exc:
        if not gone(exc, gone_codes):
            raise


def read_tags(
    fetch: Callable[..., Iterable[Mapping[str, Any]] | dict[str, str]], gone_codes: tuple[str, ...] = ()
) -> dict[str, str] | None:
    """A resource's tags as a dict (from ``[{"Key", "Value"}]`` or a dict); None when it vanished."""
    try:
        raw = fetch()
    except ClientError as exc:
        if gone(exc, gone_codes):
            return None
        raise
    return dict(raw) if isinstance(raw, dict) else _tags(raw)


def _retry_dependency(fn: Callable[[], object], attempts: int = 20) -> None:
    """Retry while AWS still sees a dependency (an instance that is shutting down)."""
    delay, _ = lab.poll_policy(5.0, attempts)
    for i in range(attempts):
        try:
            fn()
            return
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "DependencyViolation" or i == attempts - 1:
                raise
            time.sleep(delay)


# ---- EC2 -----------------------------------------------------------------------------------


def _lab_filter() -> list[FilterTypeDef]:
    """EC2's filter for this learner's lab resources (the Owner tag too when LAB_OWNER is set)."""
    filters: list[FilterTypeDef] = [{"Name": f"tag:{PROJECT_KEY}", "Values": [PROJECT_VALUE]}]
    who = lab.owner()
    if who is not None:
        filters.append({"Name": f"tag:{lab.OWNER_TAG}", "Values": [who]})
    return filters


@collector("ec2 instance", order=10)
def _instances() -> list[Resource]:
    ec2 = clients.client("ec2")
    found = []
    for page in ec2.get_paginator("describe_instances").paginate(Filters=_lab_filter()):
        for res in page["Reservations"]:
            for inst in res["Instances"]:
                state = inst["State"]["Name"]
                if state in ("terminated", "shutting-down"):
                    continue
                tags = _tags(inst.get("Tags"))
                iid = inst["InstanceId"]

                def delete(iid: str = iid) -> None:
                    ec2.terminate_instances(InstanceIds=[iid])
                    delay, attempts = lab.poll_policy(15, 40)
                    # Delay is typed int; botocore sleeps any number (locally lab.poll_policy says 0.1 s).
                    ec2.get_waiter("instance_terminated").wait(
                        InstanceIds=[iid],
                        WaiterConfig={"Delay": delay, "MaxAttempts": attempts},  # type: ignore[typeddict-item]
                    )

                found.append(Resource("ec2 instance", iid, tags.get("Lab", ""), state, tags.get("Name", ""), delete))
    return found


@collector("ec2 key pair", order=20)
def _key_pairs() -> list[Resource]:
    ec2 = clients.client("ec2")
    return [
        Resource(
            "ec2 key pair",
            kp["KeyName"],
            _tags(kp.get("Tags")).get("Lab", ""),
            "",
            kp["KeyName"],
            lambda name=kp["KeyName"]: ec2.delete_key_pair(KeyName=name),
        )
        for kp in ec2.describe_key_pairs(Filters=_lab_filter())["KeyPairs"]
    ]


@collector("ec2 security group", order=30)
def _security_groups() -> list[Resource]:
    ec2 = clients.client("ec2")
    found = []
    for page in ec2.get_paginator("describe_security_groups").paginate(Filters=_lab_filter()):
        for sg in page["SecurityGroups"]:
            gid = sg["GroupId"]
            found.append(
                Resource(
                    "ec2 security group",
                    gid,
                    _tags(sg.get("Tags")).get("Lab", ""),
                    "",
                    sg["GroupName"],
                    lambda gid=gid: _retry_dependency(lambda: ec2.delete_security_group(GroupId=gid)),
                )
            )
    return found


# ---- S3 ------------------------------------------------------------------------------------


@collector("s3 bucket", order=90)
def _buckets() -> list[Resource]:
    s3 = clients.client("s3")
    found = []
    for b in s3.list_buckets().get("Buckets", []):
        name = b["Name"]
        try:
            tags = _tags(s3.get_bucket_tagging(Bucket=name)["TagSet"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchTagSet", "NoSuchBucket", "AccessDenied"):
                continue
            raise
        if _is_lab(tags):
            found.append(
                Resource(
                    "s3 bucket", name, tags.get("Lab", ""), "", name, lambda name=name: _empty_and_delete_bucket(name)
                )
            )
    return found


def _empty_and_delete_bucket(name: str) -> None:
    bucket = boto3.resource("s3").Bucket(name)
    bucket.object_versions.delete()  # every version and delete marker, not only the latest
    bucket.objects.delete()
    bucket.delete()


# ---- the two entry points lab.inventory() and lab.teardown() use ------------------------------


def load_extensions() -> None:
    """Import every ``helpers.resources_*`` module (each registers its collectors)."""
    from . import plugins

    plugins.load("resources")


UNCHECKED = "not checked"
LOOK_THREADS = 8


def find_all(lab_id: str | None = None) -> list[Resource]:
    """Every lab-tagged resource; a kind that cannot be listed (e.g. AccessDenied on AWS)
    becomes one row with state "not checked: <code>" instead of hiding all the others."""
    from botocore.exceptions import BotoCoreError

    load_extensions()

    def look(c: Collector) -> list[Resource]:
        try:
            return [r for r in c.find() if lab_id is None or r.lab == lab_id]
        except (ClientError, BotoCoreError) as exc:
            code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
            return [Resource(c.kind, "?", lab_id or "", f"{UNCHECKED}: {code}", "(could not list)")]

    # The kinds are listed side by side (each waits on the network, not the CPU); the rows come
    # back in the collectors' order, the order delete_all() needs.
    with ThreadPoolExecutor(max_workers=LOOK_THREADS) as pool:
        return [r for rows in pool.map(look, COLLECTORS) for r in rows]


def as_table(found: list[Resource]) -> pd.DataFrame:
    import pandas as pd

    cols = ["kind", "id", "name", "lab", "state"]
    return pd.DataFrame([[getattr(r, c) for c in cols] for r in found], columns=cols)


def delete_all(lab: str | None = None, dry_run: bool = False) -> list[Resource]:
    found = find_all(lab)
    if not found:
        print("Nothing tagged Project=aws-de-labs to delete.")
        return []
    for r in found:
        if r.state.startswith(UNCHECKED):
            print(f"could not check {r.kind}s ({r.state}): look in the console")
            continue
        if not dry_run:
            r.delete()
        print(f"{'would delete' if dry_run else 'deleted'} {r.kind} {r.name or r.id} (lab {r.lab or '?'})")
    return [r for r in found if not r.state.startswith(UNCHECKED)]
