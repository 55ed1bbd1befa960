"""Writing data: INSERT INTO, UNLOAD and the files CTAS writes (introduced for lab 04).

* ``INSERT INTO t [(cols)] SELECT ... | VALUES ...`` writes new files (each INSERT its own, never
  appending) under the table's location, or under each partition's (``k=v/`` folders, new
  partitions registered in Glue), in the table's format: Parquet, Hive JSON, or delimited text
  (LazySimpleSerDe): the formats Athena's INSERT supports that localcloud can write
  (https://docs.aws.amazon.com/athena/latest/ug/insert-into.html).  The query's column types
  must match the table's as Trino requires ("Insert query has mismatched column types").
* ``UNLOAD (SELECT ...) TO 's3://...' WITH (format = ...)`` writes the rows as files under an
  empty location: Parquet (gzip unless ``compression`` says otherwise), JSON or TEXTFILE (gzip)
  (https://docs.aws.amazon.com/athena/latest/ug/unload.html).
* Every write reports the files it wrote: the engine stores them as the query's data manifest
  (``<id>-manifest.csv``, ``Statistics.DataManifestLocation``), which awswrangler reads.
"""

from __future__ import annotations

import decimal
import gzip
import io
import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from . import catalog as cat
from . import ttypes
from .catalog import CatalogError
from .results import Column, Result
from .s3store import S3Store, split_s3
from .sql import Cursors, SelectRunner
from .ttypes import T
from .types import Value, format_present, format_trino

HIVE_JSON = "org.apache.hive.hcatalog.data.JsonSerDe"
PARQUET_CODECS = {
    "GZIP": "gzip",
    "SNAPPY": "snappy",
    "ZSTD": "zstd",
    "NONE": "none",
    "UNCOMPRESSED": "none",
    "LZ4": "lz4",
}


@dataclass
class Written:
    """What a write produced: rows, the data files (for the manifest), new partitions."""

    rows: int = 0
    files: list[str] = field(default_factory=list)
    partitions: list[tuple[list[str], str]] = field(default_factory=list)


# ---- encoding rows as files -------------------------------------------------------------------------


def _json_value(v: Value, t: T) -> str:
    if v is None:
        return "null"
    b = t.base
    if b == "boolean":
        return "true" if v else "false"
    if t.is_integer:
        return str(int(v))
    if b in ("double", "real"):
        return json.dumps(float(v)) if v == v and v not in (float("inf"), float("-inf")) else json.dumps(str(v))
    if b == "decimal":
        return format(v, "f") if isinstance(v, decimal.Decimal) else str(v)
    if b == "array":
        return "[" + ",".join(_json_value(x, t.element) for x in v) + "]"
    if b == "map":
        items = v.items() if isinstance(v, dict) else v
        return (
            "{"
            + ",".join(f"{json.dumps(format_trino(k, t.params[0]))}:{_json_value(x, t.params[1])}" for k, x in items)
            + "}"
        )
    if b == "row":
        return (
            "{"
            + ",".join(
                f"{json.dumps(n or ttypes.field_name(t, i))}:{_json_value(v.get(ttypes.field_name(t, i)), ft)}"
                for i, (n, ft) in enumerate(t.params)
            )
            + "}"
        )
    return json.dumps(format_present(v, t), ensure_ascii=False)


def encode(
    chunk: pa.Table, types: list[T], fmt: str, serde_params: Mapping[str, str], compression: str | None = None
) -> bytes:
    """Rows as one file of a table format: PARQUET, JSON (one object a line) or TEXTFILE."""
    if fmt == "PARQUET":
        buf = io.BytesIO()
        pq.write_table(chunk, buf, compression=PARQUET_CODECS.get((compression or "GZIP").upper(), "gzip"))
        return buf.getvalue()
    names = chunk.column_names
    columns = [c.to_pylist() for c in chunk.columns]
    lines = []
    if fmt == "JSON":
        for row in zip(*columns):
            lines.append(
                "{" + ",".join(f"{json.dumps(n)}:{_json_value(v, t)}" for n, v, t in zip(names, row, types)) + "}"
            )
    else:
        delim = serde_params.get("field.delim", "\x01")
        null = serde_params.get("serialization.null.format", "\\N")
        for t in types:
            if t.base in ("array", "map", "row"):
                raise CatalogError("NOT_SUPPORTED", f"localcloud does not write {t} values to text files")
        for row in zip(*columns):
            lines.append(delim.join(null if v is None else format_present(v, t) for v, t in zip(row, types)))
    body = "".join(line + "\n" for line in lines).encode()
    if (compression or "").upper() == "GZIP":
        return gzip.compress(body, mtime=0)
    return body


