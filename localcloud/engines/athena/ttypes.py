"""Trino's type system, as Athena engine version 3 uses it (introduced for lab 04).

A :class:`T` is one Trino type (``integer``, ``varchar(3)``, ``decimal(12,1)``,
``array(row(x bigint))``...).  This module knows

* how Trino **names** it (``typeof``) and how Athena reports it in ``ColumnInfo``;
* which types Trino **coerces** implicitly and to what common super type (numeric widening,
  varchar lengths, date -> timestamp; never between character and numeric types);
* the **Hive** column types of the Glue catalog as Trino types, and back (CTAS, INSERT);
* the **DuckDB** type that holds each Trino type when DuckDB runs the query.

Sources: https://trino.io/docs/current/language/types.html and
https://trino.io/docs/current/functions/conversion.html (implicit conversions); the rules for a
common super type follow Trino's TypeCoercion (decimal widening: decimal.html).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

INTEGERS = ("tinyint", "smallint", "integer", "bigint")
INT_DECIMAL = {"tinyint": (3, 0), "smallint": (5, 0), "integer": (10, 0), "bigint": (19, 0)}
MAX_DECIMAL = 38
NUMERIC = (*INTEGERS, "real", "double", "decimal")
VARCHAR_MAX = 2147483647


@dataclass(frozen=True)
class T:
    """One Trino type: ``base`` plus parameters.

    * decimal: ``(precision, scale)``; varchar/char: ``(length,)`` or ``()`` (unbounded);
    * timestamp / timestamp with time zone / time: ``(precision,)``;
    * array: ``(element,)``; map: ``(key, value)``; row: ``((name or None, T), ...)``.
    """

    base: str
    # Heterogeneous by base (see above): ints, Ts or (name, T) pairs; read by position.
    params: tuple[Any, ...] = ()

    # ---- names -----------------------------------------------------------------------------
    def __str__(self) -> str:
        """The name ``typeof`` prints: ``varchar(3)``, ``decimal(2,1)``, ``array(integer)``."""
        b, p = self.base, self.params
        if b in ("varchar", "char") and p:
            return f"{b}({p[0]})"
        if b == "decimal":
            return f"decimal({p[0]},{p[1]})"
        if b == "timestamp":
            return f"timestamp({p[0]})"
        if b == "timestamptz":
            return f"timestamp({p[0]}) with time zone"
        if b == "time":
            return f"time({p[0]})"
        if b == "array":
            return f"array({p[0]})"
        if b == "map":
            return f"map({p[0]}, {p[1]})"
        if b == "row":
            return "row(" + ", ".join(f"{n} {t}" if n else str(t) for n, t in p) + ")"
        return {"iday": "interval day to second", "imonth": "interval year to month"}.get(b, b)

    @property
    def column_type(self) -> str:
        """Athena's ``ColumnInfo.Type``: the base name without parameters."""
        return {
            "timestamptz": "timestamp with time zone",
            "iday": "interval day to second",
            "imonth": "interval year to month",
        }.get(self.base, self.base)

    @property
    def precision_scale(self) -> tuple[int, int]:
        """``ColumnInfo.Precision`` / ``Scale`` as Athena reports them."""
        b, p = self.base, self.params
        if b == "decimal":
            return p[0], p[1]
        if b in ("varchar", "char"):
            return (p[0] if p else VARCHAR_MAX), 0
        return {
            "tinyint": (3, 0),
            "smallint": (5, 0),
            "integer": (10, 0),
            "bigint": (19, 0),
            "real": (17, 0),
            "double": (17, 0),
            "timestamp": (3, 0),
            "timestamptz": (3, 0),
            "varbinary": (1073741824, 0),
            "json": (VARCHAR_MAX, 0),
        }.get(b, (0, 0))

    # ---- families ----------------------------------------------------------------------------
    @property
    def is_integer(self) -> bool:
        return self.base in INTEGERS

    @property
    def is_numeric(self) -> bool:
        return self.base in NUMERIC

    @property
    def is_string(self) -> bool:
        return self.base in ("varchar", "char")

    @property
    def is_temporal(self) -> bool:
        return self.base in ("date", "timestamp", "timestamptz", "time")

    @property
    def element(self) -> T:
        return self.params[0]

    def with_params(self, *params: object) -> T:
        return T(self.base, tuple(params))


