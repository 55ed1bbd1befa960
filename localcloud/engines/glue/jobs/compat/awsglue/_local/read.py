"""Staged files -> (Spark DataFrame, schema tree), the way Glue's readers type records.

JSON and CSV are parsed record by record in Python first: each record's own types are what
make a DynamicFrame schema (an ``int`` in one file and a ``string`` in another give a
``choice``), which Spark's schema inference cannot tell (it widens both to string). The records
are then written as JSON Lines in the frame's layout and read by Spark with that exact schema.
Parquet files are typed by their footers (pyarrow) and read by Spark directly.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import schema as sc
from .run import NotSupportedLocally
from .s3io import Obj

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

TEXT_FORMATS = ("json", "csv")


_COMPRESSED = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\x28\xb5\x2f\xfd": "zstd", b"PK\x03\x04": "zip"}


def _check_plain(path: Path, url: str) -> None:
    with open(path, "rb") as fh:
        head = fh.read(4)
    for magic, name in _COMPRESSED.items():
        if head.startswith(magic):
            raise NotSupportedLocally(f"{name}-compressed input ({url})")


def _json_records(path: Path) -> Iterator[tuple[Any, int]]:  # (a JSON value, its record number)
    text = path.read_text(encoding="utf-8")
    try:
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                yield json.loads(line), n
        return
    except json.JSONDecodeError:
        pass
    try:  # one JSON document over several lines: an object, or an array of objects
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON in {path.name}: {exc}") from None
    for n, rec in enumerate(doc if isinstance(doc, list) else [doc], 1):
        yield rec, n


def _csv_records(
    path: Path, opts: dict[str, Any], names: list[str] | None, skip: int
) -> Iterator[tuple[dict[str, int | float | str | None], int]]:
    sep = opts.get("separator", ",")
    quote = opts.get("quoteChar", '"')
    with_header = bool(opts.get("withHeader", False))
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter=sep, quotechar=quote or None, quoting=csv.QUOTE_MINIMAL)
        header = None
        for n, row in enumerate(reader, 1):
            if n <= skip:
                continue
            if with_header and header is None:
                header = row
                continue
            cols = names or header or [f"col{i}" for i in range(len(row))]
            if not names and not header and len(cols) < len(row):
                cols = [f"col{i}" for i in range(len(row))]
            yield {c: sc.csv_value(row[i]) if i < len(row) else None for i, c in enumerate(cols)}, n


def _typed_partition(values: dict[str, str | None], types: dict[str, sc.T]) -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in values.items():
        t = types.get(k, sc.T("string"))
        if v is None or t.kind == "string":
            out[k] = v
        elif t.kind in ("int", "long", "short", "byte"):
            out[k] = int(v)
        elif t.kind in ("double", "float") or t.kind.startswith("decimal"):
            out[k] = float(v)
        else:
            out[k] = v
    return out


def read_text(
    spark: SparkSession,
    objs: list[Obj],
    fmt: str,
    opts: dict[str, Any],
    scratch: Path,
    partition_types: dict[str, sc.T] | None = None,
) -> tuple[DataFrame, sc.T]:
    partition_types = partition_types or {}
    names = opts.get("_column_names")
    skip = int(opts.get("_skip_lines", 0))
    node = sc.struct({})
    records: list[dict[str, Any]] = []
    for o in objs:
        _check_plain(o.staged, o.url)
        rows: Iterator[tuple[Any, int]]
        if fmt == "json":
            rows = _json_records(o.staged)
        else:
            rows = _csv_records(o.staged, opts, names, skip)
        part = _typed_partition(o.partition, partition_types)
        for rec, n in rows:
            if not isinstance(rec, dict):
                raise ValueError(f"{o.url} record {n} is not a JSON object")
            if part:
                rec = {**rec, **part}
            t = sc.struct({k: (sc.of_csv(v) if fmt == "csv" else sc.of_json(v)) for k, v in rec.items()})
            node = sc.merge(node, t)
            records.append(rec)
    for k in partition_types:  # partition columns keep their catalog type even when a value is missing
        if k in node.fields and node.fields[k].kind == "null":
            node.fields[k] = partition_types[k]
    return frame_from_records(spark, records, node, scratch)


def frame_from_records(
    spark: SparkSession, records: list[dict[str, Any]], node: sc.T, scratch: Path
) -> tuple[DataFrame, sc.T]:
    """Spark reads the records in ``node``'s layout (choices wrapped) with ``node``'s exact schema."""
    path = scratch / "records.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(sc.rewrite(rec, node), separators=(",", ":")) + "\n")
    if not node.fields:
        return spark.createDataFrame([], sc.to_spark_schema(node)), node
    df = spark.read.schema(sc.to_spark_schema(node)).option("mode", "FAILFAST").json(str(path))
    return df, node


# ---- Parquet -----------------------------------------------------------------------------------


def _arrow_tree(t: pa.DataType) -> sc.T:
    import pyarrow as pa

    if pa.types.is_struct(t):
        return sc.struct({t.field(i).name: _arrow_tree(t.field(i).type) for i in range(t.num_fields)})
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return sc.T("array", element=_arrow_tree(t.value_type))
    if pa.types.is_decimal(t):
        return sc.T(f"decimal({t.precision},{t.scale})")
    if pa.types.is_timestamp(t):
        return sc.T("timestamp")
    simple = {
        "bool": "boolean",
        "int8": "byte",
        "int16": "short",
        "int32": "int",
        "int64": "long",
        "float": "float",
        "double": "double",
        "string": "string",
        "large_string": "string",
        "date32[day]": "date",
        "binary": "binary",
        "large_binary": "binary",
        "null": "null",
    }
    if str(t) in simple:
        return sc.T(simple[str(t)])
    raise NotSupportedLocally(f"Parquet column type {t}")


def read_parquet(
    spark: SparkSession, objs: list[Obj], partition_types: dict[str, sc.T] | None = None
) -> tuple[DataFrame, sc.T]:
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    partition_types = partition_types or {}
    groups: dict[str, list[Obj]] = {}
    trees: dict[str, sc.T] = {}
    for o in objs:
        arrow = pq.read_schema(o.local)
        node = sc.struct({f.name: _arrow_tree(f.type) for f in arrow})
        key = repr(node) + json.dumps(o.partition, sort_keys=True)
        groups.setdefault(key, []).append(o)
        trees[key] = node
    merged = sc.struct({})
    for node in trees.values():
        merged = sc.merge(merged, node)
    for k, t in partition_types.items():
        merged.fields[k] = t
    if not objs:
        return spark.createDataFrame([], sc.to_spark_schema(merged)), merged
    frames = []
    for key, members in groups.items():
        node = trees[key]
        df = spark.read.parquet(*[str(o.local) for o in members])
        cols = []
        for name, want in merged.fields.items():
            if name in partition_types:
                value = _typed_partition(members[0].partition, partition_types).get(name)
                cols.append(F.lit(value).cast(sc.to_spark(want)).alias(name))
            elif name not in node.fields:
                cols.append(F.lit(None).cast(sc.to_spark(want)).alias(name))
            elif want.kind == "choice":
                have = node.fields[name]
                member = have.name if have.name in want.fields else next(iter(want.fields))
                parts = [
                    (F.col(f"`{name}`") if m == member else F.lit(None)).cast(sc.to_spark(mt)).alias(m)
                    for m, mt in want.fields.items()
                ]
                cols.append(F.struct(*parts).alias(name))
            elif node.fields[name] == want:
                cols.append(F.col(f"`{name}`"))
            elif want.kind in ("struct", "array"):
                raise NotSupportedLocally(f"Parquet files whose nested column {name!r} differs between files")
            else:
                cols.append(F.col(f"`{name}`").cast(sc.to_spark(want)).alias(name))
        frames.append(df.select(*cols))
    out = frames[0]
    for f in frames[1:]:
        out = out.unionByName(f)
    return out, merged
