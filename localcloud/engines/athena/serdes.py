"""Hive SerDes for text objects: JSON (OpenX / Hive JSON), CSV (OpenCSVSerde) and delimited
text (LazySimpleSerDe), parsed into Arrow tables of the catalog's column types.

Strictness follows each SerDe: JSON and OpenCSV fail the query on a value that does not fit
its column (``HIVE_BAD_DATA``); LazySimpleSerDe reads it as NULL.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from collections.abc import Callable, Mapping, Sequence

import pyarrow as pa
from sqlglot import exp

from .catalog import CatalogError, TableInfo
from .types import arrow_type, hive_type, java_double


class BadData(CatalogError):
    def __init__(self, message: str) -> None:
        super().__init__("HIVE_BAD_DATA", message)


def _converter(dtype: exp.DataType, strict: bool) -> Callable[[object], object]:
    """value (JSON/CSV) -> Python value for ``dtype``; bad values raise ValueError (or give None)."""
    T = exp.DataType.Type
    t = dtype.this

    def text(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return java_double(v)
        if isinstance(v, (dict, list)):
            return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
        return str(v)

    def integer(v: object) -> int:
        if isinstance(v, bool):
            raise ValueError(v)
        if isinstance(v, int):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return int(str(v).strip())

    def real(v: object) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):  # a JSON array or object
            raise ValueError(v)
        return float(v)

    def boolean(v: object) -> bool:
        if isinstance(v, bool):
            return v
        s = str(v).strip().lower()
        if s in ("true", "false"):
            return s == "true"
        raise ValueError(v)

    def dec(v: object) -> decimal.Decimal:
        params = [int(p.name) for p in dtype.expressions] or [10, 0]
        scale = params[1] if len(params) > 1 else 0
        return decimal.Decimal(str(v).strip()).quantize(decimal.Decimal(1).scaleb(-scale))

    def date(v: object) -> dt.date:
        return dt.date.fromisoformat(str(v).strip()[:10])

    def timestamp(v: object) -> dt.datetime:
        return dt.datetime.fromisoformat(str(v).strip().replace("T", " ").rstrip("Z"))

    table = {
        T.TEXT: text,
        T.VARCHAR: text,
        T.CHAR: text,
        T.TINYINT: integer,
        T.SMALLINT: integer,
        T.INT: integer,
        T.BIGINT: integer,
        T.DOUBLE: real,
        T.FLOAT: real,
        T.BOOLEAN: boolean,
        T.DECIMAL: dec,
        T.DATE: date,
        T.TIMESTAMP: timestamp,
    }
    return table.get(t, lambda v: v)


def to_array(values: Sequence[object], dtype: exp.DataType, strict: bool, where: str, index: int) -> pa.Array:
    conv = _converter(dtype, strict)
    is_text = dtype.this in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR)
    out: list[object] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        if not is_text and v == "" and not strict:
            out.append(None)  # LazySimpleSerDe: an empty field of a non-string column is NULL
            continue
        try:
            out.append(conv(v))
        except (ValueError, TypeError, decimal.InvalidOperation, ArithmeticError):
            if not strict:
                out.append(None)
                continue
            raise BadData(
                f"Error parsing field value '{v}' for field {index}: For input string: \"{v}\" ({where})"
            ) from None
    try:
        return pa.array(out, type=arrow_type(dtype))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        if not strict:
            return pa.array([None] * len(out), type=arrow_type(dtype))
        raise BadData(f"Error parsing column {index} ({where}): {exc}") from None


# ---- text formats ----------------------------------------------------------------------------


def _json_rows(data: bytes, names: list[str], ignore_malformed: bool, where: str) -> list[list[object]]:
    cols: list[list[object]] = [[] for _ in names]
    for lineno, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("A JSONObject text must begin with '{'")
        except ValueError as exc:
            if not ignore_malformed:
                raise BadData(
                    f"Row is not a valid JSON Object - JSONException: {exc} ({where}, line {lineno})"
                ) from None
            for c in cols:  # OpenX returns a row of NULLs for a malformed line it ignores
                c.append(None)
            continue
        lower = {k.lower(): v for k, v in obj.items()}
        for c, n in zip(cols, names):
            c.append(lower.get(n))
    return cols


def _text_rows(data: bytes, names: list[str], serde_params: Mapping[str, str], skip: int) -> list[list[object]]:
    delim = serde_params.get("field.delim") or serde_params.get("serialization.format") or "\x01"
    if delim.isdigit() and len(delim) > 1:
        delim = chr(int(delim))
    null = serde_params.get("serialization.null.format", "\\N")
    text = data.decode("utf-8", "replace")
    lines = text.split(serde_params.get("line.delim", "\n"))
    if lines and lines[-1] == "":
        lines.pop()
    cols: list[list[object]] = [[] for _ in names]
    for line in lines[skip:]:
        fields = line.split(delim)
        for i, c in enumerate(cols):
            v = fields[i] if i < len(fields) else None
            c.append(None if v == null else v)
    return cols


def _opencsv_rows(data: bytes, names: list[str], serde_params: Mapping[str, str], skip: int) -> list[list[object]]:
    sep = serde_params.get("separatorChar", ",")
    quote = serde_params.get("quoteChar", '"')
    esc = serde_params.get("escapeChar", "\\")
    reader = csv.reader(
        io.StringIO(data.decode("utf-8", "replace"), newline=""), delimiter=sep, quotechar=quote, escapechar=esc
    )
    cols: list[list[object]] = [[] for _ in names]
    for n, fields in enumerate(reader):
        if n < skip or not fields:
            continue
        for i, c in enumerate(cols):
            c.append(fields[i] if i < len(fields) else None)
    return cols


def parse_text(table: TableInfo, data: bytes, where: str) -> pa.Table:
    """One text object of ``table`` as an Arrow table of its (non-partition) columns."""
    names = [n for n, _ in table.columns]
    skip = int(table.params.get("skip.header.line.count", table.serde_params.get("skip.header.line.count", 0)) or 0)
    fmt = table.fmt
    if fmt == "json":
        ignore = str(table.serde_params.get("ignore.malformed.json", "false")).lower() == "true"
        cols, strict = _json_rows(data, names, ignore, where), True
    elif fmt == "opencsv":
        cols, strict = _opencsv_rows(data, names, table.serde_params, skip), True
    else:
        cols, strict = _text_rows(data, names, table.serde_params, skip), False
    arrays = [
        to_array(vals, hive_type(t), strict, where, i) for i, (vals, (_, t)) in enumerate(zip(cols, table.columns))
    ]
    return pa.Table.from_arrays(arrays, names=names)
