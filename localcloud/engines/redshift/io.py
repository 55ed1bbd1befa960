"""What the warehouse reads and writes outside itself, behind small injected interfaces.

* :class:`S3Access` — list/get/put objects (COPY reads, UNLOAD writes, Spectrum scans).
* :class:`CatalogAccess` — the Glue Data Catalog (Spectrum's external tables), Glue API shapes.
* ``federated_connect(options) -> DB-API connection`` — a MySQL/MariaDB database for federated
  query; ``options`` holds what ``CREATE EXTERNAL SCHEMA ... FROM MYSQL`` said (``uri``,
  ``port``, ``database``, ``secret_arn``, ``iam_role``) and the name of the warehouse that
  connects (``warehouse``, its ``WarehouseConfig.name``); the wiring resolves the secret and
  decides whether the warehouse's network reaches the database.

The boto3-backed implementations here are what the runtime's own tests use against a private
localcloud; the engine passes in-process ones (``lake.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client

# A Glue API shape (a Database, Table or Partition as boto3's Glue client answers it)
GlueShape = Mapping[str, Any]


class S3Access(Protocol):
    def list(self, bucket: str, prefix: str) -> list[tuple[str, int]]: ...
    def get(self, bucket: str, key: str) -> bytes: ...
    def put(self, bucket: str, key: str, body: bytes) -> None: ...


class CatalogAccess(Protocol):
    def get_database(self, name: str) -> GlueShape | None: ...
    def get_table(self, database: str, name: str) -> GlueShape | None: ...
    def get_tables(self, database: str) -> Sequence[GlueShape]: ...
    def get_partitions(self, database: str, table: str) -> Sequence[GlueShape]: ...


class DbApiCursor(Protocol):
    """The part of a DB-API 2.0 cursor federated query uses (``mysql.connector``'s)."""

    # Any: PEP 249 leaves parameter and row types to each driver
    def execute(self, operation: str, params: Any = ...) -> object: ...
    def fetchall(self) -> Sequence[Any]: ...


class DbApiConnection(Protocol):
    """What ``federated_connect`` returns: a DB-API 2.0 connection."""

    def cursor(self) -> DbApiCursor: ...
    def close(self) -> None: ...


class NoSuchBucket(Exception):
    pass


class Boto3S3:
    def __init__(self, client: S3Client) -> None:
        self.client = client

    def list(self, bucket: str, prefix: str) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                out += [(o["Key"], o["Size"]) for o in page.get("Contents", [])]
        except self.client.exceptions.NoSuchBucket:
            raise NoSuchBucket(bucket) from None
        return out

    def get(self, bucket: str, key: str) -> bytes:
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()

    def put(self, bucket: str, key: str, body: bytes) -> None:
        try:
            self.client.put_object(Bucket=bucket, Key=key, Body=body)
        except self.client.exceptions.NoSuchBucket:
            raise NoSuchBucket(bucket) from None


class Boto3Glue:
    def __init__(self, client: GlueClient) -> None:
        self.client = client

    def get_database(self, name: str) -> GlueShape | None:
        try:
            return self.client.get_database(Name=name)["Database"]
        except self.client.exceptions.EntityNotFoundException:
            return None

    def get_table(self, database: str, name: str) -> GlueShape | None:
        try:
            return self.client.get_table(DatabaseName=database, Name=name)["Table"]
        except self.client.exceptions.EntityNotFoundException:
            return None

    def get_tables(self, database: str) -> Sequence[GlueShape]:
        out: list[GlueShape] = []
        for page in self.client.get_paginator("get_tables").paginate(DatabaseName=database):
            out += page["TableList"]
        return out

    def get_partitions(self, database: str, table: str) -> Sequence[GlueShape]:
        out: list[GlueShape] = []
        for page in self.client.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table):
            out += page["Partitions"]
        return out