# ---- constructors --------------------------------------------------------------------------------

BOOLEAN, TINYINT, SMALLINT, INTEGER, BIGINT = T("boolean"), T("tinyint"), T("smallint"), T("integer"), T("bigint")
REAL, DOUBLE, VARCHAR, UNKNOWN, DATE = T("real"), T("double"), T("varchar"), T("unknown"), T("date")
VARBINARY, JSON, IDAY, IMONTH = T("varbinary"), T("json"), T("iday"), T("imonth")
TIMESTAMP3, TIMESTAMPTZ3 = T("timestamp", (3,)), T("timestamptz", (3,))


def decimal(p: int, s: int) -> T:
    return T("decimal", (p, s))


def varchar(n: int | None = None) -> T:
    return T("varchar", (n,) if n is not None else ())


def array(e: T) -> T:
    return T("array", (e,))


def map_of(k: T, v: T) -> T:
    return T("map", (k, v))


def row(fields: Iterable[tuple[str | None, T]]) -> T:
    return T("row", tuple((n.lower() if n else None, t) for n, t in fields))


def as_decimal(t: T) -> T | None:
    """An integer or decimal type as the decimal Trino coerces it to (integer -> decimal(10,0))."""
    if t.base == "decimal":
        return t
    if t.base in INT_DECIMAL:
        return decimal(*INT_DECIMAL[t.base])
    return None


# ---- coercion (TypeCoercion) ------------------------------------------------------------------

_INT_RANK = {n: i for i, n in enumerate(INTEGERS)}


def common_super_type(a: T, b: T) -> T | None:
    """The type both coerce to, or None when Trino refuses (character vs numeric, ...)."""
    if a == b:
        return a
    if a.base == "unknown":
        return b
    if b.base == "unknown":
        return a
    if a.is_numeric and b.is_numeric:
        return _numeric_super(a, b)
    if a.is_string and b.is_string:
        if a.base == "char" and b.base == "char":
            return T("char", (max(a.params[0], b.params[0]),))
        if not a.params or not b.params:
            return VARCHAR
        return varchar(max(a.params[0], b.params[0]))
    temporal = {a.base, b.base}
    if temporal <= {"date", "timestamp"}:
        return T("timestamp", (max(_tprec(a), _tprec(b)),))
    if temporal <= {"date", "timestamp", "timestamptz"}:
        return T("timestamptz", (max(_tprec(a), _tprec(b)),))
    if a.base == b.base == "time":
        return T("time", (max(a.params[0], b.params[0]),))
    if a.base == b.base == "array":
        e = common_super_type(a.element, b.element)
        return array(e) if e else None
    if a.base == b.base == "map":
        k, v = common_super_type(a.params[0], b.params[0]), common_super_type(a.params[1], b.params[1])
        return map_of(k, v) if k and v else None
    if a.base == b.base == "row" and len(a.params) == len(b.params):
        fields = []
        for (na, ta), (nb, tb) in zip(a.params, b.params):
            t = common_super_type(ta, tb)
            if t is None:
                return None
            fields.append((na if na == nb else (na or nb) if not (na and nb) else None, t))
        return T("row", tuple(fields))
    return None


def _tprec(t: T) -> int:
    return t.params[0] if t.params else 0


