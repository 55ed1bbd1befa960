"""Every type mapping of the Athena engine, in one place.

* **Hive** type strings (the Glue catalog's column types) parsed by sqlglot: :func:`hive_type`;
* their **DuckDB** spelling for the SQL DuckDB runs: :func:`duckdb_type`;
* their **Arrow** type for tables parsed from text objects: :func:`arrow_type`;
* back from a query result's Arrow type to **Athena's** type name (``ColumnInfo``):
  :func:`athena_type`, and to the Hive type a CTAS table records: :func:`hive_type_of`;
* values as **Athena's result strings** (Java's number formatting): :func:`format_value`,
  :func:`java_double`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import re
from typing import Any, NamedTuple

import pyarrow as pa
import sqlglot
from sqlglot import exp

from .catalog import CatalogError
from .ttypes import T

# One value as pyarrow's to_pylist() gives it (None, bool, int, float, Decimal, str, bytes, date,
# datetime, time, timedelta, MonthDayNano, list, dict, [(key, value)]...): the type beside it says which.
Value = Any

# ---- Hive type strings --------------------------------------------------------------------


def hive_type(type_str: str) -> exp.DataType:
    return exp.DataType.build(type_str, dialect="hive")


@functools.lru_cache(maxsize=1024)  # sqlglot's parse costs ~0.1 ms; a wide table asks per column per query
def duckdb_type(type_str: str) -> str:
    return hive_type(type_str).sql("duckdb")


def arrow_type(dtype: exp.DataType) -> pa.DataType:
    t = dtype.this
    T = exp.DataType.Type
    simple = {
        T.TINYINT: pa.int8(),
        T.SMALLINT: pa.int16(),
        T.INT: pa.int32(),
        T.BIGINT: pa.int64(),
        T.DOUBLE: pa.float64(),
        T.FLOAT: pa.float32(),
        T.BOOLEAN: pa.bool_(),
        T.DATE: pa.date32(),
        T.TIMESTAMP: pa.timestamp("ms"),
        T.BINARY: pa.binary(),
        T.VARBINARY: pa.binary(),
    }
    if t in simple:
        return simple[t]
    if t == T.DECIMAL:
        params = [int(p.name) for p in dtype.expressions] or [10, 0]
        return pa.decimal128(params[0], params[1] if len(params) > 1 else 0)
    if t == T.ARRAY:
        return pa.list_(arrow_type(dtype.expressions[0]))
    if t == T.MAP:
        return pa.map_(arrow_type(dtype.expressions[0]), arrow_type(dtype.expressions[1]))
    if t == T.STRUCT:
        fields = []
        for f in dtype.expressions:
            fields.append(pa.field(f.name.lower(), arrow_type(f.args["kind"])))
        return pa.struct(fields)
    return pa.string()


def parse_type_or_fail(type_str: str) -> exp.DataType:
    try:
        return hive_type(type_str)
    except (sqlglot.errors.ParseError, ValueError) as exc:
        raise CatalogError("", f"Unsupported type: {type_str} ({exc})") from None


# ---- Athena's names for result types ------------------------------------------------------


class AthenaType(NamedTuple):
    name: str  # varchar, integer, bigint, double, ...
    precision: int = 0
    scale: int = 0


def athena_type(t: pa.DataType) -> AthenaType:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return AthenaType("varchar", 2147483647)
    if pa.types.is_boolean(t):
        return AthenaType("boolean")
    if pa.types.is_int8(t):
        return AthenaType("tinyint", 3)
    if pa.types.is_int16(t):
        return AthenaType("smallint", 5)
    if pa.types.is_int32(t):
        return AthenaType("integer", 10)
    if pa.types.is_integer(t):
        return AthenaType("bigint", 19)
    if pa.types.is_float32(t):
        return AthenaType("real", 17)
    if pa.types.is_floating(t):
        return AthenaType("double", 17)
    if pa.types.is_decimal(t):
        return AthenaType("decimal", t.precision, t.scale)
    if pa.types.is_date(t):
        return AthenaType("date")
    if pa.types.is_timestamp(t):
        return AthenaType("timestamp", 3)
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return AthenaType("array")
    if pa.types.is_map(t):
        return AthenaType("map")
    if pa.types.is_struct(t):
        return AthenaType("row")
    if pa.types.is_binary(t):
        return AthenaType("varbinary", 1073741824)
    return AthenaType("varchar", 2147483647)


def hive_type_of(t: pa.DataType) -> str:
    """Arrow type of a query result -> the Hive type Athena records for a CTAS column."""
    col = athena_type(t)
    if col.name == "varchar":
        return "string"
    if col.name == "decimal":
        return f"decimal({t.precision},{t.scale})"
    if col.name == "array":
        return f"array<{hive_type_of(t.value_type)}>"
    if col.name == "map":
        return f"map<{hive_type_of(t.key_type)},{hive_type_of(t.item_type)}>"
    if col.name == "row":
        return "struct<" + ",".join(f"{f.name}:{hive_type_of(f.type)}" for f in t) + ">"
    return {"integer": "int", "real": "float", "varbinary": "binary"}.get(col.name, col.name)


def hive_type_text(kind: exp.DataType) -> str:
    text = kind.sql("hive").lower()
    return re.sub(r"\s+", "", text) if text.startswith(("struct", "array", "map")) else text.replace(" ", "")


# ---- values as Athena prints them ----------------------------------------------------------


def java_double(x: float, single: bool = False) -> str:
    """``str(double)`` as Java (and so Athena) prints it: 100.0, 0.001, 1.0E7, 1.0E-4."""
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if str(x).startswith("-") else "0.0"
    if single:
        import numpy as np

        r = np.format_float_positional(np.float32(x), unique=True, trim="-")
        d = decimal.Decimal(r)
    else:
        d = decimal.Decimal(repr(x))
    if 1e-3 <= abs(x) < 1e7:
        s = format(d, "f")
        return s if "." in s else s + ".0"
    sign, digits, _ = d.as_tuple()
    digits = "".join(map(str, digits)).rstrip("0") or "0"
    mant = digits[0] + "." + (digits[1:] or "0")
    return f"{'-' if sign else ''}{mant}E{d.adjusted()}"


def format_value(v: Value, t: pa.DataType) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return java_double(v, pa.types.is_float32(t))
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.") + f"{v.microsecond // 1000:03d}"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bytes):
        return " ".join(f"{b:02x}" for b in v)
    if pa.types.is_map(t):
        return "{" + ", ".join(f"{format_value(k, t.key_type)}={format_value(x, t.item_type)}" for k, x in v) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(str(format_value(x, t.value_type)) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{f.name}={format_value(v.get(f.name), f.type)}" for f in t) + "}"
    return str(v)


# ---- values of Trino types as Athena prints them ----------------------------------------------------


def _ts_text(v: dt.datetime, precision: int) -> str:
    """A timestamp with at least millisecond digits (Athena prints timestamp(3) and wider)."""
    digits = max(3, min(precision, 6))
    return v.strftime("%Y-%m-%d %H:%M:%S.") + f"{v.microsecond:06d}"[:digits]


def _interval_text(v: Value, base: str) -> str:
    months, days, nanos = (v.months, v.days, v.nanoseconds) if hasattr(v, "months") else (0, v.days, 0)
    if isinstance(v, dt.timedelta):
        days, nanos = v.days, (v.seconds * 10**6 + v.microseconds) * 1000
    if base == "imonth":
        sign = "-" if months < 0 else ""
        return f"{sign}{abs(months) // 12}-{abs(months) % 12}"
    total_ms = (days * 86_400_000) + nanos // 1_000_000 + months * 30 * 86_400_000
    sign = "-" if total_ms < 0 else ""
    total_ms = abs(total_ms)
    d, rest = divmod(total_ms, 86_400_000)
    h, rest = divmod(rest, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{sign}{d} {h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _zone_local(instant: dt.datetime, zone: str) -> dt.datetime:
    import zoneinfo

    if zone == "UTC":
        return instant.replace(tzinfo=None)
    m = re.fullmatch(r"([+-])(\d\d):(\d\d)", zone)
    if m:
        off = dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
        return instant.replace(tzinfo=None) + (off if m.group(1) == "+" else -off)
    return instant.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)


def format_trino(v: Value, t: T) -> str | None:
    """One value of Trino type ``t`` as GetQueryResults prints it (tests/athena_conformance/README)."""
    return None if v is None else format_present(v, t)


def format_present(v: Value, t: T) -> str:
    """A value that is not NULL, as :func:`format_trino` prints it."""
    b = t.base
    if b == "boolean":
        return "true" if v else "false"
    if b in ("double", "real"):
        return java_double(float(v), b == "real")
    if b == "decimal":
        return format(v, "f") if isinstance(v, decimal.Decimal) else str(v)
    if b == "timestamp":
        return _ts_text(v, t.params[0] if t.params else 3)
    if b == "timestamptz":
        p = t.params[0] if t.params else 3
        if isinstance(v, dict) and "l" in v:
            return f"{_ts_text(v['l'], p)} {v['z']}"
        return f"{_ts_text(_zone_local(v['i'], v['z']), p)} {v['z']}"
    if b == "date":
        return v.isoformat()
    if b == "time":
        return v.strftime("%H:%M:%S.") + f"{v.microsecond // 1000:03d}"
    if b in ("iday", "imonth"):
        return _interval_text(v, b)
    if b == "varbinary":
        return " ".join(f"{x:02x}" for x in v)
    if b == "array":
        return "[" + ", ".join(_nested(x, t.element) for x in v) + "]"
    if b == "map":
        items = v.items() if isinstance(v, dict) else v
        return "{" + ", ".join(f"{_nested(k, t.params[0])}={_nested(x, t.params[1])}" for k, x in items) + "}"
    if b == "row":
        from .ttypes import field_name

        return (
            "{"
            + ", ".join(
                f"{n or field_name(t, i)}={_nested(v.get(field_name(t, i)), ft)}" for i, (n, ft) in enumerate(t.params)
            )
            + "}"
        )
    if isinstance(v, float):
        return java_double(v)
    return str(v)


def _nested(v: Value, t: T) -> str:
    text = format_trino(v, t)
    return "null" if text is None else text
