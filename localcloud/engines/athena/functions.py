"""Trino's operators and functions, each with its Trino type rule and a DuckDB expression that
computes the same value (introduced for lab 04).

``EXPRESSIONS`` maps a sqlglot node class (``Add``, ``Cast``, ``Case``...) to its handler;
``FUNCTIONS`` maps a Trino function name to its handler.  A handler gets the translator, the
node and the scope and returns ``(DuckDB expression, Trino type)``.  Every rule cites the Trino
documentation (https://trino.io/docs/current/functions.html) unless it is obvious from it.

A function Trino has but localcloud does not implement is refused with ``NOT_SUPPORTED``
(never run as DuckDB's look-alike); a name Trino does not know is ``FUNCTION_NOT_FOUND``, as
Athena answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from sqlglot import exp

from . import duck, ttypes
from .catalog import CatalogError
from .duck import call, cast, number, string, tpl
from .translate import NOT_SUPPORTED, Scope, Translator, Typed, err, mismatch, not_supported, where
from .ttypes import (
    BIGINT,
    BOOLEAN,
    DATE,
    DOUBLE,
    IDAY,
    IMONTH,
    INTEGER,
    JSON,
    REAL,
    TIMESTAMP3,
    TIMESTAMPTZ3,
    UNKNOWN,
    VARBINARY,
    VARCHAR,
    T,
)

# A handler of a sqlglot node class: (translator, node, scope) -> (DuckDB expression, Trino type).
ExpressionHandler = Callable[[Translator, exp.Expr, Scope], Typed]
# A handler of a Trino function: the call -> (DuckDB expression, Trino type).
FunctionHandler = Callable[["Call"], Typed]
_H = TypeVar("_H", bound=Callable[..., Typed])

EXPRESSIONS: dict[str, ExpressionHandler] = {}
FUNCTIONS: dict[str, FunctionHandler] = {}
AGGREGATES: set[str] = set()
WINDOW_ONLY: set[str] = set()


def expression(*names: str) -> Callable[[_H], _H]:
    def deco(fn: _H) -> _H:
        for n in names:
            EXPRESSIONS[n] = fn
        return fn

    return deco


def function(*names: str, aggregate: bool = False, window: bool = False) -> Callable[[_H], _H]:
    def deco(fn: _H) -> _H:
        for n in names:
            FUNCTIONS[n] = fn
            if aggregate:
                AGGREGATES.add(n)
            if window:
                WINDOW_ONLY.add(n)
        return fn

    return deco


def _sql(node: exp.Expr) -> str:
    return node.sql(dialect="trino")


# ==== literals =======================================================================================


def decimal_literal(text: str, node: exp.Expr) -> Typed:
    """``1.5`` is decimal(2,1): precision = digits, scale = fraction digits (decimal.html)."""
    t = text.lstrip("+-")
    integral, _, frac = t.partition(".")
    p, s = max(1, len(integral) + len(frac)), len(frac)
    if p > ttypes.MAX_DECIMAL:
        return cast(string(text), "DOUBLE"), DOUBLE
    return cast(string(text), ttypes.decimal(p, s)), ttypes.decimal(p, s)


@expression("Cast", "TryCast")
def _cast_node(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    safe = isinstance(node, exp.TryCast) or bool(node.args.get("safe"))
    try:
        dst = ttypes.from_datatype(node.args["to"])
    except ttypes.UnknownType as exc:
        raise err("TYPE_NOT_FOUND", f"{where(node)}: Unknown type: {exc}") from None
    inner = node.this
    # typed literals: DATE '...', TIMESTAMP '...', DECIMAL '...', BIGINT '...'
    if isinstance(inner, exp.Literal) and inner.is_string and _is_typed_literal(node):
        return typed_literal(tr, inner.this, dst, node)
    value, src = tr.expr(inner, scope)
    return convert(tr, value, src, dst, node, safe=safe or tr.in_try > 0), dst


def _is_typed_literal(node: exp.Expr) -> bool:
    return bool(node.meta.get("typed_literal"))


def typed_literal(tr: Translator, text: str, t: T, node: exp.Expr) -> Typed:
    b = t.base
    if b == "date":
        if not re.fullmatch(r"\s*[+-]?\d{4,}-\d{1,2}-\d{1,2}\s*", text) or not _valid_date(text.strip()):
            raise err("INVALID_LITERAL", f"{where(node)}: '{text}' is not a valid date literal")
        return cast(string(text.strip()), "DATE"), DATE
    if b in ("timestamp", "timestamptz"):
        m = re.fullmatch(
            r"\s*(\d{4,}-\d{1,2}-\d{1,2})(?:[ T](\d{1,2}:\d{2}(?::\d{2}(?:\.(\d{1,12}))?)?))?\s*(.*?)\s*", text
        )
        if not m or not _valid_date(m.group(1)):
            raise err("INVALID_LITERAL", f"{where(node)}: '{text}' is not a valid timestamp literal")
        prec = len(m.group(3) or "")
        local = f"{m.group(1)} {m.group(2) or '00:00:00'}"
        zone = m.group(4)
        ts = cast(string(local), "TIMESTAMP")
        if prec > 6:
            raise not_supported("timestamp precision above microseconds", node)
        if zone:
            zone = normalize_zone(zone)
            return tstz_from_local(ts, string(zone)), T("timestamptz", (prec,))
        if b == "timestamptz":
            return tstz_from_local(ts, string("UTC")), T("timestamptz", (prec,))
        return ts, T("timestamp", (prec,))
    if b == "time":
        m = re.fullmatch(r"\s*(\d{1,2}:\d{2}(?::\d{2}(?:\.(\d{1,12}))?)?)\s*", text)
        if not m:
            raise err("INVALID_LITERAL", f"{where(node)}: '{text}' is not a valid time literal")
        return cast(string(m.group(1)), "TIME"), T("time", (len(m.group(2) or ""),))
    if b == "decimal":
        m = re.fullmatch(r"\s*([+-]?)(\d*)(?:\.(\d*))?\s*", text)
        if not m or not (m.group(2) or m.group(3)):
            raise err("INVALID_LITERAL", f"{where(node)}: '{text}' is not a valid decimal literal")
        integral, frac = m.group(2), m.group(3) or ""
        p, s = max(1, len(integral) + len(frac)), len(frac)
        if node.args["to"].expressions:
            p, s = t.params
        return cast(string(text.strip()), ttypes.decimal(p, s)), ttypes.decimal(p, s)
    if b in ("varchar", "char"):
        return string(text), (ttypes.varchar(len(text)) if b == "varchar" and not t.params else t)
    if t.is_integer or b in ("double", "real", "boolean"):
        v, src = string(text), ttypes.varchar(len(text))
        try:
            return convert(tr, v, src, t, node, safe=False), t
        except CatalogError:
            raise
    if b == "json":
        return cast(string(text), "JSON"), JSON
    if b == "varbinary":
        return call("encode", string(text)), VARBINARY
    if b in ("iday", "imonth"):
        raise not_supported(f"the literal {_sql(node)}", node)
    return convert(tr, string(text), ttypes.varchar(len(text)), t, node, safe=False), t


def _valid_date(text: str) -> bool:
    import datetime as dt

    try:
        y, m, d = (int(x) for x in text.split("-")[-3:]) if not text.startswith("-") else (0, 0, 0)
        dt.date(y, m, d)
        return True
    except ValueError:
        return False


# ==== conversions (CAST) ==============================================================================

_INT_LIMITS = {"tinyint": 2**7, "smallint": 2**15, "integer": 2**31, "bigint": 2**63}
_CAST_NAME = {"tinyint": "TINYINT", "smallint": "SMALLINT", "integer": "INT", "bigint": "BIGINT"}


def castable(src: T, dst: T) -> bool:
    """Trino's cast rules (conversion.html#cast and the type pages)."""
    s, d = src.base, dst.base
    if s == "unknown" or src == dst:
        return True
    if d in ("varchar", "char"):
        return s not in ("map", "row", "array") or False
    if s in ("varchar", "char"):
        return d in (
            *ttypes.NUMERIC,
            "boolean",
            "date",
            "timestamp",
            "timestamptz",
            "time",
            "json",
            "varbinary",
            "uuid",
        )
    if src.is_numeric:
        return dst.is_numeric or d in ("boolean", "json")
    if s == "boolean":
        return dst.is_numeric or d == "json"
    if s == "date":
        return d in ("timestamp", "timestamptz", "json")
    if s == "timestamp":
        return d in ("date", "timestamp", "timestamptz", "time", "json")
    if s == "timestamptz":
        return d in ("date", "timestamp", "timestamptz", "time", "json")
    if s == "json":
        return d in (*ttypes.NUMERIC, "boolean", "varchar", "array", "map", "row")
    if s == "array":
        return (d == "array" and castable(src.element, dst.element)) or d == "json"
    if s == "map":
        return (
            d == "map" and castable(src.params[0], dst.params[0]) and castable(src.params[1], dst.params[1])
        ) or d == "json"
    if s == "row":
        return (
            d == "row"
            and len(src.params) == len(dst.params)
            and all(castable(a, b) for (_, a), (_, b) in zip(src.params, dst.params))
        ) or d == "json"
    if s == "varbinary":
        return d in ("varbinary",)
    return False


def convert(tr: Translator, value: exp.Expr, src: T, dst: T, node: exp.Expr | None, safe: bool = False) -> exp.Expr:
    """CAST(value AS dst) with Trino's semantics (rounding, accepted spellings, error texts)."""
    if not castable(src, dst):
        raise mismatch(node, f"Cannot cast {src} to {dst}")
    s, d = src.base, dst.base
    if s == "unknown":
        return cast(value, dst)
    if src == dst:
        return value
    if d in ("varchar", "char"):
        text = value if src.is_string else _to_varchar(value, src)
        if dst.params:
            text = (
                call("left", text, number(dst.params[0]))
                if d == "varchar"
                else call("rpad", call("left", text, number(dst.params[0])), number(dst.params[0]), string(" "))
            )
        return text
    if src.is_string:
        return _from_varchar(value, dst, safe)
    if dst.is_integer:
        if src.is_integer:
            return _checked_int(value, dst, safe, lambda v: v, src)
        if s in ("double", "real"):
            # toIntExact(round(x)): half away from zero (DoubleOperators.castToInteger)
            rounded = call("round", value)
            return _checked_int(rounded, dst, safe, lambda v: v, src, original=value)
        if s == "decimal":
            return cast(value, dst, safe)  # DuckDB rounds half away from zero, as Trino's HALF_UP
        if s == "boolean":
            return cast(value, dst)
    if d in ("double", "real") and (src.is_numeric or s == "boolean"):
        return cast(value, dst)
    if d == "decimal" and src.is_numeric:
        return cast(value, dst, safe)
    if d == "boolean" and src.is_numeric:
        return exp.NEQ(this=value, expression=number(0))
    if d == "date" and s == "timestamp":
        return cast(value, "DATE")
    if d == "date" and s == "timestamptz":
        return cast(tstz_local(value), "DATE")
    if d == "timestamp" and s == "date":
        return cast(value, "TIMESTAMP")
    if d == "timestamp" and s == "timestamp":
        p = dst.params[0]
        if p >= src.params[0]:
            return value
        return call("tr_round_ts", value, number(p))
    if d == "timestamp" and s == "timestamptz":
        return tstz_local(value)
    if d == "timestamptz" and s in ("date", "timestamp"):
        return to_tstz(value, src)
    if d == "timestamptz" and s == "timestamptz":
        return value
    if d == "time" and s == "timestamp":
        return cast(value, "TIME")
    if d == "json":
        return call("to_json", value)
    if s == "json":
        return cast(value, dst, safe)
    if s == d == "array":
        v = tr.fresh("__x")
        inner = convert(tr, exp.Column(this=duck.ident(v)), src.element, dst.element, node, safe)
        return call("list_transform", value, exp.Lambda(this=inner, expressions=[duck.ident(v)]))
    if s == d == "row":
        return row_convert(tr, value, src, dst, explicit=True, node=node, safe=safe)
    if s == d == "map":
        return map_convert(tr, value, src, dst, explicit=True, node=node, safe=safe)
    raise not_supported(f"CAST from {src} to {dst}", node)


def _checked_int(
    value: exp.Expr, dst: T, safe: bool, wrap: Callable[[exp.Expr], exp.Expr], src: T, original: exp.Expr | None = None
) -> exp.Expr:
    lo, hi = -_INT_LIMITS[dst.base], _INT_LIMITS[dst.base] - 1
    if src.is_integer and _INT_LIMITS.get(src.base, 0) <= _INT_LIMITS[dst.base]:
        return cast(value, dst)
    shown = _to_varchar(original, DOUBLE) if original is not None else duck.to_text(value)
    if safe:
        return tpl(f"CASE WHEN {{0}} BETWEEN {lo} AND {hi} THEN CAST({{0}} AS {ttypes.duck(dst)}) END", value)
    return tpl(
        f"CASE WHEN {{0}} IS NULL THEN NULL WHEN {{0}} BETWEEN {lo} AND {hi} THEN CAST({{0}} AS {ttypes.duck(dst)}) "
        f"ELSE error('{duck.ERROR_MARK}NUMERIC_VALUE_OUT_OF_RANGE: Out of range for {dst.base}: ' || {{1}}) END",
        value,
        shown,
    )


def _from_varchar(value: exp.Expr, dst: T, safe: bool) -> exp.Expr:
    d = dst.base
    if dst.is_integer:
        name = _CAST_NAME[d]
        lo, hi = -_INT_LIMITS[d], _INT_LIMITS[d] - 1
        ok = f"regexp_full_match(trim({{0}}), '[+-]?[0-9]+') AND TRY_CAST(trim({{0}}) AS HUGEINT) BETWEEN {lo} AND {hi}"
        if safe:
            return tpl(f"CASE WHEN {ok} THEN CAST(trim({{0}}) AS {ttypes.duck(dst)}) END", value)
        return tpl(
            f"CASE WHEN {{0}} IS NULL THEN NULL WHEN {ok} THEN CAST(trim({{0}}) AS {ttypes.duck(dst)}) "
            f"ELSE error('{duck.ERROR_MARK}INVALID_CAST_ARGUMENT: Cannot cast ''' || {{0}} || ''' to {name}') END",
            value,
        )
    if d in ("double", "real"):
        name = d.upper()
        ok = "regexp_full_match(trim({0}), '[+-]?(NaN|Infinity|([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?)[dDfF]?')"
        conv = f"CAST(regexp_replace(trim({{0}}), '[dDfF]$', '') AS {ttypes.duck(dst)})"
        if safe:
            return tpl(f"CASE WHEN {ok} THEN {conv} END", value)
        return tpl(
            f"CASE WHEN {{0}} IS NULL THEN NULL WHEN {ok} THEN {conv} "
            f"ELSE error('{duck.ERROR_MARK}INVALID_CAST_ARGUMENT: Cannot cast ''' || {{0}} || ''' to {name}') END",
            value,
        )
    if d == "boolean":
        expr = "CASE WHEN lower({0}) IN ('true', 't', '1') THEN true WHEN lower({0}) IN ('false', 'f', '0') THEN false"
        if safe:
            return tpl(expr + " END", value)
        return tpl(
            expr + f" WHEN {{0}} IS NULL THEN NULL ELSE error('{duck.ERROR_MARK}INVALID_CAST_ARGUMENT: "
            "Cannot cast ''' || {0} || ''' to BOOLEAN') END",
            value,
        )
    if d == "decimal":
        p, s = dst.params
        ok = "regexp_full_match(trim({0}), '[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?')"
        conv = f"TRY_CAST(trim({{0}}) AS {ttypes.duck(dst)})"
        if safe:
            return tpl(f"CASE WHEN {ok} THEN {conv} END", value)
        return tpl(
            f"CASE WHEN {{0}} IS NULL THEN NULL WHEN {ok} AND {conv} IS NOT NULL THEN {conv} "
            f"ELSE error('{duck.ERROR_MARK}INVALID_CAST_ARGUMENT: "
            f"Cannot cast VARCHAR ''' || {{0}} || ''' to DECIMAL({p}, {s})') END",
            value,
        )
    if d == "date":
        ok = "regexp_full_match(trim({0}), '[+-]?[0-9]{4,}-[0-9]{1,2}-[0-9]{1,2}')"
        conv = "TRY_CAST(trim({0}) AS DATE)"
        if safe:
            return tpl(f"CASE WHEN {ok} THEN {conv} END", value)
        return tpl(
            f"CASE WHEN {{0}} IS NULL THEN NULL WHEN {ok} AND {conv} IS NOT NULL THEN {conv} "
            f"ELSE error('{duck.ERROR_MARK}INVALID_CAST_ARGUMENT: Value cannot be cast to date: ' || {{0}}) END",
            value,
        )
    if d in ("timestamp", "timestamptz"):
        pattern = "[0-9]{4,}-[0-9]{1,2}-[0-9]{1,2}( [0-9]{1,2}:[0-9]{2,2}(:[0-9]{2,2}(\\.[0-9]{1,12})?)?)?"
        conv = "TRY_CAST(trim({0}) AS TIMESTAMP)"
        if d == "timestamp":
            ok = f"regexp_full_match(trim({{0}}), '{pattern}')"
            if safe:
                return tpl(f"CASE WHEN {ok} THEN {conv} END", value)
            return tpl(
                f"CASE WHEN {{0}} IS NULL THEN NULL WHEN {ok} AND {conv} IS NOT NULL THEN {conv} "
                f"ELSE error('{duck.ERROR_MARK}INVALID_CAST_ARGUMENT: "
                "Value cannot be cast to timestamp: ' || {0}) END",
                value,
            )
        return call("tr_varchar_tstz", value, exp.Boolean(this=safe))
    if d == "json":
        return call("to_json", value)  # CAST('x' AS JSON) is the JSON string "x"
    if d == "varbinary":
        return call("encode", value)
    if d == "time":
        return cast(value, "TIME", safe)
    raise not_supported(f"CAST from varchar to {dst}", None)


