"""Edits of moto's serialized answers, where an engine knows better than moto.

They work on the wire format moto renders (and AWS defines); each edit names the fields it
touches, so a moto that renders them differently fails the adapter's tests, not a learner.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

_INSTANCE_ID = re.compile(r"<instanceId>(i-[0-9a-f]+)</instanceId>")
_DB_INSTANCE = re.compile(rb"<DBInstance>(.*?)</DBInstance>", re.S)
_DB_IDENT = re.compile(rb"<DBInstanceIdentifier>([^<]*)</DBInstanceIdentifier>")
_DB_ENDPOINT = re.compile(rb"<Endpoint>.*?</Endpoint>", re.S)
_DB_STATUS = re.compile(rb"<DBInstanceStatus>[^<]*</DBInstanceStatus>")
_DB_BACKUPS = re.compile(rb"<BackupRetentionPeriod>\d*</BackupRetentionPeriod>")
_DB_LIFECYCLE = re.compile(rb"<EngineLifecycleSupport>[^<]*</EngineLifecycleSupport>")


def run_instances_ids(body: bytes) -> list[str]:
    """The instance ids of a RunInstances answer (EC2 XML)."""
    return _INSTANCE_ID.findall(body.decode("utf-8", "replace"))


@dataclass
class DbInstanceEdit:
    status: str | None = None  # <DBInstanceStatus>
    backup_retention: int | None = None  # <BackupRetentionPeriod>
    endpoint: tuple[str, int] | None = None  # <Endpoint> address and port; None: no endpoint (creating)
    hosted_zone: str = "Z2R2ITUGPM61AM"
    engine_lifecycle_support: str | None = None  # <EngineLifecycleSupport> (moto renders none)


def edit_db_instances(body: bytes, edit: Callable[[str], DbInstanceEdit | None]) -> bytes:
    """Rewrite every ``<DBInstance>`` of an RDS (Query/XML) answer: ``edit(identifier)`` says how
    (None leaves the instance as moto rendered it)."""

    def fix(m: re.Match) -> bytes:
        block = m.group(1)
        ident = _DB_IDENT.search(block)
        change = edit(ident.group(1).decode()) if ident else None
        if change is None:
            return m.group(0)
        if change.status is not None:
            block = _DB_STATUS.sub(b"<DBInstanceStatus>%s</DBInstanceStatus>" % change.status.encode(), block, count=1)
        if change.backup_retention is not None:
            new = b"<BackupRetentionPeriod>%d</BackupRetentionPeriod>" % change.backup_retention
            block = _DB_BACKUPS.sub(new, block, count=1)
        if change.engine_lifecycle_support is not None:
            block = _DB_LIFECYCLE.sub(b"", block) + (
                b"<EngineLifecycleSupport>%s</EngineLifecycleSupport>" % change.engine_lifecycle_support.encode()
            )
        endpoint = b""
        if change.endpoint is not None:
            host, port = change.endpoint
            endpoint = b"<Endpoint><Address>%s</Address><Port>%d</Port><HostedZoneId>%s</HostedZoneId></Endpoint>" % (
                host.encode(),
                port,
                change.hosted_zone.encode(),
            )
        return b"<DBInstance>" + _DB_ENDPOINT.sub(lambda _: endpoint, block, count=1) + b"</DBInstance>"

    return _DB_INSTANCE.sub(fix, body)


def has_db_instances(body: bytes) -> bool:
    return b"<DBInstance>" in body


_CLUSTER = re.compile(rb"<Cluster>(.*?)</Cluster>", re.S)
_CLUSTER_IDENT = re.compile(rb"<ClusterIdentifier>([^<]*)</ClusterIdentifier>")
_CLUSTER_STATUS = re.compile(rb"<ClusterStatus>[^<]*</ClusterStatus>")
_CLUSTER_ENDPOINT = re.compile(rb"<Endpoint>.*?</Endpoint>", re.S)
_CLUSTER_SECRET = re.compile(rb"<MasterPasswordSecret(?:Arn|KmsKeyId)>[^<]*</MasterPasswordSecret(?:Arn|KmsKeyId)>")


@dataclass
class ClusterEdit:
    status: str | None = None  # <ClusterStatus>
    endpoint: tuple[str, int] | None = None  # <Endpoint> address and port; None: no endpoint (creating)
    secret_arn: str | None = None  # <MasterPasswordSecretArn> (ManageMasterPassword)
    secret_kms_key_id: str = "aws/secretsmanager"


def edit_clusters(body: bytes, edit: Callable[[str], ClusterEdit | None]) -> bytes:
    """Rewrite every ``<Cluster>`` of a Redshift (Query/XML) answer: ``edit(identifier)`` says how
    (None leaves the cluster as moto rendered it)."""

    def fix(m: re.Match) -> bytes:
        block = m.group(1)
        ident = _CLUSTER_IDENT.search(block)
        change = edit(ident.group(1).decode()) if ident else None
        if change is None:
            return m.group(0)
        if change.status is not None:
            block = _CLUSTER_STATUS.sub(b"<ClusterStatus>%s</ClusterStatus>" % change.status.encode(), block, count=1)
        endpoint = b""
        if change.endpoint is not None:
            host, port = change.endpoint
            endpoint = b"<Endpoint><Address>%s</Address><Port>%d</Port></Endpoint>" % (host.encode(), port)
        block = _CLUSTER_ENDPOINT.sub(lambda _: endpoint, block, count=1)
        block = _CLUSTER_SECRET.sub(b"", block)
        if change.secret_arn:
            block += b"<MasterPasswordSecretArn>%s</MasterPasswordSecretArn>" % change.secret_arn.encode()
            block += b"<MasterPasswordSecretKmsKeyId>%s</MasterPasswordSecretKmsKeyId>" % (
                change.secret_kms_key_id.encode()
            )
        return b"<Cluster>" + block + b"</Cluster>"

    return _CLUSTER.sub(fix, body)


def has_clusters(body: bytes) -> bool:
    return b"<Cluster>" in body


def edit_crawlers(body: bytes, edit: Callable[[dict], None]) -> bytes:
    """Apply ``edit`` to every crawler of a GetCrawler / GetCrawlers / BatchGetCrawlers answer (JSON)."""
    doc = json.loads(body or b"{}")
    for crawler in [doc["Crawler"]] if "Crawler" in doc else doc.get("Crawlers", []):
        edit(crawler)
    return json.dumps(doc, default=str).encode()  # moto leaves datetimes in some fields
