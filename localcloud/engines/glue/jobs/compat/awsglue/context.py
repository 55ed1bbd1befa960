"""GlueContext: catalog and S3 sources and sinks for DynamicFrames (localcloud's ``awsglue`` subset).

Signatures follow AWS's ``awsglue.context`` (aws-glue-libs, glue-5.0). S3 is read and written
through boto3 against localcloud (``_local/s3io.py``); the catalog through the Glue API.
Connection types other than ``s3``, formats other than json/csv/parquet(/glueparquet, orc for
writing) and options this subset does not implement raise ``NotImplementedError`` naming them.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.parse
from typing import Any

from ._local import catalog, names, read, s3io
from ._local import run as _run
from ._local import schema as sc
from ._local.run import NotSupportedLocally
from .data_sink import DataSink
from .dynamicframe import DynamicFrame, DynamicFrameCollection, DynamicFrameReader, DynamicFrameWriter

__all__ = ["GlueContext"]

_NOT_HERE = {
    "getSource",
    "getStreamingSource",
    "get_catalog_schema_as_spark_schema",
    "create_sample_dynamic_frame_from_catalog",
    "create_sample_dynamic_frame_from_options",
    "write_dynamic_frame_from_jdbc_conf",
    "write_from_jdbc_conf",
    "write_data_frame_from_catalog",
    "extract_jdbc_conf",
    "purge_table",
    "purge_s3_path",
    "transition_table",
    "transition_s3_path",
    "getSampleStreamingDynamicFrame",
    "forEachBatch",
    "add_ingestion_time_columns",
    "start_transaction",
    "commit_transaction",
    "cancel_transaction",
    "sql",
    "table",
}

# Options that change nothing about the result here (file grouping, listing strategy).
_S3_SOURCE_OPTS = {"paths", "recurse", "exclusions", "groupFiles", "groupSize", "useS3ListImplementation"}
_FORMAT_OPTS = {
    "json": {"multiline", "multiLine"},
    "csv": {"withHeader", "separator", "quoteChar", "multiLine", "optimizePerformance", "writeHeader"},
    "parquet": {"useGlueParquetWriter", "compression", "blockSize", "pageSize"},
    "orc": set(),
}
_CATALOG_OPTS = {"catalogPartitionPredicate", "recurse", "groupFiles", "groupSize", "useS3ListImplementation"}
_SINK_OPTS = {"path", "partitionKeys", "compression", "enableUpdateCatalog", "updateBehavior", "useFrameName"}


def _fmt(fmt: str | None, writing: bool = False) -> str:
    f = (fmt or "").lower()
    if f == "glueparquet":
        return "parquet"
    if f in ("json", "csv", "parquet") or (writing and f == "orc"):
        return f
    raise NotSupportedLocally(f"format {fmt!r}" + ("" if fmt else " (format is required for S3)"))


def _check(opts: dict, allowed: set, what: str) -> None:
    extra = sorted(set(opts or {}) - allowed)
    if extra:
        raise NotSupportedLocally(f"{what} {', '.join(map(repr, extra))}")


class _Logger:
    """``glueContext.get_logger()``: lines on the driver's stderr (the run's error log)."""

    def _log(self, level, msg):
        print(f"{time.strftime('%y/%m/%d %H:%M:%S', time.gmtime())} {level} GlueLogger: {msg}", file=sys.stderr)

    def info(self, msg):
        self._log("INFO", msg)

    def warn(self, msg):
        self._log("WARN", msg)

    def error(self, msg):
        self._log("ERROR", msg)


class GlueContext:
    def __init__(self, sparkContext=None, **options):
        from pyspark.sql import SparkSession

        if sparkContext is not None and isinstance(sparkContext, SparkSession):
            session = sparkContext
        else:
            session = SparkSession.builder.getOrCreate()
        self.spark_session = self.sparkSession = session
        self._sc = session.sparkContext
        self.create_dynamic_frame = DynamicFrameReader(self)
        self.write_dynamic_frame = DynamicFrameWriter(self)
        self.create_data_frame = _DataFrameReader(self)
        self._logger = _Logger()

    def __getattr__(self, attr):
        if attr in _NOT_HERE:
            raise NotSupportedLocally(f"GlueContext.{attr}")
        raise AttributeError(f"'GlueContext' object has no attribute '{attr}'")

    def get_logger(self):
        return self._logger

    def currentTimeMillis(self):
        return int(round(time.time() * 1000))

    # ---- sources ---------------------------------------------------------------------------------

    def create_dynamic_frame_from_rdd(self, data, name, schema=None, sample_ratio=None, transformation_ctx=""):
        df = self.spark_session.createDataFrame(data, schema, sample_ratio)
        return DynamicFrame.fromDF(df, self, name)

    def create_dynamic_frame_from_options(
        self,
        connection_type,
        connection_options={},  # noqa: B006 (AWS's signature)
        format=None,
        format_options={},  # noqa: B006
        transformation_ctx="",
        push_down_predicate="",
        **kwargs,
    ):
        if connection_type != "s3":
            raise NotSupportedLocally(f"create_dynamic_frame.from_options connection_type={connection_type!r}")
        if push_down_predicate:
            raise NotSupportedLocally("push_down_predicate with from_options (use a partitioned catalog table)")
        _check(connection_options, _S3_SOURCE_OPTS, "S3 connection option")
        fmt = _fmt(format)
        _check(format_options, _FORMAT_OPTS[fmt], f"{fmt} format option")
        paths = connection_options.get("paths")
        if isinstance(paths, str):
            paths = [paths]
        if not paths:
            raise Exception("connection_options must contain 'paths' (a list of s3:// paths)")
        exclusions = connection_options.get("exclusions") or []
        if isinstance(exclusions, str):
            exclusions = json.loads(exclusions)
        recurse = str(connection_options.get("recurse", False)).lower() == "true"
        objs: dict[str, s3io.Obj] = {}
        for p in paths:
            for o in s3io.list_objects(p, recurse=recurse, exclusions=exclusions):
                objs.setdefault(o.url, o)
        df, node = self._load(list(objs.values()), fmt, dict(format_options), transformation_ctx, {})
        return DynamicFrame(df, self, transformation_ctx or "frame", node)

    def create_dynamic_frame_from_catalog(
        self,
        database=None,
        table_name=None,
        redshift_tmp_dir="",
        transformation_ctx="",
        push_down_predicate="",
        additional_options={},  # noqa: B006
        catalog_id=None,
        **kwargs,
    ):
        if database is not None and "name_space" in kwargs:
            raise Exception("Parameter name_space and database are both specified, choose one.")
        database = database if database is not None else kwargs.pop("name_space", None)
        if database is None:
            raise Exception("Parameter name_space or database is missing.")
        if table_name is None:
            raise Exception("Parameter table_name is missing.")
        _check(additional_options, _CATALOG_OPTS, "from_catalog additional option")
        table = catalog.get_table(database, table_name)
        predicates = [p for p in (push_down_predicate, additional_options.get("catalogPartitionPredicate")) if p]
        objs: list[s3io.Obj] = []
        if table.partition_keys:
            keys = [k for k, _ in table.partition_keys]
            parts = catalog.partitions(database, table_name)
            if predicates:
                parts = self._prune(parts, table, " AND ".join(f"({p})" for p in predicates))
            for values, location in parts:
                for o in s3io.list_objects(location, recurse=True):
                    o.partition = dict(zip(keys, values))
                    objs.append(o)
        else:
            if predicates:
                raise Exception(f"push_down_predicate on table {table_name}, which has no partition keys")
            objs = s3io.list_objects(table.location, recurse=True)
        opts = dict(table.csv_options, withHeader=False) if table.fmt == "csv" else {}
        df, node = self._load(objs, table.fmt, opts, transformation_ctx, table.partition_types)
        return DynamicFrame(df, self, table_name, node)

    def _prune(
        self, parts: list[tuple[list[str], str]], table: catalog.TableInfo, predicate: str
    ) -> list[tuple[list[str], str]]:
        """The partitions whose values satisfy a Spark SQL predicate over the partition keys."""
        from pyspark.sql import functions as F

        if not parts:
            return parts
        keys = [k for k, _ in table.partition_keys]
        rows = [[i] + list(values) for i, (values, _) in enumerate(parts)]
        df = self.spark_session.createDataFrame(rows, "__i int, " + ", ".join(f"`{k}` string" for k in keys))
        typed = df.select(
            "__i", *[F.col(f"`{k}`").cast(sc.spark_type_name(t)).alias(k) for k, t in table.partition_keys]
        )
        keep = {r["__i"] for r in typed.where(predicate).select("__i").collect()}
        return [p for i, p in enumerate(parts) if i in keep]

    def _load(self, objs, fmt, opts, ctx, partition_types):
        run = _run.current
        new = [o for o in objs if not run.already_processed(ctx, o.url, o.modified)]
        run.note_read(ctx, {o.url: o.modified for o in new})
        scratch = run.scratch("read")
        s3io.download(new, scratch)
        if fmt == "parquet":
            return read.read_parquet(self.spark_session, new, partition_types)
        return read.read_text(self.spark_session, new, fmt, opts, scratch, partition_types)

    # ---- sinks -----------------------------------------------------------------------------------

    def getSink(self, connection_type, format=None, transformation_ctx="", **options):
        if connection_type != "s3":
            raise NotSupportedLocally(f"getSink connection_type={connection_type!r}")
        _check(options, _SINK_OPTS | {"callSite"}, "sink option")
        sink = DataSink(self, options, transformation_ctx)
        if format:
            sink.setFormat(format)
        return sink

    def write_dynamic_frame_from_options(
        self,
        frame,
        connection_type,
        connection_options={},  # noqa: B006
        format=None,
        format_options={},  # noqa: B006
        transformation_ctx="",
    ):
        return self.write_from_options(
            frame, connection_type, connection_options, format, format_options, transformation_ctx
        )

    def write_from_options(
        self,
        frame_or_dfc,
        connection_type,
        connection_options={},  # noqa: B006
        format={},  # noqa: B006
        format_options={},  # noqa: B006
        transformation_ctx="",
        **kwargs,
    ):
        if connection_type != "s3":
            raise NotSupportedLocally(f"write_dynamic_frame.from_options connection_type={connection_type!r}")
        if not isinstance(frame_or_dfc, DynamicFrame | DynamicFrameCollection):
            raise TypeError(f"frame_or_dfc must be DynamicFrame or DynamicFrameCollection. Got {type(frame_or_dfc)}")
        sink = self.getSink(connection_type, None, transformation_ctx, **connection_options)
        sink.setFormat(format, **format_options)
        return sink.write(frame_or_dfc)

    def write_dynamic_frame_from_catalog(
        self,
        frame,
        database=None,
        table_name=None,
        redshift_tmp_dir="",
        transformation_ctx="",
        additional_options={},  # noqa: B006
        catalog_id=None,
        **kwargs,
    ):
        if database is not None and "name_space" in kwargs:
            raise Exception("Parameter name_space and database are both specified, choose one.")
        database = database if database is not None else kwargs.pop("name_space", None)
        if database is None:
            raise Exception("Parameter name_space or database is missing.")
        if table_name is None:
            raise Exception("Parameter table_name is missing.")
        _check(additional_options, _SINK_OPTS - {"path"}, "write_dynamic_frame.from_catalog additional option")
        table = catalog.get_table(database, table_name)
        opts = dict(additional_options)
        opts.setdefault("partitionKeys", [k for k, _ in table.partition_keys])
        sink = DataSink(self, dict(opts, path=table.location), transformation_ctx)
        sink.setFormat(table.fmt, **({"separator": table.csv_options["separator"]} if table.fmt == "csv" else {}))
        sink.setCatalogInfo(database, table_name)
        return sink.writeFrame(frame)

    # ---- the write itself ------------------------------------------------------------------------

    def _write_s3(
        self,
        frame: object,
        url: str,
        fmt: str,
        partition_keys: list[str],
        fmt_opts: dict[str, Any],
        compression: str | None,
        glue_parquet: bool = False,
    ) -> list[dict[str, str]]:
        """Write locally with Spark, upload as objects under Glue's names (``_local/names.py``);
        the partitions written, as {key: value}.  ``glue_parquet``: format glueparquet (or parquet
        with ``useGlueParquetWriter``), whose files Glue names differently."""
        if not isinstance(frame, DynamicFrame):
            raise TypeError(f"frame must be a DynamicFrame, got {type(frame).__name__}")
        unresolved = frame._unresolved()
        if unresolved:
            raise NotSupportedLocally(
                f"writing unresolved choice types ({', '.join(unresolved)}); resolve them with ResolveChoice first"
            )
        if not frame._node.fields:
            return []  # a frame without fields (no new input, e.g. after a bookmark) writes nothing
        missing = [k for k in partition_keys if k not in frame._node.fields]
        if missing:
            raise Exception(f"partitionKeys {missing} are not fields of the frame")
        out = _run.current.scratch("write") / "out"
        writer = frame._df.write.mode("errorifexists")
        if partition_keys:
            writer = writer.partitionBy(*partition_keys)
        opts: dict[str, str] = {}
        if fmt == "csv":
            opts["header"] = str(fmt_opts.get("writeHeader", True)).lower()
            opts["sep"] = fmt_opts.get("separator", ",")
            opts["quote"] = fmt_opts.get("quoteChar", '"')
        if fmt == "parquet":
            opts["compression"] = (compression or fmt_opts.get("compression") or "snappy").lower()
        elif compression:
            opts["compression"] = compression.lower()
        run_ms = self.currentTimeMillis()  # one stamp per write, as Glue's run-<ms>-part-* names share
        writer.format(fmt).options(**opts).save(str(out))
        template = names.glue_name(fmt, glue_parquet, opts.get("compression"))
        written = s3io.upload_dir(out, url, rename=lambda rel: names.rename(rel, template, run_ms))
        parts: list[dict[str, str]] = []
        if partition_keys:
            seen = set()
            base = url.rstrip("/") + "/"
            for w in written:
                dirs = w[len(base) :].split("/")[:-1]
                values = dict(d.split("=", 1) for d in dirs if "=" in d)
                values = {k: urllib.parse.unquote(v) for k, v in values.items()}
                key = tuple(values.get(k) for k in partition_keys)
                if key not in seen:
                    seen.add(key)
                    parts.append(values)
        return parts


class _DataFrameReader:
    """``glueContext.create_data_frame``: the same sources, as Spark DataFrames."""

    def __init__(self, glue_context):
        self._gc = glue_context

    def from_catalog(self, *args, **kwargs):
        return self._gc.create_dynamic_frame_from_catalog(*args, **kwargs).toDF()

    def from_options(self, *args, **kwargs):
        return self._gc.create_dynamic_frame_from_options(*args, **kwargs).toDF()