def _numeric_super(a: T, b: T) -> T:
    if a.base == "double" or b.base == "double":
        return DOUBLE
    if a.base == "real" or b.base == "real":
        return REAL
    if a.is_integer and b.is_integer:
        return a if _INT_RANK[a.base] >= _INT_RANK[b.base] else b
    da, db = as_decimal(a), as_decimal(b)
    assert da is not None and db is not None  # integers and decimals: real/double returned above
    (pa, sa), (pb, sb) = da.params, db.params
    scale = max(sa, sb)
    return decimal(min(MAX_DECIMAL, max(pa - sa, pb - sb) + scale), scale)


def can_coerce(src: T, dst: T) -> bool:
    """Whether Trino converts ``src`` to ``dst`` implicitly (function arguments, INSERT)."""
    if src == dst or src.base == "unknown":
        return True
    if dst.base == "varchar" and src.is_string:
        return not dst.params or bool(src.params and src.params[0] <= dst.params[0])
    if src.is_numeric and dst.is_numeric:
        if dst.base == "decimal" and src.base == "decimal":
            (p1, s1), (p2, s2) = src.params, dst.params
            return s1 <= s2 and p1 - s1 <= p2 - s2
        if dst.base == "decimal" and src.is_integer:
            src_decimal = as_decimal(src)
            assert src_decimal is not None  # every integer type has its decimal
            return can_coerce(src_decimal, dst)
        return common_super_type(src, dst) == dst
    if src.base == dst.base and src.base in ("array", "map", "row") and len(src.params) == len(dst.params):
        if src.base == "row":
            return all(can_coerce(a, b) for (_, a), (_, b) in zip(src.params, dst.params))
        return all(can_coerce(a, b) for a, b in zip(src.params, dst.params))
    return common_super_type(src, dst) == dst


# ---- from sqlglot DataType (CAST targets) and from Hive type strings ------------------------------

_DT = exp.DataType.Type
_SIMPLE = {
    _DT.BOOLEAN: "boolean",
    _DT.TINYINT: "tinyint",
    _DT.SMALLINT: "smallint",
    _DT.INT: "integer",
    _DT.BIGINT: "bigint",
    _DT.FLOAT: "real",
    _DT.DOUBLE: "double",
    _DT.DATE: "date",
    _DT.VARBINARY: "varbinary",
    _DT.BINARY: "varbinary",
    _DT.JSON: "json",
    _DT.UUID: "uuid",
    _DT.UNKNOWN: "unknown",
}


class UnknownType(ValueError):
    pass


def from_datatype(dt: exp.DataType, hive: bool = False) -> T:
    """A sqlglot DataType (a CAST target, a Hive column type) as a Trino type."""
    t = dt.this
    params = [int(p.name) for p in dt.expressions if isinstance(p, exp.DataTypeParam) and p.name.isdigit()]
    if t in _SIMPLE:
        return T(_SIMPLE[t])
    if t in (_DT.VARCHAR, _DT.NVARCHAR):
        return varchar(params[0] if params else None)
    if t == _DT.TEXT:
        return VARCHAR
    if t == _DT.CHAR:
        return T("char", (params[0] if params else 1,))
    if t == _DT.DECIMAL:
        p = params[0] if params else MAX_DECIMAL
        if hive and not params:
            p = 10  # Hive's bare decimal is decimal(10,0)
        return decimal(p, params[1] if len(params) > 1 else 0)
    if t in (_DT.TIMESTAMP, _DT.DATETIME):
        return T("timestamp", (3 if hive or not params else params[0],))
    if t in (_DT.TIMESTAMPTZ, _DT.TIMESTAMPLTZ):
        return T("timestamptz", (params[0] if params else 3,))
    if t == _DT.TIME:
        return T("time", (params[0] if params else 3,))
    if t == _DT.ARRAY:
        return array(from_datatype(dt.expressions[0], hive))
    if t == _DT.MAP:
        return map_of(from_datatype(dt.expressions[0], hive), from_datatype(dt.expressions[1], hive))
    if t == _DT.STRUCT:
        fields: list[tuple[str | None, T]] = []
        for f in dt.expressions:
            if isinstance(f, exp.ColumnDef):
                fields.append((f.name, from_datatype(f.args["kind"], hive)))
            else:
                fields.append((None, from_datatype(f, hive)))
        return row(fields)
    if t == _DT.INTERVAL:
        unit = (dt.args.get("expressions") or [None])[0]
        text = dt.sql("trino").upper()
        return IMONTH if ("YEAR" in text or "MONTH" in text) and unit is not None else IDAY
    raise UnknownType(dt.sql("trino"))


