"""DynamicFrame schemas: self-describing records, with *choice* types where records disagree.

A DynamicFrame here is a Spark DataFrame plus a schema tree (``T``). Where records of one field
carry different types (an int in one file, a string in another), the tree holds a ``choice``
and the DataFrame holds that field as a struct with one member per type, named after the type
(``{"int": 5, "string": null}``), which is also what Glue's ``make_struct`` resolution and
``toDF()`` on an unresolved choice give.

Types are Glue's names: boolean, byte, short, int, long, float, double, decimal(p,s), string,
date, timestamp, binary, null, struct, array, choice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pyspark.sql import types as st

_NUMERIC = ["byte", "short", "int", "long", "float", "double"]
_INT_RE = re.compile(r"-?\d{1,18}")
_FLOAT_RE = re.compile(r"-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?")


class T:
    """A type: ``kind`` plus ``fields`` (struct: name -> T; choice: type name -> T; empty for other
    kinds) or ``element`` (array)."""

    __slots__ = ("kind", "fields", "element")

    def __init__(self, kind: str, fields: dict[str, T] | None = None, element: T | None = None) -> None:
        self.kind = kind
        self.fields: dict[str, T] = fields if fields is not None else {}
        self.element = element

    @property
    def elem(self) -> T:
        """An array's element type."""
        if self.element is None:
            raise TypeError(f"{self.kind} has no element type")
        return self.element

    @property
    def name(self) -> str:
        """The Glue type name a choice member is called by (decimal(10,2) -> decimal)."""
        return self.kind.split("(")[0]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, T)
            and self.kind == other.kind
            and self.fields == other.fields
            and self.element == other.element
        )

    def __repr__(self) -> str:
        if self.kind in ("struct", "choice"):
            return f"{self.kind}<{', '.join(f'{k}: {v!r}' for k, v in self.fields.items())}>"
        if self.kind == "array":
            return f"array<{self.element!r}>"
        return self.kind


def struct(fields: dict[str, T]) -> T:
    return T("struct", dict(fields))


NULL = T("null")


# ---- inference from data ------------------------------------------------------------------------


def of_json(v: object) -> T:
    if v is None:
        return NULL
    if isinstance(v, bool):
        return T("boolean")
    if isinstance(v, int):
        return T("int") if -(2**31) <= v < 2**31 else T("long")
    if isinstance(v, float):
        return T("double")
    if isinstance(v, str):
        return T("string")
    if isinstance(v, dict):
        return struct({k: of_json(x) for k, x in v.items()})
    if isinstance(v, list):
        el = NULL
        for x in v:
            el = merge(el, of_json(x))
        return T("array", element=el)
    raise TypeError(f"not a JSON value: {type(v).__name__}")


def csv_value(s: str) -> int | float | str | None:
    """A CSV cell as a typed value: '' -> None, '12' -> 12, '1.5' -> 1.5, else the text."""
    if s == "":
        return None
    if _INT_RE.fullmatch(s):
        return int(s)
    if _FLOAT_RE.fullmatch(s) and any(c.isdigit() for c in s):
        return float(s)
    return s


def of_csv(v: object) -> T:
    # CSV numbers are read as long (Glue's CSV reader), JSON's small integers as int.
    if isinstance(v, int):
        return T("long")
    return of_json(v)


def merge(a: T, b: T) -> T:
    """The type of a field seen as ``a`` in some records and ``b`` in others."""
    if a.kind == "null":
        return b
    if b.kind == "null" or a == b:
        return a
    if a.kind in _NUMERIC and b.kind in _NUMERIC:
        return T(_NUMERIC[max(_NUMERIC.index(a.kind), _NUMERIC.index(b.kind))])
    if a.kind == "struct" and b.kind == "struct":
        out = dict(a.fields)
        for k, t in b.fields.items():
            out[k] = merge(out[k], t) if k in out else t
        return struct(out)
    if a.kind == "array" and b.kind == "array":
        return T("array", element=merge(a.elem, b.elem))
    members: dict[str, T] = {}
    for t in (a.fields.values() if a.kind == "choice" else [a]), (b.fields.values() if b.kind == "choice" else [b]):
        for m in t:
            members[m.name] = merge(members[m.name], m) if m.name in members else m
    return T("choice", members)


def has_choice(t: T) -> bool:
    if t.kind == "choice":
        return True
    if t.kind == "struct":
        return any(has_choice(f) for f in t.fields.values())
    if t.kind == "array":
        return has_choice(t.elem)
    return False


def member_of(v: object, t: T) -> str:
    """Which member of choice ``t`` a JSON value belongs to."""
    name = of_json(v).name
    if name in t.fields:
        return name
    if name in _NUMERIC:  # an int in a field whose numeric member was widened to long/double
        return next((m for m in t.fields if m in _NUMERIC), name)
    return name


def rewrite(v: object, t: T) -> object:
    """A JSON value in the layout of ``t``: choice values wrapped as {type name: value}."""
    if v is None:
        return None
    if t.kind == "choice":
        m = member_of(v, t)
        return {m: rewrite(v, t.fields[m])}
    if t.kind == "struct" and isinstance(v, dict):
        return {k: rewrite(x, t.fields[k]) for k, x in v.items() if k in t.fields}
    if t.kind == "array" and isinstance(v, list):
        return [rewrite(x, t.elem) for x in v]
    return v


