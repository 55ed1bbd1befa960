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
import json
from dataclasses import dataclass, field

import pyarrow as pa

from .types import athena_type, format_trino, format_value

MAX_RESULTS = 1000  # GetQueryResults' upper bound


@dataclass
class Column:
    name: str
    type: str  # Athena type name: varchar, integer, bigint, double, ...
    precision: int = 0
    scale: int = 0

    def info(self) -> dict:
        return {
            "CatalogName": "hive",
            "SchemaName": "",
            "TableName": "",
            "Name": self.name,
            "Label": self.name,
            "Type": self.type,
            "Precision": self.precision,
            "Scale": self.scale,
            "Nullable": "UNKNOWN",
            "CaseSensitive": self.type in ("varchar", "char", "json"),
        }


@dataclass
class Result:
    columns: list[Column] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    header: bool = True  # SELECTs repeat the column names as the first row
    update_count: int | None = None

    @classmethod
    def text(cls, name: str, lines: list[str]) -> Result:
        """A DDL/utility result: one varchar column, no header row."""
        return cls([Column(name, "varchar", 2147483647)], [[line] for line in lines], header=False)


def from_arrow(table: pa.Table, names: list[str], types: list | None = None) -> Result:
    """A query's rows as Athena prints them; ``types`` are the Trino types (``ttypes.T``) of the
    columns (without them, the Arrow types decide, as for DDL-made results)."""
    cols, columns = [], []
    for i, (name, arr) in enumerate(zip(names, table.columns)):
        if types is not None:
            t = types[i]
            columns.append(Column(name, t.column_type, *t.precision_scale))
            cols.append([format_trino(v, t) for v in arr.to_pylist()])
            continue
        columns.append(Column(name, *athena_type(arr.type)))
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


def page(res: Result, max_results: int | None, token: str | None) -> dict[str, object]:
    rows = ([[c.name for c in res.columns]] if res.header and res.columns else []) + res.rows
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().split(":")[1])
        except (ValueError, IndexError):
            raise BadToken(token) from None
    n = max_results or MAX_RESULTS
    chunk = rows[start : start + n]
    doc: dict[str, object] = {
        "ResultSet": {
            "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in chunk],
            "ResultSetMetadata": {"ColumnInfo": [c.info() for c in res.columns]},
        }
    }
    if res.update_count is not None:
        doc["UpdateCount"] = res.update_count
    if start + n < len(rows):
        doc["NextToken"] = base64.urlsafe_b64encode(f"rows:{start + n}".encode()).decode()
    return doc
