"""``UNLOAD ('select ...') TO 's3://bucket/prefix' IAM_ROLE ...``: query results to S3 objects.

File names follow Redshift's: with ``PARALLEL ON`` (the default) each slice writes its own file,
``<prefix><slice:04d>_part_00`` (``.parquet``/``.csv``/``.json`` when the format has an
extension); with ``PARTITION BY (col)`` the files go under ``<prefix>col=value/``; with
``PARALLEL OFF`` one file ``<prefix>000``.  Which result rows land on which slice is a
simulation (the result is cut into consecutive runs, one per slice, keeping ORDER BY order
inside each file).  An existing destination fails as Redshift does unless ``ALLOWOVERWRITE``.
Parquet files are written with pyarrow using Redshift's type mapping, so Athena reads them back.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from .errors import SqlError, not_supported
from .loadopts import parse_authorization, resolve_role, split_s3
from .pgwire import Field
from .sqltext import Cursor, parse_query, substitute_session_functions, tree_to_postgres

if TYPE_CHECKING:
    from .session import Session, Sink

_ARROW = {
    21: pa.int16(),
    23: pa.int32(),
    20: pa.int64(),
    700: pa.float32(),
    701: pa.float64(),
    16: pa.bool_(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}


def parse_unload(sql: str) -> dict:
    # sqlglot reads UNLOAD as a command and the rest as one string: tokenize what follows it
    head = re.match(r"\s*unload\b", sql, re.I)
    if not head:
        raise SqlError("syntax error: UNLOAD expected", "42601")
    c = Cursor(sql[head.end() :])
    c.expect("(")
    query = c.string()
    c.expect(")")
    c.expect("to")
    opts: dict = {"query": query, "target": c.string(), "format": "text", "parallel": True, "partition": None}
    while not c.at_end():
        if parse_authorization(c, opts):
            continue
        if c.accept("format"):
            c.accept("as")
            fmt = c.ident()
            if fmt not in ("csv", "parquet", "json"):
                raise not_supported(f"UNLOAD FORMAT {fmt.upper()}")
            opts["format"] = fmt
            continue
        w = c.word()
        if w in ("csv", "parquet", "json"):
            c.next()
            opts["format"] = w
        elif w == "partition":
            c.next()
            c.expect("by")
            opts["partition"] = c.paren_list()
            opts["include"] = c.accept("include")
        elif w == "parallel":
            c.next()
            val = c.word()
            if val in ("on", "true", "off", "false"):
                c.next()
                opts["parallel"] = val in ("on", "true")
        elif w in ("header", "allowoverwrite", "addquotes", "cleanpath"):
            c.next()
            opts[w] = True
        elif w == "delimiter":
            c.next()
            c.accept("as")
            opts["delimiter"] = c.string()
        elif w == "null":
            c.next()
            c.expect("as")
            opts["null_as"] = c.string()
        elif w == "region":
            c.next()
            c.accept("as")
            opts["region"] = c.string()
        elif w == "extension":
            c.next()
            opts["extension"] = c.string()
        elif w == "maxfilesize":
            c.next()
            c.accept("as")
            c.number()
            if c.word() in ("mb", "gb"):
                c.next()
        elif w in (
            "manifest",
            "encrypted",
            "gzip",
            "bzip2",
            "zstd",
            "fixedwidth",
            "escape",
            "rowgroupsize",
            "kms_key_id",
        ):
            raise not_supported(f"UNLOAD option {w.upper()}")
        else:
            raise SqlError(f'syntax error at or near "{c.near()}"', "42601")
    if opts["format"] == "parquet" and ("delimiter" in opts or opts.get("header") or opts.get("addquotes")):
        raise SqlError("DELIMITER, HEADER and ADDQUOTES can't be used with FORMAT PARQUET", "42601")
    return opts


def run_unload(session: Session, sql: str, sink: Sink) -> None:
    opts = parse_unload(sql)
    resolve_role(session, opts)
    s3 = session.warehouse.hooks.s3
    if s3 is None:
        raise not_supported("UNLOAD without an S3 writer (the warehouse was not wired to S3)")
    if opts.get("cleanpath"):
        raise not_supported("UNLOAD CLEANPATH (delete the prefix first, or use ALLOWOVERWRITE)")
    bucket, prefix = split_s3(opts["target"])
    from .io import NoSuchBucket

    try:
        existing = s3.list(bucket, prefix)
    except NoSuchBucket:
        raise SqlError("S3ServiceException:The specified bucket does not exist,Status 404", "XX000") from None
    if existing and not opts.get("allowoverwrite"):
        raise SqlError(
            "Specified unload destination on S3 is not empty. Consider using a different bucket / prefix, manually "
            "removing the target files in S3, or using the ALLOWOVERWRITE option.",
            "XX000",
        )
    query = substitute_session_functions(opts["query"], session.last)
    tree = parse_query(query)
    if tree is not None:
        refs = [t for t in tree.find_all(exp.Table) if t.db]
        external = session.warehouse.external_schemas(session.database) if refs else {}
        if any(t.db.lower() in external for t in refs):
            from .external import plan_external

            plan = plan_external(session, query, tree, [t for t in refs if t.db.lower() in external], external)
            if plan.prepare is not None:
                plan.prepare()
            query_pg = plan.pg_sql
        else:
            query_pg = tree_to_postgres(tree)
    else:
        query_pg = query
    result = session.conn.query(query_pg)
    if result.fields is None:
        raise SqlError("UNLOAD needs a query that returns rows", "42601")
    names = [f.name for f in result.fields]
    part_cols = opts["partition"] or []
    for p in part_cols:
        if p not in names:
            raise SqlError(f'PARTITION BY column "{p}" is not in the query\'s select list', "42703")
    rows = result.text_rows()
    groups: dict[tuple, list] = {}
    idx = [names.index(p) for p in part_cols]
    for r in rows:
        groups.setdefault(tuple(r[i] for i in idx), []).append(r)
    if not groups:
        groups[()] = []
    keep = [i for i in range(len(names)) if i not in idx or opts.get("include")]
    fields = [result.fields[i] for i in keep]
    ext = {"parquet": ".parquet", "csv": ".csv", "json": ".json"}.get(opts["format"], "")
    if "extension" in opts:
        ext = "." + opts["extension"].lstrip(".")
    slices = session.warehouse.topology.slices
    written = 0
    for key, group in groups.items():
        folder = prefix + "".join(
            f"{c}={'__HIVE_DEFAULT_PARTITION__' if v is None else v}/" for c, v in zip(part_cols, key)
        )
        data = [[r[i] for i in keep] for r in group]
        if opts["parallel"]:
            n = max(1, min(slices, len(data)))
            size = -(-len(data) // n) if data else 0
            chunks = [(f"{s:04d}_part_00", data[s * size : (s + 1) * size]) for s in range(n)]
            chunks = [c for c in chunks if c[1]] or ([("0000_part_00", [])] if not part_cols else [])
        else:
            chunks = [("000", data)]
        for suffix, chunk in chunks:
            body = _encode(chunk, fields, opts)
            s3.put(bucket, folder + suffix + ext, body)
            written += len(chunk)
    session.last["unload_count"] = written
    sink.notice(f"UNLOAD completed, {written} record(s) unloaded successfully.")
    sink.done("UNLOAD")


def _encode(rows: list[list[str | None]], fields: list[Field], opts: dict) -> bytes:
    fmt = opts["format"]
    if fmt == "parquet":
        arrays, schema = [], []
        for i, f in enumerate(fields):
            col = [r[i] for r in rows]
            typ, values = _arrow_column(f, col)
            arrays.append(pa.array(values, type=typ))
            schema.append(pa.field(f.name, typ))
        table = pa.Table.from_arrays(arrays, schema=pa.schema(schema))
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="snappy")
        return buf.getvalue()
    if fmt == "json":
        out = []
        for r in rows:
            obj = {f.name: _json_value(v, f.type_oid) for f, v in zip(fields, r) if v is not None}
            out.append(json.dumps(obj))
        return ("\n".join(out) + ("\n" if out else "")).encode()
    delim = opts.get("delimiter", "," if fmt == "csv" else "|")
    null = opts.get("null_as", "")
    buf = io.StringIO()
    if fmt == "csv":
        w = csv.writer(buf, delimiter=delim, lineterminator="\n")
        if opts.get("header"):
            w.writerow([f.name for f in fields])
        for r in rows:
            w.writerow([null if v is None else v for v in r])
    else:
        if opts.get("header"):
            buf.write(delim.join(f.name for f in fields) + "\n")
        q = '"' if opts.get("addquotes") else ""
        for r in rows:
            buf.write(delim.join(null if v is None else f"{q}{v}{q}" for v in r) + "\n")
    return buf.getvalue().encode()


def _arrow_column(f: Field, col: list[str | None]) -> tuple[pa.DataType, Sequence[object]]:
    oid = f.type_oid
    if oid in (21, 23, 20):
        return _ARROW[oid], [None if v is None else int(v) for v in col]
    if oid in (700, 701):
        return _ARROW[oid], [None if v is None else float(v) for v in col]
    if oid == 16:
        return pa.bool_(), [None if v is None else v == "t" for v in col]
    if oid == 1082:
        return pa.date32(), [None if v is None else dt.date.fromisoformat(v) for v in col]
    if oid in (1114, 1184):
        return _ARROW[oid], [None if v is None else dt.datetime.fromisoformat(v) for v in col]
    if oid == 1700:
        if f.typmod > 0:
            p, s = ((f.typmod - 4) >> 16) & 0xFFFF, (f.typmod - 4) & 0xFFFF
        else:  # an expression's numeric: Redshift's result type is DECIMAL(38, s)
            s = max((len(v.split(".")[1]) if v and "." in v else 0) for v in col) if col else 0
            p = 38
        q = decimal.Decimal(1).scaleb(-s)
        return pa.decimal128(p, s), [None if v is None else decimal.Decimal(v).quantize(q) for v in col]
    return pa.string(), col


def _json_value(v: str, oid: int) -> str | int | float | bool:
    if oid in (21, 23, 20):
        return int(v)
    if oid in (700, 701):
        return float(v)
    if oid == 16:
        return v == "t"
    return v