@functools.lru_cache(maxsize=2048)
def from_hive(type_str: str) -> T:
    """A Glue column type (``int``, ``string``, ``array<struct<a:int>>``) as a Trino type."""
    return from_datatype(exp.DataType.build(type_str, dialect="hive"), hive=True)


def to_hive(t: T) -> str:
    """The Hive type Athena records in Glue for a Trino result column (CTAS, UNLOAD)."""
    b, p = t.base, t.params
    if b == "varchar":
        return f"varchar({p[0]})" if p else "string"
    if b == "char":
        return f"char({p[0]})"
    if b == "decimal":
        return f"decimal({p[0]},{p[1]})"
    if b == "array":
        return f"array<{to_hive(p[0])}>"
    if b == "map":
        return f"map<{to_hive(p[0])},{to_hive(p[1])}>"
    if b == "row":
        return "struct<" + ",".join(f"{n or f'_col{i}'}:{to_hive(ft)}" for i, (n, ft) in enumerate(p)) + ">"
    if b == "unknown":
        return "string"
    return {
        "integer": "int",
        "real": "float",
        "varbinary": "binary",
        "timestamp": "timestamp",
        "timestamptz": "timestamp",
    }.get(b, b)


# ---- DuckDB: the physical type that holds each Trino type ------------------------------------------

# A timestamp with time zone keeps its zone (Athena prints it): a DuckDB struct of the instant
# and the zone name.
TSTZ_DUCK = "STRUCT(i TIMESTAMPTZ, z VARCHAR)"


def duck(t: T) -> str:
    """The DuckDB type a value of Trino type ``t`` is held in."""
    b, p = t.base, t.params
    simple = {
        "boolean": "BOOLEAN",
        "tinyint": "TINYINT",
        "smallint": "SMALLINT",
        "integer": "INTEGER",
        "bigint": "BIGINT",
        "real": "FLOAT",
        "double": "DOUBLE",
        "varchar": "VARCHAR",
        "char": "VARCHAR",
        "varbinary": "BLOB",
        "json": "JSON",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "time": "TIME",
        "iday": "INTERVAL",
        "imonth": "INTERVAL",
        "uuid": "UUID",
        "unknown": "INTEGER",
        "timestamptz": TSTZ_DUCK,
    }
    if b in simple:
        return simple[b]
    if b == "decimal":
        return f"DECIMAL({p[0]},{p[1]})"
    if b == "array":
        return f"{duck(p[0])}[]"
    if b == "map":
        return f"MAP({duck(p[0])}, {duck(p[1])})"
    if b == "row":
        return "STRUCT(" + ", ".join(f'"{n or f"field{i}"}" {duck(ft)}' for i, (n, ft) in enumerate(p)) + ")"
    raise UnknownType(str(t))


def field_name(t: T, i: int) -> str:
    """The DuckDB struct field holding the i-th field of a row type (anonymous fields get one)."""
    n = t.params[i][0]
    return n or f"field{i}"


def parse_type_text(text: str) -> T:
    """A Trino type written in SQL (``decimal(10,2)``, ``array(varchar)``) as a :class:`T`."""
    from sqlglot import parse_one  # local: only DDL-ish paths need it

    cast = parse_one(f"CAST(NULL AS {text})", read="trino")
    return from_datatype(cast.args["to"])


_TRINO_NAME = re.compile(r"\s+")