def _to_varchar(value: exp.Expr, src: T) -> exp.Expr:
    b = src.base
    if b in ("double",):
        return call("tr_double_varchar", value)
    if b == "real":
        return call("tr_real_varchar", value)
    if b == "timestamp":
        return call("tr_ts_text", value, number(src.params[0]))
    if b == "timestamptz":
        return call("tr_tstz_text", value, number(src.params[0]))
    if b == "boolean":
        return tpl("CASE WHEN {0} THEN 'true' WHEN NOT {0} THEN 'false' END", value)
    if b == "varbinary":
        return call("decode", value)
    if b == "json":
        return cast(value, "VARCHAR")
    return cast(value, "VARCHAR")


def row_convert(
    tr: Translator, value: exp.Expr, src: T, dst: T, explicit: bool, node: exp.Expr | None = None, safe: bool = False
) -> exp.Expr:
    fields = []
    for i, ((_, a), (_, b)) in enumerate(zip(src.params, dst.params)):
        f = call("struct_extract", value.copy(), string(ttypes.field_name(src, i)))
        f = convert(tr, f, a, b, node, safe) if explicit else tr.coerce(f, a, b)
        fields.append(exp.PropertyEQ(this=duck.ident(ttypes.field_name(dst, i)), expression=f))
    packed = call("struct_pack", *fields)
    return tpl("CASE WHEN {0} IS NULL THEN NULL ELSE {1} END", value, packed)


def map_convert(
    tr: Translator, value: exp.Expr, src: T, dst: T, explicit: bool, node: exp.Expr | None = None, safe: bool = False
) -> exp.Expr:
    v = tr.fresh("__e")
    e = exp.Column(this=duck.ident(v))
    k = call("struct_extract", e.copy(), string("key"))
    val = call("struct_extract", e.copy(), string("value"))
    conv = (lambda x, a, b: convert(tr, x, a, b, node, safe)) if explicit else tr.coerce
    entry = call(
        "struct_pack",
        exp.PropertyEQ(this=duck.ident("k"), expression=conv(k, src.params[0], dst.params[0])),
        exp.PropertyEQ(this=duck.ident("v"), expression=conv(val, src.params[1], dst.params[1])),
    )
    return call(
        "map_from_entries",
        call("list_transform", call("map_entries", value), exp.Lambda(this=entry, expressions=[duck.ident(v)])),
    )


# ==== time zones: a timestamp with time zone is STRUCT(i TIMESTAMPTZ, z VARCHAR) ========================


def normalize_zone(zone: str) -> str:
    z = zone.strip()
    if z.upper() in ("Z", "UTC", "UT", "+00:00", "-00:00", "ZULU"):
        return "UTC"
    m = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})?", z)
    if m:
        return f"{m.group(1)}{int(m.group(2)):02d}:{m.group(3) or '00'}"
    return z


def tstz_make(instant: exp.Expr, zone: exp.Expr) -> exp.Expr:
    return call(
        "struct_pack",
        exp.PropertyEQ(this=duck.ident("i"), expression=instant),
        exp.PropertyEQ(this=duck.ident("z"), expression=zone),
    )


def tstz_from_local(local: exp.Expr, zone: exp.Expr) -> exp.Expr:
    return call("tr_tstz", local, zone)


def tstz_local(value: exp.Expr) -> exp.Expr:
    """The wall-clock TIMESTAMP of a timestamp with time zone, in its own zone."""
    return call("tr_tz_local", value)


def tstz_instant(value: exp.Expr) -> exp.Expr:
    return call("struct_extract", value, string("i"))


def to_tstz(value: exp.Expr, src: T) -> exp.Expr:
    """date/timestamp -> timestamp with time zone, in the session zone (UTC on Athena)."""
    return tstz_from_local(cast(value, "TIMESTAMP"), string("UTC"))


# ==== operators ========================================================================================

_OPS: dict[type[exp.Expr], str] = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/", exp.Mod: "%"}


def _operand_types(a: T, b: T) -> tuple[T, T]:
    if a.base == "unknown" and b.base == "unknown":
        return INTEGER, INTEGER
    if a.base == "unknown":
        return b, b
    if b.base == "unknown":
        return a, a
    return a, b


@expression("Add", "Sub", "Mul", "Div", "Mod")
def _arith(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    (a, ta0), (b, tb0) = tr.expr(node.this, scope), tr.expr(node.expression, scope)
    op = _OPS[type(node)]
    ta, tb = _operand_types(ta0, tb0)
    a, b = tr.coerce(a, ta0, ta), tr.coerce(b, tb0, tb)
    if ta.is_numeric and tb.is_numeric:
        return numeric_op(tr, op, a, ta, b, tb, node)
    result = _temporal_op(tr, op, a, ta, b, tb)
    if result is None:
        raise mismatch(node, f"Cannot apply operator: {ta0} {op} {tb0}")
    return result


def numeric_op(tr: Translator, op: str, a: exp.Expr, ta: T, b: exp.Expr, tb: T, node: exp.Expr) -> Typed:
    t = ttypes.common_super_type(ta, tb)
    if t is None:  # two numeric types always have one
        raise mismatch(node, f"Cannot apply operator: {ta} {op} {tb}")
    if t.is_integer:
        a, b = cast_if(a, ta, t), cast_if(b, tb, t)
        if op == "/":
            return exp.IntDiv(this=duck.paren(a), expression=duck.paren(b)), t
        return _binary(op, a, b), t
    if t.base in ("double", "real"):
        a, b = cast_if(a, ta, t), cast_if(b, tb, t)
        if op == "%":
            return call("fmod", a, b), t
        if op == "/":
            return call("tr_fdiv", a, b), t
        return _binary(op, a, b), t
    # decimals (decimal.html, "Binary arithmetic decimal operators")
    da, db = ttypes.as_decimal(ta), ttypes.as_decimal(tb)
    if da is None or db is None:  # neither real nor double: integers and decimals
        raise mismatch(node, f"Cannot apply operator: {ta} {op} {tb}")
    (xp, xs), (yp, ys) = da.params, db.params
    a, b = cast_if(a, ta, da), cast_if(b, tb, db)
    if op in ("+", "-"):
        s = max(xs, ys)
        p = min(38, 1 + s + max(xp - xs, yp - ys))
        rt = ttypes.decimal(p, s)
        return _decimal_checked(_binary(op, cast(a, ttypes.decimal(38, xs)), cast(b, ttypes.decimal(38, ys))), rt), rt
    if op == "*":
        p, s = min(38, xp + yp), xs + ys
        if s > 38:
            raise not_supported("decimal multiplication with a scale above 38", node)
        rt = ttypes.decimal(p, s)
        return _decimal_checked(_binary("*", cast(a, ttypes.decimal(min(38, xp + 19), xs)), b), rt), rt
    if op == "/":
        s = max(xs, ys)
        p = min(38, xp + ys + max(ys - xs, 0))
        rt = ttypes.decimal(p, s)
        return cast(call("tr_decimal_div", duck.to_text(a), duck.to_text(b), number(s)), rt), rt
    # modulus: Trino's result keeps the larger scale (DecimalOperators.modulus)
    s = max(xs, ys)
    p = min(38, min(xp - xs, yp - ys) + s)
    rt = ttypes.decimal(p, s)
    return cast(
        tpl(
            f"CASE WHEN {{1}} = 0 THEN error('{duck.ERROR_MARK}DIVISION_BY_ZERO: Division by zero') "
            "ELSE {0} % {1} END",
            a,
            b,
        ),
        rt,
    ), rt


def _decimal_checked(value: exp.Expr, rt: T) -> exp.Expr:
    p, s = rt.params
    limit = "9" * (p - s) + ("." + "9" * s if s else "")
    return tpl(
        f"CASE WHEN abs({{0}}) > {limit} THEN error('{duck.ERROR_MARK}NUMERIC_VALUE_OUT_OF_RANGE: Decimal overflow') "
        f"ELSE CAST({{0}} AS DECIMAL({p},{s})) END",
        value,
    )


def cast_if(node: exp.Expr, src: T, dst: T) -> exp.Expr:
    return node if src == dst else cast(node, dst)


def _binary(op: str, a: exp.Expr, b: exp.Expr) -> exp.Expr:
    cls = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul, "%": exp.Mod, "/": exp.Div}[op]
    return cls(this=duck.paren(a), expression=duck.paren(b))


def _temporal_op(tr: Translator, op: str, a: exp.Expr, ta: T, b: exp.Expr, tb: T) -> Typed | None:
    A, B = ta.base, tb.base
    intervals = ("iday", "imonth")
    if op == "+" and A in intervals and B in ("date", "timestamp", "timestamptz", "time"):
        a, ta, b, tb, A, B = b, tb, a, ta, B, A
    if op in ("+", "-") and B in intervals:
        if A == "date":
            return cast(_binary(op, a, b), "DATE"), DATE
        if A == "timestamp":
            return _binary(op, a, b), ta
        if A == "timestamptz":
            return call("tr_tstz_add", a, b if op == "+" else exp.Neg(this=duck.paren(b))), ta
        if A == "time" and B == "iday":
            return cast(_binary(op, cast(a, "TIME"), b), "TIME"), ta
        if A == B:
            return _binary(op, a, b), ta
        return None
    if op == "-" and A == B == "timestamp":
        return _binary("-", a, b), IDAY
    if op == "-" and A == B == "timestamptz":
        return _binary("-", tstz_instant(a), tstz_instant(b)), IDAY
    if op in ("*", "/") and A in intervals and tb.is_numeric:
        if op == "*":
            return _binary("*", a, cast(b, "DOUBLE")), ta
        return call("tr_interval_div", a, cast(b, "DOUBLE")), ta
    if op == "*" and B in intervals and ta.is_numeric:
        return _binary("*", b, cast(a, "DOUBLE")), tb
    return None


