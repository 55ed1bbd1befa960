"""The DuckDB database the Athena engine runs queries in: Trino's helpers as DuckDB macros and
Python functions, and a sandbox (introduced for lab 04; the sandbox answers issue 12 §2).

**Sandbox.** Athena SQL never reaches the learner's files: the translator refuses DuckDB-only
functions and statements, and DuckDB itself runs with ``enable_external_access = false``,
files readable only under ``allowed_directories`` (the engine's S3 object cache and its Hive
link folder), no extension installed or loaded on demand, and the configuration locked
(https://duckdb.org/docs/stable/operations_manual/securing_duckdb/overview).

**Helpers.** ``tr_*`` macros and functions implement the Trino behaviour DuckDB has no exact
builtin for (``functions.py`` calls them): checked subscripts, ``substr`` with Trino's edge
cases, a timestamp with time zone that keeps its zone, Java's number and ``format()`` rendering,
exact decimal division.  Errors they raise start with ``duck.ERROR_MARK`` so that ``errors.py``
reports Athena's wording.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
from pathlib import Path

import duckdb
from duckdb.func import SPECIAL

from .duck import ERROR_MARK as M
from .javafmt import java_format
from .types import java_double

E = "'" + M  # the start of an error() text in macro SQL

MACROS = rf"""
CREATE MACRO tr_subscript(a, i) AS CASE
  WHEN a IS NULL OR i IS NULL THEN NULL
  WHEN i = 0 THEN error({E}INVALID_FUNCTION_ARGUMENT: SQL array indices start at 1')
  WHEN i < 0 THEN error({E}INVALID_FUNCTION_ARGUMENT: Array subscript is negative: ' || i)
  WHEN i > len(a) THEN error({E}INVALID_FUNCTION_ARGUMENT: Array subscript must be less than or equal to array length: '
      || i || ' > ' || len(a))
  ELSE a[i] END;
CREATE MACRO tr_subscript_try(a, i) AS CASE WHEN i >= 1 AND i <= len(a) THEN a[i] END;
CREATE MACRO tr_element_at(a, i) AS CASE
  WHEN a IS NULL OR i IS NULL THEN NULL
  WHEN i = 0 THEN error({E}INVALID_FUNCTION_ARGUMENT: SQL array indices start at 1')
  WHEN abs(i) > len(a) THEN NULL
  WHEN i > 0 THEN a[i] ELSE a[len(a) + i + 1] END;
CREATE MACRO tr_contains(a, v) AS CASE
  WHEN a IS NULL OR v IS NULL THEN NULL
  WHEN list_contains(a, v) THEN true
  WHEN list_contains(list_transform(a, lambda x: x IS NULL), true) THEN NULL
  ELSE false END;
CREATE MACRO tr_contains_sequence(a, s) AS CASE
  WHEN a IS NULL OR s IS NULL THEN NULL
  WHEN len(s) = 0 THEN true
  ELSE list_contains(list_transform(range(1, len(a) - len(s) + 2), lambda i: a[i:i + len(s) - 1] = s), true) END;
CREATE MACRO tr_array_distinct(a) AS list_filter(a, lambda x, i: list_position(a, x) = i);
CREATE MACRO tr_array_remove(a, v) AS CASE WHEN v IS NULL
    THEN NULL ELSE list_filter(a, lambda x: x IS NULL OR x <> v) END;
CREATE MACRO tr_array_intersect(a, b) AS tr_array_distinct(list_filter(a, lambda x: list_contains(b, x) OR (x IS NULL
    AND list_position(b, NULL) IS NOT NULL)));
CREATE MACRO tr_array_union(a, b) AS tr_array_distinct(list_concat(a, b));
CREATE MACRO tr_array_except(a, b) AS tr_array_distinct(list_filter(a,
     lambda x: NOT (list_contains(b, x) OR (x IS NULL
    AND list_position(b, NULL) IS NOT NULL))));
CREATE MACRO tr_arrays_overlap(a, b) AS CASE
  WHEN a IS NULL OR b IS NULL THEN NULL
  WHEN list_has_any(a, b) THEN true
  WHEN list_position(a, NULL) IS NOT NULL OR list_position(b, NULL) IS NOT NULL THEN NULL
  ELSE false END;
CREATE MACRO tr_slice(a, s, n) AS CASE
  WHEN a IS NULL OR s IS NULL OR n IS NULL THEN NULL
  WHEN s = 0 THEN error({E}INVALID_FUNCTION_ARGUMENT: SQL array indices start at 1')
  WHEN n < 0 THEN error({E}INVALID_FUNCTION_ARGUMENT: length must be greater than or equal to 0')
  WHEN s < 0 AND -s > len(a) THEN a[1:0]
  WHEN s < 0 THEN list_slice(a, len(a) + s + 1, len(a) + s + n)
  ELSE list_slice(a, s, s + n - 1) END;
CREATE MACRO tr_sequence_check(l) AS CASE
  WHEN len(l) > 10000
      THEN error({E}INVALID_FUNCTION_ARGUMENT: result of sequence function must not have more than 10000 entries')
  ELSE l END;
CREATE MACRO tr_sequence(a, b) AS tr_sequence_check(CASE WHEN a <= b
    THEN range(a, b + 1) ELSE range(a, b - 1, -1) END);
CREATE MACRO tr_sequence_step(a, b, s) AS CASE
  WHEN s = 0 THEN error({E}INVALID_FUNCTION_ARGUMENT: step must not be zero')
  WHEN (s > 0 AND a > b) OR (s < 0 AND a < b)
      THEN error({E}INVALID_FUNCTION_ARGUMENT: sequence stop value should be greater than or equal to start value '
        || 'if step is greater than zero otherwise stop should be less than or equal to start')
  ELSE tr_sequence_check(range(a, b + sign(s), s)) END;
CREATE MACRO tr_date_sequence(a, b, step) AS tr_sequence_check(
  list_transform(generate_series(CAST(a AS TIMESTAMP), CAST(b AS TIMESTAMP), step), lambda x: CAST(x AS DATE)));
CREATE MACRO tr_ts_sequence(a, b, step) AS tr_sequence_check(generate_series(a, b, step));
CREATE MACRO tr_repeat(v, n) AS CASE
  WHEN n < 0 THEN error({E}INVALID_FUNCTION_ARGUMENT: '
    || 'count argument of repeat function must be greater than or equal to 0')
  WHEN n > 10000 THEN error({E}INVALID_FUNCTION_ARGUMENT: '
    || 'count argument of repeat function must be less than or equal to 10000')
  ELSE list_transform(range(n), lambda i: v) END;
CREATE MACRO tr_substr(s, st) AS CASE
  WHEN s IS NULL OR st IS NULL THEN NULL
  WHEN st = 0 OR abs(st) > length(s) THEN ''
  WHEN st < 0 THEN substring(s, length(s) + st + 1)
  ELSE substring(s, st) END;
CREATE MACRO tr_substr3(s, st, n) AS CASE
  WHEN s IS NULL OR st IS NULL OR n IS NULL THEN NULL
  WHEN st = 0 OR n <= 0 OR abs(st) > length(s) THEN ''
  WHEN st < 0 THEN substring(s, length(s) + st + 1, n)
  ELSE substring(s, st, n) END;
CREATE MACRO tr_lpad(s, n, p) AS CASE
  WHEN p = '' THEN error({E}INVALID_FUNCTION_ARGUMENT: Padding string must not be empty')
  WHEN n < 0 THEN error({E}INVALID_FUNCTION_ARGUMENT: Target length must be in the range [0..2147483647]')
  ELSE lpad(s, CAST(n AS INTEGER), p) END;
CREATE MACRO tr_rpad(s, n, p) AS CASE
  WHEN p = '' THEN error({E}INVALID_FUNCTION_ARGUMENT: Padding string must not be empty')
  WHEN n < 0 THEN error({E}INVALID_FUNCTION_ARGUMENT: Target length must be in the range [0..2147483647]')
  ELSE rpad(s, CAST(n AS INTEGER), p) END;
CREATE MACRO tr_split(s, d) AS CASE WHEN d = ''
    THEN error({E}INVALID_FUNCTION_ARGUMENT: The delimiter may not be the empty string') ELSE string_split(s, d) END;
CREATE MACRO tr_split_limit(s, d, n) AS CASE
  WHEN n <= 0 THEN error({E}INVALID_FUNCTION_ARGUMENT: Limit must be positive')
  WHEN len(tr_split(s, d)) <= n THEN tr_split(s, d)
  ELSE list_concat(tr_split(s, d)[1:n - 1], [array_to_string(tr_split(s, d)[n:], d)]) END;
CREATE MACRO tr_split_part(s, d, i) AS CASE
  WHEN i <= 0 THEN error({E}INVALID_FUNCTION_ARGUMENT: Index must be greater than zero')
  WHEN i > len(tr_split(s, d)) THEN NULL
  ELSE tr_split(s, d)[i] END;
CREATE MACRO tr_chr(n) AS CASE
  WHEN n IS NULL THEN NULL
  WHEN n < 0 OR n > 1114111 OR n BETWEEN 55296 AND 57343
      THEN error({E}INVALID_FUNCTION_ARGUMENT: Not a valid Unicode code point: ' || n)
  ELSE chr(CAST(n AS INTEGER)) END;
CREATE MACRO tr_regexp_extract(s, p, g) AS CASE
  WHEN s IS NULL OR p IS NULL THEN NULL
  WHEN NOT regexp_matches(s, p) THEN NULL
  ELSE regexp_extract(s, p, CAST(g AS INTEGER)) END;
CREATE MACRO tr_sum_bigint(x) AS CASE
  WHEN x > 9223372036854775807 OR x < -9223372036854775808
      THEN error({E}NUMERIC_VALUE_OUT_OF_RANGE: bigint addition overflow')
  ELSE CAST(x AS BIGINT) END;
CREATE MACRO tr_fdiv(a, b) AS a / b;
CREATE MACRO tr_round_ts(ts, p) AS
  make_timestamp(CAST(round(epoch_us(ts) / pow(10, 6 - p)) * pow(10, 6 - p) AS BIGINT));
CREATE MACRO tr_ts_text(ts, p) AS CASE
  WHEN p = 0 THEN strftime(ts, '%Y-%m-%d %H:%M:%S')
  WHEN p <= 3 THEN strftime(ts, '%Y-%m-%d %H:%M:%S.') || left(strftime(ts, '%g'), CAST(p AS INTEGER))
  ELSE strftime(ts, '%Y-%m-%d %H:%M:%S.') || left(strftime(ts, '%f'), CAST(p AS INTEGER)) END;
CREATE MACRO tr_is_offset(z) AS regexp_full_match(z, '[+-][0-9][0-9]:[0-9][0-9]');
CREATE MACRO tr_offset(z) AS (CASE WHEN z[1] = '-' THEN -1 ELSE 1 END)
  * (to_minutes(CAST(z[2:3] AS BIGINT) * 60 + CAST(z[5:6] AS BIGINT)));
CREATE MACRO tr_zone(z) AS CASE WHEN upper(z) IN ('Z', 'UTC', 'UT', '+00:00', '-00:00') THEN 'UTC' ELSE z END;
CREATE MACRO tr_check_zone(z) AS z;
CREATE MACRO tr_tz_instant(l, z) AS CASE
  WHEN l IS NULL OR z IS NULL THEN NULL
  WHEN z = 'UTC' THEN CAST(l AS TIMESTAMPTZ)
  WHEN tr_is_offset(z) THEN CAST(l - tr_offset(z) AS TIMESTAMPTZ)
  ELSE timezone(z, l) END;
CREATE MACRO tr_tstz(l, z) AS CASE WHEN l IS NULL OR z IS NULL
    THEN NULL ELSE struct_pack(i := tr_tz_instant(l, z), z := z) END;
CREATE MACRO tr_tz_local(v) AS CASE
  WHEN v IS NULL THEN NULL
  WHEN v.z = 'UTC' THEN CAST(v.i AS TIMESTAMP)
  WHEN tr_is_offset(v.z) THEN CAST(v.i AS TIMESTAMP) + tr_offset(v.z)
  ELSE timezone(v.z, v.i) END;
CREATE MACRO tr_tstz_add(v, iv) AS tr_tstz(tr_tz_local(v) + iv, v.z);
CREATE MACRO tr_tz_minutes(v) AS date_diff('minute', CAST(v.i AS TIMESTAMP), tr_tz_local(v));
CREATE MACRO tr_tz_hour(v) AS CAST(trunc(tr_tz_minutes(v) / 60) AS BIGINT);
CREATE MACRO tr_tz_minute(v) AS CAST(tr_tz_minutes(v) - trunc(tr_tz_minutes(v) / 60) * 60 AS BIGINT);
CREATE MACRO tr_tstz_text(v, p) AS tr_ts_text(tr_tz_local(v), p) || ' ' || v.z;
CREATE MACRO tr_iso_ts(ts, p) AS replace(tr_ts_text(ts, p), ' ', 'T');
CREATE MACRO tr_iso_offset(v) AS CASE
  WHEN tr_tz_minutes(v) = 0 THEN 'Z'
  ELSE (CASE WHEN tr_tz_minutes(v) < 0 THEN '-' ELSE '+' END)
    || lpad(CAST(abs(tr_tz_minutes(v)) // 60 AS VARCHAR), 2, '0') || ':'
    || lpad(CAST(abs(tr_tz_minutes(v)) % 60 AS VARCHAR), 2, '0') END;
CREATE MACRO tr_iso_tstz(v, p) AS tr_iso_ts(tr_tz_local(v), p) || tr_iso_offset(v);
CREATE MACRO tr_now() AS CAST(date_trunc('millisecond', get_current_timestamp()) AS TIMESTAMPTZ);
CREATE MACRO tr_from_unixtime(u) AS make_timestamptz(CAST(round(u * 1000) * 1000 AS BIGINT));
CREATE MACRO tr_date_diff(unit, a, b) AS CASE
  WHEN unit = 'millisecond' THEN epoch_ms(b) - epoch_ms(a)
  WHEN unit = 'quarter' THEN date_sub('month', a, b) // 3
  WHEN unit = 'week' THEN date_sub('day', a, b) // 7
  ELSE date_sub(unit, a, b) END;
CREATE MACRO tr_parse_duration(s) AS CASE
  WHEN s IS NULL THEN NULL
  WHEN NOT regexp_full_match(s, '\s*[0-9]+(\.[0-9]+)?\s*(ns|us|ms|s|m|h|d)\s*') THEN
    error({E}INVALID_FUNCTION_ARGUMENT: duration is not a valid data duration string: ' || s)
  ELSE to_microseconds(CAST(round(CAST(regexp_extract(s, '([0-9]+(\.[0-9]+)?)', 1) AS DOUBLE) *
    CASE regexp_extract(s, '(ns|us|ms|s|m|h|d)\s*$', 1)
      WHEN 'ns' THEN 0.001 WHEN 'us' THEN 1 WHEN 'ms' THEN 1000 WHEN 's' THEN 1000000
      WHEN 'm' THEN 60000000 WHEN 'h' THEN 3600000000 ELSE 86400000000 END / 1000) * 1000 AS BIGINT)) END;
CREATE MACRO tr_interval_div(iv, d) AS
  to_microseconds(CAST(round(epoch_us(TIMESTAMP '1970-01-01' + iv) / d) AS BIGINT));
CREATE MACRO tr_map(k, v) AS CASE
  WHEN k IS NULL OR v IS NULL THEN NULL
  WHEN len(k) <> len(v) THEN error({E}INVALID_FUNCTION_ARGUMENT: Key and value arrays must be the same length')
  WHEN list_position(k, NULL) IS NOT NULL THEN error({E}INVALID_FUNCTION_ARGUMENT: map key cannot be null')
  ELSE map(k, v) END;
CREATE MACRO tr_map_from_entries(e) AS CASE
  WHEN list_contains(list_transform(e, lambda x: x.k IS NULL), true)
      THEN error({E}INVALID_FUNCTION_ARGUMENT: map key cannot be null')
  ELSE map_from_entries(e) END;
CREATE MACRO tr_map_from_entries_first(e) AS map_from_entries(list_filter(e,
  lambda x, i: x.k IS NOT NULL AND list_position(list_transform(e, lambda y: y.k), x.k) = i));
CREATE MACRO tr_json_extract_scalar(j, p) AS CASE
  WHEN json_type(json_extract(j, p)) IN ('OBJECT', 'ARRAY') THEN NULL
  ELSE json_extract_string(j, p) END;
CREATE MACRO tr_varchar_tstz(s, safe) AS CASE
  WHEN s IS NULL THEN NULL
  WHEN tr_tstz_parts(s, false) IS NULL AND NOT safe
      THEN error({E}INVALID_CAST_ARGUMENT: Value cannot be cast to timestamp: ' || s)
  ELSE tr_tstz(CAST(split_part(tr_tstz_parts(s, false), '|', 1) AS TIMESTAMP),
               split_part(tr_tstz_parts(s, false), '|', 2)) END;
CREATE MACRO tr_from_iso8601_timestamp(s) AS CASE
  WHEN s IS NULL THEN NULL
  WHEN tr_tstz_parts(s, true) IS NULL THEN error({E}INVALID_FUNCTION_ARGUMENT: Invalid format: "' || s || '"')
  ELSE tr_tstz(CAST(split_part(tr_tstz_parts(s, true), '|', 1) AS TIMESTAMP),
               split_part(tr_tstz_parts(s, true), '|', 2)) END;
"""


# ---- Python functions ------------------------------------------------------------------------------


def _decimal_div(a: str | None, b: str | None, scale: int | None) -> str | None:
    """Exact decimal division rounded half up (DecimalOperators.divide, DecimalAverageAggregation)."""
    if a is None or b is None or scale is None:
        return None
    x, y = decimal.Decimal(a), decimal.Decimal(b)
    if y == 0:
        raise ValueError(f"{M}DIVISION_BY_ZERO: Division by zero")
    with decimal.localcontext() as ctx:
        ctx.prec = 80
        q = (x / y).quantize(decimal.Decimal(1).scaleb(-int(scale)), rounding=decimal.ROUND_HALF_UP)
    return format(q, "f")


def _sci(x: float | None, single: bool) -> str | None:
    """CAST(double AS varchar): the SQL standard's approximate literal, 1.5E0 (DoubleOperators)."""
    if x is None:
        return None
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0E0" if str(x).startswith("-") else "0E0"
    text = java_double(x, single)
    if "E" in text:
        return text
    d = decimal.Decimal(text)
    sign, digits, _ = d.as_tuple()
    digits = "".join(map(str, digits)).lstrip("0").rstrip("0") or "0"
    return f"{'-' if sign else ''}{digits[0]}.{digits[1:] or '0'}E{d.adjusted()}"


def _strpos(s: str | None, sub: str | None, n: int | None) -> int | None:
    if s is None or sub is None or n is None:
        return None
    if n <= 0:
        raise ValueError(f"{M}INVALID_FUNCTION_ARGUMENT: 'instance' must be a positive number.")
    if sub == "":
        return 1
    pos = -1
    for _ in range(n):
        pos = s.find(sub, pos + 1)
        if pos < 0:
            return 0
    return pos + 1


def _luhn(s: str | None) -> bool | None:
    if s is None:
        return None
    if not s or not s.isdigit():
        raise ValueError(f"{M}INVALID_FUNCTION_ARGUMENT: Input contains non-digit characters")
    total = 0
    for i, ch in enumerate(reversed(s)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _java_replacement(r: str | None) -> str | None:
    """A Java replacement string ($1, \\$) as RE2's (\\1, $)."""
    if r is None:
        return None
    out, i = [], 0
    while i < len(r):
        ch = r[i]
        if ch == "\\" and i + 1 < len(r):
            nxt = r[i + 1]
            out.append("\\\\" if nxt == "\\" else nxt)
            i += 2
        elif ch == "$" and i + 1 < len(r) and r[i + 1].isdigit():
            out.append("\\" + r[i + 1])
            i += 2
        elif ch == "$":
            raise ValueError(f"{M}INVALID_FUNCTION_ARGUMENT: Illegal group reference")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _regexp_groups(s: str | None, p: str | None) -> list[list[str | None]] | None:
    if s is None or p is None:
        return None
    rx = re.compile(p)
    return [[m.group(g) for g in range(1, rx.groups + 1)] for m in rx.finditer(s)]


_ISO = re.compile(
    r"(?P<d>[+-]?\d{4,}-\d{2}-\d{2})(?:[T ](?P<h>\d{2})(?::?(?P<mi>\d{2})(?::?(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?)?"
    r"\s*(?P<z>Z|UTC|[+-]\d{2}(?::?\d{2})?|[A-Za-z][A-Za-z0-9_/+-]*)?"
)


def _tstz_parts(s: str | None, iso: bool) -> str | None:
    """'local|zone' of an ISO 8601 or Trino timestamp text, or None when it does not parse."""
    if s is None:
        return None
    text = s.strip()
    m = _ISO.fullmatch(text)
    if m is None or (iso and m.group("h") is not None and "T" not in text and " " in text.split("+")[0]):
        return None
    if not iso and "T" in text.split(" ")[0][10:11]:
        return None
    try:
        d = dt.date.fromisoformat(m.group("d"))
        h, mi, sec = int(m.group("h") or 0), int(m.group("mi") or 0), int(m.group("s") or 0)
        frac = (m.group("f") or "").ljust(6, "0")[:6]
        local = dt.datetime(d.year, d.month, d.day, h, mi, sec, int(frac or 0))
    except ValueError:
        return None
    zone = m.group("z") or "UTC"
    if zone in ("Z", "UTC"):
        zone = "UTC"
    elif re.fullmatch(r"[+-]\d{2}(?::?\d{2})?", zone):
        digits = zone[1:].replace(":", "")
        zone = f"{zone[0]}{digits[:2]}:{digits[2:4] or '00'}"
        if zone in ("+00:00", "-00:00"):
            zone = "UTC"
    return f"{local.isoformat(sep=' ')}|{zone}"


def _iso_date(s: str | None) -> dt.date | None:
    if s is None:
        return None
    text = s.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
        m = re.fullmatch(r"(\d{4})-?W(\d{2})(?:-?(\d))?", text)
        if m:
            return dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
        m = re.fullmatch(r"(\d{4})-?(\d{3})", text)
        if m:
            return dt.date(int(m.group(1)), 1, 1) + dt.timedelta(days=int(m.group(2)) - 1)
        m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", text)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2) or 1), 1)
    except ValueError:
        pass
    raise ValueError(f'{M}INVALID_FUNCTION_ARGUMENT: Invalid format: "{s}"')


def _format(fmt: str | None, values: str | None, kinds: str | None) -> str | None:
    if fmt is None:
        return None
    args = json.loads(values or "[]")
    types = (kinds or "").split(",") if kinds else []
    try:
        return java_format(fmt, args, types)
    except ValueError as exc:
        raise ValueError(f"{M}INVALID_FUNCTION_ARGUMENT: {exc}") from None


def _register_functions(con: duckdb.DuckDBPyConnection) -> None:
    V, B, N, D, F = "VARCHAR", "BOOLEAN", "BIGINT", "DOUBLE", "FLOAT"
    con.create_function("tr_decimal_div", _decimal_div, [V, V, "INTEGER"], V, null_handling=SPECIAL)
    con.create_function("tr_double_varchar", lambda x: _sci(x, False), [D], V, null_handling=SPECIAL)
    con.create_function("tr_real_varchar", lambda x: _sci(x, True), [F], V, null_handling=SPECIAL)
    con.create_function("tr_strpos", _strpos, [V, V, N], N, null_handling=SPECIAL)
    con.create_function("tr_luhn_check", _luhn, [V], B, null_handling=SPECIAL)
    con.create_function("tr_java_replacement", _java_replacement, [V], V, null_handling=SPECIAL)
    con.create_function("tr_regexp_groups", _regexp_groups, [V, V], "VARCHAR[][]", null_handling=SPECIAL)
    con.create_function("tr_tstz_parts", _tstz_parts, [V, B], V, null_handling=SPECIAL)
    con.create_function("tr_from_iso8601_date", _iso_date, [V], "DATE", null_handling=SPECIAL)
    con.create_function("tr_format", _format, [V, V, V], V, null_handling=SPECIAL)


def connect(readable: list[Path]) -> duckdb.DuckDBPyConnection:
    """A DuckDB database with the Trino helpers, able to read files only under ``readable``."""
    con = duckdb.connect(":memory:")
    _register_functions(con)
    for statement in MACROS.strip().split(";\n"):
        if statement.strip():
            con.execute(statement.strip().rstrip(";"))
    # Parquet footers parsed once per file, not once per query (cache files never change:
    # their names carry the ETag).
    con.execute("SET parquet_metadata_cache = true")
    con.execute("SET TimeZone = 'UTC'")  # Athena's session time zone
    dirs = ", ".join("'" + str(p).replace("'", "''").rstrip("/") + "/'" for p in readable)
    con.execute(f"SET allowed_directories = [{dirs}]")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con
