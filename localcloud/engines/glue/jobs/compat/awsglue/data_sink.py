"""DataSink (``glueContext.getSink``): S3 writes, optionally updating the Data Catalog.

``enableUpdateCatalog=True`` with ``setCatalogInfo`` creates the table if it is missing, adds
columns new data brought (``updateBehavior`` UPDATE_IN_DATABASE, the default; LOG leaves the
schema alone) and registers new partitions, as AWS documents for Glue ETL jobs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._local import catalog
from ._local.run import NotSupportedLocally

if TYPE_CHECKING:
    from .context import GlueContext


class DataSink:
    def __init__(self, glue_context: GlueContext, options: dict[str, Any], transformation_ctx: str = "") -> None:
        self._gc = glue_context
        self._options = dict(options)
        self._format: str | None = None
        self._format_options: dict[str, Any] = {}
        self._catalog: tuple[str, str] | None = None
        self._ctx = transformation_ctx

    def setFormat(self, format, **options):
        from .context import _FORMAT_OPTS, _check, _fmt

        fmt = _fmt(format, writing=True)
        _check(options, _FORMAT_OPTS.get(fmt, set()), f"{fmt} format option")
        self._format, self._raw_format, self._format_options = fmt, (format or "").lower(), options

    def setCatalogInfo(self, catalogDatabase, catalogTableName, catalogId=""):
        self._catalog = (catalogDatabase, catalogTableName)

    def setAccumulableSize(self, size):
        pass

    def writeFrame(self, dynamic_frame, info=""):
        path = self._options.get("path")
        if not path:
            raise Exception("the S3 sink needs connection_options={'path': 's3://bucket/prefix/'}")
        if self._format is None:
            raise Exception("the S3 sink needs a format (setFormat or format=...)")
        keys = list(self._options.get("partitionKeys") or [])
        update = str(self._options.get("enableUpdateCatalog", False)).lower() == "true"
        catalog_info = self._catalog
        if update and catalog_info is None:
            raise Exception("enableUpdateCatalog needs setCatalogInfo(catalogDatabase=..., catalogTableName=...)")
        if update and self._format == "orc":
            raise NotSupportedLocally("enableUpdateCatalog with format orc")
        glue_parquet = self._raw_format == "glueparquet" or (
            str(self._format_options.get("useGlueParquetWriter", False)).lower() == "true"
        )
        written = self._gc._write_s3(
            dynamic_frame,
            path,
            self._format,
            keys,
            self._format_options,
            self._options.get("compression"),
            glue_parquet,
        )
        if update and catalog_info is not None:  # (update without it was refused above)
            database, table_name = catalog_info
            behavior = self._options.get("updateBehavior", "UPDATE_IN_DATABASE")
            table = catalog.ensure_table(
                database, table_name, path, self._format, dynamic_frame._node, keys, behavior == "UPDATE_IN_DATABASE"
            )
            catalog.add_partitions(table, database, path, written)
        return dynamic_frame

    def write(self, dynamic_frame_or_dfc, info=""):
        from .dynamicframe import DynamicFrame, DynamicFrameCollection

        if isinstance(dynamic_frame_or_dfc, DynamicFrame):
            return self.writeFrame(dynamic_frame_or_dfc, info)
        if isinstance(dynamic_frame_or_dfc, DynamicFrameCollection):
            raise NotSupportedLocally("writing a DynamicFrameCollection")
        raise TypeError(f"expected a DynamicFrame, got {type(dynamic_frame_or_dfc).__name__}")