@expression("Neg")
def _neg(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    v, t = tr.expr(node.this, scope)
    if t.base == "unknown":
        return v, INTEGER
    if t.is_integer:
        lo = -_INT_LIMITS[t.base]
        return (
            tpl(
                f"CASE WHEN {{0}} = {lo} THEN error('{duck.ERROR_MARK}NUMERIC_VALUE_OUT_OF_RANGE: {t.base} negation "
                f"overflow: {lo}') ELSE CAST(-{{0}} AS {ttypes.duck(t)}) END",
                v,
            ),
            t,
        )
    if t.is_numeric:
        return cast(exp.Neg(this=duck.paren(v)), t) if t.base == "decimal" else exp.Neg(this=duck.paren(v)), t
    if t.base in ("iday", "imonth"):
        return exp.Neg(this=duck.paren(v)), t
    raise mismatch(node, f"Cannot negate {t}")


# ---- comparisons -----------------------------------------------------------------------------

_CMP: dict[type[exp.Expr], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.NullSafeEQ: "IS NOT DISTINCT FROM",
    exp.NullSafeNEQ: "IS DISTINCT FROM",
}
_ORDERABLE = (
    "boolean",
    "tinyint",
    "smallint",
    "integer",
    "bigint",
    "real",
    "double",
    "decimal",
    "varchar",
    "char",
    "date",
    "timestamp",
    "timestamptz",
    "time",
    "iday",
    "imonth",
    "varbinary",
    "array",
    "row",
    "uuid",
)


def comparable(a: T, b: T) -> T | None:
    return ttypes.common_super_type(a, b)


def compare_value(a: exp.Expr, t: T) -> exp.Expr:
    """A value of Trino type t as DuckDB compares it (a timestamp with time zone by its instant)."""
    return tstz_instant(a) if t.base == "timestamptz" else a


def compare_values(a: exp.Expr, b: exp.Expr, t: T) -> tuple[exp.Expr, exp.Expr]:
    """:func:`compare_value` of both sides."""
    return compare_value(a, t), compare_value(b, t)


@expression("EQ", "NEQ", "LT", "LTE", "GT", "GTE", "NullSafeEQ", "NullSafeNEQ")
def _compare(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    (a, ta), (b, tb) = tr.expr(node.this, scope), tr.expr(node.expression, scope)
    t = comparable(ta, tb)
    op = _CMP[type(node)]
    if t is None or (op in ("<", "<=", ">", ">=") and t.base not in _ORDERABLE + ("unknown",)):
        raise mismatch(node, f"Cannot apply operator: {ta} {op} {tb}")
    if t.base == "json":
        raise mismatch(node, f"Cannot apply operator: {ta} {op} {tb}")
    a, b = compare_values(tr.coerce(a, ta, t), tr.coerce(b, tb, t), t)
    return type(node)(this=a, expression=b), BOOLEAN


@expression("And", "Or")
def _logic(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    (a, ta), (b, tb) = tr.expr(node.this, scope), tr.expr(node.expression, scope)
    for side, t in (("Left", ta), ("Right", tb)):
        if t.base not in ("boolean", "unknown"):
            raise mismatch(node, f"{side} side of logical expression must evaluate to a boolean (actual: {t})")
    return type(node)(this=duck.paren(a), expression=duck.paren(b)), BOOLEAN


@expression("Not")
def _not(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    v, t = tr.expr(node.this, scope)
    if t.base not in ("boolean", "unknown"):
        raise mismatch(node, f"Value of logical NOT expression must evaluate to a boolean (actual: {t})")
    return exp.Not(this=duck.paren(v)), BOOLEAN


@expression("Is")
def _is(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    v, t = tr.expr(node.this, scope)
    target = node.expression
    if isinstance(target, exp.Null):
        return exp.Is(this=duck.paren(v), expression=exp.Null()), BOOLEAN
    if isinstance(target, exp.Boolean):
        if t.base not in ("boolean", "unknown"):
            raise mismatch(node, f"Cannot apply operator: {t} IS {target.sql()}")
        return exp.Is(this=duck.paren(v), expression=exp.Boolean(this=target.this)), BOOLEAN
    raise not_supported(f"IS {target.sql()}", node)


@expression("Between")
def _between(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    v, low, high = tr.expr(node.this, scope), tr.expr(node.args["low"], scope), tr.expr(node.args["high"], scope)
    t = UNKNOWN
    for _, ti in (v, low, high):
        t = ttypes.common_super_type(t, ti) if t is not None else None
    if t is None:
        raise mismatch(node, f"Cannot check if {v[1]} is BETWEEN {low[1]} and {high[1]}")
    parts = [compare_values(tr.coerce(x, tx, t), tr.coerce(x, tx, t), t)[0] for x, tx in (v, low, high)]
    return exp.Between(this=parts[0], low=parts[1], high=parts[2]), BOOLEAN


@expression("In")
def _in(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    v, t = tr.expr(node.this, scope)
    query = node.args.get("query")
    if query is not None:
        q, fields = tr.query(query.this if isinstance(query, exp.Subquery) else query, scope)
        if len(fields) != 1:
            raise err(
                "NOT_SUPPORTED",
                f"{where(node)}: Multiple columns returned by subquery are not yet supported. Found {len(fields)}",
            )
        ct = comparable(t, fields[0].type)
        if ct is None:
            raise mismatch(
                node, f"Value expression and result of subquery must be of the same type: {t} vs {fields[0].type}"
            )
        sub = exp.select(tr.coerce(exp.column("c0", table="__inq", quoted=True), fields[0].type, ct)).from_(
            exp.Subquery(this=q, alias=exp.TableAlias(this=duck.ident("__inq")))
        )
        return exp.In(this=tr.coerce(v, t, ct), query=exp.Subquery(this=sub)), BOOLEAN
    items = [tr.expr(e, scope) for e in node.expressions]
    ct = t
    for _, ti in items:
        ct = ttypes.common_super_type(ct, ti) if ct is not None else None
    if ct is None:
        raise mismatch(node, f"IN value and list items must be the same type: {t}")
    a = compare_value(tr.coerce(v, t, ct), ct)
    return exp.In(this=a, expressions=[compare_value(tr.coerce(n, ti, ct), ct) for n, ti in items]), BOOLEAN


@expression("Like", "ILike")
def _like(tr: Translator, node: exp.Expr, scope: Scope, escape: exp.Expr | None = None) -> Typed:
    if isinstance(node, exp.ILike):
        raise err("SYNTAX_ERROR", f"{where(node)}: mismatched input 'ILIKE'")
    (v, t), (p, tp) = tr.expr(node.this, scope), tr.expr(node.expression, scope)
    for side, ty in (("Left", t), ("Pattern", tp)):
        if not (ty.is_string or ty.base == "unknown"):
            raise mismatch(node, f"{side} side of LIKE expression must evaluate to a varchar (actual: {ty})")
    out = exp.Like(this=v, expression=p)
    if escape is not None:
        e, te = tr.expr(escape, scope)
        out = exp.Escape(this=out, expression=e)
    return out, BOOLEAN


@expression("Escape")
def _escape(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    return _like(tr, node.this, scope, escape=node.expression)


# ---- conditionals ------------------------------------------------------------------------------


@expression("Case")
def _case(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    operand = node.this
    results = []
    conds: list[exp.Expr] = []
    if operand is not None:
        ov, ot = tr.expr(operand, scope)
        whens = [tr.expr(i.this, scope) for i in node.args["ifs"]]
        ct = ot
        for _, wt in whens:
            ct = ttypes.common_super_type(ct, wt) if ct is not None else None
        if ct is None:
            raise mismatch(node, f"CASE operand type does not match WHEN clause operand type: {ot} vs {whens[0][1]}")
        for w, wt in whens:
            a, b = compare_values(tr.coerce(ov.copy(), ot, ct), tr.coerce(w, wt, ct), ct)
            conds.append(exp.EQ(this=a, expression=b))
    else:
        for i in node.args["ifs"]:
            c, ct = tr.expr(i.this, scope)
            if ct.base not in ("boolean", "unknown"):
                raise mismatch(i, f"WHEN clause must evaluate to a boolean: actual type {ct}")
            conds.append(c)
    for i in node.args["ifs"]:
        results.append(tr.expr(i.args["true"], scope))
    default = node.args.get("default")
    if default is not None:
        results.append(tr.expr(default, scope))
    nodes, t = tr.unify(results, node, "All CASE results must be the same type: {t}")
    ifs = [exp.If(this=c, true=n) for c, n in zip(conds, nodes)]
    out = exp.Case(ifs=ifs)
    if default is not None:
        out.set("default", nodes[-1])
    return out, t


@expression("If")
def _if(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    c, ct = tr.expr(node.this, scope)
    if ct.base not in ("boolean", "unknown"):
        raise mismatch(node, f"IF condition must evaluate to a boolean: actual type {ct}")
    branches = [tr.expr(node.args["true"], scope)]
    if node.args.get("false") is not None:
        branches.append(tr.expr(node.args["false"], scope))
    nodes, t = tr.unify(branches, node, "All CASE results must be the same type: {t}")
    out = exp.Case(ifs=[exp.If(this=c, true=nodes[0])])
    if len(nodes) > 1:
        out.set("default", nodes[1])
    return out, t


@expression("Coalesce")
def _coalesce_node(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    args = [node.this, *node.expressions]
    return _coalesce_args(tr, node, args, scope)


def _coalesce_args(tr: Translator, node: exp.Expr, args: list[exp.Expr], scope: Scope) -> Typed:
    typed = [tr.expr(a, scope) for a in args]
    nodes, t = tr.unify(typed, node, "All COALESCE operands must be the same type: {t}")
    return call("coalesce", *nodes), t


# ---- arrays, rows, subscripts ---------------------------------------------------------------------


@expression("Array")
def _array(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    typed = [tr.expr(e, scope) for e in node.expressions]
    if not typed:
        return cast(exp.Array(expressions=[]), "INTEGER[]"), ttypes.array(UNKNOWN)
    nodes, t = tr.unify(typed, node, "All ARRAY elements must be the same type: {t}")
    return call("list_value", *nodes), ttypes.array(t)


@expression("Tuple")
def _tuple(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    typed = [tr.expr(e, scope) for e in node.expressions]
    return row_value(typed), ttypes.row([(None, t) for _, t in typed])


def row_value(typed: list[Typed]) -> exp.Expr:
    return call(
        "struct_pack", *[exp.PropertyEQ(this=duck.ident(f"field{i}"), expression=n) for i, (n, _) in enumerate(typed)]
    )


@expression("Bracket")
def _bracket(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    base, t = tr.expr(node.this, scope)
    if len(node.expressions) != 1:
        raise not_supported("a subscript with several indexes", node)
    idx, ti = tr.expr(node.expressions[0], scope)
    if t.base == "array":
        if not (ti.is_integer or ti.base == "unknown"):
            raise mismatch(node, f"Cannot use {ti} for subscript of {t}")
        fn = "tr_subscript_try" if tr.in_try else "tr_subscript"
        return call(fn, base, cast(idx, "BIGINT")), t.element
    if t.base == "map":
        base, t, idx = map_key(tr, base, t, idx, ti)
        if t is None:
            raise mismatch(node, f"Cannot use {ti} for subscript of {t}")
        if tr.in_try:
            return call("element_at", base, idx), t.params[1]
        return (
            tpl(
                f"CASE WHEN {{0}} IS NULL OR {{1}} IS NULL THEN NULL WHEN NOT map_contains({{0}}, {{1}}) THEN "
                f"error('{duck.ERROR_MARK}INVALID_FUNCTION_ARGUMENT: Key not present in map: ' "
                "|| CAST({1} AS VARCHAR)) "
                f"ELSE {{0}}[{{1}}] END",
                base,
                idx,
            ),
            t.params[1],
        )
    if t.base == "row":
        if not (isinstance(node.expressions[0], exp.Literal) and node.expressions[0].is_int):
            raise mismatch(node, "Subscript expression on ROW requires a constant index")
        i = int(node.expressions[0].name)
        if not 1 <= i <= len(t.params):
            raise err(
                "INVALID_FUNCTION_ARGUMENT",
                f"{where(node)}: Invalid subscript index: {i}, ROW type has {len(t.params)} fields",
            )
        return call("struct_extract", base, string(ttypes.field_name(t, i - 1))), t.params[i - 1][1]
    raise mismatch(node, f"Cannot use {ti} for subscript of {t}")


def map_key(tr: Translator, m: exp.Expr, t: T, k: exp.Expr, tk: T) -> tuple[exp.Expr, T | None, exp.Expr]:
    """A map and a key coerced to their common key type (Trino binds K to both)."""
    kt = ttypes.common_super_type(t.params[0], tk)
    if kt is None:
        return m, None, k
    mt = ttypes.map_of(kt, t.params[1])
    return tr.coerce(m, t, mt), mt, tr.coerce(k, tk, kt)


@expression("DPipe")
def _dpipe(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    (a, ta), (b, tb) = tr.expr(node.this, scope), tr.expr(node.expression, scope)
    return concat_values(tr, node, [(a, ta), (b, tb)])


def concat_values(tr: Translator, node: exp.Expr, typed: list[Typed]) -> Typed:
    types = [t for _, t in typed]
    if all(t.is_string or t.base == "unknown" for t in types):
        rt = VARCHAR  # concat(varchar...) -> varchar (TestTypeOfFunction: typeof(CONCAT('ala', 'ma', 'kota')))
        return tpl(" || ".join(f"{{{i}}}" for i in range(len(typed))), *[n for n, _ in typed]), rt
    if any(t.base == "array" for t in types):
        node, t = typed[0]
        for n2, t2 in typed[1:]:
            joined = _concat_two(tr, node, t, n2, t2)
            if joined is None:
                break
            node, t = joined
        else:
            return node, t
    shown = ", ".join(str(t) for t in types)
    raise err(
        "FUNCTION_NOT_FOUND",
        f"{where(node)}: Unexpected parameters ({shown}) for function concat. Expected: concat(char(x), char(y)), "
        "concat(array(E)), concat(E, array(E)), concat(array(E), E), concat(varchar)",
    )


def _concat_two(tr: Translator, a: exp.Expr, ta: T, b: exp.Expr, tb: T) -> Typed | None:
    """array || array, array || element, element || array (array.html#concatenation-operator)."""
    if ta.base == "array" and tb.base == "array":
        e = ttypes.common_super_type(ta.element, tb.element)
        if e is not None:
            return call(
                "list_concat", tr.coerce(a, ta, ttypes.array(e)), tr.coerce(b, tb, ttypes.array(e))
            ), ttypes.array(e)
    if ta.base == "array":
        e = ttypes.common_super_type(ta.element, tb)
        if e is not None:
            return call(
                "list_concat", tr.coerce(a, ta, ttypes.array(e)), call("list_value", tr.coerce(b, tb, e))
            ), ttypes.array(e)
    if tb.base == "array":
        e = ttypes.common_super_type(ta, tb.element)
        if e is not None:
            return call(
                "list_concat", call("list_value", tr.coerce(a, ta, e)), tr.coerce(b, tb, ttypes.array(e))
            ), ttypes.array(e)
    return None


# ---- date and time syntax ----------------------------------------------------------------------


@expression("Interval")
def _interval(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    unit_node = node.args.get("unit")
    unit = (unit_node.name if unit_node is not None else "").upper()
    v = node.this
    if not (isinstance(v, exp.Literal) and v.is_string):
        raise not_supported("an INTERVAL with a computed value", node)
    text = v.this.strip()
    if " TO " in unit or not re.fullmatch(r"[+-]?\d+", text):
        raise not_supported(f"INTERVAL '{text}' {unit}", node)
    n = int(text)
    if unit in ("YEAR", "MONTH"):
        return tpl(f"INTERVAL ({n}) {unit}"), IMONTH
    if unit in ("DAY", "HOUR", "MINUTE", "SECOND"):
        return tpl(f"INTERVAL ({n}) {unit}"), IDAY
    raise err("SYNTAX_ERROR", f"{where(node)}: mismatched input '{unit}'")


@expression("AtTimeZone")
def _at_time_zone(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    v, t = tr.expr(node.this, scope)
    z, tz = tr.expr(node.args["zone"], scope)
    return at_timezone(tr, node, v, t, z, tz)


def zone_arg(z: exp.Expr, tz: T, node: exp.Expr) -> exp.Expr:
    if not (tz.is_string or tz.base == "unknown"):
        raise mismatch(node, f"Type of time zone must be varchar: {tz}")
    if isinstance(z, exp.Literal) and z.is_string:
        return string(normalize_zone(z.this))
    return call("tr_zone", z)


def at_timezone(tr: Translator, node: exp.Expr, v: exp.Expr, t: T, z: exp.Expr, tz: T) -> Typed:
    zone = zone_arg(z, tz, node)
    if t.base == "timestamp":
        v, t = to_tstz(v, t), T("timestamptz", t.params)
    if t.base != "timestamptz":
        raise err("FUNCTION_NOT_FOUND", f"{where(node)}: Unexpected parameters ({t}, varchar) for function at_timezone")
    return tstz_make(tstz_instant(v), call("tr_check_zone", zone)), t


_FIELDS = {
    "YEAR": "year",
    "QUARTER": "quarter",
    "MONTH": "month",
    "WEEK": "week",
    "DAY": "day",
    "DAY_OF_MONTH": "day",
    "DAY_OF_WEEK": "isodow",
    "DOW": "isodow",
    "DAY_OF_YEAR": "doy",
    "DOY": "doy",
    "YEAR_OF_WEEK": "isoyear",
    "YOW": "isoyear",
    "HOUR": "hour",
    "MINUTE": "minute",
    "SECOND": "second",
}


@expression("Extract")
def _extract(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    field = node.this.name.upper()
    v, t = tr.expr(node.expression, scope)
    return extract_field(tr, node, field, v, t)


def extract_field(tr: Translator, node: exp.Expr, field: str, v: exp.Expr, t: T) -> Typed:
    if field in ("TIMEZONE_HOUR", "TIMEZONE_MINUTE"):
        if t.base != "timestamptz":
            raise mismatch(node, f"Cannot extract {field} from {t}")
        return call("tr_tz_" + field.split("_")[1].lower(), v), BIGINT
    if t.base == "timestamptz":
        v = tstz_local(v)
    elif t.base in ("iday", "imonth"):
        part = {
            "YEAR": "year",
            "MONTH": "month",
            "DAY": "day",
            "HOUR": "hour",
            "MINUTE": "minute",
            "SECOND": "second",
        }.get(field)
        if part is None:
            raise mismatch(node, f"Cannot extract {field} from {t}")
        return cast(call("date_part", string(part), v), "BIGINT"), BIGINT
    elif t.base not in ("date", "timestamp", "time", "unknown"):
        raise mismatch(node, f"Cannot extract {field} from {t}")
    if field not in _FIELDS:
        raise mismatch(node, f"Cannot extract {field} from {t}")
    if t.base == "date" and field in ("HOUR", "MINUTE", "SECOND"):
        raise mismatch(node, f"Cannot extract {field} from {t}")
    if field == "SECOND":
        return cast(call("floor", call("date_part", string("second"), v)), "BIGINT"), BIGINT
    return cast(call("date_part", string(_FIELDS[field]), v), "BIGINT"), BIGINT


@expression("CurrentDate")
def _current_date(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    return call("current_date"), DATE


@expression("CurrentTimestamp")
def _current_timestamp(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    if node.this is not None:
        raise not_supported("current_timestamp(p)", node)
    return tstz_make(call("tr_now"), string("UTC")), TIMESTAMPTZ3


@expression("Localtimestamp")
def _localtimestamp(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    return call("tr_round_ts", cast(call("tr_now"), "TIMESTAMP"), number(3)), TIMESTAMP3


@expression("CurrentTime", "Localtime")
def _current_time(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    raise not_supported(_sql(node), node)


# ---- string syntax -------------------------------------------------------------------------------


@expression("Substring")
def _substring_node(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    args = [node.this, node.args.get("start")]
    if node.args.get("length") is not None:
        args.append(node.args["length"])
    return substr(tr, node, [tr.expr(a, scope) for a in args], "substring")


@expression("StrPosition")
def _position(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    (s, ts), (sub, tsub) = tr.expr(node.this, scope), tr.expr(node.args["substr"], scope)
    check_args(node, "strpos", [ts, tsub], ["varchar", "varchar"])
    return cast(call("strpos", s, sub), "BIGINT"), BIGINT


@expression("Trim")
def _trim(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    v, t = tr.expr(node.this, scope)
    pos = (node.args.get("position") or "BOTH").upper()
    chars = node.args.get("expression")
    check_args(node, "trim", [t], ["varchar"])
    fn = {"BOTH": "trim", "LEADING": "ltrim", "TRAILING": "rtrim"}[pos]
    if chars is not None:
        c, tc = tr.expr(chars, scope)
        return call(fn, v, c), t
    return call(fn, v, string(" ")), t


# ---- subqueries ------------------------------------------------------------------------------------


@expression("Subquery")
def _scalar_subquery(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    q, fields = tr.query(node.this, scope)
    if node.args.get("order") or node.args.get("limit"):
        q = tr._modifiers(q, node, fields, scope)
    if len(fields) != 1:
        raise err(
            "NOT_SUPPORTED",
            f"{where(node)}: Multiple columns returned by subquery are not yet supported. Found {len(fields)}",
        )
    return exp.Subquery(this=q), fields[0].type


@expression("Exists")
def _exists(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    q, _ = tr.query(node.this.this if isinstance(node.this, exp.Subquery) else node.this, scope)
    return exp.Exists(this=q), BOOLEAN


@expression("Any", "All")
def _quantified_alone(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    raise not_supported("a quantified comparison outside its operator", node)


def _quantified(node: exp.Expr) -> tuple[type[exp.Any] | type[exp.All], exp.Expr] | None:
    """(exp.Any or exp.All, query) of ``= ANY (...)``, ``< ALL (...)``, ``>= SOME (...)``."""
    q = node.expression
    if isinstance(q, (exp.Any, exp.All)):
        kind, inner = type(q), q.this
    elif isinstance(q, exp.Anonymous) and q.name.upper() in ("ALL", "ANY", "SOME") and len(q.expressions) == 1:
        kind, inner = (exp.All if q.name.upper() == "ALL" else exp.Any), q.expressions[0]
    else:
        return None
    while isinstance(inner, (exp.Subquery, exp.Paren)) and not inner.args.get("alias"):
        inner = inner.this
    if not isinstance(inner, (exp.Query, exp.Values)):
        return None
    return kind, inner


def _quantified_compare(
    tr: Translator, node: exp.Expr, scope: Scope, kind: type[exp.Any] | type[exp.All], sub: exp.Expr
) -> Typed:
    """``x = ANY (subquery)``, ``x < ALL (...)``, ``x >= SOME (...)`` (comparison.html)."""
    (v, t) = tr.expr(node.this, scope)
    q, fields = tr.query(sub, scope)
    if len(fields) != 1:
        raise err(
            "NOT_SUPPORTED",
            f"{where(node)}: Multiple columns returned by subquery are not yet supported. Found {len(fields)}",
        )
    ct = comparable(t, fields[0].type)
    if ct is None:
        raise mismatch(node, f"Cannot apply operator: {t} {_CMP[type(node)]} {fields[0].type}")
    inner = exp.select(tr.coerce(exp.column("c0", table="__qq", quoted=True), fields[0].type, ct)).from_(
        exp.Subquery(this=q, alias=exp.TableAlias(this=duck.ident("__qq")))
    )
    return type(node)(this=tr.coerce(v, t, ct), expression=kind(this=exp.Subquery(this=inner))), BOOLEAN


_plain_compare = _compare


def _compare_dispatch(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    quantified = _quantified(node)
    if quantified is not None:
        return _quantified_compare(tr, node, scope, *quantified)
    return _plain_compare(tr, node, scope)


for _name in ("EQ", "NEQ", "LT", "LTE", "GT", "GTE"):
    EXPRESSIONS[_name] = _compare_dispatch


# ==== function calls ==================================================================================


class Call:
    """One function call being translated: its arguments typed on demand (lambdas last)."""

    def __init__(self, tr: Translator, node: exp.Expr, scope: Scope, name: str, args: list[exp.Expr]) -> None:
        self.tr, self.node, self.scope, self.name = tr, node, scope, name
        self.raw = args
        self._typed: dict[int, Typed] = {}

    def __len__(self) -> int:
        return len(self.raw)

    def arg(self, i: int) -> tuple[exp.Expr, T]:
        if i not in self._typed:
            if isinstance(self.raw[i], exp.Lambda):
                raise self.unexpected()
            self._typed[i] = self.tr.expr(self.raw[i], self.scope)
        return self._typed[i]

    def types(self) -> list[T]:
        return [self.arg(i)[1] if not isinstance(a, exp.Lambda) else T("function") for i, a in enumerate(self.raw)]

    def unexpected(self, expected: str = "") -> CatalogError:
        shown = ", ".join(
            "function"
            if isinstance(a, exp.Lambda)
            else str(self._typed[i][1])
            if i in self._typed
            else str(self.tr.expr(a, self.scope)[1])
            for i, a in enumerate(self.raw)
        )
        msg = f"{where(self.node)}: Unexpected parameters ({shown}) for function {self.name}"
        if expected:
            msg += f". Expected: {expected}"
        return err("FUNCTION_NOT_FOUND", msg)

    def sig(self, *patterns: str, expected: str = "") -> list[exp.Expr]:
        """Check the arguments against ``patterns`` and coerce them; returns the DuckDB nodes."""
        if len(patterns) != len(self.raw):
            raise self.unexpected(expected or f"{self.name}({', '.join(patterns)})")
        out = []
        for i, p in enumerate(patterns):
            node, t = self.arg(i)
            target = accepts(p, t)
            if target is None:
                raise self.unexpected(expected or f"{self.name}({', '.join(patterns)})")
            out.append(self.tr.coerce(node, t, target) if target != t else node)
        return out

    def lam(self, i: int, param_types: list[T]) -> tuple[exp.Lambda, T]:
        node = self.raw[i]
        if not isinstance(node, exp.Lambda):
            raise self.unexpected()
        params = [p.name.lower() for p in node.expressions]
        if len(params) != len(param_types):
            raise err(
                "INVALID_PARAMETER_USAGE" if False else "FUNCTION_NOT_FOUND",
                f"{where(node)}: Expected a lambda that takes {len(param_types)} argument(s) but got {len(params)}",
            )
        names = [self.tr.fresh("__l") for _ in params]
        lambdas: dict[str, Typed] = {
            p: (exp.Column(this=duck.ident(n)), t) for p, n, t in zip(params, names, param_types)
        }
        inner = Scope(self.scope, lambdas)
        body, t = self.tr.expr(node.this, inner)
        return exp.Lambda(this=body, expressions=[duck.ident(n) for n in names]), t


def accepts(pattern: str, t: T) -> T | None:
    """The type an argument of type ``t`` is converted to for parameter ``pattern`` (None: no match)."""
    if pattern == "any":
        return t
    if t.base == "unknown":
        return {
            "varchar": VARCHAR,
            "bigint": BIGINT,
            "integer": INTEGER,
            "double": DOUBLE,
            "boolean": BOOLEAN,
            "date": DATE,
            "json": JSON,
            "varbinary": VARBINARY,
            "timestamp": TIMESTAMP3,
        }.get(pattern, t)
    if pattern == "varchar":
        return t if t.is_string else None
    if pattern in ("bigint", "integer", "double", "real", "boolean", "date", "json", "varbinary"):
        target = {
            "bigint": BIGINT,
            "integer": INTEGER,
            "double": DOUBLE,
            "real": REAL,
            "boolean": BOOLEAN,
            "date": DATE,
            "json": JSON,
            "varbinary": VARBINARY,
        }[pattern]
        return target if ttypes.can_coerce(t, target) else None
    if pattern == "number":
        return t if t.is_numeric else None
    if pattern == "timestamp":
        return t if t.base == "timestamp" else None
    if pattern == "datetime":
        return t if t.base in ("date", "timestamp", "timestamptz") else None
    if pattern == "array":
        return t if t.base == "array" else None
    if pattern == "map":
        return t if t.base == "map" else None
    raise ValueError(pattern)


def check_args(node: exp.Expr, name: str, types: list[T], patterns: list[str]) -> None:
    if len(types) != len(patterns) or any(accepts(p, t) is None for p, t in zip(patterns, types)):
        shown = ", ".join(str(t) for t in types)
        raise err("FUNCTION_NOT_FOUND", f"{where(node)}: Unexpected parameters ({shown}) for function {name}")


@expression("Anonymous")
def _function_call(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    name = node.name.lower()
    args = list(node.expressions)
    if len(args) > 127:
        raise err("TOO_MANY_ARGUMENTS", f"{where(node)}: Too many arguments for function call {name}()")
    handler = FUNCTIONS.get(name)
    if handler is None:
        if name in KNOWN_TRINO_FUNCTIONS:
            raise err(NOT_SUPPORTED, f"{where(node)}: localcloud does not implement the Trino function {name}()")
        raise err("FUNCTION_NOT_FOUND", f"{where(node)}: Function '{name}' not registered")
    if name in AGGREGATES or name in WINDOW_ONLY:
        if not tr_aggregate_context(node):
            pass
    if any(isinstance(a, (exp.Distinct, exp.Order)) for a in args) and name not in AGGREGATES:
        raise err(
            "FUNCTION_NOT_FOUND",
            f"{where(node)}: DISTINCT and ORDER BY are only allowed in aggregate functions: {name}",
        )
    if name in WINDOW_ONLY and not isinstance(node.parent, (exp.Window, exp.IgnoreNulls, exp.RespectNulls)):
        raise err("FUNCTION_NOT_FOUND", f"{where(node)}: Window function {name}() requires an OVER clause")
    c = Call(tr, node, scope, name, args)
    return handler(c)


def tr_aggregate_context(node: exp.Expr) -> bool:
    return True


# ---- helpers for the function table ---------------------------------------------------------------


def simple(duck_name: str, patterns: list[str], ret: T | Callable[[Call], T], names: tuple[str, ...]) -> None:
    """A function that is DuckDB's ``duck_name`` once its arguments are coerced."""

    def handler(c: Call) -> Typed:
        args = c.sig(*patterns)
        out = call(duck_name, *args)
        rt = ret(c) if callable(ret) else ret
        return out, rt

    for n in names:
        FUNCTIONS[n] = handler


# ==== mathematical functions (math.html) ==============================================================


@function("abs")
def _abs(c: Call) -> Typed:
    if len(c) != 1:
        raise c.unexpected()
    v, t = c.arg(0)
    if not t.is_numeric:
        raise c.unexpected()
    if t.is_integer:
        lo = -_INT_LIMITS[t.base]
        # MathFunctions.absInteger & co. refuse the one value whose absolute value does not fit
        text = f"Value {lo} is out of range for abs({t.base})"
        return tpl(
            f"CASE WHEN {{0}} = {lo} THEN error('{duck.ERROR_MARK}NUMERIC_VALUE_OUT_OF_RANGE: {text}') "
            "ELSE abs({0}) END",
            v,
        ), t
    return cast(call("abs", v), t), t


@function("ceil", "ceiling")
def _ceil(c: Call) -> Typed:
    return _round_like(c, "ceil")


@function("floor")
def _floor(c: Call) -> Typed:
    return _round_like(c, "floor")


def _round_like(c: Call, fn: str) -> Typed:
    if len(c) != 1:
        raise c.unexpected()
    v, t = c.arg(0)
    if t.is_integer or t.base in ("double", "real"):
        return cast(call(fn, v), t), t
    if t.base == "decimal":
        p, s = t.params
        rt = ttypes.decimal(min(38, p - s + (1 if s > 0 else 0)), 0)
        return cast(call(fn, v), rt), rt
    raise c.unexpected()


@function("round")
def _round(c: Call) -> Typed:
    v, t = c.arg(0)
    if len(c) == 1:
        if t.is_integer:
            return v, t
        if t.base in ("double", "real"):
            return cast(call("round", v), t), t  # DuckDB rounds half away from zero, as Trino
        if t.base == "decimal":
            p, s = t.params
            rt = ttypes.decimal(min(38, p - s + min(1, s)), 0)
            return cast(call("round", v), rt), rt
        raise c.unexpected()
    d, td = c.arg(1)
    if not (td.is_integer or td.base == "unknown"):
        raise c.unexpected()
    if t.is_integer:
        return cast(call("round", v, cast(d, "INTEGER")), t), t
    if t.base in ("double", "real"):
        return cast(call("round", v, cast(d, "INTEGER")), t), t
    if t.base == "decimal":
        p, s = t.params
        rt = ttypes.decimal(min(38, p + 1), s)
        return cast(call("round", v, cast(d, "INTEGER")), rt), rt
    raise c.unexpected()


@function("truncate")
def _truncate(c: Call) -> Typed:
    v, t = c.arg(0)
    if len(c) == 1 and t.base in ("double", "real"):
        return cast(call("trunc", v), t), t
    if len(c) == 1 and t.base == "decimal":
        p, s = t.params
        rt = ttypes.decimal(max(1, p - s), 0)
        return cast(call("trunc", v), rt), rt
    raise c.unexpected()


@function("mod")
def _mod(c: Call) -> Typed:
    if len(c) != 2:
        raise c.unexpected()
    (a, ta), (b, tb) = c.arg(0), c.arg(1)
    if not ((ta.is_numeric or ta.base == "unknown") and (tb.is_numeric or tb.base == "unknown")):
        raise c.unexpected()
    ta2, tb2 = _operand_types(ta, tb)
    return numeric_op(c.tr, "%", c.tr.coerce(a, ta, ta2), ta2, c.tr.coerce(b, tb, tb2), tb2, c.node)


for _n, _d in (
    ("sqrt", "sqrt"),
    ("cbrt", "cbrt"),
    ("exp", "exp"),
    ("ln", "ln"),
    ("log2", "log2"),
    ("log10", "log10"),
    ("sin", "sin"),
    ("cos", "cos"),
    ("tan", "tan"),
    ("asin", "asin"),
    ("acos", "acos"),
    ("atan", "atan"),
    ("sinh", "sinh"),
    ("cosh", "cosh"),
    ("tanh", "tanh"),
    ("radians", "radians"),
    ("degrees", "degrees"),
):
    simple(_d, ["double"], DOUBLE, (_n,))
simple("pow", ["double", "double"], DOUBLE, ("power", "pow"))
simple("atan2", ["double", "double"], DOUBLE, ("atan2",))
simple("pi", [], DOUBLE, ("pi",))


@function("e")
def _e(c: Call) -> Typed:
    c.sig()
    return tpl("exp(1)"), DOUBLE


@function("log")
def _log(c: Call) -> Typed:
    b, x = c.sig("double", "double")
    return tpl("ln({1}) / ln({0})", b, x), DOUBLE


@function("sign")
def _sign(c: Call) -> Typed:
    if len(c) != 1:
        raise c.unexpected()
    v, t = c.arg(0)
    if t.is_integer or t.base in ("double", "real"):
        return cast(call("sign", v), t), t
    if t.base == "decimal":
        rt = ttypes.decimal(1, 0)
        return cast(call("sign", v), rt), rt
    raise c.unexpected()


@function("infinity")
def _inf(c: Call) -> Typed:
    c.sig()
    return cast(string("Infinity"), "DOUBLE"), DOUBLE


@function("nan")
def _nan(c: Call) -> Typed:
    c.sig()
    return cast(string("NaN"), "DOUBLE"), DOUBLE


simple("isnan", ["double"], BOOLEAN, ("is_nan",))
simple("isinf", ["double"], BOOLEAN, ("is_infinite",))
simple("isfinite", ["double"], BOOLEAN, ("is_finite",))


@function("rand", "random")
def _random(c: Call) -> Typed:
    if len(c) == 0:
        return call("random"), DOUBLE
    raise not_supported("random(n)", c.node)


@function("greatest", "least")
def _greatest(c: Call) -> Typed:
    typed = [c.arg(i) for i in range(len(c))]
    nodes, t = c.tr.unify(typed, c.node, f"All {c.name} arguments must be the same type: {{t}}")
    if t.base in ("map", "json"):
        raise c.unexpected()
    # null if any argument is null (comparison.html#greatest-and-least)
    nulls = " OR ".join(f"{{{i}}} IS NULL" for i in range(len(nodes)))
    body = f"CASE WHEN {nulls} THEN NULL ELSE {c.name}(" + ", ".join(f"{{{i}}}" for i in range(len(nodes))) + ") END"
    return tpl(body, *nodes), t


@function("width_bucket")
def _wb(c: Call) -> Typed:
    raise not_supported("width_bucket", c.node)


@function("to_base", "from_base")
def _base(c: Call) -> Typed:
    raise not_supported(c.name, c.node)


# ==== string functions (string.html) ====================================================================


@function("length")
def _length(c: Call) -> Typed:
    (s,) = c.sig("varchar", expected="length(varchar(x)), length(char(x))")
    return call("length", s), BIGINT


@function("lower", "upper", "reverse")
def _case_fn(c: Call) -> Typed:
    if len(c) == 1 and c.arg(0)[1].base == "array" and c.name == "reverse":
        v, t = c.arg(0)
        return call("list_reverse", v), t
    (s,) = c.sig("varchar")
    return call(c.name, s), c.arg(0)[1] if c.arg(0)[1].base != "unknown" else VARCHAR


def substr(tr: Translator, node: exp.Expr, typed: list[Typed], name: str = "substr") -> Typed:
    types = [t for _, t in typed]
    patterns = ["varchar", "bigint", "bigint"][: len(typed)]
    if len(typed) not in (2, 3) or any(accepts(p, t) is None for p, t in zip(patterns, types)):
        shown = ", ".join(str(t) for t in types)
        raise err("FUNCTION_NOT_FOUND", f"{where(node)}: Unexpected parameters ({shown}) for function {name}")
    s = typed[0][0]
    start = cast(typed[1][0], "BIGINT")
    rt = types[0] if types[0].base != "unknown" else VARCHAR
    if len(typed) == 2:
        # StringFunctions.substr: start 0 or beyond the end -> ''; negative counts from the end
        return call("tr_substr", s, start), rt
    return call("tr_substr3", s, start, cast(typed[2][0], "BIGINT")), rt


@function("substr", "substring")
def _substr(c: Call) -> Typed:
    return substr(c.tr, c.node, [c.arg(i) for i in range(len(c))], c.name)


@function("concat")
def _concat(c: Call) -> Typed:
    if len(c) < 2:
        if len(c) == 1 and c.arg(0)[1].is_string:
            raise err(
                "INVALID_FUNCTION_ARGUMENT", f"{where(c.node)}: There must be two or more concatenation arguments"
            )
        if len(c) == 1 and c.arg(0)[1].base == "array":
            return c.arg(0)
    return concat_values(c.tr, c.node, [c.arg(i) for i in range(len(c))])


@function("concat_ws")
def _concat_ws(c: Call) -> Typed:
    if len(c) < 2:
        raise c.unexpected()
    sep, tsep = c.arg(0)
    if not (tsep.is_string or tsep.base == "unknown"):
        raise c.unexpected()
    rest = [c.arg(i) for i in range(1, len(c))]
    if len(rest) == 1 and rest[0][1].base == "array":
        return tpl(
            "CASE WHEN {0} IS NULL THEN NULL ELSE array_to_string(list_filter({1}, lambda x: x IS NOT NULL), {0}) END",
            sep,
            rest[0][0],
        ), VARCHAR
    for _, t in rest:
        if not (t.is_string or t.base == "unknown"):
            raise c.unexpected()
    return tpl(
        "CASE WHEN {0} IS NULL THEN NULL ELSE concat_ws("
        + ", ".join(f"{{{i}}}" for i in range(len(rest) + 1))
        + ") END",
        sep,
        *[n for n, _ in rest],
    ), VARCHAR


@function("strpos")
def _strpos(c: Call) -> Typed:
    if len(c) == 2:
        s, sub = c.sig("varchar", "varchar")
        return cast(call("strpos", s, sub), "BIGINT"), BIGINT
    s, sub, n = c.sig("varchar", "varchar", "bigint")
    return call("tr_strpos", s, sub, n), BIGINT


@function("position")
def _position_fn(c: Call) -> Typed:
    s, sub = c.sig("varchar", "varchar")
    return cast(call("strpos", sub, s), "BIGINT"), BIGINT


@function("replace")
def _replace(c: Call) -> Typed:
    if len(c) == 2:
        s, f = c.sig("varchar", "varchar")
        return call("replace", s, f, string("")), VARCHAR
    s, f, r = c.sig("varchar", "varchar", "varchar")
    return call("replace", s, f, r), VARCHAR


@function("lpad", "rpad")
def _pad(c: Call) -> Typed:
    s, n, p = c.sig("varchar", "bigint", "varchar")
    return call("tr_" + c.name, s, n, p), VARCHAR


@function("ltrim", "rtrim", "trim")
def _trim_fn(c: Call) -> Typed:
    if len(c) == 1:
        (s,) = c.sig("varchar")
        return call(c.name, s, string(" ")), c.arg(0)[1] if c.arg(0)[1].base != "unknown" else VARCHAR
    s, chars = c.sig("varchar", "varchar")
    return call(c.name, s, chars), c.arg(0)[1]


@function("split")
def _split(c: Call) -> Typed:
    if len(c) == 2:
        s, d = c.sig("varchar", "varchar")
        return call("tr_split", s, d), ttypes.array(VARCHAR)
    s, d, n = c.sig("varchar", "varchar", "bigint")
    return call("tr_split_limit", s, d, n), ttypes.array(VARCHAR)


@function("split_part")
def _split_part(c: Call) -> Typed:
    s, d, i = c.sig("varchar", "varchar", "bigint")
    return call("tr_split_part", s, d, i), VARCHAR


@function("starts_with")
def _starts_with(c: Call) -> Typed:
    s, p = c.sig("varchar", "varchar")
    return call("starts_with", s, p), BOOLEAN


@function("chr")
def _chr(c: Call) -> Typed:
    (n,) = c.sig("bigint")
    return call("tr_chr", n), ttypes.varchar(1)


@function("codepoint")
def _codepoint(c: Call) -> Typed:
    if len(c) != 1:
        raise c.unexpected("codepoint(varchar(1))")
    v, t = c.arg(0)
    if not (t.is_string and t.params == (1,) or t.base == "unknown"):
        raise c.unexpected("codepoint(varchar(1))")
    return cast(call("unicode", v), "INTEGER"), INTEGER


@function("translate")
def _translate(c: Call) -> Typed:
    s, f, t = c.sig("varchar", "varchar", "varchar")
    return call("translate", s, f, t), VARCHAR


@function("levenshtein_distance")
def _lev(c: Call) -> Typed:
    a, b = c.sig("varchar", "varchar")
    return call("levenshtein", a, b), BIGINT


@function("hamming_distance")
def _ham(c: Call) -> Typed:
    a, b = c.sig("varchar", "varchar")
    return tpl(
        f"CASE WHEN length({{0}}) <> length({{1}}) THEN error('{duck.ERROR_MARK}INVALID_FUNCTION_ARGUMENT: "
        "The input strings to hamming_distance function must have the same length') ELSE hamming({0}, {1}) END",
        a,
        b,
    ), BIGINT


@function("luhn_check")
def _luhn(c: Call) -> Typed:
    (s,) = c.sig("varchar")
    return call("tr_luhn_check", s), BOOLEAN


@function("format")
def _format(c: Call) -> Typed:
    if len(c) < 1:
        raise c.unexpected()
    fmt, tf = c.arg(0)
    if not tf.is_string:
        raise c.unexpected()
    rest = [c.arg(i) for i in range(1, len(c))]
    kinds = ",".join(t.base for _, t in rest)
    values = call("to_json", call("list_value", *[_json_text(n, t) for n, t in rest])) if rest else string("[]")
    return call("tr_format", fmt, cast(values, "VARCHAR"), string(kinds)), VARCHAR


def _json_text(n: exp.Expr, t: T) -> exp.Expr:
    if t.base in ("date", "timestamp"):
        return call("strftime", n, string("%Y-%m-%d %H:%M:%S.%f"))
    if t.base == "timestamptz":
        return call("strftime", tstz_local(n), string("%Y-%m-%d %H:%M:%S.%f"))
    if t.base == "decimal":
        return cast(n, "VARCHAR")
    if t.base in ("double", "real"):
        return call("tr_double_varchar", cast(n, "DOUBLE"))
    return cast(n, "VARCHAR")


@function("to_utf8")
def _to_utf8(c: Call) -> Typed:
    (s,) = c.sig("varchar")
    return call("encode", s), VARBINARY


@function("from_utf8")
def _from_utf8(c: Call) -> Typed:
    (b,) = c.sig("varbinary")
    return call("decode", b), VARCHAR


@function("to_hex")
def _to_hex(c: Call) -> Typed:
    (b,) = c.sig("varbinary")
    return call("upper", call("hex", b)), VARCHAR


@function("from_hex")
def _from_hex(c: Call) -> Typed:
    (s,) = c.sig("varchar")
    return call("unhex", s), VARBINARY


@function("md5", "sha256", "sha1", "sha512")
def _hash(c: Call) -> Typed:
    (b,) = c.sig("varbinary")
    fn = {"md5": "md5", "sha256": "sha256", "sha1": "sha1", "sha512": "sha512"}[c.name]
    return call("unhex", call(fn, b)), VARBINARY


@function("to_base64")
def _to_b64(c: Call) -> Typed:
    (b,) = c.sig("varbinary")
    return call("to_base64", b), VARCHAR


@function("from_base64")
def _from_b64(c: Call) -> Typed:
    (s,) = c.sig("varchar")
    return call("from_base64", s), VARBINARY


# regular expressions (regexp.html). Trino uses Java's regex syntax, DuckDB RE2: the common
# syntax is the same; replacement strings use $1 (Java) where RE2 uses \1.


@function("regexp_like")
def _rlike(c: Call) -> Typed:
    s, p = c.sig("varchar", "varchar")
    return call("regexp_matches", s, p), BOOLEAN


@function("regexp_extract")
def _rextract(c: Call) -> Typed:
    if len(c) == 2:
        s, p = c.sig("varchar", "varchar")
        return call("tr_regexp_extract", s, p, number(0)), VARCHAR
    s, p, g = c.sig("varchar", "varchar", "bigint")
    return call("tr_regexp_extract", s, p, g), VARCHAR


@function("regexp_extract_all")
def _rextract_all(c: Call) -> Typed:
    if len(c) == 2:
        s, p = c.sig("varchar", "varchar")
        return call("regexp_extract_all", s, p), ttypes.array(VARCHAR)
    s, p, g = c.sig("varchar", "varchar", "bigint")
    return call("regexp_extract_all", s, p, cast(g, "INTEGER")), ttypes.array(VARCHAR)


@function("regexp_replace")
def _rreplace(c: Call) -> Typed:
    if len(c) == 2:
        s, p = c.sig("varchar", "varchar")
        return call("regexp_replace", s, p, string(""), string("g")), VARCHAR
    if isinstance(c.raw[2], exp.Lambda):
        (s, ts), (p, tp) = c.arg(0), c.arg(1)
        check_args(c.node, c.name, [ts, tp], ["varchar", "varchar"])
        return regexp_replace_lambda(c, s, p)
    s, p, r = c.sig("varchar", "varchar", "varchar")
    return call("regexp_replace", s, p, call("tr_java_replacement", r), string("g")), VARCHAR


def regexp_replace_lambda(c: Call, s: exp.Expr, p: exp.Expr) -> Typed:
    """regexp_replace(s, pattern, x -> ...): the function gets each match's groups as an array."""
    lam, t = c.lam(2, [ttypes.array(VARCHAR)])
    if not (t.is_string or t.base == "unknown"):
        raise c.unexpected()
    # parts between matches, and the groups of each match, side by side
    i = c.tr.fresh("__i")
    groups = call("tr_regexp_groups", s, p)  # list of lists: the capturing groups of each match
    param = lam.expressions[0]
    body = lam.this
    applied = body.transform(
        lambda n: (
            tpl("{0}[{1}]", groups.copy(), exp.Column(this=duck.ident(i)))
            if isinstance(n, exp.Column) and n.name == param.name and not n.table
            else n
        )
    )
    parts = call("regexp_split_to_array", s, p)
    pieces = exp.Lambda(
        this=tpl("{0}[{1}] || coalesce({2}, '')", parts.copy(), exp.Column(this=duck.ident(i)), applied),
        expressions=[duck.ident(i)],
    )
    joined = call(
        "array_to_string",
        call("list_transform", call("range", number(1), tpl("len({0})", parts.copy())), pieces),
        string(""),
    )
    return tpl(
        "CASE WHEN {0} IS NULL OR {1} IS NULL THEN NULL ELSE {2} || {3}[-1] END", s, p, joined, parts.copy()
    ), VARCHAR


@function("regexp_count")
def _rcount(c: Call) -> Typed:
    s, p = c.sig("varchar", "varchar")
    return cast(call("len", call("regexp_extract_all", s, p)), "BIGINT"), BIGINT


@function("regexp_split")
def _rsplit(c: Call) -> Typed:
    s, p = c.sig("varchar", "varchar")
    return call("regexp_split_to_array", s, p), ttypes.array(VARCHAR)


@function("regexp_position")
def _rposition(c: Call) -> Typed:
    if len(c) != 2:
        raise not_supported("regexp_position(string, pattern, start[, occurrence])", c.node)
    s, p = c.sig("varchar", "varchar")
    return tpl(
        "CASE WHEN {0} IS NULL OR {1} IS NULL THEN NULL WHEN NOT regexp_matches({0}, {1}) THEN -1 "
        "ELSE CAST(length(regexp_split_to_array({0}, {1})[1]) + 1 AS INTEGER) END",
        s,
        p,
    ), INTEGER


# ==== conditional and conversion functions =============================================================


@function("coalesce")
def _coalesce(c: Call) -> Typed:
    if len(c) < 1:
        raise c.unexpected()
    return _coalesce_args(c.tr, c.node, c.raw, c.scope)


@function("nullif")
def _nullif(c: Call) -> Typed:
    (a, ta), (b, tb) = c.arg(0), c.arg(1)
    t = comparable(ta, tb)
    if t is None:
        raise mismatch(c.node, f"Types are not comparable with NULLIF: {ta} vs {tb}")
    x, y = compare_values(c.tr.coerce(a, ta, t), c.tr.coerce(b, tb, t), t)
    return tpl("CASE WHEN {1} = {2} THEN NULL ELSE {0} END", a, x, y), ta


@function("if")
def _if_fn(c: Call) -> Typed:
    if len(c) not in (2, 3):
        raise c.unexpected()
    node = exp.If(this=c.raw[0], true=c.raw[1], false=c.raw[2] if len(c) == 3 else None)
    return _if(c.tr, node, c.scope)


@function("try")
def _try(c: Call) -> Typed:
    if len(c) != 1:
        raise c.unexpected()
    c.tr.in_try += 1
    try:
        v, t = c.tr.expr(c.raw[0], c.scope)
    finally:
        c.tr.in_try -= 1
    if any(isinstance(n, exp.Anonymous) and n.name in ("error", "random", "tr_now") for n in v.walk()):
        return v, t
    return call("try", v), t


@function("typeof")
def _typeof(c: Call) -> Typed:
    if len(c) != 1:
        raise c.unexpected()
    v, t = c.arg(0)
    # the argument is still evaluated (typeof(count(*)) aggregates), its value ignored
    return tpl("CASE WHEN {0} IS NULL THEN {1} ELSE {1} END", v, string(str(t))), VARCHAR


@function("try_cast")
def _try_cast(c: Call) -> Typed:
    raise c.unexpected()


# ==== arrays (array.html) =================================================================================


def _array_arg(c: Call, i: int = 0) -> Typed:
    v, t = c.arg(i)
    if t.base == "unknown":
        return cast(v, "INTEGER[]"), ttypes.array(UNKNOWN)
    if t.base != "array":
        raise c.unexpected()
    return v, t


@function("cardinality")
def _cardinality(c: Call) -> Typed:
    if len(c) != 1:
        raise c.unexpected()
    v, t = c.arg(0)
    if t.base == "array":
        return cast(call("len", v), "BIGINT"), BIGINT
    if t.base == "map":
        return cast(call("cardinality", v), "BIGINT"), BIGINT
    raise c.unexpected("cardinality(array(E)), cardinality(map(K,V))")


@function("contains")
def _contains(c: Call) -> Typed:
    a, ta = _array_arg(c)
    v, tv = c.arg(1)
    et = ttypes.common_super_type(ta.element, tv)
    if et is None:
        raise c.unexpected()
    return call("tr_contains", c.tr.coerce(a, ta, ttypes.array(et)), c.tr.coerce(v, tv, et)), BOOLEAN


@function("contains_sequence")
def _contains_seq(c: Call) -> Typed:
    (a, ta), (b, tb) = _array_arg(c, 0), _array_arg(c, 1)
    et = ttypes.common_super_type(ta.element, tb.element)
    if et is None:
        raise c.unexpected()
    at = ttypes.array(et)
    return call("tr_contains_sequence", c.tr.coerce(a, ta, at), c.tr.coerce(b, tb, at)), BOOLEAN


@function("element_at")
def _element_at(c: Call) -> Typed:
    v, t = c.arg(0)
    i, ti = c.arg(1)
    if t.base == "array":
        if not (ti.is_integer or ti.base == "unknown"):
            raise c.unexpected()
        return call("tr_element_at", v, cast(i, "BIGINT")), t.element
    if t.base == "map":
        v, mt, i = map_key(c.tr, v, t, i, ti)
        if mt is None:
            raise c.unexpected()
        return tpl("CASE WHEN map_contains({0}, {1}) THEN {0}[{1}] END", v, i), t.params[1]
    raise c.unexpected()


@function("array_distinct")
def _array_distinct(c: Call) -> Typed:
    a, t = _array_arg(c)
    return call("tr_array_distinct", a), t


@function("array_max", "array_min")
def _array_max(c: Call) -> Typed:
    a, t = _array_arg(c)
    fn = "list_max" if c.name == "array_max" else "list_min"
    # null if any element is null (ArrayMaxFunction)
    return tpl(
        f"CASE WHEN list_contains(list_transform({{0}}, lambda x: x IS NULL), true) THEN NULL ELSE {fn}({{0}}) END", a
    ), t.element


@function("array_position")
def _array_position(c: Call) -> Typed:
    a, t = _array_arg(c)
    v, tv = c.arg(1)
    et = ttypes.common_super_type(t.element, tv)
    if et is None:
        raise c.unexpected()
    return cast(
        call("coalesce", call("list_position", c.tr.coerce(a, t, ttypes.array(et)), c.tr.coerce(v, tv, et)), number(0)),
        "BIGINT",
    ), BIGINT


@function("array_remove")
def _array_remove(c: Call) -> Typed:
    a, t = _array_arg(c)
    v, tv = c.arg(1)
    et = ttypes.common_super_type(t.element, tv)
    if et is None:
        raise c.unexpected()
    return call("tr_array_remove", c.tr.coerce(a, t, ttypes.array(et)), c.tr.coerce(v, tv, et)), ttypes.array(et)


@function("array_sort")
def _array_sort(c: Call) -> Typed:
    a, t = _array_arg(c)
    if len(c) == 1:
        return call("list_sort", a, string("ASC"), string("NULLS LAST")), t
    lam, lt = c.lam(1, [t.element, t.element])
    if not lt.is_integer:
        raise c.unexpected()
    # each element's place: how many elements the comparator puts before it (ties keep input order)
    i, j, e = c.tr.fresh("__i"), c.tr.fresh("__j"), c.tr.fresh("__e")
    ai = exp.Bracket(this=a.copy(), expressions=[exp.Column(this=duck.ident(i))])
    aj = exp.Bracket(this=a.copy(), expressions=[exp.Column(this=duck.ident(j))])
    cmp = _apply(lam, [aj, ai])
    before = tpl(
        "({0} < 0) OR ({0} = 0 AND {1} < {2})", cmp, exp.Column(this=duck.ident(j)), exp.Column(this=duck.ident(i))
    )
    rank = tpl("len(list_filter(range(1, len({0}) + 1), {1}))", a, exp.Lambda(this=before, expressions=[duck.ident(j)]))
    entry = call(
        "struct_pack",
        exp.PropertyEQ(this=duck.ident("r"), expression=rank),
        exp.PropertyEQ(this=duck.ident("v"), expression=ai.copy()),
    )
    ranked = call(
        "list_transform", tpl("range(1, len({0}) + 1)", a), exp.Lambda(this=entry, expressions=[duck.ident(i)])
    )
    ordered = call(
        "list_transform", call("list_sort", ranked), exp.Lambda(this=tpl(f'"{e}".v'), expressions=[duck.ident(e)])
    )
    return tpl("CASE WHEN {0} IS NULL THEN NULL ELSE {1} END", a, ordered), t


@function("array_join")
def _array_join(c: Call) -> Typed:
    a, t = _array_arg(c)
    if len(c) == 2:
        (d,) = [c.tr.coerce(*c.arg(1), VARCHAR)] if accepts("varchar", c.arg(1)[1]) else [None]
        if d is None:
            raise c.unexpected()
        return call(
            "array_to_string",
            call(
                "list_filter",
                _text_elems(c, a, t),
                exp.Lambda(this=tpl("x IS NOT NULL"), expressions=[duck.ident("x")]),
            ),
            d,
        ), VARCHAR
    d = c.tr.coerce(*c.arg(1), VARCHAR)
    r = c.tr.coerce(*c.arg(2), VARCHAR)
    return call(
        "array_to_string",
        call(
            "list_transform",
            _text_elems(c, a, t),
            exp.Lambda(this=tpl("coalesce(x, {0})", r), expressions=[duck.ident("x")]),
        ),
        d,
    ), VARCHAR


def _text_elems(c: Call, a: exp.Expr, t: T) -> exp.Expr:
    if t.element.is_string:
        return a
    v = c.tr.fresh("__x")
    return call(
        "list_transform",
        a,
        exp.Lambda(this=_to_varchar(exp.Column(this=duck.ident(v)), t.element), expressions=[duck.ident(v)]),
    )


@function("array_intersect", "array_union", "array_except")
def _array_sets(c: Call) -> Typed:
    (a, ta), (b, tb) = _array_arg(c, 0), _array_arg(c, 1)
    et = ttypes.common_super_type(ta.element, tb.element)
    if et is None:
        raise c.unexpected()
    at = ttypes.array(et)
    return call("tr_" + c.name, c.tr.coerce(a, ta, at), c.tr.coerce(b, tb, at)), at


@function("arrays_overlap")
def _overlap(c: Call) -> Typed:
    (a, ta), (b, tb) = _array_arg(c, 0), _array_arg(c, 1)
    et = ttypes.common_super_type(ta.element, tb.element)
    if et is None:
        raise c.unexpected()
    at = ttypes.array(et)
    return call("tr_arrays_overlap", c.tr.coerce(a, ta, at), c.tr.coerce(b, tb, at)), BOOLEAN


@function("flatten")
def _flatten(c: Call) -> Typed:
    a, t = _array_arg(c)
    if t.element.base != "array":
        raise c.unexpected()
    return call("flatten", a), t.element


@function("slice")
def _slice(c: Call) -> Typed:
    a, t = _array_arg(c)
    s, n = [c.tr.coerce(*c.arg(i), BIGINT) if accepts("bigint", c.arg(i)[1]) else None for i in (1, 2)]
    if s is None or n is None:
        raise c.unexpected()
    return call("tr_slice", a, s, n), t


@function("sequence")
def _sequence(c: Call) -> Typed:
    types = c.types()
    if all(t.is_integer or t.base == "unknown" for t in types) and len(c) in (2, 3):
        args = [cast(c.arg(i)[0], "BIGINT") for i in range(len(c))]
        if len(args) == 2:
            return call("tr_sequence", *args), ttypes.array(BIGINT)
        return call("tr_sequence_step", *args), ttypes.array(BIGINT)
    if types[0].base == "date" and types[1].base == "date":
        if len(c) == 2:
            return call("tr_date_sequence", c.arg(0)[0], c.arg(1)[0], tpl("INTERVAL 1 DAY")), ttypes.array(DATE)
        step, ts = c.arg(2)
        if ts.base in ("iday", "imonth"):
            return call("tr_date_sequence", c.arg(0)[0], c.arg(1)[0], step), ttypes.array(DATE)
    if (
        types[0].base == "timestamp"
        and types[1].base == "timestamp"
        and len(c) == 3
        and types[2].base in ("iday", "imonth")
    ):
        return call("tr_ts_sequence", c.arg(0)[0], c.arg(1)[0], c.arg(2)[0]), ttypes.array(types[0])
    raise c.unexpected()


@function("repeat")
def _repeat(c: Call) -> Typed:
    v, t = c.arg(0)
    (n,) = [c.tr.coerce(*c.arg(1), BIGINT)] if len(c) == 2 and accepts("bigint", c.arg(1)[1]) else [None]
    if n is None:
        raise c.unexpected()
    return call("tr_repeat", cast(v, t) if t.base == "unknown" else v, n), ttypes.array(t)


@function("shuffle")
def _shuffle(c: Call) -> Typed:
    raise not_supported("shuffle", c.node)


@function("transform")
def _transform(c: Call) -> Typed:
    a, t = _array_arg(c)
    lam, rt = c.lam(1, [t.element])
    return call("list_transform", a, lam), ttypes.array(rt)


@function("filter")
def _filter(c: Call) -> Typed:
    a, t = _array_arg(c)
    lam, rt = c.lam(1, [t.element])
    if rt.base not in ("boolean", "unknown"):
        raise c.unexpected()
    lam.set("this", tpl("coalesce({0}, false)", lam.this))
    return call("list_filter", a, lam), t


@function("reduce")
def _reduce(c: Call) -> Typed:
    a, t = _array_arg(c)
    init, ti = c.arg(1)
    # the state type is the initial value's; the merge function must return it
    merge, mt = c.lam(2, [ti, t.element])
    st = ttypes.common_super_type(ti, mt)
    if st is None or (st != ti and ti.base != "unknown"):
        if st is None:
            raise c.unexpected()
    if st != ti:
        init = c.tr.coerce(init, ti, st)
        merge, mt = c.lam(2, [st, t.element])
    merge.set("this", c.tr.coerce(merge.this, mt, st))
    finish, ft = c.lam(3, [st])
    reduced = call("list_reduce", a, merge, init)
    return _apply(finish, [reduced]), ft


@function("zip_with")
def _zip_with(c: Call) -> Typed:
    (a, ta), (b, tb) = _array_arg(c, 0), _array_arg(c, 1)
    lam, rt = c.lam(2, [ta.element, tb.element])
    x, y = lam.expressions
    i = c.tr.fresh("__i")
    body = lam.this.transform(
        lambda n: (
            (
                tpl("{0}[{1}]", a.copy(), exp.Column(this=duck.ident(i)))
                if n.name == x.name
                else tpl("{0}[{1}]", b.copy(), exp.Column(this=duck.ident(i)))
            )
            if isinstance(n, exp.Column) and not n.table and n.name in (x.name, y.name)
            else n
        )
    )
    return tpl(
        "CASE WHEN {0} IS NULL OR {1} IS NULL THEN NULL ELSE {2} END",
        a,
        b,
        call(
            "list_transform",
            call("range", number(1), tpl("greatest(len({0}), len({1})) + 1", a.copy(), b.copy())),
            exp.Lambda(this=body, expressions=[duck.ident(i)]),
        ),
    ), ttypes.array(rt)


@function("zip")
def _zip(c: Call) -> Typed:
    raise not_supported("zip", c.node)


@function("any_match", "all_match", "none_match")
def _matches(c: Call) -> Typed:
    a, t = _array_arg(c)
    lam, rt = c.lam(1, [t.element])
    if rt.base not in ("boolean", "unknown"):
        raise c.unexpected()
    results = call("list_transform", a, lam)
    nulls = tpl("list_contains(list_transform({0}, lambda b: b IS NULL), true)", results)
    decisive, outcome = {
        "any_match": ("true", "true"),
        "all_match": ("false", "false"),
        "none_match": ("true", "false"),
    }[c.name]
    otherwise = {"any_match": "false", "all_match": "true", "none_match": "true"}[c.name]
    return tpl(
        f"CASE WHEN {{0}} IS NULL THEN NULL WHEN list_contains({{1}}, {decisive}) THEN {outcome} "
        f"WHEN {{2}} THEN NULL ELSE {otherwise} END",
        a,
        results,
        nulls,
    ), BOOLEAN


@function("array_agg", aggregate=True)
def _array_agg(c: Call) -> Typed:
    return aggregate(c)


# ==== maps (map.html) ======================================================================================


@function("map")
def _map(c: Call) -> Typed:
    if len(c) == 0:
        return cast(call("map"), "MAP(INTEGER, INTEGER)"), ttypes.map_of(UNKNOWN, UNKNOWN)
    (k, tk), (v, tv) = _array_arg(c, 0), _array_arg(c, 1)
    return call("tr_map", k, v), ttypes.map_of(tk.element, tv.element)


@function("map_keys")
def _map_keys(c: Call) -> Typed:
    v, t = c.arg(0)
    if t.base != "map":
        raise c.unexpected()
    return call("map_keys", v), ttypes.array(t.params[0])


@function("map_values")
def _map_values(c: Call) -> Typed:
    v, t = c.arg(0)
    if t.base != "map":
        raise c.unexpected()
    return call("map_values", v), ttypes.array(t.params[1])


@function("map_entries")
def _map_entries(c: Call) -> Typed:
    v, t = c.arg(0)
    if t.base != "map":
        raise c.unexpected()
    rt = ttypes.row([(None, t.params[0]), (None, t.params[1])])
    e = exp.Column(this=duck.ident("e"))
    return call(
        "list_transform",
        call("map_entries", v),
        exp.Lambda(
            this=row_value(
                [
                    (call("struct_extract", e.copy(), string("key")), t.params[0]),
                    (call("struct_extract", e.copy(), string("value")), t.params[1]),
                ]
            ),
            expressions=[duck.ident("e")],
        ),
    ), ttypes.array(rt)


@function("map_from_entries")
def _map_from_entries(c: Call) -> Typed:
    a, t = _array_arg(c)
    if t.element.base != "row" or len(t.element.params) != 2:
        raise c.unexpected()
    (_, kt), (_, vt) = t.element.params
    e = exp.Column(this=duck.ident("e"))
    entries = call(
        "list_transform",
        a,
        exp.Lambda(
            this=call(
                "struct_pack",
                exp.PropertyEQ(
                    this=duck.ident("k"),
                    expression=call("struct_extract", e.copy(), string(ttypes.field_name(t.element, 0))),
                ),
                exp.PropertyEQ(
                    this=duck.ident("v"),
                    expression=call("struct_extract", e.copy(), string(ttypes.field_name(t.element, 1))),
                ),
            ),
            expressions=[duck.ident("e")],
        ),
    )
    return call("tr_map_from_entries", entries), ttypes.map_of(kt, vt)


@function("map_concat")
def _map_concat(c: Call) -> Typed:
    typed = [c.arg(i) for i in range(len(c))]
    if not typed or any(t.base != "map" for _, t in typed):
        raise c.unexpected()
    nodes, t = c.tr.unify(typed, c.node, "Unexpected parameters for function map_concat: {t}")
    return tpl(
        "CASE WHEN "
        + " OR ".join(f"{{{i}}} IS NULL" for i in range(len(nodes)))
        + " THEN NULL ELSE map_concat("
        + ", ".join(f"{{{i}}}" for i in range(len(nodes)))
        + ") END",
        *nodes,
    ), t


@function("map_filter")
def _map_filter(c: Call) -> Typed:
    v, t = c.arg(0)
    if t.base != "map":
        raise c.unexpected()
    lam, rt = c.lam(1, [t.params[0], t.params[1]])
    k, val = lam.expressions
    e = c.tr.fresh("__e")
    body = _bind_entry(lam.this, k, val, e)
    return call(
        "map_from_entries",
        call(
            "list_filter",
            call("map_entries", v),
            exp.Lambda(this=tpl("coalesce({0}, false)", body), expressions=[duck.ident(e)]),
        ),
    ), t


def _apply(lam: exp.Lambda, args: list) -> exp.Expr:
    """A translated lambda's body with its parameters replaced by expressions (inlined call)."""
    names = {p.name: a for p, a in zip(lam.expressions, args)}
    return lam.this.copy().transform(
        lambda n: (
            duck.paren(names[n.name].copy()) if isinstance(n, exp.Column) and not n.table and n.name in names else n
        )
    )


def _bind_entry(body: exp.Expr, k: exp.Expr, v: exp.Expr, e: str) -> exp.Expr:
    ref = exp.Column(this=duck.ident(e))
    return body.transform(
        lambda n: (
            call("struct_extract", ref.copy(), string("key" if n.name == k.name else "value"))
            if isinstance(n, exp.Column) and not n.table and n.name in (k.name, v.name)
            else n
        )
    )


@function("transform_values", "transform_keys")
def _transform_map(c: Call) -> Typed:
    v, t = c.arg(0)
    if t.base != "map":
        raise c.unexpected()
    lam, rt = c.lam(1, [t.params[0], t.params[1]])
    k, val = lam.expressions
    e = c.tr.fresh("__e")
    body = _bind_entry(lam.this, k, val, e)
    ref = exp.Column(this=duck.ident(e))
    key = body if c.name == "transform_keys" else call("struct_extract", ref.copy(), string("key"))
    value = body if c.name == "transform_values" else call("struct_extract", ref.copy(), string("value"))
    entry = call(
        "struct_pack",
        exp.PropertyEQ(this=duck.ident("k"), expression=key),
        exp.PropertyEQ(this=duck.ident("v"), expression=value),
    )
    rt_map = ttypes.map_of(t.params[0], rt) if c.name == "transform_values" else ttypes.map_of(rt, t.params[1])
    fn = "tr_map_from_entries" if c.name == "transform_keys" else "map_from_entries"
    return call(
        fn, call("list_transform", call("map_entries", v), exp.Lambda(this=entry, expressions=[duck.ident(e)]))
    ), rt_map


# ==== date and time functions (datetime.html) ===============================================================


_UNITS = ("millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year")


def _unit(c: Call, i: int = 0) -> str:
    v, t = c.arg(i)
    if not (isinstance(c.raw[i], exp.Literal) and c.raw[i].is_string):
        raise not_supported(f"{c.name} with a computed unit", c.node)
    return c.raw[i].this.lower()


@function("date_add")
def _date_add(c: Call) -> Typed:
    unit = _unit(c)
    n, tn = c.arg(1)
    v, t = c.arg(2)
    if not (tn.is_integer or tn.base == "unknown") or t.base not in ("date", "timestamp", "timestamptz", "time"):
        raise c.unexpected()
    if unit not in _UNITS or (t.base == "date" and unit in ("millisecond", "second", "minute", "hour")):
        raise err(
            "INVALID_FUNCTION_ARGUMENT",
            f"{where(c.node)}: '{unit}' is not a valid "
            f"{t.base.upper() if t.base != 'timestamptz' else 'TIMESTAMP'} field",
        )
    amount = cast(n, "BIGINT")
    interval = (
        tpl(f"to_{'milliseconds' if unit == 'millisecond' else unit + 's'}({{0}})", amount)
        if unit not in ("quarter", "week")
        else (tpl("to_months({0} * 3)", amount) if unit == "quarter" else tpl("to_days({0} * 7)", amount))
    )
    if t.base == "date":
        return cast(exp.Add(this=v, expression=interval), "DATE"), DATE
    if t.base == "timestamptz":
        return call("tr_tstz_add", v, interval), t
    return exp.Add(this=v, expression=interval), t


@function("date_diff")
def _date_diff(c: Call) -> Typed:
    unit = _unit(c)
    (a, ta), (b, tb) = c.arg(1), c.arg(2)
    t = ttypes.common_super_type(ta, tb)
    if t is None or t.base not in ("date", "timestamp", "timestamptz"):
        raise c.unexpected()
    if unit not in _UNITS:
        raise err("INVALID_FUNCTION_ARGUMENT", f"{where(c.node)}: '{unit}' is not a valid {t.base.upper()} field")
    a, b = c.tr.coerce(a, ta, t), c.tr.coerce(b, tb, t)
    if t.base == "timestamptz":
        a, b = tstz_local(a), tstz_local(b)
    return call("tr_date_diff", string(unit), cast(a, "TIMESTAMP"), cast(b, "TIMESTAMP")), BIGINT


@function("date_trunc")
def _date_trunc(c: Call) -> Typed:
    unit = _unit(c)
    v, t = c.arg(1)
    if t.base not in ("date", "timestamp", "timestamptz"):
        raise c.unexpected()
    valid = ("day", "week", "month", "quarter", "year") if t.base == "date" else _UNITS
    if unit not in valid:
        raise err(
            "INVALID_FUNCTION_ARGUMENT",
            f"{where(c.node)}: '{unit}' is not a valid {'DATE' if t.base == 'date' else 'TIMESTAMP'} field",
        )
    if t.base == "date":
        return cast(call("date_trunc", string(unit), v), "DATE"), DATE
    if t.base == "timestamptz":
        return call(
            "tr_tstz", call("date_trunc", string(unit), tstz_local(v)), call("struct_extract", v.copy(), string("z"))
        ), t
    return call("date_trunc", string(unit), v), t


@function("last_day_of_month")
def _last_day(c: Call) -> Typed:
    (v, t) = c.arg(0)
    if t.base not in ("date", "timestamp", "timestamptz"):
        raise c.unexpected()
    if t.base == "timestamptz":
        v = tstz_local(v)
    return call("last_day", v), DATE


@function(
    "year",
    "quarter",
    "month",
    "week",
    "week_of_year",
    "day",
    "day_of_month",
    "day_of_week",
    "dow",
    "day_of_year",
    "doy",
    "hour",
    "minute",
    "second",
    "millisecond",
    "year_of_week",
    "yow",
)
def _extractors(c: Call) -> Typed:
    if len(c) != 1:
        raise c.unexpected()
    v, t = c.arg(0)
    field = {"week_of_year": "WEEK", "day_of_month": "DAY", "yow": "YEAR_OF_WEEK"}.get(c.name, c.name.upper())
    if t.base not in ("date", "timestamp", "timestamptz", "time", "iday", "imonth"):
        raise c.unexpected()
    if t.base == "date" and field in ("HOUR", "MINUTE", "SECOND", "MILLISECOND"):
        raise c.unexpected()
    if t.base in ("iday",) and field not in ("DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND"):
        raise c.unexpected()
    if t.base in ("imonth",) and field not in ("YEAR", "MONTH"):
        raise c.unexpected()
    if field == "MILLISECOND":
        if t.base == "timestamptz":
            v = tstz_local(v)
        return cast(tpl("date_part('millisecond', {0}) % 1000", v), "BIGINT"), BIGINT
    return extract_field(c.tr, c.node, field, v, t)


@function("timezone_hour", "timezone_minute")
def _tz_fields(c: Call) -> Typed:
    v, t = c.arg(0)
    if t.base != "timestamptz":
        raise c.unexpected()
    return call("tr_tz_" + c.name.split("_")[1], v), BIGINT


@function("now", "current_timestamp")
def _now(c: Call) -> Typed:
    c.sig()
    return tstz_make(call("tr_now"), string("UTC")), TIMESTAMPTZ3


@function("current_timezone")
def _current_tz(c: Call) -> Typed:
    c.sig()
    return string("UTC"), VARCHAR


@function("date")
def _date_fn(c: Call) -> Typed:
    if len(c) != 1:
        raise c.unexpected()
    v, t = c.arg(0)
    return convert(c.tr, v, t, DATE, c.node), DATE


@function("at_timezone")
def _at_timezone_fn(c: Call) -> Typed:
    (v, t), (z, tz) = c.arg(0), c.arg(1)
    return at_timezone(c.tr, c.node, v, t, z, tz)


@function("with_timezone")
def _with_timezone(c: Call) -> Typed:
    (v, t), (z, tz) = c.arg(0), c.arg(1)
    if t.base != "timestamp":
        raise c.unexpected()
    zone = zone_arg(z, tz, c.node)
    return tstz_from_local(v, call("tr_check_zone", zone)), T("timestamptz", t.params)


@function("from_iso8601_timestamp")
def _from_iso_ts(c: Call) -> Typed:
    (s,) = c.sig("varchar")
    return call("tr_from_iso8601_timestamp", s), TIMESTAMPTZ3


@function("from_iso8601_date")
def _from_iso_date(c: Call) -> Typed:
    (s,) = c.sig("varchar")
    return call("tr_from_iso8601_date", s), DATE


@function("to_iso8601")
def _to_iso(c: Call) -> Typed:
    v, t = c.arg(0)
    if t.base == "date":
        return call("strftime", v, string("%Y-%m-%d")), VARCHAR
    if t.base == "timestamp":
        return call("tr_iso_ts", v, number(t.params[0])), VARCHAR
    if t.base == "timestamptz":
        return call("tr_iso_tstz", v, number(t.params[0])), VARCHAR
    raise c.unexpected()


@function("from_unixtime")
def _from_unixtime(c: Call) -> Typed:
    if len(c) == 1:
        (u,) = c.sig("double")
        return tstz_make(call("tr_from_unixtime", u), string("UTC")), TIMESTAMPTZ3
    if len(c) == 2 and c.arg(1)[1].is_string:
        u, z = c.sig("double", "varchar")
        return tstz_make(
            call("tr_from_unixtime", u), call("tr_check_zone", zone_arg(c.arg(1)[0], c.arg(1)[1], c.node))
        ), TIMESTAMPTZ3
    raise not_supported("from_unixtime(unixtime, hours, minutes)", c.node)


@function("from_unixtime_nanos")
def _from_unixtime_nanos(c: Call) -> Typed:
    raise not_supported("from_unixtime_nanos", c.node)


@function("to_unixtime")
def _to_unixtime(c: Call) -> Typed:
    v, t = c.arg(0)
    if t.base == "timestamp":
        return call("epoch", cast(v, "TIMESTAMPTZ")), DOUBLE
    if t.base == "timestamptz":
        return call("epoch", tstz_instant(v)), DOUBLE
    raise c.unexpected()


@function("to_milliseconds")
def _to_ms(c: Call) -> Typed:
    v, t = c.arg(0)
    if t.base != "iday":
        raise c.unexpected()
    return cast(tpl("epoch_ms(TIMESTAMP '1970-01-01' + {0})", v), "BIGINT"), BIGINT


@function("date_format", "format_datetime")
def _date_format(c: Call) -> Typed:
    v, t = c.arg(0)
    f, tf = c.arg(1)
    if t.base not in ("timestamp", "timestamptz", "date") or not tf.is_string:
        raise c.unexpected()
    if c.name == "format_datetime":
        raise not_supported("format_datetime (Joda-Time patterns)", c.node)
    if t.base == "timestamptz":
        v = tstz_local(v)
    if not (isinstance(c.raw[1], exp.Literal) and c.raw[1].is_string):
        raise not_supported("date_format with a computed format", c.node)
    return call("strftime", cast(v, "TIMESTAMP"), string(mysql_format(c.raw[1].this, c.node))), VARCHAR


@function("date_parse", "parse_datetime")
def _date_parse(c: Call) -> Typed:
    if c.name == "parse_datetime":
        raise not_supported("parse_datetime (Joda-Time patterns)", c.node)
    s, f = c.sig("varchar", "varchar")
    if not (isinstance(c.raw[1], exp.Literal) and c.raw[1].is_string):
        raise not_supported("date_parse with a computed format", c.node)
    fmt = mysql_format(c.raw[1].this, c.node)
    return tpl(
        f"CASE WHEN {{0}} IS NULL THEN NULL ELSE coalesce(try_strptime({{0}}, {{1}}), "
        f"error('{duck.ERROR_MARK}INVALID_FUNCTION_ARGUMENT: Invalid format: \"' || {{0}} || '\"')) END",
        s,
        string(fmt),
    ), TIMESTAMP3


_MYSQL = {
    "a": "%a",
    "b": "%b",
    "c": "%-m",
    "d": "%d",
    "e": "%-d",
    "f": "%f",
    "H": "%H",
    "h": "%I",
    "I": "%I",
    "i": "%M",
    "j": "%j",
    "k": "%-H",
    "l": "%-I",
    "M": "%B",
    "m": "%m",
    "p": "%p",
    "r": "%I:%M:%S %p",
    "S": "%S",
    "s": "%S",
    "T": "%H:%M:%S",
    "W": "%A",
    "Y": "%Y",
    "y": "%y",
    "%": "%%",
    "v": "%V",
    "x": "%G",
}


def mysql_format(fmt: str, node: exp.Expr) -> str:
    """Trino's MySQL-style date format (datetime.html#mysql-date-functions) as strftime codes."""
    out, i = [], 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            code = fmt[i + 1]
            if code not in _MYSQL:
                raise not_supported(f"the date format specifier %{code}", node)
            out.append(_MYSQL[code])
            i += 2
        else:
            out.append("%%" if ch == "%" else ch)
            i += 1
    return "".join(out)


@function("parse_duration")
def _parse_duration(c: Call) -> Typed:
    (s,) = c.sig("varchar")
    return call("tr_parse_duration", s), IDAY


@function("human_readable_seconds")
def _hrs(c: Call) -> Typed:
    raise not_supported("human_readable_seconds", c.node)


# ==== JSON (json.html) ===================================================================================


@function("json_extract_scalar")
def _json_extract_scalar(c: Call) -> Typed:
    (j, tj) = c.arg(0)
    if not (tj.is_string or tj.base == "json"):
        raise c.unexpected()
    (p,) = [c.tr.coerce(*c.arg(1), VARCHAR)]
    return call("tr_json_extract_scalar", cast(j, "VARCHAR"), p), VARCHAR


@function("json_extract")
def _json_extract(c: Call) -> Typed:
    (j, tj) = c.arg(0)
    if not (tj.is_string or tj.base == "json"):
        raise c.unexpected()
    (p,) = [c.tr.coerce(*c.arg(1), VARCHAR)]
    return call("json_extract", cast(j, "JSON"), p), JSON


@function("json_parse")
def _json_parse(c: Call) -> Typed:
    (s,) = c.sig("varchar")
    return call("json", s), JSON


@function("json_format")
def _json_format(c: Call) -> Typed:
    (j,) = c.sig("json")
    return cast(j, "VARCHAR"), VARCHAR


@function("json_array_length")
def _json_array_length(c: Call) -> Typed:
    (j, tj) = c.arg(0)
    if not (tj.is_string or tj.base == "json"):
        raise c.unexpected()
    return cast(call("json_array_length", cast(j, "JSON")), "BIGINT"), BIGINT


@function("json_size")
def _json_size(c: Call) -> Typed:
    raise not_supported("json_size", c.node)


@function("grouping")
def _grouping(c: Call) -> Typed:
    if not len(c):
        raise c.unexpected()
    return cast(call("grouping", *[c.arg(i)[0] for i in range(len(c))]), "BIGINT"), BIGINT


# ==== rows ================================================================================================


@function("row")
def _row(c: Call) -> Typed:
    typed = [c.arg(i) for i in range(len(c))]
    return row_value(typed), ttypes.row([(None, t) for _, t in typed])


# ==== aggregate functions (aggregate.html) =================================================================

_AGGREGATES = (
    "count",
    "count_if",
    "sum",
    "avg",
    "min",
    "max",
    "min_by",
    "max_by",
    "arbitrary",
    "any_value",
    "bool_and",
    "bool_or",
    "every",
    "array_agg",
    "map_agg",
    "histogram",
    "approx_distinct",
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "variance",
    "var_samp",
    "var_pop",
    "listagg",
    "checksum",
    "geometric_mean",
    "approx_percentile",
    "corr",
    "covar_samp",
    "covar_pop",
    "regr_slope",
    "regr_intercept",
    "kurtosis",
    "skewness",
    "multimap_agg",
    "set_agg",
    "set_union",
    "map_union",
    "approx_most_frequent",
    "numeric_histogram",
    "bitwise_and_agg",
    "bitwise_or_agg",
)
_WINDOW = (
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
)


def aggregate(c: Call, filter_node: exp.Expr | None = None) -> Typed:
    """An aggregate call: DISTINCT, ORDER BY inside, the result type Trino gives it."""
    name = c.name
    raw = list(c.raw)
    distinct = False
    order = None
    if raw and isinstance(raw[0], exp.Distinct):
        distinct = True
        raw = list(raw[0].expressions) + raw[1:]
    if raw and isinstance(raw[0], exp.Order):
        order = raw[0]
        raw = [order.this] + raw[1:]
    c.raw = raw
    c._typed = {}
    if name == "count" and len(raw) == 1 and isinstance(raw[0], exp.Star):
        node, t = call("count_star"), BIGINT
        return node, t
    node, t = _aggregate_call(c, name, distinct)
    if order is not None:
        node = _with_order(c, node, order)
    return node, t


def _with_order(c: Call, node: exp.Expr, order: exp.Order) -> exp.Expr:
    target = node
    while not (isinstance(target, exp.Anonymous) and target.name in _DUCK_AGGS):
        found = None
        for n in target.walk():
            if isinstance(n, exp.Anonymous) and n.name in _DUCK_AGGS:
                found = n
                break
        if found is None:
            raise not_supported("ORDER BY inside this aggregate", order)
        target = found
    ordered = []
    for o in order.expressions:
        v, _ = c.tr.expr(o.this, c.scope)
        ordered.append(
            exp.Ordered(
                this=v,
                desc=bool(o.args.get("desc")),
                nulls_first=bool(o.args.get("nulls_first")) and "NULLS" in o.sql(dialect="trino").upper(),
            )
        )
    last = target.expressions[-1]
    target.set("expressions", target.expressions[:-1] + [exp.Order(this=last, expressions=ordered)])
    return node


_DUCK_AGGS = {
    "count",
    "count_star",
    "sum",
    "avg",
    "min",
    "max",
    "arg_min",
    "arg_max",
    "any_value",
    "bool_and",
    "bool_or",
    "list",
    "histogram",
    "approx_count_distinct",
    "stddev_samp",
    "stddev_pop",
    "var_samp",
    "var_pop",
    "string_agg",
    "corr",
    "covar_samp",
    "covar_pop",
    "regr_slope",
    "regr_intercept",
    "kurtosis",
    "skewness",
    "geomean",
    "map",
    "quantile_cont",
    "first",
}


def _agg(name: str, *args: exp.Expr, distinct: bool = False) -> exp.Expr:
    if distinct:
        return exp.Anonymous(this=name, expressions=[exp.Distinct(expressions=[args[0]])] + list(args[1:]))
    return call(name, *args)


def _aggregate_call(c: Call, name: str, distinct: bool) -> Typed:
    n = len(c)
    if name == "count":
        if n == 0:
            return call("count_star"), BIGINT
        v, t = c.arg(0)
        return _agg("count", v, distinct=distinct), BIGINT
    if name == "count_if":
        (v,) = c.sig("boolean")
        return call("count", exp.Filter(this=duck.null(), expression=v)) if False else tpl(
            "count(CASE WHEN {0} THEN 1 END)", v
        ), BIGINT
    if name in ("sum", "avg"):
        if n != 1:
            raise c.unexpected()
        v, t = c.arg(0)
        if t.base == "unknown":
            v, t = cast(v, "BIGINT"), BIGINT
        if name == "sum":
            if t.is_integer:
                return call("tr_sum_bigint", _agg("sum", v, distinct=distinct)), BIGINT
            if t.base in ("double", "real"):
                return cast(_agg("sum", v, distinct=distinct), t), t
            if t.base == "decimal":
                rt = ttypes.decimal(38, t.params[1])
                return cast(_agg("sum", v, distinct=distinct), rt), rt
            if t.base in ("iday", "imonth"):
                return _agg("sum", v, distinct=distinct), t
            raise c.unexpected()
        if t.is_integer or t.base == "double":
            return cast(_agg("avg", cast(v, "DOUBLE"), distinct=distinct), "DOUBLE"), DOUBLE
        if t.base == "real":
            return cast(_agg("avg", v, distinct=distinct), "FLOAT"), REAL
        if t.base == "decimal":
            # DecimalAverageAggregation: the exact average, rounded half up to the input's scale
            s = t.params[1]
            total = _agg("sum", v, distinct=distinct)
            count = _agg("count", v.copy(), distinct=distinct)
            return cast(call("tr_decimal_div", duck.to_text(total), duck.to_text(count), number(s)), t), t
        if t.base == "iday":
            return _agg("avg", v, distinct=distinct), t
        raise c.unexpected()
    if name in ("min", "max"):
        if n == 2:
            raise not_supported(f"{name}(x, n)", c.node)
        v, t = c.arg(0)
        if t.base in ("map", "json"):
            raise c.unexpected()
        if t.base == "timestamptz":
            inner = "arg_min" if name == "min" else "arg_max"
            return call(inner, v, tstz_instant(v.copy())), t
        return _agg(name, v, distinct=distinct), t
    if name in ("min_by", "max_by"):
        if n != 2:
            raise not_supported(f"{name}(x, y, n)", c.node)
        (v, t), (k, tk) = c.arg(0), c.arg(1)
        inner = "arg_min" if name == "min_by" else "arg_max"
        return call(inner, v, k), t
    if name in ("arbitrary", "any_value"):
        v, t = c.arg(0)
        return call("any_value", v), t
    if name in ("bool_and", "every", "bool_or"):
        (v,) = c.sig("boolean")
        return call("bool_or" if name == "bool_or" else "bool_and", v), BOOLEAN
    if name == "array_agg":
        v, t = c.arg(0)
        return _agg("list", v, distinct=distinct), ttypes.array(t)
    if name == "map_agg":
        (k, tk), (v, tv) = c.arg(0), c.arg(1)
        return call(
            "tr_map_from_entries_first",
            call(
                "list",
                call(
                    "struct_pack",
                    exp.PropertyEQ(this=duck.ident("k"), expression=k),
                    exp.PropertyEQ(this=duck.ident("v"), expression=v),
                ),
            ),
        ), ttypes.map_of(tk, tv)
    if name == "histogram":
        v, t = c.arg(0)
        return cast(call("histogram", v), f"MAP({ttypes.duck(t)}, BIGINT)"), ttypes.map_of(t, BIGINT)
    if name == "approx_distinct":
        v, t = c.arg(0)
        return call("approx_count_distinct", v), BIGINT
    if name in ("stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop"):
        (v,) = c.sig("double")
        fn = {"stddev": "stddev_samp", "variance": "var_samp"}.get(name, name)
        return call(fn, v), DOUBLE
    if name in ("corr", "covar_samp", "covar_pop", "regr_slope", "regr_intercept"):
        a, b = c.sig("double", "double")
        return call(name, a, b), DOUBLE
    if name in ("kurtosis", "skewness", "geometric_mean"):
        (v,) = c.sig("double")
        return call("geomean" if name == "geometric_mean" else name, v), DOUBLE
    if name == "approx_percentile":
        if n != 2:
            raise not_supported("approx_percentile with weights or an array of percentiles", c.node)
        raise not_supported("approx_percentile (an approximation localcloud cannot reproduce)", c.node)
    raise not_supported(f"the aggregate {name}()", c.node)


for _n in _AGGREGATES:
    if _n not in ("listagg",):
        FUNCTIONS[_n] = aggregate
        AGGREGATES.add(_n)


@expression("GroupConcat")
def _listagg(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    """listagg(x, sep) WITHIN GROUP (ORDER BY ...)."""
    this = node.this
    order = None
    if isinstance(this, exp.Order):
        order, this = this, this.this
    distinct = isinstance(this, exp.Distinct)
    if distinct:
        this = this.expressions[0]
    v, t = tr.expr(this, scope)
    if not (t.is_string or t.base == "unknown"):
        raise err("FUNCTION_NOT_FOUND", f"{where(node)}: Unexpected parameters ({t}, varchar) for function listagg")
    sep = node.args.get("separator")
    s = tr.expr(sep, scope)[0] if sep is not None else string("")
    agg = _agg("string_agg", v, s, distinct=distinct)
    if order is not None:
        ordered = []
        for o in order.expressions:
            ov, _ = tr.expr(o.this, scope)
            ordered.append(exp.Ordered(this=ov, desc=bool(o.args.get("desc"))))
        last = agg.expressions[-1]
        agg.set("expressions", agg.expressions[:-1] + [exp.Order(this=last, expressions=ordered)])
    return agg, VARCHAR


@expression("Filter")
def _filter_clause(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    agg, t = tr.expr(node.this, scope)
    cond, ct = tr.expr(node.expression.this, scope)
    targets = [n for n in agg.walk() if isinstance(n, exp.Anonymous) and n.name in _DUCK_AGGS]
    if not targets:
        raise mismatch(node, "FILTER is only valid for aggregation functions")
    for target in targets:
        filtered = exp.Filter(this=target.copy(), expression=exp.Where(this=cond.copy()))
        if target is agg:
            return filtered, t
        target.replace(filtered)
    return agg, t


# ==== window functions (window.html) ========================================================================


@function(*_WINDOW, window=True)
def _window_fn(c: Call) -> Typed:
    name = c.name
    n = len(c)
    if name in ("row_number", "rank", "dense_rank"):
        c.sig()
        return call(name), BIGINT
    if name in ("percent_rank", "cume_dist"):
        c.sig()
        return call(name), DOUBLE
    if name == "ntile":
        (k,) = c.sig("bigint")
        return call("ntile", k), BIGINT
    if name in ("lag", "lead"):
        if not 1 <= n <= 3:  # lag(x [, offset [, default]]): a 4th argument is no signature either
            raise c.unexpected()
        v, t = c.arg(0)
        args = [v]
        if n >= 2:
            if accepts("bigint", c.arg(1)[1]) is None:  # lag(x, 'a'): no such signature
                raise c.unexpected()
            args.append(cast(c.tr.coerce(*c.arg(1), BIGINT), "BIGINT"))
        if n >= 3:
            d, td = c.arg(2)
            if ttypes.common_super_type(t, td) != t:
                raise c.unexpected()
            args.append(c.tr.coerce(d, td, t))
        return call(name, *args), t
    if name in ("first_value", "last_value"):
        if n != 1:
            raise c.unexpected()
        v, t = c.arg(0)
        return call(name, v), t
    if name == "nth_value":
        if n != 2 or accepts("bigint", c.arg(1)[1]) is None:  # nth_value(x, 'a'): no such signature
            raise c.unexpected()
        v, t = c.arg(0)
        k = c.tr.coerce(*c.arg(1), BIGINT)
        return call("nth_value", v, k), t
    raise not_supported(name, c.node)


_NEEDS_ORDER = ("lag", "lead", "ntile", "rank", "dense_rank", "percent_rank", "cume_dist")


@expression("Window")
def _window(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    func = node.this
    nulls = None
    if isinstance(func, (exp.IgnoreNulls, exp.RespectNulls)):
        nulls, func = type(func), func.this
    name = func.name.lower() if isinstance(func, exp.Anonymous) else ""
    if isinstance(func, exp.Filter):
        name = func.this.name.lower() if isinstance(func.this, exp.Anonymous) else ""
    if nulls is not None and name not in ("lag", "lead", "first_value", "last_value", "nth_value"):
        raise err(
            "NULL_TREATMENT_NOT_ALLOWED", f"{where(node)}: Cannot specify null treatment clause for {name} function"
        )
    if name in _NEEDS_ORDER and not _has_order(node, scope):
        raise err("MISSING_ORDER_BY", f"{where(node)}: {name} function requires an ORDER BY window clause")
    if name and name not in WINDOW_ONLY and name not in AGGREGATES:
        raise err("FUNCTION_NOT_FOUND", f"{where(node)}: Not an aggregate or window function: {name}")
    f, t = tr.expr(func, scope)
    spec = window_spec(tr, node, scope, named=False)

    def over(n: exp.Expr) -> exp.Expr:
        w = spec.copy()
        w.set("this", exp.IgnoreNulls(this=n) if nulls is exp.IgnoreNulls else n)
        return w

    if name in WINDOW_ONLY:
        return over(f), t
    targets = [
        n
        for n in f.walk()
        if isinstance(n, exp.Filter)
        or (isinstance(n, exp.Anonymous) and n.name in _DUCK_AGGS and not isinstance(n.parent, exp.Filter))
    ]
    if not targets:
        raise not_supported(f"{name} as a window function", node)
    for n in targets:
        if n is f:
            return over(f.copy()), t
        n.replace(over(n.copy()))
    return f, t


def _has_order(node: exp.Expr, scope: Scope) -> bool:
    if node.args.get("order"):
        return True
    alias = node.args.get("alias")
    if alias is not None:
        sel = node.find_ancestor(exp.Select)
        for w in (sel.args.get("windows") or []) if sel else []:
            if w.name.lower() == alias.name.lower() and w.args.get("order"):
                return True
    return False


def window_spec(tr: Translator, node: exp.Expr, scope: Scope, named: bool) -> exp.Window:
    out = exp.Window(this=duck.ident(node.name) if named else None)
    if node.args.get("alias") is not None and not named:
        out.set("alias", duck.ident(node.args["alias"].name.lower()))
    if named:
        out.set("this", duck.ident(node.name.lower()))
    if node.args.get("partition_by"):
        out.set("partition_by", [tr.expr(p, scope)[0] for p in node.args["partition_by"]])
    if node.args.get("order"):
        ordered = []
        for o in node.args["order"].expressions:
            v, _ = tr.expr(o.this, scope)
            explicit = "NULLS" in o.sql(dialect="trino").upper()
            ordered.append(
                exp.Ordered(
                    this=v,
                    desc=bool(o.args.get("desc")),
                    nulls_first=bool(o.args.get("nulls_first")) if explicit else False,
                )
            )
        out.set("order", exp.Order(expressions=ordered))
    spec = node.args.get("spec")
    if spec is not None:
        s = spec.copy()
        for key in ("start", "end"):
            v = s.args.get(key)
            if isinstance(v, exp.Expression) and not isinstance(v, exp.Literal) and not isinstance(v, exp.Var):
                raise not_supported("a window frame with a computed offset", spec)
        out.set("spec", s)
    if node.args.get("over"):
        out.set("over", node.args["over"])
    return out


@expression("IgnoreNulls", "RespectNulls")
def _nulls(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    raise err("NULL_TREATMENT_NOT_ALLOWED", f"{where(node)}: null treatment clause requires OVER")


@expression("Lambda")
def _lambda(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    raise err("FUNCTION_NOT_FOUND", f"{where(node)}: Lambda expression not allowed here")


@expression("Distinct", "Star")
def _misplaced(tr: Translator, node: exp.Expr, scope: Scope) -> Typed:
    raise err("SYNTAX_ERROR", f"{where(node)}: mismatched input '{_sql(node)[:20]}'")


# Names of Trino functions localcloud does not implement: NOT_SUPPORTED rather than "not registered".
KNOWN_TRINO_FUNCTIONS = set(
    """
    bar color render rgb bing_tile bing_tile_at bing_tile_coordinates bing_tile_polygon bing_tile_quadkey
    bing_tile_zoom_level bing_tiles_around bitwise_and bitwise_left_shift bitwise_not bitwise_or
    bitwise_right_shift bitwise_right_shift_arithmetic bitwise_xor bit_count beta_cdf inverse_beta_cdf
    inverse_normal_cdf normal_cdf t_cdf t_pdf wilson_interval_lower wilson_interval_upper cosine_similarity
    cosine_distance dot_product euclidean_distance crc32 hmac_md5 hmac_sha1 hmac_sha256 hmac_sha512 murmur3
    spooky_hash_v2_32 spooky_hash_v2_64 xxhash64 from_big_endian_32 from_big_endian_64 to_big_endian_32
    to_big_endian_64 from_ieee754_32 from_ieee754_64 to_ieee754_32 to_ieee754_64 from_base64url to_base64url
    from_base32 to_base32 reverse ip_prefix ip_subnet_min ip_subnet_max ip_subnet_range is_subnet_of
    is_json_scalar json_array_contains json_array_get json_object json_array json_exists json_value json_query
    make_set_digest merge_set_digest intersection_cardinality jaccard_index hash_counts approx_set merge
    empty_approx_set cardinality qdigest_agg tdigest_agg value_at_quantile values_at_quantiles
    quantile_at_value scale_qdigest truncation st_point st_geometryfromtext st_astext st_distance st_contains
    st_area geometry_from_hadoop_shape to_spherical_geography url_extract_fragment url_extract_host
    url_extract_parameter url_extract_path url_extract_port url_extract_protocol url_extract_query url_encode
    url_decode word_stem normalize to_char to_date to_timestamp soundex char2hexint index
    array_histogram array_top_n combinations ngrams remove_nulls trim_array euclidean_distance
    date_add timezone current_date current_time current_user current_catalog current_schema localtime
    localtimestamp format_number from_iso8601_timestamp_nanos parse_data_size to_unixtime
    hash_counts classify features learn_classifier learn_libsvm_classifier learn_regressor
    regress evaluate_classifier_predictions approx_most_frequent numeric_histogram bitwise_and_agg
    bitwise_or_agg bitwise_xor_agg checksum multimap_agg set_agg set_union map_union map_zip_with
    multimap_from_entries map_normalize sequence
    """.split()
)
KNOWN_TRINO_FUNCTIONS -= set(FUNCTIONS)