def unwrap(v: Any, t: T) -> Any:  # a Spark Row, list or scalar -> plain Python (JSON-like) values
    """A Spark value (Row/list/scalar) of type ``t`` as a plain Python value, choices unwrapped."""
    if v is None:
        return None
    if t.kind == "choice":
        d = v.asDict() if hasattr(v, "asDict") else v
        for name, mt in t.fields.items():
            if d.get(name) is not None:
                return unwrap(d[name], mt)
        return None
    if t.kind == "struct":
        d = v.asDict() if hasattr(v, "asDict") else v
        return {k: unwrap(d.get(k), ft) for k, ft in t.fields.items()}
    if t.kind == "array":
        return [unwrap(x, t.elem) for x in v]
    return v


# ---- Spark <-> tree -----------------------------------------------------------------------------

_SPARK = {
    "boolean": st.BooleanType,
    "byte": st.ByteType,
    "short": st.ShortType,
    "int": st.IntegerType,
    "long": st.LongType,
    "float": st.FloatType,
    "double": st.DoubleType,
    "string": st.StringType,
    "date": st.DateType,
    "timestamp": st.TimestampType,
    "binary": st.BinaryType,
    "null": st.NullType,
}


def to_spark(t: T) -> st.DataType:
    if t.kind in ("struct", "choice"):
        return st.StructType([st.StructField(k, to_spark(f), True) for k, f in t.fields.items()])
    if t.kind == "array":
        return st.ArrayType(to_spark(t.elem), True)
    if t.kind.startswith("decimal"):
        return st._parse_datatype_string(t.kind)
    return _SPARK[t.kind]()


def to_spark_schema(t: T) -> st.StructType:
    """A struct's Spark type: the schema of a DataFrame."""
    schema = to_spark(t)
    if not isinstance(schema, st.StructType):
        raise TypeError(f"not a struct: {t!r}")
    return schema


def from_spark(dt: st.DataType, choices: Iterable[tuple[str, ...]] = (), path: tuple[str, ...] = ()) -> T:
    """The tree of a Spark type; struct fields at the paths in ``choices`` are choice types."""
    choices = set(choices)
    if isinstance(dt, st.StructType):
        fields = {f.name: from_spark(f.dataType, choices, path + (f.name,)) for f in dt.fields}
        return T("choice" if path and path in choices else "struct", fields)
    if isinstance(dt, st.ArrayType):
        return T("array", element=from_spark(dt.elementType, choices, path + ("[]",)))
    if isinstance(dt, st.DecimalType):
        return T(f"decimal({dt.precision},{dt.scale})")
    if isinstance(dt, st.TimestampNTZType):
        return T("timestamp")
    for name, cls in _SPARK.items():
        if type(dt) is cls:
            return T(name)
    raise NotImplementedError(f"not supported locally: Spark type {dt.simpleString()} in a DynamicFrame")


def choice_paths(t: T, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    if t.kind == "choice":
        out.append(path)
    if t.kind in ("struct", "choice"):
        for k, f in t.fields.items():
            out += choice_paths(f, path + (k,))
    elif t.kind == "array":
        out += choice_paths(t.elem, path + ("[]",))
    return out


def tree_lines(t: T, depth: int = 0) -> list[str]:
    """printSchema() text, in Glue's layout (root / |-- name: type)."""
    lines = []
    pad = "|    " * depth
    for k, f in t.fields.items():
        lines.append(f"{pad}|-- {k}: {f.kind if f.kind.startswith('decimal') else f.name}")
        lines += _children(f, depth + 1)
    return lines


def _children(f: T, depth: int) -> list[str]:
    pad = "|    " * depth
    if f.kind == "struct":
        return tree_lines(f, depth)
    if f.kind == "choice":
        lines = []
        for m in f.fields.values():
            lines.append(f"{pad}|-- {m.name}")
            lines += _children(m, depth + 1)
        return lines
    if f.kind == "array":
        return [f"{pad}|-- element: {f.elem.name}"] + _children(f.elem, depth + 1)
    return []


def hive(t: T) -> str:
    """The Glue Data Catalog (Hive) type of ``t``, for tables a job writes."""
    if t.kind == "choice":
        raise NotImplementedError("not supported locally: a choice type in a catalog table (resolve it first)")
    if t.kind == "struct":
        return "struct<" + ",".join(f"{k}:{hive(f)}" for k, f in t.fields.items()) + ">"
    if t.kind == "array":
        return f"array<{hive(t.elem)}>"
    return {"long": "bigint", "short": "smallint", "byte": "tinyint", "null": "string"}.get(t.kind, t.kind)


def from_hive(s: str) -> T:
    """A catalog column type as a tree (partition keys and match_catalog)."""
    s = s.strip().lower()
    simple = {"bigint": "long", "integer": "int", "smallint": "short", "tinyint": "byte", "char": "string"}
    if s.startswith(("varchar", "char")):
        return T("string")
    if s.startswith("decimal"):
        return T(s.replace(" ", ""))
    if s in simple:
        return T(simple[s])
    if s in _SPARK:
        return T(s)
    return from_spark(st._parse_datatype_string(s))


def spark_type_name(name: str) -> str:
    """A type name as ApplyMapping/ResolveChoice accept it, as Spark's cast understands it."""
    name = name.strip().lower()
    return {"long": "bigint", "integer": "int", "short": "smallint", "byte": "tinyint"}.get(name, name)
