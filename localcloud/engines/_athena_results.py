"""Query results the way Athena returns them: strings, Athena type names, CSV in S3, pages.

* ``GetQueryResults`` rows are lists of ``{"VarCharValue": text}`` (``{}`` for NULL); a
  SELECT's first row repeats the column names, DDL and SHOW/DESCRIBE results have none.
* Numbers are printed as Athena (Java) prints them: ``1.003262885E7`` for a large double.
* The result file is ``<OutputLocation>/<id>.csv`` (every value double-quoted, NULL empty)
  plus ``<id>.csv.metadata``; DDL and utility statements write ``<id>.txt`` instead.
  Real Athena's ``.metadata`` is a binary encoding of the column info that no client in
  this course reads; localcloud writes the same column info as JSON.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from dataclasses import dataclass, field

import pyarrow as pa

MAX_RESULTS = 1000  # GetQueryResults' upper bound


@dataclass
class Column:
    name: str
    type: str  # Athena type name: varchar, integer, bigint, double, ...
    precision: int = 0
    scale: int = 0

    def info(self) -> dict:
        return {"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": self.name,
                "Label": self.name, "Type": self.type, "Precision": self.precision, "Scale": self.scale,
                "Nullable": "UNKNOWN", "CaseSensitive": self.type in ("varchar", "char", "json")}


@dataclass
class Result:
    columns: list[Column] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    header: bool = True  # SELECTs repeat the column names as the first row
    update_count: int | None = None

    @classmethod
    def text(cls, name: str, lines: list[str]) -> "Result":
        """A DDL/utility result: one varchar column, no header row."""
        return cls([Column(name, "varchar", 2147483647)], [[line] for line in lines], header=False)


def athena_type(t: pa.DataType) -> Column:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return Column("", "varchar", 2147483647)
    if pa.types.is_boolean(t):
        return Column("", "boolean")
    if pa.types.is_int8(t):
        return Column("", "tinyint", 3)
    if pa.types.is_int16(t):
        return Column("", "smallint", 5)
    if pa.types.is_int32(t):
        return Column("", "integer", 10)
    if pa.types.is_integer(t):
        return Column("", "bigint", 19)
    if pa.types.is_float32(t):
        return Column("", "real", 17)
    if pa.types.is_floating(t):
        return Column("", "double", 17)
    if pa.types.is_decimal(t):
        return Column("", "decimal", t.precision, t.scale)
    if pa.types.is_date(t):
        return Column("", "date")
    if pa.types.is_timestamp(t):
        return Column("", "timestamp", 3)
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return Column("", "array")
    if pa.types.is_map(t):
        return Column("", "map")
    if pa.types.is_struct(t):
        return Column("", "row")
    if pa.types.is_binary(t):
        return Column("", "varbinary", 1073741824)
    return Column("", "varchar", 2147483647)


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


def format_value(v, t: pa.DataType) -> str | None:
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
        return "{" + ", ".join(f"{format_value(k, t.key_type)}={format_value(x, t.item_type)}"
                               for k, x in v) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(str(format_value(x, t.value_type)) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{f.name}={format_value(v.get(f.name), f.type)}" for f in t) + "}"
    return str(v)


def from_arrow(table: pa.Table, names: list[str]) -> Result:
    cols, columns = [], []
    for name, arr in zip(names, table.columns):
        col = athena_type(arr.type)
        col.name = name
        columns.append(col)
        t = arr.type
        cols.append([format_value(v, t) for v in arr.to_pylist()])
    rows = [list(r) for r in zip(*cols)] if cols else []
    return Result(columns, rows)


# ---- S3 result files -----------------------------------------------------------------------------

def _quote(v: str | None) -> str:
    return "" if v is None else '"' + v.replace('"', '""') + '"'


def csv_bytes(res: Result) -> bytes:
    lines = [",".join(_quote(c.name) for c in res.columns)] if res.columns else []
    lines += [",".join(_quote(v) for v in row) for row in res.rows]
    return ("\n".join(lines) + "\n").encode() if lines else b""


def txt_bytes(res: Result) -> bytes:
    lines = ["\t".join("" if v is None else v for v in row) for row in res.rows]
    return ("\n".join(lines) + "\n").encode() if lines else b""


def metadata_bytes(res: Result) -> bytes:
    return json.dumps({"ColumnInfo": [c.info() for c in res.columns]}).encode()


# ---- GetQueryResults pages --------------------------------------------------------------------------

class BadToken(ValueError):
    pass


def page(res: Result, max_results: int | None, token: str | None) -> dict:
    rows = ([[c.name for c in res.columns]] if res.header and res.columns else []) + res.rows
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().split(":")[1])
        except (ValueError, IndexError):
            raise BadToken(token) from None
    n = max_results or MAX_RESULTS
    chunk = rows[start:start + n]
    doc = {"ResultSet": {
        "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in chunk],
        "ResultSetMetadata": {"ColumnInfo": [c.info() for c in res.columns]}}}
    if res.update_count is not None:
        doc["UpdateCount"] = res.update_count
    if start + n < len(rows):
        doc["NextToken"] = base64.urlsafe_b64encode(f"rows:{start + n}".encode()).decode()
    return doc