def split_partitions(data: pa.Table, types: list[T], pcols: list[str]) -> list[tuple[list[str], pa.Table]]:
    """[(partition values as Hive folder text, rows)] for the partition columns ``pcols``."""
    if not pcols:
        return [([], data)]
    by_name = dict(zip(data.column_names, types))
    keys = data.select(pcols).to_pylist()
    order: dict[tuple[Value, ...], list[int]] = {}
    for i, k in enumerate(keys):
        order.setdefault(tuple(k[c] for c in pcols), []).append(i)
    out = []
    for combo in sorted(order, key=lambda c: tuple("" if v is None else str(v) for v in c)):
        values = [
            "__HIVE_DEFAULT_PARTITION__" if v is None else urllib.parse.quote(format_present(v, by_name[c]), safe=" ")
            for v, c in zip(combo, pcols)
        ]
        out.append((values, data.take(pa.array(order[combo]))))
    return out


def _decoded(values: list[str]) -> list[str]:
    return [v if v == "__HIVE_DEFAULT_PARTITION__" else urllib.parse.unquote(v) for v in values]


def write_rows(
    store: S3Store,
    data: pa.Table,
    types: list[T],
    location: str,
    pcols: list[str],
    fmt: str,
    serde_params: Mapping[str, str],
    name: str,
    compression: str | None = None,
    known: Mapping[tuple[str, ...], str] | None = None,
    keys: list[tuple[str, str]] | None = None,
    suffix: str = "",
) -> Written:
    """Put ``data`` under ``location`` (one folder per partition; ``known`` maps a registered
    partition's values to its location)."""
    out = Written(rows=data.num_rows)
    keep = [i for i, n in enumerate(data.column_names) if n not in pcols]
    for n, (values, chunk) in enumerate(split_partitions(data, types, pcols)):
        plain = _decoded(values)
        where = (known or {}).get(tuple(plain))
        if where is None:
            where = cat.partition_location(location, keys or [(c, "") for c in pcols], values) if pcols else location
            if pcols:
                out.partitions.append((plain, where))
        where = where if where.endswith("/") else where + "/"
        body = encode(chunk.select(keep), [types[i] for i in keep], fmt, serde_params, compression)
        url = f"{where}{name}_{n:05d}{suffix}"
        store.put(url, body)
        out.files.append(url)
    return out


# ---- INSERT INTO ----------------------------------------------------------------------------------------

_WRITABLE = {cat.PARQUET_SERDE: "PARQUET", HIVE_JSON: "JSON", cat.LAZY_SIMPLE: "TEXTFILE"}
_UNWRITABLE_HERE = {"org.apache.hadoop.hive.ql.io.orc.OrcSerde", "org.apache.hadoop.hive.serde2.avro.AvroSerDe"}


def insert(
    selects: SelectRunner, store: S3Store, ast: exp.Insert, default_db: str, qid: str, cancel: Cursors | None
) -> tuple[Result, Written, int]:
    target = ast.this
    columns = None
    if isinstance(target, exp.Schema):
        columns = [c.name.lower() for c in target.expressions]
        target = target.this
    info = selects._info(target, default_db)
    if info.table_type == "VIRTUAL_VIEW":
        raise CatalogError("NOT_SUPPORTED", f"Inserting into views is not supported: {info.database}.{info.name}")
    serde = info.serde or cat.LAZY_SIMPLE
    if info.fmt == "parquet":
        fmt = "PARQUET"
    else:
        fmt = _WRITABLE.get(serde)
    if fmt is None:
        if serde in _UNWRITABLE_HERE:
            raise CatalogError("NOT_SUPPORTED", f"localcloud cannot write {serde} files (INSERT INTO {info.name})")
        raise CatalogError(
            "HIVE_UNSUPPORTED_FORMAT",
            f"Output format {info.input_format or 'text'} with SerDe {serde} is not supported.",
        )
    table_cols = [(n, ttypes.from_hive(t)) for n, t in info.all_columns]
    names = [n for n, _ in table_cols]
    if columns is not None:
        unknown = [c for c in columns if c not in names]
        if unknown:
            raise CatalogError("COLUMN_NOT_FOUND", f"line 1:1: Insert column name does not exist: {unknown[0]}")
    targets = columns if columns is not None else names
    # the query, coerced to the table's column types (or refused as Trino refuses it)
    tr, out = selects.translate(ast.expression, default_db)
    wanted = [dict(table_cols)[c] for c in targets]
    if len(out.types) != len(wanted) or not all(ttypes.can_coerce(a, b) for a, b in zip(out.types, wanted)):
        raise CatalogError(
            "TYPE_MISMATCH",
            f"line 1:1: Insert query has mismatched column types: Table: [{', '.join(str(t) for t in wanted)}], "
            f"Query: [{', '.join(str(t) for t in out.types)}]",
        )
    from . import duck

    given = dict(zip(targets, range(len(targets))))
    cols = []
    for n, t in table_cols:
        if n in given:
            i = given[n]
            cols.append(duck.alias(tr.coerce(duck.col(f"c{i}", "__ins"), out.types[i], t), n))
        else:
            cols.append(duck.alias(duck.cast(duck.null(), t), n))
    wrapped = exp.select(*cols).from_(exp.Subquery(this=out.node, alias=exp.TableAlias(this=duck.ident("__ins"))))
    types = [t for _, t in table_cols]
    data, scanned = selects.run_translated(tr, wrapped, types, cancel)
    data = data.rename_columns(names)
    pcols = [k for k, _ in info.partition_keys]
    known = {tuple(v): loc for v, loc in info.partitions}
    written = write_rows(
        store, data, types, info.location, pcols, fmt, info.serde_params, qid, known=known, keys=info.partition_keys
    )
    if written.partitions:
        cat.add_partitions(info.database, info.name, written.partitions, if_not_exists=True)
    res = Result([Column("rows", "bigint", 19)], [[str(written.rows)]], update_count=written.rows)
    return res, written, scanned


