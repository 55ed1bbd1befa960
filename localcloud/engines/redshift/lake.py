"""The data lake as the warehouse reads it in the daemon: moto's S3 and Glue catalog, in-process.

COPY, UNLOAD and Spectrum read and write the same objects and tables Athena and Glue do, through
the Athena engine's store (``engines.athena.s3store``) and catalog (``engines.athena.catalog``),
never over HTTP.  These classes are the runtime's :class:`~.io.S3Access` and
:class:`~.io.CatalogAccess` (the tests' ``Boto3S3``/``Boto3Glue`` give the same answers over
the API).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ... import seam
from ..athena import catalog as glue_catalog
from ..athena.catalog import CatalogError
from ..athena.s3store import S3Object, S3Store
from .io import GlueShape, NoSuchBucket

if TYPE_CHECKING:
    from ...seam.models import GlueTable as FakeTable


class LakeS3:
    """S3 as COPY/UNLOAD see it: a plain key prefix (``s3://b/data/part`` matches ``part-0001``)."""

    def __init__(self, cache_dir: Path) -> None:
        self.store = S3Store(cache_dir)

    def list(self, bucket: str, prefix: str) -> list[tuple[str, int]]:
        if not self.store.bucket_exists(bucket):
            raise NoSuchBucket(bucket)
        # S3's ListObjects semantics (Spectrum skips Hive's hidden files itself)
        return sorted((key, size) for key, size, _ in seam.s3_objects(bucket, prefix))

    def get(self, bucket: str, key: str) -> bytes:
        return self.store.read(S3Object(bucket, key, 0, ""))

    def put(self, bucket: str, key: str, body: bytes) -> None:
        try:
            self.store.put(f"s3://{bucket}/{key}", body)
        except CatalogError:  # the store's "bucket does not exist"
            raise NoSuchBucket(bucket) from None


class LakeCatalog:
    """The Glue Data Catalog in Glue's API shapes (what ``glue.get_table`` would answer)."""

    def get_database(self, name: str) -> GlueShape | None:
        db = glue_catalog.find_database(name)
        return None if db is None else {"Name": db.name}

    def _table(self, database: str, name: str) -> FakeTable | None:
        db = glue_catalog.find_database(database)
        return None if db is None else glue_catalog.find_table(db, name)

    def get_table(self, database: str, name: str) -> GlueShape | None:
        table = self._table(database, name)
        return None if table is None else table.as_dict()

    def get_tables(self, database: str) -> Sequence[GlueShape]:
        db = glue_catalog.find_database(database)
        return [] if db is None else [t.as_dict() for t in list(db.tables.values())]

    def get_partitions(self, database: str, table: str) -> Sequence[GlueShape]:
        found = self._table(database, table)
        if found is None:
            return []
        out: list[GlueShape] = []
        for values, part_input in seam.glue_partitions(found):
            out.append({**part_input, "Values": list(values)})
        return out