# ---- UNLOAD ---------------------------------------------------------------------------------------------


def _matching_paren(text: str, start: int) -> int:
    depth, i, quote = 0, start, None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise CatalogError("SYNTAX_ERROR", "line 1:1: mismatched input '<EOF>'. Expecting: ')'")


def parse_unload(text: str) -> tuple[str, str, dict[str, str]]:
    """(query, target location, options) of ``UNLOAD (query) TO 's3://...' WITH (...)``."""
    m = re.match(r"\s*UNLOAD\s*\(", text, re.I)
    if not m:
        raise CatalogError("SYNTAX_ERROR", "line 1:1: mismatched input. Expecting: 'UNLOAD' '('")
    close = _matching_paren(text, m.end() - 1)
    query = text[m.end() : close]
    rest = text[close + 1 :]
    m = re.match(r"\s*TO\s*'((?:[^']|'')*)'\s*(?:WITH\s*\((.*)\))?\s*$", rest, re.I | re.S)
    if not m:
        raise CatalogError("SYNTAX_ERROR", "line 1:1: mismatched input. Expecting: TO 's3://...' WITH (...)")
    opts = {}
    for key, value in re.findall(r"(\w+)\s*=\s*('(?:[^']|'')*'|ARRAY\s*\[[^\]]*\]|[^,\s)]+)", m.group(2) or ""):
        v = value.strip()
        if v.startswith("'"):
            v = v[1:-1].replace("''", "'")
        opts[key.lower()] = v
    return query, m.group(1).replace("''", "'"), opts


def unload(
    selects: SelectRunner,
    store: S3Store,
    text: str,
    default_db: str,
    qid: str,
    cancel: Cursors | None,
    parse: Callable[[str], exp.Expr],
) -> tuple[Result, Written, int]:
    query, location, opts = parse_unload(text)
    fmt = (opts.get("format") or "").upper()
    if not fmt:
        raise CatalogError("INVALID_TABLE_PROPERTY", "Missing required property: format")
    if fmt in ("ORC", "AVRO", "ION"):
        raise CatalogError("NOT_SUPPORTED", f"localcloud cannot write UNLOAD format {fmt}")
    if fmt not in ("PARQUET", "JSON", "TEXTFILE"):
        raise CatalogError("INVALID_TABLE_PROPERTY", f"Unsupported format: {fmt}")
    split_s3(location)
    location += "" if location.endswith("/") else "/"
    pcols = [c.strip().strip("'\"").lower() for c in re.findall(r"'([^']*)'", opts.get("partitioned_by", ""))]
    if store.has_objects(location) and not pcols:
        raise CatalogError(
            "HIVE_PATH_ALREADY_EXISTS",
            f"Target directory for the query already exists: {location}. You may need to manually clean the data "
            f"at location '{location}' before retrying. Athena will not delete data in your account.",
        )
    q = selects.run(parse(query), default_db, cancel, for_write=True)
    if pcols and q.names[-len(pcols) :] != pcols:
        raise CatalogError(
            "HIVE_COLUMN_ORDER_MISMATCH",
            "Partition keys must be the last columns in the table and in the same order as the table properties: "
            f"[{', '.join(pcols)}]",
        )
    data = q.table.rename_columns(q.names)
    compression = opts.get("compression") or ("GZIP" if fmt != "PARQUET" else "GZIP")
    delim = opts.get("field_delimiter", "\x01")
    suffix = ".gz" if fmt != "PARQUET" and compression.upper() == "GZIP" else ""
    types = [t if t.base != "timestamptz" else ttypes.TIMESTAMP3 for t in q.types]
    written = write_rows(
        store, data, types, location, pcols, fmt, {"field.delim": delim}, qid, compression=compression, suffix=suffix
    )
    return Result(header=False, update_count=written.rows), written, q.scanned


# ---- prepared statements and execution parameters ----------------------------------------------------------


def bind_parameters(ast: exp.Expr, values: list[exp.Expr]) -> exp.Expr:
    """Replace each ``?`` in order by one parameter value (parsed on its own: never SQL text)."""
    holes = [n for n in ast.walk(bfs=False) if isinstance(n, exp.Placeholder)]
    if len(holes) != len(values):
        raise CatalogError(
            "INVALID_PARAMETER_USAGE",
            f"line 1:1: Incorrect number of parameters: expected {len(holes)} but found {len(values)}",
        )
    for hole, value in zip(holes, values):
        hole.replace(value.copy())
    return ast
